"""The programme dashboard: figures on known data, CSV, period validation, access."""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from tests.fixtures.factories import create_employer, create_user, login


@pytest.fixture
def known(app):
    from tests.binomes_helpers import enable_binomes
    ref = create_employer(app)
    referent = create_user(app, employer=ref, role="referent")
    helper = create_user(app, employer=ref, role="pair-aidant", name="Alex Pair")
    for _ in range(3):
        create_user(app, employer=ref, role="pair-aide")
    enable_binomes(app, ref)
    db = app.extensions["sqlalchemy"]
    with app.app_context():
        s = ref.schema
        pid = db.session.execute(sa.text(
            f'SELECT id FROM "{s}".profile WHERE user_id = :u'), {"u": helper.id}).scalar()
        db.session.execute(sa.text(
            f'INSERT INTO "{s}".peer_helper (kind, profile_id, decision, hours_per_month, '
            "mission_start) VALUES ('internal', :p, 'selected', 10, '2025-07-01')"), {"p": pid})
        bid = db.session.execute(sa.text(
            f'INSERT INTO "{s}".binomes_binome (helper_id, seeker_id, status, helper_answer, '
            "seeker_answer) VALUES (:p, :p, 'active', 'accepted', 'accepted') RETURNING id"),
            {"p": pid}).scalar()
        for day, minutes, fmt in (("2025-03-01", 60, "En présentiel"),
                                  ("2025-04-01", 90, "En présentiel"),
                                  ("2025-05-01", 30, "Par téléphone"),
                                  ("2024-05-01", 600, "Par téléphone")):  # outside
            db.session.execute(sa.text(
                f'INSERT INTO "{s}".binomes_meeting (binome_id, held_on, duration_minutes, '
                "format, logged_by) VALUES (:b, :d, :m, :f, :p)"),
                {"b": bid, "d": day, "m": minutes, "f": fmt, "p": pid})
        vid = db.session.execute(sa.text(
            f"SELECT id FROM \"{s}\".survey_version WHERE kind = 'apres-seance'")).scalar()
        for i, scores in enumerate(([4, 4, 4], [5, 5, 5], [3, 3, 3], [4, 4, 4], [4, 4, 4])):
            db.session.execute(sa.text(
                f'INSERT INTO "{s}".survey_response (id, kind, model, version_id, answered_on, '
                "scores, mean_score) VALUES (gen_random_uuid(), 'apres-seance', 'binomes', :v, "
                ":d, CAST(:sc AS jsonb), :m)"),
                {"v": vid, "d": "2025-06-01", "sc": str(scores), "m": sum(scores) / 3})
        # Four answers of another kind: hidden.
        vid2 = db.session.execute(sa.text(
            f"SELECT id FROM \"{s}\".survey_version WHERE kind = 'fin-accompagnement'")).scalar()
        for _ in range(4):
            db.session.execute(sa.text(
                f'INSERT INTO "{s}".survey_response (id, kind, version_id, answered_on, scores, '
                "mean_score) VALUES (gen_random_uuid(), 'fin-accompagnement', :v, '2025-06-01', "
                "'[1,1,1]', 1)"), {"v": vid2})
        db.session.commit()
        db.session.remove()
    client = app.test_client()
    login(client, referent)
    return ref, client


PERIOD = "debut=2025-01-01&fin=2025-12-31"


