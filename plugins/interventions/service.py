"""What the pages and the API both do. Each function leaves the commit to its caller; a refused
action raises ``Refused`` before writing anything."""
from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from flask import g
from flask_login import current_user

from plugins.base import PARIS, Refused, Profile, db, record
from plugins.interventions.models import KINDS, OUTCOMES, Intervention
from server import signals

NAME = "interventions"




def invalid(errors: dict) -> Refused:
    return Refused(422, "validation_error", "Certaines données sont invalides.",
                   "Some fields are invalid.", details=errors)


def now() -> datetime:
    return datetime.now(UTC)


def my_profile() -> Profile | None:
    if "interventions_profile" not in g:
        g.interventions_profile = db.session.execute(
            sa.select(Profile).where(Profile.user_id == current_user.id)).scalar_one_or_none()
    return g.interventions_profile


def roles() -> frozenset[str]:
    return g.get("employer_roles", frozenset())


def is_referent() -> bool:
    return "referent" in roles()


def helper_choices() -> dict[int, str]:
    """People who can be asked (active programme profiles), by id."""
    rows = db.session.execute(sa.select(Profile.id, Profile.display_name)
                              .where(Profile.status == "active")
                              .order_by(Profile.display_name)).all()
    return {r.id: r.display_name for r in rows}


def names(ids) -> dict[int, str]:
    ids = set(ids)
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(Profile.id, Profile.display_name)
                                   .where(Profile.id.in_(ids))).all())


def _int(value, field, errors, low, high, message):
    if value is None or value == "":
        errors[field] = [message]
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors[field] = [message]
        return None
    if isinstance(value, bool) or not (low <= number <= high):
        errors[field] = [message]
        return None
    return number


