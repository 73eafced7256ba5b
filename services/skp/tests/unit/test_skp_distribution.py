"""The share of each employee predikat a unit's own predikat allows
(docs/domain.md "Distribution by organisational predikat")."""

import pytest

from skp.domain.distribution import UnitPredikat, Violation, check
from skp.domain.predikat import Predikat

ISTIMEWA, BAIK_UNIT, BP_UNIT, KURANG_UNIT, SK_UNIT = (
    UnitPredikat.ISTIMEWA, UnitPredikat.BAIK, UnitPredikat.BUTUH_PERBAIKAN, UnitPredikat.KURANG,
    UnitPredikat.SANGAT_KURANG)


def staff(sb=0, b=0, bp=0, k=0, sk=0) -> list[Predikat]:
    return ([Predikat.SANGAT_BAIK] * sb + [Predikat.BAIK] * b + [Predikat.BUTUH_PERBAIKAN] * bp
            + [Predikat.KURANG] * k + [Predikat.SANGAT_KURANG] * sk)


def rule_parts(violation: Violation) -> tuple[str, set[str]]:
    """'max-sangat_baik' -> ('max', {'sangat_baik'}); 'min-kurang-butuh_perbaikan' -> ('min', {...})."""
    kind, _, group = violation.rule.partition("-")
    return kind, set(group.split("-"))


def only(violations: list[Violation]) -> Violation:
    assert len(violations) == 1, violations
    return violations[0]


def assert_bilingual(violation: Violation, unit: UnitPredikat, n: int, total: int):
    assert f"unit rated {unit.value}" in violation.detail
    assert f"found {n} of {total}" in violation.detail
    assert f"pada unit berpredikat {unit.value}" in violation.detail_id
    assert f"terdapat {n} dari {total}" in violation.detail_id
    assert violation.detail != violation.detail_id


# --- empty unit --------------------------------------------------------------------------------

@pytest.mark.parametrize("unit", list(UnitPredikat))
def test_empty_unit_has_no_violations(unit):
    assert check(unit, []) == []


# --- Istimewa: at most 70% Sangat Baik ----------------------------------------------------------

def test_istimewa_allows_exactly_70_percent_sangat_baik():
    assert check(ISTIMEWA, staff(sb=70, b=30)) == []


def test_istimewa_refuses_71_percent_sangat_baik():
    v = only(check(ISTIMEWA, staff(sb=71, b=29)))
    assert rule_parts(v) == ("max", {"sangat_baik"})
    assert "Sangat Baik: at most 70% allowed" in v.detail
    assert "Sangat Baik: paling banyak 70%" in v.detail_id
    assert_bilingual(v, ISTIMEWA, 71, 100)


def test_istimewa_has_no_lower_bound_rule():
    assert check(ISTIMEWA, staff(sk=10)) == []


# --- Baik: at most 70% Baik; some Butuh Perbaikan and/or Kurang ---------------------------------

@pytest.mark.parametrize("employees", [staff(b=7, sb=2, bp=1), staff(b=7, sb=2, k=1), staff(b=5, bp=3, k=2)],
                         ids=["with-bp", "with-kurang", "with-both"])
def test_baik_unit_passes(employees):
    assert check(BAIK_UNIT, employees) == []


def test_baik_unit_refuses_more_than_70_percent_baik():
    v = only(check(BAIK_UNIT, staff(b=71, sb=28, bp=1)))
    assert rule_parts(v) == ("max", {"baik"})
    assert "Baik: at most 70% allowed" in v.detail
    assert "Baik: paling banyak 70%" in v.detail_id
    assert_bilingual(v, BAIK_UNIT, 71, 100)


def test_baik_unit_refuses_no_butuh_perbaikan_nor_kurang():
    v = only(check(BAIK_UNIT, staff(b=7, sb=3)))
    assert rule_parts(v) == ("min", {"butuh_perbaikan", "kurang"})
    assert "Butuh Perbaikan" in v.detail and "Kurang" in v.detail
    assert "at least one required" in v.detail
    assert "diperlukan minimal satu" in v.detail_id
    assert_bilingual(v, BAIK_UNIT, 0, 10)


def test_baik_unit_sangat_kurang_does_not_count_as_butuh_perbaikan_or_kurang():
    v = only(check(BAIK_UNIT, staff(b=7, sb=2, sk=1)))
    assert rule_parts(v) == ("min", {"butuh_perbaikan", "kurang"})


def test_baik_unit_reports_both_rules_at_once():
    rules = [rule_parts(v) for v in check(BAIK_UNIT, staff(b=10))]
    assert sorted((kind, sorted(group)) for kind, group in rules) == [
        ("max", ["baik"]), ("min", ["butuh_perbaikan", "kurang"])]


# --- Butuh Perbaikan: at least 60% BP; at most 10% SB --------------------------------------------

def test_butuh_perbaikan_unit_passes_at_the_bounds():
    assert check(BP_UNIT, staff(bp=6, sb=1, b=3)) == []


