"""Resource library: resources, attachments, French full-text search (issue #5).

Revision ID: n0003
Revises: f1495b967cda
Create Date: 2026-11-24 17:20:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = 'n0003'
down_revision = 'f1495b967cda'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('library_resource',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.String(length=1000), nullable=False),
    sa.Column('body', sa.Text(), server_default='', nullable=False),
    sa.Column('themes', postgresql.ARRAY(sa.String(length=40)), server_default='{}', nullable=False),
    sa.Column('audience', sa.String(length=20), server_default='tous', nullable=False),
    sa.Column('published_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), server_default='brouillon', nullable=False),
    sa.Column('tool', sa.String(length=40), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('search_vector', postgresql.TSVECTOR(), nullable=True),
    sa.CheckConstraint("kind IN ('guide', 'fiche-outil', 'actualite', 'replay', 'histoire')", name=op.f('ck_library_resource_kind')),
    sa.CheckConstraint("status IN ('brouillon', 'publie', 'archive')", name=op.f('ck_library_resource_status')),
    sa.CheckConstraint("audience IN ('tous', 'referents', 'pair-aidants')", name=op.f('ck_library_resource_audience')),
    sa.CheckConstraint("tool IS NULL OR tool IN ('cadrage')", name=op.f('ck_library_resource_tool')),
    sa.ForeignKeyConstraint(['author_id'], ['network.account.id'], name=op.f('fk_library_resource_author_id_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_library_resource')),
    schema='network'
    )
    op.create_index('ix_library_resource_search', 'library_resource', ['search_vector'], unique=False, schema='network', postgresql_using='gin')
    op.create_index('ix_library_resource_themes', 'library_resource', ['themes'], unique=False, schema='network', postgresql_using='gin')
    op.create_index('ix_library_resource_status_date', 'library_resource', ['status', 'published_on'], unique=False, schema='network')
    op.create_table('library_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('storage_key', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('media_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['network.account.id'], name=op.f('fk_library_attachment_created_by_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['resource_id'], ['network.library_resource.id'], name=op.f('fk_library_attachment_resource_id_library_resource'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_library_attachment')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_library_attachment_storage_key')),
    schema='network'
    )
    op.create_index(op.f('ix_network_library_attachment_resource_id'), 'library_attachment', ['resource_id'], unique=False, schema='network')


def downgrade():
    op.drop_index(op.f('ix_network_library_attachment_resource_id'), table_name='library_attachment', schema='network')
    op.drop_table('library_attachment', schema='network')
    op.drop_index('ix_library_resource_status_date', table_name='library_resource', schema='network')
    op.drop_index('ix_library_resource_themes', table_name='library_resource', schema='network', postgresql_using='gin')
    op.drop_index('ix_library_resource_search', table_name='library_resource', schema='network', postgresql_using='gin')
    op.drop_table('library_resource', schema='network')
