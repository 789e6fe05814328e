"""« Mes sessions »: a person's open log-in sessions, and closing them from afar."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from server.auth import sessions
from server.auth.access import signed_in
from server.auth.blueprint import bp
from server.extensions import db


@bp.route("/compte/sessions")
@signed_in
def my_sessions():
    return render_template("auth/sessions.html",
                           open_sessions=sessions.open_sessions_of(current_user),
                           current_id=sessions.current_session_id(),
                           idle_minutes=sessions.idle_timeout().total_seconds() // 60)


@bp.route("/compte/sessions/fermer", methods=["POST"])
@signed_in
def close_session():
    """Close one other session (the current one closes with « Se déconnecter »)."""
    target = request.form.get("session", "")
    current = sessions.current_session_id()
    if len(target) != 64 or target == current:
        abort(400)
    # Only the person's own sessions: someone else's identifier revokes nothing, like a stale one.
    if sessions.revoke(current_user, target):
        db.session.commit()
        flash("La session est fermée : l'appareil concerné devra se reconnecter.", "success")
    else:
        flash("Cette session était déjà fermée.", "info")
    return redirect(url_for("auth.my_sessions"))


@bp.route("/compte/sessions/fermer-les-autres", methods=["POST"])
@signed_in
def close_other_sessions():
    closed = sessions.revoke(current_user, except_id=sessions.current_session_id())
    db.session.commit()
    if closed:
        flash(f"{closed} autre{'s' if closed > 1 else ''} session{'s' if closed > 1 else ''} "
              f"fermée{'s' if closed > 1 else ''}. Seule cette session reste ouverte.", "success")
    else:
        flash("Aucune autre session n'était ouverte.", "success")
    return redirect(url_for("auth.my_sessions"))
