"""Best practices shared by employers: a référent writes an experience report, it is anonymised
by a background job, previewed and submitted; animateurs publish, ask for changes or refuse;
published practices live in the library with their context, comments and "utile" marks.
Nothing leaves the employer's schema before the anonymisation ran on the final text."""
from __future__ import annotations

import html
import json

import pytest
import sqlalchemy as sa

from tenants.context import schema_for
from tests.fixtures.app import csrf_token
from tests.fixtures.factories import (
    api_token, count_rows, create_employer, create_user, login, unique,
)
from tests.fixtures.mail import run_jobs

MEMBER = "Claire Vasseur"
PLANTED = {
    "member": "Claire Vasseur",
    "member_surname": "Vasseur",
    "email": "claire.vasseur@mairie-exemple.fr",
    "phone": "06 12 34 56 78",
    "nir": "2 84 05 75 115 423 54",
}
WHAT_WORKED = (
    "Nous avons formé six binômes en deux demi-journées, avec Claire Vasseur comme "
    "pair-aidante référente. Les pair-aidés pouvaient la joindre au 06 12 34 56 78 ou par "
    "courriel à claire.vasseur@mairie-exemple.fr. Les rencontres mensuelles ont bien tenu."
)
DIFFICULTIES = ("Un agent a donné son numéro de sécurité sociale 2 84 05 75 115 423 54 dans "
                "un formulaire, ce qui nous a appris à simplifier nos documents.")
ADVICE = "Commencez petit, avec des volontaires, et faites un bilan à trois mois."


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def client_for(app, person):
    client = app.test_client()
    login(client, person)
    return client


def post_form(client, path, data, page=None):
    token = csrf_token(client, page or path)
    return client.post(path, data={"csrf_token": token, **data})


def report_form(**over) -> dict:
    data = {"title": "Des binômes formés en deux demi-journées", "model": "binomes",
            "programme_since": "2021", "what_worked": WHAT_WORKED,
            "difficulties": DIFFICULTIES, "advice": ADVICE, "employer": "libelle"}
    data.update(over)
    return data


@pytest.fixture(scope="module")
def space(app):
    return create_employer(app, name=unique("Mairie de Lormont"))


@pytest.fixture(scope="module")
def other_space(app):
    return create_employer(app, sector="hospitaliere", size_band="1000-4999")


@pytest.fixture(scope="module")
def people(app, space, other_space):
    return {
        "author": create_user(app, employer=space, role="referent", name="Karim Benali"),
        "colleague": create_user(app, employer=space, role="referent"),
        "member": create_user(app, employer=space, role="pair-aidant", name=MEMBER),
        "membre": create_user(app, employer=space, role="membre"),
        "other_referent": create_user(app, employer=other_space, role="referent"),
        "animateur": create_user(app, network_roles=["animateur"]),
        "admin": create_user(app, network_roles=["admin"]),
    }


def write_report(app, space, person, **over) -> int:
    client = client_for(app, person)
    base = f"/e/{space.slug}/pratiques"
    response = post_form(client, f"{base}/nouveau", report_form(**over))
    assert response.status_code == 302, text(response)[:2000]
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def report_row(app, space, report_id: int) -> dict:
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        row = db.session.execute(sa.text(
            f'SELECT * FROM "{schema_for(space.slug)}".practice_report WHERE id = :id'),
            {"id": report_id}).mappings().one()
        return dict(row)


def shared_rows(app, space) -> list[dict]:
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        return [dict(r) for r in db.session.execute(sa.text(
            "SELECT s.* FROM network.shared_practice s JOIN network.tenant t "
            "ON t.id = s.tenant_id WHERE t.slug = :slug ORDER BY s.id"),
            {"slug": space.slug}).mappings()]


def submit(app, space, person, report_id: int, version=None):
    client = client_for(app, person)
    if version is None:
        version = report_row(app, space, report_id)["text_version"]
    page = f"/e/{space.slug}/pratiques/{report_id}"
    return post_form(client, f"{page}/soumettre", {"text_version": version}, page=page)


