"""Invitations to join an employer space (``network``): single-use links that expire.

Only the SHA-256 of a link's token is stored; the token itself travels in the e-mail only."""
from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.auth.models import EMPLOYER_ROLES, NETWORK, _in
from server.extensions import db

STATUS_LABELS = {
    "pending": "En attente",
    "accepted": "Acceptée",
    "revoked": "Annulée",
    "expired": "Expirée",
}


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(db.Model):
    __tablename__ = "invitation"
    __table_args__ = (
        sa.CheckConstraint(_in("role", EMPLOYER_ROLES), name="role"),
        # One open invitation per address and space (two référents cannot both invite).
        sa.Index("uq_invitation_open_email", "tenant_id", sa.func.lower(sa.text("email")),
                 unique=True,
                 postgresql_where=sa.text("accepted_at IS NULL AND revoked_at IS NULL")),
        {"schema": NETWORK},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.tenant.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    display_name: Mapped[str] = mapped_column(sa.String(120))
    role: Mapped[str] = mapped_column(sa.String(20))
    #: SHA-256 of the link's token; replaced when the invitation is sent again.
    digest: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_by: Mapped[int | None] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now())
    sent_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    #: How many links were sent (1 + resends).
    sent_count: Mapped[int] = mapped_column(default=1, server_default="1")
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    accepted_by: Mapped[int | None] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.account.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    def new_token(self, days: int) -> str:
        """A fresh link: the previous one stops working. Returns the token (not stored)."""
        token = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        self.digest = token_digest(token)
        self.sent_at = now
        self.expires_at = now + timedelta(days=days)
        return token

    @property
    def status(self) -> str:
        if self.accepted_at is not None:
            return "accepted"
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= datetime.now(UTC):
            return "expired"
        return "pending"

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def role_label(self) -> str:
        return EMPLOYER_ROLES[self.role]
