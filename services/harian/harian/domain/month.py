"""One employee's month at a glance: every day with its status, and the blank working days
(a blank working day may count as a day not worked, docs/domain.md "Daily progress")."""

from __future__ import annotations

import calendar as _stdlib_calendar
import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .status import DayStatus, day_status
from .workdays import Absence, AbsenceKind, AgencyCalendar, DayOff, EmployeeCalendar


@dataclass(frozen=True)
class MonthDay:
    date: dt.date
    status: DayStatus
    working: bool
    off: DayOff | None  # why not a working day
    absence: AbsenceKind | None  # the justified absence on a working day
    required: bool = True  # a daily entry was owed: a working day, no absence, on or after the obligation start


@dataclass(frozen=True)
class MonthView:
    year: int
    month: int
    days: tuple[MonthDay, ...]
    blank_working_days: tuple[dt.date, ...]

    def counts(self) -> dict[str, int]:
        """How many days of the month have each status (every status listed, zeros included)."""
        found = Counter(d.status for d in self.days)
        return {s.value: found.get(s, 0) for s in DayStatus}


def month_view(calendar: AgencyCalendar, absences: Iterable[Absence], year: int, month: int,
               statuses: Mapping[dt.date, DayStatus | str], today: dt.date | None = None,
               required_from: dt.date | None | bool = True) -> MonthView:
    """Every day of `month` with its status.

    `statuses` maps the days that have entries to the status `status.day_status` gave them; only
    the entry statuses (draft, diajukan, disetujui, dikembalikan) are taken from it, the others
    (libur, justified, belum_diisi) always come from the calendar and the absences, so a stale map
    cannot hide a holiday or invent a blank day. A working day with neither entries nor absence is
    blank; with `today` given, only days before today count as blank (today is not over, and the
    future has not happened), though they still show "belum_diisi".

    `required_from` is the first day the employee must log (domain.obligation): days before it are
    never blank (`required` false) though they show "belum_diisi" when nothing was written; None
    means nothing is owed yet; True (the default) that every day is.
    """
    if not 1 <= month <= 12:
        raise ValueError("month must be 1..12")
    employee = EmployeeCalendar(calendar, absences)
    last = _stdlib_calendar.monthrange(year, month)[1]
    days: list[MonthDay] = []
    blank: list[dt.date] = []
    for number in range(1, last + 1):
        info = employee.day(dt.date(year, month, number))
        given = statuses.get(info.date)
        given = DayStatus(given) if given is not None else None
        owed = required_from is True or (isinstance(required_from, dt.date) and info.date >= required_from)
        if given is not None and given.from_entries:
            status = given
        else:
            status = day_status((), working_day=info.working, absence=info.absence)
            if status is DayStatus.BELUM_DIISI and owed and (today is None or info.date < today):
                blank.append(info.date)
        days.append(MonthDay(info.date, status, info.working, info.off, info.absence,
                             owed and info.working and info.absence is None))
    return MonthView(year, month, tuple(days), tuple(blank))
