"""The binômes JSON API, at /api/v1/e/<tenant>/binomes/ (described in the OpenAPI document).

Errors have the one JSON error shape; refusals carry a specific ``code`` (``stale_version``,
``nobody_to_match``, ``binome_closed``, ``not_profile_owner``...) and a French message."""
from __future__ import annotations

import sqlalchemy as sa
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from plugins.base import (raise_refusal, SelectPage, check_json_body, db, employer_role,
                          record_access)
from plugins.binomes import service
from plugins.binomes.models import (CLOSE_REASONS, STATUSES, Binome, HelperProfile,
                                    MatchingRun, SeekerProfile)
from plugins.binomes.service import Refused

blp = Blueprint("binomes_api", __name__, description="Binômes pair-aidant / pair-aidé")
blp.before_request(check_json_body)
SECURITY = [{"bearer": []}, {"cookie": []}]


fail = raise_refusal


def invalid(errors: dict):
    fail(Refused(422, "validation_error", "Certaines données sont invalides.",
                 "Some fields are invalid.", details=errors))


# --- schemas --------------------------------------------------------------------------------

class HelperProfileSchema(Schema):
    profile_id = fields.Integer(dump_only=True)
    experiences = fields.List(fields.String(), required=True)
    availability = fields.List(fields.String(), required=True,
                               metadata={"description": "Créneaux, ex. « lundi-matin »."})
    capacity = fields.Integer(required=True)
    site = fields.String(allow_none=True, load_default=None)
    department = fields.String(allow_none=True, load_default=None)
    paused = fields.Boolean(load_default=False)
    version = fields.Integer(required=True, metadata={
        "description": "Version lue (0 pour créer le profil) ; 409 si elle a changé."})


class SeekerProfileSchema(Schema):
    profile_id = fields.Integer(dump_only=True)
    looking_for = fields.List(fields.String(), required=True)
    availability = fields.List(fields.String(), required=True)
    site = fields.String(allow_none=True, load_default=None)
    department = fields.String(allow_none=True, load_default=None)
    exclude_same_department = fields.Boolean(load_default=False)
    excluded_helpers = fields.List(fields.Integer(), load_default=list)
    version = fields.Integer(required=True)


class MyProfilesSchema(Schema):
    profile_id = fields.Integer()
    helper = fields.Nested(HelperProfileSchema, allow_none=True)
    seeker = fields.Nested(SeekerProfileSchema, allow_none=True)


class ReasonSchema(Schema):
    reason = fields.String()
    points = fields.Float()


class ProposalSchema(Schema):
    id = fields.Integer()
    helper_id = fields.Integer()
    seeker_id = fields.Integer()
    helper_name = fields.String()
    seeker_name = fields.String()
    score = fields.Float()
    explanation = fields.List(fields.Nested(ReasonSchema))


class RunSchema(Schema):
    id = fields.Integer()
    status = fields.String(metadata={"enum": ["draft", "published", "discarded"]})
    created_at = fields.DateTime()
    published_at = fields.DateTime(allow_none=True)
    weights = fields.Dict()
    version = fields.Integer()
    proposals = fields.List(fields.Nested(ProposalSchema))


class VersionSchema(Schema):
    version = fields.Integer(required=True)


class RemoveProposalSchema(VersionSchema):
    proposal_id = fields.Integer(required=True)


class BinomeSchema(Schema):
    """What anyone allowed to see a binôme reads: never the notes."""
    id = fields.Integer()
    status = fields.String(metadata={"enum": list(STATUSES)})
    helper_id = fields.Integer()
    seeker_id = fields.Integer()
    helper_name = fields.String()
    seeker_name = fields.String()
    helper_answer = fields.String()
    seeker_answer = fields.String()
    created_at = fields.DateTime()
    accepted_at = fields.DateTime(allow_none=True)
    started_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    close_reason = fields.String(allow_none=True)
    meetings_count = fields.Integer()
    last_meeting_on = fields.Date(allow_none=True)
    version = fields.Integer()


class EventSchema(Schema):
    at = fields.DateTime()
    event = fields.String()
    status = fields.String()
    reason = fields.String(allow_none=True)


class BinomeDetailSchema(BinomeSchema):
    history = fields.List(fields.Nested(EventSchema))


