"""The registry client with a fake HTTP session and a fake clock: token reuse, retries with bounded
exponential backoff and jitter, what is and is not retried, and the circuit breaker around calls."""

import random

import pytest
import requests

from sync.registry.breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker
from sync.registry.client import (
    RegistryClient,
    RegistryNotFound,
    RegistryRefused,
    RegistrySettings,
    RegistryUnavailable,
    RetryPolicy,
)

URL = "http://registry.test"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class Response:
    def __init__(self, status: int, body=None, headers=None) -> None:
        self.status_code, self._body, self.headers = status, body, headers or {}

    def json(self):
        if isinstance(self._body, Exception):
            raise self._body
        return self._body


class Session:
    """Answers from a script: per request, a Response or an exception to raise."""

    def __init__(self, api=(), token_ttl: int = 600) -> None:
        self.api = list(api)
        self.token_ttl = token_ttl
        self.calls: list[tuple[str, str]] = []
        self.tokens = 0

    def request(self, method, url, timeout=None, **kwargs):
        assert timeout is not None, "every request has a timeout"
        self.calls.append((method, url))
        if url.endswith("/oauth2/token"):
            assert kwargs["data"] == {"grant_type": "client_credentials"}
            assert kwargs["auth"] == ("ekinerja", "secret")
            self.tokens += 1
            return Response(200, {"access_token": f"t{self.tokens}", "expires_in": self.token_ttl})
        assert kwargs["headers"]["Authorization"] == f"Bearer t{self.tokens}"
        answer = self.api.pop(0) if self.api else Response(200, {"data": "ok"})
        if isinstance(answer, Exception):
            raise answer
        return answer

    def close(self) -> None:
        pass

    def api_calls(self) -> int:
        return sum(1 for _, url in self.calls if not url.endswith("/oauth2/token"))


def client(session, clock, attempts=4, base=0.5, cap=8.0, threshold=3, cooldown=30.0):
    settings = RegistrySettings(URL, "ekinerja", "secret", URL + "/oauth2/token",
                                retry=RetryPolicy(attempts, base, cap), breaker_threshold=threshold,
                                breaker_cooldown=cooldown)
    breaker = CircuitBreaker("test", threshold, cooldown, clock)
    return RegistryClient(settings, "test", breaker, session, clock, clock.sleep, random.Random(7))


def test_token_is_fetched_once_and_reused_until_shortly_before_it_expires():
    clock, session = Clock(), Session(token_ttl=600)
    c = client(session, clock)

    for _ in range(3):
        c.get("/x")
    clock.now += 600 - 61  # renewed a tenth of its life (at most 30 s) before it expires
    c.get("/x")
    assert session.tokens == 1
    clock.now += 40
    c.get("/x")
    assert session.tokens == 2


def test_a_401_renews_the_token_once_within_the_same_try():
    clock, session = Clock(), Session([Response(401, {}), Response(200, {"data": 1})])
    assert client(session, clock).get("/x") == {"data": 1}
    assert session.tokens == 2 and clock.sleeps == []


def test_5xx_and_timeouts_are_retried_with_growing_jittered_pauses_then_succeed():
    clock = Clock()
    session = Session([Response(503, {}), requests.Timeout(), requests.ConnectionError(), Response(200, {"ok": 1})])

    assert client(session, clock, attempts=4, base=0.5, cap=8.0).get("/x") == {"ok": 1}

    assert session.api_calls() == 4
    assert len(clock.sleeps) == 3
    for failure, pause in enumerate(clock.sleeps, 1):  # equal jitter: between half and all of the step
        step = min(8.0, 0.5 * 2 ** (failure - 1))
        assert step / 2 <= pause <= step
    assert len(set(clock.sleeps)) == 3


def test_retries_are_bounded_in_number_and_in_the_longest_pause():
    clock = Clock()
    session = Session([Response(500, {})] * 10)
    c = client(session, clock, attempts=6, base=1.0, cap=3.0, threshold=100)

    with pytest.raises(RegistryUnavailable) as exc:
        c.get("/x")

    assert exc.value.status == 500
    assert session.api_calls() == 6 and len(clock.sleeps) == 5
    assert max(clock.sleeps) <= 3.0


def test_retry_after_is_honoured_within_the_cap():
    clock = Clock()
    session = Session([Response(429, {}, {"Retry-After": "5"}), Response(503, {}, {"Retry-After": "999"}),
                       Response(200, {})])
    client(session, clock, attempts=3, base=0.1, cap=7.0).get("/x")
    assert clock.sleeps[0] >= 5.0 and clock.sleeps[1] == 7.0


