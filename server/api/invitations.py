"""Invitations API: /api/v1/e/<tenant>/invitations (référents)."""
from __future__ import annotations

from flask import abort
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from werkzeug.exceptions import Conflict, UnprocessableEntity

from server.api import check_json_body
from server.auth.access import employer_role
from server.auth.models import EMPLOYER_ROLES
from server.extensions import db
from server.invitations import service

blp = Blueprint("api_invitations", __name__, url_prefix="/api/v1/e/<tenant>/invitations",
                description="Invitations d'un espace employeur")
blp.before_request(check_json_body)
SECURITY = [{"bearer": []}, {"cookie": []}]

#: Problem of a candidate → the request field it is about.
FIELD_OF_PROBLEM = {"email": "email", "nom": "display_name", "role": "role"}
CONFLICTS = {
    "membre": ("already_member", "This person already has this role in the space."),
    "invitation": ("already_invited", "This person already has a pending invitation."),
}


class InvitationSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    display_name = fields.String()
    role = fields.String(metadata={"enum": list(EMPLOYER_ROLES)})
    status = fields.String(metadata={"enum": ["pending", "accepted", "revoked", "expired"]})
    created_at = fields.DateTime()
    sent_at = fields.DateTime()
    sent_count = fields.Integer()
    expires_at = fields.DateTime()
    accepted_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)


class InvitationCreateSchema(Schema):
    """Checked by the service (French messages); the metadata documents its rules."""

    email = fields.String(required=True, validate=validate.Length(max=254),
                          metadata={"format": "email"})
    display_name = fields.String(required=True, validate=validate.Length(max=200), metadata={
        "minLength": 1, "maxLength": service.NAME_MAX, "pattern": r"\S"})
    role = fields.String(required=True, validate=validate.Length(max=40), metadata={
        "enum": list(EMPLOYER_ROLES),
        "description": "pair-aidant, pair-aide, membre or referent (accents and case ignored)"})


@blp.route("")
@employer_role("referent")
class Invitations(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, InvitationSchema(many=True))
    def get(self):
        """The space's invitations, open ones first. Links are never returned: they are sent
        by e-mail only."""
        return service.listing()

    @blp.doc(security=SECURITY)
    @blp.arguments(InvitationCreateSchema)
    @blp.response(201, InvitationSchema)
    def post(self, data):
        """Invite one person: the e-mail with the link is sent in the background."""
        candidate = service.Candidate(email=data["email"], display_name=data["display_name"],
                                      role=service.parse_role(data["role"]),
                                      role_text=data["role"])
        created = service.create([candidate], current_user.id)
        if not created:
            db.session.rollback()
            _refuse(candidate)
        db.session.commit()
        service.send_links(created)
        return created[0][0]


@blp.route("/<int:invitation_id>")
@employer_role("referent")
class InvitationItem(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(204)
    def delete(self, invitation_id: int):
        """Revoke a pending invitation: its link stops working."""
        invitation = service.find_in_space(invitation_id, lock=True)
        if invitation is None:
            abort(404)
        try:
            service.revoke(invitation)
        except service.NotPending:
            db.session.rollback()
            exc = Conflict()
            exc.api_code = "not_pending"
            exc.api_message = "Cette invitation est déjà acceptée ou annulée."
            exc.api_message_en = "This invitation was already accepted or revoked."
            raise exc
        db.session.commit()


def _refuse(candidate):
    invalid = {FIELD_OF_PROBLEM[k]: [m] for k, m in candidate.problems.items()
               if k in FIELD_OF_PROBLEM}
    if invalid:
        exc = UnprocessableEntity()
        exc.data = {"messages": {"json": invalid}}
        raise exc
    kind = next(k for k in candidate.problems if k in CONFLICTS)
    exc = Conflict()
    exc.api_code, exc.api_message_en = CONFLICTS[kind]
    exc.api_message = candidate.problems[kind]
    raise exc
