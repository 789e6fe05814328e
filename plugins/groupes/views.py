"""The groupes pages: the list of groups, creating one (a pair-aidant for themselves, a référent
for a pair-aidant), a group's page (registration, waiting list, sessions, unregistering a
participant), editing and closing a group, a session's page (attendance, cancellation)."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from plugins.base import db, employer_role
from plugins.groupes import jobs, service
from plugins.groupes.models import RECURRENCES, REGISTRATION_STATUSES
from plugins.groupes.service import Refused

bp = Blueprint("groupes", __name__, template_folder=str(Path(__file__).parent / "templates"))

GROUP_LABELS = {"title": "Nom du groupe", "theme": "Thème", "place": "Lieu",
                "video_url": "Lien de visioconférence", "recurrence": "Fréquence",
                "first_session": "Première séance", "sessions_count": "Nombre de séances",
                "dates": "Dates des séances", "duration_minutes": "Durée",
                "capacity": "Nombre de places", "facilitator_id": "Animateur du groupe",
                "names_visible": "Noms des participants"}
EDIT_FIELDS = ("title", "theme", "place", "video_url", "capacity")


def _version():
    try:
        return int(request.form.get("version", ""))
    except ValueError:
        return None


def _common():
    return {"recurrences": RECURRENCES, "registration_statuses": REGISTRATION_STATUSES,
            "conf": service.settings(), "is_referent": service.is_referent(),
            "roles": service.roles(), "me_id": service.my_id()}


def _attendance_numbers(seances) -> dict[int, tuple[int, int]]:
    """(present, expected) per session whose attendance was taken: figures anyone may see."""
    ids = [s.id for s in seances if s.attendance_taken_at is not None]
    if not ids:
        return {}
    from plugins.groupes.models import Presence
    rows = db.session.execute(
        db.select(Presence.seance_id, db.func.count().filter(Presence.present), db.func.count())
        .where(Presence.seance_id.in_(ids)).group_by(Presence.seance_id)).all()
    return {r[0]: (r[1], r[2]) for r in rows}


@bp.route("/")
@employer_role()
def index():
    groups = service.all_groups()
    counts = service.counts(g.id for g in groups)
    nexts = {g.id: service.next_session(g.id) for g in groups}
    mine = {}
    me = service.my_id()
    if me is not None:
        from plugins.groupes.models import Inscription
        mine = {r.groupe_id: r for r in db.session.execute(db.select(Inscription).where(
            Inscription.profile_id == me, Inscription.status != "cancelled")).scalars()}
    who = service.names({g.facilitator_id for g in groups})
    return render_template("groupes/index.html", groups=groups, counts=counts, nexts=nexts,
                           mine=mine, who=who, **_common())


@bp.route("/nouveau", methods=["GET", "POST"])
@employer_role("pair-aidant", "referent")
def new():
    conf = service.settings()
    me = service.my_id()
    helpers = service.peer_helpers() if service.is_referent() else {}
    values = {"title": "", "theme": "", "place": "", "video_url": "", "recurrence": "weekly",
              "first_session": "", "sessions_count": "6", "dates": "",
              "duration_minutes": str(conf["default_duration_minutes"]),
              "capacity": str(conf["default_capacity"]),
              "names_visible": conf["names_visible_default"],
              "facilitator_id": str(me) if me in helpers else ""}
    errors: dict = {}
    status = 200
    if request.method == "POST":
        f = request.form
        raw = {k: f.get(k, "") for k in values if k != "names_visible"}
        raw["names_visible"] = f.get("names_visible") == "oui"
        values = raw
        cleaned, errors = service.validate_group(dict(raw))
        if (service.is_referent() and "pair-aidant" not in service.roles()
                and not raw["facilitator_id"]):
            errors["facilitator_id"] = "Choisissez le pair-aidant qui animera le groupe."
        status = 400
        if not errors:
            try:
                group = service.create_group(cleaned, raw["facilitator_id"] or None)
            except Refused as refused:
                db.session.rollback()
                if refused.field is None:
                    abort(refused.status)
                errors, status = {refused.field: refused.message}, refused.status
            else:
                db.session.commit()
                flash("Le groupe est créé avec ses séances. Les personnes de l'espace peuvent "
                      "maintenant s'y inscrire.", "success")
                return redirect(url_for("groupes.groupe", groupe_id=group.id))
    return render_template("groupes/new.html", values=values, errors=errors, helpers=helpers,
                           labels=GROUP_LABELS, **_common()), status


def _group_page(groupe_id: int, status: int = 200, problem: Refused | None = None):
    try:
        group = service.get_group(groupe_id)
    except Refused:
        abort(404)
    seances = service.sessions_of(group.id)
    view = service.participants_view(group)
    mine = service.my_registration(group.id)
    return render_template(
        "groupes/groupe.html", group=group, seances=seances, view=view, mine=mine,
        position=service.waiting_position(mine) if mine else None,
        attendance=_attendance_numbers(seances),
        facilitator=service.names([group.facilitator_id]).get(group.facilitator_id),
        problem=problem, now=service.now(), may_manage=service.may_manage(group),
        **_common()), status


@bp.route("/<int:groupe_id>")
@employer_role()
def groupe(groupe_id: int):
    return _group_page(groupe_id)


def _group_action(groupe_id: int, action, success, after=None):
    try:
        result = action()
    except Refused as refused:
        db.session.rollback()
        if refused.status == 404:
            abort(404)
        return _group_page(groupe_id, refused.status, refused)
    db.session.commit()
    if after is not None:
        after(result)
    flash(success(result) if callable(success) else success, "success")
    return redirect(url_for("groupes.groupe", groupe_id=groupe_id))


@bp.route("/<int:groupe_id>/inscription", methods=["POST"])
@employer_role()
def register(groupe_id: int):
    return _group_action(groupe_id, lambda: service.register(groupe_id), lambda o: (
        "Vous êtes inscrit à ce groupe." if o.inscription.status == "registered" else
        "Le groupe est complet : vous êtes sur la liste d'attente. Vous serez prévenu par "
        "courriel si une place se libère."))


@bp.route("/<int:groupe_id>/desinscription", methods=["POST"])
@employer_role()
def unregister(groupe_id: int):
    return _group_action(groupe_id, lambda: service.cancel(groupe_id),
                         "Votre désinscription est enregistrée.",
                         after=lambda o: jobs.after_cancel(o, groupe_id))


@bp.route("/<int:groupe_id>/participants/<int:profile_id>/desinscrire", methods=["POST"])
@employer_role()
def remove_participant(groupe_id: int, profile_id: int):
    return _group_action(groupe_id, lambda: service.remove_participant(groupe_id, profile_id),
                         "La personne est désinscrite et prévenue par courriel. Si quelqu'un "
                         "attendait, sa place lui a été donnée.",
                         after=lambda o: jobs.after_remove(o, groupe_id))


def _managed_group(groupe_id: int):
    """The group, if the current person may edit and close it (403 otherwise)."""
    try:
        group = service.get_group(groupe_id)
    except Refused:
        abort(404)
    if not service.may_manage(group):
        abort(403)
    return group


def _edit_values(group) -> dict:
    return {"title": group.title, "theme": group.theme, "place": group.place or "",
            "video_url": group.video_url or "", "capacity": str(group.capacity),
            "names_visible": group.names_visible, "version": group.version}


@bp.route("/<int:groupe_id>/modifier", methods=["GET", "POST"])
@employer_role()
def edit(groupe_id: int):
    group = _managed_group(groupe_id)
    values, errors, problem, status = _edit_values(group), {}, None, 200
    if group.status != "open":
        problem, status = service.closed_group("il ne peut plus être modifié",
                                               "it can no longer be edited"), 409
    elif request.method == "POST":
        f = request.form
        raw = {k: f.get(k, "") for k in EDIT_FIELDS}
        raw["names_visible"] = f.get("names_visible") == "oui"
        values = {**raw, "version": f.get("version", "")}
        cleaned, errors = service.validate_edit(dict(raw))
        status = 400
        if not errors:
            try:
                outcome = service.update_group(groupe_id, cleaned, _version())
            except Refused as refused:
                db.session.rollback()
                status = refused.status
                if refused.field:
                    errors = {refused.field: refused.message}
                else:
                    problem = refused
                    if refused.code == "stale_version":  # show the current version
                        values = _edit_values(service.get_group(groupe_id))
            else:
                db.session.commit()
                jobs.after_update(outcome, groupe_id)
                flash("Les modifications du groupe sont enregistrées."
                      + (" Des places se sont ouvertes : les premières personnes de la liste "
                         "d'attente sont inscrites et prévenues par courriel."
                         if outcome.promoted else ""), "success")
                return redirect(url_for("groupes.groupe", groupe_id=groupe_id))
    counts = service.counts([group.id])[group.id]
    return render_template("groupes/edit.html", group=service.get_group(groupe_id),
                           values=values, errors=errors, problem=problem, labels=GROUP_LABELS,
                           registered_count=counts.registered, **_common()), status


@bp.route("/<int:groupe_id>/clore", methods=["GET", "POST"])
@employer_role()
def close(groupe_id: int):
    group = _managed_group(groupe_id)
    problem, status = None, 200
    if request.method == "POST":
        try:
            closing = service.close_group(groupe_id, _version())
        except Refused as refused:
            db.session.rollback()
            problem, status = refused, refused.status
        else:
            db.session.commit()
            jobs.after_close(closing)
            flash("Le groupe est clos. Ses séances à venir sont annulées et les personnes "
                  "inscrites ou en attente sont prévenues par courriel.", "success")
            return redirect(url_for("groupes.groupe", groupe_id=groupe_id))
    group = service.get_group(groupe_id)
    future = [s for s in service.sessions_of(group.id)
              if s.starts_at > service.now() and not s.cancelled]
    return render_template("groupes/close.html", group=group, future=future,
                           counts=service.counts([group.id])[group.id], problem=problem,
                           **_common()), status


def _session_page(seance_id: int, status: int = 200, problem: Refused | None = None):
    try:
        seance, group = service.get_session(seance_id)
    except Refused:
        abort(404)
    view = service.participants_view(group)
    taken = service.attendance_of(seance.id) if view.is_facilitator else {}
    numbers = _attendance_numbers([seance]).get(seance.id)
    return render_template("groupes/seance.html", seance=seance, group=group, view=view,
                           taken=taken, numbers=numbers, problem=problem, now=service.now(),
                           **_common()), status


@bp.route("/seances/<int:seance_id>", methods=["GET", "POST"])
@employer_role()
def seance(seance_id: int):
    if request.method == "GET":
        return _session_page(seance_id)
    try:
        service.take_attendance(seance_id, request.form.getlist("present"), _version())
    except Refused as refused:
        db.session.rollback()
        if refused.status == 404:
            abort(404)
        return _session_page(seance_id, refused.status, refused)
    db.session.commit()
    flash("L'appel est enregistré.", "success")
    return redirect(url_for("groupes.seance", seance_id=seance_id))


@bp.route("/seances/<int:seance_id>/annuler", methods=["POST"])
@employer_role()
def cancel_session(seance_id: int):
    try:
        seance, people = service.cancel_session(seance_id)
    except Refused as refused:
        db.session.rollback()
        if refused.status == 404:
            abort(404)
        return _session_page(seance_id, refused.status, refused)
    db.session.commit()
    jobs.after_session_cancelled(seance, people)
    flash("La séance est annulée. Les personnes inscrites sont prévenues par courriel.",
          "success")
    return redirect(url_for("groupes.seance", seance_id=seance_id))
