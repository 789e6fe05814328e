"""E-clubs: sessions, agenda items, registrations, questions (issue #6).

Revision ID: n0005
Revises: n0004
Create Date: 2026-11-24 17:20:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = 'n0005'
down_revision = 'n0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('eclub',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('video_url', sa.String(length=500), nullable=True),
    sa.Column('status', sa.String(length=20), server_default='scheduled', nullable=False),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('replay_url', sa.String(length=500), nullable=True),
    sa.Column('summary', sa.Text(), server_default='', nullable=False),
    sa.Column('sequence', sa.Integer(), server_default='0', nullable=False),
    sa.Column('reminded_for', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("(status = 'cancelled') = (cancelled_at IS NOT NULL)", name=op.f('ck_eclub_cancelled_at')),
    sa.CheckConstraint("replay_url IS NULL OR replay_url LIKE 'https://%'", name=op.f('ck_eclub_replay_https')),
    sa.CheckConstraint("status IN ('scheduled', 'cancelled')", name=op.f('ck_eclub_status')),
    sa.CheckConstraint("video_url IS NULL OR video_url LIKE 'https://%'", name=op.f('ck_eclub_video_https')),
    sa.CheckConstraint('duration_minutes BETWEEN 15 AND 480', name=op.f('ck_eclub_duration')),
    sa.ForeignKeyConstraint(['created_by'], ['network.account.id'], name=op.f('fk_eclub_created_by_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_eclub')),
    schema='network'
    )
    op.create_index(op.f('ix_network_eclub_starts_at'), 'eclub', ['starts_at'], unique=False, schema='network')
    op.create_table('eclub_agenda_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('eclub_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('speakers', postgresql.JSONB(astext_type=sa.Text()), server_default='[]', nullable=False),
    sa.ForeignKeyConstraint(['eclub_id'], ['network.eclub.id'], name=op.f('fk_eclub_agenda_item_eclub_id_eclub'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_eclub_agenda_item')),
    sa.UniqueConstraint('eclub_id', 'position', name=op.f('uq_eclub_agenda_item_eclub_id_position')),
    schema='network'
    )
    op.create_index(op.f('ix_network_eclub_agenda_item_eclub_id'), 'eclub_agenda_item', ['eclub_id'], unique=False, schema='network')
    op.create_table('eclub_question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('eclub_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('anonymous', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('status', sa.String(length=10), server_default='open', nullable=False),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(status = 'merged') = (merged_into_id IS NOT NULL)", name=op.f('ck_eclub_question_merged')),
    sa.CheckConstraint("status IN ('open', 'answered', 'merged')", name=op.f('ck_eclub_question_status')),
    sa.CheckConstraint('merged_into_id IS NULL OR merged_into_id <> id', name=op.f('ck_eclub_question_not_self')),
    sa.ForeignKeyConstraint(['author_id'], ['network.account.id'], name=op.f('fk_eclub_question_author_id_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['eclub_id'], ['network.eclub.id'], name=op.f('fk_eclub_question_eclub_id_eclub'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['merged_into_id'], ['network.eclub_question.id'], name=op.f('fk_eclub_question_merged_into_id_eclub_question'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_eclub_question')),
    schema='network'
    )
    op.create_index(op.f('ix_network_eclub_question_eclub_id'), 'eclub_question', ['eclub_id'], unique=False, schema='network')
    op.create_table('eclub_registration',
    sa.Column('eclub_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['eclub_id'], ['network.eclub.id'], name=op.f('fk_eclub_registration_eclub_id_eclub'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['network.account.id'], name=op.f('fk_eclub_registration_user_id_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('eclub_id', 'user_id', name=op.f('pk_eclub_registration')),
    schema='network'
    )
    op.create_index(op.f('ix_network_eclub_registration_user_id'), 'eclub_registration', ['user_id'], unique=False, schema='network')
    op.create_table('eclub_resource',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('eclub_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('phase', sa.String(length=10), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.CheckConstraint("phase IN ('before', 'after')", name=op.f('ck_eclub_resource_phase')),
    sa.CheckConstraint("url LIKE 'https://%' OR url LIKE 'http://%'", name=op.f('ck_eclub_resource_url')),
    sa.ForeignKeyConstraint(['eclub_id'], ['network.eclub.id'], name=op.f('fk_eclub_resource_eclub_id_eclub'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_eclub_resource')),
    sa.UniqueConstraint('eclub_id', 'position', name=op.f('uq_eclub_resource_eclub_id_position')),
    schema='network'
    )
    op.create_index(op.f('ix_network_eclub_resource_eclub_id'), 'eclub_resource', ['eclub_id'], unique=False, schema='network')
    op.create_table('eclub_question_support',
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['network.eclub_question.id'], name=op.f('fk_eclub_question_support_question_id_eclub_question'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['network.account.id'], name=op.f('fk_eclub_question_support_user_id_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('question_id', 'user_id', name=op.f('pk_eclub_question_support')),
    schema='network'
    )
    op.create_index(op.f('ix_network_eclub_question_support_user_id'), 'eclub_question_support', ['user_id'], unique=False, schema='network')


def downgrade():
    op.drop_index(op.f('ix_network_eclub_question_support_user_id'), table_name='eclub_question_support', schema='network')
    op.drop_table('eclub_question_support', schema='network')
    op.drop_index(op.f('ix_network_eclub_resource_eclub_id'), table_name='eclub_resource', schema='network')
    op.drop_table('eclub_resource', schema='network')
    op.drop_index(op.f('ix_network_eclub_registration_user_id'), table_name='eclub_registration', schema='network')
    op.drop_table('eclub_registration', schema='network')
    op.drop_index(op.f('ix_network_eclub_question_eclub_id'), table_name='eclub_question', schema='network')
    op.drop_table('eclub_question', schema='network')
    op.drop_index(op.f('ix_network_eclub_agenda_item_eclub_id'), table_name='eclub_agenda_item', schema='network')
    op.drop_table('eclub_agenda_item', schema='network')
    op.drop_index(op.f('ix_network_eclub_starts_at'), table_name='eclub', schema='network')
    op.drop_table('eclub', schema='network')
