"""Commands the gateway hands to a service's durable queue instead of calling it: the peak-safe
write path. One confirmed publisher per thread (so per gunicorn worker), made after fork; while the
broker is away the worker's circuit breaker answers at once (a 503) instead of trying each time."""

from __future__ import annotations

import threading
import time
from typing import Any

import orjson
from kombu import Queue

from ekinerja_kernel.bus import ConfirmedPublisher, commands_exchange
from ekinerja_kernel.events import make_event

from . import metrics
from .breaker import BrokerBreaker
from .rpc import ServiceUnavailable


class CommandSender:
    def __init__(self, amqp_uri: str, queues: tuple[Queue, ...], breaker: BrokerBreaker | None = None,
                 connect_timeout: float = 1.0) -> None:
        self.amqp_uri, self.queues = amqp_uri, queues
        self.breaker = breaker or BrokerBreaker()
        self.connect_timeout = connect_timeout
        self._local = threading.local()

    def _publisher(self) -> ConfirmedPublisher:
        publisher = getattr(self._local, "publisher", None)
        if publisher is None:
            # No AMQP heartbeat: a gunicorn thread services none between requests, so the broker would
            # close an idle connection; a dead one shows at the next send, which reconnects once.
            publisher = ConfirmedPublisher(self.amqp_uri, exchange=commands_exchange(), queues=self.queues,
                                           connect_timeout=self.connect_timeout, heartbeat=0)
            self._local.publisher = publisher
        return publisher

    def _unavailable(self, what: str) -> ServiceUnavailable:
        return ServiceUnavailable("broker", f"{what} ({self.breaker.reason or 'connection failed'})")

    def send(self, name: str, subject: str, data: dict[str, Any], request_id: str | None) -> dict[str, Any]:
        """Returns once the broker has confirmed the command is stored; raises ServiceUnavailable
        (a 503 with Retry-After: nothing was accepted) otherwise. One retry on a fresh connection."""
        envelope = make_event("gateway", name, subject, data, request_id=request_id)
        body = orjson.dumps(envelope)  # the JSON text kombu would write, written faster
        started = time.perf_counter()
        try:
            if not self.breaker.allow():
                metrics.RPC_CALLS.labels("broker", name, "unavailable").inc()
                raise self._unavailable("the broker is unreachable; not tried again for a moment")
            for attempt in range(2):
                try:
                    self._publisher().send(body, envelope["type"], content_type="application/json",
                                           content_encoding="utf-8", message_id=envelope["id"])
                except Exception as exc:  # not confirmed (broker down, nack): the publisher reconnects next time
                    if attempt:
                        self.breaker.failed(f"{type(exc).__name__}: {exc}")
                        metrics.RPC_CALLS.labels("broker", name, "unavailable").inc()
                        raise self._unavailable("cannot store the command") from None
                else:
                    self.breaker.succeeded()
                    metrics.RPC_CALLS.labels("broker", name, "ok").inc()
                    return envelope
        finally:
            metrics.RPC_LATENCY.labels("broker", name).observe(time.perf_counter() - started)
        raise AssertionError("unreachable")

    def check(self) -> None:
        """Raise ServiceUnavailable unless this worker's publisher reaches the broker now (readiness)."""
        if not self.breaker.allow():
            raise self._unavailable("the broker is unreachable")
        for attempt in range(2):  # a connection gone stale while idle is not a broker away: once more, fresh
            try:
                self._publisher().check()
            except Exception as exc:
                if attempt:
                    self.breaker.failed(f"{type(exc).__name__}: {exc}")
                    raise self._unavailable("the broker does not answer") from None
            else:
                break
        self.breaker.succeeded()
