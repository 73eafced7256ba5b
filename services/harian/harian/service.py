"""nameko entrypoints of the harian service (daily progress logs and their validation by supervisors)."""

from __future__ import annotations

from ekinerja_kernel.mail import MailRelay
from ekinerja_kernel.rpc import rpc
from ekinerja_kernel.service import OutboxRelay, RequestInfo, ServiceBase, event_queue, handle_event

from . import agency, days, history, idempotency, monitoring, reminders, staff, validation
from . import compliance as compliance_numbers
from .closing import DayCloser
from .intake import SubmissionIntake
from .reminders import ReminderLoop
from .tables import OUTBOX, mail_queue

FACTS = event_queue("harian", "ekinerja.employee.#", "ekinerja.skp.approved.#")
UNITS = event_queue("harian-monitoring", "ekinerja.unit.#")  # the unit tree of the monitoring read model


class HarianService(ServiceBase):
    name = "harian"
    relay = OutboxRelay(OUTBOX)
    intake = SubmissionIntake(OUTBOX)
    mail = MailRelay(mail_queue)
    reminder_loop = ReminderLoop(mail_queue)
    day_closer = DayCloser(OUTBOX)
    request = RequestInfo()

    @handle_event(FACTS)
    def on_fact(self, envelope: dict) -> None:
        staff.on_event(self.db, envelope)

    # --- my days ------------------------------------------------------------------------------

    @rpc
    def save_draft(self, date: str, activities: list) -> dict:
        return days.save_draft(self.db, self.request, date, activities)

    @rpc
    def delete_draft(self, date: str) -> dict:
        return days.delete_draft(self.db, self.request, date)

    @rpc
    def my_day(self, date: str) -> dict:
        return days.my_day(self.db, self.request, date)

    @rpc
    def my_month(self, year: int, month: int) -> dict:
        return days.my_month(self.db, self.request, year, month)

    @rpc
    def rhk_for_day(self, date: str) -> dict:
        return days.rhk_for_day(self.db, self.request, date)

    @rpc
    def submission_status(self, submission_id: str) -> dict:
        return days.submission_status(self.db, self.request, submission_id)

    @rpc
    def claim_submission(self, key: str, fingerprint: str, date: str, accepted_at: str) -> dict:
        return idempotency.claim_submission(self.db, self.request, key, fingerprint, date, accepted_at)

    # --- my team ------------------------------------------------------------------------------

    @rpc
    def team_days(self, start: str, end: str | None = None, of: str | None = None) -> dict:
        return validation.team_days(self.db, self.request, start, end, of)

    @rpc
    def decisions(self, nip: str, start: str, end: str | None = None) -> dict:
        return history.employee_decisions(self.db, self.request, nip, start, end)

    @rpc
    def decide(self, entry_ids: list, action: str, note: str | None = None) -> dict:
        result = validation.decide(self.db, OUTBOX, self.request, entry_ids, action, note)
        self.relay.notify()
        return result

    # --- agency -------------------------------------------------------------------------------

    @rpc
    def settings(self, agency_id: str | None = None) -> dict:
        return agency.get_settings(self.db, self.request, agency_id)

    @rpc
    def put_settings(self, settings: dict, agency_id: str | None = None) -> dict:
        return agency.put_settings(self.db, self.request, settings, agency_id)

    @rpc
    def record_absence(self, nip: str, kind: str, start: str, end: str | None = None, note: str | None = None) -> dict:
        result = agency.record_absence(self.db, OUTBOX, self.request, nip, kind, start, end, note)
        self.relay.notify()
        return result

    @rpc
    def correct_absence(self, absence_id: str, kind: str, start: str, end: str | None = None,
                        note: str | None = None, reason: str | None = None) -> dict:
        result = agency.correct_absence(self.db, OUTBOX, self.request, absence_id, kind, start, end, note, reason)
        self.relay.notify()
        return result

    @rpc
    def withdraw_absence(self, absence_id: str, reason: str | None = None) -> dict:
        result = agency.withdraw_absence(self.db, OUTBOX, self.request, absence_id, reason)
        self.relay.notify()
        return result

    @rpc
    def absences(self, nip: str) -> dict:
        return agency.list_absences(self.db, self.request, nip)

    # --- reminders, compliance ----------------------------------------------------------------

    @rpc
    def reminder_preference(self) -> dict:
        return reminders.reminder_preference(self.db, self.request)

    @rpc
    def set_reminder_preference(self, enabled: bool) -> dict:
        return reminders.set_reminder_preference(self.db, self.request, enabled)

    @rpc
    def compliance(self, scope: str, id: str, start: str, end: str | None = None) -> dict:
        return compliance_numbers.compliance(self.db, self.request, scope, id, start, end)

    # --- national monitoring (harian.monitoring) ------------------------------------------------

    @handle_event(UNITS)
    def on_unit(self, envelope: dict) -> None:
        monitoring.on_unit_event(self.db, envelope)

    @rpc
    def monitoring_view(self, level: str, id: str | None, start: str, end: str | None = None) -> dict:
        return monitoring.view(self.db, self.request, level, id, start, end)

    @rpc
    def monitoring_person(self, nip: str, start: str, end: str | None = None) -> dict:
        return monitoring.person(self.db, self.request, nip, start, end)

    @rpc
    def monitoring_reads(self, subject: str | None = None, limit: int = 100) -> dict:
        return monitoring.reads(self.db, self.request, subject, limit)
