"""The intake's batch (harian.intake.process_batch) on a real SQLite file: a batch is read and written
set-based, and must decide each submission as if they were stored one by one in the batch's order:
the latest of a day is in force, an older one arriving later is `diganti`, a refusal replaces
nothing, approved entries stay, a draft is submitted once, a redelivery stores nothing twice."""

import datetime as dt
import json
import uuid

import pytest
from sqlalchemy import func, insert, select

from ekinerja_kernel import config
from ekinerja_kernel.bus import HARIAN_SUBMIT
from ekinerja_kernel.events import make_event, utcnow
from harian.domain.failure import FAILED
from harian.intake import process_batch
from harian.tables import OUTBOX, approved_rhk, day_status, entries, mail_queue, outbox_table, submissions

ANA = "198002142005042002"
BEN = "198609262015051001"
GONE = "198805052010011004"
RHK_ANA, RHK_BEN = str(uuid.uuid4()), str(uuid.uuid4())
DAY = config.today()
T0 = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=30)


@pytest.fixture
def factory(harian_db, harian_rows):
    for nip, status in ((ANA, "active"), (BEN, "active"), (GONE, "inactive")):
        harian_rows.employee(nip, email=f"{nip}@example.go.id", status=status)
    harian_rows.agency_settings("ag1", {"extra_working_days": [DAY.isoformat()]})
    with harian_db.begin() as s:
        s.execute(insert(approved_rhk), [
            {"rhk_id": rhk, "nip": nip, "year": DAY.year, "skp_id": str(uuid.uuid4()), "version": 1, "kind": "utama",
             "text": "Terlaksananya pembelajaran", "satuan": "kegiatan"} for nip, rhk in ((ANA, RHK_ANA),
                                                                                       (BEN, RHK_BEN))])
    return harian_db


def submission(nip: str, minutes: int, count: int = 1, rhk: str | None = None, activities: bool = True) -> dict:
    rhk = rhk or (RHK_ANA if nip == ANA else RHK_BEN)
    acts = [{"rhk_id": rhk, "description": f"Kegiatan {minutes}-{j}", "quantity": 1, "satuan": "kegiatan",
             "quality": 100, "evidence_url": "https://bukti.example.go.id/a.pdf", "minutes": 30}
            for j in range(count)]
    return make_event("gateway", HARIAN_SUBMIT, nip, {
        "id": str(uuid.uuid4()), "nip": nip, "date": DAY.isoformat(), "activities": acts if activities else None,
        "accepted_at": (T0 + dt.timedelta(minutes=minutes)).isoformat()}, request_id=f"r-{minutes}")


def sid(message: dict) -> str:
    return message["data"]["id"]


def stored(factory, message: dict) -> tuple:
    with factory() as s:
        row = s.execute(select(submissions.c.status, submissions.c.entries, submissions.c.problem)
                        .where(submissions.c.id == sid(message))).one()
        states = sorted(r.state for r in s.execute(select(entries.c.state).where(
            entries.c.submission_id == sid(message))))
    return row.status, row.entries, states, row.problem


def live(factory, nip: str) -> list[tuple[str, str]]:
    with factory() as s:
        return sorted((r.submission_id, r.state) for r in s.execute(select(entries).where(
            entries.c.nip == nip, entries.c.date == DAY, entries.c.state != "diganti")))


def day_row(factory, nip: str):
    with factory() as s:
        return s.execute(select(day_status).where(day_status.c.nip == nip, day_status.c.date == DAY)).first()


def test_the_latest_submission_of_a_day_in_a_batch_is_in_force_the_earlier_kept_as_replaced(factory):
    first, second, other = submission(ANA, 1, count=2), submission(ANA, 2, count=3), submission(BEN, 3)
    counts = process_batch(factory, OUTBOX, [first, second, other])

    assert counts == {"diterima": 3, "ditolak": 0, "diganti": 0, "duplicate": 0}
    assert stored(factory, first)[:3] == ("diterima", 2, ["diganti", "diganti"])
    assert stored(factory, second)[:3] == ("diterima", 3, ["diajukan"] * 3)
    assert live(factory, ANA) == [(sid(second), "diajukan")] * 3
    assert live(factory, BEN) == [(sid(other), "diajukan")]
    row = day_row(factory, ANA)
    assert (row.status, row.entries) == ("diajukan", 3)
    # the day's first submission time is the earliest, even though its entries were replaced
    assert row.first_submitted_at.replace(tzinfo=dt.UTC) == T0 + dt.timedelta(minutes=1)
    with factory() as s:
        events = [json.loads(b) for b in s.execute(select(outbox_table.c.body).order_by(outbox_table.c.seq)).scalars()]
    assert [e["data"]["submission_id"] for e in events] == [sid(first), sid(second), sid(other)]
    assert [e["data"]["day_status"] for e in events] == ["diajukan"] * 3
    assert events[0]["requestid"] == "r-1"


def test_a_batch_decides_as_one_by_one_across_batches(factory):
    """The same submissions split over batches give the same outcome."""
    first, second = submission(ANA, 1, count=2), submission(ANA, 2, count=1)
    process_batch(factory, OUTBOX, [first])
    process_batch(factory, OUTBOX, [second])
    assert stored(factory, first)[:3] == ("diterima", 2, ["diganti", "diganti"])
    assert live(factory, ANA) == [(sid(second), "diajukan")]
    assert day_row(factory, ANA).entries == 1


