"""Closing days (harian.day_closed) on a real SQLite file: which days close when, what each closing
says, once per employee-day, never before the employee was first seen."""

import datetime as dt
import json

import pytest
from sqlalchemy import delete, insert, select

from ekinerja_kernel.events import utcnow
from harian.closing import closable_days, close_days
from harian.domain.workdays import AgencyCalendar
from harian.tables import OUTBOX, agency_settings, day_closures, employee_first_seen, employees, outbox_table

D = dt.date
ANA = "198002142005042002"
BEN = "198609262015051001"
NEW = "199001012022211001"  # not seen by the closer yet
GONE = "198805052010011004"
SLOW = "198506062012121005"  # in an agency with a 3-working-day window
SEEN = D(2026, 8, 1)


@pytest.fixture
def factory(harian_db, harian_rows, monkeypatch):
    monkeypatch.delenv("EKINERJA_TIMEZONE", raising=False)
    harian_rows.employee(ANA)
    harian_rows.employee(BEN, unit="u2")
    harian_rows.employee(NEW)
    harian_rows.employee(GONE, status="inactive")
    harian_rows.employee(SLOW, agency="ag2")
    with harian_db.begin() as s:
        s.execute(insert(employee_first_seen), [{"nip": n, "first_seen": SEEN} for n in (ANA, BEN, GONE, SLOW)])
    harian_rows.agency_settings("ag2", {"backfill_days": 3})
    harian_rows.day_status(ANA, D(2026, 8, 10), "disetujui", entries=2)
    harian_rows.day_status(ANA, D(2026, 8, 7), "diajukan", late=True, unit="u-old")  # written while in another unit
    harian_rows.day_status(ANA, D(2026, 8, 6), "dikembalikan")
    harian_rows.day_status(BEN, D(2026, 8, 4), "draft", unit="u2")
    harian_rows.absence("a1", ANA, "sakit", D(2026, 8, 5), recorded_by="x")
    harian_rows.absence("a2", BEN, "dinas_luar", D(2026, 8, 4), recorded_by="x")
    return harian_db


def events(factory):
    with factory() as s:
        rows = s.execute(select(outbox_table.c.body).order_by(outbox_table.c.seq)).scalars().all()
    return [json.loads(b) for b in rows]


def closed(factory, nip):
    return {e["data"]["date"]: e["data"] for e in events(factory) if e["data"]["nip"] == nip}


def test_closable_days_are_the_working_days_before_the_window():
    cal = AgencyCalendar()
    # Wednesday 12 Aug, window = Tue 11 and Wed 12: closable = the working days of the 10 days before.
    assert closable_days(cal, 1, D(2026, 8, 12)) == [D(2026, 8, 3), D(2026, 8, 4), D(2026, 8, 5), D(2026, 8, 6),
                                                     D(2026, 8, 7), D(2026, 8, 10)]
    # Tuesday 18 Aug after Independence Day (Mon 17): the window reaches back to Friday 14.
    assert closable_days(cal, 1, D(2026, 8, 18))[-1] == D(2026, 8, 13)
    # On a Saturday with no back-filling, Friday is closed.
    assert closable_days(cal, 0, D(2026, 8, 15))[-1] == D(2026, 8, 14)
    assert closable_days(cal, 3, D(2026, 8, 12))[-1] == D(2026, 8, 6)


def test_closes_every_day_outside_the_window_with_its_final_status(factory):
    count = close_days(factory, OUTBOX, D(2026, 8, 12))
    ana = closed(factory, ANA)
    assert sorted(ana) == ["2026-08-03", "2026-08-04", "2026-08-05", "2026-08-06", "2026-08-07", "2026-08-10"]
    assert ana["2026-08-10"] == {"nip": ANA, "agency_id": "ag1", "unit_id": "u1", "date": "2026-08-10",
                                 "status": "disetujui", "entries": 2, "blank": False, "justified": False,
                                 "absence": None, "late": False, "obligation_start": "2026-08-01"}
    assert ana["2026-08-07"]["status"] == "diajukan" and ana["2026-08-07"]["late"] is True
    assert ana["2026-08-07"]["unit_id"] == "u-old"  # where the day was recorded
    assert ana["2026-08-06"]["status"] == "dikembalikan"
    sick = ana["2026-08-05"]
    assert (sick["status"], sick["justified"], sick["blank"], sick["absence"], sick["entries"]) == \
        ("justified", True, False, "sakit", 0)
    assert ana["2026-08-03"]["blank"] is True and ana["2026-08-03"]["status"] == "belum_diisi"
    ben = closed(factory, BEN)
    # Work written on a day of official travel counts by its status; the absence is still named.
    assert ben["2026-08-04"]["status"] == "draft" and ben["2026-08-04"]["justified"] is False
    assert ben["2026-08-04"]["absence"] == "dinas_luar" and ben["2026-08-04"]["unit_id"] == "u2"
    slow = closed(factory, SLOW)  # a 3-day window keeps 7, 10 and 11 Aug open
    assert sorted(slow) == ["2026-08-03", "2026-08-04", "2026-08-05", "2026-08-06"]
    assert closed(factory, GONE) == {} and closed(factory, NEW) == {}
    assert count == 6 + 6 + 4
    assert {e["type"] for e in events(factory)} == {"ekinerja.harian.day_closed.v1"}
    assert all(e["subject"] == e["data"]["nip"] for e in events(factory))


