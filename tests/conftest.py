"""Fixtures for the cross-service tests: every service running in-process as a real nameko
container on the test broker, each on its own PostgreSQL database, and the gateway app."""

from __future__ import annotations

import copy
import json
import os
import uuid

import pytest
from kombu import Connection, Queue
from nameko.containers import ServiceContainer
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import create_engine, text

from ekinerja_kernel.bus import public_exchange
from ekinerja_kernel.localservers import free_port

SERVICE_CLASSES = {
    "identity": "identity.service:IdentityService",
    "sync": "sync.service:SyncService",
    "skp": "skp.service:SkpService",
    "harian": "harian.service:HarianService",
    "tukin": "tukin.service:TukinService",
}
DEMO = os.path.join(os.path.dirname(__file__), "..", "deploy", "demo", "masterdata.json")


def load_class(path: str):
    module, _, name = path.partition(":")
    return getattr(__import__(module, fromlist=[name]), name)


def nameko_config(amqp_uri: str) -> dict:
    return {"AMQP_URI": amqp_uri, "serializer": "json", "HEARTBEAT": 15, "max_workers": 10}


class Services:
    """The running containers; a test may stop one and `restart` it."""

    def __init__(self, config: dict) -> None:
        self.config = config
        self.containers: dict[str, ServiceContainer] = {}

    def start(self, name: str) -> ServiceContainer:
        container = ServiceContainer(load_class(SERVICE_CLASSES[name]), copy.deepcopy(self.config))
        container.start()
        self.containers[name] = container
        return container

    def stop(self, name: str) -> None:
        self.containers.pop(name).stop()

    def stop_all(self) -> None:
        for name in list(self.containers):
            self.stop(name)


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
    from gateway.app import create_app

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


class Subscriber:
    """What another government system does: bind its own queue to the public exchange."""

    def __init__(self, amqp_uri: str, binding: str = "ekinerja.#") -> None:
        self.connection = Connection(amqp_uri)
        queue = Queue(f"test-subscriber-{uuid.uuid4().hex[:8]}", exchange=public_exchange(),
                      routing_key=binding, durable=False, auto_delete=True)
        self.queue = self.connection.SimpleQueue(queue)

    def next(self, timeout: float = 15) -> dict:
        message = self.queue.get(block=True, timeout=timeout)
        message.ack()
        return message.payload

    def close(self) -> None:
        self.queue.close()
        self.connection.release()


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
