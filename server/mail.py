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
from server.jobs import current_job_id


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
    #: The delivery job's id: a retried job finds its message already kept.
    delivery_key: Mapped[str | None] = mapped_column(sa.String(64), unique=True)


class MailDelivery(db.Model):
    """The key (the delivery job's id) of a message already handed to the SMTP server, so that
    a job retried after a crash does not send it twice. Holds nothing of the message."""

    __tablename__ = "mail_delivery"
    __table_args__ = {"schema": "network"}

    delivery_key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    delivered_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now(), index=True
    )


def send(message: Message, *, tenant: str | None):
    """Deliver ``message`` in the background. Returns the RQ job."""
    from server.jobs import enqueue

    return enqueue(deliver, asdict(message), tenant=tenant)


def deliver(message: dict) -> str:
    """The job: over SMTP when configured, else into the outbox. An SMTP failure raises, so
    the job is retried, then marked failed in RQ (and can be requeued). The job's id is the
    message's idempotency key: a retry after a crash neither keeps nor sends it twice."""
    message = Message(**message)
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        keep_in_outbox(message)
        return "outbox"
    key = delivery_key(message)
    return send_once(to_email_message(message, config["MAIL_DEFAULT_SENDER"], key), config, key)


def delivery_key(message: Message) -> str | None:
    """The idempotency key of ``message`` in the running job: the job's id (the same across
    its retries) and a digest of the message (a job may deliver several). ``None`` outside a
    job."""
    import hashlib

    job_id = current_job_id()
    if job_id is None:
        return None
    digest = hashlib.sha256("\0".join((message.to, message.subject, message.text)).encode())
    return f"{job_id}.{digest.hexdigest()[:16]}"


def keep_in_outbox(message: Message) -> None:
    from sqlalchemy.dialects.postgresql import insert

    from tenants import current_tenant

    tenant = current_tenant()
    db.session.execute(
        insert(OutboxMessage).values(
            recipient=message.to, subject=message.subject, text_body=message.text,
            html_body=message.html, tenant_slug=tenant.slug if tenant else None,
            delivery_key=delivery_key(message))
        .on_conflict_do_nothing(index_elements=["delivery_key"]))
    db.session.commit()


def send_once(email: EmailMessage, config, key: str | None) -> str:
    """Hand ``email`` to the SMTP server unless the job ``key`` already did. A crash between
    the hand-over and the record below sends it again (at least once); the stable
    Message-ID then lets mail clients show it once."""
    if key is not None and db.session.get(MailDelivery, key) is not None:
        return "already sent"
    smtp_send(email, config)
    if key is not None:
        db.session.add(MailDelivery(delivery_key=key))
        db.session.commit()
    return "sent"


def to_email_message(message: Message, sender: str, key: str | None = None) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    domain = sender.rpartition("@")[2].rstrip(">") or "entrepairs.invalid"
    email["Message-ID"] = f"<{key}@{domain}>" if key else make_msgid(domain=domain)
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