def parse_start(value) -> datetime | None:
    """« 2026-03-03T14:00 » (Paris time) or an ISO date-time with offset."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=PARIS)
    return parsed


def validate_request(raw: dict) -> tuple[dict, dict]:
    errors: dict = {}
    cleaned: dict = {}
    kind = raw.get("kind")
    if kind not in KINDS:
        errors["kind"] = [("Choisissez le type d'intervention : sensibilisation ou comité de "
                          "maintien dans l'emploi.")]
    cleaned["kind"] = kind
    title = (raw.get("title") or "").strip() if isinstance(raw.get("title"), str) else ""
    if not title:
        errors["title"] = ["Saisissez l'objet de l'intervention."]
    elif len(title) > 160:
        errors["title"] = ["L'objet ne doit pas dépasser 160 caractères."]
    cleaned["title"] = title
    start = parse_start(raw.get("starts_at"))
    if start is None:
        errors["starts_at"] = ["Saisissez la date et l'heure, par exemple 2026-03-03 14:00."]
    elif start < now():
        errors["starts_at"] = ["La date de l'intervention doit être à venir."]
    cleaned["starts_at"] = start
    cleaned["planned_minutes"] = _int(
        raw.get("planned_minutes"), "planned_minutes", errors, 15, 600,
        "Indiquez la durée prévue en minutes, entre 15 et 600.")
    location = raw.get("location") or ""
    if not isinstance(location, str) or len(location.strip()) > 160:
        errors["location"] = ["Le lieu ne doit pas dépasser 160 caractères."]
        location = ""
    cleaned["location"] = location.strip() or None
    helper = _int(raw.get("helper_id"), "helper_id", errors, 1, 2**31 - 1,
                  "Choisissez le pair-aidant ou la pair-aidante sollicitée.")
    if helper is not None and helper not in helper_choices():
        errors["helper_id"] = ["Cette personne ne participe pas au programme de cet espace."]
    cleaned["helper_id"] = helper
    return cleaned, errors


def validate_report(raw: dict) -> tuple[dict, dict]:
    errors: dict = {}
    cleaned = {
        "audience_size": _int(raw.get("audience_size"), "audience_size", errors, 0, 10000,
                              "Indiquez le nombre de participants, entre 0 et 10 000."),
        "minutes_spent": _int(raw.get("minutes_spent"), "minutes_spent", errors, 1, 1440,
                              "Indiquez le temps passé en minutes, entre 1 et 1 440 "
                              "(préparation comprise)."),
    }
    outcome = raw.get("outcome")
    if outcome not in OUTCOMES:
        errors["outcome"] = ["Choisissez le résultat de l'intervention."]
    cleaned["outcome"] = outcome
    return cleaned, errors


def visible() -> sa.Select:
    """Interventions the current person may see: all for a référent, their own otherwise."""
    query = sa.select(Intervention).order_by(Intervention.starts_at.desc(), Intervention.id)
    if not is_referent():
        me = my_profile()
        query = query.where(Intervention.helper_id == (me.id if me else -1))
    return query


def get(intervention_id: int) -> Intervention:
    """The intervention if the person may see it; 404 otherwise (as for another employer)."""
    item = db.session.get(Intervention, intervention_id)
    me = my_profile()
    if item is None or not (is_referent() or (me is not None and item.helper_id == me.id)):
        raise Refused(404, "not_found", "Intervention introuvable.", "Intervention not found.")
    return item


def _check_version(item: Intervention, expected) -> None:
    if expected is not None and expected != item.version:
        raise Refused(409, "stale_version",
                      "Une autre personne a modifié cette intervention pendant que vous la "
                      "consultiez. Rien n'a été enregistré : voici la version actuelle.",
                      "Someone else changed this intervention. Nothing was saved.")


def ask(cleaned: dict) -> Intervention:
    me = my_profile()
    item = Intervention(**cleaned, requested_by=me.id if me else None, status="requested")
    db.session.add(item)
    db.session.flush()
    record("request", "intervention", item.id, kind=item.kind)
    return item


def answer(item: Intervention, accept: bool, expected_version=None) -> Intervention:
    me = my_profile()
    if me is None or item.helper_id != me.id:
        raise Refused(403, "not_the_helper",
                      "Seule la personne sollicitée peut répondre à cette demande.",
                      "Only the requested peer helper may answer.")
    _check_version(item, expected_version)
    if item.status != "requested":
        raise Refused(409, "already_answered", "Cette demande a déjà reçu une réponse.",
                      "This request was already answered.")
    item.status = "accepted" if accept else "declined"
    item.answered_at = now()
    item.version += 1
    record("answer", "intervention", item.id, status=item.status)
    return item


def report(item: Intervention, cleaned: dict, expected_version=None) -> Intervention:
    me = my_profile()
    if not (is_referent() or (me is not None and item.helper_id == me.id)):
        raise Refused(403, "not_allowed", "Vous ne pouvez pas faire le bilan de cette "
                      "intervention.", "You may not report on this intervention.")
    _check_version(item, expected_version)
    if item.status != "accepted":
        raise Refused(409, "not_accepted",
                      "Seule une intervention acceptée, et pas encore réalisée, peut recevoir "
                      "son bilan.", "Only an accepted intervention can be reported.")
    if item.starts_at > now():
        raise Refused(409, "not_yet_held",
                      "Le bilan se fait après l'intervention : sa date n'est pas encore passée.",
                      "The intervention has not taken place yet.")
    item.audience_size = cleaned["audience_size"]
    item.minutes_spent = cleaned["minutes_spent"]
    item.outcome = cleaned["outcome"]
    item.status = "held"
    item.reported_at = now()
    item.version += 1
    record("report", "intervention", item.id, minutes=item.minutes_spent)
    # The activity took place; no participants: the satisfaction survey after a session asks
    # the people who took part in it as members of the programme, and an intervention's
    # audience is not enrolled, while the pair-aidant ran it (docs/plugins.md). The mission
    # sheet reads the time spent through ``Interventions.time_spent``.
    signals.session_held.send(NAME, kind=item.kind, held_at=item.starts_at,
                              minutes=item.minutes_spent, participants=())
    return item


def cancel(item: Intervention, expected_version=None) -> Intervention:
    if not is_referent():
        raise Refused(403, "not_referent", "Seul un référent peut annuler une intervention.",
                      "Only a référent may cancel an intervention.")
    _check_version(item, expected_version)
    if item.status not in ("requested", "accepted"):
        raise Refused(409, "not_cancellable",
                      "Une intervention réalisée, refusée ou déjà annulée ne peut plus être "
                      "annulée.", "This intervention can no longer be cancelled.")
    item.status = "cancelled"
    item.version += 1
    record("cancel", "intervention", item.id)
    return item
