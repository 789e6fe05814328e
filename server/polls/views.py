"""Pages: topic proposals (/reseau/themes/) and polls (/reseau/sondages/).

Members of an active employer and network staff see them; animateurs (and admins) sort the
topics and open polls. Nothing on these pages ever shows what a voter chose."""
from __future__ import annotations

from datetime import datetime, time as dtime, timedelta

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from plugins.base import Refused
from server.auth.access import network_role, signed_in
from server.extensions import db
from server.polls import service
from server.polls.blueprint import bp
from server.polls.forms import DecisionForm, EclubForm, PollForm, SupportForm, TopicForm
from server.polls.models import METHODS, SCOPES, TOPIC_STATUSES, Poll, TopicProposal


def _require_member() -> None:
    if not service.is_member(current_user):
        abort(403)


def _topic_or_404(topic_id: int) -> TopicProposal:
    topic = db.session.get(TopicProposal, topic_id)
    if topic is None:
        abort(404)
    return topic


def _poll_or_404(poll_id: int) -> Poll:
    poll = db.session.get(Poll, poll_id)
    if poll is None:
        abort(404)
    return poll


# --- topics ------------------------------------------------------------------------------------

@bp.route("/themes/", methods=["GET", "POST"])
@signed_in
def topics():
    _require_member()
    form = TopicForm()
    status = 200
    if form.is_submitted():
        if form.validate():
            service.propose(current_user.id, form.title.data, form.reason.data)
            db.session.commit()
            flash("Votre proposition de thème est enregistrée. L'équipe d'animation la lira.",
                  "success")
            return redirect(url_for("polls.topics"))
        status = 400
    shown = service.topics()
    counts = service.supporters_count(t.id for t in shown)
    mine_set_aside = service.topics(("rejected", "merged"))
    mine_set_aside = [t for t in mine_set_aside if t.proposer_id == current_user.id]
    return render_template(
        "polls/topics.html", form=form, topics=shown, counts=counts,
        supported=service.supported_by(current_user.id), mine_set_aside=mine_set_aside,
        statuses=TOPIC_STATUSES, support_form=SupportForm(),
        animateur=service.is_animateur(current_user)), status


@bp.route("/themes/<int:topic_id>/soutenir", methods=["POST"])
@signed_in
def support(topic_id: int):
    _require_member()
    topic = _topic_or_404(topic_id)
    if not SupportForm().validate_on_submit():
        abort(400)
    try:
        added = service.support(topic, current_user.id)
    except Refused as refused:
        db.session.rollback()
        flash(refused.message, "error")
        return redirect(url_for("polls.topics"))
    db.session.commit()
    flash("Votre soutien est enregistré." if added else "Vous soutenez déjà ce thème.",
          "success")
    return redirect(url_for("polls.topics"))


@bp.route("/themes/<int:topic_id>", methods=["GET", "POST"])
@network_role("animateur", "admin")
def decide(topic_id: int):
    topic = _topic_or_404(topic_id)
    form = DecisionForm()
    others = [t for t in service.topics() if t.id != topic.id]
    form.target.choices = [(0, "— Choisir un thème —")] + [(t.id, t.title) for t in others]
    status = 200
    if form.is_submitted():
        if form.validate():
            try:
                if form.action.data == "keep":
                    service.keep(topic, current_user.id)
                    message = "Le thème est retenu : vous pourrez le soumettre à un sondage."
                elif form.action.data == "reject":
                    service.reject(topic, form.reason.data, current_user.id)
                    message = "Le thème est écarté ; la personne qui l'a proposé verra le motif."
                else:
                    target = db.session.get(TopicProposal, form.target.data or 0)
                    if target is None:
                        raise Refused(422, "bad_merge_target", "Choisissez le thème avec "
                                      "lequel fusionner.", "Choose the target.", field="target")
                    service.merge(topic, target, current_user.id)
                    message = "Les thèmes sont fusionnés ; les soutiens sont conservés."
            except Refused as refused:
                db.session.rollback()
                getattr(form, refused.field or "action").errors.append(refused.message)
                status = refused.status
            else:
                db.session.commit()
                flash(message, "success")
                return redirect(url_for("polls.topics"))
        else:
            status = 400
    counts = service.supporters_count([topic.id])
    return render_template("polls/decide.html", form=form, topic=topic,
                           supporters=counts.get(topic.id, 0), statuses=TOPIC_STATUSES), status


