"""A broker restart costs a moment, not a lost event: services, gateway and outbox relay
reconnect by themselves. Runs on a broker of its own so no other test sees the restart."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from builders import base_payload, employee
from harness import Subscriber, TokenMint, nameko_config
from nameko.containers import ServiceContainer
from nameko.standalone.rpc import ClusterRpcProxy

from ekinerja_kernel import config
from ekinerja_kernel.db import make_engine, session_factory
from ekinerja_kernel.localservers import RabbitNode, wait_for
from ekinerja_kernel.migrations import upgrade
from sync.handlers import import_records
from sync.service import SyncService
from sync.tables import OUTBOX

ROOT = Path(__file__).parents[2]
NIP, NIK = "198609262015051001", "3171012609860001"
SUBMITTED = {"rhk_id": "7d3c3c5e-2f0a-4a8e-9a51-3e0f3c1b2a10", "description": "Rapat koordinasi", "quantity": 1,
             "satuan": "laporan", "quality": 100, "evidence_url": "https://drive.example.go.id/bukti.pdf",
             "minutes": 60}


@pytest.fixture(scope="module")
def broker(workdir):
    node = RabbitNode(workdir / "rabbit-restart").start()
    yield node
    node.stop()


@pytest.fixture(scope="module")
def sync_alone(broker, postgres, service_databases):
    """A sync service on the restartable broker, with a database of its own."""
    url = postgres.create_database("sync_restart")
    upgrade(ROOT / "services" / "sync", url)
    saved = {k: os.environ.get(k) for k in ("SYNC_DATABASE_URL", "SYNC_METRICS_PORT", "OUTBOX_POLL_SECONDS")}
    os.environ.update(SYNC_DATABASE_URL=url, SYNC_METRICS_PORT="0", OUTBOX_POLL_SECONDS="0.2")
    container = ServiceContainer(SyncService, nameko_config(broker.amqp_uri))
    container.start()  # reads its settings here; the environment can go back at once
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    yield url
    container.stop()


def ping_answers(amqp_uri: str) -> bool:
    try:
        with ClusterRpcProxy(nameko_config(amqp_uri), timeout=2) as proxy:
            return proxy.sync.ping()["status"] == "ok"
    except Exception:  # broker still coming back or the service not yet re-consuming
        return False


def test_service_gateway_and_relay_recover_from_a_broker_restart(broker, sync_alone):
    from ekinerja_gateway.app import create_app

    mint = TokenMint()  # no identity on this broker: tokens from a test key
    client = create_app({"AMQP_URI": broker.amqp_uri, "SERVICES": ("sync",), "JWKS_LOADER": mint.jwks}).test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = "Bearer " + mint.token(NIP, ["pegawai"])
    assert client.get("/readyz").status_code == 200
    # A subscriber's durable queue outlives the restart (its connection does not: it reconnects).
    queue_name = Subscriber(broker.amqp_uri, "ekinerja.employee.#", durable=True).name
    subscriber = None
    try:
        broker.ctl("stop_app")
        # Accepted while the broker is down: committed with its event in the outbox.
        payload = base_payload()
        payload["employees"] = [employee(NIP, NIK, "Budi")]
        engine = make_engine(sync_alone)
        report = import_records(session_factory(engine), OUTBOX, payload)
        engine.dispose()
        assert report["events"] >= 1
        assert client.get("/readyz").status_code == 503  # answered, not hung

        broker.ctl("start_app")
        broker.ctl("await_startup")

        # The service re-consumes its RPC queue and the gateway rebuilds its proxy by itself.
        wait_for(lambda: ping_answers(broker.amqp_uri), timeout=60, interval=0.5, what="sync to answer again")
        wait_for(lambda: client.get("/readyz").status_code == 200, timeout=30, interval=0.5,
                 what="the gateway to be ready again")
        # The event committed during the outage is published once the broker is back.
        subscriber = Subscriber(broker.amqp_uri, "ekinerja.employee.#", durable=True, name=queue_name)
        event = subscriber.next(timeout=60)
        assert event["type"] == "ekinerja.employee.upserted.v1" and event["subject"] == NIP
        assert client.get(f"/api/v1/employees/{NIP}").get_json()["name"] == "Budi"
    finally:
        if subscriber is not None:  # the queue goes with this module's broker
            subscriber.close()


# --- a broker that is away costs the client a fast 503, not a hung worker --------------------------

FAST = 1.5  # "about a second": the answer, even the first one after the broker went, arrives within this


def queue_depth(amqp_uri: str, name: str) -> int:
    from kombu import Connection

    with Connection(amqp_uri, connect_timeout=5) as conn:
        return conn.default_channel.queue_declare(queue=name, passive=True).message_count


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def test_while_the_broker_is_away_each_request_gets_a_fast_503_and_the_gateway_resumes_by_itself(
        broker, sync_alone):
    from ekinerja_gateway.app import create_app
    from ekinerja_kernel.bus import HARIAN_SUBMISSIONS

    mint = TokenMint()
    app = create_app({"AMQP_URI": broker.amqp_uri, "SERVICES": ("sync",), "JWKS_LOADER": mint.jwks,
                      "RPC_TIMEOUT": 5.0, "SUBMIT_RATE_LIMIT": 10_000})
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = "Bearer " + mint.token(NIP, ["pegawai"])
    day = config.today().isoformat()

    def submit():
        return client.post("/api/v1/harian/submissions", json={"date": day, "activities": [SUBMITTED]})

    def read():
        return client.get(f"/api/v1/employees/{NIP}")

    assert submit().status_code == 202
    assert read().status_code in (200, 404)
    accepted = 1
    broker.ctl("stop_app")
    try:
        for _ in range(3):
            for call in (submit, read, lambda: client.get("/readyz")):
                response, elapsed = timed(call)
                assert response.status_code == 503, response.get_data(as_text=True)
                assert int(response.headers["Retry-After"]) >= 1
                assert elapsed < FAST, f"{elapsed:.2f}s for a 503"
        body = submit().get_json()
        assert body["code"] == "service-unavailable" and body["service"] == "broker" and body["detail_id"]
    finally:
        broker.ctl("start_app")
        broker.ctl("await_startup")

    # Back by itself: no restart of the gateway, the first requests after the broker returned get through.
    def through() -> bool:
        response = submit()
        if response.status_code == 503:
            return False
        assert response.status_code == 202, response.get_data(as_text=True)
        return True

    wait_for(through, timeout=30, interval=0.2, what="submissions to be accepted again")
    accepted += 1
    wait_for(lambda: read().status_code in (200, 404), timeout=30, interval=0.2, what="reads to get through again")
    # Everything the gateway acknowledged waits in harian's queue (nobody consumes it on this broker).
    assert queue_depth(broker.amqp_uri, HARIAN_SUBMISSIONS.name) >= accepted
