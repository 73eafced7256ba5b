"""What the gateway does with a request before and around its RPC: the per-IP rate limit on
/api/v1/auth/*, body and query shape checks (400 / 422), the mapping of routes to identity's RPC
contract with `caller` and `client` context data, and Retry-After from a service's 429.

No broker: the RPC client is replaced by a recorder, or its proxy by a fake.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from ekinerja_gateway.app import create_app
from ekinerja_gateway.ratelimit import SlidingWindowLimiter
from ekinerja_gateway.rpc import RpcClient, ServiceTimeout, ServiceUnavailable, _Proxy
from ekinerja_kernel.rpc import RpcProblem

ISSUER = "http://127.0.0.1:8000"
PROBLEM = "application/problem+json"
NIP = "198609262015051001"
IP_A, IP_B = "10.0.0.1", "10.0.0.2"


class Clock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


class RecordingRpc:
    """Stands in for RpcClient: records each call and answers from `answers` (or raises)."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.answers: dict[str, Any] = {}

    def call(self, service: str, method: str, *args: Any, request_id: str | None = None,
             caller: dict | None = None, client: dict | None = None, idempotent: bool = False, quick: bool = False,
             **kwargs: Any) -> Any:
        self.calls.append({"service": service, "method": method, "args": args, "kwargs": kwargs, "caller": caller,
                           "client": client, "idempotent": idempotent, "quick": quick, "request_id": request_id})
        answer = self.answers.get(method, {"status": "ok"})
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture(scope="module")
def key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "key-1"})


def token(key: RSAKey, roles: tuple[str, ...] = ("pegawai",)) -> str:
    now = int(time.time())
    return jwt.encode({"alg": "RS256", "kid": key.kid},
                      {"iss": ISSUER, "aud": "ekinerja-api", "sub": NIP, "iat": now, "exp": now + 300,
                       "auth_time": now, "sid": "sess-1", "amr": ["pwd"], "roles": list(roles),
                       "agency_id": "pemkotdemo", "unit_id": None, "name": "Budi"}, key)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def rpc() -> RecordingRpc:
    return RecordingRpc()


def make_app(key: RSAKey, clock: Clock, rpc: RecordingRpc | None = None, **settings: Any):
    app = create_app({"AMQP_URI": "pyamqp://guest:guest@127.0.0.1:1/", "TESTING": True, "TOKEN_ISSUER": ISSUER,
                      "JWKS_LOADER": lambda: {"keys": [key.as_dict(private=False)]}, "MONOTONIC_CLOCK": clock,
                      **settings})
    if rpc is not None:
        app.extensions["rpc"] = rpc
    return app


@pytest.fixture
def client(key, clock, rpc):
    return make_app(key, clock, rpc).test_client()


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def errors_of(response) -> dict[str, str]:
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == PROBLEM
    errors = response.get_json()["errors"]
    assert all(e["detail"] and e["detail_id"] for e in errors)
    return {e["field"]: e["rule"] for e in errors}


# -- rate limit ----------------------------------------------------------------------------------

def test_auth_requests_over_the_limit_get_429_with_retry_after_before_any_rpc(key, clock, rpc):
    client = make_app(key, clock, rpc, AUTH_RATE_LIMIT=3, AUTH_RATE_WINDOW=60).test_client()
    login = {"nip": NIP, "password": "secret"}

    for _ in range(3):
        assert client.post("/api/v1/auth/login", json=login, environ_base={"REMOTE_ADDR": IP_A}).status_code == 200
        clock.now += 5
    refused = client.post("/api/v1/auth/login", json=login, environ_base={"REMOTE_ADDR": IP_A})

    assert refused.status_code == 429 and refused.mimetype == PROBLEM
    body = refused.get_json()
    assert body["code"] == "rate-limited" and body["detail"] and body["detail_id"]
    assert refused.headers["Retry-After"] == "45"  # the first of the three leaves the window 60 s after it came
    assert body["retry_after"] == 45
    assert len(rpc.calls) == 3  # the refused request made no RPC


