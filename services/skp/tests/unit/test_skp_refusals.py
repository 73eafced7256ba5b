"""A master-data refusal takes its words from sync's diagnosis finding of the same problem (detail and
why, who fixes it, the whole finding), for the right year and supervisor; otherwise skp's own text.
And the rule for which supervisor's RHK an accepted proposal intervenes."""

from __future__ import annotations

import pytest

from skp.domain.matriks import Choice, choose_intervened
from skp.domain.refusals import (
    NO_SUPERVISOR,
    NOT_ACTIVE,
    PENILAI_MISSING,
    PRECONDITIONS,
    SUPERVISOR_SKP_MISSING,
    Diagnosis,
    diagnosis_from,
    refusal,
)

BOSS, OTHER_BOSS = "197501012000031002", "197001012000031001"


def finding(code: str, **extra) -> dict:
    return {"check": "x", "status": "problem", "code": code, "detail": f"{code} detail.",
            "detail_id": f"{code} rincian.", "why": f"{code} why.", "why_id": f"{code} alasan.",
            "fixed_by": "the supervisor (atasan langsung)", "fixed_by_id": "atasan langsung",
            "fixers": ["supervisor"], "blocks": ["skp"], **extra}


SKP_MISSING = finding("supervisor-skp-missing", supervisor_nip=BOSS, year=2026)


def own(code: str, diagnosis: Diagnosis | None, **kw):
    return refusal(code, "own text", "teks sendiri", diagnosis, **kw)


def test_the_matching_finding_gives_detail_and_why_in_both_languages_and_who_fixes_it():
    problem = own(SUPERVISOR_SKP_MISSING, Diagnosis(2026, (SKP_MISSING,)), year=2026, supervisor_nip=BOSS,
                  extra={"supervisor_nip": BOSS}).to_problem()

    assert problem["code"] == "supervisor-skp-missing" and problem["status"] == 409
    assert problem["detail"] == "supervisor-skp-missing detail. supervisor-skp-missing why."
    assert problem["detail_id"] == "supervisor-skp-missing rincian. supervisor-skp-missing alasan."
    assert (problem["fixed_by"], problem["fixed_by_id"], problem["fixers"]) == (
        "the supervisor (atasan langsung)", "atasan langsung", ["supervisor"])
    assert problem["finding"] == SKP_MISSING and problem["supervisor_nip"] == BOSS


@pytest.mark.parametrize("diagnosis, why", [
    (None, "sync's copy has not arrived"),
    (Diagnosis(2026, ()), "sync finds nothing wrong"),
    (Diagnosis(2026, (SKP_MISSING,)), "the finding is about another year"),
    (Diagnosis(2027, (finding("supervisor-skp-missing", supervisor_nip=OTHER_BOSS, year=2027),)),
     "the finding is about another supervisor"),
    (Diagnosis(2027, ({**SKP_MISSING, "status": "warning", "year": 2027},)), "a warning never explains a refusal"),
])
def test_without_a_matching_finding_skp_says_it_in_its_own_words(diagnosis, why):
    problem = own(SUPERVISOR_SKP_MISSING, diagnosis, year=2027, supervisor_nip=BOSS).to_problem()

    assert (problem["detail"], problem["detail_id"]) == ("own text", "teks sendiri"), why
    assert (problem["fixed_by"], problem["fixers"]) == ("your supervisor", ["supervisor"]) and "finding" not in problem


def test_a_finding_without_a_year_is_about_the_year_sync_checked():
    undated = {k: v for k, v in SKP_MISSING.items() if k != "year"}
    assert "finding" in own(SUPERVISOR_SKP_MISSING, Diagnosis(2026, (undated,)), year=2026).to_problem()
    assert "finding" not in own(SUPERVISOR_SKP_MISSING, Diagnosis(2025, (undated,)), year=2026).to_problem()


@pytest.mark.parametrize("code, codes, status", [
    (NOT_ACTIVE, ("account-inactive", "nip-not-found"), 403),
    (NO_SUPERVISOR, ("no-supervisor",), 409),
    (PENILAI_MISSING, ("penilai-missing",), 409),
    (SUPERVISOR_SKP_MISSING, ("supervisor-skp-missing",), 409),
])
def test_each_refusal_is_explained_by_the_diagnosis_codes_of_the_same_problem(code, codes, status):
    assert (PRECONDITIONS[code].findings, PRECONDITIONS[code].status) == (codes, status)
    for found in codes:
        others = (finding("nik-nip-mismatch"), finding(found))
        problem = own(code, Diagnosis(2026, others), year=2026).to_problem()
        assert problem["code"] == code and problem["finding"]["code"] == found


def test_only_the_year_of_an_skp_finding_matters():
    # account-inactive is about the employee today, whatever year is being planned.
    problem = own(NOT_ACTIVE, Diagnosis(2026, (finding("account-inactive"),)), year=2031).to_problem()
    assert problem["finding"]["code"] == "account-inactive"


def test_a_finding_without_why_or_fixers_still_reads_well():
    bare = {"check": "supervisor", "status": "problem", "code": "no-supervisor", "detail": "No supervisor.",
            "detail_id": "Atasan belum tercatat."}
    problem = own(NO_SUPERVISOR, Diagnosis(2026, (bare,))).to_problem()
    assert (problem["detail"], problem["detail_id"]) == ("No supervisor.", "Atasan belum tercatat.")
    assert (problem["fixed_by"], problem["fixers"]) == ("your agency admin", ["admin_instansi"])


def test_stored_json_that_is_not_a_finding_is_ignored():
    assert diagnosis_from("2026", [finding("no-supervisor"), "junk", None]).findings == (finding("no-supervisor"),)
    assert diagnosis_from(2026, None).findings == ()


# --- which supervisor's RHK an accepted proposal intervenes ----------------------------------------

CHOICES = [Choice("r1", "Meningkatnya mutu pembelajaran"), Choice("r2", "Meningkatnya karakter murid")]


def test_the_given_rhk_overrides_the_match_and_fills_a_missing_one():
    assert choose_intervened("r2", "r1", CHOICES, required=True) == ("r2", [])
    assert choose_intervened("r2", None, CHOICES, required=True) == ("r2", [])


def test_without_a_given_rhk_the_proposal_keeps_its_match_while_it_is_still_a_choice():
    assert choose_intervened(None, "r1", CHOICES, required=True) == ("r1", [])
    assert choose_intervened("", "r1", CHOICES, required=True) == ("r1", [])


@pytest.mark.parametrize("matched", [None, "r-of-an-old-version"])
def test_no_match_and_nothing_given_asks_to_choose(matched):
    parent, errors = choose_intervened(None, matched, CHOICES, required=True)
    assert parent is None and [(e.field, e.rule) for e in errors] == [("intervenes", "required")]
    assert "`choices`" in errors[0].detail and "`choices`" in errors[0].detail_id


@pytest.mark.parametrize("given", ["r9", 7, ["r1"]])
def test_an_rhk_that_is_not_a_choice_is_refused_naming_the_rule(given):
    parent, errors = choose_intervened(given, "r1", CHOICES, required=True)
    assert parent is None and [(e.field, e.rule) for e in errors] == [("intervenes", "supervisor-rhk")]


def test_a_top_official_may_accept_without_intervening_but_not_a_wrong_rhk():
    assert choose_intervened(None, None, [], required=False) == (None, [])
    assert choose_intervened("r1", None, [], required=False)[1][0].rule == "supervisor-rhk"
