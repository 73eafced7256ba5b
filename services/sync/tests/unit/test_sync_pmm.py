"""PMM import rules: only RHK "Disepakati Atasan", semesters Jan–Jun / Jul–Dec, the principal synced
first and the teacher's supervisor, one event per real change, every import recorded."""

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import select

from ekinerja_kernel.caller import Caller, RequestContext
from ekinerja_kernel.errors import DomainError
from sync import pmm
from sync.registry.simulator import LocalClient
from sync.runs import Syncer, get_run
from sync.tables import OUTBOX, outbox_table

ROOT = Path(__file__).resolve().parents[4]
SCHEMA = json.loads((ROOT / "docs/events/schemas/pmm.rhk_agreed.json").read_text())
KEPSEK = "197210102010071027"
TEACHER = "198404132006021028"
OTHER_TEACHER = "196906212003011029"
ADMIN_PK = Caller("197001152010092022", ("admin_instansi",), "pemkotdemo")
YEAR = 2026


@pytest.fixture
def factory(sync_db, import_master_data, demo_masterdata):
    import_master_data(demo_masterdata)
    with sync_db.begin() as s:
        s.execute(outbox_table.delete())
    return sync_db


@pytest.fixture
def client(demo_registry):
    return LocalClient(demo_registry)


def principal_syncs(factory, client):
    assert Syncer(factory, OUTBOX, client).sync_nip(KEPSEK, "employee", KEPSEK)["status"] == "ok"


def do_import(factory, client, semester=1, caller=TEACHER, nip=None):
    who = caller if isinstance(caller, Caller) else Caller(caller)
    return pmm.import_pmm(factory, OUTBOX, client, RequestContext(caller=who), YEAR, semester, nip)


def announced(factory):
    with factory() as s:
        return [json.loads(b) for b in s.execute(select(outbox_table.c.body).order_by(outbox_table.c.seq)).scalars()]


def refused(factory, client, code, **kw):
    with pytest.raises(DomainError) as exc:
        do_import(factory, client, **kw)
    assert exc.value.code == code, exc.value.detail
    return exc.value


def test_refused_until_the_principal_has_synced_their_own_data(factory, client):
    problem = refused(factory, client, "principal-not-synced")

    assert problem.status == 409 and problem.extra["principal_nip"] == KEPSEK
    assert problem.extra["fixed_by"] == "your kepala sekolah" and "Sinkronisasi ASN" in problem.detail_id
    assert "pmm" not in client.calls  # refused before asking PMM
    run = get_run(factory, problem.extra["run_id"])
    assert (run["kind"], run["status"], run["scope"]) == ("pmm", "failed", TEACHER)
    assert run["errors"][0]["rule"] == "principal-not-synced" and announced(factory) == []


def test_only_agreed_rhk_of_the_semester_are_announced_once(factory, client):
    principal_syncs(factory, client)
    result = do_import(factory, client)

    assert result["outcome"] == "created" and result["principal_nip"] == KEPSEK
    assert (result["period_start"], result["period_end"]) == ("2026-01-01", "2026-06-30")
    assert len(result["rhk"]) == 2 and result["skipped"] == {"Diajukan": 1}
    assert result["run"]["status"] == "ok" and result["run"]["events"] == 1 and result["run"]["created"] == 1
    events = [e for e in announced(factory) if e["type"] == "ekinerja.pmm.rhk_agreed.v1"]
    assert len(events) == 1 and events[0]["subject"] == TEACHER
    data = events[0]["data"]
    assert not list(Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)
                    .iter_errors(data))
    assert (data["year"], data["semester"], data["principal_nip"]) == (YEAR, 1, KEPSEK)
    assert {i["aspek"] for i in data["rhk"][0]["iki"]} == {"kuantitas", "kualitas", "waktu"}

    again = do_import(factory, client)
    assert again["outcome"] == "unchanged" and again["run"]["events"] == 0 and len(announced(factory)) == 1


def test_a_change_in_pmm_is_announced_and_semesters_are_apart(factory, client, demo_registry):
    principal_syncs(factory, client)
    do_import(factory, client)
    second = do_import(factory, client, semester=2)
    assert second["outcome"] == "created" and (second["period_start"], second["period_end"]) == ("2026-07-01",
                                                                                                  "2026-12-31")
    doc = demo_registry.pmm_document(TEACHER, YEAR, 1)
    doc["rhk"][2]["status"] = "  disepakati   atasan "  # PMM's spelling varies; the status is what counts
    demo_registry.pmm[(TEACHER, YEAR, 1)] = doc

    changed = do_import(factory, client)

    assert changed["outcome"] == "updated" and len(changed["rhk"]) == 3 and changed["skipped"] == {}
    assert changed["previous_import"] is not None
    assert [e["data"]["semester"] for e in announced(factory)] == [1, 2, 1]


def test_pmm_naming_another_principal_is_refused_with_who_fixes_it(factory, client, demo_registry):
    principal_syncs(factory, client)
    demo_registry.pmm[(TEACHER, YEAR, 1)] = {**demo_registry.pmm_document(TEACHER, YEAR, 1),
                                        "kepala_sekolah_nip": "197001011995031001"}
    problem = refused(factory, client, "pmm-principal-mismatch")
    assert problem.extra["pmm_principal_nip"] == "197001011995031001" and problem.extra["supervisor_nip"] == KEPSEK


