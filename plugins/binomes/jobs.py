"""Reminders to pairs that have not met for a while (run for each employer by the scheduler,
see ``Binomes.periodic_jobs``).

A reminder is recorded in ``binomes_reminder``, shown on the binôme's page, announced with
the ``reminder_due`` signal, and e-mailed to both members once the transaction has committed."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa

from plugins.base import day_of, db, notify_people, settings_of, today as clock_today
from plugins.binomes.models import Binome, Meeting, Reminder
from plugins.binomes.signals import reminder_due


def _as_date(value) -> date | None:
    if value is None:
        return None
    # A stored instant counts on its day in Paris, as the meetings' own dates do.
    return day_of(value) if isinstance(value, datetime) else value


def remind_idle_binomes(today: date | None = None) -> list[int]:
    """Record a reminder for each accepted or active binôme without a meeting for
    ``reminder_days`` days, once per idle spell. Returns the ids of the binômes reminded."""
    today = today or clock_today()
    days = settings_of("binomes")["reminder_days"]
    last_meeting = (sa.select(Meeting.binome_id, sa.func.max(Meeting.held_on).label("last"))
                    .group_by(Meeting.binome_id).subquery())
    last_reminder = (sa.select(Reminder.binome_id, sa.func.max(Reminder.sent_at).label("last"))
                     .group_by(Reminder.binome_id).subquery())
    rows = db.session.execute(
        sa.select(Binome, last_meeting.c.last, last_reminder.c.last)
        .outerjoin(last_meeting, last_meeting.c.binome_id == Binome.id)
        .outerjoin(last_reminder, last_reminder.c.binome_id == Binome.id)
        .where(Binome.status.in_(("accepted", "active")))
        .order_by(Binome.id)).all()
    reminded = []
    for binome, met, reminded_at in rows:
        since = _as_date(met) or _as_date(binome.started_at) or _as_date(binome.accepted_at)
        if since is None:
            continue
        idle = (today - since).days
        if idle < days:
            continue
        # One reminder per idle spell, then one every ``days`` days.
        if reminded_at is not None and _as_date(reminded_at) > since and \
                today - _as_date(reminded_at) < timedelta(days=days):
            continue
        db.session.add(Reminder(binome_id=binome.id, idle_days=idle))
        reminder_due.send(binome, idle_days=idle,
                          recipients=(binome.helper_id, binome.seeker_id))
        reminded.append(binome)
    db.session.commit()
    for binome in reminded:  # after commit: no message about a reminder that was rolled back
        notify_people(
            (binome.helper_id, binome.seeker_id),
            "Votre binôme ne s'est pas rencontré depuis un moment",
            "Bonjour,\n\nVotre binôme de pair-aidance n'a pas noté de rencontre depuis "
            f"{days} jours. Quand vous êtes prêts, convenez ensemble d'un prochain rendez-vous "
            "et notez-le dans Entrepairs.\n\nSi vous souhaitez arrêter ou faire une pause, "
            "parlez-en à votre binôme ou à votre référent.")
    return [binome.id for binome in reminded]
