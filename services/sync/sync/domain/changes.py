"""Which events a change of master data announces. Only real changes announce anything."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .model import Acting, Employee, Position, Unit


def employee_events(old: Employee | None, new: Employee,
                    position: dict[str, Any] | None = None) -> list[tuple[str, dict[str, Any]]]:
    """`position` is a snapshot carried in the upserted event for consumers' convenience."""
    if old == new:
        return []
    events: list[tuple[str, dict[str, Any]]] = [("employee.upserted", {**new.to_dict(), "position": position})]
    if old is not None and old.status == "active" and new.status == "inactive":
        events.append(("employee.deactivated", {"nip": new.nip, "agency_id": new.agency_id}))
    old_supervisor = old.supervisor_nip if old else None
    if old_supervisor != new.supervisor_nip:
        events.append(("supervisor.changed", {"nip": new.nip, "agency_id": new.agency_id,
                                              "previous_supervisor_nip": old_supervisor,
                                              "supervisor_nip": new.supervisor_nip}))
    return events


KEPT_FIELDS = ("unit_id", "position_id", "supervisor_nip")


def emptied(old: Employee | None, new: Employee) -> list[str]:
    """The unit, position or supervisor the stored record had and the new one no longer has: the
    employee's SKP waits for them, so an import or sync that empties one says so."""
    if old is None:
        return []
    return [f for f in KEPT_FIELDS if getattr(old, f) and not getattr(new, f)]


def position_events(old: Position | None, new: Position,
                    holders: Iterable[Employee]) -> list[tuple[str, dict[str, Any]]]:
    """A stored position renamed or re-graded (another kelas jabatan moves Tukin) is announced again
    through each holder's employee.upserted, the only place consumers learn positions from."""
    if old is None or old.snapshot() == new.snapshot():
        return []
    return [employee_events(None, holder, new.snapshot())[0] for holder in holders]


def unit_events(old: Unit | None, new: Unit) -> list[tuple[str, dict[str, Any]]]:
    if old == new:
        return []
    return [("unit.upserted", {"id": new.id, "agency_id": new.agency_id, "parent_id": new.parent_id,
                               "name": new.name, "kind": new.kind})]


def acting_events(old: Acting | None, new: Acting) -> list[tuple[str, dict[str, Any]]]:
    """A new or changed assignment (dates moved, ended early) is announced whole."""
    if old == new:
        return []
    return [("acting.assigned", new.to_dict())]
