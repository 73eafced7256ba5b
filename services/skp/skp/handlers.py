"""SKP use cases, each given a session factory and the request context (no nameko here)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel import config, rules
from ekinerja_kernel.caller import Caller, RequestContext, forbidden, require
from ekinerja_kernel.db import unit_of_work
from ekinerja_kernel.errors import DomainError, FieldError, not_found, validation_error
from ekinerja_kernel.events import as_utc, utcnow
from ekinerja_kernel.outbox import Outbox

from . import findings, monitoring, staff
from .domain import berakhlak, links
from .domain.matriks import ProposalState
from .domain.periods import check_year_open
from .domain.plan import Iki, Rhk, coverage, parse_plan
from .domain.refusals import (
    NO_SUPERVISOR,
    NO_UNIT_POSITION,
    NOT_ACTIVE,
    PENILAI_MISSING,
    SUPERVISOR_SKP_MISSING,
    refusal,
)
from .domain.workflow import Actor, State, check_ekspektasi, transition
from .tables import history, periods, proposals, rhk_moves, rhks, skps

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


def _rhk_rows(s: Session, skp_id: str, version: int) -> Sequence[Any]:
    return s.execute(select(rhks).where(rhks.c.skp_id == skp_id, rhks.c.version == version)
                     .order_by(rhks.c.position)).all()


def _in_force_rows(s: Session, row: Any) -> Sequence[Any]:
    """The RHK of the version in force (none while the SKP was never approved or published)."""
    return _rhk_rows(s, row.id, row.approved_version) if rules.skp_in_force(row.approved_version) else []


def _may_read(s: Session, caller: Caller, row: Any) -> bool:
    return (caller.nip == row.nip or caller.administers(row.agency_id)
            or staff.in_chain_above(s, caller.nip, row.nip))


def _not_yours(s: Session, caller: Caller, row: Any) -> DomainError:
    """The refusal to someone who may not see this SKP, saying what is true for them."""
    owner = staff.employee(s, row.nip)
    name = owner.name if owner else f"NIP {row.nip}"
    rule_en = "An SKP is read by its owner, those above them in the supervision chain, and the agency admin."
    rule_id = "SKP dibaca oleh pemiliknya, atasan di jenjang di atasnya, dan admin instansi."
    if caller.agency_id != row.agency_id:
        return forbidden(f"This SKP belongs to an employee of another agency. {rule_en}",
                         f"SKP ini milik pegawai instansi lain. {rule_id}")
    if staff.in_chain_above(s, row.nip, caller.nip):
        return forbidden(f"This is the SKP of {name}, above you in the supervision chain. {rule_en} The RHK you "
                         "may intervene are listed at GET /api/v1/skp/intervenable.",
                         f"Ini SKP {name}, atasan Anda. {rule_id} RHK yang dapat Anda intervensi tersedia di "
                         "GET /api/v1/skp/intervenable.")
    return forbidden(f"This SKP belongs to {name}: you are not above them in the supervision chain, nor an admin "
                     f"of the agency. {rule_en}",
                     f"SKP ini milik {name}: Anda bukan atasannya dan bukan admin instansi. {rule_id}")


def _check_read(s: Session, caller: Caller, row: Any) -> None:
    if not _may_read(s, caller, row):
        raise _not_yours(s, caller, row)


def _intervened_texts(s: Session, ids: Iterable[str]) -> dict[str, str]:
    """The text of each RHK named by id, in the version of its SKP in force (else in progress)."""
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    current = func.coalesce(skps.c.approved_version, skps.c.version)
    found = s.execute(select(rhks.c.id, rhks.c.text).join(skps, skps.c.id == rhks.c.skp_id)
                      .where(rhks.c.id.in_(wanted), rhks.c.version == current)).all()
    return {r.id: r.text for r in found}


def _rhk_view(r: Any, texts: dict[str, str]) -> dict[str, Any]:
    return {"id": r.id, "kind": r.kind, "text": r.text, "intervenes": r.intervenes,
            "intervenes_text": texts.get(r.intervenes) if r.intervenes else None, "iki": r.iki}


def _view(s: Session, row: Any, version: int | None = None) -> dict[str, Any]:
    version = version or row.version
    owner = staff.employee(s, row.nip)
    penilai = staff.penilai(s, row.nip)
    rows = _rhk_rows(s, row.id, version)
    texts = _intervened_texts(s, (r.intervenes for r in rows))
    pending = s.execute(select(rhk_moves).where(rhk_moves.c.skp_id == row.id, rhk_moves.c.version == version,
                                                rhk_moves.c.applied_at.is_(None))).all()
    return {
        "id": row.id, "nip": row.nip, "name": owner.name if owner else None, "year": row.year,
        "approach": row.approach, "state": row.state, "version": row.version,
        "approved_version": row.approved_version, "top_official": row.top_official,
        "penilai_nip": penilai.nip,
        "penilai_basis": penilai.basis.value if penilai.basis else None, "note": row.note,
        "rhk": [_rhk_view(r, texts) for r in rows],
        # RHK in force that this version removes, and which RHK takes over their links once it is approved.
        "moves": [{"from": m.from_rhk_id, "to": m.to_rhk_id} for m in pending],
        "perilaku": row.perilaku, "updated_at": as_utc(row.updated_at).isoformat(),
    }


def get_skp(factory: sessionmaker[Session], ctx: RequestContext, skp_id: str) -> dict[str, Any]:
    caller = require(ctx.caller)
    with factory() as s:
        row = _skp(s, skp_id)
        _check_read(s, caller, row)
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


def _intervening(s: Session, rhk_ids: Iterable[str], exclude_skp: str | None = None) -> Sequence[Any]:
    """The RHK of other SKPs, in their current versions (in force, and a revision in progress),
    that intervene one of `rhk_ids`."""
    wanted = set(rhk_ids)
    if not wanted:
        return []
    query = (select(rhks, skps.c.nip, skps.c.version.label("skp_version"), skps.c.approved_version)
             .join(skps, skps.c.id == rhks.c.skp_id)
             .where(rhks.c.intervenes.in_(wanted),
                    or_(rhks.c.version == skps.c.version, rhks.c.version == skps.c.approved_version)))
    if exclude_skp is not None:
        query = query.where(skps.c.id != exclude_skp)
    return s.execute(query.order_by(skps.c.nip, rhks.c.position)).all()


def _intervened_by(s: Session, rhk_id: str) -> list[Any]:
    """Who intervenes one RHK, as their plan stands (the version in force, else in progress)."""
    return [c for c in _intervening(s, [rhk_id]) if c.version == (c.approved_version or c.skp_version)]


def _people(s: Session, rows: Iterable[Any]) -> list[dict[str, Any]]:
    result = []
    for c in rows:
        person = staff.employee(s, c.nip)
        result.append({"nip": c.nip, "name": person.name if person else None, "rhk_id": c.id, "text": c.text})
    return result


def cascade(factory: sessionmaker[Session], ctx: RequestContext, skp_id: str) -> dict[str, Any]:
    """For each of my RHK: which subordinate RHK intervene it, and whether their targets cover mine."""
    caller = require(ctx.caller)
    with factory() as s:
        row = _skp(s, skp_id)
        _check_read(s, caller, row)
        version = row.approved_version or row.version
        result = []
        for mine in _rhk_rows(s, row.id, version):
            current = _intervened_by(s, mine.id)
            result.append({
                "rhk_id": mine.id, "text": mine.text, "intervened_by": _people(s, current),
                "coverage": coverage(_kuantitas(mine.iki), [_kuantitas(c.iki) for c in current]),
            })
        return {"skp_id": row.id, "rhk": result}


def _kuantitas(iki: list[dict[str, Any]]) -> Iki | None:
    item = next((i for i in iki if i.get("aspek") == "kuantitas"), None)
    return Iki(item["aspek"], item["indikator"], item["target"], item["satuan"]) if item else None


# --- planning --------------------------------------------------------------------------------

def _supervisor_skp(s: Session, owner: Any, year: int) -> Any:
    """The supervisor's SKP of `year` in force (kernel rules.skp_in_force, the rule sync's diagnosis
    applies); refuses with who to ask while they have none in force."""
    row = s.execute(select(skps).where(skps.c.nip == owner.supervisor_nip, skps.c.year == year)).first()
    if row is not None and rules.skp_in_force(row.approved_version):
        return row
    boss = staff.employee(s, owner.supervisor_nip)
    name = boss.name if boss else owner.supervisor_nip
    raise refusal(
        SUPERVISOR_SKP_MISSING,
        f"Your supervisor {name} (NIP {owner.supervisor_nip}) has no approved or published SKP for {year} yet. "
        "Your RHK must intervene theirs: ask them to make it and have it approved first.",
        f"Atasan Anda {name} (NIP {owner.supervisor_nip}) belum memiliki SKP tahun {year} yang disetujui atau "
        "diterbitkan. RHK Anda harus mengintervensi RHK atasan: minta atasan membuatnya dan menyelesaikan "
        "persetujuannya terlebih dahulu.",
        findings.diagnosis(s, owner.nip), year=year, supervisor_nip=owner.supervisor_nip,
        extra={"supervisor_nip": owner.supervisor_nip, "supervisor_skp_state": row.state if row else None})


def intervenable(s: Session, owner: Any, year: int) -> Sequence[Any]:
    """The supervisor's RHK rows the owner's RHK may intervene: those in force. None without a
    supervisor; for a top official (a JPT under another) their superior's plan if it is in force."""
    if owner.supervisor_nip is None:
        return []
    try:
        return _in_force_rows(s, _supervisor_skp(s, owner, year))
    except DomainError:
        if _is_top_official(owner):
            return []
        raise


