"""Accounts through the gateway: activation by email, forced MFA enrolment, deactivation, which
master-data problems block sign-in (only those sync's diagnosis says block it), and admin actions
with their audit trail (issue #3)."""

from __future__ import annotations

import json

import pyotp
import pytest
from builders import employee
from harness import totp_code
from sqlalchemy import create_engine, text

from ekinerja_kernel.localservers import wait_for

PROBLEM = "application/problem+json"
# New employees of the demo ministry, made in these tests only (valid NIP/NIK pairs).
ACTIVATE = ("199203142019031001", "3171011403920001", "Rudi Activate")
ENROL = ("199104052019032002", "3171014504910002", "Sinta Enrol")
LEAVER = ("199306072019031003", "3171010706930003", "Tono Leaver")
NO_BOSS = ("199408092019032004", "3171014908940004", "Umi Noboss")
NO_UNIT = ("199510112019031005", "3171011110950005", "Vino Nounit")
SUSPENDED = ("199612132019032006", "3171015312960006", "Wati Cuti")
FORGETFUL = ("199701152020121007", "3171011501970007", "Yuni Lupa")
PASSWORD = "Kinerja-Baru-2026"


@pytest.fixture
def head(demo_logins):
    """A supervisor in the demo ministry, for the new employees."""
    return next(a["nip"] for a in demo_logins.values()
                if a["agency_id"] == "kemendemo" and "atasan" in a["roles"] and "totp_secret" not in a)


def demo_row(head, nip, nik, name, **over):
    return employee(nip, nik, name, agency_id="kemendemo", unit_id="kd-bag-eval", position_id="kd-prakom",
                    supervisor=head, **over)


def import_employees(rpc, identity_db, *rows):
    report = rpc.sync.import_records({"employees": list(rows)})
    assert report["rejected"] == 0, report["errors"]

    def arrived():
        with identity_db.connect() as conn:
            for row in rows:
                found = conn.execute(text("SELECT status, supervisor_nip, unit_id FROM accounts WHERE nip = :n"),
                                     {"n": row["nip"]}).first()
                if found is None or tuple(found) != (row["status"], row["supervisor_nip"], row["unit_id"]):
                    return False
        return True

    wait_for(arrived, timeout=20, what="identity to receive the master-data events")


def activate(gateway, mailbox, nip, nik, email, password=PASSWORD):
    before = len(mailbox.messages(email))
    assert gateway.post("/api/v1/auth/activation", json={"nip": nip, "nik": nik, "email": email}).status_code == 202
    wait_for(lambda: len(mailbox.messages(email)) > before, timeout=20, what="the activation mail")
    token = mailbox.token_in(mailbox.messages(email)[-1])
    return gateway.post("/api/v1/auth/activation/confirm", json={"token": token, "password": password})


def identity_engine(service_databases):
    return create_engine(service_databases["identity"])


def test_activation_by_email_then_login(gateway, rpc, mailbox, demo_logins, service_databases, head):
    engine = identity_engine(service_databases)
    nip, nik, name = ACTIVATE
    row = demo_row(head, nip, nik, name)
    import_employees(rpc, engine, row)

    # A wrong NIK is said plainly (within the NIP's request limit), the same as for an unknown NIP, and no mail.
    wrong = gateway.post("/api/v1/auth/activation", json={"nip": nip, "nik": "3171010101010001", "email": row["email"]})
    assert wrong.status_code == 403 and wrong.get_json()["code"] == "nik-not-matched"

    # The right NIK with another email: said plainly (who asks is proven), and no mail either.
    other = gateway.post("/api/v1/auth/activation", json={"nip": nip, "nik": nik, "email": "rudi@gmail.com"})
    assert other.status_code == 403 and other.get_json()["code"] == "email-not-matched"

    weak = activate(gateway, mailbox, nip, nik, row["email"], password="pendek")
    assert weak.status_code == 422 and weak.mimetype == PROBLEM
    rules = {(e["field"], e["rule"]) for e in weak.get_json()["errors"]}
    assert ("password", "min-length") in rules
    assert len(mailbox.messages(row["email"])) == 1  # the wrong-NIK request sent nothing

    # The weak attempt did not use up a fresh token: ask again and use the new one.
    ok = activate(gateway, mailbox, nip, nik, row["email"])
    assert ok.status_code == 200 and ok.get_json()["status"] == "activated"
    token = mailbox.token_in(mailbox.messages(row["email"])[-1])
    reused = gateway.post("/api/v1/auth/activation/confirm", json={"token": token, "password": PASSWORD})
    assert reused.status_code == 400 and reused.get_json()["code"] == "token-invalid"

    login = gateway.post("/api/v1/auth/login", json={"nip": nip, "password": PASSWORD})
    assert login.status_code == 200 and login.get_json()["status"] == "authenticated"
    engine.dispose()


