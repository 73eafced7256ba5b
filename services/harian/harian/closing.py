"""harian.day_closed (issue #5 item 7): once a working day can no longer be written (it is older than
the agency's back-fill window), each active employee's day is announced once, with its final
status, for the allowance service: {nip, agency_id, unit_id, date, status, entries, blank,
justified, absence, late}.

- status: the read model's status of the day (draft, diajukan, disetujui, dikembalikan) when it
  has entries; "justified" when a justified absence covers it and nothing was written;
  "belum_diisi" otherwise. `blank` is status == "belum_diisi", `justified` status == "justified";
  `absence` names the absence covering the day (cuti, sakit, dinas_luar) even when work was
  recorded on it, else null. A supervisor's later decision is announced by harian.approved /
  harian.returned; the closing is not repeated.
- Each (nip, date) is closed once (`day_closures`); the closer looks back CLOSE_LOOKBACK_DAYS
  calendar days before the oldest open date, and never before the employee's obligation to log
  started (domain.obligation: the agency's go-live or the employee's start, whichever is later; for
  an agency without a go-live, the day the closer first saw them, `employee_first_seen`), so nobody
  gets blank days from before they had to log. Each closing names that date (`obligation_start`).
- Employees are taken in chunks (one transaction each, events in the same transaction through the
  outbox), yielding to the hub between chunks.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import eventlet
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel import config
from ekinerja_kernel.db import unit_of_work
from ekinerja_kernel.events import utcnow
from ekinerja_kernel.outbox import Outbox
from ekinerja_kernel.service import BackgroundLoop

from . import monitoring, staff
from .domain.backfill import earliest_allowed
from .domain.obligation import obligation_start
from .domain.status import DayStatus
from .domain.status import day_status as status_of_day
from .domain.workdays import Absence, AbsenceKind
from .tables import absences, day_closures, day_status, employee_first_seen, employees

log = logging.getLogger(__name__)

CLOSE_LOOKBACK_DAYS = 10  # calendar days before the oldest open date that a late closer still closes
CHUNK = 300  # employees per transaction


def closable_days(calendar: Any, backfill_days: int, today: dt.date,
                  lookback: int = CLOSE_LOOKBACK_DAYS) -> list[dt.date]:
    """Working days no longer open for entries on `today`, the most recent `lookback` calendar days
    of them (counted back from the oldest open date, or from today when none is open), oldest first."""
    boundary = earliest_allowed(calendar, today, backfill_days) or today
    return calendar.working_days(boundary - dt.timedelta(days=lookback), boundary - dt.timedelta(days=1))


def _closing(person: Any, day: dt.date, row: Any, absence: AbsenceKind | None,
             obligation: dt.date | None) -> dict[str, Any]:
    if row is not None:
        status, count, late = row.status, row.entries, bool(row.late)
    else:  # a working day with nothing written: blank, unless an absence justifies it
        status, count, late = status_of_day((), absence=absence).value, 0, False
    return {"nip": person.nip,
            "agency_id": row.agency_id if row is not None and row.agency_id else person.agency_id,
            "unit_id": row.unit_id if row is not None and row.unit_id else person.unit_id,
            "date": day.isoformat(), "status": status, "entries": count,
            "blank": status == DayStatus.BELUM_DIISI.value, "justified": status == DayStatus.JUSTIFIED.value,
            "absence": absence.value if absence is not None else None, "late": late,
            "obligation_start": obligation.isoformat() if obligation is not None else None}


def _close_chunk(s: Session, outbox: Outbox, people: Sequence[Any], today: dt.date,
                 windows: dict[Any, tuple[list[dt.date], dt.date | None]]) -> int:
    nips = [p.nip for p in people]
    first_seen = {r.nip: r.first_seen for r in s.execute(select(employee_first_seen).where(
        employee_first_seen.c.nip.in_(nips)))}
    new = [n for n in nips if n not in first_seen]
    if new:
        s.execute(insert(employee_first_seen), [{"nip": n, "first_seen": today} for n in new])
    due: dict[str, list[dt.date]] = {}
    since_of: dict[str, dt.date] = {}
    for p in people:
        closable, go_live = windows[p.agency_id]
        # Without a go-live, someone seen for the first time today owes nothing old enough to close.
        since = obligation_start(go_live, p.nip, first_seen.get(p.nip))
        if since is None:
            continue
        since_of[p.nip] = since
        days = [d for d in closable if d >= since]
        if days:
            due[p.nip] = days
    if not due:
        return 0
    start = min(d for days in due.values() for d in days)
    end = max(d for days in due.values() for d in days)
    nips = list(due)
    closed = {(r.nip, r.date) for r in s.execute(select(day_closures.c.nip, day_closures.c.date).where(
        day_closures.c.nip.in_(nips), day_closures.c.date >= start, day_closures.c.date <= end))}
    rows = {(r.nip, r.date): r for r in s.execute(select(day_status).where(
        day_status.c.nip.in_(nips), day_status.c.date >= start, day_status.c.date <= end))}
    away: dict[str, list[Absence]] = defaultdict(list)
    for r in s.execute(select(absences).where(absences.c.nip.in_(nips), absences.c.start_date <= end,
                                              absences.c.end_date >= start).order_by(absences.c.start_date)):
        away[r.nip].append(Absence(AbsenceKind(r.kind), r.start_date, r.end_date))
    count = 0
    now = utcnow()
    for p in people:
        for day in due.get(p.nip, ()):
            if (p.nip, day) in closed:
                continue
            absence = next((a.kind for a in away.get(p.nip, ()) if a.covers(day)), None)
            data = _closing(p, day, rows.get((p.nip, day)), absence, since_of[p.nip])
            monitoring.touch_day(s, p.nip, day, lock=False)
            s.execute(insert(day_closures).values(
                nip=p.nip, date=day, agency_id=data["agency_id"], unit_id=data["unit_id"], status=data["status"],
                entries=data["entries"], late=data["late"], absence=data["absence"], closed_at=now))
            outbox.add(s, "harian.day_closed", p.nip, data)
            count += 1
    return count


def close_days(factory: sessionmaker[Session], outbox: Outbox, today: dt.date, chunk: int = CHUNK,
               lookback: int = CLOSE_LOOKBACK_DAYS) -> int:
    """Closes every active employee's working days that are no longer open on `today` and not closed
    yet, announcing each as harian.day_closed; returns how many were closed."""
    windows: dict[Any, tuple[list[dt.date], dt.date | None]] = {}
    total = 0
    last = ""
    while True:
        with unit_of_work(factory) as s:
            people = s.execute(select(employees.c.nip, employees.c.agency_id, employees.c.unit_id)
                               .where(employees.c.status == "active", employees.c.nip > last)
                               .order_by(employees.c.nip).limit(chunk)).all()
            if not people:
                return total
            for agency_id in {p.agency_id for p in people} - windows.keys():
                settings, _, _ = staff.settings_of(s, agency_id)
                windows[agency_id] = (closable_days(settings.calendar(), settings.backfill_days, today, lookback),
                                      settings.go_live)
            total += _close_chunk(s, outbox, people, today, windows)
        last = people[-1].nip
        eventlet.sleep(0)  # a chunk at a time: the hub (and the AMQP heartbeats) get their turn


class DayCloser(BackgroundLoop):
    """Closes the days that left the back-fill window, every HARIAN_CLOSE_POLL_SECONDS (default 300)."""

    identifier = "harian-day-closer"
    poll_setting = ("HARIAN_CLOSE_POLL_SECONDS", 300.0)

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    def work_once(self) -> int:
        closed = close_days(self.factory, self.outbox, config.today())
        if closed:
            log.info("closed %d employee-days", closed)
        return 0  # everything due is closed; the next days become due with the clock


def reclose_days(s: Session, outbox: Outbox, person: Any, start: dt.date, end: dt.date,
                 extra: Absence | None = None) -> int:
    """Absences changed (recorded late, corrected or withdrawn): every already-closed day from
    `start` to `end` is judged again with the absences recorded now (and `extra`, when given), and
    announced again when its standing changed, so the allowance service recomputes from it; the
    closure row follows."""
    rows = s.execute(select(day_closures).where(
        day_closures.c.nip == person.nip, day_closures.c.date >= start, day_closures.c.date <= end)).all()
    if not rows:
        return 0
    away = [*([extra] if extra is not None else []), *staff.absences_of(s, person.nip, start, end)]
    obligation = staff.obligation_of(s, person)
    count = 0
    for closure in rows:
        row = s.execute(select(day_status).where(day_status.c.nip == person.nip,
                                                 day_status.c.date == closure.date)).first()
        absence = next((a.kind for a in away if a.covers(closure.date)), None)
        data = _closing(person, closure.date, row, absence, obligation)
        if (data["status"], data["absence"]) == (closure.status, closure.absence):
            continue
        monitoring.touch_day(s, person.nip, closure.date)
        s.execute(update(day_closures).where(day_closures.c.nip == person.nip, day_closures.c.date == closure.date)
                  .values(status=data["status"], absence=data["absence"], closed_at=utcnow()))
        outbox.add(s, "harian.day_closed", person.nip, data)
        count += 1
    return count


def reclose_for_absence(s: Session, outbox: Outbox, person: Any, absence: Absence) -> int:
    """A justification recorded late: the closed days it covers, announced again where they change."""
    return reclose_days(s, outbox, person, absence.start, absence.end, absence)
