"""SKP use cases, each given a session factory and the request context (no nameko here)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel import rules
from ekinerja_kernel.caller import Caller, RequestContext, forbidden, require
from ekinerja_kernel.db import unit_of_work
from ekinerja_kernel.errors import DomainError, FieldError, not_found, validation_error
from ekinerja_kernel.events import as_utc, utcnow
from ekinerja_kernel.outbox import Outbox

from . import findings, staff
from .domain import berakhlak
from .domain.plan import Iki, Rhk, coverage, parse_plan
from .domain.refusals import (
    NO_SUPERVISOR,
    NO_UNIT_POSITION,
    NOT_ACTIVE,
    PENILAI_MISSING,
    SUPERVISOR_SKP_MISSING,
    refusal,
)
from .domain.workflow import Actor, State, transition
from .tables import history, rhks, skps

YEARS = range(2020, 2101)


def _is_top_official(emp: Any) -> bool:
    """JPT write their RHK from the organisation's plan; so does whoever heads the chain."""
    return emp.supervisor_nip is None or (emp.jenjang or "").startswith("JPT")


# --- reading ---------------------------------------------------------------------------------

def _skp(s: Session, skp_id: str, lock: bool = False) -> Any:
    query = select(skps).where(skps.c.id == skp_id)
    row = s.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise not_found("SKP", "SKP", skp_id)
    return row


def _rhk_rows(s: Session, skp_id: str, version: int) -> list[Any]:
    return s.execute(select(rhks).where(rhks.c.skp_id == skp_id, rhks.c.version == version)
                     .order_by(rhks.c.position)).all()


def _may_read(s: Session, caller: Caller, row: Any) -> bool:
    return (caller.nip == row.nip or caller.administers(row.agency_id)
            or staff.in_chain_above(s, caller.nip, row.nip))


def _view(s: Session, row: Any, version: int | None = None) -> dict[str, Any]:
    version = version or row.version
    owner = staff.employee(s, row.nip)
    penilai = staff.penilai(s, row.nip)
    return {
        "id": row.id, "nip": row.nip, "name": owner.name if owner else None, "year": row.year,
        "approach": row.approach, "state": row.state, "version": row.version,
        "approved_version": row.approved_version, "top_official": row.top_official,
        "penilai_nip": penilai.nip,
        "penilai_basis": penilai.basis.value if penilai.basis else None, "note": row.note,
        "rhk": [{"id": r.id, "kind": r.kind, "text": r.text, "intervenes": r.intervenes, "iki": r.iki}
                for r in _rhk_rows(s, row.id, version)],
        "perilaku": row.perilaku, "updated_at": as_utc(row.updated_at).isoformat(),
    }


def get_skp(factory: sessionmaker[Session], ctx: RequestContext, skp_id: str) -> dict[str, Any]:
    caller = require(ctx.caller)
    with factory() as s:
        row = _skp(s, skp_id)
        if not _may_read(s, caller, row):
            raise _not_yours()
        return {**_view(s, row), "history": [
            {"version": h.version, "action": h.action, "actor_nip": h.actor_nip, "state": h.state, "note": h.note,
             "at": as_utc(h.at).isoformat()}
            for h in s.execute(select(history).where(history.c.skp_id == skp_id).order_by(history.c.id))]}


def my_skps(factory: sessionmaker[Session], ctx: RequestContext) -> dict[str, Any]:
    caller = require(ctx.caller)
    with factory() as s:
        rows = s.execute(select(skps).where(skps.c.nip == caller.nip).order_by(skps.c.year.desc())).all()
        return {"skps": [_summary(s, r) for r in rows]}


def _summary(s: Session, row: Any) -> dict[str, Any]:
    owner = staff.employee(s, row.nip)
    return {"id": row.id, "nip": row.nip, "name": owner.name if owner else None, "year": row.year,
            "state": row.state, "version": row.version, "approved_version": row.approved_version}


def team(factory: sessionmaker[Session], ctx: RequestContext, year: int) -> dict[str, Any]:
    """My direct team's SKPs for a year by state, who has none yet, and what waits for my action."""
    caller = require(ctx.caller)
    with factory() as s:
        members = staff.team(s, caller.nip)
        result: dict[str, list[dict[str, Any]]] = {"belum_dibuat": [], "draft": [], "diajukan": [], "disetujui": []}
        for m in members:
            row = s.execute(select(skps).where(skps.c.nip == m.nip, skps.c.year == year)).first()
            if row is None:
                result["belum_dibuat"].append({"nip": m.nip, "name": m.name})
            else:
                result[row.state].append(_summary(s, row))
        return {"year": year, "team": result, "waiting_for_me": result["diajukan"]}


