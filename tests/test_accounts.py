"""Accounts: log in and out, spaces, session cookies, API tokens."""
import pytest
import sqlalchemy as sa

from server import create_app
from server.auth.models import ApiToken, User
from server.extensions import db
from tests.fixtures.app import csrf_token, test_config
from tests.fixtures.factories import api_token, create_employer, create_user, login


def test_login_leads_a_person_with_one_space_to_that_space(app, client, employer):
    person = create_user(app, employer=employer, role="pair-aide")
    response = client.post("/connexion", data={
        "csrf_token": csrf_token(client), "email": person.email, "password": person.password})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/e/{employer.slug}/"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert employer.name in page and person.display_name in page


def test_a_person_with_several_spaces_chooses_and_switches(app, client):
    a, b = create_employer(app), create_employer(app)
    person = create_user(app, memberships=[(a, "pair-aidant"), (b, "pair-aidant")])
    response = client.post("/connexion", data={
        "csrf_token": csrf_token(client), "email": person.email, "password": person.password})
    assert response.headers["Location"] == "/espaces"
    page = client.get("/espaces").get_data(as_text=True)
    assert a.name in page and b.name in page and 'id="changer-espace"' in page
    switched = client.get(f"/espaces?aller={b.slug}")
    assert switched.headers["Location"] == f"/e/{b.slug}/"
    # Someone else's space is not a destination.
    c = create_employer(app)
    assert client.get(f"/espaces?aller={c.slug}").status_code == 200


def test_email_is_case_insensitive_for_login_and_uniqueness(app, client):
    person = create_user(app)
    login(client, type(person)(email=person.email.upper(), password=person.password))
    with app.app_context():
        db.session.add(User(email=person.email.title(), display_name="Doublon", password_hash="x"))
        with pytest.raises(sa.exc.IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_passwords_are_stored_as_argon2id_hashes(app):
    person = create_user(app)
    with app.app_context():
        stored = db.session.get(User, person.id).password_hash
    assert stored.startswith("$argon2id$") and person.password not in stored


def test_an_inactive_account_cannot_log_in(app, client):
    person = create_user(app)
    with app.app_context():
        db.session.get(User, person.id).active = False
        db.session.commit()
    response = client.post("/connexion", data={
        "csrf_token": csrf_token(client), "email": person.email, "password": person.password})
    assert response.status_code == 401


def test_logging_in_renews_the_session_and_logging_out_ends_it(app, client, employer):
    person = create_user(app, employer=employer)
    token = csrf_token(client)
    before = client.get_cookie("session").value
    client.post("/connexion", data={"csrf_token": token, "email": person.email,
                                    "password": person.password})
    after = client.get_cookie("session").value
    assert before != after
    assert client.get("/deconnexion").status_code == 405  # log out is a POST with CSRF
    client.post("/deconnexion", data={"csrf_token": csrf_token(client, "/espaces")})
    assert client.get(f"/e/{employer.slug}/").status_code == 302


def test_changing_the_password_ends_other_sessions(app, client, employer):
    person = create_user(app, employer=employer)
    login(client, person)
    assert client.get(f"/e/{employer.slug}/").status_code == 200
    with app.app_context():
        user = db.session.get(User, person.id)
        user.set_password("un-tout-nouveau-mot-de-passe")
        user.session_version += 1
        db.session.commit()
    assert client.get(f"/e/{employer.slug}/").status_code == 302


def test_session_cookie_is_secure_httponly_and_samesite_outside_tests(database_url, redis_url):
    config = test_config(database_url, redis_url)
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        config.pop(key)
    app = create_app(config)
    client = app.test_client()
    response = client.get("/connexion", base_url="https://localhost")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_api_tokens_are_issued_listed_and_revoked(app, client):
    person = create_user(app)
    secret = api_token(client, person)
    with app.app_context():
        stored = db.session.execute(
            sa.select(ApiToken).where(ApiToken.user_id == person.id)).scalar_one()
        assert secret not in (stored.digest, stored.name)
    auth = {"Authorization": f"Bearer {secret}"}
    me = client.get("/api/v1/me", headers=auth)
    assert me.status_code == 200 and me.json["email"] == person.email
    listed = client.get("/api/v1/auth/tokens", headers=auth).json
    assert [t["id"] for t in listed] == [stored.id] and "token" not in listed[0]

    assert client.delete(f"/api/v1/auth/tokens/{stored.id}", headers=auth).status_code == 204
    refused = client.get("/api/v1/me", headers=auth)
    assert refused.status_code == 401 and refused.json["error"]["code"] == "invalid_token"


def test_nobody_revokes_someone_elses_token(app, client):
    owner, intruder = create_user(app), create_user(app)
    owner_secret = api_token(client, owner)
    intruder_secret = api_token(client, intruder)
    owner_tokens = client.get("/api/v1/auth/tokens",
                              headers={"Authorization": f"Bearer {owner_secret}"}).json
    response = client.delete(f"/api/v1/auth/tokens/{owner_tokens[0]['id']}",
                             headers={"Authorization": f"Bearer {intruder_secret}"})
    assert response.status_code == 404
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {owner_secret}"}
                      ).status_code == 200


