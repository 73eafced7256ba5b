"""The supervisor's side: my team's days with their statuses and blank days, and approving or
returning entries (one or many at once), each announced as harian.approved / harian.returned."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel import config
from ekinerja_kernel.caller import RequestContext, forbidden, require
from ekinerja_kernel.db import unit_of_work
from ekinerja_kernel.errors import DomainError, FieldError, validation_error
from ekinerja_kernel.events import utcnow
from ekinerja_kernel.outbox import Outbox

from . import days, history, staff
from .domain.status import DayStatus, EntryState
from .domain.status import day_status as status_of_day
from .domain.workdays import EmployeeCalendar
from .tables import day_status, employees, entries

MAX_RANGE_DAYS = 31
MAX_BULK = 500
STATE_WORDS = {EntryState.DISETUJUI.value: ("approved", "disetujui"),
               EntryState.DIKEMBALIKAN.value: ("returned", "dikembalikan"),
               EntryState.DRAFT.value: ("a draft not submitted", "draf (belum diajukan)"),
               days.SUPERSEDED: ("replaced by a later submission", "diganti oleh pengiriman berikutnya")}


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _team(s: Session, supervisor_nip: str) -> Sequence[Any]:
    return s.execute(select(employees).where(employees.c.supervisor_nip == supervisor_nip,
                                             employees.c.status == "active").order_by(employees.c.name)).all()


def _board_owner(s: Session, caller: Any, of: Any) -> Any:
    """Whose team the board shows: mine, or (read only) that of someone below me in the chain."""
    if of is None or of == "" or of == caller.nip:
        return None
    person = staff.employee(s, of if isinstance(of, str) else None)
    if person is None or not staff.supervises(s, caller.nip, person):
        raise forbidden("You can see your own team, and the team of anyone below you in the chain of command (read "
                        "only).",
                        "Anda dapat melihat tim Anda sendiri, dan tim siapa pun di bawah Anda dalam rantai atasan "
                        "(hanya baca).")
    return person


def team_days(factory: sessionmaker[Session], ctx: RequestContext, start: Any,
              end: Any | None = None, of: Any = None) -> dict[str, Any]:
    """The board of a team for each day from `start` to `end` (a day or up to 31): per member each
    day's status, lateness, entries (with their RHK's text and target) and the supervisor's decisions
    on it (kept after a resubmission), their absences and blank working days (past days from their
    obligation start); the totals per status, and what waits for me. `of` names someone below me
    whose team I look into, read only (nothing there waits for me: only their own supervisor decides)."""
    caller = require(ctx.caller)
    first = days.parse_day(start)
    last = days.parse_day(end) if end else first
    if last < first or (last - first).days >= MAX_RANGE_DAYS:
        raise validation_error([FieldError("to", "range", f"The range runs forward and spans at most {MAX_RANGE_DAYS} "
                                           "days.", f"Rentang tanggal maju dan paling panjang {MAX_RANGE_DAYS} hari.")])
    today = config.today()
    with factory() as s:
        owner = _board_owner(s, caller, of)
        lead = owner.nip if owner is not None else caller.nip
        members = _team(s, lead)
        nips = [m.nip for m in members]
        summary = {(r.nip, r.date): r for r in s.execute(select(day_status).where(
            day_status.c.nip.in_(nips), day_status.c.date >= first, day_status.c.date <= last))}
        found = s.execute(select(entries).where(entries.c.nip.in_(nips), entries.c.date >= first,
                                                entries.c.date <= last, entries.c.state != days.SUPERSEDED)
                          .order_by(entries.c.date, entries.c.seq)).all()
        labels = history.rhk_labels(s, (r.rhk_id for r in found))
        live = defaultdict(list)
        for r in found:
            live[(r.nip, r.date)].append(history.with_rhk(days.entry_view(r), labels))
        decided = history.decisions(s, nips, first, last)
        leads = set(s.scalars(select(employees.c.supervisor_nip).where(
            employees.c.supervisor_nip.in_(nips), employees.c.status == "active").distinct())) if nips else set()
        totals: Counter = Counter()
        waiting: dict[str, Any] = {"entries": 0, "days": []}
        result = []
        for m in members:
            settings, _, _ = staff.settings_of(s, m.agency_id)
            away = staff.absences_of(s, m.nip, first, last)
            cal = EmployeeCalendar(settings.calendar(), away)
            obligation = staff.obligation_of(s, m, settings)
            counts: Counter[str]
            rows, blank, counts = [], [], Counter()
            for info in cal.days(first, last):
                row = summary.get((m.nip, info.date))
                status = row.status if row is not None else \
                    status_of_day((), working_day=info.working, absence=info.absence).value
                if status == DayStatus.BELUM_DIISI and info.date < today and obligation is not None \
                        and info.date >= obligation:
                    blank.append(info.date.isoformat())
                counts[status] += 1
                day_entries = live.get((m.nip, info.date), [])
                pending = sum(1 for e in day_entries if e["state"] == EntryState.DIAJUKAN.value)
                if pending and owner is None:
                    waiting["entries"] += pending
                    waiting["days"].append({"nip": m.nip, "name": m.name, "date": info.date.isoformat(),
                                            "entries": pending})
                rows.append({"date": info.date.isoformat(), "status": status, "late": bool(row and row.late),
                             "absence": info.absence.value if info.absence else None,
                             "entries": day_entries, "decisions": decided.get((m.nip, info.date), [])})
            totals.update(counts)
            result.append({"nip": m.nip, "name": m.name, "days": rows, "blank_working_days": blank,
                           "counts": {s_.value: counts.get(s_.value, 0) for s_ in DayStatus},
                           "absences": [{"kind": a.kind.value, "start": a.start.isoformat(), "end": a.end.isoformat()}
                                        for a in away],
                           "obligation_start": obligation.isoformat() if obligation else None,
                           "has_team": m.nip in leads})
        return {"from": first.isoformat(), "to": last.isoformat(),
                "supervisor": {"nip": lead, "name": (owner or staff.employee(s, caller.nip) or caller).name},
                "read_only": owner is not None,
                "totals": {s_.value: totals.get(s_.value, 0) for s_ in DayStatus},
                "waiting_for_me": waiting, "team": result}


def decide(factory: sessionmaker[Session], outbox: Outbox, ctx: RequestContext, entry_ids: Any, action: str,
           note: Any = None) -> dict[str, Any]:
    """Approve or return submitted entries of my team; all or nothing: one entry that is not mine to
    judge, or not waiting, refuses the whole request and changes nothing."""
    caller = require(ctx.caller)
    if action not in ("approve", "return"):
        raise validation_error([FieldError("action", "one-of", "action must be approve or return.",
                                           "action harus approve (setujui) atau return (kembalikan).")])
    if not isinstance(entry_ids, list) or not entry_ids or not all(isinstance(i, str) for i in entry_ids) \
            or len(entry_ids) > MAX_BULK:
        raise validation_error([FieldError("entry_ids", "list", f"Choose 1 to {MAX_BULK} activities.",
                                           f"Pilih 1 sampai {MAX_BULK} kegiatan.")])
    if action == "return" and not (isinstance(note, str) and note.strip()):
        raise validation_error([FieldError("note", "required", "Say what must change when returning an activity.",
                                           "Tuliskan apa yang harus diperbaiki saat mengembalikan kegiatan.")])
    ids = list(dict.fromkeys(entry_ids))
    with unit_of_work(factory) as s:
        rows = s.execute(select(entries).where(entries.c.id.in_(ids)).with_for_update()).all()
        found = {r.id: r for r in rows}
        missing = [i for i in ids if i not in found]
        if missing:
            raise DomainError(code="not-found", status=404, title="Not found",
                              detail=f"{len(missing)} of the chosen activities no longer exist (the employee may have "
                                     "submitted the day again): reload the team's days and choose again.",
                              detail_id=f"{len(missing)} kegiatan yang dipilih sudah tidak ada (pegawai mungkin "
                                        "sudah mengirim ulang hari itu): muat ulang hari-hari tim lalu pilih kembali.",
                              extra={"field": "entry_ids", "missing": missing})
        owners = {r.nip for r in rows}
        team = {m.nip: m for m in _team(s, caller.nip)}
        if not owners <= team.keys():
            raise forbidden("You can approve or return only the activities of those who report to you directly: "
                            "the others' are their own supervisor's to decide.",
                            "Anda hanya dapat menyetujui atau mengembalikan kegiatan pegawai yang atasan langsungnya "
                            "Anda: kegiatan pegawai lain diputuskan oleh atasan langsung mereka.")
        waiting = [r for r in rows if r.state != EntryState.DIAJUKAN.value]
        if waiting:
            first = waiting[0]
            person = team[first.nip]
            state_en, state_id = STATE_WORDS.get(first.state, (first.state, first.state))
            raise DomainError(code="wrong-state", status=409, title="Not waiting for a decision",
                              detail=f"The activity \"{_short(first.description)}\" of {person.name} on "
                                     f"{first.date} is {state_en}, not waiting for a decision: only submitted "
                                     "activities are approved or returned.",
                              detail_id=f"Kegiatan \"{_short(first.description)}\" milik {person.name} tanggal "
                                        f"{first.date} berstatus {state_id}, tidak menunggu keputusan: hanya kegiatan "
                                        "yang diajukan yang dapat disetujui atau dikembalikan.",
                              extra={"field": "entry_ids", "entry_id": first.id, "state": first.state,
                                     "required_state": "diajukan"})
        state = EntryState.DISETUJUI if action == "approve" else EntryState.DIKEMBALIKAN
        now = utcnow()
        s.execute(update(entries).where(entries.c.id.in_(ids)).values(
            state=state.value, note=note.strip() if action == "return" else None, decided_by=caller.nip,
            decided_at=now, updated_at=now))
        by_day: dict[tuple[str, dt.date], list[str]] = defaultdict(list)
        for r in rows:
            by_day[(r.nip, r.date)].append(r.id)
        changed = []
        for (nip, day), day_ids in sorted(by_day.items()):
            owner = team[nip]
            history.record_decision(s, nip, day, action, note.strip() if action == "return" else None, caller.nip,
                                    now, (found[i] for i in day_ids))
            status = days.refresh_day(s, owner, day)
            data = {"nip": nip, "agency_id": owner.agency_id, "unit_id": owner.unit_id, "date": day.isoformat(),
                    "entry_ids": day_ids, "day_status": status, "validator_nip": caller.nip}
            if action == "return":
                data["note"] = note.strip()
            outbox.add(s, "harian.approved" if action == "approve" else "harian.returned", nip, data)
            changed.append({"nip": nip, "date": day.isoformat(), "entries": len(day_ids), "day_status": status})
        return {"action": action, "days": changed}