def test_rate_limit_counts_each_ip_alone(key, clock, rpc):
    client = make_app(key, clock, rpc, AUTH_RATE_LIMIT=2, AUTH_RATE_WINDOW=60).test_client()

    for _ in range(2):
        client.post("/api/v1/auth/refresh", json={}, environ_base={"REMOTE_ADDR": IP_A})
    assert client.post("/api/v1/auth/refresh", json={}, environ_base={"REMOTE_ADDR": IP_A}).status_code == 429
    other = client.post("/api/v1/auth/refresh", json={}, environ_base={"REMOTE_ADDR": IP_B})

    assert other.status_code == 422  # not limited: its shape check answered


def test_rate_limit_covers_every_auth_route_and_only_those(key, clock, rpc):
    client = make_app(key, clock, rpc, AUTH_RATE_LIMIT=1, AUTH_RATE_WINDOW=60).test_client()
    client.post("/api/v1/auth/login", json={}, environ_base={"REMOTE_ADDR": IP_A})

    for method, path in (("post", "/api/v1/auth/mfa"), ("get", "/api/v1/auth/sessions"),
                         ("post", "/api/v1/auth/password/forgot"), ("post", "/api/v1/auth/activation")):
        response = getattr(client, method)(path, json={}, environ_base={"REMOTE_ADDR": IP_A})
        assert response.status_code == 429, path
    for _ in range(3):
        assert client.get("/api/v1/me", environ_base={"REMOTE_ADDR": IP_A}).status_code == 401


def test_the_window_slides(key, clock, rpc):
    client = make_app(key, clock, rpc, AUTH_RATE_LIMIT=2, AUTH_RATE_WINDOW=60).test_client()

    def status() -> int:
        return client.post("/api/v1/auth/login", json={}, environ_base={"REMOTE_ADDR": IP_A}).status_code

    assert status() == 422  # t=0
    clock.now += 30
    assert status() == 422  # t=30
    assert status() == 429
    clock.now += 30  # t=60: the first has left the window, the second has not
    assert status() == 422
    assert status() == 429


def test_limiter_reports_the_wait_and_forgets_idle_clients():
    clock = Clock()
    limiter = SlidingWindowLimiter(limit=1, window=10, clock=clock)

    assert limiter.hit("a") == 0.0
    clock.now += 4
    assert limiter.hit("a") == pytest.approx(6)
    clock.now += 20
    limiter.hit("b")

    assert "a" not in limiter._hits


def test_trusted_proxy_hops_take_the_client_ip_from_x_forwarded_for(key, clock, rpc):
    client = make_app(key, clock, rpc, AUTH_RATE_LIMIT=1, AUTH_RATE_WINDOW=60, TRUSTED_PROXY_HOPS=1).test_client()
    via_balancer = {"REMOTE_ADDR": "10.9.9.9"}

    first = client.post("/api/v1/auth/login", json={}, environ_base=via_balancer,
                        headers={"X-Forwarded-For": "203.0.113.5"})
    second = client.post("/api/v1/auth/login", json={}, environ_base=via_balancer,
                         headers={"X-Forwarded-For": "203.0.113.6"})

    assert first.status_code == 422 and second.status_code == 422  # two clients, not one balancer


# -- shapes --------------------------------------------------------------------------------------

@pytest.mark.parametrize("path, body, expected", [
    ("/api/v1/auth/login", {}, {"nip": "required", "password": "required"}),
    ("/api/v1/auth/login", {"nip": 198609262, "password": "x"}, {"nip": "type"}),
    # An 18-digit number is beyond what a JSON client reads exactly: refused before the type check.
    ("/api/v1/auth/login", {"nip": 198609262015051001, "password": "x"}, {"/nip": "number-range"}),
    ("/api/v1/auth/login", {"nip": "  ", "password": "x", "device_name": 3}, {"nip": "required",
                                                                               "device_name": "type"}),
    ("/api/v1/auth/mfa", {"mfa_ticket": "t"}, {"code": "required"}),
    ("/api/v1/auth/mfa", {"mfa_ticket": "t", "code": "123456", "trust_device": "yes"}, {"trust_device": "type"}),
    ("/api/v1/auth/refresh", {"refresh_token": None}, {"refresh_token": "required"}),
    ("/api/v1/auth/activation", {"nip": NIP, "email": "a@b.c"}, {"nik": "required"}),
    ("/api/v1/auth/activation/confirm", {"token": "t"}, {"password": "required"}),
    ("/api/v1/auth/password/forgot", {"nip": NIP, "email": ["a@b.c"]}, {"email": "type"}),
    ("/api/v1/auth/password/reset", {"password": "p"}, {"token": "required"}),
    ("/api/v1/auth/mfa/enroll/confirm", {"enrollment_ticket": "t"}, {"code": "required"}),
])
def test_public_bodies_with_missing_or_ill_typed_fields_are_422_naming_each_field(client, rpc, path, body, expected):
    assert errors_of(client.post(path, json=body)) == expected
    assert rpc.calls == []


