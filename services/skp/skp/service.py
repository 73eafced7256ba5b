"""nameko entrypoints of the skp service (performance plans (SKP/RHK), approval, evaluation, ratings)."""

from __future__ import annotations

from ekinerja_kernel.service import OutboxRelay, ServiceBase

from .tables import OUTBOX


class SkpService(ServiceBase):
    name = "skp"
    relay = OutboxRelay(OUTBOX)
