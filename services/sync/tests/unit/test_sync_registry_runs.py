"""Sync runs against the simulator's data (in process, no HTTP) and a real SQLite file: initial and
incremental syncs, only real changes announced, outages recorded and recovered from, one NIP's
"Sinkronisasi ASN", and who may ask for and see which runs."""

import json
import types

import pytest
from sqlalchemy import func, select, text

from ekinerja_kernel.caller import Caller, RequestContext
from ekinerja_kernel.errors import DomainError
from sync import agency_findings, diagnosis, findings, runs
from sync.handlers import import_records
from sync.registry.simulator import LocalClient
from sync.runs import Syncer
from sync.stream import StreamApplier
from sync.tables import (
    OUTBOX,
    diagnosis_queue,
    employees,
    outbox_table,
    registry_refused,
    registry_synced,
    sync_cursors,
)

KEPSEK = "197210102010071027"  # pemkotdemo's kepala sekolah
KADIS = "199012052020042025"  # the head of the education office, the principal's supervisor
TEACHER = "198404132006021028"
ADMIN_PK = Caller("197001152010092022", ("admin_instansi",), "pemkotdemo")
ADMIN_KD = Caller("199502212020111013", ("admin_instansi",), "kemendemo")


@pytest.fixture
def factory(sync_db):
    """An empty sync database: the runs below fill it from the registry."""
    return sync_db


@pytest.fixture
def client(demo_registry):
    return LocalClient(demo_registry, page_size=7)


@pytest.fixture
def syncer(factory, client):
    return Syncer(factory, OUTBOX, client, chunk_size=5)


def events(factory, kind=None):
    with factory() as s:
        rows = s.execute(select(outbox_table.c.type, outbox_table.c.body).order_by(outbox_table.c.seq)).all()
    return [json.loads(r.body) for r in rows if kind is None or r.type == f"ekinerja.{kind}.v1"]


def clear_outbox(factory):
    with factory.begin() as s:
        s.execute(text("DELETE FROM outbox"))


def ctx(caller):
    return RequestContext(caller=caller)


def test_initial_sync_of_an_agency_stores_it_whole_and_records_the_run(factory, syncer, demo_masterdata):
    run = syncer.sync_agency("pemkotdemo")

    staff = [e for e in demo_masterdata["employees"] if e["agency_id"] == "pemkotdemo"]
    assert run["status"] == "ok" and run["kind"] == "incremental" and run["since"] is None and run["until"]
    assert (run["created"], run["updated"], run["unchanged"], run["rejected"]) == (len(staff), 0, 0, 0)
    assert run["counts"]["units"]["created"] == 4 and run["counts"]["agencies"]["created"] == 1
    assert run["events"] == len(events(factory)) > len(staff)
    with factory() as s:
        assert s.execute(select(func.count()).select_from(registry_synced)).scalar() == len(staff)
        assert s.execute(select(sync_cursors.c.since).where(sync_cursors.c.scope == "pemkotdemo")).scalar() \
            == run["until"]
        stored = s.execute(select(employees).where(employees.c.nip == KEPSEK)).mappings().one()
    assert stored["roles"] == ["kepala_sekolah"] and stored["supervisor_nip"] == KADIS
    assert runs.get_run(factory, run["id"]) == run


def test_a_sync_of_the_same_data_as_a_file_import_changes_nothing(factory, syncer, demo_masterdata):
    import_records(factory, OUTBOX, demo_masterdata)
    clear_outbox(factory)

    run = syncer.sync_agency("kemendemo", full=True)

    assert run["status"] == "ok" and run["events"] == 0 and events(factory) == []
    assert run["unchanged"] == 19 and run["created"] == run["updated"] == 0
    with factory() as s:  # e-Kinerja's own roles (admin instansi) are not the registry's: kept
        roles = s.execute(select(employees.c.roles).where(employees.c.nip == ADMIN_KD.nip)).scalar()
    assert roles == ["admin_instansi"]


def test_incremental_sync_fetches_only_changes_and_a_new_supervisor_is_one_event(factory, syncer, demo_registry,
                                                                                 client):
    syncer.sync_agency("pemkotdemo")
    clear_outbox(factory)
    nothing = syncer.sync_agency("pemkotdemo")
    assert (nothing["created"], nothing["updated"], nothing["unchanged"], nothing["events"]) == (0, 0, 0, 0)

    demo_registry.patch_employee(TEACHER, {"supervisor_nip": KADIS})
    run = syncer.sync_agency("pemkotdemo")

    assert run["status"] == "ok" and (run["updated"], run["unchanged"]) == (1, 0)
    changed = events(factory, "supervisor.changed")
    assert len(changed) == 1 and changed[0]["data"] == {
        "nip": TEACHER, "agency_id": "pemkotdemo", "previous_supervisor_nip": KEPSEK, "supervisor_nip": KADIS}
    assert [e["type"] for e in events(factory)] == ["ekinerja.employee.upserted.v1", "ekinerja.supervisor.changed.v1"]
    assert run["since"] == nothing["until"]


