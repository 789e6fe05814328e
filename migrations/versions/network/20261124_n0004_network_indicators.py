"""Network indicators: stored protected aggregates (issue #5).

Revision ID: n0004
Revises: n0003
Create Date: 2026-11-24 17:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'n0004'
down_revision = 'n0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('indicator_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), server_default='pending', nullable=False),
    sa.Column('requested_by', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('employers_read', sa.Integer(), server_default='0', nullable=False),
    sa.Column('period_start', sa.Date(), nullable=True),
    sa.Column('period_end', sa.Date(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'running', 'done', 'failed')", name=op.f('ck_indicator_run_status')),
    sa.ForeignKeyConstraint(['requested_by'], ['network.account.id'], name=op.f('fk_indicator_run_requested_by_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_run')),
    schema='network'
    )
    op.create_index(op.f('ix_network_indicator_run_finished_at'), 'indicator_run', ['finished_at'], unique=False, schema='network')
    op.create_table('indicator_cell',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('table_key', sa.String(length=40), nullable=False),
    sa.Column('row_key', sa.String(length=120), nullable=False),
    sa.Column('row_label', sa.String(length=240), nullable=False),
    sa.Column('column_key', sa.String(length=40), nullable=False),
    sa.Column('column_label', sa.String(length=120), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('reason', sa.String(length=10), nullable=True),
    sa.CheckConstraint("reason IS NULL OR reason IN ('primary', 'secondary')", name=op.f('ck_indicator_cell_reason')),
    sa.CheckConstraint('(value IS NULL) = (reason IS NOT NULL)', name=op.f('ck_indicator_cell_value_or_reason')),
    sa.ForeignKeyConstraint(['run_id'], ['network.indicator_run.id'], name=op.f('fk_indicator_cell_run_id_indicator_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_cell')),
    schema='network'
    )
    op.create_index(op.f('ix_network_indicator_cell_run_id'), 'indicator_cell', ['run_id'], unique=False, schema='network')


def downgrade():
    op.drop_index(op.f('ix_network_indicator_cell_run_id'), table_name='indicator_cell', schema='network')
    op.drop_table('indicator_cell', schema='network')
    op.drop_index(op.f('ix_network_indicator_run_finished_at'), table_name='indicator_run', schema='network')
    op.drop_table('indicator_run', schema='network')