def test_an_older_submission_arriving_after_a_newer_one_is_replaced_and_stores_nothing(factory):
    newer, older = submission(ANA, 5), submission(ANA, 4, count=2)
    process_batch(factory, OUTBOX, [newer])
    assert process_batch(factory, OUTBOX, [older])["diganti"] == 1
    assert stored(factory, older)[:3] == ("diganti", 0, [])
    late_in_batch = submission(BEN, 9), submission(BEN, 8)
    process_batch(factory, OUTBOX, list(late_in_batch))
    assert stored(factory, late_in_batch[1])[:3] == ("diganti", 0, [])
    assert live(factory, ANA) == [(sid(newer), "diajukan")]


def test_a_refused_submission_replaces_nothing_and_the_employee_is_told(factory):
    good, bad, gone = submission(ANA, 1), submission(ANA, 2, rhk=str(uuid.uuid4())), submission(GONE, 3)
    counts = process_batch(factory, OUTBOX, [good, bad, gone])
    assert counts["diterima"] == 1 and counts["ditolak"] == 2
    status, n, states, problem = stored(factory, bad)
    assert (status, n, states) == ("ditolak", 0, [])
    assert any(e["field"].endswith("rhk_id") for e in problem["errors"])
    assert stored(factory, gone)[3]["code"] == "not-an-active-employee"
    assert live(factory, ANA) == [(sid(good), "diajukan")]
    with factory() as s:
        mails = s.execute(select(mail_queue.c.to_addr, mail_queue.c.body)).all()
    assert sorted(m.to_addr for m in mails) == sorted([f"{ANA}@example.go.id", f"{GONE}@example.go.id"])
    assert all(sid(bad) in m.body or sid(gone) in m.body for m in mails)


def test_approved_entries_stay_in_force_when_the_day_is_submitted_again(factory):
    first = submission(ANA, 1)
    process_batch(factory, OUTBOX, [first])
    with factory() as s, s.begin():
        s.execute(entries.update().where(entries.c.submission_id == sid(first)).values(state="disetujui"))
    again = submission(ANA, 2)
    process_batch(factory, OUTBOX, [again])
    assert live(factory, ANA) == sorted([(sid(first), "disetujui"), (sid(again), "diajukan")])
    row = day_row(factory, ANA)
    assert (row.status, row.entries) == ("diajukan", 2)


def test_a_draft_is_submitted_once_a_submission_in_the_same_batch_replaces_it(factory):
    with factory() as s, s.begin():
        s.execute(insert(entries), [{"id": str(uuid.uuid4()), "nip": nip, "date": DAY, "seq": 0, "rhk_id": rhk,
                                     "description": "Draf", "quantity": "1", "satuan": "kegiatan", "quality": "100",
                                     "evidence_url": "https://bukti.example.go.id/d.pdf", "minutes": 30,
                                     "state": "draft", "updated_at": utcnow()}
                                    for nip, rhk in ((ANA, RHK_ANA), (BEN, RHK_BEN))])
    from_draft = submission(ANA, 1, activities=False)
    replaced_first, from_nothing = submission(BEN, 2, count=2), submission(BEN, 3, activities=False)
    counts = process_batch(factory, OUTBOX, [from_draft, replaced_first, from_nothing])
    assert stored(factory, from_draft)[:3] == ("diterima", 1, ["diajukan"])
    assert stored(factory, from_nothing)[3]["code"] == "nothing-to-submit"
    assert counts["ditolak"] == 1
    with factory() as s:
        descriptions = s.execute(select(entries.c.description).where(entries.c.submission_id == sid(from_draft)))
        assert list(descriptions.scalars()) == ["Draf"]
        assert s.execute(select(func.count()).select_from(entries).where(entries.c.state == "draft")).scalar() == 0
    assert live(factory, BEN) == [(sid(replaced_first), "diajukan")] * 2


def test_a_redelivered_batch_stores_nothing_twice(factory):
    batch = [submission(ANA, 1, count=2), submission(BEN, 2)]
    process_batch(factory, OUTBOX, batch)
    again = process_batch(factory, OUTBOX, batch + [batch[0]])
    assert again == {"diterima": 0, "ditolak": 0, "diganti": 0, "duplicate": 3}
    with factory() as s:
        assert s.execute(select(func.count()).select_from(submissions)).scalar() == 2
        assert s.execute(select(func.count()).select_from(entries)).scalar() == 3
        assert s.execute(select(func.count()).select_from(outbox_table)).scalar() == 2


def test_a_failed_submission_replayed_is_stored_in_place_of_its_failure(factory):
    message = submission(ANA, 1)
    with factory() as s, s.begin():
        s.execute(insert(submissions).values(id=sid(message), nip=ANA, date=DAY, accepted_at=T0, processed_at=T0,
                                             status=FAILED, problem={"code": "x"}, entries=0))
    assert process_batch(factory, OUTBOX, [message])["diterima"] == 1
    assert stored(factory, message)[:3] == ("diterima", 1, ["diajukan"])
