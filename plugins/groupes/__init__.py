"""Groupes: open peer groups (the seed's « groupe collectif ouvert »).

A pair-aidant creates a group that they facilitate: a theme, a place or a video link,
recurring sessions (weekly, monthly or dates chosen one by one), a number of places and a rule
on whether participants see each other's names. Members register; when the group is full they
join a waiting list, promoted automatically when someone cancels. The facilitator takes
attendance at each session. The référent sees counts and attendance figures, never names.

Imports from ``plugins.base`` and ``server.signals`` only (and its own modules)."""
from __future__ import annotations

from datetime import datetime, time, timezone
from pathlib import Path

import sqlalchemy as sa
from marshmallow import Schema, fields, validate

from plugins.base import (CalendarEvent, Indicator, PeriodicJob, ProgrammeModel, TimeSpent,
                          current_tenant, db)

HERE = Path(__file__).parent


class Settings(Schema):
    """The employer's settings of the groupes model."""

    default_capacity = fields.Integer(
        load_default=10, validate=validate.Range(min=2, max=200),
        metadata={"label": "Nombre de places proposé par défaut",
                  "description": "Proposé au pair-aidant qui crée un groupe (de 2 à 200)."})
    max_capacity = fields.Integer(
        load_default=30, validate=validate.Range(min=2, max=200),
        metadata={"label": "Nombre de places au plus dans un groupe",
                  "description": "Un groupe ne peut pas accueillir plus de personnes "
                                 "(de 2 à 200)."})
    default_duration_minutes = fields.Integer(
        load_default=90, validate=validate.Range(min=15, max=480),
        metadata={"label": "Durée d'une séance proposée par défaut, en minutes",
                  "description": "De 15 à 480 minutes."})
    max_sessions = fields.Integer(
        load_default=26, validate=validate.Range(min=1, max=104),
        metadata={"label": "Nombre de séances programmées au plus à la création",
                  "description": "De 1 à 104 séances."})
    names_visible_default = fields.Boolean(
        load_default=False,
        metadata={"label": "Les participants voient les noms des autres participants",
                  "description": "Réglage proposé par défaut à la création d'un groupe ; "
                                 "le pair-aidant peut le changer pour son groupe. Par défaut, "
                                 "les noms restent cachés."})
    reminders = fields.Boolean(
        load_default=True,
        metadata={"label": "Envoyer un rappel par courriel la veille de chaque séance",
                  "description": "Le rappel ne mentionne ni le nom ni le thème du groupe."})


from plugins.groupes import api as _api  # noqa: E402  (the blueprints need Settings' module)
from plugins.groupes import views as _views  # noqa: E402
from plugins.groupes.jobs import remind_tomorrows_sessions  # noqa: E402
from plugins.groupes.models import ALL as _MODELS, Groupe, Inscription, Presence, Seance  # noqa: E402,E501
from plugins.groupes import personal_data as _personal_data  # noqa: E402


def _bounds(period):
    def at(value, end=False):
        if value is None:
            return None
        if isinstance(value, datetime):
            return value
        return datetime.combine(value, time.max if end else time.min, tzinfo=timezone.utc)
    if period is None:
        return None, None
    return at(getattr(period, "start", None)), at(getattr(period, "end", None), end=True)


