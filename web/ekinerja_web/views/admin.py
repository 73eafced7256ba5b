"""Admin instansi: who in the agency is blocked and why, with the repair next to each finding; sync
runs; justified absences; the Tukin policy (upload), the month's computation and its payroll file."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..api import ApiProblem
from ..app import ROLE_ADMIN, me, signed_in
from ..client import call, get
from ..forms import Form
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


@bp.route("/ketidakhadiran", methods=["GET", "POST"])
@signed_in(allowed=ROLE_ADMIN)
def absences() -> ResponseReturnValue:
    nip = (request.values.get("nip") or "").strip()
    form = Form(values={k: request.form.get(k, "").strip() for k in ("nip", "kind", "start", "end", "note")})
    if not form.values["nip"]:
        form.values["nip"] = nip
    status = 200
    if request.method == "POST":
        body = {k: v for k, v in form.values.items() if v}
        try:
            call("POST", "/api/v1/harian/absences", json=body)
        except ApiProblem as problem:
            form.take(problem, {k: k for k in ("nip", "kind", "start", "end", "note")})
            status = problem.status
        else:
            return redirect(url_for("admin.absences", nip=form.values["nip"], disimpan=1))
    listed = None
    if nip and status == 200:
        try:
            listed = get("/api/v1/harian/absences", nip=nip)
        except ApiProblem as problem:
            form.take(problem, {"nip": "nip"})
    notice = _("Ketidakhadiran dicatat.") if request.args.get("disimpan") else None
    return render_template("admin/absences.html", active="admin", form=form, listed=listed, notice=notice,
                           nip=nip), status


@bp.route("/tunjangan", methods=["GET", "POST"])
@signed_in(allowed=ROLE_ADMIN)
def tukin() -> ResponseReturnValue:
    agency = _agency()
    month = request.values.get("bulan") or month_value()
    form = Form(values={"bulan": month})
    status = 200
    notice = {"policy": _("Kebijakan tunjangan dimuat."), "computed": _("Tunjangan bulan itu dihitung.")}.get(
        request.args.get("selesai", ""))
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


@bp.get("/tunjangan/<month>.csv")
@signed_in(allowed=ROLE_ADMIN)
def payroll(month: str) -> ResponseReturnValue:
    reply = call("GET", "/api/v1/tukin/export.csv", params={"month": month, "agency_id": _agency()}, raw=True)
    return Response(reply.body, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="tukin-{_agency()}-{month}.csv"'})
