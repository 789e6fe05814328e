"""The groupes JSON API, at /api/v1/e/<tenant>/groupes/ (described in the OpenAPI document).

Errors have the one JSON error shape; refusals carry a specific ``code``
(``already_registered``, ``already_waiting``, ``not_your_session``, ``not_registered``,
``stale_version``, ``capacity_below_registered``, ``group_closed``,
``not_a_peer_helper_here``...) and a French message. Participants' names are returned only to
whom the group's rule allows. Writes that change a group or a session's attendance carry the
``version`` read before: a stale one is a 409 and nothing is written."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from plugins.base import raise_refusal, check_json_body, db, employer_role
from plugins.groupes import jobs, service
from plugins.groupes.models import RECURRENCES, Groupe
from plugins.groupes.service import Refused

blp = Blueprint("groupes_api", __name__, description="Groupes ouverts de pair-aidance")
blp.before_request(check_json_body)
SECURITY = [{"bearer": []}, {"cookie": []}]


fail = raise_refusal


# --- schemas --------------------------------------------------------------------------------

# What the service checks (service._validate_details), documented; the upper bounds of the
# capacity and of the number of sessions are the employer's settings.
TITLE = {"minLength": 1, "maxLength": 120, "pattern": r"\S"}
THEME = {"minLength": 1, "maxLength": 500, "pattern": r"\S"}
PLACE = {"maxLength": 200, "description": "Un lieu ou un lien de visioconférence."}
VIDEO_URL = {"maxLength": 500, "pattern": "^https://"}
CAPACITY = {"minimum": 2, "description": "Au plus le maximum réglé par l'employeur."}


class NewGroupSchema(Schema):
    title = fields.String(required=True, metadata=TITLE)
    theme = fields.String(required=True, metadata=THEME)
    place = fields.String(allow_none=True, load_default=None, metadata=PLACE)
    video_url = fields.String(allow_none=True, load_default=None, metadata=VIDEO_URL)
    recurrence = fields.String(required=True, validate=validate.OneOf(list(RECURRENCES)))
    first_session = fields.String(allow_none=True, load_default=None, metadata={
        "format": "date-time", "description": "Première séance à venir (weekly, monthly), "
                                              "heure de Paris : 2026-03-03T14:00."})
    sessions_count = fields.Integer(load_default=1, metadata={"minimum": 1})
    dates = fields.List(fields.String(metadata={"format": "date-time"}), load_default=list,
                        metadata={"description": "Dates à venir des séances (custom), heure "
                                                 "de Paris."})
    duration_minutes = fields.Integer(required=True, metadata={"minimum": 15, "maximum": 480})
    capacity = fields.Integer(required=True, metadata=CAPACITY)
    names_visible = fields.Boolean(allow_none=True, load_default=None, metadata={
        "description": "Les participants voient-ils les noms des autres ? (défaut : réglage "
                       "de l'employeur)"})
    facilitator_id = fields.Integer(allow_none=True, load_default=None, metadata={
        "description": "Référents : le pair-aidant de l'espace (identifiant de profil) qui "
                       "animera le groupe. Par défaut, la personne qui crée le groupe."})


class EditGroupSchema(Schema):
    """Only the fields sent change; the recurrence and the sessions are not edited here."""
    title = fields.String(metadata=TITLE)
    theme = fields.String(metadata=THEME)
    place = fields.String(allow_none=True, metadata=PLACE)
    video_url = fields.String(allow_none=True, metadata=VIDEO_URL)
    capacity = fields.Integer(metadata={
        **CAPACITY,
        "description": "Pas moins que le nombre d'inscrits (409 capacity_below_registered) ; "
                       "davantage inscrit aussitôt les premières personnes en attente."})
    names_visible = fields.Boolean()
    version = fields.Integer(required=True, metadata={
        "description": "La version du groupe lue avant la modification."})


class GroupVersionSchema(Schema):
    version = fields.Integer(required=True, metadata={
        "description": "La version du groupe lue avant de le clore."})


class SessionSchema(Schema):
    id = fields.Integer()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    cancelled = fields.Boolean()
    held = fields.Boolean()
    version = fields.Integer(metadata={"description": "À renvoyer avec l'appel."})
    present = fields.Integer(allow_none=True, metadata={"description": "Nombre de présents."})
    expected = fields.Integer(allow_none=True, metadata={"description": "Nombre d'inscrits "
                                                                          "attendus."})


class GroupSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    theme = fields.String()
    facilitator_id = fields.Integer()
    facilitator_name = fields.String()
    place = fields.String(allow_none=True)
    video_url = fields.String(allow_none=True, metadata={
        "description": "Donné à l'animateur et aux inscrits seulement."})
    recurrence = fields.String(metadata={"enum": list(RECURRENCES)})
    duration_minutes = fields.Integer()
    capacity = fields.Integer()
    names_visible = fields.Boolean()
    status = fields.String(metadata={"enum": ["open", "closed"]})
    closed_at = fields.DateTime(allow_none=True)
    version = fields.Integer()
    registered_count = fields.Integer()
    waiting_count = fields.Integer()
    my_status = fields.String(allow_none=True, metadata={
        "enum": ["registered", "waiting", "cancelled", "facilitator", None]})
    my_waiting_position = fields.Integer(allow_none=True)


class GroupDetailSchema(GroupSchema):
    sessions = fields.List(fields.Nested(SessionSchema))


class PersonSchema(Schema):
    profile_id = fields.Integer()
    name = fields.String()


class ParticipantsSchema(Schema):
    registered_count = fields.Integer()
    waiting_count = fields.Integer()
    names_visible = fields.Boolean()
    participants = fields.List(fields.Nested(PersonSchema), allow_none=True, metadata={
        "description": "Null quand les noms sont cachés à la personne qui demande."})
    waiting_list = fields.List(fields.Nested(PersonSchema), allow_none=True, metadata={
        "description": "Pour l'animateur seulement, dans l'ordre de la liste."})


class RegistrationSchema(Schema):
    groupe_id = fields.Integer()
    status = fields.String(metadata={"enum": ["registered", "waiting", "cancelled"]})
    waiting_position = fields.Integer(allow_none=True)
    promoted = fields.Integer(metadata={"description": "Personnes promues de la liste "
                                                       "d'attente par cette action."})


class AttendanceSchema(Schema):
    present = fields.List(fields.Integer(), required=True, metadata={
        "description": "Identifiants de profil des personnes présentes."})
    version = fields.Integer(required=True, metadata={
        "description": "La version de la séance lue avant l'appel (409 si elle a changé)."})


# --- payloads -------------------------------------------------------------------------------

def _sessions_payload(seances, show_all=True):
    from plugins.groupes.views import _attendance_numbers
    numbers = _attendance_numbers(seances)
    out = []
    for s in seances:
        present, expected = numbers.get(s.id, (None, None))
        out.append({"id": s.id, "starts_at": s.starts_at, "ends_at": s.ends_at,
                    "cancelled": s.cancelled, "held": s.attendance_taken_at is not None,
                    "version": s.version,
                    "present": present, "expected": expected})
    return out


def _group_payloads(groups, detail=False):
    c = service.counts(g.id for g in groups)
    who = service.names({g.facilitator_id for g in groups})
    me = service.my_id()
    out = []
    for g in groups:
        mine = service.my_registration(g.id)
        status = "facilitator" if g.facilitator_id == me else (mine.status if mine else None)
        member = status in ("facilitator", "registered")
        item = {c_: getattr(g, c_) for c_ in (
            "id", "title", "theme", "facilitator_id", "place", "recurrence",
            "duration_minutes", "capacity", "names_visible", "status", "closed_at",
            "version")}
        item.update(facilitator_name=who.get(g.facilitator_id),
                    video_url=g.video_url if member else None,
                    registered_count=c[g.id].registered, waiting_count=c[g.id].waiting,
                    my_status=status,
                    my_waiting_position=service.waiting_position(mine) if mine else None)
        if detail:
            item["sessions"] = _sessions_payload(service.sessions_of(g.id))
        out.append(item)
    return out


def _group(groupe_id, lock=False) -> Groupe:
    try:
        return service.get_group(groupe_id, lock=lock)
    except Refused as refused:
        fail(refused)


# --- groups ---------------------------------------------------------------------------------

@blp.route("/groups")
@employer_role()
class Groups(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, GroupSchema(many=True))
    def get(self):
        """The groups of the space, with places and your registration."""
        return _group_payloads(service.all_groups())

    @blp.doc(security=SECURITY)
    @blp.arguments(NewGroupSchema)
    @blp.response(201, GroupDetailSchema)
    def post(self, data):
        """Create a group that you facilitate (pair-aidants), or that a pair-aidant of the
        space facilitates (référents, ``facilitator_id``), with its sessions."""
        if "pair-aidant" not in service.roles() and not service.is_referent():
            fail(Refused(403, "not_a_peer_helper",
                         "Seuls les pair-aidants créent et animent des groupes.",
                         "Only peer helpers create and facilitate groups."))
        facilitator = data.pop("facilitator_id", None)
        values, errors = service.validate_group(data)
        if errors:
            fail(Refused(422, "validation_error", "Certaines données sont invalides.",
                         "Some fields are invalid.", details=errors))
        try:
            group = service.create_group(values, facilitator)
        except Refused as refused:
            db.session.rollback()
            fail(refused)
        db.session.commit()
        return _group_payloads([group], detail=True)[0]


@blp.route("/groups/<int:groupe_id>")
@employer_role()
class GroupResource(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, GroupDetailSchema)
    def get(self, groupe_id):
        """One group with its sessions (attendance as numbers only)."""
        return _group_payloads([_group(groupe_id)], detail=True)[0]

    @blp.doc(security=SECURITY)
    @blp.arguments(EditGroupSchema)
    @blp.response(200, GroupDetailSchema)
    def patch(self, data, groupe_id):
        """Change a group's details (its facilitator or a référent)."""
        group = _group(groupe_id)
        version = data.pop("version")
        current = {k: getattr(group, k) for k in (
            "title", "theme", "place", "video_url", "capacity", "names_visible")}
        values, errors = service.validate_edit({**current, **data})
        if errors:
            fail(Refused(422, "validation_error", "Certaines données sont invalides.",
                         "Some fields are invalid.", details=errors))
        try:
            outcome = service.update_group(groupe_id, values, version)
        except Refused as refused:
            db.session.rollback()
            fail(refused)
        db.session.commit()
        jobs.after_update(outcome, groupe_id)
        return _group_payloads([service.get_group(groupe_id)], detail=True)[0]


