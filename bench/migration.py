"""Benchmark 2 — ``entrepairs tenants migrate`` over many employer schemas.

Fills a fresh database with employers (``tenants.provision``), then times:

1. ``tenants.migrator.migrate_all`` in-process and the real CLI (``entrepairs tenants migrate``
   in a subprocess, start-up included) when every schema is already at head
   (target ≤ 3 s for 1,000; django-tenants 4.0.1 ``migrate_schemas``: 123 s);
2. the same two with one new tenant revision that adds a column to ``profile``
   (target ≤ 30 s for 1,000; django-tenants: 119 s).

The new revisions live in a temporary directory, added as an extra tenant version location
through ``ENTREPAIRS_EXTRA_TENANT_VERSIONS`` (see ``migrations.version_locations``): the
repository's ``migrations/`` is never touched. Two revisions are written (one per timed run:
in-process, then CLI), each adding one column.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from bench.common import Summary, header, make_app, parser, slug, throwaway_database, verdict

AT_HEAD_TARGET = 3.0
ONE_COLUMN_TARGET = 30.0
DJANGO_AT_HEAD = 123.0
DJANGO_ONE_COLUMN = 119.0

REVISION = '''"""bench: add {column} to profile"""
from alembic import op
import sqlalchemy as sa

revision = "{rev}"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("profile", sa.Column("{column}", sa.String(40), nullable=True), schema="tenant")


def downgrade():
    op.drop_column("profile", "{column}", schema="tenant")
'''


def _reset_caches() -> None:
    """The script directory and the heads are read once per process; re-read them."""
    from tenants.migrator import script_directory
    from tenants.provisioning import tenant_heads

    script_directory.cache_clear()
    tenant_heads.cache_clear()


def _add_revision(directory: Path, rev: str, down: str, column: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{rev}_bench.py").write_text(REVISION.format(rev=rev, down=down, column=column))
    extra = os.environ.get("ENTREPAIRS_EXTRA_TENANT_VERSIONS", "")
    parts = [p for p in extra.split(os.pathsep) if p] + [str(directory)]
    os.environ["ENTREPAIRS_EXTRA_TENANT_VERSIONS"] = os.pathsep.join(parts)
    _reset_caches()


def _cli(url: str, workers: int | None) -> tuple[float, str]:
    entrepairs = Path(sys.executable).with_name("entrepairs")
    command = [str(entrepairs), "tenants", "migrate", "--no-progress"]
    if workers:
        command += ["--workers", str(workers)]
    env = {**os.environ, "DATABASE_URL": url}
    env.pop("REDIS_URL", None)
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900,
                          check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"CLI failed ({done.returncode}): {done.stdout}\n{done.stderr}")
    return elapsed, done.stdout.strip().splitlines()[-1]


def _cli_startup(url: str) -> float:
    """Start-up of the console script alone (``entrepairs tenants --help``), for reference."""
    entrepairs = Path(sys.executable).with_name("entrepairs")
    env = {**os.environ, "DATABASE_URL": url}
    started = time.perf_counter()
    subprocess.run([str(entrepairs), "tenants", "--help"], env=env, capture_output=True,
                   check=True, timeout=120)
    return time.perf_counter() - started


def _columns_present(app, column: str) -> int:
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        return db.session.execute(sa.text(
            "SELECT count(*) FROM information_schema.columns "
            "WHERE table_name = 'profile' AND column_name = :c AND table_schema LIKE 't\\_%'"),
            {"c": column}).scalar()


def run(quick: bool = False, workers: int | None = None) -> Summary:
    count = 100 if quick else 1000
    saved_extra = os.environ.get("ENTREPAIRS_EXTRA_TENANT_VERSIONS")
    summary: Summary = []
    with tempfile.TemporaryDirectory(prefix="entrepairs-bench-revs-") as tmp, \
            throwaway_database("bench_migr") as (url, where):
        header(f"migration: entrepairs tenants migrate over {count} employers", where)
        app = make_app(url)
        from tenants import migrate_all, provision
        from tenants.migrator import script_directory, tenant_head_revisions

        with app.app_context():
            started = time.perf_counter()
            for i in range(count):
                provision(slug(i), f"Employeur {i}", "territoriale", "250-999")
            print(f"filled {count} employers in {time.perf_counter() - started:.1f} s")
            head = tenant_head_revisions(script_directory())[0]
            app.extensions["sqlalchemy"].engine.dispose()
        print(f"CLI start-up alone (entrepairs tenants --help): {_cli_startup(url):.2f} s")

        # 1. Everything at head.
        with app.app_context():
            t_head, report = _timed_migrate(migrate_all, workers)
        assert report.at_head == count and not report.upgraded, report
        t_head_cli, line = _cli(url, workers)
        if f"{count} déjà à jour" not in line:
            raise RuntimeError("the repository's tenant revisions changed during the run "
                               f"(the CLI saw new ones): {line}")
        print(f"at head, migrate_all:            {t_head:7.2f} s   ({report.at_head} skipped)")
        print(f"at head, CLI subprocess:         {t_head_cli:7.2f} s   ({line})")

        # 2. One new revision adding a column (in-process), then another (CLI).
        _add_revision(Path(tmp) / "one", "bench0001", head, "bench_extra_1")
        with app.app_context():
            t_col, report = _timed_migrate(migrate_all, workers)
        assert len(report.upgraded) == count and report.ok, report.failed
        assert _columns_present(app, "bench_extra_1") == count
        _add_revision(Path(tmp) / "two", "bench0002", "bench0001", "bench_extra_2")
        t_col_cli, line = _cli(url, workers)
        assert _columns_present(app, "bench_extra_2") == count
        print(f"one new column, migrate_all:     {t_col:7.2f} s   "
              f"({t_col / count * 1000:.1f} ms per employer)")
        print(f"one new column, CLI subprocess:  {t_col_cli:7.2f} s   ({line})")
        with app.app_context():
            app.extensions["sqlalchemy"].engine.dispose()

    if saved_extra is None:
        os.environ.pop("ENTREPAIRS_EXTRA_TENANT_VERSIONS", None)
    else:
        os.environ["ENTREPAIRS_EXTRA_TENANT_VERSIONS"] = saved_extra
    _reset_caches()

    scale = 1000 / count
    note = "" if count == 1000 else f" (×{scale:.0f} to compare)"
    print(f"django-tenants 4.0.1 at 1,000: at head {DJANGO_AT_HEAD:.0f} s "
          f"({DJANGO_AT_HEAD / t_head_cli:.0f}× our CLI), one column {DJANGO_ONE_COLUMN:.0f} s "
          f"({DJANGO_ONE_COLUMN / t_col_cli:.1f}× our CLI){note}")
    at_head_target = AT_HEAD_TARGET
    col_target = ONE_COLUMN_TARGET * count / 1000
    summary.append((f"migrate, {count} at head (CLI)", f"{t_head_cli:.2f} s",
                    f"≤ {at_head_target:.0f} s", verdict(t_head_cli, at_head_target)))
    summary.append((f"migrate, {count} at head (migrate_all)", f"{t_head:.2f} s",
                    f"≤ {at_head_target:.0f} s", verdict(t_head, at_head_target)))
    summary.append((f"migrate, {count} + one column (CLI)", f"{t_col_cli:.2f} s",
                    f"≤ {col_target:.0f} s", verdict(t_col_cli, col_target)))
    summary.append((f"migrate, {count} + one column (migrate_all)", f"{t_col:.2f} s",
                    f"≤ {col_target:.0f} s", verdict(t_col, col_target)))
    return summary


def _timed_migrate(migrate_all, workers):
    started = time.perf_counter()
    report = migrate_all(workers=workers, progress=False)
    return time.perf_counter() - started, report


def main() -> None:
    from bench.run_all import quiet

    quiet()
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--workers", type=int, default=None,
                   help="worker processes (default: TENANT_MIGRATE_WORKERS)")
    args = p.parse_args()
    run(quick=args.quick, workers=args.workers)


if __name__ == "__main__":
    main()
