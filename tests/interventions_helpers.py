"""Building interventions scenarios over HTTP for the interventions tests."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from tests.fixtures.factories import api_token, create_employer, create_user, login


def enable(app, ref, name: str = "interventions", enabled: bool = True) -> None:
    from server.programme.choices import configure
    from tenants import tenant_context

    with app.app_context(), tenant_context(ref.slug):
        configure(name, enabled=enabled)
        app.extensions["sqlalchemy"].session.commit()


@dataclass
class Person:
    account: object
    client: object
    api_client: object
    token: str
    profile_id: int
    employer: object

    def api(self, method: str, path: str, **kw):
        return getattr(self.api_client, method)(
            f"/api/v1/e/{self.employer.slug}/interventions{path}",
            headers={"Authorization": f"Bearer {self.token}"}, **kw)

    def page(self, path: str = "/"):
        return self.client.get(f"/e/{self.employer.slug}/interventions{path}")


def person(app, ref, role: str, name: str | None = None) -> Person:
    from server.employers.models import Profile
    from tenants import tenant_context

    account = create_user(app, employer=ref, role=role, name=name)
    client = app.test_client()
    login(client, account)
    api_client = app.test_client()
    token = api_token(api_client, account)
    with app.app_context(), tenant_context(ref.slug):
        db = app.extensions["sqlalchemy"]
        profile_id = db.session.execute(
            sa.select(Profile.id).where(Profile.user_id == account.id)).scalar_one()
    return Person(account, client, api_client, token, profile_id, ref)


@dataclass
class Space:
    ref: object
    referent: Person
    helper: Person
    other_helper: Person


def space(app) -> Space:
    ref = create_employer(app)
    enable(app, ref)
    return Space(ref, person(app, ref, "referent", "Rachel Référente"),
                 person(app, ref, "pair-aidant", "Paul Pair-Aidant"),
                 person(app, ref, "pair-aidant", "Odile Autre-Aidante"))


def request_body(helper_id: int, **kw) -> dict:
    start = (datetime.now(UTC) + timedelta(days=7)).replace(microsecond=0)
    return {"kind": "sensibilisation", "title": "Sensibilisation du service des finances",
            "starts_at": start.isoformat(), "planned_minutes": 90, "location": "Salle 2",
            "helper_id": helper_id, **kw}


def ask(s: Space, **kw) -> dict:
    r = s.referent.api("post", "/interventions", json=request_body(s.helper.profile_id, **kw))
    assert r.status_code == 201, r.json
    return r.json


def move_to_past(app, ref, intervention_id: int, days: int = 1) -> None:
    """The intervention took place ``days`` ago (a request cannot be made in the past)."""
    from plugins.interventions.models import Intervention
    from tenants import tenant_context

    with app.app_context(), tenant_context(ref.slug):
        db = app.extensions["sqlalchemy"]
        db.session.execute(sa.update(Intervention).where(Intervention.id == intervention_id)
                           .values(starts_at=datetime.now(UTC) - timedelta(days=days)))
        db.session.commit()


def fill_interventions_tables(app, ref) -> None:
    """At least one row in every ``interventions_*`` table of ``ref`` (tests/test_isolation.py):
    an intervention, accepted, in the agenda of its pair-aidant."""
    enable(app, ref)
    s = Space(ref, person(app, ref, "referent"), person(app, ref, "pair-aidant"),
              person(app, ref, "pair-aidant"))
    item = ask(s)
    r = s.helper.api("post", f"/interventions/{item['id']}/answer", json={"answer": "accept"})
    assert r.status_code == 200, r.json


def registry_intervention(app, ref, helper_account) -> int:
    """An intervention asked of ``helper_account`` in ``ref`` (for the page registry), the
    model enabled: its id."""
    from plugins.interventions.models import Intervention
    from server.employers.models import Profile
    from tenants import tenant_context

    enable(app, ref)
    with app.app_context(), tenant_context(ref.slug):
        db = app.extensions["sqlalchemy"]
        helper_id = db.session.execute(
            sa.select(Profile.id).where(Profile.user_id == helper_account.id)).scalar_one()
        item = Intervention(kind="sensibilisation", title="Sensibilisation des managers",
                            starts_at=datetime.now(UTC) + timedelta(days=10),
                            planned_minutes=90, location="Salle du conseil",
                            helper_id=helper_id, status="requested")
        db.session.add(item)
        db.session.commit()
        return item.id
