"""What the client sees when a service is slow or gone, and request ids across the bus."""

import json
import logging
import time

import pytest

from ekinerja_kernel import config
from ekinerja_kernel.localservers import wait_for
from ekinerja_kernel.logs import JsonFormatter


@pytest.fixture
def stopped_sync(services):
    services.stop("sync")
    yield
    services.start("sync")


def test_stopped_service_gives_504_problem_within_the_timeout(admin_client, stopped_sync):
    started = time.monotonic()
    response = admin_client.get("/api/v1/employees/198609262015051001")
    elapsed = time.monotonic() - started

    assert response.status_code == 504
    assert response.mimetype == "application/problem+json"
    assert int(response.headers["Retry-After"]) > 0
    body = response.get_json()
    assert body["code"] == "service-timeout" and body["service"] == "sync"
    assert body["detail_id"]
    assert elapsed < 2.0 + 1.5  # the configured RPC timeout, plus slack; never a hung request


def test_readyz_names_the_service_that_does_not_answer(gateway, stopped_sync):
    started = time.monotonic()
    response = gateway.get("/readyz?deep=1")

    assert time.monotonic() - started < 1.0 + 1.5
    assert response.status_code == 503
    assert "Retry-After" in response.headers
    body = response.get_json()
    assert body["status"] == "not ready" and body["broker"] == "ok"
    # Its health queue went with it: said at once, not after a timeout.
    assert body["services"]["sync"] == {"status": "down", "reason": "no instance is running"}
    assert body["services"]["skp"]["status"] == "ok"


def test_readyz_is_green_when_everything_answers(gateway):
    response = gateway.get("/readyz?deep=1")

    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ready" and body["broker"] == "ok" and body["revocations"]["status"] == "current"
    assert set(body["services"]) == set(config.SERVICES)
    assert all(s["status"] == "ok" and s["database"] == "ok" for s in body["services"].values())


def test_a_gateway_is_ready_on_its_own_health_whatever_a_service_does(gateway, stopped_sync):
    # The pod's readiness: its broker connection and its revocation list, not the five services.
    started = time.monotonic()
    response = gateway.get("/readyz")

    assert time.monotonic() - started < 1.0
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body == {"status": "ready", "broker": "ok", "revocations": body["revocations"]}
    assert body["revocations"]["status"] == "current"
    assert gateway.get("/readyz?deep=1").status_code == 503  # ops still see that sync does not answer


def test_a_gateway_whose_revocation_list_is_not_current_is_not_ready(rabbit, services):
    from ekinerja_gateway.app import create_app

    services.stop("identity")  # the list's first snapshot comes from identity
    try:
        app = create_app({"AMQP_URI": rabbit.amqp_uri, "REVOCATION_STALE_SECONDS": 0.5, "READY_TIMEOUT": 1.0})
        response = app.test_client().get("/readyz")
        feed = app.extensions["revocations"]
    finally:
        services.start("identity")
    try:
        assert response.status_code == 503 and "Retry-After" in response.headers
        body = response.get_json()
        assert body["status"] == "not ready" and body["broker"] == "ok"
        assert body["revocations"]["status"] in ("starting", "stale")
    finally:
        feed.stop()


def test_service_that_never_started_is_reported_down(rabbit, services):
    from ekinerja_gateway.app import create_app

    app = create_app({"AMQP_URI": rabbit.amqp_uri, "SERVICES": ("sync", "nosuchservice")})
    body = app.test_client().get("/readyz?deep=1").get_json()

    assert body["services"]["nosuchservice"]["status"] == "down"
    assert body["services"]["sync"]["status"] == "ok"


def test_request_id_reaches_the_service_log(admin_client, sync_db, caplog):
    caplog.set_level(logging.INFO, logger="ekinerja.service")

    admin_client.get("/api/v1/employees/198609262015051001", headers={"X-Request-ID": "trace-me-42"})

    def handled():
        # The service logs after it has replied, so the line may land a moment after the response.
        return [r for r in caplog.records
                if r.name == "ekinerja.service" and getattr(r, "method", None) == "get_employee"
                and r.request_id == "trace-me-42"]

    wait_for(handled, timeout=5, what="the sync service's log line with the gateway's request id")
    line = json.loads(JsonFormatter().format(handled()[0]))
    assert line["request_id"] == "trace-me-42" and line["service"] == "sync" and line["outcome"] == "refused"
