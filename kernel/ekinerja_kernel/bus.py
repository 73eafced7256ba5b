"""Publishing with kombu and publisher confirms: events to the internal exchange, and commands that
the gateway hands to a service's durable queue (the peak-safe write path). The public copies of
events for other systems go to another vhost (publicevents)."""

from __future__ import annotations

import logging
from typing import Any

from kombu import Connection, Exchange, Producer, Queue

from .config import env, events_exchange
from .events import event_type

log = logging.getLogger(__name__)

QUEUE_TYPES = ("classic", "quorum")


def queue_type() -> str:
    """EKINERJA_QUEUE_TYPE, the type of every durable queue the system declares (its commands, each
    service's events and RPC calls, the dead letters): `classic` (the default, one broker node as in
    make up) or `quorum` (production's RabbitMQ cluster: each queue replicated on a majority of the
    nodes, so it outlives a node). A broker refuses to redeclare a queue as another type: switching an
    existing install means moving its queues (docs/runbooks/dead-letters.md, the quorum-queue part)."""
    value = env("EKINERJA_QUEUE_TYPE", "classic").strip().lower()
    if value not in QUEUE_TYPES:
        raise ValueError(f"EKINERJA_QUEUE_TYPE={value!r}: use classic or quorum")
    return value


def queue_type_arguments() -> dict[str, str]:
    """What a durable queue is declared with for its type (classic: nothing, as before there was a choice)."""
    return {"x-queue-type": "quorum"} if queue_type() == "quorum" else {}


class DurableQueue(Queue):
    """A durable queue of the system, of the type EKINERJA_QUEUE_TYPE says when it is declared (read then,
    not when the module defining it was imported)."""

    @property
    def queue_arguments(self) -> dict[str, Any]:
        return {**self._own_arguments, **queue_type_arguments()}

    @queue_arguments.setter
    def queue_arguments(self, value: dict[str, Any] | None) -> None:
        self._own_arguments = {k: v for k, v in (value or {}).items() if k != "x-queue-type"}


# What the internal exchange was called before it was renamed (it was also where outside systems
# were told to subscribe). Still declared and routed into the internal one, so a process of an older
# release publishing there during a rolling upgrade reaches today's queues.
LEGACY_EVENTS_EXCHANGE = "ekinerja.events"


def internal_exchange(name: str | None = None) -> Exchange:
    return Exchange(name or events_exchange(), type="topic", durable=True)


def declare_legacy_route(channel: Any, exchange: Exchange) -> None:
    """Declare `ekinerja.events` and bind the internal exchange to it for every routing key (an
    exchange-to-exchange binding: a queue bound to both still gets one copy)."""
    if exchange.name != events_exchange() or exchange.name == LEGACY_EVENTS_EXCHANGE:
        return
    legacy = Exchange(LEGACY_EVENTS_EXCHANGE, type="topic", durable=True)(channel)
    legacy.declare()
    exchange(channel).bind_to(legacy, routing_key="#")


def connect(conn: Connection) -> Connection:
    """Open `conn`, trying each broker address once (AMQP_URI may list a cluster's nodes, separated by
    `;`), with no pause: kombu's own retry sleeps 2 s before trying again, so a broker that is away
    would hold the caller that long. A caller that wants to retry does so with its own backoff."""
    conn.ensure_connection(max_retries=max(len(conn.alt), 1) - 1, interval_start=0, interval_step=0, interval_max=0)
    return conn


def commands_exchange() -> Exchange:
    return Exchange("ekinerja.commands", type="direct", durable=True)


def event_queue_name(service: str) -> str:
    """The durable queue a service takes its events from (service.event_queue declares it)."""
    return f"{service}.events"


def command_queue(name: str, command_type: str) -> Queue:
    """A service's durable queue for one kind of command, e.g. ("harian.submissions",
    "ekinerja.harian.submit.v1"). Both sides declare it, so an accepted command waits in the broker
    even when the service is down or has never started."""
    return DurableQueue(name, exchange=commands_exchange(), routing_key=command_type, durable=True)


# The one command contract between the gateway and a service: a daily-progress submission that the
# gateway acknowledged (202) and harian stores later. Its data: {id, nip, date, activities|null,
# accepted_at}.
HARIAN_SUBMIT = "harian.submit"
HARIAN_SUBMISSIONS = command_queue("harian.submissions", event_type(HARIAN_SUBMIT))


class ConfirmedPublisher:
    """Publishes CloudEvents envelopes; returns only once the broker has confirmed each one.

    The connection is opened lazily and re-opened after any failure, so a broker restart costs
    one failed batch (retried by the caller), not a dead publisher.
    """

    def __init__(self, amqp_uri: str, exchange: Exchange | None = None, heartbeat: int = 15,
                 queues: tuple[Queue, ...] = (), connect_timeout: float = 5.0) -> None:
        self.amqp_uri = amqp_uri
        self.exchange = exchange or internal_exchange()
        self.heartbeat = heartbeat
        self.connect_timeout = connect_timeout
        self.queues = queues  # declared with the exchange: nothing published is unroutable
        self._conn: Connection | None = None
        self._producer: Producer | None = None
        self._declared: set[str] = set()

    def _ensure(self) -> Producer:
        if self._producer is None:
            conn = connect(Connection(self.amqp_uri, transport_options={"confirm_publish": True},
                                      heartbeat=self.heartbeat, connect_timeout=self.connect_timeout))
            try:
                channel = conn.channel()
                self.exchange(channel).declare()
                declare_legacy_route(channel, self.exchange)
                for queue in self.queues:
                    queue(channel).declare()
            except Exception:
                conn.release()
                raise
            self._conn, self._producer = conn, Producer(channel, exchange=self.exchange)
        return self._producer

    def publish(self, envelope: dict[str, Any]) -> None:
        self.send(envelope, envelope["type"], message_id=envelope["id"])

    def check(self) -> None:
        """Raise unless the broker answers on this publisher's connection now (one round trip: the
        exchange declared again, passively); a broken connection is closed, the next use reopens it."""
        try:
            producer = self._ensure()
            producer.channel.exchange_declare(exchange=self.exchange.name, type=self.exchange.type, passive=True)
        except Exception:
            self.close()
            raise

    def send(self, body: Any, routing_key: str, *, headers: dict[str, Any] | None = None,
             content_type: str | None = None, content_encoding: str | None = None, declare: Queue | None = None,
             **properties: Any) -> None:
        """Publish `body` (serialised as JSON, or bytes as they are when `content_type` is given), once
        `declare` (a queue bound to this exchange) exists; returns once the broker confirmed it."""
        try:
            producer = self._ensure()
            if declare is not None and declare.name not in self._declared:
                declare(producer.channel).declare()
                self._declared.add(declare.name)
            producer.publish(body, routing_key=routing_key, serializer="json", headers=headers,
                             content_type=content_type, content_encoding=content_encoding,
                             delivery_mode=2, retry=False, **properties)
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        self._declared = set()
        conn, self._conn, self._producer = self._conn, None, None
        if conn is not None:
            try:
                conn.release()
            except Exception:  # the connection is already broken; nothing to release
                log.debug("closing a broken publisher connection", exc_info=True)
