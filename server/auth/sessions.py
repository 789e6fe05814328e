"""Server-side records of log-in sessions (``network.account_session``).

The signed session cookie carries a random secret; the table stores its SHA-256 only, so that
reading the table does not let anyone take over a session. A session ends when its owner logs
out or revokes it, after ``SESSION_IDLE_MINUTES`` without a request, or
``PERMANENT_SESSION_LIFETIME`` after log-in, whichever comes first. See docs/security.md,
"Sessions".
"""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from flask import current_app, request, session
from flask_login import user_logged_out
from sqlalchemy.orm import Mapped, mapped_column

from server.audit import masked_ip  # the audit log's: one way to blur an address
from server.extensions import db

NETWORK = "network"
#: Key of the session secret in the Flask session.
SESSION_KEY = "account_session"
#: ``last_seen_at`` is written at most this often: not every request becomes a write.
TOUCH_INTERVAL = timedelta(minutes=1)
USER_AGENT_LENGTH = 200
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(timezone.utc)


class AccountSession(db.Model):
    """One log-in session of a person, in one browser."""

    __tablename__ = "account_session"
    __table_args__ = {"schema": NETWORK}

    #: SHA-256 (hex) of the secret kept in the session cookie.
    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey(f"{NETWORK}.account.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    #: Last request seen, to the minute (see ``TOUCH_INTERVAL``).
    last_seen_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    #: The account's ``session_version`` at log-in: a password change (which moves it on) ends
    #: the session, and the list of open sessions leaves it out.
    session_version: Mapped[int]
    user_agent: Mapped[str | None] = mapped_column(sa.String(USER_AGENT_LENGTH))
    #: The client's network (``masked_ip``), never its full address.
    ip: Mapped[str | None] = mapped_column(sa.String(50))
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    def is_open(self, now: datetime | None = None) -> bool:
        now = now or _now()
        return (self.revoked_at is None
                and now - self.last_seen_at < idle_timeout()
                and now - self.created_at < absolute_lifetime())

    @property
    def device(self) -> str:
        return describe_user_agent(self.user_agent)


def idle_timeout() -> timedelta:
    return timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])


def absolute_lifetime() -> timedelta:
    return current_app.config["PERMANENT_SESSION_LIFETIME"]


def open_session(user) -> None:
    """Record a new session for ``user`` and put its secret in the (fresh) Flask session."""
    secret = secrets.token_urlsafe(32)
    now = _now()
    # The person's sessions past their absolute lifetime can no longer be used or listed.
    db.session.execute(sa.delete(AccountSession).where(
        AccountSession.user_id == user.id,
        AccountSession.created_at < now - absolute_lifetime()))
    user_agent = _CONTROL_CHARACTERS.sub("", request.user_agent.string or "")
    db.session.add(AccountSession(
        id=_digest(secret), user_id=user.id, session_version=user.session_version,
        created_at=now, last_seen_at=now, user_agent=user_agent[:USER_AGENT_LENGTH] or None,
        ip=masked_ip(request.remote_addr),
    ))
    session[SESSION_KEY] = secret


def current_session_id() -> str | None:
    secret = session.get(SESSION_KEY)
    return _digest(secret) if isinstance(secret, str) else None


def check_current(user_id: int) -> bool:
    """Whether the Flask session's record belongs to ``user_id`` and is still open; touches
    ``last_seen_at`` (at most once a minute)."""
    sid = current_session_id()
    if sid is None:
        return False
    # The user is loaded lazily: usually first thing (the access rules ask), but a public page
    # may ask late, after its view began writing. That work must not be committed here, and a
    # second connection could starve the pool: such a request skips the touch, a later one
    # makes it.
    may_commit = not db.session().in_transaction()
    record = db.session.get(AccountSession, sid)
    now = _now()
    if record is None or record.user_id != user_id or not record.is_open(now):
        return False
    if may_commit and now - record.last_seen_at >= TOUCH_INTERVAL:
        record.last_seen_at = now
        db.session.commit()
    return True


def _still_open(user, now: datetime):
    """The SQL condition for ``user``'s sessions that still work."""
    return sa.and_(AccountSession.user_id == user.id, AccountSession.revoked_at.is_(None),
                   AccountSession.session_version == user.session_version,
                   AccountSession.last_seen_at > now - idle_timeout(),
                   AccountSession.created_at > now - absolute_lifetime())


def open_sessions_of(user) -> list[AccountSession]:
    """The person's sessions that still work, most recently used first."""
    return list(db.session.execute(
        sa.select(AccountSession).where(_still_open(user, _now()))
        .order_by(AccountSession.last_seen_at.desc(), AccountSession.created_at.desc())
    ).scalars())


def revoke(user, session_id: str | None = None, *, except_id: str | None = None) -> int:
    """Revoke one open session of ``user`` (``session_id``) or all of them but ``except_id``.
    Returns how many were revoked; the caller commits."""
    now = _now()
    statement = sa.update(AccountSession).where(_still_open(user, now)).values(revoked_at=now)
    if session_id is not None:
        statement = statement.where(AccountSession.id == session_id)
    if except_id is not None:
        statement = statement.where(AccountSession.id != except_id)
    return db.session.execute(statement, execution_options={"synchronize_session": False}).rowcount


@user_logged_out.connect
def end_current(sender=None, **extra) -> None:
    """Every ``logout_user()`` (the log-out button, a lock-out during a sensitive change...)
    revokes the session the request came with, so that a copy of its cookie is worth nothing."""
    sid = current_session_id()
    if sid is not None:
        db.session.execute(
            sa.update(AccountSession)
            .where(AccountSession.id == sid, AccountSession.revoked_at.is_(None))
            .values(revoked_at=_now()))
        db.session.commit()


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"),
             ("Chrome/", "Chrome"), ("Chromium/", "Chromium"), ("Safari/", "Safari"))
_SYSTEMS = (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"),
            ("Windows", "Windows"), ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"),
            ("Linux", "Linux"))


def describe_user_agent(user_agent: str | None) -> str:
    """« Firefox sous Windows »: enough for a person to recognise their device."""
    if not user_agent:
        return "Navigateur inconnu"
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), None)
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), None)
    if browser and system:
        return f"{browser} sous {system}"
    return browser or (f"Navigateur sous {system}" if system else "Navigateur inconnu")