def test_password_reset_by_email_ends_every_session(gateway, rpc, mailbox, demo_logins):
    nip, _, _ = ACTIVATE
    email = "rudi.activate@uji.go.id"
    session = gateway.post("/api/v1/auth/login", json={"nip": nip, "password": PASSWORD}).get_json()
    before = len(mailbox.messages(email))

    assert gateway.post("/api/v1/auth/password/forgot", json={"nip": nip, "email": email}).status_code == 202
    wait_for(lambda: len(mailbox.messages(email)) > before, timeout=20, what="the reset mail")
    token = mailbox.token_in(mailbox.messages(email)[-1])
    reset = gateway.post("/api/v1/auth/password/reset", json={"token": token, "password": "Kinerja-Lagi-2027"})

    assert reset.status_code == 200
    assert gateway.post("/api/v1/auth/refresh", json={"refresh_token": session["refresh_token"]}).status_code == 401
    assert gateway.post("/api/v1/auth/login", json={"nip": nip, "password": "Kinerja-Lagi-2027"}).status_code == 200


def test_mfa_is_enrolled_at_first_login_where_required(gateway, rpc, mailbox, demo_logins, service_databases, head):
    engine = identity_engine(service_databases)
    nip, nik, name = ENROL
    row = demo_row(head, nip, nik, name, roles=["admin_instansi"])  # admins must use TOTP
    import_employees(rpc, engine, row)
    assert activate(gateway, mailbox, nip, nik, row["email"]).status_code == 200

    first = gateway.post("/api/v1/auth/login", json={"nip": nip, "password": PASSWORD}).get_json()
    assert first["status"] == "mfa_enrollment_required" and "access_token" not in first
    enrol = gateway.post("/api/v1/auth/mfa/enroll", json={"enrollment_ticket": first["enrollment_ticket"]})
    assert enrol.status_code == 200
    body = enrol.get_json()
    assert body["otpauth_uri"].startswith("otpauth://totp/") and "e-Kinerja" in body["otpauth_uri"]
    assert body["qr_svg"].lstrip().startswith("<svg")
    totp = pyotp.TOTP(body["secret"])
    confirmed = gateway.post("/api/v1/auth/mfa/enroll/confirm",
                             json={"enrollment_ticket": first["enrollment_ticket"], "code": totp.now()}).get_json()
    assert confirmed["status"] == "authenticated" and len(confirmed["recovery_codes"]) == 10

    # Next time: password, then a code; a recovery code works once.
    again = gateway.post("/api/v1/auth/login", json={"nip": nip, "password": PASSWORD}).get_json()
    assert again["status"] == "mfa_required"
    recovery = confirmed["recovery_codes"][0]
    used = gateway.post("/api/v1/auth/mfa", json={"mfa_ticket": again["mfa_ticket"], "recovery_code": recovery})
    assert used.status_code == 200
    third = gateway.post("/api/v1/auth/login", json={"nip": nip, "password": PASSWORD}).get_json()
    twice = gateway.post("/api/v1/auth/mfa", json={"mfa_ticket": third["mfa_ticket"], "recovery_code": recovery})
    assert twice.status_code == 401 and twice.get_json()["code"] == "mfa-invalid"
    engine.dispose()


