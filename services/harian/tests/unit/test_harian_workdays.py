"""The working-day calendar (docs/domain.md "Daily progress": Monday–Friday, or Monday–Saturday, minus
national holidays and cuti bersama; justified absence is not a blank day)."""

import datetime as dt

import pytest

from harian.domain.workdays import (
    Absence,
    AbsenceKind,
    AgencyCalendar,
    DayKind,
    EmployeeCalendar,
    has_cuti_bersama_data,
    national_day_off,
    parse_absences,
)

D = dt.date
FIVE_DAY = AgencyCalendar()
SIX_DAY = AgencyCalendar(work_saturday=True)


# --- weekends ---------------------------------------------------------------------------------

def test_an_ordinary_week_is_monday_to_friday():
    # 10–16 Aug 2026: no national holiday that week.
    week = [D(2026, 8, 10) + dt.timedelta(days=i) for i in range(7)]
    assert [FIVE_DAY.is_working_day(d) for d in week] == [True] * 5 + [False, False]
    assert FIVE_DAY.working_days(D(2026, 8, 10), D(2026, 8, 16)) == week[:5]


def test_weekend_reason_names_the_day():
    saturday = FIVE_DAY.reason(D(2026, 8, 15))
    assert saturday is not None and saturday.kind is DayKind.WEEKEND
    assert saturday.name == "Sabtu" and saturday.name_en == "Saturday"
    assert FIVE_DAY.reason(D(2026, 8, 16)).name == "Minggu"
    assert FIVE_DAY.reason(D(2026, 8, 14)) is None
    assert FIVE_DAY.kind(D(2026, 8, 14)) is DayKind.WORKING


def test_saturday_working_agency_works_saturday_but_not_sunday():
    assert SIX_DAY.is_working_day(D(2026, 8, 15))
    assert not SIX_DAY.is_working_day(D(2026, 8, 16))
    assert SIX_DAY.reason(D(2026, 8, 16)).kind is DayKind.WEEKEND
    assert len(SIX_DAY.working_days(D(2026, 8, 10), D(2026, 8, 16))) == 6


def test_saturday_working_agency_still_keeps_national_holidays():
    # 2026-03-21 is a Saturday and Hari Raya Idul Fitri.
    assert not SIX_DAY.is_working_day(D(2026, 3, 21))
    assert SIX_DAY.reason(D(2026, 3, 21)).kind is DayKind.NATIONAL_HOLIDAY


# --- national holidays and cuti bersama -------------------------------------------------------

def test_independence_day_is_a_national_holiday_with_its_name():
    day = D(2026, 8, 17)  # a Monday
    assert day.weekday() == 0
    assert not FIVE_DAY.is_working_day(day)
    off = FIVE_DAY.reason(day)
    assert off.kind is DayKind.NATIONAL_HOLIDAY
    assert "Hari Kemerdekaan" in off.name
    assert "Independence" in off.name_en
    assert off.detail.startswith("a national holiday: Hari Kemerdekaan")
    assert off.detail_id.startswith("hari libur nasional: Hari Kemerdekaan")


@pytest.mark.parametrize("day,name", [
    (D(2026, 2, 16), "Imlek"),  # Monday before Tahun Baru Imlek
    (D(2026, 3, 20), "Idul Fitri"),  # Friday before Idul Fitri 1447 H
    (D(2026, 3, 23), "Idul Fitri"),
    (D(2026, 12, 24), "Natal"),
    (D(2025, 12, 26), "Natal"),
    (D(2027, 3, 12), "Idul Fitri"),
])
def test_cuti_bersama_days_are_not_working_days(day, name):
    assert day.weekday() < 5
    off = FIVE_DAY.reason(day)
    assert off is not None and off.kind is DayKind.CUTI_BERSAMA
    assert name in off.name
    assert "cuti bersama" in off.detail
    assert off.detail_id.startswith("hari cuti bersama")


def test_national_lookup_ignores_weekends_and_ordinary_days():
    assert national_day_off(D(2026, 8, 14)) is None
    assert national_day_off(D(2026, 8, 15)) is None  # a Saturday, but no holiday
    assert national_day_off(D(2026, 12, 25)).kind is DayKind.NATIONAL_HOLIDAY


def test_cuti_bersama_data_is_known_for_2025_to_2027():
    assert all(has_cuti_bersama_data(y) for y in (2025, 2026, 2027))


def test_a_month_with_holidays_and_cuti_bersama_has_fewer_working_days():
    # March 2026: 22 weekdays; Nyepi 19, cuti bersama 18, 20, 23, 24 fall on weekdays.
    days = FIVE_DAY.working_days(D(2026, 3, 1), D(2026, 3, 31))
    assert len(days) == 22 - 5
    for gone in (D(2026, 3, 18), D(2026, 3, 19), D(2026, 3, 20), D(2026, 3, 23), D(2026, 3, 24)):
        assert gone not in days


# --- agency overrides --------------------------------------------------------------------------

def test_agency_holiday_override_is_not_working_and_named():
    cal = AgencyCalendar(extra_holidays={D(2026, 8, 12): "HUT Kabupaten"})
    assert not cal.is_working_day(D(2026, 8, 12))
    off = cal.reason(D(2026, 8, 12))
    assert off.kind is DayKind.AGENCY_HOLIDAY and off.name == "HUT Kabupaten"
    assert off.detail == "an agency holiday: HUT Kabupaten"
    assert off.detail_id == "hari libur instansi: HUT Kabupaten"
    assert FIVE_DAY.is_working_day(D(2026, 8, 12))  # other agencies unaffected


