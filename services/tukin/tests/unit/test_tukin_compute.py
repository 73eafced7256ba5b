"""The monthly allowance computation: each rule kind alone, together, the cap, the consecutive-days
rule, rounding, determinism, and the docs/domain.md examples worked out by hand.

The month used is April 2026: Wednesday 1 April; Friday 3 April is a national holiday (Wafat Yesus
Kristus); weekdays minus that holiday give 21 working days: 1, 2, 6–10, 13–17, 20–24, 27–30.
"""

import datetime as dt
import json
import random
from decimal import Decimal

import pytest

from ekinerja_kernel.errors import DomainError
from tukin.domain.compute import compute_month, longest_blank_run
from tukin.domain.facts import DayFacts, DayStatus, EmployeeMonth, parse_employee_month
from tukin.domain.policy import DEMO_POLICIES_DIR, Part, RuleKind, load_policy_file, parse_policy
from tukin.domain.predikat import Predikat

D = dt.date
NIP = "199001012020121001"
GOOD_FRIDAY = D(2026, 4, 3)
APRIL_WORKING = tuple(D(2026, 4, n) for n in range(1, 31)
                      if D(2026, 4, n).weekday() < 5 and D(2026, 4, n) != GOOD_FRIDAY)
KEMENDEMO = load_policy_file(DEMO_POLICIES_DIR / "kemendemo.yaml")
PEMKOTDEMO = load_policy_file(DEMO_POLICIES_DIR / "pemkotdemo.yaml")


def april(statuses=None, *, kelas=8, returned=0, predikat=None, history=None, agency_id=None, working=None):
    """Facts for April 2026 in the plain form: every working day approved with one entry unless
    `statuses` says otherwise ({day number: status})."""
    statuses = statuses or {}
    days = []
    for day in APRIL_WORKING:
        status = statuses.get(day.day, "disetujui")
        entries = 0 if status in ("belum_diisi", "justified") else 1
        days.append({"date": day.isoformat(), "status": status, "entries": entries,
                     "blank": status == "belum_diisi", "justified": status == "justified",
                     "absence": "sakit" if status == "justified" else None, "late": False})
    raw = {"nip": NIP, "name": "Siti Aminah", "kelas_jabatan": kelas, "month": "2026-04", "days": days,
           "returned_entries": returned, "predikat": predikat, "predikat_history": history or {}}
    if agency_id is not None:
        raw["agency_id"] = agency_id
    if working is not None:
        raw["working_days"] = working
    return raw


def policy(rules, *, split=(60, 40), cap=100, base=3319000, kelas=8):
    return parse_policy({"agency_id": "test", "kind": "tukin", "effective_from": "2026-01-01",
                         "base_amounts": {kelas: base}, "split": {"performance": split[0], "discipline": split[1]},
                         "cap_percent": cap, "rules": rules})


def blank_rule(percent=2.5, part="discipline"):
    return {"kind": "blank_day", "applies_to": part, "params": {"percent": percent}}


def consecutive_rule(threshold=10, percent=100, part="discipline"):
    return {"kind": "consecutive_blank", "applies_to": part,
            "params": {"threshold_days": threshold, "percent": percent}}


def amounts(result):
    return {line.kind: line.amount for line in result.lines}


def adds_up(result):
    """gross − Σ lines − Σ caps = net, to the rupiah."""
    return result.gross - sum(x.amount for x in result.lines) - sum(c.amount for c in result.caps) == result.net


# --- no deduction ---------------------------------------------------------------------------------

def test_a_perfect_month_pays_the_whole_base_split_60_40():
    result = compute_month(KEMENDEMO, april(predikat="baik"))
    # kelas 8: Rp 3.319.000; 60% = 1.991.400; 40% = 1.327.600.
    assert result.gross == Decimal(3319000)
    assert (result.performance_part, result.discipline_part) == (Decimal(1991400), Decimal(1327600))
    assert result.lines == () and result.caps == ()
    assert result.net == Decimal(3319000) and result.total_deduction == 0
    assert result.working_days == 21


# --- blank_day alone ------------------------------------------------------------------------------

