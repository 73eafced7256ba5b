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
import os
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


def test_the_sign_in_does_not_open_an_e_kinerja_session(gateway, clients, demo_logins, service_databases):
    account = plain_accounts(demo_logins)[1]
    engine = create_engine(service_databases["identity"])
    count = text("SELECT count(*) FROM sessions WHERE nip = :nip")
    with engine.connect() as conn:
        before = conn.execute(count, {"nip": account["nip"]}).scalar_one()

    code_for(gateway, clients["mobile"], account)

    with engine.connect() as conn:
        assert conn.execute(count, {"nip": account["nip"]}).scalar_one() == before
        last = conn.execute(text("SELECT type, detail FROM audit_events WHERE nip = :nip ORDER BY id DESC LIMIT 1"),
                            {"nip": account["nip"]}).one()
    engine.dispose()
    detail = last.detail if isinstance(last.detail, dict) else json.loads(last.detail)
    assert last.type == "login.succeeded" and detail["via"] == "oidc" and detail["amr"] == ["pwd"]
    assert detail["client_id"] == clients["mobile"].client_id


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
    html = locked.get_data(as_text=True)
    assert "Masuk dengan NIP ini ditangguhkan" in html and "Sign-in with this NIP is paused" in html
    forgot = os.environ.get("EKINERJA_WEB_URL", "http://127.0.0.1:8080").rstrip("/") + "/lupa-password"
    assert f'href="{forgot}"' in html and "atur ulang kata sandi dengan &#39;Lupa Password&#39;" in html


def test_a_malformed_nip_is_shown_next_to_the_field_and_the_sign_in_goes_on(gateway, clients, demo_logins,
                                                                            service_databases):
    """Issue 15, case 1 on the HTML sign-in: 422 with the 18-digit rule next to the NIP field; nothing
    is counted against anybody, and the same page then takes the right NIP."""
    account = plain_accounts(demo_logins)[9]
    attempt, page = authorize(gateway, clients["mobile"])

    before = audit_types(service_databases, account["nip"])
    typo = submit(gateway, page, nip=account["nip"][:9] + " " + account["nip"][9:17], password=account["password"])

    assert typo.status_code == 422 and typo.mimetype == "text/html"
    html = typo.get_data(as_text=True)
    field = html.split('id="nip-error"')[1].split("</p>")[0]
    assert "tepat 18 digit angka" in field and "exactly 18 digits" in field
    assert 'aria-invalid="true"' in html and audit_types(service_databases, account["nip"]) == before
    assert "code" in redirected(sign_in(gateway, typo, account), attempt)


# --- the sign-in's progress is identity's, never the cookie's --------------------------------------

SSO_COOKIE = "ekinerja_sso"
# The signing key the gateway's source once fell back on: public, so anyone could sign with it.
PUBLIC_OLD_KEY = "ekinerja-dev-only-secret-key-set-GATEWAY_SECRET_KEY"


def _cookie_serializer(key: str):
    from flask import Flask
    from flask.sessions import SecureCookieSessionInterface

    signer = Flask("forger")
    signer.secret_key = key
    return SecureCookieSessionInterface().get_signing_serializer(signer)


def sso_cookie(browser) -> str | None:
    cookie = browser.get_cookie(SSO_COOKIE, path="/oauth/")
    return cookie.value if cookie else None


def read_cookie(browser) -> dict:
    """What the browser's sign-in cookie says: signed, not encrypted, so its owner can read it."""
    _, payload = _cookie_serializer("any").loads_unsafe(sso_cookie(browser))
    return dict(payload or {})


def put_cookie(browser, value: str) -> None:
    browser.set_cookie(SSO_COOKIE, value, path="/oauth/")


def no_code(response) -> None:
    """No authorization code reaches the client (an error sent back to it is no code)."""
    location = response.headers.get("Location", "")
    assert "code" not in parse_qs(urlsplit(location).query), location


