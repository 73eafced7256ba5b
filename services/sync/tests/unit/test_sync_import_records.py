"""import_records against a real SQLite file: good rows stored whole, bad rows reported, no trace left."""

import json

import pytest
from sqlalchemy import func, select, text

from ekinerja_kernel.errors import DomainError
from sync.handlers import import_records
from sync.tables import OUTBOX, acting, agencies, employees, positions, units

HEAD = "197001012000031001"  # born 1970-01-01, CPNS 2000-03, male
HEAD_NIK = "3171010101700001"
MID = "198002142005042002"  # born 1980-02-14, CPNS 2005-04, female
MID_NIK = "3171015402800002"  # 14 + 40
STAFF = "198609262015051001"  # born 1986-09-26, CPNS 2015-05, male
STAFF_NIK = "3171012609860001"
PPPK = "199001012022211001"  # born 1990-01-01, PPPK 2022, contract 1, male
PPPK_NIK = "3171010101900003"


@pytest.fixture
def factory(sync_db):
    """An empty sync database: the imports below are the first it sees."""
    return sync_db


def agency(id_="ag1", **changes):
    return {"id": id_, "name": "Kementerian Contoh", "kind": "pusat", **changes}


def unit(id_, parent_id=None, **changes):
    return {"id": id_, "agency_id": "ag1", "parent_id": parent_id, "name": f"Unit {id_}", **changes}


def position(id_="p1", **changes):
    return {"id": id_, "agency_id": "ag1", "name": "Analis Kepegawaian", "kind": "fungsional",
            "jenjang": "Ahli Muda", "kelas_jabatan": "9", **changes}


def employee(nip, nik, supervisor=None, **changes):
    row = {"nip": nip, "nik": nik, "name": f"Pegawai {nip[-3:]}", "email": f"p{nip[-4:]}@example.go.id",
           "employment_type": "PNS", "golongan": "III/a", "agency_id": "ag1", "unit_id": "u-child",
           "position_id": "p1", "supervisor_nip": supervisor}
    row.update(changes)
    return row


def base_payload():
    return {
        "agencies": [agency()],
        "units": [unit("u-child", "u-root"), unit("u-root")],  # child listed first
        "positions": [position()],
        "employees": [  # subordinate first
            employee(STAFF, STAFF_NIK, MID),
            employee(MID, MID_NIK, HEAD),
            employee(HEAD, HEAD_NIK, None, unit_id="u-root"),
        ],
    }


def count(factory, table):
    with factory() as session:
        return session.execute(select(func.count()).select_from(table)).scalar_one()


def outbox_events(factory):
    with factory() as session:
        rows = session.execute(select(OUTBOX.table.c.body).order_by(OUTBOX.table.c.seq)).scalars().all()
    return [json.loads(body) for body in rows]


def stored_employee(factory, nip):
    with factory() as session:
        return session.execute(select(employees).where(employees.c.nip == nip)).mappings().first()


def errors_of(report):
    return [(e["record"], e["row"], e["key"], e["field"], e["rule"]) for e in report["errors"]]


def seed(factory):
    report = import_records(factory, OUTBOX, base_payload())
    assert report["rejected"] == 0, report["errors"]
    return report


# --- a clean import --------------------------------------------------------------------------

def test_valid_payload_is_created_with_counts_and_events(factory):
    report = import_records(factory, OUTBOX, base_payload())

    assert report["rejected"] == 0
    assert report["errors"] == []
    assert report["warnings"] == []
    created = {kind: c["created"] for kind, c in report["counts"].items()}
    assert created == {"agencies": 1, "units": 2, "positions": 1, "employees": 3, "acting": 0}
    assert (count(factory, agencies), count(factory, units), count(factory, positions),
            count(factory, employees)) == (1, 2, 1, 3)

    events = outbox_events(factory)
    assert report["events"] == len(events) == 7
    types = [e["type"] for e in events]
    assert types.count("ekinerja.unit.upserted.v1") == 2
    assert types.count("ekinerja.employee.upserted.v1") == 3
    assert types.count("ekinerja.supervisor.changed.v1") == 2
    assert {e["source"] for e in events} == {"/ekinerja/sync"}
    assert len({e["id"] for e in events}) == 7

    # parents before children, supervisors before subordinates
    unit_subjects = [e["subject"] for e in events if e["type"] == "ekinerja.unit.upserted.v1"]
    assert unit_subjects == ["u-root", "u-child"]
    upserted = [e["subject"] for e in events if e["type"] == "ekinerja.employee.upserted.v1"]
    assert upserted == [HEAD, MID, STAFF]
    changed = {e["subject"]: e["data"] for e in events if e["type"] == "ekinerja.supervisor.changed.v1"}
    assert changed[STAFF]["supervisor_nip"] == MID and changed[STAFF]["previous_supervisor_nip"] is None
    assert changed[MID]["supervisor_nip"] == HEAD

    assert stored_employee(factory, STAFF)["supervisor_nip"] == MID
    assert stored_employee(factory, HEAD)["supervisor_nip"] is None
    assert OUTBOX.pending_count(factory()) == 7


