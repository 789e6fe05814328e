"""How Flask-Login finds the person behind a request: the session cookie, or an API bearer
token (``Authorization: Bearer ep_...``)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import flash, g, session

from server.auth import sessions
from server.auth.models import ApiToken, User
from server.extensions import db, login_manager

#: Writing ``last_used_at`` on every call would make each API read a write.
LAST_USED_GRANULARITY = timedelta(minutes=5)


@login_manager.user_loader
def load_user(user_id: str):
    try:
        uid, version = (int(part) for part in user_id.split(":"))
    except ValueError:
        return None
    # The server-side record first: revoked, idle or too old ends the session whatever the
    # cookie says.
    if not sessions.check_current(uid):
        _forget_session()
        return None
    # Network roles load on first use (pages' navigation), not on every API call.
    user = db.session.get(User, uid)
    if user is None or user.session_version != version or not user.active:
        return None
    return user


def _forget_session() -> None:
    """An ended session: drop the stale cookie's content and tell the person on the next page."""
    from server.auth.access import is_api_request

    had_one = sessions.SESSION_KEY in session
    session.clear()
    if had_one and not is_api_request():
        flash("Votre session a pris fin (inactivité, durée maximale ou déconnexion à "
              "distance). Connectez-vous à nouveau.", "info")


@login_manager.request_loader
def load_user_from_token(request):
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret:
        g.auth_error = "malformed_authorization"
        return None
    token = ApiToken.find_valid(secret.strip())
    if token is None or not token.user.active:
        g.auth_error = "invalid_token"
        return None
    now = datetime.now(timezone.utc)
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_GRANULARITY:
        token.last_used_at = now
        db.session.commit()
    g.authenticated_by_token = True
    return token.user
