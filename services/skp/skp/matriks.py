"""Matriks Peran Hasil use cases: a supervisor lays out one RHK for their team; each subordinate
accepts (the cell becomes an RHK of their draft SKP, intervening the supervisor's) or declines.
PMM proposals (pmm.py) are accepted the same way."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel.caller import RequestContext, forbidden, require
from ekinerja_kernel.db import unit_of_work
from ekinerja_kernel.errors import DomainError, FieldError, not_found, validation_error
from ekinerja_kernel.events import as_utc, utcnow

from . import staff
from .domain.matriks import Choice, ProposalState, choose_intervened, parse_cells
from .domain.workflow import State
from .handlers import (
    _check_read,
    _in_force_rows,
    _is_top_official,
    _owner,
    _plan,
    _record,
    _rhk_rows,
    _skp,
    _view,
    create_draft,
    intervenable,
)
from .tables import proposals, rhks, skps


def _iki_dicts(iki: Any) -> list[dict[str, Any]]:
    return [{"aspek": k.aspek, "indikator": k.indikator, "target": k.target, "satuan": k.satuan} for k in iki]


def _proposal_view(s: Session, row: Any) -> dict[str, Any]:
    person = staff.employee(s, row.nip)
    return {"id": row.id, "source": row.source, "year": row.year, "proposer_nip": row.proposer_nip,
            "parent_rhk_id": row.parent_rhk_id, "nip": row.nip, "name": person.name if person else None,
            "text": row.text, "iki": row.iki, "state": row.state, "note": row.note, "rhk_id": row.rhk_id,
            "created_at": as_utc(row.created_at).isoformat(),
            "decided_at": as_utc(row.decided_at).isoformat() if row.decided_at else None}


def _own_rhk(s: Session, skp: Any, rhk_id: str) -> Any:
    """An RHK of the SKP in the version subordinates cascade from: the one in force. A plan not yet
    approved or published has none: its cells could not be accepted (nobody intervenes a draft)."""
    rhk = next((r for r in _in_force_rows(s, skp) if r.id == rhk_id), None)
    if rhk is not None:
        return rhk
    if any(r.id == rhk_id for r in _rhk_rows(s, skp.id, skp.version)):
        raise DomainError(code="rhk-not-in-force", status=409, title="RHK not in force yet",
                          detail="This RHK is not in force yet: it is laid out for the team once the SKP is "
                                 "approved (or published), since a subordinate's RHK intervenes only an RHK in force.",
                          detail_id="RHK ini belum berlaku: RHK dibagi kepada tim setelah SKP disetujui (atau "
                                    "diterbitkan), karena RHK bawahan hanya dapat mengintervensi RHK yang berlaku.",
                          extra={"state": skp.state})
    raise not_found("RHK", "RHK", rhk_id)


def _matrix_view(s: Session, skp: Any, rhk: Any) -> dict[str, Any]:
    rows = s.execute(select(proposals).where(proposals.c.parent_rhk_id == rhk.id)
                     .order_by(proposals.c.created_at, proposals.c.seq)).all()
    return {"skp_id": skp.id, "rhk": {"id": rhk.id, "text": rhk.text, "iki": rhk.iki},
            "cells": [_proposal_view(s, r) for r in rows]}


def lay_out(factory: sessionmaker[Session], ctx: RequestContext, skp_id: str, rhk_id: str,
            cells: Any) -> dict[str, Any]:
    """Replaces the RHK's open proposals with these cells; accepted and declined ones stay as history."""
    caller = require(ctx.caller)
    with unit_of_work(factory) as s:
        skp = _skp(s, skp_id)
        if skp.nip != caller.nip:
            raise forbidden("Only the owner of an SKP lays out its RHK for their team.",
                            "Hanya pemilik SKP yang dapat membagi RHK-nya kepada timnya.")
        rhk = _own_rhk(s, skp, rhk_id)
        team = {m.nip for m in staff.team(s, caller.nip)}
        parsed = parse_cells(cells, team, skp.approach)
        s.execute(delete(proposals).where(proposals.c.parent_rhk_id == rhk.id,
                                          proposals.c.state == ProposalState.DIUSULKAN.value))
        now = utcnow()
        for seq, cell in enumerate(parsed):
            s.execute(insert(proposals).values(
                id=str(uuid.uuid4()), source="matriks", year=skp.year, proposer_nip=caller.nip,
                parent_rhk_id=rhk.id, nip=cell.nip, seq=seq, text=cell.text, iki=_iki_dicts(cell.iki),
                state=ProposalState.DIUSULKAN.value, created_at=now))
        return _matrix_view(s, skp, rhk)


