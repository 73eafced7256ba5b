"""The month an allowance is computed for, and when it may be paid.

- A month is written exactly `YYYY-MM` (`2026-01`): no single-digit month, no spaces, a year from
  FIRST_YEAR to LAST_YEAR. Anything else is refused with the field and the rule named, so `2026-1`
  and ` 2026-12 ` never reach a computation under another spelling of the same month.
- A month has closed once it is over and harian has closed a working day after its end: harian
  closes a day only once it left the agency's back-fill window, and the window moves forward day by
  day, so from then on no day of the month can be written any more and every fact of it is final.
  Until then a computation of the month is a preview: shown, marked so, never exported for payroll.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Any

from ekinerja_kernel.errors import DomainError, FieldError, validation_error

FIRST_YEAR, LAST_YEAR = 2020, 2100  # as the gateway bounds a plan year
MONTH_PATTERN = "^[0-9]{4}-(0[1-9]|1[0-2])$"
_MONTH = re.compile(MONTH_PATTERN)


def parse_month(value: Any, field: str = "month") -> tuple[int, int]:
    """(year, month) of `value` written exactly YYYY-MM; a 422 problem naming `field` otherwise."""
    if isinstance(value, str) and _MONTH.fullmatch(value) and FIRST_YEAR <= int(value[:4]) <= LAST_YEAR:
        return int(value[:4]), int(value[5:7])
    shown = value if isinstance(value, str) else type(value).__name__
    raise validation_error([FieldError(
        field, "month-format",
        f"{field} must be a month written exactly YYYY-MM (two-digit month, no spaces), from {FIRST_YEAR}-01 to "
        f"{LAST_YEAR}-12, e.g. 2026-03; got '{shown}'.",
        f"{field} harus bulan yang ditulis tepat YYYY-MM (bulan dua digit, tanpa spasi), dari {FIRST_YEAR}-01 "
        f"sampai {LAST_YEAR}-12, mis. 2026-03; yang diberikan '{shown}'.")])


def month_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def has_closed(year: int, month: int, today: dt.date, latest_closed_day: dt.date | None) -> bool:
    """Whether the month is over and harian closed a working day after it (see the module)."""
    _, last = month_bounds(year, month)
    return today > last and latest_closed_day is not None and latest_closed_day > last


def month_open(agency_id: str, month: str, revision: int) -> DomainError:
    """The refusal to export a month whose latest computation is a preview."""
    return DomainError(
        code="tukin-month-open", status=409, title="Month not closed",
        detail=f"The allowances of {agency_id} for {month} (revision {revision}) are a preview: the month has not "
               "closed yet, so days of it can still be written, justified or closed. The payroll export is given "
               "once the month is over and its last working days have left the back-fill window: then compute the "
               "month again (POST /api/v1/tukin/computations) and export that revision.",
        detail_id=f"Tunjangan {agency_id} bulan {month} (revisi {revision}) masih pratinjau: bulan itu belum "
                  "ditutup, sehingga hari-harinya masih dapat diisi, diberi keterangan, atau ditutup. Ekspor untuk "
                  "penggajian baru tersedia setelah bulan berakhir dan hari kerja terakhirnya lewat dari batas "
                  "pengisian mundur: hitung ulang bulan itu (POST /api/v1/tukin/computations) lalu ekspor revisi "
                  "tersebut.",
        extra={"field": "month", "month": month, "revision": revision, "preview": True})
