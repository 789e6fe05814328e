"""What the pages and the API both do: groups and their sessions, registrations with a waiting
list, attendance.

Each function changes the session and leaves the commit to its caller; a refused action raises
``Refused`` (a French message and a code) before writing anything. Every write to a group's
registrations first locks the group row (``SELECT ... FOR UPDATE``): registrations,
cancellations and promotions of one group are serialised by the database, and the table's
constraints (one seat per place, one rank per waiting person) hold whatever happens."""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

import sqlalchemy as sa
from flask import g
from flask_login import current_user

from plugins.base import PARIS, Refused, Profile, current_tenant, db, record, settings_of
from plugins.groupes.models import RECURRENCES, Groupe, Inscription, Presence, Seance

NAME = "groupes"

#: The network's memberships, read (never written) to list the employer's pair-aidants; a
#: table clause rather than an import of the core's model (plugins import plugins.base only).
_membership = sa.table("membership", sa.column("user_id"), sa.column("tenant_id"),
                       sa.column("role"), schema="network")


def stale_group() -> Refused:
    return Refused(409, "stale_version",
                   "Une autre personne a modifié ce groupe pendant que vous le consultiez. "
                   "Rien n'a été enregistré : voici la version actuelle.",
                   "Someone else changed this group since you opened it. Nothing was saved.")


def stale_attendance() -> Refused:
    return Refused(409, "stale_version",
                   "L'appel de cette séance a été modifié pendant que vous le consultiez. "
                   "Rien n'a été enregistré : voici l'appel actuel.",
                   "This session's attendance changed since you opened it. Nothing was saved.")


def closed_group(what: str, what_en: str) -> Refused:
    return Refused(409, "group_closed", f"Ce groupe est clos : {what}.",
                   f"This group is closed: {what_en}.")


def not_found() -> Refused:
    return Refused(404, "not_found", "Ce groupe n'existe pas ou vous n'y avez pas accès.",
                   "No such group, or you may not see it.")


def now() -> datetime:
    return datetime.now(timezone.utc)


def settings() -> dict:
    return settings_of(NAME)


# --- who is who -------------------------------------------------------------------------------

def my_profile() -> Profile | None:
    if "groupes_profile" not in g:
        g.groupes_profile = db.session.execute(
            sa.select(Profile).where(Profile.user_id == current_user.id)).scalar_one_or_none()
    return g.groupes_profile


def my_id() -> int | None:
    me = my_profile()
    return me.id if me is not None else None


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


# --- creating a group -------------------------------------------------------------------------

def _parse_local(value) -> datetime | None:
    """« 2026-03-03T14:00 », « 2026-03-03 14:00 » (Europe/Paris) or an aware datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=PARIS)
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace(" ", "T", 1))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=PARIS)


def _add_months(moment: datetime, months: int) -> datetime:
    """Same day of the month (or the month's last day), same local time."""
    local = moment.astimezone(PARIS)
    month0 = local.month - 1 + months
    year, month = local.year + month0 // 12, month0 % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return datetime.combine(date(year, month, day), local.time().replace(tzinfo=None),
                            tzinfo=PARIS)


def _add_weeks(moment: datetime, weeks: int) -> datetime:
    local = moment.astimezone(PARIS)
    day = local.date() + timedelta(weeks=weeks)
    return datetime.combine(day, local.time().replace(tzinfo=None), tzinfo=PARIS)


def schedule(recurrence: str, first: datetime | None, count: int,
             custom: list[datetime]) -> list[datetime]:
    if recurrence == "custom":
        return sorted(set(custom))
    step = _add_weeks if recurrence == "weekly" else _add_months
    return [step(first, i) for i in range(count)]


def _text(data: dict, name: str) -> str:
    value = data.get(name)
    return value.strip() if isinstance(value, str) else ""


