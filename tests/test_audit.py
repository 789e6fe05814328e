"""The audit logs: append-only in the database whoever connects, every read and change of a
sensitive record leaves an entry (never its content), and only the employer's référents (the
network's admins) read, filter and export the log — an export being itself an entry."""
from __future__ import annotations

import csv
import html
import io
import json
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from server import clock
from tests.binomes_helpers import accepted_binome, space
from tests.fixtures.app import csrf_token
from tests.fixtures.factories import create_employer, create_user, login
from tests.invitation_helpers import acceptance, make_invitation

NOTE = "Note privée du binôme : mon traitement a changé 9c4e"
NEEDS = "Besoin confidentiel : aménagement de poste 51b2"
REFUSED = "42501"  # insufficient_privilege: the trigger's SQLSTATE, like a missing GRANT


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def entries(app, schema: str) -> list[dict]:
    """Every entry of an audit log, oldest first (``schema`` "network" for the network's)."""
    db = app.extensions["sqlalchemy"]
    with app.app_context():
        try:
            rows = db.session.execute(sa.text(
                f'SELECT * FROM "{schema}".audit_event ORDER BY id')).mappings().all()
            return [dict(r) for r in rows]
        finally:
            db.session.remove()


def new_entries(app, schema: str, before: list[dict]) -> list[dict]:
    seen = {e["id"] for e in before}
    return [e for e in entries(app, schema) if e["id"] not in seen]


def has(log, action, object_type, object_id=None, actor_id=None) -> bool:
    return any(e["action"] == action and e["object_type"] == object_type
               and (object_id is None or e["object_id"] == str(object_id))
               and (actor_id is None or e["actor_id"] == actor_id) for e in log)


@pytest.fixture(scope="module")
def world(app):
    """An employer running binômes (référent, pair-aidant, pair-aidé, one accepted binôme
    with a private note), and a second employer with its own référent."""
    class World:
        pass

    w = World()
    w.s = space(app)
    w.ref = w.s.ref
    w.binome = accepted_binome(w.s)
    r = w.s.helper.api("post", f"/binomes/{w.binome}/meetings", json={
        "held_on": clock.today().isoformat(), "duration_minutes": 45,
        "format": "En présentiel", "note": NOTE})
    assert r.status_code == 201, r.json
    w.other = create_employer(app)
    w.other_referent = create_user(app, employer=w.other, role="referent")
    return w


# --- append-only in the database ---------------------------------------------------------------

