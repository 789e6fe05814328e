"""Models and migrations agree, and `tenants migrate` is parallel, recorded and resumable."""
from __future__ import annotations

import textwrap

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from migrations import EXTRA_TENANT_VERSIONS_ENV, NETWORK_SCHEMA, include_name_for, include_object_for
from server import create_app
from tests.fixtures.app import migrate_network, test_config


@pytest.fixture
def scratch_app(fresh_database, redis_url):
    """An application on a database of its own, network schema migrated."""
    app = create_app(test_config(fresh_database(), redis_url))
    migrate_network(app)
    yield app
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()


def test_network_models_and_migrations_agree(scratch_app):
    with scratch_app.app_context():
        db = scratch_app.extensions["sqlalchemy"]
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={
                "include_schemas": True,
                "include_name": include_name_for(NETWORK_SCHEMA),
                "include_object": include_object_for(NETWORK_SCHEMA),
                "compare_type": True,
            })
            assert compare_metadata(context, db.metadata) == []


def test_tenant_models_and_migrations_agree(scratch_app):
    from tenants.template import template_diff

    with scratch_app.app_context():
        db = scratch_app.extensions["sqlalchemy"]
        assert template_diff(db.engine, db.metadata) == []


def test_a_provisioned_schema_has_the_same_columns_as_a_migrated_one(scratch_app):
    from tenants import provision
    from tenants.template import migrated_template

    with scratch_app.app_context():
        db = scratch_app.extensions["sqlalchemy"]
        ref = provision("comparaison", "Comparaison", "etat", "50-249")
        query = sa.text(
            "SELECT table_name, column_name, data_type, is_nullable, column_default "
            "FROM information_schema.columns WHERE table_schema = :s "
            "ORDER BY table_name, column_name")
        with db.engine.connect() as c:
            provisioned = c.execute(query, {"s": ref.schema}).all()
        with migrated_template(db.engine) as c:
            migrated = c.execute(query, {"s": "tenant"}).all()

    def unqualified(rows, schema):  # sequence defaults name their own schema
        return [tuple((v or "").replace(f"{schema}.", "") for v in row) for row in rows]

    assert provisioned
    assert unqualified(provisioned, ref.schema) == unqualified(migrated, "tenant")


@pytest.fixture
def extra_revision(tmp_path, monkeypatch):
    """Call it to release a new tenant revision adding a column (in a version location of the
    test's own): employers provisioned before it are one revision behind."""
    from tenants.migrator import script_directory
    from tenants.provisioning import tenant_heads

    def release() -> str:
        # The core template's head (plugins' branches have heads of their own).
        (down,) = [r.revision for r in script_directory().get_revisions("tenant@head")]
        _write_revision(tmp_path, down)
        monkeypatch.setenv(EXTRA_TENANT_VERSIONS_ENV, str(tmp_path))
        script_directory.cache_clear()
        tenant_heads.cache_clear()
        return "xpronouns"

    yield release
    monkeypatch.delenv(EXTRA_TENANT_VERSIONS_ENV, raising=False)
    script_directory.cache_clear()
    tenant_heads.cache_clear()


def _write_revision(directory, down: str) -> None:
    (directory / "x_add_pronouns.py").write_text(textwrap.dedent(f'''
        from alembic import op
        import sqlalchemy as sa

        revision = "xpronouns"
        down_revision = {down!r}
        branch_labels = None
        depends_on = None

        def upgrade():
            op.add_column("profile", sa.Column("pronouns", sa.String(40)))
            op.execute("UPDATE profile SET pronouns = 'elle' WHERE pronouns IS NULL")

        def downgrade():
            op.drop_column("profile", "pronouns")
    '''))


