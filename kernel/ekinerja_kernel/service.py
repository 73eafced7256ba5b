"""nameko building blocks every service uses: its database, telemetry, and outbox relay."""

from __future__ import annotations

import logging
import time
import weakref

import eventlet
from nameko.extensions import DependencyProvider
from prometheus_client import start_http_server
from sqlalchemy import text

from . import config, metrics
from .bus import ConfirmedPublisher
from .db import make_engine, session_factory
from .errors import DomainError
from .logs import set_request_id
from .outbox import Outbox
from .rpc import RpcProblem, rpc

log = logging.getLogger("ekinerja.service")


class Database(DependencyProvider):
    """Gives each worker the service's sessionmaker; the URL comes from `<SERVICE>_DATABASE_URL`."""

    def setup(self) -> None:
        self.engine = make_engine(config.database_url(self.container.service_name))
        self.factory = session_factory(self.engine)

    def stop(self) -> None:
        self.engine.dispose()

    def get_dependency(self, worker_ctx):
        return self.factory

    def check(self) -> str:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return "ok"


class Telemetry(DependencyProvider):
    """Request id into every log line, one JSON line and metrics per entrypoint call.

    Starts the service's Prometheus endpoint (`<SERVICE>_METRICS_PORT`, 0 = off) once per process.
    """

    _servers: dict[int, object] = {}

    def setup(self) -> None:
        self.service = self.container.service_name
        port = config.metrics_port(self.service)
        if port and port not in Telemetry._servers:
            Telemetry._servers[port] = start_http_server(port, addr=config.env("METRICS_ADDR", "127.0.0.1"))
        self._started = weakref.WeakKeyDictionary()

    def worker_setup(self, worker_ctx) -> None:
        set_request_id(worker_ctx.data.get("request_id"))
        self._started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None) -> None:
        method = worker_ctx.entrypoint.method_name
        elapsed = time.perf_counter() - self._started.pop(worker_ctx, time.perf_counter())
        if exc_info is None:
            outcome = "ok"
        elif isinstance(exc_info[1], (DomainError, RpcProblem)):  # the caller's mistake, not ours
            outcome = "refused"
        else:
            outcome = "error"
            metrics.ERRORS.labels(self.service, method).inc()
        metrics.RPC_CALLS.labels(self.service, method, outcome).inc()
        metrics.RPC_LATENCY.labels(self.service, method).observe(elapsed)
        log.info("handled %s.%s", self.service, method,
                 extra={"service": self.service, "method": method, "outcome": outcome,
                        "duration_ms": round(elapsed * 1000, 2),
                        "request_id": worker_ctx.data.get("request_id")})

    def worker_teardown(self, worker_ctx) -> None:
        set_request_id(None)


class OutboxRelay(DependencyProvider):
    """Publishes the service's outbox to the public exchange in a background greenthread.

    Wakes when a worker of this process committed events (`notify()`), and polls every
    `OUTBOX_POLL_SECONDS` for rows written by other processes (CLI imports, other replicas).
    A failed publish leaves the rows pending and retries with backoff; nothing is dropped.
    """

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    def setup(self) -> None:
        self.service = self.container.service_name
        # Its own small pool: nameko rebinds dependencies per container, so it cannot share one.
        self.engine = make_engine(config.database_url(self.service), pool_size=1)
        self.factory = session_factory(self.engine)
        self.poll = config.env_float("OUTBOX_POLL_SECONDS", 1.0)
        self.publisher = ConfirmedPublisher(self.container.config["AMQP_URI"],
                                            heartbeat=int(self.container.config.get("HEARTBEAT", 15)))
        self._wake = eventlet.event.Event()
        self._running = False

    def start(self) -> None:
        self._running = True
        self._thread = self.container.spawn_managed_thread(self._run, identifier="outbox-relay")

    def stop(self) -> None:
        self._running = False
        self.notify()
        self._thread.kill()
        self.publisher.close()
        self.engine.dispose()

    def kill(self) -> None:
        self._running = False
        self.publisher.close()

    def notify(self) -> None:
        if not self._wake.ready():
            self._wake.send(True)

    def get_dependency(self, worker_ctx):
        return self

    def relay_once(self) -> int:
        factory = self.factory
        with factory() as session, session.begin():
            sent = self.outbox.relay_batch(session, self.publisher.publish)
        if sent:
            metrics.EVENTS_PUBLISHED.labels(self.service).inc(sent)
        with factory() as session:
            metrics.OUTBOX_PENDING.labels(self.service).set(self.outbox.pending_count(session))
        return sent

    def _run(self) -> None:
        backoff = 0.0
        while self._running:
            try:
                while self._running and self.relay_once():
                    eventlet.sleep(0)  # yield between batches: keeps AMQP heartbeats alive
                backoff = 0.0
            except Exception:
                backoff = min(max(backoff * 2, 0.5), 30.0)
                metrics.ERRORS.labels(self.service, "outbox-relay").inc()
                log.warning("outbox relay failed; retrying in %.1fs", backoff, exc_info=True)
            with eventlet.Timeout(backoff or self.poll, False):
                self._wake.wait()
            self._wake = eventlet.event.Event()


class ServiceBase:
    """What every service has: its database, telemetry, and `ping` (used by the gateway's /readyz)."""

    name: str
    db = Database()
    telemetry = Telemetry()

    @rpc
    def ping(self) -> dict:
        return {"service": self.name, "status": "ok", "database": self._db_state()}

    def _db_state(self) -> str:
        try:
            with self.db() as session:
                session.execute(text("SELECT 1"))
            return "ok"
        except Exception as exc:  # reported, not raised: ping says what is wrong
            return f"error: {type(exc).__name__}"
