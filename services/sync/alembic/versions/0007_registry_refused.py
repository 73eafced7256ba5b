"""registry_refused: the registry's latest record of an NIP that the import refused, and why

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 17:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('registry_refused',
    sa.Column('nip', sa.String(length=18), nullable=False),
    sa.Column('refused_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('run_id', sa.String(length=36), nullable=False),
    sa.Column('errors', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('nip')
    )


def downgrade() -> None:
    op.drop_table('registry_refused')
