"""The harian service's tables: daily entries and the submissions that brought them, each
employee-day's status (the read model supervisors, calendars and compliance numbers answer from),
agency calendar settings, justified absences, and read-copies of staff and approved RHK."""

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from ekinerja_kernel.inbox import define_inbox
from ekinerja_kernel.mail import define_mail_queue
from ekinerja_kernel.outbox import Outbox, define_outbox

metadata = MetaData()

# Read-copy of master data, from sync's employee events.
employees = Table(
    "employees", metadata,
    Column("nip", String(18), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("email", String(254), nullable=True),
    Column("status", String(16), nullable=False),
    Column("agency_id", String(64), nullable=True, index=True),
    Column("unit_id", String(64), nullable=True, index=True),
    Column("supervisor_nip", String(18), nullable=True, index=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# The RHK of each employee's approved SKP per year, from skp.approved: what entries link to.
approved_rhk = Table(
    "approved_rhk", metadata,
    Column("rhk_id", String(36), primary_key=True),
    Column("nip", String(18), nullable=False),
    Column("year", Integer, nullable=False),
    Column("skp_id", String(36), nullable=False),
    Column("version", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("text", Text, nullable=False),
    Column("satuan", String(100), nullable=True),  # the kuantitas unit, offered as the default
    Column("target", String(200), nullable=True),  # the kuantitas target with its unit, e.g. "12 dokumen"
    Index("ix_approved_rhk_nip_year", "nip", "year"),
)

agency_settings = Table(
    "agency_settings", metadata,
    Column("agency_id", String(64), primary_key=True),
    Column("settings", JSON, nullable=False),  # as parse_agency_settings reads it
    Column("reminder_hour", Integer, nullable=False),  # local hour of the blank-day reminder
    Column("updated_by", String(18), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

absences = Table(
    "absences", metadata,
    Column("id", String(36), primary_key=True),
    Column("nip", String(18), nullable=False, index=True),
    Column("agency_id", String(64), nullable=False),
    Column("kind", String(16), nullable=False),  # cuti | sakit | dinas_luar
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),
    Column("note", Text, nullable=True),
    Column("recorded_by", String(18), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

# Every change to an absence, by whom, when and why: recorded, corrected (before and after) and
# withdrawn (what it was: a withdrawn absence leaves `absences`, its record stays here).
absence_history = Table(
    "absence_history", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("absence_id", String(36), nullable=False, index=True),
    Column("nip", String(18), nullable=False, index=True),
    Column("action", String(16), nullable=False),  # recorded | corrected | withdrawn
    Column("actor_nip", String(18), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("reason", Text, nullable=True),  # required for a correction or a withdrawal
    Column("before", JSON, nullable=True),
    Column("after", JSON, nullable=True),
)

# Every submission the gateway accepted, once (its id is the dedup key): accepted or refused
# with the problem, so the status URL always has an answer.
submissions = Table(
    "submissions", metadata,
    Column("id", String(36), primary_key=True),
    Column("nip", String(18), nullable=False),
    Column("date", Date, nullable=False),
    Column("accepted_at", DateTime(timezone=True), nullable=False),  # when the gateway acknowledged it
    Column("processed_at", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False),  # diterima | ditolak | diganti | gagal (intake.FAILED)
    Column("problem", JSON, nullable=True),
    Column("entries", Integer, nullable=False),
    Column("request_id", String(64), nullable=True),
    # The intake asks which submission of a day is newer than its batch: a seek to the newest ones,
    # however often the day was submitted before.
    Index("ix_submissions_nip_date", "nip", "date", "accepted_at"),
)

# The first request each Idempotency-Key was used with (the submission id is derived from the
# caller's NIP and the key): its fingerprint, and the date and acceptance time it was answered with.
submission_keys = Table(
    "submission_keys", metadata,
    Column("id", String(36), primary_key=True),
    Column("nip", String(18), nullable=False),
    Column("fingerprint", String(64), nullable=False),  # SHA-256 of method, path and canonical body
    Column("date", Date, nullable=False),
    Column("accepted_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

entries = Table(
    "entries", metadata,
    Column("id", String(36), primary_key=True),
    Column("nip", String(18), nullable=False),
    Column("date", Date, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("rhk_id", String(36), nullable=False),
    Column("description", Text, nullable=False),
    Column("quantity", String(32), nullable=False),  # decimals as text: exact on every database
    Column("satuan", String(100), nullable=False),
    Column("quality", String(16), nullable=False),
    Column("evidence_url", String(2048), nullable=False),
    Column("minutes", Integer, nullable=True),
    Column("state", String(16), nullable=False),  # draft | diajukan | disetujui | dikembalikan | diganti
    Column("submission_id", String(36), nullable=True, index=True),
    Column("submitted_at", DateTime(timezone=True), nullable=True),  # first submission of the day
    Column("note", Text, nullable=True),  # the supervisor's, when returned
    Column("decided_by", String(18), nullable=True),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # With the state: a day's live entries (days.LIVE_STATES) are found without reading the entries
    # that later submissions replaced, which stay (diganti) and can be thousands on a busy day.
    Index("ix_entries_nip_date_state", "nip", "date", "state"),
)

# Each decision a supervisor took on a day's entries (approved, or returned with the note): the
# day's history, kept when the employee resubmits and the entries decided are replaced.
day_decisions = Table(
    "day_decisions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("nip", String(18), nullable=False),
    Column("date", Date, nullable=False),
    Column("action", String(16), nullable=False),  # approve | return
    Column("note", Text, nullable=True),  # the supervisor's, when returned
    Column("decided_by", String(18), nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    Column("entries", JSON, nullable=False),  # [{id, rhk_id, description}] of the entries decided
    Index("ix_day_decisions_nip_date", "nip", "date"),
)

# One row per employee-day that has entries: the read model of statuses.
day_status = Table(
    "day_status", metadata,
    Column("nip", String(18), primary_key=True),
    Column("date", Date, primary_key=True),
    Column("agency_id", String(64), nullable=True),
    Column("unit_id", String(64), nullable=True),
    Column("status", String(16), nullable=False),
    Column("entries", Integer, nullable=False),
    Column("first_submitted_at", DateTime(timezone=True), nullable=True),
    Column("late", Boolean, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_day_status_agency_date", "agency_id", "date"),
    Index("ix_day_status_unit_date", "unit_id", "date"),
)

inbox = define_inbox(metadata)
outbox_table = define_outbox(metadata)
OUTBOX = Outbox(outbox_table, "harian")

# --- reminders, day closing (issue #5 items 4 and 7) ---------------------------------------------

# Mails (blank-day reminders and supervisor digests), sent by the kernel's MailRelay.
mail_queue = define_mail_queue(metadata)

# Employees who do not want the blank-day reminder (nor, as supervisors, the digest).
reminder_opt_outs = Table(
    "reminder_opt_outs", metadata,
    Column("nip", String(18), primary_key=True),
    Column("opted_out_at", DateTime(timezone=True), nullable=False),
)

# One row per agency and working day whose reminders were queued: the "exactly once" guard.
reminder_runs = Table(
    "reminder_runs", metadata,
    Column("agency_id", String(64), primary_key=True),
    Column("date", Date, primary_key=True),
    Column("ran_at", DateTime(timezone=True), nullable=False),
    Column("reminders", Integer, nullable=False),
    Column("digests", Integer, nullable=False),
)

# The local date the day closer first saw each employee: no day before it is closed (a new hire
# gets no blank days from before they existed here).
employee_first_seen = Table(
    "employee_first_seen", metadata,
    Column("nip", String(18), primary_key=True),
    Column("first_seen", Date, nullable=False),
)

# Each employee-day announced as harian.day_closed, with what was announced: closed once.
day_closures = Table(
    "day_closures", metadata,
    Column("nip", String(18), primary_key=True),
    Column("date", Date, primary_key=True),
    Column("agency_id", String(64), nullable=True),
    Column("unit_id", String(64), nullable=True),
    Column("status", String(16), nullable=False),
    Column("entries", Integer, nullable=False),
    Column("late", Boolean, nullable=False),
    Column("absence", String(16), nullable=True),
    Column("closed_at", DateTime(timezone=True), nullable=False),
)

# The monitoring read model's tables join this metadata (harian.monitoring_tables).
from . import monitoring_tables  # noqa: E402,F401
