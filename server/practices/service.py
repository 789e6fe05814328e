"""The rules of shared best practices, for the pages and the job: writing a report in the
employer space, its anonymisation, submitting it, the animateurs' review, publication into the
library, comments and "utile" marks."""
from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from server import clock
from server.extensions import db
from server.practices.models import (
    SECTIONS, PracticeComment, PracticeReport, SharedPractice, UsefulMark,
)

TITLE_MAX = 200
SECTION_MAX = 10_000
#: A report says at least this much in "what worked": a title alone shares nothing.
WHAT_WORKED_MIN = 100
COMMENT_MAX = 2_000
REVIEW_MESSAGE_MAX = 2_000
FIRST_YEAR = 1990
#: After this long without an anonymisation, the author may queue it again.
LATE_SECONDS = 120
OTHER_MODEL = ("autre", "Autre organisation")
#: The fields whose change calls for a new anonymisation.
PUBLISHED_FIELDS = ("title", "what_worked", "difficulties", "advice", "show_employer_name")


class Refused(Exception):
    """An action refused; ``str(exc)`` says why in French, ``status`` is the HTTP status."""

    def __init__(self, message: str, status: int = 409):
        super().__init__(message)
        self.status = status


def _now() -> datetime:
    return datetime.now(UTC)


# --- the report, in the employer's space ---------------------------------------------------

def model_choices() -> list[tuple[str, str]]:
    """The programme models a report can be about: the installed ones, then "other"."""
    from server.programme.choices import installed_models

    return [(name, plugin.label) for name, plugin in installed_models().items()] + [OTHER_MODEL]


def model_label(name: str) -> str:
    return dict(model_choices()).get(name, name)


def available_figures() -> list[dict]:
    """The employer's own indicators over the last twelve months, which the author may quote."""
    from server.programme.dashboard import _indicators, default_period

    figures = []
    for section in _indicators(default_period()):
        for indicator in section.indicators:
            if isinstance(indicator.value, (int, float)):
                figures.append({"key": indicator.key, "label": indicator.label,
                                "value": indicator.value, "unit": indicator.unit,
                                "section": section.label})
    return figures


def clean(raw: dict, *, figures_available: list[dict]) -> tuple[dict, dict[str, str]]:
    """Checked values of a report and the French error of each bad field. Nothing is cut:
    a text over its limit is refused, so the author keeps every word."""
    errors: dict[str, str] = {}
    values: dict = {}
    title = (raw.get("title") or "").strip()
    if not title:
        errors["title"] = "Saisissez un titre qui résume la pratique."
    elif len(title) > TITLE_MAX:
        errors["title"] = f"Le titre doit faire {TITLE_MAX} caractères au plus " \
            f"(il en fait {len(title)})."
    values["title"] = title
    model = (raw.get("model") or "").strip()
    if model not in dict(model_choices()):
        errors["model"] = "Choisissez le modèle de programme dans la liste."
    values["model"] = model
    since_text = str(raw.get("programme_since") or "").strip()
    this_year = clock.today().year
    if not since_text:
        errors["programme_since"] = "Saisissez l'année de démarrage du programme, par exemple 2021."
    elif not since_text.isdigit() or not FIRST_YEAR <= int(since_text) <= this_year:
        errors["programme_since"] = (f"L'année de démarrage doit être une année entre "
                                     f"{FIRST_YEAR} et {this_year}, par exemple 2021.")
    values["programme_since"] = int(since_text) if since_text.isdigit() else None
    for name, label, _hint in SECTIONS:
        text = (raw.get(name) or "").replace("\r\n", "\n").strip()
        if len(text) > SECTION_MAX:
            errors[name] = (f"La partie « {label} » doit faire {SECTION_MAX:_} caractères au "
                            f"plus (elle en fait {len(text):_}).").replace("_", " ")
        values[name] = text
    if "what_worked" not in errors and len(values["what_worked"]) < WHAT_WORKED_MIN:
        errors["what_worked"] = (f"Décrivez ce qui a fonctionné en {WHAT_WORKED_MIN} caractères "
                                 "au moins : c'est le cœur de la pratique partagée.")
    values["show_employer_name"] = raw.get("show_employer_name") in (True, "y", "on", "1", "oui")
    wanted = raw.get("figures") or []
    if isinstance(wanted, str):
        wanted = [wanted]
    by_key = {f["key"]: f for f in figures_available}
    unknown = [k for k in wanted if k not in by_key]
    if unknown:
        errors["figures"] = ("Un des chiffres choisis n'est plus disponible : choisissez-les "
                             "à nouveau dans la liste.")
    values["figures"] = [{k: by_key[key][k] for k in ("key", "label", "value", "unit")}
                         for key in wanted if key in by_key]
    return values, errors


