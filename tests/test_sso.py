"""Optional single sign-on (OpenID Connect), against a real OpenID provider running on the
loopback (oidc-provider-mock): the référent configures it and links first log-ins to members;
the provider is the first factor only; every wrong answer is refused in French, with no
session (docs/security.md, « Connexion unique (OpenID Connect) »)."""
from __future__ import annotations

import html
import threading
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, quote, urlencode, urlsplit, urlunsplit

import oidc_provider_mock
import pytest
import requests
import sqlalchemy as sa
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from werkzeug.serving import make_server

from tests.fixtures.app import csrf_token
from tests.fixtures.factories import (create_employer, create_user, login, second_factor_code,
                                      set_account)

pytestmark = [
    # The provider under test (not our code) uses Authlib APIs that Authlib now deprecates.
    pytest.mark.filterwarnings("ignore::DeprecationWarning:authlib.oidc.core.grants._legacy"),
    pytest.mark.filterwarnings("ignore:authlib.jose module is deprecated"),
    pytest.mark.filterwarnings("ignore:The httpx module is deprecated"),
]

SECRET = "secret-client-a-ne-jamais-afficher-7f3a9c"
CLIENT_ID = "entrepairs-test"


class Provider:
    """oidc-provider-mock in a thread. ``token_host``: when set, the token endpoint answers as
    if it were that host, so the ID token it signs names another issuer."""

    def __init__(self):
        self.token_host = None
        inner = oidc_provider_mock.app()

        def app(environ, start_response):
            if self.token_host and environ.get("PATH_INFO", "").endswith("/token"):
                environ = {**environ, "HTTP_HOST": self.token_host}
            return inner(environ, start_response)

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)

    def set_user(self, sub: str, **claims) -> None:
        response = requests.put(f"{self.url}/users/{quote(sub, safe='')}", json=claims,
                                timeout=5)
        assert response.status_code == 204

    def authorize(self, authorization_url: str, sub: str) -> str:
        """The person accepts at the provider: the callback URL it sends them back to."""
        response = requests.post(authorization_url, data={"sub": sub}, allow_redirects=False,
                                 timeout=5)
        assert response.status_code == 302, response.text[:300]
        return response.headers["Location"]


@pytest.fixture(scope="module")
def provider():
    p = Provider()
    p.thread.start()
    yield p
    p.server.shutdown()
    p.thread.join(5)


@pytest.fixture(autouse=True)
def allow_loopback_http(app, monkeypatch):
    """The local provider speaks http on 127.0.0.1: allowed only behind this flag."""
    monkeypatch.setitem(app.config, "SSO_ALLOW_HTTP", True)


@pytest.fixture
def space(app, provider):
    """An employer with single sign-on configured and enabled by its référent."""
    employer = create_employer(app)
    referent = create_user(app, employer=employer, role="referent")
    client = app.test_client()
    login(client, referent)
    response = save_config(client, employer, issuer=provider.url)
    assert response.status_code == 302, text(response)[:800]
    return employer, referent, client


def text(response) -> str:
    """The page's text as a reader sees it (apostrophes are escaped in the HTML)."""
    return html.unescape(response.get_data(as_text=True))


def settings_path(employer) -> str:
    return f"/e/{employer.slug}/connexion-unique"


def save_config(client, employer, *, issuer, client_id=CLIENT_ID, secret=SECRET,
                label="la Ville d'Essai", enabled=True):
    path = settings_path(employer)
    data = {"csrf_token": csrf_token(client, path), "issuer": issuer, "client_id": client_id,
            "client_secret": secret, "label": label}
    if enabled:
        data["enabled"] = "y"
    return client.post(path, data=data)


def start(client, employer) -> str:
    response = client.get(f"/connexion/employeur/{employer.slug}")
    assert response.status_code == 302, text(response)[:500]
    return response.headers["Location"]


