"""A person's own participation (consent, what they state, withdrawal), and for référents the
participants (status and consent date only) and the consent text."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from server.audit import record, record_access
from server.auth.access import employer_role
from server.auth.models import User
from server.auth.views import spaces_of
from server.employers.models import Profile
from server.extensions import db
from server.participation.blueprint import bp
from server.participation.consent import (
    CRITERIA,
    HELPED_ROLE,
    ConsentOutdated,
    active_participation,
    consent_for_display,
    enrol,
    participants,
    publish_consent,
    withdraw,
)
from server.participation.forms import (
    CRITERIA_FIELDS,
    ConsentTextForm,
    JoinForm,
    StatedForm,
    WithdrawForm,
)
from server.participation.models import ON_WITHDRAWAL, ConsentVersion, Participation
from tenants import current_tenant


def _mine():
    profile = db.session.execute(
        sa.select(Profile).where(Profile.user_id == current_user.id)).scalar_one_or_none()
    if profile is None:
        return None, None, None
    active = active_participation(profile.id, HELPED_ROLE)
    last_left = None
    if active is None:
        last_left = db.session.execute(
            sa.select(Participation).where(Participation.profile_id == profile.id,
                                           Participation.role == HELPED_ROLE,
                                           Participation.status == "left")
            .order_by(Participation.left_at.desc()).limit(1)).scalar_one_or_none()
    return profile, active, last_left


@bp.route("/ma-participation", methods=["GET", "POST"])
@employer_role()
def mine():
    _profile, active, last_left = _mine()
    is_helped = HELPED_ROLE in g.employer_roles
    join_form = JoinForm() if is_helped and active is None else None
    stated_form = withdraw_form = None
    if active is not None:
        stated_form = StatedForm(obj=active if request.method == "GET" else None)
        withdraw_form = WithdrawForm()
    status = 200
    action = request.form.get("action")
    if request.method == "POST":
        if action == "consentir" and join_form is not None:
            if join_form.validate_on_submit():
                criteria = [key for name, key in CRITERIA_FIELDS.items() if join_form[name].data]
                try:
                    enrol(db.session.get(User, current_user.id), HELPED_ROLE,
                          consent_version=_int(join_form.consent_version.data), criteria=criteria,
                          needs=join_form.needs.data, preferences=join_form.preferences.data)
                except ConsentOutdated:
                    db.session.rollback()
                    join_form.consent.errors.append(
                        "Le texte du consentement a changé pendant que vous le lisiez. Lisez la "
                        "nouvelle version, puis cochez à nouveau la case.")
                    join_form.consent.data = False
                    status = 409
                else:
                    db.session.commit()
                    flash("Votre consentement est enregistré. Merci !", "success")
                    return redirect(url_for("participation.mine"))
            else:
                status = 400
        elif action == "modifier" and stated_form is not None:
            if stated_form.validate_on_submit():
                active.needs = (stated_form.needs.data or "").strip() or None
                active.preferences = (stated_form.preferences.data or "").strip() or None
                record("update", "participation", active.id, fields=["needs", "preferences"])
                db.session.commit()
                flash("Vos besoins et préférences sont enregistrés.", "success")
                return redirect(url_for("participation.mine"))
            status = 400
        elif action == "arreter" and withdraw_form is not None:
            if withdraw_form.validate_on_submit():
                kept = db.session.get(ConsentVersion, active.consent_version)
                withdraw(current_user.id)
                db.session.commit()
                what = ("Vos besoins et préférences sont gardés, comme le prévoyait votre "
                        "consentement." if kept is not None and kept.on_withdrawal == "keep"
                        else "Vos besoins et préférences sont effacés.")
                flash(f"Votre participation est arrêtée. {what}", "success")
                slug = current_tenant().slug
                if any(space["slug"] == slug for space in spaces_of(current_user)):
                    return redirect(url_for("participation.mine"))
                return redirect(url_for("auth.spaces"))
            status = 400
        else:
            abort(400)
    consent = consent_for_display()
    if join_form is not None and not join_form.consent_version.data:
        join_form.consent_version.data = str(consent["version"])
    given = db.session.get(ConsentVersion, active.consent_version) if active else None
    return render_template(
        "participation/mine.html", active=active, last_left=last_left, join_form=join_form,
        stated_form=stated_form, withdraw_form=withdraw_form, consent=consent, given=given,
        criteria=[(name, CRITERIA[key]) for name, key in CRITERIA_FIELDS.items()],
        criteria_labels=CRITERIA, on_withdrawal=ON_WITHDRAWAL), status


@bp.route("/programme/participants")
@employer_role("referent")
def participants_list():
    rows = participants()
    record_access("read", "participants", people=len(rows))
    return render_template("participation/participants.html", rows=rows,
                           active_count=sum(1 for r in rows if r.status == "active"),
                           left_count=sum(1 for r in rows if r.status == "left"))


@bp.route("/programme/consentement", methods=["GET", "POST"])
@employer_role("referent")
def consent_text():
    current = consent_for_display()
    form = ConsentTextForm()
    status = 200
    if form.is_submitted():
        if form.validate():
            body = form.body.data.strip()
            if body == current["body"].strip() and form.on_withdrawal.data == current["on_withdrawal"]:
                flash("Le texte n'a pas changé : aucune nouvelle version n'est créée.", "success")
                return redirect(url_for("participation.consent_text"))
            row = publish_consent(body, form.on_withdrawal.data, current_user.id)
            db.session.commit()
            flash(f"La version {row.version} du consentement est publiée. Les personnes déjà "
                  "inscrites gardent la version qu'elles ont acceptée.", "success")
            return redirect(url_for("participation.consent_text"))
        status = 400
    else:
        form.body.data = current["body"]
        form.on_withdrawal.data = current["on_withdrawal"]
    return render_template("participation/consent_text.html", form=form, current=current), status


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
