"""Peer helpers (référents only): candidates internal or external, the seed's selection
criteria and the decision, the mission sheet, training and supervision records, and the time
spent against the mission sheet. A pair-aidant sees their own time at ``mon-temps``, nobody
else's.

Forms that change a peer helper carry its ``version``: a form opened before a colleague's
change is refused (409) and comes back with the person's input, nothing written."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from server.audit import record, record_access
from server.auth.access import employer_role
from server.employers.models import Profile
from server.extensions import db
from server.programme import dashboard
from server.programme.blueprint import bp
from server.programme.forms import MissionForm, NewPeerHelperForm, TrainingForm, criteria_form
from server.programme.models import (ASSESSMENTS, CRITERIA, DECISIONS, TRAINING_KINDS,
                                     CriterionAssessment, PeerHelper, TrainingRecord)

STALE_MESSAGE = ("Une autre personne a modifié ce pair-aidant pendant que vous remplissiez le "
                 "formulaire. Rien n'a été enregistré : votre saisie est toujours dans le "
                 "formulaire. Vérifiez la fiche à jour, puis enregistrez à nouveau.")


def _peer_helper(peer_helper_id: int, *, for_update: bool = False) -> PeerHelper:
    query = sa.select(PeerHelper).where(PeerHelper.id == peer_helper_id)
    if for_update:
        query = query.with_for_update(of=PeerHelper.__table__)
    peer = db.session.execute(query).unique().scalar_one_or_none()
    if peer is None:
        abort(404)
    return peer


def _is_current(peer: PeerHelper) -> bool:
    try:
        return int(request.form.get("version", "")) == peer.version
    except ValueError:
        return False


def _touch(peer: PeerHelper) -> None:
    peer.version += 1
    peer.updated_by = current_user.id


def _labels() -> dict:
    return {"criteria": CRITERIA, "assessments": ASSESSMENTS, "decisions": DECISIONS,
            "training_kinds": TRAINING_KINDS}


@bp.route("/pair-aidants")
@employer_role("referent")
def peer_helpers():
    peers = db.session.execute(
        sa.select(PeerHelper).order_by(PeerHelper.created_at, PeerHelper.id)
    ).unique().scalars().all()
    return render_template("programme/peer_helpers.html", peers=peers, **_labels())


@bp.route("/pair-aidants/nouveau", methods=["GET", "POST"])
@employer_role("referent")
def peer_helper_new():
    form = NewPeerHelperForm()
    taken = sa.select(PeerHelper.profile_id).where(PeerHelper.profile_id.is_not(None))
    members = db.session.execute(
        sa.select(Profile.id, Profile.display_name)
        .where(Profile.status == "active", Profile.id.not_in(taken))
        .order_by(Profile.display_name)).all()
    form.profile_id.choices = [(0, "Choisissez un membre…"), *((m.id, m.display_name)
                                                                for m in members)]
    status = 200
    if form.is_submitted():
        if form.validate():
            if form.kind.data == "internal":
                peer = PeerHelper(kind="internal", profile_id=form.profile_id.data)
            else:
                peer = PeerHelper(kind="external", name=form.name.data.strip(),
                                  organisation=(form.organisation.data or "").strip() or None)
            peer.updated_by = current_user.id
            db.session.add(peer)
            db.session.flush()
            record("create", "peer_helper", peer.id, kind=peer.kind)
            db.session.commit()
            flash("Le pair-aidant est ajouté comme candidat. Évaluez maintenant les critères "
                  "de sélection.", "success")
            return redirect(url_for("programme.peer_helper", peer_helper_id=peer.id))
        status = 400
    return render_template("programme/peer_helper_new.html", form=form,
                           has_members=len(members) > 0), status


def _time(**who):
    """The time of one pair-aidant over the period of the query string (``debut``, ``fin``):
    (template values, HTTP status)."""
    period, errors, raw = dashboard.parse_period(request.args)
    helpers = dashboard.helper_times(period, **who)
    return {"period": period, "errors": errors, "raw": raw, "helper": helpers[0] if helpers
            else None}, (400 if errors else 200)


@bp.route("/pair-aidants/<int:peer_helper_id>")
@employer_role("referent")
def peer_helper(peer_helper_id: int):
    peer = _peer_helper(peer_helper_id)
    record_access("read", "peer_helper", peer.id)
    time, status = _time(peer_helper_id=peer.id)
    return render_template("programme/peer_helper.html", peer=peer, time=time,
                           errors=time["errors"], **_labels()), status


@bp.route("/mon-temps")
@employer_role("pair-aidant")
def my_time():
    """The signed-in pair-aidant's own time against their mission sheet."""
    profile_id = db.session.execute(sa.select(Profile.id).where(
        Profile.user_id == current_user.id)).scalar_one_or_none()
    peer = None
    if profile_id is not None:
        peer = db.session.execute(sa.select(PeerHelper).where(
            PeerHelper.profile_id == profile_id)).unique().scalar_one_or_none()
    time, status = _time(peer_helper_id=peer.id) if peer is not None else _time(
        profile_id=profile_id if profile_id is not None else -1)
    return render_template("programme/peer_helper_my_time.html", peer=peer, time=time,
                           errors=time["errors"]), status


