"""The tukin service's tables: per-agency policies by effective date, the facts it keeps from
other services' events (staff, closed days, returned entries, evaluations), and each monthly
computation by revision, never overwritten."""

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
    UniqueConstraint,
    false,
)

from ekinerja_kernel.inbox import define_inbox
from ekinerja_kernel.outbox import Outbox, define_outbox

metadata = MetaData()

# Read-copy of master data (sync's employee events), with the kelas jabatan the base amount needs.
employees = Table(
    "employees", metadata,
    Column("nip", String(18), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("agency_id", String(64), nullable=True, index=True),
    Column("unit_id", String(64), nullable=True),
    Column("supervisor_nip", String(18), nullable=True, index=True),
    Column("kelas_jabatan", Integer, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# One row per closed working day (harian.day_closed); a later event for the same day replaces it.
days = Table(
    "days", metadata,
    Column("nip", String(18), primary_key=True),
    Column("date", Date, primary_key=True),
    Column("status", String(16), nullable=False),
    Column("entries", Integer, nullable=False),
    Column("blank", Boolean, nullable=False),
    Column("justified", Boolean, nullable=False),
    Column("absence", String(16), nullable=True),
    Column("late", Boolean, nullable=False),
    # From when the employee had to log, as harian said when closing the day (null before it said).
    Column("obligation_start", Date, nullable=True),
)

# Entries returned by the supervisor (harian.returned), counted per month.
returned = Table(
    "returned_entries", metadata,
    Column("entry_id", String(36), primary_key=True),
    Column("nip", String(18), nullable=False),
    Column("date", Date, nullable=False),
    Index("ix_returned_entries_nip_date", "nip", "date"),
)

# Each evaluation's predikat (skp.evaluated): the latest before a month's end counts for it, and
# the annual ones make the promotion hint.
evaluations = Table(
    "evaluations", metadata,
    Column("skp_id", String(36), primary_key=True),
    Column("period_id", String(36), primary_key=True),
    Column("nip", String(18), nullable=False, index=True),
    Column("year", Integer, nullable=False),
    Column("period_kind", String(16), nullable=False),
    Column("period_end", Date, nullable=False),
    Column("predikat", String(32), nullable=False),
)

policies = Table(
    "policies", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("agency_id", String(64), nullable=False),
    Column("effective_from", Date, nullable=False),
    Column("body", JSON, nullable=False),  # as parse_policy reads it
    Column("loaded_by", String(64), nullable=False),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("agency_id", "effective_from", name="uq_policies_agency_effective"),
)

# One run per agency-month and revision: revision 1 is the first computation; a recomputation
# that changes anything makes revision N+1 with the differences, one that changes nothing is a no-op.
runs = Table(
    "runs", metadata,
    Column("id", String(36), primary_key=True),
    Column("agency_id", String(64), nullable=False),
    Column("month", String(7), nullable=False),  # YYYY-MM
    Column("revision", Integer, nullable=False),
    Column("policy_id", Integer, nullable=False),
    Column("employees", Integer, nullable=False),
    Column("gross", String(24), nullable=False),  # rupiah as text: exact everywhere
    Column("deductions", String(24), nullable=False),
    Column("net", String(24), nullable=False),
    Column("changed", Integer, nullable=False),  # employees whose result differs from the last revision
    # Computed before the month closed (domain.months): shown, never exported for payroll.
    Column("preview", Boolean, nullable=False, server_default=false()),
    Column("computed_by", String(64), nullable=False),
    Column("computed_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("agency_id", "month", "revision", name="uq_runs_agency_month_revision"),
)

results = Table(
    "results", metadata,
    Column("run_id", String(36), primary_key=True),
    Column("nip", String(18), primary_key=True),
    Column("unit_id", String(64), nullable=True),
    Column("supervisor_nip", String(18), nullable=True, index=True),
    Column("net", String(24), nullable=False),
    Column("body", JSON, nullable=False),  # the Computation, line by line
    Column("difference", JSON, nullable=True),  # against the previous revision, when it changed
    Index("ix_results_nip", "nip"),
)

inbox = define_inbox(metadata)
outbox_table = define_outbox(metadata)
OUTBOX = Outbox(outbox_table, "tukin")

# The monitoring read model's tables join this metadata (tukin.monitoring_tables).
from . import monitoring_tables  # noqa: E402,F401
