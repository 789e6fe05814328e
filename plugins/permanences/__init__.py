"""Permanences: drop-in slots run by a pair-aidant (the seed's « permanence à mobiliser »).

A pair-aidant offers slots (on site or remote, a duration, once or every week for some weeks);
anyone eligible in the space books a free slot inside the booking window, optionally
anonymously (the pair-aidant then sees a pseudonym, the référent only counts), and may cancel up
to a deadline. A slot is never booked twice: the database refuses it (a partial unique index),
even under concurrent requests. Reminders go out the day before; cancellations are e-mailed.

Imports from ``plugins.base`` and ``server.signals`` only (and its own modules)."""
from __future__ import annotations

from datetime import datetime, time, timezone
from pathlib import Path

import sqlalchemy as sa
from marshmallow import Schema, fields, validate

from plugins.base import (CalendarEvent, Indicator, PeriodicJob, ProgrammeModel, TimeSpent,
                          current_tenant, db)

HERE = Path(__file__).parent


class Settings(Schema):
    """The employer's settings of the permanences model."""

    booking_window_days = fields.Integer(
        load_default=30, validate=validate.Range(min=1, max=365),
        metadata={"label": "Réservation possible combien de jours à l'avance",
                  "description": "Un créneau s'ouvre à la réservation ce nombre de jours avant "
                                 "son début (de 1 à 365)."})
    cancellation_deadline_hours = fields.Integer(
        load_default=24, validate=validate.Range(min=0, max=168),
        metadata={"label": "Annulation possible jusqu'à combien d'heures avant",
                  "description": "Passé ce délai, la personne prévient le pair-aidant "
                                 "directement (de 0 à 168 heures)."})
    default_duration_minutes = fields.Integer(
        load_default=45, validate=validate.Range(min=5, max=480),
        metadata={"label": "Durée d'un créneau par défaut (minutes)",
                  "description": "Proposée au pair-aidant qui crée un créneau (de 5 à 480)."})
    allow_anonymous = fields.Boolean(
        load_default=True,
        metadata={"label": "Autoriser la réservation anonyme",
                  "description": "Le pair-aidant voit alors un pseudonyme, le référent des "
                                 "nombres seulement."})


from plugins.permanences import api as _api  # noqa: E402
from plugins.permanences import views as _views  # noqa: E402
from plugins.permanences.jobs import send_reminders  # noqa: E402
from plugins.permanences.models import ALL as _MODELS, MODES, Booking, Slot  # noqa: E402
from plugins.permanences.service import names  # noqa: E402
from plugins.permanences import personal_data as _personal_data  # noqa: E402


def _bounds(period):
    def at(value, end=False):
        if value is None:
            return None
        if isinstance(value, datetime):
            return value
        return datetime.combine(value, time.max if end else time.min, tzinfo=timezone.utc)
    if period is None:
        return None, None
    return at(getattr(period, "start", None)), at(getattr(period, "end", None), end=True)


def _within(query, column, start, end):
    if start is not None:
        query = query.where(column >= start)
    if end is not None:
        query = query.where(column <= end)
    return query