def test_authenticated_body_is_checked_after_the_token(client, rpc, key):
    assert client.post("/api/v1/auth/password/change", json={}).status_code == 401

    response = client.post("/api/v1/auth/password/change", json={"current_password": "old"},
                           headers=bearer(token(key)))

    assert errors_of(response) == {"new_password": "required"}
    assert rpc.calls == []


@pytest.mark.parametrize("kwargs", [
    {"data": "nip=1&password=2", "content_type": "application/x-www-form-urlencoded"},
    {"data": "{not json", "content_type": "application/json"},
    {"json": ["nip", "password"]},
    {"json": "nip"},
    {},
])
def test_a_body_that_is_not_a_json_object_is_400(client, rpc, kwargs):
    response = client.post("/api/v1/auth/login", **kwargs)

    assert response.status_code == 400 and response.mimetype == PROBLEM
    assert response.get_json()["code"] == "body-not-json-object"
    assert rpc.calls == []


def test_audit_limit_must_be_an_integer(client, rpc, key):
    response = client.get("/api/v1/admin/audit?limit=ten", headers=bearer(token(key, ("admin_nasional",))))

    assert errors_of(response) == {"limit": "type"}
    assert rpc.calls == []


# -- mapping to the identity contract --------------------------------------------------------------

def test_login_maps_to_identity_login_with_client_and_no_caller(client, rpc, key):
    rpc.answers["login"] = {"status": "mfa_required", "mfa_ticket": "tk", "expires_in": 300}

    response = client.post("/api/v1/auth/login", headers={"User-Agent": "ekinerja-android/1.0", **bearer(token(key))},
                           json={"nip": NIP, "password": "pw", "device_name": "Pixel", "extra": "dropped"},
                           environ_base={"REMOTE_ADDR": IP_A})

    assert response.status_code == 200 and response.get_json()["mfa_ticket"] == "tk"
    assert response.headers["Cache-Control"] == "no-store"
    (call,) = rpc.calls
    assert (call["service"], call["method"], call["args"]) == ("identity", "login", (NIP, "pw"))
    assert call["kwargs"] == {"device_name": "Pixel"}
    assert call["caller"] is None  # a public route sends no caller, even with a token attached
    assert call["client"] == {"ip": IP_A, "user_agent": "ekinerja-android/1.0"}
    assert call["request_id"] == response.headers["X-Request-ID"]
    assert call["idempotent"] is False


def test_authenticated_routes_pass_the_verified_caller(client, rpc, key):
    rpc.answers["whoami"] = {"nip": NIP}
    headers = bearer(token(key, ("pegawai", "admin_instansi")))

    client.get("/api/v1/me", headers=headers)
    client.get(f"/api/v1/employees/{NIP}", headers=headers)
    client.delete("/api/v1/auth/sessions/sess-2", headers=headers)
    client.get(f"/api/v1/admin/audit?nip={NIP}&limit=5", headers=headers)
    client.post(f"/api/v1/admin/users/{NIP}/mfa/reset", headers=headers)

    got = [(c["service"], c["method"], c["args"], c["kwargs"], c["idempotent"]) for c in rpc.calls]
    assert got == [("identity", "whoami", (), {}, True), ("sync", "sync_state", (), {}, True),
                   ("sync", "get_employee", (NIP,), {}, True),
                   ("identity", "revoke_session", ("sess-2",), {}, False),
                   ("identity", "audit_events", (), {"nip": NIP, "limit": 5}, True),
                   ("identity", "admin_reset_mfa", (NIP,), {}, False)]
    for call in rpc.calls:
        assert call["caller"]["nip"] == NIP and call["caller"]["sid"] == "sess-1"
        assert call["caller"]["roles"] == ["pegawai", "admin_instansi"]


