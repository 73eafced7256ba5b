"""master data findings (read-copy of ekinerja.employee.diagnosed.v1)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 12:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('master_data_findings',
    sa.Column('nip', sa.String(length=18), nullable=False),
    sa.Column('agency_id', sa.String(length=64), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('blocked', sa.JSON(), nullable=False),
    sa.Column('findings', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('nip')
    )


def downgrade() -> None:
    op.drop_table('master_data_findings')
