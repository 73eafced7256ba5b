"""A daily submission at the gateway: the field rules that need no stored data refuse it before the
202 (harian's own contract, the same errors harian gives), and an Idempotency-Key is claimed at
harian with the request's fingerprint before the command is queued: a retry gets the first answer,
another request with the key harian's 422.

No broker: the RPC client and the command sender are recorders (harian's side of the claim is
tested on its database in services/harian/tests/unit/test_harian_idempotency.py).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

import pytest
from harian_contract.entry import parse_activities
from joserfc import jwt
from joserfc.jwk import RSAKey

from ekinerja_gateway.app import create_app
from ekinerja_kernel import config
from ekinerja_kernel.rpc import RpcProblem

ISSUER = "http://127.0.0.1:8000"
PROBLEM = "application/problem+json"
NIP = "198609262015051001"
SUBMIT = "/api/v1/harian/submissions"
TODAY = config.today()


def activity(**change: Any) -> dict[str, Any]:
    return {"rhk_id": "rhk-1", "description": "Mengajar matematika", "quantity": 2, "satuan": "jam pelajaran",
            "quality": 100, "evidence_url": "https://drive.kotademo.go.id/bukti.pdf", "minutes": 70, **change}


class Recorder:
    """The RPC client and the command sender at once: records calls and sent commands."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple]] = []
        self.sent: list[dict[str, Any]] = []
        self.claims: dict[str, tuple[str, dict[str, Any]]] = {}

    def call(self, service: str, method: str, *args: Any, **_kwargs: Any) -> Any:
        self.calls.append((method, args))
        assert (service, method) == ("harian", "claim_submission")
        key, fingerprint, date, accepted_at = args
        first = self.claims.setdefault(key, (fingerprint, {"id": f"id-of-{key}", "date": date,
                                                           "accepted_at": accepted_at}))
        if first[0] != fingerprint:
            raise RpcProblem(json.dumps({"status": 422, "code": "idempotency-key-reused", "title": "Reused",
                                         "detail": f"Key {key} reused.", "detail_id": f"Kunci {key} dipakai.",
                                         "idempotency_key": key}))
        return first[1]

    def send(self, name: str, subject: str, data: dict[str, Any], request_id: str | None) -> dict[str, Any]:
        self.sent.append(data)
        return {}


@pytest.fixture(scope="module")
def key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "key-1"})


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def client(key, recorder):
    app = create_app({"AMQP_URI": "pyamqp://guest:guest@127.0.0.1:1/", "TESTING": True, "TOKEN_ISSUER": ISSUER,
                      "JWKS_LOADER": lambda: {"keys": [key.as_dict(private=False)]}})
    app.extensions["rpc"] = app.extensions["commands"] = recorder
    test_client = app.test_client()
    now = int(time.time())
    token = jwt.encode({"alg": "RS256", "kid": key.kid},
                       {"iss": ISSUER, "aud": "ekinerja-api", "sub": NIP, "iat": now, "exp": now + 300,
                        "auth_time": now, "sid": "s1", "amr": ["pwd"], "roles": ["pegawai"],
                        "agency_id": "pemkotdemo", "unit_id": None, "name": "Budi"}, key)
    test_client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return test_client


def submit(client, activities=None, day: dt.date = TODAY, key: str | None = None, **extra: Any):
    body = {"date": day.isoformat(), **({"activities": activities} if activities is not None else {}), **extra}
    return client.post(SUBMIT, json=body, headers={"Idempotency-Key": key} if key else {})


# -- field rules before the 202 -------------------------------------------------------------------