def _validate_details(data: dict, errors: dict) -> dict:
    """The fields a group's creator and its editors both set: name, theme, place or video
    link, capacity, whether names are visible."""
    conf = settings()
    title = _text(data, "title")
    if not title:
        errors["title"] = "Saisissez le nom du groupe."
    elif len(title) > 120:
        errors["title"] = "Le nom du groupe doit faire 120 caractères au plus."
    theme = _text(data, "theme")
    if not theme:
        errors["theme"] = "Saisissez le thème du groupe."
    elif len(theme) > 500:
        errors["theme"] = "Le thème doit faire 500 caractères au plus."
    place, video = _text(data, "place"), _text(data, "video_url")
    if not place and not video:
        errors["place"] = "Indiquez un lieu ou un lien de visioconférence."
    elif len(place) > 200:
        errors["place"] = "Le lieu doit faire 200 caractères au plus."
    if video and not (video.startswith("https://") and len(video) <= 500):
        errors["video_url"] = "Saisissez un lien qui commence par https:// (500 caractères au plus)."
    try:
        capacity = data.get("capacity")
        if isinstance(capacity, bool):
            raise ValueError
        capacity = int(capacity)
        if not 2 <= capacity <= conf["max_capacity"]:
            raise ValueError
    except (TypeError, ValueError):
        errors["capacity"] = (f"Saisissez un nombre de places entre 2 et {conf['max_capacity']}.")
        capacity = None
    names_visible = data.get("names_visible")
    if names_visible is None:
        names_visible = conf["names_visible_default"]
    return {"title": title, "theme": theme, "place": place or None, "video_url": video or None,
            "capacity": capacity, "names_visible": bool(names_visible)}


def validate_group(data: dict) -> tuple[dict, dict]:
    """(values, errors by field) for a new group."""
    conf = settings()
    errors: dict[str, str] = {}
    details = _validate_details(data, errors)
    recurrence = data.get("recurrence")
    if recurrence not in RECURRENCES:
        errors["recurrence"] = "Choisissez la fréquence des séances dans la liste."
    try:
        duration = int(data.get("duration_minutes"))
        if not 15 <= duration <= 480:
            raise ValueError
    except (TypeError, ValueError):
        errors["duration_minutes"] = "Saisissez une durée en minutes, entre 15 et 480."
        duration = None
    first, count, custom = None, 0, []
    if recurrence == "custom":
        raw = data.get("dates") or []
        if isinstance(raw, str):
            raw = [line for line in raw.splitlines() if line.strip()]
        custom = [_parse_local(v) for v in raw] if isinstance(raw, list) else [None]
        if not custom or None in custom:
            errors["dates"] = ("Saisissez une date et une heure par ligne, par exemple "
                               "2026-03-03 14:00.")
        elif len(custom) > conf["max_sessions"]:
            errors["dates"] = f"Saisissez {conf['max_sessions']} dates au plus."
        elif min(custom) < now():
            errors["dates"] = "Les dates des séances doivent être dans le futur."
    elif recurrence in RECURRENCES:
        first = _parse_local(data.get("first_session"))
        if first is None:
            errors["first_session"] = ("Saisissez la date et l'heure de la première séance, "
                                       "par exemple 2026-03-03 14:00.")
        elif first < now():
            errors["first_session"] = "La première séance doit être dans le futur."
        try:
            count = int(data.get("sessions_count"))
            if not 1 <= count <= conf["max_sessions"]:
                raise ValueError
        except (TypeError, ValueError):
            errors["sessions_count"] = (f"Saisissez un nombre de séances entre 1 et "
                                        f"{conf['max_sessions']}.")
    if errors:
        return {}, errors
    return {**details, "recurrence": recurrence, "duration_minutes": duration,
            "starts": schedule(recurrence, first, count, custom)}, {}


def validate_edit(data: dict) -> tuple[dict, dict]:
    """(values, errors by field) for a group's new details. The recurrence and the sessions
    are not edited here: a session is cancelled one by one (``cancel_session``)."""
    errors: dict[str, str] = {}
    details = _validate_details(data, errors)
    return ({}, errors) if errors else (details, {})


# --- the employer's pair-aidants ---------------------------------------------------------------

def peer_helpers() -> dict[int, str]:
    """Active programme profiles of people who hold the pair-aidant role in this employer
    space, by profile id (sorted by name): who may facilitate a group."""
    tenant = current_tenant()
    helpers = sa.select(_membership.c.user_id).where(
        _membership.c.tenant_id == tenant.id, _membership.c.role == "pair-aidant")
    rows = db.session.execute(
        sa.select(Profile.id, Profile.display_name)
        .where(Profile.user_id.in_(helpers), Profile.status == "active")
        .order_by(Profile.display_name, Profile.id)).all()
    return {r.id: r.display_name for r in rows}


