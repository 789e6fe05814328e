"""The permanences tables. Every table is named ``permanences_*`` and lives in the employer's
schema.

A slot (``permanences_slot``) is run by one pair-aidant; a booking (``permanences_booking``)
holds who booked it. A slot is never booked twice: a partial unique index on the booking's
``slot_id`` among bookings that are not cancelled lets the database refuse the second one,
whatever the number of concurrent requests.

Confidentiality: an anonymous booking keeps the booker's profile id (so that they can cancel and
see it in their agenda) and a pseudonym; the pair-aidant is only ever shown the pseudonym, the
référent only counts."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from plugins.base import TenantModel, tenant_table_args

MODES = {"place": "Sur place", "remote": "À distance"}
BOOKING_STATUSES = {"booked": "Réservé", "cancelled": "Annulé"}


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Slot(TenantModel):
    """A drop-in slot run by a pair-aidant: when, how long, where or how."""

    __tablename__ = "permanences_slot"
    __table_args__ = tenant_table_args(
        sa.CheckConstraint("duration_minutes BETWEEN 5 AND 480", name="duration"),
        sa.CheckConstraint(_in("mode", MODES), name="mode"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The pair-aidant running it (``profile.id``).
    helper_id: Mapped[int] = mapped_column(index=True)
    starts_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), index=True)
    duration_minutes: Mapped[int] = mapped_column()
    mode: Mapped[str] = mapped_column(sa.String(20))
    #: A room (on site) or how to join (remote: "lien envoyé la veille", a phone number...).
    location: Mapped[str | None] = mapped_column(sa.String(200))
    #: Slots created together by one recurrence share the id of the first one.
    series_id: Mapped[int | None] = mapped_column()
    cancelled_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now())

    @property
    def ends_at(self) -> datetime:
        from datetime import timedelta
        return self.starts_at + timedelta(minutes=self.duration_minutes)


class Booking(TenantModel):
    """Who booked a slot (or a pseudonym for the pair-aidant, when anonymous)."""

    __tablename__ = "permanences_booking"
    __table_args__ = tenant_table_args(
        sa.CheckConstraint(_in("status", BOOKING_STATUSES), name="status"),
        # The guarantee: one live booking per slot, enforced by the database.
        sa.Index("permanences_booking_one_per_slot", "slot_id", unique=True,
                 postgresql_where=sa.text("status = 'booked'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tenant.permanences_slot.id", ondelete="CASCADE"), index=True)
    booker_id: Mapped[int] = mapped_column(index=True)
    anonymous: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: Shown to the pair-aidant instead of the name when ``anonymous``.
    pseudonym: Mapped[str | None] = mapped_column(sa.String(40))
    status: Mapped[str] = mapped_column(sa.String(20), default="booked", server_default="booked")
    booked_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now())
    cancelled_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    #: When the reminder of the day before was sent (once).
    reminded_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


ALL = (Slot, Booking)
