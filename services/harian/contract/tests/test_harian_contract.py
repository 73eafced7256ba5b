"""harian's wire contract: the field rules of a daily entry that need no stored data (applied by the
gateway before 202 and by harian when it stores), and the submission id of an Idempotency-Key."""

import datetime as dt
import uuid

import pytest
from harian_contract.entry import (
    MAX_ACTIVITIES,
    MAX_QUANTITY,
    decimals,
    parse_activity,
    read_date,
    submission_errors,
)
from harian_contract.submission import IDEMPOTENCY_KEY, submission_id

TODAY = dt.date(2026, 3, 4)


def activity(**change):
    raw = {"rhk_id": "rhk-1", "description": "Menyusun laporan", "quantity": 2, "satuan": "dokumen",
           "quality": 90, "evidence_url": "https://drive.example.go.id/bukti/1", "minutes": 120}
    return {**raw, **change}


def rules(**change):
    return {(e.field, e.rule) for e in parse_activity(activity(**change), 0)[1]}


@pytest.mark.parametrize("quantity", [MAX_QUANTITY, "1000000000", 0.5, "1,2345", 1e3])
def test_quantities_an_output_count_can_mean_are_accepted(quantity):
    assert rules(quantity=quantity) == set()


@pytest.mark.parametrize("quantity, rule", [
    (MAX_QUANTITY + 1, "max"), ("1e30", "max"), (2**60, "max"),
    ("0.00001", "decimals"), ("1." + "1" * 40, "decimals"), (1e-7, "decimals"),
    (0, "positive-number"), ("-1", "positive-number"), ("NaN", "positive-number"), ("Infinity", "positive-number"),
])
def test_quantities_beyond_what_can_be_stored_are_refused(quantity, rule):
    assert rules(quantity=quantity) == {("activities[0].quantity", rule)}


@pytest.mark.parametrize("quality, rule", [("99.999", "decimals"), (100.5, "percentage"), (-1, "percentage")])
def test_quality_is_a_percentage_with_at_most_two_decimals(quality, rule):
    assert rules(quality=quality) == {("activities[0].quality", rule)}


@pytest.mark.parametrize("minutes", ["²", "٣٠", "9" * 5000, "1e3", 10**30])
def test_minutes_that_are_not_plain_whole_numbers_are_a_range_error_not_a_crash(minutes):
    assert rules(minutes=minutes) == {("activities[0].minutes", "range")}


def test_decimals_counts_digits_after_the_point():
    from decimal import Decimal
    assert [decimals(Decimal(v)) for v in ("1", "1.50", "1E+3", "0.0001")] == [0, 2, 0, 4]


@pytest.mark.parametrize("value, rule", [(None, "required"), ("2026-02-30", "date"), ("2026-3-4", "date"),
                                         ("٢٠٢٦-٠٣-٠٤", "date"), (20260304, "date")])
def test_read_date_names_the_field_and_rule(value, rule):
    day, errors = read_date(value, "from")
    assert day is None and [(e.field, e.rule) for e in errors] == [("from", rule)]


def test_a_submission_for_a_future_day_or_with_bad_activities_lists_every_rule():
    day, errors = submission_errors("2026-03-05", [activity(quantity=0), activity(evidence_url="ftp://x")], TODAY)

    assert day == dt.date(2026, 3, 5)
    assert {(e.field, e.rule) for e in errors} == {("date", "future-day"), ("activities[0].quantity",
                                                                               "positive-number"),
                                                   ("activities[1].evidence_url", "http-url")}
    assert all(e.detail and e.detail_id for e in errors)


def test_a_submission_has_at_most_fifty_activities_and_may_rely_on_the_draft():
    _, too_many = submission_errors("2026-03-04", [activity()] * (MAX_ACTIVITIES + 1), TODAY)
    _, from_draft = submission_errors("2026-03-04", None, TODAY)
    _, today = submission_errors("2026-03-04", [activity(minutes=20)] * MAX_ACTIVITIES, TODAY)

    assert [(e.field, e.rule) for e in too_many] == [("activities", "max-items")]
    assert from_draft == [] and today == []


def test_the_submission_id_of_a_key_is_the_callers_own():
    nip, other = "198609262015051001", "198201272019112004"

    assert submission_id(nip, "k-1") == submission_id(nip, "k-1")
    assert submission_id(nip, "k-1") != submission_id(other, "k-1")
    assert uuid.UUID(submission_id(nip, None)).version == 4 and submission_id(nip, None) != submission_id(nip, None)
    assert IDEMPOTENCY_KEY.match("a" * 200) and not IDEMPOTENCY_KEY.match("a" * 201)
    assert not IDEMPOTENCY_KEY.match("with space")
