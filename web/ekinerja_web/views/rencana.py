"""Planning an SKP, one question per page (the GOV.UK "question pages" pattern): a new SKP's year and
approach, then each RHK as three questions (the supervisor's RHK it intervenes, chosen from a list
with its text; what it produces and whether it is utama or tambahan; its IKI per aspek) and a page
to check the answers before anything is sent. Editing an RHK of a draft, removing one, changing the
approach and the printable SKP live here too.

The answers are kept in the server-side session until the last page sends them in one request:
POST /api/v1/skp for a new SKP (it needs its first RHK), PUT /api/v1/skp/{id} with the whole plan
for a draft. The web checks none of them; each of the API's refusals is shown next to the field it
names, on the page that asks it, and listed with a link on the check page."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from .. import session as web_session
from ..api import ApiProblem
from ..app import me, signed_in
from ..client import call, get
from ..forms import Form, locale
from ..labels import ASPEK
from .common import today

bp = Blueprint("rencana", __name__, url_prefix="/skp")

NEW = "baru"  # the scope of a new SKP's answers; any other scope is an SKP id
STEPS = ("intervensi", "uraian", "iki", "periksa")
IKI_PARTS = ("indikator", "target", "satuan")
STATE = "rencana"  # session key: {scope: answers}
RHK_FIELD = re.compile(r"^rhk\[(\d+)\](?:\.(\w+))?(?:\[(\d+)\]\.(\w+))?$")


# --- the answers kept between pages ------------------------------------------------------------

def _all() -> dict[str, Any]:
    return dict(web_session.current().get(STATE) or {})


def _answers(scope: str) -> dict[str, Any] | None:
    return _all().get(scope)


def _keep(scope: str, answers: dict[str, Any]) -> None:
    states = _all()
    states[scope] = answers
    web_session.current().set(STATE, states)


def _forget(scope: str) -> None:
    states = _all()
    if states.pop(scope, None) is not None:
        web_session.current().set(STATE, states)


def _blank_rhk() -> dict[str, Any]:
    return {"rhk_id": None, "intervenes": "", "text": "", "kind": "utama",
            "iki": {aspek: {part: "" for part in IKI_PARTS} for aspek in ASPEK}, "errors": {}, "checking": False}


def _from_plan(rhk: dict[str, Any]) -> dict[str, Any]:
    answers = _blank_rhk()
    answers.update(rhk_id=rhk["id"], intervenes=rhk.get("intervenes") or "", text=rhk.get("text") or "",
                   kind=rhk.get("kind") or "utama")
    for item in rhk.get("iki") or []:
        if item.get("aspek") in answers["iki"]:
            answers["iki"][item["aspek"]] = {part: str(item.get(part) or "") for part in IKI_PARTS}
    return answers


def _rhk_body(answers: dict[str, Any]) -> dict[str, Any]:
    """The RHK as the API takes it: an aspek is sent when anything of it was typed."""
    body: dict[str, Any] = {"kind": answers["kind"], "text": answers["text"],
                            "intervenes": answers["intervenes"] or None, "iki": []}
    if answers.get("rhk_id"):
        body["id"] = answers["rhk_id"]
    for aspek in ASPEK:
        typed = answers["iki"][aspek]
        if any(typed[part].strip() for part in IKI_PARTS):
            body["iki"].append({"aspek": aspek, **{part: typed[part].strip() for part in IKI_PARTS}})
    return body


def _plan_body(rhk: dict[str, Any]) -> dict[str, Any]:
    """An RHK of the plan as read, sent back unchanged (only what the API takes)."""
    body: dict[str, Any] = {k: rhk[k] for k in ("id", "kind", "text", "intervenes") if k in rhk}
    body["iki"] = [{k: item.get(k) for k in ("aspek", "indikator", "target", "satuan")}
                   for item in rhk.get("iki") or []]
    return body


def _plan(scope: str) -> dict[str, Any]:
    plan = get(f"/api/v1/skp/{scope}")
    if plan.get("nip") != (me() or {}).get("nip"):
        abort(404)  # only the owner edits a plan; the API says so too, this page has nothing to show
    return plan


# --- where the API's refusals go -----------------------------------------------------------------

def _step_url(scope: str, step: str) -> str:
    if step == "tahun":
        return url_for("rencana.new_year")
    if step == "pendekatan":
        return url_for("rencana.new_approach") if scope == NEW else url_for("rencana.approach", skp_id=scope)
    return url_for("rencana.step", scope=scope, step=step)


def _place(item_field: str, rule: str, index: int, sent: dict[str, Any]) -> tuple[str, str] | None:
    """(page, field id) of one refused field of the RHK at `index`, or None for the summary only."""
    if item_field == "year":
        return "tahun", "year"
    if item_field == "approach":
        return "pendekatan", "approach"
    if item_field == "rhk":
        return ("uraian", "kind") if rule == "has-utama" else None
    found = RHK_FIELD.match(item_field)
    if not found or int(found.group(1)) != index:
        return None
    key, iki_index, part = found.group(2), found.group(3), found.group(4)
    if key in ("text", "kind"):
        return "uraian", key
    if key == "intervenes":
        return "intervensi", "intervenes"
    if key == "iki" and iki_index is None:
        aspek = rule.removeprefix("has-")
        return ("iki", f"iki-{aspek}-indikator") if aspek in ASPEK else ("iki", "iki-kuantitas-indikator")
    if key == "iki" and iki_index is not None and int(iki_index) < len(sent["iki"]):
        aspek = sent["iki"][int(iki_index)]["aspek"]
        return "iki", f"iki-{aspek}-{part if part in IKI_PARTS else 'indikator'}"
    return None


def _refused(scope: str, answers: dict[str, Any], problem: ApiProblem, index: int, sent: dict[str, Any]) -> Form:
    """The check page's error summary (each sentence linked to the page and field it is about) and,
    kept with the answers, each sentence for its own page to show next to the field."""
    lang = locale()
    form = Form()
    errors: dict[str, str] = {}
    items = problem.errors or []
    if not items:
        form.add(None, problem.sentence(lang))
    for item in items:
        sentence = item.detail_id if lang == "id" else item.detail
        where = _place(item.field, item.rule, index, sent)
        if where is None:
            form.add(None, sentence)
            continue
        page, field_id = where
        errors.setdefault(field_id, sentence)
        form.add(f"{_step_url(scope, page)}#{field_id}", sentence)
    answers["errors"] = errors
    _keep(scope, answers)
    return form


def _page_form(answers: dict[str, Any], values: dict[str, Any], prefixes: tuple[str, ...]) -> Form:
    """A question page's form: what was answered, and the API's refusals of its own fields."""
    form = Form(values=values)
    for field_id, sentence in (answers.get("errors") or {}).items():
        if field_id.startswith(prefixes):
            form.add(field_id, sentence)
    return form


def _clear_errors(answers: dict[str, Any], prefixes: tuple[str, ...]) -> None:
    answers["errors"] = {k: v for k, v in (answers.get("errors") or {}).items() if not k.startswith(prefixes)}


def _next(scope: str, answers: dict[str, Any], step: str) -> ResponseReturnValue:
    if answers.get("checking"):
        return redirect(_step_url(scope, "periksa"))
    return redirect(_step_url(scope, STEPS[STEPS.index(step) + 1]))


# --- a new SKP: its year and approach ------------------------------------------------------------

@bp.route("/baru", methods=["GET", "POST"])
@signed_in
def new_year() -> ResponseReturnValue:
    answers = _answers(NEW)
    if answers is None or request.args.get("mulai"):  # "Buat SKP" starts afresh
        answers = {**_blank_rhk(), "year": str(today().year), "approach": "kuantitatif"}
    if request.method == "POST":
        answers["year"] = request.form.get("year", "").strip()
        _clear_errors(answers, ("year",))
        _keep(NEW, answers)
        return redirect(_step_url(NEW, "periksa") if answers.get("checking") else url_for("rencana.new_approach"))
    _keep(NEW, answers)
    form = _page_form(answers, {"year": answers["year"]}, ("year",))
    return render_template("skp/q_year.html", active="skp", form=form)


@bp.route("/baru/pendekatan", methods=["GET", "POST"])
@signed_in
def new_approach() -> ResponseReturnValue:
    answers = _answers(NEW)
    if answers is None:
        return redirect(url_for("rencana.new_year"))
    if request.method == "POST":
        answers["approach"] = request.form.get("approach", "")
        _clear_errors(answers, ("approach",))
        _keep(NEW, answers)
        return redirect(_step_url(NEW, "periksa" if answers.get("checking") else "intervensi"))
    form = _page_form(answers, {"approach": answers["approach"]}, ("approach",))
    return render_template("skp/q_approach.html", active="skp", form=form, action=url_for("rencana.new_approach"),
                           back=url_for("rencana.new_year"), plan=None)


@bp.route("/<skp_id>/pendekatan", methods=["GET", "POST"])
@signed_in
def approach(skp_id: str) -> ResponseReturnValue:
    """A draft's approach, sent with its RHK as they are."""
    plan = _plan(skp_id)
    form = Form(values={"approach": request.form.get("approach", plan["approach"])})
    if request.method == "POST":
        try:
            call("PUT", f"/api/v1/skp/{skp_id}", json={"approach": form.values["approach"],
                                                        "rhk": [_plan_body(r) for r in plan["rhk"]]})
        except ApiProblem as problem:
            form.take(problem, lambda name: "approach" if name == "approach" else None)
            return render_template("skp/q_approach.html", active="skp", form=form, plan=plan,
                                   action=url_for("rencana.approach", skp_id=skp_id),
                                   back=url_for("skp.detail", skp_id=skp_id)), problem.status
        return redirect(url_for("skp.detail", skp_id=skp_id, selesai="pendekatan"))
    return render_template("skp/q_approach.html", active="skp", form=form, plan=plan,
                           action=url_for("rencana.approach", skp_id=skp_id), back=url_for("skp.detail", skp_id=skp_id))