def test_domain_example_three_blank_days_at_2_5_percent():
    # Kemendemo, kelas 8, blank 7, 8 and 14 April:
    #   3 days × 2,5% = 7,5% of the discipline part 1.327.600 = 99.570
    #   net = 3.319.000 − 99.570 = 3.219.430
    result = compute_month(KEMENDEMO, april({7: "belum_diisi", 8: "belum_diisi", 14: "belum_diisi"}))
    [line] = result.lines
    assert line.kind is RuleKind.BLANK_DAY and line.applies_to is Part.DISCIPLINE
    assert line.percent == Decimal("7.5") and line.amount == Decimal(99570)
    assert line.basis["blank_days"] == ["2026-04-07", "2026-04-08", "2026-04-14"]
    assert line.basis["count"] == 3
    assert result.net == Decimal(3219430)
    assert line.explanation_id == (
        "3 hari kerja tanpa progres harian dan tanpa keterangan (7, 8 dan 14 April 2026) × 2,5% = 7,5% "
        "dari bagian disiplin Rp 1.327.600 = Rp 99.570 (Permendikdasmen 14/2025)")
    assert line.explanation_en == (
        "3 working days without daily progress and without justification (7, 8 and 14 April 2026) × 2.5% = 7.5% "
        "of the discipline part Rp 1,327,600 = Rp 99,570 (Permendikdasmen 14/2025)")


def test_older_rule_five_percent_per_day():
    # docs/domain.md: older rules 5%/day. 2 blank days × 5% = 10% of 1.327.600 = 132.760.
    result = compute_month(policy([blank_rule(5)]), april({1: "belum_diisi", 30: "belum_diisi"}))
    assert amounts(result) == {RuleKind.BLANK_DAY: Decimal(132760)}
    assert result.net == Decimal(3319000 - 132760)


@pytest.mark.parametrize("status", ["draft", "diajukan", "disetujui", "dikembalikan", "justified"])
def test_only_belum_diisi_is_a_blank_day(status):
    result = compute_month(policy([blank_rule()]), april({7: status}))
    assert result.lines == ()
    assert result.net == result.gross


def test_blank_days_in_bands():
    # docs/domain.md's illustration "> 5 missed days in a month → cut 5–20%" as bands of blank days.
    bands = [{"from": 1, "to": 5, "percent": 0}, {"from": 6, "to": 10, "percent": 5},
             {"from": 11, "to": None, "percent": 20}]
    rules = [{"kind": "blank_day", "applies_to": "total", "params": {"bands": bands}}]
    five = compute_month(policy(rules), april(dict.fromkeys((1, 7, 9, 15, 21), "belum_diisi")))
    assert five.lines == ()  # 0%: no line
    six = compute_month(policy(rules), april(dict.fromkeys((1, 7, 9, 15, 21, 23), "belum_diisi")))
    [line] = six.lines
    # 6 blank days, band 6–10 → 5% of the gross 3.319.000 = 165.950
    assert (line.percent, line.amount, line.basis["band"]["from"]) == (Decimal(5), Decimal(165950), 6)
    assert "rentang 6–10 hari → 5%" in line.explanation_id


# --- consecutive_blank ----------------------------------------------------------------------------

TEN_ACROSS_HOLIDAY_AND_WEEKENDS = (1, 2, 6, 7, 8, 9, 10, 13, 14, 15)  # Fri 3 April holiday, two weekends


def test_consecutive_working_days_are_not_broken_by_a_holiday_or_weekends():
    result = compute_month(policy([consecutive_rule()]), april(dict.fromkeys(TEN_ACROSS_HOLIDAY_AND_WEEKENDS,
                                                                            "belum_diisi")))
    [line] = result.lines
    assert line.kind is RuleKind.CONSECUTIVE_BLANK
    assert line.basis == {"longest_run": 10, "run_first": "2026-04-01", "run_last": "2026-04-15",
                          "threshold_days": 10}
    # 100% of the discipline part 1.327.600
    assert line.amount == Decimal(1327600)
    assert result.net == Decimal(1991400)
    assert "10 hari kerja berturut-turut" in line.explanation_id and "(1–15 April 2026)" in line.explanation_id


