"""`make cluster-check`: the write path on a RabbitMQ cluster that loses a node under load.

Three RabbitMQ nodes on loopback (their own ports, node names and data, in a temporary directory)
joined into one cluster; every durable queue a quorum queue (EKINERJA_QUEUE_TYPE=quorum); identity,
sync, skp, harian and the gateway (two gunicorn workers) run as deploy/Procfile says, under make up's
supervisor, on a PostgreSQL of their own, each given all three nodes (AMQP_URI lists them, `;`
apart: a client whose node goes away connects to the next). The demo data is loaded as make up
loads it, the demo employees sign in, then CLUSTER_USERS of them submit their day through the
gateway for CLUSTER_SECONDS, each with an Idempotency-Key, sending a refused one again with the same
key after its Retry-After (at most CLUSTER_RETRY_CAP seconds). CLUSTER_STOP_AT seconds in, the
first node (the one every client connected to first) is stopped; CLUSTER_DOWN_SECONDS later it is
started again and rejoins.

PASS (exit 0) when every accepted submission is stored exactly once with every entry, every answer
was 202 or a 503 with Retry-After, and the cluster has its three nodes again; FAIL (exit 1)
otherwise, 2 when the check could not be set up. It prints the figures either way.

    python deploy/bin/cluster_check.py        (make cluster-check)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import requests
from nameko.standalone.rpc import ClusterRpcProxy

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # bench/: its database check of what harian stored

from bench.store import HarianStore  # noqa: E402
from ekinerja_kernel import config  # noqa: E402
from ekinerja_kernel.localservers import PostgresCluster, RabbitNode, free_port, wait_for  # noqa: E402
from ekinerja_kernel.migrations import upgrade  # noqa: E402
from ekinerja_kernel.rpc import health_service  # noqa: E402

SERVICES = ("identity", "sync", "skp", "harian")
ACCOUNTS = ROOT / "deploy" / "demo" / "accounts.json"
MASTER_DATA = ROOT / "deploy" / "demo" / "masterdata.json"
BIN = Path(sys.executable).parent


class SetupError(Exception):
    """The check could not be set up (exit 2)."""


def number(name: str, default: float) -> float:
    raw = os.environ.get(name, "")
    try:
        return float(raw) if raw.strip() else default
    except ValueError:
        raise SetupError(f"{name}={raw!r} is not a number") from None


@dataclass(frozen=True)
class Settings:
    users: int
    seconds: float
    stop_at: float
    down_seconds: float
    retry_cap: float
    drain_seconds: float

    @classmethod
    def from_env(cls) -> Settings:
        settings = cls(users=int(number("CLUSTER_USERS", 40)), seconds=number("CLUSTER_SECONDS", 50),
                       stop_at=number("CLUSTER_STOP_AT", 12), down_seconds=number("CLUSTER_DOWN_SECONDS", 15),
                       retry_cap=number("CLUSTER_RETRY_CAP", 2), drain_seconds=number("CLUSTER_DRAIN_SECONDS", 180))
        if settings.users < 1 or settings.stop_at + settings.down_seconds >= settings.seconds:
            raise SetupError("CLUSTER_USERS must be at least 1 and the node back (CLUSTER_STOP_AT + "
                             "CLUSTER_DOWN_SECONDS) before the load ends (CLUSTER_SECONDS)")
        return settings


@dataclass
class Answer:
    at: float  # seconds after the load began
    status: int | str
    seconds: float
    retry_after: str | None
    body: str = ""


@dataclass
class Tally:
    answers: list[Answer] = field(default_factory=list)
    accepted: dict[str, int] = field(default_factory=dict)  # submission id -> activities sent
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, answer: Answer, accepted: tuple[str, int] | None = None) -> None:
        with self.lock:
            self.answers.append(answer)
            if accepted is not None:
                self.accepted[accepted[0]] = accepted[1]


# --- the system ------------------------------------------------------------------------------------

class System:
    """The cluster, the database and the processes of this check, under one temporary directory."""

    def __init__(self, base: Path) -> None:
        self.base = base
        tag = uuid.uuid4().hex[:6]
        self.nodes = [RabbitNode(base / f"rabbit{i}", name=f"ekinerja-cluster{i}-{tag}@localhost") for i in (1, 2, 3)]
        self.postgres = PostgresCluster(base / "postgres")
        self.gateway_port = free_port()
        self.supervisor: subprocess.Popen | None = None
        self.log = base / "services.log"
        self.env: dict[str, str] = {}

    @property
    def amqp_uri(self) -> str:
        return ";".join(node.amqp_uri for node in self.nodes)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    def database_url(self, service: str) -> str:
        return self.postgres.url(f"ekinerja_{service}")

    def start_cluster(self) -> None:
        for node in self.nodes:
            node.start()
        for node in self.nodes[1:]:
            node.join(self.nodes[0])
        wait_for(lambda: len(self.running_nodes()) == 3, timeout=60, interval=0.5, what="a cluster of three nodes")

    def running_nodes(self) -> list[str]:
        for node in self.nodes:
            result = node.ctl("cluster_status", "--formatter", "json", timeout=30)
            if result.returncode == 0:
                return json.loads(result.stdout).get("running_nodes", [])
        return []

    def start_services(self) -> None:
        self.postgres.start()
        for service in SERVICES:
            self.postgres.create_database(f"ekinerja_{service}")
            upgrade(ROOT / "services" / service, self.database_url(service))
        metrics_dir = self.base / "prometheus-gateway"
        metrics_dir.mkdir()
        self.env = {k: v for k, v in os.environ.items()
                    if not k.endswith(("_DATABASE_URL", "_METRICS_PORT")) and k != "PROMETHEUS_MULTIPROC_DIR"}
        self.env.update({
            "PATH": f"{BIN}:{os.environ.get('PATH', '')}", "AMQP_URI": self.amqp_uri, "EKINERJA_QUEUE_TYPE": "quorum",
            "EKINERJA_VAR_DIR": str(self.base / "var"), "GATEWAY_PORT": str(self.gateway_port),
            "GATEWAY_WORKERS": "2", "SUBMIT_RATE_LIMIT": "100000", "HARIAN_REMINDERS": "off",
            "LOG_LEVEL": "WARNING", "SMTP_PORT": str(free_port()),
            **{f"{s.upper()}_DATABASE_URL": self.database_url(s) for s in SERVICES},
            **{f"{s.upper()}_METRICS_PORT": "0" for s in config.SERVICES}})
        self.env.pop("SYNC_REGISTRY_URL", None)  # no national registry here: no scheduled sync
        only = [arg for name in (*SERVICES, "gateway") for arg in ("--only", name)]
        with open(self.log, "wb") as out:
            self.supervisor = subprocess.Popen(
                [sys.executable, str(ROOT / "deploy" / "bin" / "supervise.py"), "run", "--procfile",
                 str(ROOT / "deploy" / "Procfile"), "--state", str(self.base / "supervisor.json"), *only,
                 "--env", f"gateway:PROMETHEUS_MULTIPROC_DIR={metrics_dir}"],
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(self.services_answer, timeout=180, interval=1, what="every service's health check and the gateway")

    def services_answer(self) -> bool:
        if self.supervisor is not None and self.supervisor.poll() is not None:
            raise SetupError(f"the supervisor exited:\n{self.tail()}")
        try:
            with ClusterRpcProxy({"AMQP_URI": self.amqp_uri, "serializer": "json"}, timeout=3) as proxy:
                for service in SERVICES:
                    if proxy[health_service(service)].ping()["database"] != "ok":
                        return False
            return requests.get(self.url + "/readyz", timeout=3).status_code == 200
        except Exception:  # not started yet
            return False

    def load_demo(self) -> None:
        """What make up's demo-data does, for the services running here."""
        for command in (["ekinerja-sync", "import", str(MASTER_DATA)],
                        ["ekinerja-identity", "demo-accounts", str(ACCOUNTS)],
                        ["ekinerja-skp", "demo-plans", str(config.today().year)]):
            result = subprocess.run(command, cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=300)
            if result.returncode != 0:
                raise SetupError(f"{' '.join(command)} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")

    def queues(self) -> list[dict[str, str]]:
        for node in self.nodes:
            result = node.ctl("list_queues", "name", "type", "leader", "members", "--formatter", "json", timeout=60)
            if result.returncode == 0:
                return json.loads(result.stdout)
        return []

    def tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.supervisor is not None and self.supervisor.poll() is None:
            self.supervisor.send_signal(signal.SIGTERM)
            try:
                self.supervisor.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.supervisor.pid, signal.SIGKILL)
        for node in self.nodes:
            node.stop()
        self.postgres.stop()


