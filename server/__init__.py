"""Entrepairs: the Flask application factory.

The order is fixed: configuration → extensions → core blueprints → plugins → plugin
blueprints → ``app_created``. Nothing here runs at import time, so importing a model never
needs an application.
"""
from __future__ import annotations

import os

from flask import Flask


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    _configure(app, config)
    _init_extensions(app)
    _register_core(app)
    from server.plugin_loader import load_plugins

    load_plugins(app)
    from server import signals

    signals.app_created.send(app)
    return app


def _configure(app: Flask, config: dict | None) -> None:
    from server import config as cfg

    app.config.from_object(cfg.Defaults)
    app.config.update(cfg.from_environment())
    if config:
        app.config.update(config)
    app.config["SQLALCHEMY_DATABASE_URI"] = cfg.normalise_database_url(
        app.config.get("SQLALCHEMY_DATABASE_URI") or ""
    ) or None
    cfg.check(app.config)
    if app.config["ENV_NAME"] == "production":
        # Cookies only ever travel over https in production, whatever the settings say.
        app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
        # __Host-: the browser accepts these cookies only if Secure, Path=/ and without Domain,
        # so no sibling sub-domain can set or shadow them (docs/security.md).
        app.config.update(SESSION_COOKIE_NAME="__Host-session",
                          REMEMBER_COOKIE_NAME="__Host-remember",
                          SESSION_COOKIE_DOMAIN=None, SESSION_COOKIE_PATH="/",
                          REMEMBER_COOKIE_DOMAIN=None, REMEMBER_COOKIE_PATH="/")
    app.extensions["entrepairs.pid"] = os.getpid()
    app.config["RATELIMIT_STORAGE_URI"] = _limiter_storage(app.config.get("REDIS_URL"))


def _limiter_storage(redis_url: str | None) -> str:
    if not redis_url:
        return "memory://"
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url.removeprefix("unix://")
    return redis_url


def _init_extensions(app: Flask) -> None:
    from server import errors
    from server.extensions import babel, csrf, db, limiter, login_manager, migrate
    from migrations import DIRECTORY

    db.init_app(app)
    # Registered after Flask-SQLAlchemy's own teardown, so it runs before it (reverse order).
    app.teardown_appcontext(errors.release_session)
    migrate.init_app(app, db, directory=str(DIRECTORY))
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    limiter.init_app(app)

    from server.auth import loading  # noqa: F401  registers the user loaders
    import tenants.registry  # noqa: F401  registry models
    import server.employers.models  # noqa: F401  tenant template models
    import server.programme.models  # noqa: F401
    import server.mail  # noqa: F401  network outbox
    import server.invitations.models  # noqa: F401
    import server.participation.models  # noqa: F401
    import server.surveys.models  # noqa: F401
    import server.calendar.models  # noqa: F401  calendar feed links
    import server.library.models  # noqa: F401  resource library
    import server.eclubs.models  # noqa: F401  e-clubs
    import server.polls.models  # noqa: F401  topic proposals and polls
    import server.personal_data.models  # noqa: F401  exports, erasures, retention runs
    import server.audit.models  # noqa: F401  the audit logs (employer and network)
    import server.practices.models  # noqa: F401  shared best practices
    import server.sso.models  # noqa: F401  single sign-on settings and identities


def _select_locale():
    # French only until the English catalogue exists (see docs/architecture.md).
    return "fr"


def _register_core(app: Flask) -> None:
    from server import errors, templating
    from server.api import register_api
    from server.auth.access import capture_tenant, enforce_access, reset_tenant
    from server.auth.blueprint import bp as auth_bp
    from server.cli import register_commands
    from server.employers.blueprint import bp as employers_bp
    from server.network.blueprint import bp as network_bp
    from server.pages.blueprint import bp as pages_bp
    from server.programme.blueprint import bp as programme_bp

    import server.auth.views  # noqa: F401
    import server.auth.session_views  # noqa: F401  « Mes sessions »
    import server.employers.views  # noqa: F401
    import server.network.accounts  # noqa: F401
    import server.network.views  # noqa: F401
    import server.pages.views  # noqa: F401
    import server.programme.views  # noqa: F401
    import server.programme.framing_views  # noqa: F401
    import server.programme.peer_helper_views  # noqa: F401
    import server.programme.dashboard_views  # noqa: F401

    from server.routing import install as install_converters

    install_converters(app)  # before any route: <int:…> ids stay within PostgreSQL's integer
    app.url_value_preprocessor(capture_tenant)
    app.url_defaults(templating.add_current_tenant)
    app.before_request(enforce_access)
    app.teardown_request(reset_tenant)

    app.register_blueprint(auth_bp)
    app.register_blueprint(pages_bp)
    app.register_blueprint(network_bp)
    app.register_blueprint(employers_bp)
    app.register_blueprint(programme_bp)
    from server.invitations.blueprint import bp as invitations_bp
    from server.participation.blueprint import bp as participation_bp

    import server.invitations.views  # noqa: F401
    import server.participation.views  # noqa: F401

    app.register_blueprint(invitations_bp)
    app.register_blueprint(participation_bp)
    from server.surveys.blueprint import bp as surveys_bp
    from server.surveys.service import connect_signals

    import server.surveys.views  # noqa: F401

    app.register_blueprint(surveys_bp)
    connect_signals()
    from server.calendar.views import bp as calendar_bp

    app.register_blueprint(calendar_bp)
    register_api(app)
    # The network features: pages, and API blueprints joined to the one OpenAPI document.
    # Cookie-authenticated API writes are checked in enforce_access, not by the form CSRF.
    from server import network_indicators
    from server.eclubs import api as eclubs_api, views as eclubs_views
    from server.extensions import csrf
    from server.library import api as library_api, views as library_views
    from server.polls import api as polls_api, views as polls_views

    from server.practices import views as practices_views

    network_indicators.init_app(app)
    app.register_blueprint(practices_views.bp)
    app.register_blueprint(practices_views.network_bp)
    for views, api in ((eclubs_views, eclubs_api), (library_views, library_api),
                       (polls_views, polls_api)):
        app.register_blueprint(views.bp)
        csrf.exempt(api.blp)
        app.extensions["entrepairs.api"].register_blueprint(api.blp)
    from server.personal_data import views as personal_data_views

    app.register_blueprint(personal_data_views.bp)
    app.register_blueprint(personal_data_views.space_bp)
    from server.sso.views import bp as sso_bp

    app.register_blueprint(sso_bp)  # optional single sign-on (OpenID Connect)
    errors.init_app(app)
    templating.init_app(app)
    from server import security_headers

    security_headers.init_app(app)
    register_commands(app)
    from server import audit

    audit.init_app(app)  # the audit logs' pages; accesses written after each request
