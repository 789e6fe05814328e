from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from plugins.base import TenantModel


class Rencontre(TenantModel):
    __tablename__ = "exemple_rencontre"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now())


class Welcome(TenantModel):
    """Written by the plugin's receiver of ``person_enrolled``."""

    __tablename__ = "exemple_welcome"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column()
    role: Mapped[str] = mapped_column(sa.String(20))
