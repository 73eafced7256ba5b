"""An admin's repair holds until the registry agrees: registry syncs and file imports that disagree
keep it and record what they brought (the diagnosis says so in both languages); the first that
agrees ends it, and the repair log says so. An inactive employee cannot sync their status back."""

import datetime as dt
import json

import pytest
from sqlalchemy import select

from ekinerja_kernel.caller import Caller, RequestContext
from ekinerja_kernel.errors import DomainError
from sync import diagnosis, repairs, runs
from sync.domain import overrides as o
from sync.handlers import import_records
from sync.registry.simulator import LocalClient
from sync.runs import Syncer
from sync.tables import OUTBOX, employees, outbox_table, overrides

ADMIN = Caller("199502212020111013", ("pegawai", "admin_instansi"), "kemendemo")  # Made Nugroho
DEWI = "198201272019112004"  # kemendemo, under Citra
CITRA = "197501201999022003"
GILANG = "199611232020101007"
NOW = dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
def factory(sync_db):
    """An empty sync database: a sync or an import of the demo data fills it."""
    return sync_db


@pytest.fixture
def demo_rows(demo_masterdata):
    """The demo employees by NIP."""
    return {e["nip"]: e for e in demo_masterdata["employees"]}


@pytest.fixture
def syncer(factory, demo_registry):
    synced = Syncer(factory, OUTBOX, LocalClient(demo_registry), chunk_size=5)
    assert synced.sync_agency("kemendemo")["status"] == "ok"
    return synced


def ctx(caller=ADMIN):
    return RequestContext(caller=caller, request_id="req-1")


def record(factory, nip):
    with factory() as s:
        return s.execute(select(employees).where(employees.c.nip == nip)).first()


def held(factory, nip):
    with factory() as s:
        return {r.field: r for r in s.execute(select(overrides).where(overrides.c.nip == nip))}


def events(factory):
    with factory() as s:
        return [json.loads(b) for b in s.execute(select(outbox_table.c.body).order_by(outbox_table.c.seq)).scalars()]


def findings(factory, nip):
    with factory() as s:
        facts = diagnosis.gather(s, nip, 2026, NOW.date(), NOW)
    return {f["check"]: f for f in diagnosis.rules.report(facts)["findings"]}


def log(factory, nip):
    return repairs.repair_log(factory, ctx(), nip)["repairs"]


# --- the rule, on plain rows --------------------------------------------------------------------

def override(field, value, **over):
    return o.Override(DEWI, field, value, "kemendemo", ADMIN.nip, NOW, "pindah bagian", **over)


def test_an_override_replaces_what_a_row_brings_unless_the_row_agrees():
    row = {"nip": DEWI, "supervisor_nip": CITRA, "email": " Dewi@Kemen.go.id ", "status": ""}
    result = o.hold(row, [override("supervisor_nip", GILANG), override("email", "dewi@kemen.go.id"),
                          override("status", "inactive")])

    assert result.row["supervisor_nip"] == GILANG and result.row["status"] == "inactive"
    assert [x.field for x in result.agreed] == ["email"]  # case and spaces are not a disagreement
    assert [(x.field, brought) for x, brought in result.differ] == [("supervisor_nip", CITRA), ("status", "active")]
    assert row["supervisor_nip"] == CITRA  # the row itself is left as it came
    assert o.hold({"nip": DEWI, "supervisor_nip": None}, [override("supervisor_nip", None)]).agreed


def test_the_words_name_the_admin_the_date_the_reason_and_what_siasn_says():
    disputed = override("supervisor_nip", GILANG, actor_name="Made Nugroho", registry_value=CITRA,
                        source="registry", seen_at=NOW)
    en, id_ = o.describe(disputed)
    assert en == (f"e-Kinerja uses supervisor NIP {GILANG} (set by admin Made Nugroho (NIP {ADMIN.nip}) on "
                  f"2026-03-02, reason: pindah bagian); SIASN still says supervisor NIP {CITRA}.")
    assert id_.startswith(f"e-Kinerja memakai atasan NIP {GILANG} (ditetapkan oleh admin Made Nugroho")
    assert f"SIASN masih mencatat atasan NIP {CITRA}" in id_
    email = o.describe(override("email", "dewi.baru@kemen.go.id", registry_value="dewi@kemen.go.id",
                                source="import", seen_at=NOW))
    assert "de***@kemen.go.id" in email[0] and "dewi.baru" not in email[0] + email[1]
    assert "the latest master-data import" in email[0] and "impor data induk" in email[1]


# --- against the registry ----------------------------------------------------------------------------

