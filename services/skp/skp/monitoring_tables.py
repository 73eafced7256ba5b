"""skp's monitoring read model (skp.monitoring): the unit tree, plan states per node and year,
evaluations and predikat per node and period, the distribution check per unit and period, headcount,
and the record of national reads of a person. On tables.metadata, so migrations and their test see
them with the rest."""

from typing import Any

from sqlalchemy import JSON, Boolean, Column, DateTime, Index, Integer, String, Table

from ekinerja_kernel import rollup
from ekinerja_kernel.monitoring import PREDIKAT, define_reads

from .tables import employees, metadata

TREE = rollup.define_tree(metadata)

PERIOD_KEYS: list[Column[Any]] = [Column("year", Integer), Column("kind", String(16)), Column("seq", Integer)]

# Per node (its subtree) and year: the active employees' SKPs by state (an SKP with a version in
# force counts as disetujui while a revision of it is worked on).
PLANS = rollup.define_aggregate(metadata, "mon_skp_plans", [Column("year", Integer)],
                                ("draft", "diajukan", "disetujui"))

# Per node: the active employees under it now ("none" = members − plans of the year).
MEMBERS = rollup.define_aggregate(metadata, "mon_skp_members", [], ("members",))

# Per node and period (year, kind, seq: comparable across agencies): evaluations by state, and the
# predikat of the rated ones (dinilai or final).
EVALUATIONS = rollup.define_aggregate(metadata, "mon_skp_evaluations", PERIOD_KEYS,
                                      ("realisasi", "dinilai", "final", *PREDIKAT))

# The same predikat counts at the unit itself only: what the unit's distribution check looks at.
OWN = rollup.define_aggregate(metadata, "mon_skp_evaluations_own", PERIOD_KEYS, PREDIKAT, rolled=False)

# Per node and period: units under it whose predikat kinerja organisasi is set, and of those the ones
# whose staff's predikat break the caps it sets (SE MenPANRB 03/2023, domain.distribution).
CAPS = rollup.define_aggregate(metadata, "mon_skp_caps", PERIOD_KEYS,
                               ("units_with_predikat", "units_outside_caps"))

# What each unit and period last added to CAPS, and why: the check's own record.
unit_caps = Table(
    "mon_skp_unit_caps", metadata,
    Column("unit_id", String(64), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("agency_id", String(64), nullable=False),
    Column("unit_predikat", String(32), nullable=True),
    Column("outside", Boolean, nullable=False),
    Column("violations", JSON, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

READS = define_reads(metadata)

# A unit's own people are read by unit (the read-copy had no index on it).
Index("ix_employees_unit_id", employees.c.unit_id)
