"""Beranda: today's entry, the blank days of the month, what waits for me, and what blocks me."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from ..api import ApiProblem
from ..app import is_team_lead, signed_in
from ..client import get
from .common import today

bp = Blueprint("pages", __name__)


def _or_none(path: str, **params: Any) -> Any:
    """A part of the page the API could not give now: the rest of the page still shows."""
    try:
        return get(path, **params)
    except ApiProblem:
        return None


@bp.get("/")
@signed_in
def beranda() -> ResponseReturnValue:
    now = today()
    day = _or_none(f"/api/v1/harian/days/{now.isoformat()}")
    month = _or_none("/api/v1/harian/calendar", year=now.year, month=now.month)
    today_cal = next((d for d in (month or {}).get("days", []) if d.get("date") == now.isoformat()), None)
    diagnosis = _or_none("/api/v1/me/diagnosis")
    blocking = [f for f in (diagnosis or {}).get("findings", []) if f.get("status") in ("problem", "warning")]
    proposals = _or_none("/api/v1/skp/proposals", year=now.year)
    open_proposals = [p for p in (proposals or {}).get("proposals", []) if p.get("state") == "diusulkan"]
    waiting: dict[str, Any] = {}
    if is_team_lead():
        team = _or_none("/api/v1/harian/team", **{"from": now.isoformat()})
        if team is not None:
            waiting["entries"] = sum(1 for member in team.get("team", []) for d in member.get("days", [])
                                     for e in d.get("entries", []) if e.get("state") == "diajukan")
        skp_team = _or_none("/api/v1/skp/team", year=now.year)
        if skp_team is not None:
            waiting["skp"] = len(skp_team.get("waiting_for_me", []))
    return render_template("beranda.html", active="beranda", now=now, day=day, today_cal=today_cal, month=month,
                           diagnosis=diagnosis, blocking=blocking, open_proposals=open_proposals, waiting=waiting)
