"""Gateway metrics; with PROMETHEUS_MULTIPROC_DIR set (gunicorn) they add up across workers."""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

HTTP_REQUESTS = Counter("ekinerja_http_requests_total", "HTTP requests answered",
                        ["method", "route", "status"])
HTTP_LATENCY = Histogram("ekinerja_http_request_duration_seconds", "HTTP request time", ["route"],
                         buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
RPC_CALLS = Counter("ekinerja_gateway_rpc_calls_total", "RPC calls made by the gateway, by outcome",
                    ["service", "method", "outcome"])
RPC_LATENCY = Histogram("ekinerja_gateway_rpc_duration_seconds", "RPC round-trip time seen by the gateway",
                        ["service", "method"], buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
AUTH_REFUSALS = Counter("ekinerja_gateway_auth_refusals_total",
                        "Requests refused by the gateway's token or role check, by problem code", ["code"])
RATE_LIMITED = Counter("ekinerja_gateway_rate_limited_total", "Requests refused by a gateway rate limit",
                       ["limit"])
JWKS_LOADS = Counter("ekinerja_gateway_jwks_loads_total", "Loads of identity's JWKS by this gateway, by outcome",
                     ["outcome"])


def exposition() -> tuple[bytes, str]:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return generate_latest(registry), CONTENT_TYPE_LATEST
