"""What the pages and the API both do: offering slots, booking, cancelling.

Each function changes the session and leaves the commit to its caller, except ``book`` which
flushes so that the database's unique index decides between concurrent bookings; a refused
action raises ``Refused`` (a French message and a code) before anything is kept."""
from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta, timezone

import sqlalchemy as sa
from flask import g
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from plugins.base import PARIS, Refused, Profile, db, record, settings_of
from plugins.permanences.models import MODES, Booking, Slot

NAME = "permanences"
MAX_REPEAT = 26
DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
          "octobre", "novembre", "décembre")




def now() -> datetime:
    return datetime.now(timezone.utc)


def settings() -> dict:
    return settings_of(NAME)


def french(value: datetime) -> str:
    """« mardi 3 mars 2026 à 14 h 00 » (Europe/Paris), without needing a request."""
    local = value.astimezone(PARIS)
    return (f"{DAYS[local.weekday()]} {local.day} {MONTHS[local.month - 1]} {local.year} "
            f"à {local.hour} h {local.minute:02d}")


# --- who is who -------------------------------------------------------------------------------

def my_profile() -> Profile | None:
    if "permanences_profile" not in g:
        g.permanences_profile = db.session.execute(
            sa.select(Profile).where(Profile.user_id == current_user.id)).scalar_one_or_none()
    return g.permanences_profile


def roles() -> frozenset[str]:
    return g.get("employer_roles", frozenset())


def is_referent() -> bool:
    return "referent" in roles()


def is_helper() -> bool:
    return "pair-aidant" in roles()


def names(ids) -> dict[int, str]:
    ids = set(ids)
    if not ids:
        return {}
    rows = db.session.execute(sa.select(Profile.id, Profile.display_name)
                              .where(Profile.id.in_(ids))).all()
    return {r.id: r.display_name for r in rows}


# --- offering slots -----------------------------------------------------------------------------

def _parse_day(value) -> date | None:
    """« 03/03/2026 » or « 2026-03-03 »."""
    value = (value or "").strip() if isinstance(value, str) else ""
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


def _parse_hour(value) -> time | None:
    """« 14:00 », « 14 h 30 », « 14h »."""
    value = (value or "").strip().lower().replace(" ", "") if isinstance(value, str) else ""
    value = value.replace("h", ":")
    if value.endswith(":"):
        value += "00"
    try:
        return datetime.strptime(value, "%H:%M").time()
    except ValueError:
        return None


def validate_slot(data: dict, local_form: bool) -> tuple[dict, dict]:
    """(values, errors by field). The form gives ``date`` and ``time`` (Europe/Paris), the API an
    aware ``starts_at``."""
    errors: dict[str, str] = {}
    starts_at = None
    if local_form:
        day = _parse_day(data.get("date"))
        if day is None:
            errors["date"] = "Saisissez la date du créneau, par exemple 03/03/2026."
        hour = _parse_hour(data.get("time"))
        if hour is None:
            errors["time"] = "Saisissez l'heure de début, par exemple 14:00."
        if day and hour:
            starts_at = datetime.combine(day, hour, tzinfo=PARIS)
    else:
        raw = data.get("starts_at")
        if isinstance(raw, str):
            try:
                raw = datetime.fromisoformat(raw.strip())
            except ValueError:
                raw = None
        if not isinstance(raw, datetime) or raw.tzinfo is None:
            errors["starts_at"] = ("Saisissez le début avec son fuseau horaire, par exemple "
                                   "2026-03-03T14:00:00+01:00.")
        else:
            starts_at = raw
    time_field = "date" if local_form else "starts_at"
    if starts_at is not None and starts_at <= now():
        errors[time_field] = "Le créneau doit commencer dans le futur."
    try:
        duration = int(data.get("duration_minutes"))
        if not 5 <= duration <= 480:
            raise ValueError
    except (TypeError, ValueError):
        errors["duration_minutes"] = "Saisissez une durée en minutes, entre 5 et 480."
        duration = None
    mode = data.get("mode")
    if mode not in MODES:
        errors["mode"] = "Choisissez « Sur place » ou « À distance »."
    location = data.get("location") or ""
    if not isinstance(location, str):
        errors["location"] = "Saisissez un texte."
    elif len(location.strip()) > 200:
        errors["location"] = "Saisissez 200 caractères au plus."
    elif mode == "place" and not location.strip():
        errors["location"] = "Indiquez le lieu du créneau sur place (bâtiment, salle)."
    try:
        repeat = int(data.get("repeat_weeks") or 1)
        if not 1 <= repeat <= MAX_REPEAT:
            raise ValueError
    except (TypeError, ValueError):
        errors["repeat_weeks"] = f"Saisissez un nombre de semaines entre 1 et {MAX_REPEAT}."
        repeat = None
    if errors:
        return {}, errors
    return {"starts_at": starts_at, "duration_minutes": duration, "mode": mode,
            "location": location.strip() or None, "repeat_weeks": repeat}, {}


