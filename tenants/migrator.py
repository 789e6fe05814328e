"""``entrepairs tenants migrate``: bring every employer schema to the tenant template's head.

- One catalog query finds which schemas carry a version table, one query reads every
  version, and schemas already at head are skipped without opening a migration.
- The others are upgraded in parallel by worker processes (Alembic's ``op`` proxy is
  process-global, so threads would trample each other), one transaction per employer that
  also records the outcome in ``network.tenant_migration``: the record and the schema cannot
  disagree.
- A failure is recorded, the other employers go on, and the command exits non-zero naming
  those that failed. Running it again resumes: what is at head is skipped, the rest retried.
"""
from __future__ import annotations

import multiprocessing
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from alembic.operations import Operations
from flask import current_app

from migrations import DIRECTORY, alembic_config
from tenants.context import TENANT_SCHEMA, schema_for

NETWORK_VERSIONS = DIRECTORY / "versions" / "network"


@lru_cache(maxsize=1)
def script_directory():
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def tenant_head_revisions(script) -> tuple[str, ...]:
    """Heads of every branch that is not the network's (the tenant template, and later the
    plugins' own tenant branches)."""
    heads = []
    for head in script.get_heads():
        path = Path(script.get_revision(head).path).resolve()
        if not path.is_relative_to(NETWORK_VERSIONS):
            heads.append(head)
    # What Alembic stamps after an upgrade: a head another one depends on is not kept.
    return upgrade_destination(script, tuple(sorted(heads)))


def current_versions(connection, schemas: list[str]) -> dict[str, frozenset[str]]:
    """Version stamps of ``schemas`` (absent: schema or version table missing)."""
    if not schemas:
        return {}
    present = connection.execute(
        sa.text(
            "SELECT n.nspname FROM pg_catalog.pg_class c "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relname = 'alembic_version' AND c.relkind = 'r' "
            "AND n.nspname = ANY(:schemas)"
        ),
        {"schemas": schemas},
    ).scalars().all()
    versions: dict[str, set[str]] = {s: set() for s in present}
    if present:
        union = " UNION ALL ".join(
            f"SELECT '{s}' AS s, version_num FROM \"{s}\".alembic_version" for s in present
        )
        for schema, version in connection.execute(sa.text(union)):
            versions[schema].add(version)
    return {s: frozenset(v) for s, v in versions.items()}


@dataclass
class MigrationReport:
    run_id: int
    total: int = 0
    at_head: int = 0
    upgraded: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed


# --- worker process side -----------------------------------------------------------------

_worker_engine = None


def _init_worker(database_url: str, plugin_locations: tuple[str, ...] = ()) -> None:
    """Set up a worker process: its own engine, and the plugins' revision folders (a
    forkserver child did not run the plugin loader)."""
    import migrations

    global _worker_engine
    _worker_engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    for location in plugin_locations:
        if location not in migrations.PLUGIN_VERSION_LOCATIONS:
            migrations.PLUGIN_VERSION_LOCATIONS.append(location)
            script_directory.cache_clear()


def upgrade_schema(connection, schema: str, heads: tuple[str, ...]) -> None:
    """Run the pending tenant revisions on ``schema`` inside the caller's transaction."""
    from alembic.runtime.environment import EnvironmentContext

    script = script_directory()
    # Tenant revisions use unqualified names, resolved by search_path (Alembic's ALTER
    # constructs ignore schema_translate_map); the map still translates "tenant." in the
    # SQLAlchemy constructs they use, such as a foreign key to another tenant table.
    scoped = connection.execution_options(schema_translate_map={TENANT_SCHEMA: schema})
    scoped.execute(sa.text(f'SET LOCAL search_path TO "{schema}"'))

    def upgrade(rev, _context):
        return script._upgrade_revs(upgrade_destination(script, heads), rev)

    with EnvironmentContext(alembic_config(), script, fn=upgrade, destination_rev=heads) as env:
        env.configure(connection=scoped, version_table_schema=schema, transactional_ddl=True)
        # Not ``env.run_migrations()``: its ``op`` would render ``schema="tenant"`` literally in
        # ALTER statements (Alembic formats those names itself, outside schema_translate_map),
        # and autogenerated tenant revisions always say ``schema="tenant"``.
        context = env.get_context()
        with Operations.context(context) as operations:
            operations.invoke = _translating_invoke(operations.invoke, schema)
            context.run_migrations()


def _translating_invoke(invoke, schema: str):
    """Alembic's ``Operations.invoke`` with the placeholder schema replaced by the employer's
    in every operation (``schema``, and ``referent_schema`` of foreign keys)."""

    def translating(operation):
        for attribute in ("schema", "referent_schema"):
            if getattr(operation, attribute, None) == TENANT_SCHEMA:
                setattr(operation, attribute, schema)
        return invoke(operation)

    return translating


