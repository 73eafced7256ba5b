"""Money, percentages and dates: exact arithmetic and how they are written for people.

Money is `Decimal`, never float. Percentages stay exact; an amount is rounded ONCE, when it is
final, to whole rupiah with ROUND_HALF_UP (0.5 rupiah goes up), by `whole_rupiah`. Sums and
differences of whole-rupiah amounts need no rounding, so the lines of a computation always add up
to the rupiah.

Indonesian text writes 1.234.567 and 2,5%; English text 1,234,567 and 2.5%.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

HUNDRED = Decimal(100)
ZERO = Decimal(0)

MONTHS_ID = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
             "Oktober", "November", "Desember")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
             "October", "November", "December")


def whole_rupiah(amount: Decimal) -> Decimal:
    """`amount` rounded to whole rupiah, half up (away from zero on an exact half)."""
    return amount.quantize(Decimal(1), rounding=ROUND_HALF_UP)


def percent_of(base: Decimal, percent: Decimal) -> Decimal:
    """`percent`% of `base`, in whole rupiah: the product is exact, rounded once (half up)."""
    return whole_rupiah(base * percent / HUNDRED)


def plain(value: Decimal) -> str:
    """A decimal as plain text without exponent or trailing zeros: 7.50 → "7.5", 1E+2 → "100"."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def percent_text(value: Decimal, lang: str) -> str:
    """2.5 → "2,5%" (id) or "2.5%" (en)."""
    text = plain(value)
    return (text.replace(".", ",") if lang == "id" else text) + "%"


def rupiah_text(amount: Decimal, lang: str) -> str:
    """3217080 → "Rp 3.217.080" (id) or "Rp 3,217,080" (en); amounts are whole rupiah."""
    whole = int(whole_rupiah(amount))
    grouped = f"{abs(whole):,}"
    if lang == "id":
        grouped = grouped.replace(",", ".")
    return ("-" if whole < 0 else "") + "Rp " + grouped


def month_text(year: int, month: int, lang: str) -> str:
    """(2026, 3) → "Maret 2026" / "March 2026"."""
    return f"{(MONTHS_ID if lang == 'id' else MONTHS_EN)[month - 1]} {year}"


def date_text(day: dt.date, lang: str) -> str:
    """2026-03-02 → "2 Maret 2026" / "2 March 2026"."""
    return f"{day.day} {month_text(day.year, day.month, lang)}"


def dates_text(days: Sequence[dt.date], lang: str) -> str:
    """Days of one month: "2, 3 dan 6 Maret 2026" / "2, 3 and 6 March 2026"; others in full."""
    if not days:
        return ""
    if len({(d.year, d.month) for d in days}) > 1:
        parts = [date_text(d, lang) for d in days]
        tail = ""
    else:
        parts = [str(d.day) for d in days]
        tail = " " + month_text(days[0].year, days[0].month, lang)
    conjunction = " dan " if lang == "id" else " and "
    joined = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + conjunction + parts[-1]
    return joined + tail


def span_text(first: dt.date, last: dt.date, lang: str) -> str:
    """A run of days: "2–13 Maret 2026"; one day: "2 Maret 2026"."""
    if first == last:
        return date_text(first, lang)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{last.day} {month_text(last.year, last.month, lang)}"
    return f"{date_text(first, lang)} – {date_text(last, lang)}"
