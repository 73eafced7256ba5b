"""Signing in through the gateway: passwords, TOTP, lockout, tokens, sessions (issue #3)."""

from __future__ import annotations

import time

import pytest
from harness import totp_code
from jwcrypto import jwk, jwt
from sqlalchemy import create_engine, text

PROBLEM = "application/problem+json"


def login(client, nip, password, **extra):
    return client.post("/api/v1/auth/login", json={"nip": nip, "password": password, **extra})


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def plain_account(demo_logins, agency="kemendemo"):
    """A demo account without TOTP and without admin roles."""
    return next(a for a in demo_logins.values()
                if a["agency_id"] == agency and "totp_secret" not in a and a["roles"] == ["pegawai"])


def mfa_account(demo_logins):
    return next(a for a in demo_logins.values() if "totp_secret" in a and "admin_instansi" not in a["roles"])


def full_login(client, account):
    body = login(client, account["nip"], account["password"]).get_json()
    if body["status"] == "mfa_required":
        code = totp_code(account["totp_secret"])
        body = client.post("/api/v1/auth/mfa", json={"mfa_ticket": body["mfa_ticket"], "code": code}).get_json()
    assert body["status"] == "authenticated", body
    return body


def test_password_login_gives_tokens_that_verify_against_the_published_jwks(gateway, demo_logins):
    account = plain_account(demo_logins)

    response = login(gateway, account["nip"], account["password"], device_name="laptop kantor")

    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "authenticated" and body["token_type"] == "Bearer"
    keys = jwk.JWKSet.from_json(gateway.get("/oauth/jwks.json").get_data(as_text=True))
    token = jwt.JWT(jwt=body["access_token"], key=keys, algs=["RS256"])  # jwcrypto, not our library
    claims = __import__("json").loads(token.claims)
    assert claims["sub"] == account["nip"] and "pegawai" in claims["roles"]
    assert claims["aud"] == "ekinerja-api" and claims["exp"] > time.time()
    me = gateway.get("/api/v1/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200 and me.get_json()["nip"] == account["nip"]


def test_wrong_password_and_unknown_nip_get_the_same_answer(gateway, demo_logins):
    account = plain_account(demo_logins, "pemkotdemo")

    wrong = login(gateway, account["nip"], "Salah-Sekali-123")
    unknown = login(gateway, "199001012015011001", "Salah-Sekali-123")

    assert wrong.status_code == unknown.status_code == 401
    assert wrong.mimetype == PROBLEM
    a, b = wrong.get_json(), unknown.get_json()
    assert (a["code"], a["detail"], a["detail_id"]) == (b["code"], b["detail"], b["detail_id"])


def test_totp_login_and_replayed_code_is_refused(gateway, demo_logins):
    account = mfa_account(demo_logins)
    first = login(gateway, account["nip"], account["password"]).get_json()
    assert first["status"] == "mfa_required" and "access_token" not in first
    code = totp_code(account["totp_secret"])

    ok = gateway.post("/api/v1/auth/mfa", json={"mfa_ticket": first["mfa_ticket"], "code": code})
    assert ok.status_code == 200 and ok.get_json()["status"] == "authenticated"

    second = login(gateway, account["nip"], account["password"]).get_json()
    replay = gateway.post("/api/v1/auth/mfa", json={"mfa_ticket": second["mfa_ticket"], "code": code})
    assert replay.status_code == 401 and replay.get_json()["code"] == "mfa-invalid"
    used_ticket = gateway.post("/api/v1/auth/mfa", json={"mfa_ticket": first["mfa_ticket"], "code": code})
    assert used_ticket.status_code == 401 and used_ticket.get_json()["code"] == "ticket-invalid"


def test_lockout_after_repeated_failures_and_its_release(gateway, demo_logins, service_databases):
    account = [a for a in demo_logins.values() if "totp_secret" not in a][-1]
    for _ in range(5):
        assert login(gateway, account["nip"], "Salah-Sekali-123").status_code == 401

    locked = login(gateway, account["nip"], account["password"])  # even the right password waits

    assert locked.status_code == 429
    assert locked.get_json()["code"] == "login-locked"
    assert 0 < int(locked.headers["Retry-After"]) <= 30
    # The delay passes (moved into the past here, instead of waiting 30 s): the right password works.
    engine = create_engine(service_databases["identity"])
    with engine.begin() as conn:
        conn.execute(text("UPDATE guards SET locked_until = now() - interval '1 second' WHERE nip = :nip"),
                     {"nip": account["nip"]})
    engine.dispose()
    assert login(gateway, account["nip"], account["password"]).status_code == 200


def test_refresh_rotates_and_a_reused_refresh_token_ends_the_session(gateway, demo_logins):
    account = plain_account(demo_logins)
    first = full_login(gateway, account)

    second = gateway.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    rotated = second.get_json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert rotated["session_id"] == first["session_id"]

    reuse = gateway.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reuse.status_code == 401 and reuse.get_json()["code"] == "refresh-invalid"
    # The theft is assumed: the legitimate newest token of that session is dead too.
    after = gateway.post("/api/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]})
    assert after.status_code == 401


def test_logout_and_sessions(gateway, demo_logins):
    account = plain_account(demo_logins, "pemkotdemo")
    phone = full_login(gateway, account)
    laptop = full_login(gateway, account)

    listed = gateway.get("/api/v1/auth/sessions", headers=bearer(laptop["access_token"])).get_json()["sessions"]
    ids = {s["id"]: s for s in listed}
    assert {phone["session_id"], laptop["session_id"]} <= set(ids)
    assert ids[laptop["session_id"]]["current"] and not ids[phone["session_id"]]["current"]

    revoked = gateway.delete(f"/api/v1/auth/sessions/{phone['session_id']}", headers=bearer(laptop["access_token"]))
    assert revoked.status_code == 200
    assert gateway.post("/api/v1/auth/refresh", json={"refresh_token": phone["refresh_token"]}).status_code == 401

    out = gateway.post("/api/v1/auth/logout", headers=bearer(laptop["access_token"]))
    assert out.status_code == 200
    assert gateway.post("/api/v1/auth/refresh", json={"refresh_token": laptop["refresh_token"]}).status_code == 401


def test_another_users_record_is_refused_and_team_and_admin_rules_hold(gateway, demo_logins):
    staff = plain_account(demo_logins)
    others = [a for a in demo_logins.values() if a["nip"] != staff["nip"] and a["agency_id"] == "kemendemo"]
    token = full_login(gateway, staff)["access_token"]

    own = gateway.get(f"/api/v1/employees/{staff['nip']}", headers=bearer(token))
    assert own.status_code == 200
    other = gateway.get(f"/api/v1/employees/{others[0]['nip']}", headers=bearer(token))
    assert other.status_code == 403 and other.mimetype == PROBLEM
    assert gateway.get(f"/api/v1/employees/{staff['nip']}").status_code == 401  # no token at all

    supervisor_nip = own.get_json()["supervisor"]["nip"]
    boss = full_login(gateway, demo_logins[supervisor_nip])["access_token"]
    assert gateway.get(f"/api/v1/employees/{staff['nip']}", headers=bearer(boss)).status_code == 200

    admin = next(a for a in demo_logins.values() if "admin_instansi" in a["roles"] and a["agency_id"] == "kemendemo")
    admin_token = full_login(gateway, admin)["access_token"]
    same_agency = gateway.get(f"/api/v1/employees/{staff['nip']}", headers=bearer(admin_token))
    assert same_agency.status_code == 200
    elsewhere = next(a for a in demo_logins.values() if a["agency_id"] == "pemkotdemo")
    assert gateway.get(f"/api/v1/employees/{elsewhere['nip']}", headers=bearer(admin_token)).status_code == 403


@pytest.mark.parametrize("tamper", ["other-key", "alg-none"])
def test_forged_tokens_are_refused(gateway, demo_logins, tamper):
    """(An expired token signed by the real key is refused in gateway/tests: identity never signs one.)"""
    import base64
    import json

    from joserfc import jwt as jose_jwt
    from joserfc.jwk import RSAKey

    account = plain_account(demo_logins)
    now = int(time.time())
    claims = {"iss": "http://127.0.0.1:8000", "aud": "ekinerja-api", "sub": account["nip"], "iat": now,
              "exp": now + 600, "roles": ["pegawai", "admin_nasional"], "agency_id": "kemendemo", "sid": "x"}
    if tamper == "other-key":
        key = RSAKey.generate_key(2048, parameters={"kid": "intruder"}, private=True)
        token = jose_jwt.encode({"alg": "RS256", "kid": "intruder"}, claims, key)
    else:
        def b64(d):
            return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()

        token = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."

    response = gateway.get(f"/api/v1/employees/{account['nip']}", headers=bearer(token))

    assert response.status_code == 401 and response.mimetype == PROBLEM
    assert response.headers.get("WWW-Authenticate", "").startswith("Bearer")


def test_a_trusted_device_skips_the_code_for_the_agency_s_days(gateway, demo_logins):
    account = next(a for a in demo_logins.values()
                   if "totp_secret" in a and a["agency_id"] == "pemkotdemo" and "admin_instansi" not in a["roles"])
    ticket = login(gateway, account["nip"], account["password"]).get_json()["mfa_ticket"]
    trusted = gateway.post("/api/v1/auth/mfa", json={"mfa_ticket": ticket, "code": totp_code(account["totp_secret"]),
                                                     "trust_device": True, "device_name": "HP dinas"}).get_json()
    assert trusted["status"] == "authenticated"
    assert trusted["device_token"] and trusted["device_token_expires_in"] == 7 * 86400  # the demo city: 7 days

    next_morning = login(gateway, account["nip"], account["password"], device_token=trusted["device_token"])
    assert next_morning.get_json()["status"] == "authenticated"  # no code asked on this device
    elsewhere = login(gateway, account["nip"], account["password"], device_token="not-this-device")
    assert elsewhere.get_json()["status"] == "mfa_required"
    assert login(gateway, account["nip"], "Salah-Sekali-123", device_token=trusted["device_token"]).status_code == 401


def test_gunicorn_free_jwks_endpoint_is_cacheable(gateway, demo_logins):
    response = gateway.get("/oauth/jwks.json")
    assert response.status_code == 200
    assert "max-age" in response.headers.get("Cache-Control", "")
    assert all(k["kty"] == "RSA" and k["kid"] and "d" not in k for k in response.get_json()["keys"])



def test_an_ended_session_s_token_is_refused_within_seconds_and_by_a_gateway_started_after(gateway, rabbit,
                                                                                            demo_logins):
    from ekinerja_gateway.app import create_app
    from ekinerja_kernel.localservers import wait_for

    account = plain_account(demo_logins, "pemkotdemo")
    session = full_login(gateway, account)
    assert gateway.get("/api/v1/me", headers=bearer(session["access_token"])).status_code == 200

    assert gateway.post("/api/v1/auth/logout", headers=bearer(session["access_token"])).status_code == 200

    def refused(client) -> bool:
        response = client.get("/api/v1/me", headers=bearer(session["access_token"]))
        assert response.status_code in (200, 401), response.get_json()
        return response.status_code == 401 and response.get_json()["code"] == "session-revoked"

    wait_for(lambda: refused(gateway), timeout=5, what="the logged-out session's token to be refused")
    # A worker that starts after the logout never heard the event: it loads the recently ended
    # sessions from identity before it answers, so it refuses the token on its first request.
    later = create_app({"AMQP_URI": rabbit.amqp_uri, "RPC_TIMEOUT": 2.0, "AUTH_RATE_LIMIT": 100_000}).test_client()
    assert refused(later)
    later.application.extensions["revocations"].stop()


def test_replacing_the_authenticator_needs_a_current_code_not_only_a_fresh_sign_in(gateway, demo_logins):
    account = mfa_account(demo_logins)
    token = full_login(gateway, account)["access_token"]  # password and code, a moment ago

    bare = gateway.post("/api/v1/auth/mfa/enroll", json={}, headers=bearer(token))
    assert bare.status_code == 403 and bare.mimetype == PROBLEM
    assert bare.get_json()["code"] == "mfa-proof-required"
    assert bare.get_json()["errors"][0]["field"] == "code"
    wrong = gateway.post("/api/v1/auth/mfa/enroll", json={"code": "12345x"}, headers=bearer(token))
    assert wrong.status_code == 401 and wrong.get_json()["code"] == "mfa-invalid"

    started = gateway.post("/api/v1/auth/mfa/enroll", json={"code": totp_code(account["totp_secret"])},
                           headers=bearer(token))
    assert started.status_code == 200, started.get_json()
    assert started.get_json()["secret"] != account["totp_secret"]  # pending until confirmed with its code
