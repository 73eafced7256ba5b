"""nameko building blocks every service uses: its database, telemetry, and outbox relay."""

from __future__ import annotations

import logging
import time
import weakref

import eventlet
from kombu import Queue, binding
from nameko.extensions import DependencyProvider
from prometheus_client import start_http_server
from sqlalchemy import text

from . import config, metrics
from .bus import ConfirmedPublisher, public_exchange
from .caller import RequestContext
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


class BackgroundLoop(DependencyProvider):
    """A greenthread that repeats `work_once()` while the service runs.

    It wakes when a worker of this process asks (`notify()`), or every `poll` seconds for work
    written by other processes. A failure is logged and retried with a growing pause; the work
    itself stays in the database, so nothing is dropped.
    """

    identifier = "background-loop"
    poll_setting = ("BACKGROUND_POLL_SECONDS", 1.0)

    def setup(self) -> None:
        self.service = self.container.service_name
        # Its own small pool: nameko rebinds dependencies per container, so it cannot share one.
        self.engine = make_engine(config.database_url(self.service), pool_size=1)
        self.factory = session_factory(self.engine)
        self.poll = config.env_float(*self.poll_setting)
        self._wake = eventlet.event.Event()
        self._running = False

    def start(self) -> None:
        self._running = True
        self._thread = self.container.spawn_managed_thread(self._run, identifier=self.identifier)

    def stop(self) -> None:
        self._running = False
        self.notify()
        self._thread.kill()
        self.close()
        self.engine.dispose()

    def kill(self) -> None:
        self._running = False
        self.close()

    def close(self) -> None:
        """Release what `work_once` holds open (connections to other servers)."""

    def notify(self) -> None:
        if not self._wake.ready():
            self._wake.send(True)

    def get_dependency(self, worker_ctx):
        return self

    def work_once(self) -> int:
        """Do one batch; return how many items were done (0 = nothing left)."""
        raise NotImplementedError

    def _run(self) -> None:
        backoff = 0.0
        while self._running:
            try:
                while self._running and self.work_once():
                    eventlet.sleep(0)  # yield between batches: keeps AMQP heartbeats alive
                backoff = 0.0
            except Exception:
                backoff = min(max(backoff * 2, 0.5), 30.0)
                metrics.ERRORS.labels(self.service, self.identifier).inc()
                log.warning("%s failed; retrying in %.1fs", self.identifier, backoff, exc_info=True)
            with eventlet.Timeout(backoff or self.poll, False):
                self._wake.wait()
            self._wake = eventlet.event.Event()


class OutboxRelay(BackgroundLoop):
    """Publishes the service's outbox to the public exchange with publisher confirms."""

    identifier = "outbox-relay"
    poll_setting = ("OUTBOX_POLL_SECONDS", 1.0)

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    def setup(self) -> None:
        super().setup()
        self.publisher = ConfirmedPublisher(self.container.config["AMQP_URI"],
                                            heartbeat=int(self.container.config.get("HEARTBEAT", 15)))

    def close(self) -> None:
        self.publisher.close()

    def work_once(self) -> int:
        with self.factory() as session, session.begin():
            sent = self.outbox.relay_batch(session, self.publisher.publish)
        if sent:
            metrics.EVENTS_PUBLISHED.labels(self.service).inc(sent)
        with self.factory() as session:
            metrics.OUTBOX_PENDING.labels(self.service).set(self.outbox.pending_count(session))
        return sent


class RequestInfo(DependencyProvider):
    """The request a worker serves: the caller (verified by the gateway, or None), client, request id."""

    def get_dependency(self, worker_ctx) -> RequestContext:
        return RequestContext.from_context(worker_ctx.data)


def event_queue(service: str, *patterns: str) -> Queue:
    """A durable queue of `service` bound to the public exchange: declared when the service starts,
    so events published while it is down wait for it instead of being dropped."""
    exchange = public_exchange()
    return Queue(f"{service}.events", exchange=exchange, durable=True,
                 bindings=[binding(exchange, routing_key=p) for p in patterns])


def record_event(service: str, envelope: dict, handle) -> None:
    """Run an event handler; a failure is logged and counted, never re-raised into nameko
    (which would drop the message silently) — the envelope is in the log for replay."""
    kind = envelope.get("type", "?") if isinstance(envelope, dict) else "?"
    try:
        handle(envelope)
        metrics.EVENTS_HANDLED.labels(service, kind, "ok").inc()
    except Exception:
        metrics.EVENTS_HANDLED.labels(service, kind, "error").inc()
        metrics.ERRORS.labels(service, "event:" + kind).inc()
        log.exception("event handler failed", extra={"service": service, "event": envelope})


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
