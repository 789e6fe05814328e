"""Binômes: fixed pairs pair-aidant / pair-aidé (the seed's « binôme constitué »).

A pair-aidant declares what lived experiences they can share, where and when they are
available and how many binômes they can take; a pair-aidé says what they look for and whom they
do not want to meet. A référent runs a matching that proposes a whole set of pairs at once
(``matching.match``), adjusts and publishes it; each side accepts or declines (double opt-in).
A binôme is then proposed → accepted → active → closed; its members log their meetings with
private notes that the référent never sees.

Imports from ``plugins.base`` and ``server.signals`` only (and its own modules)."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa
from marshmallow import Schema, ValidationError, fields, validate

from plugins.base import (CalendarEvent, Indicator, PeriodicJob, ProgrammeModel, TimeSpent,
                          current_tenant, db)

HERE = Path(__file__).parent

DEFAULT_EXPERIENCES = [
    "Santé mentale",
    "Maladie chronique",
    "Handicap moteur",
    "Handicap sensoriel",
    "Handicap psychique",
    "Retour à l'emploi",
    "Maintien dans l'emploi",
]
DEFAULT_FORMATS = ["En présentiel", "En visioconférence", "Par téléphone"]


def _distinct(values):
    seen = {v.strip().casefold() for v in values}
    if len(seen) != len(values):
        raise ValidationError("Chaque élément ne doit figurer qu'une fois dans la liste.")


class Settings(Schema):
    """The employer's settings of the binômes model."""

    experiences = fields.List(
        fields.String(validate=validate.Length(min=1, max=80)),
        load_default=lambda: list(DEFAULT_EXPERIENCES),
        validate=[validate.Length(min=1, max=40), _distinct],
        metadata={"label": "Expériences vécues proposées",
                  "description": "Une par ligne. Les pair-aidants cochent celles qu'ils peuvent "
                                 "partager, les pair-aidés celles qu'ils recherchent."})
    weight_experience = fields.Float(
        load_default=3.0, validate=validate.Range(min=0, max=10),
        metadata={"label": "Poids d'une expérience partagée",
                  "description": "Points par expérience commune (de 0 à 10)."})
    weight_site = fields.Float(
        load_default=1.0, validate=validate.Range(min=0, max=10),
        metadata={"label": "Poids du même site",
                  "description": "Points quand les deux personnes travaillent sur le même site "
                                 "(de 0 à 10)."})
    weight_availability = fields.Float(
        load_default=1.0, validate=validate.Range(min=0, max=10),
        metadata={"label": "Poids d'un créneau commun",
                  "description": "Points par demi-journée de disponibilité commune (de 0 à 10)."})
    max_common_slots = fields.Integer(
        load_default=3, validate=validate.Range(min=0, max=10),
        metadata={"label": "Créneaux communs comptés au plus",
                  "description": "Au-delà, un créneau commun de plus n'ajoute rien au score."})
    reminder_days = fields.Integer(
        load_default=30, validate=validate.Range(min=1, max=365),
        metadata={"label": "Relance après combien de jours sans rencontre",
                  "description": "Un binôme sans rencontre depuis ce nombre de jours reçoit "
                                 "une relance (de 1 à 365)."})
    meeting_formats = fields.List(
        fields.String(validate=validate.Length(min=1, max=80)),
        load_default=lambda: list(DEFAULT_FORMATS),
        validate=[validate.Length(min=1, max=10), _distinct],
        metadata={"label": "Formes de rencontre",
                  "description": "Une par ligne, par exemple « En présentiel »."})


from plugins.binomes import api as _api  # noqa: E402  (the blueprints need Settings' module)
from plugins.binomes import views as _views  # noqa: E402
from plugins.binomes.jobs import remind_idle_binomes  # noqa: E402
from plugins.binomes.models import ALL as _MODELS, Binome, Meeting  # noqa: E402
from plugins.binomes import personal_data as _personal_data  # noqa: E402


def _bounds(period):
    """The period as aware datetimes (None for an open end)."""
    def at(value, end=False):
        if value is None:
            return None
        if isinstance(value, datetime):
            return value
        return datetime.combine(value, time.max if end else time.min, tzinfo=timezone.utc)
    if period is None:
        return None, None
    return at(getattr(period, "start", None)), at(getattr(period, "end", None), end=True)


