"""Real-browser fixtures: the session's app served on a loopback port, Debian's Chromium driven by
Playwright, the people of the page registry, and logging in through the real login form.

Nothing here downloads anything: Chromium is the system one (``ENTREPAIRS_CHROMIUM`` or
``chromium`` on the PATH), axe-core is the copy bundled in the ``axe-playwright-python`` wheel, and
every request the page makes to another host than the app is aborted and reported.
"""
from __future__ import annotations

import os
import shutil
import threading
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.fixtures.factories import (
    SECOND_STEP,
    create_employer,
    create_user,
    login,
    second_factor_code,
    unique,
)

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 320, "height": 720}

#: A welcome message on several lines, set in the first employer space before any page is seen.
WELCOME = ("Bienvenue dans le programme de pair-aidance.\n"
           "Votre référente vous répond du lundi au jeudi.")


# --- the app on a loopback port -------------------------------------------------------------

class _QuietHandler(WSGIRequestHandler):
    """No access log in the test output."""

    def log_request(self, *args, **kwargs):
        pass


@pytest.fixture(scope="session")
def live_server(app):
    """Base URL (``http://127.0.0.1:<free port>``) of the session ``app`` served in a thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


# --- Chromium ---------------------------------------------------------------------------------

def chromium_path() -> str:
    path = os.environ.get("ENTREPAIRS_CHROMIUM") or shutil.which("chromium")
    if not path or not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(
            "The browser tests need Debian's Chromium and did not find it "
            f"(ENTREPAIRS_CHROMIUM={os.environ.get('ENTREPAIRS_CHROMIUM')!r}, "
            f"chromium on PATH: {shutil.which('chromium')!r}). Install it with "
            "`apt-get install chromium` (or `make browser`), or set ENTREPAIRS_CHROMIUM to its "
            "path. Playwright's own browser downloads are not used.",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path, headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# --- the people and spaces the registry's pages are seen by ----------------------------------

@dataclass
class World:
    """Fixture data the page registry builds URLs and logins from."""

    employer: object  # TenantRef of the main employer space
    other_employer: object
    people: dict = field(default_factory=dict)
    #: Name of the first programme model (plugin) installed in the app, if any.
    model: str | None = None
    #: The application, for entries whose URL needs data made for them (an invitation link).
    app: object = None


#: The session's app, for ``log_in`` calls made without it (the registry's helpers).
_APP: dict = {}


def build_world(app) -> World:
    """The people and spaces the registry's pages are seen by (also used by test_faults)."""
    tag = unique("x").split("-")[1]
    main = create_employer(app, name=f"Ville de Rivebelle {tag}")
    other = create_employer(app, name=f"Centre hospitalier de Valclair {tag}")
    people = {
        "admin": create_user(app, network_roles=["admin"], name="Alice Admin"),
        "animateur": create_user(app, network_roles=["animateur"], name="Anis Animateur"),
        "referent": create_user(app, employer=main, role="referent", name="Rachel Référente"),
        "pair-aidant": create_user(app, employer=main, role="pair-aidant", name="Paul Pair"),
        "pair-aide": create_user(app, employer=main, role="pair-aide", name="Inès Aidée"),
        "membre": create_user(app, employer=main, role="membre", name="Marc Membre"),
        "deux-espaces": create_user(app, memberships=[(main, "membre"), (other, "pair-aidant")],
                                    name="Dora Deux-Espaces"),
    }
    # The main space shows a welcome message (set through the real form).
    from tests.fixtures.app import csrf_token

    client = app.test_client()
    login(client, people["referent"])
    path = f"/e/{main.slug}/parametres"
    response = client.post(path, data={"csrf_token": csrf_token(client, path),
                                       "welcome": WELCOME})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    model = next(iter(app.extensions.get("entrepairs.plugins", {})), None)
    return World(employer=main, other_employer=other, people=people, model=model, app=app)


@pytest.fixture(scope="session")
def world(app) -> World:
    _APP["app"] = app
    return build_world(app)


# --- pages ----------------------------------------------------------------------------------

def log_in(page, person, app=None) -> None:
    """Log in through the real form, as a person would: the password, then the code of their
    authenticator app where the account has a second factor (computed from its known secret)."""
    page.goto("/connexion")
    main = page.locator("main")
    main.get_by_label("Adresse e-mail").fill(person.email)
    main.get_by_label("Mot de passe").fill(person.password)
    with page.expect_navigation():
        main.get_by_role("button", name="Se connecter").click()
    if urlsplit(page.url).path == SECOND_STEP:
        app = app or _APP.get("app")
        assert app is not None, "log_in needs the app to compute a second-factor code"
        main.get_by_label("Code de vérification").fill(second_factor_code(app, person))
        with page.expect_navigation():
            main.get_by_role("button", name="Valider").click()
    assert urlsplit(page.url).path not in ("/connexion", SECOND_STEP), (
        f"logging in as {person.email} failed: {page.locator('main').inner_text()[:300]}")


