"""SQLAlchemy access for identity, returning plain values and domain objects."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ekinerja_kernel.db import keep_latest, upsert
from ekinerja_kernel.events import as_utc, parse_time, utcnow

from . import keys
from .domain.accounts import Account
from .domain.lockout import Guard
from .tables import (
    OUTBOX,
    accounts,
    agency_policies,
    audit_events,
    credentials,
    guards,
    master_data_findings,
    recovery_codes,
    request_limits,
    sessions,
    trusted_devices,
)


def account(session: Session, nip: str) -> Account | None:
    row = session.execute(select(accounts).where(accounts.c.nip == nip)).mappings().first()
    if row is None:
        return None
    return Account(nip=row["nip"], nik=row["nik"], name=row["name"], email=row["email"], status=row["status"],
                   agency_id=row["agency_id"], unit_id=row["unit_id"], position_id=row["position_id"],
                   supervisor_nip=row["supervisor_nip"], extra_roles=tuple(row["extra_roles"] or ()))


def save_account(session: Session, values: dict[str, Any]) -> None:
    nip = values.pop("nip")
    upsert(session, accounts, {"nip": nip}, {**values, "updated_at": utcnow()})


def has_subordinates(session: Session, nip: str) -> bool:
    return session.execute(select(func.count()).select_from(accounts).where(
        accounts.c.supervisor_nip == nip, accounts.c.status == "active")).scalar_one() > 0


def findings(session: Session, nip: str) -> list[dict[str, Any]]:
    """The latest problems and warnings sync's diagnosis announced for `nip` ([] if none yet)."""
    row = session.execute(select(master_data_findings.c.findings).where(master_data_findings.c.nip == nip)).first()
    return list(row.findings) if row else []


def save_findings(session: Session, data: dict[str, Any], checked_at: dt.datetime) -> bool:
    """Keep the diagnosis checked at `checked_at` (UTC) unless a later one is already kept (events can
    arrive out of order); True when it was kept."""
    return keep_latest(session, master_data_findings, {"nip": data["nip"]},
                       {"agency_id": data["agency_id"], "checked_at": checked_at, "blocked": list(data["blocked"]),
                        "findings": list(data["findings"])}, at="checked_at")


def credential(session: Session, nip: str) -> Any:
    return session.execute(select(credentials).where(credentials.c.nip == nip)).first()


def set_credential(session: Session, nip: str, **values: Any) -> None:
    upsert(session, credentials, {"nip": nip}, values)


def guard(session: Session, nip: str, factor: str, lock: bool = True) -> Guard:
    """`lock`: held until the transaction ends, for a read-then-write of the counter."""
    query = select(guards).where(guards.c.nip == nip, guards.c.factor == factor)
    row = session.execute(query.with_for_update() if lock else query).first()
    if row is None:
        return Guard()
    return Guard(row.failures, as_utc(row.last_failure_at), as_utc(row.locked_until))


def save_guard(session: Session, nip: str, factor: str, g: Guard) -> None:
    session.execute(delete(guards).where(guards.c.nip == nip, guards.c.factor == factor))
    if g.failures:
        session.execute(insert(guards).values(nip=nip, factor=factor, failures=g.failures,
                                              last_failure_at=g.last_failure_at, locked_until=g.locked_until))


def policy(session: Session, agency_id: str | None) -> tuple[bool, int]:
    """(MFA required for the whole agency, days a device may be trusted; 0 = never)."""
    row = session.execute(select(agency_policies).where(agency_policies.c.agency_id == agency_id)).first()
    return (bool(row.mfa_required), int(row.trusted_device_days)) if row else (False, 0)


def set_policy(session: Session, agency_id: str, mfa_required: bool, trusted_device_days: int) -> None:
    session.execute(delete(agency_policies).where(agency_policies.c.agency_id == agency_id))
    session.execute(insert(agency_policies).values(agency_id=agency_id, mfa_required=mfa_required,
                                                   trusted_device_days=trusted_device_days))


