"""diagnosis queue and the findings last announced per employee

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 14:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('diagnosis_queue',
    sa.Column('nip', sa.String(length=18), nullable=False),
    sa.Column('cascade', sa.Boolean(), nullable=False),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('nip')
    )
    op.create_index(op.f('ix_diagnosis_queue_queued_at'), 'diagnosis_queue', ['queued_at'], unique=False)
    op.create_table('diagnosis_published',
    sa.Column('nip', sa.String(length=18), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('nip')
    )


def downgrade() -> None:
    op.drop_table('diagnosis_published')
    op.drop_index(op.f('ix_diagnosis_queue_queued_at'), table_name='diagnosis_queue')
    op.drop_table('diagnosis_queue')
