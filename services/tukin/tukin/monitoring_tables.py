"""tukin's monitoring read model (tukin.monitoring): the unit tree, allowance totals per node and
month, and the record of national reads of a person. On tables.metadata, so migrations and their
test see them with the rest."""

from sqlalchemy import Column, Index, String

from ekinerja_kernel import rollup
from ekinerja_kernel.monitoring import define_reads

from .tables import metadata, results

TREE = rollup.define_tree(metadata)

# Per node (its subtree) and month: the latest computation of each agency-month, employees computed
# and skipped, and its amounts in whole sen (exact, additive).
MONTHS = rollup.define_aggregate(metadata, "mon_tukin_months", [Column("month", String(7))],
                                 ("employees", "skipped", "gross_sen", "deductions_sen", "net_sen"))

READS = define_reads(metadata)

# A unit's people in a run, and the per-unit totals of a run, read by unit.
Index("ix_results_run_unit", results.c.run_id, results.c.unit_id)