def intervenable_choices(factory: sessionmaker[Session], ctx: RequestContext, year: int) -> dict[str, Any]:
    """The supervisor's RHK in force that my RHK may intervene for `year`: text, targets, and who
    already intervenes each."""
    caller = require(ctx.caller)
    year = _year(year)
    with factory() as s:
        owner = _owner(s, caller)
        rows = intervenable(s, owner, year)
        boss = staff.employee(s, owner.supervisor_nip)
        return {"year": year, "required": not _is_top_official(owner),
                "supervisor": {"nip": boss.nip, "name": boss.name} if boss else None,
                "skp_id": rows[0].skp_id if rows else None,
                "rhk": [{"id": r.id, "kind": r.kind, "text": r.text, "iki": r.iki,
                         "intervened_by": _people(s, _intervened_by(s, r.id))} for r in rows]}


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


def _choices(rows: Iterable[Any]) -> list[dict[str, str]]:
    return [{"id": r.id, "text": r.text} for r in rows]


def _plan(s: Session, owner: Any, year: int, approach: Any, raw_rhk: Any,
          choices: Sequence[Any] | None = None) -> list[Rhk]:
    """The plan checked by the rules; `choices` are the intervenable RHK when already read. A wrong
    or missing `intervenes` answers with the `choices` (id and text) that may be named."""
    rows = intervenable(s, owner, year) if choices is None else choices
    try:
        return parse_plan(approach, raw_rhk, _is_top_official(owner), [r.id for r in rows], year=year)
    except DomainError as error:
        if any(e.field.endswith(".intervenes") for e in error.errors):
            error.extra["choices"] = _choices(rows)
        raise


