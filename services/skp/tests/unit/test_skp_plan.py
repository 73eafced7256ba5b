"""SKP planning: RHK with IKI per aspek, and cascading (docs/domain.md "SKP structure")."""

from decimal import Decimal

import pytest

from ekinerja_kernel.errors import DomainError
from skp.domain.plan import Iki, Rhk, coverage, parse_plan

SUPERVISOR_RHK = ["S-1", "S-2"]


def iki(aspek, target="2", satuan="dokumen", indikator="Jumlah dokumen kebijakan yang disusun"):
    return {"aspek": aspek, "indikator": indikator, "target": target, "satuan": satuan}


def kuantitatif_iki():
    return [iki("kuantitas", "2", "dokumen"), iki("kualitas", "100", "%", "Persentase dokumen tanpa revisi"),
            iki("waktu", "12", "bulan", "Waktu penyelesaian")]


def kualitatif_iki():
    return [iki("kuantitas", "Seluruh dokumen kebijakan tersusun", "dokumen"),
            iki("kualitas", "Dokumen diterima pimpinan tanpa revisi besar", "dokumen"),
            iki("waktu", "Selesai sebelum akhir tahun anggaran", "bulan")]


def rhk(kind="utama", text="Tersusunnya dokumen kebijakan", intervenes="S-1", ikis=None, **extra):
    raw = {"kind": kind, "text": text, "intervenes": intervenes, "iki": kuantitatif_iki() if ikis is None else ikis}
    raw.update(extra)
    return raw


def refused(approach="kuantitatif", rhks=None, top_official=False, supervisor=SUPERVISOR_RHK) -> DomainError:
    with pytest.raises(DomainError) as info:
        parse_plan(approach, [rhk()] if rhks is None else rhks, top_official, supervisor)
    error = info.value
    assert (error.status, error.code) == (422, "validation")
    assert error.detail and error.detail_id
    for field_error in error.errors:
        assert field_error.detail and field_error.detail_id and field_error.detail != field_error.detail_id
    return error


def broken(**kwargs) -> set[tuple[str, str]]:
    return {(e.field, e.rule) for e in refused(**kwargs).errors}


# --- accepted plans ------------------------------------------------------------------------------

def test_valid_kuantitatif_plan_is_parsed():
    plan = parse_plan("kuantitatif", [rhk()], False, SUPERVISOR_RHK)
    assert len(plan) == 1
    only = plan[0]
    assert isinstance(only, Rhk)
    assert (only.kind, only.text, only.intervenes) == ("utama", "Tersusunnya dokumen kebijakan", "S-1")
    assert [(i.aspek, i.target, i.satuan) for i in only.iki] == [
        ("kuantitas", "2", "dokumen"), ("kualitas", "100", "%"), ("waktu", "12", "bulan")]
    assert only.kuantitas() == Iki("kuantitas", "Jumlah dokumen kebijakan yang disusun", "2", "dokumen")


def test_valid_kualitatif_plan_with_narrative_targets_is_parsed():
    plan = parse_plan("kualitatif", [rhk(ikis=kualitatif_iki())], False, SUPERVISOR_RHK)
    assert [i.target for i in plan[0].iki] == [
        "Seluruh dokumen kebijakan tersusun", "Dokumen diterima pimpinan tanpa revisi besar",
        "Selesai sebelum akhir tahun anggaran"]


def test_utama_and_tambahan_together_are_accepted():
    plan = parse_plan("kuantitatif", [rhk(), rhk(kind="tambahan", intervenes="S-2")], False, SUPERVISOR_RHK)
    assert [r.kind for r in plan] == ["utama", "tambahan"]


def test_kind_defaults_to_utama():
    raw = rhk()
    del raw["kind"]
    assert parse_plan("kuantitatif", [raw], False, SUPERVISOR_RHK)[0].kind == "utama"


def test_top_official_may_omit_intervenes():
    plan = parse_plan("kuantitatif", [rhk(intervenes=None)], True, [])
    assert plan[0].intervenes is None