def test_admin_resets_mfa_in_own_agency_only_and_audit_shows_it(gateway, demo_logins):
    admin = next(a for a in demo_logins.values() if "admin_instansi" in a["roles"] and a["agency_id"] == "kemendemo")
    ticket = gateway.post("/api/v1/auth/login", json={"nip": admin["nip"], "password": admin["password"]}).get_json()
    token = gateway.post("/api/v1/auth/mfa", json={"mfa_ticket": ticket["mfa_ticket"],
                                                   "code": totp_code(admin["totp_secret"])}).get_json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    enrolled_nip = ENROL[0]
    foreign = next(a for a in demo_logins.values() if a["agency_id"] == "pemkotdemo" and "totp_secret" in a)

    assert gateway.post(f"/api/v1/admin/users/{enrolled_nip}/mfa/reset", headers=headers).status_code == 200
    assert gateway.post(f"/api/v1/admin/users/{foreign['nip']}/mfa/reset", headers=headers).status_code == 404

    events = gateway.get("/api/v1/admin/audit", query_string={"nip": enrolled_nip}, headers=headers).get_json()
    types = [e["type"] for e in events["events"]]
    assert "mfa.reset" in types and "mfa.enrolled" in types and "login.succeeded" in types
    reset = next(e for e in events["events"] if e["type"] == "mfa.reset")
    assert reset["actor_nip"] == admin["nip"] and reset["request_id"]
    assert all(e["agency_id"] == "kemendemo" for e in events["events"])

    staff = next(a for a in demo_logins.values() if a["roles"] == ["pegawai"] and "totp_secret" not in a)
    staff_login = gateway.post("/api/v1/auth/login", json={"nip": staff["nip"], "password": staff["password"]})
    staff_headers = {"Authorization": f"Bearer {staff_login.get_json()['access_token']}"}
    refused = gateway.get("/api/v1/admin/audit", headers=staff_headers)
    assert refused.status_code == 403


def test_deactivated_employee_loses_access(gateway, rpc, mailbox, demo_logins, service_databases, head):
    engine = identity_engine(service_databases)
    nip, nik, name = LEAVER
    row = demo_row(head, nip, nik, name)
    import_employees(rpc, engine, row)
    assert activate(gateway, mailbox, nip, nik, row["email"]).status_code == 200
    session = gateway.post("/api/v1/auth/login", json={"nip": nip, "password": PASSWORD}).get_json()

    import_employees(rpc, engine, {**row, "status": "inactive"})

    assert gateway.post("/api/v1/auth/refresh", json={"refresh_token": session["refresh_token"]}).status_code == 401
    refused = gateway.post("/api/v1/auth/login", json={"nip": nip, "password": PASSWORD})
    assert refused.status_code == 403
    body = refused.get_json()
    assert body["code"] == "account-inactive" and "admin" in body["fixed_by"] and body["detail_id"]
    engine.dispose()


def findings_arrived(identity_db, nip: str, code: str):
    """Sync's diagnosis of `nip` (employee.diagnosed) is in identity's read-copy and names `code`."""
    def check() -> bool:
        with identity_db.connect() as conn:
            row = conn.execute(text("SELECT findings FROM master_data_findings WHERE nip = :n"), {"n": nip}).first()
        found = (json.loads(row[0]) if isinstance(row[0], str) else row[0]) if row else []
        return any(f["code"] == code for f in found)
    return check


