"""'Login with ASN Digital': the OpenID Connect provider end to end (issue #3 item 7).

A browser is played by the Flask test client (cookies, HTML forms, redirects); the relying party's
side is done by hand with hashlib (PKCE) and jwcrypto (ID token signature against the published
JWKS), not with authlib, which the provider itself uses. Clients are registered with the
`ekinerja-identity clients add` command against the identity database.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import secrets
import time
from contextlib import redirect_stdout
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from harness import totp_code
from jwcrypto import jwk, jwt
from sqlalchemy import create_engine, text

PORTAL = "https://cuti.pemkot.example.go.id/oidc/callback"  # a third-party, server-side application
MOBILE = "id.go.ekinerja.mobile:/oauth/callback"  # a first-party native application


@dataclass(frozen=True)
class Registered:
    client_id: str
    secret: str | None
    redirect_uri: str
    name: str


def cli(*args: str) -> str:
    from identity.cli import main

    out = io.StringIO()
    with redirect_stdout(out):
        assert main(list(args)) == 0
    return out.getvalue()


@pytest.fixture(scope="module")
def clients(service_databases) -> dict[str, Registered]:
    """Registered once for this module: `portal` (confidential, not first-party: consent screen) and
    `mobile` (public, first-party: PKCE only, no consent)."""
    made = {}
    for key, name, uri, flags in (("portal", "Portal Cuti Pemkot", PORTAL, ["--confidential"]),
                                  ("mobile", "e-Kinerja Mobile", MOBILE, ["--first-party"])):
        printed = cli("clients", "add", "--name", name, "--redirect-uri", uri, *flags)
        fields = dict(line.split(": ", 1) for line in printed.splitlines())
        made[key] = Registered(fields["client_id"], fields.get("client_secret"), uri, name)
    assert made["portal"].secret and made["mobile"].secret is None
    return made


def plain_accounts(demo_logins) -> list[dict]:
    """Demo staff without TOTP; the first ones and the last one are other test modules' (lockout)."""
    return [a for a in demo_logins.values() if "totp_secret" not in a and a["roles"] == ["pegawai"]][2:-1]


# --- the relying party's and the browser's side, by hand ---------------------------------------

class Forms(HTMLParser):
    """The input fields (name -> value) of a page's forms, and the values of its submit buttons."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.buttons: dict[str, list[str]] = {}
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("name"):
            self.fields[a["name"]] = a.get("value") or ""
        elif tag == "button" and a.get("name"):
            self.buttons.setdefault(a["name"], []).append(a.get("value") or "")


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


@dataclass
class Attempt:
    client: Registered
    verifier: str
    state: str
    nonce: str


def authorize(browser, client: Registered, scope: str = "openid profile", **changes):
    verifier, challenge = pkce()
    attempt = Attempt(client, verifier, secrets.token_urlsafe(8), secrets.token_urlsafe(8))
    params = {"response_type": "code", "client_id": client.client_id, "redirect_uri": client.redirect_uri,
              "scope": scope, "state": attempt.state, "nonce": attempt.nonce, "code_challenge": challenge,
              "code_challenge_method": "S256", **changes}
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return attempt, browser.get(f"/oauth/authorize?{query}")


def submit(browser, page, **fields):
    """Post the page's form as a browser would: its hidden fields plus what the user typed."""
    assert page.mimetype == "text/html", page.get_data(as_text=True)[:300]
    form = Forms(page.get_data(as_text=True)).fields
    assert "flow" in form and "csrf_token" in form, form
    return browser.post("/oauth/authorize", data={"flow": form["flow"], "csrf_token": form["csrf_token"], **fields})


def sign_in(browser, page, account):
    return submit(browser, page, nip=account["nip"], password=account["password"])


def redirected(response, attempt: Attempt) -> dict[str, str]:
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    location = response.headers["Location"]
    assert location.startswith(attempt.client.redirect_uri + "?"), location
    params = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert params["state"] == attempt.state
    return params


