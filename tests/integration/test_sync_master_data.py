"""Issue 15, sync's part, on the real broker and PostgreSQL, with the registry simulator as a real
HTTP server and every service running: an admin's repair holds until SIASN agrees; what the
diagnosis shows as blocking is what skp and harian refuse, with the same code; and the trouble cases
(unit/position empty, supervisor empty, inactive, findings by year, PMM "data not found", a wrong
supervisor, the principal syncing first, the sync button) are answered with cause, fixer and how, in
English and Indonesian, as the employee and the agency admin see them."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests
from skp_world import MINT, PROBLEM, gateway_client, rhk
from sqlalchemy import create_engine, text

from ekinerja_kernel import config
from ekinerja_kernel.localservers import free_port, port_open, wait_for

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "deploy" / "demo" / "masterdata.json"
YEAR = config.today().year
SETTINGS = {  # fast retries; no scheduled run after the initial one
    "SYNC_REGISTRY_RETRIES": "2", "SYNC_REGISTRY_BACKOFF": "0.05", "SYNC_REGISTRY_BACKOFF_MAX": "0.1",
    "SYNC_REGISTRY_TIMEOUT": "2", "SYNC_REGISTRY_INTERACTIVE_TIMEOUT": "1",
    "SYNC_REGISTRY_POLL_SECONDS": "0.2", "SYNC_REGISTRY_FIRST_DELAY": "0", "SYNC_REGISTRY_INTERVAL": "3600",
    "SYNC_BATCH_SIZE": "50", "SYNC_REGISTRY_PAGE_SIZE": "50",
}
EMPTIED = ("employees, positions, units, agencies, acting, outbox, sync_runs, sync_cursors, registry_synced, "
           "pmm_imports, overrides, repair_audit, registry_refused, open_findings, diagnosis_published, "
           "diagnosis_queue")

# deploy/demo/masterdata.json
ADMIN_KEMEN, ADMIN_PEMKOT = "199502212020111013", "197001152010092022"
CITRA, DEWI, EKO, FITRI = "197501201999022003", "198201272019112004", "198005122013071005", "199106032017052006"
GILANG, HANA, INDRA = "199611232020101007", "199512122019082008", "198010182017021009"
KADIS, KEPSEK = "199012052020042025", "197210102010071027"
GALIH, HERU, LINA, MAYA = "198404132006021028", "196906212003011029", "198210202009032031", "198110112017102032"
# Not in the demo: a supervisor only the registry knows, and a school only a file import brought.
NEWBOSS, NEWBOSS_NIK = "198503152010011099", "3171011503850099"
PRINCIPAL2, PRINCIPAL2_NIK = "197804042005012077", "3171010404780077"
TEACHER2, TEACHER2_NIK = "199002022015032078", "3171014202900078"


class Simulator:
    def __init__(self, url: str) -> None:
        self.url = url

    def control(self, method: str, path: str, body=None) -> dict:
        response = requests.request(method, f"{self.url}/_control/{path}", json=body, timeout=5)
        response.raise_for_status()
        return response.json()


@pytest.fixture(scope="module")
def simulator():
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "sync.registry.simulator", "--port", str(port),
                                "--data", str(DEMO)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    wait_for(lambda: port_open(port), timeout=30, what="the registry simulator")
    yield Simulator(f"http://127.0.0.1:{port}")
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def synced(services, service_databases, simulator):
    """Sync emptied and restarted with the simulator as its registry; its initial scheduled sync
    done and relayed, and the other services' copies of the demo staff up to date."""
    engine = create_engine(service_databases["sync"])
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {EMPTIED} RESTART IDENTITY CASCADE"))
    saved = {k: os.environ.get(k) for k in [*SETTINGS, "SYNC_REGISTRY_URL"]}
    os.environ.update(SETTINGS, SYNC_REGISTRY_URL=simulator.url)
    services.stop("sync")
    services.start("sync")

    def initial_done():
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM sync_runs WHERE trigger = 'schedule' "
                                     "AND finished_at IS NOT NULL")).scalar()

    wait_for(initial_done, timeout=90, what="the scheduled initial sync")
    wait_for(lambda: pending(engine) == 0, timeout=60, what="the initial sync's events to be relayed")
    for service in ("skp", "harian"):
        copies = create_engine(service_databases[service])
        wait_for(lambda c=copies: scalar(c, "SELECT count(*) FROM employees WHERE nip = ANY(:n) AND status = 'active'",
                                         n=[EKO, FITRI, LINA, GALIH]) == 4,
                 timeout=60, what=f"{service}'s copy of the demo staff")
        copies.dispose()
    yield engine
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    services.stop("sync")
    services.start("sync")
    engine.dispose()


