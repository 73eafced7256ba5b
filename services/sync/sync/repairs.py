"""Admin repairs of master data: an agency admin (admin instansi) within their agency, a national
admin anywhere. Each real change is written with its audit row (who, when, what, before/after) and
the same events an import of the changed record would announce, all in one transaction; a repair
that changes nothing writes and announces nothing."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel import config
from ekinerja_kernel.caller import ADMIN_ROLES, Caller, RequestContext, forbidden, require
from ekinerja_kernel.db import unit_of_work
from ekinerja_kernel.errors import FieldError, not_found, validation_error
from ekinerja_kernel.events import as_utc, utcnow
from ekinerja_kernel.outbox import Outbox

from . import diagnosis, rediagnose
from . import overrides as held_values
from .domain import changes, overrides
from .domain import diagnosis as rules
from .domain.graph import creates_cycle
from .domain.identifiers import InvalidIdentifier, parse_nip, require_nip
from .domain.model import Employee
from .domain.records import EMAIL, RowErrors, acting_official_errors, parse_acting
from .repository import MasterData
from .schemas import employee_json, mask_email
from .tables import employees, repair_audit

REASON_MAX = 500
LIST_LIMIT_MAX = 500


# --- who may repair what -------------------------------------------------------------------------

def admin_caller(ctx: RequestContext) -> Caller:
    caller = require(ctx.caller)
    if not any(caller.has(r) for r in ADMIN_ROLES):
        raise forbidden("Only an agency or national admin can repair master data.",
                        "Hanya admin instansi atau admin nasional yang dapat memperbaiki data induk.")
    return caller


def require_scope(caller: Caller, agency_id: str) -> None:
    if not caller.administers(agency_id):
        raise forbidden(f"You administer only your own agency's master data, not {agency_id}'s.",
                        f"Anda hanya dapat mengelola data induk instansi Anda sendiri, bukan {agency_id}.")


def _invalid(field: str, rule: str, en: str, id_: str) -> Exception:
    return validation_error([FieldError(field, rule, en, id_)])


def _reason(reason: Any) -> str | None:
    if reason is None:
        return None
    if not isinstance(reason, str) or len(reason) > REASON_MAX:
        raise _invalid("reason", "text-max-500", f"reason must be text of at most {REASON_MAX} characters.",
                       f"reason harus berupa teks paling banyak {REASON_MAX} karakter.")
    return reason.strip() or None


def _employee(repo: MasterData, nip: str) -> Employee:
    require_nip(nip)
    found = repo.employee(nip)
    if found is None:
        raise not_found("employee", "Pegawai", nip)
    return found


# --- writing a change: the record, its events, its audit row -----------------------------------------

def _audit(s: Session, ctx: RequestContext, caller: Caller, action: str, agency_id: str, subject: str,
           before: dict[str, Any] | None, after: dict[str, Any] | None, reason: str | None) -> None:
    s.execute(repair_audit.insert().values(
        id=str(uuid.uuid4()), at=utcnow(), actor_nip=caller.nip, actor_roles=list(caller.roles),
        agency_id=agency_id, action=action, subject=subject, before=before, after=after, reason=reason,
        request_id=ctx.request_id))


def _announce(s: Session, outbox: Outbox, subject: str, events: Iterable[tuple[str, dict[str, Any]]]) -> list[str]:
    names = []
    for name, data in events:
        outbox.add(s, name, subject, data)
        rediagnose.touch(s, name, subject, data)
        names.append(name)
    return names


def _diff(old: Employee, new: Employee) -> tuple[dict[str, Any], dict[str, Any]]:
    a, b = old.to_dict(), new.to_dict()
    keys = [k for k in b if a.get(k) != b[k]]
    return {k: a.get(k) for k in keys}, {k: b[k] for k in keys}


def _change_employee(s: Session, outbox: Outbox, ctx: RequestContext, caller: Caller, action: str,
                     old: Employee, new: Employee, reason: str | None) -> dict[str, Any]:
    """The change, its events and audit row, and the override that makes it hold against the next
    imports and registry syncs until they agree (domain/overrides.py)."""
    repo = MasterData(s)
    events = changes.employee_events(old, new, repo.position_snapshot(new.position_id))
    names: list[str] = []
    field = overrides.ACTIONS[action]
    if events:
        repo.save_employee(new, True)
        names = _announce(s, outbox, new.nip, events)
        before, after = _diff(old, new)
        _audit(s, ctx, caller, action, new.agency_id, new.nip, before, after, reason)
        held_values.set_by_repair(s, new.nip, field, getattr(new, field), new.agency_id, caller.nip, caller.roles,
                                  reason, ctx.request_id)
        rediagnose.queue(s, [new.nip])
    held = next((o for o in repo.overrides(new.nip) if o.field == field), None)
    view = repo.employee_view(new.nip)
    assert view is not None  # the employee repaired (records are never deleted)
    return {"changed": bool(events), "events": names, "employee": employee_json(view),
            "override": overrides.to_json(held) if held else None}


# --- the repairs ---------------------------------------------------------------------------------------

def set_supervisor(factory: sessionmaker[Session], outbox: Outbox, ctx: RequestContext, nip: str,
                   supervisor_nip: str | None, reason: Any = None) -> dict[str, Any]:
    """Set the employee's supervisor, or reset it (`supervisor_nip` None): "reset struktur"."""
    caller = admin_caller(ctx)
    reason = _reason(reason)
    with unit_of_work(factory) as s:
        repo = MasterData(s)
        old = _employee(repo, nip)
        require_scope(caller, old.agency_id)
        if supervisor_nip is not None:
            try:
                parse_nip(supervisor_nip)
            except InvalidIdentifier as exc:
                raise validation_error([exc.field_error("supervisor_nip")]) from None
            if supervisor_nip == nip:
                raise _invalid("supervisor_nip", "not-self", "An employee cannot supervise themselves.",
                               "Pegawai tidak boleh menjadi atasan dirinya sendiri.")
            boss = repo.employee(supervisor_nip)
            if boss is None:
                raise _invalid("supervisor_nip", "exists", f"Employee {supervisor_nip} does not exist.",
                               f"Pegawai {supervisor_nip} tidak ada.")
            require_scope(caller, boss.agency_id)
            if boss.status != "active":
                raise _invalid("supervisor_nip", "active", "The supervisor must be an active employee.",
                               "Atasan harus pegawai aktif.")
            if creates_cycle(nip, supervisor_nip, repo.supervisor_of):
                raise _invalid("supervisor_nip", "no-cycle", "This supervisor would make the supervision chain loop.",
                               "Atasan ini membuat rantai atasan berputar.")
        new = dataclasses.replace(old, supervisor_nip=supervisor_nip)
        action = "supervisor.set" if supervisor_nip else "supervisor.reset"
        result = _change_employee(s, outbox, ctx, caller, action, old, new, reason)
        # The same rule as the diagnosis's: a supervisor outside the branch is allowed, and said.
        today = config.today()
        branch = rules.check_supervisor_branch(diagnosis.gather(s, nip, today.year, today, utcnow()))
        result["warnings"] = [branch.to_dict()] if branch.status == rules.WARNING else []
        return result


