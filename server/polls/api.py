"""Polls API: /api/v1/reseau/sondages — read polls, cast or replace one's ballot, read the
results when the poll shows them. A ballot is never returned, not even to its voter."""
from __future__ import annotations

from flask import abort
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from plugins.base import Refused, raise_refusal
from server.api import check_json_body
from server.auth.access import signed_in
from server.extensions import db
from server.polls import service
from server.polls.models import Poll

blp = Blueprint("api_polls", __name__, url_prefix="/api/v1/reseau/sondages",
                description="Sondages du réseau (thèmes des prochains e-clubs)")
blp.before_request(check_json_body)
SECURITY = [{"bearer": []}, {"cookie": []}]


class PollOptionSchema(Schema):
    id = fields.Integer()
    title = fields.String()


class PollSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    method = fields.String(metadata={"enum": ["approval", "schulze"]})
    max_choices = fields.Integer(allow_none=True)
    scope = fields.String(metadata={"enum": ["person", "employer"]})
    opens_at = fields.DateTime()
    closes_at = fields.DateTime()
    state = fields.String(metadata={"enum": ["upcoming", "open", "closed"]})
    results_during_vote = fields.Boolean()
    results_visible = fields.Boolean()
    eligible = fields.Boolean()
    has_voted = fields.Boolean(metadata={"description": "You voted (never what you chose)."})
    options = fields.List(fields.Nested(PollOptionSchema))


class PollBallotSchema(Schema):
    choices = fields.List(
        fields.Raw(metadata={"type": "integer"}), required=True, validate=validate.Length(max=200),
        metadata={"description": "Option ids: the approved ones (approval), or the ranking "
                  "from most to least preferred (schulze)."})
    employer = fields.String(load_default=None, validate=validate.Length(max=40),
                             metadata={"description": "Employer slug, for one-ballot-per-"
                                       "employer polls when you are référent of several."})


class PollBallotRecordedSchema(Schema):
    recorded = fields.Boolean()
    replaced = fields.Boolean(metadata={"description": "It replaced your earlier ballot."})


class PollResultsSchema(Schema):
    poll_id = fields.Integer()
    final = fields.Boolean()
    method = fields.String()
    ballots = fields.Integer()
    options = fields.List(fields.Dict())
    ranking = fields.List(fields.List(fields.Integer()),
                          metadata={"description": "Tiers, best first; a tier of several "
                                    "options is a tie."})
    winners = fields.List(fields.Integer())
    scores = fields.Dict(keys=fields.String(), values=fields.Integer())
    pairwise = fields.List(fields.List(fields.Integer()))
    strongest = fields.List(fields.List(fields.Integer()))


def _require_member():
    if not service.is_member(current_user):
        abort(403)


def _describe(poll: Poll) -> dict:
    return {
        "id": poll.id, "title": poll.title, "method": poll.method,
        "max_choices": poll.max_choices, "scope": poll.scope, "opens_at": poll.opens_at,
        "closes_at": poll.closes_at, "state": service.state(poll),
        "results_during_vote": poll.results_during_vote,
        "results_visible": service.results_visible(poll),
        "eligible": service.eligibility(poll, current_user) is None,
        "has_voted": service.has_voted(poll, current_user.id),
        "options": [{"id": o.id, "title": o.title} for o in poll.options],
    }


def _poll_or_404(poll_id: int) -> Poll:
    poll = db.session.get(Poll, poll_id)
    if poll is None:
        abort(404)
    return poll


@blp.route("")
@signed_in
class Polls(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, PollSchema(many=True))
    def get(self):
        """Every poll of the network, the latest closing first."""
        _require_member()
        return [_describe(p) for p in service.polls()]


@blp.route("/<int:poll_id>")
@signed_in
class PollItem(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, PollSchema)
    def get(self, poll_id: int):
        """One poll, with its options."""
        _require_member()
        return _describe(_poll_or_404(poll_id))


@blp.route("/<int:poll_id>/bulletin")
@signed_in
class Ballot(MethodView):
    @blp.doc(security=SECURITY)
    @blp.arguments(PollBallotSchema)
    @blp.response(200, PollBallotRecordedSchema)
    def put(self, data, poll_id: int):
        """Cast your ballot, or replace it until the poll closes. Refusals: 409
        ``poll_not_open`` / ``poll_closed``, 403 ``not_eligible``, 422 ``too_many_choices``,
        ``repeated_option``, ``unknown_option``, ``empty_ballot``, ``invalid_ballot``."""
        _require_member()
        try:
            replaced = service.cast(poll_id, current_user, data["choices"], data["employer"])
        except Refused as refused:
            db.session.rollback()
            raise_refusal(refused)
        db.session.commit()
        return {"recorded": True, "replaced": replaced}


@blp.route("/<int:poll_id>/resultats")
@signed_in
class Results(MethodView):
    @blp.doc(security=SECURITY)
    @blp.response(200, PollResultsSchema)
    def get(self, poll_id: int):
        """The results: final once closed; while the vote runs only if the poll shows them
        (409 ``results_hidden`` otherwise)."""
        _require_member()
        poll = _poll_or_404(poll_id)
        if not service.results_visible(poll):
            raise_refusal(Refused(409, "results_hidden",
                                  "Les résultats de ce sondage ne sont pas encore visibles.",
                                  "The results of this poll are not visible yet."))
        result = dict(service.current_results(poll))
        return {**result, "poll_id": poll.id, "final": service.state(poll) == "closed"}