def test_importing_the_same_payload_again_changes_nothing(factory):
    seed(factory)
    before = outbox_events(factory)

    report = import_records(factory, OUTBOX, base_payload())

    assert report["events"] == 0
    assert report["rejected"] == 0
    for kind, expected in {"agencies": 1, "units": 2, "positions": 1, "employees": 3}.items():
        assert report["counts"][kind] == {"created": 0, "updated": 0, "unchanged": expected, "rejected": 0}
    assert outbox_events(factory) == before


def test_regrading_a_position_announces_its_holders_again(factory):
    seed(factory)
    before = len(outbox_events(factory))

    report = import_records(factory, OUTBOX, {"positions": [position(kelas_jabatan="11")]})

    assert report["counts"]["positions"]["updated"] == 1
    events = outbox_events(factory)[before:]
    assert report["events"] == len(events) == 3
    assert [e["type"] for e in events] == ["ekinerja.employee.upserted.v1"] * 3
    assert sorted(e["subject"] for e in events) == sorted([HEAD, MID, STAFF])
    assert {e["data"]["position"]["kelas_jabatan"] for e in events} == {11}
    assert import_records(factory, OUTBOX, {"positions": [position(kelas_jabatan="11")]})["events"] == 0


def test_deactivating_an_employee_is_an_update_with_its_events(factory):
    seed(factory)
    report = import_records(factory, OUTBOX, {"employees": [employee(STAFF, STAFF_NIK, MID, status="inactive")]})

    assert report["counts"]["employees"] == {"created": 0, "updated": 1, "unchanged": 0, "rejected": 0}
    new = outbox_events(factory)[7:]
    assert [e["type"] for e in new] == ["ekinerja.employee.upserted.v1", "ekinerja.employee.deactivated.v1"]
    assert stored_employee(factory, STAFF)["status"] == "inactive"


def test_pppk_employee_is_imported(factory):
    seed(factory)
    report = import_records(factory, OUTBOX, {"employees": [
        employee(PPPK, PPPK_NIK, MID, employment_type="PPPK", golongan="IX")]})
    assert report["counts"]["employees"]["created"] == 1
    assert stored_employee(factory, PPPK)["employment_type"] == "PPPK"


def test_nik_nip_mismatch_is_stored_with_a_warning(factory):
    seed(factory)
    report = import_records(factory, OUTBOX, {"employees": [
        employee(PPPK, "3171010201900003", MID, employment_type="PPPK", golongan="IX")]})  # NIK born 02-01-90
    assert report["rejected"] == 0
    assert [(w["record"], w["row"], w["key"], w["field"], w["rule"]) for w in report["warnings"]] == \
        [("employees", 1, PPPK, "nik", "nik-nip-birth-date")]
    assert stored_employee(factory, PPPK) is not None


# --- bad rows --------------------------------------------------------------------------------

