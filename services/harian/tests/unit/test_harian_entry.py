"""Validation of a daily entry: every rule of an activity, and all errors collected in one problem."""

import datetime as dt
from decimal import Decimal

import pytest

from ekinerja_kernel.errors import DomainError
from harian.domain.entry import (
    MAX_ACTIVITIES,
    MAX_DESCRIPTION,
    Activity,
    DailyEntry,
    parse_activity,
    parse_entry,
)


def activity(**change):
    raw = {"rhk_id": "rhk-1", "description": "Menyusun laporan", "quantity": 2, "satuan": "dokumen",
           "quality": 90, "evidence_url": "https://drive.example.go.id/bukti/1", "minutes": 120}
    raw.update(change)
    return {k: v for k, v in raw.items() if v is not ...}


def errors_of(raw, rhk_ids=None):
    _, errors = parse_activity(raw, 0, rhk_ids)
    return {(e.field, e.rule) for e in errors}


def one_rule(field, rule, **change):
    found = errors_of(activity(**change))
    assert found == {(f"activities[0].{field}", rule)}


def test_a_valid_entry_parses_into_frozen_dataclasses():
    entry = parse_entry({"date": "2026-08-12", "activities": [activity(), activity(minutes=...)]})
    assert entry == DailyEntry(dt.date(2026, 8, 12), (
        Activity("rhk-1", "Menyusun laporan", Decimal(2), "dokumen", Decimal(90),
                 "https://drive.example.go.id/bukti/1", 120),
        Activity("rhk-1", "Menyusun laporan", Decimal(2), "dokumen", Decimal(90),
                 "https://drive.example.go.id/bukti/1", None),
    ))
    assert entry.minutes == 120
    with pytest.raises(AttributeError):
        entry.activities[0].quantity = Decimal(3)


def test_text_is_trimmed_and_numbers_accept_comma_decimals():
    parsed, errors = parse_activity(activity(description="  Rapat  ", quantity="1,5", quality="99.5",
                                             satuan=" kegiatan ", minutes="30"), 0)
    assert errors == []
    assert (parsed.description, parsed.quantity, parsed.quality, parsed.satuan, parsed.minutes) == \
        ("Rapat", Decimal("1.5"), Decimal("99.5"), "kegiatan", 30)


# --- description ----------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [..., None, "", "   \n"])
def test_description_is_required_and_not_blank(value):
    one_rule("description", "required", description=value)


def test_description_has_a_maximum_length():
    assert errors_of(activity(description="x" * MAX_DESCRIPTION)) == set()
    one_rule("description", "max-length", description="x" * (MAX_DESCRIPTION + 1))


def test_description_must_be_text():
    one_rule("description", "text", description=42)


# --- rhk_id -------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [..., "", "  "])
def test_rhk_is_required(value):
    one_rule("rhk_id", "required", rhk_id=value)


def test_rhk_must_be_of_the_approved_skp_when_known():
    assert errors_of(activity(rhk_id="rhk-9"), rhk_ids={"rhk-1", "rhk-2"}) == {
        ("activities[0].rhk_id", "approved-skp-rhk")}
    assert errors_of(activity(rhk_id="rhk-2"), rhk_ids={"rhk-1", "rhk-2"}) == set()


# --- quantity and satuan -------------------------------------------------------------------------

@pytest.mark.parametrize("value", [0, -1, "0", "abc", True, "NaN", "Infinity", [1]])
def test_quantity_must_be_a_positive_number(value):
    one_rule("quantity", "positive-number", quantity=value)


@pytest.mark.parametrize("value", [..., None, " "])
def test_quantity_is_required(value):
    one_rule("quantity", "required", quantity=value)


@pytest.mark.parametrize("value", [..., "", "  "])
def test_satuan_is_required(value):
    one_rule("satuan", "required", satuan=value)


# --- quality ------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [0, 100, "100", 55.5])
def test_quality_bounds_are_inclusive(value):
    assert errors_of(activity(quality=value)) == set()


