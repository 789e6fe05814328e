"""The interventions table: a référent asks a pair-aidant to take part in an awareness session
(sensibilisation) or a job-retention committee (comité de maintien dans l'emploi); the
pair-aidant accepts or declines; once held, its audience, time spent and outcome are reported.

Nothing here describes anyone's health: the subject is a short title, the outcome a closed list."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from plugins.base import TenantModel, tenant_table_args

KINDS = {
    "sensibilisation": "Séance de sensibilisation",
    "comite": "Comité de maintien dans l'emploi",
}
STATUSES = {
    "requested": "Demandée",
    "accepted": "Acceptée",
    "declined": "Refusée",
    "held": "Réalisée",
    "cancelled": "Annulée",
}
OUTCOMES = {
    "atteint": "Objectifs atteints",
    "partiel": "Objectifs atteints en partie",
    "non-atteint": "Objectifs non atteints",
}


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Intervention(TenantModel):
    __tablename__ = "interventions_intervention"
    __table_args__ = tenant_table_args(
        sa.CheckConstraint(_in("kind", KINDS), name="kind"),
        sa.CheckConstraint(_in("status", STATUSES), name="status"),
        sa.CheckConstraint("outcome IS NULL OR " + _in("outcome", OUTCOMES), name="outcome"),
        sa.CheckConstraint("planned_minutes BETWEEN 15 AND 600", name="planned_minutes"),
        sa.CheckConstraint("minutes_spent IS NULL OR minutes_spent BETWEEN 1 AND 1440",
                           name="minutes_spent"),
        sa.CheckConstraint("audience_size IS NULL OR audience_size BETWEEN 0 AND 10000",
                           name="audience_size"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.String(160))
    starts_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), index=True)
    planned_minutes: Mapped[int] = mapped_column()
    location: Mapped[str | None] = mapped_column(sa.String(160))
    #: Programme profile ids (no foreign key across the plugin boundary is needed).
    helper_id: Mapped[int] = mapped_column(index=True)
    requested_by: Mapped[int | None] = mapped_column()
    status: Mapped[str] = mapped_column(sa.String(20), default="requested",
                                        server_default="requested")
    audience_size: Mapped[int | None] = mapped_column()
    minutes_spent: Mapped[int | None] = mapped_column()
    outcome: Mapped[str | None] = mapped_column(sa.String(20))
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now())
    answered_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    reported_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    version: Mapped[int] = mapped_column(default=1, server_default="1")


ALL = (Intervention,)
