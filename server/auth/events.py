"""Log-in events: every success, failure, lock-out and second-factor failure is logged.

``log_auth_event`` writes a line to the application log and, where the network audit log
exists (``server.audit.record_network``), an entry there too, which the audit log writes at
the end of the request in a transaction of its own: a refused attempt is recorded even though
nothing else is written. Looked up with ``getattr`` so that this module does not depend on the
audit log being there (they were built side by side).
"""
from __future__ import annotations

from flask import current_app, has_request_context, request


def log_auth_event(action: str, user_id: int | None, **detail) -> None:
    """``action``: ``login.succeeded``, ``login.failed``, ``login.locked``,
    ``login.refused_locked``, ``login.second_factor_failed``, ``password.changed``,
    ``second_factor.enabled`` … (docs/security.md). ``user_id``: the account concerned
    (``None``: an address with no account — the address itself is never logged). ``detail``:
    ids, counts and choices only."""
    address = request.remote_addr if has_request_context() else None
    current_app.logger.info("auth %s account=%s ip=%s %s", action, user_id, address,
                            " ".join(f"{k}={v}" for k, v in sorted(detail.items())))
    import server.audit

    record_network = getattr(server.audit, "record_network", None)
    if record_network is not None:
        record_network(action, "account", user_id, **detail)
