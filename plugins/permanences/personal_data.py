"""What the permanences model holds about a person, for their copy and for an erasure
(docs/personal_data.md).

Erasure: the person's bookings still to come are cancelled and so are the slots they were to
run (with the bookings on them, whose bookers are told); past slots and bookings stay for the figures, pointing at the
core's placeholder « Personne effacée » (an anonymous booking keeps its random pseudonym)."""
from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from plugins.base import Profile, db, enqueue_after_commit
from plugins.permanences.models import BOOKING_STATUSES, MODES, Booking, Slot


def personal_data(profile_id: int) -> dict[str, list[dict]]:
    slots = db.session.execute(sa.select(Slot).where(Slot.helper_id == profile_id)
                               .order_by(Slot.starts_at)).scalars().all()
    bookings = db.session.execute(
        sa.select(Booking, Slot, Profile.display_name).join(Slot, Slot.id == Booking.slot_id)
        .outerjoin(Profile, Profile.id == Slot.helper_id)
        .where(Booking.booker_id == profile_id).order_by(Slot.starts_at)).all()
    return {
        "Permanences que vous tenez ou avez tenues": [{
            "Début": s.starts_at, "Durée (minutes)": s.duration_minutes,
            "Forme": MODES.get(s.mode, s.mode), "Lieu ou accès": s.location,
            "Annulée le": s.cancelled_at} for s in slots],
        "Vos réservations": [{
            "Début": slot.starts_at, "Pair-aidant": helper, "Anonyme": b.anonymous,
            "Pseudonyme montré au pair-aidant": b.pseudonym,
            "État": BOOKING_STATUSES.get(b.status, b.status), "Réservée le": b.booked_at,
            "Annulée le": b.cancelled_at} for b, slot, helper in bookings],
    }


def erase_person(profile_id: int) -> dict[str, int]:
    now = datetime.now(UTC)
    future = sa.select(Slot.id).where(Slot.starts_at > now)
    own = db.session.execute(sa.update(Booking).where(
        Booking.booker_id == profile_id, Booking.status == "booked",
        Booking.slot_id.in_(future)).values(status="cancelled", cancelled_at=now)).rowcount
    slots = db.session.execute(sa.update(Slot).where(
        Slot.helper_id == profile_id, Slot.starts_at > now, Slot.cancelled_at.is_(None))
        .values(cancelled_at=now).returning(Slot.id)).scalars().all()
    others = 0
    if slots:
        told = db.session.execute(sa.update(Booking).where(
            Booking.slot_id.in_(slots), Booking.status == "booked")
            .values(status="cancelled", cancelled_at=now).returning(Booking.id)).scalars().all()
        others = len(told)
        if told:
            enqueue_after_commit(tell_bookers, list(told))
    return {"Réservations à venir annulées": own, "Permanences à venir annulées": len(slots),
            "Réservations d'autres personnes annulées avec ces permanences": others}


def tell_bookers(booking_ids) -> int:
    """Job: people whose booking was cancelled with a slot of an erased pair-aidant are told,
    as when a pair-aidant cancels a slot."""
    from plugins.permanences.jobs import tell_slot_cancelled

    rows = db.session.execute(sa.select(Booking, Slot).join(Slot, Slot.id == Booking.slot_id)
                              .where(Booking.id.in_(list(booking_ids)))).all()
    for booking, slot in rows:
        tell_slot_cancelled(slot, booking, by_referent=True)
    return len(rows)
