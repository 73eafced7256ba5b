"""Diagnosis use cases: gather the facts about one employee and run the rules of domain/diagnosis.py;
and the read-copy of SKPs in force that the rules need, kept from skp's public `skp.approved` events
(sync does not own SKPs and asks no other service per request)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel import config
from ekinerja_kernel import rules as kernel_rules
from ekinerja_kernel.caller import ADMIN_ROLES, Caller, RequestContext, forbidden, require
from ekinerja_kernel.db import unit_of_work
from ekinerja_kernel.errors import FieldError, validation_error
from ekinerja_kernel.events import as_utc, parse_time, utcnow
from ekinerja_kernel.inbox import first_delivery

from . import overrides as held_values
from . import rediagnose
from .domain import diagnosis as rules
from .domain.identifiers import require_nip
from .tables import (
    acting,
    employees,
    inbox,
    positions,
    registry_refused,
    registry_synced,
    skp_published,
    units,
)

SKP_APPROVED = "ekinerja.skp.approved.v1"
# The public events sync keeps read-copies from (bound to the durable queue `sync.events`).
EVENT_PATTERNS = ("ekinerja.skp.approved.#",)


# --- the read-copy ------------------------------------------------------------------------------

def on_event(factory: sessionmaker[Session], envelope: dict[str, Any]) -> None:
    """Record (nip, year) of each SKP in force; once per event id, the highest version kept."""
    if envelope.get("type") != SKP_APPROVED:
        return
    data = envelope["data"]
    with unit_of_work(factory) as s:
        if not first_delivery(s, inbox, envelope):
            return
        key = (skp_published.c.nip == data["nip"], skp_published.c.year == int(data["year"]))
        current = s.execute(select(skp_published.c.version).where(*key)).scalar()
        values = {"skp_id": str(data["skp_id"]), "version": int(data["version"]),
                  "approved_at": _event_time(envelope)}
        if current is None:
            s.execute(skp_published.insert().values(nip=data["nip"], year=int(data["year"]), **values))
            rediagnose.skp_in_force(s, data["nip"])
        elif current <= int(data["version"]):
            s.execute(skp_published.update().where(*key).values(**values))


def _event_time(envelope: dict[str, Any]) -> dt.datetime:
    try:
        return parse_time(envelope["time"])
    except (KeyError, TypeError, ValueError):
        return utcnow()


# --- gathering the facts ---------------------------------------------------------------------------

def _person(s: Session, nip: str | None) -> rules.Person | None:
    if not nip:
        return None
    row = s.execute(
        select(employees, units.c.name.label("unit_name"), units.c.kind.label("unit_kind"),
               units.c.parent_id.label("unit_parent_id"), positions.c.name.label("position_name"),
               positions.c.jenjang.label("position_jenjang"))
        .outerjoin(units, units.c.id == employees.c.unit_id)
        .outerjoin(positions, positions.c.id == employees.c.position_id)
        .where(employees.c.nip == nip)).mappings().first()
    if row is None:
        return None
    return rules.Person(
        nip=row["nip"], name=row["name"], status=row["status"], agency_id=row["agency_id"], nik=row["nik"],
        unit_id=row["unit_id"], unit_name=row["unit_name"], unit_kind=row["unit_kind"],
        unit_parent_id=row["unit_parent_id"], position_id=row["position_id"],
        position_name=row["position_name"], position_jenjang=row["position_jenjang"],
        supervisor_nip=row["supervisor_nip"], roles=tuple(row["roles"] or ()), updated_at=as_utc(row["updated_at"]),
        synced_at=as_utc(s.execute(select(registry_synced.c.synced_at).where(registry_synced.c.nip == nip)).scalar()))


def _seats(s: Session, unit_id: str, position_id: str) -> list[rules.Seat]:
    rows = s.execute(select(acting.c.nip, acting.c.kind, acting.c.start_date, acting.c.end_date,
                            employees.c.name)
                     .join(employees, employees.c.nip == acting.c.nip)
                     .where(acting.c.unit_id == unit_id, acting.c.position_id == position_id)
                     .order_by(acting.c.start_date.desc())).all()
    return [rules.Seat(r.nip, r.name, r.kind, r.start_date, r.end_date) for r in rows]


def skp_in_force(s: Session, nip: str, year: int) -> bool:
    """By the rule skp plans with (kernel_rules.skp_in_force), on the version skp.approved announced."""
    return kernel_rules.skp_in_force(s.execute(select(skp_published.c.version).where(
        skp_published.c.nip == nip, skp_published.c.year == year)).scalar())


def gather(s: Session, nip: str, year: int, today: dt.date, now: dt.datetime,
           mfa_used: bool | None = None, sign_in: rules.SignIn | None = None) -> rules.Facts:
    employee = _person(s, nip)
    supervisor = _person(s, employee.supervisor_nip) if employee else None
    stand_in = None
    if supervisor is not None and supervisor.status != "active":
        stand_in = rules.find_stand_in(supervisor, today, lambda n: _person(s, n), lambda u, p: _seats(s, u, p),
                                       owner_nip=nip)
    refused = s.execute(select(registry_refused).where(registry_refused.c.nip == nip)).first()
    principal_synced = None
    if employee and supervisor and employee.unit_kind == "sekolah" and pmm_connected():
        principal_synced = s.execute(select(registry_synced.c.nip)
                                     .where(registry_synced.c.nip == supervisor.nip)).first() is not None
    return rules.Facts(nip=nip, year=year, now=now, employee=employee, supervisor=supervisor,
                       supervisor_skp_in_force=bool(supervisor and skp_in_force(s, supervisor.nip, year)),
                       stand_in=stand_in, mfa_used=mfa_used, sign_in=sign_in,
                       refusal=rules.Refusal(as_utc(refused.refused_at), tuple(refused.errors), refused.agency_id)
                       if refused else None,
                       overrides=tuple(held_values.of(s, [nip]).get(nip, ())) if employee else (),
                       unit_chain=_unit_chain(s, employee.unit_id) if employee else (),
                       principal_synced=principal_synced)


def pmm_connected() -> bool:
    """PMM is reachable from this deployment (schedule.RegistrySync connects it from the same
    settings): only then does a teacher's principal need to sync first."""
    return bool(config.env("SYNC_PMM_URL", config.env("SYNC_REGISTRY_URL", "")))


