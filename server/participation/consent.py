"""Consent and participation: the employer's consent text, a person's enrolment with their
consent, and withdrawal at any time."""
from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from server import signals
from server.audit import record
from server.auth.models import EMPLOYER_ROLES, Membership, User
from server.employers.enrolment import add_member
from server.employers.models import Profile
from server.extensions import db
from server.participation.models import ConsentVersion, Participation
from tenants import current_tenant

#: The participation criteria of the seed (fiche outil #1), as the pair-aidé confirms them.
CRITERIA = {
    "volontariat": "Je participe de mon plein gré : personne ne m'y oblige, et je peux arrêter "
                   "quand je le veux.",
    "relation-horizontale": "J'accepte une relation d'égal à égal avec mon ou ma pair-aidant : "
                            "ce n'est ni un ou une responsable, ni un ou une soignante.",
    "besoins-exprimes": "Je peux exprimer ce que j'attends de cet accompagnement.",
    "relation-de-confiance": "Je me sens prêt ou prête à entrer dans une relation de confiance, "
                             "où chacun respecte la confidentialité de l'autre.",
}
#: Roles whose enrolment records the participation criteria and stated needs.
HELPED_ROLE = "pair-aide"

DEFAULT_CONSENT = """\
Ce que nous gardons
Votre nom, votre adresse e-mail, votre rôle dans le programme, la date de votre consentement et, \
si vous choisissez de les écrire, vos besoins et vos préférences. Le contenu de vos échanges avec \
votre pair-aidant reste entre vous : il n'est jamais transmis à votre employeur.

Qui le voit
Le ou la référente du programme voit votre statut (participant ou non) et la date de votre \
consentement, ainsi que des nombres (combien de rencontres, par exemple), jamais le contenu de \
vos échanges. Les besoins et préférences que vous écrivez sont lus par le ou la référente et par \
votre futur pair-aidant, personne d'autre.

Combien de temps
Tant que vous participez au programme. Si vous arrêtez, vos besoins et préférences sont effacés ; \
seul le fait que vous avez participé reste compté, sans votre nom, dans les chiffres du programme.

Comment arrêter
À tout moment, sans avoir à vous justifier, depuis la page « Ma participation » de votre espace. \
Vous pouvez aussi le demander au ou à la référente du programme.
"""


class ConsentOutdated(Exception):
    """The consent text changed since the person read it."""


def current_consent() -> ConsentVersion | None:
    return db.session.execute(
        sa.select(ConsentVersion).order_by(ConsentVersion.version.desc()).limit(1)
    ).scalar_one_or_none()


def consent_for_display() -> dict:
    """The text a person is asked to accept now: the latest version, or the default text
    (version 1, written when someone first consents to it)."""
    latest = current_consent()
    if latest is None:
        return {"version": 1, "body": DEFAULT_CONSENT, "on_withdrawal": "delete"}
    return {"version": latest.version, "body": latest.body, "on_withdrawal": latest.on_withdrawal}


def _consent_row(version_read: int | None) -> ConsentVersion:
    """The version the person accepts, locked against a concurrent edit; raises
    ``ConsentOutdated`` when it is not the one they read."""
    latest = db.session.execute(
        sa.select(ConsentVersion).order_by(ConsentVersion.version.desc()).limit(1)
        .with_for_update()
    ).scalar_one_or_none()
    if latest is None:
        if version_read != 1:
            raise ConsentOutdated()
        latest = ConsentVersion(version=1, body=DEFAULT_CONSENT, on_withdrawal="delete")
        db.session.add(latest)
        db.session.flush()
    elif latest.version != version_read:
        raise ConsentOutdated()
    return latest


def publish_consent(body: str, on_withdrawal: str, by_user_id: int | None) -> ConsentVersion:
    """A new version of the consent text. Caller commits."""
    latest = db.session.execute(
        sa.select(ConsentVersion).order_by(ConsentVersion.version.desc()).limit(1)
        .with_for_update()
    ).scalar_one_or_none()
    if latest is None:
        # The default text people may already have read stays version 1.
        latest = ConsentVersion(version=1, body=DEFAULT_CONSENT, on_withdrawal="delete")
        db.session.add(latest)
    row = ConsentVersion(version=latest.version + 1, body=body, on_withdrawal=on_withdrawal,
                         created_by=by_user_id)
    db.session.add(row)
    db.session.flush()
    record("publish", "consent_version", row.version, on_withdrawal=on_withdrawal)
    return row