def test_biaya_is_optional_but_accepted():
    without = parse_plan("kuantitatif", [rhk()], False, SUPERVISOR_RHK)
    assert {i.aspek for i in without[0].iki} == {"kuantitas", "kualitas", "waktu"}
    with_biaya = parse_plan("kuantitatif", [rhk(ikis=kuantitatif_iki() + [iki("biaya", "15000000", "rupiah")])],
                            False, SUPERVISOR_RHK)
    assert {i.aspek for i in with_biaya[0].iki} == {"kuantitas", "kualitas", "waktu", "biaya"}


@pytest.mark.parametrize("target", ["1", "0.5", "1,5", "12"])
def test_positive_numeric_targets_are_accepted(target):
    ikis = kuantitatif_iki()
    ikis[1]["target"] = target
    assert parse_plan("kuantitatif", [rhk(ikis=ikis)], False, SUPERVISOR_RHK)[0].iki[1].target == target


# --- refused plans -------------------------------------------------------------------------------

@pytest.mark.parametrize("approach", ["campuran", "Kuantitatif", "", None])
def test_unknown_approach_is_refused(approach):
    assert broken(approach=approach) == {("approach", "one-of")}


@pytest.mark.parametrize("rhks", [[], None, "rhk", {}], ids=["empty", "none", "string", "dict"])
def test_empty_or_missing_rhk_list_is_refused(rhks):
    with pytest.raises(DomainError) as info:
        parse_plan("kuantitatif", rhks, False, SUPERVISOR_RHK)
    assert (info.value.status, info.value.code) == (422, "validation")
    assert {(e.field, e.rule) for e in info.value.errors} == {("rhk", "non-empty")}


@pytest.mark.parametrize("text", ["", "   ", None, 42])
def test_missing_text_is_refused(text):
    assert broken(rhks=[rhk(text=text)]) == {("rhk[0].text", "required")}


def test_rhk_that_is_not_an_object_is_refused():
    assert broken(rhks=["Tersusunnya dokumen"]) == {("rhk[0]", "object")}


def test_unknown_kind_is_refused():
    assert broken(rhks=[rhk(kind="lainnya")]) == {("rhk[0].kind", "one-of")}


@pytest.mark.parametrize(("missing", "index"), [("kuantitas", 0), ("kualitas", 1), ("waktu", 2)])
def test_missing_required_aspek_is_refused(missing, index):
    ikis = kuantitatif_iki()
    del ikis[index]
    assert broken(rhks=[rhk(ikis=ikis)]) == {("rhk[0].iki", f"has-{missing}")}


def test_missing_aspek_waktu_is_rule_has_waktu():
    ikis = [i for i in kuantitatif_iki() if i["aspek"] != "waktu"]
    assert broken(rhks=[rhk(ikis=ikis)]) == {("rhk[0].iki", "has-waktu")}


def test_no_iki_at_all_lists_every_missing_aspek():
    assert broken(rhks=[rhk(ikis=[])]) == {
        ("rhk[0].iki", "has-kuantitas"), ("rhk[0].iki", "has-kualitas"), ("rhk[0].iki", "has-waktu")}


def test_duplicate_aspek_is_refused():
    ikis = kuantitatif_iki() + [iki("kuantitas", "3", "dokumen")]
    assert broken(rhks=[rhk(ikis=ikis)]) == {("rhk[0].iki[3].aspek", "unique")}


@pytest.mark.parametrize("aspek", ["efisiensi", "Waktu", "", None])
def test_unknown_aspek_is_refused(aspek):
    ikis = kuantitatif_iki() + [iki(aspek)]
    assert broken(rhks=[rhk(ikis=ikis)]) == {("rhk[0].iki[3].aspek", "one-of")}


def test_iki_that_is_not_an_object_is_refused():
    ikis = kuantitatif_iki() + ["2 dokumen"]
    assert broken(rhks=[rhk(ikis=ikis)]) == {("rhk[0].iki[3]", "object")}