# --- an RHK of a draft: start adding or changing one -------------------------------------------------

@bp.get("/<skp_id>/rhk/baru")
@signed_in
def add_rhk(skp_id: str) -> ResponseReturnValue:
    plan = _plan(skp_id)
    _keep(skp_id, {**_blank_rhk(), "year": str(plan["year"]), "approach": plan["approach"]})
    return redirect(_step_url(skp_id, "intervensi"))


@bp.get("/<skp_id>/rhk/<rhk_id>/ubah")
@signed_in
def change_rhk(skp_id: str, rhk_id: str) -> ResponseReturnValue:
    plan = _plan(skp_id)
    rhk = next((r for r in plan["rhk"] if r["id"] == rhk_id), None) or abort(404)
    _keep(skp_id, {**_from_plan(rhk), "year": str(plan["year"]), "approach": plan["approach"], "checking": True})
    return redirect(_step_url(skp_id, "periksa"))


@bp.route("/<skp_id>/rhk/<rhk_id>/hapus", methods=["GET", "POST"])
@signed_in
def remove_rhk(skp_id: str, rhk_id: str) -> ResponseReturnValue:
    plan = _plan(skp_id)
    rhk = next((r for r in plan["rhk"] if r["id"] == rhk_id), None) or abort(404)
    form = Form()
    status = 200
    if request.method == "POST":
        try:
            call("PUT", f"/api/v1/skp/{skp_id}", json={
                "approach": plan["approach"], "rhk": [_plan_body(r) for r in plan["rhk"] if r["id"] != rhk_id]})
        except ApiProblem as problem:
            form.take(problem, lambda _name: None)
            status = problem.status
        else:
            return redirect(url_for("skp.detail", skp_id=skp_id, selesai="hapus"))
    return render_template("skp/remove_rhk.html", active="skp", plan=plan, rhk=rhk, form=form), status


