"""Admin repairs against a real SQLite file: scope, refusals, the audit row and the events of each
real change, nothing written or announced for a refused or empty repair."""

import json

import pytest
from sqlalchemy import select

from ekinerja_kernel.caller import Caller, RequestContext
from ekinerja_kernel.errors import DomainError
from sync import repairs
from sync.tables import OUTBOX, acting, employees, repair_audit

HEAD = "197001012000031001"
MID = "198002142005042002"
STAFF = "198609262015051001"
OTHER = "199001012022211001"  # PPPK in the other agency
ADMIN_A = "199502212020111013"


@pytest.fixture
def factory(sync_db, import_master_data):
    import_master_data({
        "agencies": [{"id": "ag1", "name": "Kementerian A", "kind": "pusat"},
                     {"id": "ag2", "name": "Pemkot B", "kind": "daerah"}],
        "units": [{"id": "a-root", "agency_id": "ag1", "name": "Setjen"},
                  {"id": "a-child", "agency_id": "ag1", "parent_id": "a-root", "name": "Biro"},
                  {"id": "b-root", "agency_id": "ag2", "name": "Setda"}],
        "positions": [{"id": "pa-head", "agency_id": "ag1", "name": "Kepala", "kind": "struktural"},
                      {"id": "pa-staff", "agency_id": "ag1", "name": "Analis", "kind": "fungsional"},
                      {"id": "pb", "agency_id": "ag2", "name": "Pengadministrasi", "kind": "pelaksana"}],
        "employees": [
            row(HEAD, "3171010101700001", None, unit_id="a-root", position_id="pa-head"),
            row(MID, "3171015402800002", HEAD, position_id="pa-head"),
            row(STAFF, "3171012609860001", MID),
            row(ADMIN_A, "3171016102950003", MID, roles=["admin_instansi"]),
            row(OTHER, "3171010101900003", None, agency_id="ag2", unit_id="b-root", position_id="pb",
                employment_type="PPPK", golongan="IX"),
        ]})
    with sync_db.begin() as s:
        s.execute(OUTBOX.table.delete())
    return sync_db


def row(nip, nik, supervisor, **over):
    values = {"nip": nip, "nik": nik, "name": f"Pegawai {nip[-3:]}", "email": f"p{nip[-4:]}@contoh.go.id",
              "employment_type": "PNS", "golongan": "III/a", "agency_id": "ag1", "unit_id": "a-child",
              "position_id": "pa-staff", "supervisor_nip": supervisor}
    values.update(over)
    return values


def ctx(nip=ADMIN_A, roles=("pegawai", "admin_instansi"), agency="ag1") -> RequestContext:
    return RequestContext(caller=Caller(nip=nip, roles=tuple(roles), agency_id=agency), request_id="req-1")


NATIONAL = ctx("196001011985031001", ("pegawai", "admin_nasional"), "other")
ADMIN_B = ctx("197001152010092022", ("pegawai", "admin_instansi"), "ag2")
EMPLOYEE = ctx(STAFF, ("pegawai",))


def events(factory):
    with factory() as s:
        return [json.loads(b) for b in s.execute(select(OUTBOX.table.c.body).order_by(OUTBOX.table.c.seq)).scalars()]


def audit(factory):
    with factory() as s:
        return s.execute(select(repair_audit).order_by(repair_audit.c.at)).mappings().all()


def stored(factory, nip):
    with factory() as s:
        return s.execute(select(employees).where(employees.c.nip == nip)).mappings().first()


def refused(call, status, rule=None):
    with pytest.raises(DomainError) as exc:
        call()
    assert exc.value.status == status, exc.value
    if rule:
        assert [e.rule for e in exc.value.errors] == [rule], exc.value.errors
    return exc.value


def nothing_written(factory):
    assert events(factory) == [] and audit(factory) == []


# --- supervisor -----------------------------------------------------------------------------

