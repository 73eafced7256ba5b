"""indexes that keep the intake off a day's history: entries by (nip, date, state), submissions by
(nip, date, accepted_at), in place of entries (nip, date) and submissions (nip)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 09:00:00
"""
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('entries', schema=None) as batch_op:
        batch_op.create_index('ix_entries_nip_date_state', ['nip', 'date', 'state'], unique=False)
        batch_op.drop_index('ix_entries_nip_date')
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.create_index('ix_submissions_nip_date', ['nip', 'date', 'accepted_at'], unique=False)
        batch_op.drop_index('ix_submissions_nip')


def downgrade() -> None:
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.create_index('ix_submissions_nip', ['nip'], unique=False)
        batch_op.drop_index('ix_submissions_nip_date')
    with op.batch_alter_table('entries', schema=None) as batch_op:
        batch_op.create_index('ix_entries_nip_date', ['nip', 'date'], unique=False)
        batch_op.drop_index('ix_entries_nip_date_state')
