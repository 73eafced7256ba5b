"""The worker's list of ended sessions: what it refuses, for how long, and what it does when it cannot
hear identity's session.revoked events (fail closed after a short grace: 503, never a silent accept).

No broker here: the list and its health are driven directly; the feed itself is started against an
unreachable broker. tests/integration/test_gateway_workers.py proves the feed on a real broker with two
gunicorn workers.
"""

from __future__ import annotations

import time

import pytest
from flask import jsonify
from joserfc import jwt
from joserfc.jwk import RSAKey

from ekinerja_gateway import revocations
from ekinerja_gateway.app import create_app
from ekinerja_gateway.problems import GatewayProblem

ISSUER = "https://sso.test.example"
UNROUTABLE = "pyamqp://guest:guest@127.0.0.1:1/"
PROBLEM = "application/problem+json"


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_an_ended_session_is_refused_until_its_last_token_expired_plus_the_leeway():
    wall = Clock()
    ended = revocations.RevocationList(leeway=30, clock=wall)
    ended.add("s1", until=wall.now + 600)

    assert ended.revoked("s1") and not ended.revoked("s2")
    wall.now += 630
    assert ended.revoked("s1")  # a token with exp = until is still accepted for the leeway
    wall.now += 1
    assert not ended.revoked("s1")
    assert ended.prune() == 1 and len(ended) == 0


def test_events_and_snapshot_entries_are_read_and_a_bad_one_is_skipped():
    wall = Clock(time.time())
    ended = revocations.RevocationList(leeway=30, clock=wall)

    assert ended.add_event({"sid": "s1", "until": "2099-01-01T00:00:00+00:00"})
    assert ended.add_event({"sid": "s2", "until": "2099-01-01T00:00:00"})  # no zone: UTC
    assert not ended.add_event({"sid": "s3"})
    assert not ended.add_event({"sid": "", "until": "2099-01-01T00:00:00+00:00"})
    assert not ended.add_event(None)
    assert not ended.add_event({"sid": "s4", "until": "tomorrow"})
    ended.add_event({"sid": "old", "until": "2000-01-01T00:00:00+00:00"})  # long expired: not kept

    assert ended.revoked("s1") and ended.revoked("s2") and len(ended) == 2


def test_the_list_is_trusted_while_current_and_for_the_grace_after_a_loss_only():
    clock = Clock()
    health = revocations.FeedHealth(stale_after=5, clock=clock)
    assert not health.trusted() and health.state() == "starting"  # nothing loaded yet

    health.current()
    assert health.trusted() and health.ready.is_set()
    health.lost()
    clock.now += 5
    assert health.trusted() and health.state() == "reconnecting"
    health.lost()  # a failed retry does not extend the grace
    clock.now += 0.1
    assert not health.trusted() and health.state() == "stale"
    health.current()
    assert health.trusted()


def test_a_request_waits_for_the_first_snapshot_only_within_the_grace_after_the_start():
    clock = Clock()
    health = revocations.FeedHealth(stale_after=5, clock=clock)
    assert health.start_grace_left() == 0  # not started: nothing to wait for

    health.starting()
    clock.now += 2
    assert health.start_grace_left() == 3
    clock.now += 4
    assert health.start_grace_left() == 0  # the broker is down at start: answer 503 at once, hold no worker
    health.current()
    assert health.start_grace_left() == 0


def feed_with(stale_after: float = 5.0) -> revocations.RevocationFeed:
    """A feed whose thread never runs: its list and health are set by the test."""
    feed = revocations.RevocationFeed(UNROUTABLE, lambda: {"sessions": []}, leeway=30, stale_after=stale_after)
    feed.start = lambda: None  # type: ignore[method-assign]
    return feed


def test_check_refuses_an_ended_session_even_when_the_feed_is_stale():
    feed = feed_with()
    feed.revoked.add("gone", time.time() + 600)

    with pytest.raises(GatewayProblem) as refused:
        feed.check("gone")
    assert (refused.value.status, refused.value.code) == (401, "session-revoked")


def test_check_fails_closed_when_the_list_cannot_be_trusted():
    feed = feed_with(stale_after=0.05)
    with pytest.raises(GatewayProblem) as starting:
        feed.check("any")  # waited for a first snapshot that never came
    assert (starting.value.status, starting.value.code) == (503, "revocation-check-unavailable")
    assert int(starting.value.headers["Retry-After"]) >= 1

    feed.health.current()
    feed.check("any")  # current: accepted


# -- through the app --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "key-1"})


def token(key: RSAKey, sid: str = "sess-1") -> str:
    now = int(time.time())
    return jwt.encode({"alg": "RS256", "kid": key.kid},
                      {"iss": ISSUER, "aud": "ekinerja-api", "sub": "198609262015051001", "iat": now,
                       "exp": now + 300, "auth_time": now, "sid": sid, "amr": ["pwd"], "roles": ["pegawai"]}, key)


def app_with(key: RSAKey, **settings):
    app = create_app({"AMQP_URI": UNROUTABLE, "TESTING": True, "TOKEN_ISSUER": ISSUER,
                      "JWKS_LOADER": lambda: {"keys": [key.as_dict(private=False)]}, **settings})

    @app.get("/api/v1/test-only/caller")
    def test_caller():
        return jsonify(ok=True)

    return app


def test_a_gateway_that_cannot_reach_the_broker_answers_503_not_the_token_s_holder(key):
    app = app_with(key, REVOCATION_FEED=True, REVOCATION_STALE_SECONDS=0.3)
    try:
        response = app.test_client().get("/api/v1/test-only/caller",
                                         headers={"Authorization": f"Bearer {token(key)}"})
    finally:
        app.extensions["revocations"].stop()

    assert response.status_code == 503 and response.mimetype == PROBLEM
    body = response.get_json()
    assert body["code"] == "revocation-check-unavailable" and body["detail"] and body["detail_id"]
    assert int(response.headers["Retry-After"]) >= 1


def test_an_ended_session_s_token_is_401_problem_json_through_the_app(key):
    app = app_with(key, REVOCATION_FEED=True)
    feed = app.extensions["revocations"]
    feed.start = lambda: None  # no thread: the list is filled by hand
    feed.health.current()
    feed.revoked.add("sess-ended", time.time() + 600)
    client = app.test_client()

    ended = client.get("/api/v1/test-only/caller", headers={"Authorization": f"Bearer {token(key, 'sess-ended')}"})
    other = client.get("/api/v1/test-only/caller", headers={"Authorization": f"Bearer {token(key, 'sess-2')}"})

    assert ended.status_code == 401 and ended.mimetype == PROBLEM
    assert ended.get_json()["code"] == "session-revoked"
    assert 'error="invalid_token"' in ended.headers["WWW-Authenticate"]
    assert other.status_code == 200


def test_keys_injected_for_tests_mean_no_feed_unless_asked(key):
    assert "revocations" not in app_with(key).extensions
    assert "revocations" in create_app({"AMQP_URI": UNROUTABLE, "TESTING": True}).extensions
