"""The agenda API: ``GET /api/v1/e/<tenant>/agenda``, the signed-in person's events (the same as
the agenda page: their meetings, group sessions, drop-in slots and interventions, from the models
the employer enabled) over a period. Nobody reads another person's agenda here, référents
included: there is no person parameter."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import request
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validates_schema

from werkzeug.exceptions import BadRequest

from server.api import check_json_body
from server.auth.access import employer_role
from server import clock
from server.calendar.events import collect
from server.clock import PARIS
from server.employers.models import Profile
from server.extensions import db
from tenants import current_tenant

blp = Blueprint("api_agenda", __name__, url_prefix="/api/v1/e/<tenant>/agenda",
                description="Votre agenda dans un espace employeur")
blp.before_request(check_json_body)
SECURITY = [{"bearer": []}, {"cookie": []}]

#: Without a period: as the agenda page (90 days back, 365 ahead).
DEFAULT_DAYS = (90, 365)
#: The longest period one call may ask for.
MAX_DAYS = 731
DATE_MESSAGE = "Saisissez une date réelle au format AAAA-MM-JJ, par exemple 2026-03-03."


class PeriodQuery(Schema):
    """The period, both days included (Europe/Paris)."""

    start = fields.Date(load_default=None, error_messages={"invalid": DATE_MESSAGE},
                        metadata={"description": "Premier jour (AAAA-MM-JJ) ; par défaut, il "
                                                 "y a 90 jours."})
    end = fields.Date(load_default=None, error_messages={"invalid": DATE_MESSAGE},
                      metadata={"description": "Dernier jour (AAAA-MM-JJ) ; par défaut, dans "
                                               "365 jours."})

    @validates_schema
    def _order(self, data, **kw):
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                raise ValidationError("La date de fin doit être égale ou postérieure à la date "
                                      "de début.", "end")
            if (end - start).days >= MAX_DAYS:
                raise ValidationError("La période doit durer deux ans au plus.", "end")


class AgendaEventSchema(Schema):
    uid = fields.String(metadata={"description": "Identifiant stable (celui du flux iCalendar)."})
    model = fields.String(metadata={"description": "Le modèle du programme d'où vient "
                                                   "l'événement (binomes, groupes…)."})
    model_label = fields.String()
    title = fields.String()
    all_day = fields.Boolean(metadata={"description": "Vrai : `start` et `end` sont des dates, "
                                                      "`end` le lendemain du dernier jour."})
    start = fields.String(metadata={"description": "Date-heure ISO 8601 avec fuseau, ou date."})
    end = fields.String()
    location = fields.String(allow_none=True)
    url = fields.String(allow_none=True, metadata={"description": "Page de l'événement."})
    description = fields.String()
    cancelled = fields.Boolean()
    ics_url = fields.String(metadata={"description": "L'événement seul, au format .ics."})


class AgendaSchema(Schema):
    start = fields.Date()
    end = fields.Date()
    events = fields.List(fields.Nested(AgendaEventSchema))


def _period() -> tuple[date, date]:
    args = {k: v for k, v in request.args.items() if k in ("start", "end")}
    try:
        data = PeriodQuery().load(args)
    except ValidationError as exc:
        error = BadRequest()
        error.api_code = "invalid_period"
        error.api_message = "La période demandée est invalide."
        error.api_message_en = "The requested period is invalid."
        error.data = {"messages": exc.messages}
        raise error from None
    start, end = data["start"], data["end"]
    span = timedelta(days=sum(DEFAULT_DAYS))
    if start is None and end is None:
        today = clock.today()
        return today - timedelta(days=DEFAULT_DAYS[0]), today + timedelta(days=DEFAULT_DAYS[1])
    if start is None:
        return end - span, end
    if end is None:
        return start, start + span
    return start, end


def _iso(value) -> str:
    return value.isoformat()


@blp.route("")
@employer_role()
class Agenda(MethodView):
    @blp.doc(security=SECURITY, parameters=[
        {"in": "query", "name": "start", "schema": {"type": "string", "format": "date"},
         "description": "Premier jour de la période (AAAA-MM-JJ)."},
        {"in": "query", "name": "end", "schema": {"type": "string", "format": "date"},
         "description": "Dernier jour de la période (AAAA-MM-JJ), deux ans au plus après "
                        "le premier."}])
    @blp.response(200, AgendaSchema)
    @blp.alt_response(400, description="Période invalide (code `invalid_period`).")
    def get(self):
        """Your events over a period, as on your agenda page."""
        start, end = _period()
        profile_id = db.session.execute(sa.select(Profile.id).where(
            Profile.user_id == current_user.id)).scalar_one_or_none()
        items = []
        if profile_id is not None:
            items = collect(profile_id, datetime.combine(start, time.min, PARIS),
                            datetime.combine(end + timedelta(days=1), time.min, PARIS))
        slug = current_tenant().slug
        return {"start": start, "end": end, "events": [{
            "uid": i.event.uid, "model": i.model, "model_label": i.label,
            "title": i.event.title, "all_day": i.all_day, "start": _iso(i.event.start),
            "end": _iso(i.event.end), "location": i.event.location, "url": i.event.url,
            "description": i.event.description, "cancelled": i.event.cancelled,
            "ics_url": f"/e/{slug}/agenda/{i.event.uid}.ics",
        } for i in items if start <= i.day <= end or (i.day < start and _ends_after(i, start))]}


def _ends_after(item, start: date) -> bool:
    """An event begun before the period still running in it (a long slot across midnight)."""
    end = item.event.end
    if isinstance(end, datetime):
        return clock.day_of(end) >= start
    return end > start
