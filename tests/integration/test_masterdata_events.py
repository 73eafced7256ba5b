"""Events reach subscribers when master data changes, and only then."""

from builders import base_payload, employee
from sqlalchemy import create_engine, text

from ekinerja_kernel.events import ENVELOPE_KEYS
from ekinerja_kernel.localservers import wait_for

NIP = "198609262015051001"
NIK = "3171012609860001"
BOSS = "197501012000031002"
BOSS_NIK = "3171010101750002"


def all_published(engine) -> bool:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL")).scalar() == 0


DIAGNOSED = "ekinerja.employee.diagnosed.v1"


def test_change_is_announced_once_and_reimport_is_silent(rpc, sync_db, subscriber):
    sub = subscriber("ekinerja.employee.upserted.#")
    payload = base_payload()
    payload["employees"] = [employee(NIP, NIK, "Budi")]

    rpc.sync.import_records(payload)
    first = sub.next()

    assert all(k in first for k in ENVELOPE_KEYS)
    assert first["specversion"] == "1.0" and first["source"] == "/ekinerja/sync"
    assert first["type"] == "ekinerja.employee.upserted.v1" and first["subject"] == NIP
    assert first["data"]["nip"] == NIP and first["data"]["name"] == "Budi"

    again = rpc.sync.import_records(payload)
    assert again["events"] == 0 and again["counts"]["employees"]["unchanged"] == 1

    # A real change after the silent re-import: it must be the very next message, which proves
    # the re-import published nothing in between (the relay keeps commit order).
    payload["employees"] = [employee(NIP, NIK, "Budi Santoso")]
    rpc.sync.import_records(payload)
    following = sub.next()
    assert following["type"] == "ekinerja.employee.upserted.v1"
    assert following["data"]["name"] == "Budi Santoso"
    assert following["id"] != first["id"]


def test_deactivation_and_supervisor_change_have_their_own_events(rpc, sync_db, subscriber):
    payload = base_payload()
    payload["employees"] = [employee(BOSS, BOSS_NIK, "Bos"), employee(NIP, NIK, "Budi")]
    rpc.sync.import_records(payload)
    wait_for(lambda: all_published(sync_db), timeout=10, what="the first import's events to be relayed")
    sub = subscriber("ekinerja.#")

    rpc.sync.import_records({"employees": [employee(NIP, NIK, "Budi", supervisor=BOSS, status="inactive")]})

    got = {}
    while len(got) < 3:
        event = sub.next()
        if event["type"] != DIAGNOSED:  # the findings follow from the background loop, in any order
            got[event["type"]] = event
    assert set(got) == {"ekinerja.employee.upserted.v1", "ekinerja.employee.deactivated.v1",
                        "ekinerja.supervisor.changed.v1"}
    assert got["ekinerja.supervisor.changed.v1"]["data"] == {
        "nip": NIP, "agency_id": "ag1", "previous_supervisor_nip": None, "supervisor_nip": BOSS}
    assert got["ekinerja.employee.deactivated.v1"]["data"] == {"nip": NIP, "agency_id": "ag1"}


def test_unit_changes_are_announced(rpc, sync_db, subscriber):
    sub = subscriber("ekinerja.unit.#")

    rpc.sync.import_records(base_payload())

    ids = {sub.next()["data"]["id"], sub.next()["data"]["id"]}
    assert ids == {"u-root", "u-child"}


def test_a_regraded_position_reaches_its_holders_allowance_facts(rpc, sync_db, subscriber, service_databases):
    """Consumers learn a position only from employee.upserted: a new kelas jabatan must reach Tukin."""
    payload = base_payload()
    payload["employees"] = [employee(BOSS, BOSS_NIK, "Bos"), employee(NIP, NIK, "Budi", supervisor=BOSS)]
    rpc.sync.import_records(payload)
    tukin = create_engine(service_databases["tukin"])

    def kelas() -> int | None:
        with tukin.connect() as conn:
            return conn.execute(text("SELECT kelas_jabatan FROM employees WHERE nip = :n"), {"n": NIP}).scalar()

    try:
        wait_for(lambda: kelas() == 9, timeout=10, what="tukin's copy of the first grade")
        wait_for(lambda: all_published(sync_db), timeout=10, what="the first import's events to be relayed")
        sub = subscriber("ekinerja.employee.upserted.#")

        regraded = {**payload["positions"][0], "kelas_jabatan": "11"}
        report = rpc.sync.import_records({"positions": [regraded]})

        assert report["counts"]["positions"]["updated"] == 1 and report["events"] == 2
        got = {e["subject"]: e["data"]["position"] for e in (sub.next(), sub.next())}
        assert set(got) == {BOSS, NIP} and {p["kelas_jabatan"] for p in got.values()} == {11}
        wait_for(lambda: kelas() == 11, timeout=10, what="tukin's copy of the new grade")
    finally:
        tukin.dispose()
