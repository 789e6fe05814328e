"""Joining and leaving an employer space. The membership (network) and the programme profile
(employer schema) are written in one transaction: there is one database."""
from __future__ import annotations

import sqlalchemy as sa

from server import signals
from server.auth.models import EMPLOYER_ROLES, Membership, User
from server.employers.models import Profile
from server.extensions import db
from tenants import current_tenant


def add_member(user: User, role: str) -> Profile:
    """Give ``user`` a role in the current employer space. Caller commits."""
    tenant = current_tenant()
    if tenant is None:
        raise RuntimeError("add_member needs a tenant context")
    if role not in EMPLOYER_ROLES:
        raise ValueError(f"Unknown employer role {role!r}")
    if db.session.get(Membership, (user.id, tenant.id, role)) is None:
        db.session.add(Membership(user_id=user.id, tenant_id=tenant.id, role=role))
    profile = db.session.execute(
        sa.select(Profile).where(Profile.user_id == user.id)
    ).scalar_one_or_none()
    if profile is None:
        profile = Profile(user_id=user.id, display_name=user.display_name)
        db.session.add(profile)
        db.session.flush()
    signals.person_enrolled.send(profile, role=role)
    return profile
