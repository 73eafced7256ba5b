"""Dead letters: no message may halt a queue, and none may vanish.

A consumer that cannot process a message tries it again, with a growing pause, up to
`DEAD_LETTER_TRIES` times (default 5). Then it parks the message in the queue's dead-letter queue
`<queue>.dead` (direct exchange `ekinerja.dead`, routing key = the queue's name) with the error as
headers (`ekinerja-dead-*`: queue, exception type and message, tries, first and last failure), and
acks the original only once the broker has confirmed the parked copy. An operator inspects and
replays them with `python -m ekinerja_kernel dead-letters list|show|replay`.

A failure while the service's database does not answer is an outage, not the message's fault: it is
waited out and never counted, so a database restart parks nothing.

On a quorum queue the broker counts deliveries (`x-delivery-count`); those count as tries here, and
the broker's own dead-lettering (a `delivery-limit` policy, for a message that kills its consumer)
routes into the same `<queue>.dead` when the queue's policy names `ekinerja.dead` with the queue's
name as routing key (docs/runbooks/dead-letters.md).

The decision (`Attempts`, `settle_batch`) is plain logic; `DeadLetters` parks through the broker.
The nameko entrypoint for event handlers is `service.EventHandler`; harian's batch intake uses
`settle_batch` and `DeadLetters` directly.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from types import ModuleType
from typing import Any, TypeVar

from amqp.exceptions import NotFound
from kombu import Connection, Exchange, Producer, Queue

from . import config, metrics
from .bus import HARIAN_SUBMISSIONS, ConfirmedPublisher, DurableQueue

log = logging.getLogger(__name__)

DEAD_LETTER_EXCHANGE = "ekinerja.dead"
HEADER = "ekinerja-dead-"  # what parking adds; a replay takes it off again
REPLAYS = "ekinerja-replays"
MAX_ERROR_CHARS = 1000
MAX_PAUSE = 30.0
# Broker-set headers of an earlier life of the message: a replayed copy starts afresh.
BROKER_HEADERS = ("x-death", "x-first-death-queue", "x-first-death-reason", "x-first-death-exchange",
                  "x-last-death-queue", "x-last-death-reason", "x-last-death-exchange", "x-delivery-count")

T = TypeVar("T")


def dead_letter_exchange() -> Exchange:
    return Exchange(DEAD_LETTER_EXCHANGE, type="direct", durable=True)


def source_queue(name: str) -> str:
    """`harian.events` for `harian.events` or `harian.events.dead`."""
    return name[: -len(".dead")] if name.endswith(".dead") else name


def dead_queue(queue: str) -> Queue:
    """The dead-letter queue of `queue`: durable, fed by `ekinerja.dead` with the queue's name."""
    queue = source_queue(queue)
    return DurableQueue(f"{queue}.dead", exchange=dead_letter_exchange(), routing_key=queue, durable=True)


def service_class(service: str, load: Callable[[str], ModuleType] = importlib.import_module) -> type:
    """The nameko class of `service`: the class named so in its module `<service>.service`, the one
    deploy/Procfile runs. LookupError when that is not installed here or has no such class."""
    try:
        module = load(f"{service}.service")
    except ModuleNotFoundError as exc:
        raise LookupError(f"service {service} is not installed here (no module {exc.name}): "
                          "name its queues instead") from None
    for _, cls in inspect.getmembers(module, inspect.isclass):
        if getattr(cls, "name", None) == service and cls.__module__ == module.__name__:
            return cls
    raise LookupError(f"{module.__name__} has no nameko service named {service}")