class Binomes(ProgrammeModel):
    name = "binomes"
    label = "Binômes"
    description = ("Des binômes pair-aidant / pair-aidé formés pour une période, qui se "
                   "rencontrent régulièrement ; le référent propose les appariements, chacun "
                   "les accepte ou les refuse.")
    settings_schema = Settings
    models = _MODELS
    migrations = HERE / "migrations"
    blueprint = _views.bp
    api_blueprint = _api.blp
    periodic_jobs = (PeriodicJob(func=remind_idle_binomes, interval=24 * 3600,
                                 description="Relancer les binômes sans rencontre récente"),)
    audit_labels = {
        "binomes_binome": "Binôme",
        "binomes_meeting_note": "Notes des rencontres d'un binôme",
        "binomes_helper": "Profil de pair-aidant (binômes)",
        "binomes_seeker": "Profil de pair-aidé (binômes)",
        "binomes_run": "Appariement",
    }
    retention_kinds = (_personal_data.NOTES_KIND,)

    def personal_data(self, profile_id):
        return _personal_data.personal_data(profile_id)

    def erase_person(self, profile_id):
        return _personal_data.erase_person(profile_id)

    def apply_retention(self, key, before):
        return _personal_data.apply_retention(key, before)

    def indicators(self, period) -> list[Indicator]:
        start, end = _bounds(period)
        pairs = sa.select(Binome.status, Binome.helper_id, Binome.seeker_id)
        by_status: dict[str, list] = {}
        for status, helper, seeker in db.session.execute(pairs).all():
            by_status.setdefault(status, []).append((helper, seeker))

        def people(pairs_) -> frozenset[int]:
            return frozenset(p for pair in pairs_ for p in pair)

        meetings = sa.select(Meeting.format, sa.func.count(),
                             sa.func.coalesce(sa.func.sum(Meeting.duration_minutes), 0))
        met = sa.select(Binome.helper_id, Binome.seeker_id).join(
            Meeting, Meeting.binome_id == Binome.id).distinct()
        if start is not None:
            meetings = meetings.where(Meeting.held_on >= start.date())
            met = met.where(Meeting.held_on >= start.date())
        if end is not None:
            meetings = meetings.where(Meeting.held_on <= end.date())
            met = met.where(Meeting.held_on <= end.date())
        rows = db.session.execute(meetings.group_by(Meeting.format)
                                  .order_by(Meeting.format)).all()
        met_people = people(db.session.execute(met).all())
        closed = sa.select(Binome.helper_id, Binome.seeker_id).where(Binome.status == "closed")
        if start is not None:
            closed = closed.where(Binome.closed_at >= start)
        if end is not None:
            closed = closed.where(Binome.closed_at <= end)
        closed_pairs = db.session.execute(closed).all()
        active = by_status.get("active", []) + by_status.get("accepted", [])
        proposed = by_status.get("proposed", [])
        return [
            Indicator(key="binomes.active", label="Binômes actifs", value=len(active),
                      people=people(active)),
            Indicator(key="binomes.proposed", label="Propositions en attente de réponse",
                      value=len(proposed), people=people(proposed)),
            Indicator(key="binomes.meetings", label="Rencontres tenues",
                      value=sum(r[1] for r in rows),
                      breakdown=tuple((r[0], r[1]) for r in rows), people=met_people),
            Indicator(key="binomes.meeting_hours", label="Heures de rencontre",
                      value=round(sum(r[2] for r in rows) / 60, 1), unit="hours",
                      people=met_people),
            Indicator(key="binomes.closed", label="Binômes clos", value=len(closed_pairs),
                      people=people(closed_pairs)),
        ]

    def time_spent(self, period) -> list[TimeSpent]:
        """The meetings logged in the period (their stated length), counted for the binôme's
        pair-aidant: the pair-aidé's time is not mission time."""
        start, end = _bounds(period)
        rows = db.session.execute(
            sa.select(Binome.helper_id, sa.func.sum(Meeting.duration_minutes))
            .join(Binome, Binome.id == Meeting.binome_id)
            .where(Meeting.held_on >= start.date(), Meeting.held_on <= end.date())
            .group_by(Binome.helper_id)).all()
        return [TimeSpent(profile_id=r[0], activity="Rencontres de binôme",
                          hours=round(r[1] / 60, 2)) for r in rows]

    def calendar_events(self, profile_id, start, end) -> list[CalendarEvent]:
        """The meetings of the binômes the person belongs to. A meeting is logged with its date
        only, so it is an all-day event; the title names neither the other member nor anything
        of what was said."""
        slug = current_tenant().slug
        rows = db.session.execute(
            sa.select(Meeting.id, Meeting.binome_id, Meeting.held_on, Meeting.duration_minutes,
                      Meeting.format)
            .join(Binome, Binome.id == Meeting.binome_id)
            .where(sa.or_(Binome.helper_id == profile_id, Binome.seeker_id == profile_id),
                   Meeting.held_on >= start.date(), Meeting.held_on <= end.date())
            .order_by(Meeting.held_on, Meeting.id)).all()
        return [CalendarEvent(
            uid=f"binomes-meeting-{r.id}@{slug}", title="Rencontre de binôme",
            start=r.held_on, end=r.held_on + timedelta(days=1),
            url=f"/e/{slug}/binomes/binomes/{r.binome_id}",
            description=f"{r.format}, {r.duration_minutes} minutes.") for r in rows]