@bp.route("/pair-aidants/<int:peer_helper_id>/criteres", methods=["GET", "POST"])
@employer_role("referent")
def peer_helper_criteria(peer_helper_id: int):
    peer = _peer_helper(peer_helper_id, for_update=request.method == "POST")
    status = 200
    if request.method == "POST":
        form = criteria_form()
        version = request.form.get("version", "")
        if not form.validate():
            status = 400
        elif not _is_current(peer):
            db.session.rollback()
            form.form_errors.append(STALE_MESSAGE)
            status = 409
        else:
            for key in CRITERIA:
                assessment = peer.assessment_of(key)
                if assessment is None:
                    assessment = CriterionAssessment(criterion=key)
                    peer.assessments.append(assessment)
                assessment.assessment = form[f"critere_{key}"].data
                assessment.comment = (form[f"commentaire_{key}"].data or "").strip()
            if form.decision.data != peer.decision:
                peer.decision = form.decision.data
                peer.decided_at = sa.func.now()
                record("decide", "peer_helper", peer.id, decision=peer.decision)
            _touch(peer)
            record("assess", "peer_helper", peer.id)
            db.session.commit()
            flash("L'évaluation et la décision sont enregistrées.", "success")
            return redirect(url_for("programme.peer_helper", peer_helper_id=peer.id))
    else:
        form = criteria_form(data=_criteria_data(peer))
        version = peer.version
    return render_template("programme/peer_helper_criteria.html", peer=peer, form=form,
                           version=version, **_labels()), status


def _criteria_data(peer: PeerHelper) -> dict:
    data = {"decision": peer.decision}
    for key in CRITERIA:
        assessment = peer.assessment_of(key)
        data[f"critere_{key}"] = assessment.assessment if assessment else "not_assessed"
        data[f"commentaire_{key}"] = assessment.comment if assessment else ""
    return data


@bp.route("/pair-aidants/<int:peer_helper_id>/mission", methods=["GET", "POST"])
@employer_role("referent")
def peer_helper_mission(peer_helper_id: int):
    peer = _peer_helper(peer_helper_id, for_update=request.method == "POST")
    status = 200
    if request.method == "POST":
        form = MissionForm()
        version = request.form.get("version", "")
        if not form.validate():
            status = 400
        elif not _is_current(peer):
            db.session.rollback()
            form.form_errors.append(STALE_MESSAGE)
            status = 409
        else:
            peer.missions = (form.missions.data or "").strip()
            peer.hours_per_month = form.hours_per_month.data
            peer.mission_start = form.mission_start.data
            peer.mission_end = form.mission_end.data
            _touch(peer)
            record("update", "peer_helper_mission", peer.id)
            db.session.commit()
            flash("La fiche de mission est enregistrée.", "success")
            return redirect(url_for("programme.peer_helper", peer_helper_id=peer.id))
    else:
        form = MissionForm(obj=peer)
        version = peer.version
    return render_template("programme/peer_helper_mission.html", peer=peer, form=form,
                           version=version), status


@bp.route("/pair-aidants/<int:peer_helper_id>/mission/imprimer")
@employer_role("referent")
def peer_helper_mission_print(peer_helper_id: int):
    peer = _peer_helper(peer_helper_id)
    return render_template("programme/peer_helper_mission_print.html", peer=peer,
                           **_labels())


@bp.route("/pair-aidants/<int:peer_helper_id>/formations", methods=["GET", "POST"])
@employer_role("referent")
def peer_helper_trainings(peer_helper_id: int):
    peer = _peer_helper(peer_helper_id)
    form = TrainingForm()
    status = 200
    if form.is_submitted():
        if form.validate():
            peer.trainings.append(TrainingRecord(
                kind=form.kind.data, title=form.title.data.strip(), on_date=form.on_date.data,
                hours=form.hours.data, provider=(form.provider.data or "").strip(),
                created_by=current_user.id))
            record("create", "peer_helper_training", peer.id, kind=form.kind.data)
            db.session.commit()
            flash(f"« {form.title.data.strip()} » est ajouté au parcours de formation et de "
                  "supervision.", "success")
            return redirect(url_for("programme.peer_helper_trainings",
                                    peer_helper_id=peer.id))
        status = 400
    return render_template("programme/peer_helper_trainings.html", peer=peer, form=form,
                           **_labels()), status
