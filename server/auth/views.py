"""Log in, log out, and choosing an employer space."""
from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from server.auth.access import public, signed_in
from server.auth.blueprint import bp
from server.auth.forms import LoginForm
from server.auth.models import EMPLOYER_ROLES, Membership, User
from server.extensions import db, limiter
from tenants.registry import Tenant


def _safe_next(target: str | None) -> str | None:
    """Only local paths: never send someone to another site after logging in."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


def spaces_of(user) -> list[dict]:
    """The active employer spaces a person belongs to, with their roles there."""
    rows = db.session.execute(
        sa.select(Tenant.slug, Tenant.name, Membership.role)
        .join(Membership, Membership.tenant_id == Tenant.id)
        .where(Membership.user_id == user.id, Tenant.status == "active")
        .order_by(Tenant.name, Membership.role)
    ).all()
    spaces: dict[str, dict] = {}
    for row in rows:
        space = spaces.setdefault(row.slug, {"slug": row.slug, "name": row.name, "roles": []})
        space["roles"].append(EMPLOYER_ROLES[row.role])
    return list(spaces.values())


def home_for(user) -> str:
    spaces = spaces_of(user)
    if len(spaces) == 1 and not user.network_role_names():
        return url_for("employers.home", tenant=spaces[0]["slug"])
    return url_for("auth.spaces")


@bp.route("/")
@public
def index():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return render_template("auth/index.html")


@bp.route("/connexion", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")) or home_for(current_user))
    form = LoginForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            user = User.authenticate(form.email.data, form.password.data)
            if user is not None:
                session.clear()  # no session fixation
                session.permanent = True
                login_user(user)
                user.last_login_at = datetime.now(timezone.utc)
                db.session.commit()
                flash(f"Bonjour {user.display_name}, vous êtes connecté·e.", "success")
                return redirect(_safe_next(request.args.get("next")) or home_for(user))
            form.form_errors.append("Adresse e-mail ou mot de passe incorrect.")
            status = 401
        else:
            status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/deconnexion", methods=["POST"])
@public
def logout():
    logout_user()
    session.clear()
    flash("Vous êtes déconnecté·e.", "success")
    return redirect(url_for("auth.login"))


@bp.route("/espaces")
@signed_in
def spaces():
    mine = spaces_of(current_user)
    wanted = request.args.get("aller")
    if wanted and any(space["slug"] == wanted for space in mine):
        return redirect(url_for("employers.home", tenant=wanted))
    return render_template("auth/spaces.html", spaces=mine)
