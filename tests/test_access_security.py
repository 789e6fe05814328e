"""Access security (issue #7): password rules, lock-out with back-off, two-factor log-in."""
from __future__ import annotations

import html
import logging
import re
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from urllib.parse import urlsplit

import pyotp
import pytest

from server.auth import lockout, passwords, two_factor
from server.auth.models import User
from server.extensions import db
from tests.fixtures.app import csrf_token
from tests.fixtures.factories import (
    PASSWORD,
    SECOND_STEP,
    account,
    api_token,
    create_employer,
    create_user,
    login,
    second_factor_code,
    set_account,
    unique,
)
from tests.fixtures.mail import run_jobs, text_of
from tests.invitation_helpers import acceptance, make_invitation

ENROL = "/connexion/double-authentification"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def post_login(client, email: str, password: str):
    return client.post("/connexion", data={"csrf_token": csrf_token(client), "email": email,
                                           "password": password})


def signed_in(client, employer) -> bool:
    return client.get(f"/e/{employer.slug}/").status_code == 200


# --- passwords (ASVS 6.2) ---------------------------------------------------------------------

PERSON = SimpleNamespace(email="camille.durand@exemple.fr", display_name="Camille Durand")


@pytest.mark.parametrize("password, problem", [
    ("court", passwords.TOO_SHORT),
    ("onze-carac.", passwords.TOO_SHORT),
    ("x" * 100 + "une phrase qui dépasse largement la limite" * 2, passwords.TOO_LONG),
    ("motdepasse123", passwords.COMMON),           # common word, digits around it
    ("Password1234!", passwords.COMMON),
    ("azertyazerty", passwords.COMMON),            # a common one, repeated
    ("aaaaaaaaaaaaaaaa", passwords.COMMON),
    ("123456789012", passwords.COMMON),            # a run of keys
    ("qsdfghjklmwx", passwords.COMMON),            # a French keyboard row
    ("Camille.Durand@exemple.fr", passwords.PERSONAL),
    ("DurandCamille2024!", passwords.PERSONAL),
    ("Entrepairs2026!!", passwords.SERVICE),
])
def test_weak_passwords_are_refused_with_a_french_reason(password, problem):
    assert passwords.password_problem(password, PERSON) == problem


@pytest.mark.parametrize("password", [
    "cheval correct agrafe pile",      # no composition rule: lower case letters only is fine
    "Les pairs s'entraident à Rivebelle",
    "une-phrase-de-passe-longue",
    "douze carac.",                    # exactly 12
])
def test_long_uncommon_passwords_are_accepted_without_composition_rules(password):
    assert passwords.password_problem(password, PERSON) is None


def test_length_is_counted_in_unicode_characters_up_to_128():
    sentence = "Été à Nîmes : café crème, thé glacé, brioche dorée et œufs brouillés. "
    at_limit = (sentence * 3)[:128]
    assert len(at_limit) == 128 and len(at_limit.encode()) > 128
    assert passwords.password_problem(at_limit) is None
    assert passwords.password_problem(at_limit + "é") == passwords.TOO_LONG
    # Decomposed accents count as the characters they make (NFC).
    decomposed = "e\u0301te\u0301 au bord de l'eau"
    assert passwords.password_problem(decomposed) is None


def test_the_shipped_common_password_list_holds_ten_thousand_entries():
    common = passwords.common_passwords()
    assert len(common) == 10_000
    assert {"123456", "password", "azerty", "motdepasse", "soleil"} <= common


def test_the_command_line_refuses_a_common_password_and_creates_nothing(app):
    email = f"{unique('cli')}@exemple.fr"
    result = app.test_cli_runner().invoke(args=[
        "users", "create", email, "--name", "Cli Test", "--password", "Motdepasse2024"])
    assert result.exit_code != 0 and "trop courant" in result.output
    with app.app_context():
        assert User.by_email(email) is None
        db.session.remove()


