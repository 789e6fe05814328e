"""Network indicators: small-cell rules and secondary suppression (proven on random tables),
the aggregation job over real employer schemas, and the protected page and API."""
from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from server import clock
from server import create_app
from server.network_indicators.protection import (
    PRIMARY,
    SECONDARY,
    TOTAL,
    Cell,
    Rules,
    Table,
    primary_reasons,
    protect,
    with_totals,
)
from tests.fixtures.app import csrf_token, migrate_network, test_config
from tests.fixtures.factories import create_employer, create_user, login
from tests.fixtures.mail import run_jobs

RULES = Rules()


# --- the rules at their boundaries ------------------------------------------------------------

def _cell(people=20, parts=(10, 10, 10)):
    return Cell(value=sum(parts), people=people,
                contributions={f"e{i}": v for i, v in enumerate(parts)})


def test_a_cell_needs_eleven_people():
    assert primary_reasons(_cell(people=10), RULES) == ["people"]
    assert primary_reasons(_cell(people=11), RULES) == []


def test_a_cell_needs_three_employers():
    assert primary_reasons(_cell(parts=(10, 10)), RULES) == ["employers"]
    assert primary_reasons(_cell(parts=(10, 10, 1)), RULES) == []
    # An employer that contributes nothing does not count.
    assert primary_reasons(_cell(parts=(10, 10, 0)), RULES) == ["employers"]


def test_no_employer_may_contribute_more_than_85_percent():
    assert primary_reasons(_cell(parts=(85, 10, 5)), RULES) == []
    assert primary_reasons(_cell(parts=(86, 10, 4)), RULES) == ["dominance"]


def test_the_thresholds_come_from_the_rules():
    strict = Rules(min_people=21, min_employers=4, max_share=0.5)
    assert primary_reasons(_cell(people=20, parts=(6, 2, 2)), strict) == [
        "people", "employers", "dominance"]


def test_a_lone_suppressed_cell_takes_the_smallest_neighbours_with_it():
    ok = _cell
    small = Cell(value=5, people=5, contributions={"a": 1, "b": 2, "c": 2})
    cells = {("r1", "c1"): small, ("r1", "c2"): ok(parts=(10, 10, 12)),
             ("r1", "c3"): ok(parts=(9, 9, 9)),
             ("r2", "c1"): ok(parts=(20, 20, 20)), ("r2", "c2"): ok(parts=(30, 30, 30)),
             ("r2", "c3"): ok(parts=(40, 40, 40))}
    status = protect(with_totals(["r1", "r2"], ["c1", "c2", "c3"], cells), RULES)
    assert status[("r1", "c1")] == PRIMARY
    assert status[("r1", "c3")] == SECONDARY  # 27 < 32 in its row
    assert status[("r2", "c1")] == SECONDARY  # the smallest of column c1
    assert status[("r2", "c3")] == SECONDARY  # closes the cycle
    assert status[(TOTAL, TOTAL)] is None and status[("r1", TOTAL)] is None


def test_a_hidden_zero_does_not_protect_a_small_figure():
    cells = {("r", "c1"): _cell(people=40, parts=(10, 10, 10)),
             ("r", "c2"): Cell(value=2, people=2, contributions={"a": 2}),
             ("r", "c3"): Cell(value=0, people=0, contributions={})}
    status = protect(with_totals(["r"], ["c1", "c2", "c3"], cells, column_totals=False), RULES)
    assert status[("r", "c2")] == PRIMARY and status[("r", "c3")] == PRIMARY
    # Without it, 32 − 30 would give the small figure once the zero is guessed.
    assert status[("r", "c1")] == SECONDARY and status[("r", TOTAL)] is None


# --- the proof on random tables ---------------------------------------------------------------

def recomputable(table: Table, status: dict, known=()) -> list:
    """Independent of the module: the suppressed cells that linear algebra recovers from the
    published cells (and the ``known`` hidden ones) and the additivity of the table."""
    keys = table.keys()
    index = {k: i for i, k in enumerate(keys)}
    equations = []
    for total, parts in table.lines():
        row = np.zeros(len(keys))
        row[index[total]] = 1
        for p in parts:
            row[index[p]] -= 1
        equations.append(row)
    matrix = np.array(equations)
    hidden = [k for k in keys if status[k] is not None and k not in known]
    if not hidden:
        return []
    restricted = matrix[:, [index[k] for k in hidden]]
    rank = np.linalg.matrix_rank(restricted)
    found = []
    for i, key in enumerate(hidden):
        unit = np.zeros(len(hidden))
        unit[i] = 1
        if np.linalg.matrix_rank(np.vstack([restricted, unit])) == rank:
            found.append(key)
    return found


