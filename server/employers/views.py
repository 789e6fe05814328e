"""The employer space: its home page and the référent's settings."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from flask_login import current_user

from server.audit import record
from server.auth.access import employer_role
from server.employers.blueprint import bp
from server.employers.forms import WelcomeForm
from server.employers.settings import WELCOME_KEY, get_setting, set_setting
from server.employers.summary import space_summary
from server.extensions import db
from tenants import current_tenant


@bp.route("/")
@employer_role()
def home():
    return render_template(
        "employers/home.html",
        welcome=get_setting(WELCOME_KEY, ""),
        summary=space_summary() if "referent" in g.employer_roles else None,
    )


@bp.route("/parametres", methods=["GET", "POST"])
@employer_role("referent")
def settings():
    form = WelcomeForm()
    status = 200
    if form.is_submitted():
        if form.validate():
            set_setting(WELCOME_KEY, form.welcome.data.strip(), current_user.id)
            record("update", "space_setting", WELCOME_KEY)
            db.session.commit()
            flash("Le message d'accueil est enregistré.", "success")
            return redirect(url_for("employers.settings"))
        status = 400
    else:
        form.welcome.data = get_setting(WELCOME_KEY, "")
    return render_template("employers/settings.html", form=form, tenant=current_tenant()), status