@pytest.mark.parametrize("target", ["0", "-3", "abc", "", None, "NaN", "Infinity", "100%"])
def test_kuantitatif_target_must_be_a_positive_number(target):
    ikis = kuantitatif_iki()
    ikis[1]["target"] = target
    assert broken(rhks=[rhk(ikis=ikis)]) == {("rhk[0].iki[1].target", "positive-number")}


@pytest.mark.parametrize("target", ["", "   ", None])
def test_kualitatif_target_is_required(target):
    ikis = kualitatif_iki()
    ikis[2]["target"] = target
    assert broken(approach="kualitatif", rhks=[rhk(ikis=ikis)]) == {("rhk[0].iki[2].target", "required")}


def test_kualitatif_target_need_not_be_numeric():
    assert parse_plan("kualitatif", [rhk(ikis=kualitatif_iki())], False, SUPERVISOR_RHK)


@pytest.mark.parametrize("satuan", ["", "  ", None])
def test_missing_satuan_is_refused(satuan):
    ikis = kuantitatif_iki()
    ikis[2]["satuan"] = satuan
    assert broken(rhks=[rhk(ikis=ikis)]) == {("rhk[0].iki[2].satuan", "required")}


@pytest.mark.parametrize("indikator", ["", "  ", None])
def test_missing_indikator_is_refused(indikator):
    ikis = kuantitatif_iki()
    ikis[0]["indikator"] = indikator
    assert broken(rhks=[rhk(ikis=ikis)]) == {("rhk[0].iki[0].indikator", "required")}


@pytest.mark.parametrize("intervenes", [None, ""])
def test_non_top_official_must_name_the_intervened_rhk(intervenes):
    assert broken(rhks=[rhk(intervenes=intervenes)]) == {("rhk[0].intervenes", "required")}


def test_non_top_official_without_intervenes_key_is_refused():
    raw = rhk()
    del raw["intervenes"]
    assert broken(rhks=[raw]) == {("rhk[0].intervenes", "required")}


def test_intervened_rhk_must_be_one_of_the_supervisors():
    assert broken(rhks=[rhk(intervenes="X-9")]) == {("rhk[0].intervenes", "supervisor-rhk")}


def test_no_supervisor_rhk_means_nothing_can_be_intervened():
    assert broken(rhks=[rhk(intervenes="S-1")], supervisor=[]) == {("rhk[0].intervenes", "supervisor-rhk")}


def test_only_tambahan_rhk_is_refused():
    assert broken(rhks=[rhk(kind="tambahan"), rhk(kind="tambahan", intervenes="S-2")]) == {("rhk", "has-utama")}


def test_one_problem_lists_every_broken_rule_across_rhk():
    bad_target = kuantitatif_iki()[:2]  # no waktu
    bad_target[1]["target"] = "0"
    assert broken(approach="hibrida", rhks=[rhk(text=""), rhk(ikis=bad_target), rhk(intervenes="X-9")]) == {
        ("approach", "one-of"),
        ("rhk[0].text", "required"),
        ("rhk[1].iki[1].target", "positive-number"),
        ("rhk[1].iki", "has-waktu"),
        ("rhk[2].intervenes", "supervisor-rhk"),
    }


def test_missing_intervenes_is_listed_even_when_the_rhk_has_other_errors():
    ikis = kuantitatif_iki()
    ikis[0]["target"] = "0"
    assert broken(rhks=[rhk(intervenes=None, ikis=ikis)]) == {
        ("rhk[0].iki[0].target", "positive-number"), ("rhk[0].intervenes", "required")}


def test_invalid_utama_rhk_does_not_also_raise_has_utama():
    ikis = kuantitatif_iki()
    ikis[0]["target"] = "0"
    assert broken(rhks=[rhk(ikis=ikis), rhk(kind="tambahan", intervenes="S-2")]) == {
        ("rhk[0].iki[0].target", "positive-number")}


