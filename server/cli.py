"""The ``entrepairs`` console script: Flask's CLI with the application loaded."""
from __future__ import annotations

import click
from flask.cli import AppGroup, FlaskGroup, with_appcontext

users_cli = AppGroup("users", help="Accounts.")


@users_cli.command("create")
@click.argument("email")
@click.option("--name", "display_name", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--network-role", type=click.Choice(["admin", "animateur"]), multiple=True)
@click.option("--employer", "employers", multiple=True, metavar="SLUG:ROLE",
              help="Membership of an employer space, e.g. ville-de-rivebelle:referent.")
def create_user(email, display_name, password, network_role, employers):
    """Create an account (and its roles)."""
    from server.accounts import AccountError, create_account

    try:
        user = create_account(email, display_name, password, network_role, employers)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Compte créé : {user.email} (n° {user.id})")


@click.command("demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Do nothing when demo data already exists.")
def demo_command(if_empty):
    """Load the demo network: three employers and their people."""
    from server.demo import DEMO_PASSWORD, demo_logins, load_demo

    created = load_demo(if_empty=if_empty)
    click.echo("Données de démonstration chargées." if created else
               "Données de démonstration déjà présentes.")
    click.echo(f"Mot de passe de tous les comptes de démonstration : {DEMO_PASSWORD}")
    for login, label in demo_logins():
        click.echo(f"  {login:45} {label}")


@click.command("worker")
@with_appcontext
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@click.option("--no-cron", is_flag=True, help="Do not run the periodic-jobs scheduler.")
def worker_command(burst, no_cron):
    """Run an RQ worker with its scheduler (delayed jobs) and, beside it, the cron scheduler
    of the plugins' periodic jobs."""
    import multiprocessing

    from flask import current_app
    from rq import Worker

    from server.jobs import queue, redis_connection, set_worker_app
    from server.periodic import cron_scheduler

    app = current_app._get_current_object()
    set_worker_app(app)
    cron = None
    if not burst and not no_cron:
        # Its own process: the cron loop installs signal handlers, which needs a main thread.
        cron = multiprocessing.get_context("fork").Process(
            target=lambda: cron_scheduler(app).start(), name="entrepairs-cron", daemon=True)
        cron.start()
    try:
        worker = Worker([queue(app)], connection=redis_connection(app))
        worker.work(burst=burst, with_scheduler=True)
    finally:
        if cron is not None:
            cron.terminate()
            cron.join(10)


def register_commands(app) -> None:
    from tenants.cli import tenants_cli

    app.cli.add_command(tenants_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(worker_command)


def main() -> None:
    from server import create_app

    cli = FlaskGroup(create_app=lambda: create_app(), name="entrepairs",
                     help="Entrepairs operations.")
    cli.main(prog_name="entrepairs")
