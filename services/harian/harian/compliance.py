"""Compliance numbers (issue #5 item 8) for an employee, a unit or an agency, over a day or a range
of up to 31 days, answered from the day_status read model (grouped counts over its agency/date and
unit/date indexes) and the headcount of the employees read-copy: no entry is read.

Counted per employee-day on the working days of each member's agency calendar:

    employee_days = justified + draft + filled + blank + open
    filled        = submitted (diajukan) + approved (disetujui) + returned (dikembalikan)
                  = on_time + late

- justified: a justified absence covers the day and nothing was written (work recorded on such a
  day counts by its status, as everywhere else);
- draft: written but not submitted;
- blank: nothing written on a past working day (before `today`); open: nothing written yet on
  today or a later day (not blank yet).
Members are the currently active employees of the scope; their days are counted where the read
model recorded them (an employee moved from another unit brings no rows of the old one).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel import config
from ekinerja_kernel.caller import Caller, RequestContext, forbidden, require
from ekinerja_kernel.errors import FieldError, not_found, validation_error

from . import staff
from .domain.status import DayStatus
from .domain.workdays import AgencyCalendar, read_date
from .tables import absences, day_status, employees

MAX_RANGE_DAYS = 31
SCOPES = ("employee", "unit", "agency")
FILLED = {DayStatus.DIAJUKAN.value: "submitted", DayStatus.DISETUJUI.value: "approved",
          DayStatus.DIKEMBALIKAN.value: "returned"}
COUNTS = ("employee_days", "justified", "draft", "filled", "on_time", "late", "submitted", "approved", "returned",
          "blank", "open")


@dataclass(frozen=True)
class StatusCount:
    """How many members of `agency_id` had a day_status row with this status and lateness on `date`."""

    date: dt.date
    agency_id: str | None
    status: str
    late: bool
    count: int


def tally(calendars: Mapping[Any, AgencyCalendar], headcount: Mapping[Any, int], rows: Iterable[StatusCount],
          justified: Mapping[tuple[Any, dt.date], int], start: dt.date, end: dt.date,
          today: dt.date) -> dict[str, Any]:
    """The counts from `start` to `end` (see the module) and the same per date.

    `calendars` and `headcount` are per agency of the members; `justified[(agency, date)]` counts
    members with a justified absence and no row that day. Rows of days that are not working days
    of their agency are left out (nothing was expected then)."""
    by_date: dict[dt.date, Counter] = {}
    working_dates = set()
    day = start
    while day <= end:
        counts: Counter = Counter()
        for agency_id, members in headcount.items():
            if members and calendars[agency_id].is_working_day(day):
                working_dates.add(day)
                counts["employee_days"] += members
                counts["justified"] += justified.get((agency_id, day), 0)
        by_date[day] = counts
        day += dt.timedelta(days=1)
    for r in rows:
        if r.date not in by_date or r.agency_id not in headcount \
                or not calendars[r.agency_id].is_working_day(r.date):
            continue
        counts = by_date[r.date]
        if r.status in FILLED:
            counts["filled"] += r.count
            counts[FILLED[r.status]] += r.count
            counts["late" if r.late else "on_time"] += r.count
        else:
            counts["draft"] += r.count
        counts["written"] += r.count
    total: Counter = Counter()
    listed = []
    for day, counts in by_date.items():
        nothing = counts["employee_days"] - counts["justified"] - counts.pop("written", 0)
        counts["blank" if day < today else "open"] += max(nothing, 0)
        total.update(counts)
        listed.append({"date": day.isoformat(), "working": day in working_dates,
                       **{k: counts.get(k, 0) for k in COUNTS}})
    return {"working_days": len(working_dates), **{k: total.get(k, 0) for k in COUNTS}, "by_date": listed}


# --- reading the read model ----------------------------------------------------------------------

def _members(scope: str, id_: str):
    where = [employees.c.status == "active"]
    if scope == "employee":
        where.append(employees.c.nip == id_)
    elif scope == "unit":
        where.append(employees.c.unit_id == id_)
    else:
        where.append(employees.c.agency_id == id_)
    return where


def _rows(s: Session, scope: str, id_: str, start: dt.date, end: dt.date) -> list[StatusCount]:
    where = [day_status.c.date >= start, day_status.c.date <= end, *_members(scope, id_)]
    if scope == "unit":
        where.append(day_status.c.unit_id == id_)
    elif scope == "agency":
        where.append(day_status.c.agency_id == id_)
    query = (select(day_status.c.date, employees.c.agency_id, day_status.c.status, day_status.c.late,
                    func.count().label("n"))
             .join(employees, employees.c.nip == day_status.c.nip).where(*where)
             .group_by(day_status.c.date, employees.c.agency_id, day_status.c.status, day_status.c.late))
    return [StatusCount(r.date, r.agency_id, r.status, bool(r.late), r.n) for r in s.execute(query)]


def _justified(s: Session, scope: str, id_: str, start: dt.date, end: dt.date,
               calendars: Mapping[Any, AgencyCalendar]) -> dict[tuple[Any, dt.date], int]:
    """(agency, date) -> members with a justified absence on that working day and nothing written."""
    away = s.execute(select(absences.c.nip, absences.c.start_date, absences.c.end_date, employees.c.agency_id)
                     .join(employees, employees.c.nip == absences.c.nip)
                     .where(absences.c.start_date <= end, absences.c.end_date >= start,
                            *_members(scope, id_))).all()
    if not away:
        return {}
    nips = sorted({a.nip for a in away})
    written = {(r.nip, r.date) for r in s.execute(select(day_status.c.nip, day_status.c.date).where(
        day_status.c.nip.in_(nips), day_status.c.date >= start, day_status.c.date <= end))}
    covered: dict[tuple[Any, dt.date], set[str]] = defaultdict(set)
    for a in away:
        day = max(a.start_date, start)
        while day <= min(a.end_date, end):
            if calendars[a.agency_id].is_working_day(day) and (a.nip, day) not in written:
                covered[(a.agency_id, day)].add(a.nip)
            day += dt.timedelta(days=1)
    return {key: len(members) for key, members in covered.items()}


def compute(s: Session, scope: str, id_: str, start: dt.date, end: dt.date, today: dt.date) -> dict[str, Any]:
    """The numbers for a scope already authorised; plain, so tests can call it with their dates."""
    headcount: dict[Any, int] = dict(s.execute(select(employees.c.agency_id, func.count()).where(*_members(scope, id_))
                               .group_by(employees.c.agency_id)).all())
    calendars = {agency_id: staff.settings_of(s, agency_id)[0].calendar() for agency_id in headcount}
    result = tally(calendars, headcount, _rows(s, scope, id_, start, end),
                   _justified(s, scope, id_, start, end, calendars), start, end, today)
    return {"scope": scope, "id": id_, "from": start.isoformat(), "to": end.isoformat(), "today": today.isoformat(),
            "headcount": sum(headcount.values()), **result}


# --- access ---------------------------------------------------------------------------------------

def _refused() -> Exception:
    return forbidden("You can see the compliance numbers of yourself, your team, a unit where you supervise "
                     "someone, or as an admin your agency and its units.",
                     "Anda dapat melihat angka kepatuhan diri sendiri, tim Anda, unit tempat Anda membawahi "
                     "pegawai, atau sebagai admin instansi Anda beserta unitnya.")


def authorise(s: Session, caller: Caller, scope: str, id_: str) -> None:
    """Nothing when `caller` may see the scope; a 403 problem otherwise (404 only for a national
    admin, who may see everything, asking for something harian does not know)."""
    if scope == "employee":
        if caller.nip == id_:
            return
        person = staff.employee(s, id_)
        if person is None:
            raise not_found("employee", "Pegawai", id_) if caller.has("admin_nasional") else _refused()
        if person.supervisor_nip == caller.nip or caller.administers(person.agency_id):
            return
    elif scope == "unit":
        agencies = set(s.scalars(select(employees.c.agency_id).where(employees.c.unit_id == id_).distinct()))
        if not agencies and caller.has("admin_nasional"):
            raise not_found("unit", "Unit", id_)
        if any(caller.administers(a) for a in agencies if a):
            return
        if s.execute(select(employees.c.nip).where(employees.c.unit_id == id_, employees.c.status == "active",
                                                   employees.c.supervisor_nip == caller.nip).limit(1)).first():
            return
    elif caller.administers(id_):
        return
    raise _refused()


def _range(start: Any, end: Any) -> tuple[dt.date, dt.date]:
    first, errors = read_date(start, "from")
    last = first
    if end is not None and end != "":
        last, more = read_date(end, "to")
        errors += more
    if errors:
        raise validation_error(errors)
    assert first is not None and last is not None  # read_date gives a date when it gives no error
    if last < first or (last - first).days >= MAX_RANGE_DAYS:
        raise validation_error([FieldError("to", "range", f"The range runs forward and spans at most {MAX_RANGE_DAYS} "
                                           "days.", f"Rentang tanggal maju dan paling panjang {MAX_RANGE_DAYS} hari.")])
    return first, last


def compliance(factory: sessionmaker[Session], ctx: RequestContext, scope: Any, id_: Any, start: Any,
               end: Any = None) -> dict[str, Any]:
    caller = require(ctx.caller)
    errors = []
    if scope not in SCOPES:
        errors.append(FieldError("scope", "one-of", "scope must be employee, unit or agency.",
                                 "scope harus employee, unit, atau agency."))
    if not isinstance(id_, str) or not id_.strip():
        errors.append(FieldError("id", "required", "id names the employee (NIP), unit or agency.",
                                 "id menyebut pegawai (NIP), unit, atau instansi."))
    if errors:
        raise validation_error(errors)
    first, last = _range(start, end)
    with factory() as s:
        authorise(s, caller, scope, id_)
        return compute(s, scope, id_, first, last, config.today())

