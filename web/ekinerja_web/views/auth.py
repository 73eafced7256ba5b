"""Sign-in (NIP + password, then TOTP when the account has it, or its forced enrolment), sign-out,
first-time activation and "Lupa Password": each a page of one question, posted and redirected."""

from __future__ import annotations

import base64
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from .. import session as web_session
from ..api import ApiProblem
from ..app import safe_next
from ..client import api, call, tokens_from
from ..forms import Form

bp = Blueprint("auth", __name__)


def _device() -> str:
    agent = request.headers.get("User-Agent", "")[:80]
    return f"Web e-Kinerja ({agent})" if agent else "Web e-Kinerja"


def _signed_in(body: dict[str, Any], target: str) -> ResponseReturnValue:
    """Keep the tokens on the server under a new session id and learn who this is."""
    lang_notice = web_session.current().get("notice")
    web_session.begin({"tokens": tokens_from(body)})
    me = call("GET", "/api/v1/me").body
    web_session.current().set("me", me)
    if lang_notice:
        web_session.current().set("notice", lang_notice)
    return redirect(safe_next(target))


def _pending(key: str) -> dict[str, Any] | None:
    return web_session.current().get(key)


@bp.route("/masuk", methods=["GET", "POST"])
def sign_in() -> ResponseReturnValue:
    session = web_session.current()
    target = safe_next(request.values.get("next"))
    if session.signed_in and request.method == "GET":
        return redirect(target)
    form = Form(values={"nip": request.form.get("nip", "").strip()})
    if request.method == "POST":
        try:
            reply = api().call("POST", "/api/v1/auth/login", json={
                "nip": form.values["nip"], "password": request.form.get("password", ""), "device_name": _device()},
                headers=_forwarded())
        except ApiProblem as problem:
            form.take(problem, {"nip": "nip", "password": "password"})
            _add_fixer(form, problem)
        else:
            body = reply.body
            if body["status"] == "authenticated":
                return _signed_in(body, target)
            session.pop("mfa")
            session.pop("enrolment")
            if body["status"] == "mfa_required":
                session.set("mfa", {"ticket": body["mfa_ticket"], "next": target})
                return redirect(url_for("auth.totp"))
            session.set("enrolment", {"ticket": body["enrollment_ticket"], "next": target})
            return redirect(url_for("auth.enrol"))
    notice = session.pop("notice")
    return render_template("auth/sign_in.html", form=form, next=target, notice=notice)


@bp.route("/masuk/kode", methods=["GET", "POST"])
def totp() -> ResponseReturnValue:
    pending = _pending("mfa")
    if not pending:
        return redirect(url_for("auth.sign_in"))
    form = Form()
    recovery = request.values.get("cara") == "pemulihan"
    if request.method == "POST":
        code = request.form.get("code", "").strip().replace(" ", "")
        body: dict[str, Any] = {"mfa_ticket": pending["ticket"], "device_name": _device()}
        body["recovery_code" if recovery else "code"] = code
        try:
            reply = api().call("POST", "/api/v1/auth/mfa", json=body, headers=_forwarded())
        except ApiProblem as problem:
            if problem.code == "ticket-invalid":
                web_session.current().pop("mfa")
                web_session.current().set("notice", problem.sentence(_lang()))
                return redirect(url_for("auth.sign_in", next=pending["next"]))
            form.take(problem, lambda _field: "code")
        else:
            return _signed_in(reply.body, pending["next"])
    return render_template("auth/totp.html", form=form, recovery=recovery)


@bp.route("/masuk/aktifkan-kode", methods=["GET", "POST"])
def enrol() -> ResponseReturnValue:
    """Forced TOTP enrolment: the role or agency requires a second factor the account does not have."""
    session = web_session.current()
    pending = _pending("enrolment")
    if not pending:
        return redirect(url_for("auth.sign_in"))
    form = Form()
    if "secret" not in pending:
        try:
            reply = api().call("POST", "/api/v1/auth/mfa/enroll", json={"enrollment_ticket": pending["ticket"]})
        except ApiProblem as problem:
            session.pop("enrolment")
            session.set("notice", problem.sentence(_lang()))
            return redirect(url_for("auth.sign_in"))
        pending = {**pending, "secret": reply.body["secret"], "qr_svg": reply.body["qr_svg"]}
        session.set("enrolment", pending)
    if request.method == "POST":
        try:
            reply = api().call("POST", "/api/v1/auth/mfa/enroll/confirm", json={
                "enrollment_ticket": pending["ticket"], "code": request.form.get("code", "").strip().replace(" ", "")})
        except ApiProblem as problem:
            form.take(problem, lambda _field: "code")
        else:
            body = reply.body
            session.pop("enrolment")
            if body.get("access_token"):
                _signed_in(body, pending["next"])
            web_session.current().set("recovery_codes", body["recovery_codes"])
            web_session.current().set("after_codes", pending["next"])
            return redirect(url_for("auth.recovery_codes"))
    qr = "data:image/svg+xml;base64," + base64.b64encode(pending["qr_svg"].encode()).decode()
    return render_template("auth/enrol.html", form=form, secret=pending["secret"], qr=qr)