def _refusals(app, schema: str, role: str | None = None) -> dict[str, str | None]:
    """SQLSTATE of UPDATE, DELETE and TRUNCATE on a log, each in its own transaction
    (``role``: run as that role, granted every privilege on the table first)."""
    db = app.extensions["sqlalchemy"]
    outcomes = {}
    with app.app_context():
        try:
            for statement in (f'UPDATE "{schema}".audit_event SET action = \'effacé\'',
                              f'DELETE FROM "{schema}".audit_event',
                              f'TRUNCATE "{schema}".audit_event'):
                try:
                    if role:
                        db.session.execute(sa.text(
                            f'GRANT ALL ON "{schema}".audit_event TO "{role}"'))
                        db.session.execute(sa.text(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"'))
                        db.session.execute(sa.text(f'SET LOCAL ROLE "{role}"'))
                    db.session.execute(sa.text(statement))
                    outcomes[statement.split()[0]] = None
                except sa.exc.DBAPIError as exc:
                    outcomes[statement.split()[0]] = exc.orig.sqlstate
                finally:
                    db.session.rollback()
        finally:
            db.session.remove()
    return outcomes


def _write_one(app, ref=None):
    from server.audit import record, record_network_change
    from tenants import tenant_context

    db = app.extensions["sqlalchemy"]
    with app.app_context():
        if ref is None:
            record_network_change("update", "tenant", 1, actor_id=None)
            db.session.commit()
        else:
            with tenant_context(ref.slug):
                record("update", "space_setting", "accueil", actor_id=None)
                db.session.commit()
        db.session.remove()


@pytest.mark.parametrize("log", ["employer", "network"])
def test_update_delete_and_truncate_are_refused_by_the_database(app, world, log):
    schema = world.ref.schema if log == "employer" else "network"
    _write_one(app, world.ref if log == "employer" else None)
    before = entries(app, schema)
    assert before
    assert _refusals(app, schema) == {"UPDATE": REFUSED, "DELETE": REFUSED, "TRUNCATE": REFUSED}
    assert entries(app, schema) == before


@pytest.mark.parametrize("log", ["employer", "network"])
def test_a_role_granted_every_privilege_still_cannot_rewrite_the_log(app, world, log):
    """Privileges are not what protects the log: a role that holds them all (as an application
    role wrongly granted ALL would) is refused by the trigger too."""
    schema = world.ref.schema if log == "employer" else "network"
    _write_one(app, world.ref if log == "employer" else None)
    role = f"audit_test_{uuid.uuid4().hex[:8]}"
    db = app.extensions["sqlalchemy"]
    with app.app_context():
        db.session.execute(sa.text(f'CREATE ROLE "{role}" NOLOGIN'))
        db.session.commit()
        db.session.remove()
    try:
        before = entries(app, schema)
        assert _refusals(app, schema, role) == {
            "UPDATE": REFUSED, "DELETE": REFUSED, "TRUNCATE": REFUSED}
        assert entries(app, schema) == before
    finally:
        with app.app_context():
            db.session.execute(sa.text(f'DROP OWNED BY "{role}"'))
            db.session.execute(sa.text(f'DROP ROLE "{role}"'))
            db.session.commit()
            db.session.remove()


def _guards(connection, schema: str) -> set[str]:
    return set(connection.execute(sa.text(
        "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = :s AND c.relname = 'audit_event' AND NOT t.tgisinternal"),
        {"s": schema}).scalars())


def test_provisioned_and_migrated_employer_schemas_both_guard_their_log(app):
    """New employers are built from the models, existing ones are migrated: both ways give the
    log its triggers, and PUBLIC holds no privilege to rewrite it."""
    from tenants.template import migrated_template

    ref = create_employer(app)
    db = app.extensions["sqlalchemy"]
    expected = {"audit_event_no_update_delete", "audit_event_no_truncate"}
    with app.app_context():
        with db.engine.connect() as c:
            assert _guards(c, ref.schema) == expected
            assert _guards(c, "network") == expected
            for schema in (ref.schema, "network"):
                public = c.execute(sa.text(
                    "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,"
                    " aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a "
                    "WHERE n.nspname = :s AND c.relname = 'audit_event' AND a.grantee = 0 "
                    "AND a.privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE')"),
                    {"s": schema}).scalar()
                assert public == 0
        with migrated_template(db.engine) as c:
            assert _guards(c, "tenant") == expected


# --- reads and changes leave entries -------------------------------------------------------------

def test_reading_a_binome_and_its_notes_is_logged_without_the_notes(app, world):
    s, before = world.s, entries(app, world.ref.schema)
    assert s.referent.page(f"/binomes/{world.binome}").status_code == 200
    page = s.helper.page(f"/binomes/{world.binome}")
    assert page.status_code == 200 and NOTE in text(page)
    meetings = s.seeker.api("get", f"/binomes/{world.binome}/meetings")
    assert meetings.status_code == 200 and meetings.json[0]["note"] == NOTE
    log = new_entries(app, world.ref.schema, before)
    assert has(log, "read", "binomes_binome", world.binome, s.referent.account.id)
    assert has(log, "read", "binomes_binome", world.binome, s.helper.account.id)
    # Who read the pair's notes: its two members, never the référent.
    note_reads = [e for e in log if e["object_type"] == "binomes_meeting_note"]
    assert {e["actor_id"] for e in note_reads} == {s.helper.account.id, s.seeker.account.id}
    assert all(e["detail"] == {"count": 1} for e in note_reads)
    assert NOTE not in json.dumps(entries(app, world.ref.schema), default=str)


def test_a_read_is_logged_with_the_masked_address_and_the_request_id(app, world):
    s, before = world.s, entries(app, world.ref.schema)
    response = s.referent.client.get(f"/e/{world.ref.slug}/binomes/binomes/{world.binome}",
                                     headers={"X-Request-ID": "req-abc-123"})
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "req-abc-123"
    (entry,) = new_entries(app, world.ref.schema, before)
    assert entry["request_id"] == "req-abc-123"
    assert entry["ip"] == "127.0.0.0/24"  # the werkzeug test client comes from 127.0.0.1


def test_reading_profiles_and_participants_is_logged(app, world):
    s, before = world.s, entries(app, world.ref.schema)
    base = f"/api/v1/e/{world.ref.slug}"
    assert s.referent.api_client.get(f"{base}/people/{s.seeker.profile_id}",
                                     headers=s.referent.auth).status_code == 200
    assert s.referent.api("get", f"/profiles/seekers/{s.seeker.profile_id}").status_code == 200
    assert s.referent.client.get(
        f"/e/{world.ref.slug}/programme/participants").status_code == 200
    log = new_entries(app, world.ref.schema, before)
    who = s.referent.account.id
    assert has(log, "read", "profile", s.seeker.profile_id, who)
    assert has(log, "read", "binomes_seeker", s.seeker.profile_id, who)
    assert has(log, "read", "participants", actor_id=who)


def test_consent_and_a_change_of_stated_needs_are_logged_without_the_needs(app, world):
    before = entries(app, world.ref.schema)
    _, link, email = make_invitation(app, world.ref, role="pair-aide")
    client = app.test_client()
    response = client.post(link, data=acceptance(client, link, needs=NEEDS))
    assert response.status_code == 302, text(response)[:800]
    page = f"/e/{world.ref.slug}/ma-participation"
    response = client.post(page, data={"csrf_token": csrf_token(client, page),
                                       "action": "modifier", "needs": NEEDS + " (précisé)",
                                       "preferences": ""})
    assert response.status_code == 302, text(response)[:800]
    log = new_entries(app, world.ref.schema, before)
    (consent,) = [e for e in log if e["action"] == "consent"]
    assert consent["object_type"] == "participation" and consent["actor_id"] is not None
    assert consent["detail"]["role"] == "pair-aide"
    assert has(log, "update", "participation", consent["object_id"], consent["actor_id"])
    assert "51b2" not in json.dumps(log, default=str)


def test_survey_results_and_the_dashboard_export_are_logged(app, world):
    s, before = world.s, entries(app, world.ref.schema)
    assert s.referent.client.get(f"/e/{world.ref.slug}/questionnaires/resultats").status_code == 200
    csv_response = s.referent.client.get(f"/e/{world.ref.slug}/programme/tableau-de-bord.csv")
    assert csv_response.status_code == 200
    log = new_entries(app, world.ref.schema, before)
    assert has(log, "read", "survey_results", actor_id=s.referent.account.id)
    (export,) = [e for e in log if e["object_type"] == "dashboard"]
    assert export["action"] == "export" and set(export["detail"]) == {"du", "au"}


def test_a_refused_read_leaves_no_entry(app, world):
    """A pair-aidé of another pair gets a 404 before anything is read: nothing to log."""
    from tests.binomes_helpers import person

    outsider = person(app, world.ref, "pair-aide")
    before = entries(app, world.ref.schema)
    assert outsider.page(f"/binomes/{world.binome}").status_code == 404
    assert not [e for e in new_entries(app, world.ref.schema, before)
                if e["object_type"].startswith("binomes_")]


def test_detail_refuses_what_a_person_wrote(app):
    from server.audit import record_network

    with app.test_request_context():
        for bad in ({"note": "x"}, {"answers": ["x"]}, {"resume": "x" * 500},
                    {"objet": {"imbriqué": 1}}):
            with pytest.raises(ValueError):
                record_network("read", "account", 1, **bad)


def test_an_audit_write_that_fails_fails_the_request(app):
    """Never a page without its log entry: the failure propagates (an error page)."""
    from flask import Response, g

    from server.audit import _entry, write_pending

    with app.test_request_context():
        entry = _entry("read", "profile", 1, None, {})
        g.audit_pending = [("t_schema_qui_n_existe_pas", entry)]
        with pytest.raises(sa.exc.ProgrammingError, match="t_schema_qui_n_existe_pas"):
            write_pending(Response("secret"))
        app.extensions["sqlalchemy"].session.remove()


# --- the employer's log page -------------------------------------------------------------------

def test_only_the_employers_referents_see_its_log(app, world):
    s = world.s
    url = f"/e/{world.ref.slug}/journal"
    assert s.referent.client.get(url).status_code == 200
    assert s.referent.client.get(url + ".csv").status_code == 200
    network_before = entries(app, "network")
    for p in (s.helper, s.seeker):
        assert p.client.get(url).status_code == 403
        assert p.client.get(url + ".csv").status_code == 403
    # The refusals (aborted before any view ran) are in the network's log all the same.
    refused = [e for e in new_entries(app, "network", network_before)
               if e["action"] == "access.refused"]
    assert {e["actor_id"] for e in refused} >= {s.helper.account.id, s.seeker.account.id}
    # Another employer's référent, and a network admin who is no member: a 404, as for
    # any page of a space that is not theirs.
    other = app.test_client()
    login(other, world.other_referent)
    assert other.get(url).status_code == 404
    assert other.get(url + ".csv").status_code == 404
    admin = app.test_client()
    login(admin, create_user(app, network_roles=["admin"]))
    assert admin.get(url).status_code == 404
    assert app.test_client().get(url).status_code == 302  # anonymous: to the log-in page


def test_the_log_page_shows_french_labels_names_and_never_notes(app, world):
    s = world.s
    s.helper.page(f"/binomes/{world.binome}")
    page = text(s.referent.client.get(f"/e/{world.ref.slug}/journal"))
    assert "Journal d'audit" in page
    assert "Consultation" in page and "Notes des rencontres d'un binôme" in page
    assert "Paul Pair-Aidant" in page
    assert NOTE not in page and "9c4e" not in page


def test_the_log_is_filtered_by_person_action_kind_and_dates(app, world):
    s = world.s
    s.referent.client.get(f"/e/{world.ref.slug}/programme/participants")
    s.helper.page(f"/binomes/{world.binome}")
    url = f"/e/{world.ref.slug}/journal"
    client = s.referent.client

    def shown(**args):
        response = client.get(url, query_string=args)
        assert response.status_code == 200, text(response)[:600]
        body = text(response).split('<h2 id="entrees">')[1]
        return body

    by_helper = shown(personne=s.helper.account.id)
    assert "Paul Pair-Aidant" in by_helper and "Rachel Référente" not in by_helper
    participants = shown(objet="participants")
    assert "Liste des participants" in participants and "Binôme" not in participants
    updates = shown(action="consent")
    assert "Consultation" not in updates
    today = clock.today().strftime("%d/%m/%Y")
    assert "Aucune entrée ne correspond" not in shown(du=today, au=today)
    tomorrow = (clock.today() + timedelta(days=1)).strftime("%d/%m/%Y")
    assert "Aucune entrée ne correspond" in shown(du=tomorrow)


@pytest.mark.parametrize("args, message", [
    ({"du": "2026-03-03"}, "La date de début doit être une date réelle au format jj/mm/aaaa"),
    ({"au": "31/02/2026"}, "La date de fin doit être une date réelle au format jj/mm/aaaa"),
    ({"du": "03/03/2026", "au": "02/03/2026"}, "égale ou postérieure à la date de début"),
    ({"personne": "999999999"}, "Choisissez une personne dans la liste."),
    ({"action": "pirater"}, "Choisissez une action dans la liste."),
    ({"objet": "coffre"}, "Choisissez un type de donnée dans la liste."),
    ({"page": "-1"}, "Le numéro de page doit être un nombre entier positif."),
])
def test_bad_filters_are_explained_in_french(app, world, args, message):
    response = world.s.referent.client.get(f"/e/{world.ref.slug}/journal", query_string=args)
    assert response.status_code == 400
    assert message in text(response)
    csv_response = world.s.referent.client.get(f"/e/{world.ref.slug}/journal.csv",
                                               query_string=args)
    assert csv_response.status_code == 400 and message in text(csv_response)


def test_the_csv_export_holds_the_filtered_entries_and_is_itself_logged(app, world):
    s = world.s
    s.helper.page(f"/binomes/{world.binome}")
    before = entries(app, world.ref.schema)
    response = s.referent.client.get(f"/e/{world.ref.slug}/journal.csv",
                                     query_string={"objet": "binomes_meeting_note"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")),
                           delimiter=";"))
    assert rows[0][:5] == ["N°", "Date et heure (Europe/Paris)", "Personne", "Action",
                           "Type de donnée"]
    expected = [e for e in before if e["object_type"] == "binomes_meeting_note"]
    assert [int(r[0]) for r in rows[1:]] == [e["id"] for e in expected]
    assert {r[4] for r in rows[1:]} == {"Notes des rencontres d'un binôme"}
    assert "Paul Pair-Aidant" in {r[2] for r in rows[1:]}
    assert NOTE not in response.get_data(as_text=True)
    (export,) = new_entries(app, world.ref.schema, before)
    assert export["action"] == "export" and export["object_type"] == "audit_event"
    assert export["actor_id"] == s.referent.account.id
    assert export["detail"] == {"rows": len(expected), "filtre_objet": "binomes_meeting_note"}


def test_the_log_is_paginated(app):
    from server.audit import record_access
    from server.audit.journal import PER_PAGE
    from tenants import tenant_context

    ref = create_employer(app)
    referent = create_user(app, employer=ref, role="referent")
    with app.test_request_context(), tenant_context(ref.slug):
        for i in range(PER_PAGE + 3):
            record_access("read", "profile", i, actor_id=referent.id)
        from server.audit import write_pending
        from flask import Response

        write_pending(Response())
    client = app.test_client()
    login(client, referent)
    first = text(client.get(f"/e/{ref.slug}/journal"))
    assert f"{PER_PAGE + 3} entrées" in first and "page 1 sur 2" in first
    second = client.get(f"/e/{ref.slug}/journal", query_string={"page": 2})
    assert second.status_code == 200
    assert text(second).count("Profil n° ") == 3


# --- the network's log -----------------------------------------------------------------------

def test_the_network_log_is_for_network_admins_and_its_export_is_logged(app, world):
    from server.audit import record_network

    with app.app_context():  # outside a request: written at once
        record_network("login.failed", "account", world.other_referent.id, actor_id=None)
    admin_person = create_user(app, network_roles=["admin"], name="Alice Admin")
    admin = app.test_client()
    login(admin, admin_person)
    page = admin.get("/reseau/journal", query_string={"action": "login.failed"})
    assert page.status_code == 200, text(page)[:500]
    assert "Échec de connexion" in text(page)
    before = entries(app, "network")
    response = admin.get("/reseau/journal.csv", query_string={"action": "login.failed"})
    assert response.status_code == 200 and "Échec de connexion" in response.get_data(as_text=True)
    (export,) = [e for e in new_entries(app, "network", before) if e["action"] == "export"]
    assert export["actor_id"] == admin_person.id and export["object_type"] == "audit_event"
    for role in ("animateur",):
        other = app.test_client()
        login(other, create_user(app, network_roles=[role]))
        assert other.get("/reseau/journal").status_code == 403
        assert other.get("/reseau/journal.csv").status_code == 403
    referent = app.test_client()
    login(referent, world.other_referent)
    assert referent.get("/reseau/journal").status_code == 403


def test_an_access_is_written_with_a_pool_of_one_connection(app, world, database_url,
                                                             redis_url):
    """The request's session hands its connection back before the audit transaction takes
    one: a read never waits for a second connection."""
    from server import create_app
    from tests.fixtures.app import test_config

    pooled = create_app(test_config(database_url, redis_url, SQLALCHEMY_ENGINE_OPTIONS={
        "pool_size": 1, "max_overflow": 0, "pool_timeout": 5}))
    try:
        client = pooled.test_client()
        login(client, world.s.referent.account)
        before = entries(app, world.ref.schema)
        response = client.get(f"/e/{world.ref.slug}/programme/participants")
        assert response.status_code == 200, text(response)[:500]
        assert has(new_entries(app, world.ref.schema, before), "read", "participants",
                   actor_id=world.s.referent.account.id)
    finally:
        with pooled.app_context():
            pooled.extensions["sqlalchemy"].engine.dispose()


def test_suspending_an_employer_is_logged_in_the_network_log(app):
    ref = create_employer(app)
    admin_person = create_user(app, network_roles=["admin"])
    admin = app.test_client()
    login(admin, admin_person)
    before = entries(app, "network")
    response = admin.post(f"/reseau/employeurs/{ref.slug}/statut",
                          data={"csrf_token": csrf_token(admin, "/reseau/employeurs")})
    assert response.status_code == 302
    (entry,) = [e for e in new_entries(app, "network", before) if e["object_type"] == "tenant"]
    assert entry["action"] == "update" and entry["object_id"] == str(ref.id)
    assert entry["actor_id"] == admin_person.id
    assert entry["detail"] == {"slug": ref.slug, "status": "suspended"}


def test_a_nul_character_from_a_hostile_url_is_written_replaced(app):
    """PostgreSQL refuses NUL in text and JSONB; the entry about such a request is written."""
    from server.audit import record_network

    before = entries(app, "network")
    with app.app_context():
        record_network("access.refused", "endpoint", "x\x00y", actor_id=None, path="/e/abc\x00")
    (entry,) = new_entries(app, "network", before)
    assert entry["object_id"] == "x\ufffdy" and entry["detail"] == {"path": "/e/abc\ufffd"}


def test_creating_an_employer_is_logged_in_the_network_log(app):
    from tests.fixtures.factories import unique

    admin_person = create_user(app, network_roles=["admin"])
    admin = app.test_client()
    login(admin, admin_person)
    slug = unique("audit")
    before = entries(app, "network")
    response = admin.post("/reseau/employeurs", data={
        "csrf_token": csrf_token(admin, "/reseau/employeurs"), "name": "Commune de l'audit",
        "slug": slug, "sector": "territoriale", "size_band": "250-999"})
    assert response.status_code == 302, text(response)[:800]
    (entry,) = [e for e in new_entries(app, "network", before) if e["object_type"] == "tenant"]
    assert entry["action"] == "create" and entry["detail"] == {"slug": slug}
    assert entry["actor_id"] == admin_person.id
