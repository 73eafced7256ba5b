"""oidc flows: the HTML sign-in's progress is kept here, bound to the browser, not in its cookie

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 09:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('oidc_flows',
    sa.Column('flow_hash', sa.String(length=64), nullable=False),
    sa.Column('browser_hash', sa.String(length=64), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('step', sa.String(length=16), nullable=False),
    sa.Column('nip', sa.String(length=18), nullable=True),
    sa.Column('amr', sa.JSON(), nullable=False),
    sa.Column('auth_time', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('flow_hash')
    )
    with op.batch_alter_table('oidc_flows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oidc_flows_browser_hash'), ['browser_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_oidc_flows_expires_at'), ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('oidc_flows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oidc_flows_expires_at'))
        batch_op.drop_index(batch_op.f('ix_oidc_flows_browser_hash'))

    op.drop_table('oidc_flows')
