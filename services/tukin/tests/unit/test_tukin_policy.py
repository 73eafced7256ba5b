"""The allowance policy as data: parsing with every bad field named, YAML/JSON files, the demo
policies, and the version in force on a date."""

import copy
import datetime as dt
import json
import typing
from decimal import Decimal

import pytest

from ekinerja_kernel.errors import DomainError
from tukin.domain.policy import (
    DEMO_POLICIES_DIR,
    AllowanceKind,
    Basis,
    BlankDayParams,
    ConsecutiveBlankParams,
    NoReportMonthParams,
    Part,
    PredikatParams,
    PredikatSource,
    ReturnedEntriesParams,
    Rule,
    RuleKind,
    demo_policies,
    load_policy_file,
    parse_policy,
    policy_in_force,
)
from tukin.domain.predikat import Predikat

D = dt.date

GOOD = {
    "agency_id": "kemendemo", "kind": "tukin", "effective_from": "2026-01-01",
    "base_amounts": {"1": 1968000, "8": "3319000"},
    "split": {"performance": 60, "discipline": 40},
    "rules": [
        {"kind": "blank_day", "applies_to": "discipline", "params": {"percent": 2.5}},
        {"kind": "consecutive_blank", "applies_to": "discipline", "params": {"threshold_days": 10, "percent": 100}},
        {"kind": "returned_entries", "applies_to": "performance",
         "params": {"basis": "paid", "bands": [{"from": 1, "to": 5, "percent": 90},
                                               {"from": 6, "to": 10, "percent": 85},
                                               {"from": 11, "to": None, "percent": 80}]}},
        {"kind": "no_report_month", "applies_to": "performance", "params": {"percent": "35"}},
        {"kind": "predikat", "applies_to": "performance", "params": {"percents": {"Kurang": 1, "sangat_kurang": 2}}},
    ],
}


def errors_of(raw):
    with pytest.raises(DomainError) as caught:
        parse_policy(raw)
    assert caught.value.status == 422 and caught.value.code == "validation"
    return {(e.field, e.rule) for e in caught.value.errors}


def test_a_good_policy_is_read_with_every_rule_kind():
    policy = parse_policy(GOOD)
    assert policy.agency_id == "kemendemo" and policy.kind is AllowanceKind.TUKIN
    assert policy.effective_from == D(2026, 1, 1)
    assert dict(policy.base_amounts) == {1: Decimal(1968000), 8: Decimal(3319000)}
    assert (policy.performance_percent, policy.discipline_percent) == (Decimal(60), Decimal(40))
    assert policy.cap_percent == Decimal(100)  # default
    blank, consecutive, returned, no_report, predikat = policy.rules
    assert blank.params == BlankDayParams(percent=Decimal("2.5")) and blank.applies_to is Part.DISCIPLINE
    assert consecutive.params == ConsecutiveBlankParams(threshold_days=10, percent=Decimal(100))
    assert isinstance(returned.params, ReturnedEntriesParams) and returned.params.basis is Basis.PAID
    assert [(b.low, b.high, b.percent) for b in returned.params.bands] == [
        (1, 5, Decimal(90)), (6, 10, Decimal(85)), (11, None, Decimal(80))]
    assert no_report.params == NoReportMonthParams(percent=Decimal(35))
    assert isinstance(predikat.params, PredikatParams)
    assert dict(predikat.params.percents) == {Predikat.KURANG: Decimal(1), Predikat.SANGAT_KURANG: Decimal(2)}
    assert predikat.params.source is PredikatSource.LATEST and predikat.params.basis is Basis.DEDUCTED
    assert [r.kind for r in policy.rules] == list(RuleKind)


def test_to_dict_reads_back_to_the_same_policy():
    policy = parse_policy(GOOD)
    again = parse_policy(json.loads(json.dumps(policy.to_dict())))
    assert again == policy
    assert again.to_dict() == policy.to_dict()


def test_percent_as_float_is_exact():
    policy = parse_policy(GOOD)
    assert policy.rules[0].params.percent == Decimal("2.5")  # not 2.5000000000000000001...
    assert str(policy.rules[0].params.percent) == "2.5"