class Permanences(ProgrammeModel):
    name = "permanences"
    label = "Permanences"
    description = ("Des créneaux animés par un pair-aidant, sur place ou à distance, que toute "
                   "personne de l'espace réserve, si elle le souhaite de façon anonyme.")
    settings_schema = Settings
    models = _MODELS
    migrations = HERE / "migrations"
    blueprint = _views.bp
    api_blueprint = _api.blp
    periodic_jobs = (PeriodicJob(func=send_reminders, interval=3600,
                                 description="Rappeler la veille les créneaux réservés"),)

    def personal_data(self, profile_id):
        return _personal_data.personal_data(profile_id)

    def erase_person(self, profile_id):
        return _personal_data.erase_person(profile_id)

    def indicators(self, period) -> list[Indicator]:
        """Counts only: slots offered, booked, held, cancellations (slots in the period)."""
        start, end = _bounds(period)
        now = datetime.now(timezone.utc)
        offered = db.session.execute(_within(
            sa.select(Slot.mode, sa.func.count()).where(Slot.cancelled_at.is_(None)),
            Slot.starts_at, start, end).group_by(Slot.mode).order_by(Slot.mode)).all()
        booked, held, cancelled = db.session.execute(_within(
            sa.select(sa.func.count().filter(Booking.status == "booked"),
                      sa.func.count().filter(Booking.status == "booked", Slot.starts_at <= now),
                      sa.func.count().filter(Booking.status == "cancelled"))
            .select_from(Booking).join(Slot, Slot.id == Booking.slot_id),
            Slot.starts_at, start, end)).one()
        slots_cancelled = db.session.execute(_within(
            sa.select(sa.func.count()).select_from(Slot).where(Slot.cancelled_at.is_not(None)),
            Slot.starts_at, start, end)).scalar()

        def people(*conditions) -> frozenset[int]:
            """The pair-aidants of the slots and the people of their bookings (anonymous
            bookings included: the booker is known to the application, not to the helper)."""
            slots = _within(sa.select(Slot.id).where(*conditions), Slot.starts_at, start, end)
            return frozenset(db.session.execute(sa.union(
                sa.select(Slot.helper_id).where(Slot.id.in_(slots)),
                sa.select(Booking.booker_id).where(Booking.slot_id.in_(slots)),
            )).scalars())

        booked_slot = Slot.id.in_(sa.select(Booking.slot_id).where(Booking.status == "booked"))
        return [
            Indicator(key="permanences.offered", label="Créneaux proposés",
                      value=sum(r[1] for r in offered),
                      breakdown=tuple((MODES.get(r[0], r[0]), r[1]) for r in offered),
                      people=people(Slot.cancelled_at.is_(None))),
            Indicator(key="permanences.booked", label="Créneaux réservés", value=booked,
                      people=people(booked_slot)),
            Indicator(key="permanences.held", label="Créneaux tenus", value=held,
                      people=people(booked_slot, Slot.starts_at <= now)),
            Indicator(key="permanences.cancellations", label="Annulations",
                      value=cancelled + slots_cancelled,
                      breakdown=(("Réservations annulées", cancelled),
                                 ("Créneaux annulés par le pair-aidant", slots_cancelled)),
                      people=people(sa.or_(Slot.cancelled_at.is_not(None), Slot.id.in_(
                          sa.select(Booking.slot_id).where(Booking.status == "cancelled"))))),
        ]

    def time_spent(self, period) -> list[TimeSpent]:
        """Slots held in the period (started, not cancelled by the pair-aidant), booked or not:
        the pair-aidant was there for the whole slot either way."""
        start, end = _bounds(period)
        now = datetime.now(timezone.utc)
        rows = db.session.execute(_within(
            sa.select(Slot.helper_id, sa.func.sum(Slot.duration_minutes))
            .where(Slot.cancelled_at.is_(None), Slot.starts_at <= now),
            Slot.starts_at, start, end).group_by(Slot.helper_id)).all()
        return [TimeSpent(profile_id=r[0], activity="Permanences tenues",
                          hours=round(r[1] / 60, 2)) for r in rows]

    def calendar_events(self, profile_id: int, start, end) -> list[CalendarEvent]:
        """Slots booked by the person, and slots they run (the booker's pseudonym when the
        booking is anonymous)."""
        slug = current_tenant().slug
        base = f"/e/{slug}/permanences/creneaux"
        span = sa.and_(Slot.starts_at < end,
                       Slot.starts_at + sa.func.make_interval(
                           0, 0, 0, 0, 0, Slot.duration_minutes) > start)
        events = []
        mine = db.session.execute(
            sa.select(Booking, Slot).join(Slot, Slot.id == Booking.slot_id)
            .where(Booking.booker_id == profile_id, span)
            .order_by(Slot.starts_at, Booking.id)).all()
        run = db.session.execute(sa.select(Slot).where(Slot.helper_id == profile_id, span)
                                 .order_by(Slot.starts_at, Slot.id)).scalars().all()
        live = {}
        if run:
            live = {b.slot_id: b for b in db.session.execute(sa.select(Booking).where(
                Booking.slot_id.in_([s.id for s in run]), Booking.status == "booked")).scalars()}
        who = names({s.helper_id for _, s in mine}
                    | {b.booker_id for b in live.values() if not b.anonymous})
        for booking, slot in mine:
            events.append(CalendarEvent(
                uid=f"permanences-booking-{booking.id}@{slug}",
                title=f"Permanence avec {who.get(slot.helper_id, 'un pair-aidant')}",
                start=slot.starts_at, end=slot.ends_at, location=_location(slot),
                url=f"{base}/{slot.id}",
                cancelled=booking.status == "cancelled" or slot.cancelled_at is not None))
        for slot in run:
            booking = live.get(slot.id)
            if booking is None:
                title = "Permanence (créneau libre)"
            elif booking.anonymous:
                title = f"Permanence avec {booking.pseudonym}"
            else:
                title = f"Permanence avec {who.get(booking.booker_id, '?')}"
            events.append(CalendarEvent(
                uid=f"permanences-slot-{slot.id}@{slug}", title=title, start=slot.starts_at,
                end=slot.ends_at, location=_location(slot), url=f"{base}/{slot.id}",
                cancelled=slot.cancelled_at is not None))
        return events


def _location(slot) -> str:
    label = MODES.get(slot.mode, slot.mode)
    return f"{label} : {slot.location}" if slot.location else label


__all__ = ["Permanences", "Settings"]
