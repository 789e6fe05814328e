"""The library's rules, shared by the pages and the API: who reads what, checking what is
written, optimistic versions, attachments and the copy of an interactive tool sheet."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa
from flask import current_app

from tenants.registry import SECTORS

from server.extensions import db
from server.library import files, search
from server.library.models import (
    AUDIENCES, KINDS, STATUSES, THEMES, TOOLS, WORKFLOW_KINDS, Attachment, Resource,
)

TITLE_MAX = 200
SUMMARY_MAX = 1000
BODY_MAX = 100_000
QUERY_MAX = 200

#: Status changes an editor can make (action → new status, confirmation).
ACTIONS = {
    "publier": ("publie", "La ressource est publiée : les membres du réseau peuvent la lire."),
    "archiver": ("archive", "La ressource est archivée : les membres ne la voient plus."),
    "brouillon": ("brouillon", "La ressource est redevenue un brouillon : seule l'équipe "
                  "d'animation la voit."),
}


#: Why the library's forms do not write best practices.
PRACTICE_LOCKED = ("Une bonne pratique d'employeur ne s'écrit pas dans la bibliothèque : elle "
                   "vient d'un employeur, passe par l'anonymisation puis par la relecture de "
                   "l'équipe d'animation. Pour la faire changer, demandez des modifications à "
                   "l'employeur depuis la relecture.")


class Stale(Exception):
    """Someone changed the resource since the form was opened."""

    def __init__(self, current: int):
        super().__init__(current)
        self.current = current


class TooLarge(Exception):
    """The file is over the configured size."""


class CopyRefused(Exception):
    """The space chosen for a copy cannot take it; ``str(exc)`` says why."""


# --- who may do what ---------------------------------------------------------------------

def is_editor(user) -> bool:
    """Animateurs and network admins write the library and see drafts and archives."""
    return user.is_authenticated and user.has_network_role("animateur", "admin")


def is_reader(user) -> bool:
    """Members of an active employer of the network, and the network's staff."""
    if not user.is_authenticated:
        return False
    if user.network_role_names():
        return True
    from server.auth.models import Membership
    from tenants.registry import Tenant

    return db.session.execute(
        sa.select(sa.literal(True)).select_from(Membership)
        .join(Tenant, Tenant.id == Membership.tenant_id)
        .where(Membership.user_id == user.id, Tenant.status == "active").limit(1)
    ).scalar() is not None


def visible_statuses(user) -> tuple[str, ...]:
    return tuple(STATUSES) if is_editor(user) else ("publie",)


def find_visible(resource_id: int, user, *, lock: bool = False) -> Resource | None:
    stmt = sa.select(Resource).where(Resource.id == resource_id,
                                     Resource.status.in_(visible_statuses(user)))
    if lock:
        stmt = stmt.with_for_update()
    return db.session.execute(stmt).scalar_one_or_none()


# --- listing and search --------------------------------------------------------------------

@dataclass
class Filters:
    q: str = ""
    theme: str = ""
    kind: str = ""
    status: str = ""
    #: Best practices only: the programme model and the sector of the employer sharing it.
    model: str = ""
    sector: str = ""


def clean_filters(args, user) -> tuple[Filters, dict[str, str]]:
    """Filters from a query string; unknown values are errors (the list is then unfiltered
    for that field)."""
    errors: dict[str, str] = {}
    f = Filters(q=(args.get("q") or "").strip(), theme=args.get("theme") or "",
                kind=args.get("kind") or "", status=args.get("status") or "",
                model=args.get("model") or "", sector=args.get("sector") or "")
    if len(f.q) > QUERY_MAX:
        errors["q"] = f"La recherche doit faire {QUERY_MAX} caractères au plus."
        f.q = ""
    if f.theme and f.theme not in THEMES:
        errors["theme"] = "Ce thème n'existe pas : choisissez-en un dans la liste."
        f.theme = ""
    if f.kind and f.kind not in KINDS:
        errors["kind"] = "Ce type de ressource n'existe pas : choisissez-en un dans la liste."
        f.kind = ""
    if f.model and f.model not in dict(practice_models()):
        errors["model"] = "Ce modèle de programme n'existe pas : choisissez-en un dans la liste."
        f.model = ""
    if f.sector and f.sector not in SECTORS:
        errors["sector"] = "Ce secteur n'existe pas : choisissez-en un dans la liste."
        f.sector = ""
    if f.status and (f.status not in STATUSES or not is_editor(user)):
        errors["status"] = "Cet état n'existe pas : choisissez-en un dans la liste."
        f.status = ""
    return f, errors


