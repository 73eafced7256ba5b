"""What the computation knows of one employee-month, all of it received by events (no RPC):

- each working day's final standing from `harian.day_closed` (date, status, entries, blank,
  justified, absence, late);
- how many daily entries were returned (dikembalikan) in the month, from `harian.returned`;
- the latest predikat from `skp.evaluated`, and the annual predikat per year.

The plain form `parse_employee_month` reads (and `EmployeeMonth.to_dict` writes):

```json
{"nip": "199001012020121001", "name": "Siti Aminah", "kelas_jabatan": 8, "month": "2026-03",
 "agency_id": "kemendemo",
 "working_days": ["2026-03-02", "..."],
 "days": [{"date": "2026-03-02", "status": "disetujui", "entries": 2, "blank": false,
           "justified": false, "absence": null, "late": false}, "..."],
 "returned_entries": 0,
 "predikat": "baik",
 "predikat_history": {"2025": "baik"}}
```

`agency_id`, `working_days`, `returned_entries` (0), `predikat` (none), `predikat_history` ({}),
`obligation_start` (none: the date from which harian required a daily entry, as its closings say)
are optional. Each day is a `harian.day_closed` data object; `blank`, `justified`, `entries`,
`absence`, `late` may be left out (they follow from `status`), extra keys of the event (nip,
agency_id, unit_id) are accepted and a `nip` must be the employee's. `working_days`, when
given, is the agency's list of the month's working days for the employee: the computation then
refuses to run while one of them has no closed day (409), and ignores closed days not in it (a
day declared a holiday after it closed). Without it, the days given are the working days.
`returned_entries` is a count given by the caller: the entries named by `harian.returned` events
of the month's days (an entry returned twice counts twice).
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

import orjson

from ekinerja_kernel.errors import DomainError, FieldError, validation_error
from ekinerja_kernel.identifiers import is_nip

from .predikat import Predikat, read_predikat

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_NAME = 200
MAX_COUNT = 100_000
_TOP_KEYS = ("nip", "name", "kelas_jabatan", "month", "agency_id", "working_days", "days", "returned_entries",
             "predikat", "predikat_history", "obligation_start")


class DayStatus(StrEnum):
    """A closed day's status: the `harian.day_closed` wire values (plus libur, never sent)."""

    BELUM_DIISI = "belum_diisi"  # blank: nothing written, no justified absence
    DRAFT = "draft"  # written, never submitted
    DIAJUKAN = "diajukan"  # submitted, waiting for the supervisor
    DISETUJUI = "disetujui"  # approved
    DIKEMBALIKAN = "dikembalikan"  # returned by the supervisor
    JUSTIFIED = "justified"  # nothing written, a justified absence covers the day
    LIBUR = "libur"  # not a working day: ignored


# A day "reported" = at least one entry was submitted to the supervisor.
REPORTED = frozenset({DayStatus.DIAJUKAN, DayStatus.DISETUJUI, DayStatus.DIKEMBALIKAN})


class AbsenceKind(StrEnum):
    CUTI = "cuti"
    SAKIT = "sakit"
    DINAS_LUAR = "dinas_luar"


@dataclass(frozen=True)
class DayFacts:
    """One working day as `harian.day_closed` closed it."""

    date: dt.date
    status: DayStatus
    entries: int = 0
    absence: AbsenceKind | None = None
    late: bool = False

    @property
    def blank(self) -> bool:
        return self.status is DayStatus.BELUM_DIISI

    @property
    def justified(self) -> bool:
        return self.status is DayStatus.JUSTIFIED

    @property
    def working(self) -> bool:
        return self.status is not DayStatus.LIBUR

    @property
    def reported(self) -> bool:
        return self.status in REPORTED

    def to_dict(self) -> dict[str, Any]:
        return {"date": self.date.isoformat(), "status": self.status.value, "entries": self.entries,
                "blank": self.blank, "justified": self.justified,
                "absence": None if self.absence is None else self.absence.value, "late": self.late}


