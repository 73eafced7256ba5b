"""Roles and master-data login blockers (identity.domain.accounts)."""

import dataclasses

import pytest

from identity.domain.accounts import Account, UnitInfo, login_blockers, roles

NIP = "198609262015051001"
NIK = "3171012609860001"
HEALTHY = Account(nip=NIP, nik=NIK, name="Budi", email="budi@example.go.id", status="active", agency_id="A1",
                  unit_id="U2", position_id="J1", supervisor_nip="197001012000011001")
UNIT = UnitInfo(id="U2", parent_id="U1")
ROOT = UnitInfo(id="U1", parent_id=None)
SCHOOL = UnitInfo(id="S1", parent_id="U1", kind="sekolah")


def account(**changes):
    return dataclasses.replace(HEALTHY, **changes)


def codes(acc, unit=UNIT):
    return [p.code for p in login_blockers(acc, unit)]


def only(acc, unit=UNIT):
    found = login_blockers(acc, unit)
    assert len(found) == 1, [p.code for p in found]
    return found[0]


# --- roles -----------------------------------------------------------------------------------

def test_pegawai_always():
    assert roles(HEALTHY, False) == ["pegawai"]


def test_atasan_with_subordinates():
    assert roles(HEALTHY, True) == ["pegawai", "atasan"]


def test_extra_roles_from_the_allowed_list():
    acc = account(extra_roles=("kepala_sekolah", "admin_instansi"))
    result = roles(acc, True)
    assert result[:2] == ["pegawai", "atasan"]
    assert set(result[2:]) == {"kepala_sekolah", "admin_instansi"}


def test_all_allowed_extra_roles():
    acc = account(extra_roles=("admin_instansi", "admin_nasional", "kepala_sekolah"))
    assert set(roles(acc, False)) == {"pegawai", "admin_instansi", "admin_nasional", "kepala_sekolah"}


def test_unknown_extra_roles_are_dropped():
    acc = account(extra_roles=("superuser", "root", "atasan", "ADMIN_NASIONAL", "admin_instansi"))
    assert roles(acc, False) == ["pegawai", "admin_instansi"]


def test_atasan_cannot_be_granted_as_an_extra_role():
    assert "atasan" not in roles(account(extra_roles=("atasan",)), False)


# --- login_blockers --------------------------------------------------------------------------

def test_healthy_account_in_a_non_root_unit_has_no_blocker():
    assert login_blockers(HEALTHY, UNIT) == []


def test_healthy_account_in_a_school_has_no_blocker():
    assert login_blockers(HEALTHY, SCHOOL) == []


@pytest.mark.parametrize("nik", [None, "", "317101260986000", "31710126098600011", "317101260986000X",
                                 "3171 01260986000", "３１７１０１２６０９８６０００１"])
def test_missing_or_bad_nik(nik):
    problem = only(account(nik=nik))
    assert problem.code == "nik-not-matched"
    assert "Not an Active Civil Servant" in problem.detail
    assert "Bukan ASN Aktif" in problem.detail_id
    assert "MyASN" in problem.extra["fixed_by"]


def test_inactive_account():
    problem = only(account(status="retired"))
    assert problem.code == "account-inactive"


@pytest.mark.parametrize("changes, unit", [
    ({"unit_id": None}, UNIT),
    ({"position_id": None}, UNIT),
    ({"unit_id": None, "position_id": None}, None),
    ({}, None),  # the unit id points at a unit that is not known
], ids=["no-unit", "no-position", "neither", "unknown-unit"])
def test_no_unit_or_position(changes, unit):
    problem = only(account(**changes), unit)
    assert problem.code == "no-unit-position"


def test_no_supervisor_in_a_non_root_unit():
    problem = only(account(supervisor_nip=None), UNIT)
    assert problem.code == "no-supervisor"
    assert "admin instansi" in problem.extra["fixed_by"]


def test_top_official_in_a_root_unit_needs_no_supervisor():
    assert login_blockers(account(supervisor_nip=None), ROOT) == []


def test_every_cause_is_reported_most_fundamental_first():
    acc = account(nik=None, status="inactive", position_id=None)
    assert codes(acc) == ["nik-not-matched", "account-inactive", "no-unit-position"]


def test_no_supervisor_is_not_reported_without_a_unit():
    assert codes(account(supervisor_nip=None, unit_id=None), None) == ["no-unit-position"]


def test_school_no_supervisor_names_kepala_sekolah_and_school_operator():
    problem = only(account(supervisor_nip=None), SCHOOL)
    assert problem.code == "no-supervisor"
    fixed_by, fixed_by_id = problem.extra["fixed_by"], problem.extra["fixed_by_id"]
    assert "kepala sekolah" in fixed_by
    assert "data operator" in fixed_by
    assert "kepala sekolah" in fixed_by_id
    assert "operator data sekolah" in fixed_by_id


@pytest.mark.parametrize("changes", [{"status": "inactive"}, {"position_id": None}, {"nik": None}],
                         ids=["inactive", "no-position", "no-nik"])
def test_school_problems_name_the_school_data_operator(changes):
    problem = only(account(**changes), SCHOOL)
    assert "school's data operator" in problem.extra["fixed_by"]
    assert "operator data sekolah" in problem.extra["fixed_by_id"]


def test_non_school_problems_name_the_agency_admin_not_a_school():
    problem = only(account(status="inactive"), UNIT)
    assert "BKD/BKPSDM" in problem.extra["fixed_by"]
    assert "sekolah" not in problem.extra["fixed_by"]
    assert "sekolah" not in problem.extra["fixed_by_id"]


CASES = [
    (account(nik=None), UNIT),
    (account(status="inactive"), UNIT),
    (account(unit_id=None), UNIT),
    (HEALTHY, None),
    (account(supervisor_nip=None), UNIT),
    (account(supervisor_nip=None), SCHOOL),
    (account(status="inactive"), SCHOOL),
]


@pytest.mark.parametrize("acc, unit", CASES)
def test_every_problem_is_403_bilingual_and_says_who_fixes_it(acc, unit):
    found = login_blockers(acc, unit)
    assert found
    for problem in found:
        assert problem.status == 403
        assert problem.detail and problem.detail_id and problem.detail != problem.detail_id
        assert "Who can fix it:" in problem.detail
        assert "Yang dapat memperbaiki:" in problem.detail_id
        doc = problem.to_problem()
        assert doc["status"] == 403
        assert doc["fixed_by"] and doc["fixed_by_id"]
        assert doc["fixed_by"] in doc["detail"]
        assert doc["fixed_by_id"] in doc["detail_id"]
