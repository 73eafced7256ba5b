"""Ratings and the predikat quadrant (docs/domain.md "Ratings and predikat")."""

import itertools

import pytest

from ekinerja_kernel.errors import DomainError
from skp.domain.predikat import ORDER, Predikat, Rating, at_least, predikat, rating

ATAS, SESUAI, BAWAH = "di_atas_ekspektasi", "sesuai_ekspektasi", "di_bawah_ekspektasi"

# DOMAIN's table, written out by hand: (rating hasil kerja, rating perilaku kerja) -> predikat.
DOMAIN_QUADRANT = [
    # hasil kerja Di Atas
    (ATAS, BAWAH, "kurang"),  # Kurang/Misconduct
    (ATAS, SESUAI, "baik"),
    (ATAS, ATAS, "sangat_baik"),
    # hasil kerja Sesuai
    (SESUAI, BAWAH, "kurang"),  # Kurang/Misconduct
    (SESUAI, SESUAI, "baik"),
    (SESUAI, ATAS, "baik"),
    # hasil kerja Di Bawah
    (BAWAH, BAWAH, "sangat_kurang"),
    (BAWAH, SESUAI, "butuh_perbaikan"),
    (BAWAH, ATAS, "butuh_perbaikan"),
]

# Best = highest: Sangat Baik > Baik > Butuh Perbaikan > Kurang/Misconduct > Sangat Kurang.
RANK = {"sangat_baik": 5, "baik": 4, "butuh_perbaikan": 3, "kurang": 2, "sangat_kurang": 1}


@pytest.mark.parametrize(("hasil", "perilaku", "expected"), DOMAIN_QUADRANT,
                         ids=[f"{h}-x-{p}" for h, p, _ in DOMAIN_QUADRANT])
def test_quadrant_cell_matches_domain_table(hasil, perilaku, expected):
    assert predikat(Rating(hasil), Rating(perilaku)) == Predikat(expected)


def test_domain_table_covers_all_nine_rating_pairs():
    pairs = {(h, p) for h, p, _ in DOMAIN_QUADRANT}
    assert pairs == set(itertools.product([ATAS, SESUAI, BAWAH], repeat=2))


def test_quadrant_accepts_ratings_parsed_by_rating():
    hasil = rating(ATAS, "rating_hasil_kerja")
    perilaku = rating(ATAS, "rating_perilaku_kerja")
    assert predikat(hasil, perilaku) == Predikat.SANGAT_BAIK


def test_order_is_best_first_as_in_domain():
    assert [p.value for p in ORDER] == ["sangat_baik", "baik", "butuh_perbaikan", "kurang", "sangat_kurang"]
    assert set(ORDER) == set(Predikat)


@pytest.mark.parametrize(("value", "floor"), list(itertools.product(RANK, RANK)))
def test_at_least_follows_domain_order(value, floor):
    assert at_least(Predikat(value), Predikat(floor)) is (RANK[value] >= RANK[floor])


def test_at_least_baik_is_what_a_level_step_needs():
    assert at_least(Predikat.SANGAT_BAIK, Predikat.BAIK)
    assert at_least(Predikat.BAIK, Predikat.BAIK)
    assert not at_least(Predikat.BUTUH_PERBAIKAN, Predikat.BAIK)
    assert not at_least(Predikat.KURANG, Predikat.BAIK)
    assert not at_least(Predikat.SANGAT_KURANG, Predikat.BAIK)


@pytest.mark.parametrize("value", [ATAS, SESUAI, BAWAH])
def test_rating_accepts_each_known_value(value):
    assert rating(value, "rating_hasil_kerja") == Rating(value)


@pytest.mark.parametrize("value", ["Di Atas Ekspektasi", "di_atas", "sangat_baik", "", "DI_ATAS_EKSPEKTASI", None])
def test_rating_refuses_unknown_value_with_422_naming_field_and_rule(value):
    with pytest.raises(DomainError) as info:
        rating(value, "rating_perilaku_kerja")
    error = info.value
    assert error.status == 422
    assert error.code == "validation"
    assert len(error.errors) == 1
    field_error = error.errors[0]
    assert field_error.field == "rating_perilaku_kerja"
    assert field_error.rule == "one-of"
    for allowed in (ATAS, SESUAI, BAWAH):
        assert allowed in field_error.detail
        assert allowed in field_error.detail_id
    assert "must be one of" in field_error.detail
    assert "harus salah satu dari" in field_error.detail_id
