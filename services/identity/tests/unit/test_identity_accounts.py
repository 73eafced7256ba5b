"""Roles, and the sign-in refusals taken from sync's diagnosis (identity.domain.accounts)."""

import dataclasses

import pytest

from identity.domain.accounts import Account, login_blockers, roles

NIP = "198609262015051001"
NIK = "3171012609860001"
HEALTHY = Account(nip=NIP, nik=NIK, name="Budi", email="budi@example.go.id", status="active", agency_id="A1",
                  unit_id="U2", position_id="J1", supervisor_nip="197001012000011001")


def account(**changes):
    return dataclasses.replace(HEALTHY, **changes)


def finding(code, check, status="problem", blocks=("login",), fixers=("employee", "admin_instansi"), **extra):
    """A finding as sync's diagnosis announces it in employee.diagnosed (Finding.to_dict)."""
    body = {"check": check, "status": status, "code": code, "detail": f"{code} detail.",
            "detail_id": f"{code} rincian.", "why": f"{code} matters.", "why_id": f"{code} penting.",
            "fixed_by": "; ".join(f"fixer {f}" for f in fixers),
            "fixed_by_id": "; ".join(f"perbaikan {f}" for f in fixers),
            "fixers": list(fixers), **extra}
    if blocks:
        body["blocks"] = list(blocks)
    return body


NIK_PROBLEM = finding("nik-not-matched", "nik")
INACTIVE = finding("account-inactive", "status", blocks=("login", "skp"), fixers=("admin_instansi",))
NO_UNIT = finding("no-unit-position", "unit-position", blocks=("skp",), missing=["unit"])
NO_SUPERVISOR = finding("no-supervisor", "supervisor", blocks=("skp",), fixers=("admin_instansi",))
PENILAI_MISSING = finding("penilai-missing", "supervisor-active", blocks=("skp",))
SUPERVISOR_SKP = finding("supervisor-skp-missing", "supervisor-skp", blocks=("skp",), fixers=("supervisor",))
NIK_WARNING = finding("nik-nip-mismatch", "nik", status="warning", blocks=(), rules=["birth-date"])
STAND_IN = finding("supervisor-inactive", "supervisor-active", status="warning", blocks=())


def codes(acc, findings=()):
    return [p.code for p in login_blockers(acc, findings)]


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


# --- login_blockers: the refusal comes from the diagnosis ----------------------------------------

def test_no_findings_no_blocker():
    assert login_blockers(HEALTHY, []) == []


def test_a_login_blocking_problem_is_the_refusal_with_the_findings_own_words():
    (problem,) = login_blockers(HEALTHY, [NIK_PROBLEM])
    assert problem.code == "nik-not-matched" and problem.status == 403
    assert problem.title == "Your master data blocks sign-in"
    assert problem.detail == ("nik-not-matched detail. nik-not-matched matters. "
                              "Who can fix it: fixer employee; fixer admin_instansi.")
    assert problem.detail_id == ("nik-not-matched rincian. nik-not-matched penting. "
                                 "Yang dapat memperbaiki: perbaikan employee; perbaikan admin_instansi.")
    assert problem.extra == {"fixed_by": NIK_PROBLEM["fixed_by"], "fixed_by_id": NIK_PROBLEM["fixed_by_id"],
                             "fixers": ["employee", "admin_instansi"], "finding": NIK_PROBLEM}


@pytest.mark.parametrize("f", [NO_UNIT, NO_SUPERVISOR, PENILAI_MISSING, SUPERVISOR_SKP],
                         ids=lambda f: f["code"])
def test_problems_that_block_only_the_skp_do_not_block_sign_in(f):
    assert login_blockers(HEALTHY, [f]) == []


@pytest.mark.parametrize("f", [NIK_WARNING, STAND_IN], ids=lambda f: f["code"])
def test_warnings_do_not_block_sign_in(f):
    assert login_blockers(HEALTHY, [f]) == []