# --- polls -------------------------------------------------------------------------------------

@bp.route("/sondages/")
@signed_in
def polls():
    _require_member()
    rows = service.polls()
    return render_template("polls/polls.html", polls=rows, state=service.state,
                           methods=METHODS, animateur=service.is_animateur(current_user))


@bp.route("/sondages/nouveau", methods=["GET", "POST"])
@network_role("animateur", "admin")
def new_poll():
    form = PollForm()
    kept = service.topics(("kept",))
    form.topics.choices = [(t.id, t.title) for t in kept]
    status = 200
    if form.is_submitted():
        if form.validate():
            draft, problem = _draft(form)
            if draft is not None:
                try:
                    poll = service.open_poll(draft, current_user.id)
                except Refused as refused:
                    db.session.rollback()
                    getattr(form, refused.field or "title").errors.append(refused.message)
                    status = refused.status
                else:
                    db.session.commit()
                    service.schedule_close(poll)
                    flash("Le sondage est enregistré ; il se clôturera seul à l'heure dite.",
                          "success")
                    return redirect(url_for("polls.poll", poll_id=poll.id))
            else:
                status = problem
        else:
            status = 400
    return render_template("polls/new.html", form=form, kept=kept), status


def _draft(form: PollForm):
    """The poll the form describes, or (None, status) with the errors set on the form."""
    try:
        opens = service.parse_paris(form.opens_day.data, form.opens_time.data)
    except ValueError:
        form.opens_day.errors.append("La date ou l'heure d'ouverture n'existe pas.")
        return None, 400
    try:
        closes = service.parse_paris(form.closes_day.data, form.closes_time.data)
    except ValueError:
        form.closes_day.errors.append("La date ou l'heure de clôture n'existe pas.")
        return None, 400
    if closes <= opens:
        form.closes_day.errors.append("La clôture doit être postérieure à l'ouverture.")
        return None, 400
    if closes <= service.now():
        form.closes_day.errors.append("La clôture doit être dans le futur.")
        return None, 400
    max_choices = int(form.max_choices.data) if (form.max_choices.data or "").strip() else None
    if form.method.data == "approval" and not max_choices:
        form.max_choices.errors.append("Saisissez le nombre de thèmes qu'une personne peut "
                                       "choisir (au moins 1).")
        return None, 400
    return service.PollDraft(
        title=form.title.data, method=form.method.data, max_choices=max_choices,
        scope=form.scope.data, opens_at=opens, closes_at=closes,
        results_during_vote=bool(form.results_during_vote.data),
        topic_ids=list(form.topics.data or [])), None


def _ballot_from_form(poll: Poll):
    """Option ids from the form: checked boxes (approval) or the ranks given (ranked).
    Returns (choices, error message or None)."""
    if poll.method == "approval":
        try:
            return [int(v) for v in request.form.getlist("choix")], None
        except ValueError:
            return None, "Le bulletin contient un thème qui ne fait pas partie de ce sondage."
    ranks = []
    for option in poll.options:
        raw = (request.form.get(f"rang-{option.id}") or "").strip()
        if not raw:
            continue
        if not raw.isdigit() or not 1 <= int(raw) <= len(poll.options):
            return None, "Choisissez un rang dans la liste proposée."
        ranks.append((int(raw), option.id))
    used = [r for r, _ in ranks]
    if len(set(used)) != len(used):
        return None, ("Deux thèmes ont le même rang : donnez à chaque thème un rang "
                      "différent.")
    return [option_id for _, option_id in sorted(ranks)], None


