"""Server-side sessions: a record per log-in, ended by inactivity, by age, by log-out or by its
owner from « Mes sessions »; API bearer tokens are not sessions."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from server.auth.sessions import AccountSession, describe_user_agent, masked_ip
from server.extensions import db
from server.auth.models import User
from tests.fixtures.app import csrf_token
from tests.fixtures.factories import api_token, create_user, login

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME_ANDROID = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko)"
                  " Chrome/126.0 Mobile Safari/537.36")


def browser(app, person, user_agent: str = FIREFOX):
    """A test client logged in as ``person`` with its own user agent."""
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = user_agent
    login(client, person)
    return client


def records(app, person) -> list[AccountSession]:
    with app.app_context():
        found = list(db.session.execute(
            sa.select(AccountSession).where(AccountSession.user_id == person.id)
            .order_by(AccountSession.created_at)).scalars())
        db.session.expunge_all()
        return found


def age(app, session_id: str, **ago) -> None:
    """Move a session's clock back (last request and/or log-in)."""
    with app.app_context():
        record = db.session.get(AccountSession, session_id)
        for column, delta in ago.items():
            setattr(record, column, getattr(record, column) - delta)
        db.session.commit()


def signed_in(client, employer) -> bool:
    response = client.get(f"/e/{employer.slug}/")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def test_a_login_records_a_session_without_its_secret_or_full_address(app, employer):
    person = create_user(app, employer=employer)
    client = browser(app, person, user_agent="X" * 500)
    (record,) = records(app, person)
    cookie = client.get_cookie("session").value
    assert len(record.id) == 64 and record.id not in cookie  # the digest, never the secret
    assert record.user_agent == "X" * 200
    assert record.ip == "127.0.0.0/24"
    assert record.revoked_at is None and record.last_seen_at == record.created_at


def test_a_user_agent_with_control_characters_is_stored_without_them(app, employer):
    person = create_user(app, employer=employer)
    browser(app, person, user_agent="Firefox/128.0\x00\x07 (Windows)")
    (record,) = records(app, person)
    assert record.user_agent == "Firefox/128.0 (Windows)"


def test_sessions_past_their_lifetime_are_deleted_at_the_next_login(app, employer):
    person = create_user(app, employer=employer)
    browser(app, person)
    (old,) = records(app, person)
    age(app, old.id, created_at=timedelta(hours=9))
    browser(app, person)
    assert [r.id for r in records(app, person)] != [old.id] and len(records(app, person)) == 1


def test_addresses_are_kept_as_their_network_only():
    assert masked_ip("192.0.2.187") == "192.0.2.0/24"
    assert masked_ip("2001:db8:85a3:8d3:1319:8a2e:370:7348") == "2001:db8:85a3::/48"
    assert masked_ip("pas une adresse") is None and masked_ip(None) is None
    assert describe_user_agent(FIREFOX) == "Firefox sous Windows"
    assert describe_user_agent(CHROME_ANDROID) == "Chrome sous Android"


def test_a_session_ends_after_thirty_idle_minutes(app, employer):
    assert app.config["SESSION_IDLE_MINUTES"] == 30
    person = create_user(app, employer=employer)
    client = browser(app, person)
    (record,) = records(app, person)
    age(app, record.id, last_seen_at=timedelta(minutes=29))
    assert signed_in(client, employer)
    age(app, record.id, last_seen_at=timedelta(minutes=31))  # the request above touched it
    response = client.get(f"/e/{employer.slug}/")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Votre session a pris fin" in page
    # Logging in again opens a new session; the old one stays ended.
    login(client, person)
    assert signed_in(client, employer)
    assert len(records(app, person)) == 2


def test_the_idle_limit_is_a_setting(app, employer, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 5)
    person = create_user(app, employer=employer)
    client = browser(app, person)
    (record,) = records(app, person)
    age(app, record.id, last_seen_at=timedelta(minutes=6))
    assert not signed_in(client, employer)


def test_a_session_ends_eight_hours_after_login_even_when_active(app, employer):
    person = create_user(app, employer=employer)
    client = browser(app, person)
    (record,) = records(app, person)
    age(app, record.id, created_at=timedelta(hours=7, minutes=59))
    assert signed_in(client, employer)
    age(app, record.id, created_at=timedelta(minutes=2))
    assert not signed_in(client, employer)


def test_last_seen_is_written_at_most_once_a_minute(app, employer):
    person = create_user(app, employer=employer)
    client = browser(app, person)
    (record,) = records(app, person)
    age(app, record.id, last_seen_at=timedelta(seconds=30))
    before = records(app, person)[0].last_seen_at
    assert signed_in(client, employer)
    assert records(app, person)[0].last_seen_at == before
    age(app, record.id, last_seen_at=timedelta(minutes=2))
    assert signed_in(client, employer)
    touched = records(app, person)[0].last_seen_at
    assert datetime.now(timezone.utc) - touched < timedelta(seconds=30)


def test_logging_out_revokes_the_record_and_the_old_cookie_no_longer_works(app, employer):
    person = create_user(app, employer=employer)
    client = browser(app, person)
    stolen = client.get_cookie("session").value
    client.post("/deconnexion", data={"csrf_token": csrf_token(client, "/espaces")})
    (record,) = records(app, person)
    assert record.revoked_at is not None
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    assert not signed_in(replay, employer)
    assert replay.get("/api/v1/me").status_code == 401  # cookie-authenticated API too