def test_mixed_payload_stores_good_rows_and_reports_each_bad_one(factory):
    payload = base_payload()
    payload["units"].append(unit("u-orphan", "u-missing"))
    payload["positions"].append(position("p2", kelas_jabatan="30"))
    payload["employees"] += [
        employee(PPPK, PPPK_NIK, HEAD, employment_type="PPPK", golongan="IX", unit_id="u-missing"),  # row 4
        employee("198811112016031001", "3171011111880001", HEAD, email="not-an-email"),  # row 5
    ]

    report = import_records(factory, OUTBOX, payload)

    assert sorted(errors_of(report)) == sorted([
        ("units", 3, "u-orphan", "parent_id", "exists"),
        ("positions", 2, "p2", "kelas_jabatan", "range-1-27"),
        ("employees", 4, PPPK, "unit_id", "exists"),
        ("employees", 5, "198811112016031001", "email", "email-format"),
    ])
    for error in report["errors"]:
        assert error["detail"] and error["detail_id"]
    assert report["rejected"] == 4
    assert report["counts"]["employees"] == {"created": 3, "updated": 0, "unchanged": 0, "rejected": 2}
    assert report["counts"]["units"] == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 1}
    assert report["counts"]["positions"] == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 1}

    # good rows stored, bad rows leave no trace: no row, no event
    assert count(factory, employees) == 3
    assert count(factory, units) == 2
    assert count(factory, positions) == 1
    assert stored_employee(factory, PPPK) is None
    assert stored_employee(factory, "198811112016031001") is None
    events = outbox_events(factory)
    subjects = {e["subject"] for e in events}
    assert PPPK not in subjects and "198811112016031001" not in subjects and "u-orphan" not in subjects
    assert report["events"] == len(events) == 7


def import_with_a_row_failing_midway(factory):
    """PPPK's row is written, its first event added, then its second event hits a constraint (a test trigger)."""
    seed(factory)
    with factory() as session, session.begin():
        session.execute(text(
            "CREATE TRIGGER refuse_pppk_supervisor BEFORE INSERT ON outbox "
            f"WHEN NEW.type = 'ekinerja.supervisor.changed.v1' AND NEW.body LIKE '%{PPPK}%' "
            "BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END"))
    events_before = len(outbox_events(factory))
    report = import_records(factory, OUTBOX, {"employees": [
        employee(PPPK, PPPK_NIK, MID, employment_type="PPPK", golongan="IX"),
        employee("198811112016031001", "3171011111880001", MID),
    ]})
    return report, outbox_events(factory)[events_before:]


def test_row_failing_after_it_was_written_is_undone_whole(factory):
    report, new_events = import_with_a_row_failing_midway(factory)

    assert errors_of(report) == [("employees", 1, PPPK, "*", "conflict")]
    assert report["counts"]["employees"] == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 1}
    assert stored_employee(factory, PPPK) is None
    assert stored_employee(factory, "198811112016031001") is not None
    assert {e["subject"] for e in new_events} == {"198811112016031001"}
    assert [e["type"] for e in new_events] == ["ekinerja.employee.upserted.v1", "ekinerja.supervisor.changed.v1"]


def test_report_counts_only_the_events_actually_written(factory):
    report, new_events = import_with_a_row_failing_midway(factory)
    assert report["events"] == len(new_events) == 2


def test_employee_whose_supervisor_was_rejected_is_rejected_too(factory):
    seed(factory)
    report = import_records(factory, OUTBOX, {"employees": [
        employee("198811112016031001", "3171011111880001", None, email="bad"),
        employee(PPPK, PPPK_NIK, "198811112016031001", employment_type="PPPK", golongan="IX"),
    ]})
    assert errors_of(report) == [
        ("employees", 1, "198811112016031001", "email", "email-format"),
        ("employees", 2, PPPK, "supervisor_nip", "exists"),
    ]
    assert stored_employee(factory, PPPK) is None


def test_supervisor_cycle_through_stored_data_is_refused(factory):
    seed(factory)  # HEAD <- MID <- STAFF
    events_before = len(outbox_events(factory))

    report = import_records(factory, OUTBOX, {"employees": [employee(HEAD, HEAD_NIK, STAFF, unit_id="u-root")]})

    assert errors_of(report) == [("employees", 1, HEAD, "supervisor_nip", "no-cycle")]
    assert report["counts"]["employees"]["updated"] == 0
    assert stored_employee(factory, HEAD)["supervisor_nip"] is None
    assert len(outbox_events(factory)) == events_before


def test_supervisor_loop_within_the_file_is_refused(factory):
    seed(factory)
    report = import_records(factory, OUTBOX, {"employees": [
        employee(PPPK, PPPK_NIK, "198811112016031001", employment_type="PPPK", golongan="IX"),
        employee("198811112016031001", "3171011111880001", PPPK),
    ]})
    assert errors_of(report) == [
        ("employees", 1, PPPK, "supervisor_nip", "no-cycle"),
        ("employees", 2, "198811112016031001", "supervisor_nip", "no-cycle"),
    ]
    assert count(factory, employees) == 3


