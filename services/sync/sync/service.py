"""nameko entrypoints of the sync service: parse, call a handler, return plain JSON."""

from __future__ import annotations

from ekinerja_kernel.rpc import rpc
from ekinerja_kernel.service import OutboxRelay, RequestInfo, ServiceBase, event_queue, handle_event

from . import agency_findings, diagnosis, handlers, monitoring, repairs
from . import pmm as pmm_import
from . import runs as registry_runs
from .schedule import FindingsPublisher, RegistrySync
from .tables import OUTBOX

# Public events sync keeps read-copies from: skp.approved (whose SKP is in force, for the diagnosis).
FACTS = event_queue("sync", *diagnosis.EVENT_PATTERNS)


class SyncService(ServiceBase):
    name = "sync"
    relay = OutboxRelay(OUTBOX)
    findings = FindingsPublisher()
    request = RequestInfo()

    @rpc
    def get_employee(self, nip: str) -> dict:
        return handlers.get_employee(self.db, self.request.caller, nip)

    @rpc
    def import_records(self, payload: dict) -> dict:
        report = handlers.import_records(self.db, OUTBOX, payload)
        if report["events"]:
            self.relay.notify()
            self.findings.notify()
        return report

    # --- diagnosis and admin repairs (issue 7) ---------------------------------------------------

    @handle_event(FACTS)
    def on_fact(self, envelope: dict) -> None:
        diagnosis.on_event(self.db, envelope)
        self.findings.notify()

    @rpc
    def diagnose(self, nip: str | None = None, year: int | None = None, sign_in: dict | None = None) -> dict:
        return diagnosis.diagnose(self.db, self.request, nip, year, sign_in)

    def _repaired(self, result: dict) -> dict:
        if result.get("events"):
            self.relay.notify()
            self.findings.notify()
        return result

    @rpc
    def set_supervisor(self, nip: str, supervisor_nip: str | None, reason: str | None = None) -> dict:
        return self._repaired(repairs.set_supervisor(self.db, OUTBOX, self.request, nip, supervisor_nip, reason))

    @rpc
    def set_status(self, nip: str, status: str, reason: str | None = None) -> dict:
        return self._repaired(repairs.set_status(self.db, OUTBOX, self.request, nip, status, reason))

    @rpc
    def set_email(self, nip: str, email: str, reason: str | None = None) -> dict:
        return self._repaired(repairs.set_email(self.db, OUTBOX, self.request, nip, email, reason))

    @rpc
    def record_acting(self, record: dict, reason: str | None = None) -> dict:
        return self._repaired(repairs.record_acting(self.db, OUTBOX, self.request, record, reason))

    @rpc
    def unit_employees(self, unit_id: str, offset: int = 0, limit: int = 100) -> dict:
        return repairs.unit_employees(self.db, self.request, unit_id, offset, limit)

    @rpc
    def agency_findings(self, agency_id: str, code: str | None = None, status: str | None = None, offset: int = 0,
                        limit: int = 100, year: int | None = None) -> dict:
        return agency_findings.agency_findings(self.db, self.request, agency_id, code, status, offset, limit, year)

    @rpc
    def repair_log(self, nip: str | None = None, limit: int = 100) -> dict:
        return repairs.repair_log(self.db, self.request, nip, limit)

    # --- registry sync (SIASN-style) and PMM (issue 7 items 1, 2) --------------------------------

    registry = RegistrySync()

    @rpc
    def sync_me(self, nip: str | None = None) -> dict:
        """"Sinkronisasi ASN": the caller's record from the registry now (an admin may name a NIP)."""
        run = registry_runs.sync_me(self.db, self.registry.syncer(self.db, interactive=True), self.request, nip)
        self.relay.notify()
        return run

    @rpc
    def sync_state(self) -> dict:
        """Whether the caller may press "Sinkronisasi ASN" now, and if not why and who can."""
        siasn = self.registry.siasn
        return registry_runs.sync_state(self.db, self.request, siasn is not None,
                                        siasn.breaker.snapshot() if siasn is not None else None)

    @rpc
    def sync_agency(self, agency_id: str, full: bool = False) -> dict:
        run, new = registry_runs.queue_agency_run(self.db, self.request, agency_id, full,
                                                  configured=self.registry.siasn is not None)
        if new:
            self.registry.notify()
        return {**run, "new": new}

    @rpc
    def sync_runs(self, agency_id: str | None = None, kind: str | None = None, status: str | None = None,
                  offset: int = 0, limit: int = 50) -> dict:
        result = registry_runs.list_runs(self.db, self.request, agency_id, kind, status, offset, limit)
        return {**result, "registry": self.registry.status()}

    @rpc
    def sync_run(self, run_id: str) -> dict:
        return registry_runs.run_for(self.db, self.request, run_id)

    @rpc
    def import_pmm(self, year: int, semester: int, nip: str | None = None) -> dict:
        result = pmm_import.import_pmm(self.db, OUTBOX, self.registry.pmm_client(), self.request, year, semester, nip)
        if result["run"]["events"]:
            self.relay.notify()
        return result

    @rpc
    def agency_names(self, ids: list | None = None) -> dict:
        return monitoring.agency_names(self.db, self.request, ids)
