"""Use cases of the events service, each given a session factory: the replay feed a subscriber
reads with its API key, and the operator's subscribers and webhooks (the broker's side is broker.py)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel.db import unit_of_work
from ekinerja_kernel.events import utcnow

from . import log
from .domain import cursor, grants, keys
from .domain.errors import already_exists, cursor_expired, event_not_kept, invalid, key_invalid, not_found
from .tables import deliveries, subscribers, webhooks

Factory = sessionmaker[Session]


def authenticate(session: Session, api_key: str | None) -> Any:
    if not isinstance(api_key, str) or not api_key.startswith(keys.API_KEY_PREFIX):
        raise key_invalid()
    found = session.execute(select(subscribers).where(subscribers.c.key_hash == keys.key_hash(api_key))).first()
    if found is None:
        raise key_invalid()
    return found


def replay(factory: Factory, api_key: str | None, after: str | None = None, after_id: str | None = None,
           types: list[str] | None = None, limit: int | None = None) -> dict[str, Any]:
    """A page of the subscriber's public events after a cursor (or after the event `after_id`), in log
    order, each with its cursor. A position the retention has removed part of the log after is 410."""
    with factory() as session:
        subscriber = authenticate(session, api_key)
        wanted = grants.readable(types, list(subscriber.types))
        size = cursor.page_size(limit)
        if after_id is not None:
            if after is not None:
                raise invalid("after_id", "exclusive", "Give either 'after' or 'after_id', not both.",
                              "Berikan 'after' atau 'after_id', tidak keduanya.")
            position = log.seq_of(session, after_id)
            if position is None:
                raise event_not_kept(after_id)
        else:
            position = cursor.parse(after)
        oldest, newest = log.bounds(session)
        gone = log.pruned_through(session)
        if position and position < gone:
            raise cursor_expired(position, oldest)
        if position and position > max(newest or 0, gone):
            raise invalid("after", "cursor-unknown", "This cursor was never given out by this feed.",
                          "Kursor ini tidak pernah diberikan oleh umpan ini.")
        items, more = log.page(session, position, wanted, size)
    events = [{"cursor": cursor.text(seq), "event": event} for seq, event in items]
    return {"subscriber": subscriber.name, "types": wanted, "events": events,
            "next_after": cursor.text(items[-1][0]) if items else cursor.text(position), "has_more": more}


# -- subscribers -----------------------------------------------------------------------------------

def add_subscriber(factory: Factory, name: str, types: list[str], personal_data: bool = False,
                   owner_email: str | None = None) -> tuple[list[str], str]:
    """Record the subscriber and its grant; returns (types, API key). The broker account is the CLI's."""
    grants.check_name(name)
    granted = grants.grantable(types, personal_data)
    api_key = keys.new_api_key()
    with unit_of_work(factory) as session:
        if session.execute(select(subscribers.c.name).where(subscribers.c.name == name)).first():
            raise already_exists("subscriber", "Pelanggan", name)
        session.execute(insert(subscribers).values(name=name, types=granted, key_hash=keys.key_hash(api_key),
                                                   owner_email=owner_email, created_at=utcnow()))
    return granted, api_key


def remove_subscriber(factory: Factory, name: str) -> bool:
    with unit_of_work(factory) as session:
        return session.execute(delete(subscribers).where(subscribers.c.name == name)).rowcount > 0  # type: ignore[attr-defined]  # DML executes to a CursorResult


def list_subscribers(factory: Factory) -> list[dict[str, Any]]:
    with factory() as session:
        return [{"name": r.name, "types": list(r.types), "owner_email": r.owner_email, "created_at": r.created_at}
                for r in session.execute(select(subscribers).order_by(subscribers.c.name))]


# -- webhooks -------------------------------------------------------------------------------------