def test_every_bad_field_is_named_by_its_path_in_one_problem():
    raw = copy.deepcopy(GOOD)
    raw["kind"] = "bonus"
    raw["effective_from"] = "2026-02-30"
    raw["base_amounts"] = {"0": 1000, "8": 2.5, "9": -1}
    raw["split"] = {"performance": 60, "discipline": 30}
    raw["cap_percent"] = 0
    raw["extra"] = True
    raw["rules"][0]["params"] = {"percent": 101}
    raw["rules"][1]["params"] = {"threshold_days": 0, "percent": 100}
    raw["rules"][2]["params"]["bands"] = [{"from": 0, "to": 5, "percent": 90}, {"from": 7, "to": 10, "percent": 85},
                                          {"from": 11, "to": None, "percent": 80}]
    raw["rules"][3]["applies_to"] = "bonus_part"
    raw["rules"][4]["params"]["percents"] = {"luar_biasa": 1, "kurang": "x"}
    raw["rules"].append({"kind": "late_arrival", "applies_to": "discipline", "params": {}})
    raw["rules"].append("blank_day")
    assert errors_of(raw) == {
        ("kind", "one-of"),
        ("effective_from", "date"),
        ("base_amounts.0", "range"),
        ("base_amounts.8", "rupiah"),
        ("base_amounts.9", "rupiah"),
        ("split", "sum-100"),
        ("cap_percent", "percent"),
        ("extra", "unknown"),
        ("rules[0].params.percent", "percent"),
        ("rules[1].params.threshold_days", "range"),
        ("rules[2].params.bands[0].from", "range"),
        ("rules[2].params.bands[1].from", "contiguous"),
        ("rules[3].applies_to", "one-of"),
        ("rules[4].params.percents.luar_biasa", "predikat"),
        ("rules[4].params.percents.kurang", "percent"),
        ("rules[5].kind", "one-of"),
        ("rules[6]", "object"),
    }


def test_the_problem_speaks_both_languages():
    with pytest.raises(DomainError) as caught:
        parse_policy(dict(GOOD, split={"performance": 70, "discipline": 40}))
    problem = caught.value.to_problem()
    assert problem["status"] == 422
    [error] = problem["errors"]
    assert error["field"] == "split" and "must be 100 (is 110)" in error["detail"]
    assert "harus 100 (sekarang 110)" in error["detail_id"]


@pytest.mark.parametrize(("bands", "expected"), [
    ([{"from": 1, "to": 5, "percent": 90}, {"from": 5, "to": 10, "percent": 85}],
     {("rules[0].params.bands[1].from", "contiguous")}),
    ([{"from": 1, "to": None, "percent": 90}, {"from": 2, "to": 3, "percent": 85}],
     {("rules[0].params.bands[1].from", "after-open-band")}),
    ([{"from": 6, "to": 5, "percent": 90}], {("rules[0].params.bands[0].to", "order")}),
    ([{"from": 1, "to": 5, "pct": 90}],
     {("rules[0].params.bands[0].pct", "unknown"), ("rules[0].params.bands[0].percent", "required")}),
    ([], {("rules[0].params.bands", "list")}),
])
def test_bands_must_follow_each_other(bands, expected):
    raw = dict(GOOD, rules=[{"kind": "returned_entries", "applies_to": "performance", "params": {"bands": bands}}])
    assert errors_of(raw) == expected


def test_blank_day_needs_percent_or_bands_not_both():
    both = {"percent": 2.5, "bands": [{"from": 1, "to": None, "percent": 5}]}
    for params in ({}, both):
        raw = dict(GOOD, rules=[{"kind": "blank_day", "applies_to": "discipline", "params": params}])
        assert errors_of(raw) == {("rules[0].params", "percent-or-bands")}


def test_unknown_parameters_and_missing_required_ones():
    raw = dict(GOOD, rules=[
        {"kind": "no_report_month", "applies_to": "performance", "params": {"percen": 35}},
        {"kind": "consecutive_blank", "applies_to": "discipline"},
        {"kind": "predikat", "applies_to": "performance", "params": {"percents": {"kurang": 1}, "basis": "half",
                                                                     "source": "tomorrow"}},
    ])
    assert errors_of(raw) == {
        ("rules[0].params.percen", "unknown"), ("rules[0].params.percent", "required"),
        ("rules[1].params", "required"),
        ("rules[2].params.basis", "one-of"), ("rules[2].params.source", "one-of"),
    }


def test_percent_precision_and_types():
    raw = dict(GOOD, rules=[
        {"kind": "blank_day", "applies_to": "discipline", "params": {"percent": "2.12345"}},
        {"kind": "no_report_month", "applies_to": "performance", "params": {"percent": True}},
        {"kind": "no_report_month", "applies_to": "total", "params": {"percent": 0}},
    ])
    assert errors_of(raw) == {("rules[0].params.percent", "precision"), ("rules[1].params.percent", "percent"),
                              ("rules[2].params.percent", "percent")}


