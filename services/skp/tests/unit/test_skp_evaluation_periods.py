"""Evaluation periods (docs/domain.md "The cycle", "SKP structure"): the annual period 1 Jan–31 Dec and the
monthly or quarterly periods inside it, each with a fill-in deadline."""

import datetime as dt

import pytest

from ekinerja_kernel.errors import DomainError
from skp.domain.periods import (
    DEFAULT_DEADLINE_DAYS,
    MAX_DEADLINE_DAYS,
    DistributionMode,
    Frequency,
    PeriodKind,
    check_period_fits_skp,
    deadline_days,
    distribution_mode,
    frequency,
    months_of,
    periods_of_year,
)

D = dt.date


def test_quarterly_year_is_the_annual_period_then_four_quarters():
    periods = periods_of_year(2027, Frequency.QUARTERLY)

    assert [(p.kind, p.seq, p.start, p.end) for p in periods] == [
        (PeriodKind.ANNUAL, 1, D(2027, 1, 1), D(2027, 12, 31)),
        (PeriodKind.QUARTERLY, 1, D(2027, 1, 1), D(2027, 3, 31)),
        (PeriodKind.QUARTERLY, 2, D(2027, 4, 1), D(2027, 6, 30)),
        (PeriodKind.QUARTERLY, 3, D(2027, 7, 1), D(2027, 9, 30)),
        (PeriodKind.QUARTERLY, 4, D(2027, 10, 1), D(2027, 12, 31)),
    ]
    assert [p.months for p in periods] == [12, 3, 3, 3, 3]


def test_monthly_year_has_twelve_months_and_knows_leap_years():
    periods = periods_of_year(2028, Frequency.MONTHLY)[1:]

    assert [p.seq for p in periods] == list(range(1, 13))
    assert {p.kind for p in periods} == {PeriodKind.MONTHLY}
    assert periods[1].start == D(2028, 2, 1) and periods[1].end == D(2028, 2, 29)  # 2028 is a leap year
    assert periods_of_year(2027, Frequency.MONTHLY)[2].end == D(2027, 2, 28)
    assert all(p.months == 1 for p in periods)


@pytest.mark.parametrize("freq", list(Frequency))
def test_periodic_periods_cover_the_year_without_gap_or_overlap(freq):
    periodic = periods_of_year(2027, freq)[1:]

    assert periodic[0].start == D(2027, 1, 1) and periodic[-1].end == D(2027, 12, 31)
    for before, after in zip(periodic, periodic[1:], strict=False):
        assert after.start == before.end + dt.timedelta(days=1)
    assert sum(p.months for p in periodic) == 12


def test_deadline_is_ten_days_after_the_end_unless_told_otherwise():
    default = periods_of_year(2027, Frequency.QUARTERLY)
    five = periods_of_year(2027, Frequency.QUARTERLY, deadline_days=5)

    assert DEFAULT_DEADLINE_DAYS == 10
    assert default[0].deadline == D(2028, 1, 10)  # the annual one reaches into the next year
    assert default[1].deadline == D(2027, 4, 10)
    assert five[1].deadline == D(2027, 4, 5)
    assert periods_of_year(2027, Frequency.MONTHLY, deadline_days=0)[2].deadline == D(2027, 2, 28)
    with pytest.raises(ValueError):
        periods_of_year(2027, Frequency.MONTHLY, deadline_days=MAX_DEADLINE_DAYS + 1)


def test_months_of_each_kind():
    assert (months_of("annual"), months_of("quarterly"), months_of("monthly")) == (12, 3, 1)


@pytest.mark.parametrize(("parse", "field", "good", "expected"), [
    (frequency, "frequency", "monthly", Frequency.MONTHLY),
    (distribution_mode, "distribution_mode", "block", DistributionMode.BLOCK),
])
def test_settings_are_parsed_or_refused_naming_the_field(parse, field, good, expected):
    assert parse(good) is expected
    with pytest.raises(DomainError) as info:
        parse("yearly")
    assert info.value.status == 422
    assert [(e.field, e.rule) for e in info.value.errors] == [(field, "one-of")]
    assert info.value.errors[0].detail_id.startswith(field + " harus")


@pytest.mark.parametrize("bad", [-1, MAX_DEADLINE_DAYS + 1, "10", 2.5, True])
def test_deadline_days_must_be_a_whole_number_in_range(bad):
    with pytest.raises(DomainError) as info:
        deadline_days(bad)
    assert [(e.field, e.rule) for e in info.value.errors] == [("deadline_days", "range")]


