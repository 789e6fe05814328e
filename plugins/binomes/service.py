"""What the pages and the API both do: profiles, matching runs, the life of a binôme, meetings.

Each function changes the session and leaves the commit to its caller; a refused action raises
``Refused`` (a French message and a code) before writing anything, so that the caller's
rollback leaves the previous state intact."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

import sqlalchemy as sa
from flask import g
from flask_login import current_user

from plugins.base import Refused, Profile, db, record, record_access, settings_of, today
from server import signals
from plugins.binomes import matching
from plugins.binomes.models import (CLOSE_REASONS, ONGOING, TRANSITIONS, Binome, BinomeEvent,
                                    HelperProfile, MatchingRun, Meeting, MeetingNote, Proposal,
                                    SeekerProfile)

NAME = "binomes"

#: Availability slots offered in the forms (codes understood by the matching engine).
DAYS = (("lundi", "Lundi"), ("mardi", "Mardi"), ("mercredi", "Mercredi"), ("jeudi", "Jeudi"),
        ("vendredi", "Vendredi"))
PERIODS = (("matin", "matin"), ("apres-midi", "après-midi"))
SLOTS = tuple((f"{d}-{p}", f"{dl} {pl}") for d, dl in DAYS for p, pl in PERIODS)
SLOT_CODES = frozenset(code for code, _ in SLOTS)
NOTE_MAX = 5000




STALE = ("Une autre personne a modifié cet élément pendant que vous le consultiez. "
         "Rien n'a été enregistré : voici la version actuelle.",
         "Someone else changed this item since you opened it. Nothing was saved.")


def stale() -> Refused:
    return Refused(409, "stale_version", *STALE)


def now() -> datetime:
    return datetime.now(timezone.utc)


def settings() -> dict:
    return settings_of(NAME)


# --- who is who -------------------------------------------------------------------------------

def my_profile() -> Profile | None:
    """The current person's programme profile in this employer."""
    if "binomes_profile" not in g:
        g.binomes_profile = db.session.execute(
            sa.select(Profile).where(Profile.user_id == current_user.id)).scalar_one_or_none()
    return g.binomes_profile


def roles() -> frozenset[str]:
    return g.get("employer_roles", frozenset())


def is_referent() -> bool:
    return "referent" in roles()


def names(ids) -> dict[int, str]:
    ids = set(ids)
    if not ids:
        return {}
    rows = db.session.execute(sa.select(Profile.id, Profile.display_name)
                              .where(Profile.id.in_(ids))).all()
    return {r.id: r.display_name for r in rows}


# --- profiles -------------------------------------------------------------------------------

@dataclass
class ProfileData:
    """Validated values of a profile form or API body."""
    values: dict


def _clean_text(value, limit=120) -> str | None:
    value = (value or "").strip()
    return value[:limit] or None


def validate_helper(data: dict) -> tuple[dict, dict]:
    """(values, errors by field) for a pair-aidant profile."""
    errors: dict[str, str] = {}
    allowed = set(settings()["experiences"])
    experiences = [e for e in dict.fromkeys(data.get("experiences") or [])]
    if not experiences:
        errors["experiences"] = "Cochez au moins une expérience que vous pouvez partager."
    elif not set(experiences) <= allowed:
        errors["experiences"] = "Choisissez les expériences dans la liste proposée."
    availability = list(dict.fromkeys(data.get("availability") or []))
    if not availability:
        errors["availability"] = "Cochez au moins un créneau où vous êtes disponible."
    elif not set(availability) <= SLOT_CODES:
        errors["availability"] = "Choisissez les créneaux dans la liste proposée."
    capacity = data.get("capacity")
    try:
        capacity = int(capacity)
        if not 1 <= capacity <= 10:
            raise ValueError
    except (TypeError, ValueError):
        errors["capacity"] = "Saisissez un nombre de binômes entre 1 et 10."
    site, department = data.get("site"), data.get("department")
    for field, value in (("site", site), ("department", department)):
        if value is not None and not isinstance(value, str):
            errors[field] = "Saisissez un texte."
        elif value and len(value.strip()) > 120:
            errors[field] = "Saisissez 120 caractères au plus."
    if errors:
        return {}, errors
    return {"experiences": experiences, "availability": availability, "capacity": capacity,
            "site": _clean_text(site), "department": _clean_text(department),
            "paused": bool(data.get("paused"))}, {}


