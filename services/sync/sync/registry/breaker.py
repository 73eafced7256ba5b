"""A circuit breaker: after `threshold` consecutive failed calls the circuit opens and calls fail
at once (the registry is not hammered while it is down); after `cooldown` seconds one trial call
is let through (half-open): its success closes the circuit, its failure opens it again.

State changes are logged and exported (`ekinerja_registry_circuit_state`: 0 closed, 1 half-open,
2 open; `ekinerja_registry_circuit_opened_total`). The clock is injectable for tests.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from prometheus_client import Counter, Gauge

log = logging.getLogger("ekinerja.sync.registry")

CLOSED, HALF_OPEN, OPEN = "closed", "half-open", "open"
STATE_VALUE = {CLOSED: 0, HALF_OPEN: 1, OPEN: 2}

CIRCUIT_STATE = Gauge("ekinerja_registry_circuit_state", "Circuit breaker of a registry: 0 closed, 1 half-open, 2 open",
                      ["registry"])
CIRCUIT_OPENED = Counter("ekinerja_registry_circuit_opened_total", "Times a registry's circuit opened",
                         ["registry"])


class CircuitOpen(Exception):
    """Refused without calling: the registry failed too often lately."""

    def __init__(self, name: str, retry_in: float) -> None:
        super().__init__(f"circuit of {name} is open; next trial in {retry_in:.1f}s")
        self.name, self.retry_in = name, retry_in


class CircuitBreaker:
    def __init__(self, name: str, threshold: int = 5, cooldown: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if threshold < 1 or cooldown < 0:
            raise ValueError("threshold must be >= 1 and cooldown >= 0")
        self.name, self.threshold, self.cooldown, self.clock = name, threshold, cooldown, clock
        self._lock = threading.Lock()
        self._state = CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._trial_running = False
        CIRCUIT_STATE.labels(name).set(0)

    @property
    def state(self) -> str:
        """The state as a caller would find it now (an open circuit past its cool-down is half-open)."""
        with self._lock:
            if self._state == OPEN and self.clock() - self._opened_at >= self.cooldown:
                return HALF_OPEN
            return self._state

    @property
    def failures(self) -> int:
        return self._failures

    def snapshot(self) -> dict:
        state = self.state
        retry_in = max(0.0, self.cooldown - (self.clock() - self._opened_at)) if state == OPEN else 0.0
        return {"name": self.name, "state": state, "consecutive_failures": self._failures,
                "threshold": self.threshold, "cooldown_seconds": self.cooldown, "retry_in_seconds": round(retry_in, 1)}

    def before_call(self) -> None:
        """Raises CircuitOpen unless a call may go out now."""
        with self._lock:
            if self._state == CLOSED:
                return
            elapsed = self.clock() - self._opened_at
            if self._state == OPEN:
                if elapsed < self.cooldown:
                    raise CircuitOpen(self.name, self.cooldown - elapsed)
                self._set(HALF_OPEN)
            if self._trial_running:  # half-open: one trial at a time, the others wait for its verdict
                raise CircuitOpen(self.name, 0.0)
            self._trial_running = True

    def success(self) -> None:
        with self._lock:
            self._failures = 0
            self._trial_running = False
            if self._state != CLOSED:
                self._set(CLOSED)

    def failure(self) -> None:
        with self._lock:
            self._failures += 1
            self._trial_running = False
            if self._state == HALF_OPEN or (self._state == CLOSED and self._failures >= self.threshold):
                self._opened_at = self.clock()
                self._set(OPEN)
                CIRCUIT_OPENED.labels(self.name).inc()

    def _set(self, state: str) -> None:
        if state != self._state:
            log.warning("registry circuit %s: %s -> %s", self.name, self._state, state,
                        extra={"registry": self.name, "circuit": state, "consecutive_failures": self._failures})
        self._state = state
        CIRCUIT_STATE.labels(self.name).set(STATE_VALUE[state])
