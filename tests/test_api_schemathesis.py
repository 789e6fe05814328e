"""The API keeps its contract: schemathesis generates requests from /api/v1/openapi.json for
every operation, as four people (a network animateur, a référent, a pair-aidant and a member
of the demo employer), and every answer must be a documented status with a body, content type
and headers that match the document, and never a 5xx.

The run happens in-process against the Flask WSGI app, on a database of its own loaded with
the demo network plus binômes, groups, slots and interventions, so that ids in paths hit real
rows often. Hypothesis is derandomised: the same cases run on every machine.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from types import SimpleNamespace

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.openapi.checks import RejectedPositiveData

from server import clock
from server import create_app
from tests.fixtures.app import migrate_network, test_config
from tests.fixtures.factories import api_token, demo_person

#: Generated cases per operation and role: 75 operations × 4 roles × 12 = 3,600, to which
#: schemathesis adds its boundary ("coverage") cases: about 13,600 requests in all.
EXAMPLES = 12

EMPLOYER_A = "ville-de-rivebelle"  # the demo employer, every programme model enabled
EMPLOYER_B = "ch-valmont"  # another employer: its slug must answer 404 to A's people

ROLES = {
    "animateur": "animation@demo.entrepairs.fr",
    "referent": "referente@rivebelle.demo.entrepairs.fr",
    "pair-aidant": None,  # the binômes helper made below: a binôme, a group, slots
    "membre": "marc.membre@rivebelle.demo.entrepairs.fr",
}


@dataclass
class World:
    app: object
    tokens: dict = field(default_factory=dict)
    cases: int = 0


def _fill(app) -> str:
    """Programme data in employer A (and B): binômes, groups, slots, interventions. Returns
    the token of A's pair-aidant who is in all of them."""
    from tenants import schema_for
    from tests import binomes_helpers as bh
    from tests import groupes_helpers as gh
    from tests import permanences_helpers as ph
    from tests.groupes_helpers import fill_groupes_tables
    from tests.interventions_helpers import fill_interventions_tables
    from tests.permanences_helpers import fill_permanences_tables

    a, b = (SimpleNamespace(slug=slug, schema=schema_for(slug))
            for slug in (EMPLOYER_A, EMPLOYER_B))
    space = bh.Space(a, bh.person(app, a, "referent"), bh.person(app, a, "pair-aidant"),
                     bh.person(app, a, "pair-aide"))
    bh.helper_profile(space.helper)
    bh.seeker_profile(space.seeker)
    binome_id = bh.accepted_binome(space)
    r = space.helper.api("post", f"/binomes/{binome_id}/meetings", json={
        "held_on": (clock.today() - timedelta(days=5)).isoformat(), "duration_minutes": 30,
        "format": "Par téléphone", "note": "Premier échange"})
    assert r.status_code == 201, r.json
    helper = space.helper
    gh.create_group(gh.Person(helper.account, helper.client, helper.token, helper.profile_id,
                              a, helper.api_client))
    ph.offer(ph.Person(helper.account, helper.client, helper.token, helper.profile_id, a,
                       helper.api_client), repeat_weeks=2)
    for ref in (a, b):
        fill_groupes_tables(app, ref)
        fill_permanences_tables(app, ref)
        fill_interventions_tables(app, ref)
    bh.fill_binomes_tables(app, b)
    return helper.token


@pytest.fixture(scope="module")
def world(fresh_database, redis_url):
    app = create_app(test_config(fresh_database(), redis_url))
    migrate_network(app)
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    w = World(app)
    client = app.test_client()
    for role, email in ROLES.items():
        if email:
            w.tokens[role] = api_token(client, demo_person(app, email))
    w.tokens["pair-aidant"] = _fill(app)
    with app.app_context():
        from server.auth.models import ApiToken

        PROTECTED_TOKEN_IDS.update(ApiToken.find_valid(t).id for t in w.tokens.values())
    _app.current = app
    yield w
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()


def _document() -> dict:
    """The OpenAPI document, read at collection from an app that touches no service."""
    app = create_app(test_config("postgresql://nobody@127.0.0.1:1/none", "redis://127.0.0.1:1/0"))
    return app.test_client().get("/api/v1/openapi.json").json


class _App:
    """The WSGI callable schemathesis calls: the module's app, made by the fixture after
    collection (``parametrize`` copies the schema at import, so it cannot be set later)."""

    current = None

    def __call__(self, environ, start_response):
        return self.current(environ, start_response)


