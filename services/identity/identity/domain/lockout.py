"""Brute-force protection: a growing delay after repeated failures, per NIP and per factor.

Password and TOTP failures are counted apart: TOTP is only reachable after the password, so
guessing codes cannot lock out someone who does not know the password, and a code guesser is
slowed down on their own counter.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

FREE_ATTEMPTS = 5
FIRST_DELAY = 30  # seconds after the 5th failure, doubling each further failure
MAX_DELAY = 3600
RESET_AFTER = dt.timedelta(hours=24)  # a quiet day forgives old failures


@dataclass(frozen=True)
class Guard:
    failures: int = 0
    last_failure_at: dt.datetime | None = None
    locked_until: dt.datetime | None = None


def retry_after(guard: Guard, now: dt.datetime) -> int:
    """Seconds until another attempt is allowed (0 = allowed now)."""
    if guard.locked_until and guard.locked_until > now:
        return max(1, int((guard.locked_until - now).total_seconds() + 0.999))
    return 0


def after_failure(guard: Guard, now: dt.datetime) -> Guard:
    failures = guard.failures
    if guard.last_failure_at and now - guard.last_failure_at > RESET_AFTER:
        failures = 0
    failures += 1
    locked_until = None
    if failures >= FREE_ATTEMPTS:
        delay = min(FIRST_DELAY * 2 ** (failures - FREE_ATTEMPTS), MAX_DELAY)
        locked_until = now + dt.timedelta(seconds=delay)
    return Guard(failures, now, locked_until)
