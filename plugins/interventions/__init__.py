"""Interventions: pair-aidants' participation in awareness sessions (sensibilisation) and in
job-retention committees (comités de maintien dans l'emploi).

A référent asks a pair-aidant (date, length, place); the pair-aidant accepts or declines; once
held, the audience size, time spent and outcome are reported. The time spent counts in the
pair-aidant's dedicated time (``time_spent``); the report sends ``session_held`` without
participants, so that nobody is invited to a satisfaction survey about it (see docs/plugins.md).

Imports from ``plugins.base`` and ``server.signals`` only (and its own modules)."""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import sqlalchemy as sa

from plugins.base import (CalendarEvent, Indicator, ProgrammeModel, TimeSpent, current_tenant,
                          db)
from plugins.interventions import api as _api
from plugins.interventions import views as _views
from plugins.interventions.models import ALL as _MODELS
from plugins.interventions.models import KINDS, Intervention
from plugins.interventions import personal_data as _personal_data  # noqa: E402

HERE = Path(__file__).parent
#: How the mission sheet's time tracking names each kind of intervention.
ACTIVITIES = {"sensibilisation": "Séances de sensibilisation",
              "comite": "Comités de maintien dans l'emploi"}


def _bounds(period):
    def at(value, end=False):
        if value is None:
            return None
        if isinstance(value, datetime):
            return value
        return datetime.combine(value, time.max if end else time.min, tzinfo=UTC)
    if period is None:
        return None, None
    return at(getattr(period, "start", None)), at(getattr(period, "end", None), end=True)


class Interventions(ProgrammeModel):
    name = "interventions"
    label = "Interventions"
    description = ("Des pair-aidants interviennent dans des séances de sensibilisation et des "
                   "comités de maintien dans l'emploi, à la demande du référent.")
    models = _MODELS
    migrations = HERE / "migrations"
    blueprint = _views.bp
    api_blueprint = _api.blp

    def personal_data(self, profile_id):
        return _personal_data.personal_data(profile_id)

    def erase_person(self, profile_id):
        return _personal_data.erase_person(profile_id)

    def indicators(self, period) -> list[Indicator]:
        start, end = _bounds(period)
        query = (sa.select(Intervention.kind, sa.func.count(),
                           sa.func.coalesce(sa.func.sum(Intervention.minutes_spent), 0),
                           sa.func.coalesce(sa.func.sum(Intervention.audience_size), 0))
                 .where(Intervention.status == "held"))
        if start is not None:
            query = query.where(Intervention.starts_at >= start)
        if end is not None:
            query = query.where(Intervention.starts_at <= end)
        rows = {r[0]: r for r in db.session.execute(query.group_by(Intervention.kind)).all()}
        helpers = frozenset(db.session.execute(
            query.with_only_columns(Intervention.helper_id).distinct()).scalars())
        audience = rows["sensibilisation"][3] if "sensibilisation" in rows else 0
        return [
            Indicator(key="interventions.held", label="Interventions réalisées",
                      value=sum(r[1] for r in rows.values()),
                      breakdown=tuple((label, rows[k][1] if k in rows else 0)
                                      for k, label in KINDS.items()), people=helpers),
            Indicator(key="interventions.hours", label="Heures passées en interventions",
                      value=round(sum(r[2] for r in rows.values()) / 60, 1), unit="hours",
                      breakdown=tuple((label, round((rows[k][2] if k in rows else 0) / 60, 1))
                                      for k, label in KINDS.items()), people=helpers),
            # The audience is counted, never named: its people are anonymous.
            Indicator(key="interventions.audience", label="Personnes sensibilisées",
                      value=audience, unit="people", people=frozenset(),
                      anonymous_people=audience),
        ]

    def time_spent(self, period) -> list[TimeSpent]:
        """Held interventions: the time the pair-aidant reported (the planned length when none
        was reported), by kind, on the day the intervention took place."""
        start, end = _bounds(period)
        minutes = sa.func.coalesce(Intervention.minutes_spent, Intervention.planned_minutes)
        rows = db.session.execute(
            sa.select(Intervention.helper_id, Intervention.kind, sa.func.sum(minutes))
            .where(Intervention.status == "held", Intervention.starts_at >= start,
                   Intervention.starts_at <= end)
            .group_by(Intervention.helper_id, Intervention.kind)).all()
        return [TimeSpent(profile_id=r[0], activity=ACTIVITIES[r[1]], hours=round(r[2] / 60, 2))
                for r in rows]

    def calendar_events(self, profile_id, start, end) -> list[CalendarEvent]:
        """The interventions asked of the person, accepted or held (cancelled ones shown as
        cancelled)."""
        slug = current_tenant().slug
        rows = db.session.execute(
            sa.select(Intervention)
            .where(Intervention.helper_id == profile_id,
                   Intervention.status.in_(("requested", "accepted", "held", "cancelled")),
                   Intervention.starts_at >= start, Intervention.starts_at <= end)
            .order_by(Intervention.starts_at)).scalars().all()
        return [CalendarEvent(
            uid=f"interventions-intervention-{i.id}@{slug}",
            title=f"{KINDS[i.kind]} : {i.title}" + (" (à confirmer)" if i.status == "requested"
                                                   else ""),
            start=i.starts_at, end=i.starts_at + timedelta(minutes=i.planned_minutes),
            location=i.location, url=f"/e/{slug}/interventions/{i.id}",
            cancelled=i.status == "cancelled") for i in rows]
