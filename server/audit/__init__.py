"""The audit logs: who read or changed sensitive records (docs/audit.md).

Four functions, one per kind of entry, with the same arguments
``(action, object_type, object_id=None, *, actor_id=…, **detail)``:

- ``record``: a **change** in the current employer space. The entry joins the caller's
  transaction: it is committed with the change, or not at all (a refused change leaves none).
- ``record_access``: a **read or an export** in the current employer space. A page that only
  reads commits nothing, so the entry is written at the end of the request in a transaction of
  its own, whatever the request did (commit, roll back, error). Outside a request (a job, a
  command) it is written at once.
- ``record_network_change`` / ``record_network``: the same two for ``network.audit_event``
  (log-ins, failures, refused accesses and reads go through ``record_network``).

An audit write that fails is never swallowed: the request ends in an error page instead of
answering without its entry. ``detail`` holds ids, counts and choices only; what a person wrote
(notes, answers, needs) must never reach it, and obvious mistakes are refused here.
"""
from __future__ import annotations

import ipaddress
import re
import secrets

import sqlalchemy as sa
from flask import g, has_request_context, request
from flask_login import current_user

from server.audit.models import AuditEvent, NetworkAuditEvent
from server.extensions import db
from tenants import TENANT_SCHEMA, current_tenant

__all__ = ["record", "record_access", "record_network", "record_network_change",
           "AuditEvent", "NetworkAuditEvent"]

#: Keys that would carry what a person wrote: refused in ``detail``.
CONTENT_KEYS = frozenset({
    "note", "notes", "body", "text", "content", "answer", "answers", "needs", "preferences",
    "comment", "comments", "message", "password", "email", "question", "questions",
})
#: The actions of ``record_access`` (anything else is a change: ``record``).
ACCESS_ACTIONS = frozenset({"read", "export"})
#: Longest text value in ``detail``: a key, a choice, a date or a URL path, not a text.
MAX_DETAIL_TEXT = 300
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class _Current:
    """The actor is the person signed in (a marker, so that ``actor_id=None`` means nobody)."""


CURRENT = _Current()


def record(action: str, object_type: str, object_id=None, *, actor_id=CURRENT, **detail) -> None:
    """A change in the current employer space, in the caller's transaction."""
    db.session.add(AuditEvent(**_entry(action, object_type, object_id, actor_id, detail)))


def record_network_change(action: str, object_type: str, object_id=None, *, actor_id=CURRENT,
                          **detail) -> None:
    """A change of network records, in the caller's transaction."""
    db.session.add(NetworkAuditEvent(**_entry(action, object_type, object_id, actor_id, detail)))


def record_access(action: str, object_type: str, object_id=None, *, actor_id=CURRENT,
                  **detail) -> None:
    """A read or an export in the current employer space, written whatever the request does."""
    if action not in ACCESS_ACTIONS:
        raise ValueError(f"record_access is for reads and exports, not {action!r}: use record")
    tenant = current_tenant()
    if tenant is None:
        raise RuntimeError("record_access needs an employer context")
    _write_later(tenant.schema, _entry(action, object_type, object_id, actor_id, detail))


def record_network(action: str, object_type: str, object_id=None, *, actor_id=CURRENT,
                   **detail) -> None:
    """A network event (log-in, failure, refused access, read), written whatever the request
    does."""
    _write_later(None, _entry(action, object_type, object_id, actor_id, detail))


# --- entries -----------------------------------------------------------------------------------

def _entry(action, object_type, object_id, actor_id, detail) -> dict:
    if actor_id is CURRENT:
        actor_id = (current_user.id if has_request_context() and current_user
                    and current_user.is_authenticated else None)
    return {
        "actor_id": actor_id,
        "action": _text(action)[:80],
        "object_type": _text(object_type)[:80],
        "object_id": None if object_id is None else _text(object_id)[:80],
        "detail": _checked_detail(detail),
        "request_id": request_id() if has_request_context() else None,
        "ip": masked_ip(request.remote_addr) if has_request_context() else None,
    }


def _checked_detail(detail: dict) -> dict:
    """Only short scalar values (or lists of them), under keys that cannot carry prose."""
    for key, value in detail.items():
        if key.lower() in CONTENT_KEYS:
            raise ValueError(f"audit detail {key!r} would log what a person wrote")
        for item in value if isinstance(value, (list, tuple)) else (value,):
            if not (item is None or isinstance(item, (bool, int, float, str))):
                raise ValueError(f"audit detail {key!r} must be ids, counts or choices")
            if isinstance(item, str) and len(item) > MAX_DETAIL_TEXT:
                raise ValueError(f"audit detail {key!r} is too long to be a choice or an id")
    return {key: [_clean(v) for v in value] if isinstance(value, (list, tuple)) else _clean(value)
            for key, value in detail.items()}


def _text(value) -> str:
    """PostgreSQL text and JSONB hold no NUL character, which a URL can carry (``%00``): an
    entry about a hostile request must still be written."""
    return str(value).replace("\x00", "\ufffd")


def _clean(value):
    return _text(value) if isinstance(value, str) else value


def request_id() -> str:
    """The request's id: the proxy's ``X-Request-ID`` when it looks like one, else a new one."""
    rid = g.get("request_id")
    if rid is None:
        given = request.headers.get("X-Request-ID", "")
        rid = g.request_id = given if _REQUEST_ID.match(given) else secrets.token_hex(8)
    return rid


def masked_ip(address: str | None) -> str | None:
    """The client's network, not the person's address: IPv4 /24, IPv6 /48."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


# --- writing accesses --------------------------------------------------------------------------

def _write_later(schema: str | None, entry: dict) -> None:
    # After ``write_pending`` has run (a later after_request hook, a teardown), or outside a
    # request, nothing would write a queued entry: write it now.
    if has_request_context() and not g.get("audit_written"):
        g.setdefault("audit_pending", []).append((schema, entry))
    else:
        _write([(schema, entry)])


def _write(pending: list[tuple[str | None, dict]]) -> None:
    """Insert entries in one transaction of their own (``schema`` None: the network log)."""
    with db.engine.begin() as connection:
        for schema, entry in pending:
            if schema is None:
                connection.execute(sa.insert(NetworkAuditEvent.__table__), entry)
            else:
                connection.execution_options(
                    schema_translate_map={TENANT_SCHEMA: schema}
                ).execute(sa.insert(AuditEvent.__table__), entry)


def write_pending(response):
    """``after_request``: write the request's accesses. What the request left uncommitted is
    rolled back first (the session would discard it at teardown anyway), which also hands the
    session's connection back to the pool before the audit transaction takes one. A failure
    here replaces the response: the person gets an error page, not data without its log entry
    (503 when PostgreSQL has just gone away, as for any request; else the error propagates)."""
    from sqlalchemy.exc import DBAPIError

    from server import errors

    pending = g.pop("audit_pending", None)
    g.audit_written = True
    if pending:
        try:
            db.session.rollback()
            _write(pending)
        except DBAPIError as exc:
            # Raised from an after_request hook, the error would skip the error handlers.
            if not errors.database_unreachable(exc):
                raise
            return errors.handle_unavailable(exc)
    if g.get("request_id"):
        response.headers.setdefault("X-Request-ID", g.request_id)
    return response


def init_app(app) -> None:
    from server.audit.views import bp

    app.after_request(write_pending)
    app.register_blueprint(bp)
