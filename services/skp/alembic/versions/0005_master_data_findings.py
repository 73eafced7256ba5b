"""master data findings: read-copy of sync's employee.diagnosed

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 12:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('master_data_findings',
    sa.Column('nip', sa.String(length=18), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('findings', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('nip')
    )


def downgrade() -> None:
    op.drop_table('master_data_findings')
