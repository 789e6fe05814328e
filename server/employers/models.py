"""What every employer's schema holds whatever models it runs: people's programme profiles
and the space's settings."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from server.models import TenantModel, tenant_table_args

PROFILE_STATUSES = ("active", "paused", "left")


class Profile(TenantModel):
    """A person's place in this employer's programme (one per account)."""

    __tablename__ = "profile"
    __table_args__ = tenant_table_args(
        sa.CheckConstraint("status IN ('active', 'paused', 'left')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The network account; no foreign key across schemas, so that an employer schema can
    #: be moved, exported or sharded as one unit.
    user_id: Mapped[int] = mapped_column(unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(120))
    site: Mapped[str | None] = mapped_column(sa.String(120))
    status: Mapped[str] = mapped_column(sa.String(20), default="active", server_default="active")
    joined_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now(), onupdate=sa.func.now()
    )


class SpaceSetting(TenantModel):
    """Settings of the employer space (key → JSON value)."""

    __tablename__ = "space_setting"

    key: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    value: Mapped[dict] = mapped_column(JSONB)
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now(), onupdate=sa.func.now()
    )
    updated_by: Mapped[int | None] = mapped_column()


# The space's audit log (``audit_event``) is declared with the network's in server/audit/models.py.
