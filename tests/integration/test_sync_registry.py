"""Issue #7, items 1–2, on the real broker and PostgreSQL with the registry simulator as a real HTTP
server: the scheduled initial sync, an incremental change (a new supervisor) announced by exactly
one supervisor.changed, a registry outage (the circuit opens, runs are recorded as failed, the next
run recovers what changed meanwhile), "Sinkronisasi ASN", and the PMM import rules through to the
teacher's proposals in skp."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from harness import TokenMint
from sqlalchemy import create_engine, text

from ekinerja_kernel.localservers import free_port, port_open, wait_for

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "deploy" / "demo" / "masterdata.json"
YEAR = 2026
KADIS = "199012052020042025"  # head of the education office of Pemerintah Kota Demo
KEPSEK = "197210102010071027"  # the school's kepala sekolah
TEACHER = "198404132006021028"  # a teacher of that school: PMM
MOVED = "196906212003011029"  # another teacher: gets a new supervisor
ADMIN_PEMKOT = "197001152010092022"
ADMIN_KEMEN = "199502212020111013"
SETTINGS = {  # fast retries, a breaker that opens after two failed calls and tries again after 1.5 s
    "SYNC_REGISTRY_RETRIES": "2", "SYNC_REGISTRY_BACKOFF": "0.05", "SYNC_REGISTRY_BACKOFF_MAX": "0.1",
    "SYNC_REGISTRY_TIMEOUT": "1", "SYNC_REGISTRY_INTERACTIVE_TIMEOUT": "0.5",
    "SYNC_REGISTRY_BREAKER_THRESHOLD": "2", "SYNC_REGISTRY_BREAKER_COOLDOWN": "1.5",
    "SYNC_REGISTRY_POLL_SECONDS": "0.2", "SYNC_REGISTRY_FIRST_DELAY": "0", "SYNC_REGISTRY_INTERVAL": "3600",
    "SYNC_BATCH_SIZE": "10", "SYNC_REGISTRY_PAGE_SIZE": "7",
}
MY_TABLES = "sync_runs, sync_cursors, registry_synced, pmm_imports"


@pytest.fixture(scope="module")
def simulator():
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "sync.registry.simulator", "--port", str(port),
                                "--data", str(DEMO)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    wait_for(lambda: port_open(port), timeout=30, what="the registry simulator")
    yield Simulator(f"http://127.0.0.1:{port}")
    process.terminate()
    process.wait(timeout=10)


class Simulator:
    def __init__(self, url: str) -> None:
        self.url = url

    def control(self, method: str, path: str, body=None) -> dict:
        response = requests.request(method, f"{self.url}/_control/{path}", json=body, timeout=5)
        response.raise_for_status()
        return response.json()

    def fail(self, **spec) -> None:
        self.control("POST", "fail", spec)

    def recover(self) -> None:
        self.control("POST", "recover")


@pytest.fixture(scope="module")
def sync_with_registry(services, service_databases, simulator):
    """Master data emptied, then the sync service restarted with the simulator as its registry:
    its loop runs the scheduled sync at once (first delay 0), which is the initial sync."""
    engine = create_engine(service_databases["sync"])
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE employees, positions, units, agencies, acting, outbox, {MY_TABLES} "
                          "RESTART IDENTITY CASCADE"))
    saved = {k: os.environ.get(k) for k in [*SETTINGS, "SYNC_REGISTRY_URL"]}
    os.environ.update(SETTINGS, SYNC_REGISTRY_URL=simulator.url)
    services.stop("sync")
    services.start("sync")
    yield engine
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    services.stop("sync")
    services.start("sync")
    engine.dispose()


@pytest.fixture(scope="module")
def mint():
    return TokenMint()


@pytest.fixture(scope="module")
def as_user(rabbit, sync_with_registry, mint):
    from ekinerja_gateway.app import create_app

    # READY_TIMEOUT also bounds identity's answer in a diagnosis: roomy on a loaded test machine.
    app = create_app({"AMQP_URI": rabbit.amqp_uri, "RPC_TIMEOUT": 5.0, "READY_TIMEOUT": 3.0, "JWKS_LOADER": mint.jwks})

    def make(nip: str, roles=("pegawai",), agency: str = "pemkotdemo"):
        client = app.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = "Bearer " + mint.token(nip, list(roles), agency)
        return client

    return make


@pytest.fixture(scope="module")
def admin(as_user):
    return as_user(ADMIN_PEMKOT, ("pegawai", "admin_instansi"))


@pytest.fixture(scope="module")
def initial(admin, sync_with_registry):
    """The scheduled initial sync, finished."""
    def done():
        runs = admin.get("/api/v1/admin/sync-runs?kind=incremental").get_json()["runs"]
        return next((r for r in runs if r["trigger"] == "schedule" and r["finished_at"]), None)

    run = wait_for(done, timeout=60, what="the scheduled initial sync")
    wait_for(lambda: pending(sync_with_registry) == 0, timeout=30, what="the initial sync's events to be relayed")
    return run


def pending(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL")).scalar()


def sync_agency(admin, **body) -> dict:
    response = admin.post("/api/v1/admin/agencies/pemkotdemo/sync", json=body)
    assert response.status_code == 202, response.get_json()
    location = response.headers["Location"]
    assert location == f"/api/v1/admin/sync-runs/{response.get_json()['id']}"
    return wait_for(lambda: (r := admin.get(location).get_json())["finished_at"] and r, timeout=30,
                    what="the agency's sync run")


def drain(sub, seconds: float = 1.5, diagnosed: bool = False) -> list[dict]:
    """The events until none has come for `seconds`; without the employees' findings
    (employee.diagnosed, sent by a background loop after a change) unless `diagnosed`."""
    got = []
    while True:
        try:
            event = sub.next(timeout=seconds)
        except queue.Empty:
            return got
        if diagnosed or event["type"] != "ekinerja.employee.diagnosed.v1":
            got.append(event)


def test_the_scheduled_initial_sync_brings_every_agency(initial, admin):
    assert initial["status"] == "ok" and initial["scope"] == "*" and initial["kind"] == "incremental"
    demo = json.loads(DEMO.read_text(encoding="utf-8"))
    employees = len(demo["employees"])
    assert initial["created"] == employees and initial["rejected"] == 0 and initial["events"] > employees
    assert sorted(initial["counts"]["agencies_synced"]) == sorted(a["id"] for a in demo["agencies"])
    listing = admin.get("/api/v1/admin/sync-runs").get_json()
    assert listing["registry"]["configured"] and listing["registry"]["circuits"][0]["state"] == "closed"
    employee = admin.get(f"/api/v1/employees/{KEPSEK}").get_json()
    assert employee["supervisor"]["nip"] == KADIS and "kepala_sekolah" in employee["roles"]


def test_an_incremental_change_of_supervisor_is_exactly_one_event(initial, admin, simulator, subscriber):
    sub = subscriber("ekinerja.#")
    simulator.control("PATCH", f"employees/{MOVED}", {"supervisor_nip": KADIS})

    run = sync_agency(admin)

    assert run["status"] == "ok" and run["kind"] == "incremental" and run["trigger"] == "admin"
    assert (run["created"], run["updated"], run["unchanged"], run["rejected"]) == (0, 1, 0, 0)
    assert run["since"] is not None and run["requested_by"] == ADMIN_PEMKOT
    events = drain(sub)
    changed = [e for e in events if e["type"] == "ekinerja.supervisor.changed.v1"]
    assert len(changed) == 1 and changed[0]["data"] == {
        "nip": MOVED, "agency_id": "pemkotdemo", "previous_supervisor_nip": KEPSEK, "supervisor_nip": KADIS}
    assert sorted(e["type"] for e in events) == ["ekinerja.employee.upserted.v1", "ekinerja.supervisor.changed.v1"]

    again = sync_agency(admin)  # nothing changed since: nothing fetched, nothing announced
    assert (again["updated"], again["unchanged"], again["events"]) == (0, 0, 0) and drain(sub, 1.0) == []


def test_a_full_sync_of_an_unchanged_agency_announces_nothing(initial, admin, subscriber):
    sub = subscriber("ekinerja.#")
    run = sync_agency(admin, full=True)
    assert run["kind"] == "full" and run["status"] == "ok" and run["unchanged"] == 19 and run["events"] == 0
    assert drain(sub, 1.0) == []


def test_an_outage_opens_the_circuit_fails_the_runs_and_the_next_run_recovers(
        initial, admin, as_user, simulator, metrics_ports):
    simulator.fail(mode="error", status=503, count=None)
    try:
        simulator.control("PATCH", f"employees/{TEACHER}", {"name": "Galih Hidayat, S.Pd."})  # during the outage
        first = sync_agency(admin)
        second = sync_agency(admin)
        assert first["status"] == second["status"] == "failed"
        assert first["errors"][0]["rule"] == "registry-unavailable" and first["until"] is None
        circuit = admin.get("/api/v1/admin/sync-runs").get_json()["registry"]["circuits"][0]
        assert circuit["state"] == "open" and circuit["consecutive_failures"] == 2
        metrics = requests.get(f"http://127.0.0.1:{metrics_ports['sync']}/metrics", timeout=5).text
        assert 'ekinerja_registry_circuit_state{registry="siasn"} 2.0' in metrics

        calls = simulator.control("GET", "state")["stats"]["requests"]
        refused = sync_agency(admin)  # the circuit is open: refused without calling the registry
        assert refused["status"] == "failed" and "circuit open" in refused["errors"][0]["detail"]
        assert simulator.control("GET", "state")["stats"]["requests"] == calls

        me = as_user(TEACHER).post("/api/v1/me/sync")
        assert me.status_code == 503 and me.get_json()["code"] == "registry-unavailable"
        assert me.headers["Retry-After"] == "60"
    finally:
        simulator.recover()
    time.sleep(1.6)  # the cool-down: the next call is the half-open trial

    recovered = sync_agency(admin)

    assert recovered["status"] == "ok" and recovered["updated"] == 1 and recovered["since"] is not None
    assert admin.get(f"/api/v1/employees/{TEACHER}").get_json()["name"] == "Galih Hidayat, S.Pd."
    circuit = admin.get("/api/v1/admin/sync-runs").get_json()["registry"]["circuits"][0]
    assert circuit["state"] == "closed"
    failed = admin.get("/api/v1/admin/sync-runs?status=failed").get_json()
    assert failed["total"] >= 3


def test_sinkronisasi_asn_and_who_may_sync_what(initial, as_user, simulator):
    simulator.control("PATCH", f"employees/{KEPSEK}", {"golongan": "IV/b"})
    kepsek = as_user(KEPSEK, ("pegawai", "kepala_sekolah"))

    response = kepsek.post("/api/v1/me/sync")

    run = response.get_json()
    assert response.status_code == 200 and run["status"] == "ok" and run["kind"] == "nip"
    assert (run["scope"], run["trigger"], run["updated"]) == (KEPSEK, "employee", 1)
    other = as_user(ADMIN_KEMEN, ("pegawai", "admin_instansi"), "kemendemo")
    assert other.post("/api/v1/admin/agencies/pemkotdemo/sync", json={}).status_code == 403
    assert other.post(f"/api/v1/admin/employees/{KEPSEK}/sync").status_code == 403
    assert other.get(f"/api/v1/admin/sync-runs/{run['id']}").status_code == 404
    assert kepsek.get("/api/v1/admin/sync-runs").status_code == 403
    unknown = as_user("199001012015011001").post("/api/v1/me/sync")
    assert unknown.status_code == 404 and unknown.get_json()["code"] == "not-in-registry"


def test_pmm_import_needs_the_principal_synced_first_and_flows_into_skp(initial, as_user, simulator,
                                                                          sync_with_registry, subscriber):
    with sync_with_registry.begin() as conn:  # as if the principal's data had only come from a file import
        conn.execute(text("DELETE FROM registry_synced WHERE nip = :nip"), {"nip": KEPSEK})
    teacher = as_user(TEACHER)

    refused = teacher.post("/api/v1/me/pmm/sync", json={"year": YEAR, "semester": 1})

    problem = refused.get_json()
    assert refused.status_code == 409 and problem["code"] == "principal-not-synced"
    assert problem["principal_nip"] == KEPSEK and problem["fixed_by"] == "your kepala sekolah"
    assert as_user(KEPSEK).post("/api/v1/me/sync").get_json()["status"] == "ok"

    sub = subscriber("ekinerja.pmm.#")
    imported = teacher.post("/api/v1/me/pmm/sync", json={"year": YEAR, "semester": 1})

    body = imported.get_json()
    assert imported.status_code == 200 and body["outcome"] == "created" and len(body["rhk"]) == 2
    assert body["skipped"] == {"Diajukan": 1} and body["run"]["kind"] == "pmm" and body["run"]["events"] == 1
    event = sub.next()  # checked against docs/events/schemas/pmm.rhk_agreed.json on the way
    assert event["subject"] == TEACHER and event["data"]["principal_nip"] == KEPSEK
    proposals = wait_for(lambda: [p for p in teacher.get(f"/api/v1/skp/proposals?year={YEAR}").get_json()
                                  ["proposals"] if p["source"] == "pmm"] or None,
                         timeout=15, what="skp to turn the PMM RHK into proposals")
    assert len(proposals) == 2 and {p["proposer_nip"] for p in proposals} == {KEPSEK}
    assert {p["text"] for p in proposals} == {r["text"] for r in body["rhk"]}

    again = teacher.post("/api/v1/me/pmm/sync", json={"year": YEAR, "semester": 1}).get_json()
    assert again["outcome"] == "unchanged" and again["run"]["events"] == 0
    with pytest.raises(queue.Empty):
        sub.next(timeout=1.5)


def test_pmm_rules_nothing_agreed_wrong_period_bad_request(initial, as_user, simulator):
    teacher = as_user(TEACHER)
    as_user(KEPSEK).post("/api/v1/me/sync")
    doc = json.loads(json.dumps({
        "nip": TEACHER, "kepala_sekolah_nip": KEPSEK, "tahun": YEAR, "semester": 2,
        "periode_awal": f"{YEAR}-07-01", "periode_akhir": f"{YEAR}-12-31",
        "rhk": [{"id": "x1", "rhk": "Terlaksananya asesmen", "status": "Diajukan", "indikator": []}]}))
    simulator.control("PUT", f"pmm/{TEACHER}/{YEAR}/2", doc)

    nothing = teacher.post("/api/v1/me/pmm/sync", json={"year": YEAR, "semester": 2})
    assert nothing.status_code == 409 and nothing.get_json()["code"] == "pmm-nothing-agreed"

    simulator.control("PUT", f"pmm/{TEACHER}/{YEAR}/2", {**doc, "periode_awal": f"{YEAR}-01-01"})
    period = teacher.post("/api/v1/me/pmm/sync", json={"year": YEAR, "semester": 2})
    assert period.status_code == 422 and period.get_json()["code"] == "pmm-period"

    bad = teacher.post("/api/v1/me/pmm/sync", json={"year": YEAR, "semester": 3})
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "semester"
    assert teacher.post("/api/v1/me/pmm/sync", json={"year": "2026"}).status_code == 422


def test_a_record_the_import_refuses_is_explained_in_the_diagnosis_until_fixed(initial, admin, as_user, simulator):
    """The registry delivered a record e-Kinerja refused: the helpdesk sees which field and who fixes it."""
    simulator.control("PATCH", f"employees/{MOVED}", {"email": "bukan-email"})
    teacher = as_user(MOVED)

    run = teacher.post("/api/v1/me/sync").get_json()

    assert run["status"] == "partial" and run["rejected"] == 1
    stale = {f["check"]: f for f in admin.get(f"/api/v1/employees/{MOVED}/diagnosis").get_json()["findings"]}
    last = stale["last-sync"]
    assert (last["status"], last["code"]) == ("warning", "registry-record-refused")
    assert last["errors"][0]["field"] == "email" and "MyASN" in last["fixed_by"]

    simulator.control("PATCH", f"employees/{MOVED}", {"email": "guru.moved@sekolah.go.id"})
    assert teacher.post("/api/v1/me/sync").get_json()["status"] == "ok"
    fixed = {f["check"]: f for f in admin.get(f"/api/v1/employees/{MOVED}/diagnosis").get_json()["findings"]}
    assert fixed["last-sync"]["code"] == "last-sync" and fixed["last-sync"]["synced_at"]


def test_someone_delivered_but_refused_is_on_the_agency_admins_list(initial, admin, simulator):
    """Not "not delivered yet": the registry has them, the import refused the record, and the admin
    sees who, which field, and that it blocks sign-in, before the person calls the helpdesk."""
    newcomer = "199505052020122001"
    row = {"nip": newcomer, "nik": "31710145059", "name": "Dewi Baru", "email": "dewi.baru@pemkot.go.id",
           "employment_type": "PNS", "status": "active", "golongan": "III/a", "agency_id": "pemkotdemo",
           "unit_id": None, "position_id": None, "supervisor_nip": None}
    simulator.control("PUT", f"employees/{newcomer}", row)

    run = sync_agency(admin)

    assert run["status"] == "partial" and [e["key"] for e in run["errors"]] == [newcomer]
    found = {f["check"]: f for f in admin.get(f"/api/v1/employees/{newcomer}/diagnosis").get_json()["findings"]}
    assert found["nip"]["code"] == "nip-record-refused" and found["nip"]["errors"][0]["field"] == "nik"
    listed = wait_for(lambda: (got := admin.get("/api/v1/admin/agencies/pemkotdemo/findings?code=nip-record-refused")
                               .get_json())["total"] and got, timeout=30, what="the findings loop to list them")
    assert [(e["nip"], e["name"], e["blocked"]) for e in listed["employees"]] == [
        (newcomer, "Dewi Baru", ["harian", "login", "skp"])]
