"""E-clubs API: /api/v1/reseau/e-clubs — the list, one e-club, registering, questions and
supports. For members of the network (``service.is_member``); errors in the one shape."""
from __future__ import annotations

from functools import wraps

import sqlalchemy as sa
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from plugins.base import Refused, raise_refusal
from server.api import check_json_body
from server.api.pagination import SelectPage
from server.auth.access import signed_in
from server.eclubs import service
from server.eclubs.models import EClub
from server.extensions import db

blp = Blueprint("api_eclubs", __name__, url_prefix="/api/v1/reseau/e-clubs",
                description="Les e-clubs du réseau : inscriptions et questions")
blp.before_request(check_json_body)
SECURITY = [{"bearer": []}, {"cookie": []}]
SCOPES = ("upcoming", "past", "all")


def members(method):
    """The person must be a member of the network; a ``Refused`` becomes the API error."""
    @wraps(method)
    def wrapper(*args, **kwargs):
        try:
            if not service.is_member():
                raise service.not_a_member()
            return method(*args, **kwargs)
        except Refused as refused:
            db.session.rollback()
            raise_refusal(refused)
    return wrapper


class EClubSpeakerSchema(Schema):
    name = fields.String()
    role = fields.String()


class EClubAgendaItemSchema(Schema):
    position = fields.Integer()
    title = fields.String()
    speakers = fields.List(fields.Nested(EClubSpeakerSchema))


class EClubResourceSchema(Schema):
    label = fields.String()
    url = fields.String()
    phase = fields.String(metadata={"enum": ["before", "after"]})


class EClubSummarySchema(Schema):
    id = fields.Integer()
    title = fields.String()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    duration_minutes = fields.Integer()
    status = fields.String(metadata={"enum": ["scheduled", "cancelled"]})
    replay_url = fields.String(allow_none=True)


class EClubSchema(EClubSummarySchema):
    description = fields.String()
    video_url = fields.String(allow_none=True,
                              metadata={"description": "Members only; never in the public feed."})
    summary = fields.String()
    agenda = fields.List(fields.Nested(EClubAgendaItemSchema))
    resources = fields.List(fields.Nested(EClubResourceSchema))
    registered = fields.Boolean()
    registration_count = fields.Integer()
    questions_open = fields.Boolean()
    ical_uid = fields.String()


class EClubListArgsSchema(Schema):
    scope = fields.String(load_default="all", validate=validate.OneOf(SCOPES),
                          metadata={"description": "upcoming (with those in progress), past or all"})


class EClubQuestionSchema(Schema):
    id = fields.Integer()
    body = fields.String()
    status = fields.String(metadata={"enum": ["open", "answered"]})
    created_at = fields.DateTime()
    supports = fields.Integer()
    author = fields.String(allow_none=True, metadata={
        "description": "Null when the author asked not to show their name (animateurs see it)."})
    anonymous = fields.Boolean()
    mine = fields.Boolean()
    supported = fields.Boolean()


class EClubQuestionCreateSchema(Schema):
    body = fields.String(required=True, validate=validate.Length(max=5000))
    anonymous = fields.Boolean(load_default=False)


class EClubSupportSchema(Schema):
    question_id = fields.Integer()
    supports = fields.Integer()


def _payload(eclub: EClub) -> dict:
    return {
        "id": eclub.id, "title": eclub.title, "starts_at": eclub.starts_at,
        "ends_at": eclub.ends_at, "duration_minutes": eclub.duration_minutes,
        "status": eclub.status, "replay_url": eclub.replay_url,
        "description": eclub.description, "video_url": eclub.video_url,
        "summary": eclub.summary,
        "agenda": [{"position": a.position, "title": a.title, "speakers": a.speakers}
                   for a in eclub.agenda],
        "resources": [{"label": r.label, "url": r.url, "phase": r.phase}
                      for r in eclub.resources],
        "registered": service.is_registered(eclub.id, current_user.id),
        "registration_count": service.registration_count(eclub.id),
        "questions_open": service.questions_open(eclub),
        "ical_uid": eclub.uid,
    }


@blp.route("")
@signed_in
class EClubs(MethodView):
    @blp.doc(security=SECURITY)
    @blp.arguments(EClubListArgsSchema, location="query")
    @blp.response(200, EClubSummarySchema(many=True))
    @blp.paginate(SelectPage, page_size=20, max_page_size=100)
    @members
    def get(self, args):
        """E-clubs: upcoming ones soonest first, past ones latest first."""
        ends = EClub.starts_at + sa.func.make_interval(0, 0, 0, 0, 0, EClub.duration_minutes)
        stmt = sa.select(EClub)
        now = service.now()
        if args["scope"] == "upcoming":
            return stmt.where(ends > now).order_by(EClub.starts_at, EClub.id)
        if args["scope"] == "past":
            return stmt.where(ends <= now).order_by(EClub.starts_at.desc(), EClub.id.desc())
        return stmt.order_by(EClub.starts_at, EClub.id)


@blp.route("/<int:eclub_id>")
@signed_in
class EClubItem(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, EClubSchema)
    @members
    def get(self, eclub_id: int):
        """One e-club, with its agenda, resources, replay and your registration."""
        return _payload(service.get(eclub_id))


@blp.route("/<int:eclub_id>/registration")
@signed_in
class RegistrationItem(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(201, EClubSchema)
    @members
    def post(self, eclub_id: int):
        """Register (once): the confirmation with the invitation (.ics) is e-mailed."""
        service.register(eclub_id, current_user.id)
        db.session.commit()
        return _payload(service.get(eclub_id))

    @blp.doc(security=SECURITY)
    @blp.response(204)
    @members
    def delete(self, eclub_id: int):
        """Unregister."""
        service.unregister(eclub_id, current_user.id)
        db.session.commit()


def _questions(eclub: EClub) -> list[dict]:
    views = service.questions_for(eclub, current_user.id, service.is_animateur())
    return [{"id": q.id, "body": q.body, "status": q.status, "created_at": q.created_at,
             "supports": q.supports, "author": q.author, "anonymous": q.anonymous,
             "mine": q.mine, "supported": q.supported} for q in views]


@blp.route("/<int:eclub_id>/questions")
@signed_in
class Questions(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, EClubQuestionSchema(many=True))
    @members
    def get(self, eclub_id: int):
        """Questions, most supported first then oldest first (merged ones left out)."""
        return _questions(service.get(eclub_id))

    @blp.doc(security=SECURITY)
    @blp.arguments(EClubQuestionCreateSchema)
    @blp.response(201, EClubQuestionSchema)
    @members
    def post(self, data, eclub_id: int):
        """Ask a question, optionally without your name shown to other members."""
        service.get(eclub_id)
        values, errors = service.validate_question(data)
        if errors:
            raise Refused(422, "validation_error", errors["body"], "The question is invalid.",
                          details={"json": errors})
        question = service.ask(eclub_id, current_user.id, values)
        db.session.commit()
        eclub = service.get(eclub_id)
        return next(q for q in _questions(eclub) if q["id"] == question.id)


@blp.route("/<int:eclub_id>/questions/<int:question_id>/support")
@signed_in
class SupportItem(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(201, EClubSupportSchema)
    @members
    def post(self, eclub_id: int, question_id: int):
        """Support a question (once per person; not your own)."""
        service.support(eclub_id, question_id, current_user.id)
        db.session.commit()
        from server.eclubs.models import Support

        count = db.session.execute(sa.select(sa.func.count()).select_from(Support)
                                   .where(Support.question_id == question_id)).scalar_one()
        return {"question_id": question_id, "supports": count}
