"""Survey tables, in the employer's schema.

``survey_response`` has no column naming a person, an invitation or a precise time: only the
day of the answer (for the dashboard's period). ``survey_answered`` is the only trace that a
given invitation was answered; it carries no time either."""
from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from server.models import TenantModel, tenant_table_args


class SurveyVersion(TenantModel):
    """One version of the questions of a survey kind. Never changed once written."""

    __tablename__ = "survey_version"
    __table_args__ = tenant_table_args(sa.UniqueConstraint("kind", "number"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    number: Mapped[int] = mapped_column()
    #: The questions' French texts, each answered on a scale of 1 to 5.
    questions: Mapped[list] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now())
    created_by: Mapped[int | None] = mapped_column()


class SurveyInvitation(TenantModel):
    """An invitation for one person (programme profile) to answer one survey."""

    __tablename__ = "survey_invitation"
    __table_args__ = tenant_table_args(
        # One 30-day follow-up per person.
        sa.Index("uq_survey_invitation_once", "profile_id", "kind", unique=True,
                 postgresql_where=sa.text("kind = 'suivi-30-jours'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tenant.profile.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    #: The programme model it is about (a plugin name), if any.
    model: Mapped[str | None] = mapped_column(sa.String(40))
    available_from: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now())


class SurveyAnswered(TenantModel):
    """That an invitation was answered — and nothing else (no time, no link to the answer)."""

    __tablename__ = "survey_answered"

    invitation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tenant.survey_invitation.id", ondelete="CASCADE"), primary_key=True)


class SurveyResponse(TenantModel):
    """One anonymous answer: scores (1 to 5, one per question of its version) and a comment."""

    __tablename__ = "survey_response"
    __table_args__ = tenant_table_args(
        sa.Index("ix_survey_response_kind_day", "kind", "answered_on"),
    )

    #: Random, so that the order of answers says nothing about who answered when.
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True,
                                          default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(sa.String(40))
    model: Mapped[str | None] = mapped_column(sa.String(40))
    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tenant.survey_version.id", ondelete="RESTRICT"))
    answered_on: Mapped[date] = mapped_column(sa.Date)
    scores: Mapped[list] = mapped_column(JSONB)
    #: Mean of the scores, kept for fast aggregation.
    mean_score: Mapped[float] = mapped_column(sa.Float)
    comment: Mapped[str | None] = mapped_column(sa.Text)


ALL = (SurveyVersion, SurveyInvitation, SurveyAnswered, SurveyResponse)
