"""Retention rules and erasure records of the employer space (issue #7).

Revision ID: t0007
Revises: t0006
Create Date: 2026-11-24 20:30:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = 't0007'
down_revision = 't0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('retention_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=10), server_default='running', nullable=False),
    sa.Column('periods', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('removed', postgresql.JSONB(astext_type=sa.Text()), server_default='[]', nullable=False),
    sa.CheckConstraint("status IN ('running', 'done', 'failed')", name=op.f('ck_retention_run_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retention_run'))
    )
    op.create_index(op.f('ix_tenant_retention_run_started_at'), 'retention_run', ['started_at'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_tenant_retention_run_started_at'), table_name='retention_run')
    op.drop_table('retention_run')
