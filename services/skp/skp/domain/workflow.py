"""The SKP state machine: draft → diajukan → disetujui, or returned to draft with a note;
an approved SKP changes only through a revision that is approved again."""

from __future__ import annotations

from enum import StrEnum

from ekinerja_kernel.errors import DomainError


class State(StrEnum):
    DRAFT = "draft"
    DIAJUKAN = "diajukan"
    DISETUJUI = "disetujui"


class Actor(StrEnum):
    OWNER = "owner"  # the employee whose SKP it is
    PENILAI = "penilai"  # the current pejabat penilai (or an acting one, or the atasan when missing)


# action -> (from state, who may do it, to state)
TRANSITIONS: dict[str, tuple[State, Actor, State]] = {
    "edit": (State.DRAFT, Actor.OWNER, State.DRAFT),
    "submit": (State.DRAFT, Actor.OWNER, State.DIAJUKAN),
    "approve": (State.DIAJUKAN, Actor.PENILAI, State.DISETUJUI),
    "return": (State.DIAJUKAN, Actor.PENILAI, State.DRAFT),
    "revise": (State.DISETUJUI, Actor.OWNER, State.DRAFT),
    # The head of an organisation has no pejabat penilai here: their plan ("SKP organisasi") is
    # published from the organisation's performance agreement, for their staff to cascade from.
    "publish": (State.DRAFT, Actor.OWNER, State.DISETUJUI),
}

_DONE = {"edit": "edited", "submit": "submitted", "approve": "approved", "return": "returned",
         "revise": "revised", "publish": "published"}
_STATE_ID = {State.DRAFT: "draf", State.DIAJUKAN: "diajukan", State.DISETUJUI: "disetujui"}


def transition(action: str, state: State, actor: Actor | None) -> State:
    """The state after `action`, or a problem naming why it is refused (nothing changes)."""
    if action not in TRANSITIONS:
        raise DomainError(code="unknown-action", status=422, title="Unknown action",
                          detail=f"'{action}' is not an SKP action ({', '.join(TRANSITIONS)}).",
                          detail_id=f"'{action}' bukan tindakan SKP ({', '.join(TRANSITIONS)}).")
    start, who, end = TRANSITIONS[action]
    if actor != who:
        who_en = "the employee who owns the SKP" if who is Actor.OWNER else "the employee's pejabat penilai"
        who_id = "pegawai pemilik SKP" if who is Actor.OWNER else "pejabat penilai pegawai tersebut"
        raise DomainError(code="wrong-actor", status=403, title="Not yours to do",
                          detail=f"Only {who_en} can {action} this SKP.",
                          detail_id=f"Hanya {who_id} yang dapat melakukan '{action}' pada SKP ini.")
    if state != start:
        raise DomainError(code="wrong-state", status=409, title="Not possible in this state",
                          detail=f"An SKP in state '{state.value}' cannot be {_DONE[action]}; "
                                 f"it must be '{start.value}'.",
                          detail_id=f"SKP berstatus '{_STATE_ID[state]}' tidak dapat di-{action}; "
                                    f"statusnya harus '{_STATE_ID[start]}'.",
                          extra={"state": state.value, "required_state": start.value})
    return end


# The penilai writes the ekspektasi khusus pimpinan while the plan is being agreed (docs/domain.md
# "Perilaku kerja"); once approved they change with a revision.
EKSPEKTASI_STATES = (State.DRAFT, State.DIAJUKAN)


def check_ekspektasi(state: State, actor: Actor | None) -> None:
    """Refuses (nothing changes) unless the penilai writes them while the SKP is draft or diajukan."""
    if actor is not Actor.PENILAI:
        raise DomainError(code="wrong-actor", status=403, title="Not yours to do",
                          detail="Only the employee's pejabat penilai writes the ekspektasi khusus of an SKP.",
                          detail_id="Hanya pejabat penilai pegawai tersebut yang menulis ekspektasi khusus SKP.")
    if state not in EKSPEKTASI_STATES:
        allowed = [s.value for s in EKSPEKTASI_STATES]
        raise DomainError(code="wrong-state", status=409, title="Not possible in this state",
                          detail=f"The ekspektasi khusus are written while the SKP is draft or diajukan; this one "
                                 f"is '{state.value}' (a revision opens it again).",
                          detail_id=f"Ekspektasi khusus ditulis selama SKP berstatus draf atau diajukan; SKP ini "
                                    f"berstatus '{_STATE_ID[state]}' (revisi membukanya kembali).",
                          extra={"state": state.value, "required_state": allowed})
