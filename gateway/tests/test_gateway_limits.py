"""What a client can send: the body size (413, before parsing, with Content-Length or chunked), the
nesting of JSON (400, never 500), the text JSON, forms, queries and paths may carry (422 naming the
field and the rule), numbers within what their field can mean (422), the URI length (414), and
every werkzeug error as problem+json. Nothing refused reaches a service.

No broker: the RPC client is replaced by a recorder, the command sender by another.
"""

from __future__ import annotations

import io
import json
import time
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.test import EnvironBuilder

from ekinerja_gateway.app import create_app
from ekinerja_gateway.bodies import MAX_DEPTH, MAX_SAFE_INTEGER

ISSUER = "http://127.0.0.1:8000"
PROBLEM = "application/problem+json"
NIP = "198609262015051001"
LOGIN = "/api/v1/auth/login"


class RecordingRpc:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, tuple, dict]] = []

    def call(self, service: str, method: str, *args: Any, request_id: str | None = None, caller: Any = None,
             client: Any = None, idempotent: bool = False, quick: bool = False, **kwargs: Any) -> Any:
        self.calls.append((service, method, args, kwargs))
        return {"status": "ok"}


@pytest.fixture(scope="module")
def key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "key-1"})


def bearer(key: RSAKey, roles: tuple[str, ...] = ("pegawai",)) -> dict[str, str]:
    now = int(time.time())
    token = jwt.encode({"alg": "RS256", "kid": key.kid},
                       {"iss": ISSUER, "aud": "ekinerja-api", "sub": NIP, "iat": now, "exp": now + 300,
                        "auth_time": now, "sid": "sess-1", "amr": ["pwd"], "roles": list(roles),
                        "agency_id": "pemkotdemo", "unit_id": None, "name": "Budi"}, key)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def rpc() -> RecordingRpc:
    return RecordingRpc()


def make_app(key: RSAKey, rpc: RecordingRpc, **settings: Any):
    app = create_app({"AMQP_URI": "pyamqp://guest:guest@127.0.0.1:1/", "TESTING": True, "TOKEN_ISSUER": ISSUER,
                      "JWKS_LOADER": lambda: {"keys": [key.as_dict(private=False)]}, **settings})
    app.extensions["rpc"] = rpc
    return app


@pytest.fixture
def client(key, rpc):
    return make_app(key, rpc).test_client()


def problem_of(response, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:500])
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status and body["detail"] and body["detail_id"] and body["code"]
    return body


def errors_of(response) -> list[dict[str, Any]]:
    body = problem_of(response, 422)
    assert all(e["detail"] and e["detail_id"] and e["field"] is not None and e["rule"] for e in body["errors"])
    return body["errors"]


def nested(depth: int, inner: Any = 1) -> str:
    """A JSON object whose `nip` holds `depth` arrays inside one another (the object is one more level)."""
    return '{"nip": ' + "[" * depth + json.dumps(inner) + "]" * depth + ', "password": "x"}'


# -- body size -----------------------------------------------------------------------------------

def test_a_body_over_the_limit_is_413_from_its_content_length_before_any_parsing(key, rpc):
    client = make_app(key, rpc, MAX_BODY_BYTES=1000).test_client()
    body = json.dumps({"nip": NIP, "password": "x" * 2000})

    body_problem = problem_of(client.post(LOGIN, data=body, content_type="application/json"), 413)

    assert body_problem["code"] == "body-too-large" and body_problem["max_bytes"] == 1000
    assert rpc.calls == []


def test_the_default_limit_is_one_mebibyte_and_the_environment_sets_another(key, rpc, monkeypatch):
    client = make_app(key, rpc).test_client()
    just_over = json.dumps({"nip": NIP, "password": "x" * (1024 * 1024)})
    assert problem_of(client.post(LOGIN, data=just_over, content_type="application/json"), 413)["max_bytes"] \
        == 1024 * 1024

    monkeypatch.setenv("GATEWAY_MAX_BODY_BYTES", "200")
    smaller = make_app(key, rpc).test_client()
    assert smaller.post(LOGIN, json={"nip": NIP, "password": "x" * 300}).status_code == 413
    assert smaller.post(LOGIN, json={"nip": NIP, "password": "x"}).status_code == 200
    assert len(rpc.calls) == 1


