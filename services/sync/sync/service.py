"""nameko entrypoints of the sync service: parse, call a handler, return plain JSON."""

from __future__ import annotations

from ekinerja_kernel.rpc import rpc
from ekinerja_kernel.service import OutboxRelay, RequestInfo, ServiceBase

from . import handlers
from .tables import OUTBOX


class SyncService(ServiceBase):
    name = "sync"
    relay = OutboxRelay(OUTBOX)
    request = RequestInfo()

    @rpc
    def get_employee(self, nip: str) -> dict:
        return handlers.get_employee(self.db, self.request.caller, nip)

    @rpc
    def import_records(self, payload: dict) -> dict:
        report = handlers.import_records(self.db, OUTBOX, payload)
        if report["events"]:
            self.relay.notify()
        return report