def facilitator_for(raw) -> int:
    """The profile id of the group's facilitator: the current pair-aidant, or the pair-aidant
    a référent chose (``raw``, a profile id). Refused otherwise, before anything is written."""
    me = my_profile()
    chosen = None
    if raw not in (None, ""):
        try:
            if isinstance(raw, bool):
                raise ValueError
            chosen = int(raw)
        except (TypeError, ValueError):
            chosen = -1
    if chosen is None or (me is not None and chosen == me.id and "pair-aidant" in roles()):
        if me is None or "pair-aidant" not in roles():
            if is_referent():
                raise Refused(422, "facilitator_required",
                              "Choisissez le pair-aidant qui animera le groupe.",
                              "Choose the peer helper who will facilitate the group.",
                              field="facilitator_id")
            raise Refused(403, "not_a_peer_helper",
                          "Seuls les pair-aidants créent et animent des groupes.",
                          "Only peer helpers create and facilitate groups.")
        return me.id
    if not is_referent():
        raise Refused(403, "not_referent",
                      "Seul un référent peut créer un groupe animé par un autre pair-aidant. "
                      "Rien n'a été enregistré.",
                      "Only a référent may create a group facilitated by someone else.")
    if chosen not in peer_helpers():
        raise Refused(422, "not_a_peer_helper_here",
                      "Cette personne n'est pas pair-aidante dans cet espace : choisissez "
                      "l'animateur parmi les pair-aidants de la liste. Rien n'a été enregistré.",
                      "This person is not a peer helper of this employer.",
                      field="facilitator_id")
    return chosen


def create_group(values: dict, facilitator_id=None) -> Groupe:
    """A pair-aidant creates a group that they facilitate, or a référent creates one for a
    pair-aidant of the employer (``facilitator_id``), with its sessions."""
    facilitator = facilitator_for(facilitator_id)
    starts = values.pop("starts")
    group = Groupe(facilitator_id=facilitator, status="open", version=1, **values)
    db.session.add(group)
    db.session.flush()
    for start in starts:
        db.session.add(Seance(groupe_id=group.id, starts_at=start,
                              ends_at=start + timedelta(minutes=group.duration_minutes)))
    record("create", "groupes_groupe", group.id, sessions=len(starts),
           on_behalf=facilitator != my_id())
    return group


# --- reading ----------------------------------------------------------------------------------

def get_group(groupe_id: int, lock: bool = False) -> Groupe:
    """The group; with ``lock``, its row locked and its values re-read once the lock is held
    (an object read earlier in the request would otherwise keep values another transaction
    has since changed)."""
    group = db.session.get(Groupe, groupe_id, with_for_update=lock, populate_existing=lock)
    if group is None:
        raise not_found()
    return group


def all_groups() -> list[Groupe]:
    return db.session.execute(sa.select(Groupe).order_by(Groupe.status.desc(), Groupe.title,
                                                         Groupe.id)).scalars().all()


def sessions_of(groupe_id: int) -> list[Seance]:
    return db.session.execute(sa.select(Seance).where(Seance.groupe_id == groupe_id)
                              .order_by(Seance.starts_at)).scalars().all()


def next_session(groupe_id: int) -> Seance | None:
    return db.session.execute(sa.select(Seance).where(
        Seance.groupe_id == groupe_id, Seance.starts_at >= now(), Seance.cancelled.is_(False))
        .order_by(Seance.starts_at).limit(1)).scalar_one_or_none()


def my_registration(groupe_id: int) -> Inscription | None:
    me = my_id()
    if me is None:
        return None
    return db.session.execute(sa.select(Inscription).where(
        Inscription.groupe_id == groupe_id, Inscription.profile_id == me)).scalar_one_or_none()


def registered(groupe_id: int) -> list[Inscription]:
    return db.session.execute(sa.select(Inscription).where(
        Inscription.groupe_id == groupe_id, Inscription.status == "registered")
        .order_by(Inscription.seat)).scalars().all()