def sso(client, provider, employer, sub: str, **claims):
    """The whole round trip: Entrepairs → provider → back to Entrepairs' callback."""
    provider.set_user(sub, **claims)
    callback = provider.authorize(start(client, employer), sub)
    return client.get(callback)


def signed_in(client) -> bool:
    return client.get("/espaces").status_code == 200


def identities(app, employer) -> list:
    db = app.extensions["sqlalchemy"]
    with app.app_context():
        rows = db.session.execute(sa.text(
            "SELECT i.id, i.subject, i.status, i.user_id, i.email, i.name "
            "FROM network.sso_identity i JOIN network.tenant t ON t.id = i.tenant_id "
            "WHERE t.slug = :s ORDER BY i.id"), {"s": employer.slug}).all()
        db.session.remove()
    return rows


def audit_actions(app, since_id: int = 0) -> list:
    db = app.extensions["sqlalchemy"]
    with app.app_context():
        rows = db.session.execute(sa.text(
            "SELECT action, actor_id, object_id, detail FROM network.audit_event "
            "WHERE id > :i ORDER BY id"), {"i": since_id}).all()
        db.session.remove()
    return rows


def last_audit_id(app) -> int:
    db = app.extensions["sqlalchemy"]
    with app.app_context():
        value = db.session.execute(sa.text(
            "SELECT coalesce(max(id), 0) FROM network.audit_event")).scalar()
        db.session.remove()
    return value


def link(client, employer, identity_id: int, user_id) -> object:
    path = settings_path(employer)
    return client.post(f"{path}/identites/{identity_id}/associer",
                       data={"csrf_token": csrf_token(client, path), "user_id": str(user_id)})


# --- the full flow ------------------------------------------------------------------------------

def test_a_first_log_in_waits_for_the_referent_who_links_it_then_it_logs_in(app, provider,
                                                                          space):
    employer, referent, referent_client = space
    member = create_user(app, employer=employer, role="membre", name="Martine Membre")
    sub = f"agent-{member.id}"
    before = last_audit_id(app)

    person = app.test_client()
    response = sso(person, provider, employer, sub, email="martine@mairie.example",
                   name="Martine M.")
    html = text(response)
    assert response.status_code == 200
    assert f"Votre demande a été transmise au référent de {employer.name}" in html
    assert not signed_in(person)
    [identity] = identities(app, employer)
    assert (identity.subject, identity.status, identity.user_id) == (sub, "pending", None)
    assert (identity.email, identity.name) == ("martine@mairie.example", "Martine M.")

    # The référent sees the request and links it to Martine's membership.
    page = text(referent_client.get(settings_path(employer)))
    assert "Premières connexions en attente" in page and "Martine M." in page
    assert f'<option value="{member.id}">Martine Membre' in page
    response = link(referent_client, employer, identity.id, member.id)
    assert response.status_code == 302
    [identity] = identities(app, employer)
    assert (identity.status, identity.user_id) == ("linked", member.id)

    # Now the same identity logs Martine in, with a server-side session, in one step.
    response = sso(person, provider, employer, sub, email="martine@mairie.example",
                   name="Martine M.")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == f"/e/{employer.slug}/"
    assert signed_in(person)
    assert "Martine Membre" in text(person.get("/compte/sessions"))

    actions = [(a.action, a.actor_id, a.detail) for a in audit_actions(app, before)]
    assert ("login.sso_pending", None) in [(a, act) for a, act, _ in actions]
    assert any(a == "sso.identity_linked" and d.get("identity") == identity.id
               and act == referent.id for a, act, d in actions)
    assert any(a == "login.succeeded" and d.get("method") == "sso" for a, _, d in actions)


