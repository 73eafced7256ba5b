"""nameko building blocks every service uses: its database, telemetry, outbox relay, its health
check, and the entrypoint of its event handlers (which parks an event that fails every try, see
deadletter)."""

from __future__ import annotations

import logging
import os
import socket
import time
import weakref
from functools import partial
from typing import Any

import eventlet
from kombu import Queue, binding
from nameko.exceptions import ContainerBeingKilled
from nameko.extensions import DependencyProvider
from nameko.messaging import Consumer, QueueConsumer
from nameko.rpc import Responder, get_rpc_exchange
from prometheus_client import start_http_server
from sqlalchemy import Engine, text

from . import config, metrics
from .bus import ConfirmedPublisher, DurableQueue, event_queue_name, internal_exchange
from .caller import RequestContext
from .db import make_engine, probe_engine, session_factory
from .deadletter import Attempts, DeadLetters, Step, max_tries, retry_pause
from .errors import DomainError
from .logs import set_request_id
from .outbox import Outbox
from .publicevents import PublicRelay
from .rpc import RpcProblem, health_service, rpc

log = logging.getLogger("ekinerja.service")

PROBE_SECONDS = 5.0


def database_answers(engine: Engine) -> bool:
    """Whether the database answers `SELECT 1` within PROBE_SECONDS: a consumer's failure while it
    does not is an outage, not the message's fault."""
    try:
        with eventlet.Timeout(PROBE_SECONDS), engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except (Exception, eventlet.Timeout):
        return False


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

    def answers(self) -> bool:
        return database_answers(self.engine)


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
        self._started: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()

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

    def healthy(self) -> bool:
        """Whether this loop's database answers (a failure meanwhile is an outage)."""
        return database_answers(self.engine)

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
    """Publishes the service's outbox to the internal exchange, and the public copies of its events
    (publicevents) to the public one, with publisher confirms."""

    identifier = "outbox-relay"
    poll_setting = ("OUTBOX_POLL_SECONDS", 1.0)

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    def setup(self) -> None:
        super().setup()
        self.publisher = ConfirmedPublisher(self.container.config["AMQP_URI"],
                                            heartbeat=int(self.container.config.get("HEARTBEAT", 15)))
        self.public = PublicRelay(self.container.config["AMQP_URI"], self.service,
                                  heartbeat=int(self.container.config.get("HEARTBEAT", 15)))

    def close(self) -> None:
        self.publisher.close()
        self.public.close()

    def work_once(self) -> int:
        with self.factory() as session, session.begin():
            sent = self.outbox.relay_batch(session, self.publisher.publish, publish_public=self.public.publish)
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
    """A durable queue of `service` bound to the internal exchange: declared when the service starts,
    so events published while it is down wait for it instead of being dropped."""
    exchange = internal_exchange()
    return DurableQueue(event_queue_name(service), exchange=exchange, durable=True,
                 bindings=[binding(exchange, routing_key=p) for p in patterns])


