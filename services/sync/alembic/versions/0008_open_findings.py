"""open_findings: the problems and warnings last announced, one row each (the agency's list)

The findings already announced are forgotten and the daily sweep's mark removed, so the findings
loop diagnoses everyone again and fills the list (employee.diagnosed is sent again to consumers,
who keep the latest by checked_at: nothing changes there).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 17:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
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
    op.execute("DELETE FROM sync_cursors WHERE scope = 'diagnosis:sweep'")


def downgrade() -> None:
    op.drop_index(op.f('ix_open_findings_agency_id'), table_name='open_findings')
    op.drop_table('open_findings')