@bp.route("/sondages/<int:poll_id>", methods=["GET", "POST"])
@signed_in
def poll(poll_id: int):
    _require_member()
    poll = _poll_or_404(poll_id)
    error, status = None, 200
    if request.method == "POST":
        if not SupportForm().validate_on_submit():
            abort(400)
        choices, error = _ballot_from_form(poll)
        if error is None:
            try:
                replaced = service.cast(poll.id, current_user, choices,
                                        request.form.get("employeur") or None)
            except Refused as refused:
                db.session.rollback()
                error, status = refused.message, refused.status
            else:
                db.session.commit()
                flash("Votre bulletin remplace le précédent." if replaced
                      else "Votre bulletin est enregistré.", "success")
                return redirect(url_for("polls.poll", poll_id=poll.id))
        else:
            db.session.rollback()
            status = 422
        poll = _poll_or_404(poll_id)
    return render_template(
        "polls/poll.html", poll=poll, state=service.state(poll), error=error,
        errors=[error] if error else [], form=SupportForm(),
        reason=service.eligibility(poll, current_user),
        employers=service.voter_choices(poll, current_user) if poll.scope == "employer" else [],
        voted=service.has_voted(poll, current_user.id), methods=METHODS, scopes=SCOPES,
        visible=service.results_visible(poll), voters=service.voter_count(poll.id),
        animateur=service.is_animateur(current_user), posted=request.form), status


@bp.route("/sondages/<int:poll_id>/resultats")
@signed_in
def results(poll_id: int):
    _require_member()
    poll = _poll_or_404(poll_id)
    if not service.results_visible(poll):
        return render_template("polls/hidden.html", poll=poll,
                               state=service.state(poll)), 409
    result = service.current_results(poll)
    titles = {o["id"]: o["title"] for o in result["options"]}
    tiers = [[titles[i] for i in tier] for tier in result["ranking"]]
    if poll.method == "approval":
        chart = [(titles[i], result["scores"][str(i)]) for tier in result["ranking"]
                 for i in tier]
    else:
        p = result["strongest"]
        n = len(p)
        beaten = {result["options"][i]["id"]: sum(1 for j in range(n) if p[i][j] > p[j][i])
                  for i in range(n)}
        chart = [(titles[i], beaten[i]) for tier in result["ranking"] for i in tier]
    return render_template("polls/results.html", poll=poll, result=result, titles=titles,
                           tiers=tiers, chart=chart,
                           state=service.state(poll), eclub_form=EclubForm(),
                           can_make_eclub=service.is_animateur(current_user)
                           and service.state(poll) == "closed")


@bp.route("/sondages/<int:poll_id>/e-club", methods=["POST"])
@network_role("animateur", "admin")
def make_eclub(poll_id: int):
    """One step from the winning topic to the next e-club: title and description prefilled,
    a provisional date four weeks ahead at 14 h; the animateur lands on the e-club's form."""
    from server.eclubs.service import create_eclub

    form = EclubForm()
    if not form.validate_on_submit():
        abort(400)
    poll = db.session.execute(
        sa.select(Poll).where(Poll.id == poll_id).with_for_update()).scalar_one_or_none()
    if poll is None:
        abort(404)
    if service.state(poll) != "closed" or poll.results is None:
        db.session.rollback()
        flash("Le sondage n'est pas encore clos : l'e-club se crée à partir du résultat "
              "définitif.", "error")
        return redirect(url_for("polls.results", poll_id=poll_id))
    if poll.eclub_id is not None:
        db.session.rollback()
        flash("Un e-club a déjà été créé à partir de ce sondage.", "error")
        return redirect(url_for("polls.results", poll_id=poll_id))
    option = next((o for o in poll.options if o.id == form.option.data), None)
    if option is None or option.id not in poll.results.get("winners", []):
        db.session.rollback()
        flash("Choisissez l'un des thèmes gagnants.", "error")
        return redirect(url_for("polls.results", poll_id=poll_id))
    topic = db.session.get(TopicProposal, option.topic_id)
    day = (service.now().astimezone(service.PARIS) + timedelta(days=28)).date()
    starts_at = datetime.combine(day, dtime(14, 0), tzinfo=service.PARIS)
    description = (f"Thème choisi par les membres du réseau dans le sondage « {poll.title} ».\n\n"
                   f"{topic.reason if topic else ''}").strip()
    try:
        eclub = create_eclub(title=option.title, starts_at=starts_at, description=description,
                             created_by=current_user.id)
    except Refused as refused:
        db.session.rollback()
        flash(refused.message, "error")
        return redirect(url_for("polls.results", poll_id=poll_id))
    poll.eclub_id = eclub.id
    db.session.commit()
    flash("L'e-club est créé à partir du thème gagnant. Vérifiez la date proposée et "
          "complétez-le.", "success")
    return redirect(url_for("eclubs.edit", eclub_id=eclub.id))
