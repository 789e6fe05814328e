"""What the pages and the API both do with e-clubs, registrations and questions.

Each function changes the session and leaves the commit to its caller; a refused action raises
``Refused`` (a French message, an English one and an API code) before writing anything. Work
that must follow a commit (scheduling the reminder, e-mails) is registered with
``after_commit`` and runs only if the transaction commits.

Concurrency: registrations and supports are inserted with ``ON CONFLICT DO NOTHING`` against
their primary key, so a double click or two racing requests record one row and the loser is
told why; the e-club row (registrations, cancellation) and the question rows (supports, merge)
are locked so that a cancellation or a merge never interleaves with a registration or a
support."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

import sqlalchemy as sa
from flask import g
from flask_login import current_user
from sqlalchemy.dialects.postgresql import insert

from server.clock import PARIS
from plugins.base import Refused
from server.auth.models import Membership, User
from server.eclubs.models import AgendaItem, EClub, EClubResource, Question, Registration, Support
from server.extensions import db
from tenants.registry import Tenant

#: Network roles that run e-clubs (and moderate questions).
ANIMATION_ROLES = ("animateur", "admin")
STAFF_ROLES = ("animateur", "admin")
MAX_AGENDA_ITEMS = 8
MAX_SPEAKERS = 6
MAX_RESOURCES = 8
MAX_QUESTION = 1000
DATE_RE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")
TIME_RE = re.compile(r"^\s*(\d{1,2})\s*(?::|h)\s*(\d{2})\s*$")


def now() -> datetime:
    return datetime.now(timezone.utc)


def not_found() -> Refused:
    return Refused(404, "not_found", "Cet e-club n'existe pas.", "No such e-club.")


# --- who is who -------------------------------------------------------------------------------

def is_animateur(user=None) -> bool:
    user = user or current_user
    return user.is_authenticated and user.has_network_role(*ANIMATION_ROLES)


def is_member(user=None) -> bool:
    """Network staff, or anyone with a membership of an active employer space."""
    user = user or current_user
    if not user.is_authenticated:
        return False
    cached = g.get("eclubs_member")
    if cached is not None:
        return cached
    member = user.has_network_role(*STAFF_ROLES) or db.session.execute(
        sa.select(sa.literal(True)).select_from(Membership)
        .join(Tenant, Tenant.id == Membership.tenant_id)
        .where(Membership.user_id == user.id, Tenant.status == "active").limit(1)
    ).scalar() is not None
    g.eclubs_member = member
    return member


def not_a_member() -> Refused:
    return Refused(403, "not_a_member",
                   "Les e-clubs sont réservés aux membres des employeurs du réseau.",
                   "E-clubs are for members of the network's employers.")


# --- after commit -----------------------------------------------------------------------------

def after_commit(func, *args) -> None:
    """Run ``func(*args)`` once the current transaction commits (never after a rollback)."""
    session = db.session()
    pending = session.info.get("eclubs_after_commit")
    if pending is None:
        pending = session.info["eclubs_after_commit"] = []
        sa.event.listen(session, "after_commit", _run_pending)
        sa.event.listen(session, "after_soft_rollback", _drop_pending)
    pending.append((func, args))


def _run_pending(session) -> None:
    pending = session.info.get("eclubs_after_commit") or []
    todo, pending[:] = list(pending), []
    for func, args in todo:
        func(*args)


def _drop_pending(session, previous_transaction) -> None:
    if session.info.get("eclubs_after_commit"):
        session.info["eclubs_after_commit"].clear()


# --- reading ----------------------------------------------------------------------------------

def get(eclub_id: int, lock: bool = False, read_lock: bool = False) -> EClub:
    stmt = sa.select(EClub).where(EClub.id == eclub_id)
    if lock or read_lock:
        stmt = stmt.with_for_update(read=read_lock and not lock, of=EClub)
    eclub = db.session.execute(stmt).scalar_one_or_none()
    if eclub is None:
        raise not_found()
    return eclub


def listing(at: datetime | None = None) -> tuple[list[EClub], list[EClub]]:
    """(upcoming or in progress, soonest first; past, latest first)."""
    at = at or now()
    rows = db.session.execute(sa.select(EClub).order_by(EClub.starts_at, EClub.id)).scalars().all()
    upcoming = [e for e in rows if not e.is_past(at)]
    past = [e for e in rows if e.is_past(at)][::-1]
    return upcoming, past


def registered_ids(user_id: int) -> set[int]:
    return set(db.session.execute(sa.select(Registration.eclub_id)
                                  .where(Registration.user_id == user_id)).scalars())


def registration_count(eclub_id: int) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(Registration)
                              .where(Registration.eclub_id == eclub_id)).scalar_one()


def is_registered(eclub_id: int, user_id: int) -> bool:
    return db.session.get(Registration, (eclub_id, user_id)) is not None


# --- validating -------------------------------------------------------------------------------

def parse_local(day_text, time_text) -> tuple[datetime | None, dict[str, str]]:
    """« 03/03/2026 » and « 14:00 » (Europe/Paris) → an aware datetime, or French errors."""
    errors = {}
    day_text = day_text.strip() if isinstance(day_text, str) else ""
    time_text = time_text.strip() if isinstance(time_text, str) else ""
    day = hour = None
    if not day_text:
        errors["date"] = "Saisissez la date de l'e-club, par exemple 03/03/2026."
    else:
        m = DATE_RE.match(day_text)
        try:
            if not m:
                raise ValueError
            day = datetime(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        except ValueError:
            errors["date"] = ("La date doit être une date réelle au format jj/mm/aaaa, "
                              "par exemple 03/03/2026.")
    if not time_text:
        errors["time"] = "Saisissez l'heure de début, par exemple 14:00."
    else:
        m = TIME_RE.match(time_text)
        if m and int(m.group(1)) < 24 and int(m.group(2)) < 60:
            hour = (int(m.group(1)), int(m.group(2)))
        else:
            errors["time"] = "L'heure doit être au format hh:mm, par exemple 14:00."
    if errors:
        return None, errors
    return day.replace(hour=hour[0], minute=hour[1], tzinfo=PARIS), {}


def _text(data: dict, key: str) -> str:
    value = data.get(key)
    return value.strip() if isinstance(value, str) else ""


def check_https(value: str, label: str) -> str | None:
    """A French error for a link that is not https (or too long), else ``None``."""
    if len(value) > 500:
        return f"Le {label} doit faire 500 caractères au plus."
    if not value.lower().startswith("https://") or len(value) <= len("https://") or \
            any(c.isspace() for c in value):
        return f"Le {label} doit commencer par https://, par exemple https://visio.exemple.fr/salle."
    return None


def _check_resources(items, errors: dict, prefix: str) -> list[dict]:
    cleaned = []
    if not isinstance(items, list) or len(items) > MAX_RESOURCES:
        errors[prefix] = f"Indiquez {MAX_RESOURCES} ressources au plus."
        return []
    for i, item in enumerate(items, start=1):
        item = item if isinstance(item, dict) else {}
        label, url = _text(item, "label"), _text(item, "url")
        if not label and not url:
            continue
        if not label:
            errors[f"{prefix}-{i}-label"] = f"Donnez un titre à la ressource {i}."
        elif len(label) > 200:
            errors[f"{prefix}-{i}-label"] = f"Le titre de la ressource {i} doit faire 200 caractères au plus."
        problem = check_https(url, f"lien de la ressource {i}") if url else \
            f"Saisissez le lien de la ressource {i}."
        if problem:
            errors[f"{prefix}-{i}-url"] = problem
        cleaned.append({"label": label, "url": url})
    return cleaned


def validate(data: dict, current: EClub | None = None, at: datetime | None = None
             ) -> tuple[dict, dict[str, str]]:
    """(values, errors by field) of an e-club's form or JSON body.

    ``data``: title, description, date (jj/mm/aaaa) and time (hh:mm) in Europe/Paris — or
    ``starts_at``, an aware datetime —, duration_minutes, video_url, agenda (a list of
    ``{"title", "speakers": [{"name", "role"}]}``), resources (``[{"label", "url"}]``).
    A new start must be in the future; an unchanged one may be past (editing an old e-club)."""
    at = at or now()
    errors: dict[str, str] = {}
    title = _text(data, "title")
    if not title:
        errors["title"] = "Saisissez le titre de l'e-club."
    elif len(title) > 200:
        errors["title"] = "Le titre doit faire 200 caractères au plus."
    description = _text(data, "description")
    if len(description) > 5000:
        errors["description"] = "La présentation doit faire 5000 caractères au plus."
    starts_at = data.get("starts_at")
    if isinstance(starts_at, datetime):
        if starts_at.tzinfo is None:
            starts_at = starts_at.replace(tzinfo=PARIS)
    else:
        starts_at, problems = parse_local(data.get("date"), data.get("time"))
        errors.update(problems)
    if starts_at is not None and starts_at <= at and (
            current is None or starts_at != current.starts_at):
        errors["date"] = "La date et l'heure de l'e-club doivent être dans le futur."
    try:
        duration = int(str(data.get("duration_minutes", "")).strip())
        if not 15 <= duration <= 480:
            raise ValueError
    except ValueError:
        errors["duration_minutes"] = "Saisissez une durée en minutes, entre 15 et 480."
        duration = None
    video = _text(data, "video_url")
    if video:
        problem = check_https(video, "lien de la visioconférence")
        if problem:
            errors["video_url"] = problem
    agenda = []
    items = data.get("agenda") or []
    if not isinstance(items, list) or len(items) > MAX_AGENDA_ITEMS:
        errors["agenda"] = f"L'ordre du jour compte {MAX_AGENDA_ITEMS} points au plus."
        items = []
    for i, item in enumerate(items, start=1):
        item = item if isinstance(item, dict) else {}
        item_title = _text(item, "title")
        speakers = item.get("speakers") or []
        if not isinstance(speakers, list):
            speakers = []
        clean_speakers = []
        for s in speakers:
            s = s if isinstance(s, dict) else {}
            name, role = _text(s, "name"), _text(s, "role")
            if name or role:
                clean_speakers.append({"name": name, "role": role})
        if not item_title and not clean_speakers:
            continue
        if not item_title:
            errors[f"agenda-{i}-title"] = f"Donnez un titre au point {i} de l'ordre du jour."
        elif len(item_title) > 200:
            errors[f"agenda-{i}-title"] = f"Le titre du point {i} doit faire 200 caractères au plus."
        if len(clean_speakers) > MAX_SPEAKERS:
            errors[f"agenda-{i}-speakers"] = f"Indiquez {MAX_SPEAKERS} intervenants au plus par point."
        elif any(not s["name"] or len(s["name"]) > 120 or len(s["role"]) > 200
                 for s in clean_speakers):
            errors[f"agenda-{i}-speakers"] = (
                f"Point {i} : un intervenant par ligne, « Nom, rôle » (le nom est obligatoire, "
                "120 caractères au plus ; le rôle 200 au plus).")
        agenda.append({"title": item_title, "speakers": clean_speakers})
    resources = _check_resources(data.get("resources") or [], errors, "resources")
    if errors:
        return {}, errors
    return {"title": title, "description": description, "starts_at": starts_at,
            "duration_minutes": duration, "video_url": video or None, "agenda": agenda,
            "resources": resources}, {}


def _invalid(errors: dict) -> Refused:
    return Refused(422, "validation_error", next(iter(errors.values())),
                   "Some fields are invalid.", details={"json": errors})


# --- creating, editing, cancelling --------------------------------------------------------------

def _set_agenda(eclub: EClub, agenda: list[dict]) -> None:
    eclub.agenda.clear()
    db.session.flush()
    for position, item in enumerate(agenda, start=1):
        eclub.agenda.append(AgendaItem(position=position, title=item["title"],
                                       speakers=item["speakers"]))


def _set_resources(eclub: EClub, phase: str, resources: list[dict]) -> None:
    kept = [r for r in eclub.resources if r.phase != phase]
    eclub.resources[:] = kept
    db.session.flush()
    position = max((r.position for r in kept), default=0)
    ordered = [r for r in resources]
    for offset, item in enumerate(ordered, start=1):
        eclub.resources.append(EClubResource(position=position + offset, phase=phase,
                                             label=item["label"], url=item["url"]))


def create_eclub(*, title: str, starts_at: datetime, duration_minutes: int = 90,
                 description: str = "", video_url: str | None = None, agenda=(),
                 resources=(), created_by: int | None = None) -> EClub:
    """Create an e-club (flushed, not committed). ``starts_at`` is an aware datetime in the
    future (a naive one is read in Europe/Paris). Raises ``Refused`` (422, per-field
    ``details``) when a value is invalid. After the caller's commit, the reminder of the day
    before is scheduled. This is what the topic polls call to turn a winning topic into an
    e-club."""
    values, errors = validate({"title": title, "starts_at": starts_at,
                               "duration_minutes": duration_minutes,
                               "description": description, "video_url": video_url or "",
                               "agenda": list(agenda), "resources": list(resources)})
    if errors:
        raise _invalid(errors)
    return _create(values, created_by)


def create_from_form(values: dict, created_by: int | None) -> EClub:
    """Create from values already checked by ``validate``."""
    return _create(dict(values), created_by)


def _create(values: dict, created_by: int | None) -> EClub:
    agenda, resources = values.pop("agenda"), values.pop("resources")
    eclub = EClub(status="scheduled", sequence=0, created_by=created_by, **values)
    db.session.add(eclub)
    db.session.flush()
    _set_agenda(eclub, agenda)
    _set_resources(eclub, "before", resources)
    db.session.flush()
    _schedule_reminder_after_commit(eclub)
    return eclub


def _schedule_reminder_after_commit(eclub: EClub) -> None:
    from server.eclubs import jobs

    after_commit(jobs.schedule_reminder, eclub.id, eclub.starts_at, base_url())


def base_url() -> str:
    """The site's address, for links in e-mails sent later by jobs."""
    from flask import has_request_context, request

    return request.url_root if has_request_context() else "http://127.0.0.1:5000/"