@st.composite
def tables(draw):
    n_rows = draw(st.integers(1, 5))
    n_cols = draw(st.integers(1, 4))
    employers = [f"emp{i}" for i in range(draw(st.integers(1, 7)))]
    rows, cols = [f"r{i}" for i in range(n_rows)], [f"c{j}" for j in range(n_cols)]
    cells = {}
    for r in rows:
        for c in cols:
            who = draw(st.lists(st.sampled_from(employers), unique=True, max_size=len(employers)))
            parts = {e: draw(st.integers(0, 40)) for e in who}
            people = draw(st.integers(0, max(sum(parts.values()), 0) + 5))
            cells[(r, c)] = Cell(value=sum(parts.values()), people=people, contributions=parts)
    return with_totals(rows, cols, cells, column_totals=draw(st.booleans()))


@settings(max_examples=400, deadline=None)
@given(tables())
def test_no_suppressed_cell_can_be_recomputed_and_every_published_cell_obeys_the_rules(table):
    status = protect(table, RULES)
    assert set(status) == set(table.keys())
    assert recomputable(table, status) == []
    # Even knowing which hidden cells are zeros, no other hidden cell can be recomputed.
    zeros = {k for k, reason in status.items() if reason and not table.cells[k].value}
    assert recomputable(table, status, known=zeros) == []
    for key, reason in status.items():
        if reason is None:
            assert primary_reasons(table.cells[key], RULES) == []
        elif primary_reasons(table.cells[key], RULES):
            assert reason == PRIMARY
        else:
            assert reason == SECONDARY


@settings(max_examples=100, deadline=None)
@given(tables())
def test_secondary_suppression_leaves_no_line_with_a_lone_hidden_cell(table):
    status = protect(table, RULES)
    for total, parts in table.lines():
        hidden = [k for k in (total, *parts) if status[k] is not None]
        assert len(hidden) != 1


def test_a_mean_is_shown_only_where_its_count_is_published_and_reaches_five_answers():
    from server.network_indicators.aggregate import EmployerFigures, build_tables, protected_cells

    employers = []
    for n, (answers, mean) in enumerate(((4, 4.0), (4, 3.0), (6, 5.0))):
        e = EmployerFigures(slug=f"e{n}", sector="territoriale")
        e.enrolled = {"pair-aide": {100 * n + i for i in range(6)}}
        e.answers = {"apres-seance": (answers, mean * answers)}
        employers.append(e)
    tables, scores = build_tables(employers, {})
    cells = {(c["table_key"], c["row_key"], c["column_key"]): (c["value"], c["reason"])
             for c in protected_cells(tables, scores, RULES, min_answers=5)}
    assert cells[("satisfaction", "apres-seance", "territoriale")] == (14, None)
    # The mean of the 14 answers, not of the three employers' means.
    assert cells[("satisfaction_moyenne", "apres-seance", "territoriale")] == (4.14, None)
    assert cells[("satisfaction_moyenne", "apres-seance", TOTAL)] == (4.14, None)
    # Nobody in the State column, no answers to the other surveys: nothing to show.
    assert cells[("satisfaction_moyenne", "apres-seance", "etat")] == (None, "primary")
    assert cells[("satisfaction_moyenne", "suivi-30-jours", "territoriale")] == (None, "primary")


