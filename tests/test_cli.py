"""The `entrepairs` operations commands."""
import sqlalchemy as sa

from server.extensions import db
from tests.fixtures.factories import unique


def test_tenants_create_list_suspend_activate_delete(app):
    runner = app.test_cli_runner()
    slug = unique("cli")
    created = runner.invoke(args=["tenants", "create", slug, "--name", "Commune de Test",
                                  "--sector", "territoriale", "--size-band", "50-249"])
    assert created.exit_code == 0, created.output
    assert f"/e/{slug}/" in created.output
    listed = runner.invoke(args=["tenants", "list"]).output
    assert slug in listed and "Commune de Test" in listed

    assert runner.invoke(args=["tenants", "suspend", slug]).exit_code == 0
    assert f"{slug}" in runner.invoke(args=["tenants", "list"]).output
    with app.app_context():
        from tenants.registry import Tenant

        status = db.session.execute(sa.select(Tenant.status).where(Tenant.slug == slug)).scalar()
    assert status == "suspended"
    assert runner.invoke(args=["tenants", "activate", slug]).exit_code == 0

    refused = runner.invoke(args=["tenants", "delete", slug], input="n\n")
    assert refused.exit_code != 0
    deleted = runner.invoke(args=["tenants", "delete", slug, "--yes"])
    assert deleted.exit_code == 0
    assert slug not in runner.invoke(args=["tenants", "list"]).output


def test_tenants_create_refuses_bad_input_with_a_message(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["tenants", "create", "Mauvais Slug", "--name", "X",
                                 "--sector", "etat", "--size-band", "50-249"])
    assert result.exit_code != 0 and "identifiant" in result.output


def test_users_create_with_roles(app):
    runner = app.test_cli_runner()
    slug = unique("cli")
    runner.invoke(args=["tenants", "create", slug, "--name", "Employeur CLI",
                        "--sector", "etat", "--size-band", "250-999"])
    email = f"{unique('cli')}@exemple.fr"
    result = runner.invoke(args=["users", "create", email, "--name", "Camille",
                                 "--password", "un-mot-de-passe-long",
                                 "--network-role", "animateur", "--employer", f"{slug}:referent"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        from server.auth.models import Membership, User

        user = User.by_email(email)
        assert user.has_network_role("animateur")
        roles = db.session.execute(sa.select(Membership.role).where(
            Membership.user_id == user.id)).scalars().all()
        assert roles == ["referent"]


def test_users_create_writes_nothing_when_an_employer_is_unknown(app):
    email = f"{unique('cli')}@exemple.fr"
    result = app.test_cli_runner().invoke(args=[
        "users", "create", email, "--name", "X", "--password", "un-mot-de-passe-long",
        "--employer", "nulle-part:referent"])
    assert result.exit_code != 0 and "nulle-part" in result.output
    with app.app_context():
        from server.auth.models import User

        assert User.by_email(email) is None


def test_users_create_refuses_a_short_password(app):
    result = app.test_cli_runner().invoke(args=[
        "users", "create", f"{unique('cli')}@exemple.fr", "--name", "X", "--password", "court"])
    assert result.exit_code != 0 and "12 caractères" in result.output
