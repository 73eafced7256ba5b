"""Only real changes of master data announce events."""

from dataclasses import replace

from sync.domain.changes import employee_events, position_events, unit_events
from sync.domain.model import Employee, Position, Unit

BOSS = "197001012000031001"
OTHER_BOSS = "198002142005042002"

EMPLOYEE = Employee(
    nip="198609262015051001", nik="3171012609860001", name="Budi Santoso", email="budi@example.go.id",
    employment_type="PNS", status="active", golongan="III/a", agency_id="ag1", unit_id="u1",
    position_id="p1", supervisor_nip=None, roles=("admin_instansi",))


def names(events):
    return [name for name, _ in events]


def test_identical_employee_announces_nothing():
    assert employee_events(EMPLOYEE, replace(EMPLOYEE)) == []


def test_new_employee_without_supervisor_is_only_upserted():
    events = employee_events(None, EMPLOYEE)
    assert names(events) == ["employee.upserted"]
    data = events[0][1]
    assert data["nip"] == EMPLOYEE.nip
    assert data["roles"] == ["admin_instansi"]  # a list, plain JSON
    assert data == {**EMPLOYEE.to_dict(), "position": None}  # no position snapshot given


def test_new_employee_with_supervisor_also_announces_the_supervisor():
    new = replace(EMPLOYEE, supervisor_nip=BOSS)
    events = employee_events(None, new)
    assert names(events) == ["employee.upserted", "supervisor.changed"]
    assert events[1][1] == {"nip": new.nip, "agency_id": "ag1", "previous_supervisor_nip": None,
                            "supervisor_nip": BOSS}


def test_changed_field_is_upserted_only():
    events = employee_events(EMPLOYEE, replace(EMPLOYEE, golongan="III/b"))
    assert names(events) == ["employee.upserted"]
    assert events[0][1]["golongan"] == "III/b"


def test_deactivation_announces_upserted_and_deactivated():
    events = employee_events(EMPLOYEE, replace(EMPLOYEE, status="inactive"))
    assert names(events) == ["employee.upserted", "employee.deactivated"]
    assert events[1][1] == {"nip": EMPLOYEE.nip, "agency_id": "ag1"}


def test_reactivation_is_not_a_deactivation():
    inactive = replace(EMPLOYEE, status="inactive")
    assert names(employee_events(inactive, EMPLOYEE)) == ["employee.upserted"]


def test_new_inactive_employee_is_not_announced_as_deactivated():
    assert names(employee_events(None, replace(EMPLOYEE, status="inactive"))) == ["employee.upserted"]


def test_supervisor_change_carries_previous_and_new():
    old = replace(EMPLOYEE, supervisor_nip=BOSS)
    new = replace(EMPLOYEE, supervisor_nip=OTHER_BOSS)
    events = employee_events(old, new)
    assert names(events) == ["employee.upserted", "supervisor.changed"]
    assert events[1][1] == {"nip": EMPLOYEE.nip, "agency_id": "ag1", "previous_supervisor_nip": BOSS,
                            "supervisor_nip": OTHER_BOSS}


def test_supervisor_removed_is_announced_with_none():
    events = employee_events(replace(EMPLOYEE, supervisor_nip=BOSS), EMPLOYEE)
    assert events[-1] == ("supervisor.changed", {"nip": EMPLOYEE.nip, "agency_id": "ag1",
                                                 "previous_supervisor_nip": BOSS, "supervisor_nip": None})


def test_deactivation_and_supervisor_change_together():
    old = replace(EMPLOYEE, supervisor_nip=BOSS)
    new = replace(EMPLOYEE, supervisor_nip=None, status="inactive")
    assert names(employee_events(old, new)) == ["employee.upserted", "employee.deactivated", "supervisor.changed"]


UNIT = Unit("u2", "ag1", "u1", "Bagian Umum", "unit")


def test_identical_unit_announces_nothing():
    assert unit_events(UNIT, Unit("u2", "ag1", "u1", "Bagian Umum", "unit")) == []


def test_new_unit_is_upserted():
    assert unit_events(None, UNIT) == [("unit.upserted", {"id": "u2", "agency_id": "ag1", "parent_id": "u1",
                                                          "name": "Bagian Umum", "kind": "unit"})]


def test_moved_unit_is_upserted_with_its_new_parent():
    events = unit_events(UNIT, replace(UNIT, parent_id="u9"))
    assert names(events) == ["unit.upserted"]
    assert events[0][1]["parent_id"] == "u9"


def test_renamed_unit_is_upserted_with_its_new_name():
    events = unit_events(UNIT, replace(UNIT, name="Bagian Umum dan Keuangan"))
    assert events[0][1]["name"] == "Bagian Umum dan Keuangan"


def test_upserted_event_carries_the_position_snapshot():
    snapshot = {"id": "p1", "name": "Analis", "kind": "fungsional", "jenjang": "Ahli Muda", "kelas_jabatan": 9}

    events = employee_events(None, EMPLOYEE, snapshot)

    assert events[0][0] == "employee.upserted" and events[0][1]["position"] == snapshot


POSITION = Position("p1", "ag1", "Analis", "fungsional", "Ahli Muda", 9)
HOLDERS = [EMPLOYEE, replace(EMPLOYEE, nip=BOSS, nik="3171010101700001", roles=())]


def test_a_regraded_position_announces_each_holder_with_the_new_snapshot():
    regraded = replace(POSITION, kelas_jabatan=11)

    events = position_events(POSITION, regraded, HOLDERS)

    assert names(events) == ["employee.upserted", "employee.upserted"]
    assert [data["nip"] for _, data in events] == [EMPLOYEE.nip, BOSS]
    assert all(data["position"] == regraded.snapshot() and data["position"]["kelas_jabatan"] == 11
               for _, data in events)
    assert events[0][1] == {**EMPLOYEE.to_dict(), "position": regraded.snapshot()}


def test_a_renamed_position_announces_its_holders():
    events = position_events(POSITION, replace(POSITION, name="Analis SDM Aparatur"), HOLDERS[:1])
    assert events[0][1]["position"]["name"] == "Analis SDM Aparatur"


def test_a_new_or_unchanged_position_announces_nobody():
    assert position_events(None, POSITION, HOLDERS) == []
    assert position_events(POSITION, replace(POSITION), HOLDERS) == []


def test_a_position_without_holders_announces_nothing():
    assert position_events(POSITION, replace(POSITION, kelas_jabatan=11), []) == []