def test_an_account_with_two_factor_still_enters_its_code_after_the_provider(app, provider,
                                                                            space):
    employer, referent, referent_client = space
    colleague = create_user(app, employer=employer, role="referent", name="Rémi Référent")
    response = sso(app.test_client(), provider, employer, "remi")
    assert response.status_code == 200
    [identity] = identities(app, employer)
    assert link(referent_client, employer, identity.id, colleague.id).status_code == 302

    person = app.test_client()
    response = sso(person, provider, employer, "remi")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/connexion/code"
    assert not signed_in(person)  # half logged in: the provider was the first factor only
    response = person.post("/connexion/code", data={
        "csrf_token": csrf_token(person, "/connexion/code"), "code": "000000"})
    assert response.status_code == 401 and not signed_in(person)
    response = person.post("/connexion/code", data={
        "csrf_token": csrf_token(person, "/connexion/code"),
        "code": second_factor_code(app, colleague)})
    assert response.status_code == 302
    assert signed_in(person)


def test_a_locked_account_is_refused_through_the_provider_too(app, provider, space):
    employer, _, referent_client = space
    member = create_user(app, employer=employer, role="membre")
    sso(app.test_client(), provider, employer, "verrou")
    [identity] = identities(app, employer)
    link(referent_client, employer, identity.id, member.id)
    set_account(app, member, locked_until=datetime.now(timezone.utc) + timedelta(minutes=10))
    person = app.test_client()
    response = sso(person, provider, employer, "verrou")
    assert response.status_code == 401
    assert "temporairement verrouillé" in text(response)
    assert not signed_in(person)


def test_refused_and_unlinked_identities_do_not_log_in(app, provider, space):
    employer, _, referent_client = space
    member = create_user(app, employer=employer, role="membre")
    sso(app.test_client(), provider, employer, "inconnu")
    sso(app.test_client(), provider, employer, "connu")
    refused, known = identities(app, employer)
    path = settings_path(employer)
    response = referent_client.post(f"{path}/identites/{refused.id}/refuser",
                                    data={"csrf_token": csrf_token(referent_client, path)})
    assert response.status_code == 302
    person = app.test_client()
    response = sso(person, provider, employer, "inconnu")
    assert response.status_code == 403
    assert "n'a pas associé ce compte" in text(response)
    assert not signed_in(person)

    link(referent_client, employer, known.id, member.id)
    response = referent_client.post(f"{path}/identites/{known.id}/dissocier",
                                    data={"csrf_token": csrf_token(referent_client, path)})
    assert response.status_code == 302
    response = sso(person, provider, employer, "connu")
    assert response.status_code == 200
    assert "Votre demande a été transmise" in text(response)
    assert not signed_in(person)
    assert [(i.status, i.user_id) for i in identities(app, employer)] == [
        ("refused", None), ("pending", None)]


def test_an_identity_is_linked_only_to_a_member_of_the_employer(app, provider, space):
    employer, _, referent_client = space
    elsewhere = create_user(app, employer=create_employer(app), role="membre")
    sso(app.test_client(), provider, employer, "quelqu-un")
    [identity] = identities(app, employer)
    for wrong in (elsewhere.id, "", "abc"):
        response = link(referent_client, employer, identity.id, wrong)
        html = text(response)
        assert response.status_code == 400
        assert "Il y a un problème" in html
        assert ("Choisissez une personne de votre espace dans la liste." in html
                or "Choisissez la personne à associer." in html)
    [identity] = identities(app, employer)
    assert (identity.status, identity.user_id) == ("pending", None)


# --- wrong answers -----------------------------------------------------------------------------

def _with_query(url: str, **changes) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_a_wrong_state_is_refused_in_french_and_opens_no_session(app, provider, space):
    employer, _, _ = space
    member = create_user(app, employer=employer, role="membre")
    person = app.test_client()
    provider.set_user("etat")
    callback = provider.authorize(start(person, employer), "etat")
    before = last_audit_id(app)
    response = person.get(_with_query(callback, state="un-autre-etat"))
    assert response.status_code == 400
    assert "ne correspond pas à la connexion commencée" in text(response)
    assert not signed_in(person)
    assert any(a.action == "login.sso_failed" and a.detail.get("reason") == "state"
               for a in audit_actions(app, before))
    # The attempt is spent: the genuine answer that follows is refused as well.
    response = person.get(callback)
    assert response.status_code == 400
    assert "a expiré ou n'a pas commencé" in text(response)
    # And an answer that reaches a browser that never started is refused.
    response = app.test_client().get(callback)
    assert response.status_code == 400
    assert not identities(app, employer) and member  # nothing recorded