# --- coverage ------------------------------------------------------------------------------------

SUPERVISOR_TARGET = Iki("kuantitas", "Jumlah dokumen", "10", "dokumen")


def contribution(target, satuan="dokumen"):
    return Iki("kuantitas", "Jumlah dokumen", target, satuan)


def test_coverage_covered():
    assert coverage(SUPERVISOR_TARGET, [contribution("4"), contribution("6")]) == {
        "status": "covered", "target": "10", "planned": "10", "satuan": "dokumen"}


def test_coverage_short():
    result = coverage(SUPERVISOR_TARGET, [contribution("4"), contribution("5")])
    assert (result["status"], result["planned"]) == ("short", "9")


def test_coverage_over():
    result = coverage(SUPERVISOR_TARGET, [contribution("6"), contribution("6")])
    assert (result["status"], result["planned"]) == ("over", "12")


def test_coverage_with_no_contributions_is_short():
    result = coverage(SUPERVISOR_TARGET, [])
    assert (result["status"], Decimal(result["planned"])) == ("short", 0)


def test_coverage_matches_satuan_case_insensitively():
    result = coverage(SUPERVISOR_TARGET, [contribution("4", "Dokumen"), contribution("6", "DOKUMEN")])
    assert result["status"] == "covered"


def test_coverage_ignores_contributions_in_another_satuan():
    result = coverage(SUPERVISOR_TARGET, [contribution("10", "laporan"), contribution("4")])
    assert (result["status"], result["planned"]) == ("short", "4")


def test_coverage_ignores_missing_and_non_numeric_contributions():
    result = coverage(SUPERVISOR_TARGET, [None, contribution("banyak"), contribution("10")])
    assert (result["status"], result["planned"]) == ("covered", "10")


@pytest.mark.parametrize("target", ["Seluruh dokumen tersusun", "0", ""])
def test_coverage_of_a_non_numeric_supervisor_target_is_not_comparable(target):
    assert coverage(Iki("kuantitas", "Jumlah", target, "dokumen"), [contribution("10")]) == {
        "status": "not-comparable"}


def test_coverage_without_a_supervisor_kuantitas_is_not_comparable():
    assert coverage(None, [contribution("10")]) == {"status": "not-comparable"}


def test_coverage_of_a_parsed_plan():
    supervisor = parse_plan("kuantitatif", [rhk(intervenes=None)], True, [])[0]
    mine = parse_plan("kuantitatif", [rhk()], False, SUPERVISOR_RHK)[0]
    result = coverage(supervisor.kuantitas(), [mine.kuantitas()])
    assert (result["status"], result["target"], result["planned"]) == ("covered", "2", "2")


# --- limits and unknown fields (issue: the plan's rules and limits) --------------------------------

def test_an_unknown_field_of_an_rhk_or_an_iki_is_refused_not_dropped():
    ikis = kuantitatif_iki()
    ikis[0]["targett"] = "3"
    assert broken(rhks=[rhk(ikis=ikis, bobot="30")]) == {("rhk[0].bobot", "unknown-field"),
                                                         ("rhk[0].iki[0].targett", "unknown-field")}


def test_text_indikator_satuan_and_target_have_a_maximum_length():
    from skp.domain.plan import INDIKATOR_MAX, RHK_TEXT_MAX, SATUAN_MAX, TARGET_MAX

    assert parse_plan("kuantitatif", [rhk(text="x" * RHK_TEXT_MAX)], False, SUPERVISOR_RHK)
    ikis = kuantitatif_iki()
    ikis[0]["indikator"] = "i" * (INDIKATOR_MAX + 1)
    ikis[1]["satuan"] = "%" * (SATUAN_MAX + 1)
    assert broken(rhks=[rhk(text="x" * (RHK_TEXT_MAX + 1), ikis=ikis)]) == {
        ("rhk[0].text", "max-length"), ("rhk[0].iki[0].indikator", "max-length"),
        ("rhk[0].iki[1].satuan", "max-length")}
    narrative = kualitatif_iki()
    narrative[0]["target"] = "t" * (TARGET_MAX + 1)
    assert broken(approach="kualitatif", rhks=[rhk(ikis=narrative)]) == {("rhk[0].iki[0].target", "max-length")}


