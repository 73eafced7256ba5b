"""Public events: what other government systems receive, kept apart from the internal events.

Internal events (`events.make_event`, on the internal exchange of AMQP_URI's vhost) carry what the
services need, NIK included, and no outside account can read them. Each public type is decided in one
place, its projection (`projections/`): which internal type it comes from and the few fields another
system needs. A public event is a CloudEvents 1.0 envelope of type `ekinerja.public.<name>.v<N>` with
`dataschema` naming its JSON Schema (docs/events/public/schemas, whose `$id` is that URI), published
in structured mode (`content-type: application/cloudevents+json`, the whole event as the body) to the
topic exchange `ekinerja.public` on its own vhost, where subscribers have accounts (the events
service's `ekinerja-events subscribers`).

The outbox relay publishes the public copies of an outbox row right after the row's internal event,
and marks the row only once the broker confirmed all of them: nothing committed is left out, and a
row relayed twice gives the same public ids (`public_id`, derived from the internal id and the public
type), so subscribers and the replay log recognise a repeat. Every publisher also declares the events
service's log queue, so what is published before that service first starts is kept for it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from kombu import Exchange, Queue
from prometheus_client import Counter

from . import config
from .bus import ConfirmedPublisher, DurableQueue
from .events import SPEC_VERSION

PUBLIC_EXCHANGE = "ekinerja.public"
PUBLIC_PREFIX = "ekinerja.public."
# Structured content mode of the CloudEvents AMQP/RabbitMQ bindings (and the HTTP one, for webhooks).
STRUCTURED = "application/cloudevents+json"
SCHEMA_PREFIX = "urn:ekinerja:schema:"  # + the public type: each schema's `$id` and each event's `dataschema`
# The events service's queue on the public vhost: every public event, appended to its replay log.
LOG_QUEUE = "events.log"
# Fixed namespace of the public ids: uuid5(namespace, "<internal id> <public type>").
ID_NAMESPACE = uuid.UUID("6c3f0b52-8a1e-5d47-9b0e-2f4e7d1a9c35")

PUBLISHED = Counter("ekinerja_public_events_published_total",
                    "Public copies of events published to ekinerja.public (by the outbox relays)",
                    ["service", "type"])

Projection = Callable[[dict[str, Any]], dict[str, Any] | None]


@dataclass(frozen=True)
class PublicType:
    """One public event type and the one rule making it from an internal event."""

    name: str  # e.g. "harian.day_closed"
    source: str  # the internal type it is made from, e.g. "ekinerja.harian.day_closed.v1"
    project: Projection  # internal `data` -> public `data`, or None when this event has no public copy
    title: str
    version: int = 1
    # Carries personal identifiers beyond the NIP (NIK, email): granted only by naming it, and only
    # with the operator saying so (`--personal-data`).
    personal: bool = False

    @property
    def type(self) -> str:
        return f"{PUBLIC_PREFIX}{self.name}.v{self.version}"

    @property
    def dataschema(self) -> str:
        return SCHEMA_PREFIX + self.type


@cache
def catalogue() -> dict[str, PublicType]:
    """Every public type by its type name."""
    from .projections import ALL

    types = {t.type: t for t in ALL}
    if len(types) != len(ALL):
        raise RuntimeError("two projections define the same public type")
    return types


@cache
def _by_source() -> dict[str, tuple[PublicType, ...]]:
    found: dict[str, list[PublicType]] = {}
    for public in catalogue().values():
        found.setdefault(public.source, []).append(public)
    return {source: tuple(types) for source, types in found.items()}


def public_id(internal_id: str, public_type: str) -> str:
    """The id of the public copy: stable, so a repeated relay or a replay is recognised as the same."""
    return str(uuid.uuid5(ID_NAMESPACE, f"{internal_id} {public_type}"))


def project(envelope: dict[str, Any]) -> list[dict[str, Any]]:
    """The public events (CloudEvents envelopes) an internal event makes; none for most."""
    made = []
    for public in _by_source().get(envelope.get("type", ""), ()):
        data = public.project(envelope["data"])
        if data is None:
            continue
        made.append({
            "specversion": SPEC_VERSION,
            "id": public_id(envelope["id"], public.type),
            "source": envelope["source"],
            "type": public.type,
            "time": envelope["time"],
            "subject": envelope["subject"],
            "datacontenttype": "application/json",
            "dataschema": public.dataschema,
            "data": data,
        })
    return made


def encode(public: dict[str, Any]) -> bytes:
    """The structured-mode body: the whole event as UTF-8 JSON."""
    return json.dumps(public, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def public_exchange() -> Exchange:
    return Exchange(PUBLIC_EXCHANGE, type="topic", durable=True)


def log_queue() -> Queue:
    """The events service's durable queue of every public event."""
    return DurableQueue(LOG_QUEUE, exchange=public_exchange(), routing_key=PUBLIC_PREFIX + "#", durable=True)


class PublicRelay:
    """Publishes the public copies of relayed events, each confirmed by the broker.

    It connects (to the public vhost) only when an event has a public copy: a service whose events are
    all internal never does."""

    def __init__(self, amqp_uri: str, service: str, heartbeat: int = 15) -> None:
        self.service = service
        self.publisher = ConfirmedPublisher(config.public_amqp_uri(amqp_uri), exchange=public_exchange(),
                                            heartbeat=heartbeat, queues=(log_queue(),))

    def publish(self, envelope: dict[str, Any]) -> int:
        """Publish the public copies of `envelope`; returns how many (raises unless each was confirmed)."""
        copies = project(envelope)
        for public in copies:
            self.publisher.send(encode(public), public["type"], content_type=STRUCTURED, content_encoding="utf-8",
                                message_id=public["id"], type=public["type"])
            PUBLISHED.labels(self.service, public["type"]).inc()
        return len(copies)

    def close(self) -> None:
        self.publisher.close()
