"""Peer helpers: internal or external candidates, the selection criteria and the decision, the
mission sheet and its dates, training and supervision, stale edits, who may see them."""
from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa

from tests.fixtures.app import csrf_token
from tests.fixtures.factories import count_rows, create_employer, create_user, login
from tests.fixtures.snapshots import employer_state

CRITERIA = ("experience", "recul", "motivation", "relationnel", "ecoute", "disponibilite",
            "formation")


@pytest.fixture
def referent(app, client, employer):
    person = create_user(app, employer=employer, role="referent")
    login(client, person)
    return person


def base(employer) -> str:
    return f"/e/{employer.slug}/programme/pair-aidants"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def post(client, path, **data):
    return client.post(path, data={"csrf_token": csrf_token(client, path), **data})


def add_external(client, employer, name="Sam Extérieur", organisation="Association Pairs"):
    response = post(client, base(employer) + "/nouveau", kind="external", name=name,
                    organisation=organisation)
    assert response.status_code == 302, text(response)[:2000]
    return int(re.search(r"/pair-aidants/(\d+)$", response.headers["Location"]).group(1))


def profile_id(app, employer, person) -> int:
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        return db.session.execute(sa.text(
            f'SELECT id FROM "{employer.schema}".profile WHERE user_id = :u'),
            {"u": person.id}).scalar_one()


def version_of(client, path) -> str:
    return re.search(r'name="version" value="(\d+)"', client.get(path).get_data(as_text=True)
                     ).group(1)


def criteria_data(version, decision="candidate", **overrides) -> dict:
    data = {"version": version, "decision": decision}
    for key in CRITERIA:
        data[f"critere_{key}"] = "not_assessed"
        data[f"commentaire_{key}"] = ""
    data.update(overrides)
    return data


# --- candidates ------------------------------------------------------------------------------

def test_an_external_peer_helper_needs_no_account(app, client, employer, referent):
    accounts_before = count_rows(app, "network", "account")
    peer = add_external(client, employer)
    page = text(client.get(f"{base(employer)}/{peer}"))
    assert "Sam Extérieur" in page and "Association Pairs" in page
    assert "Candidature à l'étude" in page
    assert count_rows(app, "network", "account") == accounts_before
    listing = text(client.get(base(employer)))
    assert "Sam Extérieur" in listing and "Externe (Association Pairs)" in listing


def test_an_internal_peer_helper_is_a_member_of_the_space(app, client, employer, referent):
    member = create_user(app, employer=employer, role="pair-aidant", name="Inès Interne")
    pid = profile_id(app, employer, member)
    form = text(client.get(base(employer) + "/nouveau"))
    assert "Inès Interne" in form
    response = post(client, base(employer) + "/nouveau", kind="internal", profile_id=str(pid))
    assert response.status_code == 302
    assert "Inès Interne" in text(client.get(response.headers["Location"]))
    # Once a candidate, the member is no longer offered.
    assert "Inès Interne" not in text(client.get(base(employer) + "/nouveau"))


def test_only_a_member_offered_in_the_list_can_be_chosen(app, client, employer, referent):
    member = create_user(app, employer=employer, role="pair-aidant")
    pid = profile_id(app, employer, member)
    assert post(client, base(employer) + "/nouveau", kind="internal",
                profile_id=str(pid)).status_code == 302
    before = employer_state(app, employer)
    # Neither someone already candidate, nor an id that is no member of this space.
    for wrong in (str(pid), "999999", "abc"):
        response = post(client, base(employer) + "/nouveau", kind="internal",
                        profile_id=wrong)
        assert response.status_code == 400
        assert "Choisissez le membre de votre espace qui est candidat." in text(response)
    assert employer_state(app, employer) == before


@pytest.mark.parametrize("data, message", [
    ({}, "Choisissez un pair-aidant interne ou externe."),
    ({"kind": "external", "organisation": "Asso"}, "Saisissez le nom du pair-aidant externe."),
    ({"kind": "external", "name": "n" * 121}, "Le nom doit faire 120 caractères au plus"),
    ({"kind": "internal"}, "Choisissez le membre de votre espace qui est candidat."),
])
def test_incomplete_candidates_are_refused_with_values_kept(app, client, employer, referent,
                                                           data, message):
    before = employer_state(app, employer)
    response = post(client, base(employer) + "/nouveau", **data)
    assert response.status_code == 400
    page = text(response)
    assert message in page
    if "organisation" in data:
        assert 'value="Asso"' in page
    assert employer_state(app, employer) == before


# --- selection criteria and decision -----------------------------------------------------------

