"""Export and erasure requests (``network``) and retention runs (employer schema)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db
from server.models import TenantModel, tenant_table_args

NETWORK = "network"
ACCOUNT_ID = f"{NETWORK}.account.id"

EXPORT_STATUSES = {"queued": "En préparation", "ready": "Prêt", "failed": "Échec",
                   "expired": "Expiré"}
ERASURE_STATUSES = {"queued": "En cours", "done": "Effectué", "failed": "Échec"}
#: ``all``: every space and the account (the person's own request); ``space``: one employer
#: space (a référent's request on the person's behalf).
ERASURE_SCOPES = {"all": "Toutes les données et le compte", "space": "Un espace employeur"}


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class DataExport(db.Model):
    """A person's request for a copy of their data; the files are kept ``expires_at``."""

    __tablename__ = "personal_data_export"
    __table_args__ = (sa.CheckConstraint(_in("status", EXPORT_STATUSES), name="status"),
                      {"schema": NETWORK})

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey(ACCOUNT_ID, ondelete="CASCADE"),
                                         index=True)
    status: Mapped[str] = mapped_column(sa.String(10), default="queued",
                                        server_default="queued")
    requested_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                   server_default=sa.func.now())
    ready_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True), index=True)
    #: Random name of the two stored files (``<key>.json``, ``<key>.html``).
    storage_key: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    #: How many employer spaces the export covers.
    spaces: Mapped[int | None] = mapped_column()

    @property
    def status_label(self) -> str:
        return EXPORT_STATUSES[self.status]


class ErasureRequest(db.Model):
    """An erasure, asked by the person (``all``) or by a référent (``space``). The report
    holds counts only, so it can be kept as the proof that the request was carried out."""

    __tablename__ = "erasure_request"
    __table_args__ = (
        sa.CheckConstraint(_in("status", ERASURE_STATUSES), name="status"),
        sa.CheckConstraint(_in("scope", ERASURE_SCOPES), name="scope"),
        sa.CheckConstraint("(scope = 'space') = (tenant_id IS NOT NULL)", name="space_tenant"),
        {"schema": NETWORK},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The erased account (kept, scrubbed, when the scope is ``all``).
    subject_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey(ACCOUNT_ID, ondelete="SET NULL"), index=True)
    scope: Mapped[str] = mapped_column(sa.String(10))
    tenant_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.tenant.id", ondelete="CASCADE"), index=True)
    requested_by: Mapped[int | None] = mapped_column(
        sa.ForeignKey(ACCOUNT_ID, ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(sa.String(10), default="queued",
                                        server_default="queued")
    requested_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                   server_default=sa.func.now())
    done_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    #: {"<space name or 'Réseau'>": {"<French label>": count, ...}, ...}
    report: Mapped[dict] = mapped_column(JSONB, default=dict, server_default="{}")

    @property
    def status_label(self) -> str:
        return ERASURE_STATUSES[self.status]


class RetentionRun(TenantModel):
    """One application of the employer's retention periods, and what it removed."""

    __tablename__ = "retention_run"
    __table_args__ = tenant_table_args(
        sa.CheckConstraint("status IN ('running', 'done', 'failed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.func.now(), index=True)
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    status: Mapped[str] = mapped_column(sa.String(10), default="running",
                                        server_default="running")
    #: The periods applied, in days, by kind key.
    periods: Mapped[dict] = mapped_column(JSONB, default=dict, server_default="{}")
    #: What was removed or anonymised: [{"key", "label", "count"}, ...] in display order.
    removed: Mapped[list] = mapped_column(JSONB, default=list, server_default="[]")
