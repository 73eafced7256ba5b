"""Status of a day for an employee (supervisors' team view: not started, draft, submitted,
approved; returned; justified absence; non-working day) and lateness."""

import datetime as dt

import pytest

from harian.domain.status import (
    DayStatus,
    EntryFacts,
    EntryState,
    assess_day,
    combine_states,
    day_is_late,
    day_status,
    is_late,
)
from harian.domain.workdays import Absence, AbsenceKind, AgencyCalendar, EmployeeCalendar

D = dt.date
DRAFT, SUB, OK, RET = EntryState.DRAFT, EntryState.DIAJUKAN, EntryState.DISETUJUI, EntryState.DIKEMBALIKAN
WIB = dt.timezone(dt.timedelta(hours=7), "WIB")


def entries(*states):
    return [EntryFacts(s) for s in states]


# --- one status each ---------------------------------------------------------------------------

def test_blank_working_day_is_belum_diisi():
    assert day_status([]) is DayStatus.BELUM_DIISI


def test_non_working_day_without_entries_is_libur():
    assert day_status([], working_day=False) is DayStatus.LIBUR


def test_absent_working_day_without_entries_is_justified():
    assert day_status([], absence=AbsenceKind.SAKIT) is DayStatus.JUSTIFIED


def test_libur_wins_over_absence():
    assert day_status([], working_day=False, absence=AbsenceKind.CUTI) is DayStatus.LIBUR


@pytest.mark.parametrize("state,status", [
    (DRAFT, DayStatus.DRAFT), (SUB, DayStatus.DIAJUKAN), (OK, DayStatus.DISETUJUI), (RET, DayStatus.DIKEMBALIKAN),
])
def test_a_single_entry_gives_its_own_state(state, status):
    assert day_status(entries(state)) is status


# --- mixed entries ------------------------------------------------------------------------------

@pytest.mark.parametrize("states,status", [
    ((OK, OK, OK), DayStatus.DISETUJUI),
    ((OK, RET), DayStatus.DIKEMBALIKAN),  # any returned → dikembalikan
    ((DRAFT, RET, SUB), DayStatus.DIKEMBALIKAN),
    ((DRAFT, SUB), DayStatus.DRAFT),  # any draft (none returned) → draft
    ((DRAFT, OK), DayStatus.DRAFT),
    ((SUB, OK), DayStatus.DIAJUKAN),  # submitted, none draft or returned → diajukan
    ((SUB, SUB), DayStatus.DIAJUKAN),
])
def test_mixed_entries_combine(states, status):
    assert day_status(entries(*states)) is status


def test_states_may_be_given_as_strings():
    assert combine_states(["disetujui", "diajukan"]) is DayStatus.DIAJUKAN
    assert combine_states([]) is None
    with pytest.raises(ValueError):
        combine_states(["approved"])


def test_entries_win_over_calendar_flags():
    # Work written down is shown even if the day later became a holiday or an absence.
    assert day_status(entries(SUB), working_day=False) is DayStatus.DIAJUKAN
    assert day_status(entries(DRAFT), absence=AbsenceKind.DINAS_LUAR) is DayStatus.DRAFT


def test_only_entry_statuses_come_from_entries():
    assert {s for s in DayStatus if s.from_entries} == {
        DayStatus.DRAFT, DayStatus.DIAJUKAN, DayStatus.DISETUJUI, DayStatus.DIKEMBALIKAN}


# --- late ---------------------------------------------------------------------------------------

def test_submitted_on_the_day_is_not_late():
    assert not is_late(D(2026, 8, 12), dt.datetime(2026, 8, 12, 23, 59))


def test_submitted_the_next_day_is_late():
    assert is_late(D(2026, 8, 12), dt.datetime(2026, 8, 13, 0, 1))
    assert is_late(D(2026, 8, 12), D(2026, 8, 13))


def test_never_submitted_is_not_late():
    assert not is_late(D(2026, 8, 12), None)


def test_aware_time_is_judged_in_the_employees_zone():
    utc_evening = dt.datetime(2026, 8, 12, 18, 0, tzinfo=dt.UTC)  # 01:00 on the 13th in WIB
    assert is_late(D(2026, 8, 12), utc_evening, tz=WIB)
    assert not is_late(D(2026, 8, 12), utc_evening)


def test_day_is_late_when_any_entry_was_submitted_late():
    day = D(2026, 8, 12)
    on_time = EntryFacts(SUB, dt.datetime(2026, 8, 12, 16, 0))
    late = EntryFacts(OK, dt.datetime(2026, 8, 14, 9, 0))
    assert not day_is_late(day, [on_time, EntryFacts(DRAFT)])
    assert day_is_late(day, [on_time, late])


def test_assess_day_uses_the_employees_calendar():
    cal = EmployeeCalendar(AgencyCalendar(), [Absence(AbsenceKind.CUTI, D(2026, 8, 11), D(2026, 8, 11))])
    leave = assess_day(cal, D(2026, 8, 11), [])
    assert (leave.status, leave.absence, leave.late) == (DayStatus.JUSTIFIED, AbsenceKind.CUTI, False)
    holiday = assess_day(cal, D(2026, 8, 17), [])
    assert holiday.status is DayStatus.LIBUR
    blank = assess_day(cal, D(2026, 8, 12), [])
    assert blank.status is DayStatus.BELUM_DIISI
    late = assess_day(cal, D(2026, 8, 12), [EntryFacts(SUB, dt.datetime(2026, 8, 13, 8, 0))])
    assert (late.status, late.late) == (DayStatus.DIAJUKAN, True)