def create(values: dict, *, author_id: int) -> PracticeReport:
    report = PracticeReport(author_id=author_id, text_version=1, status="brouillon", **values)
    db.session.add(report)
    db.session.flush()
    return report


def check_author(report: PracticeReport, user_id: int) -> None:
    if report.author_id != user_id:
        raise Refused("Seule la personne qui a écrit ce retour d'expérience peut le modifier "
                      "ou le soumettre. Vous pouvez le lire.", 403)


def editable(report: PracticeReport, shared: SharedPractice | None) -> bool:
    """A draft never submitted, or a submission the animateurs sent back for changes."""
    if shared is not None:
        return shared.status == "a-modifier"
    return report.status == "brouillon"


def check_editable(report: PracticeReport) -> None:
    shared = shared_for(report)
    if editable(report, shared):
        return
    if shared is not None and shared.status in ("refusee", "publiee"):
        raise Refused(f"Ce retour d'expérience a été {shared.status_label.lower()} par "
                      "l'équipe d'animation : il ne peut plus être modifié.")
    raise Refused("Ce retour d'expérience est soumis et attend la relecture de l'équipe "
                  "d'animation : il ne peut pas être modifié pendant ce temps.")


def update(report: PracticeReport, values: dict, *, by_user_id: int,
           text_version: int | None) -> bool:
    """Apply ``values``; True when the published text changed (a new anonymisation is due)."""
    check_author(report, by_user_id)
    check_editable(report)
    if text_version is not None and text_version != report.text_version:
        raise Refused("Ce retour d'expérience a changé depuis que vous l'avez ouvert : vos "
                      "changements n'ont pas été enregistrés. Rechargez la page.", 409)
    changed = any(getattr(report, name) != values[name] for name in PUBLISHED_FIELDS)
    for name, value in values.items():
        setattr(report, name, value)
    report.status = "brouillon"  # back to a draft when changes were asked
    report.updated_at = _now()
    if changed:
        report.text_version += 1
    return changed


def take_anonymised_text(report: PracticeReport, *, by_user_id: int) -> None:
    """The author continues from the anonymised text (to smooth a sentence around a "[nom]");
    it is anonymised again, like any edit."""
    check_author(report, by_user_id)
    check_editable(report)
    if not report.is_anonymised:
        raise Refused("L'anonymisation du texte actuel n'est pas encore terminée.")
    sections = report.anonymisation["sections"]
    for name in ("title",) + tuple(n for n, _l, _h in SECTIONS):
        setattr(report, name, sections[name]["text"])
    report.text_version += 1
    report.status = "brouillon"
    report.updated_at = _now()


def request_anonymisation(report: PracticeReport) -> None:
    """Queue the job for the report's current text (after the caller's commit)."""
    from server.jobs import enqueue
    from server.practices import jobs
    from tenants import current_tenant

    enqueue(jobs.anonymise_report, report.id, report.text_version,
            tenant=current_tenant().slug)