def test_a_model_figure_counts_the_people_behind_it_not_all_the_participants():
    from server.network_indicators.aggregate import EmployerFigures, build_tables, protected_cells

    employers = []
    for n in range(3):
        e = EmployerFigures(slug=f"e{n}", sector="territoriale")
        e.enrolled = {"pair-aide": {100 * n + i for i in range(10)}}
        e.enabled = {"x"}
        e.indicators = {
            # One binôme each: its two people, named by the plugin.
            "x.named": ("X — named", "count", 1.0, {100 * n, 100 * n + 1}, 0),
            # The plugin cannot say: the employer's ten participants are assumed.
            "x.unknown": ("X — unknown", "count", 1.0, None, 0),
            # An audience of four, counted without names.
            "x.audience": ("X — audience", "people", 4.0, set(), 4),
        }
        employers.append(e)
    plugins = {"x": type("P", (), {"label": "X"})()}
    tables, scores = build_tables(employers, plugins)
    cells = {(c["table_key"], c["row_key"], c["column_key"]): (c["value"], c["reason"])
             for c in protected_cells(tables, scores, RULES, min_answers=5)}
    assert cells[("activite", "x.named", "territoriale")] == (None, "primary")  # 6 people
    assert cells[("activite", "x.unknown", "territoriale")] == (3, None)  # 30 assumed
    assert cells[("activite", "x.audience", "territoriale")] == (12, None)  # 12 anonymous


# --- the job over real employer schemas ---------------------------------------------------------

#: Three employers of the territorial civil service with a binôme each, one State employer
#: and one hospital alone in their columns: pair-aidants and pair-aidés of each, by design.
EXTRA_SEEKERS = {"A": 3, "B": 3, "C": 3, "D": 11, "E": 11}
EXTRA_HELPERS = {"A": 3, "B": 3, "C": 3}


@pytest.fixture(scope="module")
def network(fresh_database, redis_url):
    """A database of its own (the job reads every active employer), with real data made
    through the factories and the binômes plugin's API."""
    from tests import binomes_helpers as bh

    app = create_app(test_config(fresh_database(), redis_url))
    migrate_network(app)
    employers = {}
    for name in ("A", "B", "C"):
        s = bh.space(app)  # territoriale: a référent, a pair-aidant, a pair-aidé
        binome_id = bh.accepted_binome(s)
        r = s.helper.api("post", f"/binomes/{binome_id}/meetings", json={
            "held_on": (clock.today() - timedelta(days=3)).isoformat(),
            "duration_minutes": 45, "format": "Par téléphone", "note": "Privé"})
        assert r.status_code == 201, r.json
        employers[name] = s.ref
    for name, label, sector in (("D", "Préfecture Unique", "etat"),
                                ("E", "Hôpital Unique", "hospitaliere")):
        employers[name] = create_employer(app, name=label, sector=sector)
        bh.enable_binomes(app, employers[name])
        create_user(app, employer=employers[name], role="pair-aidant")
        create_user(app, employer=employers[name], role="pair-aide")
    for role, extra in (("pair-aide", EXTRA_SEEKERS), ("pair-aidant", EXTRA_HELPERS)):
        for name, n in extra.items():
            for _ in range(n):
                create_user(app, employer=employers[name], role=role)
    people = {role: create_user(app, network_roles=roles) for role, roles in
              (("admin", ("admin",)), ("animateur", ("animateur",)), ("sans-role", ()))}
    people["referent"] = create_user(app, employer=employers["A"], role="referent")
    people["pair-aidant"] = create_user(app, employer=employers["A"], role="pair-aidant")
    yield app, employers, people
    with app.app_context():
        app.extensions["sqlalchemy"].engine.dispose()


def _aggregate(app):
    from server.jobs import enqueue
    from server.network_indicators.aggregate import aggregate

    with app.app_context():
        job = enqueue(aggregate, tenant=None)
    run_jobs(app)
    job.refresh()
    assert job.is_finished, job.latest_result()
    return job.return_value()


def _stored(app, run_id):
    from server.network_indicators.models import IndicatorCell

    with app.app_context():
        db = app.extensions["sqlalchemy"]
        rows = db.session.execute(sa.select(IndicatorCell).where(IndicatorCell.run_id == run_id)
                                  .order_by(IndicatorCell.id)).scalars().all()
        out = {}
        for c in rows:
            out.setdefault(c.table_key, {})[(c.row_key, c.column_key)] = (c.value, c.reason)
        db.session.remove()
        return out


@pytest.fixture(scope="module")
def computed(network):
    app = network[0]
    result = _aggregate(app)
    return result, _stored(app, result["run"])


