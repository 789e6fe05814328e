"""Security notices: the person is e-mailed whenever the way they log in changes (password,
second factor, recovery codes, an administrator's unlock or reset), so that a change they did
not make does not go unnoticed. ``account_changed`` logs the change and sends the notice: it is
the one call for such a change."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import current_app

from server.auth.events import log_auth_event

#: What the notice says happened, by logged action.
CHANGES = {
    "password.changed": "le mot de passe de votre compte a été changé",
    "second_factor.enabled": "la double authentification a été activée sur votre compte",
    "second_factor.disabled": "la double authentification a été désactivée sur votre compte",
    "second_factor.recovery_codes_renewed": "de nouveaux codes de secours ont été créés pour "
                                            "votre compte ; les précédents ne fonctionnent plus",
    "second_factor.reset": "la double authentification de votre compte a été réinitialisée par "
                           "un administrateur du réseau ; vos sessions ouvertes sont fermées",
    "account.unlocked": "votre compte a été déverrouillé par un administrateur du réseau",
}


def account_changed(user, action: str, **detail) -> None:
    """Log ``action`` (a key of ``CHANGES``) for ``user`` and e-mail them the notice. A queue
    outage does not undo the change: the failure is logged."""
    from server.mail import Message, send

    change = CHANGES[action]
    log_auth_event(action, user.id, **detail)
    message = Message.from_templates(
        user.email, "Sécurité de votre compte Entrepairs", "security_notice",
        name=user.display_name, change=change, at=datetime.now(timezone.utc))
    try:
        send(message, tenant=None)
    except Exception:  # noqa: BLE001 — the change stands; the missing notice is logged
        current_app.logger.exception("Could not enqueue the security notice %s for account %s",
                                     action, user.id)