def waiting(groupe_id: int) -> list[Inscription]:
    return db.session.execute(sa.select(Inscription).where(
        Inscription.groupe_id == groupe_id, Inscription.status == "waiting")
        .order_by(Inscription.rank)).scalars().all()


@dataclass
class Counts:
    registered: int = 0
    waiting: int = 0


def counts(group_ids) -> dict[int, Counts]:
    ids = list(group_ids)
    out = {i: Counts() for i in ids}
    if not ids:
        return out
    rows = db.session.execute(
        sa.select(Inscription.groupe_id, Inscription.status, sa.func.count())
        .where(Inscription.groupe_id.in_(ids), Inscription.status != "cancelled")
        .group_by(Inscription.groupe_id, Inscription.status)).all()
    for gid, status, n in rows:
        setattr(out[gid], status, n)
    return out


def waiting_position(inscription: Inscription) -> int | None:
    if inscription.status != "waiting":
        return None
    return db.session.execute(sa.select(sa.func.count()).select_from(Inscription).where(
        Inscription.groupe_id == inscription.groupe_id, Inscription.status == "waiting",
        Inscription.rank <= inscription.rank)).scalar()


@dataclass
class View:
    """What the current person may see of a group's participants."""
    is_facilitator: bool
    is_participant: bool
    #: Names of registered people, or None when hidden from this person.
    participants: list[tuple[int, str]] | None
    waiting_list: list[tuple[int, str]] | None
    counts: Counts = field(default_factory=Counts)


def participants_view(group: Groupe) -> View:
    """Names are shown to the facilitator, and to the registered participants when the group's
    rule says so; the référent (and anyone else) sees counts only."""
    me = my_id()
    is_facilitator = me is not None and me == group.facilitator_id
    mine = my_registration(group.id)
    is_participant = mine is not None and mine.status == "registered"
    c = counts([group.id])[group.id]
    participants = waiting_list = None
    if is_facilitator or (is_participant and group.names_visible):
        regs = registered(group.id)
        who = names(r.profile_id for r in regs)
        participants = [(r.profile_id, who.get(r.profile_id, "?")) for r in regs]
        if is_facilitator:
            waits = waiting(group.id)
            who = names(r.profile_id for r in waits)
            waiting_list = [(r.profile_id, who.get(r.profile_id, "?")) for r in waits]
    return View(is_facilitator, is_participant, participants, waiting_list, c)


# --- registrations ----------------------------------------------------------------------------

@dataclass
class Outcome:
    inscription: Inscription
    #: Profile ids promoted from the waiting list by this action.
    promoted: list[int] = field(default_factory=list)


def _free_seat(group: Groupe) -> int | None:
    taken = set(db.session.execute(sa.select(Inscription.seat).where(
        Inscription.groupe_id == group.id, Inscription.status == "registered")).scalars())
    for seat in range(1, group.capacity + 1):
        if seat not in taken:
            return seat
    return None


def register(groupe_id: int) -> Outcome:
    """Register the current person: a seat if one is free, else the end of the waiting list."""
    group = get_group(groupe_id, lock=True)  # serialises every registration of this group
    me = my_profile()
    if me is None:
        raise Refused(403, "no_profile", "Vous n'avez pas de profil dans cet espace.",
                      "You have no profile in this space.")
    if group.status != "open":
        raise Refused(409, "group_closed", "Ce groupe est clos : on ne peut plus s'y inscrire.",
                      "This group is closed.")
    if group.facilitator_id == me.id:
        raise Refused(409, "facilitator_cannot_register",
                      "Vous animez ce groupe : vous n'avez pas besoin de vous y inscrire.",
                      "You facilitate this group.")
    row = db.session.execute(sa.select(Inscription).where(
        Inscription.groupe_id == group.id, Inscription.profile_id == me.id)
        .with_for_update()).scalar_one_or_none()
    if row is not None and row.status == "registered":
        raise Refused(409, "already_registered",
                      "Vous êtes déjà inscrit à ce groupe : rien n'a changé.",
                      "You are already registered to this group.")
    if row is not None and row.status == "waiting":
        raise Refused(409, "already_waiting",
                      "Vous êtes déjà sur la liste d'attente de ce groupe : rien n'a changé. "
                      "Vous serez prévenu par courriel si une place se libère.",
                      "You are already on this group's waiting list.")
    seat = _free_seat(group)
    if seat is not None:
        status, rank = "registered", None
    else:
        last = db.session.execute(sa.select(sa.func.max(Inscription.rank)).where(
            Inscription.groupe_id == group.id, Inscription.status == "waiting")).scalar()
        status, rank = "waiting", (last or 0) + 1
    if row is None:
        row = Inscription(groupe_id=group.id, profile_id=me.id)
        db.session.add(row)
    row.group_capacity = group.capacity
    row.status, row.seat, row.rank = status, seat, rank
    row.promoted_at = None
    db.session.flush()
    record("register", "groupes_groupe", group.id, status=row.status)
    return Outcome(row)


