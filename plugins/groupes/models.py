"""The groupes tables. Every table is named ``groupes_*`` and lives in the employer's schema.

Capacity and waiting-list order are held by the database, not by Python checks alone:
- a registered person holds a numbered seat; seats are unique per group and lie between 1 and
  the group's capacity (``seat <= group_capacity``, where ``group_capacity`` follows the group's
  capacity through a composite foreign key ``ON UPDATE CASCADE``): a group can never hold more
  registered people than places;
- a waiting person holds a rank, unique per group: the waiting list has one order;
- one registration row per person and group (re-registering after a cancellation reuses it);
- writers take ``SELECT ... FOR UPDATE`` on the group row first, so that registrations,
  cancellations and promotions of one group run one after the other."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from plugins.base import TenantModel, tenant_table_args

RECURRENCES = {
    "weekly": "Chaque semaine",
    "monthly": "Chaque mois",
    "custom": "Dates choisies une à une",
}
GROUP_STATUSES = {"open": "Ouvert", "closed": "Clos"}
REGISTRATION_STATUSES = {
    "registered": "Inscrit",
    "waiting": "En liste d'attente",
    "cancelled": "Désinscrit",
}


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Groupe(TenantModel):
    """An open peer group facilitated by a pair-aidant."""

    __tablename__ = "groupes_groupe"
    __table_args__ = tenant_table_args(
        sa.CheckConstraint("capacity BETWEEN 1 AND 200", name="capacity"),
        sa.CheckConstraint(_in("recurrence", RECURRENCES), name="recurrence"),
        sa.CheckConstraint(_in("status", GROUP_STATUSES), name="status"),
        # Target of the registrations' (groupe_id, group_capacity) foreign key.
        sa.UniqueConstraint("id", "capacity", name="groupes_groupe_id_capacity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    theme: Mapped[str] = mapped_column(sa.String(500))
    #: The facilitating pair-aidant (``profile.id``).
    facilitator_id: Mapped[int] = mapped_column(index=True)
    place: Mapped[str | None] = mapped_column(sa.String(200))
    video_url: Mapped[str | None] = mapped_column(sa.String(500))
    recurrence: Mapped[str] = mapped_column(sa.String(20))
    duration_minutes: Mapped[int] = mapped_column()
    capacity: Mapped[int] = mapped_column()
    #: Whether participants see each other's names (the facilitator always does).
    names_visible: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    status: Mapped[str] = mapped_column(sa.String(20), default="open", server_default="open")
    #: When the group was closed (its future sessions cancelled, no more registration).
    closed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now())
    version: Mapped[int] = mapped_column(default=1, server_default="1")


class Seance(TenantModel):
    """One session of a group."""

    __tablename__ = "groupes_seance"
    __table_args__ = tenant_table_args(
        sa.UniqueConstraint("groupe_id", "starts_at", name="groupes_seance_groupe_starts"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    groupe_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tenant.groupes_groupe.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), index=True)
    ends_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    cancelled: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: When the facilitator took attendance (the session was held).
    attendance_taken_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    reminder_sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    #: Bumped at each attendance taken: a stale attendance form is refused (409).
    version: Mapped[int] = mapped_column(default=1, server_default="1")


class Inscription(TenantModel):
    """A person's registration to a group: registered (with a seat), waiting (with a rank) or
    cancelled."""

    __tablename__ = "groupes_inscription"
    __table_args__ = tenant_table_args(
        sa.UniqueConstraint("groupe_id", "profile_id", name="groupes_inscription_person"),
        sa.UniqueConstraint("groupe_id", "seat", name="groupes_inscription_seat"),
        sa.UniqueConstraint("groupe_id", "rank", name="groupes_inscription_rank"),
        sa.ForeignKeyConstraint(
            ["groupe_id", "group_capacity"],
            ["tenant.groupes_groupe.id", "tenant.groupes_groupe.capacity"],
            name="groupes_inscription_group_capacity", onupdate="CASCADE", ondelete="CASCADE"),
        sa.CheckConstraint(_in("status", REGISTRATION_STATUSES), name="status"),
        sa.CheckConstraint("(status = 'registered') = (seat IS NOT NULL)", name="seat_iff_registered"),
        sa.CheckConstraint("(status = 'waiting') = (rank IS NOT NULL)", name="rank_iff_waiting"),
        sa.CheckConstraint("seat BETWEEN 1 AND group_capacity", name="seat_within_capacity"),
        sa.CheckConstraint("rank >= 1", name="rank_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    groupe_id: Mapped[int] = mapped_column(index=True)
    #: Copy of the group's capacity, kept in step by the foreign key.
    group_capacity: Mapped[int] = mapped_column()
    profile_id: Mapped[int] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(sa.String(20))
    seat: Mapped[int | None] = mapped_column()
    rank: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now())
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now(), onupdate=sa.func.now())
    promoted_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class Presence(TenantModel):
    """Attendance of one registered person at one session, taken by the facilitator."""

    __tablename__ = "groupes_presence"

    seance_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tenant.groupes_seance.id", ondelete="CASCADE"), primary_key=True)
    profile_id: Mapped[int] = mapped_column(primary_key=True)
    present: Mapped[bool] = mapped_column()


ALL = (Groupe, Seance, Inscription, Presence)
