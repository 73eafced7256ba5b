"""registry_refused: the agency and name the refused record gives, for the agency admin's list

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 18:05:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('registry_refused') as batch_op:
        batch_op.add_column(sa.Column('agency_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('name', sa.String(length=300), nullable=True))
        batch_op.create_index(batch_op.f('ix_registry_refused_agency_id'), ['agency_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('registry_refused') as batch_op:
        batch_op.drop_index(batch_op.f('ix_registry_refused_agency_id'))
        batch_op.drop_column('name')
        batch_op.drop_column('agency_id')
