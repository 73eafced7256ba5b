"""Evaluation rules (docs/domain.md "Ratings and predikat", "Credit points", "Distribution"): who may record
and rate in which state, realisasi with http(s) evidence, feedback keys, credit points of a period,
unit heads, and finalising in warn or block mode."""

from decimal import Decimal

import pytest

from ekinerja_kernel.errors import DomainError
from skp.domain.berakhlak import VALUES
from skp.domain.distribution import UnitPredikat
from skp.domain.evaluation import (
    EVIDENCE_MAX,
    EvaluationState,
    angka_kredit,
    finalisation,
    is_web_url,
    parse_assessment,
    parse_realisasi,
    step,
    unit_heads,
    unit_predikat,
)
from skp.domain.periods import DistributionMode
from skp.domain.predikat import Predikat, Rating
from skp.domain.workflow import Actor

DRAFT, DINILAI, FINAL = EvaluationState.DRAFT, EvaluationState.DINILAI, EvaluationState.FINAL
RHK = ["rhk-1", "rhk-2"]


# --- states ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("action", "state", "actor", "expected"), [
    ("record", None, Actor.OWNER, DRAFT),
    ("record", DRAFT, Actor.OWNER, DRAFT),
    ("evaluate", DRAFT, Actor.PENILAI, DINILAI),
    ("evaluate", DINILAI, Actor.PENILAI, DINILAI),  # corrected before the unit is finalised
])
def test_allowed_steps(action, state, actor, expected):
    assert step(action, state, actor) is expected


@pytest.mark.parametrize(("action", "state", "actor"), [
    ("record", DRAFT, Actor.PENILAI), ("record", None, None),
    ("evaluate", DRAFT, Actor.OWNER), ("evaluate", DINILAI, None),
])
def test_wrong_actor_is_403_whatever_the_state(action, state, actor):
    with pytest.raises(DomainError) as info:
        step(action, state, actor)
    assert (info.value.status, info.value.code) == (403, "wrong-actor")
    assert info.value.detail.startswith("Only ") and info.value.detail_id.startswith("Hanya ")


@pytest.mark.parametrize(("action", "state"), [
    ("record", DINILAI), ("record", FINAL), ("evaluate", FINAL),
])
def test_wrong_state_is_409_naming_the_states(action, state):
    actor = Actor.OWNER if action == "record" else Actor.PENILAI
    with pytest.raises(DomainError) as info:
        step(action, state, actor)
    error = info.value
    assert (error.status, error.code) == (409, "wrong-state")
    assert error.extra["state"] == state.value and "draft" in error.extra["required_state"]
    assert state.value in error.detail and error.detail != error.detail_id


def test_nothing_to_rate_before_the_realisasi():
    with pytest.raises(DomainError) as info:
        step("evaluate", None, Actor.PENILAI)
    assert (info.value.status, info.value.code) == (409, "no-realisasi")
    assert "belum mengisi realisasi" in info.value.detail_id


# --- realisasi ---------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["https://drive.example.go.id/laporan.pdf", "http://10.0.0.1:8080/x?y=1#z",
                                 "HTTPS://Example.com"])
def test_web_urls_are_accepted(url):
    assert is_web_url(url)


@pytest.mark.parametrize("url", ["ftp://example.com/a", "javascript:alert(1)", "https://", "example.com/a",
                                 "https://exa mple.com", "https://example.com:99999/", "", None, 42,
                                 "https://" + "a" * 2000 + ".com", "file:///etc/passwd"])
def test_other_links_are_refused(url):
    assert not is_web_url(url)


def test_realisasi_is_parsed_with_trimmed_text_and_evidence():
    items = parse_realisasi([{"rhk_id": "rhk-2", "realisasi": "  12 laporan  ", "evidence": ["https://a.id/1"]},
                             {"rhk_id": "rhk-1", "realisasi": "Selesai"}], RHK)

    assert [i.to_dict() for i in items] == [
        {"rhk_id": "rhk-2", "realisasi": "12 laporan", "evidence": ["https://a.id/1"]},
        {"rhk_id": "rhk-1", "realisasi": "Selesai", "evidence": []}]


def test_every_broken_rule_of_the_realisasi_is_named_at_once():
    with pytest.raises(DomainError) as info:
        parse_realisasi([
            {"rhk_id": "rhk-1", "realisasi": "ok", "evidence": ["https://a.id", "ftp://b.id"]},
            {"rhk_id": "rhk-1", "realisasi": " "},
            {"rhk_id": "someone-elses", "realisasi": "x", "evidence": "https://a.id"},
            "not an object",
            {"rhk_id": "rhk-2", "realisasi": "x", "evidence": ["https://a.id"] * (EVIDENCE_MAX + 1)},
        ], RHK)

    error = info.value
    assert error.status == 422 and error.detail_id == "Realisasi melanggar satu atau lebih aturan."
    assert {(e.field, e.rule) for e in error.errors} == {
        ("items[0].evidence[1]", "http-url"), ("items[1].rhk_id", "unique"), ("items[1].realisasi", "required"),
        ("items[2].rhk_id", "approved-rhk"), ("items[2].evidence", "list"), ("items[3]", "object"),
        ("items[4].evidence", "max-items")}
    assert all(e.detail and e.detail_id and e.detail != e.detail_id for e in error.errors)


