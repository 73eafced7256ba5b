"""nameko entrypoints of the skp service: parse, call a handler, return plain JSON."""

from __future__ import annotations

from ekinerja_kernel.rpc import rpc
from ekinerja_kernel.service import OutboxRelay, RequestInfo, ServiceBase, event_queue, handle_event

from . import evaluations as evaluation_handlers
from . import handlers, matriks, monitoring, pmm, staff
from .tables import OUTBOX

# Master data from sync (`ekinerja.employee.#` also brings employee.diagnosed: sync's findings), and
# teachers' RHK agreed in PMM (announced by sync).
MASTERDATA = event_queue("skp", "ekinerja.employee.#", "ekinerja.acting.#", *pmm.PATTERNS)
UNITS = event_queue("skp-monitoring", "ekinerja.unit.#")  # the unit tree of the monitoring read model


class SkpService(ServiceBase):
    name = "skp"
    relay = OutboxRelay(OUTBOX)
    request = RequestInfo()

    @handle_event(MASTERDATA)
    def on_masterdata(self, envelope: dict) -> None:
        handler = pmm.on_pmm_event if pmm.is_pmm(envelope) else staff.on_masterdata_event
        handler(self.db, envelope)

    @rpc
    def create_skp(self, year: int, approach: str, rhk: list) -> dict:
        return handlers.create_skp(self.db, self.request, year, approach, rhk)

    @rpc
    def update_skp(self, skp_id: str, approach: str, rhk: list) -> dict:
        return handlers.update_skp(self.db, self.request, skp_id, approach, rhk)

    @rpc
    def set_ekspektasi(self, skp_id: str, ekspektasi_khusus: dict) -> dict:
        return handlers.set_ekspektasi(self.db, self.request, skp_id, ekspektasi_khusus)

    @rpc
    def intervenable(self, year: int) -> dict:
        return handlers.intervenable_choices(self.db, self.request, year)

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

    # --- Matriks Peran Hasil: proposed RHK for the team ---------------------------------------

    @rpc
    def lay_out_matrix(self, skp_id: str, rhk_id: str, cells: list) -> dict:
        return matriks.lay_out(self.db, self.request, skp_id, rhk_id, cells)

    @rpc
    def matrix(self, skp_id: str, rhk_id: str) -> dict:
        return matriks.matrix(self.db, self.request, skp_id, rhk_id)

    @rpc
    def my_proposals(self, year: int) -> dict:
        return matriks.my_proposals(self.db, self.request, year)

    @rpc
    def accept_proposal(self, proposal_id: str, iki: list | None = None, kind: str = "utama",
                        intervenes: str | None = None) -> dict:
        return matriks.accept(self.db, self.request, proposal_id, iki, kind, intervenes)

    @rpc
    def decline_proposal(self, proposal_id: str, note: str) -> dict:
        return matriks.decline(self.db, self.request, proposal_id, note)

    # --- evaluation (periods, realisasi, ratings, finalising a unit) ---------------------------

    @rpc
    def define_periods(self, year: int, frequency: str | None = None, deadline_days: int | None = None,
                       distribution_mode: str | None = None, rating_opens_days: int | None = None) -> dict:
        return evaluation_handlers.define_periods(self.db, self.request, year, frequency, deadline_days,
                                                  distribution_mode, rating_opens_days)

    @rpc
    def periods(self, year: int) -> dict:
        return evaluation_handlers.list_periods(self.db, self.request, year)

    @rpc
    def record_realisasi(self, skp_id: str, period_id: str, items: list) -> dict:
        return evaluation_handlers.record_realisasi(self.db, self.request, skp_id, period_id, items)

    @rpc
    def evaluate(self, skp_id: str, period_id: str, rating_hasil_kerja: str, rating_perilaku: str,
                 feedback_rhk: dict | None = None, feedback_perilaku: dict | None = None,
                 ends_position: str | None = None) -> dict:
        result = evaluation_handlers.evaluate(self.db, OUTBOX, self.request, skp_id, period_id, rating_hasil_kerja,
                                              rating_perilaku, feedback_rhk, feedback_perilaku, ends_position)
        self.relay.notify()
        return result

    @rpc
    def evaluations(self, skp_id: str) -> dict:
        return evaluation_handlers.skp_evaluations(self.db, self.request, skp_id)

    @rpc
    def credit_points(self, nip: str | None = None) -> dict:
        return evaluation_handlers.credit_points(self.db, self.request, nip)

    @rpc
    def set_unit_predikat(self, unit_id: str, period_id: str, unit_predikat: str) -> dict:
        return evaluation_handlers.set_unit_predikat(self.db, self.request, unit_id, period_id, unit_predikat)

    @rpc
    def finalise_unit(self, unit_id: str, period_id: str) -> dict:
        return evaluation_handlers.finalise_unit(self.db, self.request, unit_id, period_id)

    # --- national monitoring (skp.monitoring) ---------------------------------------------------

    @handle_event(UNITS)
    def on_unit(self, envelope: dict) -> None:
        monitoring.on_unit_event(self.db, envelope)

    @rpc
    def monitoring_view(self, level: str, id: str | None, year: int) -> dict:
        return monitoring.view(self.db, self.request, level, id, year)

    @rpc
    def monitoring_person(self, nip: str, year: int) -> dict:
        return monitoring.person(self.db, self.request, nip, year)

    @rpc
    def monitoring_reads(self, subject: str | None = None, limit: int = 100) -> dict:
        return monitoring.reads(self.db, self.request, subject, limit)
