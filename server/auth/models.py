"""Accounts, network roles, memberships of employer spaces and API tokens (``network``)."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db

NETWORK = "network"

#: Network-wide roles.
NETWORK_ROLES = {"admin": "Administration du réseau", "animateur": "Animation du réseau"}
#: Roles inside one employer space.
EMPLOYER_ROLES = {
    "referent": "Référent ou référente",
    "pair-aidant": "Pair-aidant ou pair-aidante",
    "pair-aide": "Pair-aidé ou pair-aidée",
    "membre": "Membre",
}

_hasher = PasswordHasher()
#: Verified against when the e-mail is unknown, so that timing does not reveal accounts.
_DUMMY_HASH = _hasher.hash("entrepairs-timing-equaliser")


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


class User(UserMixin, db.Model):
    __tablename__ = "account"
    __table_args__ = (
        # E-mail addresses are unique whatever their case.
        sa.Index("uq_account_email_lower", sa.func.lower(sa.text("email")), unique=True),
        {"schema": NETWORK},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    display_name: Mapped[str] = mapped_column(sa.String(120))
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )
    last_login_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    #: Changes when the password changes, which ends every other session.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    # Lock-out (server/auth/lockout.py): failed attempts in a row, and until when it is locked.
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    last_failed_login_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    password_changed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # Two-factor login (server/auth/two_factor.py).
    #: The TOTP secret, encrypted with a key derived from SECRET_KEY (Fernet).
    totp_secret: Mapped[str | None] = mapped_column(sa.Text)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    #: The time step of the last code accepted: a code is never accepted twice.
    totp_last_counter: Mapped[int | None] = mapped_column(sa.BigInteger)
    #: SHA-256 of the unused recovery codes.
    recovery_codes: Mapped[list[str]] = mapped_column(
        sa.ARRAY(sa.String(64)), default=list, server_default="{}")

    network_roles: Mapped[list[NetworkRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="select"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def set_password(self, password: str) -> None:
        """Store the hash of ``password``; check it with ``passwords.password_problem`` first."""
        self.password_hash = _hasher.hash(password)
        self.password_changed_at = datetime.now(timezone.utc)

    @property
    def has_second_factor(self) -> bool:
        return self.totp_enabled_at is not None and self.totp_secret is not None

    def check_password(self, password: str) -> bool:
        try:
            return _hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def network_role_names(self) -> frozenset[str]:
        """The person's network roles, read once per loaded account. Works on an account
        detached from its session (a request's ``current_user`` after a tenant switch)."""
        cached = self.__dict__.get("_network_role_names")
        if cached is None:
            (user_id,) = sa.inspect(self).identity
            cached = frozenset(db.session.execute(
                sa.select(NetworkRole.role).where(NetworkRole.user_id == user_id)).scalars())
            self.__dict__["_network_role_names"] = cached
        return cached

    def has_network_role(self, *roles: str) -> bool:
        return bool(self.network_role_names() & set(roles))

    @classmethod
    def by_email(cls, email: str) -> User | None:
        return db.session.execute(
            sa.select(cls).where(sa.func.lower(cls.email) == normalise_email(email))
        ).scalar_one_or_none()

    @classmethod
    def authenticate(cls, email: str, password: str) -> User | None:
        """The account when the password is right and the account neither inactive nor
        locked; failures count towards the lock-out (``server.auth.lockout``)."""
        from server.auth.lockout import check_password

        return check_password(email, password).user


def timing_equaliser(password: str | None) -> None:
    """Spend the time of one password check, so that an unknown or locked account answers
    as fast as a known one."""
    try:
        _hasher.verify(_DUMMY_HASH, password or "")
    except VerificationError:
        pass


class NetworkRole(db.Model):
    __tablename__ = "network_role"
    __table_args__ = (sa.CheckConstraint(_in("role", NETWORK_ROLES), name="role"), {"schema": NETWORK})

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.account.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(sa.String(20), primary_key=True)

    user: Mapped[User] = relationship(back_populates="network_roles")


class Membership(db.Model):
    """A person's role in one employer space (a person may hold several)."""

    __tablename__ = "membership"
    __table_args__ = (
        sa.CheckConstraint(_in("role", EMPLOYER_ROLES), name="role"),
        {"schema": NETWORK},
    )

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.account.id", ondelete="CASCADE"), primary_key=True
    )
    tenant_id: Mapped[int] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.tenant.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )


def _token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiToken(db.Model):
    """A bearer token for the JSON API. Only its SHA-256 digest is stored."""

    __tablename__ = "api_token"
    __table_args__ = {"schema": NETWORK}

    #: Tokens start with this, so that a leaked one is easy to recognise in logs and scanners.
    PREFIX = "ep_"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.account.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(100))
    digest: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    user: Mapped[User] = relationship()

    @classmethod
    def issue(cls, user: User, name: str, days: int) -> tuple[ApiToken, str]:
        secret = cls.PREFIX + secrets.token_urlsafe(32)
        token = cls(
            user=user,
            name=name,
            digest=_token_digest(secret),
            expires_at=datetime.now(timezone.utc) + timedelta(days=days),
        )
        db.session.add(token)
        return token, secret

    @classmethod
    def find_valid(cls, secret: str) -> ApiToken | None:
        if not secret.startswith(cls.PREFIX) or len(secret) > 100:
            return None
        token = db.session.execute(
            sa.select(cls).where(cls.digest == _token_digest(secret))
        ).scalar_one_or_none()
        if token is None or not token.is_valid:
            return None
        return token

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None and self.expires_at > datetime.now(timezone.utc)
