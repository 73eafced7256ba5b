"""The sign-in trouble cases identity answers (issue 15: login fails, NIK not matched, forgot password
with another email, limits at the peak): the rules and the handlers on a real SQLite database, in
English and Indonesian."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ekinerja_kernel.caller import RequestContext
from ekinerja_kernel.errors import DomainError
from ekinerja_kernel.events import make_event
from identity import handlers, oidc, oidc_flows
from identity import repository as repo
from identity.domain.accounts import masked_email
from identity.domain.identifiers import nik_error, nip_error
from identity.tables import audit_events, mail_queue, request_limits

NIP = "199001012015031001"
NIK = "3171010101900001"
EMAIL = "budi.santoso@uji.go.id"
PASSWORD = "Kinerja-Uji-2026"
NEVER = "198505052010011002"  # in master data, never activated
NEVER_NIK = "3171010505850002"
STRANGER = "199912312020121999"  # well formed, not in master data
WEB = "https://kinerja.example.go.id"
CTX = RequestContext(ip="10.1.2.3", user_agent="pytest", request_id="req-1")

MALFORMED_NIPS = ["19900101201503100", "1990010120150310011", "19900101 201503 1 001", "199001012015031OO1",
                  " 199001012015031001", "199001012015031001 ", "1990.0101.2015.031001",
                  "１９９００１０１２０１５０３１００１", "", None, 199001012015031001]


def upserted(nip: str, nik: str, email: str | None):
    return make_event("sync", "employee.upserted", nip, {
        "nip": nip, "nik": nik, "name": f"Pegawai {nip[-3:]}", "email": email, "status": "active",
        "agency_id": "kemendemo", "unit_id": "kd-bag-eval", "position_id": "kd-prakom", "supervisor_nip": None,
        "roles": []})


@pytest.fixture
def factory(identity_db, set_password, monkeypatch):
    monkeypatch.setenv("EKINERJA_WEB_URL", WEB + "/")
    handlers.on_masterdata_event(identity_db, upserted(NIP, NIK, EMAIL))
    handlers.on_masterdata_event(identity_db, upserted(NEVER, NEVER_NIK, "never@uji.go.id"))
    set_password(NIP, PASSWORD)
    return identity_db


def refused(call, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    return caught.value


def audit(factory, type_: str) -> list[dict]:
    with factory() as s:
        rows = s.execute(select(audit_events).where(audit_events.c.type == type_).order_by(audit_events.c.id))
        return [dict(r._mapping) for r in rows]


def mails(factory) -> list[tuple[str, str]]:
    with factory() as s:
        return [(r.to_addr, r.subject) for r in s.execute(select(mail_queue).order_by(mail_queue.c.id))]


# --- the shapes ------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", MALFORMED_NIPS)
def test_a_nip_is_exactly_18_ascii_digits(value):
    error = nip_error(value)

    assert error is not None and (error.field, error.rule) == ("nip", "nip-18-digits")
    assert "exactly 18 digits" in error.detail and "tepat 18 digit angka" in error.detail_id


def test_a_well_formed_nip_and_nik_pass_whatever_their_dates():
    # The dates inside are sync's to judge; sign-in only refuses what cannot be anybody's NIP.
    assert nip_error(NIP) is None and nip_error("000000000000000000") is None
    assert nik_error(NIK) is None


@pytest.mark.parametrize("value", ["317101010190000", "31710101019000011", "3171 0101 0190 0001", "317101010190000A",
                                   None, 3171010101900001])
def test_a_nik_is_exactly_16_ascii_digits(value):
    error = nik_error(value)

    assert error is not None and (error.field, error.rule) == ("nik", "nik-16-digits")
    assert "16 digits" in error.detail and "16 digit" in error.detail_id


@pytest.mark.parametrize("email, masked", [
    ("budi.santoso@gmail.com", "b***o@g***.com"),
    ("budi.santoso@uji.go.id", "b***o@u***.go.id"),
    ("ani@dinas.kemendemo.go.id", "a***i@d***.kemendemo.go.id"),
    ("a@b.id", "***@b***.id"),  # one letter: none of it shown
    (" Budi@Gmail.com ", "B***i@G***.com"),
    (None, None), ("", None), ("not-an-address", None),
])
def test_the_recorded_email_is_shown_masked(email, masked):
    assert masked_email(email) == masked


# --- case 1: login fails ---------------------------------------------------------------------------

@pytest.mark.parametrize("value", [v for v in MALFORMED_NIPS if isinstance(v, str)])
def test_a_malformed_nip_at_sign_in_is_422_with_the_18_digit_rule_and_counts_nothing(factory, value):
    error = refused(handlers.login, factory, CTX, value, PASSWORD)

    assert (error.status, error.code) == (422, "validation")
    assert [(e.field, e.rule) for e in error.errors] == [("nip", "nip-18-digits")]
    assert "18 digits" in error.detail and "18 digit" in error.detail_id
    with factory() as s:
        assert repo.guard(s, value, "password", lock=False).failures == 0
        assert s.execute(select(audit_events)).first() is None  # changes nothing, not even the audit


def test_an_unknown_nip_and_a_wrong_password_share_one_answer_naming_every_cause(factory):
    unknown = refused(handlers.login, factory, CTX, STRANGER, PASSWORD)
    wrong = refused(handlers.login, factory, CTX, NIP, "Salah-Sekali-123")
    never = refused(handlers.login, factory, CTX, NEVER, PASSWORD)

    assert unknown.to_problem() == wrong.to_problem() == never.to_problem()
    assert (wrong.status, wrong.code) == (401, "invalid-credentials")
    assert "check the 18 digits of your NIP for a typo" in wrong.detail and "not in SIASN yet" in wrong.detail
    assert "periksa 18 digit NIP Anda; jika NIP benar tetapi belum ada di SIASN" in wrong.detail_id
    assert wrong.extra["forgot_password_url"] == f"{WEB}/lupa-password"
    # The audit tells the admin each one apart (the answer does not).
    assert [(e["nip"], e["detail"]["reason"]) for e in audit(factory, "login.failed")] == [
        (STRANGER, "credentials"), (NIP, "credentials"), (NEVER, "credentials")]


def test_the_lockout_names_lupa_password_with_the_web_s_page(factory):
    for _ in range(5):
        refused(handlers.login, factory, CTX, NIP, "Salah-Sekali-123")

    locked = refused(handlers.login, factory, CTX, NIP, PASSWORD)

    assert (locked.status, locked.code) == (429, "login-locked")
    for text in (locked.detail, locked.detail_id):
        assert f"'Lupa Password' ({WEB}/lupa-password)" in text and "NIP" in text
    assert locked.extra["scope"] == "nip" and 0 < locked.extra["retry_after"] <= 30


def test_the_oidc_sign_in_refuses_a_malformed_nip_the_same_way_and_stays_at_the_password_step(factory):
    client = oidc.register_client(factory, CTX, "e-Kinerja Mobile", ["https://app.example.go.id/cb"],
                                  first_party=True)["client_id"]
    browser = "b" * 43
    flow = oidc_flows.start(factory, CTX, browser, {
        "response_type": "code", "client_id": client, "redirect_uri": "https://app.example.go.id/cb",
        "scope": "openid", "state": "s", "code_challenge": "c" * 43, "code_challenge_method": "S256"})["flow"]

    error = refused(oidc_flows.password, factory, CTX, flow, browser, "19900101 2015031001", PASSWORD)

    assert error.status == 422 and error.errors[0].rule == "nip-18-digits"
    assert oidc_flows.get(factory, CTX, flow, browser)["step"] == "password"
    assert oidc_flows.password(factory, CTX, flow, browser, NIP, PASSWORD)["step"] == "verified"


# --- case 5: NIK not matched -----------------------------------------------------------------------

def test_activation_with_a_wrong_nik_answers_precisely_and_the_audit_says_why(factory):
    wrong = refused(handlers.request_activation, factory, CTX, NEVER, "3171010101010001", "never@uji.go.id")
    unknown = refused(handlers.request_activation, factory, CTX, STRANGER, "3171010101010001", "x@uji.go.id")

    assert (wrong.status, wrong.code) == (403, "nik-not-matched")
    assert wrong.to_problem() == unknown.to_problem()  # the same for a NIP not in master data
    assert "not recorded together in the master data (SIASN)" in wrong.detail and "MyASN" in wrong.detail
    assert "tidak tercatat bersama di data induk (SIASN)" in wrong.detail_id and "Pemadanan Data" in wrong.detail_id
    assert wrong.extra["fixers"] == ["employee", "admin_instansi"] and wrong.errors[0].field == "nik"
    assert mails(factory) == []
    assert [(e["nip"], e["agency_id"], e["detail"]) for e in audit(factory, "activation.requested")] == [
        (NEVER, "kemendemo", {"reason": "nik-not-matched", "nik_in_master_data": True}),
        (STRANGER, None, {"reason": "unknown-nip"})]


def test_a_malformed_nik_is_422_and_not_counted_against_the_nip(factory):
    error = refused(handlers.request_activation, factory, CTX, NEVER, "3171 0105 0585 0002", "never@uji.go.id")

    assert error.status == 422 and [(e.field, e.rule) for e in error.errors] == [("nik", "nik-16-digits")]
    with factory() as s:
        assert s.execute(select(request_limits)).first() is None


def test_past_the_nip_s_limit_even_the_right_nik_gets_the_same_429(factory, monkeypatch):
    monkeypatch.setenv("ACTIVATION_RESET_LIMIT", "2")
    for _ in range(2):
        refused(handlers.request_activation, factory, CTX, NEVER, "3171010101010001", "never@uji.go.id")

    beyond = refused(handlers.request_activation, factory, CTX, NEVER, NEVER_NIK, "never@uji.go.id")

    assert (beyond.status, beyond.code) == (429, "nip-rate-limited")
    assert "at most 2 in 60 minutes per NIP" in beyond.detail and mails(factory) == []
    last = audit(factory, "activation.requested")[-1]
    assert (last["agency_id"], last["detail"]["reason"]) == ("kemendemo", "nip-rate-limited")  # its admin sees it


# --- case 10: forgot password, another email recorded ---------------------------------------------

def test_without_the_nik_a_reset_answers_the_same_whatever_happened_and_says_how_to_learn_more(factory):
    answers = [handlers.request_password_reset(factory, CTX, nip, email)
               for nip, email in ((NIP, "budi@gmail.com"), (STRANGER, EMAIL), (NEVER, "never@uji.go.id"), (NIP, EMAIL))]

    assert all(a == answers[0] for a in answers) and answers[0]["status"] == "accepted"
    assert "'nik'" in answers[0]["detail"] and "NIK" in answers[0]["detail_id"]
    assert mails(factory) == [(EMAIL, "Atur ulang kata sandi e-Kinerja / e-Kinerja password reset")]
    assert [(e["outcome"], e["detail"]) for e in audit(factory, "password.reset_requested")] == [
        ("refused", {"reason": "email-not-matched", "with_nik": False}),
        ("refused", {"reason": "unknown-nip", "with_nik": False}),
        ("refused", {"reason": "not-activated", "with_nik": False}),
        ("ok", {"with_nik": False})]


def test_with_nip_and_nik_a_reset_says_the_recorded_email_differs_and_shows_it_masked(factory):
    error = refused(handlers.request_password_reset, factory, CTX, NIP, "budi@gmail.com", NIK)

    assert (error.status, error.code) == (403, "email-not-matched")
    assert error.extra["registered_email"] == "b***o@u***.go.id" and EMAIL not in error.detail
    assert "password-reset link" in error.detail and "The recorded one is b***o@u***.go.id." in error.detail
    assert "tautan atur ulang kata sandi" in error.detail_id and "Email yang tercatat: b***o@u***.go.id." in \
        error.detail_id
    assert error.errors[0].field == "email" and mails(factory) == []
    assert audit(factory, "password.reset_requested")[-1]["detail"] == {"reason": "email-not-matched",
                                                                        "with_nik": True}


def test_with_nip_and_nik_a_reset_names_a_wrong_nik_and_a_never_activated_account(factory):
    wrong = refused(handlers.request_password_reset, factory, CTX, NIP, EMAIL, "3171010101010001")
    unknown = refused(handlers.request_password_reset, factory, CTX, STRANGER, EMAIL, NIK)
    never = refused(handlers.request_password_reset, factory, CTX, NEVER, "never@uji.go.id", NEVER_NIK)

    assert wrong.code == unknown.code == "nik-not-matched" and wrong.to_problem() == unknown.to_problem()
    assert (never.status, never.code) == (403, "account-not-activated")
    assert f"{WEB}/aktivasi" in never.detail and f"{WEB}/aktivasi" in never.detail_id
    assert "belum pernah diaktivasi" in never.detail_id
    assert [e["detail"]["reason"] for e in audit(factory, "password.reset_requested")] == [
        "nik-not-matched", "unknown-nip", "not-activated"]
    assert mails(factory) == []


def test_with_nip_nik_and_the_recorded_email_the_reset_mail_goes_out(factory):
    answer = handlers.request_password_reset(factory, CTX, NIP, EMAIL.upper(), NIK)

    assert answer["status"] == "accepted"
    assert mails(factory) == [(EMAIL, "Atur ulang kata sandi e-Kinerja / e-Kinerja password reset")]
    with factory() as s:
        body = s.execute(select(mail_queue.c.body)).scalar_one()
    assert f"{WEB}/reset-password?token=" in body


def test_a_reset_with_a_malformed_nik_is_422(factory):
    error = refused(handlers.request_password_reset, factory, CTX, NIP, EMAIL, "12345")

    assert error.status == 422 and error.errors[0].rule == "nik-16-digits"
