"""Inviting people to an employer space: checks, creation, sending, resending, revoking, and
finding the invitation a link points at.

Every function works in the current employer space and leaves the commit to its caller; the
e-mails are sent by ``send_links`` once the caller has committed."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app, url_for

from server import mail
from server.audit import record
from server.auth.models import EMPLOYER_ROLES, Membership, User, normalise_email
from server.extensions import db
from server.invitations.models import Invitation, token_digest
from tenants import current_tenant
from tenants.registry import Tenant

NAME_MAX = 120

#: What people may write in the role column of a file, without accents and in lower case.
ROLE_ALIASES = {
    "pair-aidant": "pair-aidant", "pair-aidante": "pair-aidant", "pair aidant": "pair-aidant",
    "pair aidante": "pair-aidant", "pair-aide": "pair-aide", "pair-aidee": "pair-aide",
    "pair aide": "pair-aide", "pair aidee": "pair-aide", "membre": "membre",
    "referent": "referent", "referente": "referent",
}
ROLE_HELP = "indiquez pair-aidant, pair-aidé, membre ou référent"


def plain(text: str) -> str:
    """Lower case, without accents or surrounding spaces."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip().lower()


def parse_role(text: str) -> str | None:
    return ROLE_ALIASES.get(" ".join(plain(text).split()))


@dataclass
class Candidate:
    """One person to invite, with what prevents it (nothing: it can be created)."""

    email: str
    display_name: str
    role: str | None
    #: The role as written, shown back when it is unknown.
    role_text: str = ""
    line: int | None = None
    problems: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def role_label(self) -> str:
        return EMPLOYER_ROLES.get(self.role or "", self.role_text)

    def as_row(self) -> dict:
        return {"email": self.email, "nom": self.display_name, "role": self.role_text or self.role}


def check_email(raw: str) -> tuple[str, str | None]:
    """(normalised address, problem or None)."""
    text = (raw or "").strip()
    if not text:
        return "", "Adresse e-mail manquante."
    if len(text) > 254:
        return text, "L'adresse e-mail est trop longue (254 caractères au plus)."
    try:
        valid = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        return text, f"« {text} » n'est pas une adresse e-mail valide (exemple : nom@exemple.fr)."
    return normalise_email(valid.normalized), None


def check_candidates(candidates: list[Candidate]) -> list[Candidate]:
    """Fill each candidate's problems: invalid address, missing name, unknown role, duplicate
    in the list, already a member with that role, already invited. Two queries in all."""
    tenant = current_tenant()
    seen: dict[str, int] = {}
    for c in candidates:
        c.problems = {}
        c.email, problem = check_email(c.email)
        if problem:
            c.problems["email"] = problem
        c.display_name = " ".join((c.display_name or "").split())
        if not c.display_name:
            c.problems["nom"] = "Nom manquant."
        elif len(c.display_name) > NAME_MAX:
            c.problems["nom"] = f"Le nom est trop long ({NAME_MAX} caractères au plus)."
        if c.role is None:
            c.problems["role"] = (f"Rôle inconnu « {c.role_text} » : {ROLE_HELP}." if c.role_text
                                  else f"Rôle manquant : {ROLE_HELP}.")
        if "email" not in c.problems:
            if c.email in seen:
                where = f" (ligne {seen[c.email]})" if seen[c.email] else ""
                c.problems["doublon"] = f"Cette adresse apparaît déjà plus haut dans le fichier{where}."
            else:
                seen[c.email] = c.line or 0
    emails = [c.email for c in candidates if "email" not in c.problems]
    if not emails:
        return candidates
    members = set(db.session.execute(
        sa.select(sa.func.lower(User.email), Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.tenant_id == tenant.id, sa.func.lower(User.email).in_(emails))
    ).all())
    invited = dict(db.session.execute(
        sa.select(sa.func.lower(Invitation.email), Invitation.role)
        .where(Invitation.tenant_id == tenant.id, sa.func.lower(Invitation.email).in_(emails),
               Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None),
               Invitation.expires_at > sa.func.now())
    ).all())
    for c in candidates:
        if "email" in c.problems or "doublon" in c.problems:
            continue
        if c.role and (c.email, c.role) in members:
            c.problems["membre"] = (f"Cette personne est déjà {EMPLOYER_ROLES[c.role].lower()} "
                                    "dans votre espace.")
        elif c.email in invited:
            c.problems["invitation"] = (
                "Cette personne a déjà une invitation en attente "
                f"({EMPLOYER_ROLES[invited[c.email]].lower()}) : renvoyez-la ou annulez-la.")
    return candidates