def _promote_next(group: Groupe) -> int | None:
    """Give the first free seat to the first person waiting; their profile id."""
    seat = _free_seat(group)
    if seat is None:
        return None
    first = db.session.execute(sa.select(Inscription).where(
        Inscription.groupe_id == group.id, Inscription.status == "waiting")
        .order_by(Inscription.rank).limit(1).with_for_update()).scalar_one_or_none()
    if first is None:
        return None
    first.status, first.seat, first.rank, first.promoted_at = "registered", seat, None, now()
    db.session.flush()
    return first.profile_id


def cancel(groupe_id: int, profile_id: int | None = None) -> Outcome:
    """The current person leaves the group (or its waiting list); a freed seat goes to the first
    person waiting, exactly once."""
    group = get_group(groupe_id, lock=True)
    me = my_id()
    target = profile_id if profile_id is not None else me
    row = db.session.execute(sa.select(Inscription).where(
        Inscription.groupe_id == group.id, Inscription.profile_id == target)
        .with_for_update()).scalar_one_or_none()
    if row is None or row.status == "cancelled":
        raise Refused(409, "not_registered",
                      "Vous n'êtes pas inscrit à ce groupe : il n'y a rien à annuler.",
                      "You are not registered to this group.")
    freed = row.status == "registered"
    row.status, row.seat, row.rank = "cancelled", None, None
    db.session.flush()
    promoted = []
    if freed and group.status == "open":
        who = _promote_next(group)
        if who is not None:
            promoted.append(who)
    record("cancel_registration", "groupes_groupe", group.id, promoted=len(promoted))
    return Outcome(row, promoted)


def remove_participant(groupe_id: int, profile_id: int) -> Outcome:
    """The facilitator unregisters a participant (or takes someone off the waiting list); a
    freed seat goes to the first person waiting, as when a person leaves by themselves.

    The référent is refused: they never see participants' names, so they cannot choose whom
    to unregister (the facilitator does it)."""
    group = get_group(groupe_id, lock=True)
    if my_id() is None or my_id() != group.facilitator_id:
        raise Refused(403, "not_your_group",
                      "Seul le pair-aidant qui anime ce groupe peut désinscrire un participant "
                      "(le référent ne voit pas les noms des participants). Rien n'a changé.",
                      "Only the group's facilitator may unregister a participant.")
    row = db.session.execute(sa.select(Inscription).where(
        Inscription.groupe_id == group.id, Inscription.profile_id == profile_id)
    ).scalar_one_or_none()
    if row is None or row.status == "cancelled":
        raise Refused(409, "not_registered",
                      "Cette personne n'est ni inscrite ni sur la liste d'attente de ce groupe : "
                      "rien n'a changé.", "This person is not registered to this group.")
    outcome = cancel(group.id, profile_id)
    record("remove_participant", "groupes_groupe", group.id, promoted=len(outcome.promoted))
    return outcome


# --- editing and closing a group --------------------------------------------------------------

def may_manage(group: Groupe) -> bool:
    """The facilitator and the référents edit and close a group."""
    return is_referent() or (my_id() is not None and my_id() == group.facilitator_id)


def _require_manager(group: Groupe, what: str, what_en: str) -> None:
    if not may_manage(group):
        raise Refused(403, "not_your_group",
                      f"Seuls le pair-aidant qui anime ce groupe et les référents peuvent "
                      f"{what}. Rien n'a été enregistré.",
                      f"Only the group's facilitator and the référents may {what_en}.")


def _check_version(group: Groupe, expected) -> None:
    if expected is None or expected != group.version:
        raise stale_group()


