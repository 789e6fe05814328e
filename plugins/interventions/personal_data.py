"""What the interventions model holds about a person, for their copy and for an erasure
(docs/personal_data.md).

Erasure: interventions still to come that the person was asked to run are cancelled; held ones
stay for the figures, pointing at the core's placeholder « Personne effacée »."""
from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from plugins.base import db
from plugins.interventions.models import KINDS, OUTCOMES, STATUSES, Intervention


def personal_data(profile_id: int) -> dict[str, list[dict]]:
    items = db.session.execute(sa.select(Intervention).where(sa.or_(
        Intervention.helper_id == profile_id, Intervention.requested_by == profile_id))
        .order_by(Intervention.starts_at)).scalars().all()
    return {"Interventions": [{
        "Type": KINDS.get(i.kind, i.kind), "Intitulé": i.title, "Début": i.starts_at,
        "Lieu": i.location,
        "Votre rôle": "pair-aidant" if i.helper_id == profile_id else "demandeur",
        "État": STATUSES.get(i.status, i.status), "Public (personnes)": i.audience_size,
        "Temps passé (minutes)": i.minutes_spent,
        "Résultat": OUTCOMES.get(i.outcome) if i.outcome else None} for i in items]}


def erase_person(profile_id: int) -> dict[str, int]:
    cancelled = db.session.execute(sa.update(Intervention).where(
        Intervention.helper_id == profile_id,
        Intervention.status.in_(("requested", "accepted")),
        Intervention.starts_at > datetime.now(UTC))
        .values(status="cancelled", version=Intervention.version + 1)).rowcount
    return {"Interventions à venir annulées": cancelled}