def cascade(factory: sessionmaker[Session], ctx: RequestContext, skp_id: str) -> dict[str, Any]:
    """For each of my RHK: which subordinate RHK intervene it, and whether their targets cover mine."""
    caller = require(ctx.caller)
    with factory() as s:
        row = _skp(s, skp_id)
        if not _may_read(s, caller, row):
            raise _not_yours()
        version = row.approved_version or row.version
        result = []
        for mine in _rhk_rows(s, row.id, version):
            children = s.execute(select(rhks, skps.c.nip, skps.c.version.label("skp_version"),
                                        skps.c.approved_version)
                                 .join(skps, skps.c.id == rhks.c.skp_id)
                                 .where(rhks.c.intervenes == mine.id)).all()
            current = [c for c in children if c.version == (c.approved_version or c.skp_version)]
            result.append({
                "rhk_id": mine.id, "text": mine.text,
                "intervened_by": [{"nip": c.nip, "rhk_id": c.id, "text": c.text} for c in current],
                "coverage": coverage(_kuantitas(mine.iki), [_kuantitas(c.iki) for c in current]),
            })
        return {"skp_id": row.id, "rhk": result}


def _kuantitas(iki: list[dict[str, Any]]) -> Iki | None:
    item = next((i for i in iki if i.get("aspek") == "kuantitas"), None)
    return Iki(item["aspek"], item["indikator"], item["target"], item["satuan"]) if item else None


# --- planning --------------------------------------------------------------------------------

def _supervisor_plan_rhk(s: Session, owner: Any, year: int) -> list[Any]:
    """The supervisor's RHK that a subordinate may intervene (from their approved plan, else the
    plan in progress); refuses with who to ask when the supervisor has no SKP yet."""
    boss = staff.employee(s, owner.supervisor_nip)
    row = s.execute(select(skps).where(skps.c.nip == owner.supervisor_nip, skps.c.year == year)).first()
    if row is None:
        name = boss.name if boss else owner.supervisor_nip
        raise refusal(
            SUPERVISOR_SKP_MISSING,
            f"Your supervisor {name} (NIP {owner.supervisor_nip}) has not made their SKP for {year} yet. "
            "Your RHK must intervene theirs: ask them to make it first.",
            f"Atasan Anda {name} (NIP {owner.supervisor_nip}) belum membuat SKP tahun {year}. "
            "RHK Anda harus mengintervensi RHK atasan: minta atasan membuatnya terlebih dahulu.",
            findings.diagnosis(s, owner.nip), year=year, supervisor_nip=owner.supervisor_nip,
            extra={"supervisor_nip": owner.supervisor_nip})
    return _rhk_rows(s, row.id, row.approved_version or row.version)


def intervenable(s: Session, owner: Any, year: int) -> list[Any]:
    """The supervisor's RHK rows the owner's RHK may intervene, by the planning rule: none without a
    supervisor; for a top official (a JPT under another) their superior's plan if it exists."""
    if owner.supervisor_nip is None:
        return []
    if _is_top_official(owner):
        try:
            return _supervisor_plan_rhk(s, owner, year)
        except DomainError:
            return []
    return _supervisor_plan_rhk(s, owner, year)


def _owner(s: Session, caller: Caller) -> Any:
    owner = staff.employee(s, caller.nip)
    if owner is None or owner.status != "active":
        raise refusal(NOT_ACTIVE, "Your master data is not here or not active yet; see /api/v1/me for details.",
                      "Data induk Anda belum ada atau tidak aktif; lihat /api/v1/me untuk rinciannya.",
                      findings.diagnosis(s, caller.nip))
    _check_master_data(s, owner)
    return owner


def _check_master_data(s: Session, owner: Any) -> None:
    """What sync's diagnosis shows as blocking the SKP, by the same kernel rules, refused with its
    finding: a unit and a position recorded, and a supervisor unless heading the organisation."""
    missing = rules.missing_unit_position(owner.unit_id, owner.position_id)
    if missing:
        words = {"unit": ("unit (unor)", "unit organisasi (unor)"), "position": ("position (jabatan)", "jabatan")}
        raise refusal(NO_UNIT_POSITION,
                      f"No {' and no '.join(words[m][0] for m in missing)} is recorded for you in master data: an "
                      "SKP is made for a position in a unit. Your agency admin records them in SIASN.",
                      f"{' dan '.join(words[m][1] for m in missing).capitalize()} Anda belum tercatat di data induk: "
                      "SKP dibuat untuk jabatan pada suatu unit. Admin instansi mencatatnya di SIASN.",
                      findings.diagnosis(s, owner.nip), extra={"missing": list(missing)})
    if rules.lacks_supervisor(owner.supervisor_nip, owner.jenjang):
        raise refusal(NO_SUPERVISOR, "You have no pejabat penilai in master data, and only the head of an "
                                     "organisation (a JPT with nobody above) publishes without one: ask your "
                                     "agency admin to set your supervisor.",
                      "Anda tidak memiliki pejabat penilai di data induk, dan hanya pimpinan organisasi (JPT tanpa "
                      "atasan) yang menerbitkan SKP tanpa atasan: minta admin instansi mengisi atasan Anda.",
                      findings.diagnosis(s, owner.nip))