def test_an_invitation_refuses_the_persons_own_name_as_password(app):
    employer = create_employer(app)
    _, link, email = make_invitation(app, employer, role="membre", name="Camille Invitée")
    client = app.test_client()
    response = client.post(link, data=acceptance(client, link, helped=False,
                                                 name="Camille Invitée",
                                                 password="CamilleInvitee2026!"))
    assert response.status_code == 400
    assert passwords.PERSONAL in text(response)
    with app.app_context():
        assert User.by_email(email) is None
        db.session.remove()
    # A common password is refused by the form itself.
    response = client.post(link, data=acceptance(client, link, helped=False,
                                                 password="iloveyou2024!"))
    assert response.status_code == 400 and passwords.COMMON in text(response)


# --- changing one's password --------------------------------------------------------------------

def test_changing_my_password_needs_the_current_one_and_ends_my_other_sessions(app):
    employer = create_employer(app)
    person = create_user(app, employer=employer, role="pair-aidant")
    here, elsewhere = app.test_client(), app.test_client()
    login(here, person)
    login(elsewhere, person)
    url = "/compte/mot-de-passe"
    new = "une toute nouvelle phrase secrète"

    def change(current, password, confirm=None):
        return here.post(url, data={"csrf_token": csrf_token(here, url),
                                    "current_password": current, "new_password": password,
                                    "new_password_confirm": confirm or password})

    before = account(app, person).password_hash
    response = change("pas-le-bon-mot-de-passe", new)
    assert response.status_code == 401 and "Mot de passe incorrect." in text(response)
    response = change(PASSWORD, "soleil123456")
    assert response.status_code == 400 and passwords.COMMON in text(response)
    response = change(PASSWORD, new, "une autre phrase différente")
    assert response.status_code == 400 and "ne sont pas identiques" in text(response)
    assert account(app, person).password_hash == before

    response = change(PASSWORD, new)
    assert response.status_code == 302 and response.headers["Location"] == "/compte/securite"
    assert "Votre mot de passe est changé" in text(here.get("/compte/securite"))
    assert signed_in(here, employer)           # this session goes on
    assert not signed_in(elsewhere, employer)  # the other one is closed
    assert post_login(app.test_client(), person.email, PASSWORD).status_code == 401
    assert post_login(app.test_client(), person.email, new).status_code == 302


# --- lock-out ---------------------------------------------------------------------------------

