"""Public copies of sync's master-data events."""

from __future__ import annotations

from typing import Any

from ..publicevents import PublicType
from ._pick import pick

POSITION = ("id", "name", "kind", "jenjang", "kelas_jabatan")


def employee_changed(data: dict[str, Any]) -> dict[str, Any]:
    """Who the civil servant is at work: no NIK, no email, no e-Kinerja roles."""
    kept = pick(data, ("nip", "name", "employment_type", "status", "golongan", "agency_id", "unit_id",
                       "position_id", "supervisor_nip"))
    kept["position"] = pick(data["position"], POSITION) if data.get("position") else None
    return kept


def employee_contact(data: dict[str, Any]) -> dict[str, Any]:
    """The personal identifiers: only for a subscriber granted this type by name."""
    return pick(data, ("nip", "nik", "email"))


def unit_changed(data: dict[str, Any]) -> dict[str, Any]:
    return pick(data, ("id", "agency_id", "parent_id", "name", "kind"))


TYPES = (
    PublicType("employee.changed", "ekinerja.employee.upserted.v1", employee_changed,
               "Employee created or changed (no personal identifiers beyond the NIP)"),
    PublicType("employee.contact", "ekinerja.employee.upserted.v1", employee_contact,
               "Employee's NIK and email (personal data: granted by name)", personal=True),
    PublicType("unit.changed", "ekinerja.unit.upserted.v1", unit_changed, "Unit created or changed"),
)
