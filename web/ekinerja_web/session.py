"""The browser's session: an opaque random id in an HttpOnly cookie, everything else in the store.

A session exists before sign-in (it carries the CSRF token of the sign-in form and a pending
second-factor ticket); signing in replaces it with a new id, so an id planted before sign-in is
worth nothing after it."""

from __future__ import annotations

import hmac
import secrets
import time
from typing import Any

from flask import abort, current_app, g, request
from flask.wrappers import Response

from .store import SessionStore

COOKIE = "ekinerja_sid"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


class WebSession:
    def __init__(self, sid: str | None, data: dict[str, Any]) -> None:
        self.sid = sid
        self.data = data
        self.dirty = False
        self.renewed = False
        self.ended = False

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def set(self, key: str, value: Any) -> None:
        self.data[key] = value
        self.dirty = True

    def pop(self, key: str, default: Any = None) -> Any:
        if key in self.data:
            self.dirty = True
        return self.data.pop(key, default)

    @property
    def signed_in(self) -> bool:
        return "tokens" in self.data


def store() -> SessionStore:
    return current_app.extensions["ekinerja_sessions"]


def current() -> WebSession:
    return g.web_session


def load() -> None:
    sid = request.cookies.get(COOKIE)
    data = store().load(sid) if sid else None
    g.web_session = WebSession(sid if data is not None else None, data or {})


def csrf_token() -> str:
    session = current()
    token = session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        session.set("csrf", token)
    return token


def check_csrf() -> None:
    """Every state-changing request carries the session's token (form field or header)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    expected = current().get("csrf")
    given = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    if not expected or not hmac.compare_digest(str(expected), given):
        abort(400, description="csrf")


def begin(data: dict[str, Any]) -> None:
    """A new session id for newly proven data (sign-in); the old id stops working at once."""
    session = current()
    if session.sid:
        store().delete(session.sid)
    session.sid = None
    session.data = {**data, "csrf": secrets.token_urlsafe(32), "started": time.time()}
    session.dirty = True
    session.renewed = True


def end() -> None:
    session = current()
    if session.sid:
        store().delete(session.sid)
    session.sid = None
    session.data = {}
    session.dirty = False
    session.ended = True


def save(response: Response) -> Response:
    session = getattr(g, "web_session", None)
    if session is None:
        return response
    if session.ended and not session.dirty:
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="Lax")
        return response
    if session.sid is None and session.dirty:
        session.sid = store().create(session.data)
        session.renewed = True
    elif session.sid and session.dirty:
        store().save(session.sid, session.data)
    elif session.sid:
        store().touch(session.sid)
    if session.sid and (session.renewed or request.cookies.get(COOKIE) != session.sid):
        response.set_cookie(COOKIE, session.sid, httponly=True, samesite="Lax", secure=_secure(), path="/")
    return response


def _secure() -> bool:
    setting = str(current_app.config.get("COOKIE_SECURE", "auto")).lower()
    if setting in ("1", "true", "yes"):
        return True
    if setting in ("0", "false", "no"):
        return False
    return request.is_secure
