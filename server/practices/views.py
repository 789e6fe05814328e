"""Pages of shared best practices: the référents' experience reports in their employer space,
the animateurs' review in the network space, and comments and "utile" marks on published
practices (shown on the practice's library page)."""
from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from server.anonymisation import preview_html
from server.anonymisation.pipeline import Replacement, Result
from server.audit import record, record_network_change
from server.auth.access import employer_role, network_role, signed_in
from server.extensions import db
from server.practices import service
from server.practices.models import (
    REVIEW_STATUSES, SECTIONS, PracticeComment, PracticeReport,
)
from server.practices.service import Refused

#: The référent's reports, in the employer space.
bp = Blueprint("practices", __name__, url_prefix="/e/<tenant>/pratiques")
#: The review and the conversation, in the network space.
network_bp = Blueprint("practice_review", __name__, url_prefix="/reseau/pratiques")

LABELS = {"title": "Titre", "model": "Modèle de programme",
          "programme_since": "Année de démarrage du programme",
          "employer": "Nom de l'employeur", "figures": "Chiffres de vos indicateurs",
          **{name: label for name, label, _hint in SECTIONS}}


# --- the employer space ----------------------------------------------------------------------

def _report_or_404(report_id: int, *, lock: bool = False) -> PracticeReport:
    report = db.session.get(PracticeReport, report_id, with_for_update=lock)
    if report is None:
        abort(404)
    return report


def _raw_from_form() -> dict:
    raw = {name: request.form.get(name, "") for name in
           ("title", "model", "programme_since", *[n for n, _l, _h in SECTIONS])}
    raw["show_employer_name"] = request.form.get("employer") == "nom"
    raw["figures"] = request.form.getlist("figures")
    return raw


def _form_page(template_values: dict, errors: dict, figures: list[dict], *, report=None,
               status: int = 200):
    return render_template(
        "practices/form.html", values=template_values, errors=errors, labels=LABELS,
        report=report, figures=figures, models=service.model_choices(), sections=SECTIONS,
        hidden_label=service.hidden_employer_label(),
        limits={"title": service.TITLE_MAX, "section": service.SECTION_MAX,
                "min": service.WHAT_WORKED_MIN},
    ), status


@bp.route("/")
@employer_role("referent")
def index():
    reports = db.session.execute(
        sa.select(PracticeReport).order_by(PracticeReport.updated_at.desc())).scalars().all()
    shared = {s.report_id: s for s in _shared_of_space()}
    return render_template("practices/index.html", reports=reports, shared=shared,
                           names=_names({r.author_id for r in reports}))


@bp.route("/nouveau", methods=["GET", "POST"])
@employer_role("referent")
def new():
    figures = service.available_figures()
    if request.method == "GET":
        return _form_page({"employer": "libelle", "figures": []}, {}, figures)
    raw = _raw_from_form()
    values, errors = service.clean(raw, figures_available=figures)
    if errors:
        return _form_page(_shown(raw), errors, figures, status=400)
    report = service.create(values, author_id=current_user.id)
    record("create", "practice_report", report.id)
    db.session.commit()
    service.request_anonymisation(report)
    flash("Votre retour d'expérience est enregistré. Son anonymisation est en cours : "
          "relisez l'aperçu avant de le soumettre au réseau.", "success")
    return redirect(url_for("practices.show", report_id=report.id))


@bp.route("/<int:report_id>")
@employer_role("referent")
def show(report_id: int):
    report = _report_or_404(report_id)
    return _show_page(report)


def _show_page(report: PracticeReport, problem: str | None = None, status: int = 200):
    previews = {}
    counts: dict[str, int] = {}
    if report.is_anonymised:
        for name, data in report.anonymisation["sections"].items():
            result = _result(data)
            previews[name] = preview_html(result)
            for kind, n in result.counts().items():
                counts[kind] = counts.get(kind, 0) + n
    from server.anonymisation.pipeline import LABELS as KIND_LABELS

    shared = service.shared_for(report)
    return render_template(
        "practices/show.html", report=report, shared=shared,
        late=not report.is_anonymised and report.updated_at is not None
        and (datetime.now(UTC) - report.updated_at).total_seconds() > service.LATE_SECONDS,
        editable=service.editable(report, shared),
        previews=previews, counts=counts, kind_labels=KIND_LABELS, sections=SECTIONS,
        model_label=service.model_label(report.model), problem=problem,
        is_author=report.author_id == current_user.id,
        names=_names({report.author_id}),
    ), status


