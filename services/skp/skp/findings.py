"""skp's read-copy of sync's diagnosis (`employee.diagnosed`): each employee's latest findings, read
when a planning refusal is worded (domain/refusals.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ekinerja_kernel.db import keep_latest
from ekinerja_kernel.events import parse_time

from .domain.refusals import Diagnosis, diagnosis_from
from .tables import master_data_findings as table

DIAGNOSED = "ekinerja.employee.diagnosed.v1"


def keep(s: Session, data: dict[str, Any]) -> None:
    """Stores the event's findings unless newer ones are already stored: events may arrive out of
    order, and the latest check (by checked_at) wins."""
    keep_latest(s, table, {"nip": data["nip"]},
                {"year": int(data["year"]), "checked_at": parse_time(data["checked_at"]),
                 "findings": list(data.get("findings") or [])}, at="checked_at")


def diagnosis(s: Session, nip: str) -> Diagnosis | None:
    row = s.execute(select(table).where(table.c.nip == nip)).first()
    return diagnosis_from(row.year, row.findings) if row else None
