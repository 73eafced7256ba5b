"""Idempotency keys of daily submissions (IETF httpapi "The Idempotency-Key HTTP Header Field"):
the first request that uses a key is recorded with its fingerprint (a hash of its method, path and
canonical body) and the answer it got; the same key with the same request gets that answer again,
the same key with another request is refused with 422 `idempotency-key-reused`, so new content is
never silently dropped in favour of the first. The gateway asks before it hands a keyed submission
to the queue; a key is the caller's own (the submission id is derived from their NIP and the key)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from harian_contract.submission import FINGERPRINT, IDEMPOTENCY_KEY, submission_id
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel.caller import RequestContext, require
from ekinerja_kernel.db import unit_of_work
from ekinerja_kernel.errors import DomainError, FieldError, validation_error
from ekinerja_kernel.events import as_utc, parse_time, utcnow

from . import days
from .tables import submission_keys

FIELD = "Idempotency-Key"


def key_reused(key: str) -> DomainError:
    error = FieldError(FIELD, "reused-with-another-request",
                       f"The Idempotency-Key '{key}' was already used for another request (another date or other "
                       "activities). Send a new key with a new submission.",
                       f"Idempotency-Key '{key}' sudah dipakai untuk permintaan lain (tanggal atau kegiatan lain). "
                       "Kirim kunci baru untuk pengiriman baru.")
    return DomainError(code="idempotency-key-reused", status=422, title="Idempotency-Key reused",
                       detail=error.detail, detail_id=error.detail_id, errors=[error],
                       extra={"field": FIELD, "idempotency_key": key})


def _checked(key: Any, fingerprint: Any, accepted_at: Any) -> dt.datetime:
    errors = []
    if not isinstance(key, str) or not IDEMPOTENCY_KEY.match(key):
        errors.append(FieldError(FIELD, "format", "Idempotency-Key must be 1 to 200 visible ASCII characters.",
                                 "Idempotency-Key harus 1 sampai 200 karakter ASCII yang terlihat."))
    if not isinstance(fingerprint, str) or not FINGERPRINT.match(fingerprint):
        errors.append(FieldError("fingerprint", "sha256-hex", "fingerprint must be a SHA-256 in hex.",
                                 "fingerprint harus SHA-256 dalam heksadesimal."))
    try:
        accepted = parse_time(accepted_at) if isinstance(accepted_at, str) else None
    except ValueError:
        accepted = None
    if accepted is None:
        errors.append(FieldError("accepted_at", "date-time", "accepted_at must be an ISO date-time.",
                                 "accepted_at harus tanggal-waktu ISO."))
    if errors:
        raise validation_error(errors)
    assert accepted is not None
    return accepted


def claim_submission(factory: sessionmaker[Session], ctx: RequestContext, key: Any, fingerprint: Any, date: Any,
                     accepted_at: Any) -> dict[str, Any]:
    """The submission a keyed request stands for: recorded now when the key is new (`first`), else
    the one recorded when the key was first used, if this request has the same fingerprint; 422
    `idempotency-key-reused` when it has another."""
    caller = require(ctx.caller)
    accepted = _checked(key, fingerprint, accepted_at)
    day = days.parse_day(date)
    sid = submission_id(caller.nip, key)
    with unit_of_work(factory) as s:
        # One statement for a new key (nearly every one: this runs for each keyed submission at the
        # peak); two retries at once: one inserts, the other finds nothing inserted and reads the row.
        first = s.execute(_insert_new(s).values(id=sid, nip=caller.nip, fingerprint=fingerprint, date=day,
                                                accepted_at=accepted, created_at=utcnow())
                          .returning(submission_keys.c.id)).first() is not None
        if first:
            return {"id": sid, "date": day.isoformat(), "accepted_at": accepted.isoformat(), "first": True}
        row = s.execute(select(submission_keys).where(submission_keys.c.id == sid)).one()
    if row.fingerprint != fingerprint:
        raise key_reused(key)
    return {"id": row.id, "date": row.date.isoformat(),
            "accepted_at": as_utc(row.accepted_at).astimezone(dt.UTC).isoformat(), "first": False}


def _insert_new(s: Session) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING on the key's id (PostgreSQL and SQLite alike)."""
    dialect = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
    return dialect(submission_keys).on_conflict_do_nothing(index_elements=[submission_keys.c.id])