# CHANGED (sign-in refusals come from sync's diagnosis): this replaces
# test_master_data_problems_are_named_with_who_fixes_them, which expected activation to be refused
# with `no-supervisor` / `no-unit-position`. Those problems block only the SKP (skp and the
# diagnosis explain them after sign-in), so sign-in must work for the employee to see them.
def test_no_supervisor_or_no_unit_does_not_block_activation_or_sign_in(gateway, rpc, mailbox, demo_logins,
                                                                       service_databases, head):
    engine = identity_engine(service_databases)
    no_boss = demo_row(head, *NO_BOSS)
    no_boss["supervisor_nip"] = None
    no_unit = demo_row(head, *NO_UNIT)
    no_unit["unit_id"] = None
    import_employees(rpc, engine, no_boss, no_unit)

    for (nip, nik, _), row, code in ((NO_BOSS, no_boss, "no-supervisor"), (NO_UNIT, no_unit, "no-unit-position")):
        # Wait for the diagnosis, so sign-in is shown to work with the finding known, not before it.
        wait_for(findings_arrived(engine, nip, code), timeout=20, what=f"sync's diagnosis ({code}) in identity")
        activated = activate(gateway, mailbox, nip, nik, row["email"])
        assert activated.status_code == 200, activated.get_json()
        login = gateway.post("/api/v1/auth/login", json={"nip": nip, "password": PASSWORD})
        assert login.status_code == 200, login.get_json()
        assert login.get_json()["status"] == "authenticated"
    engine.dispose()


def test_a_sign_in_refusal_is_the_finding_the_diagnosis_shows(gateway, rabbit, rpc, mailbox, demo_logins,
                                                               service_databases, head):
    """One story: what blocks sign-in is sync's diagnosis finding, word for word (issue #7 item 3)."""
    from skp_world import Client, gateway_client

    engine = identity_engine(service_databases)
    nip, nik, name = SUSPENDED
    row = demo_row(head, nip, nik, name)
    import_employees(rpc, engine, row)
    assert activate(gateway, mailbox, nip, nik, row["email"]).status_code == 200

    import_employees(rpc, engine, {**row, "status": "inactive"})
    wait_for(findings_arrived(engine, nip, "account-inactive"), timeout=20, what="sync's diagnosis in identity")
    refused = gateway.post("/api/v1/auth/login", json={"nip": nip, "password": PASSWORD})

    admin = next(a for a in demo_logins.values() if "admin_instansi" in a["roles"] and a["agency_id"] == "kemendemo")
    report = Client(gateway_client(rabbit.amqp_uri), admin).get(f"/api/v1/employees/{nip}/diagnosis").get_json()
    shown = next(f for f in report["findings"] if f["code"] == "account-inactive")
    assert refused.status_code == 403 and refused.mimetype == PROBLEM
    body = refused.get_json()
    assert body["code"] == "account-inactive" and body["finding"] == shown
    assert body["detail"] == f"{shown['detail']} {shown['why']} Who can fix it: {shown['fixed_by']}."
    assert body["detail_id"].startswith(shown["detail_id"]) and body["fixed_by_id"] == shown["fixed_by_id"]

    # Repaired in master data: the diagnosis clears, and sign-in works again.
    import_employees(rpc, engine, row)
    wait_for(lambda: not findings_arrived(engine, nip, "account-inactive")(), timeout=20,
             what="the cleared diagnosis in identity")
    assert gateway.post("/api/v1/auth/login", json={"nip": nip, "password": PASSWORD}).status_code == 200
    engine.dispose()