def test_lock_durations_start_at_a_minute_and_double_up_to_an_hour():
    assert [lockout.lock_duration(n) for n in range(1, 5)] == [None] * 4
    minutes = [lockout.lock_duration(n).total_seconds() / 60 for n in range(5, 14)]
    assert minutes == [1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_five_failures_lock_the_account_and_send_one_notice(app, mailbox):
    employer = create_employer(app)
    person = create_user(app, employer=employer, role="membre")
    client = app.test_client()
    for _ in range(4):
        response = post_login(client, person.email, "pas-le-bon-mot-de-passe")
        assert response.status_code == 401
        assert "Adresse e-mail ou mot de passe incorrect." in text(response)
    response = post_login(client, person.email, "pas-le-bon-mot-de-passe")
    assert response.status_code == 401
    page = text(response)
    assert "temporairement verrouillé" in page and "heure de Paris" in page
    locked = account(app, person)
    assert locked.failed_logins == 5
    remaining = locked.locked_until - datetime.now(timezone.utc)
    assert timedelta(seconds=50) < remaining <= timedelta(minutes=1)
    # Even the right password is refused while locked, and the failure is not counted.
    response = post_login(client, person.email, PASSWORD)
    assert response.status_code == 401 and "temporairement verrouillé" in text(response)
    assert not signed_in(client, employer)
    assert account(app, person).failed_logins == 5

    run_jobs(app)
    (notice,) = mailbox.to(person.email)
    assert "verrouillé" in notice["Subject"] and "5 tentatives" in text_of(notice)

    # The lock over, one more failure locks it for twice as long, without a second notice.
    set_account(app, person, locked_until=datetime.now(timezone.utc) - timedelta(seconds=1))
    post_login(client, person.email, "encore-un-mauvais-essai")
    relocked = account(app, person)
    assert relocked.failed_logins == 6
    remaining = relocked.locked_until - datetime.now(timezone.utc)
    assert timedelta(minutes=1, seconds=50) < remaining <= timedelta(minutes=2)
    run_jobs(app)
    assert len(mailbox.to(person.email)) == 1

    # Once the lock is over, the right password opens the session and ends the row.
    set_account(app, person, locked_until=datetime.now(timezone.utc) - timedelta(seconds=1))
    login(client, person)
    assert signed_in(client, employer)
    after = account(app, person)
    assert after.failed_logins == 0 and after.locked_until is None


def test_an_unknown_address_gets_the_same_answers_as_a_known_one(app):
    employer = create_employer(app)
    known = create_user(app, employer=employer)
    unknown = f"{unique('personne')}@exemple.fr"
    answers = {}
    for email in (known.email, unknown):
        client = app.test_client()
        pages = [post_login(client, email, "pas-le-bon-mot-de-passe") for _ in range(6)]
        answers[email] = [(p.status_code, re.sub(r"à partir du .*? \(heure", "…",
                                                 _summary(text(p)))) for p in pages]
    assert answers[known.email] == answers[unknown]
    assert "temporairement verrouillé" in answers[unknown][4][1]


def _summary(page: str) -> str:
    match = re.search(r'<div class="error-summary".*?</div>', page, re.DOTALL)
    return match.group(0) if match else ""


def test_api_token_requests_count_towards_the_lock_out(app):
    person = create_user(app, employer=create_employer(app))
    client = app.test_client()
    for _ in range(5):
        response = client.post("/api/v1/auth/tokens",
                               json={"email": person.email, "password": "pas-le-bon"})
        assert response.status_code == 401
    response = client.post("/api/v1/auth/tokens",
                           json={"email": person.email, "password": PASSWORD})
    assert response.status_code == 401 and "token" not in response.json
    assert account(app, person).failed_logins == 5


def test_log_ins_failures_and_locks_are_logged(app, caplog):
    person = create_user(app, employer=create_employer(app))
    client = app.test_client()
    with caplog.at_level(logging.INFO):
        for _ in range(5):
            post_login(client, person.email, "pas-le-bon-mot-de-passe")
        set_account(app, person, locked_until=None)
        login(client, person)
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("auth ")]
    mine = [line for line in lines if f"account={person.id} " in line]
    assert sum("auth login.failed " in line for line in mine) == 5
    assert any("auth login.locked " in line for line in mine)
    assert any("auth login.succeeded " in line for line in mine)
    assert not any(person.password in line for line in lines)


# --- two-factor log-in --------------------------------------------------------------------------

def test_a_referent_without_a_second_factor_must_set_it_up_before_anything_else(app):
    employer = create_employer(app)
    person = create_user(app, employer=employer, role="referent", second_factor=False)
    client = app.test_client()
    response = post_login(client, person.email, PASSWORD)
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == ENROL
    # Half logged in: nothing else is reachable.
    for path in (f"/e/{employer.slug}/", "/espaces", "/compte/securite", "/reseau/"):
        response = client.get(path)
        assert response.status_code == 302
        assert urlsplit(response.headers["Location"]).path == "/connexion"
    assert urlsplit(client.get(SECOND_STEP).headers["Location"]).path == ENROL
    page = text(client.get(ENROL))
    assert "<svg" in page and 'role="img"' in page
    key = re.search(r'<code id="cle-totp">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    # The key shown is the one the QR code carries (the page never calls another service).
    assert key == text(client.get(ENROL)).split('id="cle-totp">', 1)[1].split("<")[0].replace(
        " ", "")

    response = client.post(ENROL, data={"csrf_token": csrf_token(client, ENROL),
                                        "code": "000000"})
    assert response.status_code == 400 and "ne correspond pas" in text(response)
    assert not signed_in(client, employer)

    response = client.post(ENROL, data={"csrf_token": csrf_token(client, ENROL),
                                        "code": pyotp.TOTP(key).now()})
    assert response.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-9-]{14})</code></li>", text(response))
    assert len(codes) == 10 and len(set(codes)) == 10
    assert signed_in(client, employer)

    stored = account(app, person)
    assert stored.has_second_factor and key not in stored.totp_secret
    with app.app_context():
        assert two_factor.decrypt(stored.totp_secret) == key
    assert len(stored.recovery_codes) == 10
    assert not any(code.replace("-", "") in "".join(stored.recovery_codes) for code in codes)


