"""RHK identity across versions, link moves, rating window, unit predikat, credit point sources

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 09:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # An RHK keeps its id in every version of its SKP, so one id has one row per version.
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        with op.batch_alter_table('rhks', recreate='always') as batch_op:
            batch_op.create_primary_key('rhks_pkey', ['id', 'version'])
    else:
        name = sa.inspect(bind).get_pk_constraint('rhks')['name']
        op.drop_constraint(name, 'rhks', type_='primary')
        op.create_primary_key('rhks_pkey', 'rhks', ['id', 'version'])

    op.create_table('rhk_moves',
    sa.Column('skp_id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('from_rhk_id', sa.String(length=36), nullable=False),
    sa.Column('to_rhk_id', sa.String(length=36), nullable=False),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['skp_id'], ['skps.id'], ),
    sa.PrimaryKeyConstraint('skp_id', 'version', 'from_rhk_id')
    )
    op.create_table('unit_predikat',
    sa.Column('unit_id', sa.String(length=64), nullable=False),
    sa.Column('period_id', sa.String(length=36), nullable=False),
    sa.Column('agency_id', sa.String(length=64), nullable=False),
    sa.Column('predikat', sa.String(length=32), nullable=False),
    sa.Column('set_by', sa.String(length=18), nullable=False),
    sa.Column('set_as', sa.String(length=16), nullable=False),
    sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['period_id'], ['periods.id'], ),
    sa.PrimaryKeyConstraint('unit_id', 'period_id')
    )
    with op.batch_alter_table('agency_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rating_opens_days', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('evaluations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ends_position', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('ak_months', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('ak_jenjang', sa.String(length=64), nullable=True))
    # Points given before were counted for every periodic evaluation and again for the annual one:
    # a periodic evaluation recorded without a position ending counts none (the annual one counts).
    op.execute("UPDATE evaluations SET angka_kredit = NULL WHERE period_id IN "
               "(SELECT id FROM periods WHERE kind <> 'annual')")
    # An annual evaluation that counted points counted the whole year, at the jenjang master data
    # holds (the one it was computed with, unless the employee changed position since).
    op.execute("UPDATE evaluations SET ak_months = 12, ak_jenjang = (SELECT e.jenjang FROM employees e "
               "WHERE e.nip = evaluations.nip) WHERE angka_kredit IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table('evaluations', schema=None) as batch_op:
        batch_op.drop_column('ak_jenjang')
        batch_op.drop_column('ak_months')
        batch_op.drop_column('ends_position')
    with op.batch_alter_table('agency_settings', schema=None) as batch_op:
        batch_op.drop_column('rating_opens_days')
    op.drop_table('unit_predikat')
    op.drop_table('rhk_moves')
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        with op.batch_alter_table('rhks', recreate='always') as batch_op:
            batch_op.create_primary_key('rhks_pkey', ['id'])
    else:
        op.drop_constraint('rhks_pkey', 'rhks', type_='primary')
        op.create_primary_key('rhks_pkey', 'rhks', ['id'])
