"""Shared best practices: submissions, comments, useful marks (issue #5).

Revision ID: n0007
Revises: n0006
Create Date: 2026-11-24 20:30:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = 'n0007'
down_revision = 'n0006'
branch_labels = None
depends_on = None


OLD_KINDS = "kind IN ('guide', 'fiche-outil', 'actualite', 'replay', 'histoire')"
NEW_KINDS = "kind IN ('guide', 'fiche-outil', 'actualite', 'replay', 'histoire', 'bonne-pratique')"


def upgrade():
    op.drop_constraint('ck_library_resource_kind', 'library_resource', schema='network')
    op.create_check_constraint('kind', 'library_resource', NEW_KINDS, schema='network')
    op.create_table('shared_practice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), server_default='soumise', nullable=False),
    sa.Column('title', sa.String(length=400), nullable=False),
    sa.Column('what_worked', sa.Text(), nullable=False),
    sa.Column('difficulties', sa.Text(), server_default='', nullable=False),
    sa.Column('advice', sa.Text(), server_default='', nullable=False),
    sa.Column('model', sa.String(length=40), nullable=False),
    sa.Column('sector', sa.String(length=20), nullable=False),
    sa.Column('size_band', sa.String(length=20), nullable=False),
    sa.Column('programme_since', sa.Integer(), nullable=False),
    sa.Column('employer_display', sa.String(length=300), nullable=False),
    sa.Column('figures', postgresql.JSONB(astext_type=sa.Text()), server_default='[]', nullable=False),
    sa.Column('text_version', sa.Integer(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewer_id', sa.Integer(), nullable=True),
    sa.Column('review_message', sa.Text(), nullable=True),
    sa.Column('resource_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("status IN ('soumise', 'a-modifier', 'refusee', 'publiee')", name=op.f('ck_shared_practice_status')),
    sa.CheckConstraint("status <> 'publiee' OR resource_id IS NOT NULL", name=op.f('ck_shared_practice_published')),
    sa.ForeignKeyConstraint(['resource_id'], ['network.library_resource.id'], name=op.f('fk_shared_practice_resource_id_library_resource'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['network.account.id'], name=op.f('fk_shared_practice_reviewer_id_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['network.tenant.id'], name=op.f('fk_shared_practice_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shared_practice')),
    sa.UniqueConstraint('resource_id', name=op.f('uq_shared_practice_resource_id')),
    sa.UniqueConstraint('tenant_id', 'report_id', name=op.f('uq_shared_practice_tenant_id_report_id')),
    schema='network'
    )
    op.create_index(op.f('ix_network_shared_practice_tenant_id'), 'shared_practice', ['tenant_id'], unique=False, schema='network')
    op.create_table('practice_comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['network.account.id'], name=op.f('fk_practice_comment_author_id_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['practice_id'], ['network.shared_practice.id'], name=op.f('fk_practice_comment_practice_id_shared_practice'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['network.tenant.id'], name=op.f('fk_practice_comment_tenant_id_tenant'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_practice_comment')),
    schema='network'
    )
    op.create_index(op.f('ix_network_practice_comment_practice_id'), 'practice_comment', ['practice_id'], unique=False, schema='network')
    op.create_table('practice_useful',
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('marked_by', sa.Integer(), nullable=True),
    sa.Column('marked_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['marked_by'], ['network.account.id'], name=op.f('fk_practice_useful_marked_by_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['practice_id'], ['network.shared_practice.id'], name=op.f('fk_practice_useful_practice_id_shared_practice'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['network.tenant.id'], name=op.f('fk_practice_useful_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('practice_id', 'tenant_id', name=op.f('pk_practice_useful')),
    schema='network'
    )


def downgrade():
    op.drop_table('practice_useful', schema='network')
    op.drop_index(op.f('ix_network_practice_comment_practice_id'), table_name='practice_comment', schema='network')
    op.drop_table('practice_comment', schema='network')
    op.drop_index(op.f('ix_network_shared_practice_tenant_id'), table_name='shared_practice', schema='network')
    op.drop_table('shared_practice', schema='network')
    op.execute("DELETE FROM network.library_resource WHERE kind = 'bonne-pratique'")
    op.drop_constraint('ck_library_resource_kind', 'library_resource', schema='network')
    op.create_check_constraint('kind', 'library_resource', OLD_KINDS, schema='network')
