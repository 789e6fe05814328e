"""What topic proposals and polls do, for the pages, the API and the jobs alike.

Refusals are ``plugins.base.Refused`` (one French message, one English, one API code), raised
before anything is written; callers roll back."""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from flask import current_app, g, has_request_context
from sqlalchemy.dialects.postgresql import insert

from server.clock import PARIS
from plugins.base import Refused
from server.auth.models import Membership
from server.extensions import db
from server.polls import counting
from server.polls.models import Poll, PollBallot, PollOption, PollVoter, TopicProposal, TopicSupport
from tenants.registry import Tenant

STAFF_ROLES = ("admin", "animateur")


def now() -> datetime:
    return datetime.now(timezone.utc)


# --- who may do what ---------------------------------------------------------------------------

def is_staff(user) -> bool:
    return user.has_network_role(*STAFF_ROLES)


def is_animateur(user) -> bool:
    return user.has_network_role("animateur", "admin")


def active_employers(user_id: int, role: str | None = None) -> list[Tenant]:
    """Active employers where the person holds a membership (``role`` if given). Read once
    per request: the page or API call asks several times (membership, eligibility)."""
    cache = g.setdefault("poll_memberships", {}) if has_request_context() else {}
    key = (user_id, role)
    if key not in cache:
        query = (sa.select(Tenant).join(Membership, Membership.tenant_id == Tenant.id)
                 .where(Membership.user_id == user_id, Tenant.status == "active")
                 .order_by(Tenant.name).distinct())
        if role:
            query = query.where(Membership.role == role)
        cache[key] = list(db.session.execute(query).scalars())
    return cache[key]


def is_member(user) -> bool:
    """Anyone with a membership of an active employer, plus network staff, takes part in the
    topics (proposing, supporting)."""
    return is_staff(user) or bool(active_employers(user.id))


# --- topic proposals ---------------------------------------------------------------------------

def propose(user_id: int, title: str, reason: str) -> TopicProposal:
    topic = TopicProposal(title=title.strip(), reason=reason.strip(), proposer_id=user_id)
    db.session.add(topic)
    db.session.flush()
    db.session.add(TopicSupport(topic_id=topic.id, user_id=user_id))
    return topic


def support(topic: TopicProposal, user_id: int) -> bool:
    """One support per person; returns False when the person already supported it."""
    if topic.status not in ("proposed", "kept"):
        raise Refused(409, "topic_closed", "Ce thème n'est plus ouvert au soutien.",
                      "This topic can no longer be supported.")
    result = db.session.execute(
        insert(TopicSupport).values(topic_id=topic.id, user_id=user_id)
        .on_conflict_do_nothing())
    return bool(result.rowcount)


def supporters_count(topic_ids) -> dict[int, int]:
    rows = db.session.execute(
        sa.select(TopicSupport.topic_id, sa.func.count())
        .where(TopicSupport.topic_id.in_(list(topic_ids) or [0]))
        .group_by(TopicSupport.topic_id)).all()
    return dict(rows)


def supported_by(user_id: int) -> set[int]:
    return set(db.session.execute(
        sa.select(TopicSupport.topic_id).where(TopicSupport.user_id == user_id)).scalars())


def _decide(topic: TopicProposal, status: str, by: int) -> None:
    if topic.status not in ("proposed", "kept"):
        raise Refused(409, "already_decided", "Ce thème est déjà écarté ou fusionné.",
                      "This topic was already rejected or merged.")
    topic.status, topic.decided_at, topic.decided_by = status, now(), by


def keep(topic: TopicProposal, by: int) -> None:
    _decide(topic, "kept", by)


def reject(topic: TopicProposal, reason: str, by: int) -> None:
    if not (reason or "").strip():
        raise Refused(422, "reason_required",
                      "Expliquez pourquoi ce thème est écarté : la personne qui l'a proposé "
                      "verra ce motif.", "Give the reason; the proposer will see it.",
                      field="reason")
    _decide(topic, "rejected", by)
    topic.rejection_reason = reason.strip()


