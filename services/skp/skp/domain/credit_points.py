"""Angka kredit for functional positions (PermenPANRB 1/2023, PerBKN 3/2023):
AK = months/12 × predikat% × annual coefficient, rounded to 2 decimals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ekinerja_kernel.errors import FieldError, validation_error

from .predikat import Predikat

PREDIKAT_PERCENT = {
    Predikat.SANGAT_BAIK: Decimal(150), Predikat.BAIK: Decimal(100), Predikat.BUTUH_PERBAIKAN: Decimal(75),
    Predikat.KURANG: Decimal(50), Predikat.SANGAT_KURANG: Decimal(25),
}

# Annual coefficient by jenjang: expert track [firm], skill track [likely].
COEFFICIENTS = {
    "Ahli Pertama": Decimal("12.5"), "Ahli Muda": Decimal(25), "Ahli Madya": Decimal("37.5"),
    "Ahli Utama": Decimal(50),
    "Pemula": Decimal("3.75"), "Terampil": Decimal(5), "Mahir": Decimal("12.5"), "Penyelia": Decimal(25),
}


def credit_points(months: int, value: Predikat, jenjang: str) -> Decimal | None:
    """None when the jenjang earns no credit points (not a functional position)."""
    coefficient = COEFFICIENTS.get(jenjang)
    if coefficient is None:
        return None
    if not 1 <= months <= 12:
        raise ValueError("months must be 1..12")
    # Multiply first, divide once: months/12 alone would be cut at 28 digits and turn an exact
    # half (e.g. 0.625) into 0.6249… before rounding.
    raw = Decimal(months) * PREDIKAT_PERCENT[value] * coefficient / Decimal(1200)
    return raw.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --- counted once per year ---------------------------------------------------------------------------
# The year's points come from the annual evaluation. A periodic evaluation counts only where its
# period ends a position (the employee moved, was promoted, or left): that is a conversion of the
# months from the start of the year, or from the previous conversion, to the period's end; the annual
# evaluation then counts the months after the last conversion. Never both for the same month.

POSITION_ENDS = ("moved", "promoted", "left")


def ends_position(value: Any, period_kind: str) -> str | None:
    """How the period ends the employee's position (None: it does not), for a periodic period only."""
    if value is None:
        return None
    if value not in POSITION_ENDS:
        raise validation_error([FieldError(
            "ends_position", "one-of", f"ends_position is one of {', '.join(POSITION_ENDS)}, or absent.",
            f"ends_position salah satu dari {', '.join(POSITION_ENDS)}, atau dikosongkan.")])
    if period_kind == "annual":
        raise validation_error([FieldError(
            "ends_position", "periodic-only",
            "The annual evaluation already counts the year: a position ends in a periodic period.",
            "Penilaian tahunan sudah menghitung setahun penuh: jabatan berakhir pada periode periodik.")])
    return value


@dataclass(frozen=True)
class Counted:
    """One rated evaluation of an SKP's year, as the count sees it."""

    key: str
    kind: str  # annual | monthly | quarterly
    start: dt.date
    end: dt.date
    ends_position: str | None


def count_year(rated: Iterable[Counted]) -> dict[str, int]:
    """The months of credit points each rated evaluation of one year counts (0: none)."""
    result: dict[str, int] = {}
    through = 0  # the last month already converted
    periodic = sorted((c for c in rated if c.kind != "annual"), key=lambda c: c.end)
    for c in periodic:
        if c.ends_position is None:
            result[c.key] = 0
        else:
            result[c.key] = max(0, c.end.month - through)
            through = max(through, c.end.month)
    for c in rated:
        if c.kind == "annual":
            result[c.key] = 12 - through
    return result
