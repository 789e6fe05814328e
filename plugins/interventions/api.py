"""The interventions JSON API, at /api/v1/e/<tenant>/interventions/."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from plugins.base import raise_refusal, check_json_body, db, employer_role
from plugins.interventions import service
from plugins.interventions.models import KINDS, OUTCOMES, STATUSES
from plugins.interventions.service import Refused

blp = Blueprint("interventions_api", __name__,
                description="Interventions : sensibilisation et comités de maintien dans l'emploi")
blp.before_request(check_json_body)
SECURITY = [{"bearer": []}, {"cookie": []}]


fail = raise_refusal


class InterventionSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"enum": list(KINDS)})
    title = fields.String()
    starts_at = fields.DateTime()
    planned_minutes = fields.Integer()
    location = fields.String(allow_none=True)
    helper_id = fields.Integer()
    status = fields.String(metadata={"enum": list(STATUSES)})
    audience_size = fields.Integer(allow_none=True)
    minutes_spent = fields.Integer(allow_none=True)
    outcome = fields.String(allow_none=True, metadata={"enum": list(OUTCOMES)})
    version = fields.Integer()


class InterventionRequestSchema(Schema):
    """Raw values: checked by the service, which answers French messages field by field. The
    metadata documents the service's rules (tests/test_api_schemathesis.py holds them to it)."""
    kind = fields.Raw(required=True, metadata={"type": "string", "enum": list(KINDS)})
    title = fields.Raw(required=True, metadata={
        "type": "string", "minLength": 1, "maxLength": 160, "pattern": r"\S"})
    starts_at = fields.Raw(required=True, metadata={
        "type": "string", "format": "date-time",
        "description": "Date et heure à venir (ISO 8601 ; sans décalage : heure de Paris)."})
    planned_minutes = fields.Raw(required=True, metadata={
        "type": "integer", "minimum": 15, "maximum": 600})
    location = fields.Raw(load_default=None, metadata={
        "type": "string", "maxLength": 160})  # apispec adds "null" (load_default=None)
    helper_id = fields.Raw(required=True, metadata={
        "type": "integer", "minimum": 1, "maximum": 2**31 - 1,
        "description": "Un pair-aidant de l'espace."})


class InterventionAnswerSchema(Schema):
    answer = fields.String(required=True, validate=validate.OneOf(["accept", "decline"]))
    version = fields.Integer(load_default=None)


class InterventionReportSchema(Schema):
    audience_size = fields.Raw(required=True, metadata={
        "type": "integer", "minimum": 0, "maximum": 10000})
    minutes_spent = fields.Raw(required=True, metadata={
        "type": "integer", "minimum": 1, "maximum": 1440})
    outcome = fields.Raw(required=True, metadata={"type": "string", "enum": list(OUTCOMES)})
    version = fields.Integer(load_default=None)


class InterventionVersionSchema(Schema):
    version = fields.Integer(load_default=None)


def _get(intervention_id: int):
    try:
        return service.get(intervention_id)
    except Refused as refused:
        fail(refused)


def _do(action):
    try:
        result = action()
    except Refused as refused:
        db.session.rollback()
        fail(refused)
    db.session.commit()
    return result


@blp.route("/interventions")
class Interventions(MethodView):
    @employer_role("referent", "pair-aidant")
    @blp.response(200, InterventionSchema(many=True))
    @blp.doc(security=SECURITY)
    def get(self):
        """Les interventions visibles : toutes pour un référent, les siennes sinon."""
        return db.session.execute(service.visible()).scalars().all()

    @employer_role("referent")
    @blp.arguments(InterventionRequestSchema)
    @blp.response(201, InterventionSchema)
    @blp.doc(security=SECURITY)
    def post(self, data):
        """Demander une intervention à un pair-aidant."""
        cleaned, errors = service.validate_request(data)
        if errors:
            fail(service.invalid(errors))
        return _do(lambda: service.ask(cleaned))


@blp.route("/interventions/<int:intervention_id>")
class InterventionItem(MethodView):
    @employer_role("referent", "pair-aidant")
    @blp.response(200, InterventionSchema)
    @blp.doc(security=SECURITY)
    def get(self, intervention_id: int):
        return _get(intervention_id)


@blp.route("/interventions/<int:intervention_id>/answer")
class Answer(MethodView):
    @employer_role("pair-aidant")
    @blp.arguments(InterventionAnswerSchema)
    @blp.response(200, InterventionSchema)
    @blp.doc(security=SECURITY)
    def post(self, data, intervention_id: int):
        """Accepter ou refuser une demande (la personne sollicitée)."""
        item = _get(intervention_id)
        return _do(lambda: service.answer(item, data["answer"] == "accept", data["version"]))


@blp.route("/interventions/<int:intervention_id>/report")
class Report(MethodView):
    @employer_role("referent", "pair-aidant")
    @blp.arguments(InterventionReportSchema)
    @blp.response(200, InterventionSchema)
    @blp.doc(security=SECURITY)
    def post(self, data, intervention_id: int):
        """Faire le bilan : participants, temps passé, résultat."""
        item = _get(intervention_id)
        cleaned, errors = service.validate_report(data)
        if errors:
            fail(service.invalid(errors))
        return _do(lambda: service.report(item, cleaned, data["version"]))


@blp.route("/interventions/<int:intervention_id>/cancel")
class Cancel(MethodView):
    @employer_role("referent")
    @blp.arguments(InterventionVersionSchema)
    @blp.response(200, InterventionSchema)
    @blp.doc(security=SECURITY)
    def post(self, data, intervention_id: int):
        item = _get(intervention_id)
        return _do(lambda: service.cancel(item, data["version"]))
