"""Growing lockout after repeated failures (identity.domain.lockout)."""

import datetime as dt

from identity.domain.lockout import Guard, after_failure, retry_after

T0 = dt.datetime(2025, 3, 3, 8, 0, tzinfo=dt.UTC)


def fail(times, start=T0, guard=None, every=dt.timedelta(seconds=1)):
    """Fail `times` times, `every` apart, from `start`; return every intermediate guard."""
    guard = guard or Guard()
    guards = []
    for i in range(times):
        guard = after_failure(guard, start + i * every)
        guards.append(guard)
    return guards


def test_a_fresh_guard_allows_an_attempt():
    assert retry_after(Guard(), T0) == 0


def test_first_four_failures_do_not_lock():
    guards = fail(4)
    assert [g.failures for g in guards] == [1, 2, 3, 4]
    for i, g in enumerate(guards):
        assert g.locked_until is None
        assert retry_after(g, T0 + dt.timedelta(seconds=i)) == 0


def test_fifth_failure_locks_30_seconds():
    fifth = fail(5)[-1]
    now = T0 + dt.timedelta(seconds=4)
    assert fifth.failures == 5
    assert fifth.locked_until == now + dt.timedelta(seconds=30)
    assert retry_after(fifth, now) == 30


def test_sixth_failure_locks_60_seconds():
    sixth = fail(6)[-1]
    now = T0 + dt.timedelta(seconds=5)
    assert sixth.locked_until == now + dt.timedelta(seconds=60)
    assert retry_after(sixth, now) == 60


def test_delay_grows_and_is_capped_at_an_hour():
    guards = fail(20)
    delays = [retry_after(g, T0 + dt.timedelta(seconds=i)) for i, g in enumerate(guards)]
    assert delays[:4] == [0, 0, 0, 0]
    assert delays[4:12] == [30, 60, 120, 240, 480, 960, 1920, 3600]
    assert delays[12:] == [3600] * 8
    assert all(b >= a for a, b in zip(delays, delays[1:], strict=False))


def test_retry_after_counts_down_and_reaches_zero():
    fifth = after_failure(Guard(failures=4, last_failure_at=T0), T0)
    assert retry_after(fifth, T0) == 30
    assert retry_after(fifth, T0 + dt.timedelta(seconds=10)) == 20
    assert retry_after(fifth, T0 + dt.timedelta(seconds=10, milliseconds=500)) == 20  # 19.5 s left: rounds up
    assert retry_after(fifth, T0 + dt.timedelta(seconds=29)) == 1
    assert retry_after(fifth, T0 + dt.timedelta(seconds=29, milliseconds=500)) == 1  # rounds up, never 0 early
    assert retry_after(fifth, T0 + dt.timedelta(seconds=30)) == 0
    assert retry_after(fifth, T0 + dt.timedelta(hours=2)) == 0


def test_failures_older_than_a_day_are_forgotten():
    locked = fail(8)[-1]
    assert locked.failures == 8
    later = locked.last_failure_at + dt.timedelta(hours=24, seconds=1)
    fresh = after_failure(locked, later)
    assert fresh.failures == 1
    assert fresh.locked_until is None
    assert retry_after(fresh, later) == 0


def test_failures_within_a_day_still_count():
    locked = fail(8)[-1]
    later = locked.last_failure_at + dt.timedelta(hours=23)
    again = after_failure(locked, later)
    assert again.failures == 9
    assert retry_after(again, later) == 30 * 2 ** 4


def test_a_slow_attacker_is_still_counted():
    guards = fail(5, every=dt.timedelta(hours=1))
    assert guards[-1].failures == 5
    assert guards[-1].locked_until is not None
