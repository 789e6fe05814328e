"""Backup and restore (`entrepairs backup|restore tenant|all`), proven by restoring into fresh
databases and comparing every table, row by row (counts and checksums)."""
from __future__ import annotations

import sqlalchemy as sa

from server import create_app
from tests.fixtures.app import csrf_token, migrate_network, test_config
from tests.fixtures.factories import create_employer, create_user, login
from tests.invitation_helpers import make_invitation


def _engine(app):
    with app.app_context():
        return app.extensions["sqlalchemy"].engine


def _schemas(app) -> list[str]:
    with _engine(app).connect() as c:
        return list(c.execute(sa.text(
            "SELECT nspname FROM pg_namespace WHERE nspname = 'network' OR nspname LIKE 't\\_%' "
            "ORDER BY 1")).scalars())


def fingerprint(app, schema: str) -> dict[str, tuple[int, str]]:
    """Every table of ``schema``: (row count, md5 of its rows in a stable order)."""
    with _engine(app).connect() as c:
        tables = c.execute(sa.text(
            "SELECT tablename FROM pg_tables WHERE schemaname = :s ORDER BY 1"), {"s": schema}
        ).scalars().all()
        return {table: tuple(c.execute(sa.text(
            f'SELECT count(*), md5(coalesce(string_agg(t::text, E\'\\n\' ORDER BY t::text), \'\')) '
            f'FROM "{schema}"."{table}" t')).one()) for table in tables}


def network_rows(app, slug: str) -> dict[str, list[str]]:
    """The network rows that belong to employer ``slug``, as text."""
    queries = {
        "tenant": "SELECT t::text FROM network.tenant t WHERE slug = :slug",
        "membership": "SELECT m::text FROM network.membership m JOIN network.tenant t "
                      "ON t.id = m.tenant_id WHERE t.slug = :slug",
        "invitation": "SELECT i::text FROM network.invitation i JOIN network.tenant t "
                      "ON t.id = i.tenant_id WHERE t.slug = :slug",
        "account": "SELECT a::text FROM network.account a WHERE a.id IN (SELECT user_id FROM "
                   "network.membership m JOIN network.tenant t ON t.id = m.tenant_id "
                   "WHERE t.slug = :slug)",
    }
    with _engine(app).connect() as c:
        return {name: sorted(c.execute(sa.text(q), {"slug": slug}).scalars())
                for name, q in queries.items()}


def _cli(app, *args):
    return app.test_cli_runner().invoke(args=[str(a) for a in args])


def _employer_with_data(app):
    employer = create_employer(app)
    referent = create_user(app, employer=employer, role="referent", name="Rachel Référente")
    for role in ("pair-aidant", "pair-aide", "membre"):
        create_user(app, employer=employer, role=role)
    make_invitation(app, employer)
    client = app.test_client()
    login(client, referent)
    path = f"/e/{employer.slug}/parametres"
    response = client.post(path, data={"csrf_token": csrf_token(client, path),
                                       "welcome": "Bienvenue dans le programme."})
    assert response.status_code == 302
    return employer, referent


def _fresh_app(fresh_database, redis_url, migrated: bool = True):
    app = create_app(test_config(fresh_database(), redis_url))
    if migrated:
        migrate_network(app)
    return app


def test_the_tools_match_the_server_major_version(app):
    from server.backup import _major, _server_major, pg_tool

    with app.app_context(), _engine(app).connect() as c:
        major = _server_major(c)
        for name in ("pg_dump", "pg_restore"):
            assert _major(pg_tool(name, major)) == major


def test_one_employer_restores_into_a_fresh_database_table_for_table(
        app, fresh_database, redis_url, tmp_path):
    employer, referent = _employer_with_data(app)
    schema = f"t_{employer.slug.replace('-', '_')}"
    other = create_employer(app)
    create_user(app, employer=other, role="membre")
    archive = tmp_path / "employeur.tar"
    result = _cli(app, "backup", "tenant", employer.slug, "--output", archive)
    assert result.exit_code == 0, result.output
    assert archive.stat().st_mode & 0o077 == 0  # the owner's eyes only

    target = _fresh_app(fresh_database, redis_url)
    result = _cli(target, "restore", "tenant", employer.slug, archive)
    assert result.exit_code == 0, result.output
    before = fingerprint(app, schema)
    assert before and any(count for count, _ in before.values())
    assert fingerprint(target, schema) == before
    assert network_rows(target, employer.slug) == network_rows(app, employer.slug)
    assert len(network_rows(target, employer.slug)["membership"]) == 4
    # Only that employer: nothing of the other one came along.
    assert _schemas(target) == ["network", schema]
    # The restored space works: its référent logs in with the same password and sees it.
    client = target.test_client()
    login(client, referent)
    assert client.get(f"/e/{employer.slug}/").status_code == 200
    _engine(target).dispose()


