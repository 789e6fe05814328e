"""The two audit logs: ``audit_event`` in every employer schema and ``network.audit_event``.

Both are append-only in the database: a trigger refuses UPDATE, DELETE and TRUNCATE for every
role, the owner included (SQLSTATE 42501, like a missing privilege), and those privileges are
revoked from PUBLIC. The trigger comes with the table: the tenant one is attached to the
table's creation (so provisioning, which builds schemas from the models, creates it) and
migration t0006 adds it to existing employer schemas; the network one comes from migration
n0009. No column refers to another table: an account's erasure or an employer's deletion must
never need to touch a row here. See docs/audit.md.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models import TenantModel

#: Name of the trigger function created in each schema that holds an audit table.
GUARD_FUNCTION = "audit_event_append_only"


def guard_statements(schema: str | None = None, table: str = "audit_event") -> list[str]:
    """Everything that makes ``table`` append-only: the trigger function, the two triggers,
    and the privileges withdrawn from PUBLIC. ``schema`` is an already quoted name (or a
    placeholder); without it, names resolve through ``search_path`` (tenant migrations)."""
    prefix = f"{schema}." if schema else ""
    function = f"{prefix}{GUARD_FUNCTION}()"
    return [
        # No "%" anywhere: this text goes through DDL and driver formatting unchanged.
        f"CREATE FUNCTION {function} RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "  RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege', MESSAGE = 'audit log ' || "
        "TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME || ' is append-only: ' || TG_OP || ' refused';\n"
        "END\n$$",
        f"CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {prefix}{table} "
        f"FOR EACH ROW EXECUTE FUNCTION {function}",
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {prefix}{table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {prefix}{table} FROM PUBLIC",
    ]


def unguard_statements(schema: str | None = None, table: str = "audit_event") -> list[str]:
    """The reverse of ``guard_statements`` (downgrades; dropping needs the table's owner)."""
    prefix = f"{schema}." if schema else ""
    return [
        f"DROP TRIGGER {table}_no_truncate ON {prefix}{table}",
        f"DROP TRIGGER {table}_no_update_delete ON {prefix}{table}",
        f"DROP FUNCTION {prefix}{GUARD_FUNCTION}()",
    ]


class _AuditColumns:
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now(), index=True
    )
    #: The account that acted (ids only: the page resolves names, so that erasing a person
    #: never needs to rewrite the log); ``None`` for jobs and anonymous visitors.
    actor_id: Mapped[int | None] = mapped_column()
    #: ``read``, ``export``, ``create``, ``update``, ``delete``… (labels in server/audit/labels.py)
    action: Mapped[str] = mapped_column(sa.String(80))
    object_type: Mapped[str] = mapped_column(sa.String(80))
    object_id: Mapped[str | None] = mapped_column(sa.String(80))
    #: Ids, counts and choices only, never what a person wrote (checked by ``server.audit``).
    detail: Mapped[dict] = mapped_column(JSONB, default=dict, server_default="{}")
    #: The request's id (``X-Request-ID`` when a proxy sets it), to join the server's logs.
    request_id: Mapped[str | None] = mapped_column(sa.String(64))
    #: The client's address, masked (IPv4 /24, IPv6 /48).
    ip: Mapped[str | None] = mapped_column(sa.String(64))


class AuditEvent(_AuditColumns, TenantModel):
    """Who read or changed what in this employer space."""

    __tablename__ = "audit_event"


class NetworkAuditEvent(_AuditColumns, db.Model):
    """Who logged in, was refused, read or changed what at the network level."""

    __tablename__ = "audit_event"
    __table_args__ = {"schema": "network"}


# Provisioning builds employer schemas from the models: the guard is part of the table's DDL.
for _statement in guard_statements("%(schema)s"):
    sa.event.listen(AuditEvent.__table__, "after_create", sa.DDL(_statement))
