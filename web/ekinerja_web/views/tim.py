"""Tim (atasan): the team's days with their statuses and totals, approving or returning entries one
or many at once with a note, and the team's SKP waiting for approval."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from ..api import ApiProblem
from ..app import ROLE_TEAM, signed_in
from ..client import call, get
from ..forms import Form
from ..labels import ASPEK
from .common import date_arg, today, year_arg
from .tunjangan import month_value

bp = Blueprint("tim", __name__, url_prefix="/tim")


def _range() -> tuple[dt.date, dt.date]:
    start = date_arg(request.values.get("dari")) or today()
    end = date_arg(request.values.get("sampai")) or start
    return start, end


def _board(start: dt.date, end: dt.date, form: Form, notice: str | None = None, status: int = 200,
           note: str = "") -> ResponseReturnValue:
    # The totals per status and what waits for my decision are the API's answer, never recounted here.
    data: dict[str, Any] = {"team": [], "totals": {}, "waiting_for_me": {"entries": 0, "days": []}}
    try:
        data = get("/api/v1/harian/team", **{"from": start.isoformat(), "to": end.isoformat()})
    except ApiProblem as problem:
        form.take(problem, {"from": "dari", "to": "sampai"})
        status = problem.status
    return render_template("tim/harian.html", active="tim", data=data, start=start, end=end,
                           waiting=data.get("waiting_for_me") or {"entries": 0, "days": []}, form=form,
                           notice=notice, selected=set(request.form.getlist("entry")), note=note), status


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
    notice = _("Ekspektasi khusus disimpan.") if request.args.get("selesai") == "ekspektasi" else None
    return render_template("tim/skp_review.html", active="tim", plan=plan, form=form, notice=notice), status


@bp.route("/skp/<skp_id>/ekspektasi", methods=["GET", "POST"])
@signed_in(allowed=ROLE_TEAM)
def ekspektasi(skp_id: str) -> ResponseReturnValue:
    """The penilai's ekspektasi khusus per BerAKHLAK value of a plan being agreed (blank clears one)."""
    plan = get(f"/api/v1/skp/{skp_id}")
    values = {f"ek-{p['key']}": request.form.get(f"ek-{p['key']}", p.get("ekspektasi_khusus") or "")
              for p in plan["perilaku"]}
    form = Form(values=values)
    if request.method == "POST":
        body = {p["key"]: values[f"ek-{p['key']}"].strip() for p in plan["perilaku"]}
        try:
            call("PUT", f"/api/v1/skp/{skp_id}/ekspektasi", json={"ekspektasi_khusus": body})
        except ApiProblem as problem:
            form.take(problem, lambda name: f"ek-{name.split('.', 1)[1]}" if name.startswith("ekspektasi_khusus.")
                      else None)
            return render_template("tim/ekspektasi.html", active="tim", plan=plan, form=form), problem.status
        return redirect(url_for("tim.skp_review", skp_id=skp_id, selesai="ekspektasi"))
    return render_template("tim/ekspektasi.html", active="tim", plan=plan, form=form)


# --- Matriks Peran Hasil: one of my RHK laid out for the team -------------------------------------------

def _my_plan(year: int) -> dict[str, Any] | None:
    mine = next((s for s in get("/api/v1/skp").get("skps", []) if s.get("year") == year), None)
    return get(f"/api/v1/skp/{mine['id']}") if mine else None


def _members(year: int) -> list[dict[str, Any]]:
    """Everyone whose penilai I am, whatever their SKP's state (the API's team view)."""
    team = get("/api/v1/skp/team", year=year).get("team", {})
    found = {m["nip"]: m for state in ("belum_dibuat", "draft", "diajukan", "disetujui") for m in team.get(state) or []}
    return sorted(found.values(), key=lambda m: m.get("name") or m["nip"])


@bp.get("/matriks")
@signed_in(allowed=ROLE_TEAM)
def matriks() -> ResponseReturnValue:
    year = year_arg()
    return render_template("tim/matriks.html", active="tim", year=year, plan=_my_plan(year))


def _matrix(skp_id: str, rhk_id: str) -> tuple[dict[str, Any] | None, ApiProblem | None]:
    try:
        return get(f"/api/v1/skp/{skp_id}/rhk/{rhk_id}/matriks"), None
    except ApiProblem as problem:
        if problem.status >= 500 or problem.status == 404:
            raise
        return None, problem


