"""Fixtures for the cross-service tests: every service running in-process as a real nameko
container on the test broker, each on its own PostgreSQL database, and the gateway app."""

from __future__ import annotations

import json
import os

import pytest
from harness import SERVICE_CLASSES, Services, Subscriber, nameko_config
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import create_engine, text

from ekinerja_kernel.localservers import free_port

DEMO = os.path.join(os.path.dirname(__file__), "..", "deploy", "demo", "masterdata.json")


@pytest.fixture(scope="session")
def metrics_ports():
    ports = {name: free_port() for name in SERVICE_CLASSES}
    return ports


@pytest.fixture(scope="session")
def services(rabbit, service_databases, metrics_ports):
    for name, port in metrics_ports.items():
        os.environ[f"{name.upper()}_METRICS_PORT"] = str(port)
    os.environ["OUTBOX_POLL_SECONDS"] = "0.2"
    running = Services(nameko_config(rabbit.amqp_uri))
    for name in SERVICE_CLASSES:
        running.start(name)
    yield running
    running.stop_all()


@pytest.fixture
def gateway(rabbit, services):
    from ekinerja_gateway.app import create_app

    app = create_app({"AMQP_URI": rabbit.amqp_uri, "RPC_TIMEOUT": 2.0, "READY_TIMEOUT": 1.0})
    app.testing = True
    return app.test_client()


@pytest.fixture
def rpc(rabbit, services):
    import ekinerja_kernel.rpc  # noqa: F401  registers RpcProblem so refusals arrive typed

    with ClusterRpcProxy(nameko_config(rabbit.amqp_uri), timeout=10) as proxy:
        yield proxy


@pytest.fixture
def sync_db(service_databases):
    """The sync database, emptied before the test."""
    engine = create_engine(service_databases["sync"])
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE employees, positions, units, agencies, outbox RESTART IDENTITY CASCADE"))
    yield engine
    engine.dispose()


@pytest.fixture
def demo_data():
    with open(DEMO, encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture
def subscriber(rabbit, services):
    subs = []

    def make(binding: str = "ekinerja.#") -> Subscriber:
        sub = Subscriber(rabbit.amqp_uri, binding)
        subs.append(sub)
        return sub

    yield make
    for sub in subs:
        sub.close()
