"""Append-only audit log of the network (issue #7).

``network.audit_event``: log-ins, failures, refused accesses, reads and changes at the network
level. Append-only like the employers' logs: a trigger refuses UPDATE, DELETE and TRUNCATE for
every role, and those privileges are withdrawn from PUBLIC (docs/audit.md).

Revision ID: n0009
Revises: n0008
Create Date: 2026-11-24 20:30:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# Frozen here (a revision must not change when the code does); server/audit/models.py builds
# the same statements for schemas created by provisioning.
GUARD = [
    """CREATE FUNCTION {p}audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege', MESSAGE = 'audit log ' || TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME || ' is append-only: ' || TG_OP || ' refused';
END
$$""",
    "CREATE TRIGGER audit_event_no_update_delete BEFORE UPDATE OR DELETE ON {p}audit_event "
    "FOR EACH ROW EXECUTE FUNCTION {p}audit_event_append_only()",
    "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON {p}audit_event "
    "FOR EACH STATEMENT EXECUTE FUNCTION {p}audit_event_append_only()",
    "REVOKE UPDATE, DELETE, TRUNCATE ON {p}audit_event FROM PUBLIC",
]
UNGUARD = [
    "DROP TRIGGER audit_event_no_truncate ON {p}audit_event",
    "DROP TRIGGER audit_event_no_update_delete ON {p}audit_event",
    "DROP FUNCTION {p}audit_event_append_only()",
]


revision = 'n0009'
down_revision = 'n0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=80), nullable=False),
    sa.Column('object_type', sa.String(length=80), nullable=False),
    sa.Column('object_id', sa.String(length=80), nullable=True),
    sa.Column('detail', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event')),
    schema='network'
    )
    op.create_index(op.f('ix_network_audit_event_at'), 'audit_event', ['at'], unique=False,
                    schema='network')
    for statement in GUARD:
        op.execute(statement.format(p='network.'))


def downgrade():
    for statement in UNGUARD:
        op.execute(statement.format(p='network.'))
    op.drop_index(op.f('ix_network_audit_event_at'), table_name='audit_event', schema='network')
    op.drop_table('audit_event', schema='network')
