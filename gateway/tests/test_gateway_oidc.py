"""The OIDC provider's HTTP side (ekinerja_gateway.oidc) with identity replaced by a stub RPC client:
request validation, error pages versus redirects, discovery, cookies. The whole flow against the
real identity service is in tests/integration/test_oidc.py."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from authlib.oidc.discovery import OpenIDProviderMetadata

from ekinerja_gateway.app import create_app
from ekinerja_gateway.rpc import ServiceUnavailable

UNROUTABLE = "pyamqp://guest:guest@127.0.0.1:1/"
APP = "https://cuti.example.go.id/callback"
CLIENT = {"client_id": "cuti", "name": "Aplikasi Cuti", "redirect_uris": [APP], "first_party": False,
          "allowed_scopes": ["openid", "profile"], "confidential": True,
          "token_endpoint_auth_method": "client_secret_basic"}
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


class StubRpc:
    """Answers the look-ups of an authorization request and plays identity's flow of a password-only
    user of a client they already consented to; anything else fails the test."""

    def __init__(self, down: bool = False) -> None:
        self.down = down
        self.calls: list[str] = []
        self.args: dict[str, tuple] = {}
        self.flows: dict[str, dict] = {}

    def call(self, service, method, *args, **kwargs):
        self.calls.append(method)
        self.args[method] = args
        if self.down:
            raise ServiceUnavailable(service, "stopped for the test")
        if method == "oidc_client":
            return CLIENT if args[0] == "cuti" else None
        if method == "oidc_nonce_used":
            return False
        if method == "oidc_flow_start":
            flow = {"flow": f"flow-{len(self.flows)}", "step": "password", "client_id": "cuti",
                    "client_name": "Aplikasi Cuti", "params": dict(args[1]), "nip": None, "browser": args[0]}
            self.flows[flow["flow"]] = flow
            return flow
        if method in ("oidc_flow_get", "oidc_flow_password", "oidc_flow_code"):
            flow = self.flows[args[0]]
            assert args[1] == flow["browser"], "the browser binding of the cookie goes with every step"
            if method == "oidc_flow_password":
                flow.update(step="verified", nip=args[2])
            return {"status": "saved"} if method == "oidc_flow_code" else flow
        raise AssertionError(f"unexpected RPC {service}.{method}")


def make_app(rpc=None, **settings):
    app = create_app({"AMQP_URI": UNROUTABLE, "TESTING": True, **settings})
    app.extensions["rpc"] = rpc or StubRpc()
    return app


@pytest.fixture
def client():
    return make_app().test_client()


def authorize_url(**changes):
    params = {"response_type": "code", "client_id": "cuti", "redirect_uri": APP, "scope": "openid profile",
              "state": "st-1", "nonce": "n-1", "code_challenge": CHALLENGE, "code_challenge_method": "S256"}
    params.update(changes)
    return "/oauth/authorize?" + urlencode({k: v for k, v in params.items() if v is not None})


def redirect_params(response):
    location = response.headers["Location"]
    assert location.startswith(APP + "?"), location
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


# --- discovery -----------------------------------------------------------------------------------

def test_discovery_names_the_endpoints_under_the_issuer():
    app = make_app(TOKEN_ISSUER="https://asn.example.go.id")

    response = app.test_client().get("/.well-known/openid-configuration")

    assert response.status_code == 200
    doc = response.get_json()
    assert doc["issuer"] == "https://asn.example.go.id"
    assert doc["authorization_endpoint"] == "https://asn.example.go.id/oauth/authorize"
    assert doc["jwks_uri"] == "https://asn.example.go.id/oauth/jwks.json"
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["response_types_supported"] == ["code"]
    assert {"name", "agency_id", "unit_id", "sub"} <= set(doc["claims_supported"])
    OpenIDProviderMetadata(doc).validate()  # authlib's check of OpenID Connect Discovery 1.0


# --- the authorization request ----------------------------------------------------------------

def test_a_valid_request_shows_the_sign_in_form_with_a_restricted_cookie(client):
    response = client.get(authorize_url())

    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "Aplikasi Cuti" in page and 'name="nip"' in page and 'name="password"' in page
    assert 'name="csrf_token"' in page and 'name="flow"' in page
    assert "Kata sandi" in page and "Password" in page  # bilingual labels
    cookie = response.headers["Set-Cookie"]
    assert "Path=/oauth/" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert response.headers["X-Frame-Options"] == "DENY" and response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("wrong", [APP + "/", APP[:-1], APP.replace("https", "http"), APP + "?x=1"])
def test_a_redirect_uri_not_registered_exactly_is_refused_without_redirecting(client, wrong):
    response = client.get(authorize_url(redirect_uri=wrong))

    assert response.status_code == 400 and response.mimetype == "text/html"
    assert "Location" not in response.headers
    assert 'name="password"' not in response.get_data(as_text=True)


def test_an_unknown_client_is_refused_without_redirecting(client):
    response = client.get(authorize_url(client_id="nobody"))

    assert response.status_code == 400 and "Location" not in response.headers


@pytest.mark.parametrize("changes", [{"code_challenge": None, "code_challenge_method": None},
                                     {"code_challenge_method": None},
                                     {"code_challenge_method": "plain"},
                                     {"code_challenge": "short"}])
def test_pkce_s256_is_required(client, changes):
    response = client.get(authorize_url(**changes))

    assert response.status_code == 302
    params = redirect_params(response)
    assert params["error"] == "invalid_request" and params["state"] == "st-1" and "code" not in params


def test_the_openid_scope_is_required(client):
    params = redirect_params(client.get(authorize_url(scope="profile")))

    assert params["error"] == "invalid_scope"


def test_only_the_code_response_type(client):
    params = redirect_params(client.get(authorize_url(response_type="token")))

    assert params["error"] == "unsupported_response_type"


def test_prompt_none_answers_login_required(client):
    params = redirect_params(client.get(authorize_url(prompt="none")))

    assert params["error"] == "login_required" and params["state"] == "st-1"


def test_starting_sign_ins_is_limited_per_address_before_identity_is_asked():
    client = make_app(AUTH_RATE_LIMIT=2).test_client()
    rpc = client.application.extensions["rpc"]
    for _ in range(2):
        assert client.get(authorize_url()).status_code == 200

    refused = client.get(authorize_url())

    assert refused.status_code == 429 and refused.mimetype == "text/html"
    assert int(refused.headers["Retry-After"]) >= 1 and "Terlalu banyak" in refused.get_data(as_text=True)
    assert rpc.calls.count("oidc_flow_start") == 2


def test_identity_down_gives_an_html_page_not_json():
    client = make_app(StubRpc(down=True)).test_client()

    response = client.get(authorize_url())

    assert response.status_code == 503 and response.mimetype == "text/html"
    assert "Layanan masuk sedang tidak tersedia" in response.get_data(as_text=True)


# --- the form steps ---------------------------------------------------------------------------------

def test_a_post_without_a_sign_in_in_progress_is_refused(client):
    response = client.post("/oauth/authorize", data={"flow": "made-up", "csrf_token": "x", "nip": "1",
                                                     "password": "p"})

    assert response.status_code == 400 and response.mimetype == "text/html"
    assert "kedaluwarsa" in response.get_data(as_text=True)


def test_a_post_with_a_wrong_csrf_token_is_refused_before_any_sign_in(client):
    page = client.get(authorize_url()).get_data(as_text=True)
    flow = page.split('name="flow" value="')[1].split('"')[0]
    rpc = client.application.extensions["rpc"]
    rpc.calls.clear()

    response = client.post("/oauth/authorize", data={"flow": flow, "csrf_token": "forged", "nip": "1",
                                                     "password": "p"})

    assert response.status_code == 400
    assert rpc.calls == []  # refused before identity was asked anything


def form_fields(page: str) -> dict[str, str]:
    return {name: page.split(f'name="{name}" value="')[1].split('"')[0] for name in ("flow", "csrf_token")}


def test_the_cookie_holds_only_a_browser_binding_and_the_csrf_token(client):
    from flask.sessions import SecureCookieSessionInterface

    client.get(authorize_url())
    client.get(authorize_url(state="st-2"))  # a second tab

    serializer = SecureCookieSessionInterface().get_signing_serializer(client.application)
    stored = serializer.loads(client.get_cookie("ekinerja_sso", path="/oauth/").value)
    assert set(stored) == {"browser", "csrf"} and len(stored["browser"]) >= 43
    rpc = client.application.extensions["rpc"]
    assert {f["browser"] for f in rpc.flows.values()} == {stored["browser"]}  # one binding for the browser
    other = client.application.test_client()
    other.get(authorize_url())
    assert len({f["browser"] for f in rpc.flows.values()}) == 2


def test_the_code_is_kept_by_identity_for_its_flow_and_nothing_else_is_said_about_the_user(client):
    fields = form_fields(client.get(authorize_url()).get_data(as_text=True))

    response = client.post("/oauth/authorize", data={**fields, "nip": "198609262015051001", "password": "p"})

    params = redirect_params(response)
    rpc = client.application.extensions["rpc"]
    flow, browser, code = rpc.args["oidc_flow_code"]
    assert flow == fields["flow"] and browser == rpc.flows[flow]["browser"] and code == params["code"]
    assert params["state"] == "st-1"


def test_a_cookie_signed_with_another_key_is_no_sign_in(client):
    from flask import Flask
    from flask.sessions import SecureCookieSessionInterface

    fields = form_fields(client.get(authorize_url()).get_data(as_text=True))
    forger = Flask("forger")
    forger.secret_key = "ekinerja-dev-only-secret-key-set-GATEWAY_SECRET_KEY"  # the key the source once held
    forged = SecureCookieSessionInterface().get_signing_serializer(forger).dumps(
        {"browser": "b" * 43, "csrf": fields["csrf_token"]})
    client.set_cookie("ekinerja_sso", forged, path="/oauth/")
    rpc = client.application.extensions["rpc"]
    rpc.calls.clear()

    response = client.post("/oauth/authorize", data={**fields, "nip": "1", "password": "p"})

    assert response.status_code == 400 and "kedaluwarsa" in response.get_data(as_text=True)
    assert rpc.calls == []


# --- token, userinfo, revocation errors are OAuth JSON --------------------------------------------

def test_userinfo_without_a_token_is_a_bearer_challenge(client):
    response = client.get("/oauth/userinfo")

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")
    assert response.get_json()["error"] == "invalid_request"


def test_token_endpoint_refuses_other_grant_types_in_oauth_json(client):
    response = client.post("/oauth/token", data={"grant_type": "password", "username": "x", "password": "y"})

    assert response.status_code == 400 and response.mimetype == "application/json"
    assert response.get_json()["error"] == "unsupported_grant_type"
    assert response.headers["Cache-Control"] == "no-store"


def test_the_api_ignores_the_sign_in_cookie_and_still_needs_a_bearer_token(client):
    client.get(authorize_url())

    response = client.get("/api/v1/me")

    assert response.status_code == 401 and response.mimetype == "application/problem+json"


def test_a_session_without_a_csrf_token_is_refused_even_with_an_empty_field(client):
    from flask.sessions import SecureCookieSessionInterface

    fields = form_fields(client.get(authorize_url()).get_data(as_text=True))
    serializer = SecureCookieSessionInterface().get_signing_serializer(client.application)
    browser = serializer.loads(client.get_cookie("ekinerja_sso", path="/oauth/").value)["browser"]
    client.set_cookie("ekinerja_sso", serializer.dumps({"browser": browser}), path="/oauth/")  # no csrf in it
    rpc = client.application.extensions["rpc"]
    rpc.calls.clear()

    response = client.post("/oauth/authorize", data={"flow": fields["flow"], "csrf_token": "", "nip": "1",
                                                     "password": "p"})

    assert response.status_code == 400 and "tidak dapat diverifikasi" in response.get_data(as_text=True)
    assert rpc.calls == []