def validate_seeker(data: dict) -> tuple[dict, dict]:
    errors: dict[str, str] = {}
    allowed = set(settings()["experiences"])
    looking_for = list(dict.fromkeys(data.get("looking_for") or []))
    if not looking_for:
        errors["looking_for"] = "Cochez au moins une expérience que vous aimeriez partager."
    elif not set(looking_for) <= allowed:
        errors["looking_for"] = "Choisissez les expériences dans la liste proposée."
    availability = list(dict.fromkeys(data.get("availability") or []))
    if not availability:
        errors["availability"] = "Cochez au moins un créneau où vous êtes disponible."
    elif not set(availability) <= SLOT_CODES:
        errors["availability"] = "Choisissez les créneaux dans la liste proposée."
    excluded = data.get("excluded_helpers") or []
    try:
        excluded = sorted({int(x) for x in excluded})
    except (TypeError, ValueError):
        excluded = None
    if excluded is None or not set(excluded) <= set(helper_choices()):
        errors["excluded_helpers"] = "Choisissez les personnes dans la liste proposée."
    site, department = data.get("site"), data.get("department")
    for field, value in (("site", site), ("department", department)):
        if value is not None and not isinstance(value, str):
            errors[field] = "Saisissez un texte."
        elif value and len(value.strip()) > 120:
            errors[field] = "Saisissez 120 caractères au plus."
    if errors:
        return {}, errors
    return {"looking_for": looking_for, "availability": availability,
            "site": _clean_text(site), "department": _clean_text(department),
            "exclude_same_department": bool(data.get("exclude_same_department")),
            "excluded_helpers": excluded}, {}


def helper_choices() -> dict[int, str]:
    """Pair-aidants a pair-aidé may exclude (those who declared a profile), by name."""
    rows = db.session.execute(
        sa.select(Profile.id, Profile.display_name)
        .join(HelperProfile, HelperProfile.profile_id == Profile.id)
        .order_by(Profile.display_name)).all()
    me = my_profile()
    return {r.id: r.display_name for r in rows if me is None or r.id != me.id}


def save_profile(model, profile_id: int, values: dict, expected_version: int | None):
    """Create or update the profile of ``profile_id``, which must be the current person's."""
    me = my_profile()
    if me is None or me.id != profile_id:
        raise Refused(403, "not_profile_owner",
                      "Seule la personne concernée peut modifier son profil.",
                      "Only the person concerned may change this profile.")
    row = db.session.get(model, profile_id, with_for_update=True)
    current = row.version if row is not None else 0
    if expected_version is not None and expected_version != current:
        raise stale()
    if row is None:
        row = model(profile_id=profile_id, version=0)
        db.session.add(row)
    for key, value in values.items():
        setattr(row, key, value)
    row.version = current + 1
    record("update", model.__tablename__, profile_id)
    return row


# --- matching -------------------------------------------------------------------------------

def ongoing_counts() -> tuple[dict[int, int], set[int]]:
    """(ongoing binômes per pair-aidant, pair-aidés in an ongoing binôme)."""
    rows = db.session.execute(sa.select(Binome.helper_id, Binome.seeker_id)
                              .where(Binome.status.in_(ONGOING))).all()
    per_helper: dict[int, int] = {}
    for r in rows:
        per_helper[r.helper_id] = per_helper.get(r.helper_id, 0) + 1
    return per_helper, {r.seeker_id for r in rows}


def weights_from(conf: dict) -> matching.Weights:
    return matching.Weights(experience=conf["weight_experience"], site=conf["weight_site"],
                            availability=conf["weight_availability"],
                            max_common_slots=conf["max_common_slots"])


