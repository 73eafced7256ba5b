"""Teachers' RHK agreed in PMM (Platform Merdeka Mengajar) become proposed RHK in their SKP.

sync announces `pmm.rhk_agreed` (a teacher, their kepala sekolah, a year and semester, and the RHK
agreed in PMM) after checking PMM's rules. Here each RHK becomes a proposal (source "pmm", the
principal as proposer) that the teacher accepts into their draft SKP or declines, as a Matriks
Peran Hasil cell. The principal's RHK it intervenes is found by its text (`intervenes_text`)
in the principal's SKP of that year (the approved version, else the one in progress).

Idempotent: a repeated event changes nothing; a newer one for the same semester replaces the open
proposals of that semester (an RHK no longer agreed in PMM is withdrawn); accepted or declined
ones stay as history. Proposals of semester S are numbered S*1000 + i, so both semesters of a year
live side by side.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel.db import unit_of_work
from ekinerja_kernel.events import utcnow
from ekinerja_kernel.inbox import first_delivery

from .domain.matriks import ProposalState
from .handlers import _rhk_rows
from .tables import inbox, proposals, skps

PATTERNS = ("ekinerja.pmm.#",)
AGREED = "ekinerja.pmm.rhk_agreed.v1"
SOURCE = "pmm"
SEMESTER_BASE = 1000


def _norm(text: Any) -> str:
    return " ".join(str(text or "").split()).casefold()


def _principal_rhk(s: Session, principal_nip: str, year: int) -> dict[str, str]:
    """The principal's RHK ids by normalised text, from their SKP of the year (if any)."""
    skp = s.execute(select(skps).where(skps.c.nip == principal_nip, skps.c.year == year)).first()
    if skp is None:
        return {}
    return {_norm(r.text): r.id for r in _rhk_rows(s, skp.id, skp.approved_version or skp.version)}


def is_pmm(envelope: Any) -> bool:
    return isinstance(envelope, dict) and str(envelope.get("type", "")).startswith("ekinerja.pmm.")


def on_pmm_event(factory: sessionmaker[Session], envelope: dict[str, Any]) -> None:
    if envelope.get("type") != AGREED:
        return
    data = envelope["data"]
    nip, year, semester, principal = data["nip"], int(data["year"]), int(data["semester"]), data["principal_nip"]
    with unit_of_work(factory) as s:
        if not first_delivery(s, inbox, envelope):
            return
        parents = _principal_rhk(s, principal, year)
        only_parent = next(iter(parents.values())) if len(parents) == 1 else None
        existing = [p for p in s.execute(select(proposals).where(
            proposals.c.source == SOURCE, proposals.c.nip == nip, proposals.c.year == year)).all()
            if p.seq // SEMESTER_BASE == semester]
        by_text = {_norm(p.text): p for p in existing}
        wanted = set()
        now = utcnow()
        for i, item in enumerate(data["rhk"]):
            key = _norm(item["text"])
            wanted.add(key)
            parent = parents.get(_norm(item.get("intervenes_text"))) or only_parent
            values = {"proposer_nip": principal, "parent_rhk_id": parent, "seq": semester * SEMESTER_BASE + i,
                      "text": item["text"], "iki": item.get("iki") or []}
            old = by_text.get(key)
            if old is None:
                s.execute(insert(proposals).values(id=str(uuid.uuid4()), source=SOURCE, year=year, nip=nip,
                                                   state=ProposalState.DIUSULKAN.value, created_at=now, **values))
            elif old.state == ProposalState.DIUSULKAN:
                s.execute(update(proposals).where(proposals.c.id == old.id).values(**values))
        withdrawn = [p.id for p in existing if _norm(p.text) not in wanted and p.state == ProposalState.DIUSULKAN]
        if withdrawn:
            s.execute(delete(proposals).where(proposals.c.id.in_(withdrawn)))