@pytest.mark.parametrize("activities, field, rule", [
    ([activity(quantity=0)], "activities[0].quantity", "positive-number"),
    ([activity(quantity=10**12)], "activities[0].quantity", "max"),
    ([activity(), activity(quality=101)], "activities[1].quality", "percentage"),
    ([activity(evidence_url="ftp://files.example/x")], "activities[0].evidence_url", "http-url"),
    ([activity(description="x" * 2001)], "activities[0].description", "max-length"),
    ([activity(minutes=1441)], "activities[0].minutes", "range"),
    ([activity(minutes=800), activity(minutes=800)], "activities", "day-total-minutes"),
    ([activity(minutes=1)] * 51, "activities", "max-items"),
    ([], "activities", "non-empty"),
    (["not an object"], "activities[0]", "object"),
])
def test_field_rules_refuse_a_submission_before_the_202_with_harians_own_errors(client, recorder, activities,
                                                                                 field, rule):
    response = submit(client, activities)

    assert response.status_code == 422 and response.mimetype == PROBLEM, response.get_json()
    errors = response.get_json()["errors"]
    assert (field, rule) in {(e["field"], e["rule"]) for e in errors}
    assert errors == [e.to_dict() for e in parse_activities(activities)[1]]  # one definition, not a copy
    assert recorder.sent == [] and recorder.calls == []


def test_a_future_day_is_refused_with_the_rule_harian_words(client, recorder):
    response = submit(client, [activity()], day=TODAY + dt.timedelta(days=1))

    assert response.status_code == 422
    (error,) = response.get_json()["errors"]
    assert (error["field"], error["rule"]) == ("date", "future-day") and error["detail_id"]
    assert recorder.sent == []


def test_a_valid_submission_is_queued_and_answered_202(client, recorder):
    response = submit(client, [activity()])

    assert response.status_code == 202, response.get_json()
    (sent,) = recorder.sent
    assert sent["id"] == response.get_json()["id"] and sent["activities"] == [activity()]
    assert recorder.calls == []  # without a key nothing but the broker is asked


# -- idempotency keys -----------------------------------------------------------------------------

def test_the_same_key_and_request_get_the_first_answer(client, recorder):
    first = submit(client, [activity()], key="day-1")
    again = client.post(SUBMIT, data=json.dumps({"activities": [activity()], "date": TODAY.isoformat()}, indent=2),
                        content_type="application/json", headers={"Idempotency-Key": "day-1"})

    assert first.status_code == again.status_code == 202
    assert again.get_json() == first.get_json()
    assert [c[0] for c in recorder.calls] == ["claim_submission"] * 2
    assert recorder.calls[0][1][1] == recorder.calls[1][1][1]  # key order and whitespace are not the request
    assert [s["id"] for s in recorder.sent] == ["id-of-day-1"] * 2  # queued again: harian stores an id once
    assert recorder.sent[0]["accepted_at"] == recorder.sent[1]["accepted_at"] == first.get_json()["accepted_at"]


@pytest.mark.parametrize("changed", [
    {"activities": [activity(description="Rapat guru")]},
    {"day": TODAY - dt.timedelta(days=1)},
    {"activities": None},
])
def test_the_same_key_with_another_request_is_422_idempotency_key_reused(client, recorder, changed):
    submit(client, [activity()], key="day-1")
    args = {"activities": [activity()], "key": "day-1", **changed}

    refused = submit(client, **args)

    assert refused.status_code == 422 and refused.mimetype == PROBLEM
    assert refused.get_json()["code"] == "idempotency-key-reused"
    assert refused.get_json()["idempotency_key"] == "day-1"
    assert len(recorder.sent) == 1  # the new content is refused, not silently dropped


def test_a_malformed_key_is_422_before_harian_is_asked(client, recorder):
    response = submit(client, [activity()], key="a key with spaces")

    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "Idempotency-Key"
    assert recorder.calls == [] and recorder.sent == []


def test_the_openapi_document_states_the_contracts_bounds():
    from harian_contract import entry

    from ekinerja_gateway.app import openapi_document

    activity = openapi_document()["components"]["schemas"]["HarianActivityInput"]["properties"]
    assert activity["quantity"]["maximum"] == entry.MAX_QUANTITY
    assert (activity["quality"]["minimum"], activity["quality"]["maximum"]) == (0, entry.MAX_QUALITY)
    assert activity["description"]["maxLength"] == entry.MAX_DESCRIPTION
    assert activity["satuan"]["maxLength"] == entry.MAX_SATUAN
    assert activity["evidence_url"]["maxLength"] == entry.MAX_URL
    assert (activity["minutes"]["minimum"], activity["minutes"]["maximum"]) == (entry.MIN_MINUTES, entry.MAX_MINUTES)
    body = openapi_document()["paths"][SUBMIT]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["activities"]["maxItems"] == entry.MAX_ACTIVITIES
