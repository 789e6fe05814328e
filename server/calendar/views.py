"""The agenda page, one event as .ics, the feed link's page and the public feed."""
from __future__ import annotations

from datetime import timedelta
from itertools import groupby

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_login import current_user

from server.audit import record
from server.auth.access import employer_role, public
from server.auth.models import Membership
from server.calendar.events import collect, to_calendar, window
from server.clock import PARIS
from server.calendar.models import CalendarFeed, feed_digest
from server.employers.models import Profile
from server.extensions import db
from tenants import context as tenancy
from tenants import current_tenant
from tenants.registry import Tenant

bp = Blueprint("agenda", __name__)

#: How far the downloadable event and the feed look (days before / after today).
FEED_DAYS = (90, 365)
#: One event: searched over a wide window.
EVENT_DAYS = (5 * 366, 5 * 366)


def _profile_id(user_id: int) -> int | None:
    return db.session.execute(
        sa.select(Profile.id).where(Profile.user_id == user_id)).scalar_one_or_none()


def _ics(calendar, filename: str | None = None) -> Response:
    response = Response(calendar.to_ical(), mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _calendar_name() -> str:
    return f"Entrepairs — {current_tenant().name}"


@bp.route("/e/<tenant>/agenda")
@employer_role()
def agenda():
    profile_id = _profile_id(current_user.id)
    start, end = window(*FEED_DAYS)
    items = collect(profile_id, start, end) if profile_id is not None else []
    today = (start + timedelta(days=FEED_DAYS[0])).date()
    coming = [i for i in items if i.day >= today]
    past = [i for i in items if i.day < today][::-1]

    def by_day(listed):
        return [(format_date(day, "EEEE d MMMM y"), day, list(group))
                for day, group in groupby(listed, key=lambda i: i.day)]

    feed = CalendarFeed.live(current_user.id, current_tenant().id)
    return render_template("calendar/agenda.html", coming=by_day(coming), past=by_day(past),
                           feed=feed, paris=PARIS)


@bp.route("/e/<tenant>/agenda/<uid>.ics")
@employer_role()
def event_ics(uid: str):
    profile_id = _profile_id(current_user.id)
    if profile_id is None:
        abort(404)
    start, end = window(*EVENT_DAYS)
    found = [i for i in collect(profile_id, start, end) if i.event.uid == uid]
    if not found:
        abort(404)
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in uid.split("@")[0])
    return _ics(to_calendar(found[:1], _calendar_name(), request.url_root),
                filename=f"{safe or 'evenement'}.ics")


@bp.route("/e/<tenant>/agenda/abonnement", methods=["GET", "POST"])
@employer_role()
def feed():
    tenant = current_tenant()
    link = None
    if request.method == "POST":
        action = request.form.get("action")
        if action == "creer":
            _row, secret = CalendarFeed.issue(current_user.id, tenant.id)
            record("create", "calendar_feed", str(current_user.id))
            db.session.commit()
            link = url_for("agenda.public_feed", token=secret, _external=True)
        elif action == "revoquer":
            revoked = CalendarFeed.revoke(current_user.id, tenant.id)
            record("revoke", "calendar_feed", str(current_user.id))
            db.session.commit()
            flash("Votre lien d'abonnement est révoqué : il ne fonctionne plus."
                  if revoked else "Vous n'aviez pas de lien d'abonnement actif.", "success")
            return redirect(url_for("agenda.feed"))
        else:
            abort(400)
    live = CalendarFeed.live(current_user.id, tenant.id)
    return render_template("calendar/feed.html", live=live, link=link)


@bp.route("/calendrier/<token>.ics")
@public
def public_feed(token: str):
    """The feed of one person in one space. An unknown or revoked link, a suspended employer or
    a person who left the space: the same 404, with nothing revealed."""
    if not (20 <= len(token) <= 100):
        abort(404)
    row = db.session.execute(
        sa.select(CalendarFeed.id, CalendarFeed.user_id, Tenant.id.label("tenant_id"),
                  Tenant.slug, Tenant.name)
        .join(Tenant, Tenant.id == CalendarFeed.tenant_id)
        .join(Membership, sa.and_(Membership.user_id == CalendarFeed.user_id,
                                  Membership.tenant_id == CalendarFeed.tenant_id))
        .where(CalendarFeed.digest == feed_digest(token), CalendarFeed.revoked_at.is_(None),
               Tenant.status == "active")
        .limit(1)).first()
    if row is None:
        abort(404)
    db.session.execute(sa.update(CalendarFeed).where(CalendarFeed.id == row.id)
                       .values(last_used_at=sa.func.now()))
    db.session.commit()
    # Bind the request to the employer, as enforce_access does for /e/<tenant>/ pages.
    db.session.close()
    tenancy.set_requested(row.slug)
    tenancy.activate(tenancy.TenantRef(id=row.tenant_id, slug=row.slug, name=row.name))
    g.pop("enabled_models", None)
    profile_id = _profile_id(row.user_id)
    if profile_id is None:
        abort(404)
    start, end = window(*FEED_DAYS)
    items = collect(profile_id, start, end)
    return _ics(to_calendar(items, _calendar_name(), request.url_root))