def test_nine_consecutive_days_stay_below_the_threshold():
    result = compute_month(policy([consecutive_rule()]), april(dict.fromkeys(TEN_ACROSS_HOLIDAY_AND_WEEKENDS[:9],
                                                                            "belum_diisi")))
    assert result.lines == ()


def test_a_justified_day_breaks_the_run():
    # Decision (documented in policy.py): a justified absence (here sakit on 9 April) ends the run,
    # since the days were then not "absent without reason" consecutively. 5 + 5 blank days.
    statuses = dict.fromkeys((1, 2, 6, 7, 8, 10, 13, 14, 15, 16), "belum_diisi") | {9: "justified"}
    result = compute_month(policy([consecutive_rule(), blank_rule()]), april(statuses))
    assert [line.kind for line in result.lines] == [RuleKind.BLANK_DAY]  # no consecutive line
    assert result.lines[0].basis["count"] == 10
    assert longest_blank_run(parse_employee_month(april(statuses)).working())[0].date == D(2026, 4, 1)


def test_a_day_with_an_entry_breaks_the_run():
    statuses = dict.fromkeys((1, 2, 6, 7, 8, 10, 13, 14, 15, 16), "belum_diisi") | {9: "draft"}
    result = compute_month(policy([consecutive_rule()]), april(statuses))
    assert result.lines == ()


def test_the_longest_run_is_reported_and_the_earliest_of_equal_runs():
    days = tuple(DayFacts(d, DayStatus.BELUM_DIISI if d.day in (1, 2, 6, 13, 14, 15) else DayStatus.DISETUJUI)
                 for d in APRIL_WORKING)
    run = longest_blank_run(days)
    assert [d.date.day for d in run] == [1, 2, 6]
    days = tuple(DayFacts(d, DayStatus.BELUM_DIISI if d.day in (1, 2, 13, 14, 15) else DayStatus.DISETUJUI)
                 for d in APRIL_WORKING)
    assert [d.date.day for d in longest_blank_run(days)] == [13, 14, 15]


# --- returned_entries -----------------------------------------------------------------------------

@pytest.mark.parametrize(("returned", "paid", "deducted", "amount"), [
    # Pemkotdemo, kelas 8: base 3.250.000; performance part 70% = 2.275.000.
    (1, 90, 10, 227500),  # 1–5 → 90% paid → 10% of 2.275.000 = 227.500
    (5, 90, 10, 227500),
    (6, 85, 15, 341250),  # 6–10 → 85% paid → 15% = 341.250
    (10, 85, 15, 341250),
    (11, 80, 20, 455000),  # >10 → 80% paid → 20% = 455.000
    (40, 80, 20, 455000),
])
def test_domain_example_returned_reports_bands(returned, paid, deducted, amount):
    result = compute_month(PEMKOTDEMO, april(returned=returned))
    [line] = result.lines
    assert line.kind is RuleKind.RETURNED_ENTRIES and line.applies_to is Part.PERFORMANCE
    assert line.percent == Decimal(deducted) and line.amount == Decimal(amount)
    assert line.basis["returned_entries"] == returned and line.basis["band_basis"] == "paid"
    assert f"dibayar {paid}%" in line.explanation_id and f"{paid}% paid" in line.explanation_en
    assert result.net == Decimal(3250000 - amount)


def test_no_returned_entries_no_line():
    assert compute_month(PEMKOTDEMO, april(returned=0)).lines == ()


def test_returned_bands_written_as_deducted():
    rules = [{"kind": "returned_entries", "applies_to": "performance",
              "params": {"bands": [{"from": 1, "to": 5, "percent": 10}, {"from": 6, "to": None, "percent": 20}]}}]
    result = compute_month(policy(rules), april(returned=6))
    # 20% deducted of the performance part 1.991.400 = 398.280
    assert amounts(result) == {RuleKind.RETURNED_ENTRIES: Decimal(398280)}


# --- no_report_month ------------------------------------------------------------------------------