def _compact_seats(group: Groupe) -> None:
    """Renumber the registered people's seats 1, 2, 3... (in their order) so that a lower
    capacity still holds every seat. Row by row, lowest first: each new number is free when
    it is written (the unique constraint is checked at once)."""
    for number, row in enumerate(registered(group.id), start=1):
        if row.seat != number:
            row.seat = number
            db.session.flush()


def update_group(groupe_id: int, values: dict, expected_version) -> Outcome | None:
    """The facilitator or a référent changes a group's details. Lowering the number of places
    below the people already registered is refused (nobody loses a place they were given);
    raising it promotes people from the waiting list at once. Returns the promotions (an
    ``Outcome`` without inscription) for the e-mails."""
    group = get_group(groupe_id, lock=True)
    _require_manager(group, "modifier ce groupe", "edit this group")
    _check_version(group, expected_version)
    if group.status != "open":
        raise closed_group("il ne peut plus être modifié", "it can no longer be edited")
    taken = counts([group.id])[group.id].registered
    if values["capacity"] < taken:
        raise Refused(409, "capacity_below_registered",
                      f"{taken} personnes sont déjà inscrites : le groupe ne peut pas avoir moins "
                      f"de {taken} places. Gardez au moins {taken} places, ou désinscrivez "
                      "d'abord des participants. Rien n'a été enregistré.",
                      f"{taken} people are registered: the group needs at least {taken} places.",
                      field="capacity")
    old_capacity = group.capacity
    if values["capacity"] < old_capacity:
        _compact_seats(group)
    changed = sorted(k for k, v in values.items() if getattr(group, k) != v)
    for key, value in values.items():
        setattr(group, key, value)
    group.version += 1
    db.session.flush()  # the capacity reaches the registrations (ON UPDATE CASCADE)
    db.session.expire_all()
    group = get_group(groupe_id)
    promoted = []
    if group.capacity > old_capacity:
        while (who := _promote_next(group)) is not None:
            promoted.append(who)
    record("update", "groupes_groupe", group.id, fields=changed, promoted=len(promoted))
    return Outcome(None, promoted)


@dataclass
class Closing:
    group: Groupe
    #: Start of each future session cancelled by the closing.
    cancelled_starts: list[datetime]
    #: Who is told: the registered people, and those who were waiting.
    registered_ids: list[int]
    waiting_ids: list[int]


def close_group(groupe_id: int, expected_version) -> Closing:
    """The facilitator or a référent closes a group: its future sessions are cancelled, its
    waiting list is emptied (nobody will be promoted), nobody can register any more. Past
    sessions, their attendance and the registrations stay, for the figures."""
    group = get_group(groupe_id, lock=True)
    _require_manager(group, "clore ce groupe", "close this group")
    _check_version(group, expected_version)
    if group.status != "open":
        raise closed_group("il a déjà été clos, rien n'a changé", "it is already closed")
    future = db.session.execute(sa.select(Seance).where(
        Seance.groupe_id == group.id, Seance.starts_at > now(), Seance.cancelled.is_(False))
        .order_by(Seance.starts_at).with_for_update()).scalars().all()
    for seance in future:
        seance.cancelled = True
    registered_ids = [r.profile_id for r in registered(group.id)]
    waits = waiting(group.id)
    waiting_ids = [r.profile_id for r in waits]
    for row in waits:
        row.status, row.rank = "cancelled", None
    group.status, group.closed_at = "closed", now()
    group.version += 1
    db.session.flush()
    record("close", "groupes_groupe", group.id, sessions_cancelled=len(future),
           registered=len(registered_ids), waiting=len(waiting_ids))
    return Closing(group, [s.starts_at for s in future], registered_ids, waiting_ids)


# --- sessions ---------------------------------------------------------------------------------

def get_session(seance_id: int, lock: bool = False) -> tuple[Seance, Groupe]:
    seance = db.session.get(Seance, seance_id, with_for_update=lock, populate_existing=lock)
    if seance is None:
        raise Refused(404, "not_found", "Cette séance n'existe pas.", "No such session.")
    return seance, db.session.get(Groupe, seance.groupe_id)