def test_deadline_days_defaults_and_accepts_the_bounds():
    assert deadline_days(None) == DEFAULT_DEADLINE_DAYS
    assert (deadline_days(0), deadline_days(MAX_DEADLINE_DAYS)) == (0, MAX_DEADLINE_DAYS)


def test_a_period_of_another_year_is_refused_with_both_years():
    with pytest.raises(DomainError) as info:
        check_period_fits_skp(2028, "pemkotdemo", 2027, "pemkotdemo")

    error = info.value
    assert (error.status, error.code) == (409, "period-outside-skp-year")
    assert error.extra == {"field": "period_id", "period_year": 2028, "skp_year": 2027}
    assert "2028" in error.detail and "2027" in error.detail_id and error.detail != error.detail_id


def test_a_period_of_another_agency_is_refused():
    with pytest.raises(DomainError) as info:
        check_period_fits_skp(2027, "kemendemo", 2027, "pemkotdemo")
    assert (info.value.status, info.value.code) == (409, "period-other-agency")
    check_period_fits_skp(2027, "pemkotdemo", 2027, "pemkotdemo")  # its own: accepted


def test_realisasi_can_be_recorded_up_to_and_on_the_deadline_but_not_after():
    from datetime import date

    from ekinerja_kernel.errors import DomainError
    from skp.domain.periods import check_fill_in_open

    check_fill_in_open(date(2026, 2, 10), date(2026, 2, 10))
    check_fill_in_open(date(2026, 2, 10), date(2026, 1, 5))
    try:
        check_fill_in_open(date(2026, 2, 10), date(2026, 2, 11))
    except DomainError as exc:
        assert (exc.status, exc.code, exc.extra["deadline"]) == (409, "fill-in-deadline-passed", "2026-02-10")
    else:
        raise AssertionError("a recording after the deadline was accepted")


# --- a year the agency has open --------------------------------------------------------------------

def test_the_current_and_the_next_year_are_open_and_so_is_any_year_the_agency_defined():
    from skp.domain.periods import check_year_open, open_years

    today = D(2026, 12, 4)
    assert open_years(today, []) == [2026, 2027]
    assert open_years(today, [2025, 2027, 2030]) == [2025, 2026, 2027, 2030]
    for year in (2026, 2027):
        check_year_open(year, today, [])
    check_year_open(2025, today, [2025])  # late plans for a year the agency still evaluates
    with pytest.raises(DomainError) as info:
        check_year_open(2099, today, [2025])
    error = info.value
    assert (error.status, error.code) == (422, "validation")
    assert [(e.field, e.rule) for e in error.errors] == [("year", "year-open")]
    assert "2025, 2026, 2027" in error.errors[0].detail and "2025, 2026, 2027" in error.errors[0].detail_id


# --- rating follows the calendar -------------------------------------------------------------------

def test_a_period_is_rated_from_the_day_after_it_ends_or_as_many_days_earlier_as_the_agency_set():
    from skp.domain.periods import check_rating_open, rating_opens_on

    end = D(2027, 1, 31)
    assert rating_opens_on(end, 0) == D(2027, 2, 1)
    assert rating_opens_on(end, 1) == end  # on its last day
    assert rating_opens_on(end, 5) == D(2027, 1, 27)
    check_rating_open(end, 0, D(2027, 2, 1))
    check_rating_open(end, 5, D(2027, 1, 27))
    with pytest.raises(DomainError) as info:
        check_rating_open(end, 5, D(2027, 1, 26))
    error = info.value
    assert (error.status, error.code) == (409, "period-not-ended")
    assert error.extra["opens_on"] == "2027-01-27" and error.extra["period_end"] == "2027-01-31"
    assert "2027-01-27" in error.detail and "2027-01-27" in error.detail_id


@pytest.mark.parametrize("bad", [-1, 32, "3", True, 1.5])
def test_the_rating_window_is_a_whole_number_of_days_up_to_a_month(bad):
    from skp.domain.periods import MAX_RATING_OPENS_DAYS, rating_opens_days

    assert rating_opens_days(None) is None and rating_opens_days(0) == 0
    assert rating_opens_days(MAX_RATING_OPENS_DAYS) == MAX_RATING_OPENS_DAYS == 31
    with pytest.raises(DomainError) as info:
        rating_opens_days(bad)
    assert info.value.errors[0].field == "rating_opens_days"
