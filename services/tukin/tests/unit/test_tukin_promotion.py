"""Promotion eligibility hint: at least "Baik" in each of the last two years."""

import pytest

from ekinerja_kernel.errors import DomainError
from tukin.domain.predikat import Predikat
from tukin.domain.promotion import promotion_hint


@pytest.mark.parametrize(("history", "eligible"), [
    ({2024: "baik", 2025: "baik"}, True),
    ({2024: "sangat_baik", 2025: "baik"}, True),
    ({2024: "baik", 2025: "sangat_baik"}, True),
    ({2024: "butuh_perbaikan", 2025: "sangat_baik"}, False),  # Butuh Perbaikan (Cukup) is below Baik
    ({2024: "baik", 2025: "kurang"}, False),
    ({2024: "sangat_kurang", 2025: "baik"}, False),
])
def test_at_least_baik_in_each_of_the_last_two_years(history, eligible):
    hint = promotion_hint(history)
    assert hint.eligible is eligible
    assert [c.year for c in hint.years] == [2024, 2025]


def test_only_the_last_two_years_count():
    hint = promotion_hint({2021: "sangat_kurang", 2022: "kurang", 2023: "baik", 2024: "sangat_baik"})
    assert hint.eligible
    assert [(c.year, c.predikat, c.meets) for c in hint.years] == [(2023, Predikat.BAIK, True),
                                                                   (2024, Predikat.SANGAT_BAIK, True)]
    assert "2023: Baik; 2024: Sangat Baik" in hint.explanation_id


def test_a_missing_year_does_not_meet_the_rule():
    # Asked as of the last completed year 2025: 2024 is missing.
    hint = promotion_hint({2023: "baik", 2025: "baik"}, last_year=2025)
    assert not hint.eligible
    assert [(c.year, c.predikat) for c in hint.years] == [(2024, None), (2025, Predikat.BAIK)]
    assert "2024: tidak ada predikat" in hint.explanation_id and "2024: no predikat" in hint.explanation_en
    # Asked as of 2026 with only 2025 recorded: 2026 missing.
    assert not promotion_hint({"2024": "baik", "2025": "baik"}, last_year=2026).eligible


def test_the_explanation_names_the_year_that_falls_short():
    hint = promotion_hint({"2024": "Cukup", "2025": "Baik"})
    assert not hint.eligible
    assert hint.years[0].predikat is Predikat.BUTUH_PERBAIKAN
    assert hint.explanation_id.startswith("Belum memenuhi syarat predikat untuk kenaikan pangkat reguler")
    assert "2024: Butuh Perbaikan (di bawah Baik)" in hint.explanation_id
    assert "2024: Butuh Perbaikan (below Baik)" in hint.explanation_en
    assert hint.to_dict()["years"][0] == {"year": 2024, "predikat": "butuh_perbaikan", "meets": False}


def test_no_history():
    hint = promotion_hint({})
    assert not hint.eligible and hint.years == ()
    assert "Belum ada predikat tahunan" in hint.explanation_id


def test_a_bad_history_names_the_year():
    with pytest.raises(DomainError) as caught:
        promotion_hint({"2025": "luar_biasa", "20x4": "baik"})
    assert {(e.field, e.rule) for e in caught.value.errors} == {("history.2025", "predikat"),
                                                                ("history.20x4", "year")}
