"""An agency admin's settings for daily progress (working Saturdays, holidays, the back-fill window,
the reminder hour, the go-live, the longest absences) and the justified absences of its employees
(cuti, sakit, dinas luar): recorded, corrected and withdrawn with a reason, each change audited."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel import config
from ekinerja_kernel.caller import Caller, RequestContext, forbidden, require
from ekinerja_kernel.db import unit_of_work, upsert
from ekinerja_kernel.errors import DomainError, FieldError, validation_error
from ekinerja_kernel.events import as_utc, utcnow
from ekinerja_kernel.outbox import Outbox

from . import staff
from .closing import reclose_days
from .domain.absences import AbsenceInput, parse_absence, parse_reason
from .domain.settings import parse_agency_settings
from .domain.workdays import ABSENCE_LABELS, AbsenceKind
from .tables import absence_history, absences, agency_settings


def _agency(caller: Caller, agency_id: Any) -> str:
    """An agency admin manages their own agency; a national admin names the agency."""
    chosen = agency_id or caller.agency_id
    if not chosen or not caller.administers(chosen):
        raise forbidden("Only an admin of this agency manages its daily-progress settings and absences.",
                        "Hanya admin instansi ini yang dapat mengelola pengaturan progres harian dan "
                        "ketidakhadirannya.")
    return chosen


def _settings_view(s: Session, agency_id: str | None) -> dict[str, Any]:
    settings, hour, stored = staff.settings_of(s, agency_id)
    return {"agency_id": agency_id, "work_saturday": settings.work_saturday, "backfill_days": settings.backfill_days,
            "reminder_hour": hour,
            "extra_holidays": [{"date": d.isoformat(), "name": n} for d, n in sorted(settings.extra_holidays.items())],
            "extra_working_days": sorted(d.isoformat() for d in settings.extra_working_days),
            "go_live": settings.go_live.isoformat() if settings.go_live else None,
            "absence_max_days": {k.value: v for k, v in settings.absence_max_days.items()}}


def get_settings(factory: sessionmaker[Session], ctx: RequestContext, agency_id: str | None = None) -> dict[str, Any]:
    caller = require(ctx.caller)
    chosen = agency_id or caller.agency_id
    if chosen != caller.agency_id and not caller.administers(chosen):
        raise forbidden("You can read your own agency's settings only.",
                        "Anda hanya dapat membaca pengaturan instansi Anda.")
    with factory() as s:
        return _settings_view(s, chosen)


def put_settings(factory: sessionmaker[Session], ctx: RequestContext, settings: Any,
                 agency_id: str | None = None) -> dict[str, Any]:
    caller = require(ctx.caller)
    chosen = _agency(caller, agency_id)
    raw = dict(settings) if isinstance(settings, dict) else settings
    hour = raw.pop("reminder_hour", staff.DEFAULT_REMINDER_HOUR) if isinstance(raw, dict) else None
    parse_agency_settings(raw)  # refuses with every broken rule named
    if isinstance(hour, bool) or not isinstance(hour, int) or not 0 <= hour <= 23:
        raise validation_error([FieldError("reminder_hour", "range", "reminder_hour must be an hour from 0 to 23.",
                                           "reminder_hour harus jam 0 sampai 23.")])
    with unit_of_work(factory) as s:
        upsert(s, agency_settings, {"agency_id": chosen}, {"settings": raw, "reminder_hour": hour,
                                                           "updated_by": caller.nip, "updated_at": utcnow()})
        return _settings_view(s, chosen)


def _absence_rules(s: Session, person: Any) -> Any:
    return staff.settings_of(s, person.agency_id)[0].absence_max_days


def _person(s: Session, nip: Any) -> Any:
    person = staff.employee(s, nip if isinstance(nip, str) else None)
    if person is None:
        raise DomainError(code="not-found", status=404, title="Not found",
                          detail=f"No employee with NIP {nip} is in harian's copy of master data.",
                          detail_id=f"Pegawai dengan NIP {nip} tidak ada dalam data induk harian.",
                          extra={"field": "nip"})
    return person


def _refuse_overlap(s: Session, person: Any, absence: AbsenceInput, except_id: str | None = None) -> None:
    """Two absences of one person never cover the same day: the second is a mistake to correct."""
    query = select(absences).where(absences.c.nip == person.nip, absences.c.start_date <= absence.end,
                                   absences.c.end_date >= absence.start)
    if except_id is not None:
        query = query.where(absences.c.id != except_id)
    other = s.execute(query.order_by(absences.c.start_date).limit(1)).first()
    if other is None:
        return
    name_en, name_id = ABSENCE_LABELS[AbsenceKind(other.kind)]
    raise DomainError(code="absence-overlaps", status=409, title="Overlapping absence",
                      detail=f"{person.name} already has a {name_en} absence from {other.start_date} to "
                             f"{other.end_date}, which covers days of this one: correct that one instead.",
                      detail_id=f"{person.name} sudah memiliki ketidakhadiran {name_id} dari {other.start_date} "
                                f"sampai {other.end_date}, yang mencakup hari-hari ketidakhadiran ini: koreksi "
                                "ketidakhadiran itu.",
                      extra={"field": "start", "overlaps": _absence_view(other)})


def _audit(s: Session, row_id: str, nip: str, action: str, actor: str, reason: str | None,
           before: Any, after: Any) -> None:
    s.execute(insert(absence_history).values(
        absence_id=row_id, nip=nip, action=action, actor_nip=actor, at=utcnow(), reason=reason,
        before=_absence_view(before) if before is not None else None,
        after=_absence_view(after) if after is not None else None))


def _stored(s: Session, absence_id: Any) -> Any:
    row = s.execute(select(absences).where(absences.c.id == str(absence_id))).first() \
        if isinstance(absence_id, str) else None
    if row is None:
        raise DomainError(code="not-found", status=404, title="Not found",
                          detail="There is no such recorded absence (it may have been withdrawn).",
                          detail_id="Ketidakhadiran itu tidak tercatat (mungkin sudah ditarik).",
                          extra={"field": "absence_id"})
    return row


def record_absence(factory: sessionmaker[Session], outbox: Outbox, ctx: RequestContext, nip: Any, kind: Any,
                   start: Any, end: Any, note: Any = None) -> dict[str, Any]:
    """Records a justified absence (domain.absences rules); days it covers that were already closed
    are announced again."""
    caller = require(ctx.caller)
    with unit_of_work(factory) as s:
        person = _person(s, nip)
        _agency(caller, person.agency_id)
        absence = parse_absence({"kind": kind, "start": start, "end": end, "note": note}, config.today(),
                                _absence_rules(s, person))
        _refuse_overlap(s, person, absence)
        row_id = str(uuid.uuid4())
        s.execute(absences.insert().values(
            id=row_id, nip=person.nip, agency_id=person.agency_id, kind=absence.kind.value,
            start_date=absence.start, end_date=absence.end, note=absence.note,
            recorded_by=caller.nip, recorded_at=utcnow()))
        row = _stored(s, row_id)
        _audit(s, row_id, person.nip, "recorded", caller.nip, None, None, row)
        reclosed = reclose_days(s, outbox, person, absence.start, absence.end)
        return {**_absence_view(row), "reclosed_days": reclosed}


def correct_absence(factory: sessionmaker[Session], outbox: Outbox, ctx: RequestContext, absence_id: Any,
                    kind: Any, start: Any, end: Any, note: Any, reason: Any) -> dict[str, Any]:
    """An agency admin corrects a recorded absence (kind, dates, note), saying why; the closed days
    of the old and the new dates are judged again and announced where their standing changed."""
    caller = require(ctx.caller)
    why = parse_reason(reason)
    with unit_of_work(factory) as s:
        before = _stored(s, absence_id)
        person = _person(s, before.nip)
        _agency(caller, person.agency_id)
        absence = parse_absence({"kind": kind, "start": start, "end": end, "note": note}, config.today(),
                                _absence_rules(s, person))
        _refuse_overlap(s, person, absence, except_id=before.id)
        s.execute(update(absences).where(absences.c.id == before.id).values(
            kind=absence.kind.value, start_date=absence.start, end_date=absence.end, note=absence.note))
        after = _stored(s, before.id)
        _audit(s, before.id, person.nip, "corrected", caller.nip, why, before, after)
        reclosed = reclose_days(s, outbox, person, min(before.start_date, absence.start),
                                max(before.end_date, absence.end))
        return {**_absence_view(after), "reclosed_days": reclosed}


def withdraw_absence(factory: sessionmaker[Session], outbox: Outbox, ctx: RequestContext, absence_id: Any,
                     reason: Any) -> dict[str, Any]:
    """An agency admin withdraws a recorded absence, saying why: it stops justifying its days (the
    record of it stays in the history), and its closed days are announced again as they now stand."""
    caller = require(ctx.caller)
    why = parse_reason(reason)
    with unit_of_work(factory) as s:
        before = _stored(s, absence_id)
        person = _person(s, before.nip)
        _agency(caller, person.agency_id)
        s.execute(delete(absences).where(absences.c.id == before.id))
        _audit(s, before.id, person.nip, "withdrawn", caller.nip, why, before, None)
        reclosed = reclose_days(s, outbox, person, before.start_date, before.end_date)
        return {**_absence_view(before), "withdrawn": True, "reason": why, "reclosed_days": reclosed}


def _absence_view(r: Any) -> dict[str, Any]:
    return {"id": r.id, "nip": r.nip, "kind": r.kind, "start": r.start_date.isoformat(),
            "end": r.end_date.isoformat(), "note": r.note, "recorded_by": r.recorded_by,
            "recorded_at": as_utc(r.recorded_at).isoformat()}


def _history_view(r: Any) -> dict[str, Any]:
    return {"absence_id": r.absence_id, "action": r.action, "actor_nip": r.actor_nip, "at": as_utc(r.at).isoformat(),
            "reason": r.reason, "before": r.before, "after": r.after}


def list_absences(factory: sessionmaker[Session], ctx: RequestContext, nip: str) -> dict[str, Any]:
    """An employee's absences: their own, their team's for anyone above them in the chain (read
    only), or as an admin of their agency; the employee and the admin also see every change made."""
    caller = require(ctx.caller)
    with factory() as s:
        person = _person(s, nip)
        admin = caller.administers(person.agency_id)
        if caller.nip != nip and not admin and not staff.supervises(s, caller.nip, person):
            raise forbidden("You can see the absences of yourself, of those who report to you (directly or "
                            "through others), or as an admin of their agency.",
                            "Anda dapat melihat ketidakhadiran diri sendiri, pegawai yang melapor kepada Anda "
                            "(langsung maupun melalui atasan lain), atau sebagai admin instansinya.")
        rows = s.execute(select(absences).where(absences.c.nip == nip).order_by(absences.c.start_date)).all()
        result: dict[str, Any] = {"nip": nip, "name": person.name, "absences": [_absence_view(r) for r in rows],
                                  "read_only": not admin}
        if caller.nip == nip or admin:
            result["history"] = [_history_view(r) for r in s.execute(
                select(absence_history).where(absence_history.c.nip == nip).order_by(absence_history.c.id))]
        return result
