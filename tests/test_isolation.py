"""Employers are walled off from each other, whatever the route, role, method or credential.

The routes are read from ``app.url_map`` at run time, so every future route under
``/e/<tenant>/`` or ``/api/v1/e/<tenant>/`` is covered without editing this file. A route whose
URL arguments cannot be filled with real objects of the target employer, or whose body cannot be
made up, fails here: extend ``ID_SOURCES`` / ``FORM_BODIES`` / ``sample_body`` then.
"""
from __future__ import annotations

import threading
from html.parser import HTMLParser
from importlib.metadata import EntryPoint, entry_points
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import current_app
from marshmallow import Schema, fields, validate
from werkzeug.routing import IntegerConverter

from server import create_app
from plugins.base import ProgrammeModel
from server.auth.access import access_of
from tests.fixtures.app import csrf_token, test_config
from tests.fixtures.factories import api_token, create_employer, create_user, login, unique
from tests.fixtures.snapshots import employer_state

EMPLOYER_ROLES = ("referent", "pair-aidant", "pair-aide", "membre")
#: Who asks for the other employer's URLs: every employer role, and network staff who are
#: members of employer A only, or of no employer at all.
ASKERS = (*EMPLOYER_ROLES, "admin-member-of-a", "admin-no-employer",
          "animateur-member-of-a", "animateur-no-employer")
IGNORED_METHODS = {"HEAD", "OPTIONS"}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

#: URL argument → (table of the employer's schema, column) holding real values for it.
#: ``<int:xxx_id>`` arguments also find a table named ``xxx`` or ``<plugin>_xxx`` by
#: themselves; any other argument must be listed here. ``network.<table>`` sources are read
#: where ``tenant_id`` is the employer's.
ARG_SOURCES: dict[str, tuple[str, str]] = {
    "profile_id": ("profile", "id"),
    "invitation_id": ("network.invitation", "id"),  # shared table: the employer's rows
    "number": ("framing_version", "number"),  # /programme/cadre/versions/<int:number>
    "name": ("programme_model", "name"),  # /programme/modeles/<name>
    "groupe_id": ("groupes_groupe", "id"),  # plugins/groupes
    "seance_id": ("groupes_seance", "id"),
    # /agenda/<uid>.ics: a callable source (app, ref) → the uid of an event of the employer
    "uid": lambda app, ref: _first_event_uid(app, ref),
    "slot_id": ("permanences_slot", "id"),  # /permanences/creneaux/<int:slot_id>
    "series_id": ("permanences_slot", "series_id"),  # /permanences/series/<int:series_id>
    "survey_kind": ("survey_version", "kind"),  # /questionnaires/questions/<survey_kind>
    # binomes_run, not retention_run (which <int:run_id> would also find by its name)
    "run_id": ("binomes_run", "id"),
    "identity_id": ("network.sso_identity", "id"),  # /connexion-unique/identites/<id>/…
}
#: Plausible bodies of page forms, by endpoint (a dict, or a function of the app making one;
#: the CSRF token is added). Pages not listed get
#: the first form of the same page of the asker's own employer, as a browser would send it.
FORM_BODIES: dict[str, dict] = {
    "employers.settings": {"welcome": "Message glissé dans l'espace d'un autre employeur"},
    "programme.peer_helper_new": {"kind": "external", "name": "Sam Extérieur",
                                  "organisation": "Association Pairs"},
    "practices.new": {"title": "Une pratique de l'employeur", "model": "autre",
                      "programme_since": "2020", "employer": "libelle",
                      "what_worked": "Des rencontres mensuelles entre pairs, préparées avec "
                                     "les référents, ont permis à chacun de parler librement."},
    # Enabling (never disabling) a model, so that the plugins' routes stay reachable.
    "programme.models": lambda app: {
        "modele": next(iter(app.extensions["entrepairs.plugins"]), ""), "action": "activer"},
}
#: Bodies of API writes, by (endpoint, method) (a dict, or a function making one); others are
#: made from the view's schema.
API_BODIES: dict[tuple[str, str], object] = {
    ("api_invitations.Invitations", "POST"): lambda: {
        "email": f"{unique('invitee')}@exemple.fr", "display_name": "Personne invitée",
        "role": "membre"},
}


