"""Network indicators: aggregates across employers, protected by statistical disclosure
control, computed by a network-level job and read by animateurs (docs/network_indicators.md)."""
from __future__ import annotations


def init_app(app) -> None:
    """Models, the page and the JSON API (after ``register_api``)."""
    from server.extensions import csrf
    from server.network_indicators import models  # noqa: F401
    from server.network_indicators.api import blp
    from server.network_indicators.views import bp

    app.register_blueprint(bp)
    csrf.exempt(blp)  # cookie-authenticated writes are checked in enforce_access
    app.extensions["entrepairs.api"].register_blueprint(blp)