def _result(data: dict) -> Result:
    """The stored anonymisation, back as a ``Result`` for the preview."""
    return Result(original=data["original"], text=data["text"],
                  replacements=tuple(Replacement(**r) for r in data["replacements"]))


@bp.route("/<int:report_id>/modifier", methods=["GET", "POST"])
@employer_role("referent")
def edit(report_id: int):
    report = _report_or_404(report_id, lock=request.method == "POST")
    try:
        service.check_author(report, current_user.id)
        service.check_editable(report)
    except Refused as refused:
        db.session.rollback()
        return _show_page(report, str(refused), refused.status)
    figures = service.available_figures()
    # Figures quoted earlier stay choosable even when the indicator has moved on.
    known = {f["key"] for f in figures}
    figures += [dict(f, section="Chiffres déjà cités") for f in report.figures
                if f["key"] not in known]
    if request.method == "GET":
        return _form_page(_values_of(report), {}, figures, report=report)
    raw = _raw_from_form()
    values, errors = service.clean(raw, figures_available=figures)
    if errors:
        db.session.rollback()
        return _form_page(_shown(raw), errors, figures, report=report, status=400)
    try:
        changed = service.update(report, values, by_user_id=current_user.id,
                                 text_version=_int(request.form.get("text_version")))
    except Refused as refused:
        db.session.rollback()
        return _form_page(_shown(raw), {"title": str(refused)}, figures, report=report,
                          status=refused.status)
    record("update", "practice_report", report.id, text_version=report.text_version)
    db.session.commit()
    if changed:
        service.request_anonymisation(report)
        flash("Vos changements sont enregistrés. Le texte est anonymisé à nouveau : relisez "
              "l'aperçu avant de le soumettre.", "success")
    else:
        flash("Vos changements sont enregistrés.", "success")
    return redirect(url_for("practices.show", report_id=report.id))


@bp.route("/<int:report_id>/reprendre", methods=["POST"])
@employer_role("referent")
def take_anonymised(report_id: int):
    report = _report_or_404(report_id, lock=True)
    try:
        service.take_anonymised_text(report, by_user_id=current_user.id)
    except Refused as refused:
        db.session.rollback()
        return _show_page(report, str(refused), refused.status)
    record("update", "practice_report", report.id, text_version=report.text_version)
    db.session.commit()
    service.request_anonymisation(report)
    flash("Le texte anonymisé est maintenant votre texte : retouchez-le, il sera anonymisé à "
          "nouveau.", "success")
    return redirect(url_for("practices.edit", report_id=report.id))


@bp.route("/<int:report_id>/anonymiser", methods=["POST"])
@employer_role("referent")
def restart_anonymisation(report_id: int):
    """The author queues the job again (the first one failed, or Redis lost it)."""
    report = _report_or_404(report_id)
    try:
        service.check_author(report, current_user.id)
        service.check_editable(report)
    except Refused as refused:
        return _show_page(report, str(refused), refused.status)
    if report.is_anonymised:
        flash("L'anonymisation de ce texte est déjà faite.", "success")
    else:
        db.session.rollback()
        service.request_anonymisation(report)
        flash("L'anonymisation est relancée.", "success")
    return redirect(url_for("practices.show", report_id=report.id))


@bp.route("/<int:report_id>/soumettre", methods=["POST"])
@employer_role("referent")
def submit(report_id: int):
    report = _report_or_404(report_id, lock=True)
    try:
        shared = service.submit(report, by_user_id=current_user.id,
                                text_version=_int(request.form.get("text_version")))
    except Refused as refused:
        db.session.rollback()
        return _show_page(report, str(refused), refused.status)
    record("submit", "practice_report", report.id, shared_practice=shared.id,
           text_version=report.text_version)
    db.session.commit()
    flash("Votre retour d'expérience est soumis à l'équipe d'animation du réseau, qui le "
          "relira avant de le publier.", "success")
    return redirect(url_for("practices.show", report_id=report.id))


def _values_of(report: PracticeReport) -> dict:
    values = {name: getattr(report, name) for name in
              ("title", "model", "programme_since", *[n for n, _l, _h in SECTIONS])}
    values["employer"] = "nom" if report.show_employer_name else "libelle"
    values["figures"] = [f["key"] for f in report.figures]
    values["text_version"] = report.text_version
    return values


def _shown(raw: dict) -> dict:
    """What the person typed, to show again with the errors."""
    shown = dict(raw)
    shown["employer"] = "nom" if raw.get("show_employer_name") else "libelle"
    shown["text_version"] = request.form.get("text_version", "")
    return shown


