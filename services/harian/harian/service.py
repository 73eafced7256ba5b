"""nameko entrypoints of the harian service (daily progress logs and their validation by supervisors)."""

from __future__ import annotations

from ekinerja_kernel.service import OutboxRelay, ServiceBase

from .tables import OUTBOX


class HarianService(ServiceBase):
    name = "harian"
    relay = OutboxRelay(OUTBOX)
