"""The personal-data pages.

- ``/mes-donnees``: a person asks for a copy of their data, downloads it, asks for erasure;
- ``/e/<tenant>/donnees-personnelles/``: the employer's personal-data page (every member);
- ``…/conservation``: the référent sets the retention periods and reads the runs' reports;
- ``…/effacement``: the référent has a person's data erased in the space."""
from __future__ import annotations

import sqlalchemy as sa
from flask import (Blueprint, abort, flash, g, redirect, render_template, request, send_file,
                   url_for)
from flask_login import current_user, logout_user

from server.audit import record, record_access, record_network_change
from server.auth.access import employer_role, signed_in
from server.auth.models import EMPLOYER_ROLES, Membership, User
from server.extensions import db
from server.personal_data import erasure, export, retention
from server.personal_data.forms import EraseMineForm, ErasePersonForm, ExportForm
from server.personal_data.models import DataExport
from tenants import current_tenant

bp = Blueprint("personal_data", __name__)
space_bp = Blueprint("personal_data_space", __name__,
                     url_prefix="/e/<tenant>/donnees-personnelles")

NO_STORE = {"Cache-Control": "no-store"}


def _base_url() -> str:
    return request.url_root


# --- the person's own page -----------------------------------------------------------------

@bp.route("/mes-donnees")
@signed_in
def mine():
    from server.auth.views import spaces_of

    exports = db.session.execute(sa.select(DataExport).where(
        DataExport.user_id == current_user.id).order_by(DataExport.requested_at.desc())
        .limit(10)).scalars().all()
    return render_template(
        "personal_data/mine.html", exports=exports, form=ExportForm(),
        pending=any(export.is_pending(e) for e in exports), spaces=spaces_of(current_user),
        days=_export_days()), 200, NO_STORE


def _export_days() -> int:
    from flask import current_app

    return current_app.config["PERSONAL_DATA_EXPORT_DAYS"]


@bp.route("/mes-donnees/copie", methods=["POST"])
@signed_in
def request_copy():
    form = ExportForm()
    if not form.validate_on_submit():
        flash("Le formulaire a expiré. Rechargez la page et réessayez.", "error")
        return redirect(url_for("personal_data.mine"))
    item = export.request_export(current_user.id, _base_url())
    record_network_change("request", "personal_data_export", item.id)
    db.session.commit()
    flash("Votre demande est enregistrée. Votre copie sera prête dans quelques minutes : "
          "vous recevrez un e-mail, et elle apparaîtra sur cette page.", "success")
    return redirect(url_for("personal_data.mine"))


