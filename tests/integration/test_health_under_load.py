"""Health that tells the truth under load: while harian works off a backlog of submissions (the 08:00
peak), its health check answers within the gateway's probe timeout and its reads within a second or
two, on SQLite (make up's default, where every worker shares one connection) and on PostgreSQL; and
while its RPC queue holds thousands of calls (every worker taken), its health check still answers at
once, since it has a queue of its own and is not served by the worker pool.

harian runs as its own process (`nameko run`, as deploy/Procfile starts it) on a broker of its own, the
gateway in this process; the backlog is put straight onto harian.submissions while harian is stopped,
the way the gateway hands submissions over."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from harness import TokenMint, nameko_config
from kombu import Connection, Producer
from nameko.rpc import get_rpc_exchange
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import create_engine, text

from ekinerja_kernel import config
from ekinerja_kernel.bus import HARIAN_SUBMISSIONS, HARIAN_SUBMIT, ConfirmedPublisher, commands_exchange
from ekinerja_kernel.events import make_event
from ekinerja_kernel.localservers import RabbitNode, wait_for
from ekinerja_kernel.migrations import upgrade

ROOT = Path(__file__).resolve().parents[2]
BACKLOG = 3000
FLOOD = 2000  # calls waiting in rpc-harian
EMPLOYEES = 100
PROBE_TIMEOUT = 1.0  # the gateway's READY_TIMEOUT
READ_WITHIN = 2.0
AGENCY = "ag-load"


@pytest.fixture(scope="module")
def broker(workdir):
    node = RabbitNode(workdir / "rabbit-health").start()
    yield node
    node.stop()


def nip(i: int) -> str:
    return f"19800101200501{i:04d}"


class Harian:
    """harian in a process of its own, on `url`."""

    def __init__(self, amqp_uri: str, url: str, workdir: Path) -> None:
        self.workdir = workdir
        self.env = {**os.environ, "AMQP_URI": amqp_uri, "HARIAN_DATABASE_URL": url, "HARIAN_METRICS_PORT": "0",
                    "HARIAN_REMINDERS": "off", "EKINERJA_VAR_DIR": str(workdir / "var"), "LOG_LEVEL": "WARNING",
                    "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        log = (self.workdir / f"harian-{self.starts}.log").open("wb")
        self.process = subprocess.Popen(
            ["nameko", "run", "--config", "deploy/nameko.yaml", "harian.service:HarianService"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def log_tail(self) -> str:
        return (self.workdir / f"harian-{self.starts}.log").read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None


def scalar(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def answers(amqp_uri: str) -> bool:
    try:
        with ClusterRpcProxy(nameko_config(amqp_uri), timeout=2) as proxy:
            return proxy.harian.ping()["status"] == "ok"
    except Exception:  # not started yet
        return False


def seed(amqp_uri: str, engine) -> dict[str, str]:
    """EMPLOYEES employees known to harian, each with an approved RHK; today a working day."""
    today = config.today()
    rhk = {nip(i): str(uuid.uuid4()) for i in range(EMPLOYEES)}
    wait_for(lambda: answers(amqp_uri), timeout=60, interval=0.5, what="harian to start (its queues declared)")
    publisher = ConfirmedPublisher(amqp_uri)
    for person, rhk_id in rhk.items():
        publisher.publish(make_event("sync", "employee.upserted", person, {
            "nip": person, "name": f"Pegawai {person[-4:]}", "email": None, "status": "active",
            "agency_id": AGENCY, "unit_id": "u-load", "supervisor_nip": None}))
        publisher.publish(make_event("skp", "skp.approved", person, {
            "skp_id": str(uuid.uuid4()), "nip": person, "year": today.year, "agency_id": AGENCY, "version": 1,
            "state": "disetujui", "actor_nip": None,
            "rhk": [{"id": rhk_id, "kind": "utama", "text": "Terlaksananya layanan", "intervenes": None, "iki": []}]}))
    publisher.close()
    wait_for(lambda: scalar(engine, "SELECT count(*) FROM approved_rhk") == EMPLOYEES, timeout=90, interval=0.5,
             what="harian's copy of staff and RHK")
    admin = {"nip": nip(0), "roles": ["pegawai", "admin_instansi"], "agency_id": AGENCY}
    with ClusterRpcProxy(nameko_config(amqp_uri), timeout=30, context_data={"caller": admin}) as proxy:
        proxy.harian.put_settings({"extra_working_days": [today.isoformat()]})
    return rhk


def put_backlog(amqp_uri: str, rhk: dict[str, str]) -> list[str]:
    """BACKLOG submissions of today, one to three activities each, onto harian.submissions."""
    today = config.today().isoformat()
    people, ids = list(rhk), []
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        HARIAN_SUBMISSIONS(channel).declare()
        producer = Producer(channel, exchange=commands_exchange())
        for i in range(BACKLOG):
            person = people[i % len(people)]
            ids.append(str(uuid.uuid4()))
            activity = {"rhk_id": rhk[person], "description": f"Layanan loket ke-{i}", "quantity": 1,
                        "satuan": "laporan", "quality": 100, "evidence_url": "https://drive.example.go.id/bukti.pdf",
                        "minutes": 60}
            envelope = make_event("gateway", HARIAN_SUBMIT, person, {
                "id": ids[-1], "nip": person, "date": today, "accepted_at": dt.datetime.now(dt.UTC).isoformat(),
                "activities": [activity] * (1 + i % 3)})
            producer.publish(envelope, routing_key=envelope["type"], serializer="json", delivery_mode=2)
        wait_for(lambda: channel.queue_declare(queue=HARIAN_SUBMISSIONS.name, passive=True).message_count == BACKLOG,
                 timeout=60, interval=0.2, what="the backlog in the broker")
    return ids


def queue_depth(amqp_uri: str, name: str) -> int:
    with Connection(amqp_uri) as conn:
        return conn.channel().queue_declare(queue=name, passive=True).message_count


def flood_rpc_queue(amqp_uri: str, caller: dict) -> None:
    """FLOOD calls of harian.my_month in rpc-harian, as a busy gateway leaves them (their answers go to a
    reply address nobody listens on)."""
    today = config.today()
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        producer = Producer(channel, exchange=get_rpc_exchange({}))
        for _ in range(FLOOD):
            producer.publish({"args": [today.year, today.month], "kwargs": {}}, routing_key="harian.my_month",
                             serializer="json", headers={"nameko.caller": caller},
                             reply_to=f"nobody-{uuid.uuid4().hex[:6]}", correlation_id=str(uuid.uuid4()))
    wait_for(lambda: queue_depth(amqp_uri, "rpc-harian") >= FLOOD // 2, timeout=30, what="the calls to queue up")


@pytest.fixture(params=["sqlite", "postgresql"])
def loaded_harian(request, broker, postgres, workdir):
    base = workdir / f"health-{request.param}"
    base.mkdir()
    if request.param == "sqlite":
        url = f"sqlite:///{base / 'harian.db'}"
    else:
        url = postgres.create_database(f"harian_health_{uuid.uuid4().hex[:6]}")
    upgrade(ROOT / "services" / "harian", url)
    engine = create_engine(url)
    harian = Harian(broker.amqp_uri, url, base)
    harian.start()
    try:
        try:
            rhk = seed(broker.amqp_uri, engine)
        except TimeoutError as exc:
            raise AssertionError(f"{exc}; harian's log:\n{harian.log_tail()}") from None
        harian.stop()
        ids = put_backlog(broker.amqp_uri, rhk)
        harian.start()
        yield engine, ids, rhk
    finally:
        harian.stop()
        engine.dispose()


def test_while_harian_stores_a_backlog_its_health_and_reads_answer_in_time(broker, loaded_harian):
    from ekinerja_gateway.app import create_app

    engine, ids, rhk = loaded_harian
    mint = TokenMint()
    app = create_app({"AMQP_URI": broker.amqp_uri, "SERVICES": ("harian",), "JWKS_LOADER": mint.jwks,
                      "READY_TIMEOUT": PROBE_TIMEOUT, "RPC_TIMEOUT": 5.0})
    client = app.test_client()
    owner = next(iter(rhk))
    token = mint.token(owner, ["pegawai"], agency_id=AGENCY)
    first = ids[0]  # the owner's, stored in the first transaction
    probes, reads = [], []
    deadline = time.monotonic() + 240

    def stored() -> int:
        return scalar(engine, "SELECT count(*) FROM submissions")

    # The first answers wait for harian to start and declare its health queue.
    wait_for(lambda: client.get("/readyz?deep=1").status_code == 200, timeout=60, interval=0.2,
             what="harian's health check to answer")
    while (done := stored()) < BACKLOG:
        assert time.monotonic() < deadline, f"only {done} of {BACKLOG} stored"
        started = time.monotonic()
        ready = client.get("/readyz?deep=1")
        probes.append((time.monotonic() - started, done, ready.status_code, ready.get_json()["services"]["harian"]))
        started = time.monotonic()
        read = client.get(f"/api/v1/harian/submissions/{first}", headers={"Authorization": f"Bearer {token}"})
        reads.append((time.monotonic() - started, read.status_code))
        time.sleep(0.1)

    during = [p for p in probes if p[1] < BACKLOG * 0.9]
    assert len(during) >= 5, f"the backlog was gone before it could be observed: {probes}"
    assert all(p[2] == 200 and p[3]["status"] == "ok" and p[3]["database"] == "ok" for p in probes), \
        [p for p in probes if p[2] != 200][:5]
    assert max(p[3]["latency_ms"] for p in probes) < PROBE_TIMEOUT * 1000
    assert all(status in (200, 404) for _, status in reads), reads  # 404 until the first transaction is in
    assert max(seconds for seconds, _ in reads) < READ_WITHIN, sorted(reads)[-5:]
    assert scalar(engine, "SELECT count(*) FROM submissions WHERE status = 'diterima'") == BACKLOG

    # Every worker busy with calls, thousands more waiting: the health check does not wait behind them.
    flood_rpc_queue(broker.amqp_uri, {"nip": owner, "roles": ["pegawai"], "agency_id": AGENCY})
    busy = []
    try:
        while len(busy) < 5:
            waiting = queue_depth(broker.amqp_uri, "rpc-harian")
            assert waiting > 100, f"the calls were answered before the check could be observed: {busy}"
            ready = client.get("/readyz?deep=1")
            busy.append((waiting, ready.status_code, ready.get_json()["services"]["harian"]))
            time.sleep(0.1)
    finally:
        with Connection(broker.amqp_uri) as conn:
            conn.channel().queue_purge("rpc-harian")
    assert all(code == 200 and state["status"] == "ok" and state["latency_ms"] < PROBE_TIMEOUT * 1000
               for _, code, state in busy), busy