def test_domain_example_no_report_in_the_month_costs_35_percent():
    # Nothing submitted all month (blank or draft days only) → 35% of the performance part
    # 2.275.000 = 796.250; net 3.250.000 − 796.250 = 2.453.750.
    statuses = {d.day: ("draft" if d.day % 2 else "belum_diisi") for d in APRIL_WORKING}
    result = compute_month(PEMKOTDEMO, april(statuses))
    [line] = result.lines
    assert line.kind is RuleKind.NO_REPORT_MONTH
    assert (line.percent, line.amount) == (Decimal(35), Decimal(796250))
    assert line.basis == {"reported_days": 0, "days_requiring_report": 21, "working_days": 21}
    assert result.net == Decimal(2453750)


def test_one_submitted_day_is_a_report():
    statuses = {d.day: "belum_diisi" for d in APRIL_WORKING} | {30: "diajukan"}
    assert compute_month(PEMKOTDEMO, april(statuses)).lines == ()


def test_a_month_wholly_on_justified_leave_is_not_a_month_without_report():
    statuses = {d.day: "justified" for d in APRIL_WORKING}
    assert compute_month(PEMKOTDEMO, april(statuses)).lines == ()


# --- predikat ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "amount"), [
    # Kemendemo: performance part 1.991.400; Kurang −1% = 19.914; Sangat Kurang −2% = 39.828.
    ("kurang", 19914), ("sangat_kurang", 39828),
])
def test_domain_example_predikat_kurang_and_sangat_kurang(value, amount):
    result = compute_month(KEMENDEMO, april(predikat=value))
    [line] = result.lines
    assert line.kind is RuleKind.PREDIKAT and line.amount == Decimal(amount)
    assert line.basis["predikat"] == value
    assert result.net == Decimal(3319000 - amount)


@pytest.mark.parametrize("value", ["sangat_baik", "baik", "butuh_perbaikan", None])
def test_predikat_not_listed_or_missing_costs_nothing(value):
    assert compute_month(KEMENDEMO, april(predikat=value)).lines == ()


def test_domain_example_next_year_paid_90_85_80_by_last_years_annual_predikat():
    rules = [{"kind": "predikat", "applies_to": "performance",
              "params": {"basis": "paid", "source": "previous_year",
                         "percents": {"Butuh Perbaikan": 90, "Kurang": 85, "Sangat Kurang": 80}}}]
    p = policy(rules)
    # 2025 annual Butuh Perbaikan → 90% paid → 10% of 1.991.400 = 199.140
    result = compute_month(p, april(history={"2025": "butuh_perbaikan"}, predikat="sangat_baik"))
    [line] = result.lines
    assert (line.percent, line.amount) == (Decimal(10), Decimal(199140))
    assert line.basis["year"] == 2025 and line.basis["percent_given"] == "90"
    assert line.explanation_id.startswith("Predikat tahunan 2025 Butuh Perbaikan: dibayar 90% → potongan 10%")
    # 2025 Sangat Kurang → 80% paid → 20% = 398.280; the latest (2026) predikat does not matter.
    assert amounts(compute_month(p, april(history={"2025": "sangat_kurang"}, predikat="baik"))) == {
        RuleKind.PREDIKAT: Decimal(398280)}
    # Only 2024 known: no annual predikat for 2025 → nothing.
    assert compute_month(p, april(history={"2024": "kurang"})).lines == ()


def test_no_evaluation_percent():
    # docs/domain.md's illustration "no SKP report → cut 50–100%": no predikat at all → 50%.
    rules = [{"kind": "predikat", "applies_to": "performance",
              "params": {"percents": {"kurang": 1}, "no_evaluation": 50}}]
    result = compute_month(policy(rules), april(predikat=None))
    [line] = result.lines
    assert line.amount == Decimal(995700) and line.basis["predikat"] is None
    assert "Belum ada evaluasi kinerja" in line.explanation_id


# --- combination and cap --------------------------------------------------------------------------

