"""The load generator: virtual users spread over several processes (so the client's own Python
does not become the bottleneck), each process running one thread per virtual user with its own
connection (a lean HTTP/1.1 client, below). Every process waits until all are ready, then all
start at the same instant and stop starting new requests when the time is up; a request under
way then is waited for (and counted)."""

from __future__ import annotations

import json
import math
import multiprocessing as mp
import resource
import socket
import threading
import time
from array import array
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

SUBMIT_PATH = "/api/v1/harian/submissions"
LOGIN_PATH = "/api/v1/auth/login"
HEALTH_PATH = "/healthz"
SAMPLE_CHARS = 600


@dataclass(frozen=True)
class VirtualUser:
    """One simulated employee: a demo account's token, its open day and its RHK."""
    index: int
    nip: str = ""
    token: str = ""
    date: str = ""
    rhk: tuple[tuple[str, str], ...] = ()  # (rhk id, satuan)
    password: str = ""  # sign-in phase: the account's password
    source: str = ""  # the local address its connections come from (sign-in: one per client, as offices)


@dataclass
class Plan:
    kind: str  # "submit", "health" or "signin"
    url: str
    seconds: float
    run_id: str
    timeout: float = 30.0
    retry_every: int = 0  # every Nth submission is sent a second time with the same Idempotency-Key
    keyed: bool = True  # submissions carry an Idempotency-Key (a retry needs one)


@dataclass
class Result:
    """What the requests of one phase got (merged over threads and processes)."""
    statuses: Counter = field(default_factory=Counter)  # HTTP status, or "timeout" / "connection-error"
    latencies: array = field(default_factory=lambda: array("d"))  # seconds, every response
    accepted_latencies: array = field(default_factory=lambda: array("d"))  # seconds, 202 only
    accepted: dict[str, int] = field(default_factory=dict)  # submission id → activities sent
    accepted_responses: int = 0  # 202 answers, deliberate retries included
    retries: int = 0  # deliberate retries sent (same Idempotency-Key)
    retry_mismatches: list[str] = field(default_factory=list)  # a retry that got another id
    samples: dict[str, str] = field(default_factory=dict)  # first body per non-2xx status
    first_start: float = 0.0  # when the phase started (monotonic clock, shared by the processes)
    last_done: float = 0.0
    client_cpu: float = 0.0  # CPU seconds the load processes spent

    def merge(self, other: Result) -> None:
        self.statuses.update(other.statuses)
        self.latencies.extend(other.latencies)
        self.accepted_latencies.extend(other.accepted_latencies)
        for sid, n in other.accepted.items():
            if self.accepted.get(sid, n) != n:
                self.retry_mismatches.append(f"{sid}: sent with {self.accepted[sid]} and {n} activities")
            self.accepted[sid] = n
        self.accepted_responses += other.accepted_responses
        self.retries += other.retries
        self.retry_mismatches += other.retry_mismatches
        for status, body in other.samples.items():
            self.samples.setdefault(status, body)
        self.last_done = max(self.last_done, other.last_done)
        self.client_cpu += other.client_cpu

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def elapsed(self) -> float:
        return max(self.last_done - self.first_start, 1e-9)


def activities(user: VirtualUser, run_id: str, seq: int) -> list[dict[str, Any]]:
    """One to three activities (a demo SKP may have a single RHK: activities then share it)."""
    count = 1 + (user.index + seq) % 3
    return [{"rhk_id": user.rhk[(seq + j) % len(user.rhk)][0],
             "description": f"Benchmark {run_id}: pengguna virtual {user.index}, kiriman {seq}, kegiatan {j + 1}",
             "quantity": 1 + j, "satuan": user.rhk[(seq + j) % len(user.rhk)][1] or "kegiatan", "quality": 100,
             "evidence_url": f"https://bukti.example.go.id/bench/{run_id}/{user.index}/{seq}/{j}",
             "minutes": 30 * (j + 1)} for j in range(count)]


