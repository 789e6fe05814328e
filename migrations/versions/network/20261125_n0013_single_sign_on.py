"""Optional single sign-on (OpenID Connect): each employer's provider, and the identities its
référent links to members.

Revision ID: n0013
Revises: n0012
Create Date: 2026-11-25 00:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'n0013'
down_revision = 'n0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sso_config',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('issuer', sa.String(length=500), nullable=False),
    sa.Column('client_id', sa.String(length=255), nullable=False),
    sa.Column('client_secret', sa.Text(), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('enabled', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['network.tenant.id'], name=op.f('fk_sso_config_tenant_id_tenant'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by'], ['network.account.id'], name=op.f('fk_sso_config_updated_by_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sso_config')),
    sa.UniqueConstraint('tenant_id', name=op.f('uq_sso_config_tenant_id')),
    schema='network'
    )
    op.create_table('sso_identity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('issuer', sa.String(length=500), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=20), server_default='pending', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'linked', 'refused')", name=op.f('ck_sso_identity_status')),
    sa.ForeignKeyConstraint(['decided_by'], ['network.account.id'], name=op.f('fk_sso_identity_decided_by_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['network.tenant.id'], name=op.f('fk_sso_identity_tenant_id_tenant'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['network.account.id'], name=op.f('fk_sso_identity_user_id_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sso_identity')),
    sa.UniqueConstraint('tenant_id', 'issuer', 'subject', name=op.f('uq_sso_identity_tenant_id_issuer_subject')),
    schema='network'
    )
    op.create_index(op.f('ix_network_sso_identity_tenant_id'), 'sso_identity', ['tenant_id'], unique=False, schema='network')
    op.create_index(op.f('ix_network_sso_identity_user_id'), 'sso_identity', ['user_id'], unique=False, schema='network')


def downgrade():
    op.drop_index(op.f('ix_network_sso_identity_user_id'), table_name='sso_identity', schema='network')
    op.drop_index(op.f('ix_network_sso_identity_tenant_id'), table_name='sso_identity', schema='network')
    op.drop_table('sso_identity', schema='network')
    op.drop_table('sso_config', schema='network')
