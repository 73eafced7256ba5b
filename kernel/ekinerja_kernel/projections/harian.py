"""Public copies of harian's events: a working day's final standing, without which absence (sick
leave is health data) and without any entry's text."""

from __future__ import annotations

from typing import Any

from ..publicevents import PublicType
from ._pick import pick


def day_closed(data: dict[str, Any]) -> dict[str, Any]:
    return pick(data, ("nip", "agency_id", "unit_id", "date", "status", "entries", "blank", "justified", "late"))


TYPES = (
    PublicType("harian.day_closed", "ekinerja.harian.day_closed.v1", day_closed, "Working day closed"),
)
