"""The penilai's side of an evaluation: the team's realisasi waiting to be rated, then the rating as
question pages (hasil kerja: feedback per RHK and its rating; perilaku: feedback per BerAKHLAK value
next to the ekspektasi khusus, and its rating; a check page) sent as one POST .../evaluate. The
predikat is the API's answer; nothing is computed here."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from .. import session as web_session
from ..api import ApiProblem
from ..app import ROLE_TEAM, signed_in
from ..client import call, get
from ..forms import Form, locale
from ..labels import ENDS_POSITION, RATING
from .common import year_arg
from .penilaian import evaluations_of

bp = Blueprint("menilai", __name__, url_prefix="/tim/penilaian")
STEPS = ("hasil-kerja", "perilaku", "periksa")
STATE = "menilai"  # session key: {"skp:period": answers}
FEEDBACK = re.compile(r"^feedback_(rhk|perilaku)\.(.+)$")


@bp.get("/")
@signed_in(allowed=ROLE_TEAM)
def index() -> ResponseReturnValue:
    year = year_arg()
    team = get("/api/v1/skp/team", year=year).get("team", {})
    waiting: list[dict[str, Any]]
    rated: list[dict[str, Any]]
    waiting, rated, nothing = [], [], []
    for plan in [s for state in ("disetujui", "draft", "diajukan") for s in team.get(state) or []]:
        found = evaluations_of(plan["id"])
        for e in found:
            (waiting if e["state"] == "draft" else rated).append({**e, "name": plan.get("name") or e.get("name")})
        if not found:
            nothing.append(plan)
    return render_template("tim/penilaian.html", active="tim", year=year, waiting=waiting, rated=rated,
                           nothing=nothing)


def _key(skp_id: str, period_id: str) -> str:
    return f"{skp_id}:{period_id}"


def _load(skp_id: str, period_id: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The plan, its evaluation for the period and the answers so far (started from the evaluation:
    a rating is corrected from what it was)."""
    plan = get(f"/api/v1/skp/{skp_id}")
    evaluation = next((e for e in evaluations_of(skp_id) if e["period"]["id"] == period_id), None)
    if evaluation is None:
        abort(404)
    states = web_session.current().get(STATE) or {}
    answers = states.get(_key(skp_id, period_id)) or {
        "rating_hasil_kerja": evaluation.get("rating_hasil_kerja") or "",
        "rating_perilaku": evaluation.get("rating_perilaku") or "",
        "feedback_rhk": dict(evaluation.get("feedback_rhk") or {}),
        "feedback_perilaku": dict(evaluation.get("feedback_perilaku") or {}),
        "ends_position": evaluation.get("ends_position") or "", "errors": {}, "checking": False}
    return plan, evaluation, answers


def _keep(skp_id: str, period_id: str, answers: dict[str, Any] | None) -> None:
    states = dict(web_session.current().get(STATE) or {})
    if answers is None:
        states.pop(_key(skp_id, period_id), None)
    else:
        states[_key(skp_id, period_id)] = answers
    web_session.current().set(STATE, states)


def _url(skp_id: str, period_id: str, step: str) -> str:
    return url_for("menilai.step", skp_id=skp_id, period_id=period_id, step=step)


def _form(answers: dict[str, Any], values: dict[str, Any], fields: list[str]) -> Form:
    form = Form(values=values)
    for field_id in fields:
        if field_id in answers["errors"]:
            form.add(field_id, answers["errors"][field_id])
    return form