def _plan(s: Session, owner: Any, year: int, approach: Any, raw_rhk: Any,
          choices: list[Any] | None = None) -> list[Rhk]:
    """The plan checked by the rules; `choices` are the intervenable RHK when already read."""
    allowed = [r.id for r in (intervenable(s, owner, year) if choices is None else choices)]
    return parse_plan(approach, raw_rhk, _is_top_official(owner), allowed)


def _store_rhk(s: Session, skp_id: str, version: int, plan: list[Rhk]) -> None:
    for i, rhk in enumerate(plan):
        s.execute(insert(rhks).values(
            id=str(uuid.uuid4()), skp_id=skp_id, version=version, position=i, kind=rhk.kind, text=rhk.text,
            intervenes=rhk.intervenes,
            iki=[{"aspek": k.aspek, "indikator": k.indikator, "target": k.target, "satuan": k.satuan}
                 for k in rhk.iki]))


def _record(s: Session, skp_id: str, version: int, action: str, actor: str, state: State,
            note: str | None = None) -> None:
    s.execute(insert(history).values(skp_id=skp_id, version=version, action=action, actor_nip=actor,
                                     state=state.value, note=note, at=utcnow()))


def _year(year: Any) -> int:
    if not isinstance(year, int) or year not in YEARS:
        raise validation_error([FieldError("year", "year", "year must be a year such as 2026.",
                                           "year harus berupa tahun, mis. 2026.")])
    return year


def create_draft(s: Session, owner: Any, year: int, approach: str,
                 ekspektasi_khusus: dict[str, str] | None = None) -> Any:
    """A new, empty draft SKP (the caller stores its RHK); refused when the year already has one."""
    if s.execute(select(skps.c.id).where(skps.c.nip == owner.nip, skps.c.year == year)).first():
        raise DomainError(code="skp-exists", status=409, title="SKP already exists",
                          detail=f"You already have an SKP for {year}: edit it or make a revision.",
                          detail_id=f"Anda sudah memiliki SKP tahun {year}: ubah atau buat revisinya.")
    skp_id, now = str(uuid.uuid4()), utcnow()
    s.execute(insert(skps).values(
        id=skp_id, nip=owner.nip, year=year, agency_id=owner.agency_id, approach=approach, state="draft",
        version=1, approved_version=None, top_official=_is_top_official(owner),
        perilaku=berakhlak.perilaku_sheet(ekspektasi_khusus), note=None, created_at=now, updated_at=now))
    _record(s, skp_id, 1, "create", owner.nip, State.DRAFT)
    return _skp(s, skp_id)


def create_skp(factory: sessionmaker[Session], ctx: RequestContext, year: int, approach: str,
               rhk: list[dict[str, Any]], ekspektasi_khusus: dict[str, str] | None = None) -> dict[str, Any]:
    caller = require(ctx.caller)
    year = _year(year)
    with unit_of_work(factory) as s:
        owner = _owner(s, caller)
        plan = _plan(s, owner, year, approach, rhk)
        row = create_draft(s, owner, year, approach, ekspektasi_khusus)
        _store_rhk(s, row.id, 1, plan)
        return _view(s, row)


def update_skp(factory: sessionmaker[Session], ctx: RequestContext, skp_id: str, approach: str,
               rhk: list[dict[str, Any]]) -> dict[str, Any]:
    caller = require(ctx.caller)
    with unit_of_work(factory) as s:
        row = _skp(s, skp_id, lock=True)
        transition("edit", State(row.state), Actor.OWNER if caller.nip == row.nip else None)
        owner = _owner(s, caller)
        plan = _plan(s, owner, row.year, approach, rhk)
        s.execute(rhks.delete().where(rhks.c.skp_id == skp_id, rhks.c.version == row.version))
        _store_rhk(s, skp_id, row.version, plan)
        s.execute(update(skps).where(skps.c.id == skp_id).values(approach=approach, updated_at=utcnow()))
        _record(s, skp_id, row.version, "edit", caller.nip, State.DRAFT)
        return _view(s, _skp(s, skp_id))


# --- workflow --------------------------------------------------------------------------------

def _not_yours() -> DomainError:
    return forbidden("This SKP is not yours, not your team's, and not in your agency.",
                     "SKP ini bukan milik Anda, bukan milik tim Anda, dan bukan di instansi Anda.")