@pytest.mark.parametrize("value", [-1, 100.01, 101, "x", False])
def test_quality_is_a_percentage(value):
    one_rule("quality", "percentage", quality=value)


def test_quality_is_required():
    one_rule("quality", "required", quality=...)


# --- evidence link -------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["http://a.go.id/x", "HTTPS://drive.google.com/file/d/1/view?usp=sharing"])
def test_http_and_https_links_are_accepted(value):
    assert errors_of(activity(evidence_url=value)) == set()


@pytest.mark.parametrize("value", ["ftp://a.go.id/x", "javascript:alert(1)", "drive.google.com/x", "https://",
                                   "https://a b.go.id/x", "https://a.go.id:port/x", "file:///etc/passwd"])
def test_evidence_must_be_an_http_url(value):
    one_rule("evidence_url", "http-url", evidence_url=value)


@pytest.mark.parametrize("value", [..., "", None])
def test_evidence_is_required(value):
    one_rule("evidence_url", "required", evidence_url=value)


def test_evidence_link_has_a_maximum_length():
    one_rule("evidence_url", "max-length", evidence_url="https://a.go.id/" + "x" * 2048)


# --- minutes ------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [1, 1440, ..., None])
def test_minutes_are_optional_within_a_day(value):
    assert errors_of(activity(minutes=value)) == set()


@pytest.mark.parametrize("value", [0, 1441, -5, 30.5, "1e2", True])
def test_minutes_out_of_range(value):
    one_rule("minutes", "range", minutes=value)


def test_minutes_of_a_day_add_up_to_at_most_a_day():
    with pytest.raises(DomainError) as caught:
        parse_entry({"date": "2026-08-12", "activities": [activity(minutes=800), activity(minutes=700)]})
    assert [(e.field, e.rule) for e in caught.value.errors] == [("activities", "day-total-minutes")]


# --- the entry and collected errors ------------------------------------------------------------------

def test_all_errors_are_collected_in_one_problem_with_indexed_fields():
    raw = {"date": "12-08-2026", "activities": [
        activity(),
        activity(quantity=0, evidence_url="ftp://x", description=" "),
        "not an object",
        activity(quality=200, satuan=...),
    ]}
    with pytest.raises(DomainError) as caught:
        parse_entry(raw)
    problem = caught.value
    assert problem.status == 422 and problem.code == "validation"
    assert {(e.field, e.rule) for e in problem.errors} == {
        ("date", "date"),
        ("activities[1].quantity", "positive-number"),
        ("activities[1].evidence_url", "http-url"),
        ("activities[1].description", "required"),
        ("activities[2]", "object"),
        ("activities[3].quality", "percentage"),
        ("activities[3].satuan", "required"),
    }
    assert all(e.detail and e.detail_id and e.detail != e.detail_id for e in problem.errors)
    assert problem.to_problem()["errors"][0]["field"] == "date"


@pytest.mark.parametrize("activities", [None, [], "x"])
def test_an_entry_needs_at_least_one_activity(activities):
    with pytest.raises(DomainError) as caught:
        parse_entry({"date": "2026-08-12", "activities": activities})
    assert [(e.field, e.rule) for e in caught.value.errors] == [("activities", "non-empty")]


def test_an_entry_has_a_maximum_number_of_activities():
    with pytest.raises(DomainError) as caught:
        parse_entry({"date": "2026-08-12", "activities": [activity()] * (MAX_ACTIVITIES + 1)})
    assert [(e.field, e.rule) for e in caught.value.errors] == [("activities", "max-items")]


@pytest.mark.parametrize("value,rule", [(None, "required"), ("2026-02-30", "date"), ("20260812", "date")])
def test_entry_date_is_required_and_iso(value, rule):
    with pytest.raises(DomainError) as caught:
        parse_entry({"date": value, "activities": [activity()]})
    assert [(e.field, e.rule) for e in caught.value.errors] == [("date", rule)]


def test_entry_must_be_an_object():
    with pytest.raises(DomainError) as caught:
        parse_entry(["2026-08-12"])
    assert caught.value.errors[0].rule == "object"