def written_and_submitted(app, space, people, **over) -> dict:
    rid = write_report(app, space, people["author"], **over)
    run_jobs(app)
    response = submit(app, space, people["author"], rid)
    assert response.status_code == 302, text(response)[:2000]
    shared = [r for r in shared_rows(app, space) if r["report_id"] == rid][0]
    return {"report_id": rid, "shared": shared}


def review(app, person, practice_id: int, action: str, message: str = "", version=None):
    client = client_for(app, person)
    page = f"/reseau/pratiques/{practice_id}"
    if version is None:
        with app.app_context():
            db = app.extensions["sqlalchemy"]
            version = db.session.execute(sa.text(
                "SELECT version FROM network.shared_practice WHERE id = :id"),
                {"id": practice_id}).scalar_one()
    return post_form(client, page, {"action": action, "message": message, "version": version},
                     page=page)


# --- writing, anonymising, submitting ------------------------------------------------------

def test_a_report_is_anonymised_by_a_job_and_only_its_anonymised_text_leaves(app, space, people):
    rid = write_report(app, space, people["author"])
    client = client_for(app, people["author"])
    page = f"/e/{space.slug}/pratiques/{rid}"

    # Before the job: the preview waits, and submitting is refused — nothing leaves.
    waiting = client.get(page)
    assert waiting.status_code == 200 and "anonymisation de la dernière version" in text(waiting)
    early = submit(app, space, people["author"], rid)
    assert early.status_code == 409
    assert "L'anonymisation n'a pas encore été faite" in text(early)
    assert [r for r in shared_rows(app, space) if r["report_id"] == rid] == []

    run_jobs(app)
    row = report_row(app, space, rid)
    assert row["anonymised_version"] == row["text_version"] == 1
    preview = text(client.get(page))
    assert '<mark class="anonymisation anonymisation-membre">' in preview
    assert "adresse électronique remplacé" in preview
    assert "[téléphone]" in preview and "[numéro de sécurité sociale]" in preview

    assert submit(app, space, people["author"], rid).status_code == 302
    (shared,) = [r for r in shared_rows(app, space) if r["report_id"] == rid]
    assert shared["status"] == "soumise"
    stored = json.dumps(shared, default=str, ensure_ascii=False)
    for value in PLANTED.values():
        assert value not in stored
    assert space.name not in stored  # the author chose the label
    assert shared["employer_display"].startswith("un employeur du secteur fonction publique")
    assert "[nom]" in shared["what_worked"] and "[courriel]" in shared["what_worked"]
    assert "Les rencontres mensuelles ont bien tenu." in shared["what_worked"]
    assert report_row(app, space, rid)["status"] == "soumis"


def test_the_author_may_show_the_employer_name(app, space, people):
    rid = write_report(app, space, people["author"], employer="nom",
                       advice=f"Chez {space.name}, nous recommençons chaque année.")
    run_jobs(app)
    assert submit(app, space, people["author"], rid).status_code == 302
    (shared,) = [r for r in shared_rows(app, space) if r["report_id"] == rid]
    assert shared["employer_display"] == space.name
    assert f"Chez {space.name}, nous" in shared["advice"]