def create_slots(values: dict) -> list[Slot]:
    """The pair-aidant offers one slot, or one a week for ``repeat_weeks`` weeks (same local
    time each week). A slot overlapping one of theirs is refused."""
    me = my_profile()
    if me is None or not is_helper():
        raise Refused(403, "not_a_helper", "Seuls les pair-aidants proposent des créneaux.",
                      "Only peer helpers offer slots.")
    first_local = values["starts_at"].astimezone(PARIS)
    starts = [datetime.combine(first_local.date() + timedelta(weeks=i), first_local.timetz()
                               .replace(tzinfo=None), tzinfo=PARIS)
              for i in range(values["repeat_weeks"])]
    length = timedelta(minutes=values["duration_minutes"])
    for start in starts:
        clash = db.session.execute(sa.select(Slot.starts_at).where(
            Slot.helper_id == me.id, Slot.cancelled_at.is_(None),
            Slot.starts_at < start + length,
            Slot.starts_at + sa.func.make_interval(0, 0, 0, 0, 0, Slot.duration_minutes) > start)
        ).scalars().first()
        if clash is not None:
            raise Refused(409, "slot_overlap",
                          f"Vous avez déjà un créneau le {french(clash)} : le créneau du "
                          f"{french(start)} le chevauche. Aucun créneau n'a été créé.",
                          "You already run a slot at that time.", field="date")
    created = []
    for start in starts:
        slot = Slot(helper_id=me.id, starts_at=start, duration_minutes=values["duration_minutes"],
                    mode=values["mode"], location=values["location"])
        db.session.add(slot)
        created.append(slot)
    db.session.flush()
    if len(created) > 1:
        for slot in created:
            slot.series_id = created[0].id
    record("create", "permanences_slot", created[0].id, count=len(created))
    return created


# --- reading ------------------------------------------------------------------------------------

def live_bookings(slot_ids) -> dict[int, Booking]:
    ids = list(slot_ids)
    if not ids:
        return {}
    rows = db.session.execute(sa.select(Booking).where(
        Booking.slot_id.in_(ids), Booking.status == "booked")).scalars().all()
    return {b.slot_id: b for b in rows}


def bookable_slots() -> list[Slot]:
    """Free slots one may book now: future, inside the booking window, not cancelled."""
    horizon = now() + timedelta(days=settings()["booking_window_days"])
    taken = sa.select(Booking.slot_id).where(Booking.status == "booked")
    return db.session.execute(sa.select(Slot).where(
        Slot.cancelled_at.is_(None), Slot.starts_at > now(), Slot.starts_at <= horizon,
        Slot.id.not_in(taken)).order_by(Slot.starts_at, Slot.id)).scalars().all()


def slots_run_by(profile_id: int, upcoming: bool = True) -> list[Slot]:
    q = sa.select(Slot).where(Slot.helper_id == profile_id)
    if upcoming:
        q = q.where(Slot.starts_at > now() - timedelta(days=1))
    return db.session.execute(q.order_by(Slot.starts_at, Slot.id)).scalars().all()


