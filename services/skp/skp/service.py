"""nameko entrypoints of the skp service: parse, call a handler, return plain JSON."""

from __future__ import annotations

from nameko.messaging import consume

from ekinerja_kernel.rpc import rpc
from ekinerja_kernel.service import OutboxRelay, RequestInfo, ServiceBase, event_queue, record_event

from . import handlers
from .tables import OUTBOX

MASTERDATA = event_queue("skp", "ekinerja.employee.#")


class SkpService(ServiceBase):
    name = "skp"
    relay = OutboxRelay(OUTBOX)
    request = RequestInfo()

    @consume(MASTERDATA)
    def on_masterdata(self, envelope: dict) -> None:
        record_event(self.name, envelope, lambda e: handlers.on_masterdata_event(self.db, e))

    @rpc
    def create_skp(self, year: int, approach: str, rhk: list, ekspektasi_khusus: dict | None = None) -> dict:
        return handlers.create_skp(self.db, self.request, year, approach, rhk, ekspektasi_khusus)

    @rpc
    def update_skp(self, skp_id: str, approach: str, rhk: list) -> dict:
        return handlers.update_skp(self.db, self.request, skp_id, approach, rhk)

    @rpc
    def act(self, skp_id: str, action: str, note: str | None = None) -> dict:
        result = handlers.act(self.db, OUTBOX, self.request, skp_id, action, note)
        self.relay.notify()
        return result

    @rpc
    def get_skp(self, skp_id: str) -> dict:
        return handlers.get_skp(self.db, self.request, skp_id)

    @rpc
    def my_skps(self) -> dict:
        return handlers.my_skps(self.db, self.request)

    @rpc
    def team(self, year: int) -> dict:
        return handlers.team(self.db, self.request, year)

    @rpc
    def cascade(self, skp_id: str) -> dict:
        return handlers.cascade(self.db, self.request, skp_id)
