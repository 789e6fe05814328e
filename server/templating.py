"""What every page template can use: the current person, their spaces, the current employer,
French dates and numbers."""
from __future__ import annotations

from flask import g
from flask_babel import format_datetime, format_decimal
from flask_login import current_user

from tenants import current_tenant


def add_current_tenant(endpoint, values) -> None:
    """``url_for`` inside an employer space fills ``tenant`` by itself."""
    tenant = current_tenant()
    if tenant is None or "tenant" in values or endpoint is None:
        return
    from flask import current_app

    if current_app.url_map.is_endpoint_expecting(endpoint, "tenant"):
        values["tenant"] = tenant.slug


def _page_context():
    spaces = []
    # Outside a request (a command, a job rendering an e-mail) there is no current_user.
    if current_user and current_user.is_authenticated:
        if "my_spaces" not in g:
            from server.auth.views import spaces_of

            g.my_spaces = spaces_of(current_user)
        spaces = g.my_spaces
    return {
        "current_tenant": current_tenant(),
        "my_spaces": spaces,
        "employer_roles": g.get("employer_roles", frozenset()),
    }


def french_datetime(value, fmt="EEEE d MMMM y 'à' H 'h' mm"):
    """« mardi 3 mars 2026 à 14 h 00 », in Europe/Paris."""
    return format_datetime(value, fmt) if value else ""


def french_number(value):
    return format_decimal(value)


def init_app(app) -> None:
    app.context_processor(_page_context)
    app.jinja_env.filters["date_fr"] = french_datetime
    app.jinja_env.filters["nombre"] = french_number
    app.jinja_env.globals["network_name"] = app.config["NETWORK_NAME"]
    app.jinja_env.globals["product_name"] = app.config["NETWORK_SHORT_NAME"]