def test_an_outage_fails_the_run_keeps_the_cursor_and_the_next_run_catches_up(factory, syncer, demo_registry, client):
    first = syncer.sync_agency("pemkotdemo")
    demo_registry.patch_employee(TEACHER, {"name": "Galih Hidayat, S.Pd."})
    client.down = True

    failed = syncer.sync_agency("pemkotdemo")

    assert failed["status"] == "failed" and failed["until"] is None
    assert failed["errors"][0]["rule"] == "registry-unavailable" and failed["error_count"] == 1
    assert runs.cursor(factory, "pemkotdemo") == first["until"]

    client.down = False
    clear_outbox(factory)
    recovered = syncer.sync_agency("pemkotdemo")
    assert recovered["status"] == "ok" and recovered["updated"] == 1 and recovered["since"] == first["until"]
    assert [e["data"]["name"] for e in events(factory, "employee.upserted")] == ["Galih Hidayat, S.Pd."]


def test_the_scheduled_run_covers_every_agency_and_stops_at_an_outage(factory, syncer, client, demo_masterdata):
    run = syncer.scheduled()
    assert run["status"] == "ok" and run["scope"] == "*" and run["trigger"] == "schedule"
    assert run["counts"]["agencies_synced"] == [a["id"] for a in demo_masterdata["agencies"]]
    assert run["created"] == len(demo_masterdata["employees"])

    client.down = True
    client.calls.clear()
    failed = syncer.scheduled()
    assert failed["status"] == "failed" and client.calls == ["agencies"]


def test_rows_the_import_refuses_make_the_run_partial(factory, syncer, demo_registry):
    demo_registry.patch_employee(TEACHER, {"email": "not-an-email"})
    run = syncer.sync_agency("pemkotdemo")
    assert run["status"] == "partial" and run["rejected"] == 1
    assert run["errors"][0]["key"] == TEACHER and run["errors"][0]["field"] == "email"
    with factory() as s:
        assert s.execute(select(registry_synced).where(registry_synced.c.nip == TEACHER)).first() is None


def findings_of(factory, nip):
    return {f["check"]: f for f in diagnosis.diagnose(factory, ctx(ADMIN_PK), nip)["findings"]}


def queued(factory):
    with factory() as s:
        return set(s.execute(select(diagnosis_queue.c.nip)).scalars())


def test_a_refused_record_is_kept_with_why_until_a_later_run_applies_one(factory, syncer, demo_registry):
    syncer.sync_agency("pemkotdemo")
    with factory.begin() as s:
        s.execute(text("DELETE FROM diagnosis_queue"))
    demo_registry.patch_employee(TEACHER, {"email": "not-an-email"})

    assert syncer.sync_agency("pemkotdemo")["rejected"] == 1

    stale = findings_of(factory, TEACHER)["last-sync"]
    assert (stale["status"], stale["code"]) == ("warning", "registry-record-refused")
    assert [(e["field"], e["rule"]) for e in stale["errors"]] == [("email", "email-format")]
    assert "email is not a valid address" in stale["detail"] and "email bukan alamat" in stale["detail_id"]
    assert stale["fixers"] == ["employee", "operator_sekolah", "admin_instansi"]  # a teacher: the school's operator
    assert TEACHER in queued(factory)  # its announced findings change

    demo_registry.patch_employee(TEACHER, {"email": "galih@sekolah.go.id"})
    syncer.sync_agency("pemkotdemo")

    assert findings_of(factory, TEACHER)["last-sync"]["code"] == "last-sync"
    with factory() as s:
        assert s.execute(select(registry_refused)).first() is None


