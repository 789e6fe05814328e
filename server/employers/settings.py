"""Reading and writing the employer space's own settings (``space_setting``)."""
from __future__ import annotations

from server.employers.models import SpaceSetting
from server.extensions import db

WELCOME_KEY = "welcome"


def get_setting(key: str, default=None):
    row = db.session.get(SpaceSetting, key)
    return default if row is None else row.value.get("value", default)


def set_setting(key: str, value, by_user_id: int | None) -> None:
    row = db.session.get(SpaceSetting, key)
    if row is None:
        row = SpaceSetting(key=key, value={"value": value}, updated_by=by_user_id)
        db.session.add(row)
    else:
        row.value = {"value": value}
        row.updated_by = by_user_id