@bp.route("/mes-donnees/copies/<int:export_id>/donnees.<any(json, html):fmt>")
@signed_in
def download(export_id: int, fmt: str):
    item = db.session.get(DataExport, export_id)
    if item is None or item.user_id != current_user.id:
        abort(404)
    if item.status == "expired":
        abort(410)
    if item.status != "ready":
        abort(404)
    path = export.path_of(item.storage_key, fmt)
    if not path.exists():
        abort(410)
    record_network_change("export", "personal_data_export", item.id, format=fmt)
    db.session.commit()
    response = send_file(path, mimetype=export.FORMATS[fmt], as_attachment=True,
                         download_name=f"entrepairs-mes-donnees-{item.ready_at:%Y-%m-%d}.{fmt}",
                         max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/mes-donnees/effacement", methods=["GET", "POST"])
@signed_in
def erase_mine():
    from server.auth.views import spaces_of

    form = EraseMineForm()
    status = 200
    if form.is_submitted():
        user = db.session.get(User, current_user.id)
        form.validate()
        if form.password.data and not user.check_password(form.password.data):
            form.password.errors = [*form.password.errors, "Ce mot de passe n'est pas le bon."]
        if not form.errors:
            item = erasure.request_erasure(user.id, user.id, _base_url())
            record_network_change("request", "erasure_request", item.id, scope="all")
            db.session.commit()
            logout_user()
            return render_template("personal_data/erase_requested.html"), 200, NO_STORE
        status = 400
    return render_template("personal_data/erase_mine.html", form=form,
                           spaces=spaces_of(current_user)), status, NO_STORE


# --- the employer's personal-data page --------------------------------------------------------

@space_bp.route("/")
@employer_role()
def space_page():
    tenant = current_tenant()
    referents = db.session.execute(
        sa.select(User.display_name).join(Membership, Membership.user_id == User.id)
        .where(Membership.tenant_id == tenant.id, Membership.role == "referent", User.active)
        .order_by(User.display_name)).scalars().all()
    chosen = retention.periods()
    return render_template(
        "personal_data/space.html", referents=referents,
        kinds=[(kind, chosen[kind.key]) for _owner, kind in retention.kinds()],
        audit_years=retention.AUDIT_YEARS, export_days=_export_days(),
        is_referent="referent" in g.employer_roles)


# --- retention (référents) ---------------------------------------------------------------------

def _field(key: str) -> str:
    return key.replace(".", "-")


@space_bp.route("/conservation", methods=["GET", "POST"])
@employer_role("referent")
def retention_page():
    kinds = [kind for _owner, kind in retention.kinds()]
    values = {_field(k): v for k, v in retention.periods().items()}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        from flask_wtf.csrf import validate_csrf
        from wtforms import ValidationError

        try:
            validate_csrf(request.form.get("csrf_token"))
        except ValidationError:
            abort(400)
        raw = {kind.key: request.form.get(_field(kind.key), "") for kind in kinds}
        cleaned, found = retention.validate(raw)
        if not found:
            retention.save(cleaned, current_user.id)
            record("update", "retention_settings", None, **{_field(k): v
                                                            for k, v in cleaned.items()})
            db.session.commit()
            flash("Les durées de conservation sont enregistrées. Elles s'appliquent lors du "
                  "prochain passage quotidien.", "success")
            return redirect(url_for("personal_data_space.retention_page"))
        errors = {_field(k): v for k, v in found.items()}
        values = {_field(k): request.form.get(_field(k), "") for k in raw}
        status = 400
    return render_template("personal_data/retention.html", kinds=kinds, values=values,
                           errors=errors, labels={_field(k.key): k.label for k in kinds},
                           field=_field, runs=retention.runs(),
                           audit_years=retention.AUDIT_YEARS), status


# --- erasure on a person's behalf (référents) ---------------------------------------------------

@space_bp.route("/effacement", methods=["GET", "POST"])
@employer_role("referent")
def erase_person():
    tenant = current_tenant()
    people = erasure.erasable_people(tenant.id, current_user.id)
    form = ErasePersonForm()
    form.person.choices = [("", "Choisissez une personne")] + [(str(i), n) for i, n in people]
    names = dict(people)
    preview = chosen = None
    status = 200
    if form.is_submitted():
        person = _int(form.person.data)
        if not form.validate():
            status = 400
        elif person not in names:
            form.person.errors.append("Choisissez la personne dont les données sont à effacer.")
            status = 400
        else:
            chosen = (person, names[person])
            if form.action.data == "effacer":
                if not form.confirm.data:
                    form.confirm.errors.append("Cochez la case pour confirmer l'effacement.")
                    status = 400
                else:
                    item = erasure.request_erasure(chosen[0], current_user.id, _base_url(),
                                                   tenant_id=tenant.id)
                    record("request", "erasure_request", item.id, scope="space")
                    db.session.commit()
                    flash(f"L'effacement des données de {chosen[1]} est demandé. Le compte "
                          "rendu apparaîtra ci-dessous dans quelques minutes.", "success")
                    return redirect(url_for("personal_data_space.erase_person"))
            preview = erasure.preview(chosen[0])
            record_access("read", "erasure_preview", chosen[0])
            form.action.data = "effacer"
    return render_template(
        "personal_data/erase_person.html", form=form, chosen=chosen, preview=preview,
        requests=erasure.space_requests(tenant.id), roles=EMPLOYER_ROLES), status, NO_STORE


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