def merge(duplicate: TopicProposal, target: TopicProposal, by: int) -> None:
    """The duplicate's supporters (its proposer among them) now support the target."""
    if target.id == duplicate.id or target.status not in ("proposed", "kept"):
        raise Refused(422, "bad_merge_target",
                      "Choisissez un autre thème, encore ouvert, avec lequel fusionner.",
                      "Choose another open topic to merge into.", field="target")
    _decide(duplicate, "merged", by)
    duplicate.merged_into_id = target.id
    db.session.execute(
        insert(TopicSupport).from_select(
            ["topic_id", "user_id"],
            sa.select(sa.literal(target.id), TopicSupport.user_id)
            .where(TopicSupport.topic_id == duplicate.id))
        .on_conflict_do_nothing())


def topics(statuses=("proposed", "kept")) -> list[TopicProposal]:
    return list(db.session.execute(
        sa.select(TopicProposal).where(TopicProposal.status.in_(statuses))
        .order_by(TopicProposal.created_at.desc(), TopicProposal.id.desc())).scalars())


# --- polls -------------------------------------------------------------------------------------

def parse_paris(day: str, time: str) -> datetime:
    """« jj/mm/aaaa » and « hh:mm », Europe/Paris → an aware datetime; ValueError otherwise."""
    naive = datetime.strptime(f"{day.strip()} {time.strip()}", "%d/%m/%Y %H:%M")
    return naive.replace(tzinfo=PARIS)


@dataclass
class PollDraft:
    title: str
    method: str
    max_choices: int | None
    scope: str
    opens_at: datetime
    closes_at: datetime
    results_during_vote: bool
    topic_ids: list[int]


def open_poll(draft: PollDraft, by: int) -> Poll:
    """Create the poll (checks already done by the form, repeated here for other callers)."""
    if draft.closes_at <= draft.opens_at:
        raise Refused(422, "closes_before_opening",
                      "La clôture doit être postérieure à l'ouverture.",
                      "The closing time must be after the opening time.", field="closes_day")
    chosen = list(db.session.execute(
        sa.select(TopicProposal).where(TopicProposal.id.in_(draft.topic_ids),
                                       TopicProposal.status == "kept")).scalars())
    if len(chosen) < 2 or len(chosen) != len(set(draft.topic_ids)):
        raise Refused(422, "topics", "Choisissez au moins deux thèmes retenus.",
                      "Choose at least two kept topics.", field="topics")
    if draft.method == "approval" and not (1 <= (draft.max_choices or 0) <= len(chosen)):
        raise Refused(422, "max_choices",
                      f"Le nombre de choix doit être entre 1 et {len(chosen)} (le nombre de "
                      "thèmes).", "The number of choices must be between 1 and the number of "
                      "topics.", field="max_choices")
    order = {tid: i for i, tid in enumerate(draft.topic_ids)}
    poll = Poll(title=draft.title.strip(), method=draft.method,
                max_choices=draft.max_choices if draft.method == "approval" else None,
                scope=draft.scope, opens_at=draft.opens_at, closes_at=draft.closes_at,
                results_during_vote=draft.results_during_vote, created_by=by)
    poll.options = [PollOption(topic_id=t.id, title=t.title, position=order[t.id])
                    for t in sorted(chosen, key=lambda t: order[t.id])]
    db.session.add(poll)
    db.session.flush()
    return poll


def schedule_close(poll: Poll) -> None:
    """After commit: a delayed job closes the poll at its closing time (the periodic sweep
    catches it if the job is lost)."""
    from server.jobs import enqueue
    from server.polls.jobs import close_poll

    delay = max(poll.closes_at - now(), timedelta(0))
    enqueue(close_poll, poll.id, tenant=None, delay=delay)


def state(poll: Poll, at: datetime | None = None) -> str:
    at = at or now()
    if poll.closed_at is not None or at >= poll.closes_at:
        return "closed"
    if at < poll.opens_at:
        return "upcoming"
    return "open"


def results_visible(poll: Poll) -> bool:
    return state(poll) == "closed" or (poll.results_during_vote and state(poll) == "open")


