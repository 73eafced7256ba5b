"""Calls made as the signed-in person: their access token, refreshed when it runs out."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
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


def _fresh_tokens() -> dict[str, Any]:
    tokens = web_session.current().get("tokens")
    if not tokens:
        raise SignedOut()
    if tokens["expires_at"] - REFRESH_MARGIN_SECONDS < time.time():
        tokens = _refresh(tokens["access"])
    return tokens


def call(method: str, path: str, **kwargs: Any) -> Reply:
    tokens = _fresh_tokens()
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
    return call("GET", path, params=_params(params)).body


def _params(params: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if v is not None}


# Independent questions of one page are asked at once, on one pool per worker process (made on first
# use, so never before gunicorn forks): its size bounds how many calls a worker has in flight.
FAN_OUT_THREADS = 8
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=FAN_OUT_THREADS, thread_name_prefix="ekinerja-web-api")
        return _pool


def get_all(asks: Mapping[str, tuple[str, Mapping[str, Any]]]) -> dict[str, Any]:
    """Several GETs as the signed-in person at once: for each key of `asks` (path, query), the answer's
    body, or the ApiProblem it met. The threads only send, with a token made fresh here first: a
    refresh token is spent once, so no thread ever refreshes; one the API refuses all the same (ended
    early) is asked again here, one after the other, where `call` refreshes it once."""
    try:
        tokens = _fresh_tokens()
    except ApiProblem as problem:  # the refresh met an API that is not answering: so would every ask
        return dict.fromkeys(asks, problem)
    connection, pool = api(), _executor()

    def ask(path: str, params: Mapping[str, Any]) -> Any:
        try:
            return connection.call("GET", path, token=tokens["access"], params=_params(params)).body
        except ApiProblem as problem:
            return problem

    pending = {key: pool.submit(ask, path, params) for key, (path, params) in asks.items()}
    answers = {key: future.result() for key, future in pending.items()}
    for key, answer in answers.items():
        if isinstance(answer, ApiProblem) and answer.token_refused:
            path, params = asks[key]
            try:
                answers[key] = get(path, **params)
            except ApiProblem as problem:
                answers[key] = problem
    return answers


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
