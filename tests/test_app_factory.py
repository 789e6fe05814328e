"""The application factory: configuration, refusals at start-up, plugin loading."""
from importlib.metadata import EntryPoint

import pytest

from server import create_app
from server.config import DEFAULT_SECRET_KEY, ConfigurationError, from_environment
from server.plugin_loader import PluginError
from plugins.base import ProgrammeModel
from tests.fixtures.app import test_config


def test_production_refuses_to_start_with_the_default_secret(database_url, redis_url):
    config = test_config(database_url, redis_url, ENV_NAME="production",
                         SECRET_KEY=DEFAULT_SECRET_KEY)
    with pytest.raises(ConfigurationError, match="default SECRET_KEY"):
        create_app(config)


def test_production_refuses_a_short_secret(database_url, redis_url):
    with pytest.raises(ConfigurationError, match="32 characters"):
        create_app(test_config(database_url, redis_url, ENV_NAME="production",
                               SECRET_KEY="short"))


def test_production_starts_with_a_real_secret(database_url, redis_url):
    app = create_app(test_config(database_url, redis_url, ENV_NAME="production",
                                 SECRET_KEY="s" * 64))
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_configuration_comes_from_the_environment():
    values = from_environment({
        "ENTREPAIRS_TENANT_MIGRATE_WORKERS": "8",
        "ENTREPAIRS_PLUGINS": '["binomes"]',
        "ENTREPAIRS_NETWORK_NAME": "Réseau test",
        "DATABASE_URL": "postgres://u@h/db",
        "REDIS_URL": "redis://h:6379/1",
        "SECRET_KEY": "k" * 40,
        "UNRELATED": "x",
    })
    assert values == {
        "TENANT_MIGRATE_WORKERS": 8,
        "PLUGINS": ["binomes"],
        "NETWORK_NAME": "Réseau test",
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@h/db",
        "REDIS_URL": "redis://h:6379/1",
        "SECRET_KEY": "k" * 40,
    }


def test_no_database_is_a_clear_error(redis_url):
    with pytest.raises(ConfigurationError, match="DATABASE_URL"):
        create_app({"SQLALCHEMY_DATABASE_URI": None, "REDIS_URL": redis_url})


class GoodModel(ProgrammeModel):
    name = "exemple"
    label = "Exemple"
    description = "Un modèle pour les tests."
    started = False

    def init(self):
        type(self).started = True


class NamelessModel(ProgrammeModel):
    name = "Pas Bon"
    label = ""


class NotAModel:
    name = "intrus"


def _entry_points(monkeypatch, *points):
    eps = [EntryPoint(name, f"tests.test_app_factory:{target}", "entrepairs.plugins")
           for name, target in points]
    monkeypatch.setattr("server.plugin_loader.entry_points", lambda group: eps)


def _app(database_url, redis_url, plugins):
    return create_app(test_config(database_url, redis_url, PLUGINS=plugins))


def test_an_allowed_plugin_is_loaded_and_initialised(monkeypatch, database_url, redis_url):
    _entry_points(monkeypatch, ("exemple", "GoodModel"))
    app = _app(database_url, redis_url, ["exemple"])
    assert isinstance(app.extensions["entrepairs.plugins"]["exemple"], GoodModel)
    assert GoodModel.started


def test_an_installed_plugin_not_in_the_allow_list_is_not_loaded(monkeypatch, database_url,
                                                                  redis_url):
    _entry_points(monkeypatch, ("exemple", "GoodModel"))
    assert _app(database_url, redis_url, []).extensions["entrepairs.plugins"] == {}


@pytest.mark.parametrize("points, allowed, message", [
    ([], ["absent"], "'absent' is enabled in PLUGINS but is not installed"),
    ([("exemple", "GoodModel"), ("exemple", "NamelessModel")], ["exemple"],
     "'exemple' is declared more than once"),
    ([("exemple", "GoodModel")], ["exemple", "exemple"], "'exemple' is listed twice"),
    ([("intrus", "NotAModel")], ["intrus"], "'intrus' is not a subclass"),
    ([("pasbon", "NamelessModel")], ["pasbon"], "'pasbon' is malformed"),
])
def test_a_missing_duplicate_or_malformed_plugin_stops_start_up(
        monkeypatch, database_url, redis_url, points, allowed, message):
    _entry_points(monkeypatch, *points)
    with pytest.raises(PluginError, match=message):
        _app(database_url, redis_url, allowed)


def test_health_check_reports_database_and_redis(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "redis": "ok"}


def test_health_check_says_when_redis_is_unreachable(app, client, monkeypatch):
    from redis import Redis

    # Only this check's connection is broken (a new app would also move the process-wide
    # rate limiter to the unreachable Redis).
    monkeypatch.setitem(app.extensions, "entrepairs.redis", Redis(port=1))
    response = client.get("/healthz")
    # Degraded, still serving: pages work and jobs wait in PostgreSQL.
    assert response.status_code == 200 and response.json["status"] == "dégradé"
    assert response.json["redis"] == "indisponible" and response.json["database"] == "ok"
