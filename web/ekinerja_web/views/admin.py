"""Admin instansi: who in the agency is blocked and why, with the repair next to each finding; sync
runs; the agency's daily-progress settings; justified absences, recorded, corrected and withdrawn;
the Tukin policy (upload), the month's computation and its payroll file (CSV or XLSX)."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import session as web_session
from ..api import ApiProblem
from ..app import ROLE_ADMIN, me, signed_in
from ..client import call, get
from ..forms import Form, locale
from .tunjangan import month_value

bp = Blueprint("admin", __name__, url_prefix="/admin")
PAGE = 50
# Findings whose repair is the supervisor link (the pejabat penilai): the form next to them sets it.
SUPERVISOR_CHECKS = {"supervisor", "supervisor-active"}
NOTICES = {"supervisor": _l("Atasan disimpan. Diagnosis diperbarui dalam beberapa detik."),
           "email": _l("Email disimpan."), "reactivate": _l("Pegawai diaktifkan kembali."),
           "sync": _l("Sinkronisasi ASN pegawai diminta."), "mfa": _l("Verifikasi dua langkah pegawai direset."),
           "unchanged": _l("Data sudah seperti itu: tidak ada yang diubah.")}


def _agency() -> str:
    return request.args.get("instansi") or (me() or {}).get("agency_id") or ""


@bp.get("/")
@signed_in(allowed=ROLE_ADMIN)
def findings() -> ResponseReturnValue:
    agency = _agency()
    if not agency:
        abort(404)
    offset = int(request.args.get("mulai", "0") or 0) if request.args.get("mulai", "0").isdigit() else 0
    params = {"code": request.args.get("kode") or None, "status": request.args.get("status") or None,
              "offset": offset, "limit": PAGE}
    data = get(f"/api/v1/admin/agencies/{agency}/findings", **params)
    return render_template("admin/findings.html", active="admin", data=data, code=params["code"], offset=offset,
                           page=PAGE, agency=agency)


def _employee_page(nip: str, forms: dict[str, Form], status: int = 200) -> ResponseReturnValue:
    diagnosis = get(f"/api/v1/employees/{nip}/diagnosis")
    employee: dict[str, Any] | None = None
    try:
        employee = get(f"/api/v1/employees/{nip}")
    except ApiProblem:
        pass
    notice = NOTICES.get(request.args.get("selesai", ""))
    return render_template("admin/employee.html", active="admin", nip=nip, diagnosis=diagnosis, employee=employee,
                           forms=forms, notice=notice, supervisor_checks=SUPERVISOR_CHECKS), status


@bp.get("/pegawai/<nip>")
@signed_in(allowed=ROLE_ADMIN)
def employee(nip: str) -> ResponseReturnValue:
    return _employee_page(nip, {})


@bp.post("/pegawai/<nip>")
@signed_in(allowed=ROLE_ADMIN)
def repair(nip: str) -> ResponseReturnValue:
    repair_kind = request.form.get("repair", "")
    reason = request.form.get("reason", "").strip()
    form = Form(values={k: request.form.get(k, "").strip() for k in ("supervisor_nip", "email", "reason")})
    body: dict[str, Any] = {"reason": reason} if reason else {}
    routes = {
        "supervisor": ("PUT", f"/api/v1/admin/employees/{nip}/supervisor",
                       {**body, "supervisor_nip": form.values["supervisor_nip"]}),
        "email": ("PUT", f"/api/v1/admin/employees/{nip}/email", {**body, "email": form.values["email"]}),
        "reactivate": ("POST", f"/api/v1/admin/employees/{nip}/reactivate", body),
        "sync": ("POST", f"/api/v1/admin/employees/{nip}/sync", None),
        "mfa": ("POST", f"/api/v1/admin/users/{nip}/mfa/reset", None),
    }
    if repair_kind not in routes:
        abort(400)
    method, path, payload = routes[repair_kind]
    try:
        reply = call(method, path, json=payload)
    except ApiProblem as problem:
        form.take(problem, {"supervisor_nip": "supervisor_nip", "email": "email", "reason": f"reason-{repair_kind}"})
        return _employee_page(nip, {repair_kind: form}, status=problem.status)
    changed = not isinstance(reply.body, dict) or reply.body.get("changed", True)
    return redirect(url_for("admin.employee", nip=nip, selesai=repair_kind if changed else "unchanged"))


@bp.route("/sinkronisasi", methods=["GET", "POST"])
@signed_in(allowed=ROLE_ADMIN)
def sync_runs() -> ResponseReturnValue:
    agency = _agency()
    form = Form()
    status = 200
    if request.method == "POST":
        try:
            call("POST", f"/api/v1/admin/agencies/{agency}/sync", json={"full": request.form.get("full") == "1"})
        except ApiProblem as problem:
            form.take(problem)
            status = problem.status
        else:
            return redirect(url_for("admin.sync_runs", diminta=1))
    data = get("/api/v1/admin/sync-runs", limit=20)
    notice = _("Sinkronisasi instansi dimasukkan ke antrean.") if request.args.get("diminta") else None
    return render_template("admin/sync_runs.html", active="admin", data=data, form=form, notice=notice), status


# --- the agency's daily-progress settings ----------------------------------------------------------

# The settings typed one item a line: the API names an item by its index (`extra_holidays[1].date`),
# the page by the line it is on.
LINE_LISTS = ("extra_holidays", "extra_working_days")
SETTINGS_FIELDS = ("work_saturday", "backfill_days", "reminder_hour", "go_live", *LINE_LISTS)
MAX_DAYS = "max-"  # form field id prefix of absence_max_days.<kind>
_ITEM = re.compile(rf"^({'|'.join(LINE_LISTS)})\[([0-9]+)\]")
_WHOLE = re.compile(r"^[+-]?[0-9]+$")


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def settings_values(settings: dict[str, Any]) -> dict[str, str]:
    """The API's settings as the form shows them: a holiday a line (its date, then its name)."""
    values = {"work_saturday": "ya" if settings.get("work_saturday") else "tidak",
              "backfill_days": _text(settings.get("backfill_days")),
              "reminder_hour": _text(settings.get("reminder_hour")), "go_live": _text(settings.get("go_live")),
              "extra_holidays": "\n".join(f"{h.get('date', '')} {h.get('name', '')}".strip()
                                          for h in settings.get("extra_holidays") or []),
              "extra_working_days": "\n".join(settings.get("extra_working_days") or [])}
    for kind, days in (settings.get("absence_max_days") or {}).items():
        values[MAX_DAYS + kind] = _text(days)
    return values


