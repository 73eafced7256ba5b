"""An employee's month: every day with its status, and the blank working days."""

import datetime as dt

import pytest

from harian.domain.month import month_view
from harian.domain.status import DayStatus
from harian.domain.workdays import Absence, AbsenceKind, AgencyCalendar, DayKind

D = dt.date
CAL = AgencyCalendar()
LEAVE = [Absence(AbsenceKind.CUTI, D(2026, 8, 5), D(2026, 8, 6))]


def by_day(view):
    return {d.date: d.status for d in view.days}


def test_every_day_of_the_month_is_listed_in_order():
    view = month_view(CAL, [], 2026, 8, {})
    assert [d.date for d in view.days] == [D(2026, 8, n) for n in range(1, 32)]
    view = month_view(CAL, [], 2028, 2, {})
    assert len(view.days) == 29


def test_statuses_come_from_entries_calendar_and_absences():
    statuses = {D(2026, 8, 3): DayStatus.DISETUJUI, D(2026, 8, 4): "draft", D(2026, 8, 7): DayStatus.DIKEMBALIKAN}
    view = month_view(CAL, LEAVE, 2026, 8, statuses)
    status = by_day(view)
    assert status[D(2026, 8, 3)] is DayStatus.DISETUJUI
    assert status[D(2026, 8, 4)] is DayStatus.DRAFT
    assert status[D(2026, 8, 5)] is DayStatus.JUSTIFIED
    assert status[D(2026, 8, 6)] is DayStatus.JUSTIFIED
    assert status[D(2026, 8, 7)] is DayStatus.DIKEMBALIKAN
    assert status[D(2026, 8, 8)] is DayStatus.LIBUR  # Saturday
    assert status[D(2026, 8, 17)] is DayStatus.LIBUR  # Independence Day
    assert status[D(2026, 8, 10)] is DayStatus.BELUM_DIISI
    holiday = next(d for d in view.days if d.date == D(2026, 8, 17))
    assert not holiday.working and holiday.off.kind is DayKind.NATIONAL_HOLIDAY
    leave = next(d for d in view.days if d.date == D(2026, 8, 5))
    assert leave.working and leave.absence is AbsenceKind.CUTI


def test_blank_working_days_exclude_entries_absences_and_holidays():
    statuses = {D(2026, 8, 3): DayStatus.DISETUJUI, D(2026, 8, 4): DayStatus.DIAJUKAN}
    view = month_view(CAL, LEAVE, 2026, 8, statuses)
    # August 2026: 21 weekdays, minus the 17th and 25th (Kemerdekaan, Maulid Nabi), 3rd and 4th
    # (entries), 5th and 6th (leave).
    assert len(view.blank_working_days) == 21 - 2 - 2 - 2
    for not_blank in (D(2026, 8, 3), D(2026, 8, 4), D(2026, 8, 5), D(2026, 8, 6), D(2026, 8, 17), D(2026, 8, 25),
                      D(2026, 8, 8)):
        assert not_blank not in view.blank_working_days
    assert D(2026, 8, 7) in view.blank_working_days
    assert view.counts()["belum_diisi"] == 15 and view.counts()["justified"] == 2


def test_only_days_before_today_are_blank():
    view = month_view(CAL, [], 2026, 8, {}, today=D(2026, 8, 12))
    assert view.blank_working_days == tuple(D(2026, 8, n) for n in (3, 4, 5, 6, 7, 10, 11))
    assert by_day(view)[D(2026, 8, 20)] is DayStatus.BELUM_DIISI


def test_calendar_statuses_in_the_map_are_recomputed():
    # A stale map cannot hide a blank day nor make a holiday blank.
    view = month_view(CAL, [], 2026, 8, {D(2026, 8, 10): DayStatus.LIBUR, D(2026, 8, 17): DayStatus.BELUM_DIISI})
    assert by_day(view)[D(2026, 8, 10)] is DayStatus.BELUM_DIISI
    assert by_day(view)[D(2026, 8, 17)] is DayStatus.LIBUR
    assert D(2026, 8, 10) in view.blank_working_days


def test_saturday_working_agency_has_blank_saturdays():
    view = month_view(AgencyCalendar(work_saturday=True), [], 2026, 8, {})
    assert D(2026, 8, 8) in view.blank_working_days
    assert D(2026, 8, 9) not in view.blank_working_days


def test_bad_month_is_refused():
    with pytest.raises(ValueError):
        month_view(CAL, [], 2026, 13, {})


def test_days_before_the_obligation_started_are_not_blank():
    view = month_view(CAL, LEAVE, 2026, 8, {D(2026, 8, 3): DayStatus.DISETUJUI}, D(2026, 8, 20), D(2026, 8, 12))
    assert view.blank_working_days == (D(2026, 8, 12), D(2026, 8, 13), D(2026, 8, 14), D(2026, 8, 18),
                                       D(2026, 8, 19))
    days = {d.date: d for d in view.days}
    assert days[D(2026, 8, 11)].status is DayStatus.BELUM_DIISI and not days[D(2026, 8, 11)].required
    assert days[D(2026, 8, 12)].required and not days[D(2026, 8, 15)].required  # a Saturday never is
    nothing_owed = month_view(CAL, [], 2026, 8, {}, D(2026, 8, 20), None)
    assert nothing_owed.blank_working_days == () and not any(d.required for d in nothing_owed.days)
