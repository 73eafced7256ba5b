"""Fixtures for the cross-service tests: every service running in-process as a real nameko
container on the test broker, each on its own PostgreSQL database, and the gateway app."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from harness import SERVICE_CLASSES, Mailbox, Services, Subscriber, TokenMint, nameko_config
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import create_engine, text

from ekinerja_kernel.localservers import free_port, port_open, wait_for

DEMO = os.path.join(os.path.dirname(__file__), "..", "deploy", "demo", "masterdata.json")


@pytest.fixture(scope="session")
def metrics_ports():
    ports = {name: free_port() for name in SERVICE_CLASSES}
    return ports


@pytest.fixture(scope="session")
def mailbox(workdir):
    """A real SMTP server (the project's mail sink) in its own process; mail lands as .eml files."""
    port, directory = free_port(), workdir / "mail"
    process = subprocess.Popen([sys.executable, "-m", "ekinerja_kernel.mailsink", "--port", str(port),
                                "--dir", str(directory)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    wait_for(lambda: port_open(port), timeout=30, what="the SMTP server")
    os.environ["SMTP_PORT"] = str(port)
    yield Mailbox(directory)
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="session")
def services(rabbit, service_databases, metrics_ports, mailbox):
    for name, port in metrics_ports.items():
        os.environ[f"{name.upper()}_METRICS_PORT"] = str(port)
    os.environ["OUTBOX_POLL_SECONDS"] = "0.2"
    os.environ["MAIL_POLL_SECONDS"] = "0.2"
    # Reminder mails follow the wall clock; tests call send_due_reminders with a chosen time instead,
    # so the mails other tests count (activation, reset) are the only ones in the sink.
    os.environ["HARIAN_REMINDERS"] = "off"
    running = Services(nameko_config(rabbit.amqp_uri))
    for name in SERVICE_CLASSES:
        running.start(name)
    yield running
    running.stop_all()


@pytest.fixture
def gateway(rabbit, services):
    from ekinerja_gateway.app import create_app

    # The per-IP limit is tested on its own; here every test client shares one address.
    app = create_app({"AMQP_URI": rabbit.amqp_uri, "RPC_TIMEOUT": 2.0, "READY_TIMEOUT": 1.0,
                      "AUTH_RATE_LIMIT": 100_000})
    app.testing = True
    return app.test_client()


@pytest.fixture
def admin_client(rabbit, services):
    """A gateway whose tokens come from a test key: the caller is a national admin."""
    from ekinerja_gateway.app import create_app

    mint = TokenMint()
    app = create_app({"AMQP_URI": rabbit.amqp_uri, "RPC_TIMEOUT": 2.0, "JWKS_LOADER": mint.jwks})
    client = app.test_client()
    token = mint.token("199001012015011001", ["pegawai", "admin_nasional"])
    client.environ_base["HTTP_AUTHORIZATION"] = "Bearer " + token
    return client


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


@pytest.fixture(scope="session")
def harian_db(service_databases):
    """An engine on harian's database, as the running service has it (nothing emptied)."""
    engine = create_engine(service_databases["harian"])
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


@pytest.fixture(scope="session")
def demo_logins(rabbit, services, service_databases):
    """The demo master data imported through sync, and the demo passwords/TOTP set in identity,
    exactly as `make up` does. Returns the accounts of deploy/demo/accounts.json by NIP."""
    import ekinerja_kernel.rpc  # noqa: F401
    from ekinerja_kernel.db import make_engine, session_factory
    from identity.cli import load_demo

    with open(DEMO, encoding="utf-8") as f:
        data = json.load(f)
    with ClusterRpcProxy(nameko_config(rabbit.amqp_uri), timeout=30) as proxy:
        proxy.sync.import_records(data)
    accounts_file = os.path.join(os.path.dirname(DEMO), "accounts.json")
    engine = make_engine(service_databases["identity"])
    assert load_demo(session_factory(engine), accounts_file, wait=60) == 0
    engine.dispose()
    with open(accounts_file, encoding="utf-8") as f:
        return {a["nip"]: a for a in json.load(f)["accounts"]}
