"""Server-side log-in sessions: listed and revoked by their owner, ended when idle (issue #7).

Revision ID: n0012
Revises: n0011
Create Date: 2026-11-24 20:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'n0012'
down_revision = 'n0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('account_session',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('session_version', sa.Integer(), nullable=False),
    sa.Column('user_agent', sa.String(length=200), nullable=True),
    sa.Column('ip', sa.String(length=50), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['network.account.id'], name=op.f('fk_account_session_user_id_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_session')),
    schema='network'
    )
    op.create_index(op.f('ix_network_account_session_user_id'), 'account_session', ['user_id'], unique=False, schema='network')


def downgrade():
    op.drop_index(op.f('ix_network_account_session_user_id'), table_name='account_session', schema='network')
    op.drop_table('account_session', schema='network')
