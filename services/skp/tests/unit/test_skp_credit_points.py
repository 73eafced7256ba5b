"""Angka kredit for functional positions (docs/domain.md "Credit points")."""

import datetime as dt
import itertools
from decimal import Decimal
from fractions import Fraction

import pytest

from skp.domain.credit_points import credit_points
from skp.domain.predikat import Predikat

D = dt.date

SB, B, BP, K, SK = (Predikat.SANGAT_BAIK, Predikat.BAIK, Predikat.BUTUH_PERBAIKAN, Predikat.KURANG,
                    Predikat.SANGAT_KURANG)

# Written out from docs/domain.md, not read back from the module.
PERCENT = {"sangat_baik": 150, "baik": 100, "butuh_perbaikan": 75, "kurang": 50, "sangat_kurang": 25}
EXPERT = {"Ahli Pertama": "12.5", "Ahli Muda": "25", "Ahli Madya": "37.5", "Ahli Utama": "50"}
SKILL = {"Pemula": "3.75", "Terampil": "5", "Mahir": "12.5", "Penyelia": "25"}


def reference(months: int, value: str, jenjang: str) -> Decimal:
    """Exact months/12 × predikat% × coefficient, rounded half-up to 2 decimals."""
    exact = Fraction(months, 12) * Fraction(PERCENT[value], 100) * Fraction({**EXPERT, **SKILL}[jenjang])
    cents = exact * 100
    whole, rest = divmod(cents.numerator, cents.denominator)
    if Fraction(rest, cents.denominator) >= Fraction(1, 2):
        whole += 1
    return Decimal(whole) / 100


def test_domain_worked_example_two_months_baik_ahli_pertama():
    result = credit_points(2, B, "Ahli Pertama")
    assert result == Decimal("2.08")
    assert str(result) == "2.08"


def test_full_year_sangat_baik_ahli_madya():
    result = credit_points(12, SB, "Ahli Madya")
    assert result == Decimal("56.25")
    assert str(result) == "56.25"


@pytest.mark.parametrize(("jenjang", "coefficient"), [*EXPERT.items(), *SKILL.items()])
def test_full_year_baik_earns_the_annual_coefficient(jenjang, coefficient):
    result = credit_points(12, B, jenjang)
    assert result == Decimal(coefficient)
    assert result.as_tuple().exponent == -2  # always 2 decimals


@pytest.mark.parametrize(("value", "expected"), [(SB, "75.00"), (B, "50.00"), (BP, "37.50"), (K, "25.00"),
                                                 (SK, "12.50")])
def test_each_predikat_percentage_on_ahli_utama(value, expected):
    assert str(credit_points(12, value, "Ahli Utama")) == expected


def test_rounds_half_up_not_half_even():
    # 12/12 × 25% × 12.5 = 3.125 exactly: half-up gives 3.13 (half-even would give 3.12).
    assert credit_points(12, SK, "Ahli Pertama") == Decimal("3.13")
    # 2/12 × 100% × 3.75 = 0.625 exactly: half-up gives 0.63 (half-even would give 0.62).
    assert credit_points(2, B, "Pemula") == Decimal("0.63")


def test_rounds_below_half_down():
    # 1/12 × 100% × 12.5 = 1.041666… -> 1.04
    assert credit_points(1, B, "Ahli Pertama") == Decimal("1.04")


def test_exact_tie_after_a_non_terminating_month_fraction_rounds_half_up():
    assert credit_points(4, K, "Pemula") == Decimal("0.63")


ALL_CASES = [
    pytest.param(m, v, j, id=f"{m}m-{v}-{j}")
    for m, v, j in itertools.product(range(1, 13), PERCENT, [*EXPERT, *SKILL])
]


@pytest.mark.parametrize(("months", "value", "jenjang"), ALL_CASES)
def test_every_combination_matches_exact_half_up_reference(months, value, jenjang):
    assert credit_points(months, Predikat(value), jenjang) == reference(months, value, jenjang)


@pytest.mark.parametrize("jenjang", [None, "Administrator", "Pengawas", "JPT Pratama", "Pelaksana", ""])
def test_non_functional_jenjang_earns_no_credit_points(jenjang):
    assert credit_points(12, B, jenjang) is None


@pytest.mark.parametrize("months", [0, 13, -1])
@pytest.mark.parametrize("jenjang", ["Ahli Pertama", "Terampil"])
def test_months_outside_one_to_twelve_is_refused(months, jenjang):
    with pytest.raises(ValueError):
        credit_points(months, B, jenjang)


@pytest.mark.parametrize("months", [1, 12])
def test_months_one_and_twelve_are_accepted(months):
    assert credit_points(months, B, "Ahli Muda") > 0


# --- counted once per year: the annual evaluation, or a conversion where a period ends a position ---

def test_a_periodic_evaluation_counts_no_points_unless_the_period_ends_a_position():
    from skp.domain.credit_points import Counted, count_year

    q1 = Counted("q1", "quarterly", D(2027, 1, 1), D(2027, 3, 31), None)
    q2 = Counted("q2", "quarterly", D(2027, 4, 1), D(2027, 6, 30), "promoted")
    q4 = Counted("q4", "quarterly", D(2027, 10, 1), D(2027, 12, 31), None)
    annual = Counted("year", "annual", D(2027, 1, 1), D(2027, 12, 31), None)

    assert count_year([annual, q1, q4]) == {"q1": 0, "q4": 0, "year": 12}
    # Promoted at the end of June: January–June by conversion, July–December by the annual evaluation.
    assert count_year([q1, q2, q4, annual]) == {"q1": 0, "q2": 6, "q4": 0, "year": 6}
    left = Counted("q4", "quarterly", D(2027, 10, 1), D(2027, 12, 31), "left")
    assert count_year([q2, left, annual]) == {"q2": 6, "q4": 6, "year": 0}
    moved_in_march = Counted("m3", "monthly", D(2027, 3, 1), D(2027, 3, 31), "moved")
    assert count_year([moved_in_march, q2, annual]) == {"m3": 3, "q2": 3, "year": 6}


def test_how_a_position_ends_is_moved_promoted_or_left():
    from ekinerja_kernel.errors import DomainError
    from skp.domain.credit_points import POSITION_ENDS, ends_position

    assert POSITION_ENDS == ("moved", "promoted", "left")
    assert ends_position(None, "quarterly") is None and ends_position("left", "monthly") == "left"
    for value, kind in (("retired", "monthly"), ("moved", "annual")):
        with pytest.raises(DomainError) as info:
            ends_position(value, kind)
        assert info.value.status == 422 and info.value.errors[0].field == "ends_position"