def pool() -> tuple[list[matching.Helper], list[matching.Seeker]]:
    """Who can be matched now: pair-aidants with room and not on pause, pair-aidés without an
    ongoing binôme; a pair that one side declined is not proposed again."""
    per_helper, busy = ongoing_counts()
    active_people = sa.select(Profile.id).where(Profile.status == "active")
    helpers = []
    for h in db.session.execute(sa.select(HelperProfile).where(
            HelperProfile.profile_id.in_(active_people), HelperProfile.paused.is_(False))
            ).scalars():
        room = h.capacity - per_helper.get(h.profile_id, 0)
        if room > 0:
            helpers.append(matching.Helper(
                id=h.profile_id, capacity=room, experiences=frozenset(h.experiences),
                site=h.site, availability=frozenset(h.availability), department=h.department))
    declined: dict[int, set[int]] = {}
    for r in db.session.execute(sa.select(Binome.helper_id, Binome.seeker_id)
                                .where(Binome.status == "declined")):
        declined.setdefault(r.seeker_id, set()).add(r.helper_id)
    seekers = []
    for s in db.session.execute(sa.select(SeekerProfile).where(
            SeekerProfile.profile_id.in_(active_people))).scalars():
        if s.profile_id in busy:
            continue
        seekers.append(matching.Seeker(
            id=s.profile_id, looking_for=frozenset(s.looking_for), site=s.site,
            availability=frozenset(s.availability), department=s.department,
            exclude_same_department=s.exclude_same_department,
            excluded_helpers=frozenset(s.excluded_helpers) | declined.get(s.profile_id, set())))
    return helpers, seekers


def run_matching() -> MatchingRun:
    """Compute proposals for everyone in the pool and keep them as a draft run."""
    conf = settings()
    helpers, seekers = pool()
    if not helpers and not seekers:
        raise Refused(422, "nobody_to_match",
                      "Personne à apparier : aucun pair-aidant disponible et aucun pair-aidé "
                      "en attente. Invitez les personnes à remplir leur profil.",
                      "Nobody to match: no available peer helper and no waiting peer.")
    if not helpers:
        raise Refused(422, "no_helper",
                      "Aucun pair-aidant n'est disponible (profil rempli, pas en pause, avec une "
                      "place libre). Aucun appariement n'a été calculé.",
                      "No peer helper is available.")
    if not seekers:
        raise Refused(422, "no_seeker",
                      "Aucun pair-aidé n'attend de binôme. Aucun appariement n'a été calculé.",
                      "No peer is waiting for a pair.")
    weights = weights_from(conf)
    proposals = matching.match(helpers, seekers, weights)
    if not proposals:
        reasons: dict[str, int] = {}
        for s in seekers:
            for h in helpers:
                why = matching.compatible(h, s) or "Aucun point commun (score nul)."
                reasons[why] = reasons.get(why, 0) + 1
        raise Refused(422, "no_possible_pair",
                      "Aucun binôme n'est possible avec les contraintes actuelles "
                      "(disponibilités, exclusions, places). Aucun appariement n'a été calculé.",
                      "No pair satisfies the current constraints.",
                      details={"reasons": reasons})
    run = MatchingRun(status="draft", created_by=current_user.id, version=1,
                      weights={"experience": weights.experience, "site": weights.site,
                               "availability": weights.availability,
                               "max_common_slots": weights.max_common_slots})
    db.session.add(run)
    db.session.flush()
    for p in proposals:
        db.session.add(Proposal(run_id=run.id, helper_id=p.helper_id, seeker_id=p.seeker_id,
                                score=p.score,
                                explanation=[[text, points] for text, points in p.explanation]))
    record("create", "binomes_run", run.id, proposals=len(proposals))
    return run


def run_proposals(run_id: int) -> list[Proposal]:
    return db.session.execute(sa.select(Proposal).where(Proposal.run_id == run_id)
                              .order_by(Proposal.score.desc(), Proposal.id)).scalars().all()


def _draft(run_id: int, expected_version: int | None) -> MatchingRun:
    run = db.session.get(MatchingRun, run_id, with_for_update=True)
    if run is None:
        raise Refused(404, "not_found", "Cet appariement n'existe pas.", "No such matching run.")
    if expected_version is None or expected_version != run.version:
        raise stale()
    if run.status != "draft":
        raise Refused(409, "run_not_draft",
                      "Cet appariement est déjà publié ou abandonné : il ne peut plus changer.",
                      "This matching run is no longer a draft.")
    return run