def my_bookings() -> list[tuple[Booking, Slot]]:
    me = my_profile()
    if me is None:
        return []
    return db.session.execute(sa.select(Booking, Slot).join(Slot, Slot.id == Booking.slot_id)
                              .where(Booking.booker_id == me.id)
                              .order_by(Slot.starts_at.desc(), Booking.id.desc())).all()


def visible_slot(slot_id: int) -> Slot:
    """Any member of the space may see a slot (to book it); 404 when it does not exist."""
    slot = db.session.get(Slot, slot_id)
    if slot is None:
        raise Refused(404, "not_found", "Ce créneau n'existe pas.", "No such slot.")
    return slot


def booker_label(booking: Booking | None, who: dict[int, str]) -> str | None:
    """What the pair-aidant reads about who booked: the pseudonym of an anonymous booking."""
    if booking is None:
        return None
    if booking.anonymous:
        return booking.pseudonym
    return who.get(booking.booker_id)


def counts() -> dict[str, int]:
    """What a référent reads: figures only."""
    t = now()
    row = db.session.execute(sa.select(
        sa.func.count().filter(Slot.cancelled_at.is_(None), Slot.starts_at > t),
        sa.func.count().filter(Slot.cancelled_at.is_not(None)),
    ).select_from(Slot)).one()
    booked = db.session.execute(sa.select(
        sa.func.count().filter(Booking.status == "booked", Slot.starts_at > t),
        sa.func.count().filter(Booking.status == "booked", Slot.starts_at <= t),
        sa.func.count().filter(Booking.status == "cancelled"),
        sa.func.count().filter(Booking.status == "booked", Booking.anonymous),
    ).select_from(Booking).join(Slot, Slot.id == Booking.slot_id)).one()
    return {"upcoming_slots": row[0], "cancelled_slots": row[1], "upcoming_bookings": booked[0],
            "held": booked[1], "cancelled_bookings": booked[2], "anonymous_bookings": booked[3]}


# --- booking ------------------------------------------------------------------------------------

def _pseudonym() -> str:
    return "Personne " + "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
                                 for _ in range(4))


def book(slot_id: int, anonymous: bool) -> Booking:
    """Book a free slot. The checks give each refusal its message; the partial unique index
    ``permanences_booking_one_per_slot`` is what guarantees one booking per slot when requests
    race (the loser gets ``slot_taken``, like someone who came second)."""
    me = my_profile()
    slot = visible_slot(slot_id)
    # FOR SHARE: bookers do not wait for each other (the unique index decides between them),
    # but a cancellation of the slot (FOR UPDATE) and a booking of it are serialised, so no
    # booking lands on a slot cancelled at the same instant.
    db.session.refresh(slot, with_for_update={"read": True})
    conf = settings()
    if me is None or me.status != "active":
        raise Refused(403, "not_eligible", "Votre participation ne vous permet pas de réserver.",
                      "You may not book.")
    if slot.helper_id == me.id:
        raise Refused(409, "own_slot", "Vous animez ce créneau : vous ne pouvez pas le réserver.",
                      "You run this slot.")
    if slot.cancelled_at is not None:
        raise Refused(409, "slot_cancelled", "Ce créneau a été annulé par le pair-aidant.",
                      "This slot was cancelled.")
    if slot.starts_at <= now():
        raise Refused(409, "slot_past", "Ce créneau est passé : choisissez un créneau à venir.",
                      "This slot is in the past.")
    window = conf["booking_window_days"]
    if slot.starts_at > now() + timedelta(days=window):
        raise Refused(409, "outside_booking_window",
                      f"Ce créneau n'est pas encore ouvert à la réservation : on réserve au plus "
                      f"{window} jours à l'avance.",
                      f"Slots open for booking {window} days ahead.")
    if anonymous and not conf["allow_anonymous"]:
        raise Refused(422, "anonymous_not_allowed",
                      "La réservation anonyme n'est pas proposée dans cet espace.",
                      "Anonymous booking is not allowed here.", field="anonymous")
    current = live_bookings([slot.id]).get(slot.id)
    if current is not None and current.booker_id == me.id:
        raise Refused(409, "already_booked", "Vous avez déjà réservé ce créneau.",
                      "You already booked this slot.")
    if current is not None:
        raise Refused(409, "slot_taken", TAKEN, TAKEN_EN)
    booking = Booking(slot_id=slot.id, booker_id=me.id, anonymous=bool(anonymous),
                      pseudonym=_pseudonym() if anonymous else None, status="booked")
    try:
        with db.session.begin_nested():
            db.session.add(booking)
            db.session.flush()
    except IntegrityError:
        raise Refused(409, "slot_taken", TAKEN, TAKEN_EN) from None
    record("book", "permanences_slot", slot.id)
    return booking


