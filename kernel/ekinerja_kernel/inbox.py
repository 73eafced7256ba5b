"""Idempotent event handling: an event id is processed once, in the transaction of its effects."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, MetaData, String, Table, insert, select
from sqlalchemy.orm import Session

from .events import utcnow


def define_inbox(metadata: MetaData) -> Table:
    return Table(
        "inbox", metadata,
        Column("event_id", String(64), primary_key=True),
        Column("type", String(200), nullable=False),
        Column("received_at", DateTime(timezone=True), nullable=False),
    )


def first_delivery(session: Session, inbox: Table, envelope: dict) -> bool:
    """Record the event; False when it was already processed (a message can arrive twice)."""
    seen = session.execute(select(inbox.c.event_id).where(inbox.c.event_id == envelope["id"])).first()
    if seen:
        return False
    session.execute(insert(inbox).values(event_id=envelope["id"], type=envelope["type"], received_at=utcnow()))
    return True