def _lines(text: str) -> list[tuple[int, str]]:
    """The filled lines of a textarea with their numbers (from 1), blank lines skipped."""
    return [(number, line.strip()) for number, line in enumerate(text.splitlines(), 1) if line.strip()]


def _whole(text: str) -> Any:
    """A typed number as a JSON integer; anything else as typed, for the API to refuse by its rule."""
    text = text.strip()
    if not text:
        return None
    return int(text) if _WHOLE.match(text) else text


def settings_body(values: dict[str, str]) -> tuple[dict[str, Any], dict[str, list[int]]]:
    """The whole PUT body from the form (the API stores the settings as sent, so every field goes,
    changed or not) and, for each list typed one item a line, the line number of each item sent."""
    numbers: dict[str, list[int]] = {name: [] for name in LINE_LISTS}
    holidays = []
    for number, line in _lines(values.get("extra_holidays", "")):
        day, *name = line.split(None, 1)
        holidays.append({"date": day, "name": name[0] if name else ""})
        numbers["extra_holidays"].append(number)
    working = []
    for number, line in _lines(values.get("extra_working_days", "")):
        working.append(line)
        numbers["extra_working_days"].append(number)
    body: dict[str, Any] = {
        "work_saturday": {"ya": True, "tidak": False}.get(values.get("work_saturday", "")),
        "backfill_days": _whole(values.get("backfill_days", "")),
        "reminder_hour": _whole(values.get("reminder_hour", "")),
        "go_live": values.get("go_live", "").strip() or None,
        "extra_holidays": holidays, "extra_working_days": working,
        "absence_max_days": {name[len(MAX_DAYS):]: _whole(value) for name, value in values.items()
                             if name.startswith(MAX_DAYS) and value.strip()}}
    return body, numbers


def settings_place(name: str, numbers: dict[str, list[int]]) -> tuple[str | None, int | None]:
    """The form field an API field path of the settings belongs to, and the line, for an item of a
    list typed one a line (`extra_holidays[1].date`: the second holiday's line)."""
    item = _ITEM.match(name)
    if item:
        sent = numbers.get(item.group(1), [])
        index = int(item.group(2))
        return item.group(1), sent[index] if index < len(sent) else None
    if name.startswith("absence_max_days."):
        return MAX_DAYS + name.split(".", 1)[1], None
    return (name, None) if name in SETTINGS_FIELDS else (None, None)


