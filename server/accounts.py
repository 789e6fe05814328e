"""Creating accounts and giving roles (CLI, demo, invitations later)."""
from __future__ import annotations

from types import SimpleNamespace

from server.auth.models import EMPLOYER_ROLES, NETWORK_ROLES, NetworkRole, User, normalise_email
from server.auth.passwords import MIN_LENGTH as MIN_PASSWORD_LENGTH  # noqa: F401  (forms)
from server.auth.passwords import password_problem
from server.extensions import db
from tenants import TenantNotFound, tenant_context


class AccountError(ValueError):
    pass


def create_account(email: str, display_name: str, password: str, network_roles=(),
                   employers=()) -> User:
    """Create an account, its network roles and its memberships (``slug:role``)."""
    from server.employers.enrolment import add_member

    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise AccountError("Adresse e-mail invalide.")
    if User.by_email(email) is not None:
        raise AccountError(f"Un compte existe déjà pour {email}.")
    problem = password_problem(password, SimpleNamespace(email=email, display_name=display_name))
    if problem:
        raise AccountError(problem)
    for role in network_roles:
        if role not in NETWORK_ROLES:
            raise AccountError(f"Rôle réseau inconnu : {role}.")
    wanted = []
    for spec in employers:
        slug, _, role = spec.partition(":")
        if role not in EMPLOYER_ROLES:
            raise AccountError(f"Rôle inconnu dans {spec!r} : choisissez parmi "
                               + ", ".join(EMPLOYER_ROLES) + ".")
        wanted.append((slug, role))
    for slug, _role in wanted:  # check every space before writing anything
        try:
            with tenant_context(slug):
                pass
        except TenantNotFound as exc:
            raise AccountError(f"Aucun employeur actif n'a l'identifiant « {slug} ».") from exc
    user = User(email=email, display_name=display_name.strip())
    user.set_password(password)
    user.network_roles = [NetworkRole(role=r) for r in network_roles]
    db.session.add(user)
    db.session.commit()
    user_id = user.id
    for slug, role in wanted:
        with tenant_context(slug):
            add_member(db.session.get(User, user_id), role)
            db.session.commit()
    return db.session.get(User, user_id)
