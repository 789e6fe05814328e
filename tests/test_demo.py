"""`entrepairs demo`: the demo network, loaded once."""
import sqlalchemy as sa

from server import create_app
from server.demo import DEMO_PASSWORD, EMPLOYERS, PEOPLE
from tests.fixtures.app import migrate_network, test_config
from tests.fixtures.factories import demo_person, login


def test_demo_loads_three_employers_of_three_sectors_once_and_its_logins_work(
        fresh_database, redis_url):
    app = create_app(test_config(fresh_database(), redis_url))
    migrate_network(app)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "--if-empty"])
    assert first.exit_code == 0, first.output
    assert DEMO_PASSWORD in first.output
    for email, *_ in PEOPLE:
        assert email in first.output
    second = runner.invoke(args=["demo", "--if-empty"])
    assert second.exit_code == 0 and "déjà présentes" in second.output

    with app.app_context():
        from tenants.registry import Tenant

        db = app.extensions["sqlalchemy"]
        sectors = db.session.execute(sa.select(Tenant.sector)).scalars().all()
    assert sorted(sectors) == sorted(e[2] for e in EMPLOYERS) and len(set(sectors)) == 3

    client = app.test_client()
    # The référente logs in with the demo password and the demo second-factor key.
    login(client, demo_person(app, "referente@rivebelle.demo.entrepairs.fr"))
    assert client.get("/connexion").headers["Location"] == "/e/ville-de-rivebelle/"
    page = client.get("/e/ville-de-rivebelle/").get_data(as_text=True)
    assert "Rivebelle" in page and "Le programme en chiffres" in page
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()


def test_demo_employers_run_every_installed_programme_model(fresh_database, redis_url):
    app = create_app(test_config(fresh_database(), redis_url))
    migrate_network(app)
    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    client = app.test_client()
    login(client, demo_person(app, "referente@rivebelle.demo.entrepairs.fr"))
    for model in app.extensions["entrepairs.plugins"]:
        assert client.get(f"/e/ville-de-rivebelle/{model}/").status_code == 200
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()


def test_demo_network_shares_an_anonymised_practice_and_has_one_to_review(fresh_database,
                                                                          redis_url):
    app = create_app(test_config(fresh_database(), redis_url))
    migrate_network(app)
    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        rows = db.session.execute(sa.text(
            "SELECT status, what_worked, employer_display FROM network.shared_practice "
            "ORDER BY id")).all()
        db.session.remove()
        app.extensions["sqlalchemy"].engine.dispose()
    assert [r.status for r in rows] == ["publiee", "soumise"]
    published = rows[0]
    assert "Paul Moreau" not in published.what_worked and "06 12 34 56 78" not in published.what_worked
    assert "Rivebelle" not in published.employer_display  # the author hid the name
    assert rows[1].employer_display == "Centre hospitalier de Valmont"