def set_status(factory: sessionmaker[Session], outbox: Outbox, ctx: RequestContext, nip: str, status: str,
               reason: Any = None) -> dict[str, Any]:
    """Deactivate (status "inactive") or reactivate ("active") an employee."""
    caller = admin_caller(ctx)
    reason = _reason(reason)
    if status not in ("active", "inactive"):
        raise _invalid("status", "one-of", "status must be one of: active, inactive.",
                       "status harus salah satu dari: active, inactive.")
    with unit_of_work(factory) as s:
        repo = MasterData(s)
        old = _employee(repo, nip)
        require_scope(caller, old.agency_id)
        if status == "inactive" and nip == caller.nip:
            raise _invalid("nip", "not-self", "An admin cannot deactivate their own record.",
                           "Admin tidak dapat menonaktifkan data dirinya sendiri.")
        new = dataclasses.replace(old, status=status)
        result = _change_employee(s, outbox, ctx, caller, "employee." + ("deactivate" if status == "inactive"
                                                                         else "reactivate"), old, new, reason)
        # Whose penilai this changes: skp then asks a PLT/PLH or the next supervisor up.
        result["subordinates"] = s.execute(select(func.count()).select_from(employees).where(
            employees.c.supervisor_nip == nip, employees.c.status == "active")).scalar_one()
        return result


def set_email(factory: sessionmaker[Session], outbox: Outbox, ctx: RequestContext, nip: str, email: str,
              reason: Any = None) -> dict[str, Any]:
    """Correct the registered email (activation and password-reset mails go there)."""
    caller = admin_caller(ctx)
    reason = _reason(reason)
    email = email.strip() if isinstance(email, str) else ""
    if len(email) > 254 or not EMAIL.match(email):
        raise _invalid("email", "email-format", "email is not a valid address.", "email bukan alamat yang valid.")
    with unit_of_work(factory) as s:
        repo = MasterData(s)
        old = _employee(repo, nip)
        require_scope(caller, old.agency_id)
        return _change_employee(s, outbox, ctx, caller, "email.set", old, dataclasses.replace(old, email=email),
                                reason)


