"""Jobs kept while Redis is away; idempotent e-mail delivery (issue #7).

Revision ID: n0011
Revises: n0010
Create Date: 2026-11-24 20:30:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = 'n0011'
down_revision = 'n0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'deferred_job',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('job_id', sa.String(length=64), nullable=False),
        sa.Column('tenant_slug', sa.String(length=40), nullable=True),
        sa.Column('func_path', sa.String(length=255), nullable=False),
        sa.Column('args', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('kwargs', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('run_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_deferred_job')),
        sa.UniqueConstraint('job_id', name=op.f('uq_deferred_job_job_id')),
        schema='network',
    )
    op.create_index(op.f('ix_network_deferred_job_created_at'), 'deferred_job', ['created_at'],
                    unique=False, schema='network')
    # E-mail idempotency: a retried delivery job finds the key of its first run.
    op.add_column('outbox_message', sa.Column('delivery_key', sa.String(length=64),
                                              nullable=True), schema='network')
    op.create_unique_constraint(op.f('uq_outbox_message_delivery_key'), 'outbox_message',
                                ['delivery_key'], schema='network')
    op.create_table(
        'mail_delivery',
        sa.Column('delivery_key', sa.String(length=64), nullable=False),
        sa.Column('delivered_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.PrimaryKeyConstraint('delivery_key', name=op.f('pk_mail_delivery')),
        schema='network',
    )
    op.create_index(op.f('ix_network_mail_delivery_delivered_at'), 'mail_delivery',
                    ['delivered_at'], unique=False, schema='network')


def downgrade():
    op.drop_index(op.f('ix_network_mail_delivery_delivered_at'), table_name='mail_delivery',
                  schema='network')
    op.drop_table('mail_delivery', schema='network')
    op.drop_constraint(op.f('uq_outbox_message_delivery_key'), 'outbox_message',
                       schema='network', type_='unique')
    op.drop_column('outbox_message', 'delivery_key', schema='network')
    op.drop_index(op.f('ix_network_deferred_job_created_at'), table_name='deferred_job',
                  schema='network')
    op.drop_table('deferred_job', schema='network')