def test_404_and_other_refusals_are_answers_not_retried_and_not_failures():
    clock = Clock()
    session = Session([Response(404, {})] * 3 + [Response(403, {})])
    c = client(session, clock, threshold=2)

    for _ in range(3):
        with pytest.raises(RegistryNotFound):
            c.get("/x")
    with pytest.raises(RegistryRefused):
        c.get("/x")

    assert clock.sleeps == [] and session.api_calls() == 4
    assert c.breaker.state == CLOSED


def test_a_body_that_is_not_json_is_a_failure():
    clock = Clock()
    session = Session([Response(200, ValueError("not json"))] * 2)
    with pytest.raises(RegistryUnavailable):
        client(session, clock, attempts=2).get("/x")


def test_circuit_opens_after_consecutive_failed_calls_and_then_fails_fast_without_calling():
    clock = Clock()
    session = Session([Response(503, {})] * 100)
    c = client(session, clock, attempts=2, threshold=3, cooldown=30.0)

    for _ in range(3):
        with pytest.raises(RegistryUnavailable):
            c.get("/x")
    assert c.breaker.state == OPEN
    calls = session.api_calls()

    with pytest.raises(RegistryUnavailable) as exc:
        c.get("/x")
    assert "circuit open" in str(exc.value) and exc.value.retry_in == pytest.approx(30.0, abs=5)
    assert session.api_calls() == calls  # nothing went out


def test_after_the_cooldown_one_trial_call_closes_the_circuit_when_it_succeeds():
    clock = Clock()
    session = Session([Response(503, {})] * 2)
    c = client(session, clock, attempts=1, threshold=2, cooldown=10.0)
    for _ in range(2):
        with pytest.raises(RegistryUnavailable):
            c.get("/x")
    clock.now += 10.0
    assert c.breaker.state == HALF_OPEN

    assert c.get("/x") == {"data": "ok"}
    assert c.breaker.state == CLOSED and c.breaker.failures == 0


def test_a_failed_trial_opens_the_circuit_again_for_a_full_cooldown():
    clock = Clock()
    session = Session([Response(503, {})] * 10)
    c = client(session, clock, attempts=1, threshold=2, cooldown=10.0)
    for _ in range(2):
        with pytest.raises(RegistryUnavailable):
            c.get("/x")
    clock.now += 10.0

    with pytest.raises(RegistryUnavailable):
        c.get("/x")  # the trial
    assert c.breaker.state == OPEN
    clock.now += 9.0
    with pytest.raises(RegistryUnavailable, match="circuit open"):
        c.get("/x")


def test_a_token_endpoint_outage_counts_as_a_failure_and_wrong_credentials_as_a_refusal():
    clock = Clock()

    class DownToken(Session):
        def request(self, method, url, timeout=None, **kwargs):
            if url.endswith("/oauth2/token"):
                self.calls.append((method, url))
                return Response(self.status, {})
            return super().request(method, url, timeout, **kwargs)

    down = DownToken()
    down.status = 502
    with pytest.raises(RegistryUnavailable):
        client(down, clock, attempts=2).get("/x")
    assert len(down.calls) == 2 and len(clock.sleeps) == 1

    refused = DownToken()
    refused.status = 401
    with pytest.raises(RegistryRefused):
        client(refused, clock).get("/x")


def test_changed_since_follows_the_cursor_and_keeps_the_first_server_time():
    clock = Clock()
    session = Session([Response(200, {"data": [1, 2], "nextCursor": "c1", "serverTime": "T1"}),
                       Response(200, {"data": [3], "nextCursor": None, "serverTime": "T2"})])
    pages = list(client(session, clock).changed_since("ag1", "T0"))
    assert pages == [([1, 2], "T1"), ([3], "T2")]


def test_settings_from_the_environment_and_off_without_a_url(monkeypatch):
    monkeypatch.delenv("SYNC_REGISTRY_URL", raising=False)
    assert RegistrySettings.from_env() is None
    monkeypatch.setenv("SYNC_REGISTRY_URL", "http://r.test/")
    monkeypatch.setenv("SYNC_REGISTRY_RETRIES", "3")
    monkeypatch.setenv("SYNC_REGISTRY_BREAKER_THRESHOLD", "2")
    settings = RegistrySettings.from_env()
    assert settings.url == "http://r.test" and settings.token_url == "http://r.test/oauth2/token"
    assert settings.retry.attempts == 3 and settings.breaker_threshold == 2
    pmm = RegistrySettings.from_env("SYNC_PMM", url="http://pmm.test")
    assert pmm.url == "http://pmm.test" and pmm.retry.attempts == 3  # falls back on the registry's