def test_an_expired_token_is_refused(app, client):
    person = create_user(app)
    secret = api_token(client, person)
    with app.app_context():
        db.session.execute(sa.update(ApiToken).where(ApiToken.user_id == person.id)
                           .values(expires_at=sa.func.now() - sa.text("interval '1 minute'")))
        db.session.commit()
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401 and response.json["error"]["code"] == "invalid_token"


def test_cookie_authenticated_api_writes_need_the_csrf_token(app, client, employer):
    person = create_user(app, employer=employer, role="referent")
    login(client, person)
    url = f"/api/v1/e/{employer.slug}/welcome"
    refused = client.put(url, json={"welcome": "Bonjour"})
    assert refused.status_code == 400 and refused.json["error"]["code"] == "csrf_failed"
    accepted = client.put(url, json={"welcome": "Bonjour"},
                          headers={"X-CSRFToken": csrf_token(client, "/espaces")})
    assert accepted.status_code == 200 and accepted.json["welcome"] == "Bonjour"


def test_bearer_authenticated_api_writes_need_no_csrf_token(app, client, employer):
    person = create_user(app, employer=employer, role="referent")
    secret = api_token(client, person)
    response = client.put(f"/api/v1/e/{employer.slug}/welcome", json={"welcome": "Salut"},
                          headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200 and response.json["welcome"] == "Salut"


def test_a_referent_changes_the_welcome_message_and_members_read_it(app, client, employer):
    referent = create_user(app, employer=employer, role="referent")
    member = create_user(app, employer=employer, role="membre")
    login(client, referent)
    response = client.post(f"/e/{employer.slug}/parametres", data={
        "csrf_token": csrf_token(client, f"/e/{employer.slug}/parametres"),
        "welcome": "Permanence le mardi à 14 h"})
    assert response.status_code == 302
    assert "accueil est enregistré." in client.get(
        response.headers["Location"]).get_data(as_text=True)
    member_client = app.test_client()
    login(member_client, member)
    page = member_client.get(f"/e/{employer.slug}/").get_data(as_text=True)
    assert "Permanence le mardi à 14 h" in page
    assert member_client.get(f"/e/{employer.slug}/parametres").status_code == 403


def test_only_referents_see_the_programme_counts(app, employer):
    referent = create_user(app, employer=employer, role="referent")
    helped = create_user(app, employer=employer, role="pair-aide")
    for person, visible in ((referent, True), (helped, False)):
        client = app.test_client()
        login(client, person)
        page = client.get(f"/e/{employer.slug}/").get_data(as_text=True)
        assert ("Le programme en chiffres" in page) is visible
