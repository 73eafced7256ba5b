"""Appending what the public exchange carries to the replay log: the events service's own queue
`events.log` on the public vhost (declared by every publisher too, so nothing published before this
service first started is missed), taken in batches, committed, then acknowledged."""

from __future__ import annotations

import json
import logging
from typing import Any

from kombu import Connection

from ekinerja_kernel import config
from ekinerja_kernel.deadletter import Attempts, DeadLetters
from ekinerja_kernel.events import utcnow
from ekinerja_kernel.publicevents import PUBLIC_PREFIX, log_queue, public_exchange
from ekinerja_kernel.service import BackgroundLoop

from . import log, metrics

logger = logging.getLogger("ekinerja.events.intake")

BATCH = 200


class NotAPublicEvent(ValueError):
    """A message on the log queue that is no public event: parked, not appended."""


def read(message: Any) -> tuple[dict[str, Any], str]:
    """(event, body text) of a message, or NotAPublicEvent."""
    try:
        body = message.body.decode("utf-8") if isinstance(message.body, bytes) else str(message.body)
        event = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise NotAPublicEvent(f"not JSON text: {exc}") from None
    if not isinstance(event, dict) or not isinstance(event.get("id"), str) \
            or not str(event.get("type", "")).startswith(PUBLIC_PREFIX):
        raise NotAPublicEvent("not a public CloudEvents envelope")
    return event, body


class LogIntake(BackgroundLoop):
    identifier = "public-log-intake"
    poll_setting = ("EVENTS_LOG_POLL_SECONDS", 0.5)

    def setup(self) -> None:
        super().setup()
        self.amqp_uri = config.public_amqp_uri(self.container.config["AMQP_URI"])
        self.heartbeat = int(self.container.config.get("HEARTBEAT", 15))
        self.dead = DeadLetters(self.amqp_uri, self.service)
        self._conn: Connection | None = None
        self._queue: Any = None

    def close(self) -> None:
        conn, self._conn, self._queue = self._conn, None, None
        self.dead.close()
        if conn is not None:
            try:
                conn.release()
            except Exception:  # already broken: nothing to release
                logger.debug("closing a broken connection", exc_info=True)

    def _bound(self) -> Any:
        if self._queue is None:
            conn = Connection(self.amqp_uri, heartbeat=self.heartbeat, connect_timeout=5)
            conn.ensure_connection(max_retries=1)
            channel = conn.channel()
            public_exchange()(channel).declare()
            queue = log_queue()(channel)
            queue.declare()
            self._conn, self._queue = conn, queue
        return self._queue

    def work_once(self) -> int:
        try:
            queue = self._bound()
            messages: list[Any] = []
            while len(messages) < BATCH:
                message = queue.get(no_ack=False)
                if message is None:
                    break
                messages.append(message)
        except Exception:
            self.close()
            raise
        if not messages:
            return 0
        events, taken = [], []
        for message in messages:
            try:
                events.append(read(message))
                taken.append(message)
            except NotAPublicEvent as exc:
                self._park(message, exc)
        try:
            with self.factory() as session, session.begin():
                appended = log.append(session, events)
        except Exception:
            for message in taken:  # not appended: back to the queue, tried again after the pause
                message.requeue()
            raise
        for message in taken:
            message.ack()
        for _, event in appended:
            metrics.LOGGED.labels(event["type"]).inc()
        return len(messages)

    def _park(self, message: Any, exc: Exception) -> None:
        metrics.LOG_REFUSED.inc()
        attempts = Attempts(limit=1)
        attempts.failed(exc, healthy=True, now=utcnow())
        try:
            self.dead.park(log_queue().name, message, attempts)
        except Exception:
            logger.warning("could not park a message that is not a public event; it goes back", exc_info=True)
            message.requeue()
            return
        message.ack()