def remove_proposal(run_id: int, proposal_id: int, expected_version: int | None) -> MatchingRun:
    run = _draft(run_id, expected_version)
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.run_id != run.id:
        raise Refused(404, "not_found", "Cette proposition n'existe pas.", "No such proposal.")
    db.session.delete(proposal)
    run.version += 1
    record("remove_proposal", "binomes_run", run.id, proposal=proposal_id)
    return run


def discard_run(run_id: int, expected_version: int | None) -> MatchingRun:
    run = _draft(run_id, expected_version)
    run.status = "discarded"
    run.version += 1
    record("discard", "binomes_run", run.id)
    return run


def publish_run(run_id: int, expected_version: int | None) -> list[Binome]:
    """Turn the run's proposals into proposed binômes, all or none: a proposal that no longer
    fits (someone was paired meanwhile, a place was taken) refuses the whole publication."""
    run = _draft(run_id, expected_version)
    proposals = run_proposals(run.id)
    if not proposals:
        raise Refused(422, "empty_run",
                      "Cet appariement ne contient plus aucune proposition à publier.",
                      "This matching run has no proposal left.")
    helpers, seekers = pool()
    room = {h.id: h.capacity for h in helpers}
    waiting = {s.id for s in seekers}
    who = names({p.helper_id for p in proposals} | {p.seeker_id for p in proposals})
    conflicts = []
    for p in proposals:
        if p.seeker_id not in waiting:
            conflicts.append(f"{who.get(p.seeker_id, '?')} n'est plus en attente de binôme.")
        elif room.get(p.helper_id, 0) <= 0:
            conflicts.append(f"{who.get(p.helper_id, '?')} n'a plus de place disponible.")
        else:
            room[p.helper_id] -= 1
    if conflicts:
        raise Refused(409, "run_outdated",
                      "La situation a changé depuis le calcul : " + " ".join(conflicts)
                      + " Retirez ces propositions ou lancez un nouvel appariement.",
                      "The pool changed since the run was computed.",
                      details={"conflicts": conflicts})
    created = []
    for p in proposals:
        binome = Binome(run_id=run.id, helper_id=p.helper_id, seeker_id=p.seeker_id,
                        score=p.score, status="proposed", version=1)
        db.session.add(binome)
        created.append(binome)
    db.session.flush()
    for binome in created:
        _event(binome, "proposed", actor=None)
    run.status = "published"
    run.published_at = now()
    run.version += 1
    record("publish", "binomes_run", run.id, binomes=len(created))
    return created


# --- the life of a binôme -------------------------------------------------------------------

def _event(binome: Binome, event: str, actor: int | None = None, reason: str | None = None):
    db.session.add(BinomeEvent(binome_id=binome.id, event=event, status=binome.status,
                               actor_id=actor, reason=reason, at=now()))


def side_of(binome: Binome, profile: Profile | None) -> str | None:
    """``helper``, ``seeker`` or None: the person's place in the pair."""
    if profile is None:
        return None
    if profile.id == binome.helper_id:
        return "helper"
    if profile.id == binome.seeker_id:
        return "seeker"
    return None


def visible_binome(binome_id: int, lock: bool = False) -> tuple[Binome, str | None]:
    """The binôme and the person's side; 404 for anybody but its members and the référents."""
    binome = db.session.get(Binome, binome_id, with_for_update=lock)
    side = side_of(binome, my_profile()) if binome is not None else None
    if binome is None or (side is None and not is_referent()):
        raise Refused(404, "not_found", "Ce binôme n'existe pas ou vous n'y avez pas accès.",
                      "No such binôme, or you may not see it.")
    return binome, side


def _transition(binome: Binome, to: str) -> None:
    if to not in TRANSITIONS[binome.status]:
        raise Refused(409, "invalid_transition", TRANSITION_MESSAGES.get(
            (binome.status, to), f"Ce binôme est « {status_label(binome.status)} » : "
                                 "cette action n'est pas possible."),
                      f"A binôme in status {binome.status} cannot become {to}.")
    binome.status = to