def create(candidates: list[Candidate], by_user_id: int | None) -> list[tuple[Invitation, str]]:
    """Invitations for the candidates without problems (checked again here). Returns
    (invitation, token) pairs; the caller commits, then calls ``send_links``."""
    tenant = current_tenant()
    days = current_app.config["INVITATION_DAYS"]
    check_candidates(candidates)
    valid = [c for c in candidates if c.ok]
    if valid:
        # Expired invitations still hold their address: they end here, replaced.
        db.session.execute(
            sa.update(Invitation)
            .where(Invitation.tenant_id == tenant.id,
                   sa.func.lower(Invitation.email).in_([c.email for c in valid]),
                   Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
            .values(revoked_at=sa.func.now()))
    created = []
    for c in valid:
        invitation = Invitation(tenant_id=tenant.id, email=c.email, display_name=c.display_name,
                                role=c.role, created_by=by_user_id)
        token = invitation.new_token(days)
        db.session.add(invitation)
        created.append((invitation, token))
    db.session.flush()
    for invitation, _ in created:
        record("invite", "invitation", invitation.id, role=invitation.role)
    return created


def find_in_space(invitation_id: int, *, lock: bool = False) -> Invitation | None:
    query = sa.select(Invitation).where(Invitation.id == invitation_id,
                                        Invitation.tenant_id == current_tenant().id)
    if lock:
        query = query.with_for_update()
    return db.session.execute(query).scalar_one_or_none()


class NotPending(Exception):
    """The invitation was already accepted or revoked."""


def resend(invitation: Invitation) -> str:
    """A new link for a pending or expired invitation; the old link dies. Returns the token."""
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise NotPending(invitation.status)
    token = invitation.new_token(current_app.config["INVITATION_DAYS"])
    invitation.sent_count += 1
    record("resend", "invitation", invitation.id)
    return token


def revoke(invitation: Invitation) -> None:
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise NotPending(invitation.status)
    invitation.revoked_at = datetime.now(UTC)
    record("revoke", "invitation", invitation.id)


def listing() -> list[Invitation]:
    """The space's invitations, open ones first (newest first)."""
    return db.session.execute(
        sa.select(Invitation).where(Invitation.tenant_id == current_tenant().id)
        .order_by((Invitation.accepted_at.is_(None) & Invitation.revoked_at.is_(None)).desc(),
                  Invitation.sent_at.desc(), Invitation.id.desc())
    ).scalars().all()


def send_links(created: list[tuple[Invitation, str]]) -> None:
    """E-mail each invitation its link. Call after commit, inside the request."""
    tenant = current_tenant()
    for invitation, token in created:
        link = url_for("invitations.accept", token=token, _external=True)
        message = mail.Message.from_templates(
            invitation.email,
            f"Invitation à rejoindre l'espace pair-aidance de {tenant.name}",
            "invitation", name=invitation.display_name, employer=tenant.name, link=link,
            expires_at=invitation.expires_at)
        mail.send(message, tenant=tenant.slug)


# --- the link ---------------------------------------------------------------------------------

@dataclass
class LinkState:
    invitation: Invitation | None
    tenant: Tenant | None
    #: ``ok``, ``unknown``, ``accepted``, ``revoked``, ``expired``.
    state: str


def resolve(token: str, *, lock: bool = False) -> LinkState:
    """What a link points at. A token that names no invitation (never issued, or replaced by
    a resend) and an employer no longer active are both ``unknown``."""
    if not token or len(token) > 100:
        return LinkState(None, None, "unknown")
    query = (sa.select(Invitation, Tenant).join(Tenant, Tenant.id == Invitation.tenant_id)
             .where(Invitation.digest == token_digest(token)))
    if lock:
        query = query.with_for_update(of=Invitation)
    row = db.session.execute(query).first()
    if row is None or row.Tenant.status != "active":
        return LinkState(None, None, "unknown")
    invitation, tenant = row
    status = invitation.status
    return LinkState(invitation, tenant, "ok" if status == "pending" else status)
