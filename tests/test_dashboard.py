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
    # Mission from 1 July: 184 days of 30,44 ≈ 6,0 months × 10 h; the meetings were before it
    # started but inside the period, so they count.
    (alex,) = board.helpers
    assert (alex.name, alex.hours_per_month, alex.months, alex.planned) == (
        "Alex Pair", 10.0, 6.0, 60.5)
    assert alex.by_activity == {"Rencontres de binôme": 3.0} and alex.ratio == 5
    assert board.planned_hours == 60.5 and board.spent_hours == 3.0
    sat = {s["kind"]: s for s in board.satisfaction}
    assert sat["apres-seance"]["count"] == 5 and sat["apres-seance"]["mean"] == 4.0
    assert sat["fin-accompagnement"]["count"] == 4 and sat["fin-accompagnement"]["mean"] is None
    # The page: charts with their summary and table, no script.
    assert page.count("<svg role=\"img\"") >= 3
    assert "Rencontres tenues" in page and "<caption>" in page
    assert "<script" not in page.split("<main", 1)[1]
    assert "Alex Pair" in page and "60,5" in page


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
    assert ("Temps consacré par les pair-aidants;Alex Pair;heures prévues sur la période;60,5;"
            "heures") in lines
    assert ("Temps consacré par les pair-aidants;Alex Pair;Rencontres de binôme;3;heures"
            in lines)
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


# --- time spent by pair-aidants against their mission sheets ----------------------------------

HALF = "debut=2025-07-01&fin=2025-12-31"


def _at(day: str, hour: int = 10):
    from datetime import datetime, timezone
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def timed(app):
    """An employer running the four models, with real rows in each: Alex's mission covers 2025
    and the period tested (second half of 2025) cuts it in half; Bea's starts on 1 October;
    Chris runs a binôme without any peer-helper record; Dora is external (no activity)."""
    from datetime import timedelta

    from plugins.binomes.models import Binome, Meeting
    from plugins.groupes.models import Groupe, Seance
    from plugins.interventions.models import Intervention
    from plugins.permanences.models import Slot
    from server.employers.models import Profile
    from server.programme.choices import configure
    from server.programme.models import PeerHelper
    from tenants import tenant_context

    ref = create_employer(app)
    referent = create_user(app, employer=ref, role="referent")
    alex = create_user(app, employer=ref, role="pair-aidant", name="Alex Temps")
    bea = create_user(app, employer=ref, role="pair-aidant", name="Bea Temps")
    chris = create_user(app, employer=ref, role="pair-aidant", name="Chris Temps")
    seeker = create_user(app, employer=ref, role="pair-aide")
    db = app.extensions["sqlalchemy"]
    with app.app_context(), tenant_context(ref.slug):
        for name in ("binomes", "groupes", "permanences", "interventions"):
            configure(name, enabled=True)
        pid = {u: db.session.execute(sa.select(Profile.id).where(
            Profile.user_id == u.id)).scalar_one() for u in (alex, bea, chris, seeker)}
        a, b, c = pid[alex], pid[bea], pid[chris]
        peers = [PeerHelper(kind="internal", profile_id=a, decision="selected",
                            hours_per_month=10, mission_start=date(2025, 1, 1),
                            mission_end=date(2025, 12, 31)),
                 PeerHelper(kind="internal", profile_id=b, decision="selected",
                            hours_per_month=8, mission_start=date(2025, 10, 1)),
                 PeerHelper(kind="external", name="Dora Externe", decision="selected",
                            hours_per_month=4)]
        db.session.add_all(peers)
        # Binômes: the meetings count for the pair-aidant of the binôme.
        for helper, meetings in ((a, (("2025-06-15", 60), ("2025-07-10", 90),
                                      ("2025-08-01", 30))),
                                 (c, (("2025-07-20", 45),))):
            binome = Binome(helper_id=helper, seeker_id=pid[seeker], status="active",
                            helper_answer="accepted", seeker_answer="accepted")
            db.session.add(binome)
            db.session.flush()
            for day, minutes in meetings:
                db.session.add(Meeting(binome_id=binome.id, held_on=date.fromisoformat(day),
                                       duration_minutes=minutes, format="En présentiel",
                                       logged_by=helper))
        # Groupes: only sessions held (attendance taken, not cancelled) count.
        groupe = Groupe(title="Groupe du jeudi", theme="Retour au travail", facilitator_id=a,
                        recurrence="weekly", duration_minutes=90, capacity=8)
        db.session.add(groupe)
        db.session.flush()
        for day, cancelled, taken in (("2025-09-01", False, True), ("2025-09-08", True, False),
                                      ("2025-09-15", False, False)):
            db.session.add(Seance(groupe_id=groupe.id, starts_at=_at(day),
                                  ends_at=_at(day) + timedelta(minutes=90), cancelled=cancelled,
                                  attendance_taken_at=_at(day, 12) if taken else None))
        # Permanences: slots held, booked or not; a cancelled slot does not count.
        db.session.add_all([
            Slot(helper_id=a, starts_at=_at("2025-10-01"), duration_minutes=45, mode="place"),
            Slot(helper_id=a, starts_at=_at("2025-10-08"), duration_minutes=45, mode="place",
                 cancelled_at=_at("2025-10-01")),
            Slot(helper_id=b, starts_at=_at("2025-10-15"), duration_minutes=60, mode="place")])
        # Interventions: held ones, by kind; accepted but not held, or outside: no.
        for kind, day, status, minutes in (("sensibilisation", "2025-11-05", "held", 120),
                                           ("comite", "2025-11-20", "held", 60),
                                           ("comite", "2025-11-25", "accepted", None),
                                           ("sensibilisation", "2025-05-05", "held", 300)):
            db.session.add(Intervention(kind=kind, title="Intervention", starts_at=_at(day),
                                        planned_minutes=90, helper_id=a, status=status,
                                        minutes_spent=minutes))
        db.session.commit()
        peer_ids = {p.name or p.profile_id: p.id for p in peers}
        db.session.remove()
    return {"ref": ref, "referent": referent, "alex": alex, "bea": bea, "chris": chris,
            "seeker": seeker, "peer_ids": peer_ids, "profiles": pid}