class EventHandler(Consumer):
    """`@handle_event(queue)`: the method handles each event of the queue and raises when it cannot.

    A failed event is tried again after a growing pause, up to DEAD_LETTER_TRIES tries, then parked
    with its error in `<queue>.dead`; it is acked only once the broker confirmed the parked copy, and
    the queue goes on meanwhile (other events are handled while one waits for its next try). While
    the service's database does not answer, a failure is an outage: it waits and tries again without
    counting. Handlers stay idempotent (inbox): a message can still arrive twice.
    """

    def setup(self) -> None:
        super().setup()
        self.service = self.container.service_name
        self.limit, self.pause = max_tries(), retry_pause()
        self.dead_letters = DeadLetters(self.container.config["AMQP_URI"], self.service)
        self.database = next((d for d in self.container.dependencies if isinstance(d, Database)), None)

    def stop(self) -> None:
        super().stop()
        self.dead_letters.close()

    def kill(self) -> None:
        super().kill()
        self.dead_letters.close()

    def handle_message(self, body: Any, message: Any) -> None:
        self._spawn(body, message, Attempts.of(message.headers, self.limit))

    def _spawn(self, body: Any, message: Any, attempts: Attempts) -> None:
        try:
            self.container.spawn_worker(self, (body,), {}, context_data=self.unpack_message_headers(message),
                                        handle_result=partial(self._handled, body, message, attempts))
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(message)

    def _handled(self, body: Any, message: Any, attempts: Attempts, worker_ctx: Any, result: Any = None,
                 exc_info: Any = None) -> tuple[Any, Any]:
        kind = body.get("type", "?") if isinstance(body, dict) else "?"
        if exc_info is None:
            metrics.EVENTS_HANDLED.labels(self.service, kind, "ok").inc()
            self.queue_consumer.ack_message(message)
            return result, exc_info
        metrics.EVENTS_HANDLED.labels(self.service, kind, "error").inc()
        metrics.ERRORS.labels(self.service, "event:" + kind).inc()
        step = attempts.failed(exc_info[1], healthy=self.database is None or self.database.answers())
        if step is Step.PARK:
            try:
                self.dead_letters.park(self.queue.name, message, attempts)
            except Exception:  # not parked: back to the queue, to be tried again from the start
                log.warning("could not park a failed event; it goes back to %s", self.queue.name, exc_info=True)
                self.queue_consumer.requeue_message(message)
            else:
                self.queue_consumer.ack_message(message)
        else:
            log.warning("event handler failed (%s of %d tries); trying again", attempts.tries, attempts.limit,
                        extra={"service": self.service, "event_id": body.get("id") if isinstance(body, dict) else None,
                               "step": str(step)})
            self.container.spawn_managed_thread(
                partial(self._again, body, message, attempts, attempts.pause(step, self.pause)),
                identifier=f"{self.service}.event-retry")
        return result, exc_info

    def _again(self, body: Any, message: Any, attempts: Attempts, pause: float) -> None:
        # A managed thread that raises kills the container: nothing may escape from here. Unacked,
        # the message is redelivered by the broker if this never runs (service stopped meanwhile).
        try:
            eventlet.sleep(pause)
            self._spawn(body, message, attempts)
        except Exception:
            log.warning("could not try an event again; the broker redelivers it", exc_info=True)


handle_event = EventHandler.decorator


HEALTH_PROBE_SECONDS = 0.8  # a database that takes longer to answer `SELECT 1` is "slow" (the gateway waits 1 s)
HEALTH_MESSAGE_TTL_MS = 5000  # a health question nobody took within this is dropped, not answered late


def database_state(engine: Engine, seconds: float = HEALTH_PROBE_SECONDS) -> str:
    """`ok`, `slow` (no answer within `seconds`) or `error: <type>`: reported, never raised."""
    try:
        with eventlet.Timeout(seconds), engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return "ok"
    except eventlet.Timeout:
        return "slow"
    except Exception as exc:
        return f"error: {type(exc).__name__}"


class HealthCheck(DependencyProvider):
    """`<service>-health.ping`, what the gateway's /readyz?deep=1 asks: answered by the service's queue
    consumer itself, off the worker pool and off the RPC queue, with the database probed on a connection
    of its own. So a service busy storing (its RPC queue long, every worker taken, its SQLite connection
    held by a batch) still says within the probe timeout that it runs and whether its database answers.
    The queue is transient (auto-delete, short TTL): with no copy running, the call is unroutable and the
    gateway reports the service down at once."""

    queue_consumer = QueueConsumer()

    def setup(self) -> None:
        self.service = self.container.service_name
        self.engine = probe_engine(config.database_url(self.service))
        self.host = f"{socket.gethostname()}:{os.getpid()}"
        name = health_service(self.service)
        self.queue = Queue(f"rpc-{name}", exchange=get_rpc_exchange(self.container.config), routing_key=f"{name}.ping",
                           durable=False, auto_delete=True, queue_arguments={"x-message-ttl": HEALTH_MESSAGE_TTL_MS})
        self.queue_consumer.register_provider(self)

    def stop(self) -> None:
        self.queue_consumer.unregister_provider(self)
        self.engine.dispose()

    def state(self) -> dict[str, Any]:
        return {"service": self.service, "status": "ok", "database": database_state(self.engine), "host": self.host}

    def handle_message(self, body: Any, message: Any) -> None:
        config_ = self.container.config
        try:
            Responder(config_["AMQP_URI"], get_rpc_exchange(config_), config_.get("serializer", "json"), message,
                      ssl=config_.get("AMQP_SSL"), login_method=config_.get("LOGIN_METHOD")
                      ).send_response(self.state(), None)
        except Exception:  # the asker times out and says so; the queue goes on
            log.warning("could not answer a health check", exc_info=True)
        self.queue_consumer.ack_message(message)


class ServiceBase:
    """What every service has: its database, telemetry, its health check (`<service>-health.ping`, what
    the gateway's /readyz?deep=1 asks) and `ping` through its RPC queue (which waits its turn there)."""

    name: str
    db = Database()
    telemetry = Telemetry()
    health = HealthCheck()

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
