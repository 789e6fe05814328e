"""Building groupes scenarios over HTTP for the groupes tests."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from server.clock import PARIS
from tests.fixtures.factories import api_token, create_employer, create_user, login



def enable_groupes(app, ref, **settings) -> None:
    """Enable the model for ``ref`` (as a référent would on the models page)."""
    from server.programme.choices import configure, settings_of
    from tenants import tenant_context

    with app.app_context(), tenant_context(ref.slug):
        db = app.extensions["sqlalchemy"]
        current = app.extensions["entrepairs.plugins"]["groupes"].settings_schema().dump(
            settings_of("groupes"))
        configure("groupes", enabled=True, settings={**current, **settings} if settings else None)
        db.session.commit()
        db.session.remove()


def profile_id_of(app, ref, account) -> int:
    import sqlalchemy as sa

    from plugins.base import Profile
    from tenants import tenant_context

    with app.app_context(), tenant_context(ref.slug):
        db = app.extensions["sqlalchemy"]
        try:
            return db.session.execute(sa.select(Profile.id).where(
                Profile.user_id == account.id)).scalar_one()
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
        url = f"/api/v1/e/{self.employer.slug}/groupes{path}"
        return getattr(self.api_client, method)(url, headers=self.auth, **kw)

    def page(self, path: str = "/"):
        return self.client.get(f"/e/{self.employer.slug}/groupes{path}")


def person(app, ref, role: str, name: str | None = None) -> Person:
    account = create_user(app, employer=ref, role=role, name=name)
    client = app.test_client()
    login(client, account)
    api_client = app.test_client()
    token = api_token(api_client, account)
    return Person(account, client, token, profile_id_of(app, ref, account), ref, api_client)


def in_days(days: float, hour: int = 14) -> str:
    moment = (datetime.now(PARIS) + timedelta(days=days)).replace(
        hour=hour, minute=0, second=0, microsecond=0)
    return moment.strftime("%Y-%m-%dT%H:%M")


def create_group(p: Person, **kw) -> dict:
    body = {"title": "Groupe du jeudi", "theme": "Échanger entre collègues sur le retour au "
            "travail", "place": "Salle 3, Hôtel de ville", "recurrence": "weekly",
            "first_session": in_days(7), "sessions_count": 4, "duration_minutes": 90,
            "capacity": 3, **kw}
    response = p.api("post", "/groups", json=body)
    assert response.status_code == 201, response.json
    return response.json


@dataclass
class Space:
    ref: object
    referent: Person
    helper: Person
    members: list


def space(app, members: int = 4, **settings) -> Space:
    ref = create_employer(app)
    enable_groupes(app, ref, **settings)
    return Space(ref, person(app, ref, "referent", "Rachel Référente"),
                 person(app, ref, "pair-aidant", "Paul Pair-Aidant"),
                 [person(app, ref, "pair-aide", f"Membre {i}") for i in range(members)])


def move_sessions_to_past(app, ref, groupe_id: int, hours: float = 2) -> None:
    """Pretend the group's first session started ``hours`` ago (attendance can be taken)."""
    import sqlalchemy as sa
    from tenants import tenant_context

    with app.app_context(), tenant_context(ref.slug):
        db = app.extensions["sqlalchemy"]
        try:
            first = db.session.execute(sa.text(
                f'SELECT id FROM "{ref.schema}".groupes_seance '
                " WHERE groupe_id = :g ORDER BY starts_at LIMIT 1"
            ).bindparams(g=groupe_id)).scalar()
            db.session.execute(sa.text(
                f'UPDATE "{ref.schema}".groupes_seance SET '
                " starts_at = now() - make_interval(mins => :m), "
                "ends_at = now() - make_interval(mins => :m) + interval '90 minutes' "
                "WHERE id = :i").bindparams(m=int(hours * 60), i=first))
            db.session.commit()
        finally:
            db.session.remove()


def fill_groupes_tables(app, ref) -> None:
    """Put at least one row in every ``groupes_*`` table of ``ref`` (for whole-schema snapshot
    tests such as tests/test_isolation.py): a group with sessions, registrations (one
    waiting), attendance of a held session."""
    enable_groupes(app, ref)
    helper = person(app, ref, "pair-aidant")
    members = [person(app, ref, "pair-aide") for _ in range(3)]
    group = create_group(helper, capacity=2)
    for m in members:
        assert m.api("post", f"/groups/{group['id']}/register").status_code == 201
    move_sessions_to_past(app, ref, group["id"])
    seance = group["sessions"][0]["id"]
    r = helper.api("post", f"/sessions/{seance}/attendance",
                   json={"present": [members[0].profile_id],
                         "version": group["sessions"][0]["version"]})
    assert r.status_code == 200, r.json
