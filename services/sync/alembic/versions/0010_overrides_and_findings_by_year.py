"""overrides: an admin's repair holds until the registry agrees; the audit's rows without an actor
(an override the registry ended) and their run; the agency's findings list by SKP year

The findings already announced are forgotten and the daily sweep's mark removed (as in 0008), so
the findings loop diagnoses everyone again and fills the list with its year.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 03:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('overrides',
    sa.Column('nip', sa.String(length=18), nullable=False),
    sa.Column('field', sa.String(length=32), nullable=False),
    sa.Column('value', sa.String(length=254), nullable=True),
    sa.Column('agency_id', sa.String(length=64), nullable=False),
    sa.Column('actor_nip', sa.String(length=18), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('registry_value', sa.String(length=254), nullable=True),
    sa.Column('registry_source', sa.String(length=16), nullable=True),
    sa.Column('registry_seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['nip'], ['employees.nip'], ),
    sa.PrimaryKeyConstraint('nip', 'field')
    )
    op.create_index(op.f('ix_overrides_agency_id'), 'overrides', ['agency_id'], unique=False)
    with op.batch_alter_table('repair_audit') as batch_op:
        batch_op.alter_column('actor_nip', existing_type=sa.String(length=18), nullable=True)
        batch_op.add_column(sa.Column('run_id', sa.String(length=36), nullable=True))
    op.drop_index(op.f('ix_open_findings_agency_id'), table_name='open_findings')
    op.drop_table('open_findings')
    op.create_table('open_findings',
    sa.Column('nip', sa.String(length=18), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('agency_id', sa.String(length=64), nullable=False),
    sa.Column('check_name', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('blocks', sa.JSON(), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('nip', 'year', 'code')
    )
    op.create_index(op.f('ix_open_findings_agency_id'), 'open_findings', ['agency_id'], unique=False)
    op.execute("DELETE FROM diagnosis_published")
    op.execute("DELETE FROM sync_cursors WHERE scope = 'diagnosis:sweep'")


def downgrade() -> None:
    op.drop_index(op.f('ix_open_findings_agency_id'), table_name='open_findings')
    op.drop_table('open_findings')
    op.create_table('open_findings',
    sa.Column('nip', sa.String(length=18), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('agency_id', sa.String(length=64), nullable=False),
    sa.Column('check_name', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('blocks', sa.JSON(), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('nip', 'code')
    )
    op.create_index(op.f('ix_open_findings_agency_id'), 'open_findings', ['agency_id'], unique=False)
    op.execute("DELETE FROM diagnosis_published")
    op.execute("DELETE FROM repair_audit WHERE actor_nip IS NULL")
    with op.batch_alter_table('repair_audit') as batch_op:
        batch_op.drop_column('run_id')
        batch_op.alter_column('actor_nip', existing_type=sa.String(length=18), nullable=False)
    op.drop_index(op.f('ix_overrides_agency_id'), table_name='overrides')
    op.drop_table('overrides')