def test_the_mfa_step_cannot_be_skipped_by_posting_the_consent_decision(gateway, clients, demo_logins):
    account = [a for a in demo_logins.values() if "totp_secret" in a][0]
    attempt, page = authorize(gateway, clients["portal"])
    second = sign_in(gateway, page, account)
    assert "autentikator" in second.get_data(as_text=True)

    skipped = submit(gateway, second, decision="allow")

    no_code(skipped)
    assert "autentikator" in skipped.get_data(as_text=True)  # still asked for the code


@pytest.mark.parametrize("key", ["public-old-key", "gateway-key"])
def test_a_cookie_forged_with_any_key_yields_no_code(gateway, clients, demo_logins, key):
    """An attacker starts a sign-in of their own, then rewrites their cookie to say the sign-in of a
    TOTP account is at the consent step and signs it: with the key the source once held, or even with
    the gateway's own key (as if it had leaked)."""
    victim = [a for a in demo_logins.values() if "totp_secret" in a][-1]
    attempt, page = authorize(gateway, clients["portal"])
    form = Forms(page.get_data(as_text=True)).fields
    payload = read_cookie(gateway)
    now = int(time.time())
    params = {k: v[0] for k, v in parse_qs(urlsplit(page.request.url).query).items()}
    payload["oidc_flows"] = {form["flow"]: {"params": params, "step": "consent", "created": now,
                                            "user": {"nip": victim["nip"], "auth_time": now,
                                                     "amr": ["pwd", "otp"], "name": victim["name"]}}}
    signing_key = PUBLIC_OLD_KEY if key == "public-old-key" else gateway.application.secret_key
    put_cookie(gateway, _cookie_serializer(signing_key).dumps(payload))

    response = gateway.post("/oauth/authorize", data={"flow": form["flow"], "csrf_token": form["csrf_token"],
                                                      "decision": "allow"})

    no_code(response)


def test_a_genuine_cookie_replayed_after_its_sign_in_ended_yields_no_second_code(gateway, clients, demo_logins):
    account = plain_accounts(demo_logins)[9]
    attempt, page = authorize(gateway, clients["portal"], nonce=None)  # the nonce is optional
    consent = sign_in(gateway, page, account)
    assert Forms(consent.get_data(as_text=True)).buttons["decision"] == ["allow", "deny"]
    snapshot = sso_cookie(gateway)
    assert "code" in redirected(submit(gateway, consent, decision="allow"), attempt)

    put_cookie(gateway, snapshot)  # the cookie as it was at the consent step
    replayed = submit(gateway, consent, decision="allow")

    no_code(replayed)


def test_a_genuine_cookie_of_one_sign_in_cannot_advance_another(gateway, clients, demo_logins):
    victim = plain_accounts(demo_logins)[10]
    other_browser = gateway.application.test_client()
    _, own_page = authorize(gateway, clients["portal"])
    own = Forms(own_page.get_data(as_text=True)).fields
    _, victim_page = authorize(other_browser, clients["portal"])
    victim_consent = sign_in(other_browser, victim_page, victim)
    stolen = Forms(victim_consent.get_data(as_text=True)).fields  # the victim's page leaked, not their cookie

    response = gateway.post("/oauth/authorize", data={"flow": stolen["flow"], "csrf_token": own["csrf_token"],
                                                      "decision": "allow"})

    no_code(response)
    assert "kedaluwarsa" in response.get_data(as_text=True)
    # Nor with the victim's page's CSRF token and the attacker's own (genuine) cookie:
    no_code(gateway.post("/oauth/authorize", data={"flow": stolen["flow"], "csrf_token": stolen["csrf_token"],
                                                   "decision": "allow"}))
    # Nor does the attacker's own sign-in carry the victim's progress: it still wants a password.
    own_again = submit(gateway, own_page, decision="allow")
    no_code(own_again)
    assert own_again.status_code == 422 and 'name="password"' in own_again.get_data(as_text=True)
    # The victim's flow id leaked, so identity ended that flow: the victim starts again, safely.
    no_code(submit(other_browser, victim_consent, decision="allow"))


