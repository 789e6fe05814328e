"""Creating and deleting employer schemas.

A new schema is built from the models (``CREATE TABLE`` for each tenant table) and stamped
with the tenant branch's head, in the same transaction as the registry row: no migration is
replayed, and a half-built employer cannot exist. A test proves that the models and the
migrations produce the same schema.
"""
from __future__ import annotations

import re
from functools import lru_cache

import sqlalchemy as sa
from flask import current_app

from tenants.context import TENANT_SCHEMA, TenantRef, activate, is_valid_slug, reset, schema_for


class ProvisioningError(ValueError):
    """The employer cannot be created as asked (message is for people)."""


@lru_cache(maxsize=1)
def tenant_heads() -> tuple[str, ...]:
    """Head revisions of the tenant template (read once per process)."""
    from tenants.migrator import script_directory, tenant_head_revisions

    return tenant_head_revisions(script_directory())


def _tenant_tables(db):
    return [t for t in db.metadata.sorted_tables if t.schema == TENANT_SCHEMA]


#: Placeholder left in the cached DDL where the employer's schema goes.
_SCHEMA_TOKEN = f"__[SCHEMA_{TENANT_SCHEMA}]"
_REVISION_RE = re.compile(r"^[A-Za-z0-9_]+$")
#: (dialect name, metadata id, tables, heads) -> DDL script with ``_SCHEMA_TOKEN``.
_ddl_cache: dict[tuple, str] = {}


def _ddl_script(db, dialect) -> str:
    """Everything ``build_schema`` executes, compiled once per process.

    Optimisation: ``create_all`` compiles and sends one statement per table and index
    (40-odd round trips for the template); this script is compiled once — by replaying
    ``create_all`` on a mock engine, so it emits exactly the same DDL — and sent in one round
    trip per employer (see bench/provisioning.py)."""
    tables = _tenant_tables(db)
    heads = tenant_heads()
    key = (dialect.name, id(db.metadata), tuple(tables), heads)
    script = _ddl_cache.get(key)
    if script is None:
        statements = []

        def collect(ddl, *args, **kwargs):
            statements.append(str(ddl.compile(
                dialect=dialect, schema_translate_map={TENANT_SCHEMA: TENANT_SCHEMA})).strip())

        mock = sa.create_mock_engine(sa.engine.URL.create(dialect.name), collect)
        db.metadata.create_all(mock, tables=tables, checkfirst=False)
        statements.append(
            f"CREATE TABLE {_SCHEMA_TOKEN}.alembic_version (version_num VARCHAR(32) NOT NULL, "
            "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))")
        for head in heads:
            if not _REVISION_RE.match(head):
                raise ValueError(f"unexpected revision id {head!r}")
            statements.append(
                f"INSERT INTO {_SCHEMA_TOKEN}.alembic_version (version_num) VALUES ('{head}')")
        script = ";\n".join(statements) + ";"
        _ddl_cache[key] = script
    return script


def build_schema(connection, schema: str, db=None) -> None:
    """Create ``schema`` with every tenant table and its version stamp (no commit)."""
    db = db or current_app.extensions["sqlalchemy"]
    schema_for_sql = connection.dialect.identifier_preparer.quote_identifier(schema)
    script = _ddl_script(db, connection.dialect).replace(_SCHEMA_TOKEN, schema_for_sql)
    # No parameters: psycopg sends the whole script in one simple-protocol round trip.
    connection.exec_driver_sql(f"CREATE SCHEMA {schema_for_sql};\n{script}")


def provision(slug: str, name: str, sector: str, size_band: str) -> TenantRef:
    """Register employer ``slug`` and build its schema, in one transaction."""
    from server import signals
    from tenants.registry import SECTORS, SIZE_BANDS, Tenant

    db = current_app.extensions["sqlalchemy"]
    if not is_valid_slug(slug):
        raise ProvisioningError(
            "L'identifiant doit faire de 2 à 40 caractères : lettres minuscules sans accent, "
            "chiffres et tirets simples."
        )
    if sector not in SECTORS:
        raise ProvisioningError(f"Fonction publique inconnue : {sector!r}.")
    if size_band not in SIZE_BANDS:
        raise ProvisioningError(f"Tranche d'effectif inconnue : {size_band!r}.")
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise ProvisioningError("Le nom de l'employeur est obligatoire (200 caractères au plus).")
    schema = schema_for(slug)
    db.session.remove()
    with db.engine.connect() as connection:
        with connection.begin():
            exists = connection.execute(
                sa.select(Tenant.id).where(Tenant.slug == slug)
            ).first() or connection.execute(
                sa.text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": schema}
            ).first()
            if exists:
                raise ProvisioningError(f"Un employeur utilise déjà l'identifiant « {slug} ».")
            tenant_id = connection.execute(
                sa.insert(Tenant)
                .values(slug=slug, name=name, sector=sector, size_band=size_band)
                .returning(Tenant.id)
            ).scalar_one()
            build_schema(connection, schema, db)
            ref = TenantRef(id=tenant_id, slug=slug, name=name)
            if signals.employer_provisioned.receivers:
                token = activate(ref)
                try:
                    signals.employer_provisioned.send(ref, connection=connection)
                finally:
                    reset(token)
    return ref


def drop(slug: str) -> None:
    """Delete employer ``slug``: its schema and everything the network holds about it."""
    from tenants.registry import Tenant

    db = current_app.extensions["sqlalchemy"]
    schema = schema_for(slug)
    db.session.remove()
    with db.engine.begin() as connection:
        deleted = connection.execute(sa.delete(Tenant).where(Tenant.slug == slug)).rowcount
        if not deleted:
            raise ProvisioningError(f"Aucun employeur n'a l'identifiant « {slug} ».")
        connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


def set_status(slug: str, status: str) -> None:
    from tenants.registry import STATUSES, Tenant

    db = current_app.extensions["sqlalchemy"]
    if status not in STATUSES:
        raise ProvisioningError(f"Statut inconnu : {status!r}.")
    result = db.session.execute(sa.update(Tenant).where(Tenant.slug == slug).values(status=status))
    if not result.rowcount:
        db.session.rollback()
        raise ProvisioningError(f"Aucun employeur n'a l'identifiant « {slug} ».")
    db.session.commit()
