"""Every refused access (403, or 404 for an employer space that is not one's own) is logged,
for pages and the API alike, and reaches the network audit log when it exists."""
from __future__ import annotations

import logging

import pytest

from server import audit
from tests.fixtures.factories import api_token, create_user, login


@pytest.fixture
def audited(monkeypatch):
    """What reaches ``server.audit.record_network`` (a narrow stand-in for the audit log)."""
    calls = []

    def record_network(*args, **detail):
        if args[0] == "access.refused":  # log-ins are audited too
            calls.append((args, detail))

    monkeypatch.setattr(audit, "record_network", record_network, raising=False)
    return calls


def refusals(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.getMessage().startswith("Access refused")]


def test_a_role_that_does_not_allow_a_page_is_logged(app, client, employer, caplog, audited):
    person = create_user(app, employer=employer, role="membre")
    login(client, person)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert client.get(f"/e/{employer.slug}/parametres").status_code == 403
    (message,) = refusals(caplog)
    assert f"/e/{employer.slug}/parametres → 403 (employer_role), account {person.id}" in message
    ((action, object_type, endpoint), detail), = audited
    assert (action, object_type, endpoint) == ("access.refused", "endpoint", "employers.settings")
    assert detail["status"] == 403 and detail["reason"] == "employer_role"


def test_another_employers_space_is_a_logged_404(app, client, employer, other_employer, caplog,
                                                   audited):
    login(client, create_user(app, employer=employer))
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert client.get(f"/e/{other_employer.slug}/").status_code == 404
        assert client.get("/e/nobody-here/").status_code == 404
    assert len(refusals(caplog)) == 2
    assert [d["reason"] for _, d in audited] == ["not_member", "not_member"]


def test_api_refusals_are_logged_whether_rules_or_views_refuse(app, client, caplog, audited):
    membre = create_user(app)  # of no employer
    bearer = {"Authorization": f"Bearer {api_token(client, membre)}"}
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        # The library refuses people of no active employer inside the view itself.
        response = client.get("/api/v1/reseau/ressources", headers=bearer)
        assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"
        # Writing needs a network role: the access rules refuse before the view runs.
        response = client.post("/api/v1/reseau/ressources", json={"title": "x"}, headers=bearer)
        assert response.status_code == 403
    assert len(refusals(caplog)) == 2
    assert [(d["reason"], d["method"]) for _, d in audited] == [("view", "GET"),
                                                               ("network_role", "POST")]


def test_a_failing_audit_log_never_turns_a_refusal_into_an_error(app, client, employer,
                                                                  monkeypatch, caplog):
    def broken(action, *args, **detail):
        if action == "access.refused":  # log-ins are audited too, and must still work
            raise RuntimeError("audit unavailable")

    monkeypatch.setattr(audit, "record_network", broken, raising=False)
    login(client, create_user(app, employer=employer, role="membre"))
    with caplog.at_level(logging.WARNING):
        assert client.get(f"/e/{employer.slug}/parametres").status_code == 403
    assert refusals(caplog)
    assert "Could not audit a refused access" in caplog.text


def test_a_probe_with_control_characters_is_refused_and_logged_cleanly(app, client, employer,
                                                                        caplog):
    """Nothing forged reaches the logs, and the real audit log takes the entry (a NUL would
    make its JSON refuse it)."""
    import sqlalchemy as sa

    from server.audit.models import NetworkAuditEvent
    from server.extensions import db

    person = create_user(app, employer=employer)
    login(client, person)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        response = client.get("/e/abc%00%0AAccess refused: forged/")
    assert response.status_code == 404
    (message,) = refusals(caplog)
    assert "\n" not in message and "\x00" not in message
    with app.app_context():
        details = db.session.execute(
            sa.select(NetworkAuditEvent.detail).where(
                NetworkAuditEvent.actor_id == person.id,
                NetworkAuditEvent.action == "access.refused")).scalars().all()
    assert [d["path"] for d in details] == ["/e/abc??Access refused: forged/"]


def test_options_is_answered_with_the_allowed_methods_and_refuses_nothing(app):
    client = app.test_client()
    for path in ("/api/v1/auth/tokens", "/api/v1/reseau/ressources", "/connexion"):
        response = client.options(path)
        assert response.status_code == 200, path
        assert "GET" in response.headers["Allow"] or "POST" in response.headers["Allow"]
        assert response.get_data() == b""
