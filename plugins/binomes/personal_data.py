"""What the binômes model holds about a person, for their copy and for an erasure, and the
retention of closed binômes' notes (docs/personal_data.md).

Erasure: the person's declarations (pair-aidant and pair-aidé profiles) are deleted, and so are
the meeting notes they wrote; a binôme stays for the other member's history, the erased person
shown as the core's placeholder « Personne effacée » (the profile id now names nobody); an
ongoing binôme ends (« Départ de l'un des membres ») and a pending proposal is declined."""
from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from plugins.base import Profile, RetentionKind, db
from plugins.binomes.models import (
    CLOSE_REASONS,
    STATUSES,
    Binome,
    BinomeEvent,
    HelperProfile,
    MatchingRun,
    Meeting,
    MeetingNote,
    Proposal,
    SeekerProfile,
)

NOTES_KIND = RetentionKind(
    "binomes.notes", "Notes des binômes clos", 730,
    "Les notes privées des rencontres d'un binôme clos sont supprimées après ce délai, compté "
    "depuis la clôture ; les dates et durées des rencontres restent pour les chiffres.")


def _names(ids) -> dict[int, str]:
    ids = set(ids)
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(Profile.id, Profile.display_name)
                                   .where(Profile.id.in_(ids))).all())


def personal_data(profile_id: int) -> dict[str, list[dict]]:
    sections: dict[str, list[dict]] = {}
    helper = db.session.get(HelperProfile, profile_id)
    if helper is not None:
        sections["Votre profil de pair-aidant"] = [{
            "Expériences que vous pouvez partager": "; ".join(helper.experiences) or None,
            "Site": helper.site, "Service": helper.department,
            "Disponibilités": "; ".join(helper.availability) or None,
            "Binômes au plus": helper.capacity, "En pause": helper.paused,
            "Mis à jour le": helper.updated_at}]
    seeker = db.session.get(SeekerProfile, profile_id)
    if seeker is not None:
        excluded = _names(seeker.excluded_helpers)
        sections["Votre profil de pair-aidé"] = [{
            "Ce que vous recherchez": "; ".join(seeker.looking_for) or None,
            "Site": seeker.site, "Service": seeker.department,
            "Disponibilités": "; ".join(seeker.availability) or None,
            "Personne de votre service": "non" if seeker.exclude_same_department else "oui",
            "Pair-aidants que vous ne souhaitez pas rencontrer":
                "; ".join(excluded.get(i, "?") for i in seeker.excluded_helpers) or None,
            "Mis à jour le": seeker.updated_at}]
    binomes = db.session.execute(sa.select(Binome).where(
        sa.or_(Binome.helper_id == profile_id, Binome.seeker_id == profile_id))
        .order_by(Binome.created_at)).scalars().all()
    names = _names([b.helper_id for b in binomes] + [b.seeker_id for b in binomes])
    if binomes:
        sections["Vos binômes"] = [{
            "Numéro": b.id,
            "Votre rôle": "pair-aidant" if b.helper_id == profile_id else "pair-aidé",
            "Autre membre": names.get(b.seeker_id if b.helper_id == profile_id
                                      else b.helper_id),
            "Statut": STATUSES.get(b.status, b.status), "Proposé le": b.created_at,
            "Accepté le": b.accepted_at, "Commencé le": b.started_at, "Clos le": b.closed_at,
            "Raison de la clôture": CLOSE_REASONS.get(b.close_reason) if b.close_reason
            else None} for b in binomes]
        meetings = db.session.execute(
            sa.select(Meeting, MeetingNote.body)
            .outerjoin(MeetingNote, MeetingNote.meeting_id == Meeting.id)
            .where(Meeting.binome_id.in_([b.id for b in binomes]))
            .order_by(Meeting.held_on, Meeting.id)).all()
        if meetings:
            sections["Rencontres de vos binômes et leurs notes"] = [{
                "Binôme": m.binome_id, "Date": m.held_on, "Durée (minutes)": m.duration_minutes,
                "Forme": m.format, "Notée par vous": m.logged_by == profile_id,
                "Note (lisible par les deux membres du binôme)": body}
                for m, body in meetings]
    proposals = db.session.execute(
        sa.select(Proposal, MatchingRun.created_at).join(MatchingRun,
                                                         MatchingRun.id == Proposal.run_id)
        .where(sa.or_(Proposal.helper_id == profile_id, Proposal.seeker_id == profile_id))
        .order_by(MatchingRun.created_at)).all()
    if proposals:
        sections["Propositions d'appariement calculées"] = [{
            "Calculée le": at, "Score": p.score,
            "Raisons du score": "; ".join(f"{reason} ({points:+g})"
                                          for reason, points in p.explanation) or None}
            for p, at in proposals]
    return sections


def erase_person(profile_id: int) -> dict[str, int]:
    now = datetime.now(UTC)
    counts = {
        "Profils de pair-aidant supprimés": db.session.execute(sa.delete(HelperProfile).where(
            HelperProfile.profile_id == profile_id)).rowcount,
        "Profils de pair-aidé supprimés": db.session.execute(sa.delete(SeekerProfile).where(
            SeekerProfile.profile_id == profile_id)).rowcount,
    }
    mine = sa.select(Meeting.id).where(Meeting.logged_by == profile_id)
    counts["Notes de rencontre écrites par la personne supprimées"] = db.session.execute(
        sa.delete(MeetingNote).where(MeetingNote.meeting_id.in_(mine))).rowcount
    drafts = sa.select(MatchingRun.id).where(MatchingRun.status == "draft")
    counts["Propositions en préparation retirées"] = db.session.execute(
        sa.delete(Proposal).where(Proposal.run_id.in_(drafts), sa.or_(
            Proposal.helper_id == profile_id, Proposal.seeker_id == profile_id))).rowcount
    ended = 0
    for binome in db.session.execute(sa.select(Binome).where(
            sa.or_(Binome.helper_id == profile_id, Binome.seeker_id == profile_id),
            Binome.status.in_(("proposed", "accepted", "active"))).with_for_update()
            ).scalars():
        if binome.status == "proposed":
            binome.status, event = "declined", "declined"
            if binome.helper_id == profile_id:
                binome.helper_answer = "declined"
            else:
                binome.seeker_answer = "declined"
        else:
            binome.status, event = "closed", "closed"
            binome.close_reason, binome.closed_at = "depart", now
        binome.version += 1
        db.session.add(BinomeEvent(binome_id=binome.id, event=event, status=binome.status,
                                   reason="depart" if event == "closed" else None))
        ended += 1
    counts["Binômes en cours terminés (gardés pour l'autre membre)"] = ended
    user_id = db.session.execute(sa.select(Profile.user_id).where(Profile.id == profile_id)
                                 ).scalar()
    if user_id is not None and user_id > 0:
        counts["Appariements détachés du compte"] = db.session.execute(
            sa.update(MatchingRun).where(MatchingRun.created_by == user_id)
            .values(created_by=None)).rowcount
    return counts


def apply_retention(key: str, before) -> int:
    if key != NOTES_KIND.key:
        return 0
    closed = sa.select(Meeting.id).join(Binome, Binome.id == Meeting.binome_id).where(
        Binome.status == "closed", Binome.closed_at < before)
    return db.session.execute(sa.delete(MeetingNote).where(
        MeetingNote.meeting_id.in_(closed))).rowcount
