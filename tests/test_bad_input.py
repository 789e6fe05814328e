"""Bad input gets a clear error — a French page or the JSON error object — with the right
status, never a 500, and writes nothing."""
from __future__ import annotations

import html
import io
import json
import time
import uuid
from urllib.parse import urljoin, urlsplit

import pytest
from itsdangerous import TimestampSigner

from server import clock
from tests.fixtures.app import csrf_token
from tests.fixtures.factories import (PASSWORD, api_token, create_employer, create_user, login,
                                     second_factor_code, unique)
from tests.fixtures.snapshots import account_state, employer_state, network_counts

WELCOME_LIMIT = 2000


@pytest.fixture(scope="module")
def space(app):
    """One employer with a référent and a member, and a welcome message already saved."""
    class Space:
        pass

    s = Space()
    s.ref = create_employer(app)
    s.referent = create_user(app, employer=s.ref, role="referent")
    s.member = create_user(app, employer=s.ref, role="membre")
    client = app.test_client()
    s.token = api_token(client, s.referent)
    response = client.put(f"/api/v1/e/{s.ref.slug}/welcome", json={"welcome": "Bienvenue"},
                          headers={"Authorization": f"Bearer {s.token}"})
    assert response.status_code == 200
    s.bearer = {"Authorization": f"Bearer {s.token}"}
    return s


@pytest.fixture
def referent_client(app, space):
    client = app.test_client()
    login(client, space.referent)
    return client


def assert_api_error(response, status: int, code: str):
    assert response.status_code == status, response.data[:300]
    assert response.mimetype == "application/json"
    error = response.json["error"]
    assert error["status"] == status and error["code"] == code, error
    assert error["message"] and error["message_en"] and error["message"] != error["message_en"]
    return error


def assert_french_page(response, status: int, *texts: str):
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == "text/html"
    body = html.unescape(response.get_data(as_text=True))
    assert '<html lang="fr"' in body
    for text in texts:
        assert text in body, f"{text!r} not on the page"
    return body


# --- employers and ids in URLs -----------------------------------------------------------------

def test_an_unknown_employer_is_a_404_page_and_a_404_json_error(app, referent_client, space):
    slug = unique("inconnu")
    assert_french_page(referent_client.get(f"/e/{slug}/"), 404, "Page introuvable")
    assert_api_error(referent_client.get(f"/api/v1/e/{slug}/"), 404, "not_found")
    assert_api_error(referent_client.get(f"/api/v1/e/{slug}/people", headers=space.bearer),
                     404, "not_found")


MALFORMED_SLUGS = ["UPPER", "x", "-abc", "abc-", "a--b", "t_abc", "a" * 41, "a" * 2000,
                   "%C3%A9cole", "abc%00", "abc'%3B--", "%2e%2e", "abc%20def", "%F0%9F%98%80"]


@pytest.mark.parametrize("slug", MALFORMED_SLUGS)
def test_a_malformed_employer_slug_is_a_404(app, referent_client, space, slug):
    before = employer_state(app, space.ref)
    assert_french_page(referent_client.get(f"/e/{slug}/"), 404, "Page introuvable")
    assert_french_page(referent_client.post(
        f"/e/{slug}/parametres",
        data={"csrf_token": csrf_token(referent_client, "/reseau/"), "welcome": "x"}),
        404, "Page introuvable")
    assert_api_error(referent_client.get(f"/api/v1/e/{slug}/people"), 404, "not_found")
    assert_api_error(app.test_client().put(f"/api/v1/e/{slug}/welcome", json={"welcome": "x"},
                                           headers=space.bearer), 404, "not_found")
    assert employer_state(app, space.ref) == before


MALFORMED_IDS = ["abc", "-1", "1.5", "0", "1e3", "%20", "0x10",
                 "2147483648",  # one past PostgreSQL's integer
                 "9223372036854775808",  # one past bigint
                 "99999999999999999999", "9" * 400, "9" * 5000]


