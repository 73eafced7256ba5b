"""`make bench`: the peak benchmark of the stack `make up` runs (issue 5, item 9).

1. baseline: BENCH_USERS concurrent clients call GET /healthz for BENCH_SECONDS;
2. peak: as many virtual employees (each one of the 38 demo accounts, i % 38, with that account's
   open day and approved RHK) submit their day, POST /api/v1/harian/submissions, for as long;
3. the CPU seconds the system's processes (gateway, services, broker, PostgreSQL if used) spent,
   from before the peak until harian has stored the last accepted submission;
4. harian's database is checked: every accepted submission stored exactly once, with every entry.

Exit status: 0 when nothing was lost or doubled and no 5xx or hang appeared, 1 otherwise, 2 when
the stack is not there to measure. Settings: BENCH_USERS (200), BENCH_SECONDS (20), BENCH_PROCS
(client processes, 4), BENCH_DRAIN_SECONDS (120), BENCH_RETRY_EVERY (20; 0 = no deliberate
retries), BENCH_TIMEOUT (30), BENCH_URL (http://127.0.0.1:$GATEWAY_PORT). See docs/benchmarks.md."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyotp
import urllib3

from . import database, load, procs, signin
from .load import Plan, Result, VirtualUser
from .store import HarianStore, database_url

ROOT = Path(__file__).resolve().parent.parent
ACCOUNTS = ROOT / "deploy" / "demo" / "accounts.json"


class SetupError(Exception):
    """The stack is not there (or not as the benchmark needs it): exit 2 with this message."""


@dataclass(frozen=True)
class Settings:
    url: str
    users: int
    seconds: float
    processes: int
    drain_seconds: float
    retry_every: int
    timeout: float
    var_dir: Path
    keyed: bool = True
    signin_seconds: float = 10.0

    @classmethod
    def from_env(cls) -> Settings:
        def num(name: str, default: float, kind: type = int) -> Any:
            raw = os.environ.get(name, "")
            try:
                value = kind(raw) if raw.strip() else kind(default)
            except ValueError:
                raise SetupError(f"{name}={raw!r} is not a number") from None
            if value < 0 or (value == 0 and name in ("BENCH_USERS", "BENCH_SECONDS", "BENCH_PROCS")):
                raise SetupError(f"{name}={raw!r} must be positive")
            return value

        users = num("BENCH_USERS", 200)
        port = os.environ.get("GATEWAY_PORT", "8000")
        return cls(url=os.environ.get("BENCH_URL", f"http://127.0.0.1:{port}").rstrip("/"), users=users,
                   seconds=num("BENCH_SECONDS", 20, float), processes=min(users, num("BENCH_PROCS", 4)),
                   drain_seconds=num("BENCH_DRAIN_SECONDS", 120, float), retry_every=num("BENCH_RETRY_EVERY", 20),
                   timeout=num("BENCH_TIMEOUT", 30, float), keyed=os.environ.get("BENCH_IDEMPOTENCY", "1") != "0",
                   signin_seconds=num("BENCH_SIGNIN_SECONDS", 10, float),
                   var_dir=Path(os.environ.get("EKINERJA_VAR_DIR") or ROOT / "var").resolve())


# --- talking to the gateway outside the timed phases -------------------------------------------

class Api:
    def __init__(self, url: str) -> None:
        self.url = url
        self.http = urllib3.PoolManager(maxsize=16, retries=False, timeout=urllib3.Timeout(connect=3, read=30))

    def call(self, method: str, path: str, token: str | None = None, body: Any = None) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        r = self.http.request(method, self.url + path, headers=headers,
                              body=json.dumps(body).encode() if body is not None else None)
        try:
            return r.status, json.loads(r.data) if r.data else None
        except ValueError:
            return r.status, r.data.decode(errors="replace")[:300]


def check_stack(api: Api) -> None:
    try:
        status, _ = api.call("GET", "/healthz")
    except urllib3.exceptions.HTTPError as exc:
        raise SetupError(f"the gateway does not answer on {api.url} ({type(exc).__name__}).\n"
                         "Start the system first: make up") from None
    if status != 200:
        raise SetupError(f"{api.url}/healthz answered {status}: is that the e-Kinerja gateway? Start it with make up")
    # Each worker answers for itself (its broker connection, its list of ended sessions): one that
    # was idle may need a moment to reconnect, so ask a few times before calling the stack not ready.
    deadline = time.monotonic() + 15
    while (status := (answer := api.call("GET", "/readyz?deep=1"))[0]) != 200 and time.monotonic() < deadline:
        time.sleep(0.5)
    body = answer[1]
    if status != 200:
        raise SetupError(f"{api.url}/readyz?deep=1 answered {status}: not every service is up:\n"
                         f"{json.dumps(body, indent=1)[:1500]}\nSee make status / make logs.")


def login(api: Api, account: dict[str, Any]) -> str:
    """An access token for a demo account; with TOTP, a code of a step not used before (identity
    refuses a replayed code, so a refusal means: wait for the next 30-s step and sign in again)."""
    for attempt in range(4):
        status, body = api.call("POST", "/api/v1/auth/login", body={"nip": account["nip"],
                                                                    "password": account["password"]})
        if status == 429:
            time.sleep(2)
            continue
        if status != 200 or not isinstance(body, dict):
            raise SetupError(f"sign-in of demo account {account['nip']} answered {status}: {body}\n"
                             "Were the demo accounts loaded (make up)?")
        if body.get("status") == "authenticated":
            return body["access_token"]
        if body.get("status") != "mfa_required" or not account.get("totp_secret"):
            raise SetupError(f"sign-in of demo account {account['nip']}: {body}")
        status, mfa = api.call("POST", "/api/v1/auth/mfa", body={
            "mfa_ticket": body["mfa_ticket"], "code": pyotp.TOTP(account["totp_secret"]).now()})
        if status == 200 and isinstance(mfa, dict) and mfa.get("access_token"):
            return mfa["access_token"]
        if attempt < 3:  # the code of this step was used already: the next step's code is new
            time.sleep(30 - time.time() % 30 + 1)
            continue
        raise SetupError(f"TOTP sign-in of demo account {account['nip']} answered {status}: {mfa}")
    raise SetupError(f"sign-in of demo account {account['nip']} kept being refused")


def prepare_account(api: Api, account: dict[str, Any], today: dt.date) -> dict[str, Any] | None:
    """The account's token, the day it may write (the newest open one) and its RHK for that day; None
    for an account with no RHK to write for."""
    token = login(api, account)
    status, cal = api.call("GET", f"/api/v1/harian/calendar?year={today.year}&month={today.month}", token)
    if status != 200:
        raise SetupError(f"the calendar of {account['nip']} answered {status}: {cal}")
    open_days = cal.get("open_for_entry") or []
    if not open_days:
        raise SetupError(f"{account['nip']} has no day open for entry today ({today}); nothing to submit")
    day = open_days[-1]
    status, rhk = api.call("GET", f"/api/v1/harian/rhk?date={day}", token)
    if status != 200:
        raise SetupError(f"the RHK of {account['nip']} for {day} answered {status}: {rhk}")
    if not rhk.get("rhk"):
        return None  # no approved SKP (an account that plans none, e.g. a national admin): not a virtual employee
    return {"nip": account["nip"], "token": token, "date": day,
            "rhk": tuple((r["id"], r.get("satuan") or "kegiatan") for r in rhk["rhk"])}


def prepare_users(api: Api, settings: Settings, accounts: list[dict[str, Any]]) -> list[VirtualUser]:
    today = dt.datetime.now(ZoneInfo(os.environ.get("EKINERJA_TIMEZONE", "Asia/Jakarta"))).date()
    with ThreadPoolExecutor(8) as pool:
        prepared = [p for p in pool.map(lambda a: prepare_account(api, a, today), accounts) if p is not None]
    if not prepared:
        raise SetupError(f"none of the {len(accounts)} demo accounts has an RHK of an approved SKP for today.\n"
                         "make up approves a demo SKP for every employee for the current year.")
    if len(prepared) < len(accounts):
        print(f"  {len(accounts) - len(prepared)} of {len(accounts)} demo accounts have no approved SKP: "
              f"the virtual employees are the other {len(prepared)}")
    return [VirtualUser(index=i, **prepared[i % len(prepared)]) for i in range(settings.users)]


# --- reporting ----------------------------------------------------------------------------------

def ms(x: float) -> str:
    return f"{x:,.1f} ms"


def latency_line(values: Any) -> str:
    p = [load.percentile(values, q) for q in (50, 95, 99)]
    return f"p50 {ms(p[0])} · p95 {ms(p[1])} · p99 {ms(p[2])} · max {ms(max(values) * 1000 if values else 0)}"


def status_line(result: Result) -> str:
    return ", ".join(f"{k}: {v:,}" for k, v in sorted(result.statuses.items(), key=lambda kv: str(kv[0])))


def cpu_line(spent: dict[str, float], per: float, unit: str) -> str:
    total = sum(spent.values())
    order = sorted(((v, k) for k, v in spent.items() if v > 0), reverse=True)
    parts = ", ".join(f"{k} {v / per * 1000:.2f}" for v, k in order) if per else ""
    return f"{total:.2f} CPU-s = {total / per * 1000:.2f} ms per {unit} ({parts})" if per else f"{total:.2f} CPU-s"


def show_phase(result: Result, settings: Settings) -> None:
    print(f"  requests     {result.requests:,} in {result.elapsed:.1f} s = {result.requests / result.elapsed:,.1f}/s")
    print(f"  latency      {latency_line(result.latencies)}")
    print(f"  HTTP status  {status_line(result)}")
    for status, body in sorted(result.samples.items()):
        print(f"  first {status} body: {body[:300]}")
    client_cores = result.client_cpu / result.elapsed
    print(f"  client       {result.client_cpu:.1f} CPU-s in {settings.processes} processes "
          f"({client_cores:.2f} cores busy for the load generator)")


def machine_line(before: procs.Snapshot, after: procs.Snapshot, system_cpu: dict[str, float],
                 result: Result) -> str:
    """How busy the machine was and who kept it busy: the system, the load generator, anything else."""
    busy = procs.machine_cores_busy(before, after)
    elapsed = (after.taken - before.taken) or result.elapsed
    system, client = sum(system_cpu.values()) / elapsed, result.client_cpu / result.elapsed
    return (f"{busy:.2f} of {os.cpu_count()} cores busy: system {system:.2f}, client {client:.2f}, "
            f"other {max(0.0, busy - system - client):.2f}")


def five_xx(result: Result) -> int:
    return sum(n for s, n in result.statuses.items() if isinstance(s, int) and s >= 500)


def hangs(result: Result) -> int:
    return sum(n for s, n in result.statuses.items() if not isinstance(s, int))


def main() -> int:
    try:
        return run(Settings.from_env())
    except SetupError as exc:
        print(f"\nbench: {exc}", file=sys.stderr)
        return 2


def run(settings: Settings) -> int:
    api = Api(settings.url)
    check_stack(api)
    accounts = json.loads(ACCOUNTS.read_text())["accounts"]
    system = procs.SystemProcesses(settings.var_dir)
    found = system.found()
    if "gateway" not in found or "harian" not in found:
        raise SetupError(f"no gateway/harian process under {system.supervisor_pidfile}: is this the stack of this "
                         f"checkout (make up here, EKINERJA_VAR_DIR={settings.var_dir})?")
    harian_env = system.environ_of("harian")
    running_db = harian_env.get("HARIAN_DATABASE_URL") or database_url(settings.var_dir, harian_env)
    if (why := database.mismatch(os.environ.get("DB"), running_db)) is not None:
        raise SetupError(why)
    run_id = uuid.uuid4().hex[:8]
    now = dt.datetime.now(dt.UTC)
    ncpu = os.cpu_count() or 1
    print(f"e-Kinerja peak benchmark · run {run_id} · {now:%Y-%m-%d %H:%M} UTC · {platform.node()}, {ncpu} CPUs")
    print(f"gateway {settings.url} · {settings.users} virtual employees on {len(accounts)} demo accounts · "
          f"{settings.seconds:g} s per phase · {settings.processes} client processes")
    print("CPU measured for: " + ", ".join(f"{k} ×{v}" if v > 1 else k for k, v in sorted(found.items())))
    store_db = database_url(settings.var_dir, harian_env)
    print(f"databases: {database.describe(store_db)}")
    limit = system.environ_of("gateway").get("SUBMIT_RATE_LIMIT")
    if not limit or int(limit) < 10_000:
        print(f"note: the gateway runs with SUBMIT_RATE_LIMIT={limit or 'unset (60)'}: {settings.users} virtual "
              f"employees on {len(accounts)} accounts will meet 429s. deploy/bin/dev raises it: make down && make up")

    if settings.seconds > 480:
        print("note: access tokens live 10 minutes (ACCESS_TOKEN_SECONDS): a peak phase this long will end in 401s")

    # Background: what the idle system and the rest of the machine use (other jobs share these cores).
    idle0 = system.snapshot()
    time.sleep(3)
    idle1 = system.snapshot()
    idle_rate = sum(procs.cpu_between(idle0, idle1).values()) / 3
    print(f"idle: the system's processes use {idle_rate:.3f} CPU-s/s; the machine had "
          f"{procs.machine_cores_busy(idle0, idle1):.2f} of {ncpu} cores busy before the run")

    # 1. baseline: a trivial route at the same concurrency.
    print(f"\n[1/3] baseline: GET /healthz, {settings.users} concurrent clients, {settings.seconds:g} s")
    b0 = system.snapshot()
    baseline = load.run(Plan("health", settings.url, settings.seconds, run_id, settings.timeout),
                        [VirtualUser(i) for i in range(settings.users)], settings.processes)
    b1 = system.snapshot()
    show_phase(baseline, settings)
    base_cpu = procs.cpu_between(b0, b1)
    base_rate = baseline.requests / baseline.elapsed
    print(f"  system CPU   {cpu_line(base_cpu, baseline.requests, 'request')}")
    print(f"  machine      {machine_line(b0, b1, base_cpu, baseline)}")

    # 2. peak: sign in every account once (outside the timed window), then submit.
    print(f"\n[2/3] peak: POST /api/v1/harian/submissions, {settings.users} virtual employees, {settings.seconds:g} s")
    started = time.monotonic()
    users = prepare_users(api, settings, accounts)
    days = sorted({u.date for u in users})
    print(f"  signed in {len(accounts)} accounts and read their open day ({', '.join(days)}) and RHK "
          f"in {time.monotonic() - started:.1f} s")
    store = HarianStore(store_db)
    p0 = system.snapshot()
    peak = load.run(Plan("submit", settings.url, settings.seconds, run_id, settings.timeout, settings.retry_every,
                         settings.keyed), users, settings.processes)
    p1 = system.snapshot()
    stored_in_peak = len(store.stored_ids(peak.accepted))  # how far harian kept up while the gateway accepted
    show_phase(peak, settings)
    unique = len(peak.accepted)
    print(f"  accepted     {peak.accepted_responses:,} × 202 = {peak.accepted_responses / peak.elapsed:,.1f}/s: "
          f"{unique:,} submissions + {peak.retries:,} deliberate retries (same Idempotency-Key, same id expected)"
          + ("" if settings.keyed else " (BENCH_IDEMPOTENCY=0: no Idempotency-Key, so no claim RPC and no retries)"))
    print(f"  stored       {stored_in_peak:,} of them by the end of the peak: stored ÷ accepted during the peak "
          f"= {stored_in_peak / unique if unique else 0:.2f}")
    if peak.accepted_responses != peak.requests:
        print(f"  202 latency  {latency_line(peak.accepted_latencies)}")

    # 3. wait until harian has stored every accepted submission; CPU until then.
    print(f"  waiting for harian to store {unique:,} submissions (at most {settings.drain_seconds:g} s) ...")
    missing, waited = store.wait_until_stored(
        peak.accepted, settings.drain_seconds,
        lambda n, t: print(f"    {unique - n:,} of {unique:,} stored after {t:.0f} s"))
    p2 = system.snapshot()
    peak_cpu = procs.cpu_between(p0, p1)
    total_cpu = procs.cpu_between(p0, p2)
    drain_note = "all stored" if not missing else f"{len(missing):,} STILL MISSING"
    print(f"  drained      {drain_note} {waited:.1f} s after the peak ended "
          f"(end to end {unique / (peak.elapsed + waited):,.1f} stored submissions/s)")
    print(f"  system CPU   during the peak: {cpu_line(peak_cpu, unique, 'submission')}")
    print(f"               peak + drain:    {cpu_line(total_cpu, unique, 'submission')}")
    print(f"  machine      {machine_line(p0, p1, peak_cpu, peak)} (during the peak)")

    # 4. the database: exactly once, every entry.
    verdict = store.verify(peak.accepted, run_id)
    replicas = found.get("harian", 1)
    print(f"  harian DB    {store.url}: {verdict.stored:,} of {verdict.accepted:,} accepted submissions stored "
          f"({', '.join(f'{k} {v:,}' for k, v in sorted(verdict.by_status.items()))})")
    if verdict.unacknowledged:
        print(f"               + {verdict.unacknowledged} stored whose 202 the client never saw (timed out): not lost")

    failures = []
    if verdict.missing:
        failures.append(f"{len(verdict.missing)} accepted submissions LOST (not stored after "
                        f"{settings.drain_seconds:g} s), e.g. {verdict.missing[:3]}")
    if verdict.doubled:
        failures.append(f"{len(verdict.doubled)} submissions DOUBLED, e.g. {verdict.doubled[:3]}")
    if verdict.short:
        failures.append(f"{len(verdict.short)} submissions stored with entries MISSING, e.g. {verdict.short[:3]}")
    if verdict.stray_entries:
        failures.append(f"{len(verdict.stray_entries)} not-accepted submissions with entries, "
                        f"e.g. {verdict.stray_entries[:3]}")
    if verdict.refusals:
        failures.append(f"harian refused {sum(verdict.refusals.values())} valid submissions: {verdict.refusals}")
    if peak.retry_mismatches:
        failures.append(f"{len(peak.retry_mismatches)} retries with the same Idempotency-Key got another id, "
                        f"e.g. {peak.retry_mismatches[:3]}")
    for name, result in (("baseline", baseline), ("peak", peak)):
        if five_xx(result):
            failures.append(f"{five_xx(result)} responses 5xx in the {name} phase")
        if hangs(result):
            failures.append(f"{hangs(result)} requests without an answer (timeout after {settings.timeout:g} s or "
                            f"connection error) in the {name} phase")
    if not unique:
        failures.append("no submission was accepted")

    # 5. the sign-in wave against raw argon2id with identity's parameters, one after the other.
    signins = None
    if settings.signin_seconds > 0:
        print(f"\n[3/3] sign-in: POST /api/v1/auth/login from 16 loopback addresses, {settings.signin_seconds:g} s; "
              f"then raw argon2id verifies in {ncpu} processes as long")
        signins = signin.measure(settings.url, accounts, settings.signin_seconds, run_id, settings.timeout,
                                 settings.processes)
        answered = ", ".join(f"{k}: {v:,}" for k, v in signins.statuses.items())
        print(f"  sign-ins     {signins.signins_per_s:,.1f}/s ({answered})")
        print(f"  argon2id     {signins.raw_per_s:,.1f} verifies/s (identity's parameters, "
              f"{signins.processes} processes)")
        if five_xx_counts := sum(v for k, v in signins.statuses.items() if k.isdigit() and int(k) >= 500):
            failures.append(f"{five_xx_counts} responses 5xx in the sign-in phase")

    accepted_rate = peak.accepted_responses / peak.elapsed
    per_submission = sum(total_cpu.values()) / unique if unique else 0.0
    print("\n=== summary ===")
    print(f"peak       {accepted_rate:,.1f} accepted/s · latency {latency_line(peak.latencies)} · {status_line(peak)}")
    print(f"baseline   {base_rate:,.1f} req/s GET /healthz · latency {latency_line(baseline.latencies)}")
    print(f"ratio      full submission path ÷ trivial route = {accepted_rate / base_rate:.2f} (throughput)")
    drained_rate = unique / (peak.elapsed + waited)
    print(f"storing    stored ÷ accepted during the peak = {stored_in_peak / unique if unique else 0:.2f}; drained "
          f"{waited:.1f} s after the peak ended; {drained_rate:,.1f} stored/s end to end with {replicas} harian "
          f"process{'es' if replicas > 1 else ''} (HARIAN_REPLICAS; compare runs side by side)")
    if signins is not None:
        print(f"sign-in    sign-ins/s ÷ raw argon2id verifies/s = {signins.ratio:.2f} "
              f"({signins.signins_per_s:,.1f} ÷ {signins.raw_per_s:,.1f}, {signins.clients} clients on distinct "
              "addresses)")
    print(f"CPU        {per_submission * 1000:.2f} ms of system CPU per accepted submission, stored "
          f"(gateway, services, broker{', PostgreSQL' if 'postgresql' in found else ''}; peak + drain)")
    print(f"stored     {verdict.stored:,}/{verdict.accepted:,} exactly once, every entry present: "
          f"{'yes' if verdict.ok and not verdict.missing else 'NO'}")
    out = settings.var_dir / "bench" / f"{now:%Y%m%dT%H%M%S}-{run_id}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "run_id": run_id, "time": now.isoformat(), "settings": {**asdict(settings), "var_dir": str(settings.var_dir)},
        "database": database.describe(store_db),
        "baseline": {"req_per_s": base_rate, "p50_ms": load.percentile(baseline.latencies, 50),
                     "p95_ms": load.percentile(baseline.latencies, 95),
                     "p99_ms": load.percentile(baseline.latencies, 99),
                     "statuses": {str(k): v for k, v in baseline.statuses.items()}, "cpu": base_cpu},
        "peak": {"accepted_per_s": accepted_rate, "submissions": unique, "retries": peak.retries,
                 "p50_ms": load.percentile(peak.latencies, 50), "p95_ms": load.percentile(peak.latencies, 95),
                 "p99_ms": load.percentile(peak.latencies, 99),
                 "statuses": {str(k): v for k, v in peak.statuses.items()}, "cpu_peak": peak_cpu,
                 "cpu_with_drain": total_cpu, "drain_seconds": waited, "client_cpu": peak.client_cpu},
        "ratio": accepted_rate / base_rate, "cpu_ms_per_submission": per_submission * 1000,
        "stored_in_peak_ratio": stored_in_peak / unique if unique else 0, "stored_per_s": drained_rate,
        "harian_replicas": replicas, "keyed": settings.keyed,
        "signin": None if signins is None else {"per_s": signins.signins_per_s, "raw_argon2_per_s": signins.raw_per_s,
                                                "ratio": signins.ratio, "statuses": signins.statuses},
        "stored": asdict(verdict) | {"missing": verdict.missing[:50]}, "failures": failures}, indent=1))
    if failures:
        print("\n" + "!" * 100)
        print("BENCHMARK FAILED:")
        for f in failures:
            print(f"  - {f}")
        print("!" * 100)
        print(f"(details: {out})")
        return 1
    print(f"\nPASS: nothing lost, nothing doubled, no 5xx (details: {out})")
    return 0