def test_an_edit_needs_a_new_anonymisation_and_an_outdated_job_changes_nothing(app, space,
                                                                              people):
    from server.practices import jobs
    from tenants import tenant_context

    rid = write_report(app, space, people["author"])
    run_jobs(app)
    client = client_for(app, people["author"])
    edit = f"/e/{space.slug}/pratiques/{rid}/modifier"
    response = post_form(client, edit, report_form(
        text_version=1, advice="Appelez Claire Vasseur au 07 98 76 54 32 avant de démarrer."))
    assert response.status_code == 302
    row = report_row(app, space, rid)
    assert row["text_version"] == 2 and row["anonymised_version"] == 1

    # The preview of version 1 cannot be submitted as version 2, nor version 1 itself.
    assert submit(app, space, people["author"], rid, version=1).status_code == 409
    assert submit(app, space, people["author"], rid, version=2).status_code == 409
    with app.app_context(), tenant_context(space.slug):
        assert jobs.anonymise_report(rid, 1) == "outdated"
    assert report_row(app, space, rid)["anonymised_version"] == 1

    run_jobs(app)
    assert report_row(app, space, rid)["anonymised_version"] == 2
    assert submit(app, space, people["author"], rid).status_code == 302
    (shared,) = [r for r in shared_rows(app, space) if r["report_id"] == rid]
    assert "07 98 76 54 32" not in shared["advice"] and "[téléphone]" in shared["advice"]
    assert shared["text_version"] == 2


def test_the_author_can_take_the_anonymised_text_to_polish_it(app, space, people):
    rid = write_report(app, space, people["author"])
    run_jobs(app)
    client = client_for(app, people["author"])
    page = f"/e/{space.slug}/pratiques/{rid}"
    response = post_form(client, f"{page}/reprendre", {}, page=page)
    assert response.status_code == 302
    row = report_row(app, space, rid)
    assert MEMBER not in row["what_worked"] and "[nom]" in row["what_worked"]
    assert row["text_version"] == 2 and row["anonymised_version"] == 1
    run_jobs(app)
    assert report_row(app, space, rid)["anonymised_version"] == 2


def test_a_colleague_reads_but_cannot_edit_or_submit(app, space, people):
    rid = write_report(app, space, people["author"])
    run_jobs(app)
    before = report_row(app, space, rid)
    colleague = client_for(app, people["colleague"])
    page = f"/e/{space.slug}/pratiques/{rid}"
    assert colleague.get(page).status_code == 200
    assert colleague.get(f"/e/{space.slug}/pratiques/").status_code == 200
    refused = colleague.get(f"{page}/modifier")
    assert refused.status_code == 403
    assert "Seule la personne qui a écrit" in text(refused)
    response = post_form(colleague, f"{page}/modifier", report_form(title="Pris", text_version=1),
                         page=page)
    assert response.status_code == 403
    assert submit(app, space, people["colleague"], rid).status_code == 403
    assert post_form(colleague, f"{page}/reprendre", {}, page=page).status_code == 403
    after = report_row(app, space, rid)
    assert after == before


@pytest.mark.parametrize("who", ["member", "membre"])
def test_other_roles_of_the_space_see_no_report(app, space, people, who):
    rid = write_report(app, space, people["author"])
    client = client_for(app, people[who])
    base = f"/e/{space.slug}/pratiques"
    for path in (f"{base}/", f"{base}/nouveau", f"{base}/{rid}", f"{base}/{rid}/modifier"):
        assert client.get(path).status_code == 403, path


def test_another_employer_never_sees_the_reports(app, space, other_space, people):
    rid = write_report(app, space, people["author"])
    client = client_for(app, people["other_referent"])
    assert client.get(f"/e/{space.slug}/pratiques/{rid}").status_code == 404
    # Its own space has no report of that number.
    assert client.get(f"/e/{other_space.slug}/pratiques/{rid}").status_code == 404


# --- bad input -------------------------------------------------------------------------------

