"""What the network schema holds about a person outside any employer space: the account,
network roles, API tokens, e-clubs (registrations, questions, supports), topic proposals and
polls, the resource library, the outbox — read for the export, erased for an erasure of
everything. Tables of one employer space (memberships, calendar links, invitations) are in
``space.py``.

A feature of the network that stores something about a person adds a pair of functions to
``SECTIONS``: ``read(user) -> {title: rows}`` and ``erase(user) -> {label: count}``."""
from __future__ import annotations

import secrets

import sqlalchemy as sa

from server.auth.models import NETWORK_ROLES, ApiToken, NetworkRole, User
from server.eclubs.models import EClub, Question, Registration, Support
from server.extensions import db
from server.library.models import Attachment, Resource
from server.mail import OutboxMessage
from server.network_indicators.models import IndicatorRun
from server.polls.models import Poll, PollVoter, TopicProposal, TopicSupport
from server.practices import personal_data as practices

SECRET_BALLOTS = (
    "Vos votes aux sondages sont secrets : chaque bulletin est enregistré sous une clé "
    "chiffrée (HMAC) sans votre compte, sans votre employeur et sans heure. Entrepairs sait "
    "seulement que vous avez voté, jamais ce que vous avez choisi : ce choix ne peut donc ni "
    "vous être remis ni être effacé, et il ne permet pas de vous reconnaître.")
ERASED_NAME = "Compte effacé"


def _account(user: User) -> dict[str, list[dict]]:
    roles = db.session.execute(sa.select(NetworkRole.role).where(
        NetworkRole.user_id == user.id)).scalars().all()
    tokens = db.session.execute(sa.select(ApiToken).where(ApiToken.user_id == user.id)
                                .order_by(ApiToken.created_at)).scalars().all()
    return {
        "Votre compte": [{"Adresse e-mail": user.email, "Nom affiché": user.display_name,
                          "Compte actif": user.active, "Créé le": user.created_at,
                          "Dernière connexion": user.last_login_at}],
        "Vos rôles dans le réseau": [{"Rôle": NETWORK_ROLES.get(r, r)} for r in roles],
        "Vos jetons d'accès à l'API": [{
            "Nom": t.name, "Créé le": t.created_at, "Expire le": t.expires_at,
            "Dernière utilisation": t.last_used_at, "Révoqué le": t.revoked_at}
            for t in tokens],
    }


def _erase_account_links(user: User) -> dict[str, int]:
    return {
        "Rôles du réseau retirés": db.session.execute(sa.delete(NetworkRole).where(
            NetworkRole.user_id == user.id)).rowcount,
        "Jetons d'accès à l'API supprimés": db.session.execute(sa.delete(ApiToken).where(
            ApiToken.user_id == user.id)).rowcount,
        "Messages en attente supprimés": db.session.execute(sa.delete(OutboxMessage).where(
            sa.func.lower(OutboxMessage.recipient) == user.email.lower())).rowcount,
    }


def _sessions(user: User) -> dict[str, list[dict]]:
    from server.auth.sessions import AccountSession

    sessions = db.session.execute(sa.select(AccountSession).where(
        AccountSession.user_id == user.id).order_by(AccountSession.created_at)).scalars().all()
    return {
        "Vos sessions de connexion": [{
            "Ouverte le": s.created_at, "Dernière activité": s.last_seen_at,
            "Navigateur": s.user_agent, "Réseau (adresse masquée)": s.ip,
            "Fermée le": s.revoked_at} for s in sessions],
        "Double authentification": [{
            "Activée le": getattr(user, "totp_enabled_at", None),
            "Codes de secours restants": len(getattr(user, "recovery_codes", None) or [])}]
        if getattr(user, "totp_enabled_at", None) else [],
    }


def _erase_sessions(user: User) -> dict[str, int]:
    from server.auth.sessions import AccountSession

    # The second factor goes with the account (the secret is useless once it is closed).
    for attribute in ("totp_secret", "totp_enabled_at", "totp_last_counter", "locked_until",
                      "last_failed_login_at", "password_changed_at"):
        if hasattr(User, attribute):
            setattr(user, attribute, None)
    if hasattr(User, "recovery_codes"):
        user.recovery_codes = []
    return {"Sessions de connexion supprimées": db.session.execute(
        sa.delete(AccountSession).where(AccountSession.user_id == user.id)).rowcount}


def _audit(user: User) -> dict[str, list[dict]]:
    from server.audit.models import NetworkAuditEvent
    from server.personal_data.space import audit_rows

    events = db.session.execute(sa.select(NetworkAuditEvent).where(
        NetworkAuditEvent.actor_id == user.id).order_by(NetworkAuditEvent.at)).scalars().all()
    return {"Vos connexions et actions dans le réseau (journal d'audit)": audit_rows(events)}


def _keep_audit(user: User) -> dict[str, int]:
    """The audit log is append-only and holds ids only: it stays (docs/audit.md)."""
    return {}


def _eclubs(user: User) -> dict[str, list[dict]]:
    registrations = db.session.execute(
        sa.select(EClub.title, EClub.starts_at, Registration.created_at)
        .join(Registration, Registration.eclub_id == EClub.id)
        .where(Registration.user_id == user.id).order_by(EClub.starts_at)).all()
    questions = db.session.execute(
        sa.select(Question, EClub.title).join(EClub, EClub.id == Question.eclub_id)
        .where(Question.author_id == user.id).order_by(Question.created_at)).all()
    supports = db.session.execute(
        sa.select(Question.body, Support.created_at)
        .join(Support, Support.question_id == Question.id)
        .where(Support.user_id == user.id).order_by(Support.created_at)).all()
    return {
        "Vos inscriptions aux e-clubs": [{"E-club": r.title, "Date": r.starts_at,
                                          "Inscription le": r.created_at}
                                         for r in registrations],
        "Vos questions aux e-clubs": [{"E-club": title, "Question": q.body,
                                       "Sans votre nom": q.anonymous, "Posée le": q.created_at}
                                      for q, title in questions],
        "Questions que vous avez soutenues": [{"Question": s.body, "Soutenue le": s.created_at}
                                              for s in supports],
    }