def known_people() -> list[str]:
    """Everyone this employer's space knows, by the names they go by: profiles, and the
    accounts of members (people who left keep their profile)."""
    from server.auth.models import Membership, User
    from server.employers.models import Profile
    from tenants import current_tenant

    names = set(db.session.execute(sa.select(Profile.display_name)).scalars())
    names |= set(db.session.execute(
        sa.select(User.display_name).join(Membership, Membership.user_id == User.id)
        .where(Membership.tenant_id == current_tenant().id)).scalars())
    return sorted(n for n in names if n and n.strip())


def anonymise(report: PracticeReport) -> dict:
    """Run the pipeline on each part of the report as it is now."""
    from server.anonymisation import anonymise as run
    from tenants.registry import Tenant
    from tenants import current_tenant

    tenant = db.session.get(Tenant, current_tenant().id)
    label = None if report.show_employer_name else hidden_employer_label()
    people = known_people()
    sections = {}
    for name in ("title",) + tuple(n for n, _l, _h in SECTIONS):
        result = run(getattr(report, name), known_people=people, employer_name=tenant.name,
                     employer_label=label)
        # The original stays beside its replacements for the author's preview; none of this
        # leaves the employer's schema (only ``text`` is copied on submission).
        sections[name] = {**result.as_dict(), "original": result.original}
    return {"sections": sections, "employer_display": tenant.name if label is None else label}


def hidden_employer_label() -> str:
    """What replaces the current employer's name when the author hides it."""
    from server.anonymisation import employer_label
    from tenants import current_tenant
    from tenants.registry import Tenant

    tenant = db.session.get(Tenant, current_tenant().id)
    return employer_label(tenant.sector_label.lower(), tenant.size_band_label)


def shared_for(report: PracticeReport) -> SharedPractice | None:
    from tenants import current_tenant

    return db.session.execute(sa.select(SharedPractice).where(
        SharedPractice.tenant_id == current_tenant().id,
        SharedPractice.report_id == report.id)).scalar_one_or_none()


def submit(report: PracticeReport, *, by_user_id: int, text_version: int | None) -> SharedPractice:
    """Copy the anonymised text to the network for review. Refused unless the anonymisation
    ran on the text as it is now."""
    from tenants import current_tenant
    from tenants.registry import Tenant

    check_author(report, by_user_id)
    check_editable(report)
    if text_version is not None and text_version != report.text_version:
        raise Refused("Ce retour d'expérience a changé depuis que vous avez vu son aperçu : "
                      "relisez le nouvel aperçu avant de le soumettre.", 409)
    if not report.is_anonymised:
        raise Refused("L'anonymisation n'a pas encore été faite sur la dernière version du "
                      "texte : attendez qu'elle soit terminée, relisez l'aperçu, puis "
                      "soumettez.", 409)
    tenant = db.session.get(Tenant, current_tenant().id)
    sections = report.anonymisation["sections"]
    shared = shared_for(report)
    if shared is None:
        shared = SharedPractice(tenant_id=tenant.id, report_id=report.id, version=0)
        db.session.add(shared)
    shared.status = "soumise"
    shared.title = sections["title"]["text"]
    for name, _label, _hint in SECTIONS:
        setattr(shared, name, sections[name]["text"])
    shared.model = report.model
    shared.sector = tenant.sector
    shared.size_band = tenant.size_band
    shared.programme_since = report.programme_since
    shared.employer_display = report.anonymisation["employer_display"]
    shared.figures = list(report.figures)
    shared.text_version = report.text_version
    shared.submitted_at = _now()
    shared.review_message = None
    shared.reviewed_at = None
    shared.reviewer_id = None
    shared.version += 1
    report.status = "soumis"
    report.submitted_at = shared.submitted_at
    db.session.flush()
    return shared


# --- the animateurs' review ----------------------------------------------------------------

#: Review actions: action → (new status, whether a message is required, confirmation).
REVIEW_ACTIONS = {
    "publier": ("publiee", False, "La pratique est publiée dans la bibliothèque."),
    "modifier": ("a-modifier", True, "Votre demande de modifications est envoyée à l'employeur."),
    "refuser": ("refusee", True, "La pratique est refusée ; l'employeur voit votre motif."),
}


