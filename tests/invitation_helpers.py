"""Helpers shared by the invitation and participation tests."""
from __future__ import annotations

import sqlalchemy as sa

from server.participation.forms import CRITERIA_FIELDS
from tests.fixtures.app import CSRF_RE, csrf_token
from tests.fixtures.factories import unique

NEW_PASSWORD = "une-phrase-de-passe-longue"


def new_email() -> str:
    return f"{unique('invite')}@exemple.fr"


def make_invitation(app, employer, role: str = "pair-aide", email: str | None = None,
                    name: str = "Camille Invitée") -> tuple[int, str, str]:
    """An invitation written directly (no e-mail): (id, link path, e-mail)."""
    from server.extensions import db
    from server.invitations import service
    from tenants import tenant_context

    email = email or new_email()
    with app.app_context(), tenant_context(employer.slug):
        created = service.create([service.Candidate(email=email, display_name=name, role=role)],
                                 None)
        assert created, "the invitation could not be created"
        invitation, token = created[0]
        db.session.commit()
        return invitation.id, f"/invitation/{token}", email


def acceptance(client, link: str, *, helped: bool = True, password: str = NEW_PASSWORD,
               name: str = "Camille Invitée", existing: bool = False, **overrides) -> dict:
    """The form data of the invitation page, every box ticked."""
    page = client.get(link).get_data(as_text=True)
    match = CSRF_RE.search(page)
    assert match, page[:500]
    version = _hidden(page, "consent_version")
    data = {"csrf_token": match.group(1), "consent_version": version, "consent": "y"}
    if existing:
        data["current_password"] = password
    else:
        data.update(display_name=name, password=password, password_confirm=password)
    if helped:
        data.update({name: "y" for name in CRITERIA_FIELDS})
        data.update(needs="Reprendre après un long arrêt", preferences="Plutôt en fin de journée")
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _hidden(page: str, name: str) -> str:
    import re

    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', page)
    assert match, f"no hidden {name}"
    return match.group(1)


def invitation_row(app, invitation_id: int):
    from server.extensions import db
    from server.invitations.models import Invitation

    with app.app_context():
        try:
            row = db.session.get(Invitation, invitation_id)
            db.session.expunge(row)
            return row
        finally:
            db.session.remove()


def account_id(app, email: str) -> int | None:
    from server.auth.models import User
    from server.extensions import db

    with app.app_context():
        try:
            user = User.by_email(email)
            return user.id if user else None
        finally:
            db.session.remove()


def roles_of(app, employer, email: str) -> set[str]:
    from server.extensions import db

    with app.app_context():
        try:
            return set(db.session.execute(sa.text(
                "SELECT m.role FROM network.membership m JOIN network.account a "
                "ON a.id = m.user_id WHERE m.tenant_id = :t AND lower(a.email) = :e"),
                {"t": employer.id, "e": email.lower()}).scalars())
        finally:
            db.session.remove()


def participations(app, employer, email: str) -> list[dict]:
    from server.extensions import db

    with app.app_context():
        try:
            rows = db.session.execute(sa.text(
                f"SELECT pa.* FROM {employer.schema}.participation pa "
                f"JOIN {employer.schema}.profile p ON p.id = pa.profile_id "
                "JOIN network.account a ON a.id = p.user_id WHERE lower(a.email) = :e "
                "ORDER BY pa.id"), {"e": email.lower()}).mappings().all()
            return [dict(r) for r in rows]
        finally:
            db.session.remove()


def referent_post(client, path: str, data: dict, **kw):
    return client.post(path, data={"csrf_token": csrf_token(client, "/espaces"), **data}, **kw)