def _take_settings(form: Form, problem: ApiProblem, numbers: dict[str, list[int]]) -> None:
    if not problem.errors:
        form.take(problem, lambda name: settings_place(name, numbers)[0])
        return
    lang = locale()
    for item in problem.errors:
        field_id, line = settings_place(item.field, numbers)
        sentence = item.detail_id if lang == "id" else item.detail
        if line is not None:
            sentence = _("Baris %(line)s: %(sentence)s", line=line, sentence=sentence)
        if field_id in LINE_LISTS and field_id in form.errors:
            form.errors[field_id] += " " + sentence  # every broken line, next to the list
            form.summary.append((field_id, sentence))
        else:
            form.add(field_id, sentence)


@bp.route("/pengaturan", methods=["GET", "POST"])
@signed_in(allowed=ROLE_ADMIN)
def settings() -> ResponseReturnValue:
    agency = _agency()
    status = 200
    if request.method == "POST":
        form = Form(values={name: value for name, value in request.form.items() if name != "csrf_token"})
        body, numbers = settings_body(form.values)
        try:
            call("PUT", "/api/v1/harian/settings", params={"agency_id": agency}, json=body)
        except ApiProblem as problem:
            _take_settings(form, problem, numbers)
            status = problem.status
        else:
            return redirect(url_for("admin.settings", selesai=1))
        kinds = [name[len(MAX_DAYS):] for name in form.values if name.startswith(MAX_DAYS)]
    else:
        current = get("/api/v1/harian/settings", agency_id=agency)
        form = Form(values=settings_values(current))
        kinds = list(current.get("absence_max_days") or {})
    notice = _("Pengaturan instansi disimpan.") if request.args.get("selesai") else None
    return render_template("admin/settings.html", active="admin", form=form, kinds=kinds, notice=notice), status


# --- justified absences ------------------------------------------------------------------------------

ABSENCE_FIELDS = ("kind", "start", "end", "note")
ABSENCE_NOTICES = {"disimpan": _l("Ketidakhadiran dicatat."), "koreksi": _l("Ketidakhadiran dikoreksi."),
                   "tarik": _l("Ketidakhadiran ditarik: hari-harinya tidak lagi dihitung sebagai izin.")}
# What an absence's history records (the API's action codes).
ABSENCE_ACTIONS = {"recorded": _l("Dicatat"), "corrected": _l("Dikoreksi"), "withdrawn": _l("Ditarik")}


@bp.route("/ketidakhadiran", methods=["GET", "POST"])
@signed_in(allowed=ROLE_ADMIN)
def absences() -> ResponseReturnValue:
    nip = (request.values.get("nip") or "").strip()
    form = Form(values={k: request.form.get(k, "").strip() for k in ("nip", *ABSENCE_FIELDS)})
    if not form.values["nip"]:
        form.values["nip"] = nip
    status = 200
    if request.method == "POST":
        body = {k: v for k, v in form.values.items() if v}
        try:
            call("POST", "/api/v1/harian/absences", json=body)
        except ApiProblem as problem:
            form.take(problem, {k: k for k in ("nip", *ABSENCE_FIELDS)})
            status = problem.status
        else:
            return redirect(url_for("admin.absences", nip=form.values["nip"], selesai="disimpan"))
    listed = None
    if nip and status == 200:
        try:
            listed = get("/api/v1/harian/absences", nip=nip)
        except ApiProblem as problem:
            form.take(problem, {"nip": "nip"})
    return render_template("admin/absences.html", active="admin", form=form, listed=listed, nip=nip,
                           notice=ABSENCE_NOTICES.get(request.args.get("selesai", "")), actions=ABSENCE_ACTIONS), status