@blp.route("/groups/<int:groupe_id>/close")
@employer_role()
class CloseGroup(MethodView):
    @blp.doc(security=SECURITY)
    @blp.arguments(GroupVersionSchema)
    @blp.response(200, GroupDetailSchema)
    def post(self, data, groupe_id):
        """Close a group (its facilitator or a référent): future sessions cancelled,
        registered and waiting people told by e-mail, no more registration."""
        _group(groupe_id)
        try:
            closing = service.close_group(groupe_id, data["version"])
        except Refused as refused:
            db.session.rollback()
            fail(refused)
        db.session.commit()
        jobs.after_close(closing)
        return _group_payloads([service.get_group(groupe_id)], detail=True)[0]


@blp.route("/groups/<int:groupe_id>/participants")
@employer_role()
class Participants(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, ParticipantsSchema)
    def get(self, groupe_id):
        """Counts for everyone; names for the facilitator, and for the participants when the
        group's rule shows them."""
        group = _group(groupe_id)
        view = service.participants_view(group)

        def people(rows):
            return None if rows is None else [{"profile_id": p, "name": n} for p, n in rows]
        return {"registered_count": view.counts.registered,
                "waiting_count": view.counts.waiting, "names_visible": group.names_visible,
                "participants": people(view.participants),
                "waiting_list": people(view.waiting_list)}