def test_a_chunked_body_without_content_length_stops_at_the_limit(key, rpc):
    client = make_app(key, rpc, MAX_BODY_BYTES=1000).test_client()
    body = json.dumps({"nip": NIP, "password": "x" * 5000}).encode()

    environ = EnvironBuilder(LOGIN, method="POST", input_stream=io.BytesIO(body),
                             content_type="application/json").get_environ()
    del environ["CONTENT_LENGTH"]  # as a server hands on a chunked body it de-chunks itself
    environ["wsgi.input_terminated"] = True

    response = client.open(environ)

    assert problem_of(response, 413)["max_bytes"] == 1000
    assert rpc.calls == []


def test_a_tukin_policy_may_be_larger_than_other_bodies(key, rpc):
    client = make_app(key, rpc, MAX_BODY_BYTES=1000, MAX_POLICY_BODY_BYTES=100_000).test_client()
    admin = bearer(key, ("pegawai", "admin_instansi"))
    policy = "agency_id: kemendemo\n" + "".join(f"# comment line {i}\n" for i in range(2000))
    assert 1000 < len(policy) < 100_000

    accepted = client.post("/api/v1/tukin/policies", data=policy, content_type="application/yaml", headers=admin)
    refused = client.post("/api/v1/tukin/policies", data=policy * 3, content_type="application/yaml", headers=admin)

    assert accepted.status_code == 201, accepted.get_json()
    assert problem_of(refused, 413)["max_bytes"] == 100_000
    assert [c[:2] for c in rpc.calls] == [("tukin", "put_policy")]


# -- nesting ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("depth", [MAX_DEPTH, 1_000, 100_000])
def test_json_nested_too_deep_is_400_never_500(client, rpc, depth):
    response = client.post(LOGIN, data=nested(depth), content_type="application/json")

    assert problem_of(response, 400)["code"] == "body-too-deep"
    assert rpc.calls == []


def test_json_at_the_depth_limit_reaches_the_shape_check(client, rpc):
    response = client.post(LOGIN, data=nested(MAX_DEPTH - 1), content_type="application/json")

    assert [e["field"] for e in errors_of(response)] == ["nip"]  # the type check, not the depth


@pytest.mark.parametrize("path", ["/api/v1/skp", "/api/v1/harian/submissions", "/api/v1/auth/mfa/enroll",
                                  "/api/v1/tukin/computations"])
def test_every_json_route_refuses_deep_nesting_with_400(client, rpc, key, path):
    deep = '{"enrollment_ticket": ' + "[" * 5000 + "]" * 5000 + "}"
    headers = bearer(key, ("pegawai", "admin_instansi"))

    response = client.post(path, data=deep, content_type="application/json", headers=headers)

    assert problem_of(response, 400)["code"] == "body-too-deep"
    assert rpc.calls == []


def test_deep_yaml_is_400_too(client, rpc, key):
    response = client.post("/api/v1/tukin/policies", data="a: " + "[" * 5000 + "]" * 5000,
                           content_type="application/yaml", headers=bearer(key, ("pegawai", "admin_instansi")))

    assert problem_of(response, 400)["code"] == "body-too-deep"
    assert rpc.calls == []


def test_yaml_aliases_that_expand_without_end_are_refused(client, rpc, key):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))

    response = client.post("/api/v1/tukin/policies", data=bomb, content_type="application/yaml",
                           headers=bearer(key, ("pegawai", "admin_instansi")))

    assert problem_of(response, 413)["code"] == "body-too-large"
    assert rpc.calls == []


# -- text a client may send --------------------------------------------------------------------------

@pytest.mark.parametrize("text, rule, character", [
    ("\ud800", "unpaired-surrogate", "U+D800"),
    ("ok\udfffok", "unpaired-surrogate", "U+DFFF"),
    ("a\u0000b", "control-character", "U+0000"),
    ("\u001b[31m", "control-character", "U+001B"),
    ("\u007f", "control-character", "U+007F"),
    ("\u0085", "control-character", "U+0085"),
])
def test_a_json_string_that_is_not_storable_text_is_422_naming_its_pointer(client, rpc, text, rule, character):
    body = '{"nip": "' + NIP + '", "password": ' + json.dumps(text) + "}"

    (error,) = errors_of(client.post(LOGIN, data=body, content_type="application/json"))

    assert (error["field"], error["in"], error["rule"], error["character"]) == ("/password", "body", rule, character)
    assert rpc.calls == []


