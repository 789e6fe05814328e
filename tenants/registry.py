"""The registry of employers, in the shared ``network`` schema."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from tenants.context import TenantNotFound, TenantRef, is_valid_slug, schema_for

NETWORK_SCHEMA = "network"

#: Public-service sectors ("fonctions publiques").
SECTORS = {
    "etat": "Fonction publique d'État",
    "territoriale": "Fonction publique territoriale",
    "hospitaliere": "Fonction publique hospitalière",
}
#: Size bands, in staff numbers; used to publish context without identifying an employer.
SIZE_BANDS = {
    "moins-50": "moins de 50 agents",
    "50-249": "de 50 à 249 agents",
    "250-999": "de 250 à 999 agents",
    "1000-4999": "de 1 000 à 4 999 agents",
    "5000-plus": "5 000 agents ou plus",
}
STATUSES = ("active", "suspended")


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Tenant(db.Model):
    """An employer of the network, and the schema that holds its programme."""

    __tablename__ = "tenant"
    __table_args__ = (
        sa.CheckConstraint(_in("sector", SECTORS), name="sector"),
        sa.CheckConstraint(_in("size_band", SIZE_BANDS), name="size_band"),
        sa.CheckConstraint(_in("status", STATUSES), name="status"),
        {"schema": NETWORK_SCHEMA},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: URL name, also the schema name (``t_<slug>``); never changes.
    slug: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    sector: Mapped[str] = mapped_column(sa.String(20))
    size_band: Mapped[str] = mapped_column(sa.String(20))
    status: Mapped[str] = mapped_column(sa.String(20), default="active", server_default="active")
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )

    @property
    def schema(self) -> str:
        return schema_for(self.slug)

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    @property
    def sector_label(self) -> str:
        return SECTORS[self.sector]

    @property
    def size_band_label(self) -> str:
        return SIZE_BANDS[self.size_band]

    def ref(self) -> TenantRef:
        return TenantRef(id=self.id, slug=self.slug, name=self.name)


class TenantMigrationRun(db.Model):
    """One run of ``entrepairs tenants migrate``."""

    __tablename__ = "tenant_migration_run"
    __table_args__ = {"schema": NETWORK_SCHEMA}

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The tenant heads, comma-separated (one per plugin branch: no fixed length).
    target: Mapped[str] = mapped_column(sa.Text)
    started_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    total: Mapped[int] = mapped_column(default=0)
    at_head: Mapped[int] = mapped_column(default=0)
    succeeded: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)


class TenantMigration(db.Model):
    """What happened to one employer's schema in one run (written in the tenant's own
    migration transaction when it succeeds, so the record and the schema cannot disagree)."""

    __tablename__ = "tenant_migration"
    __table_args__ = (
        sa.CheckConstraint("outcome IN ('upgraded', 'failed')", name="outcome"),
        {"schema": NETWORK_SCHEMA},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        sa.ForeignKey(f"{NETWORK_SCHEMA}.tenant_migration_run.id", ondelete="CASCADE"), index=True
    )
    tenant_id: Mapped[int] = mapped_column(
        sa.ForeignKey(f"{NETWORK_SCHEMA}.tenant.id", ondelete="CASCADE"), index=True
    )
    from_revision: Mapped[str | None] = mapped_column(sa.String(200))
    to_revision: Mapped[str | None] = mapped_column(sa.String(200))
    outcome: Mapped[str] = mapped_column(sa.String(20))
    error: Mapped[str | None] = mapped_column(sa.Text)
    seconds: Mapped[float] = mapped_column(default=0.0)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())


def lookup_active(slug: str) -> TenantRef:
    """The active employer with this slug, or ``TenantNotFound``."""
    if not is_valid_slug(slug):
        raise TenantNotFound(slug)
    row = db.session.execute(
        sa.select(Tenant.id, Tenant.slug, Tenant.name).where(
            Tenant.slug == slug, Tenant.status == "active"
        )
    ).first()
    if row is None:
        raise TenantNotFound(slug)
    return TenantRef(id=row.id, slug=row.slug, name=row.name)