# --- the RHK's questions ---------------------------------------------------------------------------

def _answers_or_start(scope: str) -> dict[str, Any] | None:
    answers = _answers(scope)
    if answers is None:
        return None
    if scope == NEW and not answers.get("year"):
        return None
    return answers


def _start_over(scope: str) -> ResponseReturnValue:
    return redirect(url_for("rencana.new_year") if scope == NEW else url_for("skp.detail", skp_id=scope))


def _year(answers: dict[str, Any]) -> int | None:
    year = str(answers.get("year", ""))
    return int(year) if year.isdigit() else None


def _choices(answers: dict[str, Any]) -> tuple[dict[str, Any] | None, ApiProblem | None]:
    """The supervisor's RHK this RHK may intervene (the API's list), or why there is none to offer."""
    year = _year(answers)
    try:
        return get("/api/v1/skp/intervenable", year=year), None
    except ApiProblem as problem:
        if problem.status >= 500:
            raise
        return None, problem


@bp.route("/<scope>/rhk/<step>", methods=["GET", "POST"])
@signed_in
def step(scope: str, step: str) -> ResponseReturnValue:
    if step not in STEPS:
        abort(404)
    answers = _answers_or_start(scope)
    if answers is None:
        return _start_over(scope)
    plan = _plan(scope) if scope != NEW else None
    handler = {"intervensi": _intervensi, "uraian": _uraian, "iki": _iki, "periksa": _periksa}[step]
    return handler(scope, answers, plan)


