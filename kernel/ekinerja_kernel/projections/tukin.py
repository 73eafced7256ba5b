"""Public copies of tukin's events: an agency-month's totals (no employee's line)."""

from __future__ import annotations

from typing import Any

from ..publicevents import PublicType
from ._pick import pick


def computed(data: dict[str, Any]) -> dict[str, Any]:
    kept = pick(data, ("run_id", "agency_id", "month", "revision", "allowance_kind", "policy_effective_from",
                       "employees", "skipped", "gross", "deductions", "net"))
    # Payroll must not pay a preview (a month computed before it closed); older tukin releases computed
    # closed months only.
    kept["preview"] = bool(data.get("preview", False))
    return kept


TYPES = (
    PublicType("tukin.computed", "ekinerja.tukin.computed.v1", computed, "Agency-month allowances computed"),
)
