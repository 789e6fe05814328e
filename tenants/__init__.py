"""The tenancy mechanism: one PostgreSQL schema per employer.

Small public API (features use only this):

- ``current_tenant()`` — the employer the current request or job acts for, or ``None``;
- ``tenant_context(slug)`` — run a block (a CLI command, a job) for one employer;
- ``provision(...)`` — register an employer and build its schema, ready at head;
- ``migrate_all(...)`` — bring every employer schema to head, in parallel;
- ``TENANT_SCHEMA`` — the placeholder schema tenant tables are declared with.

Nothing here knows about pair-aidance.
"""
from tenants.context import (
    TENANT_SCHEMA,
    TenantNotFound,
    current_tenant,
    schema_for,
    tenant_context,
)

__all__ = [
    "TENANT_SCHEMA",
    "TenantNotFound",
    "current_tenant",
    "schema_for",
    "tenant_context",
    "provision",
    "migrate_all",
]


def __getattr__(name):
    # Imported lazily: these need the database extension, which itself imports
    # ``tenants.scoping`` while it is being created.
    if name == "provision":
        from tenants.provisioning import provision

        return provision
    if name == "migrate_all":
        from tenants.migrator import migrate_all

        return migrate_all
    raise AttributeError(name)