def test_the_criteria_checklist_lists_the_seeds_criteria_and_records_each_assessment(
        app, client, employer, referent):
    peer = add_external(client, employer)
    path = f"{base(employer)}/{peer}/criteres"
    page = text(client.get(path))
    for label in ("Expérience vécue", "Capacité de recul", "Motivation à transmettre",
                  "Compétences relationnelles", "Écoute", "Disponibilité",
                  "Formation éventuelle"):
        assert label in page
    for choice in ("Rempli", "En partie", "Non rempli", "Non évalué"):
        assert choice in page
    assert "référents de votre espace seulement" in page  # who sees it
    response = post(client, path, **criteria_data(
        version_of(client, path), decision="selected", critere_experience="met",
        commentaire_experience="Retour au travail réussi il y a trois ans.",
        critere_recul="partly", critere_disponibilite="not_met"))
    assert response.status_code == 302
    summary = text(client.get(f"{base(employer)}/{peer}"))
    assert "Retour au travail réussi il y a trois ans." in summary
    assert "Décision : <strong>Retenu</strong>" in summary
    assert count_rows(app, employer.schema, "peer_helper_criterion") == 7
    overview = text(client.get(f"/e/{employer.slug}/programme/"))
    assert "<strong>1 retenu</strong>" in overview


def test_an_unknown_assessment_or_decision_is_refused_and_nothing_written(
        app, client, employer, referent):
    peer = add_external(client, employer)
    path = f"{base(employer)}/{peer}/criteres"
    before = employer_state(app, employer)
    response = post(client, path, **criteria_data(
        version_of(client, path), decision="peut-etre", critere_ecoute="excellent",
        commentaire_motivation="Motivé", commentaire_recul="c" * 1001))
    assert response.status_code == 400
    page = text(response)
    assert "Choisissez une décision." in page
    assert "Choisissez une évaluation pour « Écoute »." in page
    assert "Le commentaire « Capacité de recul » doit faire 1000 caractères au plus" in page
    assert "Motivé" in page
    assert employer_state(app, employer) == before


def test_a_stale_criteria_form_gets_409_and_keeps_the_input(app, client, employer, referent):
    peer = add_external(client, employer)
    path = f"{base(employer)}/{peer}/criteres"
    opened = version_of(client, path)
    post(client, path, **criteria_data(opened, decision="not_selected"))
    before = employer_state(app, employer)
    response = post(client, path, **criteria_data(
        opened, decision="selected", commentaire_ecoute="Écoute remarquable"))
    assert response.status_code == 409
    page = text(response)
    assert "Une autre personne a modifié ce pair-aidant" in page
    assert "Écoute remarquable" in page
    assert employer_state(app, employer) == before


# --- mission sheet --------------------------------------------------------------------------

def test_the_mission_sheet_is_saved_and_printable(app, client, employer, referent):
    peer = add_external(client, employer)
    path = f"{base(employer)}/{peer}/mission"
    assert "Qui voit cette fiche" in text(client.get(path))
    response = post(client, path, version=version_of(client, path),
                    missions="Animer un binôme.\nIntervenir en comité de maintien.",
                    hours_per_month="2,5", mission_start="03/03/2026",
                    mission_end="2027-03-02")
    assert response.status_code == 302
    printed = client.get(path + "/imprimer")
    assert printed.status_code == 200
    page = text(printed)
    assert "Intervenir en comité de maintien." in page
    assert "2,5 heures par mois" in page
    assert "mardi 3 mars 2026" in page and "mardi 2 mars 2027" in page
    assert 'class="sheet"' in page
    # The form shows hours and dates the French way.
    form = text(client.get(path))
    assert 'value="2,5"' in form and 'value="03/03/2026"' in form


@pytest.mark.parametrize("start, end, message", [
    ("2026-05-01", "2026-04-30", "La fin de la mission doit être postérieure à son début."),
    ("2026-05-01", "2026-05-01", "La fin de la mission doit être postérieure à son début."),
    ("", "2026-05-01", "Saisissez aussi le début de la mission."),
    ("30/02/2026", "", "Saisissez une date valide au format jj/mm/aaaa"),
    ("demain", "", "Saisissez une date valide au format jj/mm/aaaa"),
])
def test_mission_dates_are_checked(app, client, employer, referent, start, end, message):
    peer = add_external(client, employer)
    path = f"{base(employer)}/{peer}/mission"
    before = employer_state(app, employer)
    response = post(client, path, version=version_of(client, path), missions="Gardée",
                    hours_per_month="4", mission_start=start, mission_end=end)
    assert response.status_code == 400
    page = text(response)
    assert message in page and "Gardée" in page
    assert employer_state(app, employer) == before