@dataclass(frozen=True)
class EmployeeMonth:
    nip: str
    name: str
    kelas_jabatan: int
    year: int
    month: int
    days: tuple[DayFacts, ...]
    returned_entries: int = 0
    predikat: Predikat | None = None  # of the latest evaluation received
    predikat_history: Mapping[int, Predikat] = field(default_factory=dict)  # annual predikat by year
    agency_id: str | None = None
    working_days: tuple[dt.date, ...] | None = None
    obligation_start: dt.date | None = None  # from when a daily entry was owed (harian.day_closed)

    def __post_init__(self) -> None:
        object.__setattr__(self, "days", tuple(sorted(self.days, key=lambda d: d.date)))
        object.__setattr__(self, "predikat_history", MappingProxyType(dict(sorted(self.predikat_history.items()))))
        if self.working_days is not None:
            object.__setattr__(self, "working_days", tuple(sorted(set(self.working_days))))

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last_day(self) -> dt.date:
        return dt.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def month_key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def missing_days(self) -> tuple[dt.date, ...]:
        """Working days without a closed day (only known when `working_days` is given)."""
        if self.working_days is None:
            return ()
        closed = {d.date for d in self.days}
        return tuple(d for d in self.working_days if d not in closed)

    def working(self) -> tuple[DayFacts, ...]:
        """The month's working days, in date order: the days given, minus libur ones and, when
        `working_days` is given, minus those not in it."""
        allowed = None if self.working_days is None else set(self.working_days)
        return tuple(d for d in self.days if d.working and (allowed is None or d.date in allowed))

    def to_dict(self) -> dict[str, Any]:
        return {
            "nip": self.nip, "name": self.name, "kelas_jabatan": self.kelas_jabatan, "month": self.month_key,
            "agency_id": self.agency_id,
            "working_days": None if self.working_days is None else [d.isoformat() for d in self.working_days],
            "days": [d.to_dict() for d in self.days],
            "returned_entries": self.returned_entries,
            "predikat": None if self.predikat is None else self.predikat.value,
            "predikat_history": {str(y): p.value for y, p in self.predikat_history.items()},
            "obligation_start": None if self.obligation_start is None else self.obligation_start.isoformat(),
        }

    def canonical_json(self) -> str:
        return canonical_json(self.to_dict())


