"""An agency's daily-progress settings: Saturday work, its own holidays and declared working days,
the back-fill window, and its go-live (the date from which its employees must log every working
day, see domain.obligation). Parsed from what the agency admin sends, every broken rule at once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ekinerja_kernel.errors import FieldError, validation_error

from .absences import DEFAULT_MAX_DAYS, parse_max_days
from .backfill import DEFAULT_BACKFILL_DAYS, MAX_BACKFILL_DAYS
from .workdays import AbsenceKind, AgencyCalendar, read_date

MAX_HOLIDAY_NAME = 200
# Daily progress is required from 2026 (docs/domain.md); a go-live before 2020 is a typo.
FIRST_GO_LIVE, LAST_GO_LIVE = dt.date(2020, 1, 1), dt.date(2100, 12, 31)


@dataclass(frozen=True)
class AgencySettings:
    work_saturday: bool = False
    backfill_days: int = DEFAULT_BACKFILL_DAYS
    extra_holidays: Mapping[dt.date, str] = field(default_factory=dict)  # date -> name
    extra_working_days: frozenset[dt.date] = frozenset()
    go_live: dt.date | None = None  # None: nobody owes a day harian did not see them for
    absence_max_days: Mapping[AbsenceKind, int] = field(default_factory=lambda: dict(DEFAULT_MAX_DAYS))

    def calendar(self) -> AgencyCalendar:
        return AgencyCalendar(self.work_saturday, self.extra_holidays, self.extra_working_days)


def parse_agency_settings(raw: Any) -> AgencySettings:
    """From {"work_saturday": bool, "backfill_days": int,
    "extra_holidays": [{"date": "YYYY-MM-DD", "name": str}], "extra_working_days": ["YYYY-MM-DD"],
    "go_live": "YYYY-MM-DD" | null, "absence_max_days": {kind: days}}; every key is optional.
    Raises one 422 problem listing every broken rule."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise validation_error([FieldError("settings", "object", "The settings must be an object.",
                                           "Pengaturan harus berupa objek.")])
    errors: list[FieldError] = []

    work_saturday = raw.get("work_saturday", False)
    if not isinstance(work_saturday, bool):
        errors.append(FieldError("work_saturday", "boolean", "work_saturday must be true or false.",
                                 "work_saturday harus true atau false."))
        work_saturday = False

    backfill_days = raw.get("backfill_days", DEFAULT_BACKFILL_DAYS)
    if backfill_days is None:
        backfill_days = DEFAULT_BACKFILL_DAYS
    if isinstance(backfill_days, bool) or not isinstance(backfill_days, int) \
            or not 0 <= backfill_days <= MAX_BACKFILL_DAYS:
        errors.append(FieldError(
            "backfill_days", "range",
            f"backfill_days must be a whole number of working days from 0 to {MAX_BACKFILL_DAYS}.",
            f"backfill_days harus bilangan bulat hari kerja dari 0 sampai {MAX_BACKFILL_DAYS}."))
        backfill_days = DEFAULT_BACKFILL_DAYS

    agency_holidays: dict[dt.date, str] = {}
    raw_holidays = raw.get("extra_holidays") or []
    if not isinstance(raw_holidays, list):
        errors.append(FieldError("extra_holidays", "list", "extra_holidays must be a list.",
                                 "extra_holidays harus berupa daftar."))
        raw_holidays = []
    for i, item in enumerate(raw_holidays):
        path = f"extra_holidays[{i}]"
        if not isinstance(item, dict):
            errors.append(FieldError(path, "object", "Each agency holiday must be an object {date, name}.",
                                     "Setiap libur instansi harus berupa objek {date, name}."))
            continue
        day, date_errors = read_date(item.get("date"), f"{path}.date")
        errors += date_errors
        name = item.get("name")
        name = name.strip() if isinstance(name, str) else ""
        if not name:
            errors.append(FieldError(f"{path}.name", "required", "The agency holiday needs a name.",
                                     "Libur instansi wajib diberi nama."))
        elif len(name) > MAX_HOLIDAY_NAME:
            errors.append(FieldError(f"{path}.name", "max-length",
                                     f"The name is at most {MAX_HOLIDAY_NAME} characters.",
                                     f"Nama paling banyak {MAX_HOLIDAY_NAME} karakter."))
        if day is not None and day in agency_holidays:
            errors.append(FieldError(f"{path}.date", "unique", f"{day} is listed twice.",
                                     f"{day} tercantum dua kali."))
        elif day is not None:
            agency_holidays[day] = name

    working: set[dt.date] = set()
    raw_working = raw.get("extra_working_days") or []
    if not isinstance(raw_working, list):
        errors.append(FieldError("extra_working_days", "list", "extra_working_days must be a list.",
                                 "extra_working_days harus berupa daftar."))
        raw_working = []
    for i, item in enumerate(raw_working):
        path = f"extra_working_days[{i}]"
        day, date_errors = read_date(item, path)
        errors += date_errors
        if day is None:
            continue
        if day in working:
            errors.append(FieldError(path, "unique", f"{day} is listed twice.", f"{day} tercantum dua kali."))
        elif day in agency_holidays:
            errors.append(FieldError(path, "conflict",
                                     f"{day} cannot be both an agency holiday and a declared working day.",
                                     f"{day} tidak dapat sekaligus menjadi libur instansi dan hari kerja."))
        working.add(day)

    go_live = None
    if raw.get("go_live") is not None:
        go_live, date_errors = read_date(raw.get("go_live"), "go_live")
        errors += date_errors
        if go_live is not None and not FIRST_GO_LIVE <= go_live <= LAST_GO_LIVE:
            errors.append(FieldError("go_live", "range",
                                     f"go_live must be a date from {FIRST_GO_LIVE} to {LAST_GO_LIVE}.",
                                     f"go_live harus tanggal dari {FIRST_GO_LIVE} sampai {LAST_GO_LIVE}."))
            go_live = None

    max_days, max_errors = parse_max_days(raw.get("absence_max_days"))
    errors += max_errors

    if errors:
        raise validation_error(errors, detail="The agency's daily-progress settings break one or more rules.",
                               detail_id="Pengaturan progres harian instansi melanggar satu atau lebih aturan.")
    return AgencySettings(work_saturday, backfill_days, agency_holidays, frozenset(working), go_live, max_days)
