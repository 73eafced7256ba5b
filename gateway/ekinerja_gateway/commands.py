"""Commands the gateway hands to a service's durable queue instead of calling it: the peak-safe
write path. One confirmed publisher per thread (so per gunicorn worker), made after fork."""

from __future__ import annotations

import threading
import time
from typing import Any

from kombu import Queue

from ekinerja_kernel.bus import ConfirmedPublisher, commands_exchange
from ekinerja_kernel.events import make_event

from . import metrics
from .rpc import ServiceUnavailable


class CommandSender:
    def __init__(self, amqp_uri: str, queues: tuple[Queue, ...]) -> None:
        self.amqp_uri, self.queues = amqp_uri, queues
        self._local = threading.local()

    def _publisher(self) -> ConfirmedPublisher:
        publisher = getattr(self._local, "publisher", None)
        if publisher is None:
            publisher = ConfirmedPublisher(self.amqp_uri, exchange=commands_exchange(), queues=self.queues)
            self._local.publisher = publisher
        return publisher

    def send(self, name: str, subject: str, data: dict[str, Any], request_id: str | None) -> dict[str, Any]:
        """Returns once the broker has confirmed the command is stored; raises ServiceUnavailable
        (a 503 with Retry-After: nothing was accepted) otherwise. One retry on a fresh connection."""
        envelope = make_event("gateway", name, subject, data, request_id=request_id)
        started = time.perf_counter()
        for attempt in range(2):
            try:
                self._publisher().publish(envelope)
                metrics.RPC_CALLS.labels("broker", name, "ok").inc()
                return envelope
            except Exception as exc:  # not confirmed (broker down, nack): the publisher reconnects next time
                if attempt:
                    metrics.RPC_CALLS.labels("broker", name, "unavailable").inc()
                    raise ServiceUnavailable("broker", f"cannot store the command: {exc}") from None
            finally:
                metrics.RPC_LATENCY.labels("broker", name).observe(time.perf_counter() - started)
        raise AssertionError("unreachable")
