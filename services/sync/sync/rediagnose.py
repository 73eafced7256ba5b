"""Who needs a new diagnosis: written in the transaction of each change that can alter someone's
findings, drained by findings.publish_queued (see there)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import DateTime, event, false, literal, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ekinerja_kernel.events import utcnow

from .tables import diagnosis_queue, employees

TOUCHED = "ekinerja.sync.rediagnose"  # Session.info key: NIPs touched in the transaction


def _insert(s: Session):
    dialect = s.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(diagnosis_queue)


def queue(s: Session, nips: Iterable[str], cascade: bool = False) -> None:
    """Queue `nips` for a new diagnosis (and their direct subordinates when `cascade`); safe for
    several writers at once, and a row already queued keeps any cascade asked before."""
    now = utcnow()
    rows = [{"nip": n, "cascade": cascade, "queued_at": now} for n in dict.fromkeys(nips) if n]
    for at in range(0, len(rows), 300):  # well under SQLite's limit of bound parameters
        stmt = _insert(s).values(rows[at:at + 300])
        s.execute(stmt.on_conflict_do_update(
            index_elements=[diagnosis_queue.c.nip],
            set_={"cascade": or_(diagnosis_queue.c.cascade, stmt.excluded.cascade),
                  "queued_at": stmt.excluded.queued_at}))


def seat_holders(s: Session, unit_id: Any, position_id: Any) -> list[str]:
    return list(s.execute(select(employees.c.nip).where(employees.c.unit_id == unit_id,
                                                        employees.c.position_id == position_id)).scalars())


def _write_touched(s: Session) -> None:
    if s.in_nested_transaction():  # a row's savepoint: wait for the transaction itself
        return
    touched = s.info.pop(TOUCHED, None)
    if touched:
        queue(s, touched, cascade=True)


def touch(s: Session, name: str, subject: str, data: dict[str, Any]) -> None:
    """Queue whom a master-data event sync is about to send may change the findings of."""
    if name.startswith("employee.") or name == "supervisor.changed":
        # The supervisor's name and status show in their staff's findings: cascade. Collected and
        # written in one statement at commit, which keeps a 100,000-row import fast; a NIP whose row
        # was rolled back is diagnosed for nothing, which changes nothing.
        if not event.contains(s, "before_commit", _write_touched):
            event.listen(s, "before_commit", _write_touched)
        s.info.setdefault(TOUCHED, {})[subject] = True
    elif name == "acting.assigned":
        queue(s, seat_holders(s, data.get("unit_id"), data.get("position_id")), cascade=True)
    elif name == "unit.upserted":
        # Whether a unit is a school or the top of the tree changes who fixes what.
        queue(s, s.execute(select(employees.c.nip).where(employees.c.unit_id == subject)).scalars())


def skp_in_force(s: Session, nip: str) -> None:
    """`nip`'s SKP came into force: their staff's supervisor-skp finding changes."""
    queue(s, [nip], cascade=True)


def queue_everyone(s: Session, agency_id: str | None = None) -> None:
    """Queue every employee (of one agency, or all); rows already queued stay as they are."""
    now = literal(utcnow(), DateTime(timezone=True))
    # The WHERE is needed: SQLite cannot parse INSERT ... SELECT ... ON CONFLICT without one.
    query = select(employees.c.nip, false(), now).where(employees.c.nip.is_not(None))
    if agency_id:
        query = query.where(employees.c.agency_id == agency_id)
    s.execute(_insert(s).from_select(["nip", "cascade", "queued_at"], query)
              .on_conflict_do_nothing(index_elements=[diagnosis_queue.c.nip]))
