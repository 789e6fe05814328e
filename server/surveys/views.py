"""Pages: « Mes questionnaires » (any member), answering one, results and questions (référents).

Answering: nothing is written unless every answer is valid, the invitation is the person's own
and not answered yet; each refusal has its own French message."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from server.audit import record, record_access
from server.auth.access import employer_role
from server.employers.models import Profile
from server.extensions import db
from server.surveys import service
from server.surveys.blueprint import bp
from server.surveys.service import KINDS, Refused


def _my_profile_id() -> int | None:
    return db.session.execute(
        sa.select(Profile.id).where(Profile.user_id == current_user.id)).scalar()


@bp.route("/")
@employer_role()
def mine():
    profile_id = _my_profile_id()
    invitations = service.open_invitations(profile_id) if profile_id else []
    answered = service.answered_count(profile_id) if profile_id else 0
    return render_template("surveys/mine.html", invitations=invitations, answered=answered,
                           kinds=KINDS)


@bp.route("/<int:survey_invitation_id>", methods=["GET", "POST"])
@employer_role()
def answer(survey_invitation_id: int):
    profile_id = _my_profile_id()
    try:
        invitation = service.invitation_for(survey_invitation_id, profile_id,
                                            lock=request.method == "POST")
    except Refused as refused:
        db.session.rollback()
        return render_template("surveys/refused.html", message=refused.message), refused.status
    version = service.current_version(invitation.kind)
    errors: dict = {}
    values = {}
    status = 200
    if request.method == "POST":
        # The version the form showed: answers go with the questions the person read.
        shown = request.form.get("version", type=int)
        if shown is not None and shown != version.id:
            older = db.session.get(service.SurveyVersion, shown)
            if older is not None and older.kind == invitation.kind:
                version = older
        values, errors = service.validate_answer(request.form, version.questions)
        if errors:
            db.session.rollback()
            status = 400
            values = {k: request.form.get(k, "") for k in request.form}
        else:
            service.record_answer(invitation, version, values)
            db.session.commit()
            flash("Merci : votre réponse est enregistrée, de façon anonyme.", "success")
            return redirect(url_for("surveys.mine"))
    return render_template("surveys/answer.html", invitation=invitation, version=version,
                           kind=KINDS[invitation.kind], errors=errors, values=values,
                           scale=service.SCALE_LABELS,
                           comment_max=service.COMMENT_MAX_LENGTH), status


@bp.route("/resultats")
@employer_role("referent")
def results():
    service.ensure_defaults()
    db.session.commit()
    blocks = [(kind, service.results(kind.key), service.current_version(kind.key))
              for kind in KINDS.values()]
    record_access("read", "survey_results")
    return render_template("surveys/results.html", blocks=blocks,
                           minimum=service.MIN_ANSWERS, not_enough=service.NOT_ENOUGH)


@bp.route("/questions/<survey_kind>", methods=["GET", "POST"])
@employer_role("referent")
def questions(survey_kind: str):
    kind = KINDS.get(survey_kind)
    if kind is None:
        abort(404)
    current = service.current_version(kind.key)
    texts = list(current.questions)
    errors: dict = {}
    form_errors: list[str] = []
    status = 200
    if request.method == "POST":
        texts = request.form.getlist("question")
        questions, error = service.validate_questions(texts)
        if error:
            errors["question-1"] = error
            status = 400
        else:
            try:
                version = service.save_questions(kind.key, questions, current_user.id,
                                                 request.form.get("number", type=int))
            except Refused as refused:
                db.session.rollback()
                current = service.current_version(kind.key)
                form_errors.append(refused.message)
                status = refused.status
            else:
                record("update", "survey_questions", kind.key, version=version.number)
                db.session.commit()
                flash(f"Les questions « {kind.label} » sont enregistrées (version "
                      f"{version.number}). Les réponses déjà données gardent leurs questions.",
                      "success")
                return redirect(url_for("surveys.results"))
    slots = texts + [""] * max(0, service.MAX_QUESTIONS - len(texts))
    return render_template("surveys/questions.html", kind=kind, current=current, slots=slots,
                           errors=errors, form_errors=form_errors,
                           max_length=service.QUESTION_MAX_LENGTH,
                           max_questions=service.MAX_QUESTIONS), status