def test_domain_example_ten_consecutive_blank_days_with_kurang_capped_at_100_percent():
    # Kemendemo, kelas 8, blank 1–15 April (10 working days) and latest predikat Kurang:
    #   blank days: 10 × 2,5% = 25% of 1.327.600 = 331.900
    #   consecutive: 10 ≥ 10 → 100% of 1.327.600 = 1.327.600
    #   discipline deductions 331.900 + 1.327.600 = 1.659.500 > cap 100% = 1.327.600 → −331.900
    #   predikat Kurang: 1% of 1.991.400 = 19.914
    #   total = 1.659.500 − 331.900 + 19.914 = 1.347.514; net = 3.319.000 − 1.347.514 = 1.971.486
    result = compute_month(KEMENDEMO, april(dict.fromkeys(TEN_ACROSS_HOLIDAY_AND_WEEKENDS, "belum_diisi"),
                                            predikat="kurang"))
    assert [line.kind for line in result.lines] == [RuleKind.BLANK_DAY, RuleKind.CONSECUTIVE_BLANK,
                                                    RuleKind.PREDIKAT]
    assert amounts(result) == {RuleKind.BLANK_DAY: Decimal(331900), RuleKind.CONSECUTIVE_BLANK: Decimal(1327600),
                               RuleKind.PREDIKAT: Decimal(19914)}
    [cap] = result.caps
    assert (cap.scope, cap.before, cap.limit, cap.amount) == (Part.DISCIPLINE, Decimal(1659500), Decimal(1327600),
                                                              Decimal(-331900))
    assert result.total_deduction == Decimal(1347514)
    assert result.net == Decimal(1971486)
    assert adds_up(result)
    assert "melebihi batas 100%" in cap.explanation_id and "exceed the cap of 100%" in cap.explanation_en


def test_rules_add_up_below_the_cap():
    # Pemkotdemo: 7 returned (15% of 2.275.000 = 341.250) and a kelas-8 base; plus a test policy
    # with blank days and returned entries on different parts.
    rules = [blank_rule(), {"kind": "returned_entries", "applies_to": "performance",
                            "params": {"basis": "paid", "bands": [{"from": 1, "to": None, "percent": 90}]}}]
    result = compute_month(policy(rules), april({7: "belum_diisi", 8: "belum_diisi"}, returned=2))
    # 2 × 2,5% = 5% of 1.327.600 = 66.380; returned: 10% of 1.991.400 = 199.140
    assert amounts(result) == {RuleKind.BLANK_DAY: Decimal(66380), RuleKind.RETURNED_ENTRIES: Decimal(199140)}
    assert result.caps == ()
    assert result.total_deduction == Decimal(265520)
    assert result.net == Decimal(3319000 - 265520)


def test_every_day_blank_never_goes_below_zero():
    # 21 blank days × 5% = 105% of the discipline part, + consecutive 100%: capped at the part.
    result = compute_month(policy([blank_rule(5), consecutive_rule()]),
                           april({d.day: "belum_diisi" for d in APRIL_WORKING}))
    assert result.lines[0].percent == Decimal(105)
    assert result.total_deduction == result.discipline_part
    assert result.net == result.performance_part
    assert adds_up(result)


def test_the_whole_gross_is_capped_too():
    rules = [{"kind": "no_report_month", "applies_to": "total", "params": {"percent": 70}},
             {"kind": "blank_day", "applies_to": "total", "params": {"percent": 5}}]
    result = compute_month(policy(rules), april({d.day: "belum_diisi" for d in APRIL_WORKING}))
    # 70% + 21 × 5% = 175% of the gross → capped at 100%: net 0.
    [cap] = result.caps
    assert cap.scope is Part.TOTAL and cap.limit == Decimal(3319000)
    assert result.total_deduction == Decimal(3319000) and result.net == 0
    assert adds_up(result)


