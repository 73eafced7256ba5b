"""The skp service's tables: plans, their RHK by version, the history, evaluation periods and
evaluations, agency settings, and read-copies of staff and of sync's diagnosis findings."""

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

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
    Column("position_id", String(64), nullable=True, index=True),
    Column("position_name", String(300), nullable=True),
    Column("position_kind", String(16), nullable=True),
    Column("jenjang", String(64), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Acting officials (PLT/PLH) from master data: who acts in which position, for which dates.
acting = Table(
    "acting", metadata,
    Column("id", String(64), primary_key=True),
    Column("nip", String(18), nullable=False, index=True),
    Column("unit_id", String(64), nullable=False),
    Column("position_id", String(64), nullable=False, index=True),
    Column("kind", String(3), nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),
)

# sync's diagnosis of each employee (`employee.diagnosed`): the latest findings by checked_at,
# so a planning refusal for a master-data problem says what sync's diagnosis says.
master_data_findings = Table(
    "master_data_findings", metadata,
    Column("nip", String(18), primary_key=True),
    Column("year", Integer, nullable=False),  # the SKP year sync checked for
    Column("checked_at", DateTime(timezone=True), nullable=False),  # stored in UTC
    Column("findings", JSON, nullable=False),  # problems and warnings only, as sync sent them
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

# One row per RHK per version: an RHK keeps its id across edits and revisions (subordinates'
# intervenes, matriks cells and daily entries link to it by id), so the key is (id, version).
rhks = Table(
    "rhks", metadata,
    Column("id", String(36), primary_key=True),
    Column("skp_id", String(36), ForeignKey("skps.id"), nullable=False, index=True),
    Column("version", Integer, primary_key=True),
    Column("position", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("text", Text, nullable=False),
    Column("intervenes", String(36), nullable=True, index=True),
    Column("iki", JSON, nullable=False),
)

# RHK a revision removes from the version in force, and the RHK of that revision that takes over
# their links; applied (subordinates' intervenes and open matriks cells moved, `skp.approved` naming
# them for daily progress) when the revision comes into force.
rhk_moves = Table(
    "rhk_moves", metadata,
    Column("skp_id", String(36), ForeignKey("skps.id"), primary_key=True),
    Column("version", Integer, primary_key=True),  # the revision that removes the RHK
    Column("from_rhk_id", String(36), primary_key=True),
    Column("to_rhk_id", String(36), nullable=False),
    Column("applied_at", DateTime(timezone=True), nullable=True),
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

# Matriks Peran Hasil: a supervisor's RHK broken down into proposed RHK for their team (source
# "matriks"), or a teacher's agreed RHK from PMM (source "pmm"); accepted ones become real RHK.
proposals = Table(
    "rhk_proposals", metadata,
    Column("id", String(36), primary_key=True),
    Column("source", String(16), nullable=False),
    Column("year", Integer, nullable=False),
    Column("proposer_nip", String(18), nullable=False, index=True),
    Column("parent_rhk_id", String(36), nullable=True, index=True),  # the RHK it would intervene
    Column("nip", String(18), nullable=False, index=True),  # who is asked to produce it
    Column("seq", Integer, nullable=False),  # the cell's place in the matrix
    Column("text", Text, nullable=False),
    Column("iki", JSON, nullable=False),
    Column("state", String(16), nullable=False),
    Column("note", Text, nullable=True),  # why it was declined
    Column("rhk_id", String(36), nullable=True),  # the RHK it became
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=True),
)

# Per agency: how often it evaluates inside the year, what finalising does with a unit that breaks
# the predikat distribution ("warn" or "block"), and how many days before a period's end it may be
# rated (0: from the day after).
agency_settings = Table(
    "agency_settings", metadata,
    Column("agency_id", String(64), primary_key=True),
    Column("evaluation_frequency", String(16), nullable=False),
    Column("distribution_mode", String(8), nullable=False),
    Column("rating_opens_days", Integer, nullable=False, server_default="0"),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

periods = Table(
    "periods", metadata,
    Column("id", String(36), primary_key=True),
    Column("agency_id", String(64), nullable=False),
    Column("year", Integer, nullable=False),
    Column("kind", String(16), nullable=False),  # annual | monthly | quarterly
    Column("seq", Integer, nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),
    Column("deadline", Date, nullable=False),  # last day to fill in realisasi
    UniqueConstraint("agency_id", "year", "kind", "seq", name="uq_periods_agency_year_kind_seq"),
)

# One evaluation of an approved SKP for one period: draft (realisasi) -> dinilai -> final.
evaluations = Table(
    "evaluations", metadata,
    Column("id", String(36), primary_key=True),
    Column("skp_id", String(36), ForeignKey("skps.id"), nullable=False),
    Column("period_id", String(36), ForeignKey("periods.id"), nullable=False, index=True),
    Column("nip", String(18), nullable=False, index=True),
    Column("skp_version", Integer, nullable=False),  # the approved version the realisasi answers
    Column("state", String(16), nullable=False),
    Column("realisasi", JSON, nullable=False),  # [{rhk_id, realisasi, evidence: [url]}]
    Column("realisasi_at", DateTime(timezone=True), nullable=False),
    Column("feedback_rhk", JSON, nullable=True),  # {rhk_id: text}
    Column("feedback_perilaku", JSON, nullable=True),  # {berakhlak value key: text}
    Column("rating_hasil_kerja", String(32), nullable=True),
    Column("rating_perilaku", String(32), nullable=True),
    Column("predikat", String(32), nullable=True),
    Column("angka_kredit", String(16), nullable=True),  # a decimal as text: exact on every database
    # Credit points are counted once per year: a periodic evaluation counts only where its period ends
    # a position (moved, promoted, left); the months and jenjang counted say where the points came from.
    Column("ends_position", String(16), nullable=True),
    Column("ak_months", Integer, nullable=True),
    Column("ak_jenjang", String(64), nullable=True),
    Column("penilai_nip", String(18), nullable=True),
    Column("evaluated_at", DateTime(timezone=True), nullable=True),
    Column("unit_id", String(64), nullable=True),  # the unit it was finalised with
    Column("unit_predikat", String(32), nullable=True),
    Column("finalised_by", String(18), nullable=True),
    Column("finalised_at", DateTime(timezone=True), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("skp_id", "period_id", name="uq_evaluations_skp_period"),
)

# A unit's predikat kinerja organisasi for a period, which bounds its staff's predikat when it is
# finalised: set by the unit head's own penilai, or by an agency admin recording the organisation's
# evaluation, never by the head themself; the record says who set it.
unit_predikat = Table(
    "unit_predikat", metadata,
    Column("unit_id", String(64), primary_key=True),
    Column("period_id", String(36), ForeignKey("periods.id"), primary_key=True),
    Column("agency_id", String(64), nullable=False),
    Column("predikat", String(32), nullable=False),
    Column("set_by", String(18), nullable=False),
    Column("set_as", String(16), nullable=False),  # penilai | admin
    Column("set_at", DateTime(timezone=True), nullable=False),
)

inbox = define_inbox(metadata)
outbox_table = define_outbox(metadata)
OUTBOX = Outbox(outbox_table, "skp")

# The monitoring read model's tables join this metadata (skp.monitoring_tables).
from . import monitoring_tables  # noqa: E402,F401