def test_dashboard_numbers(app, known):
    ref, client = known
    response = client.get(f"/e/{ref.slug}/programme/tableau-de-bord?{PERIOD}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    from server.programme import dashboard
    from plugins.base import Period
    from tenants import tenant_context
    with app.app_context(), tenant_context(ref.slug):
        board = dashboard.compute(Period(date(2025, 1, 1), date(2025, 12, 31)))
        app.extensions["sqlalchemy"].session.remove()
    roles = dict(board.people_by_role)
    assert roles["Pair-aidé ou pair-aidée"] == 3 and roles["Pair-aidant ou pair-aidante"] == 1
    binomes = {i.key: i for s in board.sections for i in s.indicators}
    assert binomes["binomes.meetings"].value == 3
    assert dict(binomes["binomes.meetings"].breakdown) == {"En présentiel": 2, "Par téléphone": 1}
    assert binomes["binomes.meeting_hours"].value == 3.0
    # Mission from 1 July: 184 days ≈ 6,0 months × 10 h.
    assert board.helpers == [("Alex Pair", 10.0, 6.0, 60.0)]
    assert board.planned_hours == 60.0 and board.reported_hours == 3.0
    sat = {s["kind"]: s for s in board.satisfaction}
    assert sat["apres-seance"]["count"] == 5 and sat["apres-seance"]["mean"] == 4.0
    assert sat["fin-accompagnement"]["count"] == 4 and sat["fin-accompagnement"]["mean"] is None
    # The page: charts with their summary and table, no script.
    assert page.count("<svg role=\"img\"") >= 3
    assert "Rencontres tenues" in page and "<caption>" in page
    assert "<script" not in page.split("<main", 1)[1]
    assert "Alex Pair" in page and "60" in page


def test_csv(app, known):
    ref, client = known
    response = client.get(f"/e/{ref.slug}/programme/tableau-de-bord.csv?{PERIOD}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0] == "Rubrique;Indicateur;Détail;Valeur;Unité"
    assert "Binômes;Rencontres tenues;;3;nombre" in lines
    assert "Binômes;Rencontres tenues;En présentiel;2;nombre" in lines
    assert "Binômes;Heures de rencontre;;3;heures" in lines
    assert "Temps des pair-aidants;Alex Pair;heures prévues sur la période;60;heures" in lines
    assert "Satisfaction;Après une séance;note moyenne;4;note sur 5" in lines
    assert ("Satisfaction;À la fin d'un accompagnement;note moyenne;pas assez de réponses pour "
            "préserver l'anonymat;note sur 5") in lines


@pytest.mark.parametrize("query,message", [
    ("debut=2025-12-31&fin=2025-01-01",
     "La date de fin doit être égale ou postérieure à la date de début."),
    ("debut=2025-02-30", "La date de début doit être une date réelle au format AAAA-MM-JJ"),
    ("fin=demain", "La date de fin doit être une date réelle au format AAAA-MM-JJ"),
    ("debut=2000-01-01&fin=2025-01-01", "La période doit durer dix ans au plus."),
])
def test_period_validation(app, known, query, message):
    ref, client = known
    page = client.get(f"/e/{ref.slug}/programme/tableau-de-bord?{query}")
    assert page.status_code == 400
    assert message in page.get_data(as_text=True)
    csv = client.get(f"/e/{ref.slug}/programme/tableau-de-bord.csv?{query}")
    assert csv.status_code == 400 and message in csv.get_data(as_text=True)


def test_default_period_is_last_12_months(app, known):
    ref, client = known
    page = client.get(f"/e/{ref.slug}/programme/tableau-de-bord").get_data(as_text=True)
    from server.programme.dashboard import default_period
    p = default_period()
    assert (p.end - p.start).days in (364, 365)
    assert "Période affichée" in page


@pytest.mark.parametrize("role", ["pair-aidant", "pair-aide", "membre"])
def test_non_referents_403(app, known, role):
    ref, _ = known
    person = create_user(app, employer=ref, role=role)
    client = app.test_client()
    login(client, person)
    assert client.get(f"/e/{ref.slug}/programme/tableau-de-bord").status_code == 403
    assert client.get(f"/e/{ref.slug}/programme/tableau-de-bord.csv").status_code == 403


def test_other_employers_404(app, known):
    ref, _ = known
    other = create_employer(app)
    person = create_user(app, employer=other, role="referent")
    client = app.test_client()
    login(client, person)
    assert client.get(f"/e/{ref.slug}/programme/tableau-de-bord").status_code == 404
    assert client.get(f"/e/{ref.slug}/programme/tableau-de-bord.csv").status_code == 404