def record_acting(factory: sessionmaker[Session], outbox: Outbox, ctx: RequestContext, record: dict[str, Any],
                  reason: Any = None) -> dict[str, Any]:
    """Record (or, with the `id` of an existing one, change or end early) an acting official: `nip`
    acts as PLT/PLH in the seat `position_id` of `unit_id` from `start_date` to `end_date`."""
    caller = admin_caller(ctx)
    reason = _reason(reason)
    if not isinstance(record, dict):
        raise _invalid("acting", "object", "The acting record must be an object.", "Data PLT/PLH harus berupa objek.")
    with unit_of_work(factory) as s:
        repo = MasterData(s)
        unit_id = record.get("unit_id")
        unit = repo.unit(unit_id) if isinstance(unit_id, str) and unit_id.strip() else None
        if unit is None and isinstance(unit_id, str) and unit_id.strip():
            raise _invalid("unit_id", "exists", f"Unit {unit_id} does not exist.", f"Unit {unit_id} tidak ada.")
        # The agency is the unit's: the caller does not have to name it.
        row = {**record, "id": record.get("id") or str(uuid.uuid4()), "agency_id": unit.agency_id if unit else "-"}
        try:
            new = parse_acting(row)
        except RowErrors as exc:
            raise validation_error(exc.errors) from None
        assert unit is not None  # a missing unit_id is a parse error above
        require_scope(caller, unit.agency_id)
        old = repo.acting(new.id)
        if old is not None:  # changing an existing assignment: it must be the caller's to change
            require_scope(caller, old.agency_id)
        if record.get("agency_id") not in (None, unit.agency_id):
            raise _invalid("agency_id", "same-agency", "The unit belongs to another agency.",
                           "Unit tersebut milik instansi lain.")
        position = repo.position(new.position_id)
        if position is None or position.agency_id != unit.agency_id:
            raise _invalid("position_id", "exists", f"Agency {unit.agency_id} has no position {new.position_id}.",
                           f"Instansi {unit.agency_id} tidak memiliki jabatan {new.position_id}.")
        official = repo.employee(new.nip)
        if official is not None:
            require_scope(caller, official.agency_id)
        errors = acting_official_errors(official, new)
        if errors:
            raise validation_error(errors)
        events = changes.acting_events(old, new)
        names: list[str] = []
        if events:
            repo.save_acting(new, old is not None)
            names = _announce(s, outbox, new.nip, events)
            _audit(s, ctx, caller, "acting.record", new.agency_id, new.id,
                   old.to_dict() if old else None, new.to_dict(), reason)
        return {"changed": bool(events), "events": names, "created": old is None and bool(events),
                "acting": new.to_dict()}


# --- reading, for the admin ------------------------------------------------------------------------

def unit_employees(factory: sessionmaker[Session], ctx: RequestContext, unit_id: str, offset: int = 0,
                   limit: int = 100) -> dict[str, Any]:
    """The employees of a unit, each with the codes of what the diagnosis finds wrong."""
    caller = admin_caller(ctx)
    offset, limit = max(0, int(offset)), max(1, min(int(limit), LIST_LIMIT_MAX))
    today = config.today()
    now = utcnow()
    with factory() as s:
        repo = MasterData(s)
        unit = repo.unit(unit_id)
        if unit is None:
            raise not_found("unit", "Unit", unit_id)
        require_scope(caller, unit.agency_id)
        total = s.execute(select(func.count()).select_from(employees)
                          .where(employees.c.unit_id == unit_id)).scalar_one()
        nips = s.execute(select(employees.c.nip).where(employees.c.unit_id == unit_id)
                         .order_by(employees.c.name, employees.c.nip).offset(offset).limit(limit)).scalars().all()
        items = []
        for nip in nips:
            facts = diagnosis.gather(s, nip, today.year, today, now)
            found = rules.diagnose(facts)
            view = repo.employee_view(nip)
            assert view is not None  # its NIP was just read in this transaction, and records are never deleted
            items.append({**employee_json(view), "updated_at": as_utc(view["updated_at"]).isoformat(),
                          "problems": [f.code for f in found if f.status == rules.PROBLEM],
                          "warnings": [f.code for f in found if f.status == rules.WARNING]})
    return {"unit": {"id": unit.id, "name": unit.name, "kind": unit.kind, "agency_id": unit.agency_id},
            "total": total, "offset": offset, "limit": limit, "employees": items}


def repair_log(factory: sessionmaker[Session], ctx: RequestContext, nip: str | None = None,
               limit: int = 100) -> dict[str, Any]:
    """The repairs made in the caller's agency (a national admin: everywhere), newest first."""
    caller = admin_caller(ctx)
    limit = max(1, min(int(limit), LIST_LIMIT_MAX))
    query = select(repair_audit).order_by(repair_audit.c.at.desc()).limit(limit)
    if not caller.has("admin_nasional"):
        query = query.where(repair_audit.c.agency_id == caller.agency_id)
    if nip:
        query = query.where(repair_audit.c.subject == nip)
    with factory() as s:
        rows = s.execute(query).mappings().all()
    return {"repairs": [_log_entry(r) for r in rows]}


def _log_entry(r: Any) -> dict[str, Any]:
    entry = {"id": r["id"], "at": as_utc(r["at"]).isoformat(), "actor_nip": r["actor_nip"],
             "agency_id": r["agency_id"], "action": r["action"], "subject": r["subject"],
             "before": _masked(r["before"]), "after": _masked(r["after"]), "reason": r["reason"],
             "request_id": r["request_id"], "run_id": r["run_id"]}
    if r["action"] == overrides.CLEARED:
        # Without an actor, an import or a registry sync (run_id) came to agree; with one, the
        # admin's repair gave back what the registry last said.
        by = None if r["actor_nip"] is None else "admin"
        entry["note"], entry["note_id"] = overrides.cleared_note(
            r["before"], overrides.REGISTRY if r["run_id"] else overrides.IMPORT, by)
    return entry


def _masked(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values and isinstance(values.get("email"), str):
        return {**values, "email": mask_email(values["email"])}
    return values

