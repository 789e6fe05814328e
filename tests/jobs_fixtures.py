"""Job functions used by the tests (importable by the worker)."""
import sqlalchemy as sa

from server.employers.models import Profile
from server.extensions import db
from tenants import current_tenant


def names_in_my_schema() -> dict:
    return {
        "tenant": current_tenant().slug,
        "names": sorted(db.session.execute(sa.select(Profile.display_name)).scalars()),
    }


def read_other_schema_through_the_models(_other_slug: str) -> list[str]:
    """Whatever a job does with the models, it reads its own employer's schema."""
    return sorted(db.session.execute(sa.select(Profile.display_name)).scalars())


def network_job() -> str:
    return "réseau" if current_tenant() is None else current_tenant().slug