def test_the_job_reads_every_employer_and_stores_protected_tables(computed):
    result, tables = computed
    assert result["employers"] == 5
    assert set(tables) == {"programmes", "personnes", "activite", "satisfaction",
                           "satisfaction_moyenne"}
    personnes = tables["personnes"]
    # Pair-aidés: 4 in each territorial employer (12, three employers), 12 at the State
    # employer and 12 at the hospital; all 36 across five employers, none above 85 %.
    assert personnes[("pair-aide", "territoriale")] == (12, None)
    assert personnes[("pair-aide", "_total")] == (36, None)
    # Pair-aidants: 1 + 3 in each territorial employer, and the one of the access tests.
    assert personnes[("pair-aidant", "territoriale")] == (13, None)
    assert personnes[("pair-aidant", "_total")] == (15, None)
    assert personnes[("_total", "_total")] == (51, None)
    # One employer alone in the State column and in the hospital one: hidden by the rules.
    assert personnes[("pair-aidant", "etat")] == (None, "primary")
    assert personnes[("pair-aide", "hospitaliere")] == (None, "primary")
    activite = tables["activite"]
    # Three binômes are six people: under the 11-person rule, although their three employers
    # have 24 pair-aidants and pair-aidés between them (the plugin names the people behind).
    assert activite[("binomes.active", "territoriale")] == (None, "primary")
    assert activite[("binomes.meetings", "territoriale")] == (None, "primary")
    assert activite[("binomes.active", "_total")] == (None, "primary")
    assert tables["programmes"][("binomes", "territoriale")] == (3, None)
    assert tables["programmes"][("binomes", "_total")] == (5, None)
    # No answers to any survey: every count and mean is hidden.
    assert all(v is None for v, _ in tables["satisfaction"].values())
    assert all(v is None for v, _ in tables["satisfaction_moyenne"].values())


def test_no_figure_of_a_single_employer_is_published(computed):
    _, tables = computed
    # The State and hospital columns hold one employer each: nothing of them may show.
    for key, cells in tables.items():
        for (row, column), (value, reason) in cells.items():
            if column in ("etat", "hospitaliere"):
                assert value is None and reason in ("primary", "secondary"), (key, row)


def test_no_stored_hidden_cell_can_be_recomputed_from_the_published_ones(computed):
    _, tables = computed
    for key in ("programmes", "personnes", "activite", "satisfaction"):
        cells = tables[key]
        rows = sorted({r for r, _ in cells if r != TOTAL})
        columns = sorted({c for _, c in cells if c != TOTAL})
        table = Table(rows, columns, {k: None for k in cells}, row_totals=True,
                      column_totals=any(r == TOTAL for r, _ in cells))
        status = {k: reason for k, (_, reason) in cells.items()}
        assert recomputable(table, status) == [], key
        for value, reason in cells.values():
            assert (value is None) == (reason is not None)


def test_a_second_run_replaces_the_figures_shown_and_keeps_no_employer_figure(network):
    app, employers, _ = network
    from server.network_indicators.models import IndicatorCell

    with app.app_context():
        db = app.extensions["sqlalchemy"]
        columns = {c.name for c in IndicatorCell.__table__.columns}
        assert not columns & {"tenant_id", "employer", "slug"}
        labels = " ".join(db.session.execute(sa.select(
            IndicatorCell.row_label + " " + IndicatorCell.column_label)).scalars())
        db.session.remove()
    for ref in employers.values():
        assert ref.slug not in labels and ref.name not in labels


# --- the page, the CSV and the API ---------------------------------------------------------------

def _client(app, person):
    client = app.test_client()
    login(client, person)
    return client