def exchange(browser, attempt: Attempt, code: str, verifier: str | None = None):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": attempt.client.redirect_uri,
            "code_verifier": verifier or attempt.verifier}
    headers = {}
    if attempt.client.secret:
        basic = f"{attempt.client.client_id}:{attempt.client.secret}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(basic).decode()
    else:
        data["client_id"] = attempt.client.client_id
    return browser.post("/oauth/token", data=data, headers=headers)


def verified_id_token(browser, id_token: str) -> dict:
    """The ID token's claims after jwcrypto checked its RS256 signature against the published JWKS."""
    keys = jwk.JWKSet.from_json(browser.get("/oauth/jwks.json").get_data(as_text=True))
    token = jwt.JWT(jwt=id_token, key=keys, algs=["RS256"], check_claims={"exp": int(time.time())})
    return json.loads(token.claims)


def code_for(browser, client: Registered, account, **changes) -> tuple[Attempt, str]:
    """A full sign-in of an account without TOTP to a client it needs no consent for."""
    attempt, page = authorize(browser, client, **changes)
    return attempt, redirected(sign_in(browser, page, account), attempt)["code"]


def audit_types(service_databases, nip: str) -> list[str]:
    engine = create_engine(service_databases["identity"])
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT type FROM audit_events WHERE nip = :nip ORDER BY id"), {"nip": nip}).all()
    engine.dispose()
    return [r.type for r in rows]


# --- the round trips ----------------------------------------------------------------------------

def test_discovery_document(gateway):
    doc = gateway.get("/.well-known/openid-configuration").get_json()

    assert doc["issuer"] == "http://127.0.0.1:8000"
    assert doc["authorization_endpoint"] == doc["issuer"] + "/oauth/authorize"
    assert doc["token_endpoint"] == doc["issuer"] + "/oauth/token"
    assert doc["jwks_uri"] == doc["issuer"] + "/oauth/jwks.json"
    assert doc["code_challenge_methods_supported"] == ["S256"]