def _field_ids(evaluation: dict[str, Any], plan: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """The API's field name -> (page, field id) of every field the rating sends."""
    places = {"rating_hasil_kerja": ("hasil-kerja", "rating_hasil_kerja"),
              "rating_perilaku": ("perilaku", "rating_perilaku"), "ends_position": ("periksa", "ends_position")}
    for i, item in enumerate(evaluation.get("realisasi") or []):
        places[f"feedback_rhk.{item['rhk_id']}"] = ("hasil-kerja", f"fb-rhk-{i}")
    for p in plan.get("perilaku") or []:
        places[f"feedback_perilaku.{p['key']}"] = ("perilaku", f"fb-{p['key']}")
    return places


@bp.route("/<skp_id>/<period_id>/<step>", methods=["GET", "POST"])
@signed_in(allowed=ROLE_TEAM)
def step(skp_id: str, period_id: str, step: str) -> ResponseReturnValue:
    if step not in STEPS:
        abort(404)
    plan, evaluation, answers = _load(skp_id, period_id)
    places = _field_ids(evaluation, plan)
    items = evaluation.get("realisasi") or []
    texts = {r["id"]: r["text"] for r in plan["rhk"]}
    ratings = [(key, str(words)) for key, words in RATING.items()]
    following = STEPS[STEPS.index(step) + 1] if step != "periksa" else None
    if step == "hasil-kerja":
        fields = ["rating_hasil_kerja"] + [f"fb-rhk-{i}" for i in range(len(items))]
        if request.method == "POST":
            answers["rating_hasil_kerja"] = request.form.get("rating_hasil_kerja", "")
            answers["feedback_rhk"] = {item["rhk_id"]: request.form.get(f"fb-rhk-{i}", "").strip()
                                       for i, item in enumerate(items)}
        values = {"rating_hasil_kerja": answers["rating_hasil_kerja"],
                  **{f"fb-rhk-{i}": answers["feedback_rhk"].get(item["rhk_id"], "") for i, item in enumerate(items)}}
    elif step == "perilaku":
        fields = ["rating_perilaku"] + [f"fb-{p['key']}" for p in plan["perilaku"]]
        if request.method == "POST":
            answers["rating_perilaku"] = request.form.get("rating_perilaku", "")
            answers["feedback_perilaku"] = {p["key"]: request.form.get(f"fb-{p['key']}", "").strip()
                                            for p in plan["perilaku"]}
        values = {"rating_perilaku": answers["rating_perilaku"],
                  **{f"fb-{p['key']}": answers["feedback_perilaku"].get(p["key"], "") for p in plan["perilaku"]}}
    else:
        fields = ["ends_position"]
        if request.method == "POST":
            answers["ends_position"] = request.form.get("ends_position", "")
        values = {"ends_position": answers["ends_position"]}
    if request.method == "POST":
        answers["errors"] = {k: v for k, v in answers["errors"].items() if k not in fields}
        if step != "periksa":
            _keep(skp_id, period_id, answers)
            return redirect(_url(skp_id, period_id, "periksa" if answers.get("checking") else following or step))
        return _send(skp_id, period_id, plan, evaluation, answers, places, texts, ratings)
    if step == "periksa":
        answers["checking"] = True
    _keep(skp_id, period_id, answers)
    form = _form(answers, values, fields) if step != "periksa" else _summary(answers, places, skp_id, period_id)
    return render_template(f"tim/menilai_{step.replace('-', '_')}.html", active="tim", plan=plan, e=evaluation,
                           answers=answers, form=form, texts=texts, ratings=ratings, step=step,
                           url=lambda s: _url(skp_id, period_id, s), ends=ends_options())


def _summary(answers: dict[str, Any], places: dict[str, tuple[str, str]], skp_id: str, period_id: str) -> Form:
    """The check page's summary of what the API refused last time, each linked to its page."""
    form = Form(values={"ends_position": answers["ends_position"]})
    by_id = {field_id: page for page, field_id in places.values()}
    for field_id, sentence in answers["errors"].items():
        page = by_id.get(field_id)
        if page == "periksa":
            form.add(field_id, sentence)
        elif page:
            form.add(f"{_url(skp_id, period_id, page)}#{field_id}", sentence)
    for sentence in answers.get("notes") or []:
        form.add(None, sentence)
    return form


def _send(skp_id: str, period_id: str, plan: dict[str, Any], evaluation: dict[str, Any], answers: dict[str, Any],
          places: dict[str, tuple[str, str]], texts: dict[str, str], ratings: list[tuple[str, str]]
          ) -> ResponseReturnValue:
    body: dict[str, Any] = {"rating_hasil_kerja": answers["rating_hasil_kerja"],
                            "rating_perilaku": answers["rating_perilaku"],
                            "feedback_rhk": {k: v for k, v in answers["feedback_rhk"].items() if v},
                            "feedback_perilaku": {k: v for k, v in answers["feedback_perilaku"].items() if v}}
    if answers["ends_position"]:
        body["ends_position"] = answers["ends_position"]
    try:
        call("POST", f"/api/v1/skp/{skp_id}/evaluations/{period_id}/evaluate", json=body)
    except ApiProblem as problem:
        lang = locale()
        answers["errors"], answers["notes"] = {}, []
        for item in problem.errors or []:
            sentence = item.detail_id if lang == "id" else item.detail
            name = item.field
            if FEEDBACK.match(name) and name not in places:
                name = "rating_hasil_kerja" if name.startswith("feedback_rhk") else "rating_perilaku"
            where = places.get(name)
            if where:
                answers["errors"].setdefault(where[1], sentence)
            else:
                answers["notes"].append(sentence)
        if not problem.errors:
            answers["notes"].append(problem.sentence(lang))
        answers["checking"] = True
        _keep(skp_id, period_id, answers)
        form = _summary(answers, places, skp_id, period_id)
        return render_template("tim/menilai_periksa.html", active="tim", plan=plan, e=evaluation, answers=answers,
                               form=form, texts=texts, ratings=ratings, step="periksa",
                               url=lambda s: _url(skp_id, period_id, s), ends=ends_options()), problem.status
    _keep(skp_id, period_id, None)
    return redirect(url_for("penilaian.document", skp_id=skp_id, period_id=period_id, selesai="dinilai"))


@bp.get("/<skp_id>/<period_id>")
@signed_in(allowed=ROLE_TEAM)
def start(skp_id: str, period_id: str) -> ResponseReturnValue:
    """Rating a period starts (again) from what the evaluation holds."""
    _keep(skp_id, period_id, None)
    return redirect(_url(skp_id, period_id, "hasil-kerja"))


def ends_options() -> list[tuple[str, str]]:
    return [("", _("Tidak"))] + [(k, str(v)) for k, v in ENDS_POSITION.items()]
