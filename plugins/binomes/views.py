"""The binômes pages: profiles, matching runs (référents), each binôme's page."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date

from plugins.base import db, employer_role, record_access
from plugins.binomes import service
from plugins.binomes.models import (CLOSE_REASONS, STATUSES, HelperProfile,
                                    MatchingRun, Reminder, SeekerProfile)
from plugins.binomes.service import Refused

bp = Blueprint("binomes", __name__, template_folder=str(Path(__file__).parent / "templates"))


@bp.app_template_filter("binomes_jour")
def _day(value):
    """« mardi 3 mars 2026 »."""
    return format_date(value, "EEEE d MMMM y") if value else ""


@bp.app_template_filter("binomes_points")
def _points(value):
    return f"{value:g}".replace(".", ",")


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _common():
    return {"statuses": STATUSES, "close_reasons": CLOSE_REASONS, "slots": service.SLOTS,
            "conf": service.settings(), "is_referent": service.is_referent(),
            "roles": service.roles()}


# --- home -----------------------------------------------------------------------------------

@bp.route("/")
@employer_role()
def index():
    me = service.my_profile()
    mine = service.binomes_for_me()
    everyone = service.all_binomes() if service.is_referent() else []
    shown = mine + [b for b in everyone if b not in mine]
    who = service.names({b.helper_id for b in shown} | {b.seeker_id for b in shown})
    stats = service.meeting_stats(b.id for b in shown)
    helper = db.session.get(HelperProfile, me.id) if me else None
    seeker = db.session.get(SeekerProfile, me.id) if me else None
    runs = []
    if service.is_referent():
        runs = db.session.execute(db.select(MatchingRun).order_by(MatchingRun.id.desc())
                                  .limit(5)).scalars().all()
    return render_template("binomes/index.html", mine=mine, everyone=everyone, who=who,
                           stats=stats, helper=helper, seeker=seeker, runs=runs, me=me,
                           **_common())


# --- profiles -------------------------------------------------------------------------------

def _profile_page(kind: str):
    model = HelperProfile if kind == "helper" else SeekerProfile
    validate = service.validate_helper if kind == "helper" else service.validate_seeker
    me = service.my_profile()
    if me is None:
        abort(404)
    row = db.session.get(model, me.id)
    errors: dict = {}
    status = 200
    values = _profile_values(row, kind)
    if request.method == "POST":
        raw = _profile_form(kind)
        values = {**values, **raw}
        cleaned, errors = validate(raw)
        if not errors:
            try:
                service.save_profile(model, me.id, cleaned, _int(request.form.get("version")))
            except Refused as refused:
                db.session.rollback()
                flash(refused.message, "error")
                status = refused.status
                row = db.session.get(model, me.id)
                values = _profile_values(row, kind)
            else:
                db.session.commit()
                flash("Votre profil est enregistré.", "success")
                return redirect(url_for(request.endpoint))
        else:
            status = 400
    template = "binomes/helper_profile.html" if kind == "helper" else "binomes/seeker_profile.html"
    return render_template(template, row=row, values=values, errors=errors,
                           helpers=service.helper_choices() if kind == "seeker" else {},
                           **_common()), status


def _profile_values(row, kind: str) -> dict:
    if row is None:
        base = {"experiences": [], "looking_for": [], "availability": [], "site": "",
                "department": "", "capacity": 1, "paused": False,
                "exclude_same_department": False, "excluded_helpers": []}
        return base
    out = {c: getattr(row, c) for c in ("availability", "site", "department", "version")}
    if kind == "helper":
        out.update(experiences=row.experiences, capacity=row.capacity, paused=row.paused)
    else:
        out.update(looking_for=row.looking_for, excluded_helpers=row.excluded_helpers,
                   exclude_same_department=row.exclude_same_department)
    out["site"] = out["site"] or ""
    out["department"] = out["department"] or ""
    return out


def _profile_form(kind: str) -> dict:
    f = request.form
    data = {"availability": f.getlist("availability"), "site": f.get("site", ""),
            "department": f.get("department", "")}
    if kind == "helper":
        data.update(experiences=f.getlist("experiences"), capacity=f.get("capacity", ""),
                    paused="paused" in f)
    else:
        data.update(looking_for=f.getlist("looking_for"),
                    excluded_helpers=f.getlist("excluded_helpers"),
                    exclude_same_department="exclude_same_department" in f)
    return data


@bp.route("/profil/pair-aidant", methods=["GET", "POST"])
@employer_role("pair-aidant")
def helper_profile():
    return _profile_page("helper")


@bp.route("/profil/pair-aide", methods=["GET", "POST"])
@employer_role("pair-aide")
def seeker_profile():
    return _profile_page("seeker")


# --- matching runs (référents) ----------------------------------------------------------------

@bp.route("/appariements", methods=["GET", "POST"])
@employer_role("referent")
def runs():
    status = 200
    problem = None
    if request.method == "POST":
        try:
            run = service.run_matching()
        except Refused as refused:
            db.session.rollback()
            problem = refused
            status = refused.status
        else:
            db.session.commit()
            flash("L'appariement est calculé. Vérifiez les propositions, retirez celles qui ne "
                  "conviennent pas, puis publiez-les.", "success")
            return redirect(url_for("binomes.run", run_id=run.id))
    helpers, seekers = service.pool()
    listed = db.session.execute(db.select(MatchingRun).order_by(MatchingRun.id.desc())
                                ).scalars().all()
    counts = {r.id: len(service.run_proposals(r.id)) for r in listed}
    return render_template("binomes/runs.html", runs=listed, counts=counts, problem=problem,
                           pool_helpers=len(helpers), pool_seekers=len(seekers),
                           **_common()), status


def _run_page(run_id: int, status: int = 200, problem: Refused | None = None):
    run = db.session.get(MatchingRun, run_id)
    if run is None:
        abort(404)
    proposals = service.run_proposals(run.id)
    who = service.names({p.helper_id for p in proposals} | {p.seeker_id for p in proposals})
    return render_template("binomes/run.html", run=run, proposals=proposals, who=who,
                           problem=problem, **_common()), status


@bp.route("/appariements/<int:run_id>")
@employer_role("referent")
def run(run_id: int):
    return _run_page(run_id)


def _run_action(run_id: int, action, success: str):
    try:
        result = action()
    except Refused as refused:
        db.session.rollback()
        if refused.status == 404:
            abort(404)
        return _run_page(run_id, refused.status, refused)
    db.session.commit()
    flash(success if isinstance(success, str) else success(result), "success")
    return redirect(url_for("binomes.run", run_id=run_id))


@bp.route("/appariements/<int:run_id>/retirer", methods=["POST"])
@employer_role("referent")
def remove_proposal(run_id: int):
    return _run_action(run_id, lambda: service.remove_proposal(
        run_id, _int(request.form.get("proposition")), _int(request.form.get("version"))),
        "La proposition est retirée de cet appariement.")


@bp.route("/appariements/<int:run_id>/publier", methods=["POST"])
@employer_role("referent")
def publish(run_id: int):
    return _run_action(run_id, lambda: service.publish_run(
        run_id, _int(request.form.get("version"))),
        lambda created: f"{len(created)} proposition(s) publiée(s) : chaque personne peut "
                        "maintenant accepter ou refuser.")


@bp.route("/appariements/<int:run_id>/abandonner", methods=["POST"])
@employer_role("referent")
def discard(run_id: int):
    return _run_action(run_id, lambda: service.discard_run(
        run_id, _int(request.form.get("version"))),
        "L'appariement est abandonné : aucune proposition n'a été envoyée.")


# --- a binôme -------------------------------------------------------------------------------

def _binome_page(binome_id: int, status: int = 200, problem: Refused | None = None,
                 meeting_errors: dict | None = None, meeting_values: dict | None = None,
                 close_error: str | None = None):
    try:
        binome, side = service.visible_binome(binome_id)
    except Refused:
        abort(404)
    record_access("read", "binomes_binome", binome.id)
    who = service.names({binome.helper_id, binome.seeker_id})
    meetings = service.meetings_of(binome.id)
    # The pair's private notes: read only for one of its two members.
    notes = service.notes_for_member(binome, side)
    reminders = db.session.execute(db.select(Reminder).where(Reminder.binome_id == binome.id)
                                   .order_by(Reminder.sent_at.desc())).scalars().all()
    return render_template(
        "binomes/binome.html", binome=binome, side=side, who=who, meetings=meetings,
        notes=notes, history=service.history_of(binome.id), reminders=reminders,
        problem=problem, meeting_errors=meeting_errors or {},
        meeting_values=meeting_values or {}, close_error=close_error,
        total_minutes=sum(m.duration_minutes for m in meetings), **_common()), status


@bp.route("/binomes/<int:binome_id>")
@employer_role()
def binome(binome_id: int):
    return _binome_page(binome_id)


def _binome_action(binome_id: int, action, success: str, **page):
    try:
        action()
    except Refused as refused:
        db.session.rollback()
        if refused.status == 404:
            abort(404)
        close_error = refused.message if refused.field == "reason" else None
        return _binome_page(binome_id, refused.status, None if close_error else refused,
                            close_error=close_error, **page)
    db.session.commit()
    flash(success, "success")
    return redirect(url_for("binomes.binome", binome_id=binome_id))


@bp.route("/binomes/<int:binome_id>/reponse", methods=["POST"])
@employer_role()
def answer(binome_id: int):
    choice = request.form.get("reponse")
    if choice not in ("accepter", "refuser"):
        abort(400)
    accept = choice == "accepter"
    return _binome_action(
        binome_id, lambda: service.answer(binome_id, accept),
        "Vous avez accepté ce binôme." if accept else
        "Vous avez refusé ce binôme. Vous pourrez recevoir une autre proposition.")


@bp.route("/binomes/<int:binome_id>/demarrer", methods=["POST"])
@employer_role()
def start(binome_id: int):
    return _binome_action(binome_id, lambda: service.start(
        binome_id, _int(request.form.get("version"))), "Le binôme est démarré.")


@bp.route("/binomes/<int:binome_id>/cloture", methods=["POST"])
@employer_role()
def close(binome_id: int):
    return _binome_action(binome_id, lambda: service.close(
        binome_id, request.form.get("reason") or None, _int(request.form.get("version"))),
        "Le binôme est clos. Son historique reste consultable.")


@bp.route("/binomes/<int:binome_id>/rencontres", methods=["POST"])
@employer_role()
def log_meeting(binome_id: int):
    raw = {k: request.form.get(k, "") for k in ("held_on", "duration_minutes", "format", "note")}
    try:
        service.visible_binome(binome_id)
    except Refused:
        abort(404)
    values, errors = service.validate_meeting(raw)
    if errors:
        return _binome_page(binome_id, 400, meeting_errors=errors, meeting_values=raw)
    return _binome_action(binome_id, lambda: service.log_meeting(binome_id, values),
                          "La rencontre est notée.", meeting_values=raw)
