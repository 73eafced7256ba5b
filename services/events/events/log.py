"""The append-only log of public events: appended in order, read from a cursor, trimmed from the
oldest end once past the retention. Appends are serialised (an advisory lock on PostgreSQL, SQLite's
single writer), so sequence numbers become visible in order and a reader that has seen seq N will
never later find a new event below N."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from ekinerja_kernel.events import utcnow

from .tables import deliveries, log_state, public_log, webhooks

APPEND_LOCK = 0x65766C6F67  # "evlog": the key of the advisory lock serialising appends


def _serialise(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPEND_LOCK})


def append(session: Session, events: Sequence[tuple[dict[str, Any], str]]) -> list[tuple[int, dict[str, Any]]]:
    """Append each (event, body as published) not already in the log, and a pending delivery of it for
    each webhook of its type; returns what was appended with its seq. An id already logged (a relay
    that published twice) is skipped."""
    _serialise(session)
    now = utcnow()
    hooks = session.execute(select(webhooks.c.id, webhooks.c.types)).all()
    appended = []
    for event, body in events:
        if session.execute(select(public_log.c.seq).where(public_log.c.id == event["id"])).first():
            continue
        seq = session.execute(insert(public_log).values(
            id=event["id"], type=event["type"], subject=event.get("subject") or "", body=body,
            appended_at=now).returning(public_log.c.seq)).scalar_one()
        for hook in hooks:
            if event["type"] in hook.types:
                session.execute(insert(deliveries).values(
                    webhook_id=hook.id, seq=seq, event_id=event["id"], type=event["type"], state="pending",
                    attempts=0, next_attempt_at=now, created_at=now))
        appended.append((seq, event))
    return appended


def pruned_through(session: Session) -> int:
    return session.execute(select(log_state.c.pruned_through).where(log_state.c.id == 1)).scalar() or 0


def bounds(session: Session) -> tuple[int | None, int | None]:
    """(oldest seq kept, newest seq) or (None, None) when the log is empty."""
    row = session.execute(select(func.min(public_log.c.seq), func.max(public_log.c.seq))).one()
    return row[0], row[1]


def page(session: Session, after: int, types: Sequence[str], limit: int) -> tuple[list[tuple[int, dict]], bool]:
    """Up to `limit` events of `types` after `after`, in log order, and whether more follow."""
    rows = session.execute(select(public_log.c.seq, public_log.c.body)
                           .where(public_log.c.seq > after, public_log.c.type.in_(list(types)))
                           .order_by(public_log.c.seq).limit(limit + 1)).all()
    return [(r.seq, json.loads(r.body)) for r in rows[:limit]], len(rows) > limit


def seq_of(session: Session, event_id: str) -> int | None:
    return session.execute(select(public_log.c.seq).where(public_log.c.id == event_id)).scalar()


def prune(session: Session, before: dt.datetime) -> int:
    """Remove the events appended before `before` (and deliveries of them still waiting: a webhook
    disabled longer than the retention does not get them); returns how many events went."""
    _serialise(session)
    through = session.execute(select(func.max(public_log.c.seq)).where(public_log.c.appended_at < before)).scalar()
    if through is None:
        return 0
    session.execute(delete(deliveries).where(deliveries.c.seq <= through))
    removed = session.execute(delete(public_log).where(public_log.c.seq <= through)).rowcount  # type: ignore[attr-defined]  # DML executes to a CursorResult
    if session.execute(update(log_state).where(log_state.c.id == 1)  # type: ignore[attr-defined]  # DML executes to a CursorResult
                       .values(pruned_through=through, pruned_at=utcnow())).rowcount == 0:
        session.execute(insert(log_state).values(id=1, pruned_through=through, pruned_at=utcnow()))
    return removed
