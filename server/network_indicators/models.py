"""The stored network indicators, in the shared ``network`` schema: only protected tables.

A cell that did not pass the rules is stored without its value (``value`` NULL) and with the
reason it is hidden; per-employer figures are never stored."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db

RUN_STATUSES = ("pending", "running", "done", "failed")
REASONS = ("primary", "secondary")


class IndicatorRun(db.Model):
    """One computation of the network indicators (scheduled, or asked for by an animateur)."""

    __tablename__ = "indicator_run"
    __table_args__ = (
        sa.CheckConstraint("status IN ('pending', 'running', 'done', 'failed')", name="status"),
        {"schema": "network"},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(10), default="pending",
                                        server_default="pending")
    #: Who pressed « Recalculer » (``None``: the daily schedule).
    requested_by: Mapped[int | None] = mapped_column(
        sa.ForeignKey("network.account.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now())
    started_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True), index=True)
    #: Employer schemas read.
    employers_read: Mapped[int] = mapped_column(default=0, server_default="0")
    #: The period activity figures cover (both days included).
    period_start: Mapped[date | None] = mapped_column(sa.Date)
    period_end: Mapped[date | None] = mapped_column(sa.Date)
    #: Why a run failed (for operators; never shown with figures).
    error: Mapped[str | None] = mapped_column(sa.Text)


class IndicatorCell(db.Model):
    """One cell of a protected table: published (``value``) or hidden (``reason``)."""

    __tablename__ = "indicator_cell"
    __table_args__ = (
        sa.CheckConstraint("reason IS NULL OR reason IN ('primary', 'secondary')",
                           name="reason"),
        sa.CheckConstraint("(value IS NULL) = (reason IS NOT NULL)", name="value_or_reason"),
        {"schema": "network"},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        sa.ForeignKey("network.indicator_run.id", ondelete="CASCADE"), index=True)
    #: Which table (``programmes``, ``personnes``, ``activite``, ``satisfaction``...).
    table_key: Mapped[str] = mapped_column(sa.String(40))
    row_key: Mapped[str] = mapped_column(sa.String(120))
    row_label: Mapped[str] = mapped_column(sa.String(240))
    column_key: Mapped[str] = mapped_column(sa.String(40))
    column_label: Mapped[str] = mapped_column(sa.String(120))
    #: NULL when the cell is hidden (« secret statistique »).
    value: Mapped[float | None] = mapped_column(sa.Float)
    #: ``primary`` (the cell itself fails the rules) or ``secondary`` (hidden so that another
    #: hidden cell cannot be recomputed); NULL when published.
    reason: Mapped[str | None] = mapped_column(sa.String(10))