def test_a_supervisor_repair_holds_against_the_registry_until_it_agrees(factory, syncer, demo_registry):
    repaired = repairs.set_supervisor(factory, OUTBOX, ctx(), DEWI, GILANG, "pindah ke bagian evaluasi")
    assert repaired["override"]["value"] == GILANG and repaired["override"]["registry_source"] is None
    assert findings(factory, DEWI)["override"]["code"] == "override-held"

    demo_registry.patch_employee(DEWI, {"golongan": "III/d"})  # SIASN changes something else, still says Citra
    run = syncer.sync_agency("kemendemo")

    assert run["status"] == "ok" and run["updated"] == 1
    assert record(factory, DEWI).supervisor_nip == GILANG and record(factory, DEWI).golongan == "III/d"
    kept = held(factory, DEWI)["supervisor_nip"]
    assert (kept.registry_value, kept.registry_source) == (CITRA, "registry")
    warning = findings(factory, DEWI)["override"]
    assert (warning["status"], warning["code"], warning["fixers"]) == ("warning", "registry-differs",
                                                                       ["admin_instansi"])
    assert f"e-Kinerja uses supervisor NIP {GILANG}" in warning["detail"]
    assert "reason: pindah ke bagian evaluasi" in warning["detail"]
    assert f"SIASN still says supervisor NIP {CITRA}. Correct it in SIASN." in warning["detail"]
    assert f"SIASN masih mencatat atasan NIP {CITRA}" in warning["detail_id"]
    assert "Perbaiki di SIASN" in warning["detail_id"] and "blocks" not in warning
    assert warning["overrides"][0]["set_by"] == ADMIN.nip and warning["overrides"][0]["registry_value"] == CITRA
    # "Sinkronisasi ASN" by the employee is a registry sync too: the repair still holds.
    mine = runs.sync_me(factory, syncer, ctx(Caller(DEWI)))
    assert mine["status"] == "ok" and record(factory, DEWI).supervisor_nip == GILANG

    demo_registry.patch_employee(DEWI, {"supervisor_nip": GILANG})  # corrected in SIASN
    assert syncer.sync_agency("kemendemo")["status"] == "ok"

    assert held(factory, DEWI) == {} and findings(factory, DEWI)["override"]["code"] == "no-override"
    cleared = log(factory, DEWI)[0]
    assert (cleared["action"], cleared["actor_nip"], cleared["before"]) == (
        "override.cleared", None, {"supervisor_nip": GILANG})
    assert cleared["run_id"] and "SIASN now says supervisor NIP" in cleared["note"]
    assert "SIASN kini juga mencatat" in cleared["note_id"]
    demo_registry.patch_employee(DEWI, {"supervisor_nip": CITRA})  # from now on the registry decides again
    syncer.sync_agency("kemendemo")
    assert record(factory, DEWI).supervisor_nip == CITRA


def test_a_reset_struktur_holds_and_the_diagnosis_names_siasns_supervisor(factory, syncer):
    repairs.set_supervisor(factory, OUTBOX, ctx(), DEWI, None, "salah klaim pimpinan")
    assert syncer.sync_nip(DEWI, "admin", ADMIN.nip)["status"] == "ok"

    assert record(factory, DEWI).supervisor_nip is None
    found = findings(factory, DEWI)
    assert found["supervisor"]["code"] == "no-supervisor" and found["supervisor"]["registry_supervisor_nip"] == CITRA
    assert f"SIASN names NIP {CITRA}" in found["supervisor"]["detail"]
    assert "no supervisor" in found["override"]["detail"] and f"supervisor NIP {CITRA}" in found["override"]["detail"]


def test_an_email_repair_holds_against_a_file_import_and_ends_when_the_import_agrees(factory, demo_masterdata,
                                                                                      demo_rows):
    import_records(factory, OUTBOX, demo_masterdata)
    repairs.set_email(factory, OUTBOX, ctx(), DEWI, "dewi.baru@kemendemo.go.id", "email lama tidak aktif")
    with factory.begin() as s:
        s.execute(outbox_table.delete())

    again = import_records(factory, OUTBOX, {"employees": [demo_rows[DEWI]]})

    assert again["counts"]["employees"]["unchanged"] == 1 and events(factory) == []  # nothing to announce
    assert record(factory, DEWI).email == "dewi.baru@kemendemo.go.id"
    warning = findings(factory, DEWI)["override"]
    assert warning["code"] == "registry-differs" and "the latest master-data import" in warning["detail"]
    assert "de***@kemendemo.go.id" in warning["detail"]

    import_records(factory, OUTBOX, {"employees": [{**demo_rows[DEWI], "email": "Dewi.Baru@kemendemo.go.id"}]})
    assert held(factory, DEWI) == {}
    entry = log(factory, DEWI)[0]
    assert entry["action"] == "override.cleared" and entry["run_id"] is None
    assert entry["before"] == {"email": "de***@kemendemo.go.id"} and "import" in entry["note"]


# --- deactivation and the employee's own sync ----------------------------------------------------------