def test_setting_a_supervisor_is_audited_and_announced_like_an_import(factory):
    result = repairs.set_supervisor(factory, OUTBOX, ctx(), STAFF, HEAD, "mutasi struktur")

    assert result["changed"] is True
    assert result["events"] == ["employee.upserted", "supervisor.changed"]
    assert result["employee"]["supervisor"]["nip"] == HEAD
    assert stored(factory, STAFF)["supervisor_nip"] == HEAD
    upserted, changed = events(factory)
    assert upserted["type"] == "ekinerja.employee.upserted.v1" and upserted["subject"] == STAFF
    assert upserted["data"]["supervisor_nip"] == HEAD and upserted["data"]["position"]["id"] == "pa-staff"
    assert changed["data"] == {"nip": STAFF, "agency_id": "ag1", "previous_supervisor_nip": MID,
                               "supervisor_nip": HEAD}
    (entry,) = audit(factory)
    assert (entry["actor_nip"], entry["agency_id"], entry["action"], entry["subject"]) == \
        (ADMIN_A, "ag1", "supervisor.set", STAFF)
    assert entry["before"] == {"supervisor_nip": MID} and entry["after"] == {"supervisor_nip": HEAD}
    assert entry["reason"] == "mutasi struktur" and entry["request_id"] == "req-1"
    assert entry["actor_roles"] == ["pegawai", "admin_instansi"]


def test_setting_the_same_supervisor_again_writes_and_announces_nothing(factory):
    result = repairs.set_supervisor(factory, OUTBOX, ctx(), STAFF, MID)
    assert result["changed"] is False and result["events"] == []
    nothing_written(factory)


def test_reset_removes_the_supervisor(factory):
    result = repairs.set_supervisor(factory, OUTBOX, ctx(), STAFF, None)

    assert result["events"] == ["employee.upserted", "supervisor.changed"]
    assert stored(factory, STAFF)["supervisor_nip"] is None
    assert audit(factory)[0]["action"] == "supervisor.reset"


def test_self_supervision_and_cycles_are_refused(factory):
    refused(lambda: repairs.set_supervisor(factory, OUTBOX, ctx(), STAFF, STAFF), 422, "not-self")
    refused(lambda: repairs.set_supervisor(factory, OUTBOX, ctx(), HEAD, STAFF), 422, "no-cycle")
    refused(lambda: repairs.set_supervisor(factory, OUTBOX, ctx(), MID, STAFF), 422, "no-cycle")
    assert stored(factory, HEAD)["supervisor_nip"] is None
    nothing_written(factory)


def test_bad_or_unknown_or_inactive_supervisor_is_refused(factory):
    refused(lambda: repairs.set_supervisor(factory, OUTBOX, ctx(), STAFF, "12345"), 422, "nip-18-digits")
    refused(lambda: repairs.set_supervisor(factory, OUTBOX, ctx(), STAFF, "198001012005011099"), 422, "exists")
    repairs.set_status(factory, OUTBOX, ctx(), HEAD, "inactive")
    refused(lambda: repairs.set_supervisor(factory, OUTBOX, ctx(), STAFF, HEAD), 422, "active")


def test_an_admin_of_another_agency_or_a_plain_employee_cannot_touch_it(factory):
    refused(lambda: repairs.set_supervisor(factory, OUTBOX, ADMIN_B, STAFF, HEAD), 403)
    refused(lambda: repairs.set_supervisor(factory, OUTBOX, EMPLOYEE, STAFF, HEAD), 403)
    refused(lambda: repairs.set_supervisor(factory, OUTBOX, ctx(), OTHER, None), 403)
    refused(lambda: repairs.set_supervisor(factory, OUTBOX, ctx(), STAFF, OTHER), 403)  # linking into ag2
    assert stored(factory, STAFF)["supervisor_nip"] == MID
    nothing_written(factory)


def test_a_national_admin_repairs_anywhere(factory):
    assert repairs.set_supervisor(factory, OUTBOX, NATIONAL, OTHER, None)["changed"] is False
    assert repairs.set_email(factory, OUTBOX, NATIONAL, OTHER, "baru@kota.go.id")["changed"] is True