def test_a_cap_below_100_percent_limits_each_part_and_the_whole():
    # cap 50%: discipline 1.327.600 may lose at most 663.800.
    rules = [consecutive_rule(), blank_rule(2.5, "performance")]
    result = compute_month(policy(rules, cap=50), april(dict.fromkeys(TEN_ACROSS_HOLIDAY_AND_WEEKENDS,
                                                                       "belum_diisi")))
    by_scope = {c.scope: c for c in result.caps}
    assert by_scope[Part.DISCIPLINE].limit == Decimal(663800)
    # performance: 25% of 1.991.400 = 497.850 (below 50%, untouched)
    assert Part.PERFORMANCE not in by_scope
    assert result.total_deduction == Decimal(663800 + 497850)
    assert result.net == Decimal(3319000 - 663800 - 497850)
    assert adds_up(result)


# --- rounding ------------------------------------------------------------------------------------

def test_amounts_round_half_up_to_whole_rupiah():
    # base 1.000.050, 60/40 → performance 600.030, discipline 400.020;
    # 1 blank day: 2,5% × 400.020 = 10.000,5 → 10.001 (half up; half-even would give 10.000).
    result = compute_month(policy([blank_rule()], base=1000050), april({7: "belum_diisi"}))
    assert result.lines[0].amount == Decimal(10001)
    assert result.net == Decimal(1000050 - 10001)


def test_the_parts_add_up_to_the_gross_after_rounding():
    # 70% of 1.000.001 = 700.000,7 → 700.001; discipline = 1.000.001 − 700.001 = 300.000.
    result = compute_month(policy([], split=(70, 30), base=1000001), april())
    assert (result.performance_part, result.discipline_part) == (Decimal(700001), Decimal(300000))
    assert result.performance_part + result.discipline_part == result.gross


def test_no_float_anywhere_in_the_output():
    result = compute_month(KEMENDEMO, april({7: "belum_diisi"}, predikat="kurang"))

    def walk(value):
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
        else:
            assert not isinstance(value, float | Decimal)
    walk(result.to_dict())
    json.dumps(result.to_dict())  # JSON-safe


# --- determinism and to_dict ----------------------------------------------------------------------

def test_same_input_same_output_whatever_the_order_of_the_days():
    raw = april(dict.fromkeys(TEN_ACROSS_HOLIDAY_AND_WEEKENDS, "belum_diisi"), predikat="kurang")
    shuffled = dict(raw, days=random.Random(7).sample(raw["days"], len(raw["days"])))
    first, second = compute_month(KEMENDEMO, raw), compute_month(KEMENDEMO, shuffled)
    assert first == second
    assert json.dumps(first.to_dict()) == json.dumps(second.to_dict())
    assert first.input_digest == second.input_digest and first.input_digest.startswith("sha256:")


def test_the_digest_changes_with_the_facts_or_the_policy():
    base = compute_month(KEMENDEMO, april())
    assert compute_month(KEMENDEMO, april({7: "justified"})).input_digest != base.input_digest
    assert compute_month(policy([blank_rule(3)]), april()).input_digest != base.input_digest


def test_to_dict_shape():
    data = compute_month(KEMENDEMO, april({7: "belum_diisi"})).to_dict()
    assert list(data) == ["nip", "name", "kelas_jabatan", "month", "agency_id", "allowance_kind",
                          "policy_effective_from", "split", "cap_percent", "working_days", "gross",
                          "performance_part", "discipline_part", "deductions", "caps", "total_deduction", "net",
                          "summary", "blank_days", "input_digest"]
    assert data["deductions"][0]["amount"] == "33190" and data["deductions"][0]["percent"] == "2.5"
    assert data["net"] == str(3319000 - 33190)
    assert data["summary"]["id"].startswith("Tunjangan kinerja (Tukin) April 2026, kelas jabatan 8: bruto "
                                            "Rp 3.319.000")


def test_an_employee_month_built_in_code_gives_the_same_result():
    raw = april({7: "belum_diisi"}, predikat="kurang")
    facts = EmployeeMonth(NIP, "Siti Aminah", 8, 2026, 4,
                          tuple(DayFacts(d, DayStatus.BELUM_DIISI if d.day == 7 else DayStatus.DISETUJUI,
                                         0 if d.day == 7 else 1) for d in APRIL_WORKING),
                          predikat=Predikat.KURANG)
    assert compute_month(KEMENDEMO, facts).to_dict() == compute_month(KEMENDEMO, raw).to_dict()