@pytest.mark.parametrize("over, field, message", [
    ({"title": "", "what_worked": "", "difficulties": "", "advice": ""}, "title",
     "Saisissez un titre"),
    ({"what_worked": "Trop court."}, "what_worked", "100 caractères au moins"),
    ({"what_worked": "Un texte qui déborde. " * 500}, "what_worked",
     "10 000 caractères au plus (elle en fait 10 999)"),
    ({"advice": "x" * 10_001}, "advice", "10 000 caractères au plus"),
    ({"title": "T" * 201}, "title", "200 caractères au plus"),
    ({"programme_since": "1850"}, "programme_since", "entre 1990 et"),
    ({"programme_since": "deux mille"}, "programme_since", "entre 1990 et"),
    ({"model": "inconnu"}, "model", "Choisissez le modèle"),
    ({"figures": "binomes.inexistant"}, "figures", "plus disponible"),
])
def test_bad_reports_are_refused_with_a_message_and_nothing_is_stored(app, space, people, over,
                                                                      field, message):
    before = count_rows(app, schema_for(space.slug), "practice_report")
    client = client_for(app, people["author"])
    response = post_form(client, f"/e/{space.slug}/pratiques/nouveau", report_form(**over))
    assert response.status_code == 400
    body = text(response)
    assert message in body and f'href="#{field}"' in body
    assert count_rows(app, schema_for(space.slug), "practice_report") == before
    # What was typed is shown again, whole.
    if field == "what_worked" and len(over["what_worked"]) > 10_000:
        assert over["what_worked"].strip() in body


def test_a_figure_from_the_employers_indicators_is_quoted_as_it_was(app, space, people):
    from server.practices import service
    from tenants import tenant_context

    with app.test_request_context(), tenant_context(space.slug):
        figures = service.available_figures()
    # A new employer runs no model: no figure to quote, and the form says so.
    assert figures == []
    client = client_for(app, people["author"])
    assert "Aucun indicateur pour l'instant" in text(client.get(
        f"/e/{space.slug}/pratiques/nouveau"))


# --- the animateurs' review --------------------------------------------------------------

def test_changes_asked_reopen_the_report_and_a_new_submission_is_reviewed(app, space, people):
    done = written_and_submitted(app, space, people)
    pid, rid = done["shared"]["id"], done["report_id"]
    listing = text(client_for(app, people["animateur"]).get("/reseau/pratiques/?etat=soumise"))
    assert done["shared"]["title"] in listing

    empty = review(app, people["animateur"], pid, "modifier", "")
    assert empty.status_code == 422 and "Écrivez les modifications demandées" in text(empty)
    assert review(app, people["animateur"], pid, "modifier",
                  "Précisez la durée des rencontres.").status_code == 302
    page = text(client_for(app, people["author"]).get(f"/e/{space.slug}/pratiques/{rid}"))
    assert "Précisez la durée des rencontres." in page

    # Until resubmitted, the animateurs have nothing to decide.
    assert review(app, people["animateur"], pid, "publier").status_code == 409
    client = client_for(app, people["author"])
    edit = f"/e/{space.slug}/pratiques/{rid}/modifier"
    version = report_row(app, space, rid)["text_version"]
    assert post_form(client, edit, report_form(
        text_version=version, advice="Des rencontres d'une heure, chaque mois.")).status_code == 302
    run_jobs(app)
    assert submit(app, space, people["author"], rid).status_code == 302
    (shared,) = [r for r in shared_rows(app, space) if r["id"] == pid]
    assert shared["status"] == "soumise" and shared["review_message"] is None
    assert shared["advice"] == "Des rencontres d'une heure, chaque mois."


def test_a_review_made_on_an_older_submission_is_refused(app, space, people):
    done = written_and_submitted(app, space, people)
    pid = done["shared"]["id"]
    stale = review(app, people["animateur"], pid, "publier", version=done["shared"]["version"] - 1)
    assert stale.status_code == 409 and "nouvelle version" in text(stale)
    assert [r for r in shared_rows(app, space) if r["id"] == pid][0]["status"] == "soumise"


def test_a_refusal_tells_the_reason_and_closes_the_report(app, space, people):
    done = written_and_submitted(app, space, people)
    pid, rid = done["shared"]["id"], done["report_id"]
    no_reason = review(app, people["admin"], pid, "refuser", "   ")
    assert no_reason.status_code == 422 and "le motif du refus" in text(no_reason)
    assert review(app, people["admin"], pid, "refuser",
                  "Ce texte décrit un accompagnement individuel.").status_code == 302
    client = client_for(app, people["author"])
    page = text(client.get(f"/e/{space.slug}/pratiques/{rid}"))
    assert "Ce texte décrit un accompagnement individuel." in page and "Refusée" in page
    edit = client.get(f"/e/{space.slug}/pratiques/{rid}/modifier")
    assert edit.status_code == 409 and "ne peut plus être modifié" in text(edit)
    assert submit(app, space, people["author"], rid).status_code == 409


