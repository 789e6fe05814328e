"""E-mail: French messages (plain text and simple HTML), sent over SMTP by a background job.

``send(message, tenant=slug)`` enqueues ``deliver`` with ``server.jobs.enqueue``; call it after
the transaction that the message is about has committed, so that no message announces
something that was rolled back.

Where ``MAIL_SERVER`` is not set (``make run``), ``deliver`` keeps the message in the network
outbox (``network.outbox_message``) instead, and network admins read it at
``/reseau/courriels``. Messages sent over SMTP are not kept: they may carry single-use links,
which the database stores only as hashes.
"""
from __future__ import annotations

import smtplib
from dataclasses import asdict, dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import sqlalchemy as sa
from flask import current_app, render_template
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    text: str
    html: str
    #: Files joined to the message: ``(filename, "maintype/subtype", bytes)`` each.
    attachments: tuple = ()

    @classmethod
    def from_templates(cls, to: str, subject: str, template: str, **context) -> Message:
        """``mail/<template>.txt`` and ``mail/<template>.html``, rendered with ``context``."""
        return cls(to=to, subject=subject,
                   text=render_template(f"mail/{template}.txt", subject=subject, **context),
                   html=render_template(f"mail/{template}.html", subject=subject, **context))


class OutboxMessage(db.Model):
    """A message kept instead of sent, where no SMTP server is configured."""

    __tablename__ = "outbox_message"
    __table_args__ = {"schema": "network"}

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(200))
    text_body: Mapped[str] = mapped_column(sa.Text)
    html_body: Mapped[str] = mapped_column(sa.Text)
    #: The employer the message was sent for (``None``: the network).
    tenant_slug: Mapped[str | None] = mapped_column(sa.String(40))
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now(), index=True
    )


def send(message: Message, *, tenant: str | None):
    """Deliver ``message`` in the background. Returns the RQ job."""
    from server.jobs import enqueue

    return enqueue(deliver, asdict(message), tenant=tenant)


def deliver(message: dict) -> str:
    """The job: over SMTP when configured, else into the outbox. An SMTP failure raises, so
    the job is marked failed in RQ (and can be requeued)."""
    message = Message(**message)
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        from tenants import current_tenant

        tenant = current_tenant()
        db.session.add(OutboxMessage(recipient=message.to, subject=message.subject,
                                     text_body=message.text, html_body=message.html,
                                     tenant_slug=tenant.slug if tenant else None))
        db.session.commit()
        return "outbox"
    smtp_send(to_email_message(message, config["MAIL_DEFAULT_SENDER"]), config)
    return "sent"


def to_email_message(message: Message, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    domain = sender.rpartition("@")[2].rstrip(">") or "entrepairs.invalid"
    email["Message-ID"] = make_msgid(domain=domain)
    email.set_content(message.text)
    email.add_alternative(message.html, subtype="html")
    for filename, content_type, data in message.attachments:
        maintype, _, subtype = content_type.partition("/")
        email.add_attachment(bytes(data), maintype=maintype, subtype=subtype, filename=filename)
    return email


def smtp_send(email: EmailMessage, config) -> None:
    with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]),
                      timeout=config["MAIL_TIMEOUT"]) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(email)


def notify_people(profile_ids, subject: str, text: str, attachments: tuple = ()) -> list:
    """E-mail people of the current employer space by their programme profile ids (call after
    commit). The text must hold nothing about anyone's health: e-mail is not a confidential
    channel. ``attachments`` as in ``Message`` (the outbox keeps the text only). Returns the
    jobs."""
    from markupsafe import escape

    from server.auth.models import User
    from server.employers.models import Profile
    from tenants import current_tenant

    rows = db.session.execute(
        sa.select(User.email).join(Profile, Profile.user_id == User.id)
        .where(Profile.id.in_(list(profile_ids)), User.active)
    ).scalars().all()
    html = "".join(f"<p>{escape(paragraph)}</p>" for paragraph in text.split("\n\n"))
    slug = current_tenant().slug
    return [send(Message(to=email, subject=subject, text=text, html=html,
                         attachments=tuple(attachments)), tenant=slug)
            for email in rows]
