"""Building binômes scenarios over HTTP for the binômes tests."""
from __future__ import annotations

from dataclasses import dataclass

from server import clock
from tests.fixtures.factories import api_token, create_employer, create_user, login

SLOTS = ["lundi-matin", "mardi-apres-midi"]


def enable_binomes(app, ref, **settings) -> None:
    """Enable the model for ``ref`` (as a référent would on the models page)."""
    from server.programme.choices import configure, settings_of
    from tenants import tenant_context

    with app.app_context(), tenant_context(ref.slug):
        db = app.extensions["sqlalchemy"]
        current = app.extensions["entrepairs.plugins"]["binomes"].settings_schema().dump(
            settings_of("binomes"))
        configure("binomes", enabled=True, settings={**current, **settings} if settings else None)
        db.session.commit()
        db.session.remove()


@dataclass
class Person:
    account: object
    client: object
    token: str
    profile_id: int
    employer: object
    #: A client without the session cookie: API calls authenticate by the bearer token alone.
    api_client: object = None

    @property
    def auth(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    def api(self, method: str, path: str, **kw):
        url = f"/api/v1/e/{self.employer.slug}/binomes{path}"
        return getattr(self.api_client, method)(url, headers=self.auth, **kw)

    def page(self, path: str = "/"):
        return self.client.get(f"/e/{self.employer.slug}/binomes{path}")


def person(app, ref, role: str, name: str | None = None) -> Person:
    account = create_user(app, employer=ref, role=role, name=name)
    client = app.test_client()
    login(client, account)
    api_client = app.test_client()
    token = api_token(api_client, account)
    me = api_client.get(f"/api/v1/e/{ref.slug}/binomes/profiles/me",
                    headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200, me.json
    return Person(account, client, token, me.json["profile_id"], ref, api_client)


def helper_profile(p: Person, **kw):
    body = {"experiences": ["Santé mentale"], "availability": SLOTS, "capacity": 1,
            "site": "Hôtel de ville", "department": "Finances", "version": 0, **kw}
    response = p.api("put", f"/profiles/helpers/{p.profile_id}", json=body)
    assert response.status_code == 200, response.json
    return response.json


def seeker_profile(p: Person, **kw):
    body = {"looking_for": ["Santé mentale"], "availability": SLOTS, "site": "Hôtel de ville",
            "department": "Culture", "version": 0, **kw}
    response = p.api("put", f"/profiles/seekers/{p.profile_id}", json=body)
    assert response.status_code == 200, response.json
    return response.json


@dataclass
class Space:
    ref: object
    referent: Person
    helper: Person
    seeker: Person


def space(app, **settings) -> Space:
    ref = create_employer(app)
    enable_binomes(app, ref, **settings)
    s = Space(ref, person(app, ref, "referent", "Rachel Référente"),
              person(app, ref, "pair-aidant", "Paul Pair-Aidant"),
              person(app, ref, "pair-aide", "Inès Pair-Aidée"))
    helper_profile(s.helper)
    seeker_profile(s.seeker)
    return s


def publish_one(s: Space) -> int:
    """Run a matching, publish it; the id of the binôme proposed to the space's pair."""
    run = s.referent.api("post", "/runs")
    assert run.status_code == 201, run.json
    published = s.referent.api("post", f"/runs/{run.json['id']}/publish",
                               json={"version": run.json["version"]})
    assert published.status_code == 200, published.json
    mine = s.seeker.api("get", "/binomes").json
    (binome,) = [b for b in mine if b["status"] == "proposed"]
    return binome["id"]


def accepted_binome(s: Space) -> int:
    binome_id = publish_one(s)
    for p in (s.helper, s.seeker):
        r = p.api("post", f"/binomes/{binome_id}/answer", json={"answer": "accept"})
        assert r.status_code == 200, r.json
    return binome_id


def fill_binomes_tables(app, ref) -> None:
    """Put at least one row in every ``binomes_*`` table of ``ref`` (for whole-schema snapshot
    tests such as tests/test_isolation.py): profiles, a published run, a binôme with its
    history, a meeting with its private note, a reminder."""
    from datetime import timedelta

    from plugins.binomes.jobs import remind_idle_binomes
    from tenants import tenant_context

    enable_binomes(app, ref, reminder_days=1)
    s = Space(ref, person(app, ref, "referent"), person(app, ref, "pair-aidant"),
              person(app, ref, "pair-aide"))
    helper_profile(s.helper)
    seeker_profile(s.seeker)
    binome_id = accepted_binome(s)
    r = s.helper.api("post", f"/binomes/{binome_id}/meetings", json={
        "held_on": (clock.today() - timedelta(days=5)).isoformat(), "duration_minutes": 30,
        "format": "Par téléphone", "note": "Note du binôme"})
    assert r.status_code == 201, r.json
    with app.app_context(), tenant_context(ref.slug):
        assert remind_idle_binomes() == [binome_id]
