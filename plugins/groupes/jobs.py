"""E-mails of the groupes model, all sent through RQ jobs after commit: the reminder the day
before a session (a periodic job, see ``Groupes.periodic_jobs``), a waiting-list promotion,
a cancelled session, a cancelled registration (by the person, or by the facilitator), a
closed group (its future sessions cancelled: one message per person, not one per session).

The messages name neither the group nor its theme (a theme can say something about health):
only that it is a peer group of the employer, the date, and where to read the rest."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from plugins.base import db, enqueue, current_tenant, notify_people
from plugins.groupes.models import Groupe, Inscription, Seance

SIGNATURE = "\n\nRetrouvez le lieu et le détail de la séance dans Entrepairs."


def _when(moment) -> str:
    from plugins.groupes.service import local_text
    return local_text(moment)


def remind_tomorrows_sessions(at: datetime | None = None) -> list[int]:
    """Remind registered people and the facilitator of each session starting in the next 24
    hours, once per session. Returns the ids of the sessions reminded."""
    at = at or datetime.now(timezone.utc)
    from plugins.base import settings_of
    if not settings_of("groupes")["reminders"]:
        return []
    rows = db.session.execute(
        sa.select(Seance).join(Groupe, Groupe.id == Seance.groupe_id)
        .where(Seance.starts_at > at, Seance.starts_at <= at + timedelta(hours=24),
               Seance.cancelled.is_(False), Seance.reminder_sent_at.is_(None),
               Groupe.status == "open")
        .order_by(Seance.starts_at).with_for_update(of=Seance, skip_locked=True)).scalars().all()
    todo = []
    for seance in rows:
        seance.reminder_sent_at = at
        people = db.session.execute(sa.select(Inscription.profile_id).where(
            Inscription.groupe_id == seance.groupe_id, Inscription.status == "registered")
        ).scalars().all()
        facilitator = db.session.get(Groupe, seance.groupe_id).facilitator_id
        todo.append((seance.id, seance.starts_at, [*people, facilitator]))
    db.session.commit()
    for _, starts_at, people in todo:  # after commit: no message about a rollback
        notify_people(people, "Rappel : séance de groupe demain",
                      "Bonjour,\n\nVous participez demain à une séance de groupe de "
                      f"pair-aidance, le {_when(starts_at)}." + SIGNATURE)
    return [t[0] for t in todo]


def notify_promoted(profile_ids, groupe_id: int) -> None:
    """Job: tell people promoted from the waiting list that they now have a place."""
    seance = db.session.execute(sa.select(Seance).where(
        Seance.groupe_id == groupe_id, Seance.starts_at >= datetime.now(timezone.utc),
        Seance.cancelled.is_(False)).order_by(Seance.starts_at).limit(1)).scalar_one_or_none()
    nxt = f" La prochaine séance a lieu le {_when(seance.starts_at)}." if seance else ""
    notify_people(profile_ids, "Une place s'est libérée dans votre groupe",
                  "Bonjour,\n\nUne place s'est libérée dans un groupe de pair-aidance dont "
                  "vous étiez sur la liste d'attente : vous êtes maintenant inscrit." + nxt
                  + "\n\nSi vous ne pouvez plus venir, désinscrivez-vous dans Entrepairs pour "
                  "laisser la place à quelqu'un d'autre.")


def notify_session_cancelled(profile_ids, starts_at_iso: str) -> None:
    """Job: tell registered people that a session is cancelled."""
    starts_at = datetime.fromisoformat(starts_at_iso)
    notify_people(profile_ids, "Séance de groupe annulée",
                  "Bonjour,\n\nLa séance de groupe de pair-aidance prévue le "
                  f"{_when(starts_at)} est annulée. Les autres séances sont maintenues."
                  + SIGNATURE.replace("de la séance", "des prochaines séances"))


def notify_registration_cancelled(profile_id: int) -> None:
    """Job: confirm to a person that their registration is cancelled."""
    notify_people([profile_id], "Votre désinscription est enregistrée",
                  "Bonjour,\n\nVotre désinscription d'un groupe de pair-aidance est "
                  "enregistrée. Vous pouvez vous réinscrire à tout moment dans Entrepairs.")


def notify_registration_removed(profile_id: int) -> None:
    """Job: tell a person that the facilitator unregistered them."""
    notify_people([profile_id], "Vous avez été désinscrit d'un groupe",
                  "Bonjour,\n\nLa personne qui anime un groupe de pair-aidance auquel vous "
                  "étiez inscrit (ou sur la liste d'attente) vous en a désinscrit. Si vous "
                  "pensez qu'il s'agit d'une erreur, écrivez-lui ou réinscrivez-vous dans "
                  "Entrepairs.")


def notify_group_closed(profile_ids, starts_at_isos, waiting_ids=()) -> None:
    """Job: the session-cancellation message of a whole group that closes: the registered
    people learn that the sessions to come are cancelled, the people waiting that the waiting
    list is closed."""
    starts = sorted(datetime.fromisoformat(x) for x in starts_at_isos)
    if profile_ids:
        if starts:
            dates = ("La prochaine séance, prévue le " + _when(starts[0]) + ", et les suivantes "
                     "sont annulées." if len(starts) > 1 else
                     "La séance prévue le " + _when(starts[0]) + " est annulée.")
        else:
            dates = "Il n'avait plus de séance à venir."
        notify_people(profile_ids, "Séances de groupe annulées : le groupe est clos",
                      "Bonjour,\n\nUn groupe de pair-aidance auquel vous êtes inscrit est "
                      f"clos. {dates}\n\nVous pouvez rejoindre un autre groupe dans Entrepairs.")
    if waiting_ids:
        notify_people(waiting_ids, "Liste d'attente close : le groupe est clos",
                      "Bonjour,\n\nUn groupe de pair-aidance dont vous étiez sur la liste "
                      "d'attente est clos : aucune place ne se libérera. Vous pouvez rejoindre "
                      "un autre groupe dans Entrepairs.")


def after_remove(outcome, groupe_id: int) -> None:
    """Enqueue the e-mails of a participant unregistered by the facilitator (after commit)."""
    slug = current_tenant().slug
    enqueue(notify_registration_removed, outcome.inscription.profile_id, tenant=slug)
    if outcome.promoted:
        enqueue(notify_promoted, list(outcome.promoted), groupe_id, tenant=slug)


def after_update(outcome, groupe_id: int) -> None:
    """Enqueue the e-mails of people promoted by a larger capacity (after commit)."""
    if outcome is not None and outcome.promoted:
        enqueue(notify_promoted, list(outcome.promoted), groupe_id,
                tenant=current_tenant().slug)


def after_close(closing) -> None:
    """Enqueue the e-mails of a closed group (after commit)."""
    if closing.registered_ids or closing.waiting_ids:
        enqueue(notify_group_closed, list(closing.registered_ids),
                [s.isoformat() for s in closing.cancelled_starts], list(closing.waiting_ids),
                tenant=current_tenant().slug)


def after_cancel(outcome, groupe_id: int) -> None:
    """Enqueue the e-mails of a cancellation (call after commit)."""
    slug = current_tenant().slug
    enqueue(notify_registration_cancelled, outcome.inscription.profile_id, tenant=slug)
    if outcome.promoted:
        enqueue(notify_promoted, list(outcome.promoted), groupe_id, tenant=slug)


def after_session_cancelled(seance, people) -> None:
    if people:
        enqueue(notify_session_cancelled, list(people), seance.starts_at.isoformat(),
                tenant=current_tenant().slug)