def status_label(status: str) -> str:
    from plugins.binomes.models import STATUSES
    return STATUSES.get(status, status)


TRANSITION_MESSAGES = {
    ("proposed", "active"): "Ce binôme n'est pas encore accepté par ses deux membres : il ne "
                            "peut pas démarrer.",
    ("proposed", "closed"): "Ce binôme n'est qu'une proposition : chaque membre peut la "
                            "refuser, mais on ne peut pas la clore.",
    ("closed", "closed"): "Ce binôme est déjà clos.",
    ("closed", "active"): "Ce binôme est clos : il ne peut pas redémarrer.",
    ("declined", "closed"): "Cette proposition a été refusée : il n'y a rien à clore.",
    ("active", "active"): "Ce binôme est déjà actif.",
}


def answer(binome_id: int, accept: bool) -> Binome:
    """A member accepts or declines a proposed binôme (double opt-in). Declining returns both
    people to the matching pool; both accepting makes it accepted."""
    binome, side = visible_binome(binome_id, lock=True)
    me = my_profile()
    if side is None:
        raise Refused(403, "not_a_member",
                      "Seuls les deux membres du binôme peuvent accepter ou refuser.",
                      "Only the two members may answer.")
    if binome.status != "proposed":
        raise Refused(409, "already_answered",
                      f"Ce binôme est « {status_label(binome.status)} » : la réponse n'est "
                      "plus possible.", "This binôme no longer waits for answers.")
    field = f"{side}_answer"
    if getattr(binome, field) != "pending":
        raise Refused(409, "already_answered", "Vous avez déjà répondu à cette proposition.",
                      "You already answered.")
    setattr(binome, field, "accepted" if accept else "declined")
    _event(binome, f"{'accepted' if accept else 'declined'}-by-{side}", actor=me.id)
    if not accept:
        _transition(binome, "declined")
        _event(binome, "declined", actor=me.id)
    elif binome.helper_answer == binome.seeker_answer == "accepted":
        _transition(binome, "accepted")
        binome.accepted_at = now()
        _event(binome, "accepted", actor=me.id)
    binome.version += 1
    return binome


def start(binome_id: int, expected_version: int | None) -> Binome:
    binome, side = visible_binome(binome_id, lock=True)
    if expected_version is None or expected_version != binome.version:
        raise stale()
    _transition(binome, "active")
    binome.started_at = now()
    binome.version += 1
    _event(binome, "active", actor=_actor())
    return binome


def close(binome_id: int, reason: str | None, expected_version: int | None) -> Binome:
    binome, side = visible_binome(binome_id, lock=True)
    if expected_version is None or expected_version != binome.version:
        raise stale()
    if reason not in CLOSE_REASONS:
        raise Refused(422, "reason_required", "Choisissez la raison de la clôture.",
                      "Choose a reason for closing.", field="reason")
    _transition(binome, "closed")
    binome.close_reason = reason
    binome.closed_at = now()
    binome.version += 1
    _event(binome, "closed", actor=_actor(), reason=reason)
    signals.engagement_ended.send("binomes", kind="binome",
                                  participants=(binome.helper_id, binome.seeker_id))
    return binome


def _actor() -> int | None:
    me = my_profile()
    return me.id if me is not None else None


# --- meetings -------------------------------------------------------------------------------

def validate_meeting(data: dict) -> tuple[dict, dict]:
    errors: dict[str, str] = {}
    held_on = data.get("held_on")
    if isinstance(held_on, str):
        try:
            held_on = date.fromisoformat(held_on.strip())
        except ValueError:
            held_on = None
    if not isinstance(held_on, date):
        errors["held_on"] = "Saisissez la date de la rencontre, par exemple 2026-03-03."
    elif held_on > today():
        errors["held_on"] = "La date de la rencontre ne peut pas être dans le futur."
    try:
        duration = int(data.get("duration_minutes"))
        if not 1 <= duration <= 600:
            raise ValueError
    except (TypeError, ValueError):
        errors["duration_minutes"] = "Saisissez une durée en minutes, entre 1 et 600."
        duration = None
    fmt = data.get("format")
    if fmt not in settings()["meeting_formats"]:
        errors["format"] = "Choisissez la forme de la rencontre dans la liste."
    note = data.get("note") or ""
    if not isinstance(note, str):
        errors["note"] = "Saisissez un texte."
    elif len(note) > NOTE_MAX:
        errors["note"] = f"Les notes doivent faire {NOTE_MAX} caractères au plus."
    if errors:
        return {}, errors
    return {"held_on": held_on, "duration_minutes": duration, "format": fmt,
            "note": note.strip()}, {}