def practice_models() -> list[tuple[str, str]]:
    from server.practices.service import model_choices

    return model_choices()


def listing(filters: Filters, user) -> sa.Select:
    """Visible resources matching ``filters``: best match first when searching, else newest."""
    statuses = visible_statuses(user)
    if filters.status:
        statuses = (filters.status,)
    stmt = sa.select(Resource).where(Resource.status.in_(statuses))
    if filters.theme:
        stmt = stmt.where(Resource.themes.any(filters.theme))
    if filters.kind:
        stmt = stmt.where(Resource.kind == filters.kind)
    if filters.model or filters.sector:
        from server.practices.models import SharedPractice

        practices = sa.select(SharedPractice.resource_id).where(
            SharedPractice.resource_id.is_not(None))
        if filters.model:
            practices = practices.where(SharedPractice.model == filters.model)
        if filters.sector:
            practices = practices.where(SharedPractice.sector == filters.sector)
        stmt = stmt.where(Resource.id.in_(practices))
    if filters.q:
        tsquery = search.query(filters.q)
        stmt = stmt.where(Resource.search_vector.op("@@")(tsquery)).order_by(
            sa.func.ts_rank_cd(Resource.search_vector, tsquery).desc())
    return stmt.order_by(Resource.published_on.desc(), Resource.id.desc())


def page_of(stmt: sa.Select, page: int, per_page: int) -> tuple[list[Resource], int]:
    total = db.session.execute(
        sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    items = db.session.execute(
        stmt.limit(per_page).offset((page - 1) * per_page)).scalars().all()
    return list(items), total


# --- writing -----------------------------------------------------------------------------

def parse_day(value) -> date | None:
    """jj/mm/aaaa (pages) or aaaa-mm-jj (API)."""
    if isinstance(value, date):
        return value
    text = (value or "").strip() if isinstance(value, str) else ""
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def clean(raw: dict) -> tuple[dict, dict[str, str]]:
    """Checked values of a resource, and the French error of each bad field."""
    errors: dict[str, str] = {}
    values: dict = {}
    kind = (raw.get("kind") or "").strip()
    if not kind:
        errors["kind"] = "Choisissez le type de ressource."
    elif kind not in KINDS:
        errors["kind"] = "Ce type de ressource n'existe pas : choisissez-en un dans la liste."
    elif kind in WORKFLOW_KINDS:
        errors["kind"] = PRACTICE_LOCKED
    values["kind"] = kind
    for name, maximum, empty in (
        ("title", TITLE_MAX, "Saisissez un titre."),
        ("summary", SUMMARY_MAX, "Saisissez un résumé de quelques lignes."),
        ("body", BODY_MAX, None),
    ):
        text = (raw.get(name) or "").strip()
        if not text and empty:
            errors[name] = empty
        elif len(text) > maximum:
            label = {"title": "Le titre", "summary": "Le résumé", "body": "Le texte"}[name]
            errors[name] = f"{label} doit faire {maximum:_} caractères au plus.".replace("_", " ")
        values[name] = text
    themes = raw.get("themes") or []
    if isinstance(themes, str):
        themes = [themes]
    unknown = [t for t in themes if t not in THEMES]
    if unknown:
        errors["themes"] = f"Thème inconnu : « {str(unknown[0])[:40]} ». Choisissez les thèmes " \
            "dans la liste."
    values["themes"] = [t for t in THEMES if t in themes]
    audience = (raw.get("audience") or "tous").strip()
    if audience not in AUDIENCES:
        errors["audience"] = "Ce public n'existe pas : choisissez-en un dans la liste."
    values["audience"] = audience
    day_text = raw.get("published_on")
    if not day_text:
        errors["published_on"] = "Saisissez la date de la ressource (jj/mm/aaaa)."
    else:
        day = parse_day(day_text)
        if day is None or not (1900 <= day.year <= 2200):
            errors["published_on"] = ("La date doit être une date réelle au format jj/mm/aaaa, "
                                      "par exemple 12/09/2025.")
        values["published_on"] = day
    tool = (raw.get("tool") or "").strip() or None
    if tool is not None and tool not in TOOLS:
        errors["tool"] = "Cet outil n'existe pas : choisissez-en un dans la liste."
    elif tool is not None and kind != "fiche-outil" and "kind" not in errors:
        errors["tool"] = "Seule une fiche outil peut ouvrir un outil de l'espace employeur."
    values["tool"] = tool
    return values, errors


def _apply(resource: Resource, values: dict) -> None:
    for name, value in values.items():
        setattr(resource, name, value)
    resource.search_vector = search.vector(values["title"], values["summary"],
                                           values["themes"], values["body"])


def create(values: dict, *, by_user_id: int) -> Resource:
    resource = Resource(status="brouillon", author_id=by_user_id, version=1)
    _apply(resource, values)
    db.session.add(resource)
    db.session.flush()
    return resource


def check_version(resource: Resource, version) -> None:
    if not isinstance(version, int) or isinstance(version, bool) or version != resource.version:
        raise Stale(resource.version)


def _touch(resource: Resource) -> None:
    resource.version += 1
    resource.updated_at = datetime.now(UTC)


def update(resource: Resource, values: dict, *, version) -> Resource:
    """Change a resource locked by ``find_visible(..., lock=True)``, made on ``version``."""
    check_version(resource, version)
    _apply(resource, values)
    _touch(resource)
    return resource


def set_status(resource: Resource, status: str, *, version) -> Resource:
    check_version(resource, version)
    if resource.status != status:
        resource.status = status
        _touch(resource)
    return resource


def as_form_data(resource: Resource) -> dict:
    return {"kind": resource.kind, "title": resource.title, "summary": resource.summary,
            "body": resource.body, "themes": list(resource.themes),
            "audience": resource.audience,
            "published_on": resource.published_on.strftime("%d/%m/%Y"),
            "tool": resource.tool or ""}


# --- attachments ---------------------------------------------------------------------------

def max_upload() -> int:
    return int(current_app.config["LIBRARY_MAX_UPLOAD_BYTES"])


def add_attachment(resource: Resource, filename: str, data: bytes, *,
                   by_user_id: int) -> Attachment:
    """Check, store and record one file, and commit; nothing is kept when it is refused."""
    if len(data) > max_upload():
        raise TooLarge()
    kind = files.check(data)
    key, digest = files.store(data)
    attachment = Attachment(resource_id=resource.id, storage_key=key,
                            filename=files.safe_filename(filename, kind),
                            media_type=kind.media_type, size=len(data), sha256=digest,
                            created_by=by_user_id)
    try:
        db.session.add(attachment)
        db.session.commit()
    except Exception:
        db.session.rollback()
        files.remove(key)
        raise
    return attachment


def remove_attachment(attachment: Attachment) -> None:
    key = attachment.storage_key
    db.session.delete(attachment)
    db.session.commit()
    files.remove(key)


def find_attachment(resource: Resource, attachment_id: int) -> Attachment | None:
    return db.session.execute(
        sa.select(Attachment).where(Attachment.id == attachment_id,
                                    Attachment.resource_id == resource.id)
    ).scalar_one_or_none()


def size_label(size: int) -> str:
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} ko"
    return f"{size / (1024 * 1024):.1f} Mo".replace(".", ",")