# --- the clients -----------------------------------------------------------------------------------

def sign_in(url: str) -> list[dict]:
    """The demo employees without TOTP who have an approved SKP: a token, their open day, its RHK."""
    people = []
    today = config.today()
    for account in json.loads(ACCOUNTS.read_text())["accounts"]:
        if account.get("totp_secret"):
            continue
        login = requests.post(url + "/api/v1/auth/login", json={"nip": account["nip"], "password": account["password"]},
                              timeout=30)
        if login.status_code != 200:
            raise SetupError(f"sign-in of {account['nip']}: {login.status_code} {login.text[:300]}")
        if login.json().get("status") != "authenticated":
            continue  # an account that must first enrol a second factor
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
        calendar = requests.get(f"{url}/api/v1/harian/calendar?year={today.year}&month={today.month}", headers=auth,
                                timeout=30).json()
        days = calendar.get("open_for_entry") or []
        if not days:
            continue
        rhk = requests.get(f"{url}/api/v1/harian/rhk?date={days[-1]}", headers=auth, timeout=30).json().get("rhk")
        if rhk:
            people.append({"nip": account["nip"], "auth": auth, "date": days[-1], "rhk": rhk})
    if not people:
        raise SetupError("no demo employee has an approved SKP and a day open for entry")
    return people


