"""Retention periods per kind of record, set by each employer (safe defaults), applied by a
daily job that stores what it removed (``retention_run``) for the référents to read.

The core's kinds are below; each programme model adds its own (``retention_kinds``). Kept
apart, not set by employers: the audit log (append-only, kept ``AUDIT_YEARS`` years and purged
by operations, see docs/personal_data.md) and the copies of people's data (network-wide,
``PERSONAL_DATA_EXPORT_DAYS``)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from plugins.base import RetentionKind
from server.employers.models import Profile
from server.employers.settings import get_setting, set_setting
from server.extensions import db
from server.invitations.models import Invitation
from server.personal_data.models import RetentionRun
from server.surveys.models import SurveyInvitation, SurveyResponse
from tenants import current_tenant

SETTING_KEY = "retention"
#: Longest period an employer may set: ten years.
MAXIMUM_DAYS = 3650
#: Said on the pages; enforced by operations (the application cannot delete audit rows).
AUDIT_YEARS = 5
#: Daily.
INTERVAL = 24 * 3600

CORE_KINDS = (
    RetentionKind("people.left", "Personnes parties", 365,
                  "Une personne qui n'a plus de rôle dans l'espace et a quitté le programme est "
                  "anonymisée après ce délai, compté depuis son départ : ses déclarations sont "
                  "effacées, son nom remplacé par « Personne effacée » ; seuls les nombres "
                  "restent."),
    RetentionKind("surveys.answers", "Réponses aux questionnaires", 1095,
                  "Les réponses anonymes aux questionnaires de satisfaction sont supprimées "
                  "après ce délai, compté depuis le jour de la réponse, avec les invitations "
                  "à répondre arrivées à échéance.", minimum_days=365),
    RetentionKind("invitations.ended", "Invitations terminées", 30,
                  "Une invitation acceptée, annulée ou expirée (adresse e-mail et nom de la "
                  "personne invitée) est supprimée après ce délai."),
)


def kinds() -> list[tuple[str | None, RetentionKind]]:
    """(plugin name or None for the core, kind), in display order."""
    result = [(None, kind) for kind in CORE_KINDS]
    for name, plugin in current_app.extensions.get("entrepairs.plugins", {}).items():
        result += [(name, kind) for kind in plugin.retention_kinds]
    return result


def periods() -> dict[str, int]:
    """The current employer's period for each kind, in days (defaults where unset)."""
    saved = get_setting(SETTING_KEY, {}) or {}
    result = {}
    for _owner, kind in kinds():
        value = saved.get(kind.key)
        result[kind.key] = value if isinstance(value, int) else kind.default_days
    return result


def validate(raw: dict) -> tuple[dict[str, int], dict[str, str]]:
    """Periods from a form (``{key: "365"}``), or French errors by key."""
    values, errors = {}, {}
    for _owner, kind in kinds():
        text = str(raw.get(kind.key, "")).strip().replace(" ", "").replace("\u202f", "")
        try:
            days = int(text)
        except ValueError:
            errors[kind.key] = f"Saisissez un nombre de jours pour « {kind.label} »."
            continue
        if not kind.minimum_days <= days <= MAXIMUM_DAYS:
            errors[kind.key] = (f"Le délai de « {kind.label} » doit être compris entre "
                                f"{kind.minimum_days} et {MAXIMUM_DAYS} jours.")
            continue
        values[kind.key] = days
    return values, errors


def save(values: dict[str, int], by_user_id: int) -> None:
    set_setting(SETTING_KEY, values, by_user_id)


# --- applying -----------------------------------------------------------------------------

def apply_retention(now: datetime | None = None) -> int:
    """The tenant job: apply the current employer's periods, store the report; returns the
    run's id. One transaction: a failure removes nothing and is recorded as failed."""
    now = now or datetime.now(UTC)
    chosen = periods()
    run = RetentionRun(periods=chosen, started_at=now)
    db.session.add(run)
    db.session.commit()
    run_id = run.id
    removed = []
    try:
        plugins = current_app.extensions.get("entrepairs.plugins", {})
        for owner, kind in kinds():
            before = now - timedelta(days=chosen[kind.key])
            if owner is None:
                count = CORE_APPLY[kind.key](before)
            else:
                count = plugins[owner].apply_retention(kind.key, before)
            removed.append({"key": kind.key, "label": kind.label, "count": int(count or 0)})
        run = db.session.get(RetentionRun, run_id)
        run.removed, run.status, run.finished_at = removed, "done", datetime.now(UTC)
        db.session.commit()
    except Exception:
        db.session.rollback()
        run = db.session.get(RetentionRun, run_id)
        run.status, run.finished_at = "failed", datetime.now(UTC)
        db.session.commit()
        raise
    return run_id


def _people_left(before: datetime) -> int:
    """Profiles that left the programme before ``before`` and hold no role in the space."""
    from server.auth.models import Membership
    from server.personal_data.space import erase_profile

    tenant = current_tenant()
    members = sa.select(Membership.user_id).where(Membership.tenant_id == tenant.id)
    due = db.session.execute(sa.select(Profile.id).where(
        Profile.status == "left", Profile.user_id > 0, Profile.updated_at < before,
        Profile.user_id.not_in(members))).scalars().all()
    for profile_id in due:
        erase_profile(profile_id)
    return len(due)


def _survey_answers(before: datetime) -> int:
    count = db.session.execute(sa.delete(SurveyResponse).where(
        SurveyResponse.answered_on < before.date())).rowcount
    # Invitations past their end: the answered marker goes with them (ON DELETE CASCADE).
    db.session.execute(sa.delete(SurveyInvitation).where(SurveyInvitation.expires_at < before))
    return count


def _invitations_ended(before: datetime) -> int:
    tenant = current_tenant()
    return db.session.execute(sa.delete(Invitation).where(
        Invitation.tenant_id == tenant.id,
        sa.or_(Invitation.accepted_at < before, Invitation.revoked_at < before,
               sa.and_(Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None),
                       Invitation.expires_at < before)))).rowcount


CORE_APPLY = {"people.left": _people_left, "surveys.answers": _survey_answers,
              "invitations.ended": _invitations_ended}


def runs(limit: int = 10) -> list[RetentionRun]:
    return db.session.execute(sa.select(RetentionRun).order_by(
        RetentionRun.started_at.desc(), RetentionRun.id.desc()).limit(limit)).scalars().all()


# --- the scheduled job ----------------------------------------------------------------------

def apply_everywhere() -> list[str]:
    """The network's daily job: delete expired copies of people's data, then enqueue the
    retention job of every active employer. Returns the employers' slugs."""
    from server.jobs import enqueue
    from server.personal_data.export import expire_exports
    from tenants.registry import Tenant

    expire_exports()
    slugs = db.session.execute(sa.select(Tenant.slug).where(Tenant.status == "active")
                               .order_by(Tenant.slug)).scalars().all()
    for slug in slugs:
        enqueue(apply_retention, tenant=slug)
    return list(slugs)
