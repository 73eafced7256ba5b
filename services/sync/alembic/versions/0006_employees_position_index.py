"""index employees by position: a renamed or re-graded position announces its holders again

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 17:20:00
"""
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f('ix_employees_position_id'), 'employees', ['position_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_employees_position_id'), table_name='employees')