class AnswerSchema(Schema):
    answer = fields.String(required=True, validate=validate.OneOf(["accept", "decline"]))


class CloseSchema(VersionSchema):
    reason = fields.String(required=True, metadata={"enum": list(CLOSE_REASONS)})


class MeetingSchema(Schema):
    id = fields.Integer(dump_only=True)
    held_on = fields.String(required=True, metadata={
        "format": "date", "description": "Aujourd'hui ou avant."})
    duration_minutes = fields.Integer(required=True, metadata={"minimum": 1, "maximum": 600})
    format = fields.String(required=True, metadata={
        "minLength": 1, "maxLength": 80,
        "description": "Une des formes de rencontre réglées par l'employeur."})
    note = fields.String(load_default="", metadata={
        "maxLength": service.NOTE_MAX,
        "description": "Notes privées : lues et renvoyées aux deux membres du binôme "
                       "seulement, jamais au référent."})
    logged_by = fields.Integer(dump_only=True)


# --- payloads -------------------------------------------------------------------------------

def _helper_payload(row):
    if row is None:
        return None
    return {c: getattr(row, c) for c in ("profile_id", "experiences", "availability",
                                         "capacity", "site", "department", "paused", "version")}


def _seeker_payload(row):
    if row is None:
        return None
    return {c: getattr(row, c) for c in ("profile_id", "looking_for", "availability", "site",
                                         "department", "exclude_same_department",
                                         "excluded_helpers", "version")}


def _run_payload(run: MatchingRun):
    proposals = service.run_proposals(run.id)
    who = service.names({p.helper_id for p in proposals} | {p.seeker_id for p in proposals})
    return {"id": run.id, "status": run.status, "created_at": run.created_at,
            "published_at": run.published_at, "weights": run.weights, "version": run.version,
            "proposals": [{"id": p.id, "helper_id": p.helper_id, "seeker_id": p.seeker_id,
                           "helper_name": who.get(p.helper_id), "seeker_name": who.get(p.seeker_id),
                           "score": p.score,
                           "explanation": [{"reason": r, "points": pts}
                                           for r, pts in p.explanation]}
                          for p in proposals]}


def _binome_payloads(binomes, history=False):
    who = service.names({b.helper_id for b in binomes} | {b.seeker_id for b in binomes})
    stats = service.meeting_stats(b.id for b in binomes)
    out = []
    for b in binomes:
        count, last = stats.get(b.id, (0, None))
        item = {c: getattr(b, c) for c in (
            "id", "status", "helper_id", "seeker_id", "helper_answer", "seeker_answer",
            "created_at", "accepted_at", "started_at", "closed_at", "close_reason", "version")}
        item.update(helper_name=who.get(b.helper_id), seeker_name=who.get(b.seeker_id),
                    meetings_count=count, last_meeting_on=last)
        if history:
            item["history"] = service.history_of(b.id)
        out.append(item)
    return out


# --- profiles -------------------------------------------------------------------------------

@blp.route("/profiles/me")
@employer_role()
class MyProfiles(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, MyProfilesSchema)
    def get(self):
        """Your pair-aidant and pair-aidé profiles (null when not filled in)."""
        me = service.my_profile()
        if me is None:
            fail(Refused(404, "not_found", "Vous n'avez pas de profil dans cet espace.",
                         "You have no profile in this space."))
        return {"profile_id": me.id,
                "helper": _helper_payload(db.session.get(HelperProfile, me.id)),
                "seeker": _seeker_payload(db.session.get(SeekerProfile, me.id))}


def _get_profile(model, payload, profile_id):
    me = service.my_profile()
    if not service.is_referent() and (me is None or me.id != profile_id):
        fail(Refused(404, "not_found", "Ce profil n'existe pas ou vous n'y avez pas accès.",
                     "No such profile, or you may not see it."))
    row = db.session.get(model, profile_id)
    if row is None:
        fail(Refused(404, "not_found", "Ce profil n'est pas encore rempli.",
                     "This profile is not filled in."))
    record_access("read", model.__tablename__, profile_id)
    return payload(row)