def polls() -> list[Poll]:
    return list(db.session.execute(
        sa.select(Poll).order_by(Poll.closes_at.desc(), Poll.id.desc())).scalars())


# --- eligibility and ballots -------------------------------------------------------------------

def voter_choices(poll: Poll, user) -> list[Tenant]:
    """Employers the person may cast the employer's ballot for (employer-scope polls)."""
    return active_employers(user.id, role="referent")


def eligibility(poll: Poll, user) -> str | None:
    """None when the person may vote, else the French reason they may not."""
    if not user.active:
        return "Votre compte est désactivé."
    if poll.scope == "employer":
        if not voter_choices(poll, user):
            return ("Dans ce sondage, chaque employeur dépose un seul bulletin, par l'un de "
                    "ses référents ou l'une de ses référentes.")
        return None
    if not active_employers(user.id):
        return ("Seuls les membres d'un employeur actif du réseau votent. L'équipe du réseau "
                "sans espace employeur organise le vote mais n'y prend pas part.")
    return None


def has_voted(poll: Poll, user_id: int) -> bool:
    return db.session.execute(
        sa.select(sa.literal(True)).where(PollVoter.poll_id == poll.id,
                                          PollVoter.account_id == user_id)).scalar() is not None


def ballot_key(poll_id: int, voter_key: str) -> bytes:
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"entrepairs-poll-ballot:{poll_id}:{voter_key}".encode(),
                    hashlib.sha256).digest()


def validate_choices(poll: Poll, choices) -> list[int]:
    """The ballot's option ids, checked against the poll's rules."""
    if not isinstance(choices, list) or not all(
            isinstance(c, int) and not isinstance(c, bool) for c in choices):
        raise Refused(422, "invalid_ballot", "Le bulletin doit être une liste de thèmes.",
                      "The ballot must be a list of option ids.", field="choices")
    if not choices:
        raise Refused(422, "empty_ballot", "Choisissez au moins un thème.",
                      "Choose at least one topic.", field="choices")
    known = {o.id for o in poll.options}
    if any(c not in known for c in choices):
        raise Refused(422, "unknown_option", "Le bulletin contient un thème qui ne fait pas "
                      "partie de ce sondage.", "The ballot names an option that is not in "
                      "this poll.", field="choices")
    if len(set(choices)) != len(choices):
        if poll.method == "schulze":
            raise Refused(422, "repeated_option", "Un même thème apparaît deux fois dans votre "
                          "classement : donnez à chaque thème un rang différent.",
                          "A topic appears twice in the ranking.", field="choices")
        raise Refused(422, "repeated_option", "Un même thème est choisi deux fois.",
                      "A topic is chosen twice.", field="choices")
    if poll.method == "approval" and len(choices) > poll.max_choices:
        raise Refused(422, "too_many_choices",
                      f"Vous pouvez choisir au plus {poll.max_choices} thème"
                      f"{'s' if poll.max_choices > 1 else ''} ; vous en avez choisi "
                      f"{len(choices)}.", f"At most {poll.max_choices} choices are allowed.",
                      field="choices")
    return choices