@pytest.mark.parametrize("code", ["trafique", None])
def test_a_tampered_or_missing_code_is_refused_in_french(app, provider, space, code):
    employer, _, _ = space
    person = app.test_client()
    provider.set_user("code")
    callback = provider.authorize(start(person, employer), "code")
    if code is not None:
        code = parse_qs(urlsplit(callback).query)["code"][0] + code
    response = person.get(_with_query(callback, code=code))
    assert response.status_code == 400
    assert "Votre employeur n'a pas confirmé votre identité" in text(response)
    assert not signed_in(person)
    assert not identities(app, employer)


def test_a_refusal_at_the_provider_is_said_in_french(app, provider, space):
    employer, _, _ = space
    person = app.test_client()
    authorization_url = start(person, employer)
    response = requests.post(authorization_url, data={"action": "deny"},
                             allow_redirects=False, timeout=5)
    assert response.status_code == 302
    callback = response.headers["Location"]
    assert parse_qs(urlsplit(callback).query)["error"] == ["access_denied"]
    # The mock leaves the state out of its error answers; providers send it back (RFC 6749
    # 4.1.2.1), and without it the answer is refused as foreign (test above).
    state = parse_qs(urlsplit(authorization_url).query)["state"][0]
    response = person.get(_with_query(callback, state=state))
    assert response.status_code == 400
    assert "a été annulée ou refusée" in text(response)
    assert not signed_in(person)


def test_an_id_token_naming_another_issuer_is_refused(app, provider, space):
    employer, _, _ = space
    person = app.test_client()
    provider.set_user("ailleurs")
    callback = provider.authorize(start(person, employer), "ailleurs")
    before = last_audit_id(app)
    provider.token_host = "localhost:1"  # the ID token now says iss=http://localhost:1
    try:
        response = person.get(callback)
    finally:
        provider.token_host = None
    assert response.status_code == 400
    assert not signed_in(person)
    assert not identities(app, employer)
    assert any(a.action == "login.sso_failed" and a.detail.get("reason") == "id_token"
               for a in audit_actions(app, before))


def _real_id_token(provider, client_id: str, nonce: str) -> str:
    """An ID token the provider really issued to ``client_id``."""
    session = OAuth2Session(client_id=client_id, client_secret="x", scope="openid",
                            redirect_uri="http://localhost/retour",
                            code_challenge_method="S256")
    verifier = generate_token(64)
    url, _ = session.create_authorization_url(f"{provider.url}/oauth2/authorize",
                                              code_verifier=verifier, nonce=nonce)
    provider.set_user("jeton")
    callback = provider.authorize(url, "jeton")
    code = parse_qs(urlsplit(callback).query)["code"][0]
    token = session.fetch_token(f"{provider.url}/oauth2/token", code=code,
                                code_verifier=verifier)
    return token["id_token"]


def test_an_id_token_for_another_client_or_nonce_is_refused(app, provider):
    from server.sso import client

    id_token = _real_id_token(provider, "un-autre-client", "nonce-1")
    with app.test_request_context():
        metadata = client.discover(provider.url)
        assert client.validate_id_token(id_token, metadata, client_id="un-autre-client",
                                        nonce="nonce-1")["sub"] == "jeton"
        with pytest.raises(client.ProviderError):
            client.validate_id_token(id_token, metadata, client_id=CLIENT_ID, nonce="nonce-1")
        with pytest.raises(client.ProviderError):
            client.validate_id_token(id_token, metadata, client_id="un-autre-client",
                                     nonce="nonce-2")
        forged = id_token[:-4] + ("AAAA" if not id_token.endswith("AAAA") else "BBBB")
        with pytest.raises(client.ProviderError):
            client.validate_id_token(forged, metadata, client_id="un-autre-client",
                                     nonce="nonce-1")