@pytest.mark.parametrize("profile_id", MALFORMED_IDS)
def test_a_malformed_or_out_of_range_id_is_a_404_json_error(referent_client, space, profile_id):
    url = f"/api/v1/e/{space.ref.slug}/people/{profile_id}"
    assert_api_error(referent_client.get(url), 404, "not_found")
    assert_api_error(referent_client.get(url, headers=space.bearer), 404, "not_found")


@pytest.mark.parametrize("token_id", ["abc", "2147483648", "99999999999999999999"])
def test_revoking_a_token_with_a_malformed_id_is_a_404_json_error(app, space, token_id):
    before = account_state(app, space.referent)
    response = app.test_client().delete(f"/api/v1/auth/tokens/{token_id}", headers=space.bearer)
    assert_api_error(response, 404, "not_found")
    assert account_state(app, space.referent) == before


def test_the_largest_real_id_still_reaches_its_person(app, referent_client, space):
    people = referent_client.get(f"/api/v1/e/{space.ref.slug}/people").json
    assert people
    for person in people:
        response = referent_client.get(f"/api/v1/e/{space.ref.slug}/people/{person['id']}")
        assert response.status_code == 200 and response.json["id"] == person["id"]
    assert_api_error(referent_client.get(f"/api/v1/e/{space.ref.slug}/people/2147483647"),
                     404, "not_found")


# --- bodies --------------------------------------------------------------------------------------

def welcome_url(space) -> str:
    return f"/api/v1/e/{space.ref.slug}/welcome"


def test_json_over_the_api_limit_is_refused_with_413(app, space):
    limit = app.config["API_MAX_JSON_BYTES"]
    assert limit == 64 * 1024
    client = app.test_client()
    before = employer_state(app, space.ref)
    body = json.dumps({"welcome": "x" * limit})
    assert len(body) > limit
    response = client.put(welcome_url(space), data=body, content_type="application/json",
                          headers=space.bearer)
    assert_api_error(response, 413, "payload_too_large")
    # The size is the reason: the same field just under the limit is a validation error.
    under = json.dumps({"welcome": "x" * (limit - 100)})
    response = client.put(welcome_url(space), data=under, content_type="application/json",
                          headers=space.bearer)
    assert_api_error(response, 422, "validation_error")
    assert employer_state(app, space.ref) == before


def test_json_over_the_request_limit_is_refused_with_413(app, space):
    before = employer_state(app, space.ref)
    counts = network_counts(app)
    body = json.dumps({"welcome": "x" * (app.config["MAX_CONTENT_LENGTH"] + 10)})
    response = app.test_client().put(welcome_url(space), data=body,
                                     content_type="application/json", headers=space.bearer)
    assert_api_error(response, 413, "payload_too_large")
    response = app.test_client().post("/api/v1/auth/tokens", data=json.dumps(
        {"email": space.referent.email, "password": "x" * (70 * 1024)}),
        content_type="application/json")
    assert_api_error(response, 413, "payload_too_large")
    assert employer_state(app, space.ref) == before and network_counts(app) == counts


def test_a_form_over_the_request_limit_is_a_french_413_page(app, referent_client, space):
    before = employer_state(app, space.ref)
    too_big = "x" * (app.config["MAX_CONTENT_LENGTH"] + 10)
    response = referent_client.post(
        f"/e/{space.ref.slug}/parametres",
        data={"csrf_token": csrf_token(referent_client, "/reseau/"), "welcome": too_big})
    assert_french_page(response, 413, "Les données envoyées sont trop volumineuses.")
    anonymous = app.test_client()
    response = anonymous.post("/connexion", data={"csrf_token": csrf_token(anonymous),
                                                  "email": too_big, "password": "x"})
    assert_french_page(response, 413, "Les données envoyées sont trop volumineuses.")
    assert employer_state(app, space.ref) == before


@pytest.mark.parametrize("body", ['{"welcome": ', "{'welcome': 'x'}", "welcome=x", "\x00\x01",
                                  '{"welcome": "x"} trailing', ""])
