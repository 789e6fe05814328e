"""What the core holds about a person in one employer space (the current tenant): their
programme profile, memberships, participation and consent, peer-helper record, survey
invitations, calendar feed link and invitations — read for the export, erased or anonymised
for an erasure. Plugins contribute their own part through ``ProgrammeModel`` hooks; this
module calls them (``collect`` and ``erase``)."""
from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from flask import current_app

from server.auth.models import EMPLOYER_ROLES, User, Membership
from server.calendar.models import CalendarFeed
from server.audit.models import AuditEvent
from server.employers.models import Profile, SpaceSetting
from server.extensions import db
from server.invitations.models import Invitation
from server.participation.consent import CRITERIA as PARTICIPATION_CRITERIA
from server.participation.models import ConsentVersion, Participation
from server.practices import personal_data as practices
from server.programme.models import (
    ASSESSMENTS,
    CRITERIA as HELPER_CRITERIA,
    DECISIONS,
    TRAINING_KINDS,
    FramingVersion,
    PeerHelper,
    ProgrammeModelChoice,
    TrainingRecord,
)
from server.surveys.models import SurveyAnswered, SurveyInvitation, SurveyVersion
from server.surveys.service import KINDS as SURVEY_KINDS
from tenants import current_tenant

#: The name an erased person's profile keeps, so that the others' history stays readable.
PLACEHOLDER_NAME = "Personne effacée"
ANONYMOUS_SURVEYS = (
    "Vos réponses aux questionnaires de satisfaction sont anonymes : elles sont enregistrées "
    "sans aucun lien avec vous (ni nom, ni invitation, ni heure), si bien que personne, pas "
    "même Entrepairs, ne peut les retrouver pour vous les remettre ou les effacer. Seules vos "
    "invitations à répondre figurent ici.")


def plugins() -> list:
    return list(current_app.extensions.get("entrepairs.plugins", {}).values())


def profile_of(user_id: int, lock: bool = False) -> Profile | None:
    query = sa.select(Profile).where(Profile.user_id == user_id)
    if lock:
        query = query.with_for_update()
    return db.session.execute(query).scalar_one_or_none()


# --- the copy of one's data ---------------------------------------------------------------

def collect(user_id: int) -> dict | None:
    """The person's data in the current employer space, by section; ``None`` when the space
    holds nothing about them."""
    tenant = current_tenant()
    profile = profile_of(user_id)
    roles = db.session.execute(sa.select(Membership.role).where(
        Membership.user_id == user_id, Membership.tenant_id == tenant.id)).scalars().all()
    sections: dict[str, list[dict]] = {}
    if roles:
        sections["Vos rôles dans l'espace"] = [
            {"Rôle": EMPLOYER_ROLES.get(role, role)} for role in sorted(roles)]
    network = _network_rows(user_id, tenant.id)
    if profile is None and not roles and not any(network.values()):
        return None
    if profile is not None:
        sections["Votre profil dans le programme"] = [{
            "Nom affiché": profile.display_name, "Site": profile.site,
            "Statut": {"active": "Actif", "paused": "En pause", "left": "Parti"}.get(
                profile.status, profile.status),
            "Arrivée dans l'espace": profile.joined_at}]
        sections.update(_programme_rows(profile))
        for plugin in plugins():
            for title, rows in plugin.personal_data(profile.id).items():
                if rows:
                    sections[f"{plugin.label} — {title}"] = rows
    sections.update({k: v for k, v in network.items() if v})
    sections.update({k: v for k, v in practices.space_rows(user_id).items() if v})
    actions = db.session.execute(sa.select(AuditEvent).where(AuditEvent.actor_id == user_id)
                                 .order_by(AuditEvent.at)).scalars().all()
    if actions:
        sections["Actions que vous avez faites (journal d'audit)"] = audit_rows(actions)
    return {"employer": tenant.name, "slug": tenant.slug, "sections": sections}


def audit_rows(events) -> list[dict]:
    """Audit entries of the person as rows of their copy (the log itself is never changed)."""
    from server.audit.labels import ACTIONS

    return [{"Date": e.at, "Action": ACTIONS.get(e.action, e.action), "Objet": e.object_type,
             "Identifiant": e.object_id, "Réseau (adresse masquée)": getattr(e, "ip", None)}
            for e in events]