def test_confidential_third_party_client_with_consent(gateway, clients, demo_logins, service_databases):
    account = plain_accounts(demo_logins)[0]
    issuer = gateway.get("/.well-known/openid-configuration").get_json()["issuer"]
    attempt, page = authorize(gateway, clients["portal"])
    assert page.status_code == 200 and "Portal Cuti Pemkot" in page.get_data(as_text=True)

    consent = sign_in(gateway, page, account)

    assert consent.status_code == 200 and Forms(consent.get_data(as_text=True)).buttons["decision"] == ["allow",
                                                                                                      "deny"]
    assert "Izinkan" in consent.get_data(as_text=True)
    params = redirected(submit(gateway, consent, decision="allow"), attempt)
    assert "error" not in params

    response = exchange(gateway, attempt, params["code"])

    assert response.status_code == 200, response.get_json()
    tokens = response.get_json()
    assert tokens["token_type"] == "Bearer" and "refresh_token" not in tokens
    assert response.headers["Cache-Control"] == "no-store"
    claims = verified_id_token(gateway, tokens["id_token"])
    assert claims["iss"] == issuer and claims["aud"] == clients["portal"].client_id
    assert claims["sub"] == account["nip"] and claims["nonce"] == attempt.nonce
    assert claims["name"] == account["name"] and claims["agency_id"] == account["agency_id"]
    assert claims["unit_id"] and claims["amr"] == ["pwd"] and abs(claims["auth_time"] - time.time()) < 60
    digest = hashlib.sha256(tokens["access_token"].encode()).digest()[:16]
    assert claims["at_hash"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    info = gateway.get("/oauth/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert info.status_code == 200
    assert info.get_json() == {"sub": account["nip"], "name": account["name"], "agency_id": account["agency_id"],
                               "unit_id": claims["unit_id"]}
    # The access token is for this client only: the e-Kinerja API refuses it.
    me = gateway.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 401 and me.get_json()["code"] == "token-invalid"

    # Consent is remembered: the next sign-in to this client goes straight back with a code.
    again, page = authorize(gateway, clients["portal"])
    assert "code" in redirected(sign_in(gateway, page, account), again)
    types = audit_types(service_databases, account["nip"])
    assert types.count("consent.granted") == 1 and "oidc.tokens_issued" in types


def test_totp_account_on_a_first_party_public_client(gateway, clients, demo_logins):
    account = [a for a in demo_logins.values() if "totp_secret" in a][-1]
    attempt, page = authorize(gateway, clients["mobile"])

    second = sign_in(gateway, page, account)

    assert second.status_code == 200 and "code" in Forms(second.get_data(as_text=True)).fields
    assert "autentikator" in second.get_data(as_text=True)
    params = redirected(submit(gateway, second, code=totp_code(account["totp_secret"])), attempt)  # no consent
    response = exchange(gateway, attempt, params["code"])  # public client: client_id and PKCE, no secret
    assert response.status_code == 200, response.get_json()
    claims = verified_id_token(gateway, response.get_json()["id_token"])
    assert claims["sub"] == account["nip"] and claims["aud"] == clients["mobile"].client_id
    assert claims["amr"] == ["pwd", "otp"]


def test_the_sign_in_does_not_leave_an_e_kinerja_session(gateway, clients, demo_logins, service_databases):
    account = plain_accounts(demo_logins)[1]

    code_for(gateway, clients["mobile"], account)

    types = audit_types(service_databases, account["nip"])
    assert types[-2:] == ["login.succeeded", "session.revoked"]


# --- refusals ---------------------------------------------------------------------------------------

def test_a_reused_code_is_invalid_grant_and_revokes_its_tokens(gateway, clients, demo_logins):
    attempt, code = code_for(gateway, clients["mobile"], plain_accounts(demo_logins)[2])
    first = exchange(gateway, attempt, code)
    assert first.status_code == 200
    bearer = {"Authorization": f"Bearer {first.get_json()['access_token']}"}
    assert gateway.get("/oauth/userinfo", headers=bearer).status_code == 200

    replay = exchange(gateway, attempt, code)

    assert replay.status_code == 400 and replay.get_json()["error"] == "invalid_grant"
    refused = gateway.get("/oauth/userinfo", headers=bearer)
    assert refused.status_code == 401 and 'error="invalid_token"' in refused.headers["WWW-Authenticate"]


def test_a_wrong_code_verifier_is_invalid_grant_and_uses_up_the_code(gateway, clients, demo_logins):
    attempt, code = code_for(gateway, clients["mobile"], plain_accounts(demo_logins)[3])

    wrong = exchange(gateway, attempt, code, verifier=pkce()[0])

    assert wrong.status_code == 400 and wrong.get_json()["error"] == "invalid_grant"
    assert exchange(gateway, attempt, code).get_json()["error"] == "invalid_grant"


def test_a_code_is_only_for_its_own_client(gateway, clients, demo_logins):
    attempt, code = code_for(gateway, clients["mobile"], plain_accounts(demo_logins)[4])
    stolen = Attempt(clients["portal"], attempt.verifier, attempt.state, attempt.nonce)

    response = exchange(gateway, stolen, code)

    assert response.status_code == 400 and response.get_json()["error"] == "invalid_grant"


def test_a_wrong_client_secret_is_invalid_client(gateway, clients):
    forged = Registered(clients["portal"].client_id, "not-the-secret", PORTAL, "")
    attempt = Attempt(forged, pkce()[0], "s", "n")

    response = exchange(gateway, attempt, "some-code")

    assert response.status_code == 401 and response.get_json()["error"] == "invalid_client"


def test_deny_on_the_consent_page_sends_access_denied(gateway, clients, demo_logins):
    attempt, page = authorize(gateway, clients["portal"])
    consent = sign_in(gateway, page, plain_accounts(demo_logins)[5])

    params = redirected(submit(gateway, consent, decision="deny"), attempt)

    assert params["error"] == "access_denied" and "code" not in params


@pytest.mark.parametrize("wrong", [PORTAL + "/", PORTAL[:-1] + "K", PORTAL.replace("https:", "http:")])
def test_a_redirect_uri_one_character_off_is_refused_without_redirecting(gateway, clients, wrong):
    _, response = authorize(gateway, clients["portal"], redirect_uri=wrong)

    assert response.status_code == 400 and response.mimetype == "text/html"
    assert "Location" not in response.headers
    assert "flow" not in Forms(response.get_data(as_text=True)).fields  # no sign-in form


def test_a_request_without_code_challenge_is_refused(gateway, clients):
    attempt, response = authorize(gateway, clients["mobile"], code_challenge=None, code_challenge_method=None)

    params = redirected(response, attempt)
    assert params["error"] == "invalid_request" and "code" not in params


def test_a_wrong_password_is_explained_on_the_page_in_both_languages(gateway, clients, demo_logins):
    account = plain_accounts(demo_logins)[6]
    attempt, page = authorize(gateway, clients["mobile"])

    wrong = submit(gateway, page, nip=account["nip"], password="Salah-Sekali-123")

    assert wrong.status_code == 401 and wrong.mimetype == "text/html"
    html = wrong.get_data(as_text=True)
    assert "NIP atau kata sandi salah" in html and "The NIP or password is wrong" in html
    assert Forms(html).fields["nip"] == account["nip"]  # the form again, NIP kept
    assert "code" in redirected(sign_in(gateway, wrong, account), attempt)


def test_an_account_that_must_set_up_totp_is_sent_to_the_app(gateway, clients, demo_logins, service_databases):
    account = [a for a in plain_accounts(demo_logins) if a["agency_id"] == "pemkotdemo"][-1]
    engine = create_engine(service_databases["identity"])
    set_roles = text("UPDATE accounts SET extra_roles = CAST(:roles AS JSON) WHERE nip = :nip")
    with engine.begin() as conn:  # an admin role requires TOTP (MFA_REQUIRED_ROLES)
        conn.execute(set_roles, {"roles": '["admin_instansi"]', "nip": account["nip"]})
    try:
        attempt, page = authorize(gateway, clients["mobile"])

        response = sign_in(gateway, page, account)

        assert response.status_code == 403 and response.mimetype == "text/html"
        html = response.get_data(as_text=True)
        assert "aplikasi e-Kinerja" in html and "authenticator app" in html
        assert "Location" not in response.headers
    finally:
        with engine.begin() as conn:
            conn.execute(set_roles, {"roles": "[]", "nip": account["nip"]})
        engine.dispose()


def test_revoked_access_token_is_refused_by_userinfo(gateway, clients, demo_logins):
    attempt, code = code_for(gateway, clients["mobile"], plain_accounts(demo_logins)[7])
    access = exchange(gateway, attempt, code).get_json()["access_token"]

    revoked = gateway.post("/oauth/revoke", data={"token": access, "client_id": clients["mobile"].client_id})

    assert revoked.status_code == 200
    assert gateway.get("/oauth/userinfo", headers={"Authorization": f"Bearer {access}"}).status_code == 401


def test_clients_are_listed_and_their_registration_audited(clients, service_databases):
    listed = cli("clients", "list")

    assert clients["portal"].client_id in listed and "Portal Cuti Pemkot" in listed
    assert f"{clients['mobile'].client_id}  e-Kinerja Mobile  [public, first-party]" in listed
    engine = create_engine(service_databases["identity"])
    with engine.connect() as conn:
        registered = conn.execute(text("SELECT detail FROM audit_events WHERE type = 'client.registered'")).all()
    engine.dispose()
    ids = {(r.detail if isinstance(r.detail, dict) else json.loads(r.detail))["client_id"] for r in registered}
    assert {clients["portal"].client_id, clients["mobile"].client_id} <= ids


def test_a_lockout_is_shown_on_the_page_with_retry_after(gateway, clients, demo_logins):
    account = plain_accounts(demo_logins)[8]
    _, page = authorize(gateway, clients["mobile"])
    for _ in range(5):
        page = submit(gateway, page, nip=account["nip"], password="Salah-Sekali-123")
        assert page.status_code == 401

    locked = sign_in(gateway, page, account)  # even the right password waits

    assert locked.status_code == 429 and 0 < int(locked.headers["Retry-After"]) <= 30
    assert "Terlalu banyak percobaan kata sandi" in locked.get_data(as_text=True)