def _client(app, person):
    client = app.test_client()
    login(client, person)
    return client


def test_each_model_reports_the_time_spent_and_the_mission_is_prorated(app, timed):
    from plugins.base import Period
    from server.programme import dashboard
    from tenants import tenant_context

    with app.app_context(), tenant_context(timed["ref"].slug):
        board = dashboard.compute(Period(date(2025, 7, 1), date(2025, 12, 31)))
        app.extensions["sqlalchemy"].session.remove()
    by_name = {h.name: h for h in board.helpers}
    others = "Sans fiche de mission retenue (1 personne)"
    assert list(by_name) == ["Alex Temps", "Bea Temps", "Dora Externe", others]
    alex = by_name["Alex Temps"]
    assert alex.by_activity == {
        "Rencontres de binôme": 2.0,           # 90 + 30 min; June is outside the period
        "Séances de groupe animées": 1.5,      # one session held of three
        "Permanences tenues": 0.75,            # the cancelled slot does not count
        "Séances de sensibilisation": 2.0,     # May is outside the period
        "Comités de maintien dans l'emploi": 1.0}  # the accepted one was not held
    assert alex.spent == 7.25
    # The period cuts Alex's 2025 mission in half: 184 of its 365 days.
    assert alex.mission_days == 184 and alex.planned == round(10 * 184 / dashboard.MONTH_DAYS, 1)
    assert alex.planned == 60.5 and alex.ratio == 12
    # Bea's mission starts on 1 October: 92 days of the period.
    bea = by_name["Bea Temps"]
    assert bea.mission_days == 92 and bea.planned == 24.2
    assert bea.by_activity == {"Permanences tenues": 1.0} and bea.ratio == 4
    # Chris has time but no peer-helper record: summed in the last row, nothing planned.
    chris = by_name[others]
    assert chris.others == 1 and chris.planned is None and chris.ratio is None
    assert chris.by_activity == {"Rencontres de binôme": 0.75}
    # Dora (external, no dates): the whole period planned, no activity.
    dora = by_name["Dora Externe"]
    assert dora.spent == 0 and dora.planned == 24.2 and dora.ratio == 0
    assert board.spent_hours == 9.0 and board.planned_hours == 108.9
    # The first half of 2025: Alex's May intervention and June meeting, nothing for Bea.
    with app.app_context(), tenant_context(timed["ref"].slug):
        first = {h.name: h for h in dashboard.helper_times(
            Period(date(2025, 1, 1), date(2025, 6, 30)))}
        app.extensions["sqlalchemy"].session.remove()
    assert first["Alex Temps"].by_activity == {"Rencontres de binôme": 1.0,
                                               "Séances de sensibilisation": 5.0}
    assert first["Alex Temps"].mission_days == 181
    assert first["Bea Temps"].mission_days == 0 and first["Bea Temps"].planned == 0
    assert first["Bea Temps"].ratio is None