def expire_flows(service_databases) -> None:
    engine = create_engine(service_databases["identity"])
    with engine.begin() as conn:
        conn.execute(text("UPDATE oidc_flows SET expires_at = now() - interval '1 second'"))
    engine.dispose()


def test_an_expired_sign_in_is_refused_and_yields_no_code(gateway, clients, demo_logins, service_databases):
    account = plain_accounts(demo_logins)[11]
    attempt, page = authorize(gateway, clients["portal"])
    consent = sign_in(gateway, page, account)
    assert Forms(consent.get_data(as_text=True)).buttons["decision"] == ["allow", "deny"]

    expire_flows(service_databases)
    response = submit(gateway, consent, decision="allow")

    no_code(response)
    assert response.status_code == 400 and "kedaluwarsa" in response.get_data(as_text=True)
    again, page = authorize(gateway, clients["portal"])  # a new sign-in works as ever
    assert "code" in redirected(submit(gateway, sign_in(gateway, page, account), decision="allow"), again)


def test_identity_itself_refuses_a_code_or_consent_before_the_totp_step(gateway, clients, demo_logins, rpc):
    from ekinerja_kernel.rpc import RpcProblem

    account = [a for a in demo_logins.values() if "totp_secret" in a][0]
    _, page = authorize(gateway, clients["mobile"])
    second = sign_in(gateway, page, account)
    flow, browser = Forms(second.get_data(as_text=True)).fields["flow"], read_cookie(gateway)["browser"]

    for call in (lambda: rpc.identity.oidc_flow_code(flow, browser, secrets.token_urlsafe(36)),
                 lambda: rpc.identity.oidc_flow_consent(flow, browser, "allow")):
        with pytest.raises(RpcProblem) as refused:
            call()
        assert refused.value.status == 409 and refused.value.problem["code"] == "oidc-flow-step"
        assert refused.value.problem["step"] == "mfa"
    assert rpc.identity.oidc_flow_get(flow, browser)["step"] == "mfa"


def test_nobody_can_tell_identity_who_signed_in(rpc, clients, demo_logins):
    """The RPCs that took the gateway's word for the user are gone: a code or a consent comes only
    from a flow identity verified."""
    from nameko.exceptions import MethodNotFound

    nip = plain_accounts(demo_logins)[0]["nip"]
    with pytest.raises(MethodNotFound):
        rpc.identity.oidc_save_code("c" * 40, clients["mobile"].client_id, nip, MOBILE, "openid", None,
                                    pkce()[1], "S256", int(time.time()), ["pwd", "otp"])
    with pytest.raises(MethodNotFound):
        rpc.identity.oidc_grant_consent(nip, clients["portal"].client_id, "openid profile")


def test_identity_issues_tokens_only_for_a_code_the_client_just_took(gateway, rpc, clients, demo_logins):
    from nameko.exceptions import IncorrectSignature

    from ekinerja_kernel.rpc import RpcProblem

    victim = plain_accounts(demo_logins)[12]["nip"]
    client_id = clients["mobile"].client_id
    with pytest.raises(IncorrectSignature):  # naming the user is no longer how tokens are asked for
        rpc.identity.oidc_issue_tokens(client_id, victim, "openid profile")
    for code_id in ("0" * 64, "made-up"):
        with pytest.raises(RpcProblem) as refused:
            rpc.identity.oidc_issue_tokens(client_id, code_id)
        assert refused.value.problem["code"] == "oidc-grant-invalid"
    # A real code, exchanged by its client: its tokens come once, and not again for the same code.
    attempt, code = code_for(gateway, clients["mobile"], plain_accounts(demo_logins)[13])
    assert exchange(gateway, attempt, code).status_code == 200