TAKEN = "Ce créneau vient d'être réservé par une autre personne. Choisissez un autre créneau."
TAKEN_EN = "This slot is already booked."


def cancel_booking(slot_id: int) -> tuple[Booking, Slot]:
    """The booker cancels their booking, up to ``cancellation_deadline_hours`` before."""
    me = my_profile()
    slot = visible_slot(slot_id)
    booking = db.session.execute(sa.select(Booking).where(
        Booking.slot_id == slot.id, Booking.status == "booked",
        Booking.booker_id == (me.id if me else -1)).with_for_update()).scalar_one_or_none()
    if booking is None:
        raise Refused(409, "no_booking", "Vous n'avez pas de réservation sur ce créneau.",
                      "You have no booking on this slot.")
    hours = settings()["cancellation_deadline_hours"]
    if now() > slot.starts_at - timedelta(hours=hours):
        raise Refused(409, "cancellation_deadline_passed",
                      f"Il est trop tard pour annuler en ligne : l'annulation est possible "
                      f"jusqu'à {hours} heure(s) avant le début. Prévenez le pair-aidant.",
                      f"Bookings can be cancelled up to {hours} hours before.")
    booking.status = "cancelled"
    booking.cancelled_at = now()
    record("cancel_booking", "permanences_slot", slot.id)
    return booking, slot


def cancel_slot(slot_id: int) -> tuple[Slot, Booking | None]:
    """The pair-aidant cancels a slot of theirs (any time before it starts); a booking on it is
    cancelled too and its booker told."""
    me = my_profile()
    slot = db.session.get(Slot, slot_id, with_for_update=True)
    if slot is None:
        raise Refused(404, "not_found", "Ce créneau n'existe pas.", "No such slot.")
    if me is None or slot.helper_id != me.id:
        raise Refused(403, "not_slot_helper",
                      "Seul le pair-aidant qui anime ce créneau peut l'annuler.",
                      "Only the slot's peer helper may cancel it.")
    if slot.cancelled_at is not None:
        raise Refused(409, "slot_cancelled", "Ce créneau est déjà annulé.",
                      "This slot is already cancelled.")
    if slot.starts_at <= now():
        raise Refused(409, "slot_past", "Ce créneau est passé : il ne peut plus être annulé.",
                      "This slot is in the past.")
    booking = live_bookings([slot.id]).get(slot.id)
    slot.cancelled_at = now()
    if booking is not None:
        booking.status = "cancelled"
        booking.cancelled_at = now()
    record("cancel", "permanences_slot", slot.id)
    return slot, booking


# --- a weekly series ------------------------------------------------------------------------------

def parse_day(value) -> date | None:
    """« 03/03/2026 » or « 2026-03-03 », else None."""
    return _parse_day(value)


