"""Building permanences scenarios over HTTP for the permanences tests."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from tests.fixtures.app import csrf_token
from tests.fixtures.factories import api_token, create_employer, create_user, login


def enable_permanences(app, ref, **settings) -> None:
    """Enable the model for ``ref`` (as a référent would on the models page)."""
    from server.programme.choices import configure, settings_of
    from tenants import tenant_context

    with app.app_context(), tenant_context(ref.slug):
        db = app.extensions["sqlalchemy"]
        current = app.extensions["entrepairs.plugins"]["permanences"].settings_schema().dump(
            settings_of("permanences"))
        configure("permanences", enabled=True,
                  settings={**current, **settings} if settings else None)
        db.session.commit()
        db.session.remove()


def sql(app, ref, statement: str, **params):
    """Run one statement in ``ref``'s schema (to move a slot into the past, read rows...)."""
    db = app.extensions["sqlalchemy"]
    with app.app_context():
        try:
            result = db.session.execute(sa.text(statement.replace("{schema}", ref.schema)),
                                        params)
            rows = result.all() if result.returns_rows else None
            db.session.commit()
            return rows
        finally:
            db.session.remove()


@dataclass
class Person:
    account: object
    client: object
    token: str
    profile_id: int
    employer: object
    api_client: object = None

    @property
    def auth(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    def api(self, method: str, path: str, **kw):
        url = f"/api/v1/e/{self.employer.slug}/permanences{path}"
        return getattr(self.api_client, method)(url, headers=self.auth, **kw)

    def page(self, path: str = "/"):
        return self.client.get(f"/e/{self.employer.slug}/permanences{path}")

    def post(self, path: str, data: dict | None = None, page: str = "/"):
        base = f"/e/{self.employer.slug}/permanences"
        token = csrf_token(self.client, base + page)
        return self.client.post(base + path, data={"csrf_token": token, **(data or {})})


def person(app, ref, role: str, name: str | None = None) -> Person:
    account = create_user(app, employer=ref, role=role, name=name)
    client = app.test_client()
    login(client, account)
    api_client = app.test_client()
    token = api_token(api_client, account)
    (row,) = sql(app, ref, 'SELECT id FROM "{schema}".profile WHERE user_id = :u',
                 u=account.id)
    return Person(account, client, token, row[0], ref, api_client)


@dataclass
class Space:
    ref: object
    referent: Person
    helper: Person
    seeker: Person
    member: Person


def space(app, **settings) -> Space:
    ref = create_employer(app)
    enable_permanences(app, ref, **settings)
    return Space(ref, person(app, ref, "referent", "Rachel Référente"),
                 person(app, ref, "pair-aidant", "Paul Pair-Aidant"),
                 person(app, ref, "pair-aide", "Inès Pair-Aidée"),
                 person(app, ref, "membre", "Marc Membre"))


def in_days(days: float, hour: int = 14) -> datetime:
    at = datetime.now(timezone.utc) + timedelta(days=days)
    return at.replace(hour=hour, minute=0, second=0, microsecond=0)


def offer(helper: Person, starts_at: datetime | None = None, **kw) -> dict:
    body = {"starts_at": (starts_at or in_days(3)).isoformat(), "duration_minutes": 45,
            "mode": "place", "location": "Salle 12, Hôtel de ville", **kw}
    r = helper.api("post", "/slots", json=body)
    assert r.status_code == 201, r.json
    return r.json[0] if len(r.json) == 1 else r.json


def move_slot(app, ref, slot_id: int, starts_at: datetime) -> None:
    sql(app, ref, 'UPDATE "{schema}".permanences_slot SET starts_at = :s WHERE id = :i',
        s=starts_at, i=slot_id)


def fill_permanences_tables(app, ref) -> None:
    """Put at least one row in every ``permanences_*`` table of ``ref`` (for whole-schema
    snapshot tests such as tests/test_isolation.py): a slot with an anonymous booking, a free
    slot, a cancelled booking, a weekly series of two slots."""
    enable_permanences(app, ref)
    helper = person(app, ref, "pair-aidant")
    seeker = person(app, ref, "pair-aide")
    booked, free = offer(helper, in_days(4)), offer(helper, in_days(5))
    r = seeker.api("post", f"/slots/{booked['id']}/book", json={"anonymous": True})
    assert r.status_code == 201, r.json
    r = seeker.api("post", f"/slots/{free['id']}/book", json={})
    assert r.status_code == 201, r.json
    r = seeker.api("post", f"/slots/{free['id']}/cancel-booking")
    assert r.status_code == 200, r.json
    weekly = offer(helper, in_days(6), repeat_weeks=2)  # a series (its id for /series/<id>)
    assert len(weekly) == 2 and weekly[0]["series_id"] is not None
