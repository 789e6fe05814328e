"""« Comptes » for network admins: find a person who cannot log in, then unlock their account
or reset their lost second factor (server/auth/administration.py). The search shows what is
needed to help, nothing more: name, address, lock and second-factor state."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from server.auth import administration, lockout
from server.auth.access import network_role
from server.auth.models import User
from server.extensions import db
from server.network.blueprint import bp
from server.network.forms import AccountActionForm

#: The most accounts one search lists.
SHOWN = 50
QUERY_LENGTH = (3, 254)


@bp.route("/comptes")
@network_role("admin")
def accounts():
    query = request.args.get("q", "").strip()
    error, found = None, None
    if query:
        if not QUERY_LENGTH[0] <= len(query) <= QUERY_LENGTH[1]:
            error = (f"Saisissez de {QUERY_LENGTH[0]} à {QUERY_LENGTH[1]} caractères : une partie "
                     "du nom ou de l'adresse électronique.")
        else:
            # autoescape: a « % » or « _ » typed is looked for as such, not as a wildcard.
            found = db.session.execute(
                sa.select(User).where(sa.or_(User.email.icontains(query, autoescape=True),
                                             User.display_name.icontains(query,
                                                                         autoescape=True)))
                .order_by(User.display_name, User.id).limit(SHOWN + 1)).scalars().all()
    return render_template("network/accounts.html", query=query, error=error,
                           found=found, shown=SHOWN, is_locked=lockout.is_locked,
                           action_form=AccountActionForm()), 400 if error else 200


def _account_for_action(user_id: int) -> User:
    form = AccountActionForm()
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if not form.validate_on_submit():
        abort(400)
    return user


def _back(user: User):
    return redirect(url_for("network.accounts", q=user.email))


@bp.route("/comptes/<int:user_id>/deverrouiller", methods=["POST"])
@network_role("admin")
def unlock_account(user_id: int):
    user = _account_for_action(user_id)
    if not lockout.is_locked(user) and not user.failed_logins:
        flash(f"Le compte de {user.display_name} n'est pas verrouillé.", "success")
        return _back(user)
    administration.unlock(user)
    db.session.commit()
    flash(f"Le compte de {user.display_name} est déverrouillé. Un courriel l'en informe.",
          "success")
    return _back(user)


@bp.route("/comptes/<int:user_id>/double-authentification", methods=["POST"])
@network_role("admin")
def reset_second_factor(user_id: int):
    user = _account_for_action(user_id)
    if user.id == current_user.id:
        # Another admin must do it: one person alone cannot lift their own second factor.
        flash("Vous ne pouvez pas réinitialiser votre propre double authentification : "
              "demandez-le à un autre administrateur du réseau.", "error")
        return _back(user)
    if not user.has_second_factor:
        flash(f"La double authentification n'est pas active sur le compte de "
              f"{user.display_name}.", "success")
        return _back(user)
    administration.reset_second_factor(user)
    db.session.commit()
    flash(f"La double authentification de {user.display_name} est réinitialisée et ses sessions "
          "sont fermées. Un courriel l'en informe.", "success")
    return _back(user)
