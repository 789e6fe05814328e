"""groupes: when a group was closed, version of a session's attendance

Revision ID: groupes0002
Revises: 159c012aad0e
Create Date: 2026-11-24 17:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'groupes0002'
down_revision = '159c012aad0e'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('groupes_groupe',
                  sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('groupes_seance',
                  sa.Column('version', sa.Integer(), server_default='1', nullable=False))


def downgrade():
    op.drop_column('groupes_seance', 'version')
    op.drop_column('groupes_groupe', 'closed_at')
