"""Per-client-IP sliding-window rate limit on /api/v1/auth/*, checked before any RPC is made.

The counts live in this process's memory. With N gunicorn workers (and R replicas) every worker
counts alone, so one IP can make up to N x R times AUTH_RATE_LIMIT requests per window before all
of them refuse; identity's own per-account lockouts (login-locked, mfa-locked) are the hard limit.
Behind a load balancer, set TRUSTED_PROXY_HOPS so that the client IP is not the balancer's.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from flask import Flask, request

from . import metrics
from .problems import GatewayProblem

AUTH_PREFIX = "/api/v1/auth/"


class SlidingWindowLimiter:
    """At most `limit` accepted hits per key in any `window` seconds (a sliding log of times)."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._last_sweep = clock()

    def hit(self, key: str) -> float:
        """Count one hit for `key`: 0.0 when allowed, else the seconds until one more is allowed.
        Refused hits are not counted, so a client that waits as told gets through."""
        now = self.clock()
        with self._lock:
            self._sweep(now)
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(hits[0] + self.window - now, 0.001)
            hits.append(now)
            return 0.0

    def _sweep(self, now: float) -> None:
        # Forget idle keys once per window, so memory follows the active clients only.
        if now - self._last_sweep < self.window:
            return
        self._last_sweep = now
        for key in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window]:
            del self._hits[key]


def rate_limited(retry_after: float) -> GatewayProblem:
    """The per-IP limit's answer (also the OIDC sign-in's page): it counts the network address, which
    every device behind it shares (an office network, a phone carrier's), not the account."""
    seconds = max(1, math.ceil(retry_after))
    return GatewayProblem(429, "rate-limited", "Too many requests from this network address",
                          "Too many sign-in requests from this network address (your device's, or the one your "
                          f"office network's devices all share). Try again in {seconds} s. This limit is not about "
                          "your account.",
                          "Terlalu banyak permintaan masuk dari alamat jaringan ini (alamat perangkat Anda, atau "
                          "alamat yang dipakai bersama oleh semua perangkat di jaringan kantor Anda). Coba lagi "
                          f"dalam {seconds} detik. Batas ini tidak berkaitan dengan akun Anda.",
                          headers={"Retry-After": str(seconds)}, retry_after=seconds, scope="address")


def install(app: Flask, limit: int, window: float, clock: Callable[[], float]) -> None:
    limiter = SlidingWindowLimiter(limit, window, clock)
    app.extensions["auth_rate_limiter"] = limiter

    @app.before_request
    def _limit_auth_requests() -> None:
        if not request.path.startswith(AUTH_PREFIX):
            return
        wait = limiter.hit(request.remote_addr or "unknown")
        if wait:
            metrics.RATE_LIMITED.labels("auth").inc()
            raise rate_limited(wait)
