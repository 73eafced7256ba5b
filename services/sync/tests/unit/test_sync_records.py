"""One imported row -> model object, or the list of broken rules."""

import pytest

from sync.domain.model import Employee, Position, Unit
from sync.domain.records import RowErrors, parse_agency, parse_employee, parse_position, parse_unit

PNS_NIP = "198609262015051001"
PNS_NIK = "3171012609860001"
PPPK_NIP = "199001012022211001"
PPPK_NIK = "3171010101900003"
BOSS_NIP = "197001012000031001"


def pns_row(**changes):
    row = {"nip": PNS_NIP, "nik": PNS_NIK, "name": "Budi Santoso", "email": "budi@example.go.id",
           "employment_type": "PNS", "golongan": "III/a", "agency_id": "ag1", "unit_id": "u1",
           "position_id": "p1", "supervisor_nip": BOSS_NIP}
    row.update(changes)
    return row


def pppk_row(**changes):
    row = {"nip": PPPK_NIP, "nik": PPPK_NIK, "name": "Siti Aminah", "email": "siti@example.go.id",
           "employment_type": "PPPK", "golongan": "IX", "agency_id": "ag1"}
    row.update(changes)
    return row


def broken(parse, row):
    with pytest.raises(RowErrors) as info:
        parse(row)
    return [(e.field, e.rule) for e in info.value.errors]


# --- employees -------------------------------------------------------------------------------

def test_pns_row_becomes_an_employee_without_warnings():
    employee, warnings = parse_employee(pns_row())
    assert employee == Employee(
        nip=PNS_NIP, nik=PNS_NIK, name="Budi Santoso", email="budi@example.go.id", employment_type="PNS",
        status="active", golongan="III/a", agency_id="ag1", unit_id="u1", position_id="p1",
        supervisor_nip=BOSS_NIP, roles=())
    assert warnings == []


def test_pppk_row_becomes_an_employee_with_optional_links_empty():
    employee, warnings = parse_employee(pppk_row())
    assert employee.employment_type == "PPPK"
    assert employee.golongan == "IX"
    assert (employee.unit_id, employee.position_id, employee.supervisor_nip) == (None, None, None)
    assert employee.status == "active"
    assert warnings == []


def test_text_is_trimmed_and_blank_optional_fields_become_none():
    employee, _ = parse_employee(pns_row(name="  Budi Santoso  ", nip=f" {PNS_NIP} ", unit_id="  ",
                                         supervisor_nip=""))
    assert employee.name == "Budi Santoso"
    assert employee.nip == PNS_NIP
    assert employee.unit_id is None
    assert employee.supervisor_nip is None


def test_roles_from_a_csv_string_are_split_deduplicated_and_sorted():
    employee, _ = parse_employee(pns_row(roles="kepala_sekolah; admin_instansi,kepala_sekolah"))
    assert employee.roles == ("admin_instansi", "kepala_sekolah")


@pytest.mark.parametrize("field", ["name", "nip", "nik", "email", "golongan", "agency_id", "employment_type"])
def test_missing_required_field_is_reported_as_required(field):
    assert (field, "required") in broken(parse_employee, pns_row(**{field: None}))


def test_missing_name_is_the_only_error_when_the_rest_is_fine():
    assert broken(parse_employee, pns_row(name="   ")) == [("name", "required")]


def test_all_broken_rules_of_a_row_are_reported_together():
    errors = broken(parse_employee, pns_row(name="", email="nope", golongan="III/f"))
    assert set(errors) == {("name", "required"), ("email", "email-format"), ("golongan", "golongan-format")}


@pytest.mark.parametrize("email", ["budi", "budi@", "budi@example", "bu di@example.go.id", "@example.go.id"])
def test_bad_email_is_rejected(email):
    assert broken(parse_employee, pns_row(email=email)) == [("email", "email-format")]


def test_bad_nip_is_reported_on_the_nip_field_with_its_rule():
    assert broken(parse_employee, pns_row(nip="198602302015051001")) == [("nip", "date")]


def test_bad_nik_is_reported_on_the_nik_field():
    assert broken(parse_employee, pns_row(nik="3171013002860001")) == [("nik", "date")]


def test_pns_employment_type_with_a_pppk_nip_is_rejected():
    assert broken(parse_employee, pppk_row(employment_type="PNS", golongan="III/a")) == \
        [("employment_type", "matches-nip")]


def test_pppk_employment_type_with_a_pns_nip_is_rejected():
    assert broken(parse_employee, pns_row(employment_type="PPPK", golongan="IX")) == \
        [("employment_type", "matches-nip")]


def test_unknown_employment_type_is_one_of():
    assert ("employment_type", "one-of") in broken(parse_employee, pns_row(employment_type="honorer"))