def matrix(factory: sessionmaker[Session], ctx: RequestContext, skp_id: str, rhk_id: str) -> dict[str, Any]:
    caller = require(ctx.caller)
    with factory() as s:
        skp = _skp(s, skp_id)
        _check_read(s, caller, skp)
        return _matrix_view(s, skp, _own_rhk(s, skp, rhk_id))


def my_proposals(factory: sessionmaker[Session], ctx: RequestContext, year: int) -> dict[str, Any]:
    caller = require(ctx.caller)
    with factory() as s:
        rows = s.execute(select(proposals).where(proposals.c.nip == caller.nip, proposals.c.year == year)
                         .order_by(proposals.c.created_at, proposals.c.seq)).all()
        return {"year": year, "proposals": [_proposal_view(s, r) for r in rows]}


def _open_proposal(s: Session, nip: str, proposal_id: str) -> Any:
    row = s.execute(select(proposals).where(proposals.c.id == proposal_id).with_for_update()).first()
    if row is None:
        raise not_found("proposal", "Usulan RHK", proposal_id)
    if row.nip != nip:
        raise forbidden("This proposed RHK is addressed to someone else.",
                        "Usulan RHK ini ditujukan kepada pegawai lain.")
    if row.state != ProposalState.DIUSULKAN:
        raise DomainError(code="proposal-decided", status=409, title="Already decided",
                          detail=f"This proposal is already '{row.state}'.",
                          detail_id=f"Usulan ini sudah berstatus '{row.state}'.",
                          extra={"state": row.state, "required_state": ProposalState.DIUSULKAN.value})
    return row


def _draft_for(s: Session, owner: Any, year: int) -> Any:
    row = s.execute(select(skps).where(skps.c.nip == owner.nip, skps.c.year == year).with_for_update()).first()
    if row is None or row.state == State.DRAFT:
        return row
    en = ("Your SKP is waiting for approval: ask your penilai to return it first."
          if row.state == State.DIAJUKAN else "Your SKP is approved: start a revision first, then accept.")
    id_ = ("SKP Anda sedang menunggu persetujuan: minta pejabat penilai mengembalikannya terlebih dahulu."
           if row.state == State.DIAJUKAN else "SKP Anda sudah disetujui: buat revisi terlebih dahulu, lalu terima.")
    raise DomainError(code="skp-not-draft", status=409, title="Your SKP is not a draft", detail=en, detail_id=id_,
                      extra={"state": row.state, "required_state": State.DRAFT.value, "skp_id": row.id})