def _back(scope: str, step: str, answers: dict[str, Any]) -> str:
    if answers.get("checking") and step != "periksa":
        return _step_url(scope, "periksa")
    if step == "intervensi":
        return url_for("rencana.new_approach") if scope == NEW else url_for("skp.detail", skp_id=scope)
    if step == "uraian" and answers.get("skipped_intervensi"):
        return url_for("rencana.new_approach") if scope == NEW else url_for("skp.detail", skp_id=scope)
    return _step_url(scope, STEPS[STEPS.index(step) - 1])


def _intervensi(scope: str, answers: dict[str, Any], plan: dict[str, Any] | None) -> ResponseReturnValue:
    if request.method == "POST":
        answers["intervenes"] = request.form.get("intervenes", "")
        _clear_errors(answers, ("intervenes",))
        _keep(scope, answers)
        return _next(scope, answers, "intervensi")
    choices, problem = _choices(answers)
    if choices is not None and not choices.get("required") and not choices.get("rhk"):
        # Heading the organisation with nobody's plan above: there is nothing to intervene.
        answers.update(intervenes="", skipped_intervensi=True)
        _keep(scope, answers)
        return redirect(_step_url(scope, "uraian"))
    form = _page_form(answers, {"intervenes": answers["intervenes"]}, ("intervenes",))
    return render_template("skp/q_intervensi.html", active="skp", form=form, choices=choices, problem=problem,
                           scope=scope, plan=plan, year=_year(answers), back=_back(scope, "intervensi", answers))


def _uraian(scope: str, answers: dict[str, Any], plan: dict[str, Any] | None) -> ResponseReturnValue:
    if request.method == "POST":
        answers["text"] = request.form.get("text", "").strip()
        answers["kind"] = request.form.get("kind", "")
        _clear_errors(answers, ("text", "kind"))
        _keep(scope, answers)
        return _next(scope, answers, "uraian")
    form = _page_form(answers, {"text": answers["text"], "kind": answers["kind"]}, ("text", "kind"))
    return render_template("skp/q_uraian.html", active="skp", form=form, scope=scope, plan=plan,
                           year=_year(answers), back=_back(scope, "uraian", answers))