def test_restoring_over_a_damaged_employer_needs_replace_and_brings_it_back(app, tmp_path):
    employer, _ = _employer_with_data(app)
    schema = f"t_{employer.slug.replace('-', '_')}"
    archive = tmp_path / "employeur.tar"
    assert _cli(app, "backup", "tenant", employer.slug, "-o", archive).exit_code == 0
    saved_schema, saved_network = fingerprint(app, schema), network_rows(app, employer.slug)

    with _engine(app).begin() as c:  # the damage: programme rows and a membership lost
        c.execute(sa.text(f'DELETE FROM "{schema}".profile'))
        c.execute(sa.text("DELETE FROM network.membership WHERE tenant_id = "
                          "(SELECT id FROM network.tenant WHERE slug = :s) AND role = 'membre'"),
                  {"s": employer.slug})
    damaged = fingerprint(app, schema)
    assert damaged != saved_schema

    refused = _cli(app, "restore", "tenant", employer.slug, archive)
    assert refused.exit_code != 0 and "existe déjà" in refused.output and "--replace" in \
        refused.output
    assert fingerprint(app, schema) == damaged  # nothing written

    result = _cli(app, "restore", "tenant", employer.slug, archive, "--replace")
    assert result.exit_code == 0, result.output
    assert fingerprint(app, schema) == saved_schema
    assert network_rows(app, employer.slug) == saved_network
    assert f"{schema}__before_restore" not in _schemas(app)


def test_a_restore_that_would_mix_up_accounts_is_refused_and_writes_nothing(
        app, fresh_database, redis_url, tmp_path):
    employer, referent = _employer_with_data(app)
    archive = tmp_path / "employeur.tar"
    assert _cli(app, "backup", "tenant", employer.slug, "-o", archive).exit_code == 0
    target = _fresh_app(fresh_database, redis_url)
    # The same address under another account id: the schema's ids would point elsewhere.
    for _ in range(3):
        create_user(target)
    with _engine(target).begin() as c:
        c.execute(sa.text("UPDATE network.account SET email = :e WHERE id = "
                          "(SELECT max(id) FROM network.account)"), {"e": referent.email})
    before = (_schemas(target), fingerprint(target, "network"))
    result = _cli(target, "restore", "tenant", employer.slug, archive)
    assert result.exit_code != 0
    assert "rien n'a été écrit" in result.output and referent.email in result.output
    assert (_schemas(target), fingerprint(target, "network")) == before
    wrong = _cli(target, "restore", "tenant", "un-autre", archive)
    assert wrong.exit_code != 0 and f"celle de « {employer.slug} »" in wrong.output
    _engine(target).dispose()


def test_the_whole_database_restores_into_a_fresh_database_table_for_table(
        fresh_database, redis_url, tmp_path):
    source = _fresh_app(fresh_database, redis_url)
    for _ in range(2):
        _employer_with_data(source)
    archive = tmp_path / "base.dump"
    result = _cli(source, "backup", "all", "--output", archive)
    assert result.exit_code == 0, result.output

    target = _fresh_app(fresh_database, redis_url, migrated=False)
    result = _cli(target, "restore", "all", archive)
    assert result.exit_code == 0, result.output
    schemas = _schemas(source)
    assert len(schemas) == 3 and _schemas(target) == schemas
    for schema in schemas:
        assert fingerprint(target, schema) == fingerprint(source, schema), schema
    # A second restore over a database that is no longer empty needs --clean.
    again = _cli(target, "restore", "all", archive)
    assert again.exit_code != 0 and "--clean" in again.output
    assert _cli(target, "restore", "all", archive, "--clean").exit_code == 0
    for schema in schemas:
        assert fingerprint(target, schema) == fingerprint(source, schema), schema
    for app in (source, target):
        _engine(app).dispose()
