"""Who a supervisor's team is, for reading allowances, and the team's totals.

A team is everyone who reports to the supervisor directly or through others, by the supervisor links
of master data as tukin keeps it (its read-copy of sync's employee events). A payroll total of the
whole agency is the agency admin's to read (the agency view), not any employee's: the team view
answers only a supervisor, and only with the team's own numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

MAX_DEPTH = 64  # far beyond any real chain of command; stops a cycle in bad master data for sure


@dataclass(frozen=True)
class Team:
    supervisor: str
    direct: frozenset[str]
    members: frozenset[str]  # direct and indirect reports, never the supervisor

    def __bool__(self) -> bool:
        return bool(self.members)


def team_of(supervisor: str, reports_of: Callable[[set[str]], Iterable[str]]) -> Team:
    """Everyone below `supervisor`, breadth first: `reports_of(nips)` gives the direct reports of all
    of `nips` at once (one query per level). A cycle in the links (A under B under A) ends the walk."""
    seen: set[str] = set()
    level = {supervisor}
    direct: frozenset[str] = frozenset()
    for depth in range(MAX_DEPTH):
        below = set(reports_of(level)) - seen - {supervisor}
        if depth == 0:
            direct = frozenset(below)
        if not below:
            break
        seen |= below
        level = below
    return Team(supervisor, direct, frozenset(seen))


def totals(computations: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Σ of the team's computed lines (whole rupiah as text, like the agency's totals); those that could
    not be computed are counted apart, as the agency's run counts them."""
    gross = deductions = net = Decimal(0)
    computed = skipped = 0
    for body in computations:
        if "error" in body:
            skipped += 1
            continue
        computed += 1
        gross += Decimal(body["gross"])
        deductions += Decimal(body["total_deduction"])
        net += Decimal(body["net"])
    return {"employees": computed, "skipped": skipped, "gross": str(gross), "deductions": str(deductions),
            "net": str(net)}
