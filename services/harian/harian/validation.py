"""The supervisor's side: my team's days with their statuses and blank days, and approving or
returning entries (one or many at once), each announced as harian.approved / harian.returned."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel import config
from ekinerja_kernel.caller import RequestContext, forbidden, require
from ekinerja_kernel.db import unit_of_work
from ekinerja_kernel.errors import DomainError, FieldError, validation_error
from ekinerja_kernel.events import utcnow
from ekinerja_kernel.outbox import Outbox

from . import days, staff
from .domain.status import DayStatus, EntryState
from .domain.status import day_status as status_of_day
from .domain.workdays import EmployeeCalendar
from .tables import day_status, employees, entries

MAX_RANGE_DAYS = 31
MAX_BULK = 500


def _team(s: Session, supervisor_nip: str) -> list[Any]:
    return s.execute(select(employees).where(employees.c.supervisor_nip == supervisor_nip,
                                             employees.c.status == "active").order_by(employees.c.name)).all()


def team_days(factory: sessionmaker[Session], ctx: RequestContext, start: Any,
              end: Any | None = None) -> dict[str, Any]:
    """For each member of my team and each day from `start` to `end` (a day or up to 31): the status,
    lateness and entries; and each member's blank working days (past days only)."""
    caller = require(ctx.caller)
    first = days.parse_day(start)
    last = days.parse_day(end) if end else first
    if last < first or (last - first).days >= MAX_RANGE_DAYS:
        raise validation_error([FieldError("to", "range", f"The range runs forward and spans at most {MAX_RANGE_DAYS} "
                                           "days.", f"Rentang tanggal maju dan paling panjang {MAX_RANGE_DAYS} hari.")])
    today = config.today()
    with factory() as s:
        members = _team(s, caller.nip)
        nips = [m.nip for m in members]
        summary = {(r.nip, r.date): r for r in s.execute(select(day_status).where(
            day_status.c.nip.in_(nips), day_status.c.date >= first, day_status.c.date <= last))}
        live = defaultdict(list)
        for r in s.execute(select(entries).where(entries.c.nip.in_(nips), entries.c.date >= first,
                                                 entries.c.date <= last, entries.c.state != days.SUPERSEDED)
                           .order_by(entries.c.date, entries.c.seq)):
            live[(r.nip, r.date)].append(days.entry_view(r))
        result = []
        for m in members:
            settings, _, _ = staff.settings_of(s, m.agency_id)
            cal = EmployeeCalendar(settings.calendar(), staff.absences_of(s, m.nip, first, last))
            rows, blank = [], []
            for info in cal.days(first, last):
                row = summary.get((m.nip, info.date))
                status = row.status if row is not None else \
                    status_of_day((), working_day=info.working, absence=info.absence).value
                if status == DayStatus.BELUM_DIISI and info.date < today:
                    blank.append(info.date.isoformat())
                rows.append({"date": info.date.isoformat(), "status": status, "late": bool(row and row.late),
                             "absence": info.absence.value if info.absence else None,
                             "entries": live.get((m.nip, info.date), [])})
            result.append({"nip": m.nip, "name": m.name, "days": rows, "blank_working_days": blank})
        return {"from": first.isoformat(), "to": last.isoformat(), "team": result}


def decide(factory: sessionmaker[Session], outbox: Outbox, ctx: RequestContext, entry_ids: Any, action: str,
           note: Any = None) -> dict[str, Any]:
    """Approve or return submitted entries of my team; all or nothing: one entry that is not mine to
    judge, or not waiting, refuses the whole request and changes nothing."""
    caller = require(ctx.caller)
    if action not in ("approve", "return"):
        raise validation_error([FieldError("action", "one-of", "action must be approve or return.",
                                           "action harus approve atau return.")])
    if not isinstance(entry_ids, list) or not entry_ids or not all(isinstance(i, str) for i in entry_ids) \
            or len(entry_ids) > MAX_BULK:
        raise validation_error([FieldError("entry_ids", "list", f"Give 1 to {MAX_BULK} entry ids.",
                                           f"Berikan 1 sampai {MAX_BULK} id entri.")])
    if action == "return" and not (isinstance(note, str) and note.strip()):
        raise validation_error([FieldError("note", "required", "Say what must change when returning an entry.",
                                           "Tuliskan apa yang harus diperbaiki saat mengembalikan entri.")])
    ids = list(dict.fromkeys(entry_ids))
    with unit_of_work(factory) as s:
        rows = s.execute(select(entries).where(entries.c.id.in_(ids)).with_for_update()).all()
        found = {r.id: r for r in rows}
        missing = [i for i in ids if i not in found]
        if missing:
            raise DomainError(code="not-found", status=404, title="Not found",
                              detail=f"No entry with id {missing[0]}.",
                              detail_id=f"Entri {missing[0]} tidak ditemukan.",
                              extra={"field": "entry_ids", "missing": missing})
        owners = {r.nip for r in rows}
        team = {m.nip: m for m in _team(s, caller.nip)}
        if not owners <= team.keys():
            raise forbidden("You can only validate the entries of your own team.",
                            "Anda hanya dapat memvalidasi entri anggota tim Anda sendiri.")
        waiting = [r for r in rows if r.state != EntryState.DIAJUKAN.value]
        if waiting:
            raise DomainError(code="wrong-state", status=409, title="Not waiting for validation",
                              detail=f"Entry {waiting[0].id} is '{waiting[0].state}', not 'diajukan'.",
                              detail_id=f"Entri {waiting[0].id} berstatus '{waiting[0].state}', bukan 'diajukan'.",
                              extra={"field": "entry_ids", "state": waiting[0].state, "required_state": "diajukan"})
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
            status = days.refresh_day(s, owner, day)
            data = {"nip": nip, "agency_id": owner.agency_id, "unit_id": owner.unit_id, "date": day.isoformat(),
                    "entry_ids": day_ids, "day_status": status, "validator_nip": caller.nip}
            if action == "return":
                data["note"] = note.strip()
            outbox.add(s, "harian.approved" if action == "approve" else "harian.returned", nip, data)
            changed.append({"nip": nip, "date": day.isoformat(), "entries": len(day_ids), "day_status": status})
        return {"action": action, "days": changed}
