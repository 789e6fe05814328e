"""Two-factor log-in: TOTP codes (RFC 6238, as in any authenticator app) and single-use
recovery codes.

Required for people who hold a network role or are référent of any employer; optional for
everyone else. The secret is stored encrypted (Fernet, with a key derived from ``SECRET_KEY``
by HKDF; ``SECRET_KEY_FALLBACKS`` still decrypt, so the key can be rotated). A code is accepted
in the 30-second step it belongs to or the one before or after (clocks drift), and never twice:
the step of the last accepted code is kept, and only later steps pass. Recovery codes are shown
once and stored as SHA-256 digests; each works once.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timezone

import pyotp
import segno
import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from markupsafe import Markup

from server.auth.models import Membership, User
from server.extensions import db

ISSUER = "Entrepairs"
RECOVERY_CODE_COUNT = 10
#: No 0/o, 1/l/i: codes are read from paper.
_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
_RECOVERY_LENGTH = 12


# --- the secret, encrypted at rest -------------------------------------------------------------

def _fernet_for(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=b"entrepairs totp secrets").derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _fernet() -> MultiFernet:
    config = current_app.config
    keys = [config["SECRET_KEY"], *(config.get("SECRET_KEY_FALLBACKS") or ())]
    return MultiFernet([_fernet_for(k) for k in keys])


def encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def decrypt(token: str | None) -> str | None:
    if not token:
        return None
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        current_app.logger.error("A TOTP secret cannot be decrypted (SECRET_KEY changed?)")
        return None


def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits


# --- who needs it ------------------------------------------------------------------------------

def required_for(user: User) -> bool:
    """Network admins and animateurs, and référents of any employer, must use it."""
    if user.network_role_names():
        return True
    return db.session.execute(
        sa.select(sa.literal(True)).where(Membership.user_id == user.id,
                                          Membership.role == "referent").limit(1)
    ).scalar() is not None


def needed_for(user: User) -> bool:
    """The log-in takes a second step: the person uses it, or must enrol."""
    return user.has_second_factor or required_for(user)


# --- codes ------------------------------------------------------------------------------------

def _clean(code: str | None) -> str:
    return "".join((code or "").split()).replace("-", "").lower()


def matching_step(secret: str, code: str | None, last_step: int | None,
                  at: datetime | None = None) -> int | None:
    """The time step ``code`` belongs to (previous, current or next), if later than
    ``last_step``."""
    code = _clean(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(at or datetime.now(timezone.utc))
    for step in (current - 1, current, current + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _digest(code: str) -> str:
    return hashlib.sha256(_clean(code).encode()).hexdigest()


def new_recovery_codes(user: User) -> list[str]:
    """Ten fresh codes, replacing any earlier ones; returned in clear once, stored hashed."""
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        codes.append("-".join(raw[i:i + 4] for i in range(0, _RECOVERY_LENGTH, 4)))
    user.recovery_codes = [_digest(c) for c in codes]
    return codes


def verify(user: User, code: str | None) -> str | None:
    """``"totp"`` or ``"recovery"`` when ``code`` is a valid second factor for ``user``, which
    it then uses up (the caller commits); ``None`` otherwise. The account row is locked, so two
    requests cannot use the same code."""
    row = db.session.execute(
        sa.select(User).where(User.id == user.id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    secret = decrypt(row.totp_secret)
    if secret is None or row.totp_enabled_at is None:
        return None
    step = matching_step(secret, code, row.totp_last_counter)
    if step is not None:
        row.totp_last_counter = step
        return "totp"
    cleaned = _clean(code)
    if len(cleaned) == _RECOVERY_LENGTH:
        digest = _digest(cleaned)
        for stored in row.recovery_codes or []:
            if hmac.compare_digest(stored, digest):
                row.recovery_codes = [d for d in row.recovery_codes if d != stored]
                return "recovery"
    return None


def enable(user: User, secret: str, step: int) -> list[str]:
    """Turn it on with ``secret`` (confirmed by a code of ``step``); the recovery codes."""
    user.totp_secret = encrypt(secret)
    user.totp_enabled_at = datetime.now(timezone.utc)
    user.totp_last_counter = step
    return new_recovery_codes(user)


def disable(user: User) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_counter = None
    user.recovery_codes = []


# --- showing the secret -------------------------------------------------------------------------

def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_svg(uri: str) -> Markup:
    """The QR code as inline SVG, drawn here (no external service sees the secret)."""
    svg = segno.make(uri, error="m").svg_inline(scale=4, border=4, dark="#000", light="#fff",
                                                omitsize=False)
    label = "QR code à scanner avec votre application d'authentification"
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{label}" focusable="false" ',
                              1))


def grouped(secret: str) -> str:
    """The key in groups of four, to type by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


# --- API tokens ---------------------------------------------------------------------------------

def check_for_token(user: User, code: str | None, refuse) -> None:
    """Issuing an API token with an e-mail and password is a log-in: where the account uses
    (or must use) a second factor, ``code`` must be one. ``refuse(code, fr, en)`` raises."""
    from server.auth import lockout
    from server.auth.events import log_auth_event

    if needed_for(user):
        if not user.has_second_factor:
            refuse("second_factor_setup_required",
                   "Activez d'abord la double authentification en vous connectant au site.",
                   "Set up two-factor log-in on the website first.")
        if not code:
            refuse("second_factor_required",
                   "Ce compte utilise la double authentification : envoyez aussi le code de "
                   "votre application dans le champ « code ».",
                   "This account uses two-factor log-in: send the code from your app in "
                   "the 'code' field too.")
        if verify(user, code) is None:
            db.session.rollback()
            lockout.record_failure(user, "login.second_factor_failed")
            refuse("invalid_credentials")
    lockout.succeeded(user)
    log_auth_event("api_token.issued", user.id)