def _actor(s: Session, caller: Caller, row: Any) -> Actor | None:
    if caller.nip == row.nip:
        return Actor.OWNER
    if staff.penilai(s, row.nip).may_act(caller.nip):
        return Actor.PENILAI
    return None


def _check_penilai_exists(s: Session, action: str, nip: str) -> None:
    owner = staff.employee(s, nip)
    if owner is not None and action in ("submit", "approve", "publish"):
        _check_master_data(s, owner)
    penilai = staff.penilai(s, nip)
    if action == "publish" and penilai.supervisor_nip is not None:
        raise DomainError(code="has-penilai", status=409, title="Needs approval",
                          detail="You have a pejabat penilai: submit your SKP for approval instead.",
                          detail_id="Anda memiliki pejabat penilai: ajukan SKP Anda untuk disetujui.")
    if action != "submit":
        return
    if penilai.supervisor_nip is None:
        raise refusal(NO_SUPERVISOR, "You have no pejabat penilai in master data: publish your SKP, or ask your "
                                     "agency admin to set your supervisor.",
                      "Anda tidak memiliki pejabat penilai di data induk: terbitkan SKP Anda, atau minta admin "
                      "instansi mengisi atasan Anda.", findings.diagnosis(s, nip))
    if penilai.nip is None:
        boss = staff.employee(s, penilai.supervisor_nip)
        name = boss.name if boss else penilai.supervisor_nip
        raise refusal(PENILAI_MISSING,
                      f"Your supervisor {name} (NIP {penilai.supervisor_nip}) is not active, nobody acts in their "
                      "position (PLT/PLH) and nobody active is above them. Ask your agency admin to set your "
                      "supervisor or record an acting official.",
                      f"Atasan Anda {name} (NIP {penilai.supervisor_nip}) tidak aktif, tidak ada PLT/PLH pada "
                      "jabatannya, dan tidak ada atasan aktif di atasnya. Minta admin instansi mengisi atasan Anda "
                      "atau mencatat PLT/PLH.",
                      findings.diagnosis(s, nip), supervisor_nip=penilai.supervisor_nip,
                      extra={"supervisor_nip": penilai.supervisor_nip})


def _rhk_event(s: Session, row: Any, version: int) -> list[dict[str, Any]]:
    return [{"id": r.id, "kind": r.kind, "text": r.text, "intervenes": r.intervenes, "iki": r.iki}
            for r in _rhk_rows(s, row.id, version)]


def act(factory: sessionmaker[Session], outbox: Outbox, ctx: RequestContext, skp_id: str, action: str,
        note: str | None = None) -> dict[str, Any]:
    """submit / approve / return / revise / publish, each checked by the state machine."""
    caller = require(ctx.caller)
    if action == "return" and not (isinstance(note, str) and note.strip()):
        raise validation_error([FieldError("note", "required", "Say what must change when returning an SKP.",
                                           "Tuliskan apa yang harus diperbaiki saat mengembalikan SKP.")])
    with unit_of_work(factory) as s:
        row = _skp(s, skp_id, lock=True)
        actor = _actor(s, caller, row)
        if actor is None and not _may_read(s, caller, row):
            raise _not_yours()
        _check_penilai_exists(s, action, row.nip)
        new_state = transition(action, State(row.state), actor)
        values: dict[str, Any] = {"state": new_state.value, "updated_at": utcnow()}
        version = row.version
        if action in ("approve", "publish"):
            values.update(approved_version=row.version, note=None)
        elif action == "return":
            values["note"] = note.strip()
        elif action == "revise":
            version = row.version + 1
            values.update(version=version, note=None)
            for r in _rhk_rows(s, row.id, row.version):
                s.execute(insert(rhks).values(id=str(uuid.uuid4()), skp_id=row.id, version=version,
                                              position=r.position, kind=r.kind, text=r.text,
                                              intervenes=r.intervenes, iki=r.iki))
        elif action == "submit":
            values["note"] = None
        s.execute(update(skps).where(skps.c.id == skp_id).values(**values))
        _record(s, skp_id, version, action, caller.nip, new_state, note)
        event = {"submit": "skp.submitted", "approve": "skp.approved", "publish": "skp.approved",
                 "return": "skp.returned"}.get(action)
        if event:
            data = {"skp_id": row.id, "nip": row.nip, "year": row.year, "agency_id": row.agency_id,
                    "version": version, "state": new_state.value, "actor_nip": caller.nip}
            if event == "skp.approved":
                data["rhk"] = _rhk_event(s, row, version)  # what daily progress offers as choices
            if event == "skp.returned":
                data["note"] = note.strip()
            outbox.add(s, event, row.nip, data)
        return _view(s, _skp(s, skp_id))