def _iki_dicts(rhk: Rhk) -> list[dict[str, str]]:
    return [{"aspek": k.aspek, "indikator": k.indikator, "target": k.target, "satuan": k.satuan} for k in rhk.iki]


def _store_rhk(s: Session, skp_id: str, version: int, plan: list[Rhk], ids: list[str] | None = None) -> None:
    for i, rhk in enumerate(plan):
        s.execute(insert(rhks).values(
            id=ids[i] if ids else str(uuid.uuid4()), skp_id=skp_id, version=version, position=i, kind=rhk.kind,
            text=rhk.text, intervenes=rhk.intervenes, iki=_iki_dicts(rhk)))


def _record(s: Session, skp_id: str, version: int, action: str, actor: str, state: State,
            note: str | None = None) -> None:
    s.execute(insert(history).values(skp_id=skp_id, version=version, action=action, actor_nip=actor,
                                     state=state.value, note=note, at=utcnow()))


def _year(year: Any) -> int:
    if not isinstance(year, int) or isinstance(year, bool) or year not in YEARS:
        raise validation_error([FieldError("year", "year", "year must be a year such as 2026.",
                                           "year harus berupa tahun, mis. 2026.")])
    return year


def _check_year_open(s: Session, agency_id: str | None, year: int) -> None:
    defined = s.execute(select(periods.c.year).where(periods.c.agency_id == agency_id).distinct()).scalars()
    check_year_open(year, config.today(), list(defined))


