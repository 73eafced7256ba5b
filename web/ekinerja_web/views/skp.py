"""SKP: my plans by year, one plan with its RHK, IKI per aspek, perilaku and history (printable),
submitting and revising it, the RHK proposed to me (accept or decline), and my evaluations."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from ..api import ApiProblem
from ..app import signed_in
from ..client import call, get
from ..forms import Form
from ..labels import ASPEK
from .common import year_arg

bp = Blueprint("skp", __name__, url_prefix="/skp")
ACTIONS = {"submit": "submit", "revise": "revise", "publish": "publish"}
IKI_PARTS = ("indikator", "target", "satuan")
IKI_FIELD = re.compile(r"(?:^|\.)iki(?:\[(\d+)\]\.(\w+))?$")


@bp.get("/")
@signed_in
def index() -> ResponseReturnValue:
    plans = sorted(get("/api/v1/skp").get("skps", []), key=lambda s: -int(s.get("year", 0)))
    return render_template("skp/index.html", active="skp", plans=plans, year=year_arg())


@bp.route("/<skp_id>", methods=["GET", "POST"])
@signed_in
def detail(skp_id: str) -> ResponseReturnValue:
    form = Form()
    status = 200
    notice = {"submit": _("SKP diajukan ke pejabat penilai."), "revise": _("Revisi SKP dibuat sebagai draf baru."),
              "publish": _("SKP diterbitkan."), "create": _("Draf SKP dibuat. Tambah RHK lain atau ajukan."),
              "rhk": _("RHK disimpan di draf SKP."), "hapus": _("RHK dihapus dari draf SKP."),
              "pendekatan": _("Pendekatan SKP diubah.")}.get(request.args.get("selesai", ""))
    if request.method == "POST":
        action = ACTIONS.get(request.form.get("action", ""))
        if action:
            try:
                call("POST", f"/api/v1/skp/{skp_id}/{action}", json={})
            except ApiProblem as problem:
                form.take(problem)
                status = problem.status
            else:
                return redirect(url_for("skp.detail", skp_id=skp_id, selesai=action))
    plan = get(f"/api/v1/skp/{skp_id}")
    evaluations: list[dict[str, Any]] = []
    try:
        evaluations = get(f"/api/v1/skp/{skp_id}/evaluations").get("evaluations", [])
    except ApiProblem:
        pass
    return render_template("skp/detail.html", active="skp", plan=plan, form=form, notice=notice,
                           evaluations=evaluations), status


@bp.route("/usulan", methods=["GET", "POST"])
@signed_in
def proposals() -> ResponseReturnValue:
    year = year_arg()
    form = Form(values={"note": request.form.get("note", "")})
    status = 200
    choices: list[dict[str, Any]] = []
    chosen = request.form.get("proposal", "")
    notice = {"accept": _("Usulan diterima dan menjadi RHK di draf SKP Anda."),
              "decline": _("Usulan ditolak dengan catatan.")}.get(request.args.get("selesai", ""))
    if request.method == "POST":
        action = "decline" if request.form.get("action") == "decline" else "accept"
        body: dict[str, Any] = {}
        iki: list[dict[str, str]] = []
        if action == "decline":
            body["note"] = form.values["note"].strip()
        else:
            if request.form.get("intervenes"):
                body["intervenes"] = request.form["intervenes"]
            # A proposal that came without IKI gets them here (its form asks for them).
            for aspek in ASPEK:
                typed = {part: request.form.get(f"iki-{aspek}-{part}", "").strip() for part in IKI_PARTS}
                form.values.update({f"p-{chosen}-iki-{aspek}-{part}": typed[part] for part in IKI_PARTS})
                if any(typed.values()):
                    iki.append({"aspek": aspek, **typed})
            if iki:
                body["iki"] = iki
        try:
            call("POST", f"/api/v1/skp/proposals/{chosen}/{action}", json=body)
        except ApiProblem as problem:
            form.take(problem, _proposal_field(chosen, iki))
            # The API says which of the supervisor's RHK this one may intervene when it needs a choice.
            choices = list(problem.body.get("choices") or [])
            status = problem.status
        else:
            return redirect(url_for("skp.proposals", tahun=year, selesai=action))
    data = get("/api/v1/skp/proposals", year=year)
    return render_template("skp/proposals.html", active="skp", data=data, year=year, form=form, choices=choices,
                           chosen=chosen, notice=notice), status


def _proposal_field(proposal_id: str, iki: list[dict[str, str]]) -> Callable[[str], str | None]:
    """Where a refusal of accepting `proposal_id` goes on its form: the note, the intervened RHK, or
    the IKI field it names (by the order the IKI were sent in)."""
    def resolve(name: str) -> str | None:
        if name in ("note", "intervenes"):
            return f"{name}-{proposal_id}"
        found = IKI_FIELD.search(name)
        if found is None:
            return None
        if found.group(1) is not None and int(found.group(1)) < len(iki):
            part = found.group(2) if found.group(2) in IKI_PARTS else "indikator"
            return f"p-{proposal_id}-iki-{iki[int(found.group(1))]['aspek']}-{part}"
        return f"p-{proposal_id}-iki-kuantitas-indikator"

    return resolve
