"""Which programme models an employer runs, and each one's settings."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from server.models import TenantModel


class ProgrammeModelChoice(TenantModel):
    """One programme model (plugin) as configured by this employer."""

    __tablename__ = "programme_model"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    settings: Mapped[dict] = mapped_column(JSONB, default=dict, server_default="{}")
    #: Bumped on every change: a form or API call made on an older version is refused
    #: instead of silently overwriting a colleague's change.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now(), onupdate=sa.func.now()
    )
    updated_by: Mapped[int | None] = mapped_column()
