"""The interventions pages: the list, a référent's request form, each intervention's page
(answer, report, cancel)."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from plugins.base import db, employer_role
from plugins.interventions import service
from plugins.interventions.models import KINDS, OUTCOMES, STATUSES
from plugins.interventions.service import Refused

bp = Blueprint("interventions", __name__,
               template_folder=str(Path(__file__).parent / "templates"))


def _common():
    return {"kinds": KINDS, "statuses": STATUSES, "outcomes": OUTCOMES,
            "is_referent": service.is_referent()}


def _version():
    try:
        return int(request.form.get("version", ""))
    except ValueError:
        return None


@bp.route("/")
@employer_role("referent", "pair-aidant")
def index():
    items = db.session.execute(service.visible()).scalars().all()
    return render_template("interventions/index.html", items=items,
                           who=service.names(i.helper_id for i in items), **_common())


@bp.route("/demander", methods=["GET", "POST"])
@employer_role("referent")
def new():
    values: dict = {"kind": "", "title": "", "starts_at": "", "planned_minutes": "",
                    "location": "", "helper_id": ""}
    errors: dict = {}
    status = 200
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in values}
        cleaned, errors = service.validate_request(values)
        if not errors:
            item = service.ask(cleaned)
            db.session.commit()
            flash("La demande est envoyée. La personne sollicitée peut l'accepter ou la refuser "
                  "depuis ses interventions.", "success")
            return redirect(url_for("interventions.detail", intervention_id=item.id))
        status = 400
    return render_template("interventions/new.html", values=values, errors=errors,
                           helpers=service.helper_choices(), **_common()), status


@bp.route("/<int:intervention_id>", methods=["GET", "POST"])
@employer_role("referent", "pair-aidant")
def detail(intervention_id: int):
    try:
        item = service.get(intervention_id)
    except Refused:
        abort(404)
    errors: dict = {}
    values: dict = {"audience_size": "", "minutes_spent": "", "outcome": ""}
    status = 200
    if request.method == "POST":
        action = request.form.get("action")
        try:
            if action in ("accepter", "refuser"):
                service.answer(item, action == "accepter", _version())
                message = ("Vous avez accepté l'intervention." if action == "accepter"
                           else "Vous avez refusé l'intervention.")
            elif action == "bilan":
                values = {k: request.form.get(k, "") for k in values}
                cleaned, errors = service.validate_report(values)
                if errors:
                    raise Refused(400, "validation_error", "", "")
                service.report(item, cleaned, _version())
                message = "Le bilan est enregistré ; le temps passé est compté."
            elif action == "annuler":
                service.cancel(item, _version())
                message = "L'intervention est annulée."
            else:
                abort(400)
        except Refused as refused:
            db.session.rollback()
            item = service.get(intervention_id)
            if refused.message:
                flash(refused.message, "error")
            status = refused.status
        else:
            db.session.commit()
            flash(message, "success")
            return redirect(url_for("interventions.detail", intervention_id=item.id))
    me = service.my_profile()
    return render_template("interventions/detail.html", item=item, errors=errors,
                           values=values, is_helper=me is not None and me.id == item.helper_id,
                           who=service.names([item.helper_id]), **_common()), status