def test_agency_holidays_may_be_given_as_plain_dates():
    cal = AgencyCalendar(extra_holidays=[D(2026, 8, 12)])
    assert cal.reason(D(2026, 8, 12)).name == "Libur instansi"


def test_declared_working_saturday_is_a_working_day():
    cal = AgencyCalendar(extra_working_days={D(2026, 8, 15)})
    assert cal.is_working_day(D(2026, 8, 15))
    assert cal.reason(D(2026, 8, 15)) is None
    assert not cal.is_working_day(D(2026, 8, 22))  # only that Saturday


def test_declared_working_day_overrides_cuti_bersama():
    cal = AgencyCalendar(extra_working_days=[D(2026, 12, 24)])
    assert cal.is_working_day(D(2026, 12, 24))
    assert not FIVE_DAY.is_working_day(D(2026, 12, 24))


def test_a_date_cannot_be_both_agency_holiday_and_working_day():
    with pytest.raises(ValueError):
        AgencyCalendar(extra_holidays={D(2026, 8, 12): "x"}, extra_working_days=[D(2026, 8, 12)])


def test_previous_working_days_skip_weekend_and_holiday():
    # Tuesday 18 Aug 2026: Monday 17 is Independence Day, then the weekend.
    assert FIVE_DAY.previous_working_day(D(2026, 8, 18)) == D(2026, 8, 14)
    assert FIVE_DAY.previous_working_days(D(2026, 8, 18), 3) == [D(2026, 8, 14), D(2026, 8, 13), D(2026, 8, 12)]
    assert FIVE_DAY.previous_working_days(D(2026, 8, 18), 0) == []


def test_working_days_of_an_empty_range():
    assert FIVE_DAY.working_days(D(2026, 8, 14), D(2026, 8, 13)) == []


# --- an employee's absences --------------------------------------------------------------------

def test_leave_day_is_a_working_day_that_is_justified():
    cal = EmployeeCalendar(FIVE_DAY, [Absence(AbsenceKind.CUTI, D(2026, 8, 11), D(2026, 8, 12))])
    day = cal.day(D(2026, 8, 11))
    assert day.working and day.justified and not day.required
    assert day.absence is AbsenceKind.CUTI
    assert cal.absence(D(2026, 8, 13)) is None
    assert cal.day(D(2026, 8, 13)).required
    assert cal.required_days(D(2026, 8, 10), D(2026, 8, 14)) == [D(2026, 8, 10), D(2026, 8, 13), D(2026, 8, 14)]


def test_absence_over_a_weekend_and_a_holiday_leaves_them_libur():
    cal = EmployeeCalendar(FIVE_DAY, [Absence(AbsenceKind.DINAS_LUAR, D(2026, 8, 14), D(2026, 8, 18))])
    assert cal.absence(D(2026, 8, 15)) is None
    saturday = cal.day(D(2026, 8, 15))
    assert not saturday.working and saturday.absence is None and saturday.off.kind is DayKind.WEEKEND
    assert cal.day(D(2026, 8, 17)).off.kind is DayKind.NATIONAL_HOLIDAY
    assert cal.absence(D(2026, 8, 14)) is AbsenceKind.DINAS_LUAR
    assert cal.absence(D(2026, 8, 18)) is AbsenceKind.DINAS_LUAR


def test_overlapping_absences_first_given_wins():
    cal = EmployeeCalendar(FIVE_DAY, [Absence(AbsenceKind.SAKIT, D(2026, 8, 12), D(2026, 8, 12)),
                                      Absence(AbsenceKind.CUTI, D(2026, 8, 10), D(2026, 8, 14))])
    assert cal.absence(D(2026, 8, 12)) is AbsenceKind.SAKIT
    assert cal.absence(D(2026, 8, 13)) is AbsenceKind.CUTI


def test_absence_cannot_end_before_it_starts():
    with pytest.raises(ValueError):
        Absence(AbsenceKind.SAKIT, D(2026, 8, 12), D(2026, 8, 11))


def test_parse_absences_reads_iso_dates_and_defaults_end_to_start():
    absences, errors = parse_absences([{"kind": "sakit", "start": "2026-08-12"},
                                       {"kind": "cuti", "start": "2026-08-13", "end": "2026-08-14"}])
    assert errors == []
    assert absences == [Absence(AbsenceKind.SAKIT, D(2026, 8, 12), D(2026, 8, 12)),
                        Absence(AbsenceKind.CUTI, D(2026, 8, 13), D(2026, 8, 14))]


def test_parse_absences_collects_every_error():
    absences, errors = parse_absences([{"kind": "liburan", "start": "2026-02-30"},
                                       {"kind": "cuti", "start": "2026-08-14", "end": "2026-08-13"},
                                       "x"])
    assert absences == []
    assert {(e.field, e.rule) for e in errors} == {
        ("absences[0].kind", "one-of"), ("absences[0].start", "date"),
        ("absences[1].end", "not-before-start"), ("absences[2]", "object"),
    }
    assert all(e.detail and e.detail_id for e in errors)
