"""Wire shapes of the sync service (plain JSON)."""

from __future__ import annotations

from typing import Any


def mask_email(email: str) -> str:
    """Enough for the owner to recognise their address, not enough to harvest it."""
    local, _, domain = email.partition("@")
    return f"{local[:2]}***@{domain}"


def employee_json(view: dict[str, Any]) -> dict[str, Any]:
    return {
        "nip": view["nip"],
        "name": view["name"],
        "email": mask_email(view["email"]),
        "employment_type": view["employment_type"],
        "status": view["status"],
        "golongan": view["golongan"],
        "agency": {"id": view["agency_id"], "name": view["agency_name"]},
        "unit": {"id": view["unit_id"], "name": view["unit_name"]} if view["unit_id"] else None,
        "position": ({"id": view["position_id"], "name": view["position_name"], "kind": view["position_kind"],
                      "jenjang": view["position_jenjang"]} if view["position_id"] else None),
        "supervisor": ({"nip": view["supervisor_nip"], "name": view["supervisor_name"]}
                       if view["supervisor_nip"] else None),
        "roles": list(view["roles"] or []),
    }
