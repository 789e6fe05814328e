"""Security headers on every response (pages, API, errors, files), a CSP nonce per request,
production-only HSTS and ``__Host-`` cookies, and templates that a strict CSP lets through."""
from __future__ import annotations

import io
from datetime import date
import re
from pathlib import Path

import pytest

from server import create_app
from tests.fixtures.app import csrf_token, migrate_network, test_config
from tests.fixtures.factories import api_token, create_user, login

ROOT = Path(__file__).resolve().parent.parent

EVERY_RESPONSE = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
CSP_DIRECTIVES = ("default-src 'self'", "img-src 'self' data:", "object-src 'none'",
                  "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'")
NONCE_RE = re.compile(r"script-src 'self' 'nonce-([A-Za-z0-9_-]{20,})'")


def nonce_of(response) -> str:
    match = NONCE_RE.search(response.headers["Content-Security-Policy"])
    assert match, response.headers["Content-Security-Policy"]
    return match.group(1)


def assert_security_headers(response, *, no_store: bool = True) -> None:
    for name, value in EVERY_RESPONSE.items():
        assert response.headers.get(name) == value, (name, response.headers.get(name))
    csp = response.headers["Content-Security-Policy"]
    for directive in CSP_DIRECTIVES:
        assert directive in csp, (directive, csp)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in response.headers  # not outside production
    cache = response.headers.get("Cache-Control", "")
    assert ("no-store" in cache) is no_store, cache


def test_pages_for_anonymous_and_signed_in_people_carry_every_header(app, client, employer):
    assert_security_headers(client.get("/connexion"))
    login(client, create_user(app, employer=employer))
    page = client.get(f"/e/{employer.slug}/")
    assert page.status_code == 200
    assert_security_headers(page)


def test_the_nonce_is_new_on_every_request(client):
    nonces = {nonce_of(client.get("/connexion")) for _ in range(3)}
    assert len(nonces) == 3


def test_templates_get_the_nonce_of_their_response(database_url, redis_url):
    from flask import render_template_string

    from server.auth.access import public

    app = create_app(test_config(database_url, redis_url))

    @app.route("/essai-nonce")
    @public
    def nonce_page():
        return render_template_string('<script nonce="{{ csp_nonce() }}" src="/x.js"></script>')

    response = app.test_client().get("/essai-nonce")
    assert f'nonce="{nonce_of(response)}"' in response.get_data(as_text=True)


def test_api_answers_and_api_errors_carry_every_header(app, client):
    person = create_user(app)
    auth = {"Authorization": f"Bearer {api_token(client, person)}"}
    me = client.get("/api/v1/me", headers=auth)
    assert me.status_code == 200 and me.json["email"] == person.email
    assert_security_headers(me)
    refused = client.get("/api/v1/me")
    assert refused.status_code == 401 and refused.json["error"]["code"]
    assert_security_headers(refused)


def test_error_pages_carry_every_header(app, client, employer, other_employer):
    assert_security_headers(client.get("/cette-page-n-existe-pas"))
    login(client, create_user(app, employer=employer, role="membre"))
    not_mine = client.get(f"/e/{other_employer.slug}/")
    assert not_mine.status_code == 404
    assert_security_headers(not_mine)
    forbidden = client.get(f"/e/{employer.slug}/parametres")
    assert forbidden.status_code == 403
    assert_security_headers(forbidden)


def test_static_files_keep_their_caching_but_get_the_other_headers(app, client):
    css = client.get("/static/css/entrepairs.css")
    assert css.status_code == 200
    assert_security_headers(css, no_store=False)
    login(client, create_user(app))
    assert_security_headers(client.get("/static/css/entrepairs.css"), no_store=False)


def _tiny_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_library_download_keeps_its_sandbox_policy_and_is_never_stored(
        app, client, tmp_path, monkeypatch):
    import sqlalchemy as sa

    from server.extensions import db
    from server.library import service
    from server.library.models import Attachment

    monkeypatch.setitem(app.config, "LIBRARY_STORAGE_DIR", str(tmp_path / "bibliotheque"))
    animateur = create_user(app, network_roles=["animateur"])
    with app.app_context():
        values, errors = service.clean({
            "kind": "guide", "title": "Guide des en-têtes", "summary": "Un résumé.", "body": "",
            "themes": ["pair-aidance"], "audience": "tous", "published_on": date(2025, 9, 12),
            "tool": None})
        assert not errors, errors
        resource_id = service.create(values, by_user_id=animateur.id).id
        db.session.commit()
    login(client, animateur)
    path = f"/reseau/ressources/{resource_id}/pieces-jointes"
    posted = client.post(path, data={"csrf_token": csrf_token(client, path),
                                     "file": (io.BytesIO(_tiny_pdf()), "guide.pdf",
                                              "application/pdf")},
                         content_type="multipart/form-data")
    assert posted.status_code == 302, posted.get_data(as_text=True)[:300]
    with app.app_context():
        attachment_id = db.session.execute(
            sa.select(Attachment.id).where(Attachment.resource_id == resource_id)).scalar_one()
    download = client.get(f"{path}/{attachment_id}")
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    assert download.headers["Content-Security-Policy"] == (
        "default-src 'none'; sandbox; frame-ancestors 'none'")
    for name, value in EVERY_RESPONSE.items():
        assert download.headers[name] == value
    assert "no-store" in download.headers["Cache-Control"]