def find_shared(practice_id: int, *, lock: bool = False) -> SharedPractice | None:
    stmt = sa.select(SharedPractice).where(SharedPractice.id == practice_id)
    if lock:
        stmt = stmt.with_for_update()
    return db.session.execute(stmt).scalar_one_or_none()


def review(shared: SharedPractice, action: str, message: str, *, by_user_id: int,
           version: int | None):
    """Publish, ask for changes or refuse a submitted practice."""
    if action not in REVIEW_ACTIONS:
        raise Refused("Choisissez une action : publier, demander des modifications ou refuser.",
                      422)
    if version != shared.version:
        raise Refused("L'employeur a soumis une nouvelle version depuis que vous avez ouvert "
                      "cette page : rien n'a été changé. Relisez-la, puis recommencez.", 409)
    if shared.status != "soumise":
        raise Refused(f"Cette pratique est déjà « {shared.status_label.lower()} » : elle "
                      "n'attend pas de relecture.", 409)
    status, needs_message, _done = REVIEW_ACTIONS[action]
    message = (message or "").strip()
    if needs_message and not message:
        what = "les modifications demandées" if action == "modifier" else "le motif du refus"
        raise Refused(f"Écrivez {what} : l'employeur le lira.", 422)
    if len(message) > REVIEW_MESSAGE_MAX:
        raise Refused(f"Le message doit faire {REVIEW_MESSAGE_MAX:_} caractères au plus "
                      f"(il en fait {len(message):_}).".replace("_", " "), 422)
    if action == "publier":
        shared.resource_id = _publish_resource(shared, by_user_id=by_user_id).id
    shared.status = status
    shared.review_message = message or None
    shared.reviewed_at = _now()
    shared.reviewer_id = by_user_id
    shared.version += 1


def summary_of(shared: SharedPractice) -> str:
    return (f"{model_label(shared.model)} — {shared.sector_label}, {shared.size_band_label}, "
            f"programme démarré en {shared.programme_since}. {shared.employer_display[:1].upper()}"
            f"{shared.employer_display[1:]} partage son expérience.")


def body_of(shared: SharedPractice) -> str:
    parts = []
    for name, label, _hint in SECTIONS:
        text = getattr(shared, name)
        if text:
            parts.append(f"{label}\n\n{text}")
    return "\n\n".join(parts)


def _publish_resource(shared: SharedPractice, *, by_user_id: int):
    from server.library import search
    from server.library.models import Resource

    resource = Resource(kind="bonne-pratique", title=shared.title[:200],
                        summary=summary_of(shared)[:1000], body=body_of(shared),
                        themes=["pair-aidance"], audience="tous", published_on=clock.today(),
                        status="publie", author_id=by_user_id)
    resource.search_vector = search.vector(resource.title, resource.summary, resource.themes,
                                           resource.body)
    db.session.add(resource)
    db.session.flush()
    return resource


def submissions(status: str | None = None) -> list[SharedPractice]:
    stmt = sa.select(SharedPractice).order_by(SharedPractice.submitted_at.desc())
    if status:
        stmt = stmt.where(SharedPractice.status == status)
    return list(db.session.execute(stmt).scalars())


# --- comments and "utile" marks --------------------------------------------------------------

def published_for_resource(resource_id: int) -> SharedPractice | None:
    return db.session.execute(sa.select(SharedPractice).where(
        SharedPractice.resource_id == resource_id,
        SharedPractice.status == "publiee")).scalar_one_or_none()