def _unit_chain(s: Session, unit_id: str | None, limit: int = 50) -> tuple[str, ...]:
    """The unit and every unit above it, nearest first (the tree is loop-free: the import refuses loops)."""
    chain: list[str] = []
    while unit_id and unit_id not in chain and len(chain) < limit:
        chain.append(unit_id)
        unit_id = s.execute(select(units.c.parent_id).where(units.c.id == unit_id)).scalar()
    return tuple(chain)


# --- the use case ----------------------------------------------------------------------------------

def _year(value: Any, today: dt.date) -> int:
    if value is None:
        return today.year
    if isinstance(value, bool) or not isinstance(value, int) or not 2020 <= value <= 2100:
        raise validation_error([FieldError("year", "range-2020-2100", "year must be a year from 2020 to 2100.",
                                           "year harus tahun 2020 sampai 2100.")])
    return value


def _may_see(caller: Caller, nip: str, employee: rules.Person | None) -> bool:
    if caller.nip == nip:
        return True
    if employee is None:  # nothing to leak but "not in master data", which is what an admin looks for
        return any(caller.has(r) for r in ADMIN_ROLES)
    return caller.administers(employee.agency_id)


def diagnose(factory: sessionmaker[Session], ctx: RequestContext, nip: str | None = None,
             year: int | None = None, sign_in: Any = None) -> dict[str, Any]:
    """The caller's own diagnosis (no `nip`), or an admin's about an employee of their agency.
    `sign_in`: identity's `sign_in_state` of the account, which the gateway asked for (None when
    identity did not answer: the account checks then say so)."""
    caller = require(ctx.caller)
    nip = nip or caller.nip
    own = nip == caller.nip
    if not own:
        require_nip(nip)
    today = config.today()
    year = _year(year, today)
    with factory() as s:
        facts = gather(s, nip, year, today, utcnow(), mfa_used=("otp" in caller.amr) if own else None,
                       sign_in=rules.sign_in_from(sign_in))
    if not _may_see(caller, nip, facts.employee):
        raise forbidden("Only the employee or an admin of their agency can see this diagnosis.",
                        "Hanya pegawai yang bersangkutan atau admin instansinya yang dapat melihat diagnosis ini.")
    return rules.report(facts)
