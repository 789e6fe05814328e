"""Account lock-out with back-off (OWASP ASVS 5.0 §6.3.1).

After ``THRESHOLD`` failed attempts in a row (wrong password, or wrong second-factor code), an
account is locked for 1 minute; each further failure after that locks it again for twice as
long (2, 4, 8 … minutes, at most 1 hour). A successful log-in ends the row. A row of failures
that has been quiet for ``STREAK_RESET`` starts again from zero.

The first lock of a row sends the person a notice e-mail. While locked, even the right password
is refused, with the time the lock ends.

Unknown e-mail addresses take the same path, so that the answers do not tell which addresses
have an account: their failures are counted in Redis (keyed by a hash of the address, expiring
on their own), with the same thresholds and the same "locked until" answer.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from flask import current_app

from server.auth.events import log_auth_event
from server.auth.models import User, normalise_email, timing_equaliser
from server.extensions import db

THRESHOLD = 5
FIRST_LOCK = timedelta(minutes=1)
LONGEST_LOCK = timedelta(hours=1)
#: A row of failures older than this is forgotten.
STREAK_RESET = timedelta(hours=24)


def lock_duration(failures: int) -> timedelta | None:
    """How long an account is locked after its ``failures``-th failure in a row."""
    if failures < THRESHOLD:
        return None
    return min(FIRST_LOCK * 2 ** min(failures - THRESHOLD, 12), LONGEST_LOCK)


def now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Attempt:
    """The result of an e-mail and password: ``user`` when the password is right and the
    account open; otherwise ``locked_until`` when it is (now) locked."""

    user: User | None = None
    locked_until: datetime | None = None


def check_password(email: str, password: str) -> Attempt:
    """The first step of every log-in (page, API tokens, invitations): counts the failures,
    refuses while locked, never tells a known address from an unknown one."""
    user = User.by_email(email)
    if user is None or not user.active:
        timing_equaliser(password)
        return _unknown_failure(email, user)
    if is_locked(user):
        timing_equaliser(password)  # a locked account answers as fast as any other
        log_auth_event("login.refused_locked", user.id)
        return Attempt(locked_until=user.locked_until)
    if user.check_password(password or ""):
        return Attempt(user=user)
    locked_until = record_failure(user, "login.failed")
    return Attempt(locked_until=locked_until)


def is_locked(user: User) -> bool:
    return user.locked_until is not None and user.locked_until > now()


def record_failure(user: User, action: str) -> datetime | None:
    """One more failure in a row for ``user``, committed; returns the end of the lock when the
    account is now locked. Sends the notice e-mail at the first lock of a row."""
    row = db.session.execute(
        sa.select(User).where(User.id == user.id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    moment = now()
    if row.last_failed_login_at is not None and moment - row.last_failed_login_at > STREAK_RESET:
        row.failed_logins = 0
    row.failed_logins += 1
    row.last_failed_login_at = moment
    duration = lock_duration(row.failed_logins)
    if duration is not None:
        row.locked_until = moment + duration
    failures, locked_until, email, name = (row.failed_logins, row.locked_until if duration else
                                           None, row.email, row.display_name)
    db.session.commit()
    log_auth_event(action, user.id, failures=failures)
    if locked_until is not None:
        log_auth_event("login.locked", user.id, failures=failures,
                       until=locked_until.isoformat())
        if failures == THRESHOLD:
            _send_notice(email, name, locked_until)
    return locked_until


def succeeded(user: User) -> None:
    """A complete log-in: the row of failures ends (the caller commits)."""
    user.failed_logins = 0
    user.locked_until = None


def _send_notice(email: str, name: str, locked_until: datetime) -> None:
    from server.mail import Message, send

    message = Message.from_templates(
        email, "Votre compte Entrepairs est temporairement verrouillé", "account_locked",
        name=name, locked_until=locked_until, minutes=int(FIRST_LOCK.total_seconds() // 60),
        threshold=THRESHOLD)
    try:
        send(message, tenant=None)
    except Exception:  # a queue outage must not turn a refusal into a 500
        current_app.logger.exception("Could not enqueue the lock-out notice for account %s",
                                     email)


# --- unknown addresses: the same answers, counted in Redis ----------------------------------

def _key(email: str) -> str:
    digest = hashlib.sha256(normalise_email(email).encode()).hexdigest()
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or "entrepairs"
    return f"{prefix}:lockout:{digest}"


def _unknown_failure(email: str, user: User | None) -> Attempt:
    from server.jobs import redis_connection

    log_auth_event("login.failed", user.id if user is not None else None,
                   reason="inactive" if user is not None else "unknown")
    try:
        redis = redis_connection()
        key = _key(email)
        state = redis.hgetall(key)
        locked_until = state.get(b"locked_until")
        if locked_until and float(locked_until) > now().timestamp():
            return Attempt(locked_until=datetime.fromtimestamp(float(locked_until), timezone.utc))
        failures = redis.hincrby(key, "failures", 1)
        duration = lock_duration(failures)
        if duration is None:
            redis.expire(key, int(STREAK_RESET.total_seconds()))
            return Attempt()
        until = now() + duration
        redis.hset(key, "locked_until", until.timestamp())
        redis.expire(key, int((STREAK_RESET + duration).total_seconds()))
        return Attempt(locked_until=until)
    except Exception:  # noqa: BLE001  Redis down: the answer stays "incorrect", never a 500
        current_app.logger.warning("Lock-out counter for unknown addresses unavailable")
        return Attempt()
