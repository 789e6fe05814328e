"""Topic proposals, polls and ballots, in the ``network`` schema.

Secrecy by design: ``poll_voter`` says who voted (so nobody votes twice), ``poll_ballot`` says
what was chosen, and nothing joins them. A ballot is keyed by an HMAC of the poll and the voter
(or the voter's employer) under the application secret: the same voter lands on the same row,
so a changed ballot replaces the old one, but the row names nobody and carries no time."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db

NETWORK = "network"

#: Proposal status → French label.
TOPIC_STATUSES = {
    "proposed": "Proposé",
    "kept": "Retenu pour un sondage",
    "rejected": "Écarté",
    "merged": "Fusionné avec un autre thème",
}
#: Counting methods → French label.
METHODS = {
    "approval": "Vote par approbation (plusieurs choix possibles)",
    "schulze": "Vote par classement (méthode de Schulze)",
}
#: Who casts a ballot.
SCOPES = {
    "person": "Un bulletin par personne",
    "employer": "Un bulletin par employeur (déposé par un référent ou une référente)",
}


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class TopicProposal(db.Model):
    """A topic proposed for a future e-club."""

    __tablename__ = "topic_proposal"
    __table_args__ = (sa.CheckConstraint(_in("status", TOPIC_STATUSES), name="status"),
                      {"schema": NETWORK})

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    #: Why it matters, in the proposer's words.
    reason: Mapped[str] = mapped_column(sa.Text)
    proposer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.account.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(sa.String(20), default="proposed",
                                        server_default="proposed")
    #: Shown to the proposer when the topic is set aside.
    rejection_reason: Mapped[str | None] = mapped_column(sa.Text)
    merged_into_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.topic_proposal.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.func.now())
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    decided_by: Mapped[int | None] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.account.id", ondelete="SET NULL"))


class TopicSupport(db.Model):
    """One person supports one topic (the proposer supports their own). Kept through merges."""

    __tablename__ = "topic_support"
    __table_args__ = {"schema": NETWORK}

    topic_id: Mapped[int] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.topic_proposal.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.account.id", ondelete="CASCADE"), primary_key=True, index=True)


class Poll(db.Model):
    __tablename__ = "poll"
    __table_args__ = (
        sa.CheckConstraint("closes_at > opens_at", name="closes_after_opening"),
        sa.CheckConstraint(_in("method", METHODS), name="method"),
        sa.CheckConstraint(_in("scope", SCOPES), name="scope"),
        sa.CheckConstraint("method <> 'approval' OR max_choices >= 1", name="max_choices"),
        {"schema": NETWORK},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    method: Mapped[str] = mapped_column(sa.String(20))
    #: Approval only: how many topics a ballot may approve.
    max_choices: Mapped[int | None] = mapped_column()
    scope: Mapped[str] = mapped_column(sa.String(20), default="person", server_default="person")
    opens_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    closes_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), index=True)
    #: Results shown while the vote runs (True) or only once it is closed.
    results_during_vote: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_by: Mapped[int | None] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True),
                                                 server_default=sa.func.now())
    #: Set once, by the close (job or sweep), with the results computed then.
    closed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    results: Mapped[dict | None] = mapped_column(JSONB)
    #: The e-club made from the winning topic, once made (no foreign key: e-clubs are their
    #: own feature and may be deleted without touching the poll).
    eclub_id: Mapped[int | None] = mapped_column()

    options: Mapped[list[PollOption]] = relationship(
        order_by="PollOption.position", cascade="all, delete-orphan", lazy="selectin")


class PollOption(db.Model):
    """A kept topic offered in a poll, its title copied as it was when the poll opened."""

    __tablename__ = "poll_option"
    __table_args__ = (sa.UniqueConstraint("poll_id", "topic_id"), {"schema": NETWORK})

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.poll.id", ondelete="CASCADE"), index=True)
    topic_id: Mapped[int] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.topic_proposal.id", ondelete="RESTRICT"))
    position: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(sa.String(200))


class PollVoter(db.Model):
    """Who voted in a poll — never what they chose. One row per voter and poll (per person, or
    per employer for a one-ballot-per-employer poll: then the last référent who voted)."""

    __tablename__ = "poll_voter"
    __table_args__ = {"schema": NETWORK}

    poll_id: Mapped[int] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.poll.id", ondelete="CASCADE"), primary_key=True)
    #: ``p<account id>`` or ``e<employer id>``.
    voter_key: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    account_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.account.id", ondelete="SET NULL"), index=True)
    tenant_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.tenant.id", ondelete="SET NULL"))


class PollBallot(db.Model):
    """What one ballot chose, with no account, no employer and no time: the key is
    HMAC-SHA256(secret, poll and voter key). A changed ballot overwrites its row."""

    __tablename__ = "poll_ballot"
    __table_args__ = {"schema": NETWORK}

    poll_id: Mapped[int] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.poll.id", ondelete="CASCADE"), primary_key=True)
    ballot_key: Mapped[bytes] = mapped_column(sa.LargeBinary(32), primary_key=True)
    #: Option ids: a set for approval, most preferred first for a ranking.
    choices: Mapped[list] = mapped_column(JSONB)