_app = _App()
schema = schemathesis.openapi.from_dict(_document())
schema.app = _app  # requests go straight to the WSGI callable, in-process
#: Ids of the role tokens: a generated DELETE /auth/tokens/{id} must not revoke them.
PROTECTED_TOKEN_IDS: set[int] = set()


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    # Mostly the demo employer and ids of real rows (a fresh database numbers from 1),
    # sometimes another employer or whatever schemathesis drew.
    out = {}
    for name, value in (path_parameters or {}).items():
        if name == "tenant":
            out[name] = st.sampled_from([EMPLOYER_A] * 4 + [EMPLOYER_B, value])
        elif name == "token_id":
            out[name] = st.just(0 if value in PROTECTED_TOKEN_IDS else value)
        elif name.endswith("_id") and isinstance(value, int):
            out[name] = st.one_of(st.integers(1, 12), st.just(value))
        else:
            out[name] = st.just(value)
    return st.fixed_dictionaries(out) if path_parameters is not None else st.none()


#: Rules the document cannot state, by operation: the fields a schema-valid request may still
#: be refused on (422 validation_error) because the rule depends on the state, the employer's
#: settings, the clock, another field or the caller's role.
RULES_OUTSIDE_THE_DOCUMENT = {
    # the employer's settings (maxima, meeting formats), a date in the future or the past
    "POST /api/v1/e/{tenant}/binomes/binomes/{binome_id}/meetings": {"held_on", "format"},
    # sessions in the future, dates or first session by recurrence, a place or a video link,
    # the employer's maxima
    "POST /api/v1/e/{tenant}/groupes/groups": {
        "dates", "first_session", "place", "capacity", "sessions_count"},
    "PATCH /api/v1/e/{tenant}/groupes/groups/{groupe_id}": {"place", "capacity"},
    # in the future; a place for a slot on site
    "POST /api/v1/e/{tenant}/permanences/slots": {"starts_at", "location"},
    # in the future; a pair-aidant of this space
    "POST /api/v1/e/{tenant}/interventions/interventions": {"starts_at", "helper_id"},
    # an address email-validator takes: no special-use domain (.test, .local, ...)
    "POST /api/v1/e/{tenant}/invitations": {"email"},
    # drafts and archives: editors only; the programme models installed on this server
    "GET /api/v1/reseau/ressources": {"status", "model"},
}


@schema.hook
def filter_failure(context, failure, case, response):
    # A schema-valid request may still break a rule of the domain; such a refusal names its
    # rule with a code of its own (nobody_to_match, slot_full, poll_closed...). A refusal as
    # invalid input means the document lies, unless the field's rule is one listed above.
    if not isinstance(failure, RejectedPositiveData):
        return True
    code = _error_code(response)
    if code is not None and code not in ("validation_error", "bad_request", "malformed_json"):
        return False
    fields = _refused_fields(response)
    allowed = RULES_OUTSIDE_THE_DOCUMENT.get(case.operation.label, set())
    return not (fields and fields <= allowed)


def _refused_fields(response) -> set[str]:
    details = dict(response.json()["error"].get("details") or {})
    for location in ("json", "query"):  # webargs nests messages by location
        details.update(details.pop(location, {}))
    return set(details)


def _error_code(response) -> str | None:
    try:
        return response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None


def _as(role: str):
    @schema.parametrize()
    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    def test(case, world):
        world.cases += 1
        case.call_and_validate(headers={"Authorization": f"Bearer {world.tokens[role]}"})

    return test


test_every_answer_matches_the_document_for_an_animateur = _as("animateur")
test_every_answer_matches_the_document_for_a_referent = _as("referent")
test_every_answer_matches_the_document_for_a_pair_aidant = _as("pair-aidant")
test_every_answer_matches_the_document_for_a_member = _as("membre")


def test_a_page_far_past_the_end_is_an_empty_list_not_a_500(world):
    response = world.app.test_client().get(
        "/api/v1/reseau/e-clubs", query_string={"page": 10**20, "page_size": 5},
        headers={"Authorization": f"Bearer {world.tokens['membre']}"})
    assert response.status_code == 200 and response.json == []


def test_a_method_the_path_does_not_have_is_a_405_that_names_the_allowed_ones(world):
    response = world.app.test_client().delete(
        "/api/v1/me", headers={"Authorization": f"Bearer {world.tokens['membre']}"})
    assert response.status_code == 405
    assert response.json["error"]["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"].split(", ")


def test_the_run_made_several_thousand_requests(world):
    """Runs last (pytest keeps the file's order): the four roles above sent ≥ 3,000 cases."""
    print(f"\nschemathesis: {world.cases} cases")
    assert world.cases >= 3000, world.cases