def canonical_json(value: Any) -> str:
    """`value` as canonical JSON: keys sorted, no insignificant whitespace, non-ASCII as it is. What the
    input digest hashes, so it must never change for the same facts: orjson writes these plain values
    (text, integers, booleans, null, lists, objects) byte for byte as json.dumps(sort_keys=True,
    separators=(",", ":"), ensure_ascii=False) does, several times faster (a month of 50,000
    employees writes 50,000 of them); anything orjson refuses is written by json.dumps itself."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode("utf-8")
    except orjson.JSONEncodeError:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def consistency_errors(facts: EmployeeMonth,
                       numbered: Iterable[tuple[int, DayFacts]] | None = None) -> list[FieldError]:
    """What is wrong with facts built in code (parse_employee_month checks the same). Day errors
    are named by the index in `numbered` (the input's order) or else in `facts.days` (date order)."""
    errors: list[FieldError] = []
    if not is_nip(facts.nip):
        errors.append(FieldError("nip", "nip", "nip must be 18 digits.", "nip harus 18 digit."))
    if not 1 <= facts.month <= 12 or not 2000 <= facts.year <= 2100:
        errors.append(FieldError("month", "month", "month must be a real month YYYY-MM.",
                                 "month harus bulan yang benar dengan format YYYY-MM."))
        return errors
    if facts.returned_entries < 0:
        errors.append(FieldError("returned_entries", "range", "returned_entries cannot be negative.",
                                 "returned_entries tidak boleh negatif."))
    seen: set[dt.date] = set()
    first, last = facts.first_day, facts.last_day
    for i, day in (enumerate(facts.days) if numbered is None else numbered):
        if not first <= day.date <= last:
            errors.append(FieldError(f"days[{i}].date", "in-month", f"{day.date} is not in {facts.month_key}.",
                                     f"{day.date} tidak berada dalam bulan {facts.month_key}."))
        elif day.date in seen:
            errors.append(FieldError(f"days[{i}].date", "unique", f"{day.date} is given twice.",
                                     f"{day.date} tercantum dua kali."))
        seen.add(day.date)
    for i, working in enumerate(facts.working_days or ()):
        if not first <= working <= last:
            errors.append(FieldError(f"working_days[{i}]", "in-month", f"{working} is not in {facts.month_key}.",
                                     f"{working} tidak berada dalam bulan {facts.month_key}."))
    return errors


def _date(value: Any, path: str, errors: list[FieldError]) -> dt.date | None:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    errors.append(FieldError(path, "date", f"{path} must be a real date written YYYY-MM-DD.",
                             f"{path} harus tanggal yang benar dengan format YYYY-MM-DD."))
    return None


def _count(value: Any, path: str, errors: list[FieldError], default: int = 0) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        errors.append(FieldError(path, "range", f"{path} must be a whole number from 0 to {MAX_COUNT}.",
                                 f"{path} harus bilangan bulat dari 0 sampai {MAX_COUNT}."))
        return default
    return value


def _flag(value: Any, path: str, errors: list[FieldError]) -> bool | None:
    if value is None:
        return None
    if not isinstance(value, bool):
        errors.append(FieldError(path, "boolean", f"{path} must be true or false.", f"{path} harus true atau false."))
        return None
    return value


def _day(raw: Any, path: str, nip: str | None, errors: list[FieldError]) -> DayFacts | None:
    if not isinstance(raw, Mapping):
        errors.append(FieldError(path, "object", f"{path} must be a harian.day_closed object.",
                                 f"{path} harus berupa objek harian.day_closed."))
        return None
    before = len(errors)
    day = _date(raw.get("date"), f"{path}.date", errors)
    status: DayStatus | None = None
    try:
        status = DayStatus(raw.get("status"))  # type: ignore[arg-type]  # Enum(None) raises the ValueError handled below
    except ValueError:
        allowed = ", ".join(s.value for s in DayStatus)
        errors.append(FieldError(f"{path}.status", "one-of", f"{path}.status must be one of: {allowed}.",
                                 f"{path}.status harus salah satu dari: {allowed}."))
    entries = _count(raw.get("entries"), f"{path}.entries", errors)
    absence: AbsenceKind | None = None
    if raw.get("absence") is not None:
        try:
            absence = AbsenceKind(raw.get("absence"))  # type: ignore[arg-type]  # get() is typed Any | None; not None here (above)
        except ValueError:
            allowed = ", ".join(a.value for a in AbsenceKind)
            errors.append(FieldError(f"{path}.absence", "one-of", f"{path}.absence must be null or one of: {allowed}.",
                                     f"{path}.absence harus null atau salah satu dari: {allowed}."))
    late = _flag(raw.get("late"), f"{path}.late", errors)
    blank = _flag(raw.get("blank"), f"{path}.blank", errors)
    justified = _flag(raw.get("justified"), f"{path}.justified", errors)
    if status is not None:
        if blank is not None and blank != (status is DayStatus.BELUM_DIISI):
            errors.append(FieldError(f"{path}.blank", "agrees-with-status",
                                     f"{path}.blank must be {str(not blank).lower()} for status {status.value}.",
                                     f"{path}.blank harus {str(not blank).lower()} untuk status {status.value}."))
        if justified is not None and justified != (status is DayStatus.JUSTIFIED):
            errors.append(FieldError(f"{path}.justified", "agrees-with-status",
                                     f"{path}.justified must be {str(not justified).lower()} for status "
                                     f"{status.value}.",
                                     f"{path}.justified harus {str(not justified).lower()} untuk status "
                                     f"{status.value}."))
    if raw.get("nip") is not None and nip is not None and raw.get("nip") != nip:
        errors.append(FieldError(f"{path}.nip", "same-employee", f"{path} is another employee's day.",
                                 f"{path} adalah hari milik pegawai lain."))
    if len(errors) > before or day is None or status is None:
        return None
    return DayFacts(day, status, entries, absence, bool(late))


def parse_employee_month(raw: Any) -> EmployeeMonth:
    """An employee-month from its plain form (see the module), or one 422 problem naming every bad field."""
    if not isinstance(raw, Mapping):
        raise validation_error([FieldError("facts", "object", "The facts must be an object.",
                                           "Data harus berupa objek.")])
    errors: list[FieldError] = []
    for key in raw:
        if key not in _TOP_KEYS:
            errors.append(FieldError(str(key), "unknown", f"{key} is not a known fact.",
                                     f"{key} bukan data yang dikenal."))
    nip = raw.get("nip")
    if not is_nip(nip):
        errors.append(FieldError("nip", "nip", "nip must be 18 digits.", "nip harus 18 digit."))
        nip = None
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        errors.append(FieldError("name", "required", f"name is required (at most {MAX_NAME} characters).",
                                 f"name wajib diisi (paling banyak {MAX_NAME} karakter)."))
        name = None
    kelas = raw.get("kelas_jabatan")
    if isinstance(kelas, bool) or not isinstance(kelas, int) or not 1 <= kelas <= 27:
        errors.append(FieldError("kelas_jabatan", "range-1-27", "kelas_jabatan must be a whole number from 1 to 27.",
                                 "kelas_jabatan harus bilangan bulat dari 1 sampai 27."))
        kelas = None
    year = month = None
    found = _MONTH.match(given) if isinstance(given := raw.get("month"), str) else None
    if found and 2000 <= int(found.group(1)) <= 2100 and 1 <= int(found.group(2)) <= 12:
        year, month = int(found.group(1)), int(found.group(2))
    else:
        errors.append(FieldError("month", "month", "month must be a real month written YYYY-MM.",
                                 "month harus bulan yang benar dengan format YYYY-MM."))
    agency_id = raw.get("agency_id")
    if agency_id is not None and (not isinstance(agency_id, str) or not agency_id.strip()):
        errors.append(FieldError("agency_id", "text", "agency_id must be text or null.",
                                 "agency_id harus berupa teks atau null."))
        agency_id = None

    working_days: tuple[dt.date, ...] | None = None
    if raw.get("working_days") is not None:
        if not isinstance(raw["working_days"], list):
            errors.append(FieldError("working_days", "list", "working_days must be a list of dates.",
                                     "working_days harus berupa daftar tanggal."))
        else:
            parsed = [_date(v, f"working_days[{i}]", errors) for i, v in enumerate(raw["working_days"])]
            working_days = tuple(d for d in parsed if d is not None)

    days: list[tuple[int, DayFacts]] = []
    raw_days = raw.get("days")
    if not isinstance(raw_days, list):
        errors.append(FieldError("days", "list", "days must be a list of harian.day_closed objects.",
                                 "days harus berupa daftar objek harian.day_closed."))
        raw_days = []
    for i, item in enumerate(raw_days):
        day = _day(item, f"days[{i}]", nip, errors)
        if day is not None:
            days.append((i, day))

    returned = _count(raw.get("returned_entries"), "returned_entries", errors)
    latest: Predikat | None = None
    if raw.get("predikat") is not None:
        latest, found_errors = read_predikat(raw.get("predikat"), "predikat")
        errors += found_errors
    history: dict[int, Predikat] = {}
    raw_history = raw.get("predikat_history") or {}
    if not isinstance(raw_history, Mapping):
        errors.append(FieldError("predikat_history", "object", "predikat_history must map years to predikat.",
                                 "predikat_history harus memetakan tahun ke predikat."))
        raw_history = {}
    for key, value in raw_history.items():
        history_year, year_errors = read_year(key, f"predikat_history.{key}")
        value_predikat, value_errors = read_predikat(value, f"predikat_history.{key}")
        errors += year_errors + value_errors
        if history_year is not None and value_predikat is not None:
            if history_year in history:
                errors.append(FieldError(f"predikat_history.{key}", "unique", f"{history_year} is given twice.",
                                         f"{history_year} tercantum dua kali."))
            history[history_year] = value_predikat

    obligation = None
    if raw.get("obligation_start") is not None:
        obligation = _date(raw.get("obligation_start"), "obligation_start", errors)

    if errors:
        raise _invalid(errors)
    assert nip is not None and name is not None and kelas is not None and year is not None and month is not None
    facts = EmployeeMonth(nip, name.strip(), kelas, year, month, tuple(d for _, d in days), returned, latest,
                          history, agency_id, working_days, obligation)
    errors = consistency_errors(facts, days)
    if errors:
        raise _invalid(errors)
    return facts


def read_year(value: Any, path: str) -> tuple[int | None, list[FieldError]]:
    """A year 2000..2100 given as a number or as text ("2025": JSON object keys are text)."""
    if isinstance(value, int) and not isinstance(value, bool):
        number: int | None = value
    elif isinstance(value, str) and value.strip().isdigit() and len(value.strip()) == 4:
        number = int(value.strip())
    else:
        number = None
    if number is None or not 2000 <= number <= 2100:
        return None, [FieldError(path, "year", f"{path}: the year must be 2000..2100.",
                                 f"{path}: tahun harus 2000..2100.")]
    return number, []


def _invalid(errors: Iterable[FieldError]) -> DomainError:
    return validation_error(list(errors), detail="The employee-month facts are not valid.",
                            detail_id="Data pegawai untuk bulan ini tidak valid.")
