"""Append-only audit log of the employer space (issue #7).

Adds the request id and the masked address to ``audit_event``, and makes the table
append-only: a trigger refuses UPDATE, DELETE and TRUNCATE for every role, and those privileges
are withdrawn from PUBLIC (docs/audit.md). Names carry no schema: the runner sets
``search_path`` to the employer's schema. New schemas get the same from provisioning
(``server.audit.models``).

Revision ID: t0006
Revises: t0005
Create Date: 2026-11-24 20:30:00

"""
from alembic import op
import sqlalchemy as sa

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


revision = 't0006'
down_revision = 't0005'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('audit_event', sa.Column('request_id', sa.String(length=64), nullable=True))
    op.add_column('audit_event', sa.Column('ip', sa.String(length=64), nullable=True))
    for statement in GUARD:
        op.execute(statement.format(p=''))


def downgrade():
    for statement in UNGUARD:
        op.execute(statement.format(p=''))
    op.drop_column('audit_event', 'ip')
    op.drop_column('audit_event', 'request_id')
