"""Erasure: a person's data erased or anonymised in every employer space and the network
(their own request, the account deactivated and scrubbed), or in one employer space (a
référent's request on their behalf). A job does the work, one transaction per space, then the
network; every step is idempotent, so a failed job is simply run again. The report holds
counts only.

The network's published aggregates (``network.indicator_*``) are never touched: they hold
no person, and republishing them would let a difference single one out."""
from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from server.audit import record, record_network_change
from server.auth.models import Membership, User
from server.extensions import db
from server.personal_data import any_space_context, registered_spaces, space
from server.personal_data.models import DataExport, ErasureRequest
from tenants.registry import Tenant

NETWORK_LABEL = "Réseau"


def open_request(subject_id: int, tenant_id: int | None = None) -> ErasureRequest | None:
    """The same request still under way (asking twice enqueues nothing more)."""
    same_scope = (ErasureRequest.tenant_id == tenant_id if tenant_id is not None
                  else ErasureRequest.scope == "all")
    return db.session.execute(sa.select(ErasureRequest).where(
        ErasureRequest.subject_id == subject_id, ErasureRequest.status == "queued",
        same_scope)).scalars().first()


def request_erasure(subject_id: int, requested_by: int, base_url: str,
                    tenant_id: int | None = None) -> ErasureRequest:
    """Record the request and enqueue the job (after commit)."""
    from server.jobs import enqueue

    existing = open_request(subject_id, tenant_id)
    if existing is not None:
        return existing
    request = ErasureRequest(subject_id=subject_id, requested_by=requested_by,
                             scope="space" if tenant_id else "all", tenant_id=tenant_id)
    db.session.add(request)
    db.session.commit()
    enqueue(run_erasure, request.id, base_url, tenant=None)
    return request


def run_erasure(request_id: int, base_url: str) -> dict:
    """The job. Returns the report."""
    from server.personal_data.export import remove_files

    request = db.session.get(ErasureRequest, request_id)
    if request is None or request.status == "done" or request.subject_id is None:
        return {}
    subject_id, scope, tenant_id = request.subject_id, request.scope, request.tenant_id
    user = db.session.get(User, subject_id)
    email, name = user.email, user.display_name
    if scope == "space":
        slugs = [db.session.execute(sa.select(Tenant.slug).where(Tenant.id == tenant_id))
                 .scalar_one()]
    else:
        slugs = registered_spaces()
    db.session.remove()
    report: dict[str, dict[str, int]] = {}
    try:
        for slug in slugs:
            with any_space_context(slug):
                from tenants import current_tenant

                label = current_tenant().name
                counts = space.erase(subject_id)
                if counts:
                    record("erase", "erasure_request", request_id, actor_id=None,
                           scope=scope, rows=sum(counts.values()))
                db.session.commit()
            if counts:
                report[label] = counts
        if scope == "all":
            user = db.session.get(User, subject_id)
            exports = db.session.execute(sa.select(DataExport).where(
                DataExport.user_id == subject_id)).scalars().all()
            for export in exports:
                remove_files(export.storage_key)
                db.session.delete(export)
            from server.personal_data import network

            counts = network.erase(user)
            record_network_change("erase", "erasure_request", request_id, actor_id=None,
                                  scope=scope, rows=sum(counts.values()))
            if exports:
                counts["Copies de vos données supprimées"] = len(exports)
            report[NETWORK_LABEL] = counts
        request = db.session.get(ErasureRequest, request_id)
        request.status, request.done_at, request.report = "done", datetime.now(UTC), report
        db.session.commit()
    except Exception:
        db.session.rollback()
        request = db.session.get(ErasureRequest, request_id)
        request.status, request.report = "failed", report
        db.session.commit()
        raise
    _tell(email, name, scope, slugs, report, base_url)
    return report


def _tell(email: str, name: str, scope: str, slugs: list[str], report: dict,
          base_url: str) -> None:
    """The person learns what was done, at the address they had (the message is not kept)."""
    from server.mail import send
    from server.personal_data import mail

    employer = None
    if scope == "space":
        employer = db.session.execute(sa.select(Tenant.name).where(Tenant.slug == slugs[0])
                                      ).scalar()
    send(mail(email, "Vos données ont été effacées", "personal_data_erased", name=name,
              employer=employer, report=report,
              link=base_url.rstrip("/") + "/donnees-personnelles"), tenant=None)


def space_requests(tenant_id: int, limit: int = 20) -> list[ErasureRequest]:
    return db.session.execute(sa.select(ErasureRequest).where(
        ErasureRequest.tenant_id == tenant_id).order_by(ErasureRequest.requested_at.desc())
        .limit(limit)).scalars().all()


def erasable_people(tenant_id: int, except_user_id: int) -> list[tuple[int, str]]:
    """(account id, name) of the people of the space a référent may have erased."""
    from server.employers.models import Profile

    member_ids = set(db.session.execute(sa.select(Membership.user_id).where(
        Membership.tenant_id == tenant_id)).scalars())
    rows = db.session.execute(sa.select(Profile.user_id, Profile.display_name)
                              .where(Profile.user_id > 0).order_by(Profile.display_name)).all()
    people = {r.user_id: r.display_name for r in rows}
    for user_id in member_ids - set(people):
        people[user_id] = db.session.get(User, user_id).display_name
    people.pop(except_user_id, None)
    return sorted(people.items(), key=lambda item: (item[1].lower(), item[0]))


def preview(user_id: int) -> dict[str, int]:
    """What an erasure in the current space would touch, by section (counts of rows)."""
    data = space.collect(user_id) or {"sections": {}}
    return {title: len(rows) for title, rows in data["sections"].items()
            if not title.startswith("À propos")}