def create_draft(s: Session, owner: Any, year: int, approach: str) -> Any:
    """A new, empty draft SKP (the caller stores its RHK) for a year the agency has open; refused
    when the year already has one."""
    _check_year_open(s, owner.agency_id, year)
    if s.execute(select(skps.c.id).where(skps.c.nip == owner.nip, skps.c.year == year)).first():
        raise DomainError(code="skp-exists", status=409, title="SKP already exists",
                          detail=f"You already have an SKP for {year}: edit it or make a revision.",
                          detail_id=f"Anda sudah memiliki SKP tahun {year}: ubah atau buat revisinya.")
    skp_id, now = str(uuid.uuid4()), utcnow()
    monitoring.touch_plan(s, owner.nip, year)
    s.execute(insert(skps).values(
        id=skp_id, nip=owner.nip, year=year, agency_id=owner.agency_id, approach=approach, state="draft",
        version=1, approved_version=None, top_official=_is_top_official(owner),
        perilaku=berakhlak.perilaku_sheet(), note=None, created_at=now, updated_at=now))
    _record(s, skp_id, 1, "create", owner.nip, State.DRAFT)
    return _skp(s, skp_id)


def create_skp(factory: sessionmaker[Session], ctx: RequestContext, year: int, approach: str,
               rhk: list[dict[str, Any]]) -> dict[str, Any]:
    caller = require(ctx.caller)
    year = _year(year)
    with unit_of_work(factory) as s:
        owner = _owner(s, caller)
        _check_year_open(s, owner.agency_id, year)
        plan = _plan(s, owner, year, approach, rhk)
        if any(r.id or r.replaces for r in plan):
            raise validation_error([FieldError(f"rhk[{i}].{'id' if r.id else 'replaces'}", "new-skp",
                                               "A new SKP has no RHK yet to keep or replace.",
                                               "SKP baru belum memiliki RHK untuk dipertahankan atau diganti.")
                                    for i, r in enumerate(plan) if r.id or r.replaces])
        row = create_draft(s, owner, year, approach)
        _store_rhk(s, row.id, 1, plan)
        return _view(s, row)


def _dependents(s: Session, row: Any, removed: Iterable[str], in_force: set[str]) -> dict[str, list[links.Dependent]]:
    """Who links to each RHK of `row` about to be removed: subordinates' RHK intervening it, open
    matriks cells laid out on it, and (for an RHK in force) the owner's daily entries."""
    removed = set(removed)
    found: dict[str, list[links.Dependent]] = {r: [] for r in removed}
    seen: set[tuple[str, str]] = set()
    for c in _intervening(s, removed, exclude_skp=row.id):
        if (c.intervenes, c.id) in seen:
            continue
        seen.add((c.intervenes, c.id))
        person = staff.employee(s, c.nip)
        found[c.intervenes].append(links.Dependent("intervenes", c.nip, person.name if person else None,
                                                   c.id, c.text))
    for p in s.execute(select(proposals).where(proposals.c.parent_rhk_id.in_(removed),
                                               proposals.c.state == ProposalState.DIUSULKAN.value)):
        person = staff.employee(s, p.nip)
        found[p.parent_rhk_id].append(links.Dependent("matriks", p.nip, person.name if person else None,
                                                      text=p.text))
    owner = staff.employee(s, row.nip)
    for rhk_id in removed & in_force:
        found[rhk_id].append(links.Dependent("harian", row.nip, owner.name if owner else None))
    return found