def active_participation(profile_id: int, role: str) -> Participation | None:
    return db.session.execute(
        sa.select(Participation).where(Participation.profile_id == profile_id,
                                       Participation.role == role,
                                       Participation.status == "active")
    ).scalar_one_or_none()


def enrol(user: User, role: str, *, consent_version: int | None, criteria=(),
          needs: str | None = None, preferences: str | None = None) -> Participation:
    """Give ``user`` the role in the current employer space with their consent, in the
    caller's transaction (caller commits). Raises ``ConsentOutdated``."""
    if role not in EMPLOYER_ROLES:
        raise ValueError(f"Unknown employer role {role!r}")
    consent = _consent_row(consent_version)
    if role == HELPED_ROLE and set(criteria) != set(CRITERIA):
        raise ValueError("Every participation criterion must be confirmed")
    profile = add_member(user, role)
    profile.status = "active"
    participation = active_participation(profile.id, role)
    if participation is None:
        participation = Participation(profile_id=profile.id, role=role)
        db.session.add(participation)
    participation.consent_version = consent.version
    participation.consented_at = datetime.now(UTC)
    if role == HELPED_ROLE:
        participation.criteria = sorted(criteria)
        participation.needs = (needs or "").strip() or None
        participation.preferences = (preferences or "").strip() or None
    db.session.flush()
    # The person consents for themselves, even when the account is created in this request.
    record("consent", "participation", participation.id, actor_id=user.id, role=role,
           consent_version=consent.version)
    return participation


def withdraw(user_id: int, role: str = HELPED_ROLE) -> Participation | None:
    """The person stops participating with ``role``: participation ``left``, what they stated
    deleted unless their consent said to keep it, the role removed, ``person_left`` sent.
    Caller commits. Returns the participation (``None`` when there was none)."""
    tenant = current_tenant()
    profile = db.session.execute(
        sa.select(Profile).where(Profile.user_id == user_id).with_for_update()
    ).scalar_one_or_none()
    if profile is None:
        return None
    participation = active_participation(profile.id, role)
    if participation is None:
        return None
    consent = db.session.get(ConsentVersion, participation.consent_version)
    participation.status = "left"
    participation.left_at = datetime.now(UTC)
    if consent is None or consent.on_withdrawal == "delete":
        participation.needs = None
        participation.preferences = None
    db.session.execute(sa.delete(Membership).where(
        Membership.user_id == user_id, Membership.tenant_id == tenant.id,
        Membership.role == role))
    record("withdraw", "participation", participation.id, role=role)
    still_helping = db.session.execute(sa.select(Membership.role).where(
        Membership.user_id == user_id, Membership.tenant_id == tenant.id,
        Membership.role == "pair-aidant")).first()
    if still_helping is None:
        # A pair-aidé who is not also a pair-aidant leaves the programme.
        profile.status = "left"
        signals.person_left.send(profile)
    return participation


def participants() -> list:
    """Pair-aidés of the programme, present and past: name, status and consent date only."""
    return db.session.execute(
        sa.select(Profile.display_name, Participation.status, Participation.consented_at,
                  Participation.consent_version, Participation.left_at)
        .join(Profile, Profile.id == Participation.profile_id)
        .where(Participation.role == HELPED_ROLE)
        .order_by(Participation.status, Profile.display_name, Participation.id)
    ).all()


def stated_needs(profile_id: int) -> dict | None:
    """What an active pair-aidé chose to state, for the référent and their pair-aidant (the
    caller checks who is asking)."""
    participation = active_participation(profile_id, HELPED_ROLE)
    if participation is None:
        return None
    return {"needs": participation.needs, "preferences": participation.preferences}