def _programme_rows(profile: Profile) -> dict[str, list[dict]]:
    sections: dict[str, list[dict]] = {}
    participations = db.session.execute(
        sa.select(Participation).where(Participation.profile_id == profile.id)
        .order_by(Participation.consented_at)).scalars().all()
    if participations:
        sections["Participation et consentement"] = [{
            "Rôle": EMPLOYER_ROLES.get(p.role, p.role),
            "Statut": "En cours" if p.status == "active" else "Arrêtée",
            "Consentement donné le": p.consented_at,
            "Version du texte de consentement": p.consent_version,
            "Conditions confirmées": "; ".join(PARTICIPATION_CRITERIA.get(c, c)
                                               for c in p.criteria) or None,
            "Vos besoins": p.needs, "Vos préférences": p.preferences,
            "Arrêtée le": p.left_at} for p in participations]
    helper = db.session.execute(sa.select(PeerHelper).where(
        PeerHelper.profile_id == profile.id)).scalar_one_or_none()
    if helper is not None:
        sections["Votre fiche de pair-aidant"] = [{
            "Décision": DECISIONS.get(helper.decision, helper.decision),
            "Décidée le": helper.decided_at, "Missions": helper.missions or None,
            "Heures par mois": float(helper.hours_per_month) if helper.hours_per_month else None,
            "Début de mission": helper.mission_start, "Fin de mission": helper.mission_end}]
        assessed = [a for a in helper.assessments if a.assessment != "not_assessed" or a.comment]
        if assessed:
            sections["Critères de sélection évalués par le référent"] = [{
                "Critère": HELPER_CRITERIA.get(a.criterion, a.criterion),
                "Évaluation": ASSESSMENTS.get(a.assessment, a.assessment),
                "Commentaire": a.comment or None} for a in assessed]
        if helper.trainings:
            sections["Vos formations et supervisions"] = [{
                "Type": TRAINING_KINDS.get(t.kind, t.kind), "Intitulé": t.title,
                "Date": t.on_date, "Heures": float(t.hours), "Organisme": t.provider or None}
                for t in helper.trainings]
    invitations = db.session.execute(
        sa.select(SurveyInvitation, SurveyAnswered.invitation_id)
        .outerjoin(SurveyAnswered, SurveyAnswered.invitation_id == SurveyInvitation.id)
        .where(SurveyInvitation.profile_id == profile.id)
        .order_by(SurveyInvitation.available_from)).all()
    if invitations:
        sections["Invitations aux questionnaires de satisfaction"] = [{
            "Questionnaire": SURVEY_KINDS[i.kind].label if i.kind in SURVEY_KINDS else i.kind,
            "Ouvert à partir du": i.available_from, "Jusqu'au": i.expires_at,
            "Répondu": answered is not None} for i, answered in invitations]
        sections["À propos de vos réponses"] = [{"Explication": ANONYMOUS_SURVEYS}]
    return sections


def _network_rows(user_id: int, tenant_id: int) -> dict[str, list[dict]]:
    """The network tables that belong to one employer space: calendar links, invitations."""
    email = db.session.execute(sa.select(User.email).where(User.id == user_id)).scalar()
    feeds = db.session.execute(sa.select(CalendarFeed).where(
        CalendarFeed.user_id == user_id, CalendarFeed.tenant_id == tenant_id)
        .order_by(CalendarFeed.created_at)).scalars().all()
    invitations = db.session.execute(sa.select(Invitation).where(
        Invitation.tenant_id == tenant_id,
        sa.or_(Invitation.accepted_by == user_id,
               sa.func.lower(Invitation.email) == (email or "").lower()))
        .order_by(Invitation.created_at)).scalars().all()
    return {
        "Liens d'abonnement à votre agenda": [{
            "Créé le": f.created_at, "Dernière utilisation": f.last_used_at,
            "Révoqué le": f.revoked_at} for f in feeds],
        "Invitations reçues": [{
            "Adresse": i.email, "Nom": i.display_name,
            "Rôle proposé": EMPLOYER_ROLES.get(i.role, i.role), "Envoyée le": i.sent_at,
            "État": i.status_label} for i in invitations],
    }


# --- erasure ------------------------------------------------------------------------------