def test_network_roles_need_the_second_factor_and_other_people_do_not(app):
    employer = create_employer(app)
    with app.app_context():
        for roles, role, needed in (([], "membre", False), ([], "pair-aide", False),
                                    (["animateur"], None, True), (["admin"], None, True),
                                    ([], "referent", True)):
            person = create_user(app, network_roles=roles, second_factor=False,
                                 **({"employer": employer, "role": role} if role else {}))
            assert two_factor.required_for(db.session.get(User, person.id)) is needed, roles or role
        db.session.remove()


def test_the_second_step_takes_a_valid_code_once(app):
    employer = create_employer(app)
    person = create_user(app, employer=employer, role="referent")
    client = app.test_client()
    response = post_login(client, person.email, PASSWORD)
    assert urlsplit(response.headers["Location"]).path == SECOND_STEP
    assert not signed_in(client, employer)
    response = client.post(SECOND_STEP, data={"csrf_token": csrf_token(client, SECOND_STEP),
                                              "code": "123456"})
    assert response.status_code == 401 and "pas valide" in text(response)
    assert not signed_in(client, employer)
    code = second_factor_code(app, person)
    response = client.post(SECOND_STEP, data={"csrf_token": csrf_token(client, SECOND_STEP),
                                              "code": code})
    assert response.status_code == 302 and signed_in(client, employer)
    assert account(app, person).failed_logins == 0  # the row of failures ended

    # The same code, again within its 30 seconds (someone who saw it): refused.
    other = app.test_client()
    post_login(other, person.email, PASSWORD)
    response = other.post(SECOND_STEP, data={"csrf_token": csrf_token(other, SECOND_STEP),
                                             "code": code})
    assert response.status_code == 401 and not signed_in(other, employer)


def test_a_recovery_code_replaces_the_app_once(app):
    employer = create_employer(app)
    person = create_user(app, employer=employer, role="referent")
    code = person.recovery_codes[0]

    def with_recovery(client, value):
        post_login(client, person.email, PASSWORD)
        return client.post(SECOND_STEP, data={"csrf_token": csrf_token(client, SECOND_STEP),
                                              "code": value})

    first = app.test_client()
    response = with_recovery(first, code.upper().replace("-", " "))
    assert response.status_code == 302
    assert "il vous en reste 9" in text(first.get(response.headers["Location"]))
    assert signed_in(first, employer)
    second = app.test_client()
    assert with_recovery(second, code).status_code == 401
    assert len(account(app, person).recovery_codes) == 9


def test_wrong_codes_count_towards_the_lock_out(app):
    employer = create_employer(app)
    person = create_user(app, employer=employer, role="referent")
    client = app.test_client()
    post_login(client, person.email, PASSWORD)
    for attempt in range(5):
        response = client.post(SECOND_STEP, data={"csrf_token": csrf_token(client, SECOND_STEP),
                                                  "code": "000000"})
    # The fifth failure locks the account and ends the half-open log-in.
    assert response.status_code == 302 and response.headers["Location"] == "/connexion"
    assert "temporairement verrouillé" in text(client.get("/connexion"))
    assert account(app, person).failed_logins == 5
    assert client.get(SECOND_STEP).headers["Location"] == "/connexion"
    # The password alone cannot reset the row: it is refused while locked.
    assert "temporairement verrouillé" in text(post_login(client, person.email, PASSWORD))