@pytest.mark.parametrize("target, ok", [("100", True), ("99,5", True), ("100.01", False), ("120", False)])
def test_a_kualitas_target_in_percent_is_at_most_100(target, ok):
    ikis = kuantitatif_iki()
    ikis[1]["target"] = target
    if ok:
        assert parse_plan("kuantitatif", [rhk(ikis=ikis)], False, SUPERVISOR_RHK)
    else:
        assert broken(rhks=[rhk(ikis=ikis)]) == {("rhk[0].iki[1].target", "max-100-percent")}


@pytest.mark.parametrize("target, satuan, ok", [
    ("12", "bulan", True), ("13", "bulan", False), ("4", "triwulan", True), ("5", "triwulan", False),
    ("2", "semester", True), ("3", "semester", False), ("52", "minggu", True), ("54", "minggu", False),
    ("365", "hari", True), ("367", "hari", False), ("12", "Bulan", True)])
def test_waktu_lies_within_the_annual_period(target, satuan, ok):
    ikis = kuantitatif_iki()
    ikis[2].update(target=target, satuan=satuan)
    if ok:
        assert parse_plan("kuantitatif", [rhk(ikis=ikis)], False, SUPERVISOR_RHK)
    else:
        assert broken(rhks=[rhk(ikis=ikis)]) == {("rhk[0].iki[2].target", "within-period")}


def test_366_days_fit_a_leap_year_only():
    ikis = kuantitatif_iki()
    ikis[2].update(target="366", satuan="hari")
    assert parse_plan("kuantitatif", [rhk(ikis=ikis)], False, SUPERVISOR_RHK, year=2028)
    assert broken_in(2027, [rhk(ikis=ikis)]) == {("rhk[0].iki[2].target", "within-period")}


def broken_in(year, rhks):
    with pytest.raises(DomainError) as info:
        parse_plan("kuantitatif", rhks, False, SUPERVISOR_RHK, year=year)
    return {(e.field, e.rule) for e in info.value.errors}


def test_waktu_in_a_unit_that_is_not_a_span_of_the_year_is_refused_with_the_units_allowed():
    ikis = kuantitatif_iki()
    ikis[2]["satuan"] = "kali"
    error = refused(rhks=[rhk(ikis=ikis)])
    assert {(e.field, e.rule) for e in error.errors} == {("rhk[0].iki[2].satuan", "waktu-unit")}
    assert "bulan" in error.errors[0].detail and "bulan" in error.errors[0].detail_id


def test_too_many_rhk_are_refused():
    from skp.domain.plan import MAX_RHK

    assert broken(rhks=[rhk() for _ in range(MAX_RHK + 1)]) == {("rhk", "max-items")}


# --- identity: an RHK sent with its id keeps it ---------------------------------------------------

def test_the_id_sent_with_an_rhk_and_the_ones_it_replaces_are_parsed():
    plan = parse_plan("kuantitatif", [rhk(id="R-1"), rhk(replaces=["R-2", "R-3"])], False, SUPERVISOR_RHK)
    assert [(r.id, r.replaces) for r in plan] == [("R-1", ()), (None, ("R-2", "R-3"))]


@pytest.mark.parametrize("extra, rule", [({"id": 7}, "text"), ({"id": ""}, "text"),
                                         ({"replaces": "R-2"}, "list-of-ids"), ({"replaces": [3]}, "list-of-ids")])
def test_a_malformed_id_or_replaces_is_refused(extra, rule):
    field = f"rhk[0].{next(iter(extra))}"
    assert broken(rhks=[rhk(**extra)]) == {(field, rule)}
