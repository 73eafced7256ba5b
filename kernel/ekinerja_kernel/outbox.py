"""Transactional outbox: an event is written in the same transaction as the change it announces,
and a relay publishes it afterwards, so a crash between the two loses nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, func, select, update
from sqlalchemy.orm import Session

from .events import make_event, utcnow
from .logs import get_request_id


def define_outbox(metadata: MetaData) -> Table:
    return Table(
        "outbox", metadata,
        Column("seq", Integer, primary_key=True, autoincrement=True),  # publication order
        Column("id", String(36), nullable=False, unique=True),  # the event id consumers de-duplicate by
        Column("type", String(200), nullable=False),
        Column("body", Text, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("published_at", DateTime(timezone=True), nullable=True, index=True),
    )


class Outbox:
    """Adds events to the current transaction; the relay reads and marks them."""

    def __init__(self, table: Table, service: str) -> None:
        self.table = table
        self.service = service

    def add(self, session: Session, name: str, subject: str, data: dict[str, Any]) -> dict[str, Any]:
        return self.add_many(session, [(name, subject, data, get_request_id())])[0]

    def add_many(self, session: Session,
                 events: list[tuple[str, str, dict[str, Any], str | None]]) -> list[dict[str, Any]]:
        """Adds (name, subject, data, request id) events in one multi-row insert (a batch consumer's)."""
        now = utcnow()
        envelopes = [make_event(self.service, name, subject, data, request_id=request_id)
                     for name, subject, data, request_id in events]
        if envelopes:
            session.execute(self.table.insert(), [
                {"id": e["id"], "type": e["type"], "body": json.dumps(e), "created_at": now, "published_at": None}
                for e in envelopes])
        return envelopes

    def relay_batch(self, session: Session, publish: Callable[[dict[str, Any]], None],
                    limit: int = 200, publish_public: Callable[[dict[str, Any]], Any] | None = None) -> int:
        """Publish pending events in order and mark them; returns how many were published.

        Rows are locked (SKIP LOCKED on PostgreSQL) so several replicas can relay side by side.
        `publish` must raise unless the broker confirmed the message; so must `publish_public`, given
        the same event for its public copies (publicevents.PublicRelay): a row is marked only once
        both are done, so a public copy is never left out (and one sent twice keeps its id).
        """
        rows = session.execute(
            select(self.table.c.seq, self.table.c.body)
            .where(self.table.c.published_at.is_(None))
            .order_by(self.table.c.seq).limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        for row in rows:
            envelope = json.loads(row.body)
            publish(envelope)
            if publish_public is not None:
                publish_public(envelope)
        if rows:  # marked in the same transaction: a failure above leaves every row to be published again
            session.execute(update(self.table).where(self.table.c.seq.in_([r.seq for r in rows]))
                            .values(published_at=utcnow()))
        return len(rows)

    def pending_count(self, session: Session) -> int:
        return session.execute(select(func.count()).select_from(self.table)
                               .where(self.table.c.published_at.is_(None))).scalar_one()
