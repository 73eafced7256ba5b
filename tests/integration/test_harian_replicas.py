"""Two harian processes consume one `harian.submissions` queue (as `HARIAN_REPLICAS=2 make up` and a
scaled Deployment run them) while a burst of submissions for the same employee-days arrives out of
order: every accepted submission is stored exactly once, with every entry, and each day keeps the
latest submission alone in force, whichever replica stored which.

The second replica is a real HarianService container on the same broker and PostgreSQL database as
the first; the submissions reach the queue the way the gateway hands them over."""

from __future__ import annotations

import copy
import datetime as dt
import random
import uuid

import pytest
from harness import SERVICE_CLASSES, load_class
from nameko.containers import ServiceContainer
from skp_world import Client, demo_masterdata, gateway_client, import_masterdata
from sqlalchemy import text

from ekinerja_kernel import config
from ekinerja_kernel.bus import HARIAN_SUBMISSIONS, HARIAN_SUBMIT, ConfirmedPublisher, commands_exchange
from ekinerja_kernel.events import make_event
from ekinerja_kernel.localservers import wait_for

TODAY = config.today()
YESTERDAY = TODAY - dt.timedelta(days=1)
DAYS = (YESTERDAY, TODAY)
BURST = 400
# Teachers of the demo city's school of their own (no other test submits for them).
TEACHERS = {"199003152015031041": ("3273011503904101", "Bayu Nugraha"),
            "199003162015031042": ("3273011603904102", "Dedi Kurniawan"),
            "199003172015031043": ("3273011703904103", "Eko Prasetyo"),
            "199003182015031044": ("3273011803904104", "Hendra Wijaya")}
RHK = {nip: str(uuid.uuid4()) for nip in TEACHERS}


def _rows(engine, sql: str, **params) -> list:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).all()


@pytest.fixture(scope="module")
def school(rabbit, services, harian_db):
    """The four teachers known to harian with an approved SKP; today and yesterday working days."""
    demo = demo_masterdata()
    kepsek = next(e for e in demo["employees"] if e["position_id"] == "pk-kepsek")
    teachers = [{"nip": nip, "nik": nik, "name": name, "employment_type": "PNS", "status": "active",
                 "agency_id": "pemkotdemo", "unit_id": "pk-sdn1", "position_id": "pk-guru-pertama",
                 "supervisor_nip": kepsek["nip"], "golongan": "III/a", "roles": [],
                 "email": f"{name.lower().replace(' ', '.')}@kotademo.go.id"} for nip, (nik, name) in TEACHERS.items()]
    import_masterdata(rabbit.amqp_uri, {**demo, "employees": demo["employees"] + teachers})
    wait_for(lambda: len(_rows(harian_db, "SELECT nip FROM employees WHERE nip = ANY(:n)", n=list(TEACHERS))) == 4,
             timeout=30, what="harian's copy of the teachers")
    admin = next(e for e in demo["employees"] if e["agency_id"] == "pemkotdemo" and "admin_instansi" in e["roles"])
    settings = Client(gateway_client(rabbit.amqp_uri), admin).put("/api/v1/harian/settings", json={
        "extra_working_days": [TODAY.isoformat(), YESTERDAY.isoformat()]})
    assert settings.status_code == 200, settings.get_json()
    publisher = ConfirmedPublisher(rabbit.amqp_uri)
    for nip, rhk_id in RHK.items():
        publisher.publish(make_event("skp", "skp.approved", nip, {
            "skp_id": str(uuid.uuid4()), "nip": nip, "year": TODAY.year, "agency_id": "pemkotdemo", "version": 1,
            "state": "disetujui", "actor_nip": kepsek["nip"],
            "rhk": [{"id": rhk_id, "kind": "utama", "text": "Terlaksananya pembelajaran", "intervenes": None,
                     "iki": []}]}))
    publisher.close()
    wait_for(lambda: len(_rows(harian_db, "SELECT rhk_id FROM approved_rhk WHERE rhk_id = ANY(:r)",
                               r=list(RHK.values()))) == 4, timeout=30, what="harian's copy of the approved RHK")