def comments(shared: SharedPractice) -> list[dict]:
    from server.auth.models import User
    from tenants.registry import Tenant

    rows = db.session.execute(
        sa.select(PracticeComment, User.display_name, Tenant.name)
        .outerjoin(User, User.id == PracticeComment.author_id)
        .outerjoin(Tenant, Tenant.id == PracticeComment.tenant_id)
        .where(PracticeComment.practice_id == shared.id)
        .order_by(PracticeComment.created_at, PracticeComment.id)).all()
    return [{"comment": c, "author": name or "Compte supprimé",
             "speaks_for": employer or "Équipe d'animation du réseau"}
            for c, name, employer in rows]


def speaking_for(user, tenant_slug: str | None, *, nobody: str, choose: str) -> tuple[int, str]:
    """(id, name) of the employer a référent acts for: the one chosen, or their only one.
    ``nobody`` is said to a person who is référent nowhere, ``choose`` when the choice is
    missing or not theirs."""
    from server.library.service import referent_spaces
    from tenants.registry import Tenant

    spaces = {s["slug"]: s["name"] for s in referent_spaces(user)}
    if not spaces:
        raise Refused(nobody, 403)
    slug = tenant_slug or (next(iter(spaces)) if len(spaces) == 1 else "")
    if slug not in spaces:
        raise Refused(choose, 422)
    return db.session.execute(sa.select(Tenant.id).where(Tenant.slug == slug)).scalar_one(), \
        spaces[slug]


def add_comment(shared: SharedPractice, body: str, *, user, tenant_slug: str | None) -> None:
    from server.library.service import is_editor

    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise Refused("Écrivez votre commentaire avant de l'envoyer.", 422)
    if len(body) > COMMENT_MAX:
        raise Refused(f"Le commentaire doit faire {COMMENT_MAX:_} caractères au plus (il en "
                      f"fait {len(body):_}).".replace("_", " "), 422)
    tenant_id = None  # the animation team speaks for the network
    if not is_editor(user):
        tenant_id, _name = speaking_for(
            user, tenant_slug, choose="Choisissez l'employeur au nom duquel vous commentez.",
            nobody="Seuls les référents des employeurs et l'équipe d'animation peuvent "
                   "commenter une bonne pratique.")
    db.session.add(PracticeComment(practice_id=shared.id, author_id=user.id,
                                   tenant_id=tenant_id, body=body))


def remove_comment(comment: PracticeComment, *, user) -> None:
    from server.library.service import is_editor

    if comment.author_id != user.id and not is_editor(user):
        raise Refused("Vous ne pouvez retirer que vos propres commentaires.", 403)
    db.session.delete(comment)


def useful_count(shared: SharedPractice) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(UsefulMark).where(
        UsefulMark.practice_id == shared.id)).scalar_one()


def marked_spaces(shared: SharedPractice, slugs: list[str]) -> set[str]:
    """Those of ``slugs`` (the person's référent spaces) that marked the practice useful."""
    from tenants.registry import Tenant

    if not slugs:
        return set()
    return set(db.session.execute(
        sa.select(Tenant.slug).join(UsefulMark, UsefulMark.tenant_id == Tenant.id)
        .where(UsefulMark.practice_id == shared.id, Tenant.slug.in_(slugs))).scalars())


def set_useful(shared: SharedPractice, *, user, tenant_slug: str | None, useful: bool) -> str:
    """Mark (or unmark) the practice as useful for one of the user's employers; the name of
    that employer."""
    from sqlalchemy.dialects.postgresql import insert

    tenant_id, name = speaking_for(
        user, tenant_slug, choose="Choisissez l'employeur pour lequel la pratique est utile.",
        nobody="Seuls les référents des employeurs peuvent marquer une bonne pratique comme "
               "utile, au nom de leur employeur.")
    if useful:
        db.session.execute(insert(UsefulMark).values(
            practice_id=shared.id, tenant_id=tenant_id, marked_by=user.id)
            .on_conflict_do_nothing())
    else:
        db.session.execute(sa.delete(UsefulMark).where(UsefulMark.practice_id == shared.id,
                                                       UsefulMark.tenant_id == tenant_id))
    return name
