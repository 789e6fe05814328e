"""E-clubs and what hangs on them, in the ``network`` schema."""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db

NETWORK = "network"
ACCOUNT_ID = f"{NETWORK}.account.id"

#: E-club states.
STATUSES = {"scheduled": "Programmé", "cancelled": "Annulé"}
#: Question states.
QUESTION_STATUSES = {"open": "En attente de réponse", "answered": "Répondue",
                     "merged": "Regroupée avec une autre"}
#: When a resource is shown: with the announcement, or in « Après la séance ».
RESOURCE_PHASES = {"before": "Avant la séance", "after": "Après la séance"}


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class EClub(db.Model):
    """One e-club session."""

    __tablename__ = "eclub"
    __table_args__ = (
        sa.CheckConstraint(_in("status", STATUSES), name="status"),
        sa.CheckConstraint("duration_minutes BETWEEN 15 AND 480", name="duration"),
        sa.CheckConstraint("video_url IS NULL OR video_url LIKE 'https://%'", name="video_https"),
        sa.CheckConstraint("replay_url IS NULL OR replay_url LIKE 'https://%'",
                           name="replay_https"),
        sa.CheckConstraint("(status = 'cancelled') = (cancelled_at IS NOT NULL)",
                           name="cancelled_at"),
        {"schema": NETWORK},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    #: Start, entered in Europe/Paris and stored as an instant.
    starts_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), index=True)
    duration_minutes: Mapped[int] = mapped_column(sa.Integer)
    #: The webinar's link: members only (never in the public feed).
    video_url: Mapped[str | None] = mapped_column(sa.String(500))
    status: Mapped[str] = mapped_column(sa.String(20), default="scheduled",
                                        server_default="scheduled")
    cancelled_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    #: The recording, attached after the session.
    replay_url: Mapped[str | None] = mapped_column(sa.String(500))
    #: A short text shown in « Après la séance ».
    summary: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    #: iCalendar SEQUENCE: goes up at each change that calendars must apply.
    sequence: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    #: The start the reminder was sent for (a reminder goes once per start time).
    reminded_for: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_by: Mapped[int | None] = mapped_column(
        sa.ForeignKey(ACCOUNT_ID, ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.func.now())
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.func.now())

    agenda: Mapped[list[AgendaItem]] = relationship(
        order_by="AgendaItem.position", cascade="all, delete-orphan", lazy="selectin")
    resources: Mapped[list[EClubResource]] = relationship(
        order_by="EClubResource.position", cascade="all, delete-orphan", lazy="selectin")

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def is_cancelled(self) -> bool:
        return self.status == "cancelled"

    def is_past(self, now: datetime) -> bool:
        return self.ends_at <= now

    @property
    def uid(self) -> str:
        """Stable iCalendar UID: the same event in every invitation, update and feed."""
        return f"eclub-{self.id}@entrepairs"


class AgendaItem(db.Model):
    """One item of the « ordre du jour », with its speakers."""

    __tablename__ = "eclub_agenda_item"
    __table_args__ = (sa.UniqueConstraint("eclub_id", "position"), {"schema": NETWORK})

    id: Mapped[int] = mapped_column(primary_key=True)
    eclub_id: Mapped[int] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.eclub.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(sa.Integer)
    title: Mapped[str] = mapped_column(sa.String(200))
    #: ``[{"name": "…", "role": "…"}, …]`` in speaking order.
    speakers: Mapped[list] = mapped_column(JSONB, default=list, server_default="[]")


class EClubResource(db.Model):
    """A linked resource (a URL with its label) shown before or after the session."""

    __tablename__ = "eclub_resource"
    __table_args__ = (
        sa.UniqueConstraint("eclub_id", "position"),
        sa.CheckConstraint(_in("phase", RESOURCE_PHASES), name="phase"),
        sa.CheckConstraint("url LIKE 'https://%' OR url LIKE 'http://%'", name="url"),
        {"schema": NETWORK},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    eclub_id: Mapped[int] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.eclub.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(sa.Integer)
    phase: Mapped[str] = mapped_column(sa.String(10), default="before")
    label: Mapped[str] = mapped_column(sa.String(200))
    url: Mapped[str] = mapped_column(sa.String(500))


class Registration(db.Model):
    """A person registered to an e-club: once per person (primary key)."""

    __tablename__ = "eclub_registration"
    __table_args__ = {"schema": NETWORK}

    eclub_id: Mapped[int] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.eclub.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey(ACCOUNT_ID, ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.func.now())


class Question(db.Model):
    """A member's question (« À vos questions »)."""

    __tablename__ = "eclub_question"
    __table_args__ = (
        sa.CheckConstraint(_in("status", QUESTION_STATUSES), name="status"),
        sa.CheckConstraint("(status = 'merged') = (merged_into_id IS NOT NULL)", name="merged"),
        sa.CheckConstraint("merged_into_id IS NULL OR merged_into_id <> id", name="not_self"),
        {"schema": NETWORK},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    eclub_id: Mapped[int] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.eclub.id", ondelete="CASCADE"), index=True)
    #: Kept even when the name is hidden: the animateur sees it, to moderate.
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey(ACCOUNT_ID, ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(sa.Text)
    #: Other members do not see the author's name.
    anonymous: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    status: Mapped[str] = mapped_column(sa.String(10), default="open", server_default="open")
    merged_into_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.eclub_question.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.func.now())
    answered_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class Support(db.Model):
    """One person supports one question: once (primary key)."""

    __tablename__ = "eclub_question_support"
    __table_args__ = {"schema": NETWORK}

    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.eclub_question.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey(ACCOUNT_ID, ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.func.now())