def test_unit_tree_cycle_through_stored_data_is_refused(factory):
    seed(factory)  # u-root <- u-child
    report = import_records(factory, OUTBOX, {"units": [unit("u-root", "u-child")]})
    assert errors_of(report) == [("units", 1, "u-root", "parent_id", "no-cycle")]
    with factory() as session:
        assert session.execute(select(units.c.parent_id).where(units.c.id == "u-root")).scalar() is None


def test_duplicate_nip_in_one_file_is_refused(factory):
    seed(factory)
    report = import_records(factory, OUTBOX, {"employees": [
        employee(PPPK, PPPK_NIK, None, employment_type="PPPK", golongan="IX", name="First"),
        employee(PPPK, PPPK_NIK, None, employment_type="PPPK", golongan="IX", name="Second"),
    ]})
    assert errors_of(report) == [("employees", 2, PPPK, "nip", "unique-in-file")]
    assert report["counts"]["employees"] == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 1}
    assert stored_employee(factory, PPPK)["name"] == "First"


def test_duplicate_nip_differing_only_by_spaces_is_refused(factory):
    seed(factory)
    report = import_records(factory, OUTBOX, {"employees": [
        employee(PPPK, PPPK_NIK, None, employment_type="PPPK", golongan="IX", name="First"),
        employee(f" {PPPK} ", PPPK_NIK, None, employment_type="PPPK", golongan="IX", name="Second",
                 email="second@example.go.id"),
    ]})
    assert [(e["row"], e["rule"]) for e in report["errors"]] == [(2, "unique-in-file")]
    assert stored_employee(factory, PPPK)["name"] == "First"


def test_duplicate_unit_in_one_file_is_refused(factory):
    report = import_records(factory, OUTBOX, {"agencies": [agency()],
                                              "units": [unit("u1"), unit("u1", name="Other")]})
    assert errors_of(report) == [("units", 2, "u1", "id", "unique-in-file")]


def test_nik_already_used_by_another_nip_is_refused(factory):
    seed(factory)
    report = import_records(factory, OUTBOX, {"employees": [
        employee(PPPK, STAFF_NIK, MID, employment_type="PPPK", golongan="IX")]})
    assert errors_of(report) == [("employees", 1, PPPK, "nik", "unique")]
    assert stored_employee(factory, PPPK) is None
    assert count(factory, employees) == 3


def test_same_nik_twice_in_one_file_keeps_only_the_first(factory):
    seed(factory)
    report = import_records(factory, OUTBOX, {"employees": [
        employee(PPPK, PPPK_NIK, None, employment_type="PPPK", golongan="IX"),
        employee("198811112016031001", PPPK_NIK, None),
    ]})
    assert errors_of(report) == [("employees", 2, "198811112016031001", "nik", "unique")]
    assert stored_employee(factory, "198811112016031001") is None


def test_links_to_another_agency_are_refused(factory):
    seed(factory)
    report = import_records(factory, OUTBOX, {
        "agencies": [agency("ag2", name="Pemda Contoh", kind="daerah")],
        "employees": [employee(PPPK, PPPK_NIK, None, agency_id="ag2", employment_type="PPPK", golongan="IX")],
    })
    assert errors_of(report) == [("employees", 1, PPPK, "unit_id", "same-agency")]


def test_nip_with_a_non_ascii_digit_is_one_bad_row_not_a_failed_import(factory):
    seed(factory)
    report = import_records(factory, OUTBOX, {"employees": [
        employee(PPPK, PPPK_NIK, None, employment_type="PPPK", golongan="IX"),
        employee("²98811112016031001", "3171011111880001", None),
    ]})
    assert errors_of(report) == [("employees", 2, "²98811112016031001", "nip", "nip-18-digits")]
    assert stored_employee(factory, PPPK) is not None


# --- a payload that is not an import ---------------------------------------------------------

@pytest.mark.parametrize("payload", [
    None,
    [],
    "employees",
    {},
    {"pegawai": []},
    {"employees": "not a list"},
    {"employees": ["not an object"]},
    {"agencies": [agency()], "units": {"id": "u1"}},
])
def test_payload_that_is_not_an_object_with_known_keys_is_a_422(factory, payload):
    with pytest.raises(DomainError) as info:
        import_records(factory, OUTBOX, payload)
    assert info.value.status == 422
    assert info.value.errors and info.value.errors[0].rule in {"has-records", "list-of-objects"}
    assert count(factory, agencies) == 0
    assert outbox_events(factory) == []