def test_the_diagnosis_hands_identitys_account_state_to_sync(client, rpc, key):
    state = {"nip": NIP, "known": True, "activated": True, "mfa_enabled": False, "mfa_required": True,
             "password_locked_until": None, "mfa_locked_until": None}
    rpc.answers["sign_in_state"] = state
    rpc.answers["diagnose"] = {"nip": NIP, "findings": []}
    headers = bearer(token(key, ("pegawai", "admin_instansi")))

    assert client.get("/api/v1/me/diagnosis?year=2026", headers=headers).status_code == 200
    assert client.get(f"/api/v1/employees/{NIP}/diagnosis", headers=headers).status_code == 200

    got = [(c["service"], c["method"], c["args"], c["kwargs"]) for c in rpc.calls]
    assert got == [("identity", "sign_in_state", (None,), {}), ("sync", "diagnose", (None, 2026), {"sign_in": state}),
                   ("identity", "sign_in_state", (NIP,), {}), ("sync", "diagnose", (NIP, None), {"sign_in": state})]
    assert [c["quick"] for c in rpc.calls] == [True, False, True, False]  # a slow identity holds no worker long


@pytest.mark.parametrize("failure", [ServiceTimeout("identity", 5.0), ServiceUnavailable("identity", "down"),
                                     RpcProblem(json.dumps({"status": 403, "code": "forbidden"}))])
def test_the_diagnosis_goes_on_without_identity(client, rpc, key, failure):
    rpc.answers["sign_in_state"] = failure
    rpc.answers["diagnose"] = {"nip": NIP, "findings": []}

    response = client.get("/api/v1/me/diagnosis", headers=bearer(token(key)))

    assert response.status_code == 200
    assert rpc.calls[-1]["method"] == "diagnose" and rpc.calls[-1]["kwargs"] == {"sign_in": None}


def test_the_agency_findings_route_is_for_admins_and_passes_its_filters(client, rpc, key):
    refused = client.get("/api/v1/admin/agencies/ag1/findings", headers=bearer(token(key)))
    assert refused.status_code == 403 and rpc.calls == []

    admin = bearer(token(key, ("pegawai", "admin_instansi")))
    assert client.get("/api/v1/admin/agencies/ag1/findings?code=no-supervisor&status=problem&limit=5&year=2026",
                      headers=admin).status_code == 200
    assert client.get("/api/v1/admin/agencies/ag1/findings?limit=lima", headers=admin).status_code == 422
    assert client.get("/api/v1/admin/agencies/ag1/findings?year=1999", headers=admin).status_code == 422

    (call,) = rpc.calls
    assert (call["service"], call["method"], call["args"]) == ("sync", "agency_findings",
                                                               ("ag1", "no-supervisor", "problem", 0, 5, 2026))


@pytest.mark.parametrize("answer, shown", [
    ({"can_sync": False, "code": "account-inactive", "fixers": ["admin_instansi"]},
     {"can_sync": False, "code": "account-inactive", "fixers": ["admin_instansi"]}),
    (ServiceTimeout("sync", 1.0), None),  # /me does not wait for a slow sync
])
def test_me_says_whether_the_caller_can_sync(client, rpc, key, answer, shown):
    rpc.answers["whoami"] = {"nip": NIP, "name": "Ani"}
    rpc.answers["sync_state"] = answer

    response = client.get("/api/v1/me", headers=bearer(token(key)))

    assert response.status_code == 200 and response.get_json() == {"nip": NIP, "name": "Ani", "sync": shown}
    assert [(c["method"], c["quick"]) for c in rpc.calls] == [("whoami", False), ("sync_state", True)]