def test_bad_text_deep_in_a_draft_and_in_a_key_is_named_by_json_pointer(client, rpc, key):
    body = '{"activities": [{"description": "ok"}, {"description": "x\\ud800", "ke\\u0001y": 1, "a/b": "\\u0002"}]}'

    errors = errors_of(client.put("/api/v1/harian/days/2026-03-02/draft", data=body,
                                  content_type="application/json", headers=bearer(key)))

    assert {(e["field"], e["rule"]) for e in errors} == {
        ("/activities/1/description", "unpaired-surrogate"),
        ("/activities/1/ke\\u0001y", "control-character"),
        ("/activities/1/a~1b", "control-character")}
    assert rpc.calls == []


def test_tab_newline_carriage_return_and_paired_surrogates_are_text(client, rpc):
    password = "line one\r\nline\ttwo \U0001f600 \ud83d\ude00"

    response = client.post(LOGIN, data=json.dumps({"nip": NIP, "password": password}),
                           content_type="application/json")

    assert response.status_code == 200
    assert rpc.calls == [("identity", "login", (NIP, "line one\r\nline\ttwo \U0001f600 \U0001f600"), {})]


def test_a_body_that_is_not_utf8_or_uses_nan_is_not_json(client, rpc):
    for data in (b'{"nip": "\xff", "password": "x"}', b'{"nip": NaN, "password": "x"}',
                 b'{"nip": -Infinity, "password": "x"}'):
        assert problem_of(client.post(LOGIN, data=data, content_type="application/json"), 400)["code"] \
            == "body-not-json-object"
    assert rpc.calls == []


def test_a_query_parameter_with_a_control_character_is_422_naming_it(client, rpc, key):
    admin = bearer(key, ("pegawai", "admin_nasional"))

    (error,) = errors_of(client.get("/api/v1/admin/audit?type=login&nip=1%00", headers=admin))
    (named,) = errors_of(client.get("/api/v1/admin/audit?ni%01p=1", headers=admin))

    assert (error["field"], error["in"], error["rule"]) == ("nip", "query", "control-character")
    assert (named["field"], named["in"]) == ("ni\\u0001p", "query")
    assert rpc.calls == []


def test_a_path_parameter_with_a_control_character_is_422(client, rpc, key):
    (error,) = errors_of(client.get("/api/v1/employees/1986%0009", headers=bearer(key)))

    assert (error["field"], error["in"], error["rule"]) == ("nip", "path", "control-character")
    assert rpc.calls == []


def test_a_form_field_with_a_control_character_is_422_naming_it(client, rpc):
    response = client.post(LOGIN, data={"nip": NIP, "password": "a\x07b"})

    (error,) = errors_of(response)
    assert (error["field"], error["in"], error["rule"]) == ("password", "form", "control-character")
    assert rpc.calls == []


# -- numbers -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("query", ["year=-4368327825873774654254032617472", "year=2019", "year=2101",
                                   "year=99999999999999999999999", "year=1e3", "year=%D9%A2%D9%A0%D9%A2%D9%A6"])
@pytest.mark.parametrize("path", ["/api/v1/skp/team", "/api/v1/skp/proposals", "/api/v1/skp/periods"])
def test_a_year_outside_the_plan_years_is_422(client, rpc, key, path, query):
    (error,) = errors_of(client.get(f"{path}?{query}", headers=bearer(key)))

    assert error["field"] == "year" and error["rule"] in ("range", "type")
    assert rpc.calls == []


def test_a_year_within_the_plan_years_is_passed_as_a_number(client, rpc, key):
    assert client.get("/api/v1/skp/team?year=2026", headers=bearer(key)).status_code == 200
    assert rpc.calls == [("skp", "team", (2026,), {})]