def test_each_day_is_closed_once(factory):
    assert close_days(factory, OUTBOX, D(2026, 8, 12)) == 16
    assert close_days(factory, OUTBOX, D(2026, 8, 12)) == 0
    assert len(events(factory)) == 16
    # The next day, Tuesday 11 leaves the default window (and Friday 7 the 3-day one).
    assert close_days(factory, OUTBOX, D(2026, 8, 13)) == 3
    assert closed(factory, ANA)["2026-08-11"]["blank"] is True
    assert "2026-08-07" in closed(factory, SLOW)
    with factory() as s:
        rows = s.execute(select(day_closures).where(day_closures.c.nip == ANA)).all()
    assert len(rows) == 7 and len({r.date for r in rows}) == 7


def test_holidays_are_never_closed(factory):
    close_days(factory, OUTBOX, D(2026, 8, 19))
    ana = closed(factory, ANA)
    assert "2026-08-17" not in ana and "2026-08-15" not in ana and "2026-08-16" not in ana
    assert "2026-08-14" in ana and "2026-08-18" not in ana  # Tue 18 is still open on Wed 19


def test_a_new_employee_gets_no_blank_days_from_before_they_were_seen(factory):
    assert close_days(factory, OUTBOX, D(2026, 8, 12)) == 16
    with factory() as s:
        assert s.execute(select(employee_first_seen.c.first_seen).where(
            employee_first_seen.c.nip == NEW)).scalar() == D(2026, 8, 12)
    close_days(factory, OUTBOX, D(2026, 8, 13))
    assert closed(factory, NEW) == {}  # 12 Aug is still open on Thursday 13
    close_days(factory, OUTBOX, D(2026, 8, 18))
    assert sorted(closed(factory, NEW)) == ["2026-08-12", "2026-08-13"]


def test_small_chunks_close_the_same_days(factory):
    assert close_days(factory, OUTBOX, D(2026, 8, 12), chunk=1) == 16
    assert close_days(factory, OUTBOX, D(2026, 8, 12), chunk=2) == 0


def test_lookback_bounds_how_far_a_late_closer_reaches(factory):
    close_days(factory, OUTBOX, D(2026, 8, 28))  # the closer was down for two weeks
    ana = closed(factory, ANA)
    # The window on Fri 28 is Thu 27 and Fri 28; ten days before it start at Mon 17 (Independence Day);
    # Tue 25 is the Prophet's Birthday. The days before 17 Aug are left unclosed.
    assert sorted(ana) == ["2026-08-18", "2026-08-19", "2026-08-20", "2026-08-21", "2026-08-24", "2026-08-26"]


def test_a_late_justification_announces_the_closed_blank_day_again_as_justified(factory):
    from harian.closing import reclose_for_absence
    from harian.domain.workdays import Absence, AbsenceKind

    close_days(factory, OUTBOX, D(2026, 8, 14))
    assert closed(factory, BEN)["2026-08-03"]["blank"] is True
    before = len(events(factory))
    with factory() as s, s.begin():
        person = s.execute(select(employees).where(employees.c.nip == BEN)).first()
        n = reclose_for_absence(s, OUTBOX, person, Absence(AbsenceKind.CUTI, D(2026, 8, 3), D(2026, 8, 3)))
    again = events(factory)[before:]
    assert n == 1 and [e["data"]["date"] for e in again] == ["2026-08-03"]
    assert (again[0]["data"]["justified"], again[0]["data"]["absence"], again[0]["data"]["blank"]) == \
        (True, "cuti", False)
    with factory() as s, s.begin():  # the same justification again changes nothing, announces nothing
        person = s.execute(select(employees).where(employees.c.nip == BEN)).first()
        assert reclose_for_absence(s, OUTBOX, person, Absence(AbsenceKind.CUTI, D(2026, 8, 3), D(2026, 8, 3))) == 0


def go_live(factory, agency, day):
    with factory() as s, s.begin():
        s.execute(delete(agency_settings).where(agency_settings.c.agency_id == agency))
        s.execute(insert(agency_settings).values(agency_id=agency, settings={"go_live": day.isoformat()},
                                                 reminder_hour=15, updated_at=utcnow()))


def test_with_a_go_live_in_the_past_an_employee_seen_today_owes_the_days_since_it(factory):
    """The demo's case: everyone is imported today; before, nobody's blank day ever closed."""
    go_live(factory, "ag1", D(2026, 8, 5))
    close_days(factory, OUTBOX, D(2026, 8, 12))
    new = closed(factory, NEW)  # first seen now; its NIP's start (2022) is before the go-live
    assert sorted(new) == ["2026-08-05", "2026-08-06", "2026-08-07", "2026-08-10"]
    assert all(d["blank"] and d["obligation_start"] == "2026-08-05" for d in new.values())
    # The go-live also bounds those seen before it: nothing before 5 Aug is closed for Ana now.
    assert sorted(closed(factory, ANA)) == ["2026-08-05", "2026-08-06", "2026-08-07", "2026-08-10"]


def test_the_obligation_starts_with_the_employee_when_they_started_after_the_go_live(factory):
    hired = "199401012026081001"  # a PNS whose NIP says CPNS from August 2026
    with factory() as s, s.begin():
        s.execute(insert(employees).values(nip=hired, name="CPNS baru", email=None, status="active",
                                           agency_id="ag1", unit_id="u1", supervisor_nip=None, updated_at=utcnow()))
    go_live(factory, "ag1", D(2026, 1, 2))
    close_days(factory, OUTBOX, D(2026, 8, 12))
    assert sorted(closed(factory, hired)) == ["2026-08-03", "2026-08-04", "2026-08-05", "2026-08-06",
                                              "2026-08-07", "2026-08-10"]
    assert closed(factory, hired)["2026-08-03"]["obligation_start"] == "2026-08-01"
    go_live(factory, "ag1", D(2026, 8, 6))  # a later go-live wins over the start
    close_days(factory, OUTBOX, D(2026, 8, 14))
    assert closed(factory, hired)["2026-08-12"]["obligation_start"] == "2026-08-06"