def _shared_of_space():
    from server.practices.models import SharedPractice
    from tenants import current_tenant

    return db.session.execute(sa.select(SharedPractice).where(
        SharedPractice.tenant_id == current_tenant().id)).scalars()


def _names(ids) -> dict[int, str]:
    from server.auth.models import User

    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(db.session.execute(
        sa.select(User.id, User.display_name).where(User.id.in_(ids))).all())


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- the animateurs' review --------------------------------------------------------------

@network_bp.route("/")
@network_role("animateur", "admin")
def review_list():
    status = request.args.get("etat") or ""
    error = None
    if status and status not in REVIEW_STATUSES:
        error = "Cet état n'existe pas : choisissez-en un dans la liste."
        status = ""
    return render_template("practices/review_list.html", items=service.submissions(status or None),
                           status=status, statuses=REVIEW_STATUSES, error=error,
                           model_label=service.model_label), 400 if error else 200


@network_bp.route("/<int:practice_id>", methods=["GET", "POST"])
@network_role("animateur", "admin")
def review(practice_id: int):
    shared = service.find_shared(practice_id, lock=request.method == "POST")
    if shared is None:
        abort(404)
    problem, status, message = None, 200, ""
    if request.method == "POST":
        action = request.form.get("action", "")
        message = request.form.get("message", "")
        try:
            service.review(shared, action, message, by_user_id=current_user.id,
                           version=_int(request.form.get("version")))
        except Refused as refused:
            db.session.rollback()
            shared = service.find_shared(practice_id)
            problem, status = str(refused), refused.status
        else:
            record_network_change("review", "shared_practice", shared.id, decision=action)
            db.session.commit()
            flash(service.REVIEW_ACTIONS[action][2], "success")
            return redirect(url_for("practice_review.review", practice_id=practice_id))
    return render_template("practices/review.html", shared=shared, problem=problem,
                           message=message, sections=SECTIONS,
                           model_label=service.model_label(shared.model),
                           paragraphs=_paragraphs), status


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in (text or "").split("\n\n") if p.strip()]


# --- comments and "utile" marks on a published practice -------------------------------------

def _published_or_404(practice_id: int):
    from server.library.service import is_reader

    if not is_reader(current_user):
        abort(403)
    shared = service.find_shared(practice_id)
    if shared is None or shared.status != "publiee":
        abort(404)
    return shared


def _back(shared, anchor: str = "commentaires"):
    return redirect(url_for("library.show", resource_id=shared.resource_id, _anchor=anchor))


@network_bp.route("/<int:practice_id>/commentaires", methods=["POST"])
@signed_in
def comment(practice_id: int):
    shared = _published_or_404(practice_id)
    try:
        service.add_comment(shared, request.form.get("body", ""), user=current_user,
                            tenant_slug=request.form.get("space") or None)
    except Refused as refused:
        db.session.rollback()
        from server.library import views as library_views

        return library_views.practice_page(shared, comment_error=str(refused),
                                           comment_body=request.form.get("body", ""),
                                           status=refused.status)
    db.session.commit()
    flash("Votre commentaire est publié.", "success")
    return _back(shared)


@network_bp.route("/<int:practice_id>/commentaires/<int:comment_id>/retirer", methods=["POST"])
@signed_in
def remove_comment(practice_id: int, comment_id: int):
    shared = _published_or_404(practice_id)
    comment = db.session.get(PracticeComment, comment_id)
    if comment is None or comment.practice_id != shared.id:
        abort(404)
    try:
        service.remove_comment(comment, user=current_user)
    except Refused as refused:
        db.session.rollback()
        abort(refused.status)
    db.session.commit()
    flash("Le commentaire est retiré.", "success")
    return _back(shared)


@network_bp.route("/<int:practice_id>/utile", methods=["POST"])
@signed_in
def useful(practice_id: int):
    shared = _published_or_404(practice_id)
    wanted = request.form.get("utile") != "non"
    try:
        name = service.set_useful(shared, user=current_user,
                                  tenant_slug=request.form.get("space") or None, useful=wanted)
    except Refused as refused:
        db.session.rollback()
        from server.library import views as library_views

        return library_views.practice_page(shared, useful_error=str(refused),
                                           status=refused.status)
    db.session.commit()
    flash(f"Pratique marquée comme utile pour {name}." if wanted
          else f"La mention « utile » de {name} est retirée.", "success")
    return _back(shared, "utile")
