"""Consent texts (versioned) and people's participation, in the employer's schema."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from server.models import TenantModel, tenant_table_args

#: What happens to stated needs and preferences when a person withdraws.
ON_WITHDRAWAL = {
    "delete": "Ils sont effacés ; seul le fait d'avoir participé reste compté.",
    "keep": "Ils sont gardés, pour reprendre plus facilement si la personne revient.",
}
PARTICIPATION_STATUSES = ("active", "left")


class ConsentVersion(TenantModel):
    """One version of the employer's consent text. Never changed once written: people's
    consents point at the version they read."""

    __tablename__ = "consent_version"
    __table_args__ = tenant_table_args(
        sa.CheckConstraint("on_withdrawal IN ('delete', 'keep')", name="on_withdrawal"),
    )

    version: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    body: Mapped[str] = mapped_column(sa.Text)
    on_withdrawal: Mapped[str] = mapped_column(sa.String(10), default="delete",
                                               server_default="delete")
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )
    created_by: Mapped[int | None] = mapped_column()


class Participation(TenantModel):
    """A person's participation with one role, and the consent they gave for it.

    Kept after withdrawal (status ``left``) so that the programme's counts stay right; what the
    person stated is deleted then, unless the consent they gave said otherwise."""

    __tablename__ = "participation"
    __table_args__ = tenant_table_args(
        sa.CheckConstraint("status IN ('active', 'left')", name="status"),
        sa.Index("ix_participation_active_role", "profile_id", "role", unique=True,
                 postgresql_where=sa.text("status = 'active'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tenant.profile.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(sa.String(20))
    status: Mapped[str] = mapped_column(sa.String(10), default="active", server_default="active")
    consent_version: Mapped[int] = mapped_column(
        sa.ForeignKey("tenant.consent_version.version"))
    consented_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )
    #: The participation criteria the person confirmed (keys of ``consent.CRITERIA``).
    criteria: Mapped[list] = mapped_column(JSONB, default=list, server_default="[]")
    #: Stated by the person if they choose to; seen by the référent and their pair-aidant only.
    needs: Mapped[str | None] = mapped_column(sa.Text)
    preferences: Mapped[str | None] = mapped_column(sa.Text)
    left_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
