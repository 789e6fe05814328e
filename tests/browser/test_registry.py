"""Every HTML page of the app is in the page registry, so that every page gets the browser checks."""
from __future__ import annotations

from urllib.parse import urlsplit

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from tests.browser.pages import NOT_PAGES, PAGES, POST_ONLY


def _is_page_rule(rule) -> bool:
    return (rule.endpoint != "static" and not rule.rule.startswith("/api/")
            and rule.endpoint not in NOT_PAGES)


def _endpoint_of(app, path: str) -> str | None:
    adapter = app.url_map.bind("127.0.0.1")
    try:
        endpoint, _ = adapter.match(urlsplit(path).path, method="GET")
    except (NotFound, MethodNotAllowed, RequestRedirect):
        return None
    return endpoint


def test_every_page_route_is_in_the_registry(app, world):
    covered = {_endpoint_of(app, entry.path(world)) for entry in PAGES
               if not (entry.needs_model and world.model is None)}
    missing = []
    for rule in app.url_map.iter_rules():
        if not _is_page_rule(rule):
            continue
        if "GET" in rule.methods:
            if rule.endpoint not in covered:
                missing.append(f"{rule.rule} ({rule.endpoint})")
        elif rule.endpoint not in POST_ONLY:
            missing.append(f"{rule.rule} ({rule.endpoint}, {'/'.join(sorted(rule.methods))}: "
                           "add it to POST_ONLY with what it answers)")
    assert not missing, (
        "Pages missing from tests/browser/pages.py (add an entry for each, with who sees it):\n  "
        + "\n  ".join(missing))


def test_post_only_allow_list_is_exact(app):
    rules = {rule.endpoint: rule for rule in app.url_map.iter_rules() if _is_page_rule(rule)}
    for endpoint in POST_ONLY:
        assert endpoint in rules, f"POST_ONLY lists {endpoint}, which no longer exists"
        assert "GET" not in rules[endpoint].methods, (
            f"{endpoint} answers GET: it is a page and belongs in PAGES, not POST_ONLY")


def test_registry_entries_reach_routed_pages_or_errors(app, world):
    """A typo in a path would otherwise turn an entry into one more 404 page."""
    for entry in PAGES:
        if entry.needs_model and world.model is None:
            continue
        endpoint = _endpoint_of(app, entry.path(world))
        if entry.status == 404 and endpoint is None:
            continue
        assert endpoint is not None and _is_page_rule(next(app.url_map.iter_rules(endpoint))), (
            f"{entry.name}: {entry.path(world)} matches no page route")


def test_routes_said_not_to_be_pages_answer_no_html(app):
    from tests.fixtures.factories import create_user, login

    rules = {rule.endpoint: rule for rule in app.url_map.iter_rules()}
    client = app.test_client()
    # Signed in as a network admin: a protected download (the network's audit log as CSV)
    # answers its file, not the log-in page's redirect.
    login(client, create_user(app, network_roles=["admin"]))
    for endpoint, reason in NOT_PAGES.items():
        assert endpoint in rules, f"NOT_PAGES lists {endpoint}, which no longer exists"
        rule = rules[endpoint]
        if rule.arguments or "GET" not in rule.methods:
            continue
        response = client.get(rule.rule)
        assert response.mimetype != "text/html", (
            f"{rule.rule} answers HTML: it is a page and belongs in PAGES ({reason!r} is wrong)")
