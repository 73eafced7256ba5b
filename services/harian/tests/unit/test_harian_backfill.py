"""The back-fill window (docs/domain.md: late bulk back-filling is not allowed; the window is an
agency setting, default today and the previous working day)."""

import datetime as dt

import pytest

from ekinerja_kernel.errors import DomainError
from harian.domain.backfill import allowed_dates, check_entry_date, earliest_allowed, is_allowed
from harian.domain.workdays import AgencyCalendar

D = dt.date
CAL = AgencyCalendar()
WED = D(2026, 8, 12)
MON = D(2026, 8, 10)


def refused(day, today, backfill_days=1, cal=CAL) -> DomainError:
    with pytest.raises(DomainError) as caught:
        check_entry_date(cal, day, today, backfill_days)
    problem = caught.value
    assert problem.status == 422 and problem.code == "validation"
    assert len(problem.errors) == 1 and problem.errors[0].field == "date"
    return problem


def test_today_is_allowed():
    check_entry_date(CAL, WED, WED)
    assert is_allowed(CAL, WED, WED)


def test_previous_working_day_is_allowed():
    check_entry_date(CAL, D(2026, 8, 11), WED)


def test_two_working_days_back_is_refused_by_default():
    problem = refused(MON, WED)
    error = problem.errors[0]
    assert error.rule == "outside-backfill-window"
    assert "2026-08-11" in error.detail and "2026-08-12" in error.detail
    assert "earliest 2026-08-11" in error.detail
    assert "paling awal 2026-08-11" in error.detail_id
    assert problem.extra["earliest_allowed"] == "2026-08-11"
    assert problem.extra["allowed_dates"] == ["2026-08-11", "2026-08-12"]


def test_monday_allows_friday_across_the_weekend():
    assert allowed_dates(CAL, MON) == [D(2026, 8, 7), MON]
    check_entry_date(CAL, D(2026, 8, 7), MON)


def test_monday_refuses_thursday():
    assert refused(D(2026, 8, 6), MON).errors[0].rule == "outside-backfill-window"


def test_weekend_day_is_refused_as_non_working():
    problem = refused(D(2026, 8, 8), MON)
    error = problem.errors[0]
    assert error.rule == "non-working-day"
    assert "weekend" in error.detail and "Saturday" in error.detail
    assert "bukan hari kerja" in error.detail_id and "Sabtu" in error.detail_id
    assert problem.extra["reason"] == "weekend"


def test_on_a_saturday_the_previous_working_day_is_friday():
    saturday = D(2026, 8, 15)
    assert allowed_dates(CAL, saturday) == [D(2026, 8, 14)]
    check_entry_date(CAL, D(2026, 8, 14), saturday)
    assert refused(saturday, saturday).errors[0].rule == "non-working-day"


def test_future_day_is_refused():
    problem = refused(D(2026, 8, 13), WED)
    error = problem.errors[0]
    assert error.rule == "future-day"
    assert error.detail.startswith("2026-08-13 is in the future")
    assert "2026-08-11 and 2026-08-12" in error.detail
    assert "2026-08-11 dan 2026-08-12" in error.detail_id


def test_future_wins_over_non_working():
    assert refused(D(2026, 8, 15), WED).errors[0].rule == "future-day"


def test_national_holiday_is_refused_with_its_name():
    tuesday = D(2026, 8, 18)
    problem = refused(D(2026, 8, 17), tuesday)
    error = problem.errors[0]
    assert error.rule == "non-working-day"
    assert error.detail.startswith("2026-08-17 is not a working day: it is a national holiday: Hari Kemerdekaan")
    assert error.detail_id.startswith("2026-08-17 bukan hari kerja: hari libur nasional: Hari Kemerdekaan")
    assert problem.extra["reason"] == "national_holiday"
    # the day after the holiday reaches back to the Friday before it
    assert allowed_dates(CAL, tuesday) == [D(2026, 8, 14), tuesday]


def test_cuti_bersama_is_refused_as_such():
    error = refused(D(2026, 12, 24), D(2026, 12, 28)).errors[0]
    assert error.rule == "non-working-day" and "cuti bersama" in error.detail


def test_agency_holiday_is_refused_with_its_name():
    cal = AgencyCalendar(extra_holidays={D(2026, 8, 11): "HUT Kota"})
    error = refused(D(2026, 8, 11), WED, cal=cal).errors[0]
    assert error.rule == "non-working-day" and "HUT Kota" in error.detail and "HUT Kota" in error.detail_id
    assert allowed_dates(cal, WED) == [D(2026, 8, 10), WED]


def test_saturday_working_agency_monday_allows_saturday_not_friday():
    cal = AgencyCalendar(work_saturday=True)
    assert allowed_dates(cal, MON) == [D(2026, 8, 8), MON]
    assert refused(D(2026, 8, 7), MON, cal=cal).errors[0].rule == "outside-backfill-window"


def test_wider_window_setting():
    assert allowed_dates(CAL, WED, 2) == [MON, D(2026, 8, 11), WED]
    check_entry_date(CAL, MON, WED, 2)
    assert earliest_allowed(CAL, WED, 3) == D(2026, 8, 7)


def test_zero_backfill_means_today_only():
    assert allowed_dates(CAL, WED, 0) == [WED]
    error = refused(D(2026, 8, 11), WED, 0).errors[0]
    assert error.rule == "outside-backfill-window"


def test_zero_backfill_on_a_weekend_opens_nothing():
    saturday = D(2026, 8, 15)
    assert allowed_dates(CAL, saturday, 0) == []
    assert earliest_allowed(CAL, saturday, 0) is None
    problem = refused(D(2026, 8, 14), saturday, 0)
    assert "No date is open" in problem.errors[0].detail
    assert problem.extra["earliest_allowed"] is None


@pytest.mark.parametrize("bad", [-1, 11, True, 1.5])
def test_backfill_setting_out_of_range_is_a_programming_error(bad):
    with pytest.raises(ValueError):
        allowed_dates(CAL, WED, bad)
