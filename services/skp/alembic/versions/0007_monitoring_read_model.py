"""monitoring read model: unit tree, plans, evaluations and caps per node, headcount, national reads

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
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

    op.create_table('mon_skp_caps',
    sa.Column('node', sa.String(length=80), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('units_with_predikat', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('units_outside_caps', sa.BigInteger(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('node', 'year', 'kind', 'seq')
    )
    op.create_table('mon_skp_evaluations',
    sa.Column('node', sa.String(length=80), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('realisasi', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('dinilai', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('final', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('sangat_baik', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('baik', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('butuh_perbaikan', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('kurang', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('sangat_kurang', sa.BigInteger(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('node', 'year', 'kind', 'seq')
    )
    op.create_table('mon_skp_evaluations_own',
    sa.Column('node', sa.String(length=80), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('sangat_baik', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('baik', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('butuh_perbaikan', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('kurang', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('sangat_kurang', sa.BigInteger(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('node', 'year', 'kind', 'seq')
    )
    op.create_table('mon_skp_members',
    sa.Column('node', sa.String(length=80), nullable=False),
    sa.Column('members', sa.BigInteger(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('node')
    )
    op.create_table('mon_skp_plans',
    sa.Column('node', sa.String(length=80), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('draft', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('diajukan', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('disetujui', sa.BigInteger(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('node', 'year')
    )
    op.create_table('mon_skp_unit_caps',
    sa.Column('unit_id', sa.String(length=64), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.String(length=64), nullable=False),
    sa.Column('unit_predikat', sa.String(length=32), nullable=True),
    sa.Column('outside', sa.Boolean(), nullable=False),
    sa.Column('violations', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('unit_id', 'year', 'kind', 'seq')
    )


def downgrade() -> None:
    op.drop_table('mon_skp_unit_caps')
    op.drop_table('mon_skp_plans')
    op.drop_table('mon_skp_members')
    op.drop_table('mon_skp_evaluations_own')
    op.drop_table('mon_skp_evaluations')
    op.drop_table('mon_skp_caps')
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
