"""Promotion eligibility hint (issue #6 item 5): regular promotion (kenaikan pangkat reguler) needs
an annual predikat of at least "Baik" in each of the last two years.

Order (docs/domain.md "Ratings and predikat"): Sangat Baik > Baik > Butuh Perbaikan (also "Cukup") >
Kurang/Misconduct > Sangat Kurang; "at least Baik" is Baik or Sangat Baik. A year with no annual
predikat does not meet the rule. This is a hint for the employee and the HR office, not a
decision: rank, service years and credit points are checked elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ekinerja_kernel.errors import FieldError, validation_error

from .facts import read_year
from .predikat import LABELS, Predikat, at_least, read_predikat

YEARS_NEEDED = 2
MINIMUM = Predikat.BAIK


@dataclass(frozen=True)
class YearCheck:
    year: int
    predikat: Predikat | None  # None: no annual predikat recorded for the year
    meets: bool

    def to_dict(self) -> dict[str, Any]:
        return {"year": self.year, "predikat": None if self.predikat is None else self.predikat.value,
                "meets": self.meets}


@dataclass(frozen=True)
class PromotionHint:
    eligible: bool
    minimum: Predikat
    years: tuple[YearCheck, ...]  # oldest first
    explanation_id: str
    explanation_en: str

    def to_dict(self) -> dict[str, Any]:
        return {"eligible": self.eligible, "minimum": self.minimum.value, "years": [y.to_dict() for y in self.years],
                "explanation": {"id": self.explanation_id, "en": self.explanation_en}}


def promotion_hint(history: Mapping[Any, Predikat | str], last_year: int | None = None, *,
                   years: int = YEARS_NEEDED, minimum: Predikat = MINIMUM) -> PromotionHint:
    """Whether the annual predikat of each of the `years` years ending with `last_year` is at
    least `minimum`. `history` maps a year (number or "2025") to its annual predikat (wire value,
    label or alias); `last_year` defaults to the latest year in it (pass the last completed year
    to have a missing year count as missing). A bad year or predikat is a 422 naming it."""
    errors: list[FieldError] = []
    parsed: dict[int, Predikat] = {}
    for key, value in history.items():
        year, year_errors = read_year(key, f"history.{key}")
        found, value_errors = read_predikat(value, f"history.{key}")
        errors += year_errors + value_errors
        if year is not None and found is not None:
            parsed[year] = found
    if errors:
        raise validation_error(errors, detail="The predikat history is not valid.",
                               detail_id="Riwayat predikat tidak valid.")
    if years < 1:
        raise ValueError("years must be at least 1")
    minimum_label = LABELS[minimum]
    if last_year is None:
        if not parsed:
            return PromotionHint(
                False, minimum, (),
                f"Belum ada predikat tahunan: kenaikan pangkat reguler memerlukan predikat minimal {minimum_label} "
                f"dalam {years} tahun terakhir.",
                f"No annual predikat yet: regular promotion needs at least {minimum_label} in each of the last "
                f"{years} years.")
        last_year = max(parsed)
    checks = tuple(YearCheck(y, parsed.get(y), parsed.get(y) is not None and at_least(parsed[y], minimum))
                   for y in range(last_year - years + 1, last_year + 1))
    eligible = all(c.meets for c in checks)

    def word(check: YearCheck, lang: str) -> str:
        if check.predikat is None:
            return f"{check.year}: " + ("tidak ada predikat" if lang == "id" else "no predikat")
        label = LABELS[check.predikat]
        if check.meets:
            return f"{check.year}: {label}"
        below = f"di bawah {minimum_label}" if lang == "id" else f"below {minimum_label}"
        return f"{check.year}: {label} ({below})"

    listed_id = "; ".join(word(c, "id") for c in checks)
    listed_en = "; ".join(word(c, "en") for c in checks)
    first = checks[0].year
    if eligible:
        text_id = (f"Memenuhi syarat predikat untuk kenaikan pangkat reguler: minimal {minimum_label} pada setiap "
                   f"tahun {first}–{last_year} ({listed_id}).")
        text_en = (f"Meets the predikat requirement for regular promotion: at least {minimum_label} in every year "
                   f"{first}–{last_year} ({listed_en}).")
    else:
        text_id = (f"Belum memenuhi syarat predikat untuk kenaikan pangkat reguler: diperlukan minimal {minimum_label} "
                   f"pada setiap tahun {first}–{last_year} ({listed_id}).")
        text_en = (f"Does not yet meet the predikat requirement for regular promotion: at least {minimum_label} is "
                   f"needed in every year {first}–{last_year} ({listed_en}).")
    if years == 1:
        text_id = text_id.replace(f"setiap tahun {first}–{last_year}", f"tahun {last_year}")
        text_en = text_en.replace(f"every year {first}–{last_year}", f"{last_year}")
    return PromotionHint(eligible, minimum, checks, text_id, text_en)