def submitter(url: str, person: dict, run: str, index: int, began: float, until: float, cap: float,
              tally: Tally) -> None:
    session = requests.Session()
    seq = 0
    key = None
    while time.monotonic() < until:
        seq += 1
        key = key or f"{run}-{index}-{seq}"
        activities = [{"rhk_id": r["id"], "description": f"Kegiatan {run} {index}-{seq}", "quantity": 1,
                       "satuan": r.get("satuan") or "kegiatan", "quality": 100,
                       "evidence_url": "https://drive.example.go.id/bukti.pdf", "minutes": 30}
                      for r in person["rhk"][:1 + seq % 2]]
        headers = {**person["auth"], "Idempotency-Key": key, "X-Request-ID": f"b-{run}-{index}-{seq}"}
        started = time.monotonic()
        try:
            response = session.post(url + "/api/v1/harian/submissions", headers=headers, timeout=30,
                                    json={"date": person["date"], "activities": activities})
        except requests.RequestException as exc:
            tally.add(Answer(started - began, type(exc).__name__, time.monotonic() - started, None))
            time.sleep(0.2)
            continue
        said = response.text[:2000] if response.status_code != 202 else ""
        answer = Answer(started - began, response.status_code, time.monotonic() - started,
                        response.headers.get("Retry-After"), said)
        if response.status_code == 202:
            tally.add(answer, (response.json()["id"], len(activities)))
            key = None  # the next one is a new submission
        else:
            tally.add(answer)
            try:
                wait = float(answer.retry_after or 1)
            except ValueError:
                wait = 1.0
            time.sleep(min(wait, cap))  # then the same submission again, with the same key


