"""Flask app factory of the web client. Every page is server-rendered and works without JavaScript;
everything it knows comes from the gateway's public API, called as the signed-in person."""

from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import Babel
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from . import formatting, labels, settings
from . import session as web_session
from .api import Api, ApiProblem
from .client import SignedOut
from .forms import locale
from .store import SessionStore

log = logging.getLogger("ekinerja.web")
LANGUAGES = ("id", "en")
LANG_COOKIE = "lang"
View = TypeVar("View", bound=Callable[..., Any])

ROLE_TEAM = {"atasan", "kepala_sekolah"}
ROLE_ADMIN = {"admin_instansi", "admin_nasional"}


def choose_locale() -> str:
    chosen = request.cookies.get(LANG_COOKIE)
    return chosen if chosen in LANGUAGES else "id"


def safe_next(target: str | None, default: str = "/") -> str:
    """Only a path of this site: never another host (an open redirect)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def me() -> dict[str, Any] | None:
    session = getattr(g, "web_session", None)
    return session.get("me") if session is not None and session.signed_in else None


def roles() -> set[str]:
    found = me()
    return set(found.get("roles", [])) if found else set()


def is_team_lead() -> bool:
    return bool(roles() & ROLE_TEAM)


def is_admin() -> bool:
    return bool(roles() & ROLE_ADMIN)


def signed_in(view: View | None = None, *, allowed: set[str] | None = None) -> Any:
    """The page needs a signed-in person (and, with `allowed`, one of those roles)."""

    def wrap(func: View) -> View:
        @functools.wraps(func)
        def inner(*args: Any, **kwargs: Any) -> Any:
            if not web_session.current().signed_in:
                raise SignedOut()
            if allowed is not None and not roles() & allowed:
                return render_template("error.html", title=_("Halaman ini bukan untuk peran Anda"),
                                       message=_("Halaman ini hanya untuk %(who)s.", who=", ".join(sorted(allowed)))
                                       ), 403
            return func(*args, **kwargs)

        return inner  # type: ignore[return-value]

    return wrap(view) if view is not None else wrap


def navigation() -> list[tuple[str, str, str]]:
    """(endpoint, label, section) of the menu the person's roles allow, in the national system's words."""
    if not me():
        return []
    items = [("pages.beranda", _("Beranda"), "beranda"), ("harian.calendar", _("Progres Harian"), "harian"),
             ("skp.index", _("SKP"), "skp")]
    if is_team_lead():
        items.append(("tim.harian", _("Tim"), "tim"))
    items.append(("tunjangan.index", _("Tunjangan"), "tunjangan"))
    if is_admin():
        items.append(("admin.findings", _("Admin Instansi"), "admin"))
    if roles() & {"admin_nasional", "admin_instansi", "atasan", "kepala_sekolah"}:
        items.append(("pemantauan.index", _("Pemantauan"), "pemantauan"))  # monitoring.py
    return items


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(settings.from_environment())
    app.config.update(overrides or {})
    app.config["SECRET_KEY"] = secrets.token_hex(32)  # Flask's own cookie session is not used
    app.config["MAX_CONTENT_LENGTH"] = 2 * 1024 * 1024  # a Tukin policy file is the largest upload
    if app.config["TRUSTED_PROXY_HOPS"]:
        hops = app.config["TRUSTED_PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    app.extensions["ekinerja_sessions"] = SessionStore(app.config["SESSION_DB"], app.config["SESSION_IDLE_SECONDS"])
    app.extensions["ekinerja_api"] = Api(app.config["API_URL"], app.config["API_TIMEOUT"])
    Babel(app, locale_selector=choose_locale)

    for name in ("date_long", "date_weekday", "datetime_local", "rupiah", "number", "percent"):
        app.jinja_env.filters[name] = getattr(formatting, name)
    app.jinja_env.globals.update(month_name=formatting.month_name, weekday_short=formatting.weekday_short,
                                 status_label=labels.status_label, absence_label=labels.absence_label,
                                 aspek_labels=labels.ASPEK, absence_kinds=labels.ABSENCE,
                                 csrf_token=web_session.csrf_token)
    for name, table in (("rating", labels.RATING), ("predikat", labels.PREDIKAT), ("approach", labels.APPROACH),
                        ("kind", labels.RHK_KIND), ("evaluation_state", labels.EVALUATION_STATE),
                        ("period_kind", labels.PERIOD_KIND), ("ends", labels.ENDS_POSITION),
                        ("history", labels.HISTORY), ("proposal", labels.PROPOSAL_STATE)):
        app.jinja_env.globals[f"{name}_label"] = functools.partial(labels.label, table)

    @app.before_request
    def _load_session() -> None:
        web_session.load()
        web_session.check_csrf()

    @app.after_request
    def _finish(response: Response) -> Response:
        response = web_session.save(response)
        response.headers.setdefault("Content-Security-Policy",
                                    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                                    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")  # activation links carry a token
        response.headers.setdefault("X-Frame-Options", "DENY")
        if not request.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"  # pages show one person's data
        return response

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {"csrf_token": web_session.csrf_token, "me": me(), "navigation": navigation(),
                "lang": locale(), "is_team_lead": is_team_lead, "is_admin": is_admin,
                "other_lang": "en" if locale() == "id" else "id"}

    @app.errorhandler(SignedOut)
    def _signed_out(_error: SignedOut) -> ResponseReturnValue:
        target = request.full_path if request.method == "GET" else request.path
        return redirect(url_for("auth.sign_in", next=safe_next(target.rstrip("?"))))

    @app.errorhandler(ApiProblem)
    def _problem(problem: ApiProblem) -> tuple[str, int]:
        status = problem.status if 400 <= problem.status < 600 else 502
        return render_template("error.html", title=_("Permintaan tidak dapat dipenuhi"),
                               message=problem.sentence(locale())), status

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> tuple[str, int]:
        code = error.code or 500
        if code == 400 and error.description == "csrf":
            title, message = _("Formulir sudah kedaluwarsa"), _(
                "Halaman ini dibuka terlalu lama atau sesi Anda berganti. Muat ulang halaman lalu kirim lagi.")
        elif code == 404:
            title, message = _("Halaman tidak ditemukan"), _("Periksa alamatnya, atau kembali ke Beranda.")
        elif code == 413:
            title, message = _("Berkas terlalu besar"), _("Berkas yang dikirim melebihi 2 MB.")
        else:
            title, message = _("Permintaan tidak dapat dipenuhi"), _("Periksa isian Anda lalu coba lagi.")
        return render_template("error.html", title=title, message=message), code

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> tuple[str, int]:
        log.exception("unexpected error on %s", request.path)
        return render_template("error.html", title=_("Terjadi kesalahan di pihak kami"),
                               message=_("Tidak ada yang diubah. Silakan coba lagi sebentar lagi.")), 500

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/bahasa/<lang>")
    def choose_language(lang: str) -> ResponseReturnValue:
        response = redirect(safe_next(request.args.get("next")))
        if lang in LANGUAGES:
            response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
                                secure=web_session._secure())
        return response

    from .views import admin, auth, harian, menilai, pages, pengaturan, penilaian, rencana, skp, tim, tunjangan

    for module in (auth, pages, harian, skp, rencana, penilaian, tim, menilai, tunjangan, admin, pengaturan):
        app.register_blueprint(module.bp)
    from . import monitoring

    app.register_blueprint(monitoring.bp)
    return app


def config(name: str) -> Any:
    return current_app.config[name]