def _recorded(nip: str, absence_id: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The employee's absences and the one asked for (None once it is no longer recorded). The API
    has no route for one absence: it is found in the employee's list."""
    listed = get("/api/v1/harian/absences", nip=nip)
    return listed, next((a for a in listed.get("absences") or [] if a.get("id") == absence_id), None)


def _absence_task(nip: str, absence_id: str, template: str, fields: tuple[str, ...], send: Any) -> ResponseReturnValue:
    """One task on one recorded absence: its page (GET), then the API call (POST) and back to the
    employee's absences with a notice, or the page again with the API's refusal at its fields."""
    status = 200
    if request.method == "POST":
        form = Form(values={k: request.form.get(k, "").strip() for k in fields})
        try:
            done = send({k: v for k, v in form.values.items() if v})
        except ApiProblem as problem:
            form.take(problem, {k: k for k in fields})
            status = problem.status
        else:
            return redirect(url_for("admin.absences", nip=nip, selesai=done))
        listed, absence = _recorded(nip, absence_id)
    else:
        listed, absence = _recorded(nip, absence_id)
        if absence is None:
            abort(404)
        form = Form(values={k: _text(absence.get(k)) for k in fields if k != "reason"})
    return render_template(template, active="admin", form=form, nip=nip, name=listed.get("name"),
                           absence=absence, absence_id=absence_id), status


@bp.route("/ketidakhadiran/<nip>/<absence_id>/koreksi", methods=["GET", "POST"])
@signed_in(allowed=ROLE_ADMIN)
def correct_absence(nip: str, absence_id: str) -> ResponseReturnValue:
    def send(body: dict[str, Any]) -> str:
        call("PUT", f"/api/v1/harian/absences/{absence_id}", json=body)
        return "koreksi"

    return _absence_task(nip, absence_id, "admin/absence_correct.html", (*ABSENCE_FIELDS, "reason"), send)


@bp.route("/ketidakhadiran/<nip>/<absence_id>/tarik", methods=["GET", "POST"])
@signed_in(allowed=ROLE_ADMIN)
def withdraw_absence(nip: str, absence_id: str) -> ResponseReturnValue:
    def send(body: dict[str, Any]) -> str:
        call("POST", f"/api/v1/harian/absences/{absence_id}/withdrawal", json=body)
        return "tarik"

    return _absence_task(nip, absence_id, "admin/absence_withdraw.html", ("reason",), send)


# --- Tukin -------------------------------------------------------------------------------------------

# A payroll file the API refused (a month not closed, say), kept for the tunjangan page it leads back to.
PAYROLL_PROBLEM = "payroll_problem"


@bp.route("/tunjangan", methods=["GET", "POST"])
@signed_in(allowed=ROLE_ADMIN)
def tukin() -> ResponseReturnValue:
    agency = _agency()
    month = request.values.get("bulan") or month_value()
    form = Form(values={"bulan": month})
    status = 200
    notice = {"policy": _("Kebijakan tunjangan dimuat."), "computed": _("Tunjangan bulan itu dihitung.")}.get(
        request.args.get("selesai", ""))
    refused = web_session.current().pop(PAYROLL_PROBLEM)
    if refused and request.method == "GET" and refused.get("month") == month:
        form.take(ApiProblem.from_body(refused["status"], refused["body"]), lambda name: "bulan" if name == "month"
                  else None)
    if request.method == "POST":
        try:
            if request.form.get("action") == "policy":
                upload = request.files.get("policy")
                content = upload.read() if upload else b""
                kind = "application/json" if content.lstrip()[:1] == b"{" else "application/yaml"
                call("POST", "/api/v1/tukin/policies", data=content, headers={"Content-Type": kind})
                return redirect(url_for("admin.tukin", bulan=month, selesai="policy"))
            call("POST", "/api/v1/tukin/computations", json={"month": month, "agency_id": agency})
            return redirect(url_for("admin.tukin", bulan=month, selesai="computed"))
        except ApiProblem as problem:
            form.take(problem, lambda name: "bulan" if name == "month" else ("policy" if name else None))
            status = problem.status
    policies = get("/api/v1/tukin/policies", agency_id=agency)
    month_data = None
    try:
        month_data = get("/api/v1/tukin/agency", month=month, agency_id=agency, limit=50)
    except ApiProblem as problem:
        if problem.status not in (404, 422):
            raise
    return render_template("admin/tukin.html", active="admin", policies=policies, month=month, month_data=month_data,
                           form=form, notice=notice, agency=agency), status


@bp.get("/tunjangan/<month>.<any(csv, xlsx):fmt>")
@signed_in(allowed=ROLE_ADMIN)
def payroll(month: str, fmt: str) -> ResponseReturnValue:
    """The payroll file as tukin made it; refused, the person is back on the month's page with the
    API's sentence (a download link cannot show a form of its own)."""
    agency = _agency()
    try:
        reply = call("GET", f"/api/v1/tukin/export.{fmt}", params={"month": month, "agency_id": agency}, raw=True)
    except ApiProblem as problem:
        body = problem.body or {"code": problem.code, "detail": problem.detail, "detail_id": problem.detail_id}
        web_session.current().set(PAYROLL_PROBLEM, {"month": month, "status": problem.status, "body": body})
        return redirect(url_for("admin.tukin", bulan=month))
    named = reply.headers.get("Content-Disposition") or f'attachment; filename="tukin-{agency}-{month}.{fmt}"'
    return Response(reply.body, content_type=reply.headers.get("Content-Type"),
                    headers={"Content-Disposition": named})
