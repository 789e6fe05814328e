"""The binômes tables. Every table is named ``binomes_*`` and lives in the employer's schema.

Confidentiality: what the two members of a pair write about their meetings lives in its own
table (``binomes_meeting_note``), read by one query only, after checking that the reader is a
member of the pair. No view or API endpoint of the référent touches that table."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from plugins.base import TenantModel, tenant_table_args

#: The life of a binôme. ``declined`` ends a proposal that one side refused.
STATUSES = {
    "proposed": "Proposé",
    "accepted": "Accepté",
    "active": "Actif",
    "closed": "Clos",
    "declined": "Refusé",
}
#: Transitions allowed, from → to.
TRANSITIONS = {
    "proposed": {"accepted", "declined"},
    "accepted": {"active", "closed"},
    "active": {"closed"},
    "closed": set(),
    "declined": set(),
}
#: A binôme in one of these statuses holds its two members out of the matching pool.
ONGOING = ("proposed", "accepted", "active")
ANSWERS = ("pending", "accepted", "declined")
#: Why a binôme ends (a closed list: a free text could carry health details).
CLOSE_REASONS = {
    "objectifs-atteints": "Les objectifs sont atteints",
    "fin-de-periode": "La période prévue est terminée",
    "demande-pair-aidant": "À la demande du pair-aidant",
    "demande-pair-aide": "À la demande du pair-aidé",
    "depart": "Départ de l'un des membres",
    "autre": "Autre raison",
}
RUN_STATUSES = ("draft", "published", "discarded")


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class HelperProfile(TenantModel):
    """What a pair-aidant declares: experiences they can share, site, availability, capacity."""

    __tablename__ = "binomes_helper"
    __table_args__ = tenant_table_args(
        sa.CheckConstraint("capacity BETWEEN 0 AND 10", name="capacity"),
    )

    #: The person's programme profile (``profile.id``).
    profile_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tenant.profile.id", ondelete="CASCADE"), primary_key=True)
    experiences: Mapped[list] = mapped_column(JSONB, default=list, server_default="[]")
    site: Mapped[str | None] = mapped_column(sa.String(120))
    department: Mapped[str | None] = mapped_column(sa.String(120))
    availability: Mapped[list] = mapped_column(JSONB, default=list, server_default="[]")
    #: Maximum number of ongoing binômes.
    capacity: Mapped[int] = mapped_column(default=1, server_default="1")
    #: A pair-aidant on pause receives no new proposal.
    paused: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now(), onupdate=sa.func.now())


class SeekerProfile(TenantModel):
    """What a pair-aidé looks for, where and when, and whom they do not want to meet."""

    __tablename__ = "binomes_seeker"

    profile_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tenant.profile.id", ondelete="CASCADE"), primary_key=True)
    looking_for: Mapped[list] = mapped_column(JSONB, default=list, server_default="[]")
    site: Mapped[str | None] = mapped_column(sa.String(120))
    department: Mapped[str | None] = mapped_column(sa.String(120))
    availability: Mapped[list] = mapped_column(JSONB, default=list, server_default="[]")
    #: Nobody from my own department.
    exclude_same_department: Mapped[bool] = mapped_column(
        default=False, server_default=sa.false())
    #: Pair-aidants (profile ids) I do not want to meet, e.g. my hierarchy.
    excluded_helpers: Mapped[list] = mapped_column(JSONB, default=list, server_default="[]")
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now(), onupdate=sa.func.now())


class MatchingRun(TenantModel):
    """A set of proposals computed at once, that a référent adjusts then publishes."""

    __tablename__ = "binomes_run"
    __table_args__ = tenant_table_args(
        sa.CheckConstraint(_in("status", RUN_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(20), default="draft", server_default="draft")
    #: The weights used, copied from the settings at the time of the run.
    weights: Mapped[dict] = mapped_column(JSONB, default=dict, server_default="{}")
    created_by: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now())
    published_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    #: Bumped by every adjustment: a référent acting on an older view is refused (409).
    version: Mapped[int] = mapped_column(default=1, server_default="1")


class Proposal(TenantModel):
    """One pair proposed by a run, with the reasons of its score."""

    __tablename__ = "binomes_proposal"
    __table_args__ = tenant_table_args(
        sa.UniqueConstraint("run_id", "seeker_id", name="binomes_proposal_run_seeker"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tenant.binomes_run.id", ondelete="CASCADE"), index=True)
    helper_id: Mapped[int] = mapped_column()
    seeker_id: Mapped[int] = mapped_column()
    score: Mapped[float] = mapped_column(sa.Float)
    #: [[French reason, points], ...]
    explanation: Mapped[list] = mapped_column(JSONB, default=list, server_default="[]")


class Binome(TenantModel):
    """A pair pair-aidant / pair-aidé: proposed → accepted → active → closed."""

    __tablename__ = "binomes_binome"
    __table_args__ = tenant_table_args(
        sa.CheckConstraint(_in("status", STATUSES), name="status"),
        sa.CheckConstraint(_in("helper_answer", ANSWERS), name="helper_answer"),
        sa.CheckConstraint(_in("seeker_answer", ANSWERS), name="seeker_answer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("tenant.binomes_run.id", ondelete="SET NULL"))
    helper_id: Mapped[int] = mapped_column(index=True)
    seeker_id: Mapped[int] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(sa.String(20), default="proposed",
                                        server_default="proposed")
    helper_answer: Mapped[str] = mapped_column(sa.String(20), default="pending",
                                               server_default="pending")
    seeker_answer: Mapped[str] = mapped_column(sa.String(20), default="pending",
                                               server_default="pending")
    score: Mapped[float | None] = mapped_column(sa.Float)
    close_reason: Mapped[str | None] = mapped_column(sa.String(40))
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now())
    accepted_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    version: Mapped[int] = mapped_column(default=1, server_default="1")


class BinomeEvent(TenantModel):
    """The history of a binôme: each change of status or answer."""

    __tablename__ = "binomes_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    binome_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tenant.binomes_binome.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())
    #: Who did it (profile id), none for the system.
    actor_id: Mapped[int | None] = mapped_column()
    #: proposed, accepted-by-helper, declined-by-seeker, accepted, active, closed...
    event: Mapped[str] = mapped_column(sa.String(40))
    status: Mapped[str] = mapped_column(sa.String(20))
    reason: Mapped[str | None] = mapped_column(sa.String(40))


class Meeting(TenantModel):
    """A meeting of a pair: when, how long, how. Its note is in ``MeetingNote``."""

    __tablename__ = "binomes_meeting"
    __table_args__ = tenant_table_args(
        sa.CheckConstraint("duration_minutes BETWEEN 1 AND 600", name="duration"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    binome_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tenant.binomes_binome.id", ondelete="CASCADE"), index=True)
    held_on: Mapped[date] = mapped_column(sa.Date)
    duration_minutes: Mapped[int] = mapped_column()
    format: Mapped[str] = mapped_column(sa.String(80))
    logged_by: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now())


class MeetingNote(TenantModel):
    """Private notes of a meeting: readable by the two members of the pair only."""

    __tablename__ = "binomes_meeting_note"

    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tenant.binomes_meeting.id", ondelete="CASCADE"), primary_key=True)
    body: Mapped[str] = mapped_column(sa.Text)


class Reminder(TenantModel):
    """A reminder sent to a pair that has not met for a while: shown on the binôme's page and
    e-mailed to both members."""

    __tablename__ = "binomes_reminder"

    id: Mapped[int] = mapped_column(primary_key=True)
    binome_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tenant.binomes_binome.id", ondelete="CASCADE"), index=True)
    sent_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now())
    idle_days: Mapped[int] = mapped_column()


ALL = (HelperProfile, SeekerProfile, MatchingRun, Proposal, Binome, BinomeEvent, Meeting,
       MeetingNote, Reminder)