def _put_profile(model, validator, payload, profile_id, data, role):
    me = service.my_profile()
    if me is None or me.id != profile_id:
        fail(Refused(403, "not_profile_owner",
                     "Seule la personne concernée peut modifier son profil.",
                     "Only the person concerned may change this profile."))
    if role not in service.roles():
        fail(Refused(403, "forbidden", "Ce profil est réservé au rôle correspondant.",
                     "This profile needs the matching role."))
    version = data.pop("version")
    values, errors = validator(data)
    if errors:
        invalid(errors)
    try:
        row = service.save_profile(model, profile_id, values, version)
    except Refused as refused:
        db.session.rollback()
        fail(refused)
    db.session.commit()
    return payload(row)


@blp.route("/profiles/helpers/<int:profile_id>")
@employer_role()
class HelperProfileResource(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, HelperProfileSchema)
    def get(self, profile_id):
        """A pair-aidant's profile (the person or a référent)."""
        return _get_profile(HelperProfile, _helper_payload, profile_id)

    @blp.doc(security=SECURITY)
    @blp.arguments(HelperProfileSchema)
    @blp.response(200, HelperProfileSchema)
    def put(self, data, profile_id):
        """Create or change your own pair-aidant profile."""
        return _put_profile(HelperProfile, service.validate_helper, _helper_payload,
                            profile_id, data, "pair-aidant")


@blp.route("/profiles/seekers/<int:profile_id>")
@employer_role()
class SeekerProfileResource(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, SeekerProfileSchema)
    def get(self, profile_id):
        """A pair-aidé's profile (the person or a référent)."""
        return _get_profile(SeekerProfile, _seeker_payload, profile_id)

    @blp.doc(security=SECURITY)
    @blp.arguments(SeekerProfileSchema)
    @blp.response(200, SeekerProfileSchema)
    def put(self, data, profile_id):
        """Create or change your own pair-aidé profile."""
        return _put_profile(SeekerProfile, service.validate_seeker, _seeker_payload,
                            profile_id, data, "pair-aide")


# --- matching runs --------------------------------------------------------------------------

@blp.route("/runs")
@employer_role("referent")
class Runs(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, RunSchema(many=True))
    @blp.paginate(SelectPage, page_size=20, max_page_size=100)
    def get(self):
        """Matching runs, newest first (référents)."""
        return sa.select(MatchingRun).order_by(MatchingRun.id.desc())

    @blp.doc(security=SECURITY)
    @blp.response(201, RunSchema)
    def post(self):
        """Compute a matching for everyone waiting, kept as a draft (référents)."""
        try:
            run = service.run_matching()
        except Refused as refused:
            db.session.rollback()
            fail(refused)
        db.session.commit()
        return _run_payload(run)


@blp.route("/runs/<int:run_id>")
@employer_role("referent")
class Run(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, RunSchema)
    def get(self, run_id):
        """A matching run with its proposals and the explanation of each score."""
        run = db.session.get(MatchingRun, run_id)
        if run is None:
            fail(Refused(404, "not_found", "Cet appariement n'existe pas.", "No such run."))
        return _run_payload(run)


def _run_action(run_id, action):
    try:
        action()
    except Refused as refused:
        db.session.rollback()
        fail(refused)
    db.session.commit()
    return _run_payload(db.session.get(MatchingRun, run_id))


@blp.route("/runs/<int:run_id>/remove-proposal")
@employer_role("referent")
class RemoveProposal(MethodView):
    @blp.doc(security=SECURITY)
    @blp.arguments(RemoveProposalSchema)
    @blp.response(200, RunSchema)
    def post(self, data, run_id):
        """Take a proposal out of a draft run (409 if the run changed since ``version``)."""
        return _run_action(run_id, lambda: service.remove_proposal(
            run_id, data["proposal_id"], data["version"]))


@blp.route("/runs/<int:run_id>/publish")
@employer_role("referent")
class Publish(MethodView):
    @blp.doc(security=SECURITY)
    @blp.arguments(VersionSchema)
    @blp.response(200, RunSchema)
    def post(self, data, run_id):
        """Publish a draft run: each proposal becomes a proposed binôme, all or none."""
        return _run_action(run_id, lambda: service.publish_run(run_id, data["version"]))