def test_kelas_jabatan_given_twice():
    raw = dict(GOOD, base_amounts={"8": 1000, 8: 2000})
    assert errors_of(raw) == {("base_amounts.8", "unique")}


def test_not_an_object():
    assert errors_of(["kemendemo"]) == {("policy", "object")}


# --- files --------------------------------------------------------------------------------------

def test_the_two_demo_policies_load_from_yaml():
    kemendemo = load_policy_file(DEMO_POLICIES_DIR / "kemendemo.yaml")
    assert (kemendemo.agency_id, kemendemo.kind) == ("kemendemo", AllowanceKind.TUKIN)
    assert (kemendemo.performance_percent, kemendemo.discipline_percent) == (Decimal(60), Decimal(40))
    assert sorted(kemendemo.base_amounts) == list(range(1, 18))
    assert kemendemo.base_amounts[17] == Decimal(29085000) and kemendemo.base_amounts[1] == Decimal(1968000)
    amounts = [kemendemo.base_amounts[k] for k in range(1, 18)]
    assert amounts == sorted(amounts)  # higher kelas, higher amount
    assert [(r.kind, r.applies_to) for r in kemendemo.rules] == [
        (RuleKind.BLANK_DAY, Part.DISCIPLINE), (RuleKind.CONSECUTIVE_BLANK, Part.DISCIPLINE),
        (RuleKind.PREDIKAT, Part.PERFORMANCE)]
    assert kemendemo.rules[0].params.percent == Decimal("2.5")
    assert kemendemo.rules[1].params == ConsecutiveBlankParams(threshold_days=10, percent=Decimal(100))
    assert dict(kemendemo.rules[2].params.percents) == {Predikat.KURANG: 1, Predikat.SANGAT_KURANG: 2}

    pemkot = load_policy_file(DEMO_POLICIES_DIR / "pemkotdemo.yaml")
    assert (pemkot.agency_id, pemkot.kind) == ("pemkotdemo", AllowanceKind.TPP)
    assert (pemkot.performance_percent, pemkot.discipline_percent) == (Decimal(70), Decimal(30))
    returned, no_report = pemkot.rules
    assert returned.kind is RuleKind.RETURNED_ENTRIES and returned.params.basis is Basis.PAID
    assert [(b.low, b.high, b.percent) for b in returned.params.bands] == [
        (1, 5, 90), (6, 10, 85), (11, None, 80)]
    assert no_report.params == NoReportMonthParams(percent=Decimal(35)) and no_report.applies_to is Part.PERFORMANCE

    assert {p.agency_id for p in demo_policies()} == {"kemendemo", "pemkotdemo"}


def test_the_demo_policies_cover_every_demo_kelas_jabatan():
    # deploy/demo/make_demo.py: kemendemo positions use kelas 5, 6, 8, 9, 12, 14, 17; pemkotdemo 5, 8, 9, 11, 14, 15.
    kemendemo, pemkot = (load_policy_file(DEMO_POLICIES_DIR / f"{n}.yaml") for n in ("kemendemo", "pemkotdemo"))
    assert {5, 6, 8, 9, 12, 14, 17} <= set(kemendemo.base_amounts)
    assert {5, 8, 9, 11, 14, 15} <= set(pemkot.base_amounts)


def test_a_json_file_loads_like_yaml(tmp_path):
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(GOOD))
    assert load_policy_file(path) == parse_policy(GOOD)


def test_a_bad_policy_file_names_the_field(tmp_path):
    text = (DEMO_POLICIES_DIR / "kemendemo.yaml").read_text().replace("threshold_days: 10", "threshold_days: ten")
    path = tmp_path / "kemendemo.yaml"
    path.write_text(text)
    with pytest.raises(DomainError) as caught:
        load_policy_file(path)
    assert [(e.field, e.rule) for e in caught.value.errors] == [("rules[1].params.threshold_days", "range")]


@pytest.mark.parametrize(("name", "text", "words"), [
    ("broken.yaml", "agency_id: x\nsplit: {performance: 60\n", "line"),
    ("twice.yaml", "agency_id: x\nkind: tukin\nkind: tpp\n", "duplicate key 'kind'"),
    ("broken.json", '{"agency_id": "x",}', "line 1"),
    ("twice.json", '{"kind": "tukin", "kind": "tpp"}', "duplicate key 'kind'"),
])
def test_an_unparsable_file_is_refused_as_field_file(tmp_path, name, text, words):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(DomainError) as caught:
        load_policy_file(path)
    [error] = caught.value.errors
    assert (error.field, error.rule) == ("file", "syntax")
    assert words in error.detail


