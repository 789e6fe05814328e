"""One PostgreSQL schema per employer: provisioning, resolution, and the tenant context."""
import pytest
import sqlalchemy as sa

from server.employers.models import Profile
from server.extensions import db
from tenants import TenantNotFound, current_tenant, provision, tenant_context
from tenants.provisioning import ProvisioningError, drop, set_status
from tests.fixtures.factories import create_employer, create_user, login, unique


def test_provisioning_builds_a_schema_stamped_at_the_tenant_head(app):
    from tenants.provisioning import tenant_heads

    ref = create_employer(app)
    with app.app_context():
        tables = set(db.session.execute(sa.text(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = :s"),
            {"s": ref.schema}).scalars())
        versions = set(db.session.execute(
            sa.text(f'SELECT version_num FROM "{ref.schema}".alembic_version')).scalars())
    assert {"profile", "space_setting", "audit_event", "alembic_version"} <= tables
    assert versions == set(tenant_heads()) and versions


@pytest.mark.parametrize("slug", ["A", "x", "-abc", "abc-", "a--b", "é-cole", "a b", "a" * 41])
def test_provisioning_refuses_malformed_slugs_and_writes_nothing(app, slug):
    from tenants.registry import Tenant

    with app.app_context():
        before = db.session.execute(sa.select(sa.func.count()).select_from(Tenant)).scalar()
        with pytest.raises(ProvisioningError):
            provision(slug, "Employeur", "etat", "50-249")
        after = db.session.execute(sa.select(sa.func.count()).select_from(Tenant)).scalar()
    assert before == after


def test_provisioning_refuses_a_slug_already_taken(app, employer):
    with app.app_context(), pytest.raises(ProvisioningError, match="déjà"):
        provision(employer.slug, "Autre", "etat", "50-249")


def test_tenant_context_binds_tenant_tables_to_that_schema_only(app, employer, other_employer):
    person_a = create_user(app, employer=employer, role="pair-aide", name="Personne A")
    person_b = create_user(app, employer=other_employer, role="pair-aide", name="Personne B")
    with app.app_context():
        with tenant_context(employer.slug):
            assert current_tenant().slug == employer.slug
            names_a = set(db.session.execute(sa.select(Profile.display_name)).scalars())
        with tenant_context(other_employer.slug):
            names_b = set(db.session.execute(sa.select(Profile.display_name)).scalars())
        assert current_tenant() is None
    assert names_a == {"Personne A"} and names_b == {"Personne B"}
    assert person_a.id != person_b.id


def test_tenant_tables_without_a_tenant_fail_instead_of_reading_another_schema(app):
    with app.app_context():
        with pytest.raises(sa.exc.ProgrammingError, match="tenant_unset"):
            db.session.execute(sa.select(Profile)).all()
        db.session.rollback()


def test_unknown_and_suspended_tenants_cannot_be_entered(app):
    ref = create_employer(app)
    with app.app_context():
        with pytest.raises(TenantNotFound):
            with tenant_context("nobody-here"):
                pass
        set_status(ref.slug, "suspended")
        with pytest.raises(TenantNotFound):
            with tenant_context(ref.slug):
                pass
        set_status(ref.slug, "active")
        with tenant_context(ref.slug):
            pass


def test_suspended_employer_pages_answer_404_to_its_own_members(app, client):
    ref = create_employer(app)
    person = create_user(app, employer=ref, role="referent")
    login(client, person)
    assert client.get(f"/e/{ref.slug}/").status_code == 200
    with app.app_context():
        set_status(ref.slug, "suspended")
    assert client.get(f"/e/{ref.slug}/").status_code == 404
    assert client.get(f"/api/v1/e/{ref.slug}/").status_code == 404


def test_deleting_an_employer_drops_its_schema_and_registry_row(app):
    ref = create_employer(app)
    with app.app_context():
        drop(ref.slug)
        exists = db.session.execute(sa.text(
            "SELECT count(*) FROM pg_namespace WHERE nspname = :s"), {"s": ref.schema}).scalar()
        assert exists == 0
        with pytest.raises(ProvisioningError):
            drop(ref.slug)


def test_unknown_slug_is_a_french_404_page(client, app):
    person = create_user(app)
    login(client, person)
    response = client.get(f"/e/{unique('inconnu')}/")
    assert response.status_code == 404
    assert "Page introuvable" in response.get_data(as_text=True)
