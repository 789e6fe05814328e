"""E-mails of the permanences model: the reminder of the day before (a periodic job run for each
employer by the scheduler, see ``Permanences.periodic_jobs``), the news of a cancellation (of
a booking, a slot or a series) and the booking confirmation with the slot's .ics.

Messages go through ``notify_people`` (an RQ job per message, after commit). They say when and
where, never why someone comes: nothing about anyone's health, and never the name of an
anonymous booker."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from plugins.base import CalendarEvent, current_tenant, db, event_ics, notify_people
from plugins.permanences.models import MODES, Booking, Slot
from plugins.permanences.service import french, now, settings


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


def tell_slot_cancelled(slot: Slot, booking: Booking | None, by_referent: bool = False) -> None:
    """The pair-aidant (or a référent) cancelled a slot: its booker, if any, is told."""
    if booking is None:
        return
    by = ("par l'équipe qui coordonne les permanences" if by_referent
          else "par la personne qui l'animait")
    notify_people(
        (booking.booker_id,), "Votre rendez-vous est annulé",
        f"Bonjour,\n\nLe rendez-vous du {french(slot.starts_at)} est annulé {by}. "
        "Vous pouvez réserver un autre créneau dans Entrepairs.")


def tell_series_cancelled(cancelled: list[tuple[Slot, Booking | None]], helper_id: int,
                          by_helper: bool) -> None:
    """A series was cancelled: each booker is told (one message per slot, as for one slot);
    the pair-aidant too when a référent did it (dates only, never who had booked)."""
    for slot, booking in cancelled:
        tell_slot_cancelled(slot, booking, by_referent=not by_helper)
    if not by_helper and cancelled:
        first, last = cancelled[0][0], cancelled[-1][0]
        notify_people(
            (helper_id,), "Vos créneaux de permanence sont annulés",
            f"Bonjour,\n\nUn référent a annulé {len(cancelled)} créneau(x) de votre série de "
            f"permanences, du {french(first.starts_at)} au {french(last.starts_at)}. Les "
            "personnes qui en avaient réservé un sont prévenues.")


def confirm_booking(booking: Booking, slot: Slot, helper_name: str, slot_url: str,
                    base_url: str) -> None:
    """Confirm a booking to the person who booked (and to nobody else: an anonymous booker is
    known only to themselves): when (Europe/Paris), where or how to join, how to cancel and
    until when, with the slot as an .ics file for their calendar. Sent by an RQ job."""
    hours = settings()["cancellation_deadline_hours"]
    deadline = slot.starts_at - timedelta(hours=hours)
    if deadline > now():
        how_to_cancel = (f"Vous pouvez annuler jusqu'au {french(deadline)} ({hours} heure(s) "
                         f"avant le début), sur la page du créneau : {slot_url} (bouton "
                         "« Annuler ma réservation »).")
    else:
        how_to_cancel = ("Il n'est plus possible d'annuler en ligne : si vous ne pouvez pas "
                         "venir, prévenez le pair-aidant. Page du créneau : " + slot_url)
    anonymous = ("\n\nVous avez réservé de façon anonyme : le pair-aidant voit seulement un "
                 "pseudonyme, jamais votre nom.") if booking.anonymous else ""
    slug = current_tenant().slug
    event = CalendarEvent(
        uid=f"permanences-booking-{booking.id}@{slug}", title=f"Permanence avec {helper_name}",
        start=slot.starts_at, end=slot.ends_at, location=_location(slot),
        url=f"/e/{slug}/permanences/creneaux/{slot.id}")
    ics = event_ics(event, "Permanences", f"Entrepairs — {current_tenant().name}", base_url)
    notify_people(
        (booking.booker_id,), "Votre rendez-vous est réservé",
        f"Bonjour,\n\nVotre rendez-vous avec {helper_name} est réservé le "
        f"{french(slot.starts_at)} (heure de Paris), pour {slot.duration_minutes} minutes, "
        f"{_where(slot)}.{anonymous}\n\n{how_to_cancel}\n\nLe rendez-vous est joint à ce "
        "message (fichier .ics) pour l'ajouter à votre agenda.",
        attachments=(("permanence.ics", "text/calendar", ics),))


def _location(slot: Slot) -> str:
    label = MODES.get(slot.mode, slot.mode)
    return f"{label} : {slot.location}" if slot.location else label