def update_eclub(eclub_id: int, values: dict) -> EClub:
    """Apply checked values. A new time bumps the iCalendar sequence, schedules a new reminder
    and tells the registered people (with an updated invitation)."""
    from server.eclubs import jobs

    eclub = get(eclub_id, lock=True)
    if eclub.is_cancelled:
        raise Refused(409, "eclub_cancelled", "Cet e-club est annulé : il ne peut plus changer.",
                      "This e-club is cancelled.")
    moved = values["starts_at"] != eclub.starts_at or \
        values["duration_minutes"] != eclub.duration_minutes
    visible = moved or values["video_url"] != eclub.video_url or values["title"] != eclub.title
    for key in ("title", "description", "starts_at", "duration_minutes", "video_url"):
        setattr(eclub, key, values[key])
    _set_agenda(eclub, values["agenda"])
    _set_resources(eclub, "before", values["resources"])
    eclub.updated_at = now()
    if visible:
        eclub.sequence += 1
    db.session.flush()
    if moved:
        _schedule_reminder_after_commit(eclub)
        after_commit(jobs.enqueue_notice, "moved", eclub.id, base_url())
    return eclub


def cancel_eclub(eclub_id: int) -> EClub:
    """Cancel: registrations are kept (for the record), registered people get an e-mail with
    a cancellation for their calendar, the reminder will not go."""
    from server.eclubs import jobs

    eclub = get(eclub_id, lock=True)
    if eclub.is_cancelled:
        raise Refused(409, "eclub_cancelled", "Cet e-club est déjà annulé.",
                      "This e-club is already cancelled.")
    if eclub.is_past(now()):
        raise Refused(409, "eclub_past", "Cet e-club est terminé : il ne peut plus être annulé.",
                      "This e-club is over.")
    eclub.status = "cancelled"
    eclub.cancelled_at = now()
    eclub.sequence += 1
    eclub.updated_at = now()
    db.session.flush()
    after_commit(jobs.enqueue_notice, "cancelled", eclub.id, base_url())
    return eclub


