"""The overrides table (domain/overrides.py says what an override is): written by an admin's repair,
kept or ended by each import and registry sync of the employee, each end written to the repair log."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session, aliased

from ekinerja_kernel.events import as_utc, utcnow

from . import rediagnose
from .domain.overrides import CLEARED, REGISTRY, Override, same
from .tables import employees, overrides, repair_audit


def _override(row: Any, actor_name: str | None = None) -> Override:
    return Override(nip=row.nip, field=row.field, value=row.value, agency_id=row.agency_id,
                    actor_nip=row.actor_nip, set_at=as_utc(row.set_at), reason=row.reason, actor_name=actor_name,
                    registry_value=row.registry_value, source=row.registry_source,
                    seen_at=as_utc(row.registry_seen_at) if row.registry_seen_at else None)


def of(s: Session, nips: Iterable[str]) -> dict[str, list[Override]]:
    """The overrides in force for each of `nips`, in field order, with the admin's name."""
    wanted = sorted(set(nips))
    found: dict[str, list[Override]] = {}
    if not wanted:
        return found
    actor = aliased(employees)
    for at in range(0, len(wanted), 500):
        rows = s.execute(select(overrides, actor.c.name.label("actor_name"))
                         .outerjoin(actor, actor.c.nip == overrides.c.actor_nip)
                         .where(overrides.c.nip.in_(wanted[at:at + 500]))
                         .order_by(overrides.c.nip, overrides.c.field)).all()
        for row in rows:
            found.setdefault(row.nip, []).append(_override(row, row.actor_name))
    return found


def audit_cleared(s: Session, o: Override, run_id: str | None, actor_nip: str | None = None,
                  roles: Iterable[str] = (), request_id: str | None = None) -> None:
    s.execute(repair_audit.insert().values(
        id=str(uuid.uuid4()), at=utcnow(), actor_nip=actor_nip, actor_roles=list(roles), agency_id=o.agency_id,
        action=CLEARED, subject=o.nip, before={o.field: o.value}, after={o.field: o.value}, reason=None,
        request_id=request_id, run_id=run_id))


def set_by_repair(s: Session, nip: str, field: str, value: str | None, agency_id: str, actor_nip: str,
                  roles: Iterable[str], reason: str | None, request_id: str | None) -> Override | None:
    """An admin's repair of `field`: the override now in force, or None when the repair gives back
    the very value the registry last brought (the override then ends, and the log says so)."""
    current = of(s, [nip]).get(nip, [])
    old = next((o for o in current if o.field == field), None)
    key = (overrides.c.nip == nip, overrides.c.field == field)
    if old is not None and old.disputed and same(field, old.registry_value, value):
        s.execute(delete(overrides).where(*key))
        audit_cleared(s, dataclasses.replace(old, value=value), None, actor_nip, roles, request_id)
        return None
    values = {"value": value, "agency_id": agency_id, "actor_nip": actor_nip, "reason": reason, "set_at": utcnow()}
    if old is None:
        s.execute(insert(overrides).values(nip=nip, field=field, **values))
    else:  # what the registry last brought is still what it brings
        s.execute(update(overrides).where(*key).values(**values))
    return next(o for o in of(s, [nip])[nip] if o.field == field)


def settle(s: Session, agreed: Iterable[Override], differ: Iterable[tuple[Override, str | None]],
           run_id: str | None) -> None:
    """What one import or registry sync of an employee met: overrides it agrees with end (audited);
    for the others, what it brought is recorded when it is news. The employee's findings follow."""
    source = REGISTRY if run_id else "import"
    touched: set[str] = set()
    for o in agreed:
        s.execute(delete(overrides).where(overrides.c.nip == o.nip, overrides.c.field == o.field))
        audit_cleared(s, o, run_id)
        touched.add(o.nip)
    for o, brought in differ:
        if o.disputed and o.source == source and same(o.field, o.registry_value, brought):
            continue  # the same disagreement as last time: nothing new to tell
        s.execute(update(overrides).where(overrides.c.nip == o.nip, overrides.c.field == o.field).values(
            registry_value=brought, registry_source=source, registry_seen_at=utcnow()))
        touched.add(o.nip)
    if touched:
        rediagnose.queue(s, touched)
