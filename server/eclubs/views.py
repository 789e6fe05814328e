"""The e-club pages, in the network space (``/reseau/e-clubs``): the list, one e-club (agenda,
registration, questions, « Après la séance »), the animateur's forms, and the public
iCalendar feed ``/reseau/e-clubs.ics``.

Every page is for members (network staff, or anyone with a membership of an active employer
space: ``service.is_member``); the forms and moderation are for animateurs and network
admins."""
from __future__ import annotations

from datetime import timedelta
from functools import wraps

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from plugins.base import Refused
from server.auth.access import network_role, public, signed_in
from server.eclubs import forms, ical, service
from server.eclubs.models import EClub
from server.extensions import db

bp = Blueprint("eclubs", __name__, url_prefix="/reseau")
ANIMATION = service.ANIMATION_ROLES
#: How far back the public feed looks.
FEED_PAST_DAYS = 366


def members_only(view):
    """Signed in and a member of the network (else a 403 that says why)."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not service.is_member():
            return render_template("errors/error.html", status=403,
                                   message=service.not_a_member().message), 403
        return view(*args, **kwargs)
    return signed_in(wrapper)


def _get_or_404(eclub_id: int) -> EClub:
    try:
        return service.get(eclub_id)
    except Refused:
        abort(404)


@bp.route("/e-clubs/")
@members_only
def index():
    upcoming, past = service.listing()
    return render_template("eclubs/index.html", upcoming=upcoming, past=past,
                           mine=service.registered_ids(current_user.id),
                           animateur=service.is_animateur(), now=service.now())


def _detail(eclub_id: int, status: int = 200, problem: Refused | None = None,
            question_errors=None, question_values=None, merge_errors=None):
    eclub = _get_or_404(eclub_id)
    moderator = service.is_animateur()
    questions = service.questions_for(eclub, current_user.id, moderator)
    return render_template(
        "eclubs/detail.html", eclub=eclub, now=service.now(), animateur=moderator,
        registered=service.is_registered(eclub.id, current_user.id),
        count=service.registration_count(eclub.id), questions=questions,
        questions_open=service.questions_open(eclub), problem=problem,
        question_errors=question_errors or {},
        question_values=question_values or {"body": "", "anonymous": False},
        merge_errors=merge_errors or {}, labels=forms.LABELS,
        before=[r for r in eclub.resources if r.phase == "before"],
        after=[r for r in eclub.resources if r.phase == "after"]), status


@bp.route("/e-clubs/<int:eclub_id>", methods=["GET", "POST"])
@members_only
def detail(eclub_id: int):
    """The e-club's page; its form « À vos questions » posts here (a question is asked)."""
    if request.method == "POST":
        return _ask(eclub_id)
    return _detail(eclub_id)


def _action(eclub_id: int, action, success: str, anchor: str | None = None):
    """Run a service action: commit and come back with a confirmation, or show the page again
    with the reason (nothing written)."""
    try:
        action()
    except Refused as refused:
        db.session.rollback()
        if refused.status == 404 and refused.code == "not_found" and refused.field is None:
            abort(404)
        return _detail(eclub_id, refused.status, refused)
    db.session.commit()
    flash(success, "success")
    return redirect(url_for("eclubs.detail", eclub_id=eclub_id,
                            _anchor=anchor) if anchor else url_for("eclubs.detail",
                                                                    eclub_id=eclub_id))


@bp.route("/e-clubs/<int:eclub_id>/inscription", methods=["POST"])
@members_only
def register(eclub_id: int):
    return _action(eclub_id, lambda: service.register(eclub_id, current_user.id),
                   "Vous êtes inscrit ou inscrite. Un courriel de confirmation avec l'invitation "
                   "pour votre agenda arrive dans quelques minutes ; un rappel suivra la veille.")


@bp.route("/e-clubs/<int:eclub_id>/desinscription", methods=["POST"])
@members_only
def unregister(eclub_id: int):
    return _action(eclub_id, lambda: service.unregister(eclub_id, current_user.id),
                   "Votre désinscription est enregistrée.")


def _ask(eclub_id: int):
    values, errors = service.validate_question(request.form)
    if errors:
        return _detail(eclub_id, 400, question_errors=errors, question_values={
            "body": request.form.get("body", ""),
            "anonymous": request.form.get("anonymous") == "oui"})
    return _action(eclub_id, lambda: service.ask(eclub_id, current_user.id, values),
                   "Votre question est enregistrée." + (
                       " Les autres membres ne voient pas votre nom ; l'animation du réseau le "
                       "voit." if values["anonymous"] else ""), anchor="questions")


@bp.route("/e-clubs/<int:eclub_id>/questions/<int:question_id>/soutien", methods=["POST"])
@members_only
def support(eclub_id: int, question_id: int):
    return _action(eclub_id, lambda: service.support(eclub_id, question_id, current_user.id),
                   "Votre soutien à cette question est enregistré.", anchor="questions")


@bp.route("/e-clubs/<int:eclub_id>/questions/<int:question_id>/repondue", methods=["POST"])
@network_role(*ANIMATION)
def answered(eclub_id: int, question_id: int):
    return _action(eclub_id, lambda: service.mark_answered(eclub_id, question_id),
                   "La question est marquée comme répondue.", anchor="questions")