def validate_after(data: dict) -> tuple[dict, dict[str, str]]:
    """The « Après la séance » part: replay link, a short summary, resources."""
    errors: dict[str, str] = {}
    replay = _text(data, "replay_url")
    if replay:
        problem = check_https(replay, "lien du replay")
        if problem:
            errors["replay_url"] = problem
    summary = _text(data, "summary")
    if len(summary) > 5000:
        errors["summary"] = "Le compte rendu doit faire 5000 caractères au plus."
    resources = _check_resources(data.get("resources") or [], errors, "after")
    if errors:
        return {}, errors
    return {"replay_url": replay or None, "summary": summary, "resources": resources}, {}


def set_after(eclub_id: int, values: dict) -> EClub:
    eclub = get(eclub_id, lock=True)
    if eclub.is_cancelled:
        raise Refused(409, "eclub_cancelled", "Cet e-club a été annulé : il n'a pas de replay.",
                      "This e-club was cancelled.")
    eclub.replay_url = values["replay_url"]
    eclub.summary = values["summary"]
    _set_resources(eclub, "after", values["resources"])
    eclub.updated_at = now()
    db.session.flush()
    return eclub


# --- registrations ----------------------------------------------------------------------------

def register(eclub_id: int, user_id: int) -> None:
    """Register once; the confirmation (with the invitation) is sent after commit."""
    from server.eclubs import jobs

    eclub = get(eclub_id, read_lock=True)
    if eclub.is_cancelled:
        raise Refused(409, "eclub_cancelled",
                      "Cet e-club est annulé : les inscriptions sont fermées.",
                      "This e-club is cancelled.")
    if eclub.is_past(now()):
        raise Refused(409, "eclub_past", "Cet e-club est terminé : les inscriptions sont fermées.",
                      "This e-club is over.")
    inserted = db.session.execute(
        insert(Registration).values(eclub_id=eclub_id, user_id=user_id)
        .on_conflict_do_nothing().returning(Registration.user_id)).scalar_one_or_none()
    if inserted is None:
        raise Refused(409, "already_registered", "Vous êtes déjà inscrit ou inscrite à cet e-club.",
                      "You are already registered to this e-club.")
    after_commit(jobs.enqueue_confirmation, eclub_id, user_id, base_url())


