"""The registry sync inside the sync service: a background loop (one per process) that runs queued
agency syncs and, every `SYNC_REGISTRY_INTERVAL` seconds, the scheduled incremental sync; and the
registry clients the RPC workers use ("Sinkronisasi ASN", PMM import).

Off unless `SYNC_REGISTRY_URL` is set: tests and a machine without a registry do nothing.
Settings (environment):
  SYNC_REGISTRY_URL, SYNC_REGISTRY_CLIENT_ID, SYNC_REGISTRY_CLIENT_SECRET, SYNC_REGISTRY_TOKEN_URL
  SYNC_REGISTRY_TIMEOUT (read, s; 10), SYNC_REGISTRY_CONNECT_TIMEOUT (3.05)
  SYNC_REGISTRY_RETRIES (tries in all; 4), SYNC_REGISTRY_BACKOFF (first pause, s; 0.5),
  SYNC_REGISTRY_BACKOFF_MAX (longest pause, s; 8)
  SYNC_REGISTRY_BREAKER_THRESHOLD (failed calls in a row that open the circuit; 5),
  SYNC_REGISTRY_BREAKER_COOLDOWN (s before a trial call; 30)
  SYNC_REGISTRY_INTERVAL (s between scheduled runs; 900), SYNC_REGISTRY_FIRST_DELAY (s after start
  before the first one; 60), SYNC_REGISTRY_POLL_SECONDS (how often queued runs are looked for; 5)
  SYNC_REGISTRY_AGENCIES (comma-separated agency ids; empty = every agency the registry lists)
  SYNC_REGISTRY_PAGE_SIZE (500), SYNC_BATCH_SIZE (rows per transaction; 500)
  SYNC_REGISTRY_INTERACTIVE_TIMEOUT (read timeout of a user's own sync, s; 2; two tries)
  SYNC_PMM_URL (default: the registry's URL) and SYNC_PMM_* like the registry's

And the loop that announces each employee's findings when they change (findings.py), always on:
  SYNC_FINDINGS_POLL_SECONDS (how often the diagnosis queue is looked at; 1), SYNC_FINDINGS_BATCH (200)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import socket
import time
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from ekinerja_kernel import config
from ekinerja_kernel.events import utcnow
from ekinerja_kernel.service import BackgroundLoop, OutboxRelay

from . import findings
from .registry.breaker import CircuitBreaker
from .registry.client import RegistryClient, RegistrySettings, RetryPolicy
from .runs import SCHEDULE_LEASE, Syncer, acquire_lease, claim_queued, last_scheduled, release_lease
from .tables import OUTBOX


def _interactive(settings: RegistrySettings) -> RegistrySettings:
    """A person waits for this one: short timeout, one retry (the gateway's RPC_TIMEOUT is 5 s)."""
    return dataclasses.replace(settings, read_timeout=config.env_float("SYNC_REGISTRY_INTERACTIVE_TIMEOUT", 2.0),
                               retry=RetryPolicy(2, min(settings.retry.base, 0.2), 0.5))


class Clients:
    """A registry's two clients sharing one circuit breaker: the loop's and the interactive one."""

    def __init__(self, settings: RegistrySettings, name: str) -> None:
        self.breaker = CircuitBreaker(name, settings.breaker_threshold, settings.breaker_cooldown)
        self.batch = RegistryClient(settings, name, self.breaker)
        self.interactive = RegistryClient(_interactive(settings), name, self.breaker)

    def close(self) -> None:
        self.batch.close()
        self.interactive.close()


class RegistrySync(BackgroundLoop):
    identifier = "registry-sync"
    poll_setting = ("SYNC_REGISTRY_POLL_SECONDS", 5.0)

    def setup(self) -> None:
        super().setup()
        settings = RegistrySettings.from_env()
        pmm_url = config.env("SYNC_PMM_URL", settings.url if settings else "")
        pmm_settings = RegistrySettings.from_env("SYNC_PMM", url=pmm_url) if pmm_url else None
        self.siasn = Clients(settings, "siasn") if settings else None
        self.pmm = Clients(pmm_settings, "pmm") if pmm_settings else None
        self.interval = config.env_float("SYNC_REGISTRY_INTERVAL", 900.0)
        self.first_delay = config.env_float("SYNC_REGISTRY_FIRST_DELAY", 60.0)
        self.chunk_size = config.env_int("SYNC_BATCH_SIZE", 500)
        self.agencies = tuple(a.strip() for a in config.env("SYNC_REGISTRY_AGENCIES", "").split(",") if a.strip())
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.started = time.monotonic()
        relays = [d for d in self.container.dependencies if isinstance(d, OutboxRelay)]
        self.wake_relay: Callable[[], None] = relays[0].notify if relays else (lambda: None)

    def close(self) -> None:
        for clients in (self.siasn, self.pmm):
            if clients is not None:
                clients.close()

    # --- for the RPC workers -------------------------------------------------------------------------

    def syncer(self, factory: sessionmaker[Session], interactive: bool = False) -> Syncer | None:
        if self.siasn is None:
            return None
        client = self.siasn.interactive if interactive else self.siasn.batch
        return Syncer(factory, OUTBOX, client, self.wake_relay, self.chunk_size, self.agencies)

    def pmm_client(self) -> RegistryClient | None:
        return self.pmm.interactive if self.pmm is not None else None

    def status(self) -> dict[str, Any]:
        return {"configured": self.siasn is not None,
                "url": self.siasn.batch.settings.url if self.siasn else None,
                "circuits": [c.breaker.snapshot() for c in (self.siasn, self.pmm) if c is not None],
                "interval_seconds": self.interval,
                "agencies": list(self.agencies) or "all the registry lists"}

    # --- the loop ----------------------------------------------------------------------------------

    def work_once(self) -> int:
        if self.siasn is None:
            return 0
        syncer = self.syncer(self.factory)
        assert syncer is not None  # self.siasn is set (checked above)
        row = claim_queued(self.factory)
        if row is not None:
            syncer.execute(row)
            return 1
        if self.due():
            if acquire_lease(self.factory, SCHEDULE_LEASE, self.owner, seconds=max(self.interval, 600.0)):
                try:
                    if self.due():  # another replica may have run it while we waited for the lease
                        syncer.scheduled()
                finally:
                    release_lease(self.factory, SCHEDULE_LEASE, self.owner)
        return 0

    def due(self) -> bool:
        if time.monotonic() - self.started < self.first_delay:
            return False
        last = last_scheduled(self.factory)
        return last is None or utcnow() - last >= dt.timedelta(seconds=self.interval)


OBSERVE_EVERY = 15.0  # seconds between readings of the findings gauges (a scrape interval)


class FindingsPublisher(BackgroundLoop):
    """Announces each employee's findings when they change (findings.py): drains the diagnosis
    queue, and sweeps once a day for what changes by date alone."""

    identifier = "findings-publisher"
    poll_setting = ("SYNC_FINDINGS_POLL_SECONDS", 1.0)

    def setup(self) -> None:
        super().setup()
        self.batch = config.env_int("SYNC_FINDINGS_BATCH", 200)
        self.swept_on: dt.date | None = None
        self.observed_at = 0.0
        relays = [d for d in self.container.dependencies if isinstance(d, OutboxRelay)]
        self.wake_relay: Callable[[], None] = relays[0].notify if relays else (lambda: None)

    def work_once(self) -> int:
        today = config.today()
        if self.swept_on != today:
            findings.sweep(self.factory, today)
            self.swept_on = today
        done, sent = findings.publish_queued(self.factory, OUTBOX, self.batch)
        if sent:
            self.wake_relay()
        if time.monotonic() - self.observed_at >= OBSERVE_EVERY:  # two counts: not on every batch of a backlog
            findings.observe(self.factory)
            self.observed_at = time.monotonic()
        return done
