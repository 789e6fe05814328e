"""Enabling programme models and setting their settings, for the current employer."""
from __future__ import annotations

from flask import current_app, g
from marshmallow import ValidationError

from server.audit import record
from server.extensions import db
from server.programme.models import ProgrammeModelChoice


class StaleVersion(Exception):
    """Someone changed this model's configuration since the form was opened."""


def installed_models() -> dict:
    """Loaded plugins by name, in the allow-list's order."""
    return current_app.extensions.get("entrepairs.plugins", {})


def enabled_names() -> frozenset[str]:
    """Models the current employer runs (read once per request)."""
    if "enabled_models" not in g:
        rows = db.session.execute(
            db.select(ProgrammeModelChoice.name).where(ProgrammeModelChoice.enabled)
        ).scalars()
        g.enabled_models = frozenset(rows) & frozenset(installed_models())
    return g.enabled_models


def choice_for(name: str) -> ProgrammeModelChoice:
    plugin = installed_models()[name]
    choice = db.session.get(ProgrammeModelChoice, name)
    if choice is None:
        choice = ProgrammeModelChoice(name=name, enabled=False,
                                      settings=plugin.default_settings(), version=0)
    return choice


def settings_of(name: str) -> dict:
    """The model's settings for the current employer: defaults, overlaid with its choices."""
    plugin = installed_models()[name]
    choice = db.session.get(ProgrammeModelChoice, name)
    stored = choice.settings if choice is not None else {}
    try:
        return plugin.validate_settings({**plugin.settings_schema().dump(
            plugin.default_settings()), **stored})
    except ValidationError:
        # Settings written by an older version of the plugin: fall back to its defaults.
        return plugin.default_settings()


def configure(name: str, *, enabled: bool | None = None, settings: dict | None = None,
              expected_version: int | None = None, by_user_id: int | None = None
              ) -> ProgrammeModelChoice:
    """Change a model's configuration. Raises ``ValidationError`` (nothing is changed) or
    ``StaleVersion``. The caller commits."""
    plugin = installed_models()[name]
    choice = db.session.get(ProgrammeModelChoice, name, with_for_update=True)
    current_version = choice.version if choice is not None else 0
    if expected_version is not None and expected_version != current_version:
        raise StaleVersion(name)
    if choice is None:
        choice = ProgrammeModelChoice(name=name, enabled=False,
                                      settings=plugin.settings_schema().dump(
                                          plugin.default_settings()), version=0)
        db.session.add(choice)
    if settings is not None:
        validated = plugin.validate_settings(settings)
        choice.settings = plugin.settings_schema().dump(validated)
    if enabled is not None:
        choice.enabled = enabled
    choice.version = current_version + 1
    choice.updated_by = by_user_id
    record("configure", "programme_model", name, enabled=choice.enabled)
    from server import signals

    signals.model_configured.send(name, enabled=choice.enabled, settings=choice.settings)
    g.pop("enabled_models", None)
    return choice
