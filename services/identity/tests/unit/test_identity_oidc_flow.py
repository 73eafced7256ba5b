"""The HTML sign-in's flow: its rules (identity.domain.oidc_flow) and the use cases that keep flows
(identity.oidc_flows) on a real SQLite database, with real passwords (argon2id) and TOTP codes."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets

import pyotp
import pytest
from sqlalchemy import select, update

from ekinerja_kernel.caller import RequestContext
from ekinerja_kernel.db import unit_of_work
from ekinerja_kernel.errors import DomainError
from ekinerja_kernel.events import utcnow
from identity import oidc, oidc_flows
from identity import repository as repo
from identity.domain import oidc_flow
from identity.domain.oidc_flow import Flow
from identity.tables import audit_events, oauth_codes, sessions
from identity.tables import oidc_flows as flows_table

NIP = "198609262015051001"  # password only
TOTP_NIP = "197505152000031002"  # password and TOTP
PASSWORD = "Kinerja-Benar-2026!"
TOTP_SECRET = pyotp.random_base32()
APP = "https://cuti.example.go.id/callback"
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(b"v" * 43).digest()).rstrip(b"=").decode()
CTX = RequestContext(ip="10.1.2.3", user_agent="pytest", request_id="req-1")
NOW = dt.datetime(2026, 11, 24, 8, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(seconds=oidc_flow.FLOW_SECONDS)


def browser() -> str:
    return secrets.token_urlsafe(32)


def code() -> str:
    return secrets.token_urlsafe(36)


def refused(call, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    return caught.value


# --- the rules ---------------------------------------------------------------------------------------

def test_a_password_only_account_is_verified_after_the_password_when_no_consent_is_needed():
    flow = oidc_flow.after_password(Flow("password", LATER), NIP, 1_700_000_000, mfa_enrolled=False,
                                    needs_consent=False)

    assert (flow.step, flow.nip, flow.amr, flow.auth_time) == ("verified", NIP, ("pwd",), 1_700_000_000)
    assert oidc_flow.after_code(flow).step == "done"


def test_an_account_with_totp_goes_to_the_code_step_whatever_the_consent():
    flow = oidc_flow.after_password(Flow("password", LATER), NIP, 1, mfa_enrolled=True, needs_consent=False)

    assert flow.step == "mfa" and flow.amr == ("pwd",)
    for step in (lambda f: oidc_flow.after_consent(f, True), oidc_flow.after_code):
        assert step_refused(step, flow) == "mfa"  # neither consent nor a code before the TOTP code
    after = oidc_flow.after_second_factor(flow, needs_consent=True)
    assert after.step == "consent" and after.amr == ("pwd", "otp")


def step_refused(step, flow) -> str:
    error = refused(step, flow)
    assert error.code == "oidc-flow-step" and error.status == 409
    return error.extra["step"]


def test_only_a_verified_flow_gives_a_code_and_only_once():
    for step in ("password", "mfa", "consent", "done", "denied", "ended"):
        assert step_refused(oidc_flow.after_code, Flow(step, LATER, NIP, ("pwd",), 1)) == step
    done = oidc_flow.after_code(Flow("verified", LATER, NIP, ("pwd",), 1))
    assert step_refused(oidc_flow.after_code, done) == "done"


def test_a_verified_flow_without_a_proven_user_gives_no_code():
    for flow in (Flow("verified", LATER), Flow("verified", LATER, NIP, (), 1), Flow("verified", LATER, NIP, ("pwd",))):
        refused(oidc_flow.after_code, flow)


def test_consent_allow_verifies_and_deny_ends():
    consent = Flow("consent", LATER, NIP, ("pwd",), 1)

    assert oidc_flow.after_consent(consent, True).step == "verified"
    assert oidc_flow.after_consent(consent, False).step == "denied"
    assert step_refused(lambda f: oidc_flow.after_consent(f, True), Flow("password", LATER)) == "password"


@pytest.mark.parametrize("flow, same_browser, now", [
    (None, True, NOW),
    (Flow("password", LATER), False, NOW),  # another browser's
    (Flow("password", LATER), True, LATER),  # expired
    (Flow("done", LATER), True, NOW),
    (Flow("denied", LATER), True, NOW),
    (Flow("ended", LATER), True, NOW),
])
def test_one_refusal_for_every_flow_that_cannot_go_on(flow, same_browser, now):
    error = refused(oidc_flow.usable, flow, same_browser, now)

    assert error.code == "oidc-flow-invalid" and error.status == 400 and error.detail_id


def test_an_open_flow_of_this_browser_is_usable():
    flow = Flow("mfa", LATER, NIP, ("pwd",), 1)

    assert oidc_flow.usable(flow, True, NOW) is flow


def test_consent_rules():
    assert not oidc_flow.consent_needed(True, "consent", ["openid"], [])  # first party: never asked
    assert oidc_flow.consent_needed(False, None, ["openid", "profile"], ["openid"])
    assert not oidc_flow.consent_needed(False, None, ["openid"], ["openid", "profile"])
    assert oidc_flow.consent_needed(False, "login consent", ["openid"], ["openid"])  # asked again


@pytest.mark.parametrize("value, ok", [(secrets.token_urlsafe(16), True), (secrets.token_urlsafe(32), True),
                                       ("a" * 21, False), ("a" * 129, False), ("x" * 30 + "=", False),
                                       ("é" * 30, False), (None, False), (12345678901234567890123, False)])
def test_a_browser_binding_or_flow_id_carries_at_least_128_random_bits(value, ok):
    assert oidc_flow.unguessable(value) is ok


# --- the use cases on a database ---------------------------------------------------------------

@pytest.fixture
def factory(identity_db, add_account, set_password):
    for nip in (NIP, TOTP_NIP):
        add_account(nip)
        set_password(nip, PASSWORD)
    with unit_of_work(identity_db) as s:
        repo.set_credential(s, TOTP_NIP, mfa_secret=TOTP_SECRET, mfa_confirmed_at=utcnow())
    return identity_db


@pytest.fixture
def third_party(factory):
    return oidc.register_client(factory, CTX, "Aplikasi Cuti", [APP])["client_id"]


@pytest.fixture
def first_party(factory):
    return oidc.register_client(factory, CTX, "e-Kinerja Mobile", [APP], first_party=True)["client_id"]


def params(client, **changes):
    values = {"response_type": "code", "client_id": client, "redirect_uri": APP, "scope": "openid profile",
              "state": "st-1", "nonce": "n-1", "code_challenge": CHALLENGE, "code_challenge_method": "S256", **changes}
    return {k: v for k, v in values.items() if v is not None}


def started(factory, client_id, binding, **changes):
    return oidc_flows.start(factory, CTX, binding, params(client_id, **changes))["flow"]


def stored_code(factory, value):
    from identity.domain.totp import secret_hash

    with factory() as s:
        return s.execute(select(oauth_codes).where(oauth_codes.c.code_hash == secret_hash(value))).first()


def test_a_flow_starts_at_the_password_step_and_is_stored_by_hashes(factory, third_party):
    binding = browser()

    view = oidc_flows.start(factory, CTX, binding, params(third_party))

    assert view["step"] == "password" and view["client_name"] == "Aplikasi Cuti" and view["nip"] is None
    assert len(view["flow"]) >= 43 and 0 < view["expires_in"] <= oidc_flow.FLOW_SECONDS
    with factory() as s:
        row = s.execute(select(flows_table)).one()
    assert view["flow"] not in (row.flow_hash,) and binding != row.browser_hash and len(row.flow_hash) == 64
    assert oidc_flows.get(factory, CTX, view["flow"], binding)["params"]["state"] == "st-1"


@pytest.mark.parametrize("changes", [{"redirect_uri": APP + "/"}, {"code_challenge_method": "plain"},
                                     {"scope": "profile"}, {"response_type": "token"}, {"client_id": "nobody"}])
def test_a_request_the_client_may_not_make_starts_no_flow(factory, third_party, changes):
    error = refused(oidc_flows.start, factory, CTX, browser(), params(third_party, **changes))

    assert error.status == 400
    with factory() as s:
        assert s.execute(select(flows_table)).first() is None


def test_a_weak_binding_or_odd_parameters_are_refused(factory, third_party):
    assert refused(oidc_flows.start, factory, CTX, "short", params(third_party)).status == 422
    odd = {**params(third_party), "state": ["a", "list"]}
    assert refused(oidc_flows.start, factory, CTX, browser(), odd).errors[0].field == "params"


def test_password_only_sign_in_to_a_first_party_client(factory, first_party):
    binding, value = browser(), code()
    flow = started(factory, first_party, binding)

    view = oidc_flows.password(factory, CTX, flow, binding, NIP, PASSWORD)

    assert view["step"] == "verified" and view["nip"] == NIP
    assert oidc_flows.issue_code(factory, CTX, flow, binding, value)["status"] == "saved"
    row = stored_code(factory, value)
    assert (row.nip, row.client_id, list(row.amr), row.redirect_uri) == (NIP, first_party, ["pwd"], APP)
    assert row.code_challenge == CHALLENGE and row.nonce == "n-1"
    # One code per flow: the flow is done.
    assert refused(oidc_flows.issue_code, factory, CTX, flow, binding, code()).code == "oidc-flow-invalid"
    with factory() as s:  # audited as a sign-in, and no e-Kinerja session was opened for it
        event = s.execute(select(audit_events).where(audit_events.c.type == "login.succeeded")).one()
        assert event.detail["via"] == "oidc" and event.detail["client_id"] == first_party
        assert s.execute(select(sessions)).first() is None


def test_a_wrong_password_keeps_the_flow_at_the_password_step_and_counts(factory, first_party):
    binding = browser()
    flow = started(factory, first_party, binding)

    error = refused(oidc_flows.password, factory, CTX, flow, binding, NIP, "Salah-Sekali-123")

    assert error.code == "invalid-credentials" and error.status == 401
    assert oidc_flows.get(factory, CTX, flow, binding)["step"] == "password"
    with factory() as s:
        assert repo.guard(s, NIP, "password", lock=False).failures == 1
    assert refused(oidc_flows.issue_code, factory, CTX, flow, binding, code()).code == "oidc-flow-step"
    assert oidc_flows.password(factory, CTX, flow, binding, NIP, PASSWORD)["step"] == "verified"


def test_the_totp_step_cannot_be_skipped(factory, third_party):
    binding = browser()
    flow = started(factory, third_party, binding)

    assert oidc_flows.password(factory, CTX, flow, binding, TOTP_NIP, PASSWORD)["step"] == "mfa"

    assert refused(oidc_flows.consent, factory, CTX, flow, binding, "allow").code == "oidc-flow-step"
    assert refused(oidc_flows.issue_code, factory, CTX, flow, binding, code()).code == "oidc-flow-step"
    assert refused(oidc_flows.password, factory, CTX, flow, binding, TOTP_NIP, PASSWORD).code == "oidc-flow-step"
    assert refused(oidc_flows.second_factor, factory, CTX, flow, binding, code="000000").code == "mfa-invalid"
    assert oidc_flows.get(factory, CTX, flow, binding)["step"] == "mfa"

    view = oidc_flows.second_factor(factory, CTX, flow, binding, code=pyotp.TOTP(TOTP_SECRET).now())

    assert view["step"] == "consent"
    assert oidc_flows.consent(factory, CTX, flow, binding, "allow")["step"] == "verified"
    value = code()
    oidc_flows.issue_code(factory, CTX, flow, binding, value)
    assert list(stored_code(factory, value).amr) == ["pwd", "otp"]
    assert oidc.has_consent(factory, TOTP_NIP, third_party, "openid profile")


def test_a_totp_code_used_once_is_not_accepted_by_another_flow(factory, first_party):
    binding = browser()
    first, second = started(factory, first_party, binding), started(factory, first_party, binding)
    for flow in (first, second):
        oidc_flows.password(factory, CTX, flow, binding, TOTP_NIP, PASSWORD)
    now_code = pyotp.TOTP(TOTP_SECRET).now()

    assert oidc_flows.second_factor(factory, CTX, first, binding, code=now_code)["step"] == "verified"
    assert refused(oidc_flows.second_factor, factory, CTX, second, binding, code=now_code).code == "mfa-invalid"


def test_another_browser_cannot_use_a_flow_and_ends_it(factory, first_party):
    owner, intruder = browser(), browser()
    flow = started(factory, first_party, owner)

    for call in (lambda b: oidc_flows.get(factory, CTX, flow, b),
                 lambda b: oidc_flows.password(factory, CTX, flow, b, NIP, PASSWORD)):
        assert refused(call, intruder).code == "oidc-flow-invalid"

    # The id leaked, so the flow is over for its owner too; they start again.
    assert refused(oidc_flows.get, factory, CTX, flow, owner).code == "oidc-flow-invalid"
    with factory() as s:
        event = s.execute(select(audit_events).where(audit_events.c.type == "oidc.flow_refused")).first()
    assert event.detail["reason"] == "another-browser"


def test_a_verified_flow_gives_no_code_to_another_browser(factory, first_party):
    owner = browser()
    flow = started(factory, first_party, owner)
    oidc_flows.password(factory, CTX, flow, owner, NIP, PASSWORD)

    assert refused(oidc_flows.issue_code, factory, CTX, flow, browser(), code()).code == "oidc-flow-invalid"
    assert refused(oidc_flows.issue_code, factory, CTX, flow, owner, code()).code == "oidc-flow-invalid"


def test_an_expired_flow_is_refused_at_every_step(factory, third_party):
    binding = browser()
    flow = started(factory, third_party, binding)
    oidc_flows.password(factory, CTX, flow, binding, NIP, PASSWORD)  # at consent
    with unit_of_work(factory) as s:
        s.execute(update(flows_table).values(expires_at=utcnow() - dt.timedelta(seconds=1)))

    for call in (lambda: oidc_flows.get(factory, CTX, flow, binding),
                 lambda: oidc_flows.consent(factory, CTX, flow, binding, "allow"),
                 lambda: oidc_flows.issue_code(factory, CTX, flow, binding, code())):
        assert refused(call).code == "oidc-flow-invalid"


def test_expired_flows_are_swept_and_a_browser_keeps_a_few(factory, first_party):
    binding = browser()
    old = started(factory, first_party, binding)
    with unit_of_work(factory) as s:
        s.execute(update(flows_table).values(expires_at=utcnow() - dt.timedelta(seconds=1)))
    flows = [started(factory, first_party, binding) for _ in range(oidc_flow.MAX_FLOWS_PER_BROWSER + 1)]

    with factory() as s:
        assert len(s.execute(select(flows_table)).all()) == oidc_flow.MAX_FLOWS_PER_BROWSER
    assert refused(oidc_flows.get, factory, CTX, old, binding).code == "oidc-flow-invalid"
    assert refused(oidc_flows.get, factory, CTX, flows[0], binding).code == "oidc-flow-invalid"  # oldest gave way
    assert oidc_flows.get(factory, CTX, flows[-1], binding)["step"] == "password"


def test_consent_deny_ends_the_flow_without_a_code(factory, third_party):
    binding = browser()
    flow = started(factory, third_party, binding)
    assert oidc_flows.password(factory, CTX, flow, binding, NIP, PASSWORD)["step"] == "consent"

    assert refused(oidc_flows.consent, factory, CTX, flow, binding, "maybe").status == 422
    assert oidc_flows.consent(factory, CTX, flow, binding, "deny")["step"] == "denied"

    assert refused(oidc_flows.issue_code, factory, CTX, flow, binding, code()).code == "oidc-flow-invalid"
    assert not oidc.has_consent(factory, NIP, third_party, "openid")


def test_consent_given_before_is_not_asked_again_unless_prompted(factory, third_party):
    oidc.grant_consent(factory, CTX, NIP, third_party, "openid profile")
    binding = browser()

    plain = started(factory, third_party, binding)
    prompted = started(factory, third_party, binding, prompt="consent")

    assert oidc_flows.password(factory, CTX, plain, binding, NIP, PASSWORD)["step"] == "verified"
    assert oidc_flows.password(factory, CTX, prompted, binding, NIP, PASSWORD)["step"] == "consent"


def test_an_account_that_must_enrol_totp_is_sent_away_and_the_flow_ends(factory, first_party):
    with unit_of_work(factory) as s:
        repo.save_account(s, {"nip": NIP, "nik": None, "name": "Admin", "email": None, "status": "active",
                              "agency_id": "kemendemo", "unit_id": "U2", "position_id": "J1", "supervisor_nip": None,
                              "extra_roles": ["admin_instansi"]})
    binding = browser()
    flow = started(factory, first_party, binding)

    error = refused(oidc_flows.password, factory, CTX, flow, binding, NIP, PASSWORD)

    assert error.code == "mfa-enrollment-required" and error.status == 403 and "e-Kinerja" in error.detail_id
    assert refused(oidc_flows.get, factory, CTX, flow, binding).code == "oidc-flow-invalid"


def test_an_account_deactivated_after_its_password_gets_no_code(factory, first_party):
    binding = browser()
    flow = started(factory, first_party, binding)
    oidc_flows.password(factory, CTX, flow, binding, NIP, PASSWORD)
    with unit_of_work(factory) as s:
        repo.save_account(s, {"nip": NIP, "nik": None, "name": "X", "email": None, "status": "inactive",
                              "agency_id": "kemendemo", "unit_id": "U2", "position_id": "J1", "supervisor_nip": None,
                              "extra_roles": []})

    assert refused(oidc_flows.issue_code, factory, CTX, flow, binding, code()).code == "oidc-grant-invalid"
    assert oidc_flows.get(factory, CTX, flow, binding)["step"] == "verified"  # but it never produced a code
