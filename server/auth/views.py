"""Log in, log out, and choosing an employer space."""
from __future__ import annotations

import time
from datetime import datetime, timezone
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from server.auth import lockout, sessions, two_factor
from server.auth.access import public, signed_in
from server.auth.blueprint import bp
from server.auth.events import log_auth_event
from server.auth.forms import EnrolForm, LoginForm, SecondFactorForm
from server.auth.models import EMPLOYER_ROLES, Membership, User
from server.auth.notices import account_changed
from server.extensions import db, limiter, login_limit
from server.templating import french_datetime
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


def complete_login(user) -> None:
    """The one way a session is opened for a person whose identity has been proven."""
    session.clear()  # no session fixation
    session.permanent = True
    sessions.open_session(user)  # the server-side record: listed, revocable, expires when idle
    login_user(user)
    user.last_login_at = datetime.now(timezone.utc)
    db.session.commit()


@bp.route("/")
@public
def index():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return render_template("auth/index.html")


@bp.route("/connexion", methods=["GET", "POST"])
@public
@limiter.limit(login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")) or home_for(current_user))
    form = LoginForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            attempt = lockout.check_password(form.email.data, form.password.data)
            if attempt.user is not None:
                return begin_login(attempt.user, _safe_next(request.args.get("next")))
            form.form_errors.append(locked_message(attempt.locked_until) if attempt.locked_until
                                    else "Adresse e-mail ou mot de passe incorrect.")
            status = 401
        else:
            status = 400
    return render_template("auth/login.html", form=form), status


def locked_message(until) -> str:
    return ("Ce compte est temporairement verrouillé après plusieurs tentatives de connexion "
            f"infructueuses. Vous pourrez réessayer à partir du {french_datetime(until)} "
            "(heure de Paris).")


# --- the second step: a person whose password is right, not yet signed in ----------------------

#: Session key of a log-in waiting for its second factor ("half logged in": no user in the
#: session, so every other page still treats the person as anonymous).
PENDING = "pending_login"
#: Time allowed between the password and the second factor (enrolment included).
PENDING_SECONDS = 10 * 60


def begin_login(user: User, next_url: str | None, first_factor: str = "password"):
    """After the first factor — the password (or an invitation's account step), or the
    employer's single sign-on (``"sso"``, logged by itself): open the session, or send the
    person to the second factor first. Returns the redirect."""
    if two_factor.needed_for(user):
        session.clear()  # no session fixation, nothing of an earlier session kept
        session[PENDING] = {"user": user.id, "version": user.session_version,
                            "since": time.time(), "next": next_url,
                            "first_factor": first_factor}
        if first_factor == "password":
            log_auth_event("login.password_accepted", user.id)
        if user.has_second_factor:
            return redirect(url_for("auth.second_factor"))
        return redirect(url_for("auth.enrol"))
    finish_login(user, first_factor)
    return redirect(next_url or home_for(user))


def finish_login(user: User, method: str = "password", first_factor: str | None = None) -> None:
    """Every factor has passed: the row of failures ends and the session opens. ``method``:
    the last factor; ``first_factor``: the one before it, when there were two."""
    lockout.succeeded(user)
    complete_login(user)
    detail = {"first_factor": first_factor} if first_factor else {}
    log_auth_event("login.succeeded", user.id, method=method, **detail)
    flash(f"Bonjour {user.display_name}, vous êtes connecté·e.", "success")


def pending_user() -> User | None:
    """The person half logged in, if the step is still valid."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    if time.time() - pending.get("since", 0) > PENDING_SECONDS:
        session.pop(PENDING, None)
        return None
    user = db.session.get(User, pending.get("user"))
    if user is None or not user.active or user.session_version != pending.get("version"):
        session.pop(PENDING, None)
        return None
    return user


def _back_to_login(message: str, category: str = "error"):
    session.clear()
    flash(message, category)
    return redirect(url_for("auth.login"))


EXPIRED = "Votre connexion a expiré ou n'a pas commencé : saisissez à nouveau vos identifiants."


@bp.route("/connexion/code", methods=["GET", "POST"])
@public
@limiter.limit(login_limit, methods=["POST"])
def second_factor():
    user = pending_user()
    if user is None:
        return _back_to_login(EXPIRED)
    if not user.has_second_factor:
        return redirect(url_for("auth.enrol"))
    form = SecondFactorForm()
    status = 200
    if request.method == "POST":
        if lockout.is_locked(user):
            return _back_to_login(locked_message(user.locked_until))
        if form.validate_on_submit():
            method = two_factor.verify(user, form.code.data)
            if method is not None:
                next_url = session[PENDING].get("next")
                finish_login(user, method, session[PENDING].get("first_factor", "password"))
                if method == "recovery":
                    left = len(user.recovery_codes)
                    flash(f"Vous avez utilisé un code de secours ; il vous en reste {left}. "
                          "Vous pouvez en créer de nouveaux depuis « Sécurité du compte ».",
                          "success")
                return redirect(next_url or home_for(user))
            db.session.rollback()
            locked_until = lockout.record_failure(user, "login.second_factor_failed")
            if locked_until is not None:
                return _back_to_login(locked_message(locked_until))
            form.code.errors.append("Ce code n'est pas valide ou a déjà servi. Saisissez le code "
                                    "affiché maintenant par votre application.")
            form.code.data = ""
            status = 401
        else:
            status = 400
    return render_template("auth/second_factor.html", form=form), status


@bp.route("/connexion/double-authentification", methods=["GET", "POST"])
@public
@limiter.limit(login_limit, methods=["POST"])
def enrol():
    """Required and not yet set up: set it up now, before anything else."""
    user = pending_user()
    if user is None:
        return _back_to_login(EXPIRED)
    if user.has_second_factor:
        return redirect(url_for("auth.second_factor"))
    next_url = session[PENDING].get("next")
    first_factor = session[PENDING].get("first_factor", "password")
    return enrolment(user, on_success=lambda: finish_login(user, "enrolment", first_factor),
                     continue_url=lambda: next_url or home_for(user), required=True)


def enrolment(user: User, *, on_success, continue_url, required: bool):
    """The set-up page: a secret kept (encrypted) in the session until a code confirms it;
    then the recovery codes, shown once."""
    secret = two_factor.decrypt(session.get("totp_setup"))
    if secret is None:
        secret = two_factor.new_secret()
        session["totp_setup"] = two_factor.encrypt(secret)
    form = EnrolForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            step = two_factor.matching_step(secret, form.code.data, None)
            if step is not None:
                codes = two_factor.enable(user, secret, step)
                session.pop("totp_setup", None)
                account_changed(user, "second_factor.enabled")
                on_success()  # commits
                return render_template("auth/recovery_codes.html", codes=codes,
                                       continue_url=continue_url(), first_time=True)
            form.code.errors.append("Ce code ne correspond pas. Vérifiez que l'heure de votre "
                                    "téléphone est juste, puis saisissez le code affiché "
                                    "maintenant.")
            form.code.data = ""
            status = 400
        else:
            status = 400
    uri = two_factor.provisioning_uri(secret, user.email)
    return render_template("auth/enrol.html", form=form, qr=two_factor.qr_svg(uri),
                           key=two_factor.grouped(secret), required=required), status


@bp.route("/deconnexion", methods=["POST"])
@public
def logout():
    logout_user()  # also revokes the server-side session (sessions.end_current)
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


from server.auth import account_views  # noqa: F401  the "Sécurité du compte" pages