def cast(poll_id: int, user, choices, employer_slug: str | None = None) -> bool:
    """Record (or replace) the person's ballot. Returns True when it replaced an earlier one.

    The poll row is share-locked, so the close (which locks it for update) waits for ballots
    in flight and no ballot lands after the count. One ballot per voter is the primary key of
    ``poll_ballot`` (an upsert), so concurrent submissions of one voter leave one row."""
    row = db.session.execute(
        sa.select(Poll, sa.func.clock_timestamp()).where(Poll.id == poll_id)
        .with_for_update(key_share=True, read=True, of=Poll)).first()
    if row is None:
        raise Refused(404, "not_found", "Ce sondage n'existe pas.", "No such poll.")
    poll, at = row
    current = state(poll, at)
    if current == "upcoming":
        raise Refused(409, "poll_not_open",
                      "Le vote n'est pas encore ouvert : revenez à partir de l'ouverture.",
                      "Voting has not opened yet.")
    if current == "closed":
        raise Refused(409, "poll_closed", "Le vote est clos : votre bulletin n'est pas "
                      "enregistré.", "Voting is closed; the ballot was not recorded.")
    reason = eligibility(poll, user)
    if reason:
        raise Refused(403, "not_eligible", reason, "You may not vote in this poll.")
    tenant_id = None
    if poll.scope == "employer":
        mine = voter_choices(poll, user)
        if employer_slug is None and len(mine) == 1:
            employer_slug = mine[0].slug
        match = [t for t in mine if t.slug == employer_slug]
        if not match:
            raise Refused(422, "employer_required",
                          "Choisissez l'employeur au nom duquel vous votez.",
                          "Name the employer you vote for.", field="employer")
        tenant_id = match[0].id
        voter = f"e{tenant_id}"
    else:
        voter = f"p{user.id}"
    choices = validate_choices(poll, choices)
    voter_row = db.session.execute(
        insert(PollVoter).values(poll_id=poll.id, voter_key=voter, account_id=user.id,
                                 tenant_id=tenant_id)
        .on_conflict_do_update(index_elements=["poll_id", "voter_key"],
                               set_={"account_id": user.id})
        .returning(sa.literal_column("xmax <> 0"))).scalar()
    db.session.execute(
        insert(PollBallot).values(poll_id=poll.id, ballot_key=ballot_key(poll.id, voter),
                                  choices=choices)
        .on_conflict_do_update(index_elements=["poll_id", "ballot_key"],
                               set_={"choices": choices}))
    return bool(voter_row)


def ballot_count(poll_id: int) -> int:
    return db.session.execute(
        sa.select(sa.func.count()).select_from(PollBallot).where(PollBallot.poll_id == poll_id)
    ).scalar()


def voter_count(poll_id: int) -> int:
    return db.session.execute(
        sa.select(sa.func.count()).select_from(PollVoter).where(PollVoter.poll_id == poll_id)
    ).scalar()


# --- counting and closing ----------------------------------------------------------------------

def compute_results(poll: Poll) -> dict:
    """The results as stored: option ids as strings in JSON keys, tiers as lists."""
    ids = [o.id for o in poll.options]
    ballots = db.session.execute(
        sa.select(PollBallot.choices).where(PollBallot.poll_id == poll.id)).scalars()
    result = {"method": poll.method, "options": [{"id": o.id, "topic_id": o.topic_id,
                                                  "title": o.title} for o in poll.options]}
    if poll.method == "approval":
        counted = counting.count_approval(ids, ballots)
        result["scores"] = {str(k): v for k, v in counted.scores.items()}
    else:
        counted = counting.count_schulze(ids, ballots)
        result["pairwise"] = [list(r) for r in counted.pairwise]
        result["strongest"] = [list(r) for r in counted.strongest]
    result["ballots"] = counted.ballots
    result["ranking"] = [list(t) for t in counted.ranking]
    result["winners"] = list(counted.winners) if counted.ballots else []
    return result


def close(poll_id: int) -> bool:
    """Close a poll whose time has come: count once, store, never again. Returns True when
    this call closed it (idempotent: the job and the sweep may both come)."""
    poll = db.session.execute(
        sa.select(Poll).where(Poll.id == poll_id).with_for_update()).scalar_one_or_none()
    if poll is None or poll.closed_at is not None:
        db.session.rollback()
        return False
    at = db.session.execute(sa.select(sa.func.clock_timestamp())).scalar()
    if at < poll.closes_at:
        db.session.rollback()  # too early (a clock skew): the sweep comes back later
        return False
    poll.results = compute_results(poll)
    poll.closed_at = at
    db.session.commit()
    return True


def due_polls() -> list[int]:
    return list(db.session.execute(
        sa.select(Poll.id).where(Poll.closed_at.is_(None), Poll.closes_at <= sa.func.now())
        .order_by(Poll.id)).scalars())


def current_results(poll: Poll) -> dict:
    """Stored results of a closed poll; computed on the fly while it runs."""
    if poll.results is not None:
        return poll.results
    return compute_results(poll)
