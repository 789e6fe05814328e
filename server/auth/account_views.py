"""« Sécurité du compte »: a signed-in person changes their password and manages their
second factor (set up, new recovery codes, turn off where it is not required)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user

from server.auth import lockout, sessions, two_factor
from server.auth.access import signed_in
from server.auth.blueprint import bp
from server.auth.forms import ChangePasswordForm, ConfirmPasswordForm
from server.auth.models import User
from server.auth.notices import account_changed
from server.auth.passwords import password_problem
from server.auth.views import complete_login, enrolment, locked_message
from server.extensions import db


def _me() -> User:
    return db.session.get(User, current_user.id)


def _password_confirmed(user: User, field) -> bool | object:
    """Checks the password typed again for a sensitive change. ``True`` when right; a
    failure counts towards the lock-out, and a lock ends the session (returned redirect)."""
    if lockout.is_locked(user):
        return _locked_out(user.locked_until)
    if user.check_password(field.data or ""):
        return True
    locked_until = lockout.record_failure(user, "password.confirmation_failed")
    if locked_until is not None:
        return _locked_out(locked_until)
    field.errors.append("Mot de passe incorrect.")
    return False


def _locked_out(until):
    """Locked while signed in (someone at an unattended computer guessing): the session ends."""
    sessions.end_current()
    db.session.commit()
    logout_user()
    session.clear()
    flash(locked_message(until), "error")
    return redirect(url_for("auth.login"))


#: Two password forms on one page: prefixes keep their fields' ids apart.
CODES, DISABLE = "codes", "desactivation"


def _security_page(user: User, status: int = 200, **forms):
    forms.setdefault("codes_form", ConfirmPasswordForm(prefix=CODES, formdata=None))
    forms.setdefault("disable_form", ConfirmPasswordForm(prefix=DISABLE, formdata=None))
    return render_template("auth/security.html", user=user,
                           required=two_factor.required_for(user),
                           codes_left=len(user.recovery_codes or []), **forms), status


@bp.route("/compte/securite", methods=["GET", "POST"])
@signed_in
def security():
    """The page; its POST is the « new recovery codes » form (shown once, on this page)."""
    user = _me()
    if request.method == "GET" or not user.has_second_factor:
        return _security_page(user)
    form = ConfirmPasswordForm(prefix=CODES)
    if form.validate_on_submit():
        confirmed = _password_confirmed(user, form.current_password)
        if confirmed is True:
            codes = two_factor.new_recovery_codes(user)
            account_changed(user, "second_factor.recovery_codes_renewed")
            db.session.commit()
            return render_template("auth/recovery_codes.html", codes=codes,
                                   continue_url=url_for("auth.security"), first_time=False)
        if confirmed is not False:
            return confirmed
    return _security_page(user, 401 if form.current_password.errors else 400, codes_form=form)


@bp.route("/compte/mot-de-passe", methods=["GET", "POST"])
@signed_in
def change_password():
    user = _me()
    form = ChangePasswordForm()
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            confirmed = _password_confirmed(user, form.current_password)
            if confirmed is not True and confirmed is not False:
                return confirmed
            problem = password_problem(form.new_password.data, user)
            if problem:
                form.new_password.errors.append(problem)
            elif confirmed:
                user.set_password(form.new_password.data)
                user.session_version += 1  # every other session ends
                account_changed(user, "password.changed")
                complete_login(user)  # this one goes on, under the new version
                flash("Votre mot de passe est changé. Vos autres sessions sont fermées.",
                      "success")
                return redirect(url_for("auth.security"))
            if not confirmed:
                status = 401
    return render_template("auth/change_password.html", form=form), status


@bp.route("/compte/securite/double-authentification", methods=["GET", "POST"])
@signed_in
def enable_second_factor():
    user = _me()
    if user.has_second_factor:
        flash("La double authentification est déjà active sur votre compte.", "success")
        return redirect(url_for("auth.security"))

    def done():
        db.session.commit()
        flash("La double authentification est activée.", "success")

    return enrolment(user, on_success=done, continue_url=lambda: url_for("auth.security"),
                     required=False)


@bp.route("/compte/securite/desactivation", methods=["POST"])
@signed_in
def disable_second_factor():
    user = _me()
    form = ConfirmPasswordForm(prefix=DISABLE)
    required = two_factor.required_for(user)
    if required or not user.has_second_factor:
        # Nothing to turn off, or not allowed to: the page says why.
        return redirect(url_for("auth.security"))
    if form.validate_on_submit():
        confirmed = _password_confirmed(user, form.current_password)
        if confirmed is True:
            two_factor.disable(user)
            db.session.commit()
            account_changed(user, "second_factor.disabled")
            flash("La double authentification est désactivée.", "success")
            return redirect(url_for("auth.security"))
        if confirmed is not False:
            return confirmed
    return _security_page(user, 401 if form.current_password.errors else 400, disable_form=form)