# --- recomputation: difference() ------------------------------------------------------------------

def test_a_late_justification_is_recorded_as_a_difference():
    before = compute_month(KEMENDEMO, april({7: "belum_diisi", 8: "belum_diisi"}))
    # The sick leave for 8 April is approved late: the day closes again as justified.
    after = compute_month(KEMENDEMO, april({7: "belum_diisi", 8: "justified"}))
    diff = after.difference(before)
    assert diff.changed and diff.inputs_changed
    # 2 × 2,5% × 1.327.600 = 66.380 → 1 × 2,5% = 33.190: net up by 33.190.
    assert diff.net_before == Decimal(3319000 - 66380) and diff.net_after == Decimal(3319000 - 33190)
    assert diff.net_delta == Decimal(33190)
    fields = {c.field: (c.before, c.after) for c in diff.changes}
    assert fields["net"] == (str(3319000 - 66380), str(3319000 - 33190))
    assert fields["total_deduction"] == ("66380", "33190")
    assert fields["deductions[0:blank_day].amount"] == ("66380", "33190")
    assert fields["deductions[0:blank_day].percent"] == ("5", "2.5")
    assert fields["deductions[0:blank_day].basis"][0]["blank_days"] == ["2026-04-07", "2026-04-08"]
    assert "menjadi Rp 3.285.810 (+Rp 33.190)" in diff.summary_id
    json.dumps(diff.to_dict())


def test_difference_against_the_recorded_json_and_lines_added_or_removed():
    recorded = json.loads(json.dumps(compute_month(KEMENDEMO, april({7: "belum_diisi"})).to_dict()))
    after = compute_month(KEMENDEMO, april({7: "justified"}, predikat="kurang"))
    fields = {c.field: (c.before, c.after) for c in after.difference(recorded).changes}
    assert fields["deductions[0:blank_day]"][1] is None  # removed
    assert fields["deductions[2:predikat]"][0] is None  # added
    assert fields["deductions[2:predikat]"][1]["amount"] == "19914"


def test_recomputing_unchanged_facts_is_no_difference():
    first = compute_month(KEMENDEMO, april({7: "belum_diisi"}))
    diff = compute_month(KEMENDEMO, april({7: "belum_diisi"})).difference(first.to_dict())
    assert not diff.changed and not diff.inputs_changed and diff.net_delta == 0
    assert "tanpa perubahan" in diff.summary_id


def test_a_difference_needs_the_same_employee_and_month():
    first = compute_month(KEMENDEMO, april())
    other = compute_month(KEMENDEMO, dict(april(), nip="199202022020122002"))
    with pytest.raises(ValueError):
        other.difference(first)


# --- refusals ------------------------------------------------------------------------------------

def test_a_working_day_not_yet_closed_refuses_the_month():
    raw = april()
    raw["days"] = [d for d in raw["days"] if d["date"] != "2026-04-30"]
    raw["working_days"] = [d.isoformat() for d in APRIL_WORKING]
    with pytest.raises(DomainError) as caught:
        compute_month(KEMENDEMO, raw)
    assert caught.value.status == 409 and caught.value.code == "tukin-month-incomplete"
    assert caught.value.extra["missing_days"] == ["2026-04-30"]


def test_a_closed_day_no_longer_a_working_day_is_ignored():
    # 7 April closed blank, then the agency declared it a holiday: not in working_days any more.
    raw = april({7: "belum_diisi"}, working=[d.isoformat() for d in APRIL_WORKING if d.day != 7])
    result = compute_month(KEMENDEMO, raw)
    assert result.lines == () and result.working_days == 20


def test_policy_and_facts_must_fit():
    with pytest.raises(DomainError) as caught:
        compute_month(KEMENDEMO, april(kelas=20, agency_id="pemkotdemo"))
    assert {(e.field, e.rule) for e in caught.value.errors} == {("kelas_jabatan", "has-base-amount"),
                                                                ("agency_id", "same-agency")}
    later = parse_policy(dict(KEMENDEMO.to_dict(), effective_from="2026-04-02"))
    with pytest.raises(DomainError) as caught:
        compute_month(later, april())
    assert [(e.field, e.rule) for e in caught.value.errors] == [("month", "policy-in-force")]


