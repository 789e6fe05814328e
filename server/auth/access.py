"""Deny by default: every view declares who may see it, and one hook enforces it.

Decorate a view function or a ``MethodView`` class with one of ``public``, ``signed_in``,
``network_role(...)`` or ``employer_role(...)``. An endpoint without a declaration answers 403
and is reported by the test that walks the URL map.

Employer views live under ``/e/<tenant>/`` (pages) or ``/api/v1/e/<tenant>/`` (API). An
employer that does not exist, is suspended, or of which the person is not a member is a 404,
whatever the page: nobody learns which employers exist by probing URLs.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import sqlalchemy as sa
from flask import abort, current_app, g, redirect, request, url_for
from flask_login import current_user

from server.extensions import csrf, db
from tenants import context as tenancy

#: Endpoints of extensions that we do not write ourselves.
EXTENSION_ENDPOINTS = {"static", "api-docs.openapi_json"}


@dataclass(frozen=True)
class Access:
    public: bool = False
    network_roles: frozenset[str] = frozenset()
    #: ``None``: not an employer view. Empty set: any member of the employer.
    employer_roles: frozenset[str] | None = None

    def describe(self) -> str:
        if self.public:
            return "public"
        if self.employer_roles is not None:
            return "employer:" + (",".join(sorted(self.employer_roles)) or "any member")
        if self.network_roles:
            return "network:" + ",".join(sorted(self.network_roles))
        return "signed in"


def _declare(access: Access):
    def decorate(view):
        view.access = access
        return view

    return decorate


public = _declare(Access(public=True))
signed_in = _declare(Access())


def network_role(*roles: str):
    return _declare(Access(network_roles=frozenset(roles)))


def employer_role(*roles: str):
    """Members of the employer with one of these roles (any member when none is given)."""
    return _declare(Access(employer_roles=frozenset(roles)))


def access_of(endpoint: str | None) -> Access | None:
    if endpoint in EXTENSION_ENDPOINTS:
        return Access(public=True)
    view = current_app.view_functions.get(endpoint)
    if view is None:
        return None
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        # A MethodView may declare per method, or once on the class.
        method = getattr(view_class, request.method.lower(), None)
        if method is None and request.method == "HEAD":
            method = getattr(view_class, "get", None)
        return getattr(method, "access", None) or getattr(view_class, "access", None)
    return getattr(view, "access", None)


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def capture_tenant(endpoint, values) -> None:
    """URL preprocessor: take ``<tenant>`` out of the view arguments.

    The requested schema is set before any query so that the request's connection is opened
    for it; no tenant table is read before ``enforce_access`` has confirmed it."""
    if values and "tenant" in values:
        slug = values.pop("tenant")
        g.tenant_slug = slug
        # No connection may have been opened for another schema (only possible when a
        # caller shares its app context with the request, as tests can).
        db.session.close()
        if tenancy.is_valid_slug(slug):
            tenancy.set_requested(slug)


@lru_cache(maxsize=1)
def _membership_statement():
    """The membership check, built once. Core table columns, not ORM attributes: the session
    then skips the ORM compile and result machinery, about a third of the check's CPU time on
    every employer request (see bench/tenancy_overhead.py)."""
    from server.auth.models import Membership
    from tenants.registry import Tenant

    tenant, membership = Tenant.__table__, Membership.__table__
    return (
        sa.select(tenant.c.id, tenant.c.slug, tenant.c.name, membership.c.role)
        .join_from(tenant, membership, membership.c.tenant_id == tenant.c.id)
        .where(tenant.c.slug == sa.bindparam("slug"), tenant.c.status == "active",
               membership.c.user_id == sa.bindparam("user_id"))
    )


def _resolve_membership(slug: str) -> frozenset[str]:
    """The person's roles in the active employer ``slug``; 404 when they have none."""
    if not tenancy.is_valid_slug(slug):
        refuse(404, "not_member")
    rows = db.session.execute(
        _membership_statement(), {"slug": slug, "user_id": current_user.id}
    ).all()
    if not rows:
        refuse(404, "not_member")  # unknown, suspended or someone else's employer: one answer
    tenancy.activate(tenancy.TenantRef(id=rows[0].id, slug=rows[0].slug, name=rows[0].name))
    return frozenset(r.role for r in rows)


_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def record_refusal(status: int, reason: str) -> None:
    """Log a refused access: always in the application log, and in the network audit log when
    it exists (``server.audit.record_network``). Never turns the refusal into a 500."""
    if g.get("refusal_logged"):
        return
    g.refusal_logged = True
    user_id = current_user.id if current_user.is_authenticated else None
    # Probes send anything: no control character (a forged log line, a NUL that JSON text
    # refuses) reaches the logs.
    path = _CONTROL_CHARACTERS.sub("?", request.path[:300])
    current_app.logger.warning("Access refused: %s %s → %s (%s), account %s, endpoint %s",
                               request.method, path, status, reason, user_id, request.endpoint)
    try:
        from server import audit

        record_network = getattr(audit, "record_network", None)
        if record_network is not None:  # written whatever the request does (server/audit)
            record_network("access.refused", "endpoint", request.endpoint, status=status,
                           reason=reason, method=request.method[:10], path=path)
    except Exception:  # noqa: BLE001  the refusal stands even if auditing fails
        current_app.logger.exception("Could not audit a refused access")


def refuse(status: int, reason: str):
    """Refuse the request (403 or 404) and log it."""
    record_refusal(status, reason)
    abort(status)


def enforce_access():
    """``before_request``: apply the view's declaration."""
    if request.endpoint is None:  # routing failed; Flask raises the 404/405 next
        return None
    if request.method == "OPTIONS":
        # Flask answers it itself with the URL's methods (public routing knowledge); no view
        # runs and nothing is read.
        return None
    access = access_of(request.endpoint)
    if access is None:
        current_app.logger.error("Endpoint %s declares no access rule", request.endpoint)
        refuse(403, "no_access_rule")
    if access.public:
        return None
    if not current_user.is_authenticated:
        if is_api_request():
            abort(401)
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if is_api_request() and not g.get("authenticated_by_token"):
        # Cookie-authenticated API writes need the CSRF token like forms do.
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            csrf.protect()
    if access.network_roles and not current_user.has_network_role(*access.network_roles):
        refuse(403, "network_role")
    if access.employer_roles is not None:
        slug = g.get("tenant_slug")
        if slug is None:
            current_app.logger.error("Employer endpoint %s has no <tenant>", request.endpoint)
            refuse(404, "no_tenant")
        g.employer_roles = _resolve_membership(slug)
        _require_enabled_model()
        if access.employer_roles and not (access.employer_roles & g.employer_roles):
            refuse(403, "employer_role")
    return None


def _require_enabled_model() -> None:
    """A programme model's pages and API exist only where the employer enabled it."""
    from server.plugin_loader import plugin_for_blueprint
    from server.programme.choices import enabled_names

    plugin = plugin_for_blueprint(current_app, request.blueprint)
    if plugin is not None and plugin.name not in enabled_names():
        refuse(404, "model_disabled")


def reset_tenant(_exc=None) -> None:
    """``teardown_request``: threads are reused, the tenant must not outlive its request."""
    tenancy.clear()
