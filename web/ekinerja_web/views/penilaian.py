"""The employee's side of an evaluation: an SKP's periods with their evaluations, the realisasi of a
period with links to the bukti dukung, my evaluations with their predikat and credit points, and
the evaluation document (read by its employee, the penilai, those above and the agency admin, and
printable)."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from ..api import ApiProblem
from ..app import me, signed_in
from ..client import call, get
from ..forms import Form
from .rencana import people_of

bp = Blueprint("penilaian", __name__, url_prefix="/skp")
ITEM_FIELD = re.compile(r"^items\[(\d+)\]\.(\w+)(?:\[\d+\])?$")


def evaluations_of(skp_id: str) -> list[dict[str, Any]]:
    return get(f"/api/v1/skp/{skp_id}/evaluations").get("evaluations", [])


def periods_of(year: int) -> list[dict[str, Any]]:
    """The periods of the reader's agency for the year (the annual one first), as the API lists them."""
    try:
        return get("/api/v1/skp/periods", year=year).get("periods", [])
    except ApiProblem as problem:
        if problem.status >= 500:
            raise
        return []


@bp.get("/penilaian-saya")
@signed_in
def mine() -> ResponseReturnValue:
    plans = sorted(get("/api/v1/skp").get("skps", []), key=lambda s: -int(s.get("year", 0)))
    years = [{"plan": p, "evaluations": evaluations_of(p["id"]) if p.get("approved_version") else []} for p in plans]
    credit = None
    try:
        credit = get("/api/v1/skp/ak")
    except ApiProblem as problem:
        if problem.status >= 500:
            raise
    return render_template("penilaian/mine.html", active="skp", years=years, credit=credit)


@bp.get("/<skp_id>/penilaian")
@signed_in
def periods(skp_id: str) -> ResponseReturnValue:
    plan = get(f"/api/v1/skp/{skp_id}")
    by_period = {e["period"]["id"]: e for e in evaluations_of(skp_id)}
    rows = [(p, by_period.pop(p["id"], None)) for p in periods_of(plan["year"])]
    rows += [(e["period"], e) for e in by_period.values()]  # periods the reader's agency no longer lists
    notice = _("Realisasi tersimpan. Pejabat penilai dapat menilainya setelah periode berakhir.") \
        if request.args.get("selesai") == "realisasi" else None
    return render_template("penilaian/periods.html", active="skp", plan=plan, rows=rows, notice=notice,
                           owner=plan.get("nip") == (me() or {}).get("nip"))


def _rows(plan: dict[str, Any], evaluation: dict[str, Any] | None) -> list[dict[str, str]]:
    recorded = {i["rhk_id"]: i for i in (evaluation or {}).get("realisasi") or []}
    return [{"rhk_id": r["id"], "text": r["text"], "realisasi": recorded.get(r["id"], {}).get("realisasi", ""),
             "evidence": "\n".join(recorded.get(r["id"], {}).get("evidence") or [])} for r in plan["rhk"]]


@bp.route("/<skp_id>/penilaian/<period_id>/realisasi", methods=["GET", "POST"])
@signed_in
def realisasi(skp_id: str, period_id: str) -> ResponseReturnValue:
    """One period's realisasi: per RHK what was achieved and the links to its evidence (one a line)."""
    plan = get(f"/api/v1/skp/{skp_id}")
    if plan.get("nip") != (me() or {}).get("nip"):
        abort(404)
    evaluation = next((e for e in evaluations_of(skp_id) if e["period"]["id"] == period_id), None)
    period = evaluation["period"] if evaluation else next((p for p in periods_of(plan["year"])
                                                           if p["id"] == period_id), None) or abort(404)
    rows = _rows(plan, evaluation)
    form = Form()
    status = 200
    if request.method == "POST":
        for i, row in enumerate(rows):
            row["realisasi"] = request.form.get(f"r-{i}-realisasi", "").strip()
            row["evidence"] = request.form.get(f"r-{i}-evidence", "").strip()
        sent = [i for i, row in enumerate(rows) if row["realisasi"] or row["evidence"]]
        items = [{"rhk_id": rows[i]["rhk_id"], "realisasi": rows[i]["realisasi"],
                  "evidence": [line.strip() for line in rows[i]["evidence"].splitlines() if line.strip()]}
                 for i in sent]

        def field_id(name: str) -> str | None:
            found = ITEM_FIELD.match(name)
            if found and int(found.group(1)) < len(sent):
                part = "evidence" if found.group(2) == "evidence" else "realisasi"
                return f"r-{sent[int(found.group(1))]}-{part}"
            return "r-0-realisasi" if name == "items" else None

        try:
            call("PUT", f"/api/v1/skp/{skp_id}/evaluations/{period_id}/realisasi", json={"items": items})
        except ApiProblem as problem:
            form.take(problem, field_id)
            status = problem.status
        else:
            return redirect(url_for("penilaian.periods", skp_id=skp_id, selesai="realisasi"))
    form.values = {f"r-{i}-{k}": row[k] for i, row in enumerate(rows) for k in ("realisasi", "evidence")}
    return render_template("penilaian/realisasi.html", active="skp", plan=plan, period=period, rows=rows,
                           form=form), status


@bp.get("/<skp_id>/penilaian/<period_id>")
@signed_in
def document(skp_id: str, period_id: str) -> ResponseReturnValue:
    """The evaluation of one period as a document: realisasi and evidence, feedback, ratings, predikat."""
    plan = get(f"/api/v1/skp/{skp_id}")
    evaluation = next((e for e in evaluations_of(skp_id) if e["period"]["id"] == period_id), None)
    if evaluation is None:
        abort(404)
    texts = {r["id"]: r["text"] for r in plan["rhk"]}
    notice = _("Penilaian tersimpan.") if request.args.get("selesai") == "dinilai" else None
    return render_template("penilaian/document.html", active="tim" if plan.get("nip") != (me() or {}).get("nip")
                           else "skp", plan=plan, e=evaluation, texts=texts, notice=notice,
                           people=people_of(plan.get("nip"), evaluation.get("penilai_nip") or plan.get("penilai_nip")))
