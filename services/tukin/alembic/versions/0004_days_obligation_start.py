"""days.obligation_start: from when the employee had to log, as harian closed the day

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 11:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('days', schema=None) as batch_op:
        batch_op.add_column(sa.Column('obligation_start', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('days', schema=None) as batch_op:
        batch_op.drop_column('obligation_start')