def _apply_moves(s: Session, row: Any, moved: dict[str, str], actor: str) -> None:
    """The links of each removed RHK now point to the RHK that took it over: the subordinates' RHK
    (their plan's history says so) and the open matriks cells."""
    if not moved:
        return
    texts = {r.id: r.text for r in _rhk_rows(s, row.id, row.version)}  # the version the links move to
    for c in _intervening(s, moved, exclude_skp=row.id):
        s.execute(update(rhks).where(rhks.c.id == c.id, rhks.c.version == c.version)
                  .values(intervenes=moved[c.intervenes]))
        sub = _skp(s, c.skp_id)
        _record(s, sub.id, c.version, "relink", actor, State(sub.state),
                f"RHK '{c.text}' kini mengintervensi RHK atasan '{texts.get(moved[c.intervenes], '')}' "
                "(RHK atasan sebelumnya dihapus pada revisi SKP atasan).")
    for old, new in moved.items():
        s.execute(update(proposals).where(proposals.c.parent_rhk_id == old,
                                          proposals.c.state == ProposalState.DIUSULKAN.value)
                  .values(parent_rhk_id=new))


def update_skp(factory: sessionmaker[Session], ctx: RequestContext, skp_id: str, approach: str,
               rhk: list[dict[str, Any]]) -> dict[str, Any]:
    """The owner's edit of a draft: each RHK sent with its id keeps it (text, kind, intervenes and IKI
    change), one without an id is new, and one not sent is removed: refused, naming who depends on
    it, unless an RHK of the plan `replaces` it. In a revision, the RHK in force are removed only
    with a replacement (daily entries may point to them), which takes over once it is approved."""
    caller = require(ctx.caller)
    with unit_of_work(factory) as s:
        row = _skp(s, skp_id, lock=True)
        transition("edit", State(row.state), Actor.OWNER if caller.nip == row.nip else None)
        owner = _owner(s, caller)
        plan = _plan(s, owner, row.year, approach, rhk)
        working = {r.id: r.text for r in _rhk_rows(s, skp_id, row.version)}
        in_force = {r.id: r.text for r in _in_force_rows(s, row)}  # a revision's: still in force until approved
        known = {**in_force, **working}
        ids = links.assign_ids(plan, known, lambda: str(uuid.uuid4()))
        removed = {rhk_id: text for rhk_id, text in known.items() if rhk_id not in set(ids)}
        earlier = {m.from_rhk_id: m.to_rhk_id for m in s.execute(select(rhk_moves).where(
            rhk_moves.c.skp_id == skp_id, rhk_moves.c.version == row.version, rhk_moves.c.applied_at.is_(None)))}
        moved = links.moves(plan, ids, removed, earlier)
        links.check_removals(removed, _dependents(s, row, removed, set(in_force)), moved)
        s.execute(rhks.delete().where(rhks.c.skp_id == skp_id, rhks.c.version == row.version))
        _store_rhk(s, skp_id, row.version, plan, ids)
        s.execute(delete(rhk_moves).where(rhk_moves.c.skp_id == skp_id, rhk_moves.c.version == row.version,
                                          rhk_moves.c.applied_at.is_(None)))
        if in_force:  # a revision: the RHK in force keep their links until it is approved
            for old, new in moved.items():
                s.execute(insert(rhk_moves).values(skp_id=skp_id, version=row.version, from_rhk_id=old,
                                                   to_rhk_id=new, applied_at=None))
        else:  # nothing is in force: the links move now
            _apply_moves(s, row, moved, caller.nip)
        s.execute(update(skps).where(skps.c.id == skp_id).values(approach=approach, updated_at=utcnow()))
        _record(s, skp_id, row.version, "edit", caller.nip, State.DRAFT)
        return _view(s, _skp(s, skp_id))


