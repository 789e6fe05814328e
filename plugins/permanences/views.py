"""The permanences pages: free slots to book, one's bookings, a pair-aidant's slots, a slot's
page, the référent's counts."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from plugins.base import day_of, db, employer_role
from plugins.permanences import jobs, service
from plugins.permanences.models import MODES, Slot
from plugins.permanences.service import Refused

bp = Blueprint("permanences", __name__, template_folder=str(Path(__file__).parent / "templates"))

SLOT_LABELS = {"date": "Date", "time": "Heure de début", "duration_minutes": "Durée",
               "mode": "Forme", "location": "Lieu ou moyen de connexion",
               "repeat_weeks": "Nombre de semaines"}


def _common():
    return {"modes": MODES, "conf": service.settings(), "is_referent": service.is_referent(),
            "is_helper": service.is_helper(), "roles": service.roles(),
            "french": service.french, "paris": service.PARIS}


@bp.route("/")
@employer_role()
def index():
    me = service.my_profile()
    free = service.bookable_slots()
    free = [s for s in free if me is None or s.helper_id != me.id]
    mine = service.my_bookings()
    run = service.slots_run_by(me.id) if me is not None and service.is_helper() else []
    live = service.live_bookings(s.id for s in run)
    who = service.names({s.helper_id for s in free} | {s.helper_id for _, s in mine}
                        | {b.booker_id for b in live.values() if not b.anonymous})
    counts = service.counts() if service.is_referent() else None
    if service.is_referent():
        series = service.upcoming_series()
    elif me is not None and service.is_helper():
        series = service.upcoming_series(me.id)
    else:
        series = []
    who.update(service.names({r["helper_id"] for r in series} - set(who)))
    return render_template("permanences/index.html", free=free, mine=mine, run=run, live=live,
                           who=who, counts=counts, booker_label=service.booker_label,
                           series=series, **_common())


@bp.route("/creneaux/nouveau", methods=["GET", "POST"])
@employer_role("pair-aidant")
def new_slot():
    conf = service.settings()
    values = {"date": "", "time": "", "duration_minutes": conf["default_duration_minutes"],
              "mode": "place", "location": "", "repeat_weeks": 1}
    errors: dict = {}
    status = 200
    if request.method == "POST":
        raw = {k: request.form.get(k, "") for k in values}
        values = {**values, **raw}
        cleaned, errors = service.validate_slot(raw, local_form=True)
        if not errors:
            try:
                created = service.create_slots(cleaned)
            except Refused as refused:
                db.session.rollback()
                errors = {refused.field or "date": refused.message}
                status = refused.status
            else:
                db.session.commit()
                flash(f"{len(created)} créneau(x) proposé(s) : les personnes de l'espace "
                      "peuvent maintenant les réserver." if len(created) > 1 else
                      "Le créneau est proposé : les personnes de l'espace peuvent maintenant "
                      "le réserver.", "success")
                return redirect(url_for("permanences.index"))
        else:
            status = 400
    return render_template("permanences/new_slot.html", values=values, errors=errors,
                           labels=SLOT_LABELS, **_common()), status


def _slot_page(slot_id: int, status: int = 200, problem: Refused | None = None):
    try:
        slot = service.visible_slot(slot_id)
    except Refused:
        abort(404)
    me = service.my_profile()
    booking = service.live_bookings([slot.id]).get(slot.id)
    is_slot_helper = me is not None and slot.helper_id == me.id
    mine = booking if booking is not None and me is not None and booking.booker_id == me.id \
        else None
    # Who booked: the slot's pair-aidant only, and a pseudonym when the booking is anonymous.
    who = service.names({slot.helper_id} | ({booking.booker_id} if is_slot_helper and booking
                                             and not booking.anonymous else set()))
    booked_by = service.booker_label(booking, who) if is_slot_helper else None
    series_link = (slot.series_id is not None and (is_slot_helper or service.is_referent())
                   and slot.cancelled_at is None and slot.starts_at > service.now())
    return render_template(
        "permanences/slot.html", slot=slot, booking=booking, mine=mine,
        is_slot_helper=is_slot_helper, booked_by=booked_by, who=who, problem=problem,
        now=service.now(), series_link=series_link, **_common()), status


@bp.route("/creneaux/<int:slot_id>")
@employer_role()
def slot(slot_id: int):
    return _slot_page(slot_id)


def _slot_action(slot_id: int, action, success, after=None):
    try:
        result = action()
    except Refused as refused:
        db.session.rollback()
        if refused.status == 404:
            abort(404)
        return _slot_page(slot_id, refused.status, refused)
    db.session.commit()
    if after is not None:
        after(result)
    flash(success, "success")
    return redirect(url_for("permanences.slot", slot_id=slot_id))


def send_confirmation(booking) -> None:
    """After commit: the booking confirmation e-mail (with the .ics) to the booker only."""
    slot = db.session.get(Slot, booking.slot_id)
    helper = service.names([slot.helper_id]).get(slot.helper_id, "un pair-aidant")
    jobs.confirm_booking(booking, slot, helper,
                         url_for("permanences.slot", slot_id=slot.id, _external=True),
                         request.url_root)


@bp.route("/creneaux/<int:slot_id>/reserver", methods=["POST"])
@employer_role()
def book(slot_id: int):
    anonymous = request.form.get("anonyme") in ("on", "oui", "1")
    return _slot_action(slot_id, lambda: service.book(slot_id, anonymous),
                        "Votre réservation est enregistrée. Un courriel de confirmation vous "
                        "est envoyé ; vous recevrez un rappel la veille.",
                        after=send_confirmation)


@bp.route("/creneaux/<int:slot_id>/annuler-reservation", methods=["POST"])
@employer_role()
def cancel_booking(slot_id: int):
    return _slot_action(slot_id, lambda: service.cancel_booking(slot_id),
                        "Votre réservation est annulée : le créneau est de nouveau libre.",
                        after=lambda result: jobs.tell_booking_cancelled(result[1]))


@bp.route("/creneaux/<int:slot_id>/annuler", methods=["POST"])
@employer_role("pair-aidant")
def cancel_slot(slot_id: int):
    return _slot_action(slot_id, lambda: service.cancel_slot(slot_id),
                        "Le créneau est annulé. La personne qui l'avait réservé est prévenue.",
                        after=lambda result: jobs.tell_slot_cancelled(*result))


# --- cancelling a weekly series -------------------------------------------------------------------

SERIES_LABELS = {"a_partir_du": "À partir du"}


@bp.route("/series/<int:series_id>/annuler", methods=["GET", "POST"])
@employer_role("pair-aidant", "referent")
def cancel_series(series_id: int):
    """A confirmation page: choose from which day, see what will be cancelled (and how many
    bookings), then confirm with a second button. Pair-aidant of the series or référent."""
    try:
        slots = service.visible_series(series_id)
    except Refused as refused:
        if refused.status == 404:
            abort(404)
        abort(403)
    source = request.form if request.method == "POST" else request.args
    raw = (source.get("a_partir_du") or "").strip()
    today = day_of(service.now())
    from_day = service.parse_day(raw) if raw else today
    errors: dict = {}
    status = 200
    if from_day is None:
        errors["a_partir_du"] = "Saisissez une date valide, par exemple 03/03/2026."
        status = 400
        from_day = today
    elif request.method == "POST":
        me = service.my_profile()
        is_helper = me is not None and slots[0].helper_id == me.id
        try:
            cancelled = service.cancel_series(series_id, from_day)
        except Refused as refused:
            db.session.rollback()
            errors["a_partir_du"] = refused.message
            status = refused.status
        else:
            db.session.commit()
            jobs.tell_series_cancelled(cancelled, slots[0].helper_id, by_helper=is_helper)
            told = sum(1 for _, b in cancelled if b is not None)
            flash(f"{len(cancelled)} créneau(x) de la série annulé(s)."
                  + (f" Les personnes qui avaient réservé ({told}) sont prévenues par "
                     "courriel." if told else ""), "success")
            return redirect(url_for("permanences.index"))
    targets = service.series_to_cancel(slots, from_day)
    live = service.live_bookings(s.id for s in targets)
    who = service.names({slots[0].helper_id})
    return render_template(
        "permanences/cancel_series.html", series_id=series_id, slots=slots, targets=targets,
        live=live, helper=who.get(slots[0].helper_id), from_day=from_day,
        value=raw or from_day.strftime("%d/%m/%Y"), errors=errors, labels=SERIES_LABELS,
        **_common()), status
