"""revoked sessions by time (the gateways' revocation snapshot) and per-NIP activation/reset request limits

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 03:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f('ix_sessions_revoked_at'), 'sessions', ['revoked_at'], unique=False)
    op.create_table('request_limits',
    sa.Column('nip', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.JSON(), nullable=False),
    sa.Column('last_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('nip', 'kind')
    )
    op.create_index(op.f('ix_request_limits_last_at'), 'request_limits', ['last_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_request_limits_last_at'), table_name='request_limits')
    op.drop_table('request_limits')
    op.drop_index(op.f('ix_sessions_revoked_at'), table_name='sessions')
