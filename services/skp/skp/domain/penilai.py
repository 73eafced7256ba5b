"""Who may act as someone's pejabat penilai on a given day.

The definitive penilai is the employee's supervisor in master data. An acting official (PLT while
the supervisor's position is vacant, PLH while its holder is away) carries that position's
authority for their dates. When the supervisor is no longer active and nobody acts in their
position, the penilai is missing and the atasan pejabat penilai (the next active official up the
chain) acts instead. Nobody is ever their own penilai.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class Basis(StrEnum):
    DEFINITIVE = "definitif"
    PLT = "plt"
    PLH = "plh"
    ATASAN = "atasan_pejabat_penilai"


@dataclass(frozen=True)
class Person:
    nip: str
    status: str
    unit_id: str | None
    position_id: str | None
    supervisor_nip: str | None


@dataclass(frozen=True)
class Assignment:
    """An acting official: `nip` acts in the seat (`unit_id`, `position_id`) from `start_date` to
    `end_date` inclusive."""

    nip: str
    unit_id: str
    position_id: str
    kind: str  # PLT | PLH
    start_date: date
    end_date: date

    def in_force(self, on: date) -> bool:
        return self.start_date <= on <= self.end_date


@dataclass(frozen=True)
class Penilai:
    """`nip` is the one shown as penilai; `allowed` is everyone who may act, with their basis."""

    nip: str | None
    basis: Basis | None
    allowed: dict[str, Basis] = field(default_factory=dict)
    supervisor_nip: str | None = None  # as in master data, even when not active

    def may_act(self, nip: str) -> bool:
        return nip in self.allowed


_PREFERENCE = (Basis.DEFINITIVE, Basis.PLT, Basis.PLH, Basis.ATASAN)


def resolve(owner_nip: str, on: date, person: Callable[[str], Person | None],
            acting_in: Callable[[str, str], Iterable[Assignment]], limit: int = 50) -> Penilai:
    """The penilai of `owner_nip` on day `on`; `person` reads master data, `acting_in(unit_id,
    position_id)` lists the acting assignments of a seat (any dates: only those in force count)."""
    owner = person(owner_nip)
    if owner is None or owner.supervisor_nip is None:
        return Penilai(None, None)
    allowed: dict[str, Basis] = {}
    current = person(owner.supervisor_nip)
    for level in range(limit):
        if current is None:
            break
        if current.unit_id and current.position_id:
            for a in sorted(acting_in(current.unit_id, current.position_id), key=lambda a: a.kind != "PLT"):
                if a.in_force(on) and a.nip != owner_nip:
                    allowed.setdefault(a.nip, Basis.PLT if a.kind == "PLT" else Basis.PLH)
        if current.status == "active":
            if current.nip != owner_nip:
                allowed[current.nip] = Basis.DEFINITIVE if level == 0 else Basis.ATASAN
            break
        if allowed or current.supervisor_nip is None:
            break  # someone acts in the vacant position, or nobody is above
        current = person(current.supervisor_nip)
    if not allowed:
        return Penilai(None, None, {}, owner.supervisor_nip)
    nip = min(allowed, key=lambda n: _PREFERENCE.index(allowed[n]))
    return Penilai(nip, allowed[nip], allowed, owner.supervisor_nip)