def _require_facilitator(group: Groupe, what: str, what_en: str) -> None:
    if my_id() is None or my_id() != group.facilitator_id:
        raise Refused(403, "not_your_session",
                      f"Vous n'animez pas ce groupe : vous ne pouvez pas {what}. Seul le "
                      "pair-aidant qui l'anime le peut. Rien n'a été enregistré.",
                      f"You do not facilitate this group: you may not {what_en}.")


def attendance_of(seance_id: int) -> dict[int, bool]:
    return dict(db.session.execute(sa.select(Presence.profile_id, Presence.present)
                                   .where(Presence.seance_id == seance_id)).all())


def take_attendance(seance_id: int, present_ids, expected_version) -> Seance:
    """The facilitator records who came (among the registered people) to a session that has
    started; taking it again replaces the previous record. ``expected_version`` is the
    session's version the form was drawn from: a stale one is refused (409), nothing written."""
    seance, group = get_session(seance_id, lock=True)
    _require_facilitator(group, "faire l'appel de cette séance", "take this session's attendance")
    if expected_version is None or expected_version != seance.version:
        raise stale_attendance()
    if seance.cancelled:
        raise Refused(409, "session_cancelled",
                      "Cette séance est annulée : il n'y a pas d'appel à faire.",
                      "This session is cancelled.")
    if seance.starts_at > now():
        raise Refused(409, "session_not_started",
                      "Cette séance n'a pas encore commencé : faites l'appel le jour même.",
                      "This session has not started yet.")
    try:
        present = {int(x) for x in present_ids or []}
    except (TypeError, ValueError):
        present = None
    expected = {r.profile_id for r in registered(group.id)} | set(attendance_of(seance.id))
    if present is None or not present <= expected:
        raise Refused(422, "unknown_participant",
                      "Cochez les présents parmi les personnes inscrites au groupe.",
                      "Present people must be registered to the group.", field="present")
    db.session.execute(sa.delete(Presence).where(Presence.seance_id == seance.id))
    for pid in sorted(expected):
        db.session.add(Presence(seance_id=seance.id, profile_id=pid, present=pid in present))
    first_time = seance.attendance_taken_at is None
    seance.attendance_taken_at = now()
    seance.version += 1
    db.session.flush()
    if first_time:
        from server.signals import session_held
        session_held.send(NAME, kind="groupe", held_at=seance.starts_at,
                          minutes=int((seance.ends_at - seance.starts_at).total_seconds() // 60))
    record("attendance", "groupes_seance", seance.id, present=len(present),
           expected=len(expected))
    return seance


def cancel_session(seance_id: int) -> tuple[Seance, list[int]]:
    """The facilitator cancels a future session; the registered people are told by e-mail."""
    seance, group = get_session(seance_id, lock=True)
    _require_facilitator(group, "annuler cette séance", "cancel this session")
    if seance.cancelled:
        raise Refused(409, "already_cancelled", "Cette séance est déjà annulée.",
                      "This session is already cancelled.")
    if seance.starts_at <= now():
        raise Refused(409, "session_started",
                      "Cette séance a déjà commencé : elle ne peut plus être annulée.",
                      "This session has already started.")
    seance.cancelled = True
    record("cancel", "groupes_seance", seance.id)
    return seance, [r.profile_id for r in registered(group.id)]


# --- agenda -----------------------------------------------------------------------------------

def sessions_for(profile_id: int, start: datetime, end: datetime) -> list[tuple[Seance, Groupe]]:
    mine = sa.select(Inscription.groupe_id).where(Inscription.profile_id == profile_id,
                                                  Inscription.status == "registered")
    return db.session.execute(
        sa.select(Seance, Groupe).join(Groupe, Groupe.id == Seance.groupe_id)
        .where(sa.or_(Groupe.facilitator_id == profile_id, Groupe.id.in_(mine)),
               Seance.starts_at < end, Seance.ends_at > start)
        .order_by(Seance.starts_at, Seance.id)).all()


def local_text(moment: datetime) -> str:
    """« mardi 3 mars 2026 à 14 h 00 » (Europe/Paris), for e-mails."""
    from flask_babel import format_datetime
    return format_datetime(moment, "EEEE d MMMM y 'à' H 'h' mm")


def local_day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=PARIS)
