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


@users_cli.command("reset-second-factor")
@click.argument("email")
def reset_second_factor(email):
    """Turn off a person's two-factor log-in (lost phone and recovery codes): where it is
    required, they set it up again at their next log-in."""
    from server.auth import administration

    user = _account(email)
    administration.reset_second_factor(user)
    _commit()
    click.echo(f"Double authentification réinitialisée pour {user.email}.")


@users_cli.command("unlock")
@click.argument("email")
def unlock(email):
    """Unlock an account locked after failed log-in attempts."""
    from server.auth import administration

    user = _account(email)
    administration.unlock(user)
    _commit()
    click.echo(f"Compte déverrouillé : {user.email}.")


def _account(email):
    from server.auth.models import User

    user = User.by_email(email)
    if user is None:
        raise click.ClickException(f"Aucun compte pour {email}.")
    return user


def _commit() -> None:
    from server.extensions import db

    db.session.commit()


@click.command("demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Do nothing when demo data already exists.")
def demo_command(if_empty):
    """Load the demo network: three employers and their people."""
    from server.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, demo_logins, load_demo

    created = load_demo(if_empty=if_empty)
    click.echo("Données de démonstration chargées." if created else
               "Données de démonstration déjà présentes.")
    click.echo(f"Mot de passe de tous les comptes de démonstration : {DEMO_PASSWORD}")
    click.echo("Double authentification (administration, animation, référents) : ajoutez la clé "
               f"{DEMO_TOTP_SECRET} à une application d'authentification (TOTP).")
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

    from server.jobs import run_worker, set_worker_app
    from server.periodic import run_cron

    app = current_app._get_current_object()
    set_worker_app(app)
    # Loaded once here, the French language model is shared by every forked work horse
    # instead of being read again for each anonymisation job.
    from server.anonymisation import load_model

    load_model()
    # Jobs kept in PostgreSQL while Redis was down go first, then a companion process moves
    # those kept later (docs/operations.md, "When Redis is down").
    from server.jobs import drain_deferred, drain_forever

    try:
        drain_deferred(app)
    except Exception:  # PostgreSQL away too: the companion process tries again
        app.logger.exception("Moving the deferred jobs to Redis failed at start")
    companions = []
    if not burst:
        companions.append(multiprocessing.get_context("fork").Process(
            target=drain_forever, args=(app,), name="entrepairs-deferred", daemon=True))
    if not burst and not no_cron:
        # Its own process: the cron loop installs signal handlers, which needs a main thread.
        companions.append(multiprocessing.get_context("fork").Process(
            target=run_cron, args=(app,), name="entrepairs-cron", daemon=True))
    for process in companions:
        process.start()
    try:
        run_worker(app, burst)
    finally:
        for process in companions:
            process.terminate()
            process.join(10)


def register_commands(app) -> None:
    from tenants.cli import tenants_cli

    app.cli.add_command(tenants_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(worker_command)
    from server.backup import backup_cli, restore_cli

    app.cli.add_command(backup_cli)
    app.cli.add_command(restore_cli)


def main() -> None:
    from server import create_app

    cli = FlaskGroup(create_app=lambda: create_app(), name="entrepairs",
                     help="Entrepairs operations.")
    cli.main(prog_name="entrepairs")