def _iki(scope: str, answers: dict[str, Any], plan: dict[str, Any] | None) -> ResponseReturnValue:
    if request.method == "POST":
        answers["iki"] = {aspek: {part: request.form.get(f"iki-{aspek}-{part}", "").strip() for part in IKI_PARTS}
                          for aspek in ASPEK}
        _clear_errors(answers, ("iki-",))
        _keep(scope, answers)
        return _next(scope, answers, "iki")
    values = {f"iki-{aspek}-{part}": answers["iki"][aspek][part] for aspek in ASPEK for part in IKI_PARTS}
    form = _page_form(answers, values, ("iki-",))
    return render_template("skp/q_iki.html", active="skp", form=form, scope=scope, plan=plan, year=_year(answers),
                           approach=answers.get("approach"), text=answers["text"], back=_back(scope, "iki", answers))


def _intervened_text(answers: dict[str, Any], plan: dict[str, Any] | None) -> str | None:
    if not answers["intervenes"]:
        return None
    if plan is not None:  # the RHK as the plan has it already names the text
        known = next((r for r in plan["rhk"] if r.get("intervenes") == answers["intervenes"]), None)
        if known and known.get("intervenes_text"):
            return known["intervenes_text"]
    choices, _problem = _choices(answers)
    found = next((r for r in (choices or {}).get("rhk", []) if r["id"] == answers["intervenes"]), None)
    return found["text"] if found else None


def _periksa(scope: str, answers: dict[str, Any], plan: dict[str, Any] | None) -> ResponseReturnValue:
    form = Form()
    status = 200
    if request.method == "POST":
        sent = _rhk_body(answers)
        try:
            if scope == NEW:
                year = _year(answers)
                reply = call("POST", "/api/v1/skp", json={"year": year if year is not None else answers["year"],
                                                          "approach": answers["approach"], "rhk": [sent]})
                _forget(scope)
                return redirect(url_for("skp.detail", skp_id=reply.body["id"], selesai="create"))
            assert plan is not None
            rhk = [_plan_body(r) for r in plan["rhk"]]
            index = next((i for i, r in enumerate(rhk) if r["id"] == answers.get("rhk_id")), len(rhk))
            rhk[index:index + 1] = [sent]
            call("PUT", f"/api/v1/skp/{scope}", json={"approach": plan["approach"], "rhk": rhk})
        except ApiProblem as problem:
            index = 0 if scope == NEW else next(
                (i for i, r in enumerate(plan["rhk"] if plan else []) if r["id"] == answers.get("rhk_id")),
                len(plan["rhk"]) if plan else 0)
            form = _refused(scope, answers, problem, index, sent)
            status = problem.status
        else:
            _forget(scope)
            return redirect(url_for("skp.detail", skp_id=scope, selesai="rhk"))
    answers["checking"] = True
    _keep(scope, answers)
    return render_template("skp/q_periksa.html", active="skp", form=form, scope=scope, plan=plan, answers=answers,
                           year=_year(answers),
                           body=_rhk_body(answers), intervened=_intervened_text(answers, plan),
                           url=lambda step: _step_url(scope, step)), status


# --- the printable SKP ---------------------------------------------------------------------------------

@bp.get("/<skp_id>/cetak")
@signed_in
def print_skp(skp_id: str) -> ResponseReturnValue:
    plan = get(f"/api/v1/skp/{skp_id}")
    return render_template("skp/print.html", active="skp", plan=plan, people=people_of(plan.get("nip"),
                                                                                    plan.get("penilai_nip")))


def people_of(*nips: str | None) -> dict[str, dict[str, Any]]:
    """Master data of the people a document names (the employee, their penilai), where the API lets
    the reader see them; a document still prints the NIP of one it does not."""
    found: dict[str, dict[str, Any]] = {}
    for nip in {n for n in nips if n}:
        try:
            found[nip] = get(f"/api/v1/employees/{nip}")
        except ApiProblem as problem:
            if problem.status >= 500:
                raise
    return found
