"""drop units: sign-in no longer depends on the unit tree (a missing unit blocks the SKP, not login)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 17:30:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table('units')


def downgrade() -> None:
    op.create_table('units',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('agency_id', sa.String(length=64), nullable=False),
    sa.Column('parent_id', sa.String(length=64), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