def test_unknown_or_malformed_employee(factory):
    refused(lambda: repairs.set_supervisor(factory, OUTBOX, ctx(), "198001012005011099", None), 404)
    refused(lambda: repairs.set_supervisor(factory, OUTBOX, ctx(), "123", None), 422, "nip-18-digits")


# --- status -------------------------------------------------------------------------------------

def test_deactivate_and_reactivate(factory):
    off = repairs.set_status(factory, OUTBOX, ctx(), MID, "inactive", "pensiun")
    assert off["events"] == ["employee.upserted", "employee.deactivated"]
    assert off["subordinates"] == 2  # STAFF and ADMIN_A: their penilai changes
    on = repairs.set_status(factory, OUTBOX, ctx(), MID, "active")
    assert on["events"] == ["employee.upserted"]
    again = repairs.set_status(factory, OUTBOX, ctx(), MID, "active")
    assert again["changed"] is False

    assert [e["type"] for e in events(factory)] == ["ekinerja.employee.upserted.v1",
                                                    "ekinerja.employee.deactivated.v1",
                                                    "ekinerja.employee.upserted.v1"]
    assert [(a["action"], a["before"], a["after"]) for a in audit(factory)] == [
        ("employee.deactivate", {"status": "active"}, {"status": "inactive"}),
        ("employee.reactivate", {"status": "inactive"}, {"status": "active"})]


def test_status_must_be_known_and_an_admin_cannot_deactivate_themselves(factory):
    refused(lambda: repairs.set_status(factory, OUTBOX, ctx(), MID, "retired"), 422, "one-of")
    refused(lambda: repairs.set_status(factory, OUTBOX, ctx(), ADMIN_A, "inactive"), 422, "not-self")
    refused(lambda: repairs.set_status(factory, OUTBOX, ADMIN_B, MID, "inactive"), 403)
    nothing_written(factory)


# --- email ---------------------------------------------------------------------------------------

def test_fixing_an_email_announces_the_record(factory):
    result = repairs.set_email(factory, OUTBOX, ctx(), STAFF, "  budi.baru@contoh.go.id ")

    assert result["events"] == ["employee.upserted"]
    assert stored(factory, STAFF)["email"] == "budi.baru@contoh.go.id"
    assert result["employee"]["email"] == "bu***@contoh.go.id"
    assert events(factory)[0]["data"]["email"] == "budi.baru@contoh.go.id"
    log = repairs.repair_log(factory, ctx(), STAFF)["repairs"]
    assert log[0]["action"] == "email.set" and log[0]["after"] == {"email": "bu***@contoh.go.id"}


@pytest.mark.parametrize("email", ["", "not-an-email", "a@b", None, "x" * 250 + "@a.id"])
def test_bad_email_is_refused(factory, email):
    refused(lambda: repairs.set_email(factory, OUTBOX, ctx(), STAFF, email), 422, "email-format")
    nothing_written(factory)


def test_reason_is_short_text(factory):
    refused(lambda: repairs.set_email(factory, OUTBOX, ctx(), STAFF, "a@b.id", "x" * 501), 422, "text-max-500")


# --- acting officials --------------------------------------------------------------------------------

def seat(**over):
    return {"unit_id": "a-root", "position_id": "pa-head", "nip": MID, "kind": "PLT",
            "start_date": "2026-03-01", "end_date": "2026-05-31", **over}


def test_recording_an_acting_official_and_ending_it_early(factory):
    first = repairs.record_acting(factory, OUTBOX, ctx(), seat(), "Kepala cuti besar")

    assert first["changed"] and first["created"] and first["events"] == ["acting.assigned"]
    record = first["acting"]
    assert record["agency_id"] == "ag1" and record["kind"] == "PLT"
    (event,) = events(factory)
    assert event["type"] == "ekinerja.acting.assigned.v1" and event["subject"] == MID
    assert event["data"] == record

    ended = repairs.record_acting(factory, OUTBOX, ctx(), seat(id=record["id"], end_date="2026-04-15"))
    assert ended["changed"] and not ended["created"]
    same = repairs.record_acting(factory, OUTBOX, ctx(), seat(id=record["id"], end_date="2026-04-15"))
    assert same["changed"] is False

    assert len(events(factory)) == 2
    entries = audit(factory)
    assert [e["action"] for e in entries] == ["acting.record", "acting.record"]
    assert entries[0]["before"] is None and entries[1]["before"]["end_date"] == "2026-05-31"
    with factory() as s:
        assert s.execute(select(acting.c.end_date)).scalar_one().isoformat() == "2026-04-15"