@bp.get("/matriks/<skp_id>/<rhk_id>")
@signed_in(allowed=ROLE_TEAM)
def matriks_rhk(skp_id: str, rhk_id: str) -> ResponseReturnValue:
    plan = get(f"/api/v1/skp/{skp_id}")
    matrix, problem = _matrix(skp_id, rhk_id)
    cells: dict[str, list[dict[str, Any]]] = {}
    for cell in (matrix or {}).get("cells", []):
        cells.setdefault(cell["nip"], []).append(cell)
    notice = {"cell": _("Usulan disimpan: pegawai melihatnya di Usulan RHK."),
              "tarik": _("Usulan ditarik.")}.get(request.args.get("selesai", ""))
    return render_template("tim/matriks_rhk.html", active="tim", plan=plan, matrix=matrix, problem=problem,
                           cells=cells, members=_members(plan["year"]), notice=notice)


IKI_PARTS = ("indikator", "target", "satuan")


def _open_cells(matrix: dict[str, Any], except_nip: str) -> list[dict[str, Any]]:
    """The proposals still open, as cells to send again (the API replaces all open ones at once)."""
    return [{"nip": c["nip"], "text": c["text"], **({"iki": c["iki"]} if c.get("iki") else {})}
            for c in matrix.get("cells", []) if c.get("state") == "diusulkan" and c["nip"] != except_nip]


@bp.route("/matriks/<skp_id>/<rhk_id>/<nip>", methods=["GET", "POST"])
@signed_in(allowed=ROLE_TEAM)
def matriks_cell(skp_id: str, rhk_id: str, nip: str) -> ResponseReturnValue:
    """What one member of the team produces for this RHK: the text and, if known, its IKI."""
    plan = get(f"/api/v1/skp/{skp_id}")
    matrix, problem = _matrix(skp_id, rhk_id)
    if matrix is None:
        assert problem is not None
        raise problem
    member = next((m for m in _members(plan["year"]) if m["nip"] == nip), None) or abort(404)
    current = next((c for c in matrix.get("cells", []) if c["nip"] == nip and c.get("state") == "diusulkan"), None)
    values = {"text": (current or {}).get("text", "")}
    for item in (current or {}).get("iki") or []:
        for part in IKI_PARTS:
            values[f"iki-{item.get('aspek')}-{part}"] = str(item.get(part) or "")
    if request.method == "POST":
        values = {k: request.form.get(k, "").strip() for k in ["text"] + [f"iki-{a}-{p}" for a in ASPEK
                                                                          for p in IKI_PARTS]}
    form = Form(values=values)
    if request.method == "POST":
        others = _open_cells(matrix, nip)
        withdraw = request.form.get("action") == "withdraw"
        cell: dict[str, Any] = {"nip": nip, "text": values["text"]}
        iki = [{"aspek": a, **{p: values[f"iki-{a}-{p}"] for p in IKI_PARTS}} for a in ASPEK
               if any(values[f"iki-{a}-{p}"] for p in IKI_PARTS)]
        if iki:
            cell["iki"] = iki
        cells = others if withdraw else others + [cell]
        index = len(others)

        def field_id(name: str) -> str | None:
            prefix = f"cells[{index}]."
            if not name.startswith(prefix):
                return None
            rest = name[len(prefix):]
            if rest == "text":
                return "text"
            if rest.startswith("iki[") and "]." in rest:
                j, part = int(rest[4:rest.index("]")]), rest.rsplit(".", 1)[1]
                if j < len(iki):
                    return f"iki-{iki[j]['aspek']}-{part if part in IKI_PARTS else 'indikator'}"
            if rest.startswith("iki"):
                return "iki-kuantitas-indikator"
            return None

        try:
            call("PUT", f"/api/v1/skp/{skp_id}/rhk/{rhk_id}/matriks", json={"cells": cells})
        except ApiProblem as refused:
            form.take(refused, field_id)
            return render_template("tim/matriks_cell.html", active="tim", plan=plan, matrix=matrix, member=member,
                                   current=current, form=form), refused.status
        return redirect(url_for("tim.matriks_rhk", skp_id=skp_id, rhk_id=rhk_id,
                                selesai="tarik" if withdraw else "cell"))
    return render_template("tim/matriks_cell.html", active="tim", plan=plan, matrix=matrix, member=member,
                           current=current, form=form)


# --- the team's allowances ---------------------------------------------------------------------------------

@bp.get("/tunjangan")
@signed_in(allowed=ROLE_TEAM)
def tunjangan() -> ResponseReturnValue:
    month = month_value()
    data, missing = None, None
    try:
        data = get("/api/v1/tukin/team", month=month)
    except ApiProblem as problem:
        if problem.status >= 500:
            raise
        missing = problem
    return render_template("tim/tunjangan.html", active="tim", month=month, data=data, missing=missing)