#: Runs in every document before its own code (Playwright init scripts are not subject to the
#: page's CSP): reports each Content-Security-Policy violation to the test.
CSP_LISTENER = """
document.addEventListener('securitypolicyviolation', (e) => {
  window.__entrepairsCspViolation(
    `${e.effectiveDirective} blocked ${e.blockedURI || 'inline code'} at ${e.documentURI}`
    + (e.sample ? ` (« ${e.sample} »)` : '') + (e.lineNumber ? ` line ${e.lineNumber}` : ''));
});
"""


class BrowserPage:
    """One page in a fresh browser context, with what it asked of the network and what the
    Content-Security-Policy refused (any refusal fails the test: see ``check_csp``)."""

    def __init__(self, context, base_url: str):
        self.context = context
        self.base_url = base_url
        self.foreign_requests: list[str] = []
        self.failed_assets: list[str] = []
        self.csp_violations: list[str] = []
        self.last_status: int | None = None
        context.route("**/*", self._only_the_app)
        context.expose_binding("__entrepairsCspViolation",
                               lambda source, text: self.csp_violations.append(text))
        context.add_init_script(CSP_LISTENER)
        self.page = context.new_page()
        self.page.set_default_timeout(15_000)
        self.page.on("response", self._on_response)
        self.page.on("console", self._on_console)

    def _on_console(self, message):
        # Chromium also reports refusals on the console, even where no event reaches the page.
        if message.type == "error" and "Content Security Policy" in message.text:
            self.csp_violations.append(message.text)

    def check_csp(self) -> None:
        refused = "\n  ".join(dict.fromkeys(self.csp_violations))
        assert not refused, ("the Content-Security-Policy refused something (move inline "
                             "scripts, styles and on…= handlers to static files):\n  " + refused)

    def _only_the_app(self, route):
        url = route.request.url
        if url.startswith((self.base_url + "/", "data:")):
            route.continue_()
        else:
            self.foreign_requests.append(url)
            route.abort()

    def _on_response(self, response):
        request = response.request
        if request.is_navigation_request() and response.frame == self.page.main_frame:
            self.last_status = response.status
        elif response.status >= 400:
            self.failed_assets.append(f"{response.status} {response.url}")


@pytest.fixture(scope="session")
def _storage_states():
    """Logged-in cookies per person: the form is used once per person and session."""
    return {}


@pytest.fixture
def open_page(browser, live_server, world, _storage_states):
    """``open_page(who=None, viewport=DESKTOP) -> BrowserPage``; closed after the test."""
    opened = []

    def open_(who: str | None = None, viewport: dict | None = None) -> BrowserPage:
        context = browser.new_context(base_url=live_server, viewport=viewport or DESKTOP,
                                      locale="fr-FR", timezone_id="Europe/Paris")
        if who is not None and who in _storage_states:
            context.add_cookies(_storage_states[who])
        bp = BrowserPage(context, live_server)
        opened.append(bp)
        if who is not None and who not in _storage_states:
            log_in(bp.page, world.people[who], world.app)
            _storage_states[who] = context.cookies()
        return bp

    yield open_
    try:
        for bp in opened:  # refusals after the test's own checks (late assets, axe) count too
            bp.check_csp()
    finally:
        for bp in opened:
            bp.context.close()


@pytest.fixture
def visit(open_page, world):
    """``visit(entry, viewport=None) -> BrowserPage``: a registry entry, ready to check."""
    def visit_(entry, viewport: dict | None = None):
        # The default allow-list installs every model: a page needing one must be checked.
        assert not (entry.needs_model and world.model is None), (
            f"{entry.name} needs a programme model, and none is installed (PLUGINS is empty)")
        bp = open_page(entry.who, viewport)
        page = bp.page
        path = entry.path(world)
        page.goto(path)
        if entry.prepare is not None:
            entry.prepare(page, world)
        assert bp.last_status == entry.status, (
            f"{entry.name}: {path} answered {bp.last_status}, expected {entry.status}")
        assert urlsplit(page.url).path == urlsplit(path).path, (
            f"{entry.name}: {path} ended on {page.url}")
        bp.check_csp()
        return bp

    return visit_