# --- walking the URL map ---------------------------------------------------------------------

def tenant_rules(app) -> list:
    rules = sorted((r for r in app.url_map.iter_rules() if "tenant" in r.arguments),
                   key=lambda r: r.rule)
    return rules


def methods_of(rule) -> list[str]:
    return sorted(rule.methods - IGNORED_METHODS)


def is_api(rule) -> bool:
    return rule.rule.startswith("/api/")


def _schema_tables(app, ref) -> set[str]:
    db = app.extensions["sqlalchemy"]
    with app.app_context():
        try:
            return set(db.session.execute(sa.text(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = :s"),
                {"s": ref.schema}).scalars())
        finally:
            db.session.remove()


def real_url_values(app, ref, rule) -> dict:
    """Every argument of ``rule`` filled with a real value of employer ``ref``."""
    values = {"tenant": ref.slug}
    for name in sorted(rule.arguments - {"tenant"}):
        converter = rule._converters[name]
        source = ARG_SOURCES.get(name)
        if callable(source):
            values[name] = source(app, ref)
            continue
        if source is None and isinstance(converter, IntegerConverter) and name.endswith("_id"):
            # <int:binome_id> → table "binome", or a plugin's "<plugin>_binome".
            stem = name[:-3]
            tables = [t for t in _schema_tables(app, ref) if t == stem or t.endswith("_" + stem)]
            if len(tables) == 1:
                source = (tables[0], "id")
        if source is None:
            pytest.fail(f"{rule.rule}: cannot fill <{type(converter).__name__}:{name}> with a "
                        "real object of the other employer; add it to ARG_SOURCES")
        else:
            table, column = source
            where = ""
            if "." in table:  # a shared table: the employer's rows only
                schema, table = table.split(".")
                where = f"WHERE tenant_id = {int(ref.id)}"
            else:
                schema = ref.schema
            db = app.extensions["sqlalchemy"]
            with app.app_context():
                try:
                    value = db.session.execute(sa.text(
                        f'SELECT "{column}" FROM "{schema}"."{table}" {where} '
                        f'ORDER BY "{column}" LIMIT 1')).scalar()
                finally:
                    db.session.remove()
            if value is None:
                pytest.fail(f"{rule.rule}: {schema}.{table} has no row of {ref.slug}; give it "
                            f"one {table} in the `world` fixture")
            values[name] = value
    return values


def _first_event_uid(app, ref) -> str:
    """The uid of an event in the agenda of some person of ``ref`` (every enabled model)."""
    from server.calendar.events import collect, window
    from server.employers.models import Profile
    from tenants import tenant_context

    db = app.extensions["sqlalchemy"]
    with app.test_request_context(), tenant_context(ref.slug):
        start, end = window(3650, 3650)
        for profile_id in db.session.execute(sa.select(Profile.id)).scalars().all():
            items = collect(profile_id, start, end)
            if items:
                return items[0].event.uid
    pytest.fail(f"no person of {ref.slug} has an event in their agenda; give one an event in "
                "the `world` fixture")


def url_of(rule, values) -> str:
    return rule.build(values)[1]


# --- plausible bodies --------------------------------------------------------------------------

def sample_value(field):
    for validator in getattr(field, "validators", []):
        if isinstance(validator, validate.OneOf):
            return list(validator.choices)[0]
    if isinstance(field, fields.Email):
        return "quelquun@exemple.fr"
    if isinstance(field, fields.Nested):
        return sample_body(field.schema)
    if isinstance(field, fields.List):
        return [sample_value(field.inner)]
    if isinstance(field, fields.Boolean):
        return True
    if isinstance(field, (fields.Integer, fields.Float, fields.Decimal)):
        return 1
    if isinstance(field, fields.DateTime):
        return "2026-03-03T14:00:00+01:00"
    if isinstance(field, fields.Date):
        return "2026-03-03"
    return "Texte d'essai"


def sample_body(schema) -> dict:
    if isinstance(schema, type):
        schema = schema()
    return {field.data_key or name: sample_value(field)
            for name, field in schema.load_fields.items()}


def api_body(app, rule, method: str):
    if (rule.endpoint, method) in API_BODIES:
        body = API_BODIES[(rule.endpoint, method)]
        return body() if callable(body) else body
    view = app.view_functions[rule.endpoint]
    handler = getattr(getattr(view, "view_class", None), method.lower(), view)
    parameters = getattr(handler, "_apidoc", {}).get("arguments", {}).get("parameters", [])
    for parameter in parameters:
        if parameter.get("in", parameter.get("location")) == "json":
            return sample_body(parameter["schema"])
    return None


class _FirstPostForm(HTMLParser):
    """The fields of the page's first POST form (not the log-out button), as submitted."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, str] = {}
        self.state = "before"  # before → inside → done
        self.textarea = self.select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and self.state == "before":
            if (a.get("method") or "").lower() == "post" and "deconnexion" not in (
                    a.get("action") or ""):
                self.state = "inside"
            return
        if self.state != "inside":
            return
        name = a.get("name")
        if tag in ("input", "button") and name and name not in self.fields:
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields[name] = a.get("value") or ("on" if a.get("type") == "checkbox"
                                                   else "Texte d'essai")
        elif tag == "textarea" and name:
            self.textarea, self.fields[name] = name, ""
        elif tag == "select" and name:
            self.select = name
        elif tag == "option" and self.select and self.select not in self.fields:
            self.fields[self.select] = a.get("value", "")

    def handle_data(self, data):
        if self.textarea:
            self.fields[self.textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self.textarea:
            self.fields[self.textarea] = self.fields[self.textarea] or "Texte d'essai"
            self.textarea = None
        elif tag == "select":
            self.select = None
        elif tag == "form" and self.state == "inside":
            self.state = "done"


def form_body(rule, own_page_html: str | None, app=None) -> dict:
    if rule.endpoint in FORM_BODIES:
        body = FORM_BODIES[rule.endpoint]
        return dict(body(app or current_app) if callable(body) else body)
    parser = _FirstPostForm()
    parser.feed(own_page_html or "")
    parser.fields.pop("csrf_token", None)
    return parser.fields


# --- an app running every installed programme model, plus one of the tests' own --------------

class IsolationSettings(Schema):
    accroche = fields.String(load_default="Bonjour", validate=validate.Length(max=200),
                             metadata={"label": "Accroche"})


class IsolationModel(ProgrammeModel):
    """A programme model of the tests, so that the per-model routes have a real model."""

    name = "essai_isolation"
    label = "Modèle d'essai"
    description = "Un modèle sans table, pour les tests d'isolation."
    settings_schema = IsolationSettings


@pytest.fixture(scope="module")
def iso_app(app, database_url, redis_url):
    """Like ``app`` (whose session migrated the network schema), with every installed plugin
    and the tests' own model enabled: plugin routes are walked too."""
    group = "entrepairs.plugins"
    installed = list(entry_points(group=group))
    ours = EntryPoint(IsolationModel.name, f"{__name__}:IsolationModel", group)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("server.plugin_loader.entry_points", lambda group: [*installed, ours])
        iso = create_app(test_config(database_url, redis_url,
                                     PLUGINS=[*(ep.name for ep in installed), ours.name]))
    yield iso
    with iso.app_context():
        iso.extensions["sqlalchemy"].engine.dispose()


# --- the two employers -----------------------------------------------------------------------

class World:
    pass


@pytest.fixture(scope="module")
def world(iso_app):
    """Employer A (the askers') and employer B (the target), both with real objects."""
    app = iso_app
    w = World()
    w.a = create_employer(app, name=unique("Employeur A"))
    w.b = create_employer(app, name=unique("Employeur B"))
    w.askers = {role: create_user(app, employer=w.a, role=role) for role in EMPLOYER_ROLES}
    w.askers["admin-member-of-a"] = create_user(app, employer=w.a, role="referent",
                                                network_roles=["admin"])
    w.askers["admin-no-employer"] = create_user(app, network_roles=["admin"])
    w.askers["animateur-member-of-a"] = create_user(app, employer=w.a, role="membre",
                                                    network_roles=["animateur"])
    w.askers["animateur-no-employer"] = create_user(app, network_roles=["animateur"])
    # One person of A with every role, for the control requests on A itself.
    w.a_all_roles = create_user(app, memberships=[(w.a, role) for role in EMPLOYER_ROLES])
    w.own_client = app.test_client()
    login(w.own_client, w.a_all_roles)
    w.b_people = [create_user(app, employer=w.b, role=role, name=unique(f"B {role}"))
                  for role in EMPLOYER_ROLES]
    # B's référent writes B's settings and audit log through the API.
    client = app.test_client()
    token = api_token(client, w.b_people[0])
    response = client.put(f"/api/v1/e/{w.b.slug}/welcome", json={"welcome": "Bienvenue chez B"},
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.json
    # Each employer fills the forms of its space once, as a browser would submit them, so
    # that the objects behind <int:...> URLs exist (framing versions, peer helpers, ...).
    w.b_all_roles = create_user(app, memberships=[(w.b, role) for role in EMPLOYER_ROLES])
    b_client = app.test_client()
    login(b_client, w.b_all_roles)
    for who, ref in ((b_client, w.b), (w.own_client, w.a)):
        for rule in tenant_rules(app):
            if (is_api(rule) or rule.arguments != {"tenant"} or "POST" not in rule.methods
                    or "GET" not in rule.methods):
                continue
            url = url_of(rule, {"tenant": ref.slug})
            page = who.get(url)
            if page.status_code != 200:
                continue
            body = form_body(rule, page.get_data(as_text=True), app)
            who.post(url, data={**body, "csrf_token": csrf_token(who, "/reseau/")})
    # Both employers enable every programme model, through the pages.
    login(client, w.b_people[0])
    for who, ref in ((client, w.b), (w.own_client, w.a)):
        for name in app.extensions["entrepairs.plugins"]:
            response = who.post(f"/e/{ref.slug}/programme/modeles", data={
                "csrf_token": csrf_token(who, "/reseau/"), "modele": name, "action": "activer"})
            assert response.status_code == 302, response.get_data(as_text=True)[:300]
    if "binomes" in app.extensions["entrepairs.plugins"]:
        from tests.binomes_helpers import fill_binomes_tables

        for ref in (w.a, w.b):
            fill_binomes_tables(app, ref)
    if "groupes" in app.extensions["entrepairs.plugins"]:
        from tests.groupes_helpers import fill_groupes_tables

        for ref in (w.a, w.b):
            fill_groupes_tables(app, ref)
    if "permanences" in app.extensions["entrepairs.plugins"]:
        from tests.permanences_helpers import fill_permanences_tables

        for ref in (w.a, w.b):
            fill_permanences_tables(app, ref)
    if "interventions" in app.extensions["entrepairs.plugins"]:
        from tests.interventions_helpers import fill_interventions_tables

        for ref in (w.a, w.b):
            fill_interventions_tables(app, ref)
    # Each employer has pending invitations (network.invitation rows of its own).
    for who, ref in ((client, w.b), (w.own_client, w.a)):
        for _ in range(3):
            response = who.post(f"/api/v1/e/{ref.slug}/invitations",
                                json=API_BODIES[("api_invitations.Invitations", "POST")](),
                                headers={"X-CSRFToken": csrf_token(who, "/reseau/")})
            assert response.status_code == 201, response.json
    # Each employer has a single sign-on identity waiting for its référent (server/sso/).
    from server.sso.models import SsoIdentity

    db = app.extensions["sqlalchemy"]
    with app.app_context():
        for ref in (w.a, w.b):
            db.session.add(SsoIdentity(tenant_id=ref.id, issuer="https://idp.example",
                                       subject=unique("agent"), status="pending"))
        db.session.commit()
        db.session.remove()
    state = employer_state(app, w.b)
    assert state["network.invitation"], "employer B has no invitation"
    for table in ("profile", "space_setting", "audit_event", "programme_model"):
        assert state[f"{w.b.schema}.{table}"], f"employer B has no {table}: the snapshot proves little"
    return w


def _signed_in_client(app, person, auth: str):
    """A test client and the headers of its requests: session cookie or bearer token."""
    client = app.test_client()
    if auth == "cookie":
        login(client, person)
        return client, {"X-CSRFToken": csrf_token(client, "/reseau/")}
    return client, {"Authorization": f"Bearer {api_token(client, person)}"}


def own_form_html(world, rule, own_url: str, method: str) -> str | None:
    """The page holding the form of a page write, on the asker's own employer."""
    if method not in WRITE_METHODS or is_api(rule) or "GET" not in rule.methods:
        return None
    return world.own_client.get(own_url).get_data(as_text=True)


def _request(client, app, rule, method, url, headers, own_html=None):
    if is_api(rule):
        body = api_body(app, rule, method) if method in WRITE_METHODS else None
        return client.open(url, method=method, json=body, headers=headers)
    data = None
    if method in WRITE_METHODS:
        data = form_body(rule, own_html, app)
        data["csrf_token"] = headers.get("X-CSRFToken") or csrf_token(client, "/connexion")
    return client.open(url, method=method, data=data)


# --- a: another employer's URLs are 404 for everyone -----------------------------------------

def test_the_url_map_has_employer_pages_and_employer_api_routes(iso_app):
    app = iso_app
    rules = [r.rule for r in tenant_rules(app)]
    assert any(r.startswith("/e/<tenant>/") for r in rules), rules
    assert any(r.startswith("/api/v1/e/<tenant>/") for r in rules), rules
    assert any(set(methods_of(r)) & WRITE_METHODS for r in tenant_rules(app))


@pytest.mark.parametrize("auth", ["cookie", "bearer"])
def test_every_employer_route_is_reachable_by_its_own_members(iso_app, world, auth):
    """Control: the URLs made below route to their rule with real ids, and one's own employer
    answers them, so the 404s of the next test come from the wall between employers.

    Views may still refuse one object or one body for reasons of their own (only a binôme's
    pair answers it, a revoked invitation cannot be revoked again, a form wants fields this
    file does not know...): that is a 400, 403, 404, 409 or 422 from the view, never a 401,
    405, 415 or 5xx; and every page or API route without an object id answers a GET with
    200."""
    app = iso_app
    client, headers = _signed_in_client(app, world.a_all_roles, auth)
    adapter = app.url_map.bind("localhost")
    problems = []
    for rule in tenant_rules(app):
        if auth == "bearer" and not is_api(rule):
            continue
        url = url_of(rule, real_url_values(app, world.a, rule))
        for method in methods_of(rule):
            matched, _args = adapter.match(url, method=method)
            if matched != rule.endpoint:
                problems.append(f"{method} {url} routes to {matched}, not {rule.endpoint}")
                continue
            own_html = own_form_html(world, rule, url, method)
            response = _request(client, app, rule, method, url, headers, own_html)
            status = response.status_code
            if status >= 500 or status in (401, 405, 415):
                problems.append(f"{method} {url} → {status}")
            elif method == "GET" and rule.arguments == {"tenant"} and status != 200:
                problems.append(f"{method} {url} → {status}")
    assert not problems, "own employer's routes refused: " + "; ".join(problems)


@pytest.mark.parametrize("auth", ["cookie", "bearer"])
@pytest.mark.parametrize("asker", ASKERS)
def test_another_employers_urls_are_404_and_change_nothing(iso_app, world, asker, auth):
    app = iso_app
    client, headers = _signed_in_client(app, world.askers[asker], auth)
    before = employer_state(app, world.b)
    problems, tried = [], 0
    for rule in tenant_rules(app):
        if auth == "bearer" and not is_api(rule):
            continue
        url = url_of(rule, real_url_values(app, world.b, rule))
        own_url = url_of(rule, real_url_values(app, world.a, rule))
        for method in methods_of(rule):
            own_html = own_form_html(world, rule, own_url, method)
            response = _request(client, app, rule, method, url, headers, own_html)
            tried += 1
            where = f"{method} {url}"
            if response.status_code != 404:
                problems.append(f"{where} → {response.status_code}")
            elif is_api(rule):
                error = (response.get_json(silent=True) or {}).get("error", {})
                if error.get("code") != "not_found" or error.get("status") != 404:
                    problems.append(f"{where} → not the JSON not_found error: {response.data[:200]}")
            elif "Page introuvable" not in response.get_data(as_text=True):
                problems.append(f"{where} → not the French 404 page")
    assert tried, "no employer route was tried"
    assert not problems, f"{asker} ({auth}) reached employer B: " + "; ".join(problems)
    assert employer_state(app, world.b) == before, "employer B's data changed"


# --- b: deny by default ------------------------------------------------------------------------

def test_every_endpoint_declares_who_may_use_it(iso_app):
    app = iso_app
    undeclared, tenant_not_employer, employer_without_tenant = [], [], []
    for rule in app.url_map.iter_rules():
        for method in methods_of(rule):
            with app.test_request_context("/", method=method):
                access = access_of(rule.endpoint)
            if access is None:
                undeclared.append(f"{method} {rule.rule} ({rule.endpoint})")
                continue
            if "tenant" in rule.arguments and access.employer_roles is None:
                tenant_not_employer.append(f"{method} {rule.rule}: {access.describe()}")
            if access.employer_roles is not None and "tenant" not in rule.arguments:
                employer_without_tenant.append(f"{method} {rule.rule}")
    assert not undeclared, "endpoints without an access rule: " + "; ".join(undeclared)
    assert not tenant_not_employer, ("routes under <tenant> must declare employer_role: "
                                     + "; ".join(tenant_not_employer))
    assert not employer_without_tenant, ("employer views need <tenant> in their URL: "
                                         + "; ".join(employer_without_tenant))


def test_an_endpoint_without_a_declaration_is_refused(database_url, redis_url):
    other = create_app(test_config(database_url, redis_url))

    @other.route("/oubli-de-declaration")
    def forgotten():
        return "ne doit jamais s'afficher"

    response = other.test_client().get("/oubli-de-declaration")
    assert response.status_code == 403
    assert "ne doit jamais" not in response.get_data(as_text=True)
    with other.app_context():
        other.extensions["sqlalchemy"].engine.dispose()


# --- c: anonymous requests ---------------------------------------------------------------------

def test_anonymous_requests_to_employer_routes_are_sent_to_log_in_and_change_nothing(iso_app, world):
    app = iso_app
    client = app.test_client()
    token = csrf_token(client, "/connexion")
    before = employer_state(app, world.b)
    problems = []
    for rule in tenant_rules(app):
        url = url_of(rule, real_url_values(app, world.b, rule))
        for method in methods_of(rule):
            where = f"{method} {url}"
            if is_api(rule):
                body = api_body(app, rule, method) if method in WRITE_METHODS else None
                response = client.open(url, method=method, json=body)
                error = (response.get_json(silent=True) or {}).get("error", {})
                if response.status_code != 401 or error.get("code") != "authentication_required":
                    problems.append(f"{where} → {response.status_code} {response.data[:200]}")
            else:
                data = None
                if method in WRITE_METHODS:
                    data = {**form_body(rule, None, app), "csrf_token": token}
                response = client.open(url, method=method, data=data)
                location = urlsplit(response.headers.get("Location", ""))
                if response.status_code != 302 or location.path != "/connexion":
                    problems.append(f"{where} → {response.status_code} "
                                    f"{response.headers.get('Location')}")
                elif location.netloc not in ("", "localhost"):
                    problems.append(f"{where} → redirected off site: {location.geturl()}")
    assert not problems, "; ".join(problems)
    assert employer_state(app, world.b) == before


# --- d: a pooled connection never serves another employer's rows ----------------------------

ROUNDS_PER_THREAD = 1500


def test_one_pooled_connection_serving_two_employers_never_mixes_their_rows(
        app, database_url, redis_url):
    # ``app`` (unused here) has already migrated the network schema of this database.
    pooled = create_app(test_config(database_url, redis_url, SQLALCHEMY_ENGINE_OPTIONS={
        "pool_size": 1, "max_overflow": 0, "pool_pre_ping": True}))
    sides = []
    for tag in ("Alpha", "Bravo"):
        ref = create_employer(pooled, name=unique(f"Employeur {tag}"))
        referent = create_user(pooled, employer=ref, role="referent", name=unique(f"{tag} réf"))
        people = [referent] + [create_user(pooled, employer=ref, role=role,
                                           name=unique(f"{tag} {role}"))
                               for role in ("pair-aidant", "pair-aide", "membre")]
        sides.append({"ref": ref, "referent": referent,
                      "names": {p.display_name for p in people}})
    for side, other in ((sides[0], sides[1]), (sides[1], sides[0])):
        side["foreign"] = other["names"] | {other["ref"].name}
        side["cookie"] = pooled.test_client()
        login(side["cookie"], side["referent"])
        side["bearer"] = pooled.test_client()
        side["token"] = api_token(side["bearer"], side["referent"])

    start = threading.Barrier(2)
    failures: list[str] = []
    counts = [0, 0]

    def run(index: int, side: dict) -> None:
        slug = side["ref"].slug
        try:
            start.wait()
            for i in range(ROUNDS_PER_THREAD):
                kind = i % 3
                if kind == 0:
                    response = side["cookie"].get(f"/api/v1/e/{slug}/people")
                elif kind == 1:
                    response = side["bearer"].get(
                        f"/api/v1/e/{slug}/people",
                        headers={"Authorization": f"Bearer {side['token']}"})
                else:
                    response = side["cookie"].get(f"/e/{slug}/")
                counts[index] += 1
                if response.status_code != 200:
                    failures.append(f"{slug} #{i}: {response.status_code}")
                    continue
                if kind < 2:
                    names = {person["display_name"] for person in response.json}
                    if names != side["names"]:
                        failures.append(f"{slug} #{i}: people {sorted(names)}")
                else:
                    html = response.get_data(as_text=True)
                    if side["ref"].name not in html or any(f in html for f in side["foreign"]):
                        failures.append(f"{slug} #{i}: home page of the wrong employer")
                if len(failures) > 20:
                    return
        except Exception as exc:  # reported below, a thread cannot fail the test itself
            failures.append(f"{slug}: {exc!r}")

    threads = [threading.Thread(target=run, args=(i, side)) for i, side in enumerate(sides)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=600)
        assert not any(thread.is_alive() for thread in threads), "a thread did not finish"
        assert not failures, "\n".join(failures[:20])
        assert counts == [ROUNDS_PER_THREAD, ROUNDS_PER_THREAD]
    finally:
        with pooled.app_context():
            pooled.extensions["sqlalchemy"].engine.dispose()
