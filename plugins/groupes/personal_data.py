"""What the groupes model holds about a person, for their copy and for an erasure
(docs/personal_data.md).

Erasure: the person's place in open groups is given up (a freed seat goes to the first person
waiting, as when they leave by themselves); past registrations and attendance stay for the
figures, pointing at the core's placeholder « Personne effacée »; an open group the person
facilitated is closed (future sessions cancelled, waiting list emptied) and its people are told,
as a closing by its facilitator would; a person promoted from a waiting list is told too."""
from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from plugins.base import db, enqueue_after_commit
from plugins.groupes.models import (
    GROUP_STATUSES,
    REGISTRATION_STATUSES,
    Groupe,
    Inscription,
    Presence,
    Seance,
)


def personal_data(profile_id: int) -> dict[str, list[dict]]:
    facilitated = db.session.execute(sa.select(Groupe).where(
        Groupe.facilitator_id == profile_id).order_by(Groupe.created_at)).scalars().all()
    registrations = db.session.execute(
        sa.select(Inscription, Groupe.title).join(Groupe, Groupe.id == Inscription.groupe_id)
        .where(Inscription.profile_id == profile_id).order_by(Inscription.created_at)).all()
    presences = db.session.execute(
        sa.select(Groupe.title, Seance.starts_at, Presence.present)
        .join(Seance, Seance.id == Presence.seance_id).join(Groupe, Groupe.id == Seance.groupe_id)
        .where(Presence.profile_id == profile_id).order_by(Seance.starts_at)).all()
    return {
        "Groupes que vous animez ou avez animés": [{
            "Groupe": g.title, "Thème": g.theme, "Lieu": g.place,
            "Statut": GROUP_STATUSES.get(g.status, g.status), "Créé le": g.created_at}
            for g in facilitated],
        "Vos inscriptions à des groupes": [{
            "Groupe": title, "État": REGISTRATION_STATUSES.get(i.status, i.status),
            "Inscription le": i.created_at, "Dernier changement": i.updated_at}
            for i, title in registrations],
        "Votre présence aux séances": [{
            "Groupe": p.title, "Séance": p.starts_at, "Présent ou présente": p.present}
            for p in presences],
    }


def erase_person(profile_id: int) -> dict[str, int]:
    from plugins.groupes.service import _promote_next

    now = datetime.now(UTC)
    left = 0
    rows = db.session.execute(
        sa.select(Inscription, Groupe).join(Groupe, Groupe.id == Inscription.groupe_id)
        .where(Inscription.profile_id == profile_id, Groupe.status == "open",
               Inscription.status.in_(("registered", "waiting")))
        .order_by(Groupe.id).with_for_update(of=Groupe)).all()
    from plugins.groupes.jobs import notify_group_closed, notify_promoted

    for row, group in rows:
        freed = row.status == "registered"
        row.status, row.seat, row.rank = "cancelled", None, None
        db.session.flush()
        if freed:
            promoted = _promote_next(group)
            if promoted is not None:
                enqueue_after_commit(notify_promoted, [promoted], group.id)
        left += 1
    closed = 0
    for group in db.session.execute(sa.select(Groupe).where(
            Groupe.facilitator_id == profile_id, Groupe.status == "open")
            .with_for_update()).scalars():
        starts = db.session.execute(sa.update(Seance).where(
            Seance.groupe_id == group.id, Seance.starts_at > now,
            Seance.cancelled.is_(False)).values(cancelled=True).returning(Seance.starts_at)
        ).scalars().all()
        registered = db.session.execute(sa.select(Inscription.profile_id).where(
            Inscription.groupe_id == group.id, Inscription.status == "registered")
        ).scalars().all()
        waiting = db.session.execute(sa.update(Inscription).where(
            Inscription.groupe_id == group.id, Inscription.status == "waiting")
            .values(status="cancelled", rank=None).returning(Inscription.profile_id)
        ).scalars().all()
        # The same messages as a closing by the facilitator.
        enqueue_after_commit(notify_group_closed, list(registered),
                             [s.isoformat() for s in starts], list(waiting))
        group.status, group.closed_at = "closed", now
        group.version += 1
        closed += 1
    return {"Inscriptions à des groupes ouverts annulées": left,
            "Groupes animés par la personne clos": closed}
