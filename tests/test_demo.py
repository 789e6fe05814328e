"""`entrepairs demo`: the demo network, loaded once."""
import sqlalchemy as sa

from server import create_app
from server.demo import DEMO_PASSWORD, EMPLOYERS, PEOPLE
from tests.fixtures.app import csrf_token, migrate_network, test_config


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
    response = client.post("/connexion", data={
        "csrf_token": csrf_token(client), "email": "referente@rivebelle.demo.entrepairs.fr",
        "password": DEMO_PASSWORD})
    assert response.headers["Location"] == "/e/ville-de-rivebelle/"
    page = client.get("/e/ville-de-rivebelle/").get_data(as_text=True)
    assert "Rivebelle" in page and "Le programme en chiffres" in page
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()


def test_demo_employers_run_every_installed_programme_model(fresh_database, redis_url):
    app = create_app(test_config(fresh_database(), redis_url))
    migrate_network(app)
    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    client = app.test_client()
    client.post("/connexion", data={
        "csrf_token": csrf_token(client), "email": "referente@rivebelle.demo.entrepairs.fr",
        "password": DEMO_PASSWORD})
    for model in app.extensions["entrepairs.plugins"]:
        assert client.get(f"/e/ville-de-rivebelle/{model}/").status_code == 200
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()
