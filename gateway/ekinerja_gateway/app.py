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

from ekinerja_kernel import config
from ekinerja_kernel.logs import set_request_id

from . import metrics, problems
from .rpc import RpcClient

log = logging.getLogger("ekinerja.gateway")

OPENAPI_FILE = Path(__file__).with_name("openapi.json")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def create_app(settings: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(
        AMQP_URI=config.amqp_uri(),
        RPC_TIMEOUT=config.rpc_timeout(),
        READY_TIMEOUT=config.env_float("READY_TIMEOUT", 1.0),
        SERVICES=config.SERVICES,
        JSON_SORT_KEYS=False,
    )
    app.config.update(settings or {})
    app.extensions["rpc"] = RpcClient(app.config["AMQP_URI"], app.config["RPC_TIMEOUT"],
                                      app.config["READY_TIMEOUT"])
    _request_ids_and_metrics(app)
    problems.register(app)
    _routes(app)
    return app


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
        services = tuple(current_app.config["SERVICES"])
        broker_ok, states = rpc().ping_all(services, request_id=g.request_id)
        ready = broker_ok and all(s.get("status") == "ok" and s.get("database", "ok") == "ok"
                                  for s in states.values())
        body = {"status": "ready" if ready else "not ready",
                "broker": "ok" if broker_ok else "unreachable", "services": states}
        response = jsonify(body)
        if not ready:
            response.status_code = 503
            response.headers["Retry-After"] = problems.RETRY_AFTER
        return response

    @app.get("/metrics")
    def metrics_view():
        payload, content_type = metrics.exposition()
        return Response(payload, content_type=content_type)

    @app.get("/api/v1/openapi.json")
    def openapi():
        return jsonify(openapi_document())

    @app.get("/api/v1/employees/<nip>")
    def get_employee(nip: str):
        return jsonify(rpc().call("sync", "get_employee", nip, request_id=g.request_id, idempotent=True))


def openapi_document() -> dict[str, Any]:
    return json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))