def test_the_half_open_log_in_expires(app, monkeypatch):
    from server.auth import views

    person = create_user(app, employer=create_employer(app), role="referent")
    client = app.test_client()
    post_login(client, person.email, PASSWORD)
    monkeypatch.setattr(views, "PENDING_SECONDS", -1)
    response = client.get(SECOND_STEP)
    assert response.status_code == 302 and response.headers["Location"] == "/connexion"
    assert "a expiré" in text(client.get("/connexion"))


def test_other_people_may_turn_it_on_and_off_from_the_security_page(app):
    employer = create_employer(app)
    person = create_user(app, employer=employer, role="pair-aide")
    client = app.test_client()
    login(client, person)
    page = text(client.get("/compte/securite"))
    assert "Non activée" in page and "Activer la double authentification" in page
    url = "/compte/securite/double-authentification"
    key = re.search(r'<code id="cle-totp">([A-Z2-7 ]+)</code>', text(client.get(url))).group(1)
    response = client.post(url, data={"csrf_token": csrf_token(client, url),
                                      "code": pyotp.TOTP(key.replace(" ", "")).now()})
    assert response.status_code == 200 and "codes de secours" in text(response)
    assert account(app, person).has_second_factor
    person.totp_secret = key.replace(" ", "")

    # From now on the log-in asks for a code.
    other = app.test_client()
    response = post_login(other, person.email, PASSWORD)
    assert urlsplit(response.headers["Location"]).path == SECOND_STEP
    login(app.test_client(), person)

    # Turning it off needs the password.
    off = "/compte/securite/desactivation"

    def turn_off(password):
        return client.post(off, data={
            "desactivation-csrf_token": csrf_token(client, "/compte/securite"),
            "desactivation-current_password": password})

    response = turn_off("pas-le-bon")
    assert response.status_code == 401 and account(app, person).has_second_factor
    response = turn_off(PASSWORD)
    assert response.status_code == 302 and not account(app, person).has_second_factor
    assert post_login(app.test_client(), person.email, PASSWORD).headers["Location"] == (
        f"/e/{employer.slug}/")


def test_people_who_must_use_it_cannot_turn_it_off(app):
    employer = create_employer(app)
    person = create_user(app, employer=employer, role="referent")
    client = app.test_client()
    login(client, person)
    page = text(client.get("/compte/securite"))
    assert "ne peut pas être désactivée" in page and "Désactiver la double" not in page
    response = client.post("/compte/securite/desactivation", data={
        "desactivation-csrf_token": csrf_token(client, "/compte/securite"),
        "desactivation-current_password": PASSWORD})
    assert response.status_code == 302 and account(app, person).has_second_factor


def test_new_recovery_codes_replace_the_old_ones(app):
    person = create_user(app, employer=create_employer(app), role="referent")
    client = app.test_client()
    login(client, person)
    response = client.post("/compte/securite", data={
        "codes-csrf_token": csrf_token(client, "/compte/securite"),
        "codes-current_password": PASSWORD})
    assert response.status_code == 200
    fresh = re.findall(r"<li><code>([a-z2-9-]{14})</code></li>", text(response))
    assert len(fresh) == 10 and not set(fresh) & set(person.recovery_codes)
    old = app.test_client()
    post_login(old, person.email, PASSWORD)
    assert old.post(SECOND_STEP, data={"csrf_token": csrf_token(old, SECOND_STEP),
                                       "code": person.recovery_codes[1]}).status_code == 401


