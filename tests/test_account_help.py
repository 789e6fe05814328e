"""A person who cannot log in gets help from a network admin (unlock, lost second factor),
and every change to how someone logs in is e-mailed to them."""
from __future__ import annotations

import html
import re
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pyotp
import sqlalchemy as sa

from server.audit.models import NetworkAuditEvent
from server.extensions import db
from tests.fixtures.app import csrf_token
from tests.fixtures.factories import (PASSWORD, account, create_employer, create_user, login,
                                      set_account, unique)
from tests.fixtures.mail import run_jobs, text_of

ACCOUNTS = "/reseau/comptes"
ENROL = "/connexion/double-authentification"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def lock(app, person, failures=5) -> None:
    set_account(app, person, failed_logins=failures,
                locked_until=datetime.now(timezone.utc) + timedelta(minutes=30))


def logged_actions(app, person) -> list[str]:
    with app.app_context():
        actions = db.session.execute(
            sa.select(NetworkAuditEvent.action).where(NetworkAuditEvent.object_id == str(person.id))
            .order_by(NetworkAuditEvent.id)).scalars().all()
        db.session.remove()
        return list(actions)


def post(client, url, page=ACCOUNTS + "?q=exemple"):
    return client.post(url, data={"csrf_token": csrf_token(client, page)})


def admin_client(app):
    admin = create_user(app, network_roles=["admin"], name=unique("Alice Administratrice"))
    client = app.test_client()
    login(client, admin)
    return admin, client


def test_an_admin_finds_an_account_by_part_of_its_name_or_address(app):
    employer = create_employer(app)
    person = create_user(app, employer=employer, role="membre", name="Bérénice Introuvable")
    _, client = admin_client(app)
    for query in ("Introuvable", person.email.split("@")[0][-8:]):
        page = text(client.get(ACCOUNTS, query_string={"q": query}))
        assert "Bérénice Introuvable" in page and person.email in page
    page = text(client.get(ACCOUNTS, query_string={"q": "zz-aucun-compte-zz"}))
    assert "Aucun compte ne correspond" in page and "Bérénice" not in page
    # A search pattern's wildcards are taken literally.
    assert "Bérénice" not in text(client.get(ACCOUNTS, query_string={"q": "%%%"}))


def test_a_search_too_short_says_why_in_french(app):
    _, client = admin_client(app)
    response = client.get(ACCOUNTS, query_string={"q": "ab"})
    assert response.status_code == 400
    assert "Saisissez de 3 à 254 caractères" in text(response)
    assert 'aria-invalid="true"' in text(response)


def test_only_network_admins_reach_the_accounts_page(app):
    employer = create_employer(app)
    target = create_user(app, employer=employer, role="membre")
    lock(app, target)
    for kind in ({"network_roles": ["animateur"]}, {"employer": employer, "role": "referent"},
                 {"employer": employer, "role": "membre"}):
        someone = create_user(app, **kind)
        client = app.test_client()
        login(client, someone)
        assert client.get(ACCOUNTS, query_string={"q": "exemple"}).status_code == 403
        token = csrf_token(client, "/compte/securite")
        response = client.post(f"{ACCOUNTS}/{target.id}/deverrouiller",
                               data={"csrf_token": token})
        assert response.status_code == 403
    assert account(app, target).locked_until is not None
    assert app.test_client().get(ACCOUNTS).status_code == 302  # to the log-in page


def test_unlocking_lets_the_right_password_in_at_once_and_tells_the_person(app, mailbox):
    employer = create_employer(app)
    person = create_user(app, employer=employer, role="membre", name=unique("Denis Verrouillé"))
    lock(app, person)
    _, client = admin_client(app)
    page = text(client.get(ACCOUNTS, query_string={"q": person.display_name}))
    assert "Verrouillée jusqu'au" in page and "Déverrouiller" in page
    response = post(client, f"{ACCOUNTS}/{person.id}/deverrouiller")
    assert response.status_code == 302
    assert "est déverrouillé" in text(client.get(response.headers["Location"]))
    after = account(app, person)
    assert after.locked_until is None and after.failed_logins == 0
    other = app.test_client()
    login(other, person)
    assert other.get(f"/e/{employer.slug}/").status_code == 200
    assert "account.unlocked" in logged_actions(app, person)
    run_jobs(app)
    (notice,) = mailbox.to(person.email)
    assert "déverrouillé par un administrateur du réseau" in text_of(notice)