def test_my_sessions_lists_open_sessions_and_marks_this_one(app, employer):
    person = create_user(app, employer=employer)
    laptop = browser(app, person, FIREFOX)
    browser(app, person, CHROME_ANDROID)
    ended = browser(app, person, "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/115.0")
    ended.post("/deconnexion", data={"csrf_token": csrf_token(ended, "/espaces")})
    page = laptop.get("/compte/sessions")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Vos sessions ouvertes (2)" in html
    assert re.search(r"Firefox sous Windows\s*<strong>\(cette session\)</strong>", html)
    assert "Chrome sous Android" in html and "Firefox sous Linux" not in html
    assert "127.0.0.0/24" in html and "127.0.0.1" not in html
    assert "Cache-Control" in page.headers and "no-store" in page.headers["Cache-Control"]


def test_sessions_of_someone_else_never_show(app, employer):
    me, other = create_user(app, employer=employer), create_user(app, employer=employer)
    mine = browser(app, me)
    browser(app, other, CHROME_ANDROID)
    html = mine.get("/compte/sessions").get_data(as_text=True)
    assert "Vos sessions ouvertes (1)" in html and "Chrome sous Android" not in html


def test_closing_one_session_signs_that_device_out_only(app, employer):
    person = create_user(app, employer=employer)
    laptop, phone = browser(app, person, FIREFOX), browser(app, person, CHROME_ANDROID)
    phone_id = records(app, person)[1].id
    page = "/compte/sessions"
    response = laptop.post("/compte/sessions/fermer",
                           data={"csrf_token": csrf_token(laptop, page), "session": phone_id})
    assert response.status_code == 302
    assert "La session est fermée" in laptop.get(page).get_data(as_text=True)
    assert not signed_in(phone, employer)
    assert signed_in(laptop, employer)


def test_closing_needs_the_csrf_token_and_a_session_of_ones_own(app, employer):
    person, other = create_user(app, employer=employer), create_user(app, employer=employer)
    laptop = browser(app, person)
    stranger = browser(app, other, CHROME_ANDROID)
    (stranger_record,) = records(app, other)
    no_token = laptop.post("/compte/sessions/fermer", data={"session": stranger_record.id})
    assert no_token.status_code == 400
    response = laptop.post("/compte/sessions/fermer", data={
        "csrf_token": csrf_token(laptop, "/compte/sessions"), "session": stranger_record.id})
    assert response.status_code == 302
    assert "Cette session était déjà fermée." in laptop.get("/compte/sessions").get_data(
        as_text=True)
    assert records(app, other)[0].revoked_at is None and signed_in(stranger, employer)
    malformed = laptop.post("/compte/sessions/fermer", data={
        "csrf_token": csrf_token(laptop, "/compte/sessions"), "session": "x' OR 1=1"})
    assert malformed.status_code == 400
    assert "La requête est invalide." in malformed.get_data(as_text=True)


def test_closing_every_other_session_keeps_this_one(app, employer):
    person = create_user(app, employer=employer)
    laptop = browser(app, person, FIREFOX)
    others = [browser(app, person, CHROME_ANDROID) for _ in range(2)]
    response = laptop.post("/compte/sessions/fermer-les-autres",
                           data={"csrf_token": csrf_token(laptop, "/compte/sessions")})
    assert response.status_code == 302
    html = laptop.get("/compte/sessions").get_data(as_text=True)
    assert "2 autres sessions fermées" in html and "Vos sessions ouvertes (1)" in html
    assert all(not signed_in(client, employer) for client in others)
    assert signed_in(laptop, employer)
    assert sum(r.revoked_at is None for r in records(app, person)) == 1


def test_changing_the_password_still_ends_every_session(app, employer):
    person = create_user(app, employer=employer)
    client = browser(app, person)
    with app.app_context():
        user = db.session.get(User, person.id)
        user.set_password("un-tout-nouveau-mot-de-passe")
        user.session_version += 1
        db.session.commit()
    assert not signed_in(client, employer)
    person.password = "un-tout-nouveau-mot-de-passe"
    again = browser(app, person, CHROME_ANDROID)
    html = again.get("/compte/sessions").get_data(as_text=True)
    assert "Vos sessions ouvertes (1)" in html and "Firefox sous Windows" not in html


def test_api_tokens_are_not_sessions(app, client, employer):
    person = create_user(app, employer=employer)
    laptop = browser(app, person)
    auth = {"Authorization": f"Bearer {api_token(client, person)}"}
    assert client.get("/api/v1/me", headers=auth).status_code == 200
    assert len(records(app, person)) == 1  # the laptop's: a token opens no session
    laptop.post("/compte/sessions/fermer-les-autres",
                data={"csrf_token": csrf_token(laptop, "/compte/sessions")})
    laptop.post("/deconnexion", data={"csrf_token": csrf_token(laptop, "/espaces")})
    assert client.get("/api/v1/me", headers=auth).status_code == 200


@pytest.mark.parametrize("path", ["/compte/sessions"])
def test_my_sessions_needs_a_signed_in_person(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]
