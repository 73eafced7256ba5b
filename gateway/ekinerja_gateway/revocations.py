"""Sessions that identity ended, as this gateway worker heard them: the access tokens of an ended
session are refused (401 `session-revoked`) within seconds on every worker and replica, with no RPC
per request.

An access token is a JWT verified locally and valid for ACCESS_TOKEN_SECONDS; its `sid` names the
session. identity announces every session it ends (`ekinerja.session.revoked.v1`: logout, a session
revoked from the list, a password change or reset, a reused refresh token, a deactivation) with
`until`, the moment after which no token of that session can be valid. Each worker process runs one
background thread that:

1. binds an exclusive, auto-delete queue of its own to those events (so every worker hears every
   event; the queue disappears with the worker),
2. then loads identity's snapshot of the sessions ended within a token's lifetime (RPC
   `identity.revoked_sessions`): a session ended before the queue existed is in the snapshot, one
   ended after is in the queue, so none is missed; this happens on start and on every reconnect,
3. then keeps each sid until `until` + the verification leeway, and forgets it afterwards.

When the feed cannot be kept (broker or identity unreachable), the worker does not go on accepting
tokens blindly: FAIL CLOSED after a short grace. If the feed has not been current for more than
REVOCATION_STALE_SECONDS (default 5), every request with a Bearer token is answered 503
`revocation-check-unavailable` with Retry-After, and at start a request waits up to that long for the
first snapshot. This costs next to nothing in availability, since every /api/v1 route needs the
broker for its RPC anyway; and the window in which a revoked token could still pass is bounded by
that grace plus the time to notice a silently dead connection (AMQP heartbeats,
REVOCATION_HEARTBEAT seconds, default 10, so up to about twice that).

Threads: the gateway runs under gunicorn's sync workers (real threads, no monkey-patching); in the
test suite eventlet patches `threading`, and this runs as a green thread. Either way the feed thread
has its own AMQP connection and, through RpcClient's thread-local proxies, its own RPC proxy. A
worker forked from a process that had started a feed starts its own (threads do not survive fork).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
import uuid
import weakref
from collections.abc import Callable
from typing import Any

from kombu import Connection, Consumer, Queue
from prometheus_client import Counter, Gauge

from ekinerja_kernel.bus import internal_exchange
from ekinerja_kernel.events import event_type

from .auth import session_revoked
from .problems import GatewayProblem

log = logging.getLogger(__name__)

EVENT = event_type("session.revoked")
DEFAULT_STALE_SECONDS = 5.0
DEFAULT_HEARTBEAT = 10
RETRY_MAX_SECONDS = 5.0
PRUNE_EVERY_SECONDS = 30.0

Snapshot = Callable[[], dict[str, Any]]

# Under gunicorn the lowest of the live workers: 0 means some worker cannot trust its list (alert on it).
FEED_CURRENT = Gauge("ekinerja_gateway_revocation_feed_current",
                     "1 while this worker's list of ended sessions is current, else 0", multiprocess_mode="livemin")
SESSIONS_HEARD = Counter("ekinerja_gateway_revoked_sessions_heard_total",
                         "Ended sessions this worker learnt of, from events or from identity's snapshot", ["source"])


def _epoch(value: Any) -> float:
    parsed = dt.datetime.fromisoformat(str(value))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.timestamp()


class RevocationList:
    """Ended sessions by sid, each until the last of its access tokens expired (plus `leeway`, the
    seconds a token is still accepted after its `exp`). Wall-clock times: `until` comes from identity."""

    def __init__(self, leeway: float, clock: Callable[[], float] = time.time) -> None:
        self.leeway, self.clock = leeway, clock
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def add(self, sid: str, until: float) -> None:
        keep = until + self.leeway
        if keep < self.clock():
            return  # every token of it has expired already
        with self._lock:
            self._until[sid] = max(keep, self._until.get(sid, keep))

    def add_event(self, data: Any) -> bool:
        """One `session.revoked` data object (or snapshot entry); False when it is unreadable."""
        try:
            sid, until = data["sid"], _epoch(data["until"])
        except (KeyError, TypeError, ValueError):
            return False
        if not isinstance(sid, str) or not sid:
            return False
        self.add(sid, until)
        return True

    def revoked(self, sid: str) -> bool:
        until = self._until.get(sid)
        return until is not None and until >= self.clock()

    def prune(self) -> int:
        """Forget the sessions none of whose tokens can still be valid; how many were forgotten."""
        now = self.clock()
        with self._lock:
            gone = [sid for sid, until in self._until.items() if until < now]
            for sid in gone:
                del self._until[sid]
        return len(gone)

    def __len__(self) -> int:
        return len(self._until)


class FeedHealth:
    """Whether this worker's list is known to hold every ended session (monotonic clock)."""

    def __init__(self, stale_after: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.stale_after, self.clock = stale_after, clock
        self._current = False
        self._lost_at: float | None = None
        self._started_at: float | None = None
        self.ready = threading.Event()  # set once the first snapshot is in

    def starting(self) -> None:
        if self._started_at is None:
            self._started_at = self.clock()

    def start_grace_left(self) -> float:
        """Seconds a request may still wait for the first snapshot (none once the grace has passed, so
        with the broker down at start no worker is held `stale_after` seconds on every request)."""
        if self._started_at is None or self.ready.is_set():
            return 0.0
        return max(0.0, self._started_at + self.stale_after - self.clock())

    def current(self) -> None:
        self._current, self._lost_at = True, None
        self.ready.set()

    def lost(self) -> None:
        if self._current:  # the first failure starts the grace; retries that fail do not extend it
            self._current, self._lost_at = False, self.clock()

    def trusted(self) -> bool:
        """Current, or lost less than `stale_after` seconds ago (a reconnect in progress)."""
        if self._current:
            return True
        return self._lost_at is not None and self.clock() - self._lost_at <= self.stale_after

    def state(self) -> str:
        if self._current:
            return "current"
        return "reconnecting" if self.trusted() else ("stale" if self._lost_at is not None else "starting")


def check_unavailable(stale_after: float) -> GatewayProblem:
    return GatewayProblem(503, "revocation-check-unavailable", "Cannot check the session now",
                          "The gateway has not been able to learn which sessions ended for more than "
                          f"{stale_after:g} s, so it accepts no access token for now. Nothing was done: "
                          "please try again shortly.",
                          "Gateway belum dapat mengetahui sesi mana yang telah berakhir selama lebih dari "
                          f"{stale_after:g} detik, sehingga untuk sementara tidak menerima token akses. Tidak ada "
                          "yang diproses: silakan coba lagi sebentar lagi.",
                          headers={"Retry-After": str(max(1, round(stale_after)))})


class _Listener:
    """The feed thread's work. It holds no reference to its RevocationFeed, so a feed (and the app
    holding it) that nobody uses any more is collected, which stops the thread."""

    def __init__(self, amqp_uri: str, snapshot: Snapshot, revoked: RevocationList, health: FeedHealth,
                 stop: threading.Event, heartbeat: int) -> None:
        self.amqp_uri, self.snapshot, self.revoked, self.health = amqp_uri, snapshot, revoked, health
        self.stop, self.heartbeat = stop, heartbeat

    def run(self) -> None:
        backoff = 0.0
        while not self.stop.is_set():
            try:
                self._listen()
            except Exception:
                self.health.lost()
                FEED_CURRENT.set(0)
                backoff = min(max(backoff * 2, 0.2), RETRY_MAX_SECONDS)
                log.warning("session revocation feed interrupted (%s); retrying in %.1f s", self.health.state(),
                            backoff, exc_info=True)
                self.stop.wait(backoff)
            else:
                backoff = 0.0

    def _listen(self) -> None:
        with Connection(self.amqp_uri, heartbeat=self.heartbeat, connect_timeout=5) as conn:
            conn.ensure_connection(max_retries=1)
            queue = Queue(f"gateway.revocations.{socket.gethostname()}.{os.getpid()}.{uuid.uuid4().hex[:8]}",
                          exchange=internal_exchange(), routing_key=EVENT, durable=False, exclusive=True,
                          auto_delete=True)
            with Consumer(conn.channel(), queues=[queue], callbacks=[self._on_message], accept=["json"],
                          no_ack=True):
                # Bound first, then the snapshot: a session ended meanwhile is in one or the other.
                self._load_snapshot()
                self.health.current()
                FEED_CURRENT.set(1)
                pruned_at = time.monotonic()
                while not self.stop.is_set():
                    try:
                        conn.drain_events(timeout=1.0)
                    except TimeoutError:
                        pass
                    conn.heartbeat_check()  # raises once the broker has gone silent
                    if time.monotonic() - pruned_at > PRUNE_EVERY_SECONDS:
                        self.revoked.prune()
                        pruned_at = time.monotonic()

    def _load_snapshot(self) -> None:
        answer = self.snapshot()
        entries = answer.get("sessions") if isinstance(answer, dict) else None
        if not isinstance(entries, list):
            raise ValueError("identity's revoked_sessions answer has no 'sessions' list")
        unreadable = sum(not self.revoked.add_event(entry) for entry in entries)
        SESSIONS_HEARD.labels("snapshot").inc(len(entries) - unreadable)
        if unreadable:
            log.warning("skipped %d unreadable entries of identity's revoked sessions", unreadable)
        log.info("session revocations loaded: %d ended sessions still within a token's lifetime", len(entries))

    def _on_message(self, body: Any, message: Any) -> None:
        data = body.get("data") if isinstance(body, dict) else None
        if self.revoked.add_event(data):
            SESSIONS_HEARD.labels("event").inc()
        else:
            log.warning("unreadable session.revoked event skipped: %r", body)


class RevocationFeed:
    """This worker's revocation list and the thread that keeps it current (see the module docstring)."""

    def __init__(self, amqp_uri: str, snapshot: Snapshot, leeway: float, stale_after: float = DEFAULT_STALE_SECONDS,
                 heartbeat: int = DEFAULT_HEARTBEAT) -> None:
        self.amqp_uri, self.snapshot, self.leeway = amqp_uri, snapshot, leeway
        self.stale_after, self.heartbeat = stale_after, heartbeat
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._stopped = False
        self.revoked = RevocationList(leeway)
        self.health = FeedHealth(stale_after)

    def start(self) -> None:
        """Start the thread unless this process already runs it (idempotent; cheap on every request)."""
        if self._stopped or (self._pid == os.getpid() and self._thread is not None and self._thread.is_alive()):
            return
        with self._lock:
            if self._stopped or (self._pid == os.getpid() and self._thread is not None and self._thread.is_alive()):
                return
            if self._pid != os.getpid():  # a new process: what the parent heard is not ours to trust
                self.revoked, self.health = RevocationList(self.leeway), FeedHealth(self.stale_after)
            self._pid, self._stop = os.getpid(), threading.Event()
            listener = _Listener(self.amqp_uri, self.snapshot, self.revoked, self.health, self._stop,
                                 self.heartbeat)
            weakref.finalize(self, self._stop.set)
            self.health.starting()
            self._thread = threading.Thread(target=listener.run, name="revocation-feed", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """For good: a stopped feed is not restarted (its worker then answers 503 to Bearer requests)."""
        self._stopped = True
        self._stop.set()

    def check(self, sid: str) -> None:
        """Raise 401 `session-revoked` for an ended session, 503 when the list cannot be trusted."""
        self.start()
        if self.revoked.revoked(sid):
            raise session_revoked()
        if self.health.trusted():
            return
        wait = self.health.start_grace_left()
        if wait:  # just started: the first snapshot is on its way
            self.health.ready.wait(wait)
            if self.revoked.revoked(sid):
                raise session_revoked()
            if self.health.trusted():
                return
        raise check_unavailable(self.stale_after)

    def state(self) -> dict[str, Any]:
        return {"status": self.health.state(), "sessions": len(self.revoked)}
