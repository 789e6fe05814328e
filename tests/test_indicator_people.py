"""The people behind each programme figure (``Indicator.people``): the network indicators
publish a figure only when at least 11 people are behind it, so every plugin names them — the
profiles of its own employer, never more than the figure is about."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from server import clock
from plugins.base import Period
from tests.fixtures.factories import create_employer

ADDITIVE = ("count", "people", "hours")


@pytest.fixture(scope="module")
def filled(app):
    """One employer whose every model holds real rows (as the isolation tests make them)."""
    ref = create_employer(app)
    plugins = app.extensions["entrepairs.plugins"]
    from tests.binomes_helpers import fill_binomes_tables
    from tests.groupes_helpers import fill_groupes_tables
    from tests.interventions_helpers import fill_interventions_tables
    from tests.permanences_helpers import fill_permanences_tables

    fills = {"binomes": fill_binomes_tables, "groupes": fill_groupes_tables,
             "permanences": fill_permanences_tables, "interventions": fill_interventions_tables}
    for name in plugins:
        fills[name](app, ref)
    return ref


def figures_of(app, ref) -> list:
    from datetime import timedelta

    from server.employers.models import Profile
    from tenants import tenant_context

    plugins = app.extensions["entrepairs.plugins"]
    period = Period(start=clock.today() - timedelta(days=365), end=clock.today() + timedelta(days=365))
    with app.app_context(), tenant_context(ref.slug):
        db = app.extensions["sqlalchemy"]
        profiles = set(db.session.execute(sa.select(Profile.id)).scalars())
        return [(name, ind, profiles) for name, plugin in plugins.items()
                for ind in plugin.indicators(period)]


def test_every_additive_figure_names_the_people_of_its_own_employer(app, filled):
    figures = figures_of(app, filled)
    assert {name for name, _, _ in figures} == set(app.extensions["entrepairs.plugins"])
    for name, ind, profiles in figures:
        if ind.unit not in ADDITIVE:
            continue
        assert ind.people is not None, ind.key
        assert ind.people <= profiles, ind.key
        if ind.value:
            # Something was counted: someone is behind it (with a name or in an audience).
            assert len(ind.people) + ind.anonymous_people > 0, ind.key
        else:
            assert ind.anonymous_people == 0, ind.key


def test_a_binome_figure_is_about_the_two_people_of_each_binome(app, filled):
    from plugins.binomes.models import Binome
    from tenants import tenant_context

    if "binomes" not in app.extensions["entrepairs.plugins"]:
        pytest.fail("the binômes plugin is part of the default installation")
    figures = {ind.key: ind for _, ind, _ in figures_of(app, filled)}
    with app.app_context(), tenant_context(filled.slug):
        db = app.extensions["sqlalchemy"]
        active = db.session.execute(sa.select(Binome.helper_id, Binome.seeker_id).where(
            Binome.status.in_(("active", "accepted")))).all()
    assert figures["binomes.active"].value == len(active) > 0
    assert figures["binomes.active"].people == {p for pair in active for p in pair}
