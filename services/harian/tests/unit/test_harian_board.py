"""What supervisors and employees see (issue 14, item 8) on a real SQLite file: a return note stays
on the day's record after the employee resubmits, for the employee, the team board and the penilai
at evaluation; the board shows each entry's RHK text and target, totals per status and what waits
for me; the atasan's atasan looks into an indirect team read only; refusals name no bare id."""

import datetime as dt
import uuid

import pytest
from sqlalchemy import select

from ekinerja_kernel import config
from ekinerja_kernel.bus import HARIAN_SUBMIT
from ekinerja_kernel.caller import Caller, RequestContext
from ekinerja_kernel.errors import DomainError
from ekinerja_kernel.events import make_event
from harian import days, history, validation
from harian.intake import process_batch
from harian.staff import on_event
from harian.tables import OUTBOX, entries

BOSS, MID, ANA, OTHER = "197501201999022003", "198005122013071005", "198609262015051001", "199106032017052006"
RHK = str(uuid.uuid4())
DAY = config.today()


def ctx(nip, *roles):
    return RequestContext(Caller(nip=nip, roles=("pegawai", *roles), agency_id="ag1"))


@pytest.fixture
def factory(harian_db, harian_rows):
    for nip, name, boss in ((BOSS, "Budi", None), (MID, "Citra", BOSS), (ANA, "Ana", MID), (OTHER, "Oki", None)):
        harian_rows.employee(nip, name=name, supervisor=boss)
    harian_rows.agency_settings("ag1", {"extra_working_days": [DAY.isoformat()]})
    on_event(harian_db, make_event("skp", "skp.approved", ANA, {
        "skp_id": str(uuid.uuid4()), "nip": ANA, "year": DAY.year, "agency_id": "ag1", "version": 1,
        "state": "disetujui", "actor_nip": MID,
        "rhk": [{"id": RHK, "kind": "utama", "text": "Tersusunnya laporan keuangan", "intervenes": None,
                 "iki": [{"aspek": "kuantitas", "indikator": "Jumlah laporan", "target": "12",
                          "satuan": "laporan"}]}]}))
    return harian_db


def submit(factory, minutes, description):
    process_batch(factory, OUTBOX, [make_event("gateway", HARIAN_SUBMIT, ANA, {
        "id": str(uuid.uuid4()), "nip": ANA, "date": DAY.isoformat(),
        "activities": [{"rhk_id": RHK, "description": description, "quantity": 1, "satuan": "laporan",
                        "quality": 100, "evidence_url": "https://bukti.example.go.id/a.pdf", "minutes": 60}],
        "accepted_at": (dt.datetime.now(dt.UTC) + dt.timedelta(microseconds=minutes)).isoformat()})])


def waiting_ids(factory):
    with factory() as s:
        return list(s.scalars(select(entries.c.id).where(entries.c.nip == ANA, entries.c.state == "diajukan")))


def test_a_return_note_stays_on_the_day_after_the_resubmission(factory):
    submit(factory, 1, "Menyusun laporan")
    validation.decide(factory, OUTBOX, ctx(MID), waiting_ids(factory), "return", "Lampirkan tanda tangan")
    submit(factory, 2, "Menyusun laporan bertanda tangan")
    mine = days.my_day(factory, ctx(ANA), DAY.isoformat())
    assert mine["status"] == "diajukan" and all(e["note"] is None for e in mine["entries"])  # the note's entry is gone
    assert [h["event"] for h in mine["history"]] == ["submitted", "returned", "submitted"]
    returned = mine["history"][1]
    assert returned["note"] == "Lampirkan tanda tangan" and returned["decided_by_name"] == "Citra"
    assert returned["entries"][0]["description"] == "Menyusun laporan"

    # The penilai at evaluation, and the one above, read the same history over the period.
    for viewer in (MID, BOSS, ANA):
        found = history.employee_decisions(factory, ctx(viewer), ANA, DAY.replace(month=1, day=1).isoformat(),
                                           DAY.isoformat())
        assert found["returned"] == 1 and found["decisions"][0]["note"] == "Lampirkan tanda tangan"
    with pytest.raises(DomainError) as stranger:
        history.employee_decisions(factory, ctx(OTHER), ANA, DAY.isoformat())
    assert stranger.value.status == 403


def test_the_board_shows_rhk_totals_what_waits_and_the_notes(factory):
    submit(factory, 1, "Menyusun laporan")
    validation.decide(factory, OUTBOX, ctx(MID), waiting_ids(factory), "return", "Perbaiki angka")
    submit(factory, 2, "Menyusun laporan lagi")
    board = validation.team_days(factory, ctx(MID), DAY.isoformat())
    assert board["read_only"] is False and board["supervisor"]["name"] == "Citra"
    assert board["totals"]["diajukan"] == 1 and set(board["totals"]) >= {"belum_diisi", "disetujui", "libur"}
    assert board["waiting_for_me"]["entries"] == 1
    assert board["waiting_for_me"]["days"] == [{"nip": ANA, "name": "Ana", "date": DAY.isoformat(), "entries": 1}]
    ana = board["team"][0]
    entry = ana["days"][0]["entries"][0]
    assert (entry["rhk_text"], entry["rhk_target"]) == ("Tersusunnya laporan keuangan", "12 laporan")
    assert [d["note"] for d in ana["days"][0]["decisions"]] == ["Perbaiki angka"]
    assert ana["counts"]["diajukan"] == 1 and ana["has_team"] is False


def test_the_atasans_atasan_looks_into_an_indirect_team_read_only(factory):
    submit(factory, 1, "Menyusun laporan")
    mine = validation.team_days(factory, ctx(BOSS), DAY.isoformat())
    assert [m["nip"] for m in mine["team"]] == [MID] and mine["team"][0]["has_team"] is True
    below = validation.team_days(factory, ctx(BOSS), DAY.isoformat(), of=MID)
    assert below["read_only"] is True and below["supervisor"] == {"nip": MID, "name": "Citra"}
    assert [m["nip"] for m in below["team"]] == [ANA] and below["waiting_for_me"]["entries"] == 0
    with pytest.raises(DomainError) as up:
        validation.team_days(factory, ctx(MID), DAY.isoformat(), of=BOSS)
    assert up.value.status == 403
    with pytest.raises(DomainError) as deciding:  # read only: the indirect reports' own supervisor decides
        validation.decide(factory, OUTBOX, ctx(BOSS), waiting_ids(factory), "approve")
    assert deciding.value.status == 403 and "atasan langsung" in deciding.value.detail_id


def test_refusals_name_the_activity_not_its_id(factory):
    submit(factory, 1, "Menyusun laporan")
    ids = waiting_ids(factory)
    validation.decide(factory, OUTBOX, ctx(MID), ids, "approve")
    with pytest.raises(DomainError) as again:
        validation.decide(factory, OUTBOX, ctx(MID), ids, "approve")
    problem = again.value
    assert problem.code == "wrong-state" and ids[0] not in problem.detail_id and ids[0] not in problem.detail
    assert "Menyusun laporan" in problem.detail_id and "disetujui" in problem.detail_id and "Ana" in problem.detail_id
    gone = str(uuid.uuid4())
    with pytest.raises(DomainError) as missing:
        validation.decide(factory, OUTBOX, ctx(MID), [gone], "approve")
    assert gone not in missing.value.detail_id and missing.value.extra["missing"] == [gone]
    with pytest.raises(DomainError) as action:
        validation.decide(factory, OUTBOX, ctx(MID), ids, "approved")
    assert "setujui" in action.value.errors[0].detail_id