# --- interactive tool sheets ----------------------------------------------------------------

def referent_spaces(user) -> list[dict]:
    """Active employer spaces where the person is référent (slug, name)."""
    from server.auth.models import Membership
    from tenants.registry import Tenant

    rows = db.session.execute(
        sa.select(Tenant.slug, Tenant.name).join(Membership, Membership.tenant_id == Tenant.id)
        .where(Membership.user_id == user.id, Membership.role == "referent",
               Tenant.status == "active").order_by(Tenant.name)).all()
    return [{"slug": r.slug, "name": r.name} for r in rows]


def start_copy(resource: Resource, slug: str, user) -> tuple[str, str, int | None]:
    """Open the tool of ``resource`` in the employer space ``slug``.

    Returns (space name, tool, number of the sheet's latest version or None when it is still
    empty). Nothing is overwritten: an existing sheet is kept as it is."""
    if resource.tool is None:
        raise CopyRefused("Cette fiche outil n'ouvre pas d'outil de l'espace employeur.")
    spaces = {s["slug"]: s["name"] for s in referent_spaces(user)}
    if not slug:
        raise CopyRefused("Choisissez l'espace employeur où démarrer votre fiche.")
    if slug not in spaces:
        raise CopyRefused("Vous n'êtes pas référent ou référente de cet espace employeur : "
                          "choisissez l'un des vôtres.")
    from server.programme import framing
    from tenants import tenant_context

    with tenant_context(slug):
        latest = framing.latest_version()
        number = latest.number if latest else None
    return spaces[slug], resource.tool, number
