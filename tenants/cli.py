"""``entrepairs tenants ...``: operating employer spaces."""
from __future__ import annotations

import sys

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from tenants.provisioning import ProvisioningError, drop, provision, set_status
from tenants.registry import SECTORS, SIZE_BANDS, Tenant

tenants_cli = AppGroup("tenants", help="Employer spaces: one PostgreSQL schema each.")


@tenants_cli.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="Nom affiché de l'employeur.")
@click.option("--sector", type=click.Choice(sorted(SECTORS)), required=True)
@click.option("--size-band", type=click.Choice(list(SIZE_BANDS)), required=True)
def create(slug, name, sector, size_band):
    """Register an employer and build its schema."""
    try:
        ref = provision(slug, name, sector, size_band)
    except ProvisioningError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Espace créé : {ref.name} (/e/{ref.slug}/, schéma {ref.schema})")


@tenants_cli.command("list")
def list_():
    """List employers with their status."""
    db = current_app.extensions["sqlalchemy"]
    rows = db.session.execute(sa.select(Tenant).order_by(Tenant.slug)).scalars().all()
    if not rows:
        click.echo("Aucun employeur.")
    for t in rows:
        click.echo(f"{t.slug:30} {t.status:10} {t.sector:13} {t.size_band:10} {t.name}")


@tenants_cli.command("suspend")
@click.argument("slug")
def suspend(slug):
    """Suspend an employer space: its pages and API answer 404 until reactivated."""
    try:
        set_status(slug, "suspended")
    except ProvisioningError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Espace suspendu : {slug}")


@tenants_cli.command("activate")
@click.argument("slug")
def activate(slug):
    """Reactivate a suspended employer space."""
    try:
        set_status(slug, "active")
    except ProvisioningError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Espace réactivé : {slug}")


@tenants_cli.command("delete")
@click.argument("slug")
@click.option("--yes", is_flag=True, help="Confirm without asking.")
def delete(slug, yes):
    """Delete an employer and its whole schema. Irreversible."""
    if not yes:
        click.confirm(
            f"Supprimer définitivement l'espace {slug} et toutes ses données ?", abort=True
        )
    try:
        drop(slug)
    except ProvisioningError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Espace supprimé : {slug}")


@tenants_cli.command("migrate")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Parallel worker processes (default: TENANT_MIGRATE_WORKERS).")
@click.option("--only", multiple=True, help="Only this employer (repeatable).")
@click.option("--no-progress", is_flag=True)
def migrate(workers, only, no_progress):
    """Bring every employer schema to head; resumable after a failure."""
    from tenants.migrator import migrate_all

    report = migrate_all(workers=workers, progress=not no_progress, only=list(only) or None)
    click.echo(
        f"Migration n°{report.run_id} : {report.total} espaces, {report.at_head} déjà à jour, "
        f"{len(report.upgraded)} migrés, {len(report.failed)} en échec."
    )
    if report.failed:
        for slug, error in sorted(report.failed.items()):
            click.echo(f"ÉCHEC {slug}: {error}", err=True)
        click.echo("Relancez la commande après correction : les espaces à jour seront sautés.",
                   err=True)
        sys.exit(1)


@tenants_cli.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--rev-id", default=None)
@click.option("--plugin", default=None, help="Write it in this plugin's own migrations.")
def revision(message, rev_id, plugin):
    """Write a tenant revision for what the models have and the migrations lack."""
    from tenants.template import write_revision

    db = current_app.extensions["sqlalchemy"]
    plugins = current_app.extensions.get("entrepairs.plugins", {})
    if plugin is not None and plugin not in plugins:
        raise click.ClickException(f"Plugin {plugin!r} is not loaded (see PLUGINS).")
    path = write_revision(
        db.engine, db.metadata, message, rev_id,
        branch=plugin or "tenant",
        version_path=str(plugins[plugin].migrations) if plugin else None,
        plugin_prefixes=tuple(f"{name}_" for name in plugins))
    click.echo(f"Révision écrite : {path}" if path else "Aucun changement détecté.")
