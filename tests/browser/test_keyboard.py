"""Keyboard, focus and small screens, on every page of the registry."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE
from tests.browser.pages import PAGES

IDS = [e.name for e in PAGES]

ACTIVE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const main = document.querySelector('main');
  const s = getComputedStyle(el);
  const r = el.getBoundingClientRect();
  el.dataset.kbVisits = String(Number(el.dataset.kbVisits || 0) + 1);
  return {
    html: el.outerHTML.slice(0, 120),
    tag: el.tagName.toLowerCase(),
    id: el.id,
    href: el.getAttribute('href'),
    visits: Number(el.dataset.kbVisits),
    inMain: main.contains(el),
    afterMain: !!(main.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING),
    outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2,
    shadow: !!s.boxShadow && s.boxShadow !== 'none',
    boxed: r.width > 0 && r.height > 0,
    inViewport: r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth,
  };
}"""


def active(page):
    return page.evaluate(ACTIVE)


@pytest.mark.parametrize("entry", PAGES, ids=IDS)
def test_skip_link_is_first_and_moves_focus_to_main(visit, entry):
    page = visit(entry).page
    page.keyboard.press("Tab")
    first = active(page)
    assert first and first["href"] == "#contenu", f"first Tab focused {first}"
    assert first["inViewport"] and first["boxed"], "the skip link must show when focused"
    expect(page.locator("a.skip-link")).to_have_text("Aller au contenu")
    page.keyboard.press("Enter")
    target = active(page)
    assert target and target["tag"] == "main" and target["id"] == "contenu", (
        f"Enter on the skip link focused {target}")
    page.keyboard.press("Tab")
    after = active(page)
    assert after is None or after["inMain"] or after["afterMain"], (
        f"after the skip link, Tab went back to {after}")


@pytest.mark.parametrize("entry", PAGES, ids=IDS)
def test_every_focusable_element_shows_focus_and_nothing_traps_it(visit, entry):
    page = visit(entry).page
    seen = []
    for _ in range(200):
        page.keyboard.press("Tab")
        element = active(page)
        if element is None:  # past the last element: back to the document
            break
        assert element["visits"] == 1, f"focus came back to {element['html']}: keyboard trap"
        seen.append(element)
        assert element["boxed"] and element["inViewport"], (
            f"focused element not visible on screen: {element['html']}")
        assert element["outline"] or element["shadow"], (
            f"no visible focus outline on {element['html']}")
    else:
        pytest.fail("200 Tab presses did not reach the end of the page: keyboard trap?")
    assert len(seen) >= 5, f"too few focusable elements: {[e['html'] for e in seen]}"


def test_log_in_with_the_keyboard_alone(open_page, world):
    person = world.people["pair-aide"]
    page = open_page().page
    page.goto("/connexion")
    keys = page.keyboard
    keys.press("Tab")
    keys.press("Enter")  # skip link
    keys.press("Tab")
    assert active(page)["id"] == "email"

    # Sent empty with Enter: the error summary comes first and its links lead to the fields.
    with page.expect_navigation():
        keys.press("Enter")
    # (Where the Tab order starts again depends on the URL's #fragment: look for the link, and
    # make sure it comes before the fields.)
    for _ in range(4):
        keys.press("Tab")
        link = active(page)
        assert link["tag"] != "input", f"the error summary must come before the fields: {link}"
        if link["href"] == "#email":
            break
    else:
        pytest.fail("the error summary's first link is not reachable with Tab")
    assert link["inMain"] and "Saisissez votre adresse e-mail." in link["html"], link
    keys.press("Enter")
    assert active(page)["id"] == "email"

    keys.type(person.email)
    keys.press("Tab")
    assert active(page)["id"] == "password"
    keys.type(person.password)
    with page.expect_navigation():
        keys.press("Enter")
    assert urlsplit(page.url).path == f"/e/{world.employer.slug}/", page.url
    expect(page.locator(".notices")).to_contain_text("vous êtes connecté")
    expect(page.get_by_role("banner")).to_contain_text(person.display_name)

    # And out again, still with the keyboard.
    for _ in range(10):
        keys.press("Tab")
        if "Se déconnecter" in (active(page) or {}).get("html", ""):
            break
    else:
        pytest.fail("« Se déconnecter » is not reachable with Tab")
    with page.expect_navigation():
        keys.press("Enter")
    expect(page.locator(".notices")).to_contain_text("Vous êtes déconnecté")


@pytest.mark.parametrize("entry", PAGES, ids=IDS)
def test_no_horizontal_scrolling_at_320_pixels(visit, entry):
    page = visit(entry, viewport=PHONE).page
    widths = page.evaluate("""() => ({
        scroll: document.documentElement.scrollWidth,
        client: document.documentElement.clientWidth,
        wide: [...document.querySelectorAll('body *')]
          .filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
          .filter(el => !el.closest('table') || getComputedStyle(el).position === 'absolute')
          .slice(0, 5).map(el => el.outerHTML.slice(0, 100)),
    })""")
    assert widths["scroll"] <= widths["client"], (
        f"{entry.name} scrolls horizontally at 320 px ({widths['scroll']} > {widths['client']});"
        f" too wide: {widths['wide']}")
