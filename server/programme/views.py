"""The programme's overview, choosing its models and setting each one's settings (référents).
The framing sheet and the peer helpers have modules of their own (``framing_views``,
``peer_helper_views``)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from marshmallow import ValidationError

from server.auth.access import employer_role
from server.extensions import db
from server.programme import framing
from server.programme.blueprint import bp
from server.programme.choices import (StaleVersion, choice_for, configure, enabled_names,
                                      installed_models, settings_of)
from server.programme.models import PeerHelper
from server.programme.settings_form import describe, french_messages, from_form

STALE_MESSAGE = ("Une autre personne a modifié ce modèle pendant que vous le consultiez. "
                 "Vos changements n'ont pas été enregistrés : voici la version actuelle.")


@bp.route("/")
@employer_role("referent")
def overview():
    counts = dict(db.session.execute(
        sa.select(PeerHelper.decision, sa.func.count()).group_by(PeerHelper.decision)).all())
    plugins = installed_models()
    return render_template(
        "programme/overview.html",
        latest=framing.latest_version(), validated=framing.validated_version(),
        selected=counts.get("selected", 0), candidates=counts.get("candidate", 0),
        enabled=[plugins[name] for name in plugins if name in enabled_names()],
        installed=len(plugins))


@bp.route("/modeles", methods=["GET", "POST"])
@employer_role("referent")
def models():
    plugins = installed_models()
    status = 200
    if request.method == "POST":
        name = request.form.get("modele", "")
        if name not in plugins:
            abort(400)
        enable = request.form.get("action") == "activer"
        try:
            configure(name, enabled=enable, by_user_id=current_user.id,
                      expected_version=_int(request.form.get("version")))
        except StaleVersion:
            db.session.rollback()
            flash(STALE_MESSAGE, "error")
            status = 409
        else:
            db.session.commit()
            label = plugins[name].label
            flash(f"Le modèle « {label} » est {'activé' if enable else 'désactivé'}.", "success")
            return redirect(url_for("programme.models"))
    rows = [(plugin, choice_for(name)) for name, plugin in plugins.items()]
    return render_template("programme/models.html", rows=rows), status


@bp.route("/modeles/<name>", methods=["GET", "POST"])
@employer_role("referent")
def model_settings(name: str):
    plugin = installed_models().get(name)
    if plugin is None:
        abort(404)
    choice = choice_for(name)
    values = plugin.settings_schema().dump(settings_of(name))
    errors: dict = {}
    status = 200
    if request.method == "POST":
        raw = from_form(plugin.settings_schema, request.form)
        try:
            configure(name, settings=raw, by_user_id=current_user.id,
                      expected_version=_int(request.form.get("version")))
        except ValidationError as exc:
            db.session.rollback()
            errors = french_messages(exc.messages)
            values = {**values, **raw}
            status = 400
        except StaleVersion:
            db.session.rollback()
            flash(STALE_MESSAGE, "error")
            choice = choice_for(name)
            status = 409
        else:
            db.session.commit()
            flash(f"Les paramètres du modèle « {plugin.label} » sont enregistrés.", "success")
            return redirect(url_for("programme.model_settings", name=name))
    return render_template("programme/model_settings.html", plugin=plugin, choice=choice,
                           fields=describe(plugin.settings_schema, values, errors),
                           errors=errors), status


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
