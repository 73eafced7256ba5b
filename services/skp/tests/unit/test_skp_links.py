"""An RHK keeps its id across edits and revisions; removing one that others depend on (subordinates'
intervenes, matriks cells, daily entries) is refused naming them, unless the plan says which RHK
takes over its links."""

from __future__ import annotations

import itertools

import pytest

from ekinerja_kernel.errors import DomainError
from skp.domain.links import Dependent, assign_ids, check_removals, moves
from skp.domain.plan import Rhk


def plan_of(*specs: tuple[str | None, tuple[str, ...]]) -> list[Rhk]:
    return [Rhk("utama", f"RHK {i}", None, (), rhk_id, replaces) for i, (rhk_id, replaces) in enumerate(specs)]


def counter():
    numbers = itertools.count(1)
    return lambda: f"new-{next(numbers)}"


def refused(call, *args) -> DomainError:
    with pytest.raises(DomainError) as info:
        call(*args)
    return info.value


# --- ids -------------------------------------------------------------------------------------------

def test_an_rhk_sent_with_its_id_keeps_it_and_a_new_one_gets_a_new_id():
    assert assign_ids(plan_of(("A", ()), (None, ()), ("B", ())), {"A", "B"}, counter()) == ["A", "new-1", "B"]


def test_an_id_that_is_not_one_of_this_skps_rhk_is_refused():
    error = refused(assign_ids, plan_of(("A", ()), ("someone-elses", ())), {"A"}, counter())
    assert (error.status, error.code) == (422, "validation")
    assert [(e.field, e.rule) for e in error.errors] == [("rhk[1].id", "own-rhk")]


def test_the_same_id_twice_is_refused():
    error = refused(assign_ids, plan_of(("A", ()), ("A", ())), {"A"}, counter())
    assert [(e.field, e.rule) for e in error.errors] == [("rhk[1].id", "unique")]


# --- moves -----------------------------------------------------------------------------------------

def test_replaces_names_removed_rhk_once_each():
    plan = plan_of(("A", ()), (None, ("B", "C")))
    assert moves(plan, ["A", "N"], {"B", "C"}, {}) == {"B": "N", "C": "N"}

    not_removed = refused(moves, plan_of(("A", ()), (None, ("A",))), ["A", "N"], set(), {})
    assert [(e.field, e.rule) for e in not_removed.errors] == [("rhk[1].replaces[0]", "removed-rhk")]
    twice = refused(moves, plan_of((None, ("B",)), (None, ("B",))), ["N", "M"], {"B"}, {})
    assert [(e.field, e.rule) for e in twice.errors] == [("rhk[1].replaces[0]", "unique")]


def test_an_earlier_edits_move_stays_while_its_target_is_in_the_plan_and_a_new_one_overrides_it():
    assert moves(plan_of(("N", ()),), ["N"], {"B"}, {"B": "N"}) == {"B": "N"}
    assert moves(plan_of(("M", ()),), ["M"], {"B"}, {"B": "N"}) == {}  # its target is gone too
    assert moves(plan_of(("N", ()), ("M", ("B",))), ["N", "M"], {"B"}, {"B": "N"}) == {"B": "M"}
    assert moves(plan_of(("B", ()), ("N", ())), ["B", "N"], set(), {"B": "N"}) == {}  # B is back


# --- removals --------------------------------------------------------------------------------------

SUB = Dependent("intervenes", "199001012015011003", "Sari", rhk_id="S-1", text="Menyusun laporan")
CELL = Dependent("matriks", "199101012015012004", "Tono", text="Mengolah data")
ENTRIES = Dependent("harian", "198001012005011001", "Budi")


def test_removing_an_rhk_nobody_depends_on_is_allowed():
    check_removals({"B": "RHK B"}, {"B": []}, {})


def test_removing_an_rhk_others_depend_on_is_refused_naming_each_of_them():
    error = refused(check_removals, {"B": "Tersusunnya laporan", "C": "RHK C"}, {"B": [SUB, CELL, ENTRIES]}, {})

    assert (error.status, error.code) == (409, "rhk-has-dependents")
    assert [(e.field, e.rule) for e in error.errors] == [("rhk", "keeps-links")]
    for text in (error.detail, error.detail_id):
        assert "Tersusunnya laporan" in text and "Sari" in text and "Tono" in text and "replaces" in text
    [dependents] = error.extra["dependents"]
    assert dependents["rhk_id"] == "B" and dependents["text"] == "Tersusunnya laporan"
    assert dependents["intervened_by"] == [{"nip": SUB.nip, "name": "Sari", "rhk_id": "S-1",
                                            "text": "Menyusun laporan"}]
    assert dependents["matriks"] == [{"nip": CELL.nip, "name": "Tono", "text": "Mengolah data"}]
    assert dependents["daily_entries"] is True


def test_a_removal_whose_links_move_is_allowed():
    check_removals({"B": "RHK B"}, {"B": [SUB, ENTRIES]}, {"B": "N"})
