"""The e-mails of e-clubs, all sent by RQ jobs for the network (``tenant=None``) after the
transaction they are about has committed:

- the confirmation of a registration, with the invitation (``.ics``, METHOD:REQUEST);
- the reminder the day before, scheduled at ``starts_at - 24 h`` with RQ's scheduler. The job
  reads the e-club again when it runs: it sends nothing if the e-club was cancelled, moved
  (a new reminder was scheduled for the new time) or already reminded for this start, so a
  stale job is harmless;
- a change of time (updated invitation, same UID, higher SEQUENCE) and a cancellation
  (METHOD:CANCEL) to the registered people.

Each message is its own job: one failing address does not hold the others back."""
from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from flask import current_app

from server.eclubs import ical
from server.eclubs.models import EClub, Registration
from server.extensions import db
from server.jobs import enqueue
from server.mail import Message, deliver, delivery_key, send_once, to_email_message

#: How long before the start the reminder goes.
REMINDER_BEFORE = timedelta(hours=24)
#: A reminder job running a little early (clock drift) still counts as on time.
REMINDER_SLACK = timedelta(minutes=10)


def reminder_time(starts_at: datetime) -> datetime:
    return starts_at - REMINDER_BEFORE


def schedule_reminder(eclub_id: int, starts_at: datetime, base_url: str):
    """Schedule the reminder at the exact time; nothing when that time is already past.
    Returns the RQ job (or the job kept in PostgreSQL while Redis is down) or ``None``."""
    when = reminder_time(starts_at)
    if when <= datetime.now(timezone.utc):
        return None
    return enqueue(send_reminder, eclub_id, base_url, tenant=None, at=when)


def _recipients(eclub_id: int) -> list[tuple[str, str]]:
    from server.auth.models import User

    return [tuple(r) for r in db.session.execute(
        sa.select(User.email, User.display_name)
        .join(Registration, Registration.user_id == User.id)
        .where(Registration.eclub_id == eclub_id, User.active).order_by(User.id)).all()]


def _message(eclub: EClub, to: str, name: str, subject: str, template: str,
             base_url: str) -> dict:
    context = {"eclub": eclub, "name": name, "subject": subject,
               "link": ical.page_url(base_url, eclub.id)}
    # Rendered without the page context processors: a job has no request nor current user.
    env = current_app.jinja_env
    return asdict(Message(
        to=to, subject=subject,
        text=env.get_template(f"eclubs/mail/{template}.txt").render(**context),
        html=env.get_template(f"eclubs/mail/{template}.html").render(**context)))


def _send(eclub: EClub, to: str, name: str, subject: str, template: str, base_url: str,
          cancel: bool = False) -> None:
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    ics = ical.invitation(eclub, to, sender, base_url, cancel=cancel).decode()
    enqueue(deliver_with_calendar, _message(eclub, to, name, subject, template, base_url), ics,
            "CANCEL" if cancel else "REQUEST", tenant=None)


def deliver_with_calendar(message: dict, ics: str, method: str) -> str:
    """Job: a message with its ``.ics`` attached. Without an SMTP server the message goes to the
    outbox like every other (without the attachment, which the outbox does not keep)."""
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        return deliver(message)
    key = delivery_key(Message(**message))
    email = to_email_message(Message(**message), config["MAIL_DEFAULT_SENDER"], key)
    email.add_attachment(ics.encode(), maintype="text", subtype="calendar",
                         filename="e-club.ics", params={"method": method})
    return send_once(email, config, key)


def enqueue_confirmation(eclub_id: int, user_id: int, base_url: str):
    return enqueue(send_confirmation, eclub_id, user_id, base_url, tenant=None)


def send_confirmation(eclub_id: int, user_id: int, base_url: str) -> bool:
    """Job: confirm a registration, if it still stands."""
    from server.auth.models import User

    eclub = db.session.get(EClub, eclub_id)
    user = db.session.get(User, user_id)
    if eclub is None or user is None or not user.active or eclub.is_cancelled or \
            db.session.get(Registration, (eclub_id, user_id)) is None:
        return False
    _send(eclub, user.email, user.display_name, f"Inscription confirmée : e-club « {eclub.title} »",
          "confirmation", base_url)
    return True


def send_reminder(eclub_id: int, base_url: str, at: datetime | None = None) -> int:
    """Job: remind the registered people, if the e-club still starts within the next day and
    was not reminded for this start yet. Returns how many were reminded."""
    at = at or datetime.now(timezone.utc)
    eclub = db.session.execute(sa.select(EClub).where(EClub.id == eclub_id)
                               .with_for_update()).scalar_one_or_none()
    if eclub is None or eclub.is_cancelled or eclub.reminded_for == eclub.starts_at or \
            not (reminder_time(eclub.starts_at) - REMINDER_SLACK <= at < eclub.starts_at):
        db.session.rollback()
        return 0
    eclub.reminded_for = eclub.starts_at
    db.session.commit()
    people = _recipients(eclub_id)
    for email, name in people:
        _send(eclub, email, name, f"Rappel : e-club « {eclub.title} » demain", "reminder",
              base_url)
    return len(people)


def enqueue_notice(kind: str, eclub_id: int, base_url: str):
    return enqueue(send_notices, kind, eclub_id, base_url, tenant=None)


def send_notices(kind: str, eclub_id: int, base_url: str) -> int:
    """Job: tell the registered people that the e-club moved (``moved``) or is cancelled."""
    eclub = db.session.get(EClub, eclub_id)
    if eclub is None:
        return 0
    people = _recipients(eclub_id)
    for email, name in people:
        if kind == "cancelled":
            _send(eclub, email, name, f"E-club annulé : « {eclub.title} »", "cancelled",
                  base_url, cancel=True)
        elif not eclub.is_cancelled:
            _send(eclub, email, name, f"Nouvel horaire : e-club « {eclub.title} »", "moved",
                  base_url)
    return len(people)
