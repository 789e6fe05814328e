"""Counts shown on an employer's home page and in its API summary: status and counts only."""
from __future__ import annotations

import sqlalchemy as sa

from server.auth.models import Membership
from server.employers.models import Profile
from server.extensions import db
from tenants import current_tenant


def space_summary() -> dict:
    tenant = current_tenant()
    by_role = dict(
        db.session.execute(
            sa.select(Membership.role, sa.func.count())
            .where(Membership.tenant_id == tenant.id)
            .group_by(Membership.role)
        ).all()
    )
    active_profiles = db.session.execute(
        sa.select(sa.func.count()).select_from(Profile).where(Profile.status == "active")
    ).scalar_one()
    return {"people_by_role": by_role, "active_profiles": active_profiles}