def unregister(eclub_id: int, user_id: int) -> None:
    eclub = get(eclub_id, read_lock=True)
    if eclub.is_past(now()):
        raise Refused(409, "eclub_past", "Cet e-club est terminé : l'inscription ne change plus.",
                      "This e-club is over.")
    deleted = db.session.execute(sa.delete(Registration).where(
        Registration.eclub_id == eclub_id, Registration.user_id == user_id)).rowcount
    if not deleted:
        raise Refused(409, "not_registered", "Vous n'êtes pas inscrit ou inscrite à cet e-club.",
                      "You are not registered to this e-club.")


# --- questions --------------------------------------------------------------------------------

def questions_open(eclub: EClub, at: datetime | None = None) -> bool:
    """Questions are asked and supported from the announcement until the end of the session;
    then they are closed (kept, read-only; the animateur can still moderate)."""
    return not eclub.is_cancelled and not eclub.is_past(at or now())


def _require_open(eclub: EClub) -> None:
    if eclub.is_cancelled:
        raise Refused(409, "eclub_cancelled",
                      "Cet e-club est annulé : les questions sont fermées.",
                      "This e-club is cancelled: questions are closed.")
    if eclub.is_past(now()):
        raise Refused(409, "questions_closed",
                      "Cet e-club est terminé : les questions sont fermées.",
                      "This e-club is over: questions are closed.")