@pytest.mark.parametrize("who", ["author", "membre", "other_referent"])
def test_only_the_animation_team_reviews(app, space, people, who):
    done = written_and_submitted(app, space, people)
    client = client_for(app, people[who])
    assert client.get("/reseau/pratiques/").status_code == 403
    assert client.get(f"/reseau/pratiques/{done['shared']['id']}").status_code == 403
    assert review(app, people[who], done["shared"]["id"], "publier").status_code == 403


def test_an_unknown_review_filter_is_an_error(app, people):
    response = client_for(app, people["animateur"]).get("/reseau/pratiques/?etat=perdu")
    assert response.status_code == 400 and "Cet état n'existe pas" in text(response)


# --- publication in the library ----------------------------------------------------------

def publish(app, space, people, **over) -> dict:
    done = written_and_submitted(app, space, people, **over)
    assert review(app, people["animateur"], done["shared"]["id"], "publier").status_code == 302
    (shared,) = [r for r in shared_rows(app, space) if r["id"] == done["shared"]["id"]]
    assert shared["status"] == "publiee" and shared["resource_id"]
    return {**done, "shared": shared}


def test_a_published_practice_is_found_in_the_library_with_its_context(app, space, people):
    title = unique("Binômes en mairie")
    done = publish(app, space, people, title=title)
    rid = done["shared"]["resource_id"]
    reader = client_for(app, people["other_referent"])
    page = text(reader.get(f"/reseau/ressources/{rid}"))
    assert title in page and "Binôme" in page and "Fonction publique territoriale" in page
    assert "Programme démarré en" in page and "2021" in page
    for value in PLANTED.values():
        assert value not in page
    found = text(reader.get("/reseau/ressources/?q=binomes+territoriale&kind=bonne-pratique"))
    assert title in found
    assert title in text(reader.get("/reseau/ressources/?model=binomes&sector=territoriale"))
    assert title not in text(reader.get("/reseau/ressources/?model=permanences"))
    assert title not in text(reader.get("/reseau/ressources/?sector=hospitaliere"))
    wrong = reader.get("/reseau/ressources/?model=astrologie")
    assert wrong.status_code == 400 and "Ce modèle de programme n'existe pas" in text(wrong)
    token = api_token(reader, people["other_referent"])
    bearer = app.test_client()
    api = bearer.get(f"/api/v1/reseau/ressources/{rid}",
                     headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200 and api.json["kind"] == "bonne-pratique"
    listed = bearer.get("/api/v1/reseau/ressources?model=binomes&sector=territoriale",
                        headers={"Authorization": f"Bearer {token}"})
    assert rid in [r["id"] for r in listed.json]
    # The employer's report says where it went.
    author_page = text(client_for(app, people["author"]).get(
        f"/e/{space.slug}/pratiques/{done['report_id']}"))
    assert f"/reseau/ressources/{rid}" in author_page


def test_the_library_never_rewrites_a_practice(app, space, people):
    done = publish(app, space, people)
    rid = done["shared"]["resource_id"]
    editor = client_for(app, people["animateur"])
    response = editor.get(f"/reseau/ressources/{rid}/modifier")
    assert response.status_code == 302
    token = api_token(editor, people["animateur"])
    headers = {"Authorization": f"Bearer {token}"}
    api = app.test_client()  # bearer only: no session cookie
    version = api.get(f"/api/v1/reseau/ressources/{rid}", headers=headers).json["version"]
    patched = api.patch(f"/api/v1/reseau/ressources/{rid}", headers=headers,
                           json={"version": version, "body": "Claire Vasseur, 06 12 34 56 78"})
    assert patched.status_code == 409
    assert patched.json["error"]["code"] == "practice_text_locked"
    created = api.post("/api/v1/reseau/ressources", headers=headers, json={
        "kind": "bonne-pratique", "title": "Contournement", "summary": "Non.",
        "published_on": "2026-01-01"})
    assert created.status_code == 422
    # Archiving (status only) is allowed.
    archived = api.patch(f"/api/v1/reseau/ressources/{rid}", headers=headers,
                            json={"version": version, "status": "archive"})
    assert archived.status_code == 200 and archived.json["status"] == "archive"
    assert client_for(app, people["other_referent"]).get(
        f"/reseau/ressources/{rid}").status_code == 404


# --- comments and "utile" --------------------------------------------------------------------

def test_referents_comment_for_their_employer_and_staff_as_the_team(app, space, people,
                                                                  other_space):
    done = publish(app, space, people)
    pid, rid = done["shared"]["id"], done["shared"]["resource_id"]
    page = f"/reseau/ressources/{rid}"
    other = client_for(app, people["other_referent"])
    url = f"/reseau/pratiques/{pid}/commentaires"
    assert post_form(other, url, {"body": "Merci, nous allons essayer."}, page=page).status_code == 302
    team = client_for(app, people["animateur"])
    assert post_form(team, url, {"body": "Un e-club en parlera."}, page=page).status_code == 302
    shown = text(other.get(page))
    assert "Merci, nous allons essayer." in shown and other_space.name in shown
    assert "Équipe d'animation du réseau" in shown

    empty = post_form(other, url, {"body": "  "}, page=page)
    assert empty.status_code == 422 and "Écrivez votre commentaire" in text(empty)
    long = post_form(other, url, {"body": "a" * 2001}, page=page)
    assert long.status_code == 422 and "2 000 caractères au plus" in text(long)
    assert "a" * 2001 in text(long)  # kept in the form, not cut
    member = client_for(app, people["membre"])
    assert post_form(member, url, {"body": "Moi aussi"}, page=page).status_code == 403

    with app.app_context():
        db = app.extensions["sqlalchemy"]
        ids = dict(db.session.execute(sa.text(
            "SELECT body, id FROM network.practice_comment WHERE practice_id = :p"),
            {"p": pid}).all())
    assert len(ids) == 2
    mine = ids["Merci, nous allons essayer."]
    assert post_form(client_for(app, people["author"]),
                     f"/reseau/pratiques/{pid}/commentaires/{mine}/retirer", {},
                     page=page).status_code == 403
    assert post_form(other, f"/reseau/pratiques/{pid}/commentaires/{mine}/retirer", {},
                     page=page).status_code == 302
    assert post_form(team, f"/reseau/pratiques/{pid}/commentaires/{ids['Un e-club en parlera.']}"
                     "/retirer", {}, page=page).status_code == 302
    assert count_rows(app, "network", "practice_comment") >= 0
    assert "Merci, nous allons essayer." not in text(other.get(page))


def test_useful_is_one_mark_per_employer(app, space, people, other_space):
    done = publish(app, space, people)
    pid, rid = done["shared"]["id"], done["shared"]["resource_id"]
    page = f"/reseau/ressources/{rid}"
    url = f"/reseau/pratiques/{pid}/utile"
    other = client_for(app, people["other_referent"])
    for _ in range(2):
        assert post_form(other, url, {"space": other_space.slug, "utile": "oui"},
                         page=page).status_code == 302
    colleague = client_for(app, people["colleague"])
    assert post_form(colleague, url, {"utile": "oui"}, page=page).status_code == 302
    assert "Utile pour 2 employeurs" in text(other.get(page))
    # A space one is not référent of cannot be marked.
    wrong = post_form(other, url, {"space": space.slug, "utile": "oui"}, page=page)
    assert wrong.status_code == 422
    assert post_form(client_for(app, people["membre"]), url, {"utile": "oui"},
                     page=page).status_code == 403
    assert post_form(other, url, {"space": other_space.slug, "utile": "non"},
                     page=page).status_code == 302
    assert "Utile pour 1 employeur" in text(other.get(page))


def test_comments_and_marks_need_a_published_practice(app, space, people):
    done = written_and_submitted(app, space, people)
    pid = done["shared"]["id"]
    client = client_for(app, people["other_referent"])
    token = csrf_token(client, "/reseau/ressources/")
    for path, data in ((f"/reseau/pratiques/{pid}/commentaires", {"body": "Tôt"}),
                       (f"/reseau/pratiques/{pid}/utile", {"utile": "oui"})):
        assert client.post(path, data={"csrf_token": token, **data}).status_code == 404


def test_a_late_anonymisation_can_be_queued_again_by_the_author(app, space, people):
    rid = write_report(app, space, people["author"])
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        db.session.execute(sa.text(
            f'UPDATE "{schema_for(space.slug)}".practice_report '
            "SET updated_at = now() - interval '10 minutes' WHERE id = :id"), {"id": rid})
        db.session.commit()
        # The first job is lost (as when Redis loses its queue).
        from server.jobs import queue

        queue(app).empty()
    client = client_for(app, people["author"])
    page = f"/e/{space.slug}/pratiques/{rid}"
    assert "Relancer l'anonymisation" in text(client.get(page))
    colleague = client_for(app, people["colleague"])
    assert "Relancer l'anonymisation" not in text(colleague.get(page))
    assert post_form(colleague, f"{page}/anonymiser", {}, page=page).status_code == 403
    assert post_form(client, f"{page}/anonymiser", {}, page=page).status_code == 302
    run_jobs(app)
    assert report_row(app, space, rid)["anonymised_version"] == 1


def test_a_persons_copy_and_erasure_cover_their_reports_and_comments(app, space, people):
    """The author's reports (their words, with originals) are in their copy and go with an
    erasure; the anonymised network copy stays, and so does the published practice."""
    from server.auth.models import User
    from server.personal_data import network, space as in_space
    from tenants import tenant_context

    writer = create_user(app, employer=space, role="referent")
    done = publish(app, space, {**people, "author": writer})
    pid, rid = done["shared"]["id"], done["shared"]["resource_id"]
    page = f"/reseau/ressources/{rid}"
    assert post_form(client_for(app, writer), f"/reseau/pratiques/{pid}/commentaires",
                     {"body": "Nous y retournons."}, page=page).status_code == 302
    with app.test_request_context(), tenant_context(space.slug):
        copy = in_space.collect(writer.id)
    (row,) = copy["sections"]["Retours d'expérience que vous avez écrits"]
    assert row["Ce qui a fonctionné"] == WHAT_WORKED  # their own words, as written
    with app.test_request_context():
        user = app.extensions["sqlalchemy"].session.get(User, writer.id)
        assert network.collect(user)["Vos commentaires sur les bonnes pratiques"][0][
            "Commentaire"] == "Nous y retournons."
    db = app.extensions["sqlalchemy"]
    with app.test_request_context(), tenant_context(space.slug):
        counts = in_space.erase(writer.id)
        db.session.commit()
    assert counts["Retours d'expérience supprimés"] == 1
    with app.test_request_context():
        user = db.session.get(User, writer.id)
        assert network.erase(user)["Commentaires sur les bonnes pratiques supprimés"] == 1
        db.session.commit()
    with app.app_context():
        assert db.session.execute(sa.text(
            f'SELECT count(*) FROM "{schema_for(space.slug)}".practice_report '
            "WHERE author_id = :a"), {"a": writer.id}).scalar() == 0
        db.session.remove()
    (shared,) = [r for r in shared_rows(app, space) if r["id"] == pid]
    assert shared["status"] == "publiee"
    shown = text(client_for(app, people["other_referent"]).get(page))
    assert "Nous y retournons." not in shown and "Ce qui a fonctionné" in shown
