"""The skp service's tables: plans, their RHK by version, the history, and a read-copy of staff."""

from sqlalchemy import JSON, Boolean, Column, DateTime, ForeignKey, Integer, MetaData, String, Table, Text

from ekinerja_kernel.inbox import define_inbox
from ekinerja_kernel.outbox import Outbox, define_outbox

metadata = MetaData()

# Read-copy of master data, kept from sync's events.
employees = Table(
    "employees", metadata,
    Column("nip", String(18), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("agency_id", String(64), nullable=True, index=True),
    Column("unit_id", String(64), nullable=True),
    Column("supervisor_nip", String(18), nullable=True, index=True),
    Column("position_name", String(300), nullable=True),
    Column("position_kind", String(16), nullable=True),
    Column("jenjang", String(64), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

skps = Table(
    "skps", metadata,
    Column("id", String(36), primary_key=True),
    Column("nip", String(18), nullable=False, index=True),
    Column("year", Integer, nullable=False),
    Column("agency_id", String(64), nullable=True, index=True),
    Column("approach", String(16), nullable=False),
    Column("state", String(16), nullable=False, index=True),
    Column("version", Integer, nullable=False),  # the version being worked on or last approved
    Column("approved_version", Integer, nullable=True),  # still in force while a revision is open
    Column("top_official", Boolean, nullable=False),
    Column("perilaku", JSON, nullable=False),
    Column("note", Text, nullable=True),  # the penilai's note when returned
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

rhks = Table(
    "rhks", metadata,
    Column("id", String(36), primary_key=True),
    Column("skp_id", String(36), ForeignKey("skps.id"), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("position", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("text", Text, nullable=False),
    Column("intervenes", String(36), nullable=True, index=True),
    Column("iki", JSON, nullable=False),
)

history = Table(
    "skp_history", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("skp_id", String(36), ForeignKey("skps.id"), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("action", String(16), nullable=False),
    Column("actor_nip", String(18), nullable=False),
    Column("state", String(16), nullable=False),
    Column("note", Text, nullable=True),
    Column("at", DateTime(timezone=True), nullable=False),
)

inbox = define_inbox(metadata)
outbox_table = define_outbox(metadata)
OUTBOX = Outbox(outbox_table, "skp")