def test_resetting_a_lost_second_factor_ends_every_session_and_asks_to_set_it_up_again(
        app, mailbox):
    employer = create_employer(app)
    person = create_user(app, employer=employer, role="referent", name="Rémi Sans-Téléphone")
    assert account(app, person).has_second_factor
    theirs = app.test_client()
    login(theirs, person)
    assert theirs.get(f"/e/{employer.slug}/").status_code == 200
    _, client = admin_client(app)
    response = post(client, f"{ACCOUNTS}/{person.id}/double-authentification")
    assert response.status_code == 302
    assert not account(app, person).has_second_factor
    # Their open session has ended; the next log-in goes to setting the factor up.
    assert theirs.get(f"/e/{employer.slug}/").status_code == 302
    fresh = app.test_client()
    response = fresh.post("/connexion", data={
        "csrf_token": csrf_token(fresh), "email": person.email, "password": PASSWORD})
    assert urlsplit(response.headers["Location"]).path == ENROL
    assert "second_factor.reset" in logged_actions(app, person)
    run_jobs(app)
    (notice,) = mailbox.to(person.email)
    assert "réinitialisée par un administrateur du réseau" in text_of(notice)


def test_an_admin_cannot_reset_their_own_second_factor(app):
    admin, client = admin_client(app)
    page = text(client.get(ACCOUNTS, query_string={"q": admin.display_name}))
    assert admin.display_name in page
    assert f"{ACCOUNTS}/{admin.id}/double-authentification" not in page  # no button for oneself
    response = post(client, f"{ACCOUNTS}/{admin.id}/double-authentification")
    assert response.status_code == 302
    assert "demandez-le à un autre administrateur" in text(client.get(response.headers["Location"]))
    assert account(app, admin).has_second_factor


def test_actions_need_their_form_token_and_an_existing_account(app):
    employer = create_employer(app)
    person = create_user(app, employer=employer, role="membre")
    lock(app, person)
    _, client = admin_client(app)
    client.get(ACCOUNTS)
    assert client.post(f"{ACCOUNTS}/{person.id}/deverrouiller").status_code == 400
    assert account(app, person).locked_until is not None
    assert post(client, f"{ACCOUNTS}/2147483000/deverrouiller").status_code == 404


def test_each_change_to_how_i_log_in_is_emailed_to_me(app, mailbox):
    employer = create_employer(app)
    person = create_user(app, employer=employer, role="pair-aide")
    client = app.test_client()
    login(client, person)
    url = "/compte/securite/double-authentification"
    key = re.search(r'<code id="cle-totp">([A-Z2-7 ]+)</code>', text(client.get(url))).group(1)
    client.post(url, data={"csrf_token": csrf_token(client, url),
                           "code": pyotp.TOTP(key.replace(" ", "")).now()})
    client.post("/compte/securite", data={
        "codes-csrf_token": csrf_token(client, "/compte/securite"),
        "codes-current_password": PASSWORD})
    client.post("/compte/securite/desactivation", data={
        "desactivation-csrf_token": csrf_token(client, "/compte/securite"),
        "desactivation-current_password": PASSWORD})
    new = "une toute nouvelle phrase secrète"
    client.post("/compte/mot-de-passe", data={
        "csrf_token": csrf_token(client, "/compte/mot-de-passe"), "current_password": PASSWORD,
        "new_password": new, "new_password_confirm": new})
    run_jobs(app)
    said = [text_of(m) for m in mailbox.to(person.email)]
    assert len(said) == 4, said
    for fragment, message in zip(("a été activée", "nouveaux codes de secours", "a été désactivée",
                                  "mot de passe de votre compte a été changé"), said):
        assert fragment in message and "Si ce n'était pas vous" in message
    # A notice says what changed, never a code or a secret.
    assert not any(key.replace(" ", "") in m for m in said)
