"""monitoring read model: unit tree, allowance totals per node and month, national reads

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 11:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mon_node_ancestors',
    sa.Column('node', sa.String(length=80), nullable=False),
    sa.Column('ancestor', sa.String(length=80), nullable=False),
    sa.Column('depth', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('node', 'ancestor')
    )
    with op.batch_alter_table('mon_node_ancestors', schema=None) as batch_op:
        batch_op.create_index('ix_mon_node_ancestors_ancestor', ['ancestor'], unique=False)

    op.create_table('mon_nodes',
    sa.Column('node', sa.String(length=80), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=True),
    sa.Column('agency_id', sa.String(length=64), nullable=False),
    sa.Column('unit_id', sa.String(length=64), nullable=True),
    sa.Column('parent', sa.String(length=80), nullable=True),
    sa.Column('name', sa.String(length=300), nullable=True),
    sa.Column('known', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('node')
    )
    with op.batch_alter_table('mon_nodes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mon_nodes_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mon_nodes_parent'), ['parent'], unique=False)

    op.create_table('mon_reads',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reader_nip', sa.String(length=18), nullable=False),
    sa.Column('reader_roles', sa.String(length=200), nullable=False),
    sa.Column('subject', sa.String(length=80), nullable=False),
    sa.Column('what', sa.String(length=32), nullable=False),
    sa.Column('nips', sa.JSON(), nullable=False),
    sa.Column('period', sa.String(length=40), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('mon_reads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mon_reads_reader_nip'), ['reader_nip'], unique=False)
        batch_op.create_index(batch_op.f('ix_mon_reads_subject'), ['subject'], unique=False)

    op.create_table('mon_tukin_months',
    sa.Column('node', sa.String(length=80), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('employees', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('skipped', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('gross_sen', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('deductions_sen', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('net_sen', sa.BigInteger(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('node', 'month')
    )
    with op.batch_alter_table('results', schema=None) as batch_op:
        batch_op.create_index('ix_results_run_unit', ['run_id', 'unit_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('results', schema=None) as batch_op:
        batch_op.drop_index('ix_results_run_unit')

    op.drop_table('mon_tukin_months')
    with op.batch_alter_table('mon_reads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mon_reads_subject'))
        batch_op.drop_index(batch_op.f('ix_mon_reads_reader_nip'))

    op.drop_table('mon_reads')
    with op.batch_alter_table('mon_nodes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mon_nodes_parent'))
        batch_op.drop_index(batch_op.f('ix_mon_nodes_agency_id'))

    op.drop_table('mon_nodes')
    with op.batch_alter_table('mon_node_ancestors', schema=None) as batch_op:
        batch_op.drop_index('ix_mon_node_ancestors_ancestor')

    op.drop_table('mon_node_ancestors')
