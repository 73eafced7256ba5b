"""Justified absences: sensible dates and a longest length per kind; an agency admin records,
corrects and withdraws them with a reason, each change audited, and the closed days they touch are
announced again so the allowance follows; the employee's supervisors read them, nobody else."""

import datetime as dt
import json

import pytest
from sqlalchemy import select

from ekinerja_kernel.caller import Caller, RequestContext
from ekinerja_kernel.errors import DomainError
from harian import agency
from harian.closing import close_days
from harian.domain.absences import parse_absence
from harian.domain.settings import parse_agency_settings
from harian.domain.workdays import AbsenceKind
from harian.tables import OUTBOX, absence_history, outbox_table

D = dt.date
TODAY = D(2026, 8, 20)
BOSS, MID, ANA, OTHER = "197501201999022003", "198005122013071005", "198609262015051001", "199106032017052006"


def errors_of(call):
    with pytest.raises(DomainError) as refused:
        call()
    return {(e.field, e.rule) for e in refused.value.errors}


def test_a_cuti_over_a_year_is_refused_naming_the_field_and_rule():
    found = errors_of(lambda: parse_absence({"kind": "cuti", "start": "2026-08-03", "end": "2027-08-10"}, TODAY))
    assert found == {("end", "max-length")}
    with pytest.raises(DomainError) as refused:
        parse_absence({"kind": "cuti", "start": "2026-08-03", "end": "2027-08-10"}, TODAY)
    assert "paling lama 92 hari kalender" in refused.value.errors[0].detail_id


def test_each_kind_has_its_longest_length_and_an_agency_may_set_its_own():
    assert parse_absence({"kind": "sakit", "start": "2026-08-03", "end": "2027-08-10"}, TODAY).days == 373
    assert errors_of(lambda: parse_absence({"kind": "dinas_luar", "start": "2026-08-03", "end": "2026-12-31"},
                                           TODAY)) == {("end", "max-length")}
    strict = parse_agency_settings({"absence_max_days": {"cuti": 30}}).absence_max_days
    assert strict[AbsenceKind.CUTI] == 30 and strict[AbsenceKind.SAKIT] == 548
    assert errors_of(lambda: parse_absence({"kind": "cuti", "start": "2026-08-03", "end": "2026-09-10"}, TODAY,
                                           strict)) == {("end", "max-length")}
    assert errors_of(lambda: parse_agency_settings({"absence_max_days": {"cuti": 0, "libur": 3}})) == {
        ("absence_max_days.cuti", "range"), ("absence_max_days.libur", "one-of")}


def test_the_dates_must_be_sensible():
    assert errors_of(lambda: parse_absence({"kind": "cuti", "start": "2024-01-02"}, TODAY)) == {
        ("start", "too-far-back")}
    assert errors_of(lambda: parse_absence({"kind": "cuti", "start": "2028-01-02"}, TODAY)) == {
        ("start", "too-far-ahead")}
    assert errors_of(lambda: parse_absence({"kind": "cuti", "start": "2026-08-10", "end": "2026-08-07"}, TODAY)) \
        == {("end", "not-before-start")}
    assert errors_of(lambda: parse_absence({"kind": "libur", "start": "2026-02-30"}, TODAY)) == {
        ("kind", "one-of"), ("start", "date")}


# --- the use cases, on a real SQLite file --------------------------------------------------------

def ctx(nip, *roles):
    return RequestContext(Caller(nip=nip, roles=("pegawai", *roles), agency_id="ag1"))


ADMIN_NIP = "199502212020111013"
ADMIN = ctx(ADMIN_NIP, "admin_instansi")


@pytest.fixture
def factory(harian_db, harian_rows, monkeypatch):
    monkeypatch.setattr("ekinerja_kernel.config.today", lambda: TODAY)
    for nip, boss in ((BOSS, None), (MID, BOSS), (ANA, MID), (OTHER, None)):
        harian_rows.employee(nip, supervisor=boss)
    harian_rows.agency_settings("ag1", {"go_live": "2026-08-03"})
    close_days(harian_db, OUTBOX, TODAY)  # 6–18 Aug: every working day closed blank
    return harian_db


def announced(factory, after=0):
    with factory() as s:
        rows = s.execute(select(outbox_table.c.body).order_by(outbox_table.c.seq)).scalars().all()
    return [json.loads(b)["data"] for b in rows][after:]


