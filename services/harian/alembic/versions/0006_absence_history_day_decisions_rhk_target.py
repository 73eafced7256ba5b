"""absence_history (every absence recorded, corrected or withdrawn, by whom and why), day_decisions
(each supervisor decision on a day, its note kept after a resubmission), approved_rhk.target

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 12:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('absence_history',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('absence_id', sa.String(length=36), nullable=False),
    sa.Column('nip', sa.String(length=18), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('actor_nip', sa.String(length=18), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('absence_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_absence_history_absence_id'), ['absence_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_absence_history_nip'), ['nip'], unique=False)
    # Absences recorded before this release get their "recorded" entry, so each one's story is whole.
    op.execute("INSERT INTO absence_history (absence_id, nip, action, actor_nip, at) "
               "SELECT id, nip, 'recorded', recorded_by, recorded_at FROM absences")

    op.create_table('day_decisions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('nip', sa.String(length=18), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('decided_by', sa.String(length=18), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('entries', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('day_decisions', schema=None) as batch_op:
        batch_op.create_index('ix_day_decisions_nip_date', ['nip', 'date'], unique=False)
    # Decisions taken before this release are still on their entries (a returned entry replaced by a
    # resubmission keeps its note and who decided): one decision per day, decider and moment.
    connection = op.get_bind()
    decided = sa.table('entries', sa.column('id'), sa.column('nip'), sa.column('date'), sa.column('rhk_id'),
                       sa.column('description'), sa.column('note'), sa.column('decided_by'),
                       sa.column('decided_at'))
    grouped: dict = {}
    for r in connection.execute(sa.select(decided).where(decided.c.decided_at.is_not(None))
                                .order_by(decided.c.decided_at, decided.c.id)):
        key = (r.nip, r.date, r.decided_by, r.decided_at, r.note)
        grouped.setdefault(key, []).append({"id": r.id, "rhk_id": r.rhk_id, "description": r.description})
    if grouped:
        table = sa.table('day_decisions', sa.column('nip'), sa.column('date'), sa.column('action'),
                         sa.column('note'), sa.column('decided_by'), sa.column('decided_at'),
                         sa.column('entries', sa.JSON()))
        op.bulk_insert(table, [{"nip": nip, "date": day, "action": "return" if note else "approve", "note": note,
                                "decided_by": by, "decided_at": at, "entries": listed}
                               for (nip, day, by, at, note), listed in grouped.items()])

    with op.batch_alter_table('approved_rhk', schema=None) as batch_op:
        batch_op.add_column(sa.Column('target', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('approved_rhk', schema=None) as batch_op:
        batch_op.drop_column('target')
    with op.batch_alter_table('day_decisions', schema=None) as batch_op:
        batch_op.drop_index('ix_day_decisions_nip_date')
    op.drop_table('day_decisions')
    with op.batch_alter_table('absence_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_absence_history_nip'))
        batch_op.drop_index(batch_op.f('ix_absence_history_absence_id'))
    op.drop_table('absence_history')
