"""Extensions, created unbound and initialised by ``create_app``."""
from __future__ import annotations

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from tenants.scoping import TenantScopedSession

#: Stable constraint names, so that Alembic's autogenerate and the models agree.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base, session_options={"class_": TenantScopedSession})
migrate = Migrate()


@migrate.configure
def _network_branch_only(config):
    """`entrepairs db ...` works on the network schema alone: employer schemas have their own
    runner (`entrepairs tenants ...`), so their revisions are not even visible here."""
    from migrations import DIRECTORY

    config.set_main_option("version_locations", str(DIRECTORY / "versions" / "network"))
    return config
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def login_limit() -> str:
    """The rate limit of every step that takes a secret (password, code, provider's answer,
    API token), per address: ``LOGIN_RATE_LIMIT``."""
    from flask import current_app

    return current_app.config["LOGIN_RATE_LIMIT"]
