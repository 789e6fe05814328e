"""Reading an audit log: filters from the query string, one page of entries with the actors'
names, and the CSV export. The same code serves the employer's log and the network's."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from server.clock import PARIS
from server.audit.labels import action_label, object_label, object_labels, ACTIONS
from server.auth.models import User
from server.extensions import db

PER_PAGE = 50
#: Most rows one CSV export holds; a longer period must be exported in parts.
MAX_EXPORT_ROWS = 50_000
#: Label of an actor whose account no longer exists (or a job, or an anonymous visitor).
NOBODY = "Personne connectée inconnue"
SYSTEM = "Le système ou une personne non connectée"


@dataclass
class Filters:
    start: date | None = None
    end: date | None = None
    actor_id: int | None = None
    action: str = ""
    object_type: str = ""
    page: int = 1
    #: Raw values to show again in the form (and to carry in links).
    raw: dict[str, str] = field(default_factory=dict)

    def query_args(self) -> dict[str, str]:
        """The filters as query-string arguments (no page): for links and the CSV export."""
        return {key: value for key, value in self.raw.items() if value and key != "page"}


def _parse_day(text: str) -> date | None:
    try:
        return datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError:
        return None


def parse_filters(args, model) -> tuple[Filters, dict[str, str]]:
    """Filters from ``args`` (``du``, ``au`` as jj/mm/aaaa, ``personne``, ``action``,
    ``objet``, ``page``) and French errors by field; on error the log is shown unfiltered."""
    raw = {key: (args.get(key) or "").strip()
           for key in ("du", "au", "personne", "action", "objet", "page")}
    errors: dict[str, str] = {}
    f = Filters(raw=raw)
    for key, label in (("du", "de début"), ("au", "de fin")):
        if raw[key]:
            day = _parse_day(raw[key])
            if day is None:
                errors[key] = (f"La date {label} doit être une date réelle au format jj/mm/aaaa, "
                               "par exemple 03/03/2026.")
            setattr(f, "start" if key == "du" else "end", day)
    if f.start and f.end and f.end < f.start:
        errors["au"] = "La date de fin doit être égale ou postérieure à la date de début."
    if raw["personne"]:
        if raw["personne"].isdigit() and int(raw["personne"]) in actors(model):
            f.actor_id = int(raw["personne"])
        else:
            errors["personne"] = "Choisissez une personne dans la liste."
    if raw["action"]:
        if raw["action"] in action_choices(model):
            f.action = raw["action"]
        else:
            errors["action"] = "Choisissez une action dans la liste."
    if raw["objet"]:
        if raw["objet"] in object_choices(model):
            f.object_type = raw["objet"]
        else:
            errors["objet"] = "Choisissez un type de donnée dans la liste."
    if raw["page"]:
        if raw["page"].isdigit() and 1 <= int(raw["page"]) <= 100_000:
            f.page = int(raw["page"])
        else:
            errors["page"] = "Le numéro de page doit être un nombre entier positif."
    if errors:
        return Filters(raw=raw), errors
    return f, {}


def _distinct(column) -> list:
    return list(db.session.execute(sa.select(column).distinct()).scalars())


def actors(model) -> dict[int, str]:
    """``{account id: name}`` of everyone who appears in the log, sorted by name."""
    ids = [i for i in _distinct(model.actor_id) if i is not None]
    return dict(sorted(names_of(ids).items(), key=lambda item: item[1].casefold()))


def names_of(ids) -> dict[int, str]:
    """Names at the time of reading (the log keeps ids only: an erased person stays erased)."""
    ids = set(ids)
    found = dict(db.session.execute(
        sa.select(User.id, User.display_name).where(User.id.in_(ids))).all()) if ids else {}
    return {i: found.get(i, f"{NOBODY} (n° {i})") for i in ids}


def action_choices(model) -> dict[str, str]:
    codes = _distinct(model.action)
    pairs = {code: action_label(code) for code in codes}
    # Known actions first in their reading order, then the others by label.
    order = list(ACTIONS)
    return dict(sorted(pairs.items(), key=lambda item: (
        order.index(item[0]) if item[0] in order else len(order), item[1].casefold())))


def object_choices(model) -> dict[str, str]:
    return object_labels(_distinct(model.object_type))


def _bounds(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=PARIS)


def statement(model, f: Filters) -> sa.Select:
    stmt = sa.select(model)
    if f.start:
        stmt = stmt.where(model.at >= _bounds(f.start))
    if f.end:
        stmt = stmt.where(model.at < _bounds(f.end + timedelta(days=1)))
    if f.actor_id is not None:
        stmt = stmt.where(model.actor_id == f.actor_id)
    if f.action:
        stmt = stmt.where(model.action == f.action)
    if f.object_type:
        stmt = stmt.where(model.object_type == f.object_type)
    return stmt.order_by(model.id.desc())


@dataclass
class Row:
    """One entry, ready to show."""
    id: int
    at: datetime
    actor: str
    action: str
    object: str
    object_id: str | None
    detail: str
    request_id: str | None
    ip: str | None


def _detail_text(detail: dict) -> str:
    return ", ".join(f"{key} : {_value_text(value)}" for key, value in sorted(detail.items()))


def _value_text(value) -> str:
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, list):
        return " / ".join(_value_text(v) for v in value)
    return "—" if value is None else str(value)


def rows_of(events) -> list[Row]:
    names = names_of(e.actor_id for e in events if e.actor_id is not None)
    return [Row(id=e.id, at=e.at, actor=names[e.actor_id] if e.actor_id is not None else SYSTEM,
                action=action_label(e.action), object=object_label(e.object_type),
                object_id=e.object_id, detail=_detail_text(e.detail or {}),
                request_id=e.request_id, ip=e.ip)
            for e in events]


def page_of(model, f: Filters) -> tuple[list[Row], int, int]:
    """One page of entries, the number of entries and of pages."""
    stmt = statement(model, f)
    total = db.session.execute(
        sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    pages = max(1, -(-total // PER_PAGE))
    events = db.session.execute(
        stmt.limit(PER_PAGE).offset((min(f.page, pages) - 1) * PER_PAGE)).scalars().all()
    return rows_of(events), total, pages


def _cell(value) -> str:
    """A cell a spreadsheet will not run as a formula (names are typed by people)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(model, f: Filters) -> tuple[bytes, int]:
    """The filtered entries, oldest first, as French Excel opens them (UTF-8 with a BOM,
    semicolons); and how many rows it holds."""
    events = db.session.execute(
        statement(model, f).order_by(None).order_by(model.id).limit(MAX_EXPORT_ROWS)
    ).scalars().all()
    out = io.StringIO()
    w = csv.writer(out, delimiter=";", lineterminator="\r\n")
    w.writerow(["N°", "Date et heure (Europe/Paris)", "Personne", "Action", "Type de donnée",
                "Identifiant", "Détails", "Requête", "Réseau d'origine"])
    for row in rows_of(events):
        w.writerow([row.id, row.at.astimezone(PARIS).strftime("%d/%m/%Y %H:%M:%S"),
                    _cell(row.actor), row.action, _cell(row.object), _cell(row.object_id),
                    _cell(row.detail), _cell(row.request_id), _cell(row.ip)])
    return ("\ufeff" + out.getvalue()).encode("utf-8"), len(events)
