"""nameko entrypoints of the tukin service (allowance (Tukin/TPP) computation from performance and compliance)."""

from __future__ import annotations

from ekinerja_kernel.service import OutboxRelay, ServiceBase

from .tables import OUTBOX


class TukinService(ServiceBase):
    name = "tukin"
    relay = OutboxRelay(OUTBOX)