def test_the_diagnosis_shows_an_admin_why_an_account_cannot_sign_in(gateway, rabbit, rpc, mailbox, demo_logins,
                                                                    service_databases, head):
    """Issue #7 item 3, the account's side: identity's state of the account at the time of the request
    (not activated, locked out with the refusal's own code, lifted by a password reset, MFA)."""
    from skp_world import Client, gateway_client

    engine = identity_engine(service_databases)
    nip, nik, name = FORGETFUL
    row = demo_row(head, nip, nik, name)
    import_employees(rpc, engine, row)
    admin = next(a for a in demo_logins.values() if "admin_instansi" in a["roles"] and a["agency_id"] == "kemendemo")
    as_admin = Client(gateway_client(rabbit.amqp_uri), admin)

    def diagnosis() -> dict:
        report = as_admin.get(f"/api/v1/employees/{nip}/diagnosis")
        assert report.status_code == 200, report.get_json()
        return {f["check"]: f for f in report.get_json()["findings"]}

    before = diagnosis()
    assert (before["account"]["code"], before["account"]["blocks"]) == ("account-not-activated", ["login"])
    assert before["mfa"]["code"] == "mfa-off"

    assert activate(gateway, mailbox, nip, nik, row["email"]).status_code == 200
    assert diagnosis()["account"]["code"] == "account-active"

    for _ in range(5):
        assert gateway.post("/api/v1/auth/login", json={"nip": nip, "password": "Salah-Sandi-2026"}).status_code == 401
    refused = gateway.post("/api/v1/auth/login", json={"nip": nip, "password": PASSWORD})
    locked = diagnosis()["account"]
    assert refused.status_code == 429 and locked["code"] == refused.get_json()["code"] == "login-locked"
    assert locked["status"] == "problem" and locked["until"] and "Lupa Kata Sandi" in locked["fixed_by_id"]

    before_mail = len(mailbox.messages(row["email"]))
    assert gateway.post("/api/v1/auth/password/forgot", json={"nip": nip, "email": row["email"]}).status_code == 202
    wait_for(lambda: len(mailbox.messages(row["email"])) > before_mail, timeout=20, what="the reset mail")
    token = mailbox.token_in(mailbox.messages(row["email"])[-1])
    assert gateway.post("/api/v1/auth/password/reset", json={"token": token, "password": "Kinerja-Ingat-2027"}
                        ).status_code == 200
    assert diagnosis()["account"]["code"] == "account-active"  # the reset lifted the pause
    assert gateway.post("/api/v1/auth/login", json={"nip": nip, "password": "Kinerja-Ingat-2027"}).status_code == 200

    # The admin's own account has an authenticator (demo TOTP): the diagnosis says so, and how to recover.
    own = {f["check"]: f for f in as_admin.get("/api/v1/me/diagnosis").get_json()["findings"]}
    assert own["mfa"]["code"] == "mfa-enabled" and "recovery codes" in own["mfa"]["detail"]
    engine.dispose()


def test_nik_guesses_for_one_nip_end_in_the_same_429_as_for_an_unknown_nip(gateway, demo_logins):
    """Issue #12 item 5: the activation answers that tell 'NIK not matched' or 'NIP and NIK match' are
    reachable only within the per-NIP limit (5 an hour by default), so the ~10^4 NIKs a NIP leaves
    cannot be tried; within it a wrong NIK is answered as an unknown NIP is."""
    known = [a for a in demo_logins.values() if a["agency_id"] == "pemkotdemo"][-1]["nip"]
    unknown = "199912312020121999"

    def ask(nip: str, n: int):
        return gateway.post("/api/v1/auth/activation",
                            json={"nip": nip, "nik": f"3171010101{n:06d}", "email": "tebak@gmail.com"})

    guesses = [ask(known, n) for n in range(5)]
    assert [(r.status_code, r.get_json()["code"]) for r in guesses] == [(403, "nik-not-matched")] * 5
    strangers = [ask(unknown, n) for n in range(6)]
    assert strangers[0].get_json() | {"request_id": None} == guesses[0].get_json() | {"request_id": None}
    beyond, stranger = ask(known, 5), strangers[-1]

    for response in (beyond, stranger):
        assert response.status_code == 429 and response.mimetype == PROBLEM
        assert 3500 < int(response.headers["Retry-After"]) <= 3600
    a, b = beyond.get_json(), stranger.get_json()
    assert a["code"] == "nip-rate-limited"
    assert (a["code"], a["detail"], a["detail_id"]) == (b["code"], b["detail"], b["detail_id"])
    assert a["detail"] and a["detail_id"] and a["detail"] != a["detail_id"]
