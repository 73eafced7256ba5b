"""The share of each predikat allowed in a unit, bounded by the unit's own predikat
(SE MenPANRB 03/2023). Checked when a unit's evaluations are finalised."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from .predikat import Predikat


class UnitPredikat(StrEnum):
    ISTIMEWA = "istimewa"
    BAIK = "baik"
    BUTUH_PERBAIKAN = "butuh_perbaikan"
    KURANG = "kurang"
    SANGAT_KURANG = "sangat_kurang"


@dataclass(frozen=True)
class Violation:
    rule: str
    detail: str
    detail_id: str


SB, B, BP, K, SK = (Predikat.SANGAT_BAIK, Predikat.BAIK, Predikat.BUTUH_PERBAIKAN, Predikat.KURANG,
                    Predikat.SANGAT_KURANG)
NAMES = {SB: ("Sangat Baik", "Sangat Baik"), B: ("Baik", "Baik"), BP: ("Butuh Perbaikan", "Butuh Perbaikan"),
         K: ("Kurang", "Kurang"), SK: ("Sangat Kurang", "Sangat Kurang")}

# (kind, predikat group, share): "max" = at most, "min" = at least; share 0 with "min" = at least one.
RULES: dict[UnitPredikat, list[tuple[str, tuple[Predikat, ...], float]]] = {
    UnitPredikat.ISTIMEWA: [("max", (SB,), 0.70)],
    UnitPredikat.BAIK: [("max", (B,), 0.70), ("min", (BP, K), 0.0)],
    UnitPredikat.BUTUH_PERBAIKAN: [("min", (BP,), 0.60), ("max", (SB,), 0.10)],
    UnitPredikat.KURANG: [("min", (K,), 0.60), ("min", (BP,), 0.10), ("max", (SB,), 0.10)],
    UnitPredikat.SANGAT_KURANG: [("min", (SK,), 0.60), ("min", (K, BP), 0.10), ("max", (SB,), 0.0)],
}


def check(unit_predikat: UnitPredikat, employees: Iterable[Predikat]) -> list[Violation]:
    counts = Counter(employees)
    total = sum(counts.values())
    if total == 0:
        return []
    found = []
    for kind, group, share in RULES[unit_predikat]:
        n = sum(counts[p] for p in group)
        names = " / ".join(NAMES[p][0] for p in group)
        actual = n / total
        if kind == "max" and actual > share + 1e-9:
            limit = "none" if share == 0 else f"at most {share:.0%}"
            limit_id = "tidak boleh ada" if share == 0 else f"paling banyak {share:.0%}"
            found.append(Violation(f"max-{'-'.join(p.value for p in group)}",
                                   f"{names}: {limit} allowed in a unit rated {unit_predikat.value}, "
                                   f"found {n} of {total} ({actual:.0%}).",
                                   f"{names}: {limit_id} pada unit berpredikat {unit_predikat.value}, "
                                   f"terdapat {n} dari {total} ({actual:.0%})."))
        elif kind == "min" and (n == 0 if share == 0 else actual < share - 1e-9):
            need = "at least one" if share == 0 else f"at least {share:.0%}"
            need_id = "minimal satu" if share == 0 else f"minimal {share:.0%}"
            found.append(Violation(f"min-{'-'.join(p.value for p in group)}",
                                   f"{names}: {need} required in a unit rated {unit_predikat.value}, "
                                   f"found {n} of {total} ({actual:.0%}).",
                                   f"{names}: diperlukan {need_id} pada unit berpredikat {unit_predikat.value}, "
                                   f"terdapat {n} dari {total} ({actual:.0%})."))
    return found