def _registration_payload(outcome):
    row = outcome.inscription
    return {"groupe_id": row.groupe_id, "status": row.status,
            "waiting_position": service.waiting_position(row), "promoted": len(outcome.promoted)}


@blp.route("/groups/<int:groupe_id>/register")
@employer_role()
class Register(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(201, RegistrationSchema)
    def post(self, groupe_id):
        """Register: a place if one is free, otherwise the end of the waiting list."""
        try:
            outcome = service.register(groupe_id)
        except Refused as refused:
            db.session.rollback()
            fail(refused)
        payload = _registration_payload(outcome)
        db.session.commit()
        return payload


@blp.route("/groups/<int:groupe_id>/cancel")
@employer_role()
class Cancel(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, RegistrationSchema)
    def post(self, groupe_id):
        """Leave the group or its waiting list; a freed place goes to the first person
        waiting, who is told by e-mail."""
        try:
            outcome = service.cancel(groupe_id)
        except Refused as refused:
            db.session.rollback()
            fail(refused)
        payload = _registration_payload(outcome)
        db.session.commit()
        jobs.after_cancel(outcome, groupe_id)
        return payload


@blp.route("/groups/<int:groupe_id>/participants/<int:profile_id>/unregister")
@employer_role()
class RemoveParticipant(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, RegistrationSchema)
    def post(self, groupe_id, profile_id):
        """The facilitator unregisters a participant (or takes them off the waiting list); a
        freed place goes to the first person waiting. Both are told by e-mail."""
        _group(groupe_id)
        try:
            outcome = service.remove_participant(groupe_id, profile_id)
        except Refused as refused:
            db.session.rollback()
            fail(refused)
        payload = _registration_payload(outcome)
        db.session.commit()
        jobs.after_remove(outcome, groupe_id)
        return payload


# --- sessions -------------------------------------------------------------------------------

def _session(seance_id):
    try:
        return service.get_session(seance_id)
    except Refused as refused:
        fail(refused)


@blp.route("/sessions/<int:seance_id>")
@employer_role()
class SessionResource(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, SessionSchema)
    def get(self, seance_id):
        """One session (attendance as numbers)."""
        seance, _ = _session(seance_id)
        return _sessions_payload([seance])[0]


@blp.route("/sessions/<int:seance_id>/attendance")
@employer_role()
class Attendance(MethodView):
    @blp.doc(security=SECURITY)
    @blp.arguments(AttendanceSchema)
    @blp.response(200, SessionSchema)
    def post(self, data, seance_id):
        """Take attendance (the group's facilitator only)."""
        _session(seance_id)
        try:
            seance = service.take_attendance(seance_id, data["present"], data["version"])
        except Refused as refused:
            db.session.rollback()
            fail(refused)
        db.session.commit()
        return _sessions_payload([seance])[0]


@blp.route("/sessions/<int:seance_id>/cancel")
@employer_role()
class CancelSession(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, SessionSchema)
    def post(self, seance_id):
        """Cancel a future session (the group's facilitator); registered people are told."""
        _session(seance_id)
        try:
            seance, people = service.cancel_session(seance_id)
        except Refused as refused:
            db.session.rollback()
            fail(refused)
        db.session.commit()
        jobs.after_session_cancelled(seance, people)
        return _sessions_payload([seance])[0]