def _erase_eclubs(user: User) -> dict[str, int]:
    return {
        "Inscriptions aux e-clubs supprimées": db.session.execute(sa.delete(Registration).where(
            Registration.user_id == user.id)).rowcount,
        # The question stays for the e-club's record, as if asked without a name.
        "Questions aux e-clubs anonymisées": db.session.execute(sa.update(Question).where(
            Question.author_id == user.id).values(author_id=None, anonymous=True)).rowcount,
        "Soutiens de questions supprimés": db.session.execute(sa.delete(Support).where(
            Support.user_id == user.id)).rowcount,
        "E-clubs détachés de votre compte": db.session.execute(sa.update(EClub).where(
            EClub.created_by == user.id).values(created_by=None)).rowcount,
    }


def _polls(user: User) -> dict[str, list[dict]]:
    proposals = db.session.execute(sa.select(TopicProposal).where(
        TopicProposal.proposer_id == user.id).order_by(TopicProposal.created_at)).scalars().all()
    supported = db.session.execute(
        sa.select(TopicProposal.title).join(TopicSupport, TopicSupport.topic_id
                                            == TopicProposal.id)
        .where(TopicSupport.user_id == user.id).order_by(TopicProposal.id)).scalars().all()
    voted = db.session.execute(
        sa.select(Poll.title, Poll.closes_at).join(PollVoter, PollVoter.poll_id == Poll.id)
        .where(PollVoter.account_id == user.id).order_by(Poll.closes_at)).all()
    return {
        "Thèmes d'e-club que vous avez proposés": [{
            "Thème": p.title, "Pourquoi": p.reason, "Proposé le": p.created_at,
            "Suite donnée": p.status, "Motif": p.rejection_reason} for p in proposals],
        "Thèmes que vous avez soutenus": [{"Thème": title} for title in supported],
        "Sondages auxquels vous avez voté": [{"Sondage": v.title, "Clos le": v.closes_at}
                                             for v in voted],
        "À propos de vos votes": [{"Explication": SECRET_BALLOTS}] if voted else [],
    }


def _erase_polls(user: User) -> dict[str, int]:
    return {
        "Thèmes proposés anonymisés": db.session.execute(sa.update(TopicProposal).where(
            TopicProposal.proposer_id == user.id).values(proposer_id=None)).rowcount,
        "Soutiens de thèmes supprimés": db.session.execute(sa.delete(TopicSupport).where(
            TopicSupport.user_id == user.id)).rowcount,
        # The voter row stays (it stops a second ballot) but no longer names the account.
        "Participations à des sondages anonymisées": db.session.execute(
            sa.update(PollVoter).where(PollVoter.account_id == user.id)
            .values(account_id=None)).rowcount,
        "Sondages et décisions détachés de votre compte": (
            db.session.execute(sa.update(Poll).where(Poll.created_by == user.id)
                               .values(created_by=None)).rowcount
            + db.session.execute(sa.update(TopicProposal).where(
                TopicProposal.decided_by == user.id).values(decided_by=None)).rowcount),
    }


def _library(user: User) -> dict[str, list[dict]]:
    resources = db.session.execute(sa.select(Resource.title, Resource.status,
                                             Resource.created_at)
                                   .where(Resource.author_id == user.id)
                                   .order_by(Resource.created_at)).all()
    return {"Ressources de la bibliothèque dont vous êtes l'auteur": [
        {"Titre": r.title, "État": r.status, "Créée le": r.created_at} for r in resources]}


def _erase_library(user: User) -> dict[str, int]:
    return {"Ressources et documents détachés de votre compte": (
        db.session.execute(sa.update(Resource).where(Resource.author_id == user.id)
                           .values(author_id=None)).rowcount
        + db.session.execute(sa.update(Attachment).where(Attachment.created_by == user.id)
                             .values(created_by=None)).rowcount
        + db.session.execute(sa.update(IndicatorRun).where(IndicatorRun.requested_by == user.id)
                             .values(requested_by=None)).rowcount)}


#: (read, erase) per feature of the network. The account itself is scrubbed last.
SECTIONS = [
    (_account, _erase_account_links),
    (_sessions, _erase_sessions),
    (_audit, _keep_audit),
    (_eclubs, _erase_eclubs),
    (_polls, _erase_polls),
    (_library, _erase_library),
    (practices.network_rows, practices.erase_network),
]


def collect(user: User) -> dict[str, list[dict]]:
    sections: dict[str, list[dict]] = {}
    for read, _erase in SECTIONS:
        sections.update({title: rows for title, rows in read(user).items() if rows})
    return sections


def erase(user: User) -> dict[str, int]:
    """Everything of the network about the person, then the account: deactivated, its
    address and name replaced, its password unusable, its sessions ended. The caller
    commits."""
    counts: dict[str, int] = {}
    for _read, erase_part in SECTIONS:
        for label, n in erase_part(user).items():
            counts[label] = counts.get(label, 0) + n
    user.email = f"efface-{user.id}-{secrets.token_hex(4)}@entrepairs.invalid"
    user.display_name = ERASED_NAME
    user.set_password(secrets.token_urlsafe(32))
    user.active = False
    user.session_version += 1
    user.last_login_at = None
    counts["Compte désactivé, adresse et nom effacés"] = 1
    return {label: n for label, n in counts.items() if n}