# --- the configuration ---------------------------------------------------------------------------

def test_a_disabled_configuration_is_a_404_and_not_offered(app, provider, space):
    employer, _, referent_client = space
    assert employer.slug in text(app.test_client().get("/connexion/employeur"))
    person = app.test_client()
    provider.set_user("plus-tard")
    callback = provider.authorize(start(person, employer), "plus-tard")

    response = save_config(referent_client, employer, issuer=provider.url, secret="",
                           enabled=False)
    assert response.status_code == 302
    assert app.test_client().get(f"/connexion/employeur/{employer.slug}").status_code == 404
    assert employer.slug not in text(app.test_client().get("/connexion/employeur"))
    # Switched off while the person was at the provider: the answer is not taken either.
    assert person.get(callback).status_code == 404
    assert not signed_in(person) and not identities(app, employer)


def test_an_employer_without_single_sign_on_is_a_404(app):
    employer = create_employer(app)
    assert app.test_client().get(f"/connexion/employeur/{employer.slug}").status_code == 404
    assert app.test_client().get("/connexion/employeur/inconnu-xyz").status_code == 404


def test_another_employers_referent_can_neither_see_nor_configure_nor_link(app, provider,
                                                                         space):
    employer, _, _ = space
    sso(app.test_client(), provider, employer, "a-proteger")
    [identity] = identities(app, employer)
    other = create_employer(app)
    stranger = create_user(app, employer=other, role="referent")
    outsider_member = create_user(app, employer=other, role="membre")
    client = app.test_client()
    login(client, stranger)
    own_path = settings_path(other)
    token = csrf_token(client, own_path)

    assert client.get(settings_path(employer)).status_code == 404
    response = client.post(settings_path(employer), data={
        "csrf_token": token, "issuer": "https://pirate.example", "client_id": "x",
        "client_secret": "y", "label": "Pirate", "enabled": "y"})
    assert response.status_code == 404
    # Through their own space, the identity of another employer does not exist.
    for action in ("associer", "refuser", "dissocier"):
        response = client.post(f"{own_path}/identites/{identity.id}/{action}",
                               data={"csrf_token": token, "user_id": outsider_member.id})
        assert response.status_code == 404
    # Their own page lists nothing of the other employer.
    assert "a-proteger" not in text(client.get(own_path))
    [after] = identities(app, employer)
    assert (after.status, after.user_id) == ("pending", None)
    db = app.extensions["sqlalchemy"]
    with app.app_context():
        issuer = db.session.execute(sa.text(
            "SELECT c.issuer FROM network.sso_config c JOIN network.tenant t "
            "ON t.id = c.tenant_id WHERE t.slug = :s"), {"s": employer.slug}).scalar()
        db.session.remove()
    assert issuer == provider.url


@pytest.mark.parametrize("role", ["membre", "pair-aidant", "pair-aide"])
def test_members_cannot_reach_the_settings(app, space, role):
    employer, _, _ = space
    person = create_user(app, employer=employer, role=role)
    client = app.test_client()
    login(client, person)
    assert client.get(settings_path(employer)).status_code == 403
    response = client.post(f"{settings_path(employer)}/identites/1/associer",
                           data={"csrf_token": csrf_token(client, "/espaces"), "user_id": "1"})
    assert response.status_code == 403