def set_ekspektasi(factory: sessionmaker[Session], ctx: RequestContext, skp_id: str,
                   ekspektasi_khusus: Any) -> dict[str, Any]:
    """The penilai's ekspektasi khusus per BerAKHLAK value (replacing the earlier ones), while the
    SKP is draft or diajukan."""
    caller = require(ctx.caller)
    with unit_of_work(factory) as s:
        row = _skp(s, skp_id, lock=True)
        actor = _actor(s, caller, row)
        if actor is None:
            _check_read(s, caller, row)
        check_ekspektasi(State(row.state), actor)
        values = berakhlak.parse_ekspektasi(ekspektasi_khusus)
        s.execute(update(skps).where(skps.c.id == skp_id).values(perilaku=berakhlak.perilaku_sheet(values),
                                                                 updated_at=utcnow()))
        _record(s, skp_id, row.version, "ekspektasi", caller.nip, State(row.state))
        return _view(s, _skp(s, skp_id))


# --- workflow --------------------------------------------------------------------------------

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


def moved_in(s: Session, skp_id: str, version: int) -> list[dict[str, str]]:
    """The RHK version `version` removed from the one in force before it, and where their links went."""
    return [{"from": m.from_rhk_id, "to": m.to_rhk_id} for m in s.execute(
        select(rhk_moves).where(rhk_moves.c.skp_id == skp_id, rhk_moves.c.version == version)
        .order_by(rhk_moves.c.from_rhk_id))]


def _come_into_force(s: Session, row: Any, actor: str) -> None:
    """The revision now in force: the links of the RHK it removed move to their replacements."""
    pending = s.execute(select(rhk_moves).where(rhk_moves.c.skp_id == row.id, rhk_moves.c.version == row.version,
                                                rhk_moves.c.applied_at.is_(None))).all()
    _apply_moves(s, row, {m.from_rhk_id: m.to_rhk_id for m in pending}, actor)
    s.execute(update(rhk_moves).where(rhk_moves.c.skp_id == row.id, rhk_moves.c.version == row.version)
              .values(applied_at=utcnow()))


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
        if actor is None:
            _check_read(s, caller, row)
        _check_penilai_exists(s, action, row.nip)
        new_state = transition(action, State(row.state), actor)
        values: dict[str, Any] = {"state": new_state.value, "updated_at": utcnow()}
        version = row.version
        if action in ("approve", "publish"):
            values.update(approved_version=row.version, note=None)
            _come_into_force(s, row, caller.nip)
        elif action == "return":
            assert note is not None  # checked above for a return
            values["note"] = note.strip()
        elif action == "revise":
            version = row.version + 1
            values.update(version=version, note=None)
            for r in _rhk_rows(s, row.id, row.version):  # the same RHK, by id, in the new version
                s.execute(insert(rhks).values(id=r.id, skp_id=row.id, version=version, position=r.position,
                                              kind=r.kind, text=r.text, intervenes=r.intervenes, iki=r.iki))
        elif action == "submit":
            values["note"] = None
        monitoring.touch_plan(s, row.nip, row.year)
        s.execute(update(skps).where(skps.c.id == skp_id).values(**values))
        _record(s, skp_id, version, action, caller.nip, new_state, note)
        event = {"submit": "skp.submitted", "approve": "skp.approved", "publish": "skp.approved",
                 "return": "skp.returned"}.get(action)
        if event:
            data = {"skp_id": row.id, "nip": row.nip, "year": row.year, "agency_id": row.agency_id,
                    "version": version, "state": new_state.value, "actor_nip": caller.nip}
            if event == "skp.approved":
                data["rhk"] = _rhk_event(s, row, version)  # what daily progress offers as choices
                data["moved"] = moved_in(s, row.id, version)  # where entries on a removed RHK now belong
            if event == "skp.returned":
                assert note is not None  # checked above for a return
                data["note"] = note.strip()
            outbox.add(s, event, row.nip, data)
        return _view(s, _skp(s, skp_id))