def test_malformed_json_is_a_400_malformed_json_error(app, space, body):
    before = employer_state(app, space.ref)
    response = app.test_client().put(welcome_url(space), data=body or " ",
                                     content_type="application/json", headers=space.bearer)
    assert_api_error(response, 400, "malformed_json")
    assert employer_state(app, space.ref) == before


def test_malformed_json_when_asking_for_a_token_is_a_400_and_issues_nothing(app, space):
    counts = network_counts(app)
    response = app.test_client().post("/api/v1/auth/tokens", data='{"email": "a@b.fr",',
                                      content_type="application/json")
    assert_api_error(response, 400, "malformed_json")
    assert network_counts(app) == counts


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", "application/xml",
                                          "application/json-patch"])
def test_a_body_that_is_not_json_is_a_415(app, space, content_type):
    before = employer_state(app, space.ref)
    counts = network_counts(app)
    client = app.test_client()
    response = client.put(welcome_url(space), data='{"welcome": "x"}',
                          content_type=content_type, headers=space.bearer)
    assert_api_error(response, 415, "unsupported_media_type")
    response = client.post("/api/v1/auth/tokens", data=json.dumps(
        {"email": space.referent.email, "password": PASSWORD}), content_type=content_type)
    assert_api_error(response, 415, "unsupported_media_type")
    assert employer_state(app, space.ref) == before and network_counts(app) == counts


@pytest.mark.parametrize("body", [["welcome", "x"], [{"welcome": "x"}], "welcome", 42, True,
                                  None])
def test_json_that_is_not_an_object_is_a_validation_error(app, space, body):
    before = employer_state(app, space.ref)
    response = app.test_client().put(welcome_url(space), data=json.dumps(body),
                                     content_type="application/json", headers=space.bearer)
    assert_api_error(response, 422, "validation_error")
    assert employer_state(app, space.ref) == before


@pytest.mark.parametrize("value", [123, 1.5, None, True, ["x"], {"fr": "x"}])
def test_a_field_of_the_wrong_type_is_a_validation_error_naming_it(app, space, value):
    before = employer_state(app, space.ref)
    response = app.test_client().put(welcome_url(space), json={"welcome": value},
                                     headers=space.bearer)
    error = assert_api_error(response, 422, "validation_error")
    assert "welcome" in error["details"]["json"], error
    assert employer_state(app, space.ref) == before


def test_token_request_fields_of_the_wrong_type_are_a_validation_error(app, space):
    counts = network_counts(app)
    response = app.test_client().post("/api/v1/auth/tokens",
                                      json={"email": 5, "password": ["x"], "name": {}})
    error = assert_api_error(response, 422, "validation_error")
    assert {"email", "password", "name"} <= set(error["details"]["json"]), error
    assert network_counts(app) == counts


def test_an_unknown_field_is_a_validation_error(app, space):
    before = employer_state(app, space.ref)
    response = app.test_client().put(welcome_url(space), json={"welcome": "x", "is_admin": True},
                                     headers=space.bearer)
    error = assert_api_error(response, 422, "validation_error")
    assert "is_admin" in error["details"]["json"], error
    assert employer_state(app, space.ref) == before


# --- sessions, passwords, tokens --------------------------------------------------------------

def _resign_session(app, cookie_value: str, signed_at: float) -> str:
    """The same session data, signed by the app's own serializer at ``signed_at``."""
    serializer = app.session_interface.get_signing_serializer(app)
    data = serializer.loads(cookie_value)
    original = TimestampSigner.get_timestamp
    TimestampSigner.get_timestamp = lambda self: int(signed_at)
    try:
        return serializer.dumps(data)
    finally:
        TimestampSigner.get_timestamp = original


