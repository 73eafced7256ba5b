"""Progres Harian: the month calendar, a day's form (save as draft, submit), and a submission
followed until harian has stored or refused it."""

from __future__ import annotations

import calendar as cal
import datetime as dt
import re
import time
import uuid
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from .. import session as web_session
from ..api import ApiProblem
from ..app import signed_in
from ..client import call, get
from ..forms import Form
from .common import date_arg, month_arg, today

bp = Blueprint("harian", __name__, url_prefix="/harian")

FIELDS = ("rhk_id", "description", "quantity", "satuan", "quality", "evidence_url", "minutes")
ACTIVITY_FIELD = re.compile(r"^activities\[(\d+)\]\.(\w+)$")
MAX_ROWS = 50  # the API's own limit per day, so the form offers no more rows than can be sent
# A submission's statuses where nothing of it was stored: refused, or harian could not store it.
FAILED = "gagal"
UNSTORED = ("ditolak", FAILED)


@bp.get("/")
@signed_in
def calendar() -> ResponseReturnValue:
    year, month = month_arg()
    data = get("/api/v1/harian/calendar", year=year, month=month)
    by_date = {d["date"]: d for d in data.get("days", [])}
    weeks = []
    for week in cal.Calendar(firstweekday=0).monthdatescalendar(year, month):
        weeks.append([(day, by_date.get(day.isoformat()) if day.month == month else None) for day in week])
    first = dt.date(year, month, 1)
    previous = (first - dt.timedelta(days=1)).strftime("%Y-%m")
    following = (first + dt.timedelta(days=32)).replace(day=1).strftime("%Y-%m")
    return render_template("harian/calendar.html", active="harian", data=data, weeks=weeks, year=year, month=month,
                           previous=previous, following=following, today=today())


def _rows_from(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: ("" if e.get(k) is None else str(e.get(k))) for k in FIELDS} | {"state": e.get("state"),
             "note": e.get("note")} for e in entries]


def _rows_from_form() -> list[dict[str, Any]]:
    count = min(int(request.form.get("rows", "1") or 1), MAX_ROWS)
    rows = []
    for i in range(count):
        row: dict[str, Any] = {k: request.form.get(f"a-{i}-{k}", "").strip() for k in FIELDS}
        row["note"] = request.form.get(f"a-{i}-note") or None
        if request.form.get(f"a-{i}-remove"):
            continue
        rows.append(row)
    return rows


def _blank(row: dict[str, Any]) -> bool:
    return not any(row.get(k) for k in ("description", "quantity", "evidence_url", "minutes"))


def _activities(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[int]]:
    """The rows to send (blank ones left out) and, for each sent activity, its row on the form."""
    sent, index = [], []
    for i, row in enumerate(rows):
        if _blank(row):
            continue
        activity: dict[str, Any] = {k: row[k] for k in FIELDS if k != "minutes"}
        activity["minutes"] = row["minutes"] or None
        sent.append(activity)
        index.append(i)
    return sent, index


def _field_id(index: list[int]) -> Any:
    def resolve(name: str) -> str | None:
        found = ACTIVITY_FIELD.match(name)
        if found and int(found.group(1)) < len(index):
            return f"a-{index[int(found.group(1))]}-{found.group(2)}"
        if name in ("activities", "date"):
            return "a-0-description" if name == "activities" else None
        return None

    return resolve


def _page(date: dt.date, form: Form, rows: list[dict[str, Any]] | None = None, notice: str | None = None,
          status: int = 200) -> ResponseReturnValue:
    day = get(f"/api/v1/harian/days/{date.isoformat()}")
    month = get("/api/v1/harian/calendar", year=date.year, month=date.month)
    cal_day: dict[str, Any] = next((d for d in month.get("days", []) if d["date"] == date.isoformat()), {})
    choices = get("/api/v1/harian/rhk", date=date.isoformat()).get("rhk", [])
    approved = [e for e in day.get("entries", []) if e.get("state") == "disetujui"]
    if rows is None:
        rows = _rows_from([e for e in day.get("entries", []) if e.get("state") != "disetujui"])
    if not rows or not any(_blank(r) for r in rows):
        default_satuan = choices[0].get("satuan") or "" if len(choices) == 1 else ""
        rows = rows + [{**{k: "" for k in FIELDS}, "satuan": default_satuan,
                        "rhk_id": choices[0]["id"] if len(choices) == 1 else ""}]
    refused = day.get("last_refused_submission")
    return render_template("harian/day.html", active="harian", date=date, day=day, cal_day=cal_day, rows=rows,
                           approved=approved, choices=choices, form=form, notice=notice,
                           open=date.isoformat() in month.get("open_for_entry", []), refused=refused,
                           idempotency_key=request.form.get("idempotency_key") or str(uuid.uuid4())), status


@bp.get("/<day>")
@signed_in
def day(day: str) -> ResponseReturnValue:
    date = date_arg(day) or abort(404)
    notice = _("Draf tersimpan.") if request.args.get("disimpan") else None
    if request.args.get("dihapus"):
        notice = _("Draf dihapus.")
    form, rows = Form(), None
    typed = web_session.current().get("typed") or {}
    if request.args.get("pengajuan") and typed.get("submission") == request.args["pengajuan"]:
        # Back from a submission harian refused or could not store: what was typed, with each sentence
        # naming a field next to it (a fault on our side names none: the form is only typed again).
        found = get(f"/api/v1/harian/submissions/{typed['submission']}")
        if found.get("status") in UNSTORED and found.get("problem"):
            if _to_fix(found):
                form.take(ApiProblem.from_body(422, found["problem"]), _field_id(typed["index"]))
            rows = typed["rows"]
    return _page(date, form, rows=rows, notice=notice)


