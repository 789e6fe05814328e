"""Recording who changed what in the current employer space."""
from __future__ import annotations

from flask_login import current_user

from server.employers.models import AuditEvent
from server.extensions import db


def record(action: str, object_type: str, object_id=None, **detail) -> None:
    actor = current_user.id if current_user and current_user.is_authenticated else None
    db.session.add(
        AuditEvent(
            actor_id=actor,
            action=action,
            object_type=object_type,
            object_id=None if object_id is None else str(object_id),
            detail=detail,
        )
    )