def test_a_document_for_another_period_than_the_semester_is_refused(factory, client, demo_registry):
    principal_syncs(factory, client)
    demo_registry.pmm[(TEACHER, YEAR, 1)] = {**demo_registry.pmm_document(TEACHER, YEAR, 1),
                                             "periode_akhir": "2026-12-31"}
    problem = refused(factory, client, "pmm-period")
    assert problem.status == 422 and "Januari–Juni" in problem.detail_id


def test_nothing_agreed_yet_is_refused_naming_the_statuses(factory, client, demo_registry):
    principal_syncs(factory, client)
    doc = demo_registry.pmm_document(TEACHER, YEAR, 1)
    demo_registry.pmm[(TEACHER, YEAR, 1)] = {**doc, "rhk": [{**r, "status": "Diajukan"} for r in doc["rhk"]]}
    problem = refused(factory, client, "pmm-nothing-agreed")
    assert problem.extra["skipped"] == {"Diajukan": 3} and problem.extra["fixed_by"] == "your kepala sekolah, in PMM"


def test_a_principal_without_a_pmm_plan_is_told_pmm_has_none_for_the_semester(factory, client):
    Syncer(factory, OUTBOX, client).sync_nip("199012052020042025")  # the head of the education office
    with pytest.raises(DomainError) as exc:
        do_import(factory, client, caller=KEPSEK)
    assert exc.value.code == "pmm-not-found" and exc.value.status == 404
    assert "PMM knows you" in exc.value.detail and "PMM mengenal Anda" in exc.value.detail_id


def test_pmm_data_not_found_tells_an_unknown_teacher_from_a_missing_semester(factory, client, demo_registry):
    principal_syncs(factory, client)
    demo_registry.pmm[(TEACHER, YEAR, 2)] = None  # PMM knows the teacher, not a plan for July–December
    no_plan = refused(factory, client, "pmm-not-found", semester=2)
    assert no_plan.extra["fixers"] == ["employee"] and "July–December 2026" in no_plan.detail

    demo_registry.pmm_unknown.add(TEACHER)  # Dapodik lacks the teacher's NUPTK: PMM does not know them
    unknown = refused(factory, client, "pmm-teacher-unknown")
    assert unknown.status == 404 and unknown.extra["fixers"] == ["operator_sekolah"]
    assert "NUPTK" in unknown.detail and "Dapodik" in unknown.detail_id
    assert "operator" in unknown.extra["fixed_by"] and "operator" in unknown.extra["fixed_by_id"]
    run = get_run(factory, unknown.extra["run_id"])
    assert run["errors"][0]["rule"] == "pmm-teacher-unknown" and run["errors"][0]["fixers"] == ["operator_sekolah"]


def test_someone_not_in_a_school_is_refused_before_pmm_is_asked(factory, client):
    client.calls.clear()
    problem = refused(factory, client, "pmm-not-school", caller="199012052020042025")  # the head of the office
    assert problem.status == 409 and "not a school" in problem.detail and "bukan sekolah" in problem.detail_id
    assert problem.extra["fixers"] == ["admin_instansi"] and not any(c.startswith("pmm") for c in client.calls)


def test_who_may_import_and_bad_requests(factory, client):
    principal_syncs(factory, client)
    with pytest.raises(DomainError) as exc:
        do_import(factory, client, semester=3)
    assert exc.value.status == 422 and exc.value.errors[0].field == "semester"
    with pytest.raises(DomainError) as exc:
        do_import(factory, client, caller=OTHER_TEACHER, nip=TEACHER)
    assert exc.value.status == 403
    result = do_import(factory, client, caller=ADMIN_PK, nip=TEACHER)
    assert result["run"]["trigger"] == "admin" and result["run"]["requested_by"] == ADMIN_PK.nip


def test_pmm_down_is_a_503_and_no_pmm_configured_too(factory, client):
    principal_syncs(factory, client)
    client.down = True
    problem = refused(factory, client, "registry-unavailable")
    assert problem.status == 503 and problem.extra["retry_after"] == 60
    with pytest.raises(DomainError) as exc:
        pmm.import_pmm(factory, OUTBOX, None, RequestContext(caller=Caller(TEACHER)), YEAR, 1)
    assert exc.value.code == "registry-not-configured"


def test_rules_as_plain_functions():
    doc = {"rhk": [{"id": "a", "rhk": " Satu  dua ", "status": "Disepakati Atasan", "rhk_atasan": None,
                    "indikator": [{"aspek": "Kuantitas", "indikator": "x", "target": 1, "satuan": "dok"}]},
                   {"id": "b", "rhk": "Tiga", "status": "Draft"}, {"id": "c", "rhk": "", "status": "Disepakati Atasan"},
                   "not an object"]}
    agreed, skipped = pmm.agreed_rhk(doc)
    assert agreed == [{"pmm_id": "a", "text": "Satu dua", "intervenes_text": None,
                       "iki": [{"aspek": "kuantitas", "indikator": "x", "target": "1", "satuan": "dok"}]}]
    assert skipped == {"Draft": 1, "(tanpa uraian)": 1}
    pmm.check_period({"periode_awal": "2026-07-01", "periode_akhir": "2026-12-31T00:00:00"}, 2026, 2)
    with pytest.raises(DomainError):
        pmm.check_period({"periode_awal": "2026-07-01", "periode_akhir": "2026-12-30"}, 2026, 2)
    assert pmm.digest("1", agreed) == pmm.digest("1", json.loads(json.dumps(agreed)))
    assert pmm.digest("1", agreed) != pmm.digest("2", agreed)
