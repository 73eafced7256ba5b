"""A broker restart costs a moment, not a lost event: services, gateway and outbox relay
reconnect by themselves. Runs on a broker of its own so no other test sees the restart."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from builders import base_payload, employee
from harness import Subscriber, TokenMint, nameko_config
from nameko.containers import ServiceContainer
from nameko.standalone.rpc import ClusterRpcProxy

from ekinerja_kernel.db import make_engine, session_factory
from ekinerja_kernel.localservers import RabbitNode, wait_for
from ekinerja_kernel.migrations import upgrade
from sync.handlers import import_records
from sync.service import SyncService
from sync.tables import OUTBOX

ROOT = Path(__file__).parents[2]
NIP, NIK = "198609262015051001", "3171012609860001"


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
