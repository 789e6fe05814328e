"""Which employer the current request or job acts for.

The tenant lives in a ``ContextVar``; the database session reads it when it opens a connection
and sets ``schema_translate_map`` on that connection's statements. Nothing is stored on the
pooled connection itself, so a connection can never carry one employer's schema into another's
request.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

#: Schema name tenant tables are declared with; translated to ``t_<slug>`` at execution.
TENANT_SCHEMA = "tenant"
#: Where tenant statements point when no tenant is set: a schema that never exists, so a
#: forgotten tenant context fails loudly instead of reading someone else's rows.
UNSET_SCHEMA = "tenant_unset"

#: Slugs: lowercase letters, digits and single hyphens; 2 to 40 characters.
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){1,39}$")


@dataclass(frozen=True)
class TenantRef:
    """What the rest of the app knows of the current employer."""

    id: int
    slug: str
    name: str

    @property
    def schema(self) -> str:
        return schema_for(self.slug)


class TenantNotFound(LookupError):
    """Unknown, suspended or forbidden employer. Views turn it into a 404."""


_current: ContextVar[TenantRef | None] = ContextVar("entrepairs_tenant", default=None)
#: Schema requested by the URL before the registry confirmed it (see ``set_requested``).
_requested_schema: ContextVar[str | None] = ContextVar("entrepairs_tenant_schema", default=None)


def is_valid_slug(slug: str) -> bool:
    return bool(SLUG_RE.match(slug or ""))


def schema_for(slug: str) -> str:
    if not is_valid_slug(slug):
        raise TenantNotFound(slug)
    return "t_" + slug.replace("-", "_")


def current_tenant() -> TenantRef | None:
    return _current.get()


def current_schema() -> str:
    tenant = _current.get()
    if tenant is not None:
        return tenant.schema
    return _requested_schema.get() or UNSET_SCHEMA


def set_requested(slug: str):
    """Point the connection the request is about to open at the requested schema.

    Called from the URL preprocessor, before any query; no tenant table is read until the
    registry has confirmed the slug and the person's access (``activate``)."""
    return _requested_schema.set(schema_for(slug))


def activate(tenant: TenantRef):
    return _current.set(tenant)


def reset(token) -> None:
    token.var.reset(token)


def clear() -> None:
    _current.set(None)
    _requested_schema.set(None)


@contextmanager
def tenant_context(slug: str):
    """Run the block as employer ``slug`` (CLI commands, jobs, tests).

    Validates the slug against the registry (active employers only) and gives the block a
    fresh database session, so no connection opened for another employer is reused."""
    from tenants.registry import lookup_active

    from flask import current_app

    db = current_app.extensions["sqlalchemy"]
    db.session.remove()
    tenant = lookup_active(slug)
    token = _current.set(tenant)
    try:
        db.session.remove()
        yield tenant
    finally:
        db.session.remove()
        _current.reset(token)
