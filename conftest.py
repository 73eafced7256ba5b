import eventlet; eventlet.monkey_patch()  # noqa: E702,I001  must run before anything else imports sockets

"""Fixtures shared by every test: a private RabbitMQ node and PostgreSQL cluster for this run.

Both start on free ports under a temporary directory, so runs never see each other's data and
pass whether or not another broker is running. Integration tests use them for real: no mock of
the bus or of the database.
"""

import os  # noqa: E402

# A developer's shell may carry the running stack's setting: in-process metrics stay in memory.
os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
import shutil  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

ROOT = Path(__file__).parent
SERVICES = ("identity", "sync", "skp", "harian", "tukin", "events")


@pytest.fixture(scope="session")
def workdir():
    path = Path(tempfile.mkdtemp(prefix="ekinerja-test-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def rabbit(workdir):
    from ekinerja_kernel.localservers import RabbitNode, free_port

    # The management API: the events service's CLI makes the subscribers' accounts through it.
    node = RabbitNode(workdir / "rabbit", management_port=free_port()).start()
    os.environ["RABBITMQ_MANAGEMENT_URL"] = node.management_url
    yield node
    node.stop()


@pytest.fixture(scope="session")
def postgres(workdir):
    from ekinerja_kernel.localservers import PostgresCluster

    cluster = PostgresCluster(workdir / "pg").start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def service_databases(postgres, workdir):
    """One migrated PostgreSQL database per service; the URLs are set in the environment."""
    from ekinerja_kernel.migrations import upgrade

    os.environ["EKINERJA_VAR_DIR"] = str(workdir / "var")
    urls = {}
    for service in SERVICES:
        url = postgres.create_database(f"{service}_test")
        upgrade(ROOT / "services" / service, url)
        os.environ[f"{service.upper()}_DATABASE_URL"] = url
        os.environ[f"{service.upper()}_METRICS_PORT"] = "0"
        urls[service] = url
    return urls
