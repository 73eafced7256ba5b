"""The circuit breaker's states: closed → open after N consecutive failures → half-open after the
cool-down (one trial at a time) → closed on success, open again on failure."""

import pytest
from prometheus_client import REGISTRY

from sync.registry.breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker, CircuitOpen


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def gauge(name: str) -> float:
    return REGISTRY.get_sample_value("ekinerja_registry_circuit_state", {"registry": name})


def test_stays_closed_while_failures_are_not_consecutive():
    b = CircuitBreaker("b-interleaved", threshold=3, cooldown=10, clock=Clock())
    for _ in range(5):
        b.before_call()
        b.failure()
        b.before_call()
        b.failure()
        b.before_call()
        b.success()
    assert b.state == CLOSED and b.failures == 0


def test_opens_after_threshold_failures_and_refuses_until_the_cooldown():
    clock = Clock()
    b = CircuitBreaker("b-open", threshold=3, cooldown=10, clock=clock)
    for _ in range(3):
        b.before_call()
        b.failure()
    assert b.state == OPEN and gauge("b-open") == 2
    clock.now = 9.9
    with pytest.raises(CircuitOpen) as exc:
        b.before_call()
    assert exc.value.retry_in == pytest.approx(0.1)
    assert b.snapshot()["state"] == OPEN and b.snapshot()["consecutive_failures"] == 3


def test_half_open_lets_one_trial_through_and_its_success_closes():
    clock = Clock()
    b = CircuitBreaker("b-half", threshold=1, cooldown=5, clock=clock)
    b.before_call()
    b.failure()
    clock.now = 5
    assert b.state == HALF_OPEN
    b.before_call()  # the trial
    assert gauge("b-half") == 1
    with pytest.raises(CircuitOpen):
        b.before_call()  # a second caller waits for the trial's verdict
    b.success()
    assert b.state == CLOSED and gauge("b-half") == 0
    b.before_call()


def test_a_failed_trial_reopens_for_a_full_cooldown():
    clock = Clock()
    b = CircuitBreaker("b-reopen", threshold=2, cooldown=5, clock=clock)
    for _ in range(2):
        b.before_call()
        b.failure()
    clock.now = 6
    b.before_call()
    b.failure()
    assert b.state == OPEN
    clock.now = 10.9
    with pytest.raises(CircuitOpen):
        b.before_call()
    clock.now = 11
    b.before_call()


def test_opening_is_counted():
    clock = Clock()
    b = CircuitBreaker("b-count", threshold=1, cooldown=1, clock=clock)
    for _ in range(3):
        b.before_call()
        b.failure()
        clock.now += 1
    assert REGISTRY.get_sample_value("ekinerja_registry_circuit_opened_total", {"registry": "b-count"}) == 3


def test_rejects_nonsense_settings():
    with pytest.raises(ValueError):
        CircuitBreaker("b-bad", threshold=0)