def handler_queues(cls: type) -> list[str]:
    """The queues of a service class's event handlers (`@handle_event`), each once."""
    from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

    from .service import EventHandler  # the entrypoint parks through this module: imported late

    found: list[str] = []
    for _, member in inspect.getmembers(cls, callable):
        for entrypoint in getattr(member, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if isinstance(entrypoint, EventHandler) and entrypoint.queue.name not in found:
                found.append(entrypoint.queue.name)
    return found


def consuming_queues(services: Sequence[str] | None = None,
                     load: Callable[[str], ModuleType] = importlib.import_module) -> list[str]:
    """Every queue on AMQP_URI's vhost that the services consume with dead-lettering: those of each
    service's declared event handlers, read from its class (a service without any, like events, whose
    log queue is on the public vhost, names none), and harian's submissions."""
    services = config.SERVICES if services is None else services
    queues = [queue for service in services for queue in handler_queues(service_class(service, load))]
    if "harian" in services:
        queues.append(HARIAN_SUBMISSIONS.name)
    return queues


def max_tries() -> int:
    """Tries before a message is parked (`DEAD_LETTER_TRIES`, at least 1)."""
    return max(1, config.env_int("DEAD_LETTER_TRIES", 5))


def retry_pause() -> float:
    """Pause after a message's first failure (`DEAD_LETTER_RETRY_SECONDS`); it doubles each try."""
    return max(0.0, config.env_float("DEAD_LETTER_RETRY_SECONDS", 0.2))


def describe(exc: BaseException) -> tuple[str, str]:
    """(exception type, message) made fit for an AMQP header: UTF-8 encodable and short."""
    message = str(exc).encode("utf-8", "backslashreplace").decode("utf-8")
    if len(message) > MAX_ERROR_CHARS:
        message = message[: MAX_ERROR_CHARS - 1] + "…"
    return type(exc).__name__, message


class Step(StrEnum):
    RETRY = "retry"  # try the message again after a pause
    PARK = "park"  # every try failed: into the dead-letter queue, then ack
    WAIT = "wait"  # an outage: wait, then try again without counting


@dataclass
class Attempts:
    """How one message has fared so far."""

    limit: int
    tries: int = 0
    waits: int = 0
    first_failed_at: dt.datetime | None = None
    last_failed_at: dt.datetime | None = None
    error_type: str = ""
    error: str = ""

    @classmethod
    def of(cls, headers: Mapping[str, Any] | None, limit: int | None = None) -> Attempts:
        """For a delivery: the deliveries the broker counted before (quorum queues) are tries."""
        return cls(limit=max(1, limit if limit is not None else max_tries()), tries=delivered_before(headers))

    @property
    def exhausted(self) -> bool:
        return self.tries >= self.limit

    def failed(self, exc: BaseException, healthy: bool, now: dt.datetime | None = None) -> Step:
        """Record a failed try; `healthy` says whether the service's own dependencies answer."""
        if not healthy:
            self.waits += 1
            return Step.WAIT
        now = now or dt.datetime.now(dt.UTC)
        self.tries += 1
        self.first_failed_at = self.first_failed_at or now
        self.last_failed_at = now
        self.error_type, self.error = describe(exc)
        return Step.PARK if self.exhausted else Step.RETRY

    def pause(self, step: Step, base: float) -> float:
        """Seconds before the next try: doubling from `base` per try, or per wait in an outage."""
        if step is Step.WAIT:
            return min(MAX_PAUSE, max(base, 0.5) * 2 ** max(self.waits - 1, 0))
        return min(MAX_PAUSE, base * 2 ** max(self.tries - 1, 0))

    def headers(self, queue: str, service: str, delivery_info: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """What the parked copy carries besides the original headers."""
        info = delivery_info or {}
        return {
            HEADER + "queue": queue,
            HEADER + "service": service,
            HEADER + "exchange": str(info.get("exchange") or ""),
            HEADER + "routing-key": str(info.get("routing_key") or ""),
            HEADER + "error-type": self.error_type,
            HEADER + "error": self.error,
            HEADER + "tries": self.tries,
            HEADER + "first-failure": self.first_failed_at.isoformat() if self.first_failed_at else "",
            HEADER + "last-failure": self.last_failed_at.isoformat() if self.last_failed_at else "",
        }


def delivered_before(headers: Mapping[str, Any] | None) -> int:
    """`x-delivery-count` of a quorum queue (absent on a first delivery and on classic queues)."""
    try:
        return max(0, int((headers or {}).get("x-delivery-count") or 0))
    except (TypeError, ValueError):
        return 0


def replay_headers(headers: Mapping[str, Any] | None) -> dict[str, Any]:
    """A replayed copy's headers: the original ones, and how many times it was replayed."""
    kept = {k: v for k, v in (headers or {}).items()
            if not k.startswith(HEADER) and k not in BROKER_HEADERS and k != REPLAYS}
    kept[REPLAYS] = int((headers or {}).get(REPLAYS) or 0) + 1
    return kept


def replay_target(dead_queue_name: str, headers: Mapping[str, Any] | None) -> str:
    """The queue a parked message goes back to: where it was parked from."""
    headers = headers or {}
    return str(headers.get(HEADER + "queue") or headers.get("x-first-death-queue") or source_queue(dead_queue_name))


def _probe(healthy: Callable[[], bool]) -> bool:
    try:
        return bool(healthy())
    except Exception:  # a probe that cannot even ask is an outage too
        return False


def settle_batch(items: Sequence[T], process: Callable[[Sequence[T]], Any], attempts: Callable[[T], Attempts],
                 healthy: Callable[[], bool], *, sleep: Callable[[float], Any] = time.sleep,
                 pause: float | None = None) -> list[tuple[T, Attempts]]:
    """Process `items` in one go (`process` is one transaction); when that fails, halve the batch until
    the failing items stand alone, so every good item is processed at once, then try each failing
    item alone until it succeeds or has failed every try (one pause per round, shared by all).

    Returns the items that failed every try, with their attempts: the caller parks them. Re-raises
    the failure when `healthy()` says the failure is an outage: then nothing is parked, and what was
    processed stays processed (the caller's redelivery must be idempotent)."""
    base = retry_pause() if pause is None else pause
    failing: list[tuple[T, Attempts]] = []

    def run(chunk: Sequence[T]) -> None:
        try:
            process(chunk)
            return
        except Exception as exc:
            if not _probe(healthy):
                raise
            if len(chunk) == 1:
                record = attempts(chunk[0])
                record.failed(exc, healthy=True)
                failing.append((chunk[0], record))
                return
        middle = len(chunk) // 2
        run(chunk[:middle])
        run(chunk[middle:])

    run(items)
    while pending := [(item, record) for item, record in failing if not record.exhausted]:
        sleep(max(record.pause(Step.RETRY, base) for _, record in pending))
        for item, record in pending:
            try:
                process([item])
            except Exception as exc:
                if not _probe(healthy):
                    raise
                record.failed(exc, healthy=True)
            else:
                failing.remove((item, record))
    return failing


# --- through the broker ----------------------------------------------------------------------------

def _properties(message: Any) -> dict[str, Any]:
    """The original message's properties worth keeping on a copy (never user_id: the broker checks
    it against the publishing account)."""
    props = getattr(message, "properties", None) or {}
    return {k: props[k] for k in ("message_id", "correlation_id", "type", "app_id", "timestamp") if props.get(k)}


class DeadLetters:
    """Parks messages with publisher confirms: `park` returns only once the broker holds the copy,
    so the caller may then ack the original. Safe to share between greenthreads."""

    def __init__(self, amqp_uri: str, service: str) -> None:
        self.service = service
        # No heartbeat: it is idle most of its life; a connection found dead is replaced below.
        self.publisher = ConfirmedPublisher(amqp_uri, exchange=dead_letter_exchange(), heartbeat=0)
        self._lock = threading.Lock()

    def park(self, queue: str, message: Any, attempts: Attempts) -> None:
        headers = {**(message.headers or {}), **attempts.headers(queue, self.service, message.delivery_info)}
        with self._lock:
            for attempt in range(2):  # a stale connection costs one failed try on a fresh one
                try:
                    self.publisher.send(message.body, routing_key=queue, headers=headers,
                                        content_type=message.content_type or "application/octet-stream",
                                        content_encoding=message.content_encoding, declare=dead_queue(queue),
                                        **_properties(message))
                    break
                except Exception:
                    if attempt:
                        raise
        metrics.DEAD_LETTERS.labels(self.service, queue).inc()
        log.error("parked a message in %s.dead after %d tries: %s: %s", queue, attempts.tries,
                  attempts.error_type, attempts.error,
                  extra={"service": self.service, "queue": queue, "message_id": _properties(message).get("message_id"),
                         "tries": attempts.tries, "error_type": attempts.error_type})

    def close(self) -> None:
        self.publisher.close()


def _text(raw: bytes, encoding: str | None) -> str:
    try:
        return raw.decode(encoding or "utf-8", "replace")
    except LookupError:  # "binary": kombu's word for "no text encoding given"
        return raw.decode("utf-8", "replace")


class QueueMissing(LookupError):
    """No such dead-letter queue on the broker (nothing was ever parked there)."""


@dataclass
class Parked:
    """A parked message as the operator sees it."""

    dead_queue: str
    message: Any = field(repr=False)

    @property
    def headers(self) -> dict[str, Any]:
        return dict(self.message.headers or {})

    def body(self) -> Any:
        raw = self.message.body
        text = _text(raw, self.message.content_encoding) if isinstance(raw, bytes) else raw
        if "json" in (self.message.content_type or ""):
            try:
                return json.loads(text)
            except ValueError:
                return text
        return text

    def view(self) -> dict[str, Any]:
        h, body = self.headers, self.body()
        envelope = body if isinstance(body, dict) else {}
        deaths = h.get("x-death") or []
        return {
            "message_id": _properties(self.message).get("message_id") or envelope.get("id"),
            "type": envelope.get("type"),
            "subject": envelope.get("subject"),
            "queue": replay_target(self.dead_queue, h),
            "service": h.get(HEADER + "service"),
            "error_type": h.get(HEADER + "error-type") or (f"broker: {deaths[0].get('reason')}" if deaths else None),
            "error": h.get(HEADER + "error"),
            "tries": h.get(HEADER + "tries") or (deaths[0].get("count") if deaths else None),
            "first_failure": h.get(HEADER + "first-failure"),
            "last_failure": h.get(HEADER + "last-failure"),
            "replays": h.get(REPLAYS, 0),
            "body": body,
        }


class DeadLetterQueues:
    """What the operator's CLI does: count, peek, replay. Peeking takes nothing away (the messages go
    back when the channel closes); a replayed message is acked in its dead-letter queue only once the
    broker confirmed the copy put back on its queue."""

    def __init__(self, amqp_uri: str) -> None:
        self.amqp_uri = amqp_uri

    @contextmanager
    def _channel(self) -> Iterator[Any]:
        with Connection(self.amqp_uri, transport_options={"confirm_publish": True}, connect_timeout=5) as conn:
            conn.ensure_connection(max_retries=1)
            channel = conn.channel()
            try:
                yield channel
            finally:
                try:
                    channel.close()
                except Exception:  # closed by the broker already (e.g. a missing queue)
                    log.debug("channel already closed", exc_info=True)

    def declare(self, queue: str) -> str:
        """Make `ekinerja.dead` and `<queue>.dead` exist now (a consumer makes them at its first park):
        the broker's own dead-lettering (a policy) drops what it routes to an exchange not there."""
        with self._channel() as channel:
            dead = dead_queue(queue)
            dead(channel).declare()
            return dead.name

    def count(self, queue: str) -> int:
        name = dead_queue(queue).name
        with self._channel() as channel:
            try:
                return channel.queue_declare(queue=name, passive=True).message_count
            except NotFound:
                raise QueueMissing(name) from None

    def peek(self, queue: str, limit: int = 20) -> list[Parked]:
        self.count(queue)  # a missing queue says so, instead of looking empty
        name = dead_queue(queue).name
        found: list[Parked] = []
        with self._channel() as channel:  # unacked: back in the queue when this channel closes
            while len(found) < limit:
                raw = channel.basic_get(name, no_ack=False)
                if raw is None:
                    break
                found.append(Parked(name, channel.message_to_python(raw)))
        return found

    def replay(self, queue: str, message_id: str | None = None, limit: int | None = None) -> int:
        """Put parked messages back on their queue (each one, or the one with `message_id`); returns how
        many. Only what was there when it started: a message that fails again is not looped."""
        waiting = self.count(queue)
        name = dead_queue(queue).name
        replayed = 0
        with self._channel() as channel:
            producer = Producer(channel, exchange=Exchange(""))
            for _ in range(waiting):
                if limit is not None and replayed >= limit:
                    break
                raw = channel.basic_get(name, no_ack=False)
                if raw is None:
                    break
                parked = Parked(name, channel.message_to_python(raw))
                if message_id is not None and parked.view()["message_id"] != message_id:
                    continue  # left unacked: back in the dead-letter queue when the channel closes
                message = parked.message
                producer.publish(message.body, routing_key=replay_target(name, parked.headers),
                                 headers=replay_headers(parked.headers), delivery_mode=2, retry=False,
                                 content_type=message.content_type or "application/octet-stream",
                                 content_encoding=message.content_encoding or "binary", **_properties(message))
                message.ack()
                replayed += 1
        return replayed