def test_recording_correcting_and_withdrawing_re_close_the_days_and_are_audited(factory):
    before = len(announced(factory))
    sick = agency.record_absence(factory, OUTBOX, ADMIN, ANA, "sakit", "2026-08-10", "2026-08-11", "Surat dokter")
    assert sick["reclosed_days"] == 2
    again = announced(factory, before)
    assert [(d["date"], d["status"], d["absence"]) for d in again] == [
        ("2026-08-10", "justified", "sakit"), ("2026-08-11", "justified", "sakit")]

    with pytest.raises(DomainError) as no_reason:
        agency.correct_absence(factory, OUTBOX, ADMIN, sick["id"], "sakit", "2026-08-11", "2026-08-12", None, " ")
    assert no_reason.value.errors[0].field == "reason"
    moved = agency.correct_absence(factory, OUTBOX, ADMIN, sick["id"], "sakit", "2026-08-11", "2026-08-12", None,
                                   "Tanggal surat dokter salah ketik")
    assert (moved["start"], moved["end"], moved["reclosed_days"]) == ("2026-08-11", "2026-08-12", 2)
    changed = announced(factory, before + 2)
    assert [(d["date"], d["status"]) for d in changed] == [("2026-08-10", "belum_diisi"), ("2026-08-12", "justified")]

    withdrawn = agency.withdraw_absence(factory, OUTBOX, ADMIN, sick["id"], "Ternyata masuk kerja")
    assert withdrawn["withdrawn"] is True and withdrawn["reclosed_days"] == 2
    last = announced(factory, before + 4)
    assert [(d["date"], d["status"], d["blank"]) for d in last] == [("2026-08-11", "belum_diisi", True),
                                                                     ("2026-08-12", "belum_diisi", True)]
    with factory() as s:
        history = s.execute(select(absence_history).order_by(absence_history.c.id)).all()
    assert [(h.action, h.actor_nip, h.reason) for h in history] == [
        ("recorded", ADMIN_NIP, None), ("corrected", ADMIN_NIP, "Tanggal surat dokter salah ketik"),
        ("withdrawn", ADMIN_NIP, "Ternyata masuk kerja")]
    assert history[1].before["start"] == "2026-08-10" and history[1].after["start"] == "2026-08-11"
    listed = agency.list_absences(factory, ADMIN, ANA)
    assert listed["absences"] == [] and [h["action"] for h in listed["history"]] == ["recorded", "corrected",
                                                                                   "withdrawn"]
    with pytest.raises(DomainError) as gone:
        agency.withdraw_absence(factory, OUTBOX, ADMIN, sick["id"], "Sekali lagi")
    assert gone.value.status == 404 and sick["id"] not in gone.value.detail_id


def test_overlapping_absences_are_refused_naming_the_one_there(factory):
    agency.record_absence(factory, OUTBOX, ADMIN, ANA, "cuti", "2026-08-24", "2026-08-28")
    with pytest.raises(DomainError) as refused:
        agency.record_absence(factory, OUTBOX, ADMIN, ANA, "dinas_luar", "2026-08-27", None)
    assert refused.value.code == "absence-overlaps" and "2026-08-24 sampai 2026-08-28" in refused.value.detail_id


def test_supervisors_read_their_teams_absences_and_only_admins_change_them(factory):
    agency.record_absence(factory, OUTBOX, ADMIN, ANA, "cuti", "2026-08-24", "2026-08-25", "Cuti tahunan")
    for boss in (MID, BOSS):  # the direct supervisor, and the one above
        seen = agency.list_absences(factory, ctx(boss), ANA)
        assert [a["kind"] for a in seen["absences"]] == ["cuti"] and seen["read_only"] and "history" not in seen
    with pytest.raises(DomainError) as stranger:
        agency.list_absences(factory, ctx(OTHER), ANA)
    assert stranger.value.status == 403
    absence_id = agency.list_absences(factory, ctx(ANA), ANA)["absences"][0]["id"]
    with pytest.raises(DomainError) as not_admin:
        agency.withdraw_absence(factory, OUTBOX, ctx(MID), absence_id, "Bukan wewenang")
    assert not_admin.value.status == 403
