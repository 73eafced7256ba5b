"""`make up DB=postgres`, as a newcomer runs it (on ports and in a var/ of its own): every service on
a PostgreSQL cluster of this install under var/postgres (durable, one database each), with the demo;
a demo employee signs in and her day is stored in harian's PostgreSQL database; the gateway's
/metrics holds the gateway's series only; `make down` stops the cluster and keeps its data.

Bounded: one `make up` (UP_TIMEOUT) and one `make down`."""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text

from ekinerja_kernel import config
from ekinerja_kernel.localservers import PostgresCluster, free_port, port_open, wait_for

ROOT = Path(__file__).resolve().parents[2]
ACCOUNTS = ROOT / "deploy" / "demo" / "accounts.json"
# What only the services record (kernel/ekinerja_kernel/metrics.py): never on the gateway's /metrics.
SERVICE_SERIES = ("ekinerja_rpc_calls_total", "ekinerja_events_handled_total", "ekinerja_events_published_total",
                  "ekinerja_outbox_pending")


def make(target: str, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "-s", target, "DB=postgres"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    var = tmp_path_factory.mktemp("make-up-postgres") / "var"
    ports = {name: str(free_port()) for name in (
        "AMQP_PORT", "GATEWAY_PORT", "WEB_PORT", "REGISTRY_PORT", "SMTP_PORT", "RABBITMQ_PROMETHEUS_PORT",
        "RABBITMQ_MANAGEMENT_PORT", "POSTGRES_PORT")}
    metrics = {f"{s.upper()}_METRICS_PORT": str(free_port()) for s in config.SERVICES}
    env = {k: v for k, v in os.environ.items()
           if not k.endswith("_DATABASE_URL") and k not in ("PROMETHEUS_MULTIPROC_DIR", "AMQP_URI")}
    env.update(ports, **metrics, EKINERJA_VAR_DIR=str(var), UP_TIMEOUT="240",
               RABBITMQ_NODENAME=f"ekinerja-upcheck-{uuid.uuid4().hex[:6]}@localhost")
    started = time.monotonic()
    up = make("up", env, timeout=600)
    info = {"var": var, "env": env, "ports": ports, "metrics": metrics, "up": up,
            "up_seconds": time.monotonic() - started}
    try:
        yield info
    finally:
        down = make("down", env, timeout=180)
        info["down"] = down
        assert down.returncode == 0, down.stdout + down.stderr
        assert not port_open(int(ports["POSTGRES_PORT"])), "make down left PostgreSQL running"
        assert not port_open(int(ports["AMQP_PORT"]))


def url(stack, path: str) -> str:
    return f"http://127.0.0.1:{stack['ports']['GATEWAY_PORT']}{path}"


def database_url(stack, service: str) -> str:
    return f"postgresql+psycopg2://postgres@127.0.0.1:{stack['ports']['POSTGRES_PORT']}/ekinerja_{service}"


def scalar(db_url: str, sql: str, **params):
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()
    finally:
        engine.dispose()


def test_make_up_db_postgres_comes_up_with_the_demo_on_postgresql(stack):
    up = stack["up"]
    assert up.returncode == 0, f"make up DB=postgres failed:\n{up.stdout[-4000:]}\n{up.stderr[-4000:]}"
    assert "e-Kinerja is up" in up.stdout
    assert "postgresql: started" in up.stdout
    ready = requests.get(url(stack, "/readyz?deep=1"), timeout=10)
    assert ready.status_code == 200, ready.text
    assert all(s["status"] == "ok" and s["database"] == "ok" for s in ready.json()["services"].values())
    # No SQLite file: every service is on its PostgreSQL database, migrated, the demo in it.
    assert not [s for s in config.SERVICES if (stack["var"] / f"{s}.db").exists()]
    for service in config.SERVICES:
        assert scalar(database_url(stack, service), "SELECT count(*) FROM alembic_version") == 1, service
    assert scalar(database_url(stack, "sync"), "SELECT count(*) FROM employees") >= 38
    assert scalar(database_url(stack, "harian"), "SELECT count(*) FROM approved_rhk") > 0
    # Durable: this cluster runs with PostgreSQL's defaults, not the tests' fsync=off.
    assert scalar(database_url(stack, "harian"), "SHOW fsync") == "on"


def test_a_demo_employee_s_day_is_stored_in_harian_s_postgresql_database(stack):
    account = next(a for a in json.loads(ACCOUNTS.read_text())["accounts"]
                   if "totp_secret" not in a and a["roles"] == ["pegawai"])
    login = requests.post(url(stack, "/api/v1/auth/login"), timeout=30,
                          json={"nip": account["nip"], "password": account["password"]})
    assert login.status_code == 200, login.text
    auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
    today = config.today()
    calendar = requests.get(url(stack, f"/api/v1/harian/calendar?year={today.year}&month={today.month}"),
                            headers=auth, timeout=30).json()
    day = calendar["open_for_entry"][-1]
    rhk = requests.get(url(stack, f"/api/v1/harian/rhk?date={day}"), headers=auth, timeout=30).json()["rhk"][0]
    submitted = requests.post(url(stack, "/api/v1/harian/submissions"), headers=auth, timeout=30, json={
        "date": day, "activities": [{"rhk_id": rhk["id"], "description": "Menyusun laporan bulanan", "quantity": 1,
                                     "satuan": rhk.get("satuan") or "laporan", "quality": 100,
                                     "evidence_url": "https://drive.example.go.id/laporan.pdf", "minutes": 90}]})
    assert submitted.status_code == 202, submitted.text
    sid = submitted.json()["id"]

    wait_for(lambda: scalar(database_url(stack, "harian"), "SELECT status FROM submissions WHERE id = :i", i=sid),
             timeout=60, interval=0.5, what="harian to store the submission in PostgreSQL")
    assert scalar(database_url(stack, "harian"), "SELECT status FROM submissions WHERE id = :i", i=sid) == "diterima"
    stack["submission"] = sid


def test_the_gateway_s_metrics_hold_the_gateway_s_series_only(stack):
    def samples(address: str) -> set[str]:
        body = requests.get(address, timeout=10).text
        return {s.name for family in text_string_to_metric_families(body) for s in family.samples}

    requests.get(url(stack, "/healthz"), timeout=10)
    gateway = samples(url(stack, "/metrics"))
    harian = samples(f"http://127.0.0.1:{stack['metrics']['HARIAN_METRICS_PORT']}/metrics")

    assert "ekinerja_http_requests_total" in gateway
    assert "ekinerja_rpc_calls_total" in harian  # the services' series exist, on their own ports
    leaked = sorted(name for name in gateway if name.startswith(SERVICE_SERIES))
    assert not leaked, f"services' series on the gateway's /metrics: {leaked}"


def test_make_down_stops_postgresql_and_keeps_its_data(stack):
    down = make("down", stack["env"], timeout=180)
    assert down.returncode == 0, down.stdout + down.stderr
    assert "postgresql: stopped" in down.stdout
    assert not port_open(int(stack["ports"]["POSTGRES_PORT"]))
    assert (stack["var"] / "postgres" / "data" / "PG_VERSION").exists()
    # Started again (as the next make up does), the stored day is still there.
    cluster = PostgresCluster(stack["var"] / "postgres", port=int(stack["ports"]["POSTGRES_PORT"]), durable=True)
    cluster.start()
    try:
        if "submission" in stack:
            assert scalar(database_url(stack, "harian"), "SELECT status FROM submissions WHERE id = :i",
                          i=stack["submission"]) == "diterima"
        assert scalar(database_url(stack, "sync"), "SELECT count(*) FROM employees") >= 38
    finally:
        cluster.stop(mode="fast")
