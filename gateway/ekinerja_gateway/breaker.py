"""The broker's circuit breaker, one per gateway worker: while the broker cannot be reached, requests
that need it get a 503 at once instead of each one waiting on a connection attempt.

Closed: every call goes to the broker. A broker failure (a connection refused, lost or timed out)
opens it: for `open_seconds` no call tries the broker, each fails fast. Then one call at a time is let
through as a trial (half-open); its success closes the breaker, its failure opens it again. So a worker
pays at most one connection attempt per `open_seconds` while the broker is away, and resumes by itself
within `open_seconds` of its return. Plain logic with an injectable clock; thread-safe (a worker's
revocation feed runs in a thread of its own).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from enum import StrEnum

DEFAULT_OPEN_SECONDS = 1.0
# A trial that never told its outcome (its worker was killed mid-call) stops holding the others back.
TRIAL_SECONDS = 10.0


class State(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


class BrokerBreaker:
    def __init__(self, open_seconds: float = DEFAULT_OPEN_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.open_seconds = max(0.0, open_seconds)
        self.clock = clock
        self._lock = threading.Lock()
        self._opened_at: float | None = None
        self._trial_at: float | None = None
        self.reason = ""

    @property
    def state(self) -> State:
        with self._lock:
            return self._state()

    def _state(self) -> State:
        if self._opened_at is None:
            return State.CLOSED
        now = self.clock()
        if now - self._opened_at < self.open_seconds:
            return State.OPEN
        if self._trial_at is not None and now - self._trial_at < TRIAL_SECONDS:
            return State.OPEN
        return State.HALF_OPEN

    def allow(self) -> bool:
        """Whether this call may try the broker: closed, or the one trial once the pause is over."""
        with self._lock:
            state = self._state()
            if state is State.HALF_OPEN:
                self._trial_at = self.clock()  # the others keep failing fast until it has an outcome
                return True
            return state is State.CLOSED

    def succeeded(self) -> None:
        with self._lock:
            self._opened_at, self._trial_at, self.reason = None, None, ""

    def failed(self, reason: str = "") -> None:
        with self._lock:
            self._opened_at, self._trial_at = self.clock(), None
            self.reason = reason or self.reason