def test_an_expired_session_is_signed_out(app, space):
    client = app.test_client()
    login(client, space.referent)
    cookie = client.get_cookie("session").value
    lifetime = app.permanent_session_lifetime.total_seconds()
    home = f"/e/{space.ref.slug}/"

    # Control: the same data signed a minute ago is a live session.
    client.set_cookie("session", _resign_session(app, cookie, time.time() - 60))
    assert client.get(home).status_code == 200
    assert client.get(f"/api/v1/e/{space.ref.slug}/").status_code == 200

    expired = _resign_session(app, cookie, time.time() - lifetime - 60)
    client.set_cookie("session", expired)
    response = client.get(home)
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/connexion"
    client.set_cookie("session", expired)
    assert_api_error(client.get(f"/api/v1/e/{space.ref.slug}/"), 401, "authentication_required")
    before = employer_state(app, space.ref)
    client.set_cookie("session", expired)
    response = client.put(welcome_url(space), json={"welcome": "Après expiration"})
    assert_api_error(response, 401, "authentication_required")
    assert employer_state(app, space.ref) == before


def test_a_wrong_password_on_the_page_is_a_401_with_a_french_summary(app, space):
    before = account_state(app, space.member)
    client = app.test_client()
    for email, password in ((space.member.email, "pas-le-bon-mot-de-passe"),
                            (f"{unique('personne')}@exemple.fr", PASSWORD)):
        response = client.post("/connexion", data={"csrf_token": csrf_token(client),
                                                   "email": email, "password": password})
        body = assert_french_page(response, 401, "Il y a un problème",
                                  "Adresse e-mail ou mot de passe incorrect.")
        assert f'value="{email}"' in body  # the e-mail is kept, the password is not
        assert password not in body
    assert client.get(f"/e/{space.ref.slug}/").status_code == 302  # still signed out
    assert account_state(app, space.member) == before


def test_an_incomplete_login_form_is_a_400_naming_each_field(app):
    client = app.test_client()
    response = client.post("/connexion", data={"csrf_token": csrf_token(client),
                                               "email": "pas-une-adresse", "password": ""})
    assert_french_page(response, 400, "Saisissez une adresse e-mail valide",
                       "Saisissez votre mot de passe.")


def test_a_wrong_password_via_the_api_is_a_401_and_issues_no_token(app, space):
    before = account_state(app, space.member)
    client = app.test_client()
    response = client.post("/api/v1/auth/tokens",
                           json={"email": space.member.email, "password": "pas-le-bon"})
    error = assert_api_error(response, 401, "invalid_credentials")
    assert error["message"] == "Adresse e-mail ou mot de passe incorrect."
    assert "token" not in response.json
    response = client.post("/api/v1/auth/tokens",
                           json={"email": f"{unique('x')}@exemple.fr", "password": PASSWORD})
    assert_api_error(response, 401, "invalid_credentials")
    assert account_state(app, space.member) == before


