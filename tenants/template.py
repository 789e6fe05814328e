"""The tenant template compared with the models: a throwaway schema literally named
``tenant`` is built from the migrations inside a transaction that is rolled back.

Used by the test that proves models and migrations agree, and by
``entrepairs tenants revision`` to write a new tenant revision from the models."""
from __future__ import annotations

from contextlib import contextmanager

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata, produce_migrations
from alembic.migration import MigrationContext
from alembic.util import rev_id as alembic_rev_id

from migrations import DIRECTORY, TENANT_SCHEMA, include_name_for, include_object_for
from tenants.migrator import script_directory, tenant_head_revisions, upgrade_schema


@contextmanager
def migrated_template(engine):
    """A connection on which schema ``tenant`` holds every tenant revision (rolled back)."""
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            connection.execute(sa.text(f'CREATE SCHEMA "{TENANT_SCHEMA}"'))
            heads = tenant_head_revisions(script_directory())
            if heads:
                upgrade_schema(connection, TENANT_SCHEMA, heads)
            connection.execute(sa.text("SET LOCAL search_path TO public"))
            yield connection
        finally:
            transaction.rollback()


def _context(connection, tables=None) -> MigrationContext:
    """Comparison context on the ``tenant`` schema; ``tables(name)`` narrows the tables."""
    include_object = include_object_for(TENANT_SCHEMA)

    def include(obj, name, type_, reflected, compare_to):
        if type_ == "table" and tables is not None and not tables(name):
            return False
        return include_object(obj, name, type_, reflected, compare_to)

    return MigrationContext.configure(
        connection,
        opts={
            "include_schemas": True,
            "include_name": include_name_for(TENANT_SCHEMA),
            "include_object": include,
            "compare_type": True,
            "target_metadata": None,
        },
    )


def template_diff(engine, metadata) -> list:
    """Differences between the tenant models and the tenant migrations (empty when they agree)."""
    with migrated_template(engine) as connection:
        return compare_metadata(_context(connection), metadata)


def write_revision(engine, metadata, message: str, rev_id: str | None = None,
                   branch: str = "tenant", version_path: str | None = None,
                   plugin_prefixes: tuple[str, ...] = ()) -> str | None:
    """Write a revision for what the models have and the migrations lack.

    ``branch="tenant"`` covers the core tables (every table not named after a plugin in
    ``plugin_prefixes``); a plugin's branch (its name) covers its ``<name>_*`` tables and goes to
    its own ``version_path``, its first revision depending on the core template's head."""
    if branch == "tenant":
        def tables(name):
            return not any(name.startswith(prefix) for prefix in plugin_prefixes)
        version_path = str(DIRECTORY / "versions" / "tenant")
    else:
        def tables(name):
            return name.startswith(f"{branch}_")
        if version_path is None:
            raise ValueError("a plugin revision needs the plugin's migrations folder")
    with migrated_template(engine) as connection:
        context = _context(connection, tables)
        script = produce_migrations(context, metadata)
        if script.upgrade_ops.is_empty():
            return None
        _unqualify(script.upgrade_ops)
        _unqualify(script.downgrade_ops)
        upgrades, downgrades, imports = _render(script, context)
    scripts = script_directory()
    branch_head = _branch_head(scripts, branch)
    depends_on = None
    if branch_head is None and branch != "tenant":
        depends_on = _branch_head(scripts, "tenant")
    revision = scripts.generate_revision(
        rev_id or alembic_rev_id(),
        message,
        head=branch_head or "base",
        branch_labels=None if branch_head else [branch],
        version_path=version_path,
        depends_on=depends_on,
        upgrades=upgrades,
        downgrades=downgrades,
        imports="\n".join(sorted(imports)) + "\n",
    )
    script_directory.cache_clear()
    return revision.path


def _branch_head(scripts, branch: str) -> str | None:
    from alembic.util import CommandError

    try:
        revisions = scripts.get_revisions(f"{branch}@head")
    except (CommandError, KeyError):
        return None
    return revisions[0].revision if revisions else None


def _unqualify(ops) -> None:
    """Tenant revisions name no schema: the runner's ``search_path`` points at the employer.
    (Alembic's ALTER constructs quote a schema literally, past ``schema_translate_map``.)"""
    for op in getattr(ops, "ops", ()):
        if getattr(op, "schema", None) == TENANT_SCHEMA:
            op.schema = None
        _unqualify(op)


def _render(script, migration_context):
    """Python code of both directions and the imports it needs (what ``alembic revision
    --autogenerate`` does; its public ``render_python_code`` drops the imports)."""
    from alembic.autogenerate import render
    from alembic.autogenerate.api import AutogenContext

    context = AutogenContext(migration_context, opts={
        "sqlalchemy_module_prefix": "sa.", "alembic_module_prefix": "op.",
        "render_item": None, "render_as_batch": False, "user_module_prefix": None})
    upgrades = render._render_cmd_body(script.upgrade_ops, context).strip()
    downgrades = render._render_cmd_body(script.downgrade_ops, context).strip()
    return upgrades.replace("\n", "\n    "), downgrades.replace("\n", "\n    "), context.imports
