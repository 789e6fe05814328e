"""Experience reports written in the employer space (issue #5).

Revision ID: t0005
Revises: 95d7b24011f2
Create Date: 2026-11-24 20:30:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = 't0005'
down_revision = '95d7b24011f2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('practice_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('model', sa.String(length=40), nullable=False),
    sa.Column('programme_since', sa.Integer(), nullable=False),
    sa.Column('what_worked', sa.Text(), nullable=False),
    sa.Column('difficulties', sa.Text(), server_default='', nullable=False),
    sa.Column('advice', sa.Text(), server_default='', nullable=False),
    sa.Column('figures', postgresql.JSONB(astext_type=sa.Text()), server_default='[]', nullable=False),
    sa.Column('show_employer_name', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('status', sa.String(length=20), server_default='brouillon', nullable=False),
    sa.Column('text_version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('anonymised_version', sa.Integer(), nullable=True),
    sa.Column('anonymisation', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('anonymised_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("status IN ('brouillon', 'soumis')", name=op.f('ck_practice_report_status')),
    sa.CheckConstraint('anonymised_version IS NULL OR anonymised_version <= text_version', name=op.f('ck_practice_report_anonymised_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_practice_report'))
    )
    op.create_index(op.f('ix_tenant_practice_report_author_id'), 'practice_report', ['author_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_tenant_practice_report_author_id'), table_name='practice_report')
    op.drop_table('practice_report')
