"""Personal-data exports and erasures (issue #7).

Revision ID: n0010
Revises: n0009
Create Date: 2026-11-24 20:30:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = 'n0010'
down_revision = 'n0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('personal_data_export',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), server_default='queued', nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('ready_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('storage_key', sa.String(length=64), nullable=True),
    sa.Column('spaces', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('queued', 'ready', 'failed', 'expired')", name=op.f('ck_personal_data_export_status')),
    sa.ForeignKeyConstraint(['user_id'], ['network.account.id'], name=op.f('fk_personal_data_export_user_id_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_personal_data_export')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_personal_data_export_storage_key')),
    schema='network'
    )
    op.create_index(op.f('ix_network_personal_data_export_user_id'), 'personal_data_export', ['user_id'], unique=False, schema='network')
    op.create_index(op.f('ix_network_personal_data_export_expires_at'), 'personal_data_export', ['expires_at'], unique=False, schema='network')
    op.create_table('erasure_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=True),
    sa.Column('scope', sa.String(length=10), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=True),
    sa.Column('requested_by', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), server_default='queued', nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('report', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.CheckConstraint("status IN ('queued', 'done', 'failed')", name=op.f('ck_erasure_request_status')),
    sa.CheckConstraint("scope IN ('all', 'space')", name=op.f('ck_erasure_request_scope')),
    sa.CheckConstraint("(scope = 'space') = (tenant_id IS NOT NULL)", name=op.f('ck_erasure_request_space_tenant')),
    sa.ForeignKeyConstraint(['subject_id'], ['network.account.id'], name=op.f('fk_erasure_request_subject_id_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['network.tenant.id'], name=op.f('fk_erasure_request_tenant_id_tenant'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by'], ['network.account.id'], name=op.f('fk_erasure_request_requested_by_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erasure_request')),
    schema='network'
    )
    op.create_index(op.f('ix_network_erasure_request_subject_id'), 'erasure_request', ['subject_id'], unique=False, schema='network')
    op.create_index(op.f('ix_network_erasure_request_tenant_id'), 'erasure_request', ['tenant_id'], unique=False, schema='network')


def downgrade():
    op.drop_index(op.f('ix_network_erasure_request_tenant_id'), table_name='erasure_request', schema='network')
    op.drop_index(op.f('ix_network_erasure_request_subject_id'), table_name='erasure_request', schema='network')
    op.drop_table('erasure_request', schema='network')
    op.drop_index(op.f('ix_network_personal_data_export_expires_at'), table_name='personal_data_export', schema='network')
    op.drop_index(op.f('ix_network_personal_data_export_user_id'), table_name='personal_data_export', schema='network')
    op.drop_table('personal_data_export', schema='network')