def test_dashboard_section_chart_table_and_csv(app, timed):
    client = _client(app, timed["referent"])
    slug = timed["ref"].slug
    page = client.get(f"/e/{slug}/programme/tableau-de-bord?{HALF}").get_data(as_text=True)
    section = page.split('id="t-temps"', 1)[1].split("</section>", 1)[0]
    assert "Temps consacré par les pair-aidants" in section
    assert '<svg role="img"' in section and "données du graphique" in section
    assert "Heures consacrées par activité et heures prévues, par pair-aidant" in section
    assert "Alex Temps : 7,25 h consacrées sur 60,5 h prévues, soit 12 %" in section
    assert "Sans fiche de mission retenue (1 personne) : 0,75 h consacrées, rien de prévu" in (
        section)
    assert "Chris Temps" not in section
    assert "1 personne a consacré du temps aux activités du programme sans fiche" in section
    assert "Séances de groupe animées (heures)" in section
    lines = client.get(f"/e/{slug}/programme/tableau-de-bord.csv?{HALF}").get_data(
        as_text=True).splitlines()
    head = "Temps consacré par les pair-aidants;Alex Temps;"
    assert head + "Permanences tenues;0,75;heures" in lines
    assert head + "heures consacrées sur la période;7,25;heures" in lines
    assert head + "heures prévues sur la période;60,5;heures" in lines
    assert head + "part du temps prévu;12;%" in lines
    assert ("Temps consacré par les pair-aidants;Sans fiche de mission retenue (1 personne);"
            "heures prévues sur la période;pas de fiche;heures") in lines
    assert "Temps consacré par les pair-aidants;Total consacré;;9;heures" in lines


def test_peer_helper_page_shows_their_time_to_referents(app, timed):
    client = _client(app, timed["referent"])
    slug = timed["ref"].slug
    url = f"/e/{slug}/programme/pair-aidants/{timed['peer_ids'][timed['profiles'][timed['alex']]]}"
    page = client.get(f"{url}?{HALF}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Heures consacrées : <strong>7,25</strong>" in body
    assert "Heures prévues par la fiche de mission : <strong>60,5</strong>" in body
    assert "12 % du temps prévu" in body
    bad = client.get(f"{url}?debut=2025-13-01")
    assert bad.status_code == 400
    assert "La date de début doit être une date réelle" in bad.get_data(as_text=True)


def test_a_pair_aidant_sees_their_own_time_only(app, timed):
    slug = timed["ref"].slug
    bea = _client(app, timed["bea"])
    body = bea.get(f"/e/{slug}/programme/mon-temps?{HALF}").get_data(as_text=True)
    assert "Heures consacrées : <strong>1</strong>" in body
    assert "Heures prévues par votre fiche de mission : <strong>24,2</strong>" in body
    assert "Permanences tenues" in body and "soit 4 % du temps prévu" in body
    assert "Alex Temps" not in body and "7,25" not in body
    # The agenda leads there.
    assert f"/e/{slug}/programme/mon-temps" in bea.get(f"/e/{slug}/agenda").get_data(as_text=True)
    # Nobody else's page, nor the dashboard.
    alex_peer = timed["peer_ids"][timed["profiles"][timed["alex"]]]
    assert bea.get(f"/e/{slug}/programme/pair-aidants/{alex_peer}").status_code == 403
    assert bea.get(f"/e/{slug}/programme/tableau-de-bord").status_code == 403
    # Without a peer-helper record: their own time, and no planned hours.
    chris = _client(app, timed["chris"]).get(f"/e/{slug}/programme/mon-temps?{HALF}")
    text = chris.get_data(as_text=True)
    assert chris.status_code == 200 and "Heures consacrées : <strong>0,75</strong>" in text
    assert "Votre fiche de mission n'est pas encore remplie" in text
    bad = bea.get(f"/e/{slug}/programme/mon-temps?fin=hier")
    assert bad.status_code == 400 and "La date de fin doit être une date réelle" in bad.get_data(
        as_text=True)


@pytest.mark.parametrize("role", ["pair-aide", "membre", "referent"])
def test_my_time_is_for_pair_aidants(app, timed, role):
    person = create_user(app, employer=timed["ref"], role=role)
    client = _client(app, person)
    assert client.get(f"/e/{timed['ref'].slug}/programme/mon-temps").status_code == 403


def test_my_time_of_another_employer_is_404(app, timed):
    other = create_employer(app)
    person = create_user(app, employer=other, role="pair-aidant")
    client = _client(app, person)
    assert client.get(f"/e/{timed['ref'].slug}/programme/mon-temps").status_code == 404
