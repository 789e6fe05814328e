"""Model bases. Network models declare ``{"schema": "network"}``; employer models subclass
``TenantModel`` and live in every employer's schema."""
from __future__ import annotations

from sqlalchemy.orm import declared_attr

from server.extensions import db
from tenants import TENANT_SCHEMA


def tenant_table_args(*constraints, **options) -> tuple:
    """``__table_args__`` for a tenant table that needs constraints or indexes."""
    return (*constraints, {"schema": TENANT_SCHEMA, **options})


class TenantModel(db.Model):
    """Base of every table that lives in an employer's schema."""

    __abstract__ = True

    @declared_attr.directive
    def __table_args__(cls):
        return {"schema": TENANT_SCHEMA}


def tenant_tables():
    """Tables of the per-employer template, in creation order."""
    return [t for t in db.metadata.sorted_tables if t.schema == TENANT_SCHEMA]


def network_tables():
    return [t for t in db.metadata.sorted_tables if t.schema == "network"]
