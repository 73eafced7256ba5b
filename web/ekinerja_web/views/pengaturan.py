"""Pengaturan akun: turning on verifikasi dua langkah (TOTP: scan the QR, confirm a code, the recovery
codes shown once), replacing the authenticator (which the API allows only with a current code of it
or a recovery code), and the list of my sessions with the others ended one by one."""

from __future__ import annotations

import base64
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from .. import session as web_session
from ..api import ApiProblem
from ..app import signed_in
from ..client import call, get
from ..forms import Form, locale

bp = Blueprint("pengaturan", __name__, url_prefix="/pengaturan")
ENROLMENT = "mfa_enrolment"  # session key: the secret being enrolled, until its first code confirms it


def _me() -> dict[str, Any]:
    found = get("/api/v1/me")
    web_session.current().set("me", found)
    return found


@bp.get("/")
@signed_in
def index() -> ResponseReturnValue:
    notice = _("Verifikasi dua langkah aktif. Mulai sekarang, masuk memerlukan kode dari aplikasi autentikator.") \
        if request.args.get("selesai") == "mfa" else None
    return render_template("pengaturan/index.html", active="pengaturan", account=_me(), notice=notice)


def _on_code(form: Form, problem: ApiProblem) -> None:
    """A refusal of the code typed (wrong, used, unknown) is shown next to the code's box."""
    if problem.errors:
        form.take(problem, lambda _field: "code")
    else:
        form.add("code", problem.sentence(locale()))


def _fresh_login(problem: ApiProblem) -> ResponseReturnValue:
    """The API wants a recent password sign-in for this: say so, with the way to do it."""
    return render_template("pengaturan/fresh_login.html", active="pengaturan", message=problem.sentence(locale()),
                           next=request.path), problem.status


@bp.route("/verifikasi", methods=["GET", "POST"])
@signed_in
def mfa() -> ResponseReturnValue:
    """Start an enrolment. With an authenticator already enrolled, the person proves it first with
    its current code or one recovery code, as the API requires."""
    account = _me()
    recovery = request.values.get("cara") == "pemulihan"
    form = Form()
    if request.method == "POST":
        body: dict[str, Any] = {}
        if account.get("mfa_enabled"):
            code = request.form.get("code", "").strip().replace(" ", "")
            body["recovery_code" if recovery else "code"] = code
        try:
            reply = call("POST", "/api/v1/auth/mfa/enroll", json=body)
        except ApiProblem as problem:
            if problem.code == "fresh-login-required":
                return _fresh_login(problem)
            if account.get("mfa_enabled"):
                _on_code(form, problem)
            else:
                form.take(problem)
            return render_template("pengaturan/mfa_start.html", active="pengaturan", account=account, form=form,
                                   recovery=recovery), problem.status
        web_session.current().set(ENROLMENT, {"secret": reply.body["secret"], "qr_svg": reply.body["qr_svg"]})
        return redirect(url_for("pengaturan.mfa_scan"))
    return render_template("pengaturan/mfa_start.html", active="pengaturan", account=account, form=form,
                           recovery=recovery)


@bp.route("/verifikasi/pindai", methods=["GET", "POST"])
@signed_in
def mfa_scan() -> ResponseReturnValue:
    pending = web_session.current().get(ENROLMENT)
    if not pending:
        return redirect(url_for("pengaturan.mfa"))
    form = Form()
    status = 200
    if request.method == "POST":
        try:
            reply = call("POST", "/api/v1/auth/mfa/enroll/confirm",
                         json={"code": request.form.get("code", "").strip().replace(" ", "")})
        except ApiProblem as problem:
            _on_code(form, problem)
            status = problem.status
        else:
            session = web_session.current()
            session.pop(ENROLMENT)
            session.set("recovery_codes", reply.body["recovery_codes"])
            session.set("after_codes", url_for("pengaturan.index", selesai="mfa"))
            return redirect(url_for("auth.recovery_codes"))
    qr = "data:image/svg+xml;base64," + base64.b64encode(pending["qr_svg"].encode()).decode()
    return render_template("pengaturan/mfa_scan.html", active="pengaturan", form=form, secret=pending["secret"],
                           qr=qr), status


@bp.get("/sesi")
@signed_in
def sessions() -> ResponseReturnValue:
    listed = get("/api/v1/auth/sessions").get("sessions", [])
    listed.sort(key=lambda s: s.get("last_used_at") or "", reverse=True)
    listed.sort(key=lambda s: not s.get("current"))  # this one first, then the most recently used
    notice = _("Sesi itu diakhiri: perangkat tersebut harus masuk lagi.") if request.args.get("selesai") else None
    return render_template("pengaturan/sessions.html", active="pengaturan", sessions=listed, notice=notice)


@bp.post("/sesi/<session_id>")
@signed_in
def end_session(session_id: str) -> ResponseReturnValue:
    if not session_id or len(session_id) > 200:
        abort(404)
    call("DELETE", f"/api/v1/auth/sessions/{session_id}")
    return redirect(url_for("pengaturan.sessions", selesai=1))