def validate_question(data: dict) -> tuple[dict, dict[str, str]]:
    body = _text(data, "body")
    if not body:
        return {}, {"body": "Saisissez votre question."}
    if len(body) > MAX_QUESTION:
        return {}, {"body": f"La question doit faire {MAX_QUESTION} caractères au plus."}
    anonymous = data.get("anonymous")
    return {"body": body, "anonymous": anonymous in (True, "oui", "on", "1", "true")}, {}


def ask(eclub_id: int, user_id: int, values: dict) -> Question:
    eclub = get(eclub_id, read_lock=True)
    _require_open(eclub)
    question = Question(eclub_id=eclub_id, author_id=user_id, body=values["body"],
                        anonymous=values["anonymous"], status="open")
    db.session.add(question)
    db.session.flush()
    return question


def _question(eclub_id: int, question_id: int, lock: str | None = None) -> Question:
    stmt = sa.select(Question).where(Question.id == question_id, Question.eclub_id == eclub_id)
    if lock:
        stmt = stmt.with_for_update(read=lock == "share")
    question = db.session.execute(stmt).scalar_one_or_none()
    if question is None:
        raise Refused(404, "not_found", "Cette question n'existe pas.", "No such question.")
    return question


def support(eclub_id: int, question_id: int, user_id: int) -> None:
    """One support per person and question (primary key); not one's own question (asking is
    already counted as interest); only open questions of an open e-club."""
    eclub = get(eclub_id, read_lock=True)
    _require_open(eclub)
    question = _question(eclub_id, question_id, lock="share")
    if question.status == "merged":
        raise Refused(409, "question_merged",
                      "Cette question a été regroupée avec une autre : soutenez plutôt celle-ci.",
                      "This question was merged into another one: support that one.")
    if question.status == "answered":
        raise Refused(409, "question_answered", "Cette question a déjà reçu une réponse.",
                      "This question was already answered.")
    if question.author_id == user_id:
        raise Refused(409, "own_question", "Vous ne pouvez pas soutenir votre propre question.",
                      "You cannot support your own question.")
    inserted = db.session.execute(
        insert(Support).values(question_id=question_id, user_id=user_id)
        .on_conflict_do_nothing().returning(Support.user_id)).scalar_one_or_none()
    if inserted is None:
        raise Refused(409, "already_supported", "Vous soutenez déjà cette question.",
                      "You already support this question.")


