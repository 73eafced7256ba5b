"""Blank-day reminders on a real SQLite file: who gets a mail, the supervisor digest, the agency's
hour and calendar, once per agency-day, and the per-user opt-out."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select

from ekinerja_kernel.caller import Caller, RequestContext
from ekinerja_kernel.errors import DomainError
from ekinerja_kernel.events import utcnow
from harian.reminders import reminder_preference, send_due_reminders, set_reminder_preference
from harian.tables import mail_queue, reminder_opt_outs, reminder_runs

WIB = ZoneInfo("Asia/Jakarta")
TUE = dt.date(2026, 8, 11)
BOSS = "197001012000031001"
BLANK = "198002142005042002"
DRAFTED = "198609262015051001"
ON_LEAVE = "199001012022211001"
OPTED_OUT = "199102032019031002"
NO_EMAIL = "199203042020121003"
GONE = "198805052010011004"
OTHER = "198506062012121005"  # in the agency that reminds at 09:00


def at(day, hour, minute=0):
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=WIB)


@pytest.fixture
def factory(harian_db, harian_rows, monkeypatch):
    monkeypatch.delenv("EKINERJA_TIMEZONE", raising=False)

    def person(nip, name, email="auto", status="active", agency="ag1", supervisor=BOSS):
        harian_rows.employee(nip, name=name, email=f"{nip}@example.go.id" if email == "auto" else email,
                             status=status, agency=agency, supervisor=supervisor)

    person(BOSS, "Bu Kepala", supervisor=None)
    person(BLANK, "Andi Kosong")
    person(DRAFTED, "Budi Draf")
    person(ON_LEAVE, "Citra Cuti")
    person(OPTED_OUT, "Dedi Tidak Mau")
    person(NO_EMAIL, "Eka Tanpa Surel", email=None)
    person(GONE, "Fajar Pensiun", status="inactive")
    person(OTHER, "Gita Pagi", agency="ag2", supervisor=None)
    harian_rows.agency_settings("ag2", {}, reminder_hour=9)
    harian_rows.day_status(DRAFTED, TUE, "draft")
    harian_rows.absence("a1", ON_LEAVE, "cuti", TUE, recorded_by=BOSS)
    with harian_db.begin() as s:
        s.execute(insert(reminder_opt_outs).values(nip=OPTED_OUT, opted_out_at=utcnow()))
    return harian_db


def mails(factory):
    with factory() as s:
        return s.execute(select(mail_queue).order_by(mail_queue.c.id)).all()


def test_nothing_before_the_agencys_hour(factory):
    counts = send_due_reminders(factory, mail_queue, at(TUE, 8, 59))
    assert counts["agencies"] == 0 and mails(factory) == []
    counts = send_due_reminders(factory, mail_queue, at(TUE, 14, 59))  # ag2 (09:00) is due, ag1 (15:00) not
    assert counts["agencies"] == 1
    assert [m.to_addr for m in mails(factory)] == [f"{OTHER}@example.go.id"]
    with factory() as s:
        assert s.execute(select(reminder_runs.c.agency_id)).scalars().all() == ["ag2"]


def test_blank_employees_get_a_reminder_and_the_supervisor_a_digest(factory):
    counts = send_due_reminders(factory, mail_queue, at(TUE, 15, 0))
    queued = mails(factory)
    to = [m.to_addr for m in queued]
    # Reminders: only the blank, reachable, opted-in ones (the boss's own day is blank too).
    reminded = {m.to_addr for m in queued if m.subject.startswith("Pengingat")}
    assert reminded == {f"{BLANK}@example.go.id", f"{BOSS}@example.go.id", f"{OTHER}@example.go.id"}
    assert f"{DRAFTED}@example.go.id" not in to  # a draft is not blank
    assert f"{ON_LEAVE}@example.go.id" not in to  # justified absence
    assert f"{OPTED_OUT}@example.go.id" not in to  # opted out
    assert f"{GONE}@example.go.id" not in to  # not active
    digest = [m for m in queued if m.subject.startswith("Anggota tim")]
    assert len(digest) == 1 and digest[0].to_addr == f"{BOSS}@example.go.id"
    body = digest[0].body
    listed = [line.strip() for line in body.splitlines() if line.startswith("  - ")]
    # Everyone blank is named, reachable or not; not the drafted, the absent, the inactive.
    assert listed == [f"- Andi Kosong (NIP {BLANK})", f"- Dedi Tidak Mau (NIP {OPTED_OUT})",
                      f"- Eka Tanpa Surel (NIP {NO_EMAIL})"]
    assert body.startswith(f"Yth. Bu Kepala (NIP {BOSS})")
    assert "3 anggota tim" in body and "3 member(s)" in body
    assert counts == {"agencies": 2, "reminders": 3, "digests": 1, "opted_out": 1, "no_email": 1}
    reminder = next(m for m in queued if m.to_addr == f"{BLANK}@example.go.id")
    assert "2026-08-11" in reminder.subject and "Andi Kosong" in reminder.body
    assert "belum diisi" in reminder.body and "still blank" in reminder.body  # Indonesian and English


def test_each_agency_day_is_reminded_once(factory):
    send_due_reminders(factory, mail_queue, at(TUE, 15, 0))
    first = len(mails(factory))
    again = send_due_reminders(factory, mail_queue, at(TUE, 16, 30))
    assert again["agencies"] == 0 and again["reminders"] == 0
    assert len(mails(factory)) == first
    with factory() as s:
        runs = s.execute(select(reminder_runs).order_by(reminder_runs.c.agency_id)).all()
    assert [(r.agency_id, r.date, r.reminders, r.digests) for r in runs] == [("ag1", TUE, 2, 1), ("ag2", TUE, 1, 0)]
    # The next working day is a new day.
    nxt = send_due_reminders(factory, mail_queue, at(TUE + dt.timedelta(days=1), 15, 0))
    assert nxt["agencies"] == 2 and len(mails(factory)) > first


def test_no_reminders_on_days_off(factory):
    assert send_due_reminders(factory, mail_queue, at(dt.date(2026, 8, 15), 16))["agencies"] == 0  # Saturday
    assert send_due_reminders(factory, mail_queue, at(dt.date(2026, 8, 17), 16))["agencies"] == 0  # Independence Day
    assert mails(factory) == []


def test_time_is_judged_in_local_time(factory):
    # 08:00 UTC is 15:00 WIB.
    counts = send_due_reminders(factory, mail_queue, dt.datetime(2026, 8, 11, 8, 0, tzinfo=dt.UTC))
    assert counts["agencies"] == 2
    # 07:59 UTC the next day is 14:59 WIB: only ag2 is due.
    counts = send_due_reminders(factory, mail_queue, dt.datetime(2026, 8, 12, 7, 59, tzinfo=dt.UTC))
    assert counts["agencies"] == 1


def ctx(nip):
    return RequestContext(caller=Caller(nip=nip, agency_id="ag1"))


def test_opting_out_and_back_in(factory):
    assert reminder_preference(factory, ctx(BLANK))["enabled"] is True
    view = set_reminder_preference(factory, ctx(BLANK), False)
    assert view["enabled"] is False and view["opted_out_at"] and view["reminder_hour"] == 15
    assert set_reminder_preference(factory, ctx(BLANK), False)["enabled"] is False  # twice is harmless
    send_due_reminders(factory, mail_queue, at(TUE, 15))
    assert f"{BLANK}@example.go.id" not in {m.to_addr for m in mails(factory) if m.subject.startswith("Peng")}
    assert set_reminder_preference(factory, ctx(BLANK), True)["enabled"] is True
    assert reminder_preference(factory, ctx(BLANK))["enabled"] is True
    with factory() as s:
        assert s.execute(select(func.count()).select_from(reminder_opt_outs)).scalar() == 1  # OPTED_OUT's only


def test_supervisor_who_opted_out_gets_no_digest(factory):
    set_reminder_preference(factory, ctx(BOSS), False)
    counts = send_due_reminders(factory, mail_queue, at(TUE, 15))
    assert counts["digests"] == 0
    assert f"{BOSS}@example.go.id" not in {m.to_addr for m in mails(factory)}


def test_preference_must_be_a_boolean(factory):
    with pytest.raises(DomainError) as caught:
        set_reminder_preference(factory, ctx(BLANK), "no")
    assert caught.value.status == 422 and caught.value.errors[0].field == "enabled"


def test_the_mails_link_to_the_web_pages_by_absolute_urls(monkeypatch):
    from harian.reminders import digest_mail, reminder_mail

    monkeypatch.setenv("EKINERJA_WEB_URL", "https://kinerja.example.go.id/")
    monkeypatch.setenv("PUBLIC_URL", "https://api.kinerja.example.go.id")
    _, body = reminder_mail("Ana", "198609262015051001", TUE)
    assert f"https://kinerja.example.go.id/harian/{TUE.isoformat()}" in body
    assert "https://api.kinerja.example.go.id/api/v1/harian/reminders" in body  # no page for it yet
    assert "(/api/" not in body and "http://127.0.0.1" not in body
    _, digest = digest_mail("Budi", "197501201999022003", TUE, [("198609262015051001", "Ana")])
    assert f"https://kinerja.example.go.id/tim/?dari={TUE.isoformat()}" in digest
    assert "/api/v1/harian/team" not in digest
