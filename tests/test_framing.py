"""The framing sheet ("Fiche outil #1 — Définition du cadre du projet"): limits, versions,
validation, print view, two référents at once, who may see it."""
from __future__ import annotations

import html

import pytest

from tests.fixtures.app import csrf_token
from tests.fixtures.factories import count_rows, create_employer, create_user, login
from tests.fixtures.snapshots import employer_state


@pytest.fixture
def referent(app, client, employer):
    person = create_user(app, employer=employer, role="referent")
    login(client, person)
    return person


def cadre(employer, rest: str = "") -> str:
    return f"/e/{employer.slug}/programme/cadre{rest}"


def sheet(base: int, **fields) -> dict:
    data = {"base_version": str(base), "problems": [], "positives": [], "objectives": "",
            "expected_results": "", "policy_link": ""}
    data.update(fields)
    return data


def save(client, employer, data):
    return client.post(cadre(employer), data={"csrf_token": csrf_token(client, cadre(employer)),
                                              **data})


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_a_saved_sheet_becomes_a_draft_version_and_shows_in_the_form(app, client, employer,
                                                                    referent):
    response = save(client, employer, sheet(
        0, problems=["Isolement des agents en arrêt long", "", "Retours au travail difficiles"],
        positives=["Un réseau de référents actif"], objectives="Rompre l'isolement.",
        policy_link="Axe 3 de la convention FIPHFP."))
    assert response.status_code == 302
    page = text(client.get(cadre(employer)))
    assert "version 1" in page and "brouillon" in page
    # Blank items are dropped, the order is kept.
    assert page.index("Isolement des agents") < page.index("Retours au travail difficiles")
    assert 'name="base_version" value="1"' in page
    assert count_rows(app, employer.schema, "framing_version") == 1


def test_six_problems_are_refused_with_a_french_message_and_nothing_is_saved(
        app, client, employer, referent):
    before = employer_state(app, employer)
    problems = [f"Problématique numéro {i}" for i in range(1, 7)]
    response = save(client, employer, sheet(0, problems=problems, objectives="Gardé"))
    assert response.status_code == 400
    page = text(response)
    assert "Indiquez 5 problématiques au plus : vous en avez saisi 6." in page
    # Everything typed comes back, the sixth item included.
    assert all(p in page for p in problems) and "Gardé" in page
    assert employer_state(app, employer) == before


def test_nine_positive_elements_are_refused(app, client, employer, referent):
    response = save(client, employer, sheet(0, positives=[f"Atout {i}" for i in range(9)]))
    assert response.status_code == 400
    assert "Indiquez 8 éléments positifs au plus : vous en avez saisi 9." in text(response)
    assert count_rows(app, employer.schema, "framing_version") == 0


def test_eight_positives_and_five_problems_are_accepted(app, client, employer, referent):
    response = save(client, employer, sheet(0, problems=[f"P{i}" for i in range(5)],
                                            positives=[f"E{i}" for i in range(8)]))
    assert response.status_code == 302


@pytest.mark.parametrize("field, value, message", [
    ("problems", ["x" * 301], ("La problématique 1 doit faire 300 caractères au plus "
                              "(elle en fait 301).")),
    ("positives", ["ok", "y" * 350], ("L'élément positif 2 doit faire 300 caractères au plus "
                                     "(il en fait 350).")),
    ("objectives", "o" * 3001, ("Le texte des objectifs doit faire 3000 caractères au plus "
                               "(le texte saisi en fait 3001).")),
    ("expected_results", "r" * 3001, "Le texte des résultats attendus doit faire 3000"),
    ("policy_link", "p" * 3500, "Le texte du lien avec la politique handicap doit faire 3000"),
])
def test_texts_over_their_limit_are_refused_and_kept(app, client, employer, referent, field,
                                                     value, message):
    response = save(client, employer, sheet(0, **{field: value}))
    assert response.status_code == 400
    page = text(response)
    assert message in page
    assert "Il y a un problème" in page and "<title>Erreur :" in page
    kept = value[-1] if isinstance(value, list) else value
    assert kept in page
    assert count_rows(app, employer.schema, "framing_version") == 0


def test_every_save_keeps_the_previous_versions_in_the_history(app, client, employer,
                                                              referent):
    save(client, employer, sheet(0, objectives="Première idée"))
    save(client, employer, sheet(1, objectives="Deuxième idée"))
    save(client, employer, sheet(2, objectives="Troisième idée"))
    history = text(client.get(cadre(employer, "/versions")))
    assert all(f"Version {n}" in history for n in (1, 2, 3))
    assert referent.display_name in history
    first = text(client.get(cadre(employer, "/versions/1")))
    assert "Première idée" in first and "Troisième idée" not in first
    assert "Ce n'est pas la dernière version" in first
    assert client.get(cadre(employer, "/versions/9")).status_code == 404


def test_saving_an_unchanged_sheet_adds_no_version(app, client, employer, referent):
    save(client, employer, sheet(0, objectives="Stable"))
    response = save(client, employer, sheet(1, objectives="Stable"))
    assert response.status_code == 302
    assert "aucune nouvelle version" in text(client.get(cadre(employer)))
    assert count_rows(app, employer.schema, "framing_version") == 1


