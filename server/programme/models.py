"""The référent's workspace: which programme models the employer runs and their settings, the
framing sheet and its versions, the peer helpers with their selection, mission and training."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.employers.models import Profile
from server.models import TenantModel, tenant_table_args


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


# --- the framing sheet (the seed's "Fiche outil #1 — Définition du cadre du projet") ----------

#: The sheet's limits, from the seed: 5 main problems, 8 positive elements.
MAX_PROBLEMS = 5
MAX_POSITIVES = 8
ITEM_MAX_LENGTH = 300
TEXT_MAX_LENGTH = 3000


class FramingVersion(TenantModel):
    """One saved version of the framing sheet. Versions are never changed: every save writes
    the next number, so the history is complete and two référents cannot overwrite each other
    (the number is unique; a save made on an older version is refused)."""

    __tablename__ = "framing_version"
    __table_args__ = tenant_table_args(
        sa.UniqueConstraint("number"),
        # At most one validated version at a time.
        sa.Index("uq_framing_version_validated", "validated", unique=True,
                 postgresql_where=sa.text("validated")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: 1, 2, 3… in the order of saving.
    number: Mapped[int] = mapped_column()
    problems: Mapped[list] = mapped_column(JSONB, default=list, server_default="[]")
    positives: Mapped[list] = mapped_column(JSONB, default=list, server_default="[]")
    objectives: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    expected_results: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    #: How the programme fits the employer's disability / job-retention policy.
    policy_link: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    validated: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    validated_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    validated_by: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )
    #: The account that saved it (no foreign key across schemas).
    created_by: Mapped[int | None] = mapped_column()

    def content(self) -> dict:
        return {"problems": list(self.problems), "positives": list(self.positives),
                "objectives": self.objectives, "expected_results": self.expected_results,
                "policy_link": self.policy_link}


# --- peer helpers ------------------------------------------------------------------------------

#: The seed's selection criteria for a peer helper ("POUR QUI ?"), in its order.
CRITERIA = {
    "experience": "Expérience vécue",
    "recul": "Capacité de recul",
    "motivation": "Motivation à transmettre",
    "relationnel": "Compétences relationnelles",
    "ecoute": "Écoute",
    "disponibilite": "Disponibilité",
    "formation": "Formation éventuelle",
}
ASSESSMENTS = {
    "not_assessed": "Non évalué",
    "met": "Rempli",
    "partly": "En partie",
    "not_met": "Non rempli",
}
DECISIONS = {
    "candidate": "Candidature à l'étude",
    "selected": "Retenu",
    "not_selected": "Non retenu",
}
TRAINING_KINDS = {
    "formation": "Formation",
    "supervision": "Supervision",
    "pluridisciplinaire": "Travail pluridisciplinaire",
}


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class PeerHelper(TenantModel):
    """A peer helper (candidate or selected): a member of the space (internal) or a person from
    outside, named with their organisation and needing no account (external)."""

    __tablename__ = "peer_helper"
    __table_args__ = tenant_table_args(
        sa.CheckConstraint("kind IN ('internal', 'external')", name="kind"),
        sa.CheckConstraint(_in("decision", DECISIONS), name="decision"),
        sa.CheckConstraint(
            "(kind = 'internal' AND profile_id IS NOT NULL) OR "
            "(kind = 'external' AND profile_id IS NULL AND name IS NOT NULL)",
            name="identity"),
        sa.CheckConstraint("mission_end IS NULL OR mission_start IS NULL "
                           "OR mission_end > mission_start", name="mission_dates"),
        sa.CheckConstraint("hours_per_month IS NULL OR hours_per_month > 0", name="hours"),
        sa.UniqueConstraint("profile_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    #: Internal peer helpers: their programme profile.
    profile_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("tenant.profile.id", ondelete="RESTRICT"))
    #: External peer helpers: name and organisation.
    name: Mapped[str | None] = mapped_column(sa.String(120))
    organisation: Mapped[str | None] = mapped_column(sa.String(160))
    decision: Mapped[str] = mapped_column(sa.String(20), default="candidate",
                                          server_default="candidate")
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    #: The mission sheet.
    missions: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    hours_per_month: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 1))
    mission_start: Mapped[date | None] = mapped_column(sa.Date)
    mission_end: Mapped[date | None] = mapped_column(sa.Date)
    #: Bumped on every change, so that a form opened on an older state is refused.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now(), onupdate=sa.func.now()
    )
    updated_by: Mapped[int | None] = mapped_column()

    profile: Mapped[Profile | None] = relationship(lazy="joined")
    assessments: Mapped[list[CriterionAssessment]] = relationship(
        back_populates="peer_helper", cascade="all, delete-orphan", lazy="selectin")
    trainings: Mapped[list[TrainingRecord]] = relationship(
        back_populates="peer_helper", cascade="all, delete-orphan",
        order_by="TrainingRecord.on_date.desc(), TrainingRecord.id.desc()")

    @property
    def display_name(self) -> str:
        if self.kind == "internal":
            return self.profile.display_name if self.profile else "Membre de l'espace"
        return self.name or ""

    @property
    def has_mission(self) -> bool:
        return bool(self.missions or self.hours_per_month or self.mission_start)

    def assessment_of(self, criterion: str) -> CriterionAssessment | None:
        return next((a for a in self.assessments if a.criterion == criterion), None)


class CriterionAssessment(TenantModel):
    """The référent's assessment of one selection criterion for one peer helper."""

    __tablename__ = "peer_helper_criterion"
    __table_args__ = tenant_table_args(
        sa.CheckConstraint(_in("criterion", CRITERIA), name="criterion"),
        sa.CheckConstraint(_in("assessment", ASSESSMENTS), name="assessment"),
    )

    peer_helper_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tenant.peer_helper.id", ondelete="CASCADE"), primary_key=True)
    criterion: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    assessment: Mapped[str] = mapped_column(sa.String(20), default="not_assessed",
                                            server_default="not_assessed")
    comment: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    peer_helper: Mapped[PeerHelper] = relationship(back_populates="assessments")


class TrainingRecord(TenantModel):
    """A training, supervision or multidisciplinary work session of a peer helper."""

    __tablename__ = "peer_helper_training"
    __table_args__ = tenant_table_args(
        sa.CheckConstraint(_in("kind", TRAINING_KINDS), name="kind"),
        sa.CheckConstraint("hours > 0", name="hours"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    peer_helper_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tenant.peer_helper.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.String(200))
    on_date: Mapped[date] = mapped_column(sa.Date)
    hours: Mapped[Decimal] = mapped_column(sa.Numeric(5, 1))
    provider: Mapped[str] = mapped_column(sa.String(160), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )
    created_by: Mapped[int | None] = mapped_column()

    peer_helper: Mapped[PeerHelper] = relationship(back_populates="trainings")