def accept(factory: sessionmaker[Session], ctx: RequestContext, proposal_id: str,
           iki: list[dict[str, Any]] | None = None, kind: str = "utama", intervenes: str | None = None
           ) -> dict[str, Any]:
    """Adds the proposed RHK to the caller's draft SKP for that year (made if there is none), with
    the cell's IKI or the ones given here, intervening the supervisor's RHK named in `intervenes`
    or else the proposal's own match; checked by the same rules as any plan."""
    caller = require(ctx.caller)
    with unit_of_work(factory) as s:
        proposal = _open_proposal(s, caller.nip, proposal_id)
        owner = _owner(s, caller)
        skp = _draft_for(s, owner, proposal.year)
        chosen = iki or proposal.iki
        errors = [] if chosen else [
            FieldError("iki", "required", "This proposal has no IKI: give them (kuantitas, kualitas, waktu) to "
                       "accept it.", "Usulan ini belum memiliki IKI: isi IKI (kuantitas, kualitas, waktu) untuk "
                       "menerimanya.")]
        rows = intervenable(s, owner, proposal.year)
        choices = [Choice(r.id, r.text) for r in rows]
        parent, parent_errors = choose_intervened(intervenes, proposal.parent_rhk_id, choices,
                                                  required=not _is_top_official(owner))
        if errors or parent_errors:
            raise _not_acceptable(errors + parent_errors, choices if parent_errors else None)
        new = {"kind": kind, "text": proposal.text, "intervenes": parent, "iki": chosen}
        approach = skp.approach if skp else "kuantitatif"
        existing = [{"kind": r.kind, "text": r.text, "intervenes": r.intervenes, "iki": r.iki}
                    for r in (_rhk_rows(s, skp.id, skp.version) if skp else [])]
        rhk = _plan(s, owner, proposal.year, approach, existing + [new], choices=rows)[-1]
        now = utcnow()
        if skp is None:
            skp = create_draft(s, owner, proposal.year, approach)
        rhk_id = str(uuid.uuid4())
        s.execute(insert(rhks).values(id=rhk_id, skp_id=skp.id, version=skp.version, position=len(existing),
                                      kind=rhk.kind, text=rhk.text, intervenes=rhk.intervenes,
                                      iki=_iki_dicts(rhk.iki)))
        s.execute(update(skps).where(skps.c.id == skp.id).values(updated_at=now))
        _record(s, skp.id, skp.version, "accept-proposal", caller.nip, State.DRAFT)
        # A proposal without a match (PMM text found in no RHK) keeps the one chosen; a matched one
        # keeps its cell's RHK (its place in that matrix), the RHK made says what was chosen.
        s.execute(update(proposals).where(proposals.c.id == proposal.id).values(
            state=ProposalState.DITERIMA.value, rhk_id=rhk_id, decided_at=now,
            parent_rhk_id=proposal.parent_rhk_id or parent))
        return {"proposal": _proposal_view(s, s.execute(select(proposals).where(proposals.c.id == proposal.id))
                                           .first()),
                "skp": _view(s, _skp(s, skp.id))}


def _not_acceptable(errors: list[FieldError], choices: list[Choice] | None) -> DomainError:
    """One 422 naming every missing or wrong field; with `choices` (the supervisor's RHK that may be
    named in `intervenes`, id and text) when `intervenes` is one of them."""
    problem = validation_error(errors, detail=errors[0].detail if len(errors) == 1 else
                               "The proposal cannot be accepted as it is.",
                               detail_id=errors[0].detail_id if len(errors) == 1 else
                               "Usulan ini belum dapat diterima apa adanya.")
    if choices is not None:
        problem.extra["choices"] = [{"id": c.id, "text": c.text} for c in choices]
    return problem


def decline(factory: sessionmaker[Session], ctx: RequestContext, proposal_id: str, note: Any) -> dict[str, Any]:
    caller = require(ctx.caller)
    if not (isinstance(note, str) and note.strip()):
        raise validation_error([FieldError("note", "required", "Say why you decline the proposed RHK.",
                                           "Tuliskan alasan Anda menolak usulan RHK.")])
    with unit_of_work(factory) as s:
        proposal = _open_proposal(s, caller.nip, proposal_id)
        s.execute(update(proposals).where(proposals.c.id == proposal.id).values(
            state=ProposalState.DITOLAK.value, note=note.strip(), decided_at=utcnow()))
        return _proposal_view(s, s.execute(select(proposals).where(proposals.c.id == proposal.id)).first())
