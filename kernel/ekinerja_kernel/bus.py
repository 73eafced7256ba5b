"""Publishing with kombu and publisher confirms: events to the public exchange, and commands that
the gateway hands to a service's durable queue (the peak-safe write path)."""

from __future__ import annotations

import logging
from typing import Any

from kombu import Connection, Exchange, Producer, Queue

from .config import events_exchange
from .events import event_type

log = logging.getLogger(__name__)


def public_exchange(name: str | None = None) -> Exchange:
    return Exchange(name or events_exchange(), type="topic", durable=True)


def commands_exchange() -> Exchange:
    return Exchange("ekinerja.commands", type="direct", durable=True)


def event_queue_name(service: str) -> str:
    """The durable queue a service takes its events from (service.event_queue declares it)."""
    return f"{service}.events"


def command_queue(name: str, command_type: str) -> Queue:
    """A service's durable queue for one kind of command, e.g. ("harian.submissions",
    "ekinerja.harian.submit.v1"). Both sides declare it, so an accepted command waits in the broker
    even when the service is down or has never started."""
    return Queue(name, exchange=commands_exchange(), routing_key=command_type, durable=True)


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
                 queues: tuple[Queue, ...] = ()) -> None:
        self.amqp_uri = amqp_uri
        self.exchange = exchange or public_exchange()
        self.heartbeat = heartbeat
        self.queues = queues  # declared with the exchange: nothing published is unroutable
        self._conn: Connection | None = None
        self._producer: Producer | None = None
        self._declared: set[str] = set()

    def _ensure(self) -> Producer:
        if self._producer is None:
            conn = Connection(self.amqp_uri, transport_options={"confirm_publish": True},
                              heartbeat=self.heartbeat, connect_timeout=5)
            conn.ensure_connection(max_retries=1)
            channel = conn.channel()
            self.exchange(channel).declare()
            for queue in self.queues:
                queue(channel).declare()
            self._conn, self._producer = conn, Producer(channel, exchange=self.exchange)
        return self._producer

    def publish(self, envelope: dict[str, Any]) -> None:
        self.send(envelope, envelope["type"], message_id=envelope["id"])

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