def _columns(app, schema: str) -> set[str]:
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        return set(db.session.execute(sa.text(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = :s AND table_name = 'profile'"), {"s": schema}).scalars())


def _outcomes(app, run_id: int) -> dict[str, str]:
    from tenants.registry import Tenant, TenantMigration

    with app.app_context():
        db = app.extensions["sqlalchemy"]
        rows = db.session.execute(
            sa.select(Tenant.slug, TenantMigration.outcome)
            .join(Tenant, Tenant.id == TenantMigration.tenant_id)
            .where(TenantMigration.run_id == run_id)).all()
    return dict(rows)


def _provision(app, *slugs):
    from tenants import provision

    with app.app_context():
        return [provision(slug, slug.title(), "territoriale", "50-249") for slug in slugs]


def test_migrate_skips_every_schema_already_at_head(scratch_app):
    from tenants import migrate_all

    _provision(scratch_app, "alpha", "beta", "gamma")
    with scratch_app.app_context():
        report = migrate_all(progress=False)
    assert (report.total, report.at_head, report.upgraded, report.failed) == (3, 3, [], {})


def test_checking_heads_costs_the_same_queries_for_3_or_13_employers(scratch_app):
    """The at-head check is one catalog query and one read of every version: no query per
    employer."""
    from tenants import migrate_all

    def statements_of_a_run() -> int:
        with scratch_app.app_context():
            engine = scratch_app.extensions["sqlalchemy"].engine
            seen = []
            listener = lambda *args: seen.append(args[2])  # noqa: E731
            sa.event.listen(engine, "before_cursor_execute", listener)
            try:
                migrate_all(progress=False)
            finally:
                sa.event.remove(engine, "before_cursor_execute", listener)
            return len(seen)

    _provision(scratch_app, "un", "deux", "trois")
    few = statements_of_a_run()
    _provision(scratch_app, *[f"autre-{i}" for i in range(10)])
    many = statements_of_a_run()
    assert few == many


def test_migrate_upgrades_in_parallel_records_outcomes_and_resumes_after_a_failure(
        scratch_app, extra_revision):
    from tenants import migrate_all

    _provision(scratch_app, "ville-a", "ville-b", "ville-c", "ville-d")
    new_head = extra_revision()
    # Break one employer: the column the revision adds is already there.
    with scratch_app.app_context():
        db = scratch_app.extensions["sqlalchemy"]
        db.session.execute(sa.text("ALTER TABLE t_ville_c.profile ADD COLUMN pronouns text"))
        db.session.commit()
        report = migrate_all(workers=2, progress=False)

    assert sorted(report.upgraded) == ["ville-a", "ville-b", "ville-d"], report
    assert list(report.failed) == ["ville-c"] and "pronouns" in report.failed["ville-c"]
    assert _outcomes(scratch_app, report.run_id) == {
        "ville-a": "upgraded", "ville-b": "upgraded", "ville-d": "upgraded", "ville-c": "failed"}
    assert "pronouns" in _columns(scratch_app, "t_ville_a")

    # The failed employer's transaction was rolled back whole: still at the old head.
    from tenants.migrator import current_versions

    with scratch_app.app_context():
        db = scratch_app.extensions["sqlalchemy"]
        with db.engine.connect() as c:
            versions = current_versions(c, ["t_ville_a", "t_ville_c"])
        # (plugins' branches keep heads of their own next to the core's)
        assert new_head in versions["t_ville_a"]
        assert new_head not in versions["t_ville_c"]

        # Repair, run again: only the failed one is migrated.
        db.session.execute(sa.text("ALTER TABLE t_ville_c.profile DROP COLUMN pronouns"))
        db.session.commit()
        again = migrate_all(progress=False)
    assert again.upgraded == ["ville-c"] and again.at_head == 3 and not again.failed


def test_migrate_command_exits_non_zero_naming_the_employers_that_failed(
        scratch_app, extra_revision):
    _provision(scratch_app, "commune-ok", "commune-ko")
    extra_revision()
    with scratch_app.app_context():
        db = scratch_app.extensions["sqlalchemy"]
        db.session.execute(sa.text("ALTER TABLE t_commune_ko.profile ADD COLUMN pronouns text"))
        db.session.commit()
    result = scratch_app.test_cli_runner().invoke(args=["tenants", "migrate", "--no-progress"])
    assert result.exit_code == 1
    assert "ÉCHEC commune-ko" in result.output
    assert "commune-ok" not in result.output.split("ÉCHEC", 1)[1]
    assert "1 migrés, 1 en échec" in result.output
