"""The permanences JSON API, at /api/v1/e/<tenant>/permanences/ (in the OpenAPI document).

Errors have the one JSON error shape; refusals carry a specific ``code`` (``slot_taken``,
``slot_past``, ``outside_booking_window``, ``already_booked``,
``cancellation_deadline_passed``...) and a French message."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from plugins.base import raise_refusal, check_json_body, day_of, db, employer_role
from plugins.permanences import jobs, service, views
from plugins.permanences.models import MODES
from plugins.permanences.service import Refused

blp = Blueprint("permanences_api", __name__, description="Permanences : créneaux à réserver")
blp.before_request(check_json_body)
SECURITY = [{"bearer": []}, {"cookie": []}]


fail = raise_refusal


class SlotSchema(Schema):
    id = fields.Integer()
    helper_id = fields.Integer()
    helper_name = fields.String()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    duration_minutes = fields.Integer()
    mode = fields.String(metadata={"enum": list(MODES)})
    location = fields.String(allow_none=True)
    series_id = fields.Integer(allow_none=True)
    cancelled = fields.Boolean()
    booked = fields.Boolean(metadata={"description": "Le créneau a une réservation en cours."})
    booked_by_me = fields.Boolean()
    booked_by = fields.String(allow_none=True, metadata={
        "description": "Pour le pair-aidant du créneau seulement : le nom, ou le pseudonyme "
                       "d'une réservation anonyme. Absent pour les autres."})


class NewSlotSchema(Schema):
    starts_at = fields.String(required=True, metadata={
        "format": "date-time", "description": "Début, avec fuseau horaire."})
    duration_minutes = fields.Integer(required=True, metadata={"minimum": 5, "maximum": 480})
    mode = fields.String(required=True, validate=validate.OneOf(list(MODES)))
    location = fields.String(load_default="", allow_none=True, metadata={
        "maxLength": 200, "description": "Obligatoire sur place (mode place)."})
    repeat_weeks = fields.Integer(load_default=1, metadata={
        "minimum": 0, "maximum": service.MAX_REPEAT,
        "description": "0 ou 1 pour un seul créneau, sinon le même chaque semaine."})


class BookSchema(Schema):
    anonymous = fields.Boolean(load_default=False, metadata={
        "description": "Le pair-aidant verra un pseudonyme, le référent des nombres."})


class BookingSchema(Schema):
    id = fields.Integer()
    slot_id = fields.Integer()
    status = fields.String(metadata={"enum": ["booked", "cancelled"]})
    anonymous = fields.Boolean()
    booked_at = fields.DateTime()
    cancelled_at = fields.DateTime(allow_none=True)
    slot = fields.Nested(SlotSchema)


class CountsSchema(Schema):
    upcoming_slots = fields.Integer()
    upcoming_bookings = fields.Integer()
    held = fields.Integer()
    anonymous_bookings = fields.Integer()
    cancelled_bookings = fields.Integer()
    cancelled_slots = fields.Integer()


def _slot_payloads(slots):
    me = service.my_profile()
    live = service.live_bookings(s.id for s in slots)
    runs_some = me is not None and any(s.helper_id == me.id for s in slots)
    extra = {b.booker_id for b in live.values() if not b.anonymous} if runs_some else set()
    who = service.names({s.helper_id for s in slots} | extra)
    out = []
    for s in slots:
        booking = live.get(s.id)
        item = {"id": s.id, "helper_id": s.helper_id, "helper_name": who.get(s.helper_id),
                "starts_at": s.starts_at, "ends_at": s.ends_at,
                "duration_minutes": s.duration_minutes, "mode": s.mode, "location": s.location,
                "series_id": s.series_id, "cancelled": s.cancelled_at is not None,
                "booked": booking is not None,
                "booked_by_me": booking is not None and me is not None
                and booking.booker_id == me.id}
        if me is not None and s.helper_id == me.id:
            item["booked_by"] = service.booker_label(booking, who)
        out.append(item)
    return out


def _booking_payload(booking, slot):
    return {"id": booking.id, "slot_id": booking.slot_id, "status": booking.status,
            "anonymous": booking.anonymous, "booked_at": booking.booked_at,
            "cancelled_at": booking.cancelled_at, "slot": _slot_payloads([slot])[0]}


@blp.route("/slots")
@employer_role()
class Slots(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, SlotSchema(many=True))
    def get(self):
        """Free slots one may book now (future, inside the booking window)."""
        return _slot_payloads(service.bookable_slots())

    @blp.doc(security=SECURITY)
    @blp.arguments(NewSlotSchema)
    @blp.response(201, SlotSchema(many=True))
    def post(self, data):
        """Offer a slot, or the same slot every week for ``repeat_weeks`` weeks (pair-aidants)."""
        if not service.is_helper():
            fail(Refused(403, "not_a_helper", "Seuls les pair-aidants proposent des créneaux.",
                         "Only peer helpers offer slots."))
        values, errors = service.validate_slot(data, local_form=False)
        if errors:
            fail(Refused(422, "validation_error", "Certaines données sont invalides.",
                         "Some fields are invalid.", details=errors))
        try:
            created = service.create_slots(values)
        except Refused as refused:
            db.session.rollback()
            fail(refused)
        db.session.commit()
        return _slot_payloads(created)


@blp.route("/slots/mine")
@employer_role("pair-aidant")
class MySlots(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, SlotSchema(many=True))
    def get(self):
        """The slots you run (pair-aidants), with who booked them (a pseudonym if anonymous)."""
        me = service.my_profile()
        return _slot_payloads(service.slots_run_by(me.id, upcoming=False) if me else [])


def _slot(slot_id):
    try:
        return service.visible_slot(slot_id)
    except Refused as refused:
        fail(refused)


@blp.route("/slots/<int:slot_id>")
@employer_role()
class SlotResource(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, SlotSchema)
    def get(self, slot_id):
        """One slot."""
        return _slot_payloads([_slot(slot_id)])[0]


@blp.route("/slots/<int:slot_id>/book")
@employer_role()
class Book(MethodView):
    @blp.doc(security=SECURITY)
    @blp.arguments(BookSchema)
    @blp.response(201, BookingSchema)
    def post(self, data, slot_id):
        """Book a free slot; 409 ``slot_taken`` when someone else has it, even at the same
        instant."""
        _slot(slot_id)
        try:
            booking = service.book(slot_id, data["anonymous"])
        except Refused as refused:
            db.session.rollback()
            fail(refused)
        db.session.commit()
        views.send_confirmation(booking)
        return _booking_payload(booking, db.session.get(service.Slot, slot_id))


@blp.route("/slots/<int:slot_id>/cancel-booking")
@employer_role()
class CancelBooking(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, BookingSchema)
    def post(self, slot_id):
        """Cancel your booking of this slot, up to the cancellation deadline."""
        _slot(slot_id)
        try:
            booking, slot = service.cancel_booking(slot_id)
        except Refused as refused:
            db.session.rollback()
            fail(refused)
        db.session.commit()
        jobs.tell_booking_cancelled(slot)
        return _booking_payload(booking, slot)


@blp.route("/slots/<int:slot_id>/cancel")
@employer_role("pair-aidant")
class CancelSlot(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, SlotSchema)
    def post(self, slot_id):
        """Cancel a slot you run; its booker, if any, is told by e-mail."""
        try:
            slot, booking = service.cancel_slot(slot_id)
        except Refused as refused:
            db.session.rollback()
            fail(refused)
        db.session.commit()
        jobs.tell_slot_cancelled(slot, booking)
        return _slot_payloads([slot])[0]


class SeriesSchema(Schema):
    series_id = fields.Integer()
    helper_id = fields.Integer()
    helper_name = fields.String()
    slots = fields.Nested(SlotSchema, many=True)


class CancelSeriesSchema(Schema):
    from_date = fields.String(load_default=None, allow_none=True, metadata={
        "format": "date", "description": "Premier jour (heure de Paris) des créneaux à annuler, "
        "par exemple 2026-03-03 ; aujourd'hui si absent. Les créneaux passés ne changent "
        "jamais."})


class CancelledSeriesSchema(Schema):
    cancelled = fields.Nested(SlotSchema, many=True)
    bookings_cancelled = fields.Integer(metadata={
        "description": "Réservations annulées (leurs auteurs sont prévenus par courriel)."})


def _series(series_id):
    try:
        return service.visible_series(series_id)
    except Refused as refused:
        fail(refused)


@blp.route("/series/<int:series_id>")
@employer_role("pair-aidant", "referent")
class Series(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, SeriesSchema)
    def get(self, series_id):
        """Every slot of a weekly series (its pair-aidant or a référent)."""
        slots = _series(series_id)
        return {"series_id": series_id, "helper_id": slots[0].helper_id,
                "helper_name": service.names([slots[0].helper_id]).get(slots[0].helper_id),
                "slots": _slot_payloads(slots)}


@blp.route("/series/<int:series_id>/cancel")
@employer_role("pair-aidant", "referent")
class CancelSeries(MethodView):
    @blp.doc(security=SECURITY)
    @blp.arguments(CancelSeriesSchema)
    @blp.response(200, CancelledSeriesSchema)
    def post(self, data, series_id):
        """Cancel, in one transaction, every upcoming slot of a weekly series from
        ``from_date`` (its pair-aidant or a référent); bookers are told by e-mail. 409
        ``nothing_to_cancel`` when no slot is left to cancel from that day."""
        slots = _series(series_id)
        raw = data.get("from_date")
        if raw is None:
            from_day = day_of(service.now())
        else:
            from_day = service.parse_day(raw)
            if from_day is None:
                fail(Refused(422, "validation_error", "Certaines données sont invalides.",
                             "Some fields are invalid.", details={
                                 "from_date": "Saisissez une date valide, par exemple "
                                              "2026-03-03."}))
        me = service.my_profile()
        by_helper = me is not None and slots[0].helper_id == me.id
        try:
            cancelled = service.cancel_series(series_id, from_day)
        except Refused as refused:
            db.session.rollback()
            fail(refused)
        db.session.commit()
        jobs.tell_series_cancelled(cancelled, slots[0].helper_id, by_helper=by_helper)
        return {"cancelled": _slot_payloads([s for s, _ in cancelled]),
                "bookings_cancelled": sum(1 for _, b in cancelled if b is not None)}


@blp.route("/bookings")
@employer_role()
class Bookings(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, BookingSchema(many=True))
    def get(self):
        """Your bookings, newest slot first."""
        return [_booking_payload(b, s) for b, s in service.my_bookings()]


@blp.route("/counts")
@employer_role("referent")
class Counts(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, CountsSchema)
    def get(self):
        """Figures only (référents): never who booked, never a pseudonym."""
        return service.counts()
