"""An agency's daily-progress settings parsed from what the admin sends."""

import datetime as dt

import pytest

from ekinerja_kernel.errors import DomainError
from harian.domain.settings import AgencySettings, parse_agency_settings
from harian.domain.workdays import DayKind

D = dt.date


def test_defaults_are_five_days_and_one_day_back():
    settings = parse_agency_settings(None)
    assert settings == AgencySettings(False, 1, {}, frozenset())
    assert parse_agency_settings({}) == settings


def test_settings_build_the_agencys_calendar():
    settings = parse_agency_settings({
        "work_saturday": True, "backfill_days": 2,
        "extra_holidays": [{"date": "2026-08-12", "name": " HUT Kota "}],
        "extra_working_days": ["2026-12-24"],
    })
    assert settings.backfill_days == 2
    assert settings.extra_holidays == {D(2026, 8, 12): "HUT Kota"}
    cal = settings.calendar()
    assert cal.is_working_day(D(2026, 8, 15))  # Saturday
    assert cal.reason(D(2026, 8, 12)).kind is DayKind.AGENCY_HOLIDAY
    assert cal.is_working_day(D(2026, 12, 24))  # cuti bersama made a working day


def test_every_broken_setting_is_reported():
    with pytest.raises(DomainError) as caught:
        parse_agency_settings({
            "work_saturday": "yes", "backfill_days": 11,
            "extra_holidays": [{"date": "2026-13-01", "name": ""}, {"date": "2026-08-12", "name": "A"},
                               {"date": "2026-08-12", "name": "B"}, "x"],
            "extra_working_days": ["2026-08-12", "bad", "2026-08-15", "2026-08-15"],
        })
    assert caught.value.status == 422
    assert {(e.field, e.rule) for e in caught.value.errors} == {
        ("work_saturday", "boolean"), ("backfill_days", "range"),
        ("extra_holidays[0].date", "date"), ("extra_holidays[0].name", "required"),
        ("extra_holidays[2].date", "unique"), ("extra_holidays[3]", "object"),
        ("extra_working_days[0]", "conflict"), ("extra_working_days[1]", "date"),
        ("extra_working_days[3]", "unique"),
    }


@pytest.mark.parametrize("value", [-1, True, "1", 2.0])
def test_backfill_days_must_be_a_small_whole_number(value):
    with pytest.raises(DomainError) as caught:
        parse_agency_settings({"backfill_days": value})
    assert [(e.field, e.rule) for e in caught.value.errors] == [("backfill_days", "range")]


def test_zero_backfill_days_is_allowed():
    assert parse_agency_settings({"backfill_days": 0}).backfill_days == 0