def test_butuh_perbaikan_unit_refuses_under_60_percent_bp():
    v = only(check(BP_UNIT, staff(bp=59, sb=10, b=31)))
    assert rule_parts(v) == ("min", {"butuh_perbaikan"})
    assert "Butuh Perbaikan: at least 60% required" in v.detail
    assert "Butuh Perbaikan: diperlukan minimal 60%" in v.detail_id
    assert_bilingual(v, BP_UNIT, 59, 100)


def test_butuh_perbaikan_unit_refuses_over_10_percent_sb():
    v = only(check(BP_UNIT, staff(bp=60, sb=11, b=29)))
    assert rule_parts(v) == ("max", {"sangat_baik"})
    assert "Sangat Baik: at most 10% allowed" in v.detail
    assert "Sangat Baik: paling banyak 10%" in v.detail_id
    assert_bilingual(v, BP_UNIT, 11, 100)


# --- Kurang: at least 60% Kurang; at least 10% BP; at most 10% SB --------------------------------

def test_kurang_unit_passes_at_the_bounds():
    assert check(KURANG_UNIT, staff(k=6, bp=1, sb=1, sk=2)) == []


def test_kurang_unit_refuses_under_60_percent_kurang():
    v = only(check(KURANG_UNIT, staff(k=59, bp=10, sb=10, sk=21)))
    assert rule_parts(v) == ("min", {"kurang"})
    assert "Kurang: at least 60% required" in v.detail
    assert "Kurang: diperlukan minimal 60%" in v.detail_id
    assert_bilingual(v, KURANG_UNIT, 59, 100)


def test_kurang_unit_refuses_under_10_percent_butuh_perbaikan():
    v = only(check(KURANG_UNIT, staff(k=70, bp=9, sb=10, sk=11)))
    assert rule_parts(v) == ("min", {"butuh_perbaikan"})
    assert "Butuh Perbaikan: at least 10% required" in v.detail
    assert "Butuh Perbaikan: diperlukan minimal 10%" in v.detail_id
    assert_bilingual(v, KURANG_UNIT, 9, 100)


def test_kurang_unit_refuses_over_10_percent_sangat_baik():
    v = only(check(KURANG_UNIT, staff(k=60, bp=10, sb=11, sk=19)))
    assert rule_parts(v) == ("max", {"sangat_baik"})
    assert "Sangat Baik: at most 10% allowed" in v.detail
    assert "Sangat Baik: paling banyak 10%" in v.detail_id
    assert_bilingual(v, KURANG_UNIT, 11, 100)


# --- Sangat Kurang: at least 60% SK; at least 10% Kurang and/or BP; no SB -------------------------

@pytest.mark.parametrize("employees", [staff(sk=6, k=1, b=3), staff(sk=6, bp=1, b=3), staff(sk=60, k=5, bp=5, b=30)],
                         ids=["kurang", "butuh-perbaikan", "both"])
def test_sangat_kurang_unit_passes(employees):
    assert check(SK_UNIT, employees) == []


def test_sangat_kurang_unit_refuses_under_60_percent_sangat_kurang():
    v = only(check(SK_UNIT, staff(sk=59, k=10, b=31)))
    assert rule_parts(v) == ("min", {"sangat_kurang"})
    assert "Sangat Kurang: at least 60% required" in v.detail
    assert "Sangat Kurang: diperlukan minimal 60%" in v.detail_id
    assert_bilingual(v, SK_UNIT, 59, 100)


def test_sangat_kurang_unit_refuses_under_10_percent_kurang_and_butuh_perbaikan():
    v = only(check(SK_UNIT, staff(sk=85, k=5, bp=4, b=6)))
    assert rule_parts(v) == ("min", {"kurang", "butuh_perbaikan"})
    assert "at least 10% required" in v.detail
    assert "diperlukan minimal 10%" in v.detail_id
    assert_bilingual(v, SK_UNIT, 9, 100)


def test_sangat_kurang_unit_refuses_any_sangat_baik():
    v = only(check(SK_UNIT, staff(sk=60, k=10, sb=1, b=29)))
    assert rule_parts(v) == ("max", {"sangat_baik"})
    assert "Sangat Baik: none allowed" in v.detail
    assert "Sangat Baik: tidak boleh ada" in v.detail_id
    assert_bilingual(v, SK_UNIT, 1, 100)


# --- general -------------------------------------------------------------------------------------

def test_check_accepts_any_iterable():
    assert check(ISTIMEWA, iter(staff(sb=7, b=3))) == []
    assert len(check(ISTIMEWA, iter(staff(sb=8, b=2)))) == 1


def test_every_rule_of_a_unit_is_reported_together():
    # Kurang unit with only Sangat Baik: too few Kurang, too few BP, too many SB.
    rules = [rule_parts(v) for v in check(KURANG_UNIT, staff(sb=5))]
    assert sorted((kind, sorted(group)) for kind, group in rules) == [
        ("max", ["sangat_baik"]), ("min", ["butuh_perbaikan"]), ("min", ["kurang"])]
