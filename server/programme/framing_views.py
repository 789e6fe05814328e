"""The framing sheet (the seed's "Fiche outil #1 — Définition du cadre du projet"): a guided
form saved as versions, their history, one validated version, and a printable sheet."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from server.auth.access import employer_role
from server.extensions import db
from server.programme import framing
from server.programme.blueprint import bp
from server.programme.forms import FramingForm

STALE_MESSAGE = ("Une autre personne a enregistré la version {number} de la fiche pendant que "
                 "vous la modifiiez. Votre texte n'a pas été enregistré : il est toujours dans le "
                 "formulaire ci-dessous. Comparez-le avec la version {number}, puis enregistrez "
                 "à nouveau pour en faire la version {next}.")


def author_names(versions) -> dict[int, str]:
    """Display names of the accounts that saved or validated ``versions``."""
    from server.auth.models import User

    ids = {i for v in versions for i in (v.created_by, v.validated_by) if i is not None}
    if not ids:
        return {}
    return dict(db.session.execute(
        sa.select(User.id, User.display_name).where(User.id.in_(ids))).all())


@bp.route("/cadre", methods=["GET", "POST"])
@employer_role("referent")
def framing_sheet():
    form = FramingForm()
    latest = framing.latest_version()
    base = latest.number if latest else 0
    stale_number = None
    status = 200
    if form.is_submitted():
        submitted_base = _int(request.form.get("base_version"))
        if form.validate():
            try:
                saved = framing.save_version(form.content(), base=submitted_base
                                             if submitted_base is not None else -1,
                                             by_user_id=current_user.id)
            except framing.Unchanged:
                flash("La fiche n'a pas changé depuis la version "
                      f"{latest.number} : aucune nouvelle version n'a été créée.", "success")
                return redirect(url_for("programme.framing_sheet"))
            except framing.StaleFraming as stale:
                latest = stale.latest
                base = latest.number if latest else 0
                stale_number = base
                form.form_errors.append(STALE_MESSAGE.format(number=base, next=base + 1))
                status = 409
            else:
                flash(f"La fiche est enregistrée comme brouillon (version {saved.number}).",
                      "success")
                return redirect(url_for("programme.framing_sheet"))
        else:
            # Keep the version the form was opened on: the next save is checked against it.
            base = submitted_base if submitted_base is not None else base
            status = 400
    elif latest is not None:
        form.fill(latest.content())
    return render_template("programme/framing.html", form=form, latest=latest, base=base,
                           stale_number=stale_number,
                           validated=framing.validated_version()), status


@bp.route("/cadre/versions")
@employer_role("referent")
def framing_history():
    versions = framing.history()
    return render_template("programme/framing_history.html", versions=versions,
                           names=author_names(versions))


@bp.route("/cadre/versions/<int:number>", methods=["GET", "POST"])
@employer_role("referent")
def framing_version(number: int):
    shown = framing.version(number)
    if shown is None:
        abort(404)
    if request.method == "POST":
        chosen, replaced = framing.validate(number, by_user_id=current_user.id)
        message = f"La version {chosen.number} de la fiche est validée."
        if replaced:
            message += f" Elle remplace la version {replaced}, qui redevient un brouillon."
        flash(message, "success")
        return redirect(url_for("programme.framing_version", number=number))
    latest = framing.latest_version()
    return render_template("programme/framing_version.html", version=shown, latest=latest,
                           names=author_names([shown]))


@bp.route("/cadre/imprimer")
@employer_role("referent")
def framing_print():
    """The sheet as printed: the version asked for, else the validated one, else the latest."""
    number = _int(request.args.get("version"))
    if number is not None:
        shown = framing.version(number)
        if shown is None:
            abort(404)
    else:
        shown = framing.validated_version() or framing.latest_version()
    return render_template("programme/framing_print.html", version=shown,
                           names=author_names([shown] if shown else []))


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