# --- production ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def production_app(database_url, redis_url):
    config = test_config(database_url, redis_url, ENV_NAME="production", TESTING=False,
                         SECRET_KEY="production-like-secret-" + "y" * 40)
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        config.pop(key)
    app = create_app(config)
    migrate_network(app)
    return app


def test_production_adds_hsts_and_development_does_not(production_app, app):
    response = production_app.test_client().get("/connexion", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"
    assert "Strict-Transport-Security" not in app.test_client().get("/connexion").headers
    development = create_app({**test_config(app.config["SQLALCHEMY_DATABASE_URI"],
                                            app.config["REDIS_URL"]), "ENV_NAME": "development"})
    assert "Strict-Transport-Security" not in development.test_client().get("/connexion").headers


def test_production_session_cookie_is_a_host_cookie(production_app):
    assert production_app.config["SESSION_COOKIE_NAME"] == "__Host-session"
    assert production_app.config["REMEMBER_COOKIE_NAME"] == "__Host-remember"
    response = production_app.test_client().get("/connexion", base_url="https://localhost")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=")
    attributes = [part.strip().lower() for part in cookie.split(";")[1:]]
    assert "secure" in attributes and "path=/" in attributes
    assert not any(part.startswith("domain=") for part in attributes)


def test_a_production_login_works_with_the_host_cookie(production_app, employer):
    person = create_user(production_app, employer=employer)
    client = production_app.test_client()
    https = {"base_url": "https://localhost"}
    page = client.get("/connexion", **https).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/connexion", data={"csrf_token": token, "email": person.email,
                                               "password": person.password},
                           headers={"Referer": "https://localhost/connexion"}, **https)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert client.get_cookie("__Host-session", domain="localhost") is not None
    home = client.get(f"/e/{employer.slug}/", **https)
    assert home.status_code == 200
    assert "no-store" in home.headers["Cache-Control"]


# --- templates a strict CSP lets through ----------------------------------------------------

TEMPLATE_DIRS = [ROOT / "server" / "templates", *sorted((ROOT / "plugins").glob("*/templates"))]
#: E-mails are not served by the app (no CSP applies) and mail clients need inline styles.
MAIL_DIR = "mail"
#: Self-contained files made by a job and sent as downloads (``Content-Disposition:
#: attachment``), read offline where no CSP applies: not pages.
DOWNLOADED_DOCUMENTS = {"personal_data/export_document.html"}
FORBIDDEN = {
    "an inline <script> (use a static file)": re.compile(r"<script\b(?![^>]*\bsrc=)", re.I),
    "a <style> element (use the static stylesheet)": re.compile(r"<style\b", re.I),
    "a style= attribute (use a class)": re.compile(r"\sstyle\s*=", re.I),
    "an on…= event handler (use a static script)": re.compile(r"\son[a-z]+\s*=", re.I),
    "a javascript: URL": re.compile(r"javascript:", re.I),
}


def served_templates() -> list[Path]:
    found = []
    for folder in TEMPLATE_DIRS:
        for path in folder.rglob("*.html"):
            relative = path.relative_to(folder)
            if MAIL_DIR not in relative.parts and relative.as_posix() not in DOWNLOADED_DOCUMENTS:
                found.append(path)
    return found


def test_the_template_scan_sees_the_templates_and_catches_inline_code():
    assert len(served_templates()) > 50
    samples = ['<script>alert(1)</script>', '<p style="color: red">', '<a onclick="x()">',
               '<style>p{}</style>', '<a href="javascript:void(0)">']
    for sample in samples:
        assert any(rule.search(sample) for rule in FORBIDDEN.values()), sample
    assert not any(rule.search('<script src="/static/js/x.js" nonce="{{ csp_nonce() }}">')
                   for rule in FORBIDDEN.values())


def test_no_served_template_has_inline_script_style_or_handler():
    problems = []
    for path in served_templates():
        source = path.read_text("utf-8")
        for what, rule in FORBIDDEN.items():
            for match in rule.finditer(source):
                line = source.count("\n", 0, match.start()) + 1
                problems.append(f"{path.relative_to(ROOT)}:{line}: {what}")
    assert not problems, "A strict CSP would block:\n" + "\n".join(problems)