def mark_answered(eclub_id: int, question_id: int) -> Question:
    get(eclub_id)
    question = _question(eclub_id, question_id, lock="update")
    if question.status != "open":
        raise Refused(409, "not_open", "Cette question est déjà répondue ou regroupée.",
                      "This question is already answered or merged.")
    question.status = "answered"
    question.answered_at = now()
    return question


def merge(eclub_id: int, question_id: int, into_id: int) -> Question:
    """Merge a duplicate into another question of the same e-club: its supporters and its
    author become supporters of the other one, each person counted once (and never on their
    own question); questions merged into the duplicate follow it."""
    get(eclub_id)
    if question_id == into_id:
        raise Refused(422, "merge_into_itself",
                      "Choisissez une autre question que celle à regrouper.",
                      "Choose another question to merge into.", field="into")
    # Both rows locked, in id order, so that two merges cannot deadlock.
    rows = db.session.execute(sa.select(Question).where(
        Question.id.in_([question_id, into_id]), Question.eclub_id == eclub_id)
        .order_by(Question.id).with_for_update()).scalars().all()
    found = {q.id: q for q in rows}
    if question_id not in found:
        raise Refused(404, "not_found", "Cette question n'existe pas.", "No such question.")
    if into_id not in found:
        raise Refused(422, "unknown_target",
                      "Choisissez une question de cet e-club dans la liste.",
                      "Choose a question of this e-club.", field="into")
    source, target = found[question_id], found[into_id]
    if source.status == "merged":
        raise Refused(409, "already_merged", "Cette question est déjà regroupée avec une autre.",
                      "This question is already merged.")
    if target.status == "merged":
        raise Refused(422, "target_merged",
                      "La question choisie est elle-même regroupée : choisissez celle qui la "
                      "regroupe.", "The chosen question is itself merged.", field="into")
    supporters = sa.select(sa.literal(target.id), Support.user_id).where(
        Support.question_id == source.id)
    if target.author_id is not None:
        supporters = supporters.where(Support.user_id != target.author_id)
    if source.author_id is not None and source.author_id != target.author_id:
        supporters = supporters.union(sa.select(sa.literal(target.id),
                                                sa.literal(source.author_id)))
    db.session.execute(insert(Support).from_select(["question_id", "user_id"], supporters)
                       .on_conflict_do_nothing())
    db.session.execute(sa.delete(Support).where(Support.question_id == source.id))
    db.session.execute(sa.update(Question).where(Question.merged_into_id == source.id)
                       .values(merged_into_id=target.id))
    source.status = "merged"
    source.merged_into_id = target.id
    db.session.flush()
    return target


@dataclass
class QuestionView:
    """A question as one person may see it."""

    id: int
    body: str
    status: str
    created_at: datetime
    supports: int
    #: The name shown to this viewer (``None``: hidden).
    author: str | None
    mine: bool
    supported: bool
    anonymous: bool
    merged_into_id: int | None = None
    merged: list = field(default_factory=list)


def questions_for(eclub: EClub, viewer_id: int, moderator: bool) -> list[QuestionView]:
    """The e-club's questions, most supported first, then oldest first. A member sees an
    author's name only if the author chose to show it (or it is their own question); the
    animateur sees every author, to moderate. Merged questions are listed under the question
    that took them in (for the animateur only)."""
    counts = sa.select(Support.question_id, sa.func.count().label("n")).group_by(
        Support.question_id).subquery()
    mine_support = sa.select(Support.question_id).where(Support.user_id == viewer_id)
    rows = db.session.execute(
        sa.select(Question, sa.func.coalesce(counts.c.n, 0), User.display_name,
                  Question.id.in_(mine_support))
        .outerjoin(counts, counts.c.question_id == Question.id)
        .outerjoin(User, User.id == Question.author_id)
        .where(Question.eclub_id == eclub.id)
        .order_by(sa.func.coalesce(counts.c.n, 0).desc(), Question.created_at, Question.id)
    ).all()
    views, merged = [], []
    for q, n, name, supported in rows:
        mine = q.author_id == viewer_id
        shown = name if (moderator or mine or not q.anonymous) else None
        view = QuestionView(id=q.id, body=q.body, status=q.status, created_at=q.created_at,
                            supports=n, author=shown, mine=mine, supported=bool(supported),
                            anonymous=q.anonymous, merged_into_id=q.merged_into_id)
        (merged if q.status == "merged" else views).append(view)
    if moderator:
        by_id = {v.id: v for v in views}
        for m in merged:
            if m.merged_into_id in by_id:
                by_id[m.merged_into_id].merged.append(m)
    return views
