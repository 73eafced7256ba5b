"""The predikat of an evaluation as tukin receives it in `skp.evaluated` (docs/domain.md "Ratings and
predikat"). tukin does not import the skp service: the values are the event's wire values
(docs/events/schemas/skp.evaluated.json), and a unit test keeps the two in step."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from ekinerja_kernel.errors import FieldError


class Predikat(StrEnum):
    SANGAT_BAIK = "sangat_baik"
    BAIK = "baik"
    BUTUH_PERBAIKAN = "butuh_perbaikan"  # also called "Cukup"
    KURANG = "kurang"  # Kurang / Misconduct
    SANGAT_KURANG = "sangat_kurang"


# Best first: Sangat Baik > Baik > Butuh Perbaikan (Cukup) > Kurang/Misconduct > Sangat Kurang.
ORDER = (Predikat.SANGAT_BAIK, Predikat.BAIK, Predikat.BUTUH_PERBAIKAN, Predikat.KURANG, Predikat.SANGAT_KURANG)

LABELS = {
    Predikat.SANGAT_BAIK: "Sangat Baik", Predikat.BAIK: "Baik", Predikat.BUTUH_PERBAIKAN: "Butuh Perbaikan",
    Predikat.KURANG: "Kurang/Misconduct", Predikat.SANGAT_KURANG: "Sangat Kurang",
}

# Other spellings a policy author may write (compared after lower-casing and turning spaces, dashes
# and slashes into underscores).
_ALIASES = {
    "cukup": Predikat.BUTUH_PERBAIKAN,
    "misconduct": Predikat.KURANG,
    "kurang_misconduct": Predikat.KURANG,
}


def at_least(value: Predikat, floor: Predikat) -> bool:
    """`value` is `floor` or better."""
    return ORDER.index(value) <= ORDER.index(floor)


def read_predikat(value: Any, field: str) -> tuple[Predikat | None, list[FieldError]]:
    """A predikat from its wire value ("butuh_perbaikan"), its label ("Butuh Perbaikan") or an alias
    ("Cukup", "Misconduct"); or the error naming `field`."""
    if isinstance(value, Predikat):
        return value, []
    if isinstance(value, str):
        key = re.sub(r"[\s/\-]+", "_", value.strip().lower())
        try:
            return Predikat(key), []
        except ValueError:
            if key in _ALIASES:
                return _ALIASES[key], []
    allowed = ", ".join(p.value for p in Predikat)
    return None, [FieldError(field, "predikat", f"{field} must be a predikat: {allowed}.",
                             f"{field} harus berupa predikat: {allowed}.")]