def test_a_new_employee_the_import_refused_is_explained_not_just_missing(factory, syncer, demo_registry,
                                                                         demo_masterdata):
    newcomer = "199505052020122001"
    teacher = next(e for e in demo_masterdata["employees"] if e["nip"] == TEACHER)
    demo_registry.put_employee(newcomer, {**teacher, "nip": newcomer, "nik": "31710145059"})

    syncer.sync_agency("pemkotdemo")

    found = findings_of(factory, newcomer)["nip"]
    assert (found["status"], found["code"], found["blocks"]) == ("problem", "nip-record-refused",
                                                                 ["login", "skp", "harian"])
    assert [e["field"] for e in found["errors"]] == ["nik"] and found["refused_at"]
    assert "refused the record: nik:" in found["detail"]

    # Announced like anyone's findings, and on the agency admin's list under the record's own name.
    while findings.publish_queued(factory, OUTBOX, 500)[0]:
        pass
    (announced,) = [e for e in events(factory, "employee.diagnosed") if e["subject"] == newcomer]
    assert announced["data"]["agency_id"] == "pemkotdemo" and announced["data"]["blocked"] == ["harian", "login", "skp"]
    listing = agency_findings.agency_findings(factory, ctx(ADMIN_PK), "pemkotdemo", code="nip-record-refused")
    assert [(e["nip"], e["name"], e["unit_id"], e["problems"]) for e in listing["employees"]] == [
        (newcomer, teacher["name"], None, ["nip-record-refused"])]


def test_a_supervisor_missing_from_the_registry_run_is_named_in_registry_words(factory, syncer):
    runs.sync_me(factory, syncer, ctx(Caller(TEACHER)))

    found = findings_of(factory, TEACHER)["nip"]
    assert found["code"] == "nip-record-refused" and found["errors"][0]["rule"] == "supervisor-not-synced"
    assert "Sinkronisasi ASN" in found["detail"]


def test_sinkronisasi_asn_of_one_nip_brings_its_agency_unit_and_position(factory, syncer, demo_registry,
                                                                         demo_masterdata):
    kepsek = next(e for e in demo_masterdata["employees"] if e["nip"] == KEPSEK)
    demo_registry.put_employee(KEPSEK, {**kepsek, "supervisor_nip": None})

    run = runs.sync_me(factory, syncer, ctx(Caller(KEPSEK)))

    assert run["status"] == "ok" and run["kind"] == "nip" and run["scope"] == KEPSEK and run["created"] == 1
    assert run["agency_id"] == "pemkotdemo" and run["trigger"] == "employee" and run["requested_by"] == KEPSEK
    assert run["counts"]["units"]["created"] == 4 and run["counts"]["positions"]["created"] == 1


def test_a_supervisor_not_synced_yet_is_named_as_the_reason(factory, syncer):
    run = runs.sync_me(factory, syncer, ctx(Caller(TEACHER)))
    assert run["status"] == "partial" and run["rejected"] == 1
    error = run["errors"][0]
    assert error["rule"] == "supervisor-not-synced" and "Sinkronisasi ASN" in error["detail_id"]


def test_a_nip_the_registry_does_not_know_and_a_registry_down_are_problems(factory, syncer, client):
    with pytest.raises(DomainError) as exc:
        runs.sync_me(factory, syncer, ctx(Caller("199001012015011001")))
    assert exc.value.status == 404 and exc.value.code == "not-in-registry"
    assert exc.value.extra["run"]["status"] == "failed"

    client.down = True
    with pytest.raises(DomainError) as exc:
        runs.sync_me(factory, syncer, ctx(Caller(KEPSEK)))
    assert exc.value.status == 503 and exc.value.extra["retry_after"] == 60

    with pytest.raises(DomainError) as exc:
        runs.sync_me(factory, None, ctx(Caller(KEPSEK)))
    assert exc.value.code == "registry-not-configured"


def test_only_an_admin_of_the_agency_syncs_someone_else(factory, syncer):
    syncer.sync_agency("pemkotdemo")
    with pytest.raises(DomainError) as exc:
        runs.sync_me(factory, syncer, ctx(Caller(TEACHER)), KEPSEK)
    assert exc.value.status == 403
    with pytest.raises(DomainError):
        runs.sync_me(factory, syncer, ctx(ADMIN_KD), KEPSEK)
    assert runs.sync_me(factory, syncer, ctx(ADMIN_PK), KEPSEK)["trigger"] == "admin"