def test_a_deactivated_employee_cannot_sync_their_status_back(factory, syncer, demo_rows):
    repairs.set_status(factory, OUTBOX, ctx(), DEWI, "inactive", "diberhentikan sementara")

    with pytest.raises(DomainError) as refused:
        runs.sync_me(factory, syncer, ctx(Caller(DEWI)))

    problem = refused.value
    assert (problem.status, problem.code, problem.extra["fixers"]) == (403, "account-inactive", ["admin_instansi"])
    assert f"admin {demo_rows[ADMIN.nip]['name']}" in problem.detail and "diberhentikan sementara" in problem.detail
    assert "Admin instansi (BKD/BKPSDM)" in problem.detail_id
    assert f"/api/v1/admin/employees/{DEWI}/sync" in problem.extra["fixed_by"]
    state = runs.sync_state(factory, ctx(Caller(DEWI)), configured=True)
    assert state["can_sync"] is False and state["code"] == "account-inactive" and state["fixed_by_id"]

    # The agency admin may sync the record: SIASN still says Aktif, the deactivation holds.
    by_admin = runs.sync_me(factory, syncer, ctx(), DEWI)
    assert by_admin["status"] == "ok" and record(factory, DEWI).status == "inactive"
    status = findings(factory, DEWI)["status"]
    assert status["code"] == "account-inactive" and "diberhentikan sementara" in status["detail"]
    assert status["blocks"] == ["login", "skp", "harian"]
    assert "SIASN still says status active" in findings(factory, DEWI)["override"]["detail"]

    # Reactivating gives back what SIASN last said: no override is left, and the log says why.
    back = repairs.set_status(factory, OUTBOX, ctx(), DEWI, "active", "aktif kembali")
    assert back["override"] is None and held(factory, DEWI) == {}
    assert log(factory, DEWI)[0]["action"] == "override.cleared" and "admin's repair" in log(factory, DEWI)[0]["note"]
    assert runs.sync_state(factory, ctx(Caller(DEWI)), configured=True) == {"can_sync": True}


def test_an_employee_inactive_in_the_registry_cannot_sync_either(factory, syncer, demo_registry):
    demo_registry.patch_employee(CITRA, {"status": "inactive"})
    syncer.sync_agency("kemendemo")

    with pytest.raises(DomainError) as refused:
        runs.sync_me(factory, syncer, ctx(Caller(CITRA)))
    assert refused.value.code == "account-inactive" and "as SIASN records it" in refused.value.detail
    assert runs.sync_state(factory, ctx(Caller(CITRA)), configured=False)["code"] == "account-inactive"
    assert runs.sync_state(factory, ctx(Caller(DEWI)), configured=False)["code"] == "registry-not-configured"
    open_circuit = {"state": "open", "retry_in_seconds": 12.4}
    unavailable = runs.sync_state(factory, ctx(Caller(DEWI)), configured=True, circuit=open_circuit)
    assert (unavailable["can_sync"], unavailable["code"], unavailable["retry_after"]) == (
        False, "registry-unavailable", 12)


# --- a sync that empties what the SKP needs says so ------------------------------------------------------

def test_a_sync_or_import_that_empties_the_unit_or_position_says_so(factory, syncer, demo_registry, demo_rows):
    demo_registry.patch_employee(DEWI, {"position_id": None})

    run = syncer.sync_nip(DEWI, "employee", DEWI)

    assert run["status"] == "ok" and run["updated"] == 1 and run["counts"]["warnings"] == 1
    [emptied] = run["counts"]["emptied"]
    assert (emptied["key"], emptied["field"], emptied["rule"], emptied["before"]) == (
        DEWI, "position_id", "emptied", demo_rows[DEWI]["position_id"])
    assert "SKP wait" in emptied["detail"] and "SKP menunggu" in emptied["detail_id"]
    assert emptied["fixers"] == ["admin_instansi"] and "SIASN" in emptied["fixed_by"]
    assert findings(factory, DEWI)["unit-position"]["code"] == "no-unit-position"

    report = import_records(factory, OUTBOX, {"employees": [{**demo_rows[DEWI], "position_id": None, "unit_id": None}]})
    assert [w["field"] for w in report["warnings"] if w["rule"] == "emptied"] == ["unit_id"]


def test_a_supervisor_set_outside_the_branch_is_allowed_and_said_as_the_diagnosis_says_it(factory, syncer):
    hana = "199512122019082008"  # in the evaluation section; Citra heads the programme section beside it
    repaired = repairs.set_supervisor(factory, OUTBOX, ctx(), hana, CITRA, "sementara")

    assert repaired["changed"] and [w["code"] for w in repaired["warnings"]] == ["supervisor-outside-branch"]
    assert repaired["warnings"][0] == findings(factory, hana)["supervisor-branch"]
    assert syncer.sync_agency("kemendemo", full=True)["status"] == "ok"  # the repair holds
    assert record(factory, hana).supervisor_nip == CITRA
    assert repairs.set_supervisor(factory, OUTBOX, ctx(), DEWI, GILANG)["warnings"] == [
        findings(factory, DEWI)["supervisor-branch"]]
