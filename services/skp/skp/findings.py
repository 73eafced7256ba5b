"""skp's read-copy of sync's diagnosis (`employee.diagnosed`): each employee's latest findings, read
when a planning refusal is worded (domain/refusals.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from ekinerja_kernel.events import parse_time

from .domain.refusals import Diagnosis, diagnosis_from
from .tables import master_data_findings as table

DIAGNOSED = "ekinerja.employee.diagnosed.v1"


def keep(s: Session, data: dict[str, Any]) -> None:
    """Stores the event's findings unless newer ones are already stored: events may arrive out of
    order, and the latest check (by checked_at) wins."""
    nip, checked_at = data["nip"], parse_time(data["checked_at"])
    values = {"year": int(data["year"]), "checked_at": checked_at, "findings": list(data.get("findings") or [])}
    # One conditional UPDATE, so an older event cannot overwrite a newer one even when two are
    # handled at once (checked_at is stored in UTC, so it also compares correctly on SQLite).
    if s.execute(update(table).where(table.c.nip == nip, table.c.checked_at <= checked_at)
                 .values(**values)).rowcount:
        return
    if s.execute(select(table.c.nip).where(table.c.nip == nip)).first() is None:
        s.execute(insert(table).values(nip=nip, **values))


def diagnosis(s: Session, nip: str) -> Diagnosis | None:
    row = s.execute(select(table).where(table.c.nip == nip)).first()
    return diagnosis_from(row.year, row.findings) if row else None
