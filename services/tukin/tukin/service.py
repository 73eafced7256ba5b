"""nameko entrypoints of the tukin service (allowance (Tukin/TPP) computation from performance and compliance)."""

from __future__ import annotations

from ekinerja_kernel.rpc import rpc
from ekinerja_kernel.service import OutboxRelay, RequestInfo, ServiceBase, event_queue, handle_event

from . import facts, handlers, monitoring
from .tables import OUTBOX

FACTS = event_queue("tukin", *facts.PATTERNS)
UNITS = event_queue("tukin-monitoring", "ekinerja.unit.#")  # the unit tree of the monitoring read model


class TukinService(ServiceBase):
    name = "tukin"
    relay = OutboxRelay(OUTBOX)
    request = RequestInfo()

    @handle_event(FACTS)
    def on_fact(self, envelope: dict) -> None:
        facts.on_event(self.db, envelope)

    @rpc
    def put_policy(self, policy: dict) -> dict:
        return handlers.put_policy(self.db, self.request, policy)

    @rpc
    def policies(self, agency_id: str | None = None) -> dict:
        return handlers.list_policies(self.db, self.request, agency_id)

    @rpc
    def compute(self, month: str, agency_id: str | None = None) -> dict:
        result = handlers.compute(self.db, OUTBOX, self.request, month, agency_id)
        self.relay.notify()
        return result

    @rpc
    def mine(self, month: str) -> dict:
        return handlers.mine(self.db, self.request, month)

    @rpc
    def team(self, month: str) -> dict:
        return handlers.team(self.db, self.request, month)

    @rpc
    def agency(self, month: str, agency_id: str | None = None, offset: int = 0, limit: int = 200) -> dict:
        return handlers.agency(self.db, self.request, month, agency_id, offset, limit)

    @rpc
    def export(self, month: str, agency_id: str | None = None, format: str = "csv") -> dict:
        return handlers.export(self.db, self.request, month, agency_id, format)

    @rpc
    def promotion(self, nip: str | None = None) -> dict:
        return handlers.promotion(self.db, self.request, nip)

    # --- national monitoring (tukin.monitoring) -------------------------------------------------

    @handle_event(UNITS)
    def on_unit(self, envelope: dict) -> None:
        monitoring.on_unit_event(self.db, envelope)

    @rpc
    def monitoring_view(self, level: str, id: str | None, months: list) -> dict:
        return monitoring.view(self.db, self.request, level, id, months)

    @rpc
    def monitoring_person(self, nip: str, months: list) -> dict:
        return monitoring.person(self.db, self.request, nip, months)

    @rpc
    def monitoring_reads(self, subject: str | None = None, limit: int = 100) -> dict:
        return monitoring.reads(self.db, self.request, subject, limit)