def test_agency_runs_are_queued_once_claimed_by_one_and_seen_by_their_agency(factory, syncer):
    with pytest.raises(DomainError) as exc:
        runs.queue_agency_run(factory, ctx(ADMIN_KD), "pemkotdemo")
    assert exc.value.status == 403
    with pytest.raises(DomainError) as exc:
        runs.queue_agency_run(factory, ctx(ADMIN_PK), "pemkotdemo", configured=False)
    assert exc.value.code == "registry-not-configured"

    queued, new = runs.queue_agency_run(factory, ctx(ADMIN_PK), "pemkotdemo", full=True)
    again, second = runs.queue_agency_run(factory, ctx(ADMIN_PK), "pemkotdemo")
    assert new and not second and again["id"] == queued["id"] and queued["status"] == "queued"

    row = runs.claim_queued(factory)
    assert row.id == queued["id"] and runs.claim_queued(factory) is None
    done = syncer.execute(row)
    assert done["id"] == queued["id"] and done["status"] == "ok" and done["kind"] == "full"
    syncer.scheduled()
    runs.sync_me(factory, syncer, ctx(Caller(ADMIN_KD.nip)))

    mine = runs.list_runs(factory, ctx(ADMIN_PK))
    assert {(r["kind"], r["scope"]) for r in mine["runs"]} == {("full", "pemkotdemo"), ("incremental", "*")}
    theirs = runs.list_runs(factory, ctx(ADMIN_KD))
    assert {(r["kind"], r["scope"]) for r in theirs["runs"]} == {("nip", ADMIN_KD.nip), ("incremental", "*")}
    national = runs.list_runs(factory, ctx(Caller("199001012015011001", ("admin_nasional",))), kind="full")
    assert national["total"] == 1
    with pytest.raises(DomainError):
        runs.list_runs(factory, ctx(ADMIN_KD), agency_id="pemkotdemo")
    with pytest.raises(DomainError):
        runs.list_runs(factory, ctx(Caller(TEACHER)))
    with pytest.raises(DomainError):
        runs.list_runs(factory, ctx(ADMIN_PK), status="done")
    with pytest.raises(DomainError):
        runs.run_for(factory, ctx(ADMIN_KD), queued["id"])
    assert runs.run_for(factory, ctx(ADMIN_PK), queued["id"])["status"] == "ok"


def test_a_run_left_running_by_a_dead_process_is_closed_as_failed(factory):
    with factory.begin() as s:
        run_id = runs.new_run(s, "full", "x", "admin", None, "x")  # running, and its process died
    assert runs.claim_queued(factory, stale_after=-1) is None
    assert runs.get_run(factory, run_id)["status"] == "failed"


def test_the_schedule_lease_is_held_by_one_owner_at_a_time(factory):
    assert runs.acquire_lease(factory, "~schedule", "a", 60)
    assert not runs.acquire_lease(factory, "~schedule", "b", 60)
    assert runs.acquire_lease(factory, "~schedule", "a", 60)  # renewing one's own
    runs.release_lease(factory, "~schedule", "a")
    assert runs.acquire_lease(factory, "~schedule", "b", 60)
    assert not runs.acquire_lease(factory, "~schedule", "a", 60)


# --- the streaming applier ----------------------------------------------------------------------------

def test_employees_listed_before_their_supervisor_wait_for_it_across_chunks(factory, monkeypatch, demo_masterdata):
    yields = []
    # The stream's own turns only (SQLite statements give the hub turns of their own).
    monkeypatch.setattr("sync.stream.eventlet", types.SimpleNamespace(sleep=lambda s=0: yields.append(s)))
    applier = StreamApplier(factory, OUTBOX, chunk_size=3)
    for kind in ("agencies", "units", "positions"):
        applier.feed_all(kind, demo_masterdata[kind])
    applier.feed_all("employees", reversed(demo_masterdata["employees"]))  # every subordinate before its supervisor
    applier.close()

    employees = len(demo_masterdata["employees"])
    assert applier.counts["employees"] == {"created": employees, "updated": 0, "unchanged": 0, "rejected": 0}
    assert applier.error_count == 0 and len(yields) == applier.chunks > employees // 3


def test_what_can_never_be_placed_is_reported_with_the_imports_own_errors(factory, demo_masterdata):
    applier = StreamApplier(factory, OUTBOX, chunk_size=2)
    for kind in ("agencies", "units", "positions"):
        applier.feed_all(kind, demo_masterdata[kind])
    orphan = {**demo_masterdata["employees"][1], "supervisor_nip": "196001011990031001"}
    applier.feed("employees", orphan)
    applier.close()
    assert applier.counts["employees"]["rejected"] == 1
    assert applier.errors[0]["field"] == "supervisor_nip" and applier.errors[0]["rule"] == "exists"


def test_an_unexpected_error_ends_the_run_as_failed_not_running(factory, syncer, client, monkeypatch):
    def broken(agency_id):
        raise RuntimeError("bug")

    monkeypatch.setattr(client, "units", broken)
    run = syncer.sync_agency("pemkotdemo")
    assert run["status"] == "failed" and run["errors"][0]["rule"] == "internal-error"
    assert runs.cursor(factory, "pemkotdemo") is None