@bp.get("/masuk/kode-pemulihan")
def recovery_codes() -> ResponseReturnValue:
    session = web_session.current()
    codes = session.pop("recovery_codes")
    if not codes:
        return redirect(url_for("pages.beranda"))
    target = session.pop("after_codes") or "/"
    return render_template("auth/recovery_codes.html", codes=codes, next=safe_next(target))


@bp.post("/keluar")
def sign_out() -> ResponseReturnValue:
    session = web_session.current()
    if session.signed_in:
        try:
            call("POST", "/api/v1/auth/logout")
        except Exception:  # noqa: BLE001  the web session ends whatever the API answers
            pass
    web_session.end()
    web_session.current().set("notice", _("Anda sudah keluar."))
    target = request.form.get("next")  # signing in again to come back (a step that needs a fresh sign-in)
    return redirect(url_for("auth.sign_in", next=safe_next(target)) if target else url_for("auth.sign_in"))


@bp.route("/aktivasi", methods=["GET", "POST"])
def activation() -> ResponseReturnValue:
    form = Form(values={k: request.form.get(k, "").strip() for k in ("nip", "nik", "email")})
    if request.method == "POST":
        try:
            api().call("POST", "/api/v1/auth/activation", json=form.values, headers=_forwarded())
        except ApiProblem as problem:
            form.take(problem, {"nip": "nip", "nik": "nik", "email": "email"})
            _add_fixer(form, problem)
        else:
            return redirect(url_for("auth.mail_sent", jenis="aktivasi"))
    return render_template("auth/activation.html", form=form)


@bp.route("/lupa-password", methods=["GET", "POST"])
def forgot() -> ResponseReturnValue:
    form = Form(values={k: request.form.get(k, "").strip() for k in ("nip", "nik", "email")})
    not_activated = False
    if request.method == "POST":
        # The NIK is optional: sent only when given, and then identity says precisely what is wrong.
        body = {k: v for k, v in form.values.items() if v or k != "nik"}
        try:
            api().call("POST", "/api/v1/auth/password/forgot", json=body, headers=_forwarded())
        except ApiProblem as problem:
            form.take(problem, {"nip": "nip", "nik": "nik", "email": "email"})
            _add_fixer(form, problem)
            not_activated = problem.code == "account-not-activated"
        else:
            return redirect(url_for("auth.mail_sent", jenis="reset"))
    return render_template("auth/forgot.html", form=form, not_activated=not_activated)


@bp.get("/cek-email")
def mail_sent() -> ResponseReturnValue:
    return render_template("auth/mail_sent.html", kind=request.args.get("jenis", "aktivasi"))


def _token_password(path: str, template: str, done_notice: str) -> ResponseReturnValue:
    token = request.values.get("token", "").strip()
    form = Form(values={"token": token})
    if request.method == "POST":
        password = request.form.get("password", "")
        if password != request.form.get("password_again", ""):
            # Not a rule of the system: only that the two boxes the person typed agree.
            form.add("password_again", _("Kedua kata sandi tidak sama. Ketik ulang kata sandi yang sama."))
        else:
            try:
                api().call("POST", path, json={"token": token, "password": password}, headers=_forwarded())
            except ApiProblem as problem:
                form.take(problem, {"token": "token", "password": "password"})
            else:
                web_session.current().set("notice", done_notice)
                return redirect(url_for("auth.sign_in"))
    return render_template(template, form=form)


@bp.route("/aktivasi/konfirmasi", methods=["GET", "POST"])
def activation_confirm() -> ResponseReturnValue:
    return _token_password("/api/v1/auth/activation/confirm", "auth/set_password.html",
                           _("Akun Anda sudah aktif. Silakan masuk dengan NIP dan kata sandi baru."))


@bp.route("/reset-password", methods=["GET", "POST"])
def reset() -> ResponseReturnValue:
    return _token_password("/api/v1/auth/password/reset", "auth/reset_password.html",
                           _("Kata sandi sudah diganti dan semua sesi lama diakhiri. Silakan masuk."))


def _add_fixer(form: Form, problem: ApiProblem) -> None:
    """Who can fix a refusal, said once. A field's sentence says what does not match; the problem's
    own sentence then says why and who (for an email, which address is recorded, masked)."""
    lang = _lang()
    if problem.errors and problem.body.get("fixed_by"):
        form.add(None, problem.sentence(lang))
    who = problem.body.get("fixed_by_id" if lang == "id" else "fixed_by")
    if who and not any(who in sentence for _field, sentence in form.summary):
        form.add(None, _("Yang dapat memperbaiki: %(who)s", who=who))


def _lang() -> str:
    from ..forms import locale

    return locale()


def _forwarded() -> dict[str, str]:
    """The person's address for the gateway's per-IP sign-in limits (it trusts it only when it is
    configured to trust one proxy hop: TRUSTED_PROXY_HOPS)."""
    return {"X-Forwarded-For": request.remote_addr or ""}