def revoke_sessions(session: Session, nip: str, reason: str, only: str | None = None,
                    keep: str | None = None) -> list[str]:
    """End `nip`'s open sessions (`only` that one, or all but `keep`); the ids ended. Each is announced
    (session.revoked) in the same transaction: gateways refuse its access tokens until `until`, when
    the last token it could have been given has expired."""
    query = select(sessions.c.id).where(sessions.c.nip == nip, sessions.c.revoked_at.is_(None))
    if only:
        query = query.where(sessions.c.id == only)
    if keep:
        query = query.where(sessions.c.id != keep)
    ids = sorted(r.id for r in session.execute(query.with_for_update()))
    if not ids:
        return []
    now = utcnow()
    session.execute(update(sessions).where(sessions.c.id.in_(ids), sessions.c.revoked_at.is_(None))
                    .values(revoked_at=now, revoked_reason=reason))
    until = tokens_valid_until(now)
    for sid in ids:
        OUTBOX.add(session, "session.revoked", sid, {"sid": sid, "reason": reason, "revoked_at": now, "until": until})
    return ids


def tokens_valid_until(revoked_at: dt.datetime) -> dt.datetime:
    """The latest moment an access token of a session ended at `revoked_at` can still be valid."""
    return revoked_at + dt.timedelta(seconds=keys.access_ttl())


def recently_revoked(session: Session, now: dt.datetime) -> list[dict[str, Any]]:
    """Sessions ended recently enough that an access token of theirs may still be valid."""
    since = now - dt.timedelta(seconds=keys.access_ttl())
    rows = session.execute(select(sessions.c.id, sessions.c.revoked_at).where(sessions.c.revoked_at > since)
                           .order_by(sessions.c.revoked_at)).all()
    return [{"sid": r.id, "until": tokens_valid_until(as_utc(r.revoked_at))} for r in rows]


def request_times(session: Session, nip: str, kind: str) -> list[dt.datetime]:
    """The recent activation/reset requests of `nip`, its row locked until the transaction ends (created
    first when missing, so two replicas counting the same NIP's first request wait for each other)."""
    insert_if_missing(session, request_limits, {"nip": nip, "kind": kind, "attempts": [], "last_at": utcnow()})
    row = session.execute(select(request_limits.c.attempts).where(
        request_limits.c.nip == nip, request_limits.c.kind == kind).with_for_update()).one()
    return [parse_time(t) for t in row.attempts]


def save_request_times(session: Session, nip: str, kind: str, times: tuple[dt.datetime, ...],
                       stale_before: dt.datetime) -> None:
    session.execute(update(request_limits).where(request_limits.c.nip == nip, request_limits.c.kind == kind)
                    .values(attempts=[t.isoformat() for t in times], last_at=max(times) if times else utcnow()))
    # Rows whose every request is outside the window count for nothing: swept as we go (indexed).
    session.execute(delete(request_limits).where(request_limits.c.last_at < stale_before))


def insert_if_missing(session: Session, table: Table, values: dict[str, Any]) -> None:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(postgresql.insert(table).values(**values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        session.execute(sqlite.insert(table).values(**values).on_conflict_do_nothing())
    else:  # no portable INSERT ... ON CONFLICT: read first (a race then fails one request, never miscounts)
        key = [c == values[c.name] for c in table.primary_key.columns]
        if session.execute(select(*table.primary_key.columns).where(*key)).first() is None:
            session.execute(insert(table).values(**values))


def clear_mfa(session: Session, nip: str) -> None:
    set_credential(session, nip, mfa_secret=None, mfa_pending_secret=None, mfa_confirmed_at=None,
                   mfa_last_step=None)
    session.execute(delete(recovery_codes).where(recovery_codes.c.nip == nip))
    session.execute(delete(trusted_devices).where(trusted_devices.c.nip == nip))


def audit(session: Session, type_: str, outcome: str, nip: str | None = None, actor_nip: str | None = None,
          agency_id: str | None = None, ip: str | None = None, request_id: str | None = None,
          detail: dict[str, Any] | None = None) -> None:
    session.execute(insert(audit_events).values(time=utcnow(), type=type_, outcome=outcome, nip=nip,
                                                actor_nip=actor_nip, agency_id=agency_id, ip=ip,
                                                request_id=request_id, detail=detail or {}))


def audit_page(session: Session, agency_id: str | None, nip: str | None, type_: str | None,
               limit: int) -> list[dict[str, Any]]:
    query = select(audit_events).order_by(audit_events.c.id.desc()).limit(limit)
    if agency_id is not None:
        query = query.where(audit_events.c.agency_id == agency_id)
    if nip:
        query = query.where(audit_events.c.nip == nip)
    if type_:
        query = query.where(audit_events.c.type == type_)
    return [dict(r) for r in session.execute(query).mappings()]


def later(seconds: float) -> dt.datetime:
    return utcnow() + dt.timedelta(seconds=seconds)