@blp.route("/runs/<int:run_id>/discard")
@employer_role("referent")
class Discard(MethodView):
    @blp.doc(security=SECURITY)
    @blp.arguments(VersionSchema)
    @blp.response(200, RunSchema)
    def post(self, data, run_id):
        """Abandon a draft run: nothing is sent."""
        return _run_action(run_id, lambda: service.discard_run(run_id, data["version"]))


# --- binômes --------------------------------------------------------------------------------

@blp.route("/binomes")
@employer_role()
class Binomes(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, BinomeSchema(many=True))
    def get(self):
        """Your binômes; référents see every binôme (statuses, counts, dates — never notes)."""
        rows = service.all_binomes() if service.is_referent() else service.binomes_for_me()
        return _binome_payloads(rows)


def _visible(binome_id, lock=False):
    try:
        return service.visible_binome(binome_id, lock=lock)
    except Refused as refused:
        fail(refused)


@blp.route("/binomes/<int:binome_id>")
@employer_role()
class BinomeResource(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, BinomeDetailSchema)
    def get(self, binome_id):
        """One binôme with its history (its members and référents)."""
        binome, _ = _visible(binome_id)
        record_access("read", "binomes_binome", binome.id)
        return _binome_payloads([binome], history=True)[0]


def _binome_action(binome_id, action):
    _visible(binome_id)
    try:
        action()
    except Refused as refused:
        db.session.rollback()
        fail(refused)
    db.session.commit()
    return _binome_payloads([db.session.get(Binome, binome_id)], history=True)[0]


@blp.route("/binomes/<int:binome_id>/answer")
@employer_role()
class Answer(MethodView):
    @blp.doc(security=SECURITY)
    @blp.arguments(AnswerSchema)
    @blp.response(200, BinomeDetailSchema)
    def post(self, data, binome_id):
        """Accept or decline a proposed binôme (its two members; double opt-in)."""
        return _binome_action(binome_id, lambda: service.answer(
            binome_id, data["answer"] == "accept"))


@blp.route("/binomes/<int:binome_id>/start")
@employer_role()
class Start(MethodView):
    @blp.doc(security=SECURITY)
    @blp.arguments(VersionSchema)
    @blp.response(200, BinomeDetailSchema)
    def post(self, data, binome_id):
        """Start an accepted binôme."""
        return _binome_action(binome_id, lambda: service.start(binome_id, data["version"]))


@blp.route("/binomes/<int:binome_id>/close")
@employer_role()
class Close(MethodView):
    @blp.doc(security=SECURITY)
    @blp.arguments(CloseSchema)
    @blp.response(200, BinomeDetailSchema)
    def post(self, data, binome_id):
        """Close an accepted or active binôme, with a reason."""
        return _binome_action(binome_id, lambda: service.close(
            binome_id, data["reason"], data["version"]))


@blp.route("/binomes/<int:binome_id>/meetings")
@employer_role()
class Meetings(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, MeetingSchema(many=True))
    def get(self, binome_id):
        """The binôme's meetings; ``note`` only for its two members."""
        binome, side = _visible(binome_id)
        record_access("read", "binomes_binome", binome.id)
        notes = service.notes_for_member(binome, side)
        out = []
        for m in service.meetings_of(binome.id):
            item = {"id": m.id, "held_on": m.held_on.isoformat(),
                    "duration_minutes": m.duration_minutes, "format": m.format,
                    "logged_by": m.logged_by}
            if side is not None:
                item["note"] = notes.get(m.id, "")
            out.append(item)
        return out

    @blp.doc(security=SECURITY)
    @blp.arguments(MeetingSchema)
    @blp.response(201, MeetingSchema)
    def post(self, data, binome_id):
        """Log a meeting (its two members), with private notes."""
        _visible(binome_id)
        values, errors = service.validate_meeting(data)
        if errors:
            invalid(errors)
        try:
            meeting = service.log_meeting(binome_id, values)
        except Refused as refused:
            db.session.rollback()
            fail(refused)
        db.session.commit()
        return {"id": meeting.id, "held_on": meeting.held_on.isoformat(),
                "duration_minutes": meeting.duration_minutes, "format": meeting.format,
                "logged_by": meeting.logged_by, "note": values["note"]}
