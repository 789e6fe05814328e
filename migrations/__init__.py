"""Alembic migrations, in two version locations:

- ``versions/network`` (branch ``network``): the shared ``network`` schema, applied once with
  ``entrepairs db upgrade network@head``;
- ``versions/tenant`` (branch ``tenant``): the template of every employer schema, applied to
  each employer by ``entrepairs tenants migrate`` (``tenants.migrator``), never through env.py.

Tenant revisions are written against the placeholder schema ``tenant``; the runner translates
it to each employer's schema.
"""
from __future__ import annotations

from pathlib import Path

DIRECTORY = Path(__file__).resolve().parent
NETWORK_SCHEMA = "network"
TENANT_SCHEMA = "tenant"


def include_name_for(schema: str):
    """Autogenerate filter: only this schema's objects are compared."""

    def include_name(name, type_, parent_names):
        if type_ == "schema":
            return name == schema
        if type_ == "table":
            return parent_names.get("schema_name") == schema and name != "alembic_version"
        return True

    return include_name


def include_object_for(schema: str):
    def include_object(obj, name, type_, reflected, compare_to):
        if type_ == "table":
            return obj.schema == schema
        return True

    return include_object


#: Extra tenant version locations (``os.pathsep``-separated), for benchmarks and tests that
#: need a revision the repository does not have.
EXTRA_TENANT_VERSIONS_ENV = "ENTREPAIRS_EXTRA_TENANT_VERSIONS"


#: Revisions folders of loaded plugins (tenant side), filled by the plugin loader.
PLUGIN_VERSION_LOCATIONS: list[str] = []


def version_locations() -> list[str]:
    import os

    locations = [str(DIRECTORY / "versions" / "network"), str(DIRECTORY / "versions" / "tenant")]
    locations += PLUGIN_VERSION_LOCATIONS
    extra = os.environ.get(EXTRA_TENANT_VERSIONS_ENV, "")
    locations += [p for p in extra.split(os.pathsep) if p]
    return locations


def alembic_config():
    """An Alembic Config for programmatic use (the tenant runner, tests)."""
    from alembic.config import Config

    cfg = Config(str(DIRECTORY / "alembic.ini"))
    cfg.set_main_option("script_location", str(DIRECTORY))
    cfg.set_main_option("version_locations", " ".join(version_locations()))
    return cfg