@bp.post("/<day>")
@signed_in
def save(day: str) -> ResponseReturnValue:
    date = date_arg(day) or abort(404)
    action = request.form.get("action", "")
    rows = _rows_from_form()
    form = Form()
    if action == "add":
        return _page(date, form, rows=rows + [{k: "" for k in FIELDS}] if len(rows) < MAX_ROWS else rows)
    if action == "delete":
        try:
            call("DELETE", f"/api/v1/harian/days/{date.isoformat()}/draft")
        except ApiProblem as problem:
            return _page(date, form.take(problem), rows=rows, status=problem.status)
        return redirect(url_for("harian.day", day=date.isoformat(), dihapus=1))
    if action == "submit":
        return _submit(date, rows, request.form.get("idempotency_key") or str(uuid.uuid4()))
    if action != "draft":
        abort(400)
    activities, index = _activities(rows)
    try:
        call("PUT", f"/api/v1/harian/days/{date.isoformat()}/draft", json={"activities": activities})
    except ApiProblem as problem:
        return _page(date, form.take(problem, _field_id(index)), rows=rows, status=_refused_status(problem))
    return redirect(url_for("harian.day", day=date.isoformat(), disimpan=1))


def _refused_status(problem: ApiProblem) -> int:
    return min(problem.status, 422) if problem.status < 500 else problem.status


def _submit(date: dt.date, rows: list[dict[str, Any]], key: str) -> ResponseReturnValue:
    """The day submitted as typed: the submission's page, or the form again with the API's refusal."""
    activities, index = _activities(rows)
    body: dict[str, Any] = {"date": date.isoformat()}
    if activities:
        body["activities"] = activities
    try:
        reply = call("POST", "/api/v1/harian/submissions", json=body, headers={"Idempotency-Key": key})
    except ApiProblem as problem:
        return _page(date, Form().take(problem, _field_id(index)), rows=rows, status=_refused_status(problem))
    # Kept on the server so a refusal, decided later, can be shown on what was typed.
    web_session.current().set("typed", {"submission": reply.body["id"], "date": date.isoformat(), "rows": rows,
                                        "index": index})
    return redirect(url_for("harian.submission", day=date.isoformat(), submission_id=reply.body["id"]))


def _typed_for(submission_id: str, date: dt.date) -> dict[str, Any] | None:
    """What was typed for this submission, while this session still holds it."""
    typed = web_session.current().get("typed") or {}
    return typed if typed.get("submission") == submission_id and typed.get("date") == date.isoformat() else None


def _to_fix(found: dict[str, Any]) -> bool:
    """Whether a submission's status leaves the person something to fix: a refusal, or text harian
    could not store (its problem names the fields); a fault on our side names none."""
    problem = found.get("problem") or {}
    return bool(problem) and (found.get("status") == "ditolak"
                              or (found.get("status") == FAILED and bool(problem.get("errors"))))


def _outcome(submission_id: str, wait: float) -> dict[str, Any]:
    """The submission's status; while pending, asked again for up to `wait` seconds (harian stores
    the queue in batches, usually within a second), so most pages show the outcome at once."""
    deadline = time.monotonic() + wait
    while True:
        found = get(f"/api/v1/harian/submissions/{submission_id}")
        if found.get("status") != "pending" or time.monotonic() >= deadline:
            return found
        time.sleep(0.25)


@bp.get("/<day>/pengajuan/<submission_id>")
@signed_in
def submission(day: str, submission_id: str) -> ResponseReturnValue:
    date = date_arg(day) or abort(404)
    try:
        uuid.UUID(submission_id)
    except ValueError:
        abort(404)
    found = _outcome(submission_id, current_app.config["SUBMISSION_WAIT_SECONDS"])
    form = Form()
    problem = found.get("problem") or {}
    to_fix = _to_fix(found)
    if to_fix:
        # The summary gives each sentence; the day's form, one link away, is where the fields are.
        form.take(ApiProblem.from_body(422, problem), lambda _name: None)
    day_now = get(f"/api/v1/harian/days/{date.isoformat()}") if found.get("status") != "pending" else None
    return render_template("harian/submission.html", active="harian", date=date, found=found, day=day_now,
                           form=form, to_fix=to_fix, problem=problem, typed_here=_typed_for(submission_id, date),
                           poll_url=url_for("harian.submission_json", submission_id=submission_id))


@bp.post("/<day>/pengajuan/<submission_id>")
@signed_in
def resubmit(day: str, submission_id: str) -> ResponseReturnValue:
    """A submission harian could not store through a fault of ours, sent again as it was typed."""
    date = date_arg(day) or abort(404)
    typed = _typed_for(submission_id, date)
    if typed is None:
        # What was typed is no longer here (another submission since, another session): the day's form.
        return redirect(url_for("harian.day", day=date.isoformat()))
    # One key per failed submission: the button pressed twice (or the page sent again) makes one new
    # submission, as the API's Idempotency-Key promises.
    return _submit(date, typed["rows"], str(uuid.uuid5(uuid.NAMESPACE_URL, f"ekinerja-web:again:{submission_id}")))


@bp.get("/pengajuan/<submission_id>.json")
@signed_in
def submission_json(submission_id: str) -> ResponseReturnValue:
    try:
        uuid.UUID(submission_id)
    except ValueError:
        abort(404)
    found = get(f"/api/v1/harian/submissions/{submission_id}")
    return jsonify({"status": found.get("status")})