def test_one_version_is_validated_and_validating_another_replaces_it(app, client, employer,
                                                                    referent):
    save(client, employer, sheet(0, objectives="A"))
    save(client, employer, sheet(1, objectives="B"))
    path = cadre(employer, "/versions/1")
    response = client.post(path, data={"csrf_token": csrf_token(client, path)})
    assert response.status_code == 302
    page = text(client.get(path))
    assert "La version 1 de la fiche est validée." in page
    assert "Valider la version 1" not in page  # nothing left to do on it
    overview = text(client.get(f"/e/{employer.slug}/programme/"))
    assert "la version 1 est validée" in overview

    path2 = cadre(employer, "/versions/2")
    client.post(path2, data={"csrf_token": csrf_token(client, path2)})
    assert "Elle remplace la version 1" in text(client.get(path2))
    history = text(client.get(cadre(employer, "/versions")))
    assert history.count("validée le") == 1
    assert "<strong>validée</strong> (version 2)" in text(
        client.get(f"/e/{employer.slug}/programme/"))


def test_validating_needs_the_csrf_token(app, client, employer, referent):
    save(client, employer, sheet(0, objectives="A"))
    before = employer_state(app, employer)
    assert client.post(cadre(employer, "/versions/1")).status_code == 400
    assert employer_state(app, employer) == before


def test_the_print_view_shows_the_validated_version_or_the_one_asked(app, client, employer,
                                                                     referent):
    empty = text(client.get(cadre(employer, "/imprimer")))
    assert "pas encore été enregistrée" in empty
    save(client, employer, sheet(0, problems=["Problème validé"]))
    save(client, employer, sheet(1, problems=["Problème en brouillon"]))
    path = cadre(employer, "/versions/1")
    client.post(path, data={"csrf_token": csrf_token(client, path)})
    printed = client.get(cadre(employer, "/imprimer"))
    assert printed.status_code == 200
    page = text(printed)
    assert "Problème validé" in page and "Problème en brouillon" not in page
    assert 'class="sheet"' in page and "css/print.css" in page and 'media="print"' in page
    assert "Problème en brouillon" in text(client.get(cadre(employer, "/imprimer?version=2")))
    assert client.get(cadre(employer, "/imprimer?version=7")).status_code == 404


def test_a_second_referent_saving_on_a_stale_version_gets_409_and_keeps_their_text(
        app, client, employer, referent):
    other = create_user(app, employer=employer, role="referent")
    colleague = app.test_client()
    login(colleague, other)
    # Both open the sheet at version 0; the colleague saves first.
    mine_token = csrf_token(client, cadre(employer))
    save(colleague, employer, sheet(0, objectives="Texte de la collègue"))
    before = employer_state(app, employer)
    response = client.post(cadre(employer), data={"csrf_token": mine_token, **sheet(
        0, objectives="Mon texte à ne pas perdre", problems=["Mon problème"])})
    assert response.status_code == 409
    page = text(response)
    assert "Une autre personne a enregistré la version 1" in page
    assert "Mon texte à ne pas perdre" in page and "Mon problème" in page
    assert employer_state(app, employer) == before
    # Having seen it, the person saves again: their text becomes version 2.
    assert 'name="base_version" value="1"' in page
    again = save(client, employer, sheet(1, objectives="Mon texte à ne pas perdre"))
    assert again.status_code == 302
    assert count_rows(app, employer.schema, "framing_version") == 2


def test_a_refused_form_keeps_the_version_it_was_opened_on(app, client, employer, referent):
    save(client, employer, sheet(0, objectives="v1"))
    refused = save(client, employer, sheet(1, objectives="x" * 3001))
    assert 'name="base_version" value="1"' in text(refused)


@pytest.mark.parametrize("role", ["pair-aidant", "pair-aide", "membre"])
@pytest.mark.parametrize("rest", ["", "/versions", "/versions/1", "/imprimer"])
def test_only_referents_see_the_framing_pages(app, client, employer, role, rest):
    login(client, create_user(app, employer=employer, role=role))
    assert client.get(cadre(employer, rest)).status_code == 403


def test_only_referents_may_save_or_validate(app, client, employer):
    login(client, create_user(app, employer=employer, role="pair-aidant"))
    token = csrf_token(client, f"/e/{employer.slug}/")
    before = employer_state(app, employer)
    assert client.post(cadre(employer), data={"csrf_token": token, **sheet(
        0, objectives="Intrus")}).status_code == 403
    assert client.post(cadre(employer, "/versions/1"),
                       data={"csrf_token": token}).status_code == 403
    assert employer_state(app, employer) == before


def test_another_employers_sheet_is_a_404(app, client, employer, referent):
    other = create_employer(app)
    for rest in ("", "/versions", "/imprimer"):
        assert client.get(cadre(other, rest)).status_code == 404
    assert client.get(f"/e/{other.slug}/programme/").status_code == 404


def test_the_overview_and_nav_lead_referents_to_their_workspace(app, client, employer,
                                                                referent):
    page = text(client.get(f"/e/{employer.slug}/programme/"))
    assert "<strong>non commencée</strong>" in page and "<strong>0 retenu</strong>" in page
    for link in ("/programme/cadre", "/programme/modeles", "/programme/pair-aidants"):
        assert f'href="/e/{employer.slug}{link}"' in page
    home = text(client.get(f"/e/{employer.slug}/"))
    assert f'href="/e/{employer.slug}/programme/">Programme</a>' in home


def test_members_see_no_programme_link(app, client, employer):
    login(client, create_user(app, employer=employer, role="membre"))
    assert ">Programme</a>" not in text(client.get(f"/e/{employer.slug}/"))
    assert client.get(f"/e/{employer.slug}/programme/").status_code == 403
