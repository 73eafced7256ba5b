"""The status of one day for one employee, as supervisors see their team (docs/domain.md "Daily progress":
not started, draft, submitted, approved; plus returned, justified absence and non-working day).

Each entry (activity record) of a day is in one state: draft, diajukan (submitted), disetujui
(approved) or dikembalikan (returned by the supervisor with a note). The day's status is:

1. the day has entries → from the entries alone, first rule that holds:
   a. any entry dikembalikan               → "dikembalikan" (the employee has something to fix);
   b. any entry draft                       → "draft" (the day is not wholly submitted yet);
   c. any entry diajukan (none draft/returned) → "diajukan" (waiting for the supervisor);
   d. every entry disetujui                 → "disetujui".
   Entries decide even on a day that is (now) not working or covered by an absence: work that
   was written down is shown and reviewed, never hidden.
2. no entries, and not a working day        → "libur";
3. no entries, a justified absence          → "justified";
4. no entries, a working day                → "belum_diisi" (blank).

"Late": a day is late when one of its entries was first submitted on a later calendar date than
the day itself (submitted_at's local date > the day). Pass each entry's FIRST submission time: a
returned entry fixed and resubmitted later was not late. Unsubmitted entries are never late
(they are blank or draft, which the status already says).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from .workdays import AbsenceKind, EmployeeCalendar


class EntryState(StrEnum):
    DRAFT = "draft"
    DIAJUKAN = "diajukan"
    DISETUJUI = "disetujui"
    DIKEMBALIKAN = "dikembalikan"


class DayStatus(StrEnum):
    BELUM_DIISI = "belum_diisi"  # a working day with nothing written: blank
    DRAFT = "draft"
    DIAJUKAN = "diajukan"
    DISETUJUI = "disetujui"
    DIKEMBALIKAN = "dikembalikan"
    JUSTIFIED = "justified"  # cuti, sakit, dinas luar
    LIBUR = "libur"  # not a working day

    @property
    def from_entries(self) -> bool:
        """Statuses that only entries can give (the others come from the calendar)."""
        return self in _ENTRY_STATUSES


_ENTRY_STATUSES = frozenset({DayStatus.DRAFT, DayStatus.DIAJUKAN, DayStatus.DISETUJUI, DayStatus.DIKEMBALIKAN})


@dataclass(frozen=True)
class EntryFacts:
    """What the status of a day needs to know of one entry."""

    state: EntryState
    submitted_at: dt.datetime | dt.date | None = None  # first submission; None if never submitted


@dataclass(frozen=True)
class DayAssessment:
    date: dt.date
    status: DayStatus
    late: bool
    absence: AbsenceKind | None


def combine_states(states: Iterable[EntryState | str]) -> DayStatus | None:
    """The day's status from its entries' states (rules 1a–1d), or None when there are none."""
    found = {EntryState(s) for s in states}
    if not found:
        return None
    if EntryState.DIKEMBALIKAN in found:
        return DayStatus.DIKEMBALIKAN
    if EntryState.DRAFT in found:
        return DayStatus.DRAFT
    if EntryState.DIAJUKAN in found:
        return DayStatus.DIAJUKAN
    return DayStatus.DISETUJUI


def day_status(entries: Iterable[EntryFacts], *, working_day: bool = True,
               absence: AbsenceKind | None = None) -> DayStatus:
    """The status of a day (see the module's rules)."""
    from_entries = combine_states(e.state for e in entries)
    if from_entries is not None:
        return from_entries
    if not working_day:
        return DayStatus.LIBUR
    if absence is not None:
        return DayStatus.JUSTIFIED
    return DayStatus.BELUM_DIISI


def is_late(day: dt.date, submitted_at: dt.datetime | dt.date | None, tz: dt.tzinfo | None = None) -> bool:
    """Submitted after the day ended: the submission's local date is later than `day`. An aware
    `submitted_at` is converted to `tz` (the employee's zone: WIB, WITA or WIT) when given; a
    naive one is taken as local time already."""
    if submitted_at is None:
        return False
    if isinstance(submitted_at, dt.datetime):
        if tz is not None and submitted_at.tzinfo is not None:
            submitted_at = submitted_at.astimezone(tz)
        submitted_on = submitted_at.date()
    else:
        submitted_on = submitted_at
    return submitted_on > day


def day_is_late(day: dt.date, entries: Iterable[EntryFacts], tz: dt.tzinfo | None = None) -> bool:
    """Any of the day's entries was first submitted after the day."""
    return any(is_late(day, e.submitted_at, tz) for e in entries)


def assess_day(calendar: EmployeeCalendar, day: dt.date, entries: Iterable[EntryFacts],
               tz: dt.tzinfo | None = None) -> DayAssessment:
    """Status and lateness of `day` for the employee whose calendar this is."""
    entries = tuple(entries)
    info = calendar.day(day)
    status = day_status(entries, working_day=info.working, absence=info.absence)
    return DayAssessment(day, status, day_is_late(day, entries, tz), info.absence)
