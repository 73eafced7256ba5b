"""Sync's diagnosis kept in identity (ekinerja.employee.diagnosed.v1) and the sign-in and activation
refusals taken from it, through identity's handlers on a real SQLite database."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ekinerja_kernel.caller import RequestContext
from ekinerja_kernel.errors import DomainError
from ekinerja_kernel.events import make_event
from identity import handlers
from identity import repository as repo
from identity.service import MASTERDATA
from identity.tables import audit_events, inbox, mail_queue, master_data_findings

NIP = "199001012015031001"
NIK = "3171010101900001"
EMAIL = "budi@uji.go.id"
PASSWORD = "Kinerja-Uji-2026"
CTX = RequestContext(ip="10.1.2.3", user_agent="pytest", request_id="req-1")

NIK_PROBLEM = {
    "check": "nik", "status": "problem", "code": "nik-not-matched",
    "detail": "Not an Active Civil Servant: the NIK in the civil-service registry is missing.",
    "detail_id": "Bukan ASN Aktif: NIK di data kepegawaian kosong.",
    "why": "Activation checks the NIK.", "why_id": "Aktivasi memeriksa NIK.",
    "fixed_by": "the employee, in MyASN; the agency admin (BKD/BKPSDM)",
    "fixed_by_id": "pegawai yang bersangkutan, di MyASN; admin instansi (BKD/BKPSDM)",
    "fixers": ["employee", "admin_instansi"], "blocks": ["login"]}
NO_SUPERVISOR = {
    "check": "supervisor", "status": "problem", "code": "no-supervisor",
    "detail": "No supervisor (pejabat penilai) is recorded.", "detail_id": "Atasan langsung belum tercatat.",
    "why": "Nobody can approve the SKP.", "why_id": "Tidak ada yang dapat menyetujui SKP.",
    "fixed_by": "the agency admin (BKD/BKPSDM)", "fixed_by_id": "admin instansi (BKD/BKPSDM)",
    "fixers": ["admin_instansi"], "blocks": ["skp"]}


def topic_matches(pattern: str, key: str) -> bool:
    """RabbitMQ topic matching: `*` is one word, `#` zero or more."""
    def match(p: list[str], k: list[str]) -> bool:
        if not p:
            return not k
        if p[0] == "#":
            return any(match(p[1:], k[i:]) for i in range(len(k) + 1))
        return bool(k) and p[0] in ("*", k[0]) and match(p[1:], k[1:])
    return match(pattern.split("."), key.split("."))


def upserted(status="active", **over):
    data = {"nip": NIP, "nik": NIK, "name": "Budi Santoso", "email": EMAIL, "status": status,
            "agency_id": "kemendemo", "unit_id": "kd-bag-eval", "position_id": "kd-prakom",
            "supervisor_nip": "197001012000011001", "roles": [], **over}
    return make_event("sync", "employee.upserted", NIP, data)


def diagnosed(checked_at, *findings):
    blocked = sorted({b for f in findings if f["status"] == "problem" for b in f.get("blocks", [])})
    return make_event("sync", "employee.diagnosed", NIP, {
        "nip": NIP, "agency_id": "kemendemo", "year": 2026, "checked_at": checked_at,
        "blocked": blocked, "findings": list(findings)})


@pytest.fixture
def factory(identity_db, set_password):
    handlers.on_masterdata_event(identity_db, upserted())
    set_password(NIP, PASSWORD, activated=False)
    return identity_db


def stored(factory):
    with factory() as s:
        return s.execute(select(master_data_findings)).mappings().all()


def login(factory, password=PASSWORD):
    return handlers.login(factory, CTX, NIP, password)


def refusal(call) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value


# --- the read-copy --------------------------------------------------------------------------------

def test_the_diagnosis_event_reaches_identitys_durable_queue():
    assert MASTERDATA.durable
    keys = [b.routing_key for b in MASTERDATA.bindings]
    assert any(topic_matches(k, "ekinerja.employee.diagnosed.v1") for k in keys), keys


def test_unit_events_are_no_longer_bound_and_a_stale_binding_is_harmless(factory):
    keys = [b.routing_key for b in MASTERDATA.bindings]
    assert not any(topic_matches(k, "ekinerja.unit.upserted.v1") for k in keys), keys
    unit = make_event("sync", "unit.upserted", "u1", {"id": "u1", "agency_id": "kemendemo", "parent_id": None,
                                                      "name": "Biro Umum", "kind": "unit"})

    handlers.on_masterdata_event(factory, unit)  # an older release's binding still delivers these

    with factory() as s:
        assert s.execute(select(inbox.c.event_id).where(inbox.c.event_id == unit["id"])).scalars().all() \
            == [unit["id"]]
    assert login(factory)["status"] == "authenticated"


def test_findings_are_stored_from_the_event(factory):
    handlers.on_masterdata_event(factory, diagnosed("2026-11-23T07:00:00+00:00", NIK_PROBLEM, NO_SUPERVISOR))

    (row,) = stored(factory)
    assert row["nip"] == NIP and row["agency_id"] == "kemendemo"
    assert row["blocked"] == ["login", "skp"]
    assert row["findings"] == [NIK_PROBLEM, NO_SUPERVISOR]
    with factory() as s:
        assert repo.findings(s, NIP) == [NIK_PROBLEM, NO_SUPERVISOR]
        assert repo.findings(s, "198001012005011001") == []


def test_a_newer_diagnosis_replaces_the_findings_even_with_none(factory):
    handlers.on_masterdata_event(factory, diagnosed("2026-11-23T07:00:00+00:00", NIK_PROBLEM))
    handlers.on_masterdata_event(factory, diagnosed("2026-11-23T08:00:00Z"))

    (row,) = stored(factory)
    assert row["findings"] == [] and row["blocked"] == []


def test_an_older_diagnosis_arriving_late_is_ignored(factory):
    handlers.on_masterdata_event(factory, diagnosed("2026-11-23T08:00:00+00:00"))
    # 07:30 in Jakarta is 00:30 UTC: older, whatever the offset it is written with.
    handlers.on_masterdata_event(factory, diagnosed("2026-11-23T07:30:00+07:00", NIK_PROBLEM))

    (row,) = stored(factory)
    assert row["findings"] == []
    with factory() as s:
        assert s.execute(select(inbox.c.type)).scalars().all().count("ekinerja.employee.diagnosed.v1") == 2


def test_a_duplicate_delivery_is_ignored(factory):
    first = diagnosed("2026-11-23T07:00:00+00:00", NIK_PROBLEM)
    handlers.on_masterdata_event(factory, first)
    # The same event id again is not processed again, even if it looked newer (the inbox decides first).
    again = {**first, "data": {**first["data"], "checked_at": "2026-11-23T09:00:00+00:00", "findings": []}}
    handlers.on_masterdata_event(factory, again)

    (row,) = stored(factory)
    assert row["findings"] == [NIK_PROBLEM]
    with factory() as s:
        assert s.execute(select(inbox.c.event_id).where(inbox.c.event_id == first["id"])).scalars().all() \
            == [first["id"]]


# --- sign-in ----------------------------------------------------------------------------------------

def test_sign_in_is_refused_with_the_diagnosis_own_finding(factory):
    handlers.on_masterdata_event(factory, diagnosed("2026-11-23T07:00:00+00:00", NIK_PROBLEM, NO_SUPERVISOR))

    problem = refusal(lambda: login(factory)).to_problem()
    assert problem["status"] == 403 and problem["code"] == "nik-not-matched"
    assert problem["title"] == "Your master data blocks sign-in"
    assert problem["detail"] == (f"{NIK_PROBLEM['detail']} {NIK_PROBLEM['why']} "
                                 f"Who can fix it: {NIK_PROBLEM['fixed_by']}.")
    assert problem["detail_id"] == (f"{NIK_PROBLEM['detail_id']} {NIK_PROBLEM['why_id']} "
                                    f"Yang dapat memperbaiki: {NIK_PROBLEM['fixed_by_id']}.")
    assert problem["fixers"] == NIK_PROBLEM["fixers"] and problem["finding"] == NIK_PROBLEM
    with factory() as s:
        audit = s.execute(select(audit_events).order_by(audit_events.c.id.desc())).mappings().first()
    assert audit["type"] == "login.failed" and audit["detail"] == {"reason": "nik-not-matched"}


def test_a_wrong_password_learns_nothing_about_the_findings(factory):
    handlers.on_masterdata_event(factory, diagnosed("2026-11-23T07:00:00+00:00", NIK_PROBLEM))

    assert refusal(lambda: login(factory, "Salah-Sandi-2026")).code == "invalid-credentials"


def test_problems_that_block_only_the_skp_let_the_employee_sign_in(factory):
    handlers.on_masterdata_event(factory, upserted(supervisor_nip=None, unit_id=None))
    handlers.on_masterdata_event(factory, diagnosed("2026-11-23T07:00:00+00:00", NO_SUPERVISOR))

    assert login(factory)["status"] == "authenticated"


def test_sign_in_works_again_once_the_diagnosis_is_clean(factory):
    handlers.on_masterdata_event(factory, diagnosed("2026-11-23T07:00:00+00:00", NIK_PROBLEM))
    handlers.on_masterdata_event(factory, diagnosed("2026-11-23T09:00:00+00:00"))

    assert login(factory)["status"] == "authenticated"


def test_an_inactive_account_is_refused_before_the_diagnosis_arrives(factory):
    handlers.on_masterdata_event(factory, upserted(status="inactive"))

    problem = refusal(lambda: login(factory)).to_problem()
    assert problem["code"] == "account-inactive" and problem["status"] == 403
    assert "admin" in problem["fixed_by"] and problem["detail_id"]


def test_a_reactivated_account_is_not_held_back_by_the_diagnosis_that_is_still_on_its_way(factory):
    inactive = {**NIK_PROBLEM, "check": "status", "code": "account-inactive", "blocks": ["login", "skp"]}
    handlers.on_masterdata_event(factory, upserted(status="inactive"))
    handlers.on_masterdata_event(factory, diagnosed("2026-11-23T07:00:00+00:00", inactive))
    assert refusal(lambda: login(factory)).code == "account-inactive"

    handlers.on_masterdata_event(factory, upserted(status="active"))  # the cleared diagnosis follows later

    assert login(factory)["status"] == "authenticated"


def test_a_finding_from_before_the_nip_was_stored_does_not_hold_the_account_back(factory):
    refused = {**NIK_PROBLEM, "check": "nip", "code": "nip-record-refused", "blocks": ["login", "skp"]}
    handlers.on_masterdata_event(factory, diagnosed("2026-11-23T07:00:00+00:00", refused))

    assert login(factory)["status"] == "authenticated"  # identity has the account: it is in master data


# --- activation ---------------------------------------------------------------------------------

def test_activation_names_a_finding_that_blocks_sign_in(factory):
    handlers.on_masterdata_event(factory, diagnosed("2026-11-23T07:00:00+00:00", NIK_PROBLEM))

    error = refusal(lambda: handlers.request_activation(factory, CTX, NIP, NIK, EMAIL))
    assert error.code == "nik-not-matched" and error.extra["finding"] == NIK_PROBLEM
    with factory() as s:
        assert s.execute(select(mail_queue)).first() is None


def test_activation_goes_on_with_problems_that_block_only_the_skp(factory):
    handlers.on_masterdata_event(factory, diagnosed("2026-11-23T07:00:00+00:00", NO_SUPERVISOR))

    assert handlers.request_activation(factory, CTX, NIP, NIK, EMAIL) == {"status": "accepted"}
    with factory() as s:
        assert s.execute(select(mail_queue.c.to_addr)).scalars().all() == [EMAIL]


def test_activation_with_the_right_nik_and_another_email_says_so_and_sends_nothing(factory):
    error = refusal(lambda: handlers.request_activation(factory, CTX, NIP, NIK, "budi.pribadi@gmail.com"))

    problem = error.to_problem()
    assert (problem["status"], problem["code"]) == (403, "email-not-matched")
    assert problem["fixers"] == ["employee", "admin_instansi"] and "MyASN" in problem["detail"]
    assert EMAIL not in problem["detail"]  # the recorded email itself is not revealed, only its mask
    assert problem["registered_email"] == "b***i@u***.go.id" and "b***i@u***.go.id" in problem["detail_id"]
    with factory() as s:
        assert s.execute(select(mail_queue)).first() is None


def test_activation_with_a_wrong_nik_names_no_finding_and_answers_as_for_an_unknown_nip(factory):
    handlers.on_masterdata_event(factory, diagnosed("2026-11-23T07:00:00+00:00", NIK_PROBLEM))

    wrong = refusal(lambda: handlers.request_activation(factory, CTX, NIP, "3171010101010001", EMAIL))
    unknown = refusal(lambda: handlers.request_activation(factory, CTX, "199912312020121999", NIK, EMAIL))

    assert wrong.to_problem() == unknown.to_problem()  # nobody learns from it whether the NIP is registered
    assert (wrong.status, wrong.code) == (403, "nik-not-matched") and "finding" not in wrong.extra