@pytest.mark.parametrize("url, field, roles", [
    ("/api/v1/harian/calendar?year=2026&month=13", "month", ()),
    ("/api/v1/harian/calendar?year=2026&month=0", "month", ()),
    ("/api/v1/harian/calendar?year=20260&month=1", "year", ()),
    ("/api/v1/me/diagnosis?year=1", "year", ()),
    ("/api/v1/admin/audit?limit=100000000000000000000", "limit", ("admin_nasional",)),
    ("/api/v1/admin/audit?limit=0", "limit", ("admin_nasional",)),
    ("/api/v1/admin/repairs?limit=501", "limit", ("admin_nasional",)),
    ("/api/v1/admin/units/u1/employees?offset=-1", "offset", ("admin_nasional",)),
    ("/api/v1/admin/units/u1/employees?offset=9223372036854775808", "offset", ("admin_nasional",)),
    ("/api/v1/admin/agencies/a1/findings?limit=501", "limit", ("admin_nasional",)),
    ("/api/v1/admin/sync-runs?limit=201", "limit", ("admin_nasional",)),
    ("/api/v1/tukin/agency?month=2026-01&limit=1001", "limit", ("admin_nasional",)),
    ("/api/v1/tukin/agency?month=2026-01&offset=-5", "offset", ("admin_nasional",)),
])
def test_query_numbers_outside_their_range_are_422_naming_them(client, rpc, key, url, field, roles):
    (error,) = errors_of(client.get(url, headers=bearer(key, ("pegawai", *roles))))

    assert (error["field"], error["rule"]) == (field, "range")
    assert rpc.calls == []


@pytest.mark.parametrize("path, body, field", [
    ("/api/v1/skp", {"year": 99999, "approach": "kuantitatif", "rhk": []}, "year"),
    ("/api/v1/skp/periods", {"year": -1}, "year"),
    ("/api/v1/me/pmm/sync", {"year": 2026, "semester": 3}, "semester"),
    ("/api/v1/me/pmm/sync", {"year": 2019, "semester": 1}, "year"),
])
def test_body_numbers_outside_their_range_are_422(client, rpc, key, path, body, field):
    (error,) = errors_of(client.post(path, json=body, headers=bearer(key, ("pegawai", "admin_instansi"))))

    assert (error["field"], error["rule"]) == (field, "range")
    assert rpc.calls == []


@pytest.mark.parametrize("number", [str(MAX_SAFE_INTEGER + 1), str(-MAX_SAFE_INTEGER - 1), "1e400", "-1e400",
                                    "4368327825873774654254032617472"])
def test_a_json_number_no_client_can_read_exactly_is_422_wherever_it_is(client, rpc, key, number):
    body = '{"year": 2026, "approach": "kuantitatif", "rhk": [{"iki": [{"target": ' + number + "}]}]}"

    (error,) = errors_of(client.post("/api/v1/skp", data=body, content_type="application/json",
                                     headers=bearer(key)))

    assert (error["field"], error["rule"]) == ("/rhk/0/iki/0/target", "number-range")
    assert rpc.calls == []


# -- URI and werkzeug errors ------------------------------------------------------------------------

def test_a_uri_over_the_limit_is_414_problem(client, rpc, key):
    response = client.get("/api/v1/harian/team?from=2026-03-02&x=" + "a" * 9000, headers=bearer(key))

    assert problem_of(response, 414)["code"] == "uri-too-long"
    assert rpc.calls == []


@pytest.mark.parametrize("method, path, status", [("get", "/api/v1/no-such-thing", 404), ("get", "/nowhere", 404),
                                                  ("delete", "/api/v1/me", 405), ("put", "/healthz", 405)])
def test_routing_errors_are_problems(client, method, path, status):
    problem_of(getattr(client, method)(path), status)


def test_gunicorns_own_refusals_are_problems_too():
    from ekinerja_gateway.rawproblems import problem_bytes

    raw = problem_bytes(431, "Request Header Fields Too Large", "Error parsing headers: 'limit request headers'")

    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0] == "HTTP/1.1 431 Request Header Fields Too Large"
    assert "Content-Type: application/problem+json" in lines and f"Content-Length: {len(body)}" in lines
    problem = json.loads(body)
    assert (problem["status"], problem["code"]) == (431, "header-fields-too-large")
    assert problem["detail"] and problem["detail_id"] and problem["type"].endswith("header-fields-too-large")