class Groupes(ProgrammeModel):
    name = "groupes"
    label = "Groupes ouverts"
    description = ("Des groupes de parole ouverts, animés par un pair-aidant, qui se "
                   "réunissent à dates régulières ; chacun s'y inscrit librement, dans la "
                   "limite des places, avec une liste d'attente.")
    settings_schema = Settings
    models = _MODELS
    migrations = HERE / "migrations"
    blueprint = _views.bp
    api_blueprint = _api.blp
    periodic_jobs = (PeriodicJob(func=remind_tomorrows_sessions, interval=3600,
                                 description="Rappeler les séances de groupe du lendemain"),)

    def personal_data(self, profile_id):
        return _personal_data.personal_data(profile_id)

    def erase_person(self, profile_id):
        return _personal_data.erase_person(profile_id)

    def indicators(self, period) -> list[Indicator]:
        """Counts only: groups, sessions held, attendance rate."""
        start, end = _bounds(period)
        groups = dict(db.session.execute(
            sa.select(Groupe.status, sa.func.count()).group_by(Groupe.status)).all())
        held = sa.select(Seance.id).where(Seance.attendance_taken_at.is_not(None),
                                         Seance.cancelled.is_(False))
        if start is not None:
            held = held.where(Seance.starts_at >= start)
        if end is not None:
            held = held.where(Seance.starts_at <= end)
        held_ids = held.subquery()
        sessions_held = db.session.execute(
            sa.select(sa.func.count()).select_from(held_ids)).scalar()
        expected, present = db.session.execute(
            sa.select(sa.func.count(), sa.func.count().filter(Presence.present))
            .where(Presence.seance_id.in_(sa.select(held_ids.c.id)))).one()
        rate = round(100 * present / expected, 1) if expected else 0
        open_groups = sa.select(Groupe.id).where(Groupe.status == "open")
        in_open = frozenset(db.session.execute(sa.union(
            sa.select(Groupe.facilitator_id).where(Groupe.id.in_(open_groups)),
            sa.select(Inscription.profile_id).where(Inscription.groupe_id.in_(open_groups),
                                                    Inscription.status != "cancelled"),
        )).scalars())
        at_sessions = frozenset(db.session.execute(sa.union(
            sa.select(Groupe.facilitator_id).join(Seance, Seance.groupe_id == Groupe.id)
            .where(Seance.id.in_(sa.select(held_ids.c.id))),
            sa.select(Presence.profile_id).where(Presence.present,
                                                 Presence.seance_id.in_(sa.select(held_ids.c.id))),
        )).scalars())
        return [
            Indicator(key="groupes.groups", label="Groupes ouverts",
                      value=groups.get("open", 0),
                      breakdown=(("Ouverts", groups.get("open", 0)),
                                 ("Clos", groups.get("closed", 0))), people=in_open),
            Indicator(key="groupes.sessions_held", label="Séances de groupe tenues",
                      value=sessions_held, people=at_sessions),
            Indicator(key="groupes.attendance_rate", label="Taux de présence aux séances (%)",
                      value=rate, unit="score",
                      breakdown=(("Présences", present), ("Absences", expected - present))),
        ]

    def time_spent(self, period) -> list[TimeSpent]:
        """Sessions held (attendance taken, not cancelled) in the period, their scheduled
        length, counted for the group's facilitator."""
        start, end = _bounds(period)
        length = sa.extract("epoch", Seance.ends_at - Seance.starts_at) / 3600
        rows = db.session.execute(
            sa.select(Groupe.facilitator_id, sa.func.sum(length))
            .join(Groupe, Groupe.id == Seance.groupe_id)
            .where(Seance.attendance_taken_at.is_not(None), Seance.cancelled.is_(False),
                   Seance.starts_at >= start, Seance.starts_at <= end)
            .group_by(Groupe.facilitator_id)).all()
        return [TimeSpent(profile_id=r[0], activity="Séances de groupe animées",
                          hours=round(float(r[1]), 2)) for r in rows]

    def calendar_events(self, profile_id: int, start, end) -> list[CalendarEvent]:
        """Sessions of the groups the person is registered in or facilitates."""
        from plugins.groupes.service import sessions_for

        slug = current_tenant().slug
        out = []
        for seance, group in sessions_for(profile_id, start, end):
            where = group.place or group.video_url
            out.append(CalendarEvent(
                uid=f"groupes-seance-{seance.id}@{slug}",
                title=f"Séance de groupe : {group.title}",
                start=seance.starts_at, end=seance.ends_at, location=where,
                url=f"/e/{slug}/groupes/{group.id}",
                description=("Vous animez ce groupe." if group.facilitator_id == profile_id
                             else "Groupe de pair-aidance auquel vous êtes inscrit."),
                cancelled=seance.cancelled))
        return out