def series_slots(series_id: int, lock: bool = False) -> list[Slot]:
    """Every slot of a series (created together by one recurrence), in time order; 404 when
    there is no such series."""
    q = sa.select(Slot).where(Slot.series_id == series_id).order_by(Slot.starts_at, Slot.id)
    if lock:
        q = q.with_for_update()
    slots = db.session.execute(q).scalars().all()
    if not slots:
        raise Refused(404, "not_found", "Cette série de créneaux n'existe pas.",
                      "No such series of slots.")
    return slots


def may_manage_series(slots: list[Slot]) -> bool:
    """The series' pair-aidant, or a référent of the space."""
    me = my_profile()
    return is_referent() or (me is not None and slots[0].helper_id == me.id)


def _refuse_not_yours() -> None:
    raise Refused(403, "not_series_helper",
                  "Seuls le pair-aidant qui anime cette série et les référents peuvent "
                  "l'annuler.", "Only the series' peer helper or a referent may cancel it.")


def from_moment(from_day: date) -> datetime:
    """The start of ``from_day`` in Paris, or now when that is earlier: past slots are kept."""
    return max(now(), datetime.combine(from_day, time.min, tzinfo=PARIS))


def series_to_cancel(slots: list[Slot], from_day: date) -> list[Slot]:
    start = from_moment(from_day)
    return [s for s in slots if s.cancelled_at is None and s.starts_at >= start]


def visible_series(series_id: int) -> list[Slot]:
    """A series, to its pair-aidant or a référent (403 to anyone else)."""
    slots = series_slots(series_id)
    if not may_manage_series(slots):
        _refuse_not_yours()
    return slots


def cancel_series(series_id: int, from_day: date) -> list[tuple[Slot, Booking | None]]:
    """Cancel every slot of the series from ``from_day`` (Europe/Paris) that has not started
    and is not already cancelled, in the caller's one transaction; their bookings are
    cancelled too (the caller tells the bookers after commit). Slots already past are never
    touched. Returns the slots cancelled, each with the booking it had."""
    slots = series_slots(series_id, lock=True)
    if not may_manage_series(slots):
        _refuse_not_yours()
    targets = series_to_cancel(slots, from_day)
    if not targets:
        raise Refused(409, "nothing_to_cancel",
                      f"Cette série n'a aucun créneau à venir à partir du "
                      f"{from_day.strftime('%d/%m/%Y')} : rien n'a été annulé.",
                      "The series has no upcoming slot from that date.", field="a_partir_du")
    bookings = {b.slot_id: b for b in db.session.execute(sa.select(Booking).where(
        Booking.slot_id.in_([s.id for s in targets]), Booking.status == "booked")
        .with_for_update()).scalars()}
    at = now()
    for slot in targets:
        slot.cancelled_at = at
        booking = bookings.get(slot.id)
        if booking is not None:
            booking.status = "cancelled"
            booking.cancelled_at = at
    record("cancel_series", "permanences_slot", series_id, count=len(targets),
           from_day=from_day.isoformat())
    return [(slot, bookings.get(slot.id)) for slot in targets]


def upcoming_series(helper_id: int | None = None) -> list[dict]:
    """Series that still have upcoming slots, with counts only (for the référent, or the
    pair-aidant's own when ``helper_id`` is given): series id, pair-aidant, next slot, number
    of upcoming slots and of those booked."""
    t = now()
    live = sa.select(Booking.slot_id).where(Booking.status == "booked")
    q = (sa.select(Slot.series_id, Slot.helper_id, sa.func.min(Slot.starts_at).label("next"),
                   sa.func.max(Slot.starts_at).label("last"),
                   sa.func.count().label("upcoming"),
                   sa.func.count().filter(Slot.id.in_(live)).label("booked"))
         .where(Slot.series_id.is_not(None), Slot.cancelled_at.is_(None), Slot.starts_at > t)
         .group_by(Slot.series_id, Slot.helper_id).order_by(sa.text("next"), Slot.series_id))
    if helper_id is not None:
        q = q.where(Slot.helper_id == helper_id)
    return [dict(r._mapping) for r in db.session.execute(q)]
