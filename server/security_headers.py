"""Security headers on every response: pages, API, files and errors.

One ``after_request`` hook sets them, so that no view can forget them. Templates get
``csp_nonce()`` for the rare element that needs one (Entrepairs itself has no inline script or
style: every asset is a static file). See docs/security.md, "Security headers".
"""
from __future__ import annotations

import secrets

from flask import Flask, current_app, g, request

#: Directives of the Content-Security-Policy; ``{nonce}`` is this request's nonce.
CSP_DIRECTIVES = (
    "default-src 'self'",
    "script-src 'self' 'nonce-{nonce}'",
    "style-src 'self' 'nonce-{nonce}'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)

#: Nothing in Entrepairs needs these browser features; a compromised page cannot ask for them.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()" for feature in ("accelerometer", "camera", "geolocation", "gyroscope",
                                    "magnetometer", "microphone", "payment", "usb"))

#: Cross-origin links carry no Referer: that a person came from Entrepairs (a pair-aidance
#: platform) already says something about them. Same-origin requests keep the full Referer,
#: which Flask-WTF's CSRF check needs over https.
REFERRER_POLICY = "same-origin"

HSTS = "max-age=63072000; includeSubDomains"


def csp_nonce() -> str:
    """This request's nonce, made on first use (``<script nonce="{{ csp_nonce() }}">``)."""
    nonce = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(18)
    return nonce


def content_security_policy(nonce: str) -> str:
    return "; ".join(CSP_DIRECTIVES).format(nonce=nonce)


def _is_static_file() -> bool:
    endpoint = request.endpoint or ""
    return endpoint == "static" or endpoint.endswith(".static")


def add_security_headers(response):
    headers = response.headers
    # A view may set a stricter policy (an attachment download: ``default-src 'none';
    # sandbox``); it is kept, and never lets the response be framed either.
    own_policy = headers.get("Content-Security-Policy")
    if own_policy is None:
        headers["Content-Security-Policy"] = content_security_policy(csp_nonce())
    elif "frame-ancestors" not in own_policy:
        headers["Content-Security-Policy"] = own_policy + "; frame-ancestors 'none'"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = REFERRER_POLICY
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = PERMISSIONS_POLICY
    if current_app.config["ENV_NAME"] == "production":
        headers["Strict-Transport-Security"] = HSTS
    # Static files are public and keep their caching, whoever asks. Everything else may hold
    # personal data (a page, an API answer, a file, the name in the header of an error page)
    # or a CSRF token bound to the session, so no cache keeps it.
    if not (_is_static_file() and response.status_code < 400):
        cache = headers.get("Cache-Control", "")
        if "no-store" not in cache:
            headers["Cache-Control"] = "private, no-store" if "private" in cache else "no-store"
        headers.pop("Expires", None)
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
