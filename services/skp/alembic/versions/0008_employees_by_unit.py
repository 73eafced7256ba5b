"""employees indexed by unit: a unit's own people on its monitoring page

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 14:00:00
"""
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('employees', schema=None) as batch_op:
        batch_op.create_index('ix_employees_unit_id', ['unit_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('employees', schema=None) as batch_op:
        batch_op.drop_index('ix_employees_unit_id')
