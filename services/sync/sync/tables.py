"""The sync service's tables: it is the one owner of master data."""

from sqlalchemy import JSON, Boolean, Column, Date, DateTime, ForeignKey, Integer, MetaData, String, Table

from ekinerja_kernel.inbox import define_inbox
from ekinerja_kernel.outbox import Outbox, define_outbox

metadata = MetaData()

agencies = Table(
    "agencies", metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

units = Table(
    "units", metadata,
    Column("id", String(64), primary_key=True),
    Column("agency_id", String(64), ForeignKey("agencies.id"), nullable=False, index=True),
    Column("parent_id", String(64), ForeignKey("units.id"), nullable=True, index=True),
    Column("name", String(300), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

positions = Table(
    "positions", metadata,
    Column("id", String(64), primary_key=True),
    Column("agency_id", String(64), ForeignKey("agencies.id"), nullable=False, index=True),
    Column("name", String(300), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("jenjang", String(64), nullable=True),
    Column("kelas_jabatan", Integer, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

employees = Table(
    "employees", metadata,
    Column("nip", String(18), primary_key=True),
    Column("nik", String(16), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("email", String(254), nullable=False),
    Column("employment_type", String(4), nullable=False),
    Column("status", String(16), nullable=False),
    Column("golongan", String(8), nullable=False),
    Column("agency_id", String(64), ForeignKey("agencies.id"), nullable=False, index=True),
    Column("unit_id", String(64), ForeignKey("units.id"), nullable=True, index=True),
    Column("position_id", String(64), ForeignKey("positions.id"), nullable=True, index=True),  # re-graded: holders
    Column("supervisor_nip", String(18), ForeignKey("employees.nip"), nullable=True, index=True),
    Column("roles", JSON, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Acting officials (PLT/PLH): who acts in which position, for which dates.
acting = Table(
    "acting", metadata,
    Column("id", String(64), primary_key=True),
    Column("agency_id", String(64), ForeignKey("agencies.id"), nullable=False, index=True),
    Column("unit_id", String(64), ForeignKey("units.id"), nullable=False, index=True),
    Column("position_id", String(64), ForeignKey("positions.id"), nullable=False, index=True),
    Column("nip", String(18), ForeignKey("employees.nip"), nullable=False, index=True),
    Column("kind", String(3), nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

outbox_table = define_outbox(metadata)
OUTBOX = Outbox(outbox_table, "sync")

# --- diagnosis and admin repairs ---------------------------------------------------------------

# Events from other services processed once each (by envelope id).
inbox = define_inbox(metadata)

# A read-copy of whose SKP is in force, from `ekinerja.skp.approved.v1`: sync does not own SKPs, but
# the diagnosis must say whether an employee's supervisor has published theirs.
skp_published = Table(
    "skp_published", metadata,
    Column("nip", String(18), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("skp_id", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("approved_at", DateTime(timezone=True), nullable=False),
)

# Employees whose diagnosis must be run again because something it looks at changed (their record,
# their supervisor's, an acting seat above them, the supervisor's SKP), queued in the transaction of
# the change; `cascade` = their direct subordinates too. Drained by findings.FindingsPublisher.
diagnosis_queue = Table(
    "diagnosis_queue", metadata,
    Column("nip", String(18), primary_key=True),
    Column("cascade", Boolean, nullable=False),
    Column("queued_at", DateTime(timezone=True), nullable=False, index=True),
)

# The problems and warnings last announced, one row each: an agency admin's list of who is blocked
# and why, answered without diagnosing a whole agency per request (replaced with each announcement
# of the same SKP year; a past year's rows stay as that year was last checked).
open_findings = Table(
    "open_findings", metadata,
    Column("nip", String(18), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("code", String(64), primary_key=True),
    Column("agency_id", String(64), nullable=False, index=True),
    Column("check_name", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("blocks", JSON, nullable=False),
    Column("checked_at", DateTime(timezone=True), nullable=False),
)

# The findings last announced per employee (`employee.diagnosed` is sent only when they change).
diagnosis_published = Table(
    "diagnosis_published", metadata,
    Column("nip", String(18), primary_key=True),
    Column("digest", String(64), nullable=False),
    Column("checked_at", DateTime(timezone=True), nullable=False),
)

# Every repair an administrator makes to master data: who, when, what, and the record before/after.
repair_audit = Table(
    "repair_audit", metadata,
    Column("id", String(36), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("actor_nip", String(18), nullable=True, index=True),
    Column("actor_roles", JSON, nullable=False),
    Column("agency_id", String(64), nullable=False, index=True),
    Column("action", String(40), nullable=False),
    Column("subject", String(64), nullable=False, index=True),
    Column("before", JSON, nullable=True),
    Column("after", JSON, nullable=True),
    Column("reason", String(500), nullable=True),
    Column("request_id", String(128), nullable=True),
    # An override that ended because an import or a registry sync came to agree has no actor; the
    # registry sync run that did it (none for a file import).
    Column("run_id", String(36), nullable=True),
)

# An admin's repair as an override of the registry (domain/overrides.py): the value e-Kinerja uses
# for one field of one employee, who set it, when and why, and what the latest import or registry
# sync that disagreed brought instead. Ends when one brings the same value.
overrides = Table(
    "overrides", metadata,
    Column("nip", String(18), ForeignKey("employees.nip"), primary_key=True),
    Column("field", String(32), primary_key=True),  # supervisor_nip, email, status
    Column("value", String(254), nullable=True),  # None: no supervisor
    Column("agency_id", String(64), nullable=False, index=True),
    Column("actor_nip", String(18), nullable=False),
    Column("reason", String(500), nullable=True),
    Column("set_at", DateTime(timezone=True), nullable=False),
    Column("registry_value", String(254), nullable=True),
    Column("registry_source", String(16), nullable=True),  # registry, import; None: none disagreed yet
    Column("registry_seen_at", DateTime(timezone=True), nullable=True),
)

# --- registry sync (SIASN-style) and PMM -------------------------------------------------------

# One row per sync run: scheduled incremental runs, an agency's full sync asked by its admin,
# "Sinkronisasi ASN" of one NIP by its owner, a PMM import. Counts are of employees; `counts`
# holds them per record kind. Status: queued, running, ok, partial (some rows refused), failed.
sync_runs = Table(
    "sync_runs", metadata,
    Column("id", String(36), primary_key=True),
    Column("kind", String(16), nullable=False),  # incremental, full, nip, pmm
    Column("scope", String(64), nullable=False),  # an agency id, a NIP, or "*" (every agency)
    Column("agency_id", String(64), nullable=True, index=True),
    Column("trigger", String(16), nullable=False),  # schedule, admin, employee, cli
    Column("requested_by", String(18), nullable=True),
    Column("status", String(16), nullable=False, index=True),
    Column("queued_at", DateTime(timezone=True), nullable=False, index=True),
    Column("started_at", DateTime(timezone=True), nullable=True),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("created", Integer, nullable=False, default=0),
    Column("updated", Integer, nullable=False, default=0),
    Column("unchanged", Integer, nullable=False, default=0),
    Column("rejected", Integer, nullable=False, default=0),
    Column("events", Integer, nullable=False, default=0),
    Column("counts", JSON, nullable=False),
    Column("errors", JSON, nullable=False),  # the first errors (row refusals, registry failures)
    Column("error_count", Integer, nullable=False, default=0),
    Column("since", String(40), nullable=True),  # the registry's clock the run listed changes after
    Column("until", String(40), nullable=True),  # ... and the one it listed up to (the next `since`)
)

# Where each agency's incremental sync stands (the registry's clock of its last complete listing),
# and a lease so that one replica at a time runs the schedule.
sync_cursors = Table(
    "sync_cursors", metadata,
    Column("scope", String(64), primary_key=True),
    Column("since", String(40), nullable=True),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until", DateTime(timezone=True), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# When each employee's record last came whole from the registry (and by which run): the PMM import
# needs the principal synced first, and the diagnosis shows the last sync time.
registry_synced = Table(
    "registry_synced", metadata,
    Column("nip", String(18), primary_key=True),
    Column("synced_at", DateTime(timezone=True), nullable=False),
    Column("run_id", String(36), nullable=False),
)

# The registry's latest record of an NIP that the import refused, and why (field errors), until a
# later run applies one: the diagnosis tells a helpdesk why someone delivered is missing or stale.
registry_refused = Table(
    "registry_refused", metadata,
    Column("nip", String(18), primary_key=True),
    Column("refused_at", DateTime(timezone=True), nullable=False),
    Column("run_id", String(36), nullable=False),
    Column("errors", JSON, nullable=False),
    Column("agency_id", String(64), nullable=True, index=True),  # as the registry's record says, if it does
    Column("name", String(300), nullable=True),
)

# The last PMM import of each teacher and semester: a new one is announced only when the agreed
# RHK changed.
pmm_imports = Table(
    "pmm_imports", metadata,
    Column("nip", String(18), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("semester", Integer, primary_key=True),
    Column("principal_nip", String(18), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("rhk", JSON, nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
    Column("run_id", String(36), nullable=False),
)
