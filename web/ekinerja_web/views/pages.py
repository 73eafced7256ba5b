"""Beranda: today's entry, the blank days of the month, what waits for me, and what blocks me."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from ..api import ApiProblem
from ..app import is_team_lead, signed_in
from ..client import get_all
from .common import today

bp = Blueprint("pages", __name__)


@bp.get("/")
@signed_in
def beranda() -> ResponseReturnValue:
    now = today()
    asks: dict[str, tuple[str, dict[str, Any]]] = {
        "day": (f"/api/v1/harian/days/{now.isoformat()}", {}),
        "month": ("/api/v1/harian/calendar", {"year": now.year, "month": now.month}),
        "diagnosis": ("/api/v1/me/diagnosis", {}),
        "proposals": ("/api/v1/skp/proposals", {"year": now.year}),
    }
    if is_team_lead():
        asks["team"] = ("/api/v1/harian/team", {"from": now.isoformat()})
        asks["skp_team"] = ("/api/v1/skp/team", {"year": now.year})
    # Asked at once; a part the API could not give now is None, and the rest of the page still shows.
    parts: dict[str, Any] = {key: None if isinstance(answer, ApiProblem) else answer
                             for key, answer in get_all(asks).items()}
    month = parts["month"]
    today_cal = next((d for d in (month or {}).get("days", []) if d.get("date") == now.isoformat()), None)
    diagnosis = parts["diagnosis"]
    blocking = [f for f in (diagnosis or {}).get("findings", []) if f.get("status") in ("problem", "warning")]
    open_proposals = [p for p in (parts["proposals"] or {}).get("proposals", []) if p.get("state") == "diusulkan"]
    waiting: dict[str, Any] = {}
    if parts.get("team") is not None:
        waiting["entries"] = (parts["team"].get("waiting_for_me") or {}).get("entries", 0)
    if parts.get("skp_team") is not None:
        waiting["skp"] = len(parts["skp_team"].get("waiting_for_me", []))
    return render_template("beranda.html", active="beranda", now=now, day=parts["day"], today_cal=today_cal,
                           month=month, diagnosis=diagnosis, blocking=blocking, open_proposals=open_proposals,
                           waiting=waiting)
