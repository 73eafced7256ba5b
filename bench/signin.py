"""The 08:00 sign-in wave against what the hardware allows: sign-ins through the gateway per second
next to raw argon2id verifies per second with identity's own parameters (identity.domain.passwords:
what each password sign-in must cost), measured one after the other on the same machine. The ratio
says how much of a sign-in is anything but the password hash (goal ≥ 0.9).

The sign-ins come from BENCH_SIGNIN_CLIENTS clients (default 16), each on its own loopback address
127.0.0.2, 127.0.0.3, ... as the offices of an agency would (the gateway limits sign-ins per address),
each signing in the demo accounts in turn (an account with TOTP answers mfa_required after its
password was verified: the same argon2id cost)."""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from dataclasses import dataclass
from typing import Any

from . import load
from .load import Plan, VirtualUser


@dataclass
class Figures:
    signins_per_s: float
    raw_per_s: float
    statuses: dict[str, int]
    processes: int
    clients: int

    @property
    def ratio(self) -> float:
        return self.signins_per_s / self.raw_per_s if self.raw_per_s else 0.0


def _verify_loop(seconds: float, out: Any) -> None:
    from identity.domain.passwords import HASHER

    stored = HASHER.hash("Benchmark-Password-2026!")
    done, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        HASHER.verify(stored, "Benchmark-Password-2026!")
        done += 1
    out.put(done)


def raw_verifies_per_second(seconds: float, processes: int) -> float:
    """argon2id verifies per second in `processes` processes at once (each one core's worth)."""
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    workers = [ctx.Process(target=_verify_loop, args=(seconds, out), daemon=True) for _ in range(processes)]
    started = time.monotonic()
    for w in workers:
        w.start()
    total = sum(out.get(timeout=seconds + 60) for _ in workers)
    for w in workers:
        w.join(timeout=10)
    return total / max(time.monotonic() - started, seconds)


def measure(url: str, accounts: list[dict[str, Any]], seconds: float, run_id: str, timeout: float,
            processes: int) -> Figures:
    clients = int(os.environ.get("BENCH_SIGNIN_CLIENTS", "16"))
    users = [VirtualUser(index=i, nip=a["nip"], password=a["password"], source=f"127.0.0.{2 + i}")
             for i, a in ((i, accounts[i % len(accounts)]) for i in range(clients))]
    result = load.run(Plan("signin", url, seconds, run_id, timeout), users, min(processes, clients))
    signed_in = result.statuses.get(200, 0)
    raw = raw_verifies_per_second(seconds, os.cpu_count() or 1)
    return Figures(signed_in / result.elapsed, raw, {str(k): v for k, v in result.statuses.items()},
                   os.cpu_count() or 1, clients)
