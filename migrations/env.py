"""Alembic environment for ``entrepairs db ...`` (Flask-Migrate): the shared ``network``
schema only. Employer schemas are migrated by ``entrepairs tenants migrate`` and their
revisions are written with ``entrepairs tenants revision`` (see ``tenants.migrator``)."""
import logging
from logging.config import fileConfig

import sqlalchemy as sa
from alembic import context
from flask import current_app

from migrations import NETWORK_SCHEMA, include_name_for, include_object_for

config = context.config
if config.config_file_name:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")
db = current_app.extensions["migrate"].db


def process_revision_directives(ctx, revision, directives):
    # No empty revision from an autogenerate that found nothing.
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logger.info("No changes in schema detected.")


def run_migrations_online():
    with db.engine.connect() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{NETWORK_SCHEMA}"'))
        connection.commit()
        context.configure(
            connection=connection,
            target_metadata=db.metadata,
            version_table_schema=NETWORK_SCHEMA,
            include_schemas=True,
            include_name=include_name_for(NETWORK_SCHEMA),
            include_object=include_object_for(NETWORK_SCHEMA),
            process_revision_directives=process_revision_directives,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Offline migrations are not supported.")
run_migrations_online()
