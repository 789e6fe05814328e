"""The Content-Security-Policy in a real Chromium: inline code is refused, and a refusal on any
page of the registry fails its test (the listener in ``conftest.BrowserPage``)."""
from __future__ import annotations

import pytest

INLINE_SCRIPT = """() => {
  const script = document.createElement('script');
  script.textContent = 'window.__ranInline = true;';
  document.body.append(script);
  return window.__ranInline === true;
}"""


def test_inline_code_is_refused_and_fails_the_page_check(open_page):
    bp = open_page()
    page = bp.page
    page.goto("/connexion")
    bp.check_csp()  # the login page itself complies
    assert page.evaluate(INLINE_SCRIPT) is False  # refused: it never ran
    page.evaluate("() => document.body.setAttribute('style', 'background: red')")
    page.wait_for_function("() => true")  # let the violation events reach the test
    page.wait_for_timeout(200)
    assert any("script-src" in v for v in bp.csp_violations), bp.csp_violations
    assert any("style-src" in v for v in bp.csp_violations), bp.csp_violations
    with pytest.raises(AssertionError, match="Content-Security-Policy refused"):
        bp.check_csp()
    bp.csp_violations.clear()  # this test's own refusals must not fail its teardown


def test_a_signed_in_page_runs_no_inline_code_and_is_not_cached(open_page):
    bp = open_page("membre")
    response = bp.page.goto("/espaces")
    assert response.status == 200
    headers = response.all_headers()
    assert "no-store" in headers["cache-control"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    bp.check_csp()
