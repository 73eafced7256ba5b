"""OpenID Connect provider use cases (identity.oidc) on a real SQLite database."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import delete, select, update

from ekinerja_kernel.caller import Caller, RequestContext
from ekinerja_kernel.db import unit_of_work
from ekinerja_kernel.errors import DomainError
from ekinerja_kernel.events import utcnow
from identity import keys, oidc
from identity import repository as repo
from identity.tables import audit_events, oauth_clients, oauth_codes, oauth_tokens

NIP = "198609262015051001"
GONE = "197001012000011001"
APP = "https://app.example.go.id/callback"
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(b"v" * 43).digest()).rstrip(b"=").decode()
CTX = RequestContext(ip="10.1.2.3", user_agent="pytest", request_id="req-1")


@pytest.fixture
def factory(identity_db, add_account):
    for nip, status in ((NIP, "active"), (GONE, "inactive")):
        add_account(nip, nik="3171012609860001", name="Budi Santoso", status=status)
    return identity_db


def register(factory, **kw):
    kw.setdefault("redirect_uris", [APP])
    return oidc.register_client(factory, CTX, kw.pop("name", "Aplikasi Cuti"), kw.pop("redirect_uris"), **kw)


def save(factory, client_id, code="code-1", nip=NIP, **kw):
    values = {"redirect_uri": APP, "scope": "openid profile", "nonce": "n-1", "code_challenge": CHALLENGE,
              "code_challenge_method": "S256", "auth_time": 1_700_000_000, "amr": ["pwd"], **kw}
    return oidc.save_code(factory, CTX, code, client_id, nip, **values)


def verified(factory, token):
    with unit_of_work(factory) as s:
        return jwt.decode(token, KeySet.import_key_set(keys.jwks(s)), algorithms=["RS256"]).claims


# --- clients -----------------------------------------------------------------------------------

def test_a_confidential_client_gets_a_secret_shown_once_and_stored_as_a_hash(factory):
    created = register(factory, confidential=True)

    assert created["client_secret"]
    with factory() as s:
        row = s.execute(select(oauth_clients)).one()
    assert row.client_secret_hash != created["client_secret"] and len(row.client_secret_hash) == 64
    assert oidc.check_client_secret(factory, created["client_id"], created["client_secret"])
    assert not oidc.check_client_secret(factory, created["client_id"], created["client_secret"] + "x")
    assert oidc.client(factory, created["client_id"])["token_endpoint_auth_method"] == "client_secret_basic"


def test_a_public_client_has_no_secret_and_authenticates_with_none(factory):
    created = register(factory, first_party=True)

    assert "client_secret" not in created
    view = oidc.client(factory, created["client_id"])
    assert view["token_endpoint_auth_method"] == "none" and view["first_party"] is True
    assert view["redirect_uris"] == [APP]
    assert not oidc.check_client_secret(factory, created["client_id"], "")
    assert oidc.client(factory, "no-such-client") is None


def test_registration_is_audited(factory):
    created = register(factory, created_by="cli:ops")

    with factory() as s:
        event = s.execute(select(audit_events).where(audit_events.c.type == "client.registered")).one()
    assert event.outcome == "ok" and event.detail["client_id"] == created["client_id"]
    assert event.detail["created_by"] == "cli:ops" and event.ip == "10.1.2.3"


@pytest.mark.parametrize("uri", ["https://app.example.go.id/cb", "http://127.0.0.1:8765/cb", "http://localhost/cb",
                                 "id.go.kemendemo.app:/oauth"])
def test_acceptable_redirect_uris(uri):
    assert oidc.redirect_uri_problem(uri) is None


@pytest.mark.parametrize("uri", ["http://app.example.go.id/cb", "https://app.example.go.id/cb#x", "/callback",
                                 "javascript:alert(1)", "https://app.example.go.id/c b", "", None])
def test_refused_redirect_uris(uri):
    assert oidc.redirect_uri_problem(uri) is not None


def test_registration_refuses_bad_input_naming_each_field(factory):
    with pytest.raises(DomainError) as refused:
        oidc.register_client(factory, CTX, " ", ["http://evil.example/cb"], scopes="openid email")

    assert refused.value.status == 422
    assert {e.field for e in refused.value.errors} == {"name", "redirect_uris", "scopes"}
    assert all(e.detail_id for e in refused.value.errors)


def test_only_a_national_admin_registers_over_rpc(factory):
    staff = RequestContext(caller=Caller(nip=NIP, roles=("pegawai", "admin_instansi")))
    admin = RequestContext(caller=Caller(nip=NIP, roles=("pegawai", "admin_nasional")))

    with pytest.raises(DomainError) as refused:
        oidc.register_client_as_admin(factory, staff, "X", [APP])
    assert refused.value.status == 403
    assert oidc.register_client_as_admin(factory, admin, "X", [APP])["client_id"]


# --- codes ---------------------------------------------------------------------------------------

def test_a_code_is_taken_once_and_only_by_its_client(factory):
    client_id = register(factory, first_party=True)["client_id"]
    other = register(factory, first_party=True)["client_id"]
    save(factory, client_id)

    assert oidc.take_code(factory, CTX, "code-1", other) is None
    taken = oidc.take_code(factory, CTX, "code-1", client_id)
    assert taken["nip"] == NIP and taken["code_challenge"] == CHALLENGE and taken["nonce"] == "n-1"
    assert taken["redirect_uri"] == APP and taken["amr"] == ["pwd"]
    assert oidc.take_code(factory, CTX, "code-1", client_id) is None
    with factory() as s:
        assert s.execute(select(oauth_codes.c.code_hash)).scalar_one() != "code-1"  # stored as a hash


def test_an_expired_code_is_refused(factory):
    client_id = register(factory, first_party=True)["client_id"]
    save(factory, client_id)
    with unit_of_work(factory) as s:
        s.execute(update(oauth_codes).values(expires_at=utcnow() - dt.timedelta(seconds=1)))

    assert oidc.take_code(factory, CTX, "code-1", client_id) is None


def test_a_redirect_uri_differing_by_one_character_is_refused(factory):
    client_id = register(factory, first_party=True)["client_id"]

    with pytest.raises(DomainError) as refused:
        save(factory, client_id, redirect_uri=APP + "/")
    assert refused.value.code == "oidc-request-invalid"


def test_pkce_must_be_s256(factory):
    client_id = register(factory, first_party=True)["client_id"]

    with pytest.raises(DomainError):
        save(factory, client_id, code_challenge_method="plain")
    with pytest.raises(DomainError):
        save(factory, client_id, code_challenge="")


def test_a_third_party_client_gets_a_code_only_after_consent(factory):
    client_id = register(factory)["client_id"]

    assert not oidc.has_consent(factory, NIP, client_id, "openid profile")
    with pytest.raises(DomainError):
        save(factory, client_id)
    oidc.grant_consent(factory, CTX, NIP, client_id, "openid")
    assert oidc.has_consent(factory, NIP, client_id, "openid")
    assert not oidc.has_consent(factory, NIP, client_id, "openid profile")  # more was not allowed yet
    oidc.grant_consent(factory, CTX, NIP, client_id, "profile openid")
    assert oidc.has_consent(factory, NIP, client_id, "openid profile")
    assert save(factory, client_id)["status"] == "saved"


def test_nonce_reuse_is_recognised_per_client(factory):
    client_id = register(factory, first_party=True)["client_id"]
    save(factory, client_id, nonce="once")

    assert oidc.nonce_used(factory, client_id, "once")
    assert not oidc.nonce_used(factory, client_id, "other")


# --- tokens -----------------------------------------------------------------------------------------

def issue(factory, client_id, scope="openid profile", code="code-1"):
    save(factory, client_id, code=code, scope=scope)
    taken = oidc.take_code(factory, CTX, code, client_id)
    return oidc.issue_tokens(factory, CTX, client_id, taken["code_id"])


def test_id_token_claims_and_signature(factory):
    client_id = register(factory, first_party=True)["client_id"]

    tokens = issue(factory, client_id)

    claims = verified(factory, tokens["id_token"])
    assert claims["iss"] == keys.issuer() and claims["aud"] == client_id and claims["sub"] == NIP
    assert claims["nonce"] == "n-1" and claims["auth_time"] == 1_700_000_000 and claims["amr"] == ["pwd"]
    assert (claims["name"], claims["agency_id"], claims["unit_id"]) == ("Budi Santoso", "kemendemo", "U2")
    assert claims["at_hash"] == oidc.at_hash(tokens["access_token"])
    access = verified(factory, tokens["access_token"])
    assert access["aud"] == client_id != keys.AUDIENCE and access["scope"] == "openid profile"
    assert "sid" not in access and "roles" not in access


def test_without_profile_the_id_token_and_userinfo_carry_only_the_nip(factory):
    client_id = register(factory, first_party=True)["client_id"]

    tokens = issue(factory, client_id, scope="openid")

    assert "name" not in verified(factory, tokens["id_token"])
    assert oidc.userinfo(factory, tokens["access_token"]) == {"sub": NIP}


def test_userinfo_with_profile(factory):
    client_id = register(factory, first_party=True)["client_id"]
    tokens = issue(factory, client_id)

    assert oidc.userinfo(factory, tokens["access_token"]) == {"sub": NIP, "name": "Budi Santoso",
                                                              "agency_id": "kemendemo", "unit_id": "U2"}


def test_a_replayed_code_revokes_the_tokens_it_gave(factory):
    client_id = register(factory, first_party=True)["client_id"]
    tokens = issue(factory, client_id)

    assert oidc.take_code(factory, CTX, "code-1", client_id) is None

    with pytest.raises(DomainError) as refused:
        oidc.userinfo(factory, tokens["access_token"])
    assert refused.value.status == 401
    with factory() as s:
        assert s.execute(select(audit_events).where(audit_events.c.type == "oidc.code_reused")).first()


def test_revocation_only_by_the_tokens_client(factory):
    client_id = register(factory, first_party=True)["client_id"]
    other = register(factory, first_party=True)["client_id"]
    tokens = issue(factory, client_id)

    assert oidc.revoke(factory, CTX, tokens["access_token"], other) == {"status": "ignored"}
    assert oidc.userinfo(factory, tokens["access_token"])["sub"] == NIP
    assert oidc.revoke(factory, CTX, "not-a-token", client_id) == {"status": "ignored"}
    assert oidc.revoke(factory, CTX, tokens["access_token"], client_id) == {"status": "revoked"}
    with pytest.raises(DomainError):
        oidc.userinfo(factory, tokens["access_token"])


def test_a_forged_or_foreign_token_is_refused_by_userinfo(factory):
    client_id = register(factory, first_party=True)["client_id"]
    tokens = issue(factory, client_id)
    head, body, sig = tokens["access_token"].split(".")

    for bad in (f"{head}.{body}.{sig[:-4]}AAAA", "a.b.c", ""):
        with pytest.raises(DomainError):
            oidc.userinfo(factory, bad)
    with unit_of_work(factory) as s:  # an e-Kinerja API token: signed by us, but not issued to a client
        api_token = keys.sign(s, {"iss": keys.issuer(), "aud": keys.AUDIENCE, "sub": NIP, "jti": "x",
                                  "exp": 4_000_000_000})
    with pytest.raises(DomainError):
        oidc.userinfo(factory, api_token)


def test_no_tokens_for_an_inactive_account(factory):
    client_id = register(factory, first_party=True)["client_id"]
    save(factory, client_id)
    taken = oidc.take_code(factory, CTX, "code-1", client_id)
    with unit_of_work(factory) as s:  # deactivated between the code and the token request
        repo.save_account(s, {"nip": NIP, "nik": None, "name": "Budi Santoso", "email": None, "status": "inactive",
                              "agency_id": "kemendemo", "unit_id": "U2", "position_id": "J1",
                              "supervisor_nip": None, "extra_roles": []})

    with pytest.raises(DomainError):
        oidc.issue_tokens(factory, CTX, client_id, taken["code_id"])
    with pytest.raises(DomainError):
        save(factory, client_id, nip=GONE)


def test_tokens_come_only_for_a_code_its_client_just_took_and_once(factory):
    client_id = register(factory, first_party=True)["client_id"]
    other = register(factory, first_party=True)["client_id"]
    save(factory, client_id)
    with factory() as s:
        code_id = s.execute(select(oauth_codes.c.code_hash)).scalar_one()

    for client, code in ((client_id, code_id), (client_id, "made-up"), (client_id, None)):
        with pytest.raises(DomainError) as refused:  # not taken yet, or no such code
            oidc.issue_tokens(factory, CTX, client, code)
        assert refused.value.code == "oidc-grant-invalid"
    taken = oidc.take_code(factory, CTX, "code-1", client_id)
    with pytest.raises(DomainError):
        oidc.issue_tokens(factory, CTX, other, taken["code_id"])  # another client's code

    tokens = oidc.issue_tokens(factory, CTX, client_id, taken["code_id"])

    assert verified(factory, tokens["id_token"])["sub"] == NIP and tokens["scope"] == "openid profile"
    with pytest.raises(DomainError):
        oidc.issue_tokens(factory, CTX, client_id, taken["code_id"])  # once per code
    with unit_of_work(factory) as s:  # a code taken long ago gives nothing either
        s.execute(update(oauth_codes).values(used_at=utcnow() - dt.timedelta(seconds=oidc.CODE_SECONDS + 1)))
        s.execute(delete(oauth_tokens))
    with pytest.raises(DomainError):
        oidc.issue_tokens(factory, CTX, client_id, taken["code_id"])
