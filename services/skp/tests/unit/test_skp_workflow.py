"""The SKP state machine (docs/domain.md "SKP structure": draft → diajukan → disetujui, or returned)."""

import itertools

import pytest

from ekinerja_kernel.errors import DomainError
from skp.domain.workflow import TRANSITIONS, Actor, State, transition

# "publish": the head of an organisation (JPT) has no penilai; DOMAIN: they "publish the unit's plan first".
ACTIONS = ["edit", "submit", "approve", "return", "revise", "publish"]
STATES = ["draft", "diajukan", "disetujui"]
ACTORS = ["owner", "penilai", None]

# Written out by hand: (action, state, actor) -> next state.
ALLOWED = {
    ("edit", "draft", "owner"): "draft",
    ("submit", "draft", "owner"): "diajukan",
    ("approve", "diajukan", "penilai"): "disetujui",
    ("return", "diajukan", "penilai"): "draft",
    ("revise", "disetujui", "owner"): "draft",
    ("publish", "draft", "owner"): "disetujui",
}
WHO = {"edit": "owner", "submit": "owner", "approve": "penilai", "return": "penilai", "revise": "owner",
       "publish": "owner"}
FROM = {"edit": "draft", "submit": "draft", "approve": "diajukan", "return": "diajukan", "revise": "disetujui",
        "publish": "draft"}
STATE_ID = {"draft": "draf", "diajukan": "diajukan", "disetujui": "disetujui"}


def test_module_knows_exactly_the_documented_actions():
    assert set(TRANSITIONS) == set(ACTIONS)


@pytest.mark.parametrize(("action", "state", "actor"), list(itertools.product(ACTIONS, STATES, ACTORS)),
                         ids=lambda v: str(v))
def test_every_action_state_actor_combination(action, state, actor):
    actor_value = Actor(actor) if actor is not None else None
    if (action, state, actor) in ALLOWED:
        assert transition(action, State(state), actor_value) == State(ALLOWED[(action, state, actor)])
        return
    with pytest.raises(DomainError) as info:
        transition(action, State(state), actor_value)
    error = info.value
    assert error.detail and error.detail_id and error.detail != error.detail_id
    if actor != WHO[action]:
        assert (error.status, error.code) == (403, "wrong-actor")
        assert error.detail.startswith("Only ")
        assert error.detail_id.startswith("Hanya ")
        assert action in error.detail and action in error.detail_id
    else:
        assert (error.status, error.code) == (409, "wrong-state")
        assert error.extra == {"state": state, "required_state": FROM[action]}
        assert f"'{state}'" in error.detail and f"'{FROM[action]}'" in error.detail
        assert f"'{STATE_ID[state]}'" in error.detail_id and f"'{STATE_ID[FROM[action]]}'" in error.detail_id


def test_combination_table_is_complete():
    combos = list(itertools.product(ACTIONS, STATES, ACTORS))
    assert len(combos) == 54
    assert len([c for c in combos if c in ALLOWED]) == 6


def refusal(action, state, actor) -> DomainError:
    with pytest.raises(DomainError) as info:
        transition(action, state, actor)
    return info.value


def test_approving_a_draft_is_a_wrong_state():
    error = refusal("approve", State.DRAFT, Actor.PENILAI)
    assert (error.status, error.code) == (409, "wrong-state")
    assert error.extra["required_state"] == "diajukan"


def test_editing_an_approved_skp_is_a_wrong_state():
    error = refusal("edit", State.DISETUJUI, Actor.OWNER)
    assert (error.status, error.code) == (409, "wrong-state")
    assert error.extra == {"state": "disetujui", "required_state": "draft"}


def test_penilai_cannot_edit_the_employees_draft():
    error = refusal("edit", State.DRAFT, Actor.PENILAI)
    assert (error.status, error.code) == (403, "wrong-actor")
    assert "owns the SKP" in error.detail
    assert "pegawai pemilik SKP" in error.detail_id


def test_owner_cannot_approve_their_own_submission():
    error = refusal("approve", State.DIAJUKAN, Actor.OWNER)
    assert (error.status, error.code) == (403, "wrong-actor")
    assert "pejabat penilai" in error.detail
    assert "pejabat penilai" in error.detail_id


def test_no_actor_is_refused_as_wrong_actor_even_in_the_right_state():
    error = refusal("submit", State.DRAFT, None)
    assert (error.status, error.code) == (403, "wrong-actor")


def test_full_cycle_with_a_return_and_a_revision():
    state = State.DRAFT
    state = transition("edit", state, Actor.OWNER)
    state = transition("submit", state, Actor.OWNER)
    state = transition("return", state, Actor.PENILAI)
    assert state == State.DRAFT
    state = transition("submit", state, Actor.OWNER)
    state = transition("approve", state, Actor.PENILAI)
    assert state == State.DISETUJUI
    state = transition("revise", state, Actor.OWNER)
    assert state == State.DRAFT
    state = transition("submit", state, Actor.OWNER)
    assert transition("approve", state, Actor.PENILAI) == State.DISETUJUI


def test_publishing_skips_the_penilai_but_only_from_draft():
    assert transition("publish", State.DRAFT, Actor.OWNER) == State.DISETUJUI
    assert refusal("publish", State.DRAFT, Actor.PENILAI).code == "wrong-actor"
    assert refusal("publish", State.DISETUJUI, Actor.OWNER).code == "wrong-state"


# --- ekspektasi khusus: the penilai, while the plan is being agreed ---------------------------------

def test_the_penilai_writes_ekspektasi_while_the_skp_is_draft_or_submitted():
    from skp.domain.workflow import check_ekspektasi

    for state in (State.DRAFT, State.DIAJUKAN):
        check_ekspektasi(state, Actor.PENILAI)
    with pytest.raises(DomainError) as info:
        check_ekspektasi(State.DISETUJUI, Actor.PENILAI)
    assert (info.value.status, info.value.code) == (409, "wrong-state")
    assert info.value.extra["required_state"] == ["draft", "diajukan"]
    for actor in (Actor.OWNER, None):
        with pytest.raises(DomainError) as info:
            check_ekspektasi(State.DRAFT, actor)
        assert (info.value.status, info.value.code) == (403, "wrong-actor")
        assert "penilai" in info.value.detail
