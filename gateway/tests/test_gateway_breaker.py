"""The broker's circuit breaker: fail fast while the broker is away, one trial per pause, closed again
by the first success."""

from ekinerja_gateway.breaker import TRIAL_SECONDS, BrokerBreaker, State


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_closed_lets_every_call_through():
    breaker = BrokerBreaker(1.0, Clock())

    assert breaker.state is State.CLOSED
    assert all(breaker.allow() for _ in range(5))


def test_a_failure_opens_it_and_calls_fail_fast_until_the_pause_is_over():
    clock = Clock()
    breaker = BrokerBreaker(1.0, clock)

    breaker.failed("connection refused")

    assert breaker.state is State.OPEN and breaker.reason == "connection refused"
    assert not breaker.allow()
    clock.now += 0.99
    assert not breaker.allow()
    clock.now += 0.02
    assert breaker.state is State.HALF_OPEN


def test_after_the_pause_one_trial_goes_through_and_its_outcome_decides():
    clock = Clock()
    breaker = BrokerBreaker(1.0, clock)
    breaker.failed()
    clock.now += 1.0

    assert breaker.allow()  # the trial
    assert not breaker.allow()  # the others wait for its outcome, failing fast
    breaker.failed()
    assert not breaker.allow()  # failed: another pause
    clock.now += 1.0
    assert breaker.allow()
    breaker.succeeded()
    assert breaker.state is State.CLOSED and breaker.reason == ""
    assert breaker.allow() and breaker.allow()


def test_a_trial_that_never_reports_does_not_hold_the_breaker_open_for_ever():
    clock = Clock()
    breaker = BrokerBreaker(1.0, clock)
    breaker.failed()
    clock.now += 1.0
    assert breaker.allow()

    clock.now += TRIAL_SECONDS - 0.1
    assert not breaker.allow()
    clock.now += 0.2
    assert breaker.allow()