def test_a_revoked_token_is_refused_at_once(app, space):
    client = app.test_client()
    issued = client.post("/api/v1/auth/tokens",
                         json={"email": space.referent.email, "password": PASSWORD,
                                "code": second_factor_code(app, space.referent)}).json
    headers = {"Authorization": f"Bearer {issued['token']}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert client.delete(f"/api/v1/auth/tokens/{issued['id']}", headers=headers).status_code == 204
    before = employer_state(app, space.ref)
    assert_api_error(client.get("/api/v1/me", headers=headers), 401, "invalid_token")
    assert_api_error(client.get(f"/api/v1/e/{space.ref.slug}/people", headers=headers),
                     401, "invalid_token")
    assert_api_error(client.put(welcome_url(space), json={"welcome": "Jeton révoqué"},
                                headers=headers), 401, "invalid_token")
    assert employer_state(app, space.ref) == before


def test_an_expired_token_is_refused(app, space):
    import sqlalchemy as sa

    client = app.test_client()
    issued = client.post("/api/v1/auth/tokens",
                         json={"email": space.referent.email, "password": PASSWORD,
                                "code": second_factor_code(app, space.referent)}).json
    db = app.extensions["sqlalchemy"]
    with app.app_context():
        db.session.execute(sa.text("UPDATE network.api_token SET expires_at = now() - "
                                   "interval '1 second' WHERE id = :i"), {"i": issued["id"]})
        db.session.commit()
        db.session.remove()
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {issued['token']}"})
    assert_api_error(response, 401, "invalid_token")


@pytest.mark.parametrize("header, code", [
    ("Basic cXVlbHF1dW46c2VjcmV0", "malformed_authorization"),
    ("Bearer", "malformed_authorization"),
    ("Bearer ", "malformed_authorization"),
    ("Token ep_abc", "malformed_authorization"),
    ("ep_abc", "malformed_authorization"),
    ("Bearer pas-un-jeton", "invalid_token"),
    ("Bearer ep_" + "x" * 5000, "invalid_token"),
    ("Bearer ep_inconnu", "invalid_token"),
])
def test_a_malformed_or_unknown_authorization_header_is_a_401(app, space, header, code):
    before = employer_state(app, space.ref)
    client = app.test_client()
    assert_api_error(client.get("/api/v1/me", headers={"Authorization": header}), 401, code)
    assert_api_error(client.put(welcome_url(space), json={"welcome": "x"},
                                headers={"Authorization": header}), 401, code)
    assert employer_state(app, space.ref) == before


def test_a_form_without_its_csrf_token_is_a_french_400(app, referent_client, space):
    before = employer_state(app, space.ref)
    url = f"/e/{space.ref.slug}/parametres"
    for data in ({"welcome": "Sans jeton"}, {"welcome": "Faux jeton", "csrf_token": "faux"}):
        response = referent_client.post(url, data=data)
        assert_french_page(response, 400, "Le formulaire a expiré ou n'est pas valide.")
    response = app.test_client().post("/connexion", data={"email": space.referent.email,
                                                          "password": PASSWORD})
    assert_french_page(response, 400, "Le formulaire a expiré ou n'est pas valide.")
    assert employer_state(app, space.ref) == before


def test_a_cookie_authenticated_api_write_without_csrf_header_is_refused(
        app, referent_client, space):
    before = employer_state(app, space.ref)
    for headers in ({}, {"X-CSRFToken": "faux"}):
        response = referent_client.put(welcome_url(space), json={"welcome": "Sans jeton CSRF"},
                                       headers=headers)
        assert_api_error(response, 400, "csrf_failed")
    assert employer_state(app, space.ref) == before
    # Control: with the header the same write goes through.
    token = csrf_token(referent_client, "/reseau/")
    response = referent_client.put(welcome_url(space), json={"welcome": "Avec jeton CSRF"},
                                   headers={"X-CSRFToken": token})
    assert response.status_code == 200 and response.json["welcome"] == "Avec jeton CSRF"


# --- rate limiting -----------------------------------------------------------------------------

def _address() -> str:
    return f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"


def test_login_attempts_are_rate_limited_with_a_french_429(app, space, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "3 per minute")
    # A person of its own: more failures in a row would lock the shared one (lockout.py).
    person = create_user(app, employer=space.ref)
    before = account_state(app, person)
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = _address()
    data = {"email": person.email, "password": "pas-le-bon-mot-de-passe"}
    for _ in range(3):
        response = client.post("/connexion", data={**data, "csrf_token": csrf_token(client)})
        assert response.status_code == 401
    # Even the right password is refused once the limit is reached.
    response = client.post("/connexion", data={**data, "password": PASSWORD,
                                               "csrf_token": csrf_token(client)})
    assert_french_page(response, 429, "Trop de tentatives")
    assert client.get(f"/e/{space.ref.slug}/").status_code == 302  # not signed in
    # Another address is not affected.
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = _address()
    login(other, person)
    assert account_state(app, person)["api_token"] == before["api_token"]


def test_token_requests_are_rate_limited_with_a_json_429(app, space, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "3 per minute")
    # A person of its own: more failures in a row would lock the shared one (lockout.py).
    person = create_user(app, employer=space.ref)
    counts = network_counts(app)
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = _address()
    for _ in range(3):
        response = client.post("/api/v1/auth/tokens",
                               json={"email": person.email, "password": "pas-le-bon"})
        assert response.status_code == 401
    response = client.post("/api/v1/auth/tokens",
                           json={"email": person.email, "password": PASSWORD})
    assert_api_error(response, 429, "too_many_requests")
    assert network_counts(app) == counts


# --- redirects ---------------------------------------------------------------------------------

EVIL_NEXT = ["https://evil.example", "https://evil.example/connexion", "//evil.example",
             "///evil.example", "/\\evil.example", "\\\\evil.example", "http:evil.example",
             "https:/evil.example", "javascript:alert(1)", "/\t/evil.example",
             "/\n/evil.example", " //evil.example", "%2F%2Fevil.example",
             "evil.example", "@evil.example"]


def _lands_on_site(location: str) -> bool:
    """Where a browser goes: it drops tabs and newlines and reads ``\\`` as ``/``."""
    cleaned = location.replace("\t", "").replace("\n", "").replace("\r", "").replace("\\", "/")
    target = urlsplit(urljoin("http://localhost/connexion", cleaned.strip()))
    return target.scheme == "http" and target.netloc == "localhost"


@pytest.mark.parametrize("target", EVIL_NEXT)
def test_next_never_sends_anyone_off_site(app, space, target):
    client = app.test_client()
    token = csrf_token(client)
    response = client.post("/connexion", query_string={"next": target},
                           data={"csrf_token": token, "email": space.member.email,
                                 "password": PASSWORD})
    assert response.status_code == 302
    assert _lands_on_site(response.headers["Location"]), response.headers["Location"]
    # Already signed in: the login page redirects at once, on site too.
    response = client.get("/connexion", query_string={"next": target})
    assert response.status_code == 302
    assert _lands_on_site(response.headers["Location"]), response.headers["Location"]


def test_a_local_next_is_followed(app, space):
    client = app.test_client()
    response = client.post("/connexion", query_string={"next": f"/e/{space.ref.slug}/"},
                           data={"csrf_token": csrf_token(client), "email": space.member.email,
                                 "password": PASSWORD})
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == f"/e/{space.ref.slug}/"


# --- the settings form -------------------------------------------------------------------------

def test_a_welcome_message_over_the_limit_is_refused_and_kept_in_the_form(
        app, referent_client, space):
    before = employer_state(app, space.ref)
    url = f"/e/{space.ref.slug}/parametres"
    too_long = "Bienvenue à toutes et à tous. " * 70
    assert len(too_long.strip()) > WELCOME_LIMIT
    response = referent_client.post(url, data={"csrf_token": csrf_token(referent_client, url),
                                               "welcome": too_long})
    body = assert_french_page(response, 400, "Il y a un problème",
                              f"Le message d'accueil doit faire {WELCOME_LIMIT} caractères au plus.")
    assert too_long in body  # what was typed is not lost
    assert 'aria-invalid="true"' in body
    assert employer_state(app, space.ref) == before
    # Exactly at the limit it is saved.
    at_limit = "é" * WELCOME_LIMIT
    response = referent_client.post(url, data={"csrf_token": csrf_token(referent_client, url),
                                               "welcome": at_limit})
    assert response.status_code == 302
    assert referent_client.get(f"/api/v1/e/{space.ref.slug}/").json["welcome"] == at_limit


def test_a_welcome_message_over_the_limit_via_the_api_is_a_validation_error(app, space):
    before = employer_state(app, space.ref)
    response = app.test_client().put(welcome_url(space), json={"welcome": "x" * 2001},
                                     headers=space.bearer)
    error = assert_api_error(response, 422, "validation_error")
    assert "welcome" in error["details"]["json"]
    assert employer_state(app, space.ref) == before


def test_logins_while_redis_is_down_are_still_limited_never_a_500(app, database_url, redis_url,
                                                                    space):
    from server import create_app
    from tests.fixtures.app import test_config

    down = create_app(test_config(database_url, "redis://127.0.0.1:1/0",
                                  LOGIN_RATE_LIMIT="2 per minute"))
    try:
        client = down.test_client()
        client.environ_base["REMOTE_ADDR"] = _address()
        data = {"email": space.member.email, "password": "pas-le-bon-mot-de-passe"}
        codes = [client.post("/connexion", data={**data, "csrf_token": csrf_token(client)})
                 .status_code for _ in range(3)]
        assert codes == [401, 401, 429]
        response = client.post("/api/v1/auth/tokens", json=data)
        assert_api_error(response, 401, "invalid_credentials")
    finally:
        # The rate limiter is one object per process: point it back at the working Redis.
        create_app(test_config(database_url, redis_url))


# --- e-clubs (server/eclubs) ---------------------------------------------------------------------

def _eclub_counts(app) -> dict:
    import sqlalchemy as sa

    db = app.extensions["sqlalchemy"]
    with app.app_context():
        try:
            return {t: db.session.execute(sa.text(f"SELECT count(*) FROM network.{t}")).scalar()
                    for t in ("eclub", "eclub_registration", "eclub_question",
                              "eclub_question_support")}
        finally:
            db.session.remove()


@pytest.fixture(scope="module")
def eclub_space(app):
    """An animateur's client, a member's bearer token and an upcoming e-club."""
    from datetime import timedelta

    class EClubSpace:
        pass

    s = EClubSpace()
    s.animateur = app.test_client()
    login(s.animateur, create_user(app, network_roles=["animateur"]))
    member = create_user(app, employer=create_employer(app), role="membre")
    s.bearer = {"Authorization": f"Bearer {api_token(app.test_client(), member)}"}
    day = (clock.today() + timedelta(days=5)).strftime("%d/%m/%Y")
    s.form = {"title": "E-club d'essai", "date": day, "time": "14:00",
              "duration_minutes": "60", "video_url": "https://visio.exemple.fr/1"}
    token = csrf_token(s.animateur, "/reseau/e-clubs/nouveau")
    response = s.animateur.post("/reseau/e-clubs/nouveau", data={"csrf_token": token, **s.form})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    s.id = int(response.headers["Location"].rsplit("/", 1)[1])
    return s


@pytest.mark.parametrize("field, value, message", [
    ("date", "30/02/2030", "La date doit être une date réelle au format jj/mm/aaaa"),
    ("date", "01/01/2020", "La date et l'heure de l'e-club doivent être dans le futur."),
    ("time", "14h75", "L'heure doit être au format hh:mm"),
    ("video_url", "http://visio.exemple.fr/1", "doit commencer par https://"),
    ("title", "", "Saisissez le titre de l'e-club."),
])
def test_an_invalid_eclub_is_a_french_400_and_writes_nothing(app, eclub_space, field, value,
                                                             message):
    before = _eclub_counts(app)
    token = csrf_token(eclub_space.animateur, "/reseau/e-clubs/nouveau")
    response = eclub_space.animateur.post("/reseau/e-clubs/nouveau", data={
        "csrf_token": token, **eclub_space.form, field: value})
    assert_french_page(response, 400, "Il y a un problème", message)
    assert _eclub_counts(app) == before


def test_eclub_registration_and_support_twice_are_409s_recorded_once(app, eclub_space):
    base = f"/api/v1/reseau/e-clubs/{eclub_space.id}"
    client = app.test_client()
    assert client.post(base + "/registration", headers=eclub_space.bearer).status_code == 201
    before = _eclub_counts(app)
    assert_api_error(client.post(base + "/registration", headers=eclub_space.bearer), 409,
                     "already_registered")
    assert_api_error(client.post(base + "/questions", json={"body": ""},
                                 headers=eclub_space.bearer), 422, "validation_error")
    assert_api_error(client.post(base + "/questions", json={"body": 3},
                                 headers=eclub_space.bearer), 422, "validation_error")
    assert_api_error(client.post(base + "/questions/999999/support",
                                 headers=eclub_space.bearer), 404, "not_found")
    assert_api_error(client.get("/api/v1/reseau/e-clubs/999999", headers=eclub_space.bearer),
                     404, "not_found")
    assert _eclub_counts(app) == before


# --- topic polls (server/polls) -------------------------------------------------------------------

def _poll_counts(app) -> dict:
    import sqlalchemy as sa

    db = app.extensions["sqlalchemy"]
    with app.app_context():
        try:
            return {t: db.session.execute(sa.text(f"SELECT count(*) FROM network.{t}")).scalar()
                    for t in ("poll", "poll_option", "poll_voter", "poll_ballot",
                              "topic_proposal", "topic_support")}
        finally:
            db.session.remove()


def test_bad_ballots_and_a_poll_closing_before_opening_are_refused_and_write_nothing(app, space):
    from tests.test_polls import make_poll

    open_id, options = make_poll(app, max_choices=1)
    ranked_id, ranked = make_poll(app, method="schulze")
    early_id, _ = make_poll(app, opens_in=3600, closes_in=7200)
    late_id, _ = make_poll(app, opens_in=-7200, closes_in=-3600)
    outsider = create_user(app)
    client = app.test_client()
    member, stranger = api_token(client, space.member), api_token(client, outsider)
    before = _poll_counts(app)

    def put(token, poll_id, choices):
        return client.put(f"/api/v1/reseau/sondages/{poll_id}/bulletin",
                          json={"choices": choices}, headers={"Authorization": f"Bearer {token}"})

    assert_api_error(put(member, open_id, options[:2]), 422, "too_many_choices")
    assert_api_error(put(member, ranked_id, [ranked[0], ranked[0]]), 422, "repeated_option")
    assert_api_error(put(member, ranked_id, [ranked[0], 999999]), 422, "unknown_option")
    assert_api_error(put(member, early_id, [options[0]]), 409, "poll_not_open")
    assert_api_error(put(member, late_id, [options[0]]), 409, "poll_closed")
    assert_api_error(put(stranger, open_id, [options[0]]), 403, "forbidden")
    assert_api_error(client.put(f"/api/v1/reseau/sondages/{open_id}/bulletin", data="x",
                                headers={"Authorization": f"Bearer {member}"}), 415,
                     "unsupported_media_type")
    animateur = app.test_client()
    login(animateur, create_user(app, network_roles=["animateur"]))
    path = "/reseau/sondages/nouveau"
    response = animateur.post(path, data={
        "csrf_token": csrf_token(animateur, path), "title": "Sondage à l'envers",
        "method": "approval", "max_choices": "1", "scope": "person",
        "opens_day": "10/03/2099", "opens_time": "09:00", "closes_day": "09/03/2099",
        "closes_time": "09:00"})
    assert_french_page(response, 400, "Il y a un problème",
                       "La clôture doit être postérieure à l'ouverture.")
    assert _poll_counts(app) == before


# --- the resource library (server/library) ------------------------------------------------------

def test_a_library_file_over_its_limit_is_a_french_413_and_other_forms_keep_theirs(
        app, tmp_path, monkeypatch):
    from datetime import date

    from server.library import service

    monkeypatch.setitem(app.config, "LIBRARY_STORAGE_DIR", str(tmp_path))
    animateur = create_user(app, network_roles=["animateur"])
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        values, _ = service.clean({"kind": "guide", "title": "Guide", "summary": "Résumé",
                                   "published_on": date(2025, 9, 12)})
        rid = service.create(values, by_user_id=animateur.id).id
        db.session.commit()
    client = app.test_client()
    login(client, animateur)
    counts = network_counts(app)
    path = f"/reseau/ressources/{rid}/pieces-jointes"
    limit = app.config["LIBRARY_MAX_UPLOAD_BYTES"]
    response = client.post(path, data={"csrf_token": csrf_token(client, path), "file": (
        io.BytesIO(b"%PDF-1.4\n" + b"0" * limit), "gros.pdf")}, content_type="multipart/form-data")
    assert_french_page(response, 413, "Le fichier dépasse la taille maximale de 20,0 Mo")
    # The larger limit is the upload form's only.
    response = client.post("/reseau/ressources/nouvelle", data={
        "csrf_token": csrf_token(client, path), "title": "x" * (app.config["MAX_CONTENT_LENGTH"] + 10)})
    assert_french_page(response, 413, "Les données envoyées sont trop volumineuses.")
    assert list(tmp_path.iterdir()) == [] and network_counts(app) == counts