def add_webhook(factory: Factory, name: str, url: str, types: list[str], owner_email: str,
                secret: str | None = None, personal_data: bool = False) -> dict[str, Any]:
    """A subscription receiving each public event of `types` appended from now on; returns it with its
    secret (generated unless given)."""
    grants.check_name(name)
    granted = grants.grantable(types, personal_data)
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        raise invalid("url", "url", "The URL must be http(s)://...", "URL harus berupa http(s)://...")
    if not owner_email or "@" not in owner_email:
        raise invalid("owner_email", "email", "Give the address of the owner told when the webhook fails.",
                      "Berikan alamat pemilik yang diberi tahu bila webhook gagal.")
    secret = secret or keys.new_webhook_secret()
    if not keys.is_webhook_secret(secret):
        raise invalid("secret", "whsec", "A secret is whsec_ followed by the base64 of 24 to 64 random bytes.",
                      "Rahasia berupa whsec_ diikuti base64 dari 24 sampai 64 bita acak.")
    row = {"id": str(uuid.uuid4()), "name": name, "url": url, "types": granted, "secret": secret,
           "owner_email": owner_email, "state": "active", "created_at": utcnow()}
    with unit_of_work(factory) as session:
        if session.execute(select(webhooks.c.id).where(webhooks.c.name == name)).first():
            raise already_exists("webhook", "Webhook", name)
        session.execute(insert(webhooks).values(**row))
    return row


def _webhook(session: Session, name: str) -> Any:
    found = session.execute(select(webhooks).where(webhooks.c.name == name)).first()
    if found is None:
        raise not_found("webhook", "webhook", name)
    return found


def enable_webhook(factory: Factory, name: str) -> int:
    """Active again, its waiting deliveries due now; returns how many wait."""
    with unit_of_work(factory) as session:
        hook = _webhook(session, name)
        session.execute(update(webhooks).where(webhooks.c.id == hook.id).values(
            state="active", disabled_at=None, disabled_reason=None, failing_since=None))
        return session.execute(update(deliveries).where(deliveries.c.webhook_id == hook.id,  # type: ignore[attr-defined]  # DML executes to a CursorResult
                                                        deliveries.c.state == "pending")
                               .values(next_attempt_at=utcnow())).rowcount


def retry_failed(factory: Factory, name: str) -> int:
    """The webhook's failed deliveries tried again from the start of the schedule."""
    with unit_of_work(factory) as session:
        hook = _webhook(session, name)
        return session.execute(update(deliveries).where(deliveries.c.webhook_id == hook.id,  # type: ignore[attr-defined]  # DML executes to a CursorResult
                                                        deliveries.c.state == "failed")
                               .values(state="pending", attempts=0, next_attempt_at=utcnow())).rowcount


def remove_webhook(factory: Factory, name: str) -> None:
    with unit_of_work(factory) as session:
        hook = _webhook(session, name)
        session.execute(delete(deliveries).where(deliveries.c.webhook_id == hook.id))
        session.execute(delete(webhooks).where(webhooks.c.id == hook.id))


def list_webhooks(factory: Factory) -> list[dict[str, Any]]:
    """Each webhook with its deliveries counted by state."""
    with factory() as session:
        counts: dict[str, dict[str, int]] = {}
        for row in session.execute(select(deliveries.c.webhook_id, deliveries.c.state, func.count())
                                   .group_by(deliveries.c.webhook_id, deliveries.c.state)):
            counts.setdefault(row[0], {})[row[1]] = row[2]
        return [{"name": h.name, "url": h.url, "types": list(h.types), "state": h.state,
                 "owner_email": h.owner_email, "failing_since": h.failing_since,
                 "last_success_at": h.last_success_at, "disabled_reason": h.disabled_reason,
                 "deliveries": {s: counts.get(h.id, {}).get(s, 0) for s in ("pending", "delivered", "failed")}}
                for h in session.execute(select(webhooks).order_by(webhooks.c.name))]


def list_deliveries(factory: Factory, name: str, state: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """The webhook's latest deliveries (newest first), with their tries and last answer."""
    with factory() as session:
        hook = _webhook(session, name)
        query = select(deliveries).where(deliveries.c.webhook_id == hook.id)
        if state:
            query = query.where(deliveries.c.state == state)
        rows = session.execute(query.order_by(deliveries.c.seq.desc()).limit(limit)).all()
        return [{"event_id": r.event_id, "type": r.type, "cursor": cursor.text(r.seq), "state": r.state,
                 "attempts": r.attempts, "last_status": r.last_status, "last_error": r.last_error,
                 "last_attempt_at": r.last_attempt_at, "next_attempt_at": r.next_attempt_at,
                 "delivered_at": r.delivered_at} for r in rows]