# --- the check -------------------------------------------------------------------------------------

def grouped(answers: list[Answer]) -> dict[tuple[object, str], list[Answer]]:
    """Refusals by status and what they said (the problem's code and service)."""
    groups: dict[tuple[object, str], list[Answer]] = {}
    for answer in answers:
        try:
            body = json.loads(answer.body)
            what = f"{body.get('code')} {body.get('service') or ''}".strip()
        except ValueError:
            what = answer.body[:60]
        groups.setdefault((answer.status, what), []).append(answer)
    return groups


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))] * 1000 if ordered else 0.0


def check(settings: Settings) -> int:
    with tempfile.TemporaryDirectory(prefix="ekinerja-cluster-") as tmp:
        system = System(Path(tmp))
        try:
            return _run(system, settings)
        except (SetupError, TimeoutError) as exc:
            print(f"\ncluster-check: could not set up: {exc}\n--- last log lines ---\n{system.tail()}", file=sys.stderr)
            return 2
        finally:
            system.stop()
            kept = config.var_dir() / "log" / "cluster-check.log"
            kept.parent.mkdir(parents=True, exist_ok=True)
            if system.log.exists():
                kept.write_bytes(system.log.read_bytes())
                print(f"(the processes' log: {kept})")


def _run(system: System, settings: Settings) -> int:
    clock0 = time.monotonic()
    print(f"cluster-check · {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC · {settings.users} clients, "
          f"{settings.seconds:g} s; node 1 stopped at {settings.stop_at:g} s for {settings.down_seconds:g} s")
    system.start_cluster()
    print(f"cluster: {', '.join(f'{n.name} (AMQP {n.port})' for n in system.nodes)}: "
          f"{len(system.running_nodes())} running, after {time.monotonic() - clock0:.0f} s")
    system.start_services()
    system.load_demo()
    people = sign_in(system.url)
    print(f"services: {', '.join(SERVICES)} and the gateway (2 workers) on {system.url}, "
          f"EKINERJA_QUEUE_TYPE=quorum; {len(people)} demo employees signed in, after "
          f"{time.monotonic() - clock0:.0f} s")
    queues = {q["name"]: q for q in system.queues()}
    durable = ("harian.submissions", "harian.events", "rpc-harian", "rpc-identity", "identity.events")
    for name in durable:
        q = queues.get(name, {})
        print(f"  {name:<20} {q.get('type', 'missing'):<8} leader {q.get('leader', '-')}")

    run = uuid.uuid4().hex[:8]
    tally = Tally()
    began = time.monotonic()
    until = began + settings.seconds
    threads = [threading.Thread(target=submitter, daemon=True, args=(
        system.url, people[i % len(people)], run, i, began, until, settings.retry_cap, tally))
        for i in range(settings.users)]
    for thread in threads:
        thread.start()
    timeline: dict[str, float] = {}
    victim = system.nodes[0]
    time.sleep(max(0.0, began + settings.stop_at - time.monotonic()))  # the fault's schedule, not a wait for state
    timeline["stop"] = time.monotonic() - began
    victim.stop()
    timeline["stopped"] = time.monotonic() - began
    time.sleep(max(0.0, began + settings.stop_at + settings.down_seconds - time.monotonic()))
    timeline["start"] = time.monotonic() - began
    victim.start()
    timeline["started"] = time.monotonic() - began
    for thread in threads:
        thread.join(timeout=settings.seconds + 60)
    ended = time.monotonic() - began

    store = HarianStore(system.database_url("harian"))
    missing, drained = store.wait_until_stored(tally.accepted, settings.drain_seconds,
                                               lambda n, t: print(f"  {len(tally.accepted) - n:,} stored, {t:.0f} s"))
    verdict = store.verify(tally.accepted, run)
    nodes_after = system.running_nodes()

    answers = tally.answers
    statuses = Counter(a.status for a in answers)
    refused = [a for a in answers if a.status != 202]
    no_retry_after = [a for a in refused if a.status == 503 and not a.retry_after]
    others = [a for a in refused if a.status != 503]
    during = [a for a in answers if timeline["stop"] <= a.at <= timeline["started"] + 5]
    print(f"\nnode 1 ({victim.name}) stopped at {timeline['stop']:.1f} s (gone at {timeline['stopped']:.1f} s), "
          f"started at {timeline['start']:.1f} s, back at {timeline['started']:.1f} s; load ended at {ended:.1f} s")
    print(f"answers    {len(answers):,}: " + ", ".join(f"{k} ×{v:,}" for k, v in sorted(statuses.items(), key=str)))
    print(f"accepted   {len(tally.accepted):,} submissions, {len(tally.accepted) / ended:,.1f}/s; "
          f"latency p50 {percentile([a.seconds for a in answers], 50):,.0f} ms, "
          f"p99 {percentile([a.seconds for a in answers], 99):,.0f} ms, "
          f"max {max((a.seconds for a in answers), default=0) * 1000:,.0f} ms")
    if refused:
        first, last = min(a.at for a in refused), max(a.at for a in refused)
        print(f"refused    {len(refused):,} between {first:.1f} s and {last:.1f} s; "
              f"503 without Retry-After: {len(no_retry_after)}; other than 503: {len(others)}")
        for (status, what), group in sorted(grouped(refused).items(), key=lambda kv: -len(kv[1])):
            print(f"  {status} {what:<60} ×{len(group):>5,}  {min(a.at for a in group):5.1f}-"
                  f"{max(a.at for a in group):5.1f} s")
    print(f"around the outage ({timeline['stop']:.0f}-{timeline['started'] + 5:.0f} s): {len(during):,} answers, "
          f"{sum(1 for a in during if a.status == 202):,} accepted, "
          f"p99 {percentile([a.seconds for a in during], 99):,.0f} ms")
    print(f"stored     {verdict.stored:,}/{verdict.accepted:,} exactly once with every entry: "
          f"{'yes' if verdict.ok else 'NO'} (missing {len(verdict.missing)}, doubled {len(verdict.doubled)}, "
          f"short {len(verdict.short)}; drained {drained:.1f} s after the load)")
    print(f"cluster    {len(nodes_after)} nodes running at the end; leaders now: " + ", ".join(
        f"{q['name']} {q.get('leader', '-').split('@')[0]}" for q in system.queues() if q["name"] in durable))

    failures = []
    if verdict.missing or missing:
        failures.append(f"{len(verdict.missing)} accepted submissions lost: {verdict.missing[:5]}")
    if verdict.doubled or verdict.short or verdict.stray_entries:
        failures.append(f"stored wrongly: {(verdict.doubled + verdict.short + verdict.stray_entries)[:5]}")
    if others:
        failures.append(f"{len(others)} answers other than 202 or 503, e.g. "
                        f"{[(a.status, a.body[:200]) for a in others[:3]]}")
    if no_retry_after:
        failures.append(f"{len(no_retry_after)} 503 answers without Retry-After")
    if len(nodes_after) != 3:
        failures.append(f"the cluster has {len(nodes_after)} running nodes at the end, not 3")
    if not tally.accepted:
        failures.append("nothing was accepted")
    if failures:
        print("\nCLUSTER CHECK FAILED:\n" + "\n".join(f"  - {f}" for f in failures))
        return 1
    print("\nPASS: a node stopped under load lost nothing and doubled nothing; clients saw 202 or 503 with Retry-After")
    return 0


def main() -> int:
    try:
        settings = Settings.from_env()
    except SetupError as exc:
        print(f"cluster-check: {exc}", file=sys.stderr)
        return 2
    return check(settings)


if __name__ == "__main__":
    sys.exit(main())