@pytest.mark.parametrize("items", [[], None, {"rhk_id": "rhk-1"}])
def test_realisasi_needs_a_non_empty_list(items):
    with pytest.raises(DomainError) as info:
        parse_realisasi(items, RHK)
    assert [(e.field, e.rule) for e in info.value.errors] == [("items", "non-empty")]


# --- the penilai's part ------------------------------------------------------------------------

def test_assessment_gives_the_quadrants_predikat_and_keeps_the_feedback():
    assessment = parse_assessment({"rhk-1": " Bagus ", "rhk-2": ""}, {"akuntabel": "Tepat waktu"},
                                  "di_atas_ekspektasi", "sesuai_ekspektasi", RHK)

    assert assessment.predikat is Predikat.BAIK
    assert assessment.feedback_rhk == {"rhk-1": "Bagus"}  # blank feedback is left out
    assert assessment.feedback_perilaku == {"akuntabel": "Tepat waktu"}
    assert (assessment.rating_hasil_kerja, assessment.rating_perilaku) == (Rating.DI_ATAS, Rating.SESUAI)


def test_assessment_names_unknown_keys_and_ratings():
    with pytest.raises(DomainError) as info:
        parse_assessment({"other-rhk": "x", "rhk-1": 5}, {"jujur": "x"}, "luar_biasa", None, RHK)

    rules = {(e.field, e.rule) for e in info.value.errors}
    assert rules == {("feedback_rhk.other-rhk", "approved-rhk"), ("feedback_rhk.rhk-1", "text"),
                     ("feedback_perilaku.jujur", "berakhlak-value"), ("rating_hasil_kerja", "one-of"),
                     ("rating_perilaku", "one-of")}
    assert info.value.status == 422


def test_every_berakhlak_value_takes_feedback():
    assessment = parse_assessment(None, {k: "baik" for k in VALUES}, "sesuai_ekspektasi", "sesuai_ekspektasi", RHK)
    assert set(assessment.feedback_perilaku) == set(VALUES) and len(VALUES) == 7


def test_credit_points_of_a_period_for_functional_positions_only():
    # Guru Ahli Pertama, one month rated Baik: 1/12 × 100% × 12.5 = 1.0416… -> 1.04
    assert angka_kredit(1, Predikat.BAIK, "fungsional", "Ahli Pertama") == Decimal("1.04")
    assert angka_kredit(3, Predikat.SANGAT_BAIK, "fungsional", "Ahli Muda") == Decimal("9.38")  # 9.375
    assert angka_kredit(12, Predikat.BAIK, "fungsional", "Ahli Madya") == Decimal("37.50")
    assert angka_kredit(1, Predikat.BAIK, "pelaksana", None) is None
    assert angka_kredit(12, Predikat.BAIK, "struktural", "JPT Pratama") is None
    assert angka_kredit(12, Predikat.BAIK, "struktural", "Ahli Muda") is None  # only functional positions


# --- finalising ---------------------------------------------------------------------------------

def test_unit_heads_are_those_supervised_from_outside_the_unit():
    members = {"kepsek": "kadis", "guru-1": "kepsek", "guru-2": "kepsek", "operator": "guru-1"}
    assert unit_heads(members) == {"kepsek"}
    assert unit_heads({"sekda": None, "staf": "sekda"}) == {"sekda"}
    assert unit_heads({"a": "x", "b": "y"}) == {"a", "b"}  # two heads answering to the unit above


def test_unit_predikat_is_parsed_or_refused():
    assert unit_predikat("istimewa") is UnitPredikat.ISTIMEWA
    with pytest.raises(DomainError) as info:
        unit_predikat("sangat_baik")
    assert [(e.field, e.rule) for e in info.value.errors] == [("unit_predikat", "one-of")]


ALL_BAIK = [Predikat.BAIK] * 4


def test_warn_mode_returns_the_violations_to_show():
    violations = finalisation(DistributionMode.WARN, UnitPredikat.BAIK, ALL_BAIK)
    assert {v.rule for v in violations} == {"max-baik", "min-butuh_perbaikan-kurang"}


def test_block_mode_refuses_listing_each_violation():
    with pytest.raises(DomainError) as info:
        finalisation(DistributionMode.BLOCK, UnitPredikat.BAIK, ALL_BAIK)

    error = info.value
    assert (error.status, error.code) == (409, "distribution-violated")
    assert {v["rule"] for v in error.extra["violations"]} == {"max-baik", "min-butuh_perbaikan-kurang"}
    assert all(v["detail"] and v["detail_id"] for v in error.extra["violations"])
    assert {(e.field, e.rule) for e in error.errors} == {("unit_predikat", "max-baik"),
                                                         ("unit_predikat", "min-butuh_perbaikan-kurang")}


@pytest.mark.parametrize("mode", list(DistributionMode))
def test_a_distribution_that_fits_finalises_in_either_mode(mode):
    fitting = [Predikat.BAIK, Predikat.BAIK, Predikat.SANGAT_BAIK, Predikat.BUTUH_PERBAIKAN]
    assert finalisation(mode, UnitPredikat.BAIK, fitting) == []


def test_an_unknown_field_of_a_realisasi_item_is_refused_not_dropped():
    with pytest.raises(DomainError) as info:
        parse_realisasi([{"rhk_id": "rhk-1", "realisasi": "ok", "bukti": ["https://a.id"]}], RHK)
    assert [(e.field, e.rule) for e in info.value.errors] == [("items[0].bukti", "unknown-field")]