def log_meeting(binome_id: int, values: dict) -> Meeting:
    """A member logs a meeting; the first meeting of an accepted binôme makes it active."""
    binome, side = visible_binome(binome_id, lock=True)
    if side is None:
        raise Refused(403, "not_a_member", "Seuls les deux membres du binôme notent leurs "
                      "rencontres.", "Only the two members log meetings.")
    if binome.status in ("closed", "declined"):
        raise Refused(409, "binome_closed",
                      "Ce binôme est clos : on ne peut plus y noter de rencontre.",
                      "This binôme is closed: no meeting can be logged.")
    if binome.status == "proposed":
        raise Refused(409, "binome_not_accepted",
                      "Ce binôme n'est pas encore accepté par ses deux membres : notez la "
                      "rencontre une fois la proposition acceptée.",
                      "This binôme is not accepted yet.")
    me = my_profile()
    meeting = Meeting(binome_id=binome.id, held_on=values["held_on"],
                      duration_minutes=values["duration_minutes"], format=values["format"],
                      logged_by=me.id)
    db.session.add(meeting)
    db.session.flush()
    if values.get("note"):
        db.session.add(MeetingNote(meeting_id=meeting.id, body=values["note"]))
    if binome.status == "accepted":
        _transition(binome, "active")
        binome.started_at = now()
        _event(binome, "active", actor=me.id)
    binome.version += 1
    signals.session_held.send("binomes", kind="meeting", held_at=meeting.held_on,
                              minutes=meeting.duration_minutes,
                              participants=(binome.helper_id, binome.seeker_id))
    return meeting


def meetings_of(binome_id: int) -> list[Meeting]:
    """Meetings without their notes (what a référent may see)."""
    return db.session.execute(sa.select(Meeting).where(Meeting.binome_id == binome_id)
                              .order_by(Meeting.held_on.desc(), Meeting.id.desc())
                              ).scalars().all()


def notes_for_member(binome: Binome, side: str | None) -> dict[int, str]:
    """The pair's private notes, by meeting id: only ever read for one of its two members."""
    if side is None:
        return {}
    rows = db.session.execute(
        sa.select(MeetingNote.meeting_id, MeetingNote.body)
        .join(Meeting, Meeting.id == MeetingNote.meeting_id)
        .where(Meeting.binome_id == binome.id)).all()
    # Who read the pair's notes, and how many: never what they say.
    record_access("read", "binomes_meeting_note", binome.id, count=len(rows))
    return {r.meeting_id: r.body for r in rows}


def history_of(binome_id: int) -> list[BinomeEvent]:
    return db.session.execute(sa.select(BinomeEvent).where(BinomeEvent.binome_id == binome_id)
                              .order_by(BinomeEvent.at, BinomeEvent.id)).scalars().all()


def meeting_stats(binome_ids) -> dict[int, tuple[int, date | None]]:
    """(number of meetings, last meeting date) per binôme — figures a référent may see."""
    ids = list(binome_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Meeting.binome_id, sa.func.count(), sa.func.max(Meeting.held_on))
        .where(Meeting.binome_id.in_(ids)).group_by(Meeting.binome_id)).all()
    return {r[0]: (r[1], r[2]) for r in rows}


def binomes_for_me() -> list[Binome]:
    me = my_profile()
    if me is None:
        return []
    return db.session.execute(sa.select(Binome).where(
        sa.or_(Binome.helper_id == me.id, Binome.seeker_id == me.id))
        .order_by(Binome.created_at.desc(), Binome.id.desc())).scalars().all()


def all_binomes() -> list[Binome]:
    return db.session.execute(sa.select(Binome).order_by(Binome.created_at.desc(),
                                                         Binome.id.desc())).scalars().all()