@pytest.mark.parametrize("hours, message", [
    ("0", "Le temps dédié doit être supérieur à 0 et au plus de 160 heures."),
    ("161", "Le temps dédié doit être supérieur à 0 et au plus de 160 heures."),
    ("beaucoup", "Saisissez un nombre, par exemple 4 ou 2,5."),
    ("2,55", "au dixième d'heure près"),
])
def test_mission_hours_are_checked(app, client, employer, referent, hours, message):
    peer = add_external(client, employer)
    path = f"{base(employer)}/{peer}/mission"
    response = post(client, path, version=version_of(client, path), hours_per_month=hours)
    assert response.status_code == 400
    assert message in text(response)


def test_a_stale_mission_form_gets_409_and_keeps_the_text(app, client, employer, referent):
    peer = add_external(client, employer)
    path = f"{base(employer)}/{peer}/mission"
    opened = version_of(client, path)
    post(client, path, version=opened, missions="Version de la collègue")
    response = post(client, path, version=opened, missions="Ma version détaillée")
    assert response.status_code == 409
    assert "Ma version détaillée" in text(response)
    assert "Version de la collègue" in text(client.get(f"{base(employer)}/{peer}"))


# --- training and supervision ------------------------------------------------------------------

def test_training_and_supervision_records_are_listed(app, client, employer, referent):
    peer = add_external(client, employer)
    path = f"{base(employer)}/{peer}/formations"
    assert "Aucune séance enregistrée" in text(client.get(path))
    for kind, title, day in [("formation", "Formation initiale à la pair-aidance", "2026-01-12"),
                             ("supervision", "Supervision mensuelle", "2026-02-09"),
                             ("pluridisciplinaire", "Réunion avec la santé au travail",
                              "2026-02-20")]:
        response = post(client, path, kind=kind, title=title, on_date=day, hours="1,5",
                        provider="CRPA")
        assert response.status_code == 302
    page = text(client.get(path))
    assert page.index("Réunion avec la santé au travail") < page.index("Formation initiale")
    assert "Travail pluridisciplinaire" in page and "1,5" in page
    assert count_rows(app, employer.schema, "peer_helper_training") == 3


def test_an_incomplete_training_record_is_refused(app, client, employer, referent):
    peer = add_external(client, employer)
    path = f"{base(employer)}/{peer}/formations"
    before = employer_state(app, employer)
    response = post(client, path, kind="sieste", title="", on_date="", hours="",
                    provider="Organisme gardé")
    assert response.status_code == 400
    page = text(response)
    for message in ("Choisissez le type : formation, supervision ou travail pluridisciplinaire.",
                    "Saisissez l'intitulé.", "Saisissez la date.",
                    "Saisissez la durée en heures."):
        assert message in page
    assert "Organisme gardé" in page
    assert employer_state(app, employer) == before


# --- who sees what --------------------------------------------------------------------------

PAGES = ("", "/nouveau", "/{id}", "/{id}/criteres", "/{id}/mission", "/{id}/mission/imprimer",
         "/{id}/formations")


@pytest.mark.parametrize("role", ["pair-aidant", "pair-aide", "membre"])
def test_only_referents_see_the_peer_helper_pages(app, client, employer, role):
    setup = app.test_client()
    login(setup, create_user(app, employer=employer, role="referent"))
    peer = add_external(setup, employer)
    login(client, create_user(app, employer=employer, role=role))
    for rest in PAGES:
        assert client.get(base(employer) + rest.format(id=peer)).status_code == 403, rest
    token = csrf_token(client, f"/e/{employer.slug}/")
    before = employer_state(app, employer)
    assert client.post(f"{base(employer)}/{peer}/mission", data={
        "csrf_token": token, "version": "1", "missions": "Intrus"}).status_code == 403
    assert employer_state(app, employer) == before


def test_another_employers_peer_helpers_are_a_404(app, client, employer, referent):
    other = create_employer(app)
    setup = app.test_client()
    login(setup, create_user(app, employer=other, role="referent"))
    theirs = add_external(setup, other)
    for rest in PAGES:
        assert client.get(base(other) + rest.format(id=theirs)).status_code == 404, rest
    # The same id in my own space (which has no peer helper) is not theirs.
    assert count_rows(app, employer.schema, "peer_helper") == 0
    assert client.get(f"{base(employer)}/{theirs}").status_code == 404


def test_an_unknown_peer_helper_is_a_404(app, client, employer, referent):
    for rest in PAGES[2:]:
        assert client.get(base(employer) + rest.format(id=999999)).status_code == 404, rest
