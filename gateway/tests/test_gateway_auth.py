"""Local access-token verification: RS256 only, issuer, audience, expiry, the JWKS cache and its
refresh on an unknown `kid`, the default-deny of /api/v1 routes and the admin role check.

No broker: the JWKS comes from an injected loader and the keys are generated here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time

import pytest
from flask import g, jsonify
from joserfc import jwt
from joserfc.jwk import RSAKey

from ekinerja_gateway import auth
from ekinerja_gateway.app import create_app, openapi_document

ISSUER = "https://sso.test.example"
PROBLEM = "application/problem+json"
UNROUTABLE = "pyamqp://guest:guest@127.0.0.1:1/"
NIP = "198609262015051001"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Jwks:
    """An injected JWKS_LOADER that counts its calls; `keys` can change between calls."""

    def __init__(self, *keys: RSAKey) -> None:
        self.keys = list(keys)
        self.loads = 0

    def __call__(self) -> dict:
        self.loads += 1
        return {"keys": [k.as_dict(private=False) for k in self.keys]}


@pytest.fixture(scope="module")
def key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "key-1"})


@pytest.fixture(scope="module")
def other_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "key-2"})


def claims(**overrides) -> dict:
    now = int(time.time())
    base = {"iss": ISSUER, "aud": "ekinerja-api", "sub": NIP, "iat": now, "exp": now + 300, "auth_time": now - 5,
            "sid": "sess-1", "amr": ["pwd", "otp"], "roles": ["pegawai"], "agency_id": "pemkotdemo",
            "unit_id": "pk-sdn1", "name": "Budi"}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def sign(key: RSAKey, kid: str | None = None, **overrides) -> str:
    return jwt.encode({"alg": "RS256", "kid": kid or key.kid}, claims(**overrides), key)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict, body: dict) -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(body).encode())}."


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def jwks(key) -> Jwks:
    return Jwks(key)


@pytest.fixture
def app(jwks, clock):
    app = create_app({"AMQP_URI": UNROUTABLE, "TESTING": True, "TOKEN_ISSUER": ISSUER, "JWKS_LOADER": jwks,
                      "MONOTONIC_CLOCK": clock})

    # Test-only routes: one protected by the default (no marker at all), one with a role check.
    @app.get("/api/v1/test-only/caller")
    def test_caller():
        return jsonify(g.caller)

    @app.get("/api/v1/test-only/admin")
    @auth.requires_roles(*auth.ADMIN_ROLES)
    def test_admin():
        return jsonify(ok=True)

    return app


@pytest.fixture
def client(app):
    return app.test_client()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_401(response, code: str) -> None:
    assert response.status_code == 401, response.get_json()
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["code"] == code and body["status"] == 401
    assert body["detail"] and body["detail_id"] and body["detail"] != body["detail_id"]
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer ") and 'error="invalid_token"' in challenge


# -- verify_token directly -----------------------------------------------------------------------

def test_verify_token_returns_the_claims_of_a_valid_token(key):
    cache = auth.JwksCache(Jwks(key))

    got = auth.verify_token(sign(key), cache, issuer=ISSUER)

    assert got["sub"] == NIP and got["sid"] == "sess-1" and got["roles"] == ["pegawai"]


def test_verify_token_allows_30_seconds_of_clock_skew_and_no_more(key):
    cache = auth.JwksCache(Jwks(key))
    now = int(time.time())

    assert auth.verify_token(sign(key, exp=now - 10), cache, issuer=ISSUER)["sub"] == NIP
    with pytest.raises(auth.TokenError) as refused:
        auth.verify_token(sign(key, exp=now - 45), cache, issuer=ISSUER)
    assert refused.value.code == "token-expired"


@pytest.mark.parametrize("missing", ["exp", "sub", "sid", "iss", "aud"])
def test_verify_token_refuses_a_token_without_an_essential_claim(key, missing):
    with pytest.raises(auth.TokenError) as refused:
        auth.verify_token(sign(key, **{missing: None}), auth.JwksCache(Jwks(key)), issuer=ISSUER)
    assert refused.value.code == "token-invalid"


def test_caller_context_has_the_contract_fields(key):
    got = auth.caller_from_claims(auth.verify_token(sign(key), auth.JwksCache(Jwks(key)), issuer=ISSUER))

    assert set(got) == {"nip", "name", "roles", "agency_id", "unit_id", "sid", "amr", "auth_time"}
    assert got["nip"] == NIP and got["sid"] == "sess-1" and got["amr"] == ["pwd", "otp"]


# -- through a protected route -------------------------------------------------------------------

def test_a_valid_token_reaches_the_view_with_the_verified_caller(client, key):
    response = client.get("/api/v1/test-only/caller", headers=bearer(sign(key, roles=["pegawai", "atasan"])))

    assert response.status_code == 200
    assert response.get_json() == {"nip": NIP, "name": "Budi", "roles": ["pegawai", "atasan"],
                                   "agency_id": "pemkotdemo", "unit_id": "pk-sdn1", "sid": "sess-1",
                                   "amr": ["pwd", "otp"], "auth_time": claims()["auth_time"]}


def test_missing_authorization_header_is_token_missing(client):
    assert_401(client.get("/api/v1/test-only/caller"), "token-missing")


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer a.b.c extra", "Token abc.def.ghi",
                                    "Bearer not-a-jwt"])
def test_malformed_authorization_header_is_token_invalid(client, header):
    assert_401(client.get("/api/v1/test-only/caller", headers={"Authorization": header}), "token-invalid")


def test_expired_token_is_token_expired(client, key):
    now = int(time.time())
    token = sign(key, iat=now - 600, exp=now - 120)

    assert_401(client.get("/api/v1/test-only/caller", headers=bearer(token)), "token-expired")


def test_token_signed_by_another_key_under_a_known_kid_is_refused(client, key, other_key):
    forged = sign(other_key, kid=key.kid)

    assert_401(client.get("/api/v1/test-only/caller", headers=bearer(forged)), "token-invalid")


def test_alg_none_token_is_refused(client, key):
    token = unsigned({"alg": "none", "typ": "JWT", "kid": key.kid}, claims())

    assert_401(client.get("/api/v1/test-only/caller", headers=bearer(token)), "token-invalid")


def test_hs256_token_keyed_with_the_public_key_is_refused(client, key):
    public_pem = key.as_pem(private=False)
    signing_input = unsigned({"alg": "HS256", "typ": "JWT", "kid": key.kid}, claims())[:-1]
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{b64(mac)}"

    assert_401(client.get("/api/v1/test-only/caller", headers=bearer(token)), "token-invalid")


def test_wrong_issuer_is_refused(client, key):
    token = sign(key, iss="https://evil.example")

    assert_401(client.get("/api/v1/test-only/caller", headers=bearer(token)), "token-invalid")


@pytest.mark.parametrize("audience", ["another-api", ["another-api", "payroll"]])
def test_wrong_audience_is_refused(client, key, audience):
    token = sign(key, aud=audience)

    assert_401(client.get("/api/v1/test-only/caller", headers=bearer(token)), "token-invalid")


def test_audience_list_containing_ours_is_accepted(client, key):
    token = sign(key, aud=["payroll", "ekinerja-api"])

    assert client.get("/api/v1/test-only/caller", headers=bearer(token)).status_code == 200


@pytest.mark.parametrize("path, method", [
    ("/api/v1/me", "get"), (f"/api/v1/employees/{NIP}", "get"), ("/api/v1/auth/logout", "post"),
    ("/api/v1/auth/sessions", "get"), ("/api/v1/auth/sessions/sess-9", "delete"),
    ("/api/v1/auth/password/change", "post"), (f"/api/v1/admin/users/{NIP}/mfa/reset", "post"),
    ("/api/v1/admin/audit", "get"), ("/api/v1/auth/mfa/enroll", "post"), ("/api/v1/auth/mfa/enroll/confirm", "post"),
])
def test_authenticated_routes_refuse_a_request_without_token(client, path, method):
    # Refused before any RPC: the broker address is unroutable, a call would have given a 503.
    assert_401(getattr(client, method)(path, json={"current_password": "a", "new_password": "b", "code": "1"}),
               "token-missing")


def test_public_routes_and_unknown_paths_do_not_ask_for_a_token(client):
    assert client.get("/api/v1/openapi.json").status_code == 200
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.mimetype == PROBLEM
    # Public: the shape check answers (a token check would have said 401).
    assert client.post("/api/v1/auth/login", json={}).status_code == 422


def test_enrollment_with_a_ticket_needs_no_token(client):
    # With the ticket the request is public and reaches the shape check (ticket of the wrong type).
    response = client.post("/api/v1/auth/mfa/enroll/confirm", json={"enrollment_ticket": 7, "code": "123456"})

    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == ["enrollment_ticket"]


# -- roles ---------------------------------------------------------------------------------------

def test_admin_route_refuses_a_non_admin_with_403(client, key):
    token = sign(key, roles=["pegawai", "atasan"])

    for path in ("/api/v1/test-only/admin", "/api/v1/admin/audit"):
        response = client.get(path, headers=bearer(token))
        assert response.status_code == 403, path
        assert response.mimetype == PROBLEM
        body = response.get_json()
        assert body["code"] == "role-required" and body["detail"] and body["detail_id"]


@pytest.mark.parametrize("role", ["admin_instansi", "admin_nasional"])
def test_admin_route_accepts_either_admin_role(client, key, role):
    response = client.get("/api/v1/test-only/admin", headers=bearer(sign(key, roles=["pegawai", role])))

    assert response.status_code == 200 and response.get_json() == {"ok": True}


def test_admin_route_without_token_is_401_not_403(client):
    assert_401(client.get("/api/v1/test-only/admin"), "token-missing")


# -- the JWKS cache ------------------------------------------------------------------------------

def test_keys_are_loaded_once_not_per_request(client, key, jwks):
    for _ in range(5):
        assert client.get("/api/v1/test-only/caller", headers=bearer(sign(key))).status_code == 200

    assert jwks.loads == 1


def test_unknown_kid_triggers_exactly_one_reload(client, key, other_key, jwks, clock):
    assert client.get("/api/v1/test-only/caller", headers=bearer(sign(key))).status_code == 200
    assert jwks.loads == 1

    jwks.keys.append(other_key)  # identity rotates: publishes key-2 and signs with it
    clock.now += 31
    response = client.get("/api/v1/test-only/caller", headers=bearer(sign(other_key)))

    assert response.status_code == 200
    assert jwks.loads == 2


def test_reloads_for_unknown_kids_are_throttled_to_one_per_30_seconds(client, key, jwks, clock):
    stranger = RSAKey.generate_key(2048, parameters={"kid": "key-unknown"})
    client.get("/api/v1/test-only/caller", headers=bearer(sign(key)))
    clock.now += 31

    for _ in range(4):
        assert_401(client.get("/api/v1/test-only/caller", headers=bearer(sign(stranger))), "token-invalid")
    assert jwks.loads == 2  # the first unknown kid reloaded; the next three did not

    clock.now += 29
    client.get("/api/v1/test-only/caller", headers=bearer(sign(stranger)))
    assert jwks.loads == 2
    clock.now += 1
    client.get("/api/v1/test-only/caller", headers=bearer(sign(stranger)))
    assert jwks.loads == 3


def test_jwks_endpoint_serves_only_public_key_members_and_is_cacheable(key):
    private_loader = lambda: {"keys": [key.as_dict(private=True)]}  # noqa: E731  a careless publisher
    client = create_app({"AMQP_URI": UNROUTABLE, "TESTING": True, "JWKS_LOADER": private_loader}).test_client()

    response = client.get("/oauth/jwks.json")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=300"
    (served,) = response.get_json()["keys"]
    assert served["kid"] == key.kid and served["kty"] == "RSA"
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(served)
    assert served["n"] == key.as_dict(private=False)["n"]


def test_jwks_document_keeps_only_rs256_signing_keys(key, other_key):
    ec = {"kty": "EC", "kid": "ec-1", "crv": "P-256", "x": "x", "y": "y"}
    encryption = {**other_key.as_dict(private=False), "use": "enc"}

    parsed = auth.parse_jwks({"keys": [ec, encryption, key.as_dict(private=False)]})

    assert list(parsed) == [key.kid]


# -- the OpenAPI document says which operations need the token -----------------------------------

def test_openapi_security_matches_each_routes_auth_policy(jwks, clock):
    app = create_app({"AMQP_URI": UNROUTABLE, "TESTING": True, "JWKS_LOADER": jwks, "MONOTONIC_CLOCK": clock})
    spec = openapi_document()
    served = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        policy = getattr(app.view_functions[rule.endpoint], "auth_policy", "bearer")
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = spec["paths"][path][method.lower()]
            security = operation.get("security", [])
            where = f"{method} {path}"
            if policy == "public":
                assert {"bearerAuth": []} not in security, where
            else:
                assert {"bearerAuth": []} in security, where
                assert operation["responses"]["401"] == {"$ref": "#/components/responses/Unauthorized"}, where
                assert ({} in security) == (policy != "bearer"), where  # only the ticket routes are optional
            if path.startswith("/api/v1/auth/"):
                assert operation["responses"]["429"] == {"$ref": "#/components/responses/RateLimited"}, where
            served.add(where)
    # Every /api/v1 operation the document lists is served and checked above, and no route is undocumented.
    documented = {f"{method.upper()} {path}" for path, item in spec["paths"].items() if path.startswith("/api/v1/")
                  for method in item if method in ("get", "put", "post", "patch", "delete")}
    assert served == documented
    scheme = spec["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")