def _migrate_one(job: tuple[int, int, str, str | None, tuple[str, ...]]):
    run_id, tenant_id, slug, from_rev, heads = job
    from tenants.registry import TenantMigration

    schema = schema_for(slug)
    started = time.perf_counter()
    outcome = {"run_id": run_id, "tenant_id": tenant_id, "from_revision": from_rev,
               "to_revision": ",".join(heads)}
    try:
        with _worker_engine.connect() as connection:
            with connection.begin():
                # Two concurrent runs never work on the same employer at once.
                connection.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:s))"),
                                   {"s": schema})
                upgrade_schema(connection, schema, heads)
                connection.execute(sa.insert(TenantMigration).values(
                    outcome="upgraded", seconds=time.perf_counter() - started, **outcome))
        return slug, None
    except Exception as exc:  # recorded, reported, and the run goes on
        message = "".join(traceback.format_exception_only(exc)).strip()[:2000]
        try:
            with _worker_engine.begin() as connection:
                connection.execute(sa.insert(TenantMigration).values(
                    outcome="failed", error=message, seconds=time.perf_counter() - started,
                    **outcome))
        except Exception:
            pass
        return slug, message


# --- coordinator -------------------------------------------------------------------------

def migrate_all(workers: int | None = None, progress: bool = True, only: list[str] | None = None
                ) -> MigrationReport:
    """Bring every employer schema (or those in ``only``) to head."""
    from tenants.registry import Tenant, TenantMigrationRun

    db = current_app.extensions["sqlalchemy"]
    heads = tenant_head_revisions(script_directory())
    query = sa.select(Tenant.id, Tenant.slug).order_by(Tenant.slug)
    if only:
        query = query.where(Tenant.slug.in_(only))
    with db.engine.connect() as connection:
        tenants = connection.execute(query).all()
        versions = current_versions(connection, [schema_for(t.slug) for t in tenants])
    target = frozenset(heads)
    pending = []
    for t in tenants:
        stamp = versions.get(schema_for(t.slug))
        if stamp != target:
            pending.append((t.id, t.slug, ",".join(sorted(stamp)) if stamp else None))

    with db.engine.begin() as connection:
        run_id = connection.execute(
            sa.insert(TenantMigrationRun)
            .values(target=",".join(heads), total=len(tenants), at_head=len(tenants) - len(pending))
            .returning(TenantMigrationRun.id)
        ).scalar_one()
    report = MigrationReport(run_id=run_id, total=len(tenants), at_head=len(tenants) - len(pending))

    if pending:
        jobs = [(run_id, tid, slug, from_rev, heads) for tid, slug, from_rev in pending]
        processes = max(1, min(workers or current_app.config["TENANT_MIGRATE_WORKERS"], len(jobs)))
        url = db.engine.url.render_as_string(hide_password=False)
        bar = _progress(len(jobs), progress)
        import migrations

        init_args = (url, tuple(migrations.PLUGIN_VERSION_LOCATIONS))
        if processes == 1:
            # One process: no pool to start.
            _init_worker(*init_args)
            results = map(_migrate_one, jobs)
            pool = None
        else:
            db.session.remove()
            db.engine.dispose()
            # "forkserver": workers fork from a fresh single-threaded server, never from this
            # process, whose other threads (a web server, a mail server in tests) could hold a
            # lock at fork time and leave a child stuck for ever.
            pool = multiprocessing.get_context("forkserver").Pool(
                processes, initializer=_init_worker, initargs=init_args)
            results = pool.imap_unordered(_migrate_one, jobs, chunksize=4)
        try:
            for slug, error in results:
                if error is None:
                    report.upgraded.append(slug)
                else:
                    report.failed[slug] = error
                bar.update(1)
        finally:
            if pool is not None:
                pool.close()
                pool.join()
            bar.close()

    with db.engine.begin() as connection:
        connection.execute(
            sa.update(TenantMigrationRun)
            .where(TenantMigrationRun.id == run_id)
            .values(finished_at=datetime.now(timezone.utc), succeeded=len(report.upgraded),
                    failed=len(report.failed))
        )
    return report


def _progress(total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc="Migration des espaces", unit="employeur",
                disable=not enabled, mininterval=0.5)


def upgrade_destination(script, heads: tuple[str, ...]) -> tuple[str, ...]:
    """The heads to ask Alembic for: a plugin branch ``depends_on`` the core template, so the
    core head is reached through it and naming both would "overlap"."""
    reached: set[str] = set()
    for head in heads:
        stack = [head]
        while stack:
            revision = script.get_revision(stack.pop())
            for parent in _as_tuple(revision.down_revision) + _as_tuple(revision.dependencies):
                parent_rev = script.get_revision(parent)
                if parent_rev.revision not in reached:
                    reached.add(parent_rev.revision)
                    stack.append(parent_rev.revision)
    return tuple(h for h in heads if h not in reached)


def _as_tuple(value) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)
