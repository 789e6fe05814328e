"""axe-core (WCAG 2.1 A and AA rules) and the page structure every page must have, on every page
of the registry, in a real Chromium."""
from __future__ import annotations

import importlib.resources
from functools import lru_cache
from urllib.parse import urlsplit

import pytest

from tests.browser.pages import PAGES

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PRODUCT = "Entrepairs"


@lru_cache(maxsize=1)
def axe_source() -> str:
    """axe.min.js as bundled in the axe-playwright-python wheel: never fetched."""
    return (importlib.resources.files("axe_playwright_python") / "axe.min.js").read_text("utf-8")


def run_axe(page) -> dict:
    page.evaluate(axe_source())
    return page.evaluate(
        "options => axe.run(document, options)",
        {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]},
    )


def describe_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v.get('impact')}): {v['help']} [{v['helpUrl']}]")
        for node in v["nodes"][:10]:
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    {' '.join(map(str, node['target']))}: {summary[:300]}")
    return "\n".join(lines)


def page_identity(entry, page) -> tuple:
    """Pages that are the same page (in the same state) may share a title; no others."""
    has_errors = page.locator(".error-summary").count() > 0
    if entry.status >= 400 and not has_errors:
        return ("error page", entry.status)
    return (urlsplit(page.url).path, has_errors)


#: title -> identities seen, filled by test_page and completed by test_titles_are_unique.
_TITLES: dict[str, dict] = {}


def record_title(entry, page) -> str:
    title = page.title().strip()
    _TITLES[entry.name] = {"title": title, "identity": page_identity(entry, page)}
    return title


@pytest.mark.parametrize("entry", PAGES, ids=[e.name for e in PAGES])
def test_page(visit, entry, world):
    bp = visit(entry)
    page = bp.page
    problems = []

    results = run_axe(page)
    assert results["testEngine"]["name"] == "axe-core"
    if results["violations"]:
        problems.append("axe-core, WCAG 2.1 A/AA violations:\n"
                        + describe_violations(results["violations"]))

    if page.evaluate("document.documentElement.lang") != "fr":
        problems.append('<html> must have lang="fr"')

    title = record_title(entry, page)
    if not title or not title.endswith(f" — {PRODUCT}") or title == PRODUCT:
        problems.append(f"the title must name the page, then « — {PRODUCT} »: {title!r}")
    names = (world.employer.name, world.other_employer.name)
    in_space = entry.path(world).startswith("/e/") and entry.status != 404
    if in_space and not any(name in title for name in names):
        problems.append(f"an employer page's title must name the employer: {title!r}")

    h1 = page.locator("h1")
    if h1.count() != 1:
        problems.append(f"exactly one <h1> expected, found {h1.count()}")
    elif not h1.inner_text().strip():
        problems.append("the <h1> is empty")

    logged_in = entry.who is not None
    landmarks = {
        "banner": page.get_by_role("banner"),
        "main": page.get_by_role("main"),
        "contentinfo": page.get_by_role("contentinfo"),
        "main navigation": page.get_by_role("navigation", name="Navigation principale"),
    }
    for name, locator in landmarks.items():
        expected = 0 if (name == "main navigation" and not logged_in) else 1
        if locator.count() != expected:
            problems.append(f"{expected} {name} landmark expected, found {locator.count()}")
    breadcrumb = page.get_by_role("navigation", name="Fil d'Ariane").count()
    if not entry.path(world).startswith("/e/"):
        if breadcrumb:
            problems.append("a breadcrumb outside an employer space")
    elif entry.status != 404 and breadcrumb != 1:
        problems.append(f"one breadcrumb expected inside an employer space, found {breadcrumb}")

    footer = landmarks["contentinfo"]
    for link in ("Accessibilité : partiellement conforme", "Mentions légales",
                 "Données personnelles"):
        if footer.get_by_role("link", name=link).count() != 1:
            problems.append(f"footer link « {link} » missing")
    banner = landmarks["banner"]
    if logged_in:
        person = world.people[entry.who]
        if person.display_name not in banner.inner_text():
            problems.append("the header must show the person's name")
        if banner.get_by_role("button", name="Se déconnecter").count() != 1:
            problems.append("the header must offer « Se déconnecter »")

    if bp.foreign_requests:
        problems.append("requests to other hosts than the app: " + ", ".join(bp.foreign_requests))
    if bp.failed_assets:
        problems.append("assets that failed to load: " + ", ".join(bp.failed_assets))

    assert not problems, f"{entry.name} ({page.url}):\n" + "\n".join(problems)


def test_titles_are_unique(visit, world):
    """Two different pages (or a form and its error state) never share a <title>."""
    for entry in PAGES:
        if entry.needs_model and world.model is None:
            continue
        if entry.name not in _TITLES:
            record_title(entry, visit(entry).page)
    by_title: dict[str, set] = {}
    for seen in _TITLES.values():
        by_title.setdefault(seen["title"], set()).add(seen["identity"])
    shared = {title: ids for title, ids in by_title.items() if len(ids) > 1}
    assert not shared, "titles shared by different pages: " + repr(shared)
