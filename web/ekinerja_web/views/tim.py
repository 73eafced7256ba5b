"""Tim (atasan): the team's days with their statuses and totals, approving or returning entries one
or many at once with a note, and the team's SKP waiting for approval."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from ..api import ApiProblem
from ..app import ROLE_TEAM, signed_in
from ..client import call, get
from ..forms import Form
from .common import date_arg, today, year_arg

bp = Blueprint("tim", __name__, url_prefix="/tim")
STATUSES = ("belum_diisi", "draft", "diajukan", "disetujui", "dikembalikan", "justified", "libur")


def _range() -> tuple[dt.date, dt.date]:
    start = date_arg(request.values.get("dari")) or today()
    end = date_arg(request.values.get("sampai")) or start
    return start, end


def _board(start: dt.date, end: dt.date, form: Form, notice: str | None = None, status: int = 200,
           note: str = "") -> ResponseReturnValue:
    data: dict[str, Any] = {"team": []}
    try:
        data = get("/api/v1/harian/team", **{"from": start.isoformat(), "to": end.isoformat()})
    except ApiProblem as problem:
        form.take(problem, {"from": "dari", "to": "sampai"})
        status = problem.status
    totals = Counter(d["status"] for member in data.get("team", []) for d in member.get("days", []))
    waiting = sum(1 for m in data.get("team", []) for d in m.get("days", []) for e in d.get("entries", [])
                  if e.get("state") == "diajukan")
    return render_template("tim/harian.html", active="tim", data=data, start=start, end=end, totals=totals,
                           statuses=STATUSES, waiting=waiting, form=form, notice=notice,
                           selected=set(request.form.getlist("entry")), note=note), status


@bp.get("/")
@signed_in(allowed=ROLE_TEAM)
def harian() -> ResponseReturnValue:
    start, end = _range()
    notice = None
    if request.args.get("disetujui"):
        notice = _("%(n)s kegiatan disetujui.", n=request.args["disetujui"])
    elif request.args.get("dikembalikan"):
        notice = _("%(n)s kegiatan dikembalikan dengan catatan.", n=request.args["dikembalikan"])
    return _board(start, end, Form(), notice=notice)


@bp.post("/")
@signed_in(allowed=ROLE_TEAM)
def decide() -> ResponseReturnValue:
    start, end = _range()
    action = request.form.get("action")
    entries = request.form.getlist("entry")
    note = request.form.get("note", "").strip()
    form = Form()
    if not entries:
        # What the person chose, not a rule: a decision names at least one entry.
        form.add("entry-first", _("Pilih paling sedikit satu kegiatan."))
        return _board(start, end, form, status=422, note=note)
    body: dict[str, Any] = {"entry_ids": entries, "action": "return" if action == "return" else "approve"}
    if body["action"] == "return":
        body["note"] = note
    try:
        reply = call("POST", "/api/v1/harian/decisions", json=body)
    except ApiProblem as problem:
        form.take(problem, {"note": "note", "entry_ids": "entry-first", "action": None})
        return _board(start, end, form, status=problem.status, note=note)
    done = sum(d.get("entries", 0) for d in reply.body.get("days", []))
    key = "disetujui" if body["action"] == "approve" else "dikembalikan"
    return redirect(url_for("tim.harian", dari=start.isoformat(), sampai=end.isoformat(), **{key: done}))


@bp.get("/skp")
@signed_in(allowed=ROLE_TEAM)
def skp() -> ResponseReturnValue:
    year = year_arg()
    data = get("/api/v1/skp/team", year=year)
    notice = None
    if request.args.get("selesai") == "approve":
        notice = _("SKP disetujui.")
    elif request.args.get("selesai") == "return":
        notice = _("SKP dikembalikan dengan catatan.")
    return render_template("tim/skp.html", active="tim", data=data, year=year, notice=notice)


@bp.route("/skp/<skp_id>", methods=["GET", "POST"])
@signed_in(allowed=ROLE_TEAM)
def skp_review(skp_id: str) -> ResponseReturnValue:
    form = Form(values={"note": request.form.get("note", "").strip()})
    status = 200
    if request.method == "POST":
        action = "return" if request.form.get("action") == "return" else "approve"
        body = {"note": form.values["note"]} if form.values["note"] or action == "return" else {}
        try:
            call("POST", f"/api/v1/skp/{skp_id}/{action}", json=body)
        except ApiProblem as problem:
            form.take(problem, {"note": "note"})
            status = problem.status
        else:
            plan = get(f"/api/v1/skp/{skp_id}")
            return redirect(url_for("tim.skp", tahun=plan.get("year"), selesai=action))
    plan = get(f"/api/v1/skp/{skp_id}")
    return render_template("tim/skp_review.html", active="tim", plan=plan, form=form), status