def pending(engine) -> int:
    return scalar(engine, "SELECT count(*) FROM outbox WHERE published_at IS NULL")


def scalar(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


@pytest.fixture(scope="module")
def gateway(rabbit, synced):
    return gateway_client(rabbit.amqp_uri)


@pytest.fixture(scope="module")
def as_user(gateway):
    class User:
        def __init__(self, nip: str, roles: tuple[str, ...], agency: str) -> None:
            self.nip = nip
            self.headers = {"Authorization": "Bearer " + MINT.token(nip, list(roles), agency, ttl=3600)}

        def get(self, path, **kw):
            return gateway.get(path, headers=self.headers, **kw)

        def post(self, path, json=None):
            return gateway.post(path, headers=self.headers, json=json)

        def put(self, path, json=None):
            return gateway.put(path, headers=self.headers, json=json)

    def make(nip: str, agency: str = "kemendemo", roles: tuple[str, ...] = ("pegawai",)) -> User:
        return User(nip, roles, agency)

    return make


@pytest.fixture(scope="module")
def kemen_admin(as_user):
    return as_user(ADMIN_KEMEN, roles=("pegawai", "admin_instansi"))


@pytest.fixture(scope="module")
def pemkot_admin(as_user):
    return as_user(ADMIN_PEMKOT, "pemkotdemo", ("pegawai", "admin_instansi"))


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.get_json()
    return response.get_json()


def refused(response, status: int, code: str) -> dict:
    body = response.get_json()
    assert (response.status_code, response.mimetype, body.get("code")) == (status, PROBLEM, code), body
    assert body["detail"] and body["detail_id"] and body["detail"] != body["detail_id"]
    return body


def findings(client, nip: str) -> dict:
    return {f["check"]: f for f in ok(client.get(f"/api/v1/employees/{nip}/diagnosis"))["findings"]}


def listed(admin, agency: str, query: str, nip: str, present: bool = True) -> dict:
    """The agency's findings list, once the findings loop shows `nip` in it (or no longer does)."""
    def check():
        body = ok(admin.get(f"/api/v1/admin/agencies/{agency}/findings{query}"))
        return body if (nip in [e["nip"] for e in body["employees"]]) == present else None
    return wait_for(check, timeout=30, what=f"the findings list {query} to {'show' if present else 'drop'} {nip}")


def sync_agency(admin, agency: str, full: bool = False) -> dict:
    run = ok(admin.post(f"/api/v1/admin/agencies/{agency}/sync", json={"full": full}), 202)
    return wait_for(lambda: (r := ok(admin.get(f"/api/v1/admin/sync-runs/{run['id']}")))["finished_at"] and r,
                    timeout=60, what="the agency's sync run")


def copy_of(service_databases, service: str, nip: str, column: str, expected) -> None:
    engine = create_engine(service_databases[service])
    table = "accounts" if service == "identity" else "employees"
    try:
        wait_for(lambda: scalar(engine, f"SELECT {column} FROM {table} WHERE nip = :n", n=nip) == expected,
                 timeout=30, what=f"{service}'s copy of {nip}.{column} to be {expected}")
    finally:
        engine.dispose()


def plan(client) -> object:
    return client.post("/api/v1/skp", json={"year": YEAR, "approach": "kuantitatif",
                                            "rhk": [rhk("Tersusunnya laporan kinerja unit")]})


# --- item 1: a repair holds until the registry agrees ---------------------------------------------------------

def test_a_supervisor_repair_holds_against_registry_syncs_until_siasn_agrees(synced, kemen_admin, as_user, simulator):
    repaired = ok(kemen_admin.put(f"/api/v1/admin/employees/{DEWI}/supervisor",
                                  json={"supervisor_nip": GILANG, "reason": "pindah ke bagian evaluasi"}))
    assert repaired["override"]["value"] == GILANG and repaired["override"]["set_by"] == ADMIN_KEMEN

    full = sync_agency(kemen_admin, "kemendemo", full=True)  # SIASN still says Citra
    dewi = as_user(DEWI)
    mine = ok(dewi.post("/api/v1/me/sync"))  # her own "Sinkronisasi ASN" too

    assert full["status"] == mine["status"] == "ok" and full["events"] == 0 and mine["events"] == 0
    assert ok(kemen_admin.get(f"/api/v1/employees/{DEWI}"))["supervisor"]["nip"] == GILANG
    for seen_by in (dewi, kemen_admin):  # the employee and the admin read the same words
        found = findings(seen_by, DEWI)["override"]
        assert (found["status"], found["code"], found["fixers"]) == ("warning", "registry-differs", ["admin_instansi"])
        admin = f"(set by admin Made Nugroho (NIP {ADMIN_KEMEN})"
        assert f"e-Kinerja uses supervisor NIP {GILANG} {admin}" in found["detail"]
        assert "reason: pindah ke bagian evaluasi" in found["detail"]
        assert f"SIASN still says supervisor NIP {CITRA}. Correct it in SIASN." in found["detail"]
        assert f"e-Kinerja memakai atasan NIP {GILANG} (ditetapkan oleh admin Made Nugroho" in found["detail_id"]
        assert f"SIASN masih mencatat atasan NIP {CITRA}. Perbaiki di SIASN." in found["detail_id"]
    board = listed(kemen_admin, "kemendemo", "?code=registry-differs", DEWI)
    assert set(next(e for e in board["employees"] if e["nip"] == DEWI)["warnings"]) == {
        "registry-differs", "supervisor-outside-branch"}

    simulator.control("PATCH", f"employees/{DEWI}", {"supervisor_nip": GILANG})  # corrected in SIASN
    assert ok(dewi.post("/api/v1/me/sync"))["status"] == "ok"

    assert findings(kemen_admin, DEWI)["override"]["code"] == "no-override"
    cleared = ok(kemen_admin.get(f"/api/v1/admin/repairs?nip={DEWI}"))["repairs"][0]
    assert (cleared["action"], cleared["actor_nip"], cleared["run_id"] is not None) == ("override.cleared", None, True)
    assert f"SIASN now says supervisor NIP {GILANG} too" in cleared["note"]
    assert f"SIASN kini juga mencatat atasan NIP {GILANG}" in cleared["note_id"]
    listed(kemen_admin, "kemendemo", "?code=registry-differs", DEWI, present=False)


def test_a_deactivated_employee_stays_inactive_cannot_sync_back_and_no_day_is_accepted(
        synced, kemen_admin, as_user, service_databases):
    """Item 1 and case 4: the deactivation holds against SIASN's "Aktif"; the refusals name the
    finding and who fixes it; /api/v1/me says beforehand that the button will not work (case 11)."""
    ok(kemen_admin.post(f"/api/v1/admin/employees/{FITRI}/deactivate", json={"reason": "cuti di luar tanggungan"}))
    fitri = as_user(FITRI)

    mine = refused(fitri.post("/api/v1/me/sync"), 403, "account-inactive")
    assert "cuti di luar tanggungan" in mine["detail"] and "cuti di luar tanggungan" in mine["detail_id"]
    assert mine["fixers"] == ["admin_instansi"] and f"/api/v1/admin/employees/{FITRI}/sync" in mine["fixed_by"]
    me = ok(fitri.get("/api/v1/me"))
    assert me["sync"]["can_sync"] is False and me["sync"]["code"] == "account-inactive"
    assert me["sync"]["detail_id"] == mine["detail_id"] and me["sync"]["fixed_by_id"] == mine["fixed_by_id"]
    assert ok(as_user(EKO).get("/api/v1/me"))["sync"] == {"can_sync": True}

    by_admin = ok(kemen_admin.post(f"/api/v1/admin/employees/{FITRI}/sync"))  # the admin can; SIASN says Aktif
    assert by_admin["status"] == "ok" and by_admin["events"] == 0
    wait_for(lambda: pending(synced) == 0, timeout=30, what="sync's outbox to be relayed")
    copy_of(service_databases, "identity", FITRI, "status", "inactive")  # sign-in stays refused
    status = findings(kemen_admin, FITRI)["status"]
    assert (status["code"], status["blocks"]) == ("account-inactive", ["login", "skp", "harian"])
    assert "SIASN still says status active" in findings(kemen_admin, FITRI)["override"]["detail"]

    copy_of(service_databases, "harian", FITRI, "status", "inactive")
    accepted = ok(fitri.post("/api/v1/harian/submissions", json={"date": config.today().isoformat(), "activities": [
        {"rhk_id": str(uuid.uuid4()), "description": "Mengarsip surat", "quantity": 5, "satuan": "surat",
         "quality": 100, "evidence_url": "https://drive.kemendemo.go.id/x.pdf", "minutes": 60}]}), 202)
    day = wait_for(lambda: (d := ok(fitri.get(accepted["status_url"])))["status"] != "pending" and d, timeout=30,
                   what="harian to decide the day")
    problem = day["problem"]
    assert (day["status"], problem["code"], problem["finding_code"]) == ("ditolak", "not-an-active-employee",
                                                                        "account-inactive")
    assert problem["fixers"] == ["admin_instansi"] and "/api/v1/me/diagnosis" in problem["detail"]
    assert "account-inactive" in problem["detail_id"] and "(BKD/BKPSDM)" in problem["detail_id"]

    def skp_refuses_with_the_finding():
        body = plan(fitri).get_json()
        return body if body.get("finding", {}).get("code") == "account-inactive" else None

    planned = wait_for(skp_refuses_with_the_finding, timeout=30, what="skp to refuse with sync's finding")
    assert planned["code"] == "not-an-active-employee" and "cuti di luar tanggungan" in planned["detail"]


# --- item 2 and case 2: unit or position empty --------------------------------------------------------------

def test_a_sync_that_empties_the_position_says_so_and_skp_refuses_with_the_diagnosis_code(
        synced, kemen_admin, as_user, simulator, service_databases):
    simulator.control("PATCH", f"employees/{EKO}", {"position_id": None})

    run = ok(kemen_admin.post(f"/api/v1/admin/employees/{EKO}/sync"))

    [emptied] = run["counts"]["emptied"]
    assert (emptied["key"], emptied["field"], emptied["before"], emptied["fixers"]) == (
        EKO, "position_id", "kd-prakom", ["admin_instansi"])
    assert "SIASN" in emptied["fixed_by"] and "SKP menunggu" in emptied["detail_id"]
    eko = as_user(EKO)
    found = findings(eko, EKO)["unit-position"]
    assert (found["status"], found["code"], found["blocks"], found["missing"]) == (
        "problem", "no-unit-position", ["skp"], ["position"])
    assert "records the unit and position in SIASN" in found["fixed_by"]
    assert "mencatat unit dan jabatan di SIASN" in found["fixed_by_id"]
    copy_of(service_databases, "skp", EKO, "position_id", None)

    def skp_refuses_with_the_finding():
        body = plan(eko).get_json()
        return body if body.get("finding", {}).get("code") == "no-unit-position" else None

    planned = wait_for(skp_refuses_with_the_finding, timeout=30, what="skp to refuse with sync's finding")
    assert (planned["status"], planned["code"], planned["missing"]) == (409, "no-unit-position", ["position"])
    assert planned["fixed_by"] == found["fixed_by"] and planned["detail_id"].startswith(found["detail_id"])
    listed(kemen_admin, "kemendemo", "?code=no-unit-position", EKO)


# --- case 3: supervisor empty -------------------------------------------------------------------------------

def test_a_supervisor_not_yet_in_ekinerja_is_named_and_an_admin_pulls_that_nip(
        synced, kemen_admin, pemkot_admin, as_user, simulator):
    simulator.control("PUT", f"employees/{NEWBOSS}", {
        "nik": NEWBOSS_NIK, "name": "Rudi Hartono", "email": "rudi.hartono@kemendemo.go.id", "employment_type": "PNS",
        "status": "active", "golongan": "IV/a", "agency_id": "kemendemo", "unit_id": "kd-bag-eval",
        "position_id": "kd-kabag", "supervisor_nip": "199310182020081002", "roles": []})
    simulator.control("PATCH", f"employees/{INDRA}", {"supervisor_nip": NEWBOSS})
    indra = as_user(INDRA)

    partial = ok(indra.post("/api/v1/me/sync"))

    assert partial["status"] == "partial"
    [error] = partial["errors"]
    assert (error["rule"], error["supervisor_nip"], error["fixers"]) == (
        "supervisor-not-synced", NEWBOSS, ["supervisor", "admin_instansi"])
    assert f"NIP {NEWBOSS}" in error["detail"] and f"NIP {NEWBOSS}" in error["detail_id"]
    assert f"syncs NIP {NEWBOSS}" in error["fixed_by"] and "admin instansi" in error["fixed_by_id"]
    stale = findings(kemen_admin, INDRA)["last-sync"]
    assert stale["code"] == "registry-record-refused" and stale["errors"][0]["supervisor_nip"] == NEWBOSS

    other = refused(pemkot_admin.post(f"/api/v1/admin/employees/{NEWBOSS}/sync"), 403, "forbidden")
    assert "kemendemo" in other["detail"]
    refused(kemen_admin.get(f"/api/v1/employees/{NEWBOSS}"), 404, "not-found")
    pulled = ok(kemen_admin.post(f"/api/v1/admin/employees/{NEWBOSS}/sync"))  # not in e-Kinerja yet: today 403
    assert (pulled["status"], pulled["created"], pulled["trigger"]) == ("ok", 1, "admin")

    assert ok(indra.post("/api/v1/me/sync"))["status"] == "ok"
    assert ok(indra.get(f"/api/v1/employees/{INDRA}"))["supervisor"] == {"nip": NEWBOSS, "name": "Rudi Hartono"}
    assert findings(indra, INDRA)["last-sync"]["code"] == "last-sync"


def test_a_teacher_without_a_supervisor_cannot_self_publish(synced, pemkot_admin, as_user, simulator,
                                                          service_databases):
    simulator.control("PATCH", f"employees/{LINA}", {"supervisor_nip": None})
    lina = as_user(LINA, "pemkotdemo")
    run = ok(lina.post("/api/v1/me/sync"))
    assert [(e["field"], e["before"]) for e in run["counts"]["emptied"]] == [("supervisor_nip", KEPSEK)]

    found = findings(lina, LINA)["supervisor"]
    assert (found["code"], found["blocks"], found["fixers"]) == (
        "no-supervisor", ["skp"], ["kepala_sekolah", "operator_sekolah", "admin_instansi"])
    assert "only the head of an organisation (a JPT with nobody above)" in found["detail"]
    assert "hanya pimpinan organisasi (JPT tanpa atasan)" in found["detail_id"]
    copy_of(service_databases, "skp", LINA, "supervisor_nip", None)

    def skp_refuses_with_the_finding():
        body = plan(lina).get_json()
        return body if body.get("finding", {}).get("code") == "no-supervisor" else None

    planned = wait_for(skp_refuses_with_the_finding, timeout=30, what="skp to refuse with sync's finding")
    assert planned["status"] == 409 and planned["fixers"] == found["fixers"]
    assert ok(lina.get("/api/v1/skp"))["skps"] == []  # nothing was made, nothing published


# --- case 6: the findings list by year ------------------------------------------------------------------------

def test_the_findings_list_filters_by_skp_year(synced, kemen_admin):
    this_year = listed(kemen_admin, "kemendemo", f"?year={YEAR}&code=supervisor-skp-missing", DEWI)
    assert this_year["year"] == YEAR and YEAR in this_year["years"]
    assert any(c["code"] == "supervisor-skp-missing" for c in this_year["summary"])  # no SKP organisasi yet
    last_year = ok(kemen_admin.get(f"/api/v1/admin/agencies/kemendemo/findings?year={YEAR - 1}"))
    assert (last_year["year"], last_year["total"], last_year["summary"]) == (YEAR - 1, 0, [])
    bad = refused(kemen_admin.get("/api/v1/admin/agencies/kemendemo/findings?year=1999"), 422, "validation")
    assert bad["errors"][0]["field"] == "year"


# --- case 7: PMM "data not found" -----------------------------------------------------------------------------

def test_pmm_data_not_found_is_told_apart_and_pmm_is_refused_outside_a_school(synced, as_user, simulator):
    simulator.control("DELETE", f"pmm/{GALIH}")  # Dapodik lacks his NUPTK: PMM does not know him
    unknown = refused(as_user(GALIH, "pemkotdemo").post("/api/v1/me/pmm/sync", json={"year": YEAR, "semester": 1}),
                      404, "pmm-teacher-unknown")
    assert unknown["fixers"] == ["operator_sekolah"] and "NUPTK" in unknown["detail"]
    assert "Dapodik" in unknown["detail_id"] and "Verval PTK" in unknown["fixed_by_id"]

    simulator.control("DELETE", f"pmm/{MAYA}/{YEAR}/2")  # PMM knows her, not a plan for July–December
    no_plan = refused(as_user(MAYA, "pemkotdemo").post("/api/v1/me/pmm/sync", json={"year": YEAR, "semester": 2}),
                      404, "pmm-not-found")
    assert "PMM knows you" in no_plan["detail"] and "PMM mengenal Anda" in no_plan["detail_id"]

    office = refused(as_user(KADIS, "pemkotdemo").post("/api/v1/me/pmm/sync", json={"year": YEAR, "semester": 1}),
                     409, "pmm-not-school")
    assert "not a school" in office["detail"] and "bukan sekolah" in office["detail_id"]


# --- case 8: a supervisor outside the branch ----------------------------------------------------------------

def test_a_supervisor_outside_the_branch_is_a_warning_on_both_sides_and_the_repair_holds(synced, kemen_admin,
                                                                                        as_user):
    repaired = ok(kemen_admin.put(f"/api/v1/admin/employees/{HANA}/supervisor",
                                  json={"supervisor_nip": CITRA, "reason": "penugasan sementara"}))
    [warning] = repaired["warnings"]
    assert (warning["status"], warning["code"], warning["fixers"]) == ("warning", "supervisor-outside-branch",
                                                                       ["admin_instansi"])
    assert "Bagian Program dan Anggaran" in warning["detail"] and "Reset Struktur" in warning["why_id"]
    hana = as_user(HANA)
    assert findings(hana, HANA)["supervisor-branch"] == warning  # the admin and the employee see one finding
    assert "blocks" not in warning  # nothing is refused for it

    assert sync_agency(kemen_admin, "kemendemo", full=True)["status"] == "ok"
    assert ok(hana.get(f"/api/v1/employees/{HANA}"))["supervisor"]["nip"] == CITRA  # the repair holds
    listed(kemen_admin, "kemendemo", "?code=supervisor-outside-branch&status=warning", HANA)


# --- case 9: the principal syncs first ----------------------------------------------------------------------

def test_the_principal_must_sync_first_shows_before_the_teacher_tries_pmm(synced, rabbit, pemkot_admin, as_user,
                                                                         simulator):
    from skp_world import import_masterdata

    person = {"employment_type": "PNS", "status": "active", "agency_id": "pemkotdemo", "unit_id": "pk-sdn2"}
    principal = {**person, "nip": PRINCIPAL2, "nik": PRINCIPAL2_NIK, "name": "Joko Susilo", "golongan": "IV/a",
                 "email": "joko.susilo@sdn2.pemkotdemo.go.id", "position_id": "pk-kepsek", "supervisor_nip": KADIS,
                 "roles": ["kepala_sekolah"]}
    teacher = {**person, "nip": TEACHER2, "nik": TEACHER2_NIK, "name": "Ratna Dewi", "golongan": "III/b",
               "email": "ratna.dewi@sdn2.pemkotdemo.go.id", "position_id": "pk-guru-pertama",
               "supervisor_nip": PRINCIPAL2}
    # The new school came by file import; SIASN has the principal too, who has not synced yet.
    import_masterdata(rabbit.amqp_uri, {"units": [{"id": "pk-sdn2", "agency_id": "pemkotdemo", "parent_id": "pk-disdik",
                                                   "name": "SD Negeri 2 Kota Demo", "kind": "sekolah"}],
                                        "employees": [principal, teacher]})
    simulator.control("PUT", f"employees/{PRINCIPAL2}", principal)
    ratna = as_user(TEACHER2, "pemkotdemo")

    before = findings(ratna, TEACHER2)["pmm"]
    assert (before["status"], before["code"], before["fixers"], before["principal_nip"]) == (
        "warning", "principal-not-synced", ["kepala_sekolah"], PRINCIPAL2)
    assert "Sinkronisasi ASN" in before["detail"] and "Sinkron PMM" in before["why_id"]
    listed(pemkot_admin, "pemkotdemo", "?code=principal-not-synced", TEACHER2)
    tried = refused(ratna.post("/api/v1/me/pmm/sync", json={"year": YEAR, "semester": 1}), 409,
                    "principal-not-synced")
    assert tried["principal_nip"] == PRINCIPAL2 and tried["fixers"] == before["fixers"]

    assert ok(as_user(PRINCIPAL2, "pemkotdemo").post("/api/v1/me/sync"))["status"] == "ok"

    assert findings(ratna, TEACHER2)["pmm"]["code"] == "principal-synced"
    listed(pemkot_admin, "pemkotdemo", "?code=principal-not-synced", TEACHER2, present=False)


# --- item 2: nobody to approve -----------------------------------------------------------------------------

def test_nobody_to_approve_is_the_same_finding_in_the_diagnosis_and_in_skps_refusal(synced, rabbit, kemen_admin,
                                                                                   as_user, service_databases):
    from skp_world import import_masterdata

    # A pair of its own (the demo's head already has this year's plan from the planning tests): a head
    # of an organisation (JPT, nobody above) and the karo under them, brought by file import.
    head, karo = "197705052005011101", "199001012015022102"
    person = {"employment_type": "PNS", "status": "active", "agency_id": "kemendemo", "roles": []}
    import_masterdata(rabbit.amqp_uri, {"employees": [
        {**person, "nip": head, "nik": "3171010505770101", "name": "Yudi Pratama", "golongan": "IV/e",
         "email": "yudi.pratama@kemendemo.go.id", "unit_id": "kd-setjen", "position_id": "kd-sekjen",
         "supervisor_nip": None},
        {**person, "nip": karo, "nik": "3171014101900102", "name": "Wulan Sari", "golongan": "IV/c",
         "email": "wulan.sari@kemendemo.go.id", "unit_id": "kd-biro-ren", "position_id": "kd-karo",
         "supervisor_nip": head}]})
    copy_of(service_databases, "skp", karo, "supervisor_nip", head)
    adi, budi = as_user(head), as_user(karo)
    published = ok(adi.post(f"/api/v1/skp/{ok(plan(adi), 201)['id']}/publish"))  # only a head publishes alone
    assert published["state"] == "disetujui"
    intervenable = wait_for(lambda: ok(budi.get(f"/api/v1/skp/intervenable?year={YEAR}")).get("rhk") or None,
                            timeout=30, what="skp to offer the head's RHK")
    draft = ok(budi.post("/api/v1/skp", json={"year": YEAR, "approach": "kuantitatif", "rhk": [
        rhk("Tersusunnya rencana biro", intervenes=intervenable[0]["id"])]}), 201)
    ok(kemen_admin.post(f"/api/v1/admin/employees/{head}/deactivate", json={"reason": "purna tugas"}))
    copy_of(service_databases, "skp", head, "status", "inactive")

    found = findings(kemen_admin, karo)["supervisor-active"]
    assert (found["status"], found["code"], found["blocks"]) == ("problem", "penilai-missing", ["skp"])

    def skp_refuses_with_the_finding():
        body = budi.post(f"/api/v1/skp/{draft['id']}/submit").get_json()
        return body if body.get("finding", {}).get("code") == "penilai-missing" else None

    refusal = wait_for(skp_refuses_with_the_finding, timeout=30, what="skp to refuse with sync's finding")
    assert (refusal["status"], refusal["code"], refusal["supervisor_nip"]) == (409, "penilai-missing", head)
    assert refusal["detail"].startswith(found["detail"]) and refusal["detail_id"].startswith(found["detail_id"])