@bp.route("/e-clubs/<int:eclub_id>/questions/<int:question_id>/regrouper", methods=["POST"])
@network_role(*ANIMATION)
def merge(eclub_id: int, question_id: int):
    raw = (request.form.get("into") or "").strip()
    if not raw.isdigit() or len(raw) > 9:
        _get_or_404(eclub_id)
        return _detail(eclub_id, 400, merge_errors={question_id: (
            "Choisissez dans la liste la question qui regroupe celle-ci.")})
    try:
        service.merge(eclub_id, question_id, int(raw))
    except Refused as refused:
        db.session.rollback()
        if refused.status == 404:
            abort(404)
        return _detail(eclub_id, refused.status, merge_errors={question_id: refused.message})
    db.session.commit()
    flash("Les questions sont regroupées : leurs soutiens sont réunis, chaque personne comptée "
          "une fois.", "success")
    return redirect(url_for("eclubs.detail", eclub_id=eclub_id, _anchor="questions"))


# --- the animateur's forms ---------------------------------------------------------------------

def _form_page(template: str, values: dict, errors: dict, status: int = 200, **context):
    return render_template(template, values=values, errors=errors, labels=forms.LABELS,
                           **context), status


@bp.route("/e-clubs/nouveau", methods=["GET", "POST"])
@network_role(*ANIMATION)
def new():
    if request.method == "POST":
        values, errors = service.validate(forms.eclub_data(request.form))
        if not errors:
            eclub = service.create_from_form(values, current_user.id)
            db.session.commit()
            flash("L'e-club est publié : les membres du réseau peuvent s'y inscrire.", "success")
            return redirect(url_for("eclubs.detail", eclub_id=eclub.id))
        return _form_page("eclubs/form.html", forms.eclub_values(request.form), errors, 400,
                          eclub=None)
    return _form_page("eclubs/form.html", forms.eclub_values(), {}, eclub=None)


@bp.route("/e-clubs/<int:eclub_id>/modifier", methods=["GET", "POST"])
@network_role(*ANIMATION)
def edit(eclub_id: int):
    eclub = _get_or_404(eclub_id)
    if eclub.is_cancelled:
        return _detail(eclub_id, 409, Refused(
            409, "eclub_cancelled", "Cet e-club est annulé : il ne peut plus changer.", ""))
    if request.method == "POST":
        values, errors = service.validate(forms.eclub_data(request.form), current=eclub)
        if not errors:
            try:
                service.update_eclub(eclub_id, values)
            except Refused as refused:
                db.session.rollback()
                return _detail(eclub_id, refused.status, refused)
            db.session.commit()
            flash("L'e-club est modifié. Si l'horaire a changé, les personnes inscrites "
                  "reçoivent le nouvel horaire par courriel.", "success")
            return redirect(url_for("eclubs.detail", eclub_id=eclub_id))
        return _form_page("eclubs/form.html", forms.eclub_values(request.form), errors, 400,
                          eclub=eclub)
    return _form_page("eclubs/form.html", forms.eclub_values(eclub=eclub), {}, eclub=eclub)


@bp.route("/e-clubs/<int:eclub_id>/apres-la-seance", methods=["GET", "POST"])
@network_role(*ANIMATION)
def after(eclub_id: int):
    eclub = _get_or_404(eclub_id)
    if request.method == "POST":
        values, errors = service.validate_after(forms.after_data(request.form))
        if not errors:
            try:
                service.set_after(eclub_id, values)
            except Refused as refused:
                db.session.rollback()
                return _detail(eclub_id, refused.status, refused)
            db.session.commit()
            flash("Le replay et les ressources sont enregistrés : la page de l'e-club les montre "
                  "dans « Après la séance ».", "success")
            return redirect(url_for("eclubs.detail", eclub_id=eclub_id, _anchor="apres"))
        return _form_page("eclubs/after.html", forms.after_values(request.form), errors, 400,
                          eclub=eclub)
    return _form_page("eclubs/after.html", forms.after_values(eclub=eclub), {}, eclub=eclub)


@bp.route("/e-clubs/<int:eclub_id>/annuler", methods=["GET", "POST"])
@network_role(*ANIMATION)
def cancel(eclub_id: int):
    eclub = _get_or_404(eclub_id)
    if request.method == "POST":
        return _action(eclub_id, lambda: service.cancel_eclub(eclub_id),
                       "L'e-club est annulé. Les personnes inscrites sont prévenues par courriel.")
    return render_template("eclubs/cancel.html", eclub=eclub,
                           count=service.registration_count(eclub_id), now=service.now())


# --- the public feed ---------------------------------------------------------------------------

@bp.route("/e-clubs.ics")
@public
def feed():
    """The network's e-clubs for calendar applications: public (no token), so it holds what an
    announcement holds — title, time, agenda, page link — and never the video link, which only
    members see on the page and in their invitation."""
    since = service.now() - timedelta(days=FEED_PAST_DAYS)
    eclubs = db.session.execute(sa.select(EClub).where(EClub.starts_at >= since)
                                .order_by(EClub.starts_at, EClub.id)).scalars().all()
    response = Response(ical.feed(eclubs, request.url_root), mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Cache-Control"] = "public, max-age=900"
    return response