def test_bad_facts_name_each_field():
    raw = april()
    raw["days"][0] = dict(raw["days"][0], status="libur_panjang")
    raw["days"][1] = dict(raw["days"][1], blank=True)  # status disetujui
    raw["days"][2] = dict(raw["days"][2], nip="199202022020122002")
    raw["days"].append(dict(raw["days"][3], date="2026-05-04"))
    raw["predikat"] = "luar_biasa"
    raw["returned_entries"] = -1
    with pytest.raises(DomainError) as caught:
        parse_employee_month(raw)
    assert caught.value.status == 422
    assert {(e.field, e.rule) for e in caught.value.errors} == {
        ("days[0].status", "one-of"), ("days[1].blank", "agrees-with-status"), ("days[2].nip", "same-employee"),
        ("predikat", "predikat"), ("returned_entries", "range")}
    raw = april()
    raw["days"].append(dict(raw["days"][3], date="2026-05-04"))
    raw["days"].append(dict(raw["days"][4]))
    with pytest.raises(DomainError) as caught:
        parse_employee_month(raw)
    assert {(e.field, e.rule) for e in caught.value.errors} == {("days[21].date", "in-month"),
                                                                ("days[22].date", "unique")}


def test_day_closed_events_are_accepted_as_they_come():
    event = {"nip": NIP, "agency_id": "kemendemo", "unit_id": "kd-biro-ren", "date": "2026-04-07",
             "status": "justified", "entries": 0, "blank": False, "justified": True, "absence": "dinas_luar",
             "late": False}
    raw = april()
    raw["days"] = [event if d["date"] == "2026-04-07" else d for d in raw["days"]]
    facts = parse_employee_month(raw)
    day = next(d for d in facts.days if d.date == D(2026, 4, 7))
    assert day.justified and not day.blank and day.absence.value == "dinas_luar"
    assert parse_employee_month(facts.to_dict()) == facts


# --- blank days explained -------------------------------------------------------------------------

def test_the_blank_days_counted_the_excused_ones_and_the_rule_are_named():
    raw = april({7: "belum_diisi", 8: "belum_diisi", 9: "justified"})
    raw["obligation_start"] = "2026-04-06"
    raw["days"] = [d for d in raw["days"] if d["date"] >= "2026-04-06"]  # harian closes nothing before it
    explained = compute_month(KEMENDEMO, raw).to_dict()["blank_days"]
    assert explained["counted"] == ["2026-04-07", "2026-04-08"]
    assert explained["excused"] == [{"date": "2026-04-09", "absence": "sakit"}]
    assert explained["obligation_start"] == "2026-04-06" and explained["closed_working_days"] == 19
    assert explained["rules"] == ["blank_day", "consecutive_blank"]
    text = explained["explanation"]["id"]
    assert "2 hari belum diisi tanpa keterangan dihitung (7 dan 8 April 2026)" in text
    assert "potongan 2,5% dari bagian disiplin per hari (Permendikdasmen 14/2025)" in text
    assert "9 April 2026: sakit" in text and "berlaku mulai 6 April 2026" in text
    assert "9 April 2026: sick" in explained["explanation"]["en"]


def test_blank_days_with_full_pay_say_why():
    """A policy without a blank-day rule pays in full: the explanation says the days were seen."""
    explained = compute_month(PEMKOTDEMO, april({7: "belum_diisi"}, kelas=8)).to_dict()["blank_days"]
    assert explained["counted"] == ["2026-04-07"] and explained["rules"] == []
    assert "tidak memotong tunjangan untuk hari yang belum diisi" in explained["explanation"]["id"]
    clean = compute_month(KEMENDEMO, april()).to_dict()["blank_days"]
    assert clean["counted"] == [] and "Tidak ada hari kerja yang belum diisi" in clean["explanation"]["id"]
