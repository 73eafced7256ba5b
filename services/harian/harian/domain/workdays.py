"""The working-day calendar of an agency, and an employee's view of it (docs/domain.md "Daily progress").

A day is a working day when, in this order of precedence:
1. the agency declared it a working day (``extra_working_days``, e.g. a working Saturday, or a
   cuti bersama day its public-service units must staff) → working, whatever else holds;
2. the agency declared it a holiday (``extra_holidays``, e.g. the regency's anniversary) → not;
3. it is an Indonesian national holiday (libur nasional) → not;
4. it is a cuti bersama (collective leave) day for ASN → not;
5. it is a Sunday, or a Saturday in an agency that does not work Saturdays → not;
6. otherwise → working.

National holidays and cuti bersama come from the ``holidays`` package (country "ID"): category
``public`` holds the libur nasional, category ``government`` the cuti bersama of the yearly SKB
(Surat Keputusan Bersama) of the Ministers of Religious Affairs, Manpower and Administrative
Reform. The package's dates are only as new as its release: when a year's SKB is revised, upgrade
the pin, or have the agency add/remove the day with the overrides meanwhile. Islamic holidays of
years past the package's confirmed ones are estimates ("(perkiraan)" in the name), and years
without any cuti bersama data are reported by ``has_cuti_bersama_data``.

An employee's justified absences (cuti, sakit, dinas luar) do not change the agency's calendar:
they mark working days on which no daily entry is required (``EmployeeCalendar``).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import holidays
from harian_contract.entry import read_date

from ekinerja_kernel.errors import FieldError

COUNTRY = "ID"
PUBLIC = "public"  # the holidays package's category for libur nasional
GOVERNMENT = "government"  # ... and for cuti bersama ASN
DEFAULT_AGENCY_HOLIDAY_NAME = "Libur instansi"
SEARCH_LIMIT_DAYS = 366  # how far to look for a working day before giving up

_WEEKDAY_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_WEEKDAY_ID = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")


class DayKind(StrEnum):
    """Why a day is, or is not, a working day."""

    WORKING = "working"
    WEEKEND = "weekend"
    NATIONAL_HOLIDAY = "national_holiday"  # libur nasional
    CUTI_BERSAMA = "cuti_bersama"  # collective leave of ASN
    AGENCY_HOLIDAY = "agency_holiday"  # declared by the agency


class AbsenceKind(StrEnum):
    """Justified absences: a working day on which no daily entry is required."""

    CUTI = "cuti"  # leave of any kind but sick leave: tahunan, besar, melahirkan, alasan penting...
    SAKIT = "sakit"  # sick
    DINAS_LUAR = "dinas_luar"  # official travel


ABSENCE_LABELS: dict[AbsenceKind, tuple[str, str]] = {
    AbsenceKind.CUTI: ("leave", "cuti"),
    AbsenceKind.SAKIT: ("sick", "sakit"),
    AbsenceKind.DINAS_LUAR: ("official travel", "dinas luar"),
}


@dataclass(frozen=True)
class DayOff:
    """A day that is not a working day, and why. `name` is the Indonesian (official) name of the
    holiday, `name_en` its English name; for a weekend, the day's name."""

    date: dt.date
    kind: DayKind
    name: str
    name_en: str

    @property
    def detail(self) -> str:
        """English, e.g. "a national holiday: Hari Kemerdekaan Republik Indonesia (Independence Day)"."""
        also = f" ({self.name_en})" if self.name_en and self.name_en != self.name else ""
        if self.kind is DayKind.WEEKEND:
            return f"a weekend day ({self.name_en})"
        if self.kind is DayKind.NATIONAL_HOLIDAY:
            return f"a national holiday: {self.name}{also}"
        if self.kind is DayKind.CUTI_BERSAMA:
            return f"a collective leave day (cuti bersama): {self.name}{also}"
        return f"an agency holiday: {self.name}"

    @property
    def detail_id(self) -> str:
        """Bahasa Indonesia, e.g. "hari libur nasional: Hari Kemerdekaan Republik Indonesia"."""
        if self.kind is DayKind.WEEKEND:
            return f"hari libur akhir pekan ({self.name})"
        if self.kind is DayKind.NATIONAL_HOLIDAY:
            return f"hari libur nasional: {self.name}"
        if self.kind is DayKind.CUTI_BERSAMA:
            return f"hari cuti bersama: {self.name}"
        return f"hari libur instansi: {self.name}"