@pytest.mark.parametrize("golongan", ["III/f", "V/a", "iii/a", "III", "IX"])
def test_bad_pns_golongan_is_rejected(golongan):
    assert broken(parse_employee, pns_row(golongan=golongan)) == [("golongan", "golongan-format")]


@pytest.mark.parametrize("golongan", ["I/a", "II/d", "III/d", "IV/e"])
def test_valid_pns_golongan_is_accepted(golongan):
    assert parse_employee(pns_row(golongan=golongan))[0].golongan == golongan


@pytest.mark.parametrize("golongan", ["I", "IX", "XVII"])
def test_valid_pppk_golongan_is_accepted(golongan):
    assert parse_employee(pppk_row(golongan=golongan))[0].golongan == golongan


@pytest.mark.parametrize("golongan", ["XVIII", "III/a", "0"])
def test_bad_pppk_golongan_is_rejected(golongan):
    assert broken(parse_employee, pppk_row(golongan=golongan)) == [("golongan", "golongan-format")]


def test_employee_cannot_supervise_themselves():
    assert broken(parse_employee, pns_row(supervisor_nip=PNS_NIP)) == [("supervisor_nip", "not-self")]


def test_unknown_role_is_rejected():
    assert broken(parse_employee, pns_row(roles=["admin_instansi", "superuser"])) == [("roles", "one-of")]


def test_unknown_status_is_rejected():
    assert broken(parse_employee, pns_row(status="retired")) == [("status", "one-of")]


def test_inactive_status_is_kept():
    assert parse_employee(pns_row(status="inactive"))[0].status == "inactive"


def test_nik_nip_birth_date_mismatch_is_a_warning_not_an_error():
    employee, warnings = parse_employee(pns_row(nik="3171012709860001"))  # 27-09-86 vs NIP 26-09-86
    assert employee.nik == "3171012709860001"
    assert [(w.field, w.rule) for w in warnings] == [("nik", "nik-nip-birth-date")]


def test_nik_nip_gender_mismatch_is_a_warning_not_an_error():
    employee, warnings = parse_employee(pns_row(nik="3171016609860001"))  # female NIK, male NIP
    assert employee.nip == PNS_NIP
    assert [(w.field, w.rule) for w in warnings] == [("nik", "nik-nip-gender")]


# --- agencies, units, positions --------------------------------------------------------------

def test_agency_row():
    agency = parse_agency({"id": "ag1", "name": "Kementerian Contoh", "kind": "pusat"})
    assert (agency.id, agency.name, agency.kind) == ("ag1", "Kementerian Contoh", "pusat")


def test_agency_kind_must_be_known():
    assert broken(parse_agency, {"id": "ag1", "name": "X", "kind": "swasta"}) == [("kind", "one-of")]


def test_unit_row_with_default_kind():
    unit = parse_unit({"id": "u2", "agency_id": "ag1", "parent_id": "u1", "name": "Bagian Umum"})
    assert unit == Unit("u2", "ag1", "u1", "Bagian Umum", "unit")


def test_unit_cannot_be_its_own_parent():
    assert broken(parse_unit, {"id": "u1", "agency_id": "ag1", "parent_id": "u1", "name": "X"}) == \
        [("parent_id", "not-self")]


def test_unit_kind_must_be_known():
    assert broken(parse_unit, {"id": "u1", "agency_id": "ag1", "name": "X", "kind": "desa"}) == [("kind", "one-of")]


def test_position_row_with_kelas_jabatan():
    position = parse_position({"id": "p1", "agency_id": "ag1", "name": "Analis", "kind": "fungsional",
                               "jenjang": "Ahli Muda", "kelas_jabatan": "9"})
    assert position == Position("p1", "ag1", "Analis", "fungsional", "Ahli Muda", 9)


@pytest.mark.parametrize("kelas", ["1", "27", 27])
def test_kelas_jabatan_bounds_are_accepted(kelas):
    position = parse_position({"id": "p1", "agency_id": "ag1", "name": "A", "kind": "pelaksana",
                               "kelas_jabatan": kelas})
    assert position.kelas_jabatan == int(kelas)


@pytest.mark.parametrize("kelas", ["0", "28", "-1", "9.5", "sembilan"])
def test_kelas_jabatan_out_of_range_is_rejected(kelas):
    row = {"id": "p1", "agency_id": "ag1", "name": "A", "kind": "pelaksana", "kelas_jabatan": kelas}
    assert broken(parse_position, row) == [("kelas_jabatan", "range-1-27")]


def test_position_kind_is_required():
    assert broken(parse_position, {"id": "p1", "agency_id": "ag1", "name": "A"}) == [("kind", "required")]