@pytest.mark.parametrize("role", ["admin", "animateur"])
def test_animateurs_and_admins_read_the_protected_tables(network, computed, role):
    app, employers, people = network
    client = _client(app, people[role])
    page = client.get("/reseau/indicateurs/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "secret statistique" in html and "au moins 11 personnes" in html
    assert "Binômes — Binômes actifs" in html
    for ref in employers.values():
        assert ref.name not in html and ref.slug not in html
    api = client.get("/api/v1/reseau/indicateurs")
    assert api.status_code == 200
    body = api.json
    assert body["run"]["employers_read"] == 5
    assert body["rules"] == {"min_people": 11, "min_employers": 3, "max_share": 0.85}
    personnes = next(t for t in body["tables"] if t["key"] == "personnes")
    aidants = next(r for r in personnes["rows"] if r["key"] == "pair-aidant")
    cell = next(c for c in aidants["cells"] if c["column"] == "etat")
    assert cell == {"column": "etat", "value": None, "suppressed": True, "reason": "primary"}
    assert next(c for c in aidants["cells"] if c["column"] == "_total")["value"] == 15


def test_the_csv_holds_the_published_cells_only(network, computed):
    app, _, people = network
    result, tables = computed
    client = _client(app, people["animateur"])
    response = client.get(f"/reseau/indicateurs/calcul-{result['run']}.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data().decode("utf-8-sig")
    lines = text.strip().split("\r\n")
    assert lines[0] == "Tableau;Ligne;Colonne;Valeur;Unité"
    published = sum(1 for cells in tables.values() for v, _ in cells.values() if v is not None)
    assert len(lines) - 1 == published
    assert "Personnes inscrites par rôle;Pair-aidés et pair-aidées;Ensemble;36;inscriptions" in lines
    assert client.get("/reseau/indicateurs/calcul-999999.csv").status_code == 404


@pytest.mark.parametrize("role", ["referent", "pair-aidant", "sans-role"])
def test_other_people_are_refused(network, role):
    app, _, people = network
    client = _client(app, people[role])
    assert client.get("/reseau/indicateurs/").status_code == 403
    assert client.get("/reseau/indicateurs/calcul-1.csv").status_code == 403
    assert client.get("/api/v1/reseau/indicateurs").status_code == 403
    token = csrf_token(client, "/reseau/")
    assert client.post("/reseau/indicateurs/recalculer",
                       data={"csrf_token": token}).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(network):
    app, _, _ = network
    client = app.test_client()
    response = client.get("/reseau/indicateurs/")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]
    assert client.get("/api/v1/reseau/indicateurs").status_code == 401


def test_recalculer_enqueues_a_run_shown_in_progress_until_the_worker_ends_it(network, computed):
    from server.network_indicators.models import IndicatorRun

    app, _, people = network
    run_jobs(app)  # nothing left over
    client = _client(app, people["animateur"])
    token = csrf_token(client, "/reseau/indicateurs/")
    response = client.post("/reseau/indicateurs/recalculer", data={"csrf_token": token})
    assert response.status_code == 302
    page = client.get("/reseau/indicateurs/").get_data(as_text=True)
    assert "Un calcul est en cours" in page and "Le calcul des indicateurs est lancé" in page
    assert client.get("/api/v1/reseau/indicateurs").json["in_progress"] is True
    # Pressing again while it runs starts nothing more.
    client.post("/reseau/indicateurs/recalculer", data={"csrf_token": token})
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        pending = db.session.execute(sa.select(IndicatorRun).where(
            IndicatorRun.status == "pending")).scalars().all()
        assert len(pending) == 1 and pending[0].requested_by == people["animateur"].id
        pending_id = pending[0].id
        db.session.remove()
    run_jobs(app)
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        run = db.session.get(IndicatorRun, pending_id)
        assert run.status == "done" and run.employers_read == 5
        db.session.remove()
    body = client.get("/api/v1/reseau/indicateurs").json
    assert body["in_progress"] is False and body["run"]["id"] == pending_id


def test_a_form_without_its_token_starts_nothing(network):
    from server.network_indicators.models import IndicatorRun

    app, _, people = network
    client = _client(app, people["admin"])
    with app.app_context():
        before = app.extensions["sqlalchemy"].session.execute(
            sa.select(sa.func.count()).select_from(IndicatorRun)).scalar()
        app.extensions["sqlalchemy"].session.remove()
    response = client.post("/reseau/indicateurs/recalculer", data={})
    assert response.status_code in (302, 400)
    with app.app_context():
        after = app.extensions["sqlalchemy"].session.execute(
            sa.select(sa.func.count()).select_from(IndicatorRun)).scalar()
        app.extensions["sqlalchemy"].session.remove()
    assert after == before


def test_the_worker_schedules_the_aggregation_daily(app):
    from server.network_indicators.aggregate import aggregate
    from server.periodic import network_periodic_jobs

    (job,) = [j for j in network_periodic_jobs() if j.func is aggregate]
    assert job.interval == 24 * 3600


def test_the_api_is_in_the_openapi_document(app):
    client = app.test_client()
    spec = client.get("/api/v1/openapi.json").json
    assert "/api/v1/reseau/indicateurs" in spec["paths"]