def erase(user_id: int) -> dict[str, int]:
    """Erase or anonymise the person in the current employer space: the plugins' part, then
    the core's, then the network rows of this space (memberships, calendar links,
    invitations). The caller commits. Idempotent: nothing is found the second time."""
    tenant = current_tenant()
    counts: dict[str, int] = {}
    profile = profile_of(user_id, lock=True)
    if profile is not None:
        for plugin in plugins():
            _add(counts, plugin.erase_person(profile.id))
        _add(counts, _erase_programme(profile))
    _add(counts, _unlink_authorship(user_id))
    _add(counts, practices.erase_in_space(user_id))
    email = db.session.execute(sa.select(User.email).where(User.id == user_id)).scalar()
    _add(counts, {
        "Rôles retirés de l'espace": db.session.execute(sa.delete(Membership).where(
            Membership.user_id == user_id, Membership.tenant_id == tenant.id)).rowcount,
        "Liens d'agenda supprimés": db.session.execute(sa.delete(CalendarFeed).where(
            CalendarFeed.user_id == user_id, CalendarFeed.tenant_id == tenant.id)).rowcount,
        "Invitations supprimées": db.session.execute(sa.delete(Invitation).where(
            Invitation.tenant_id == tenant.id,
            sa.or_(Invitation.accepted_by == user_id,
                   sa.func.lower(Invitation.email) == (email or "").lower()))).rowcount,
    })
    return {label: n for label, n in counts.items() if n}


def erase_profile(profile_id: int) -> dict[str, int]:
    """Erase a profile found by id (the retention of people who left): as ``erase``."""
    profile = db.session.get(Profile, profile_id)
    if profile is None or profile.user_id < 0:
        return {}
    return erase(profile.user_id)


def _erase_programme(profile: Profile) -> dict[str, int]:
    counts = {}
    now = datetime.now(UTC)
    counts["Participations anonymisées"] = db.session.execute(
        sa.update(Participation).where(Participation.profile_id == profile.id)
        .values(needs=None, preferences=None, criteria=[], status="left",
                left_at=sa.func.coalesce(Participation.left_at, now))).rowcount
    helper = db.session.execute(sa.select(PeerHelper).where(
        PeerHelper.profile_id == profile.id)).scalar_one_or_none()
    if helper is not None:
        # Hours and dates stay for the programme's counts; the référent's words go.
        helper.missions = ""
        for assessment in helper.assessments:
            assessment.comment = ""
        db.session.execute(sa.update(TrainingRecord).where(
            TrainingRecord.peer_helper_id == helper.id).values(provider=""))
        counts["Fiche de pair-aidant anonymisée"] = 1
    answered = sa.select(SurveyAnswered.invitation_id)
    counts["Invitations à des questionnaires non répondues supprimées"] = db.session.execute(
        sa.delete(SurveyInvitation).where(SurveyInvitation.profile_id == profile.id,
                                          SurveyInvitation.id.not_in(answered))).rowcount
    # The profile stays as an anonymous placeholder: the others' binômes, groups and counts
    # still point at it. A negative account id can never match a real account.
    profile.display_name = PLACEHOLDER_NAME
    profile.site = None
    profile.status = "left"
    profile.user_id = -profile.id
    counts["Profil remplacé par « Personne effacée »"] = 1
    return counts


#: (model, column) holding the account id of who wrote or changed a record of the space.
AUTHORSHIP = (
    (SpaceSetting, "updated_by"), (ProgrammeModelChoice, "updated_by"),
    (FramingVersion, "created_by"), (FramingVersion, "validated_by"),
    (ConsentVersion, "created_by"), (SurveyVersion, "created_by"),
    (PeerHelper, "updated_by"), (TrainingRecord, "created_by"),
)


def _unlink_authorship(user_id: int) -> dict[str, int]:
    """Documents of the space keep their content, no longer the name of who wrote them."""
    total = 0
    for model, column in AUTHORSHIP:
        total += db.session.execute(sa.update(model).where(
            getattr(model, column) == user_id).values({column: None})).rowcount
    return {"Documents de l'espace détachés de votre compte": total}


def _add(counts: dict[str, int], more: dict[str, int]) -> None:
    for label, n in (more or {}).items():
        counts[label] = counts.get(label, 0) + int(n or 0)