# --- acting officials (PLT/PLH): stored and announced once, bad rows refused whole ----------------

def plh(**changes):
    return {"id": "act-1", "agency_id": "ag1", "unit_id": "u-root", "position_id": "p-head", "nip": MID, "kind": "PLH",
            "start_date": "2026-05-01", "end_date": "2026-05-10", **changes}


@pytest.fixture
def world(factory, import_master_data):
    payload = base_payload()
    payload["positions"].append(position("p-head", name="Kepala Biro", kind="struktural"))
    payload["employees"][2]["position_id"] = "p-head"  # HEAD holds p-head
    import_master_data(payload)
    return factory


def _acting_events(factory):
    return [e for e in outbox_events(factory) if e["type"] == "ekinerja.acting.assigned.v1"]


def test_an_acting_official_is_stored_and_announced_once(world):
    report = import_records(world, OUTBOX, {"acting": [plh()]})
    assert report["counts"]["acting"]["created"] == 1 and report["rejected"] == 0
    events = _acting_events(world)
    assert [e["data"] for e in events] == [{"id": "act-1", "agency_id": "ag1", "unit_id": "u-root",
                                            "position_id": "p-head", "nip": MID,
                                            "kind": "PLH", "start_date": "2026-05-01", "end_date": "2026-05-10"}]
    again = import_records(world, OUTBOX, {"acting": [plh()]})
    assert again["counts"]["acting"]["unchanged"] == 1 and len(_acting_events(world)) == 1


def test_ending_an_assignment_early_is_announced(world):
    import_records(world, OUTBOX, {"acting": [plh()]})
    report = import_records(world, OUTBOX, {"acting": [plh(end_date="2026-05-03")]})
    assert report["counts"]["acting"]["updated"] == 1
    assert _acting_events(world)[-1]["data"]["end_date"] == "2026-05-03"


@pytest.mark.parametrize("changes, field, rule", [
    ({"end_date": "2026-04-30"}, "end_date", "not-before-start"),
    ({"start_date": "1 Mei 2026"}, "start_date", "date-format"),
    ({"kind": "PJ"}, "kind", "one-of"),
    ({"position_id": "nope"}, "position_id", "exists"),
    ({"unit_id": "nope"}, "unit_id", "exists"),
    ({"nip": "199901012020011999"}, "nip", "exists"),
    ({"nip": HEAD}, "nip", "not-holder"),
    ({"nip": "12345"}, "nip", None),
])
def test_a_bad_acting_row_is_refused_whole_and_names_the_field(world, changes, field, rule):
    report = import_records(world, OUTBOX, {"acting": [plh(**changes)]})
    assert report["counts"]["acting"]["rejected"] == 1
    assert any(e["field"] == field and (rule is None or e["rule"] == rule) for e in report["errors"]), report
    assert count(world, acting) == 0 and _acting_events(world) == []


def test_an_inactive_employee_cannot_act(world):
    payload = base_payload()
    payload["employees"] = [dict(payload["employees"][0], status="inactive")]
    import_records(world, OUTBOX, payload)
    report = import_records(world, OUTBOX, {"acting": [plh(nip=STAFF)]})
    assert [(e["field"], e["rule"]) for e in report["errors"]] == [("nip", "active")]


# --- announcing everything again (a consumer that joined late) --------------------------------------

def test_announce_repeats_the_current_data_as_the_import_announced_it(factory):
    from sync.announce import announce

    assert import_records(factory, OUTBOX, base_payload())["rejected"] == 0
    first = {(e["type"], e["subject"]): e["data"] for e in outbox_events(factory)}
    before = len(outbox_events(factory))

    counts = announce(factory, OUTBOX)

    again = outbox_events(factory)[before:]
    assert counts == {"units": 2, "employees": 3, "acting": 0}
    assert sorted(e["type"] for e in again) == ["ekinerja.employee.upserted.v1"] * 3 + ["ekinerja.unit.upserted.v1"] * 2
    assert all(e["data"] == first[(e["type"], e["subject"])] for e in again)  # the same facts, new event ids
    assert announce(factory, OUTBOX, agency_id="another-agency") == {"units": 0, "employees": 0, "acting": 0}