def test_an_api_token_for_an_account_with_a_second_factor_needs_a_code(app):
    person = create_user(app, employer=create_employer(app), role="referent")
    client = app.test_client()
    body = {"email": person.email, "password": PASSWORD}
    response = client.post("/api/v1/auth/tokens", json=body)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "second_factor_required"
    response = client.post("/api/v1/auth/tokens", json={**body, "code": "000000"})
    assert response.status_code == 401 and "token" not in response.json
    token = api_token(client, person)  # with a valid code
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}
                      ).status_code == 200
    # Required but not set up: no token until it is, on the website.
    newcomer = create_user(app, network_roles=["animateur"], second_factor=False)
    response = client.post("/api/v1/auth/tokens",
                           json={"email": newcomer.email, "password": PASSWORD})
    assert response.json["error"]["code"] == "second_factor_setup_required"


def test_secrets_are_encrypted_with_a_key_derived_from_secret_key(app):
    with app.app_context():
        sealed = two_factor.encrypt("JBSWY3DPEHPK3PXP")
        assert "JBSWY3DPEHPK3PXP" not in sealed
        assert two_factor.decrypt(sealed) == "JBSWY3DPEHPK3PXP"
    other = dict(app.config)
    from flask import Flask

    stranger = Flask("autre")
    stranger.config.update(other, SECRET_KEY="une-toute-autre-cle-secrete-" + "y" * 20)
    with stranger.app_context():
        assert two_factor.decrypt(sealed) is None
    rotated = Flask("rotation")
    rotated.config.update(other, SECRET_KEY="une-toute-autre-cle-secrete-" + "y" * 20,
                          SECRET_KEY_FALLBACKS=[app.config["SECRET_KEY"]])
    with rotated.app_context():
        assert two_factor.decrypt(sealed) == "JBSWY3DPEHPK3PXP"


def test_a_code_is_accepted_in_its_own_step_or_a_neighbour_and_never_twice():
    secret = pyotp.random_base32()
    totp = pyotp.TOTP(secret)
    at = datetime(2026, 11, 24, 20, 0, 10, tzinfo=timezone.utc)
    step = totp.timecode(at)
    code = totp.at(at)
    assert two_factor.matching_step(secret, code, None, at) == step
    assert two_factor.matching_step(secret, code, step, at) is None  # used already
    assert two_factor.matching_step(secret, code, None, at + timedelta(seconds=30)) == step
    assert two_factor.matching_step(secret, code, None, at + timedelta(seconds=90)) is None
    assert two_factor.matching_step(secret, "12345", None, at) is None


def test_an_operator_can_reset_a_lost_second_factor(app):
    employer = create_employer(app)
    person = create_user(app, employer=employer, role="referent")
    result = app.test_cli_runner().invoke(args=["users", "reset-second-factor", person.email])
    assert result.exit_code == 0, result.output
    assert not account(app, person).has_second_factor
    # Still required: the next log-in sets it up again.
    response = post_login(app.test_client(), person.email, PASSWORD)
    assert urlsplit(response.headers["Location"]).path == ENROL
    result = app.test_cli_runner().invoke(args=["users", "reset-second-factor",
                                                "personne@nulle-part.fr"])
    assert result.exit_code != 0 and "Aucun compte" in result.output


def test_guessing_the_current_password_while_signed_in_locks_and_ends_the_session(app):
    employer = create_employer(app)
    person = create_user(app, employer=employer)
    client = app.test_client()
    login(client, person)
    url = "/compte/mot-de-passe"
    for _ in range(5):
        response = client.post(url, data={"csrf_token": csrf_token(client, url),
                                          "current_password": "une-supposition-fausse",
                                          "new_password": "une toute nouvelle phrase secrète",
                                          "new_password_confirm":
                                              "une toute nouvelle phrase secrète"})
    assert response.status_code == 302 and response.headers["Location"] == "/connexion"
    assert "temporairement verrouillé" in text(client.get("/connexion"))
    assert not signed_in(client, employer)
    assert account(app, person).locked_until is not None