class Connection:
    """A lean HTTP/1.1 client for one virtual user (one thread): a few lines of socket code cost the
    client far less CPU per request than a general library, which matters when the client shares
    the machine with the system it measures. Keeps the connection when the server allows it (the
    gateway's sync gunicorn workers close it after each response)."""

    def __init__(self, host: str, port: int, timeout: float, source: str = "") -> None:
        self.addr, self.timeout = (host, port), timeout
        self.source = (source, 0) if source else None
        self.host_header = f"Host: {host}:{port}\r\nUser-Agent: ekinerja-bench\r\n"
        self.sock: socket.socket | None = None

    def build(self, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
        lines = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        length = f"Content-Length: {len(body)}\r\n" if body or method != "GET" else ""
        return f"{method} {path} HTTP/1.1\r\n{self.host_header}{lines}{length}\r\n".encode("latin-1") + body

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def request(self, raw: bytes) -> tuple[Any, bytes]:
        """(HTTP status, body), or ("timeout" | "connection-error", detail)."""
        for _ in range(2):
            fresh = self.sock is None
            try:
                if self.sock is None:
                    self.sock = socket.create_connection(self.addr, timeout=self.timeout, source_address=self.source)
                    self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.sock.sendall(raw)
                status, body, keep = self._response()
            except TimeoutError:
                self.close()
                return "timeout", b""
            except (OSError, ValueError, IndexError) as exc:
                self.close()
                if fresh:
                    return "connection-error", repr(exc).encode()
                continue  # a kept-alive connection the server had closed: once more on a new one
            if not keep:
                self.close()
            return status, body
        return "connection-error", b"kept-alive connection closed twice"

    def _recv(self) -> bytes:
        assert self.sock is not None
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection before the response ended")
        return chunk

    def _response(self) -> tuple[int, bytes, bool]:
        buf = bytearray()
        while (end := buf.find(b"\r\n\r\n")) < 0:
            buf += self._recv()
        head = bytes(buf[:end]).decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        headers = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip().lower()
        body = buf[end + 4:]
        keep = head[0].startswith("HTTP/1.1") and headers.get("connection") != "close"
        if "content-length" in headers:
            length = int(headers["content-length"])
            while len(body) < length:
                body += self._recv()
            return status, bytes(body[:length]), keep
        if headers.get("transfer-encoding") == "chunked":
            return status, self._chunked(body), keep
        while True:  # neither: the body ends when the server closes
            try:
                body += self._recv()
            except ConnectionError:
                return status, bytes(body), False

    def _chunked(self, buf: bytearray) -> bytes:
        out = bytearray()
        while True:
            while (eol := buf.find(b"\r\n")) < 0:
                buf += self._recv()
            size = int(bytes(buf[:eol]).split(b";")[0], 16)
            while len(buf) < eol + 2 + size + 2:
                buf += self._recv()
            out += buf[eol + 2:eol + 2 + size]
            buf = buf[eol + 2 + size + 2:]
            if size == 0:
                return bytes(out)  # (trailers are not used here)


def _record(result: Result, status: Any, body: bytes, latency: float) -> None:
    result.statuses[status] += 1
    result.latencies.append(latency)
    if (not isinstance(status, int) or status >= 300) and str(status) not in result.samples:
        result.samples[str(status)] = body[:SAMPLE_CHARS].decode(errors="replace")


def _run_user(plan: Plan, conn: Connection, user: VirtualUser, start: float, result: Result) -> None:
    end = start + plan.seconds
    health = conn.build("GET", HEALTH_PATH, {})
    delay = start - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    seq = 0
    while True:
        began = time.monotonic()
        if began >= end:
            break
        if plan.kind == "health":
            status, body = conn.request(health)
            _record(result, status, body, time.monotonic() - began)
            if not isinstance(status, int):
                time.sleep(0.05)  # a refused connection must not turn into a busy loop
        elif plan.kind == "signin":
            status, body = conn.request(conn.build("POST", LOGIN_PATH, {"Content-Type": "application/json"}, json.dumps(
                {"nip": user.nip, "password": user.password}).encode()))
            _record(result, status, body, time.monotonic() - began)
            if not isinstance(status, int):
                time.sleep(0.05)
        else:
            _submit(plan, conn, user, seq, began, result)
        result.last_done = time.monotonic()
        seq += 1


def _submit(plan: Plan, conn: Connection, user: VirtualUser, seq: int, began: float, result: Result) -> None:
    acts = activities(user, plan.run_id, seq)
    body = json.dumps({"date": user.date, "activities": acts}).encode()
    tag = f"b-{plan.run_id}-{user.index}-{seq}"
    headers = {"Authorization": f"Bearer {user.token}", "Content-Type": "application/json", "X-Request-ID": tag}
    if plan.keyed:
        headers["Idempotency-Key"] = tag
    request = conn.build("POST", SUBMIT_PATH, headers, body)
    # Every Nth submission (counted over all virtual users) is sent twice, as a client would retry.
    sends = 2 if plan.keyed and plan.retry_every and \
        (user.index + seq) % plan.retry_every == plan.retry_every - 1 else 1
    first_id = None
    for attempt in range(sends):
        t0 = began if attempt == 0 else time.monotonic()
        status, raw = conn.request(request)
        latency = time.monotonic() - t0
        _record(result, status, raw, latency)
        if status != 202:
            if not isinstance(status, int):
                time.sleep(0.05)
            return
        result.accepted_responses += 1
        result.accepted_latencies.append(latency)
        try:
            sid = json.loads(raw)["id"]
        except (ValueError, KeyError, TypeError):
            result.samples.setdefault("202-without-id", raw[:SAMPLE_CHARS].decode(errors="replace"))
            return
        if attempt == 0:
            first_id = sid
            result.accepted[sid] = len(acts)
        else:
            result.retries += 1
            if sid != first_id:  # the same Idempotency-Key must name the same submission
                result.retry_mismatches.append(f"{tag}: {first_id} then {sid}")
                result.accepted[sid] = len(acts)


def _process(plan: Plan, users: list[VirtualUser], ready: Any, go: Any, start_at: Any, out: Any) -> None:
    parts = urlsplit(plan.url)
    results = [Result() for _ in users]
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    threads = []
    gate = threading.Event()
    box: dict[str, float] = {}

    def user_thread(i: int) -> None:
        gate.wait()
        conn = Connection(parts.hostname or "127.0.0.1", parts.port or 80, plan.timeout, users[i].source)
        try:
            _run_user(plan, conn, users[i], box["start"], results[i])
        finally:
            conn.close()

    for i in range(len(users)):
        t = threading.Thread(target=user_thread, args=(i,), daemon=True)
        t.start()
        threads.append(t)
    ready.put(1)
    go.wait()
    box["start"] = start_at.value
    gate.set()
    for t in threads:
        t.join()
    total = Result()
    for r in results:
        total.merge(r)
    total.first_start = box["start"]
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    total.client_cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    out.put(total)


def run(plan: Plan, users: list[VirtualUser], processes: int) -> Result:
    """Runs the phase: `users` spread over `processes` processes, all starting together."""
    ctx = mp.get_context("fork")
    ready, out, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    start_at = ctx.Value("d", 0.0)
    groups = [users[i::processes] for i in range(processes)]
    workers = [ctx.Process(target=_process, args=(plan, g, ready, go, start_at, out), daemon=True)
               for g in groups if g]
    for w in workers:
        w.start()
    for _ in workers:
        ready.get(timeout=60)
    start_at.value = time.monotonic() + 0.2
    go.set()
    total = Result()
    deadline = time.monotonic() + plan.seconds + plan.timeout + 60
    for _ in workers:
        total.merge(out.get(timeout=max(1.0, deadline - time.monotonic())))
    for w in workers:
        w.join(timeout=10)
    total.first_start = start_at.value
    return total


def percentile(values: array, q: float) -> float:
    """The q-th percentile (nearest rank) of `values`, in milliseconds; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[rank] * 1000
