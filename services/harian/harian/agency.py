"""An agency admin's settings for daily progress (working Saturdays, holidays, the back-fill window,
the reminder hour) and the justified absences of its employees (cuti, sakit, dinas luar)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel.caller import Caller, RequestContext, forbidden, require
from ekinerja_kernel.db import unit_of_work, upsert
from ekinerja_kernel.errors import FieldError, not_found, validation_error
from ekinerja_kernel.events import as_utc, utcnow
from ekinerja_kernel.outbox import Outbox

from . import staff
from .closing import reclose_for_absence
from .domain.settings import parse_agency_settings
from .domain.workdays import parse_absences
from .tables import absences, agency_settings


def _agency(caller: Caller, agency_id: Any) -> str:
    """An agency admin manages their own agency; a national admin names the agency."""
    chosen = agency_id or caller.agency_id
    if not chosen or not caller.administers(chosen):
        raise forbidden("Only an admin of this agency manages its daily-progress settings and absences.",
                        "Hanya admin instansi ini yang dapat mengelola pengaturan progres harian dan "
                        "ketidakhadirannya.")
    return chosen


def _settings_view(s: Session, agency_id: str) -> dict[str, Any]:
    settings, hour, stored = staff.settings_of(s, agency_id)
    return {"agency_id": agency_id, "work_saturday": settings.work_saturday, "backfill_days": settings.backfill_days,
            "reminder_hour": hour,
            "extra_holidays": [{"date": d.isoformat(), "name": n} for d, n in sorted(settings.extra_holidays.items())],
            "extra_working_days": sorted(d.isoformat() for d in settings.extra_working_days)}


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


def record_absence(factory: sessionmaker[Session], outbox: Outbox, ctx: RequestContext, nip: Any, kind: Any,
                   start: Any, end: Any, note: Any = None) -> dict[str, Any]:
    """Records a justified absence; days it covers that were already closed are announced again."""
    caller = require(ctx.caller)
    parsed, errors = parse_absences([{"kind": kind, "start": start, "end": end}], "absence")
    if errors:
        raise validation_error([FieldError(e.field.replace("absence[0].", ""), e.rule, e.detail, e.detail_id)
                                for e in errors])
    absence = parsed[0]
    with unit_of_work(factory) as s:
        person = staff.employee(s, nip if isinstance(nip, str) else None)
        if person is None:
            raise not_found("employee", "Pegawai", str(nip))
        _agency(caller, person.agency_id)
        row_id = str(uuid.uuid4())
        s.execute(absences.insert().values(
            id=row_id, nip=person.nip, agency_id=person.agency_id, kind=absence.kind.value,
            start_date=absence.start, end_date=absence.end, note=note if isinstance(note, str) else None,
            recorded_by=caller.nip, recorded_at=utcnow()))
        reclose_for_absence(s, outbox, person, absence)
        return _absence_view(s.execute(select(absences).where(absences.c.id == row_id)).first())


def _absence_view(r: Any) -> dict[str, Any]:
    return {"id": r.id, "nip": r.nip, "kind": r.kind, "start": r.start_date.isoformat(),
            "end": r.end_date.isoformat(), "note": r.note, "recorded_by": r.recorded_by,
            "recorded_at": as_utc(r.recorded_at).isoformat()}


def list_absences(factory: sessionmaker[Session], ctx: RequestContext, nip: str) -> dict[str, Any]:
    """An employee's absences: their own, or as an admin of their agency."""
    caller = require(ctx.caller)
    with factory() as s:
        person = staff.employee(s, nip)
        if person is None:
            raise not_found("employee", "Pegawai", nip)
        if caller.nip != nip:
            _agency(caller, person.agency_id)
        rows = s.execute(select(absences).where(absences.c.nip == nip).order_by(absences.c.start_date)).all()
        return {"nip": nip, "absences": [_absence_view(r) for r in rows]}