@pytest.fixture
def second_harian(services, rabbit):
    container = ServiceContainer(load_class(SERVICE_CLASSES["harian"]), copy.deepcopy(services.config))
    container.start()
    try:
        wait_for(lambda: _consumers(rabbit, HARIAN_SUBMISSIONS.name) == 2, timeout=30,
                 what="two consumers on harian.submissions")
        yield container
    finally:
        container.stop()


def _consumers(rabbit, queue: str) -> int:
    listed = rabbit.ctl("list_queues", "-q", "--no-table-headers", "name", "consumers").stdout
    return next((int(line.split()[1]) for line in listed.splitlines() if line.split()[:1] == [queue]), 0)


def _submission(nip: str, day: dt.date, accepted_at: dt.datetime, rows: int, n: int) -> dict:
    """The command the gateway publishes after its 202."""
    return make_event("gateway", HARIAN_SUBMIT, nip, {
        "id": str(uuid.uuid4()), "nip": nip, "date": day.isoformat(), "accepted_at": accepted_at.isoformat(),
        "activities": [{"rhk_id": RHK[nip], "description": f"Mengajar kelas {n}-{i}", "quantity": 2,
                        "satuan": "jam pelajaran", "quality": 100, "minutes": 30,
                        "evidence_url": "https://drive.kotademo.go.id/sdn1/bukti.pdf"} for i in range(rows)]},
        request_id=f"replicas-{n}")


def test_two_replicas_store_a_burst_exactly_once_and_the_latest_of_each_day_wins(school, second_harian, rabbit,
                                                                                  harian_db):
    start = dt.datetime.now(dt.UTC)
    chooser = random.Random(20261204)
    burst = [_submission(nip, day, start + dt.timedelta(milliseconds=n), chooser.randint(1, 3), n)
             for n, (nip, day) in enumerate((nip, day) for _ in range(BURST // 8) for nip in TEACHERS for day in DAYS)]
    sent = list(burst)
    chooser.shuffle(sent)  # both replicas meet older submissions after newer ones of the same day
    publisher = ConfirmedPublisher(rabbit.amqp_uri, exchange=commands_exchange(), queues=(HARIAN_SUBMISSIONS,))
    for command in sent:
        publisher.publish(command)
    publisher.close()
    ids = [c["data"]["id"] for c in burst]

    def stored() -> list:
        return _rows(harian_db, "SELECT id, status, entries FROM submissions WHERE id = ANY(:ids)", ids=ids)

    wait_for(lambda: len(stored()) == BURST, timeout=120, interval=0.2, what="every submission of the burst stored")
    assert _consumers(rabbit, HARIAN_SUBMISSIONS.name) == 2  # both replicas were consuming throughout
    rows = stored()
    assert sorted(r.id for r in rows) == sorted(ids)  # each exactly once
    assert {r.status for r in rows} <= {"diterima", "diganti"}, {r.status for r in rows}
    wanted = {c["data"]["id"]: len(c["data"]["activities"]) for c in burst}
    assert all(r.entries == wanted[r.id] for r in rows if r.status == "diterima")
    entries = _rows(harian_db, "SELECT submission_id, state FROM entries WHERE submission_id = ANY(:ids)", ids=ids)
    per_submission: dict[str, int] = {}
    for e in entries:
        per_submission[e.submission_id] = per_submission.get(e.submission_id, 0) + 1
    assert all(per_submission.get(r.id, 0) == wanted[r.id] for r in rows if r.status == "diterima")  # none doubled
    # Each employee-day has exactly the entries of its latest submission in force.
    live = {e.submission_id for e in entries if e.state != "diganti"}
    latest = {}
    for c in burst:
        key = (c["data"]["nip"], c["data"]["date"])
        if key not in latest or c["data"]["accepted_at"] > latest[key]["data"]["accepted_at"]:
            latest[key] = c
    assert live == {c["data"]["id"] for c in latest.values()}
    for (nip, day), c in latest.items():
        status = _rows(harian_db, "SELECT status, entries FROM day_status WHERE nip = :n AND date = :d", n=nip,
                       d=dt.date.fromisoformat(day))
        assert [tuple(s) for s in status] == [("diajukan", len(c["data"]["activities"]))], (nip, day, status)