def test_the_client_secret_never_appears_in_a_page(app, provider, space):
    employer, _, referent_client = space
    pages = [referent_client.get(settings_path(employer)),
             save_config(referent_client, employer, issuer="", secret=""),  # 400, re-shown
             app.test_client().get("/connexion"),
             app.test_client().get("/connexion/employeur"),
             sso(app.test_client(), provider, employer, "discret")]
    person = app.test_client()
    provider.set_user("discret")
    callback = provider.authorize(start(person, employer), "discret")
    pages.append(person.get(_with_query(callback, code="faux")))
    for response in pages:
        assert SECRET not in text(response)
    stored = _stored_secret(app, employer)
    assert SECRET not in stored and _decrypted(app, stored) == SECRET


def test_an_empty_secret_keeps_the_saved_one(app, provider, space):
    employer, _, referent_client = space
    response = save_config(referent_client, employer, issuer=provider.url, secret="",
                           label="la Mairie")
    assert response.status_code == 302
    # The saved secret still works with the provider's token endpoint (whatever it checks)
    # and the label changed.
    assert "Se connecter avec le compte de la Mairie" in text(app.test_client().get(
        "/connexion/employeur"))
    assert _decrypted(app, _stored_secret(app, employer)) == SECRET


def _stored_secret(app, employer) -> str:
    db = app.extensions["sqlalchemy"]
    with app.app_context():
        stored = db.session.execute(sa.text(
            "SELECT c.client_secret FROM network.sso_config c JOIN network.tenant t "
            "ON t.id = c.tenant_id WHERE t.slug = :s"), {"s": employer.slug}).scalar()
        db.session.remove()
    return stored


def _decrypted(app, stored: str) -> str:
    from server.auth import two_factor

    with app.app_context():
        return two_factor.decrypt(stored)


def _config_rows(app, employer) -> int:
    db = app.extensions["sqlalchemy"]
    with app.app_context():
        count = db.session.execute(sa.text(
            "SELECT count(*) FROM network.sso_config c JOIN network.tenant t "
            "ON t.id = c.tenant_id WHERE t.slug = :s"), {"s": employer.slug}).scalar()
        db.session.remove()
    return count


@pytest.mark.parametrize("fields, messages", [
    ({"issuer": "", "client_id": "", "secret": "", "label": ""},
     ["Saisissez l'adresse du fournisseur d'identité.", "Saisissez l'identifiant client.",
      "Saisissez le secret client.", "Saisissez le nom affiché sur le bouton de connexion."]),
    ({"issuer": "http://idp.example.fr"}, ["doit commencer par https://"]),
    ({"issuer": "https://utilisateur:motdepasse@idp.example.fr"}, ["ni identifiant"]),
    ({"issuer": "https://idp.example.fr/?x=1"}, ["ni « ? » ni « # »"]),
    ({"label": "x" * 101}, ["100 caractères au plus"]),
    ({"client_id": "x" * 256}, ["255 caractères au plus"]),
])
def test_config_errors_are_in_french_and_nothing_is_saved(app, fields, messages):
    employer = create_employer(app)
    referent = create_user(app, employer=employer, role="referent")
    client = app.test_client()
    login(client, referent)
    values = {"issuer": "https://idp.example.fr", "client_id": "abc", "secret": "s",
              "label": "la Mairie", **fields}
    response = save_config(client, employer, **values)
    html = text(response)
    assert response.status_code == 400
    assert "Il y a un problème" in html and "<title>Erreur : " in html
    for message in messages:
        assert message in html
    assert _config_rows(app, employer) == 0


def test_http_on_the_loopback_needs_the_flag(app, monkeypatch):
    monkeypatch.setitem(app.config, "SSO_ALLOW_HTTP", False)
    employer = create_employer(app)
    referent = create_user(app, employer=employer, role="referent")
    client = app.test_client()
    login(client, referent)
    response = save_config(client, employer, issuer="http://127.0.0.1:9400")
    assert response.status_code == 400
    assert "doit commencer par https://" in text(response)
    assert _config_rows(app, employer) == 0