@pytest.mark.parametrize("over, status, rule", [
    ({"unit_id": "nowhere"}, 422, "exists"),
    ({"unit_id": None}, 422, "required"),
    ({"position_id": "pb"}, 422, "exists"),  # another agency's position
    ({"nip": "198001012005011099"}, 422, "exists"),
    ({"nip": OTHER}, 403, None),  # an official of another agency
    ({"kind": "ACT"}, 422, "one-of"),
    ({"end_date": "2026-02-01"}, 422, "not-before-start"),
    ({"start_date": "1 Maret"}, 422, "date-format"),
    ({"unit_id": "a-root", "position_id": "pa-head", "nip": HEAD}, 422, "not-holder"),
    ({"unit_id": "b-root", "position_id": "pb"}, 403, None),  # a seat of another agency
])
def test_acting_refusals(factory, over, status, rule):
    refused(lambda: repairs.record_acting(factory, OUTBOX, ctx(), seat(**over)), status, rule)
    nothing_written(factory)


def test_an_inactive_official_cannot_act(factory):
    repairs.set_status(factory, OUTBOX, ctx(), MID, "inactive")
    refused(lambda: repairs.record_acting(factory, OUTBOX, ctx(), seat()), 422, "active")


def test_another_agencys_admin_cannot_change_an_existing_assignment(factory):
    record = repairs.record_acting(factory, OUTBOX, ctx(), seat())["acting"]
    refused(lambda: repairs.record_acting(factory, OUTBOX, ADMIN_B, {**seat(), "id": record["id"],
                                                                      "unit_id": "b-root", "position_id": "pb",
                                                                      "nip": OTHER}), 403)


# --- reading ---------------------------------------------------------------------------------------------

def test_unit_employees_with_what_blocks_each(factory):
    result = repairs.unit_employees(factory, ctx(), "a-child")

    assert result["unit"] == {"id": "a-child", "name": "Biro", "kind": "unit", "agency_id": "ag1"}
    assert result["total"] == 3
    by_nip = {e["nip"]: e for e in result["employees"]}
    assert set(by_nip) == {MID, STAFF, ADMIN_A}
    # Nobody has an SKP in force in this test: each supervisor's is missing.
    assert by_nip[STAFF]["problems"] == ["supervisor-skp-missing"]
    assert "***" in by_nip[STAFF]["email"] and by_nip[STAFF]["updated_at"]

    page = repairs.unit_employees(factory, ctx(), "a-child", offset=1, limit=1)
    assert page["total"] == 3 and len(page["employees"]) == 1


def test_unit_employees_scope(factory):
    refused(lambda: repairs.unit_employees(factory, ADMIN_B, "a-child"), 403)
    refused(lambda: repairs.unit_employees(factory, EMPLOYEE, "a-child"), 403)
    refused(lambda: repairs.unit_employees(factory, ctx(), "nowhere"), 404)
    assert repairs.unit_employees(factory, NATIONAL, "b-root")["total"] == 1


def test_repair_log_is_scoped_to_the_admins_agency(factory):
    repairs.set_email(factory, OUTBOX, ctx(), STAFF, "a@contoh.go.id")
    repairs.set_email(factory, OUTBOX, ADMIN_B, OTHER, "b@kota.go.id")

    assert [r["subject"] for r in repairs.repair_log(factory, ctx())["repairs"]] == [STAFF]
    assert [r["subject"] for r in repairs.repair_log(factory, ADMIN_B)["repairs"]] == [OTHER]
    assert {r["subject"] for r in repairs.repair_log(factory, NATIONAL)["repairs"]} == {STAFF, OTHER}
    refused(lambda: repairs.repair_log(factory, EMPLOYEE), 403)
