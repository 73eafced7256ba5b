"""The sync service's tables: it is the one owner of master data."""

from sqlalchemy import JSON, Column, Date, DateTime, ForeignKey, Integer, MetaData, String, Table

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
    Column("position_id", String(64), ForeignKey("positions.id"), nullable=True),
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
