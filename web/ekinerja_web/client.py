"""Calls made as the signed-in person: their access token, refreshed when it runs out."""

from __future__ import annotations

import time
from typing import Any

from flask import current_app

from . import session as web_session
from .api import Api, ApiProblem, Reply

# Refresh a little before the access token's end, so a slow page does not meet a 401 halfway.
REFRESH_MARGIN_SECONDS = 30


class SignedOut(Exception):
    """The session has no valid sign-in (never had, or the API ended it)."""


def api() -> Api:
    return current_app.extensions["ekinerja_api"]


def tokens_from(body: dict[str, Any]) -> dict[str, Any]:
    return {"access": body["access_token"], "refresh": body["refresh_token"],
            "expires_at": time.time() + int(body.get("expires_in", 600)), "session_id": body.get("session_id")}


def call(method: str, path: str, **kwargs: Any) -> Reply:
    session = web_session.current()
    tokens = session.get("tokens")
    if not tokens:
        raise SignedOut()
    if tokens["expires_at"] - REFRESH_MARGIN_SECONDS < time.time():
        tokens = _refresh(tokens["access"])
    try:
        return api().call(method, path, token=tokens["access"], **kwargs)
    except ApiProblem as problem:
        if not problem.token_refused:
            raise
    tokens = _refresh(tokens["access"])
    try:
        return api().call(method, path, token=tokens["access"], **kwargs)
    except ApiProblem as problem:
        if problem.token_refused:
            web_session.end()
            raise SignedOut() from None
        raise


def get(path: str, **params: Any) -> Any:
    return call("GET", path, params={k: v for k, v in params.items() if v is not None}).body


def _refresh(stale_access: str) -> dict[str, Any]:
    """A new token pair, once per browser session even when two workers need it at the same moment:
    refresh tokens rotate, and spending one twice ends the whole session at identity."""
    session = web_session.current()

    def change(data: dict[str, Any]) -> dict[str, Any]:
        tokens = data.get("tokens")
        if not tokens or tokens["access"] != stale_access:
            return data  # signed out meanwhile, or another request already refreshed
        try:
            reply = api().call("POST", "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh"]})
        except ApiProblem as problem:
            if problem.status in (400, 401, 403, 422):
                data.pop("tokens", None)
                return data
            raise
        data["tokens"] = tokens_from(reply.body)
        return data

    data = web_session.store().update(session.sid, change) if session.sid else None
    if data is None or "tokens" not in data:
        web_session.end()
        raise SignedOut()
    session.data = data
    return data["tokens"]
