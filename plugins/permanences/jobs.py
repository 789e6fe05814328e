"""E-mails of the permanences model: the reminder of the day before (a periodic job run for each
employer by the scheduler, see ``Permanences.periodic_jobs``) and the news of a cancellation.

Messages go through ``notify_people`` (an RQ job per message, after commit). They say when and
where, never why someone comes: nothing about anyone's health, and never the name of an
anonymous booker."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from plugins.base import db, notify_people
from plugins.permanences.models import Booking, Slot
from plugins.permanences.service import french, now


def _where(slot: Slot) -> str:
    if slot.mode == "remote":
        return "à distance" + (f" ({slot.location})" if slot.location else "")
    return f"sur place ({slot.location})" if slot.location else "sur place"


def send_reminders(at=None) -> list[int]:
    """Remind both sides of each booking whose slot starts within the next 24 hours, once.
    Returns the ids of the bookings reminded."""
    t = at or now()
    rows = db.session.execute(
        sa.select(Booking, Slot).join(Slot, Slot.id == Booking.slot_id)
        .where(Booking.status == "booked", Booking.reminded_at.is_(None),
               Slot.cancelled_at.is_(None), Slot.starts_at > t,
               Slot.starts_at <= t + timedelta(hours=24))
        .order_by(Slot.starts_at, Booking.id).with_for_update(of=Booking, skip_locked=True)
    ).all()
    for booking, _slot in rows:
        booking.reminded_at = t
    db.session.commit()
    for booking, slot in rows:  # after commit: no reminder of a change rolled back
        notify_people(
            (booking.booker_id,), "Rappel : votre rendez-vous de demain",
            f"Bonjour,\n\nVous avez un rendez-vous le {french(slot.starts_at)}, "
            f"{_where(slot)}, pour {slot.duration_minutes} minutes.\n\nSi vous ne pouvez plus "
            "venir, annulez-le dans Entrepairs pour libérer la place.")
        notify_people(
            (slot.helper_id,), "Rappel : votre créneau réservé de demain",
            f"Bonjour,\n\nLe créneau que vous animez le {french(slot.starts_at)}, "
            f"{_where(slot)}, est réservé.")
    return [booking.id for booking, _ in rows]


def tell_booking_cancelled(slot: Slot) -> None:
    """The booker cancelled: the pair-aidant is told, without the booker's name."""
    notify_people(
        (slot.helper_id,), "Une réservation de votre créneau est annulée",
        f"Bonjour,\n\nLa réservation de votre créneau du {french(slot.starts_at)} a été "
        "annulée. Le créneau est de nouveau libre.")


def tell_slot_cancelled(slot: Slot, booking: Booking | None) -> None:
    """The pair-aidant cancelled a slot: its booker, if any, is told."""
    if booking is None:
        return
    notify_people(
        (booking.booker_id,), "Votre rendez-vous est annulé",
        f"Bonjour,\n\nLe rendez-vous du {french(slot.starts_at)} est annulé par la personne "
        "qui l'animait. Vous pouvez réserver un autre créneau dans Entrepairs.")
