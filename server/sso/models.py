"""Single sign-on settings and identities, in the shared ``network`` schema."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db

NETWORK = "network"

#: What became of a first log-in through the provider.
IDENTITY_STATUSES = {
    "pending": "En attente",
    "linked": "Associée",
    "refused": "Refusée",
}


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class SsoConfig(db.Model):
    """One employer's OpenID Connect provider (at most one per employer)."""

    __tablename__ = "sso_config"
    __table_args__ = {"schema": NETWORK}

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.tenant.id", ondelete="CASCADE"), unique=True)
    #: The provider's issuer; discovery reads <issuer>/.well-known/openid-configuration.
    issuer: Mapped[str] = mapped_column(sa.String(500))
    client_id: Mapped[str] = mapped_column(sa.String(255))
    #: The client secret, encrypted (server.auth.two_factor.encrypt: Fernet, key from SECRET_KEY).
    client_secret: Mapped[str] = mapped_column(sa.Text)
    #: Shown on the button: « Se connecter avec le compte de <label> ».
    label: Mapped[str] = mapped_column(sa.String(100))
    enabled: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now())
    updated_by: Mapped[int | None] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.account.id", ondelete="SET NULL"))


class SsoIdentity(db.Model):
    """A person known to an employer's provider: (issuer, subject), and the account the
    référent linked it to (none while pending or refused)."""

    __tablename__ = "sso_identity"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "issuer", "subject"),
        sa.CheckConstraint(_in("status", IDENTITY_STATUSES), name="status"),
        {"schema": NETWORK},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.tenant.id", ondelete="CASCADE"), index=True)
    issuer: Mapped[str] = mapped_column(sa.String(500))
    #: The provider's ``sub`` claim: stable and unique for this issuer.
    subject: Mapped[str] = mapped_column(sa.String(255))
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.account.id", ondelete="SET NULL"), index=True)
    #: What the provider said (``email``, ``name``), to help the référent recognise the person.
    email: Mapped[str | None] = mapped_column(sa.String(254))
    name: Mapped[str | None] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(20), default="pending",
                                        server_default="pending")
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now())
    last_seen_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now())
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    decided_by: Mapped[int | None] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.account.id", ondelete="SET NULL"))

    @property
    def status_label(self) -> str:
        return IDENTITY_STATUSES[self.status]