def test_enrollment_with_a_ticket_is_public_and_with_a_token_uses_the_caller(client, rpc, key):
    client.post("/api/v1/auth/mfa/enroll", json={"enrollment_ticket": "et"})
    client.post("/api/v1/auth/mfa/enroll", headers=bearer(token(key)))  # no body at all is fine here

    with_ticket, with_token = rpc.calls
    assert with_ticket["kwargs"] == {"enrollment_ticket": "et"} and with_ticket["caller"] is None
    assert with_token["kwargs"] == {} and with_token["caller"]["nip"] == NIP


def test_activation_and_forgotten_password_answer_202(client, rpc):
    rpc.answers["request_activation"] = rpc.answers["request_password_reset"] = {"status": "accepted"}

    assert client.post("/api/v1/auth/activation", json={"nip": NIP, "nik": "1", "email": "a@b.c"}).status_code == 202
    assert client.post("/api/v1/auth/password/forgot", json={"nip": NIP, "email": "a@b.c"}).status_code == 202
    assert [c["method"] for c in rpc.calls] == ["request_activation", "request_password_reset"]


@pytest.mark.parametrize("sent, header", [(120.2, "121"), ("42", "42"), (0, "1")])
def test_a_service_429_carries_retry_after_from_its_problem(client, rpc, sent, header):
    # The gateway also copes with numbers as strings ("status": "429"), as services before 2026-11 sent them.
    rpc.answers["login"] = RpcProblem({"type": "urn:ekinerja:problem:login-locked", "title": "Locked",
                                       "status": "429", "code": "login-locked", "detail": "Locked.",
                                       "detail_id": "Dikunci.", "retry_after": sent})

    response = client.post("/api/v1/auth/login", json={"nip": NIP, "password": "pw"})

    assert response.status_code == 429 and response.mimetype == PROBLEM
    assert response.headers["Retry-After"] == header
    body = response.get_json()
    assert body["code"] == "login-locked" and body["retry_after"] == int(header)


# -- the context data on the real RpcClient's proxy ------------------------------------------------

class FakeCluster:
    """Records the proxy's context data as it is when each method is called."""

    def __init__(self, context: dict[str, Any]) -> None:
        self.context = context
        self.seen: list[dict[str, Any]] = []

    def __getattr__(self, service: str) -> Any:
        cluster = self

        class Service:
            def __getattr__(self, method: str):
                def invoke(*args: Any, **kwargs: Any) -> dict:
                    cluster.seen.append(dict(cluster.context))
                    return {"service": service, "method": method}
                return invoke
        return Service()


def test_rpc_client_sets_caller_and_client_and_never_leaks_the_caller(monkeypatch):
    proxy = _Proxy.__new__(_Proxy)  # no broker: a proxy whose cluster is the recorder
    proxy.context = {}
    proxy.cluster = FakeCluster(proxy.context)
    client = RpcClient("pyamqp://unused", timeout=1)
    monkeypatch.setattr(client, "_get", lambda kind: proxy)
    caller = {"nip": NIP, "roles": ["pegawai"], "sid": "s1"}
    where = {"ip": IP_A, "user_agent": "ua"}

    client.call("identity", "whoami", request_id="r1", caller=caller, client=where)
    client.call("identity", "login", NIP, "pw", request_id="r2", client=where)
    client.call("identity", "jwks")

    first, second, third = proxy.cluster.seen
    assert first == {"request_id": "r1", "caller": caller, "client": where}
    assert second == {"request_id": "r2", "client": where}
    assert third == {}


def test_a_quick_call_uses_the_proxy_with_the_probe_timeout(monkeypatch):
    proxy = _Proxy.__new__(_Proxy)
    proxy.context = {}
    proxy.cluster = FakeCluster(proxy.context)
    client = RpcClient("pyamqp://unused", timeout=5, probe_timeout=1)
    kinds: list[str] = []
    monkeypatch.setattr(client, "_get", lambda kind: kinds.append(kind) or proxy)

    client.call("identity", "sign_in_state", None, quick=True)
    client.call("sync", "diagnose", None)

    assert kinds == ["probe", "call"] and client.timeouts == {"call": 5, "probe": 1}
    assert len(proxy.cluster.seen) == 2
