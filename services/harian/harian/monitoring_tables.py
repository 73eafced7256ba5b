"""harian's monitoring read model (harian.monitoring): the unit tree, daily-progress counters per node
and date, headcount per node, and the record of national reads of a person. On tables.metadata, so
migrations and their test see them with the rest."""

from sqlalchemy import Column, Date, Index

from ekinerja_kernel import rollup
from ekinerja_kernel.monitoring import define_reads

from .tables import day_closures, metadata

TREE = rollup.define_tree(metadata)

# Per node (its whole subtree) and date: the employee-days known to harian, each counted once by
# what decides it (monitoring.day_contributions): its day_status row, or else its closing.
DAYS = rollup.define_aggregate(
    metadata, "mon_harian_days", [Column("date", Date)],
    ("blank", "justified", "draft", "diajukan", "disetujui", "dikembalikan", "late"))

# Per node: the active employees under it now (harian's copy of master data).
MEMBERS = rollup.define_aggregate(metadata, "mon_harian_members", [], ("members",))

READS = define_reads(metadata)

# A unit's people and the rebuild read closings by unit and date.
Index("ix_day_closures_unit_date", day_closures.c.unit_id, day_closures.c.date)