def test_yaml_objects_are_not_constructed(tmp_path):
    path = tmp_path / "evil.yaml"
    path.write_text("agency_id: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(DomainError) as caught:
        load_policy_file(path)
    assert [(e.field, e.rule) for e in caught.value.errors] == [("file", "syntax")]


def test_a_missing_file(tmp_path):
    with pytest.raises(DomainError) as caught:
        load_policy_file(tmp_path / "none.yaml")
    assert [(e.field, e.rule) for e in caught.value.errors] == [("file", "readable")]


# --- versions -------------------------------------------------------------------------------------

def _version(start, agency="kemendemo", percent=2.5):
    rules = [{"kind": "blank_day", "applies_to": "discipline", "params": {"percent": percent}}]
    return parse_policy(dict(GOOD, agency_id=agency, effective_from=start, rules=rules))


def test_the_version_in_force_is_the_latest_started():
    v2025, v2026, v2026b = _version("2025-01-01", percent=5), _version("2026-01-01"), _version("2026-07-01", percent=3)
    versions = [v2026b, v2025, v2026]
    assert policy_in_force(versions, D(2025, 12, 31)) is v2025
    assert policy_in_force(versions, D(2026, 1, 1)) is v2026
    assert policy_in_force(versions, D(2026, 6, 30)) is v2026
    assert policy_in_force(versions, D(2026, 7, 1)) is v2026b
    assert policy_in_force(versions, D(2030, 1, 1)) is v2026b


def test_no_version_in_force_yet():
    with pytest.raises(DomainError) as caught:
        policy_in_force([_version("2026-01-01")], D(2025, 12, 31))
    assert caught.value.status == 404 and "2026-01-01" in caught.value.detail


def test_versions_of_several_agencies():
    kd, pk = _version("2026-01-01"), _version("2025-01-01", agency="pemkotdemo")
    assert policy_in_force([kd, pk], D(2026, 3, 1), agency_id="pemkotdemo") is pk
    with pytest.raises(ValueError):
        policy_in_force([kd, pk], D(2026, 3, 1))


def test_two_versions_starting_the_same_day_conflict():
    with pytest.raises(DomainError) as caught:
        policy_in_force([_version("2026-01-01"), _version("2026-01-01", percent=3)], D(2026, 3, 1))
    assert caught.value.status == 409 and caught.value.code == "tukin-policy-conflict"


def test_what_pydantic_finds_is_said_in_our_words():
    raw = dict(GOOD, split=None, rules=[
        "blank_day",
        {"kind": "late_arrival", "applies_to": "everything", "params": {"minutes": 5}},
        {"kind": "no_report_month", "applies_to": "performance", "params": "35"},
        {"kind": "returned_entries", "applies_to": "performance",
         "params": {"bands": [7, {"from": 1, "to": None, "percent": 90}, {"from": 2, "percent": 80}]}},
    ])
    with pytest.raises(DomainError) as caught:
        parse_policy(raw)
    assert [(e.field, e.rule, e.detail, e.detail_id) for e in caught.value.errors] == [
        ("split", "required", "split is required.", "split wajib diisi."),
        ("rules[0]", "object", "rules[0] must be an object (key: value).",
         "rules[0] harus berupa objek (kunci: nilai)."),
        ("rules[1].kind", "one-of",
         "rules[1].kind must be one of: blank_day, consecutive_blank, returned_entries, no_report_month, predikat.",
         "rules[1].kind harus salah satu dari: blank_day, consecutive_blank, returned_entries, no_report_month, "
         "predikat."),
        ("rules[1].applies_to", "one-of", "rules[1].applies_to must be one of: performance, discipline, total.",
         "rules[1].applies_to harus salah satu dari: performance, discipline, total."),
        ("rules[2].params", "object", "rules[2].params must be an object (key: value).",
         "rules[2].params harus berupa objek (kunci: nilai)."),
        ("rules[3].params.bands[0]", "object", "rules[3].params.bands[0] must be an object (key: value).",
         "rules[3].params.bands[0] harus berupa objek (kunci: nilai)."),
        ("rules[3].params.bands[2].from", "after-open-band",
         "rules[3].params.bands[1] has no upper bound (to: null), so no band can follow it.",
         "rules[3].params.bands[1] tidak memiliki batas atas (to: null), jadi tidak boleh ada rentang sesudahnya."),
    ]


def test_every_rule_kind_has_its_model_in_the_union():
    models = typing.get_args(typing.get_args(Rule)[0])
    assert sorted(typing.get_args(m.model_fields["kind"].annotation)[0] for m in models) == sorted(RuleKind)
