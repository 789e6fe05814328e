"""The plugin API end to end, with a small plugin installed through a real entry point."""
import re

import pytest
import sqlalchemy as sa

from server import create_app
from server.config import Defaults
from tests.fixtures.app import csrf_token, migrate_network, test_config
from tests.fixtures.factories import create_employer, create_user, login


@pytest.fixture
def plugin_app(example_plugin_installed, fresh_database, redis_url):
    app = create_app(test_config(fresh_database(), redis_url,
                                 PLUGINS=[*Defaults.PLUGINS, "exemple"]))
    migrate_network(app)
    yield app
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()


def _referent(app):
    employer = create_employer(app)
    referent = create_user(app, employer=employer, role="referent")
    client = app.test_client()
    login(client, referent)
    return employer, client


def _set_model(client, slug, action):
    page = client.get(f"/e/{slug}/programme/modeles").get_data(as_text=True)
    version = re.search(r'name="modele" value="exemple">\s*<input type="hidden" name="version" '
                        r'value="(\d+)"', page).group(1)
    return client.post(f"/e/{slug}/programme/modeles", data={
        "csrf_token": csrf_token(client, f"/e/{slug}/programme/modeles"),
        "modele": "exemple", "version": version, "action": action})


def test_the_plugin_is_loaded_and_its_tables_agree_with_its_migrations(plugin_app):
    from tenants.template import template_diff

    assert "exemple" in plugin_app.extensions["entrepairs.plugins"]
    with plugin_app.app_context():
        db = plugin_app.extensions["sqlalchemy"]
        assert template_diff(db.engine, db.metadata) == []
    employer = create_employer(plugin_app)
    with plugin_app.app_context():
        tables = set(db.session.execute(sa.text(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = :s"),
            {"s": employer.schema}).scalars())
    assert {"exemple_rencontre", "exemple_welcome"} <= tables


def test_enabling_the_model_needs_no_restart_and_disabling_hides_it(plugin_app):
    employer, client = _referent(plugin_app)
    page_url = f"/e/{employer.slug}/exemple/"
    api_url = f"/api/v1/e/{employer.slug}/exemple/rencontres"
    assert client.get(page_url).status_code == 404
    assert client.get(api_url).status_code == 404

    assert _set_model(client, employer.slug, "activer").status_code == 302
    assert client.get(page_url).status_code == 200
    client.post(page_url, data={"csrf_token": csrf_token(client, page_url),
                                "title": "Café du jeudi"})
    assert client.get(api_url).json == [{"id": 1, "title": "Café du jeudi"}]

    assert _set_model(client, employer.slug, "desactiver").status_code == 302
    assert client.get(page_url).status_code == 404
    # Nothing was deleted: enabling again shows the same data.
    _set_model(client, employer.slug, "activer")
    assert client.get(api_url).json == [{"id": 1, "title": "Café du jeudi"}]


def test_enabling_in_one_employer_does_not_enable_it_in_another(plugin_app):
    a, client_a = _referent(plugin_app)
    b, client_b = _referent(plugin_app)
    _set_model(client_a, a.slug, "activer")
    assert client_a.get(f"/e/{a.slug}/exemple/").status_code == 200
    assert client_b.get(f"/e/{b.slug}/exemple/").status_code == 404


def test_settings_are_validated_by_the_plugin_schema_in_french(plugin_app):
    employer, client = _referent(plugin_app)
    url = f"/e/{employer.slug}/programme/modeles/exemple"
    page = client.get(url).get_data(as_text=True)
    assert 'value="12"' in page  # the default
    refused = client.post(url, data={"csrf_token": csrf_token(client, url), "version": "0",
                                     "max_participants": "1"})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "La valeur doit être comprise entre 2 et 50." in body and 'value="1"' in body
    not_a_number = client.post(url, data={"csrf_token": csrf_token(client, url),
                                          "version": "0", "max_participants": "douze"})
    assert "Saisissez un nombre entier." in not_a_number.get_data(as_text=True)
    saved = client.post(url, data={"csrf_token": csrf_token(client, url), "version": "0",
                                   "max_participants": "20"})
    assert saved.status_code == 302
    assert 'value="20"' in client.get(url).get_data(as_text=True)


def test_two_referents_editing_the_same_settings_the_second_is_told_and_loses_nothing(
        plugin_app):
    employer = create_employer(plugin_app)
    first, second = (create_user(plugin_app, employer=employer, role="referent")
                     for _ in range(2))
    url = f"/e/{employer.slug}/programme/modeles/exemple"
    clients = []
    for person in (first, second):
        c = plugin_app.test_client()
        login(c, person)
        clients.append((c, csrf_token(c, url)))
    (c1, t1), (c2, t2) = clients
    assert c1.post(url, data={"csrf_token": t1, "version": "0",
                              "max_participants": "30"}).status_code == 302
    late = c2.post(url, data={"csrf_token": t2, "version": "0", "max_participants": "8"})
    assert late.status_code == 409
    assert "Une autre personne a modifié ce modèle" in late.get_data(as_text=True)
    assert 'value="30"' in c2.get(url).get_data(as_text=True)


def test_the_plugin_receives_signals_and_contributes_indicators(plugin_app):
    employer = create_employer(plugin_app)
    person = create_user(plugin_app, employer=employer, role="pair-aide")
    with plugin_app.app_context():
        from tenants import tenant_context
        from tests.example_plugin.models import Welcome

        db = plugin_app.extensions["sqlalchemy"]
        with tenant_context(employer.slug):
            welcomes = db.session.execute(sa.select(Welcome.role)).scalars().all()
            plugin = plugin_app.extensions["entrepairs.plugins"]["exemple"]
            (indicator,) = plugin.indicators(period=None)
    assert welcomes == ["pair-aide"] and person.id
    assert indicator.key == "exemple.rencontres" and indicator.value == 0


def test_migrating_adds_the_plugin_tables_to_an_employer_that_lacks_them(plugin_app):
    from tenants import migrate_all

    employer = create_employer(plugin_app)
    with plugin_app.app_context():
        db = plugin_app.extensions["sqlalchemy"]
        s = employer.schema
        db.session.execute(sa.text(f"DROP TABLE {s}.exemple_rencontre, {s}.exemple_welcome"))
        # As if the schema predated the plugin: only the core template's stamp is left.
        db.session.execute(sa.text(
            f"DELETE FROM {s}.alembic_version WHERE version_num = 'exemple0001'"))
        db.session.commit()
        report = migrate_all(progress=False, only=[employer.slug])
        again = migrate_all(progress=False, only=[employer.slug])
        tables = set(db.session.execute(sa.text(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = :s"),
            {"s": s}).scalars())
    assert report.upgraded == [employer.slug]
    assert (again.at_head, again.upgraded) == (1, [])  # stamped exactly like a new schema
    assert {"exemple_rencontre", "exemple_welcome"} <= tables


def test_the_plugin_api_is_in_the_openapi_document(plugin_app):
    paths = plugin_app.test_client().get("/api/v1/openapi.json").json["paths"]
    assert "/api/v1/e/{tenant}/exemple/rencontres" in paths
