"""Flask app factory: the one HTTP entry. It authenticates, maps HTTP to RPC, and maps errors to
problem+json; it holds no business rules and no database of record."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, request
from werkzeug.middleware.proxy_fix import ProxyFix

from ekinerja_kernel import config
from ekinerja_kernel.bus import HARIAN_SUBMISSIONS
from ekinerja_kernel.logs import set_request_id

from . import (  # noqa: F401  (they add routes to `api`)
    auth,
    bodies,
    breaker,
    events_api,  # noqa: F401  (the replay feed of public events, on `api`)
    harian_api,
    metrics,
    monitoring_api,  # noqa: F401  (national monitoring, nation down to one person, on `api`)
    problems,
    ratelimit,
    revocations,
    sync_api,
    tukin_api,
)
from .api import api
from .commands import CommandSender
from .oidc import oidc
from .rpc import RpcClient, ServiceUnavailable

log = logging.getLogger("ekinerja.gateway")

OPENAPI_FILE = Path(__file__).with_name("openapi.json")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# Signs the cookie of the OIDC sign-in pages (a browser binding and the CSRF token; the sign-in's
# progress is identity's). The same value in every worker and replica, else a form posted to another
# one is refused: no default in the source; a production start without it refuses to start.
SECRET_KEY_VARIABLE = "GATEWAY_SECRET_KEY"


def create_app(settings: dict[str, Any] | None = None) -> Flask:
    """The gateway. `settings` override the environment; tests may also inject `JWKS_LOADER` (a
    callable returning a JWKS dict, instead of the `identity.jwks()` RPC) and `MONOTONIC_CLOCK`
    (the clock of the JWKS refresh throttle and of the rate limiter)."""
    app = Flask(__name__)
    app.config.update(
        AMQP_URI=config.amqp_uri(),
        RPC_TIMEOUT=config.rpc_timeout(),
        READY_TIMEOUT=config.env_float("READY_TIMEOUT", 1.0),
        SERVICES=config.SERVICES,
        # While the broker is away a worker tries it again once per BROKER_RETRY_SECONDS, each attempt
        # given BROKER_CONNECT_TIMEOUT per broker address; every other request meanwhile gets a 503 at once.
        BROKER_RETRY_SECONDS=config.env_float("BROKER_RETRY_SECONDS", breaker.DEFAULT_OPEN_SECONDS),
        BROKER_CONNECT_TIMEOUT=config.env_float("BROKER_CONNECT_TIMEOUT", 1.0),
        JSON_SORT_KEYS=False,
        TOKEN_ISSUER=config.env("TOKEN_ISSUER", "http://127.0.0.1:8000"),
        TOKEN_LEEWAY=config.env_int("TOKEN_LEEWAY", auth.DEFAULT_LEEWAY),
        JWKS_REFRESH_INTERVAL=config.env_float("JWKS_REFRESH_INTERVAL", auth.DEFAULT_REFRESH_INTERVAL),
        # Per IP and worker: a whole office behind one NAT address signs in at 08:00.
        AUTH_RATE_LIMIT=config.env_int("AUTH_RATE_LIMIT", 300),
        AUTH_RATE_WINDOW=config.env_float("AUTH_RATE_WINDOW", 60.0),
        # Per employee and worker: a day is submitted a few times at most, a script many times.
        SUBMIT_RATE_LIMIT=config.env_int("SUBMIT_RATE_LIMIT", 60),
        SUBMIT_RATE_WINDOW=config.env_float("SUBMIT_RATE_WINDOW", 60.0),
        TRUSTED_PROXY_HOPS=config.env_int("TRUSTED_PROXY_HOPS", 0),
        JWKS_LOADER=None,
        MONOTONIC_CLOCK=time.monotonic,
        # Ended sessions (revocations.py): None = the live feed unless the keys are injected
        # (JWKS_LOADER: the tokens are then the test key's, and no identity session is behind them).
        REVOCATION_FEED=None,
        REVOCATION_STALE_SECONDS=config.env_float("REVOCATION_STALE_SECONDS", revocations.DEFAULT_STALE_SECONDS),
        REVOCATION_HEARTBEAT=config.env_int("REVOCATION_HEARTBEAT", revocations.DEFAULT_HEARTBEAT),
    )
    app.config.update(settings or {})
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = config.secret(SECRET_KEY_VARIABLE)
    if app.config["TRUSTED_PROXY_HOPS"] > 0:
        # Behind N proxies that each append to X-Forwarded-For, the client IP (rate limit, audit)
        # is the Nth address from the right; without proxies the header is not trusted at all.
        hops = int(app.config["TRUSTED_PROXY_HOPS"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    broker = breaker.BrokerBreaker(float(app.config["BROKER_RETRY_SECONDS"]))  # one per worker, shared
    app.extensions["rpc"] = RpcClient(app.config["AMQP_URI"], app.config["RPC_TIMEOUT"],
                                      app.config["READY_TIMEOUT"], breaker=broker,
                                      connect_timeout=float(app.config["BROKER_CONNECT_TIMEOUT"]))
    clock = app.config["MONOTONIC_CLOCK"]
    app.extensions["commands"] = CommandSender(app.config["AMQP_URI"], (HARIAN_SUBMISSIONS,), breaker=broker,
                                               connect_timeout=float(app.config["BROKER_CONNECT_TIMEOUT"]))
    app.extensions["submission_limiter"] = ratelimit.SlidingWindowLimiter(
        int(app.config["SUBMIT_RATE_LIMIT"]), float(app.config["SUBMIT_RATE_WINDOW"]), clock)
    _request_ids_and_metrics(app)  # first: every later refusal carries the request id
    ratelimit.install(app, int(app.config["AUTH_RATE_LIMIT"]), float(app.config["AUTH_RATE_WINDOW"]), clock)
    bodies.install(app)  # size, URI and text limits before anything reads the request
    auth.install(app, app.config["JWKS_LOADER"] or _jwks_from_identity,
                 float(app.config["JWKS_REFRESH_INTERVAL"]), clock, revocations=_revocation_feed(app))
    problems.register(app)
    _routes(app)
    app.register_blueprint(api)
    app.register_blueprint(oidc)
    return app


def _revocation_feed(app: Flask) -> revocations.RevocationFeed | None:
    wanted = app.config["REVOCATION_FEED"]
    if wanted is None:
        wanted = app.config["JWKS_LOADER"] is None
    if not wanted:
        return None
    client = app.extensions["rpc"]  # called from the feed's own thread: its own thread-local proxy
    return revocations.RevocationFeed(
        app.config["AMQP_URI"], lambda: client.call("identity", "revoked_sessions", idempotent=True),
        leeway=float(app.config["TOKEN_LEEWAY"]), stale_after=float(app.config["REVOCATION_STALE_SECONDS"]),
        heartbeat=int(app.config["REVOCATION_HEARTBEAT"]))


def _jwks_from_identity() -> dict[str, Any]:
    return rpc().call("identity", "jwks", request_id=g.get("request_id"), idempotent=True)


def rpc() -> RpcClient:
    return current_app.extensions["rpc"]


def _request_ids_and_metrics(app: Flask) -> None:
    @app.before_request
    def _start() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.started = time.perf_counter()
        set_request_id(g.request_id)

    @app.after_request
    def _finish(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.get("request_id", "")
        route = request.url_rule.rule if request.url_rule else "unmatched"
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        metrics.HTTP_REQUESTS.labels(request.method, route, str(response.status_code)).inc()
        metrics.HTTP_LATENCY.labels(route).observe(elapsed)
        log.info("%s %s %s", request.method, request.path, response.status_code,
                 extra={"route": route, "status": response.status_code,
                        "duration_ms": round(elapsed * 1000, 2)})
        return response

    @app.teardown_request
    def _clear(_exc) -> None:
        set_request_id(None)


def _routes(app: Flask) -> None:
    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    @app.get("/readyz")
    def readyz():
        """This worker can serve: its broker connection answers and its list of ended sessions is
        current; it does not ask the services (one slow service would take every gateway out of the
        load balancer). `?deep=1` also asks every service's health check, for ops and `make up`."""
        try:
            current_app.extensions["commands"].check()
            broker = "ok"
        except ServiceUnavailable:
            broker = "unreachable"
        feed = current_app.extensions.get("revocations")
        if feed is not None:
            feed.start()  # idempotent; a worker just started waits a moment for its first snapshot
            if not feed.health.trusted():
                feed.health.ready.wait(min(feed.health.start_grace_left(), float(current_app.config["READY_TIMEOUT"])))
        revoked = feed.state() if feed is not None else {"status": "off"}
        ready = broker == "ok" and (feed is None or feed.health.trusted())
        body: dict[str, Any] = {"broker": broker, "revocations": revoked}
        if request.args.get("deep", "") not in ("", "0", "false"):
            reachable, states = rpc().ping_all(tuple(current_app.config["SERVICES"]), request_id=g.request_id)
            ready = ready and reachable and all(s.get("status") == "ok" and s.get("database", "ok") == "ok"
                                                for s in states.values())
            body["services"] = states
        response = jsonify({"status": "ready" if ready else "not ready", **body})
        if not ready:
            response.status_code = 503
            response.headers["Retry-After"] = problems.RETRY_AFTER
        return response

    @app.get("/metrics")
    def metrics_view():
        payload, content_type = metrics.exposition()
        return Response(payload, content_type=content_type)

    @app.get("/oauth/jwks.json")
    def jwks() -> Response:
        response = jsonify(current_app.extensions["jwks"].public_jwks())
        response.headers["Cache-Control"] = "public, max-age=300"
        return response

    @app.get("/api/v1/openapi.json")
    @auth.public
    def openapi():
        return jsonify(openapi_document())


def openapi_document() -> dict[str, Any]:
    return json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))