def test_a_warning_that_says_login_still_does_not_block():
    assert login_blockers(HEALTHY, [{**NIK_WARNING, "blocks": ["login"]}]) == []


def test_a_finding_without_blocks_does_not_block():
    assert login_blockers(HEALTHY, [{k: v for k, v in NIK_PROBLEM.items() if k != "blocks"}]) == []


def test_only_login_blockers_are_kept_in_the_diagnosis_order():
    findings = [NIK_WARNING, NIK_PROBLEM, INACTIVE, NO_UNIT, NO_SUPERVISOR, SUPERVISOR_SKP]
    assert codes(account(status="retired"), findings) == ["nik-not-matched", "account-inactive"]
    assert codes(account(status="retired"), [INACTIVE, NIK_PROBLEM]) == ["account-inactive", "nik-not-matched"]


def test_an_employee_without_unit_or_supervisor_may_sign_in():
    acc = account(unit_id=None, position_id=None, supervisor_nip=None)
    assert login_blockers(acc, [NO_UNIT, SUPERVISOR_SKP]) == []


def test_identity_no_longer_judges_the_nik_itself():
    # The NIK is checked by sync's diagnosis; without a finding identity does not refuse.
    assert login_blockers(account(nik=None), []) == []
    assert login_blockers(account(nik="123"), []) == []


# --- the status backstop ------------------------------------------------------------------------

@pytest.mark.parametrize("status", ["inactive", "retired", "deceased"])
def test_an_inactive_account_is_refused_before_any_finding_arrives(status):
    (problem,) = login_blockers(account(status=status), [])
    assert problem.code == "account-inactive" and problem.status == 403
    assert f"'{status}'" in problem.detail and f"'{status}'" in problem.detail_id
    assert problem.extra["fixed_by"] == "the agency admin (BKD/BKPSDM)"
    assert problem.extra["fixed_by_id"] == "admin instansi (BKD/BKPSDM)"
    assert problem.extra["fixers"] == ["admin_instansi"]
    assert problem.extra["finding"]["code"] == "account-inactive"
    assert "Who can fix it: the agency admin (BKD/BKPSDM)." in problem.detail
    assert "Yang dapat memperbaiki: admin instansi (BKD/BKPSDM)." in problem.detail_id


def test_the_backstop_is_not_doubled_when_the_diagnosis_already_says_so():
    (problem,) = login_blockers(account(status="inactive"), [INACTIVE])
    assert problem.extra["finding"] == INACTIVE


def test_the_backstop_comes_after_the_findings_that_block_sign_in():
    assert codes(account(status="inactive"), [NIK_PROBLEM, NO_SUPERVISOR]) == ["nik-not-matched", "account-inactive"]


def test_the_backstop_also_applies_when_only_skp_problems_or_warnings_are_known():
    assert codes(account(status="inactive"), [NO_UNIT, NIK_WARNING]) == ["account-inactive"]


# --- every refusal ------------------------------------------------------------------------------

CASES = [
    (HEALTHY, [NIK_PROBLEM]),
    (account(status="inactive"), [INACTIVE]),
    (account(status="inactive"), []),
    (account(status="inactive"), [NIK_PROBLEM, NO_UNIT]),
]


@pytest.mark.parametrize("acc, findings", CASES)
def test_every_refusal_is_403_bilingual_and_says_who_fixes_it(acc, findings):
    found = login_blockers(acc, findings)
    assert found
    for problem in found:
        assert problem.status == 403
        assert problem.detail and problem.detail_id and problem.detail != problem.detail_id
        doc = problem.to_problem()
        assert doc["status"] == 403 and doc["title"] == "Your master data blocks sign-in"
        assert doc["fixed_by"] and doc["fixed_by_id"] and doc["fixers"]
        assert f"Who can fix it: {doc['fixed_by']}." in doc["detail"]
        assert f"Yang dapat memperbaiki: {doc['fixed_by_id']}." in doc["detail_id"]
        assert doc["finding"]["code"] == doc["code"]