@dataclass(frozen=True)
class Absence:
    """A justified absence of an employee, from `start` to `end` inclusive."""

    kind: AbsenceKind
    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("an absence cannot end before it starts")

    def covers(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class CalendarDay:
    """One day as an employee sees it."""

    date: dt.date
    working: bool  # a working day of the agency
    off: DayOff | None  # why it is not a working day (None on working days)
    absence: AbsenceKind | None  # a justified absence on a working day (None otherwise)

    @property
    def justified(self) -> bool:
        return self.absence is not None

    @property
    def required(self) -> bool:
        """A daily entry is expected: a working day without a justified absence."""
        return self.working and self.absence is None


# --- national holidays and cuti bersama --------------------------------------------------------

@functools.lru_cache(maxsize=32)
def _national_year(year: int) -> Mapping[dt.date, tuple[DayKind, str, str]]:
    """date -> (kind, Indonesian name, English name) of the year's libur nasional and cuti bersama."""
    result: dict[dt.date, tuple[DayKind, str, str]] = {}
    for kind, category in ((DayKind.CUTI_BERSAMA, GOVERNMENT), (DayKind.NATIONAL_HOLIDAY, PUBLIC)):
        names_id = holidays.country_holidays(COUNTRY, years=year, categories=(category,), language="id")
        names_en = holidays.country_holidays(COUNTRY, years=year, categories=(category,), language="en_US")
        for day in names_id:
            # A national holiday wins over a cuti bersama on the same date (written second).
            result[day] = (kind, "; ".join(names_id.get_list(day)), "; ".join(names_en.get_list(day)))
    return result


def national_day_off(day: dt.date) -> DayOff | None:
    """The national holiday or cuti bersama on `day`, if any (ignoring weekends and the agency)."""
    found = _national_year(day.year).get(day)
    if found is None:
        return None
    kind, name, name_en = found
    return DayOff(day, kind, name, name_en)


def has_cuti_bersama_data(year: int) -> bool:
    """Whether the installed holidays data has the cuti bersama of `year` (a year without any
    most likely means its SKB is newer than the package: warn the agency admin)."""
    return any(kind is DayKind.CUTI_BERSAMA for kind, _, _ in _national_year(year).values())


# --- the agency's calendar ----------------------------------------------------------------------

class AgencyCalendar:
    """Working days of one agency: Monday–Friday (or Monday–Saturday), minus national holidays and
    cuti bersama, with the agency's own holidays and declared working days applied on top."""

    def __init__(self, work_saturday: bool = False,
                 extra_holidays: Mapping[dt.date, str] | Iterable[dt.date] = (),
                 extra_working_days: Iterable[dt.date] = ()) -> None:
        if isinstance(extra_holidays, Mapping):
            agency_holidays = {d: (name or DEFAULT_AGENCY_HOLIDAY_NAME) for d, name in extra_holidays.items()}
        else:
            agency_holidays = {d: DEFAULT_AGENCY_HOLIDAY_NAME for d in extra_holidays}
        working = frozenset(extra_working_days)
        both = sorted(working & agency_holidays.keys())
        if both:
            raise ValueError(f"dates both agency holidays and working days: {', '.join(map(str, both))}")
        self._work_saturday = bool(work_saturday)
        self._extra_holidays: Mapping[dt.date, str] = dict(agency_holidays)
        self._extra_working_days = working

    @property
    def work_saturday(self) -> bool:
        return self._work_saturday

    @property
    def extra_holidays(self) -> dict[dt.date, str]:
        return dict(self._extra_holidays)

    @property
    def extra_working_days(self) -> frozenset[dt.date]:
        return self._extra_working_days

    def reason(self, day: dt.date) -> DayOff | None:
        """Why `day` is not a working day, or None when it is one."""
        if day in self._extra_working_days:
            return None
        if day in self._extra_holidays:
            name = self._extra_holidays[day]
            return DayOff(day, DayKind.AGENCY_HOLIDAY, name, name)
        national = national_day_off(day)
        if national is not None:
            return national
        weekday = day.weekday()
        if weekday == 6 or (weekday == 5 and not self._work_saturday):
            return DayOff(day, DayKind.WEEKEND, _WEEKDAY_ID[weekday], _WEEKDAY_EN[weekday])
        return None

    def kind(self, day: dt.date) -> DayKind:
        off = self.reason(day)
        return DayKind.WORKING if off is None else off.kind

    def is_working_day(self, day: dt.date) -> bool:
        return self.reason(day) is None

    def working_days(self, start: dt.date, end: dt.date) -> list[dt.date]:
        """Working days from `start` to `end`, both included, in order (empty if end < start)."""
        days = []
        day = start
        while day <= end:
            if self.is_working_day(day):
                days.append(day)
            day += dt.timedelta(days=1)
        return days

    def previous_working_days(self, day: dt.date, count: int) -> list[dt.date]:
        """The `count` working days strictly before `day`, the nearest first."""
        if count < 0:
            raise ValueError("count must not be negative")
        found: list[dt.date] = []
        cursor = day
        for _ in range(SEARCH_LIMIT_DAYS * max(count, 1)):
            if len(found) == count:
                return found
            cursor -= dt.timedelta(days=1)
            if self.is_working_day(cursor):
                found.append(cursor)
        if len(found) == count:
            return found
        raise ValueError(f"fewer than {count} working days in the year before {day}")

    def previous_working_day(self, day: dt.date) -> dt.date:
        return self.previous_working_days(day, 1)[0]


# --- an employee's view ------------------------------------------------------------------------

class EmployeeCalendar:
    """The agency's calendar seen by one employee: working days covered by a justified absence
    need no daily entry. When absences overlap, the first one given names the day's kind.
    Absences over non-working days change nothing (the day stays libur)."""

    def __init__(self, calendar: AgencyCalendar, absences: Iterable[Absence] = ()) -> None:
        self._calendar = calendar
        self._absences = tuple(absences)

    @property
    def calendar(self) -> AgencyCalendar:
        return self._calendar

    @property
    def absences(self) -> tuple[Absence, ...]:
        return self._absences

    def absence(self, day: dt.date) -> AbsenceKind | None:
        """The justified absence on `day`, if it is a working day covered by one."""
        if not self._calendar.is_working_day(day):
            return None
        return next((a.kind for a in self._absences if a.covers(day)), None)

    def day(self, day: dt.date) -> CalendarDay:
        off = self._calendar.reason(day)
        absence = None if off is not None else next((a.kind for a in self._absences if a.covers(day)), None)
        return CalendarDay(day, off is None, off, absence)

    def days(self, start: dt.date, end: dt.date) -> list[CalendarDay]:
        result = []
        day = start
        while day <= end:
            result.append(self.day(day))
            day += dt.timedelta(days=1)
        return result

    def required_days(self, start: dt.date, end: dt.date) -> list[dt.date]:
        """Working days without a justified absence, from `start` to `end` inclusive."""
        return [d.date for d in self.days(start, end) if d.required]


# --- parsing what callers send -------------------------------------------------------------------

def parse_absences(raw: Any, field: str = "absences") -> tuple[list[Absence], list[FieldError]]:
    """Absences from a list of {"kind", "start", "end"} (end defaults to start); errors are
    returned, not raised, so a caller can merge them with its own."""
    if raw is None:
        return [], []
    if not isinstance(raw, list):
        return [], [FieldError(field, "list", f"{field} must be a list.", f"{field} harus berupa daftar.")]
    result: list[Absence] = []
    errors: list[FieldError] = []
    allowed = ", ".join(k.value for k in AbsenceKind)
    for i, item in enumerate(raw):
        path = f"{field}[{i}]"
        if not isinstance(item, dict):
            errors.append(FieldError(path, "object", "Each absence must be an object.",
                                     "Setiap ketidakhadiran harus berupa objek."))
            continue
        item_errors: list[FieldError] = []
        try:
            kind = AbsenceKind(item.get("kind"))  # type: ignore[arg-type]  # Enum(None) raises the ValueError handled below
        except ValueError:
            kind = None
            item_errors.append(FieldError(f"{path}.kind", "one-of", f"kind must be one of: {allowed}.",
                                          f"kind harus salah satu dari: {allowed}."))
        start, start_errors = read_date(item.get("start"), f"{path}.start")
        item_errors += start_errors
        end_raw = item.get("end")
        end, end_errors = (start, []) if end_raw is None else read_date(end_raw, f"{path}.end")
        item_errors += end_errors
        if start is not None and end is not None and end < start:
            item_errors.append(FieldError(f"{path}.end", "not-before-start",
                                          f"The absence ends ({end}) before it starts ({start}).",
                                          f"Ketidakhadiran berakhir ({end}) sebelum dimulai ({start})."))
        errors += item_errors
        if not item_errors and kind is not None and start is not None and end is not None:
            result.append(Absence(kind, start, end))
    return result, errors