def test_the_log_in_page_links_to_the_employer_log_in(app):
    html = text(app.test_client().get("/connexion"))
    assert 'href="/connexion/employeur"' in html
    assert "Se connecter avec le compte de votre employeur" in html


def test_the_request_carries_pkce_s256_a_state_and_a_nonce(app, space, provider):
    employer, _, _ = space
    person = app.test_client()
    url = start(person, employer)
    assert url.startswith(f"{provider.url}/oauth2/authorize?")
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43  # base64url of a SHA-256
    assert len(query["state"][0]) >= 30 and len(query["nonce"][0]) >= 30
    assert query["client_id"] == [CLIENT_ID] and "openid" in query["scope"][0].split()
    assert query["redirect_uri"] == ["http://localhost/connexion/employeur/retour"]
    assert "code_verifier" not in query
    # Two starts never share a state or a nonce.
    again = parse_qs(urlsplit(start(app.test_client(), employer)).query)
    assert again["state"] != query["state"] and again["nonce"] != query["nonce"]


def test_a_provider_that_does_not_answer_gets_a_french_page(app, space):
    employer, _, referent_client = space
    assert save_config(referent_client, employer, issuer="http://127.0.0.1:9",
                       secret="").status_code == 302
    before = last_audit_id(app)
    response = app.test_client().get(f"/connexion/employeur/{employer.slug}")
    assert response.status_code == 502
    assert f"Le service de connexion de {employer.name} ne répond pas" in text(response)
    assert any(a.action == "login.sso_failed" and a.detail.get("reason") == "discovery"
               for a in audit_actions(app, before))


@pytest.mark.parametrize("issuer", ["https://127.0.0.1:9400", "https://localhost",
                                    "https://10.1.2.3", "https://169.254.169.254",
                                    "https://[::1]"])
def test_the_server_never_fetches_an_address_of_its_own_network(app, monkeypatch, issuer):
    """The référent types the provider's address and the server fetches it: an address that
    is not public (the cloud's metadata service, the loopback, a private network) is refused
    before any request, even over https."""
    from server.sso import client as sso_client

    monkeypatch.setitem(app.config, "SSO_ALLOW_HTTP", False)
    fetched = []
    monkeypatch.setattr(sso_client.requests, "get", lambda *a, **k: fetched.append(a))
    with app.app_context():
        with pytest.raises(sso_client.ProviderError) as refused:
            sso_client.discover(issuer)
    assert refused.value.reason == "private_address" and fetched == []


def test_the_referent_checks_the_configuration_without_logging_in(app, provider, space):
    employer, _, client = space
    path = f"{settings_path(employer)}/verification"
    response = client.post(path, data={"csrf_token": csrf_token(client, settings_path(employer))})
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert "Le fournisseur répond : découverte lue" in page and "clé" in page
    assert "vraie connexion" in page  # the client id and secret are not proven by this

    # An issuer that no longer answers: a French reason, the settings unchanged.
    save_config(client, employer, issuer="http://127.0.0.1:9", secret="")
    response = client.post(path, data={"csrf_token": csrf_token(client, settings_path(employer))})
    page = text(client.get(response.headers["Location"]))
    assert "La vérification a échoué : le document de découverte" in page
    assert "http://127.0.0.1:9" in page


def test_checking_needs_a_configuration_a_token_and_the_referent(app):
    employer = create_employer(app)
    referent = create_user(app, employer=employer, role="referent")
    client = app.test_client()
    login(client, referent)
    path = f"{settings_path(employer)}/verification"
    token = csrf_token(client, settings_path(employer))
    assert client.post(path, data={"csrf_token": token}).status_code == 404  # nothing saved
    save_config(client, employer, issuer="https://idp.example.fr")
    assert client.post(path).status_code == 400  # no form token
    member = create_user(app, employer=employer, role="membre")
    other = app.test_client()
    login(other, member)
    response = other.post(path, data={"csrf_token": csrf_token(other, "/compte/securite")})
    assert response.status_code == 403
