"""The network's resource library: who reads and writes what (pages and API), attachments
checked by their content and served safely, French search without accents, the history page
and starting one's own copy of an interactive tool sheet."""
from __future__ import annotations

import html
import io
import zipfile
from datetime import date
from pathlib import Path

import pytest

from tests.fixtures.app import csrf_token
from tests.fixtures.factories import (
    api_token,
    count_rows,
    create_employer,
    create_user,
    login,
    unique,
)

LIB = "/reseau/ressources"
API = "/api/v1/reseau/ressources"


# --- helpers -------------------------------------------------------------------------------

def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def make_resource(app, author, *, status="publie", kind="guide", title=None, summary=None,
                  body="", themes=("pair-aidance",), day=date(2025, 9, 12), tool=None) -> int:
    from server.extensions import db
    from server.library import service

    with app.app_context():
        values, errors = service.clean({
            "kind": kind, "title": title or unique("Guide"), "summary": summary or "Un résumé.",
            "body": body, "themes": list(themes), "audience": "tous", "published_on": day,
            "tool": tool})
        assert not errors, errors
        resource = service.create(values, by_user_id=author.id)
        resource.status = status
        db.session.commit()
        return resource.id


def resource_count(app) -> int:
    return count_rows(app, "network", "library_resource")


def attachment_count(app) -> int:
    return count_rows(app, "network", "library_attachment")


def stored_files(path: Path) -> list[Path]:
    return [p for p in path.iterdir() if p.is_file()] if path.exists() else []


@pytest.fixture(autouse=True)
def storage(app, tmp_path, monkeypatch):
    """Attachments of these tests go to a directory of their own."""
    folder = tmp_path / "bibliotheque"
    monkeypatch.setitem(app.config, "LIBRARY_STORAGE_DIR", str(folder))
    return folder


@pytest.fixture(scope="module")
def employer_space(app):
    return create_employer(app)


@pytest.fixture(scope="module")
def people(app, employer_space):
    from tenants.provisioning import set_status

    suspended = create_employer(app)
    of_suspended = create_user(app, employer=suspended, role="referent")
    with app.app_context():
        set_status(suspended.slug, "suspended")
    return {
        "animateur": create_user(app, network_roles=["animateur"]),
        "admin": create_user(app, network_roles=["admin"]),
        "membre": create_user(app, employer=employer_space, role="membre"),
        "pair-aide": create_user(app, employer=employer_space, role="pair-aide"),
        "referent": create_user(app, employer=employer_space, role="referent"),
        "sans-employeur": create_user(app),
        "employeur-suspendu": of_suspended,
    }


def client_for(app, person):
    client = app.test_client()
    login(client, person)
    return client


def post_form(client, path, data, page=None, **kw):
    token = csrf_token(client, page or path)
    return client.post(path, data={"csrf_token": token, **data}, **kw)


def resource_form(**over) -> dict:
    data = {"kind": "guide", "title": "Guide de la pair-aidance", "summary": "Pour démarrer.",
            "body": "", "themes": ["pair-aidance"], "audience": "tous",
            "published_on": "12/09/2025", "tool": ""}
    data.update(over)
    return data


# --- who sees what -------------------------------------------------------------------------

READERS = ("animateur", "admin", "membre", "pair-aide", "referent")
EDITORS = ("animateur", "admin")


@pytest.mark.parametrize("who", READERS)
def test_members_and_staff_read_a_published_resource_as_page_and_json(app, people, who):
    rid = make_resource(app, people["animateur"], title=unique("Publié"))
    client = client_for(app, people[who])
    assert client.get(f"{LIB}/{rid}").status_code == 200
    response = client.get(f"{API}/{rid}")
    assert response.status_code == 200 and response.json["status"] == "publie"


@pytest.mark.parametrize("status", ["brouillon", "archive"])
@pytest.mark.parametrize("who", READERS)
def test_drafts_and_archives_are_seen_by_animateurs_and_admins_only(app, people, who, status):
    title = unique("Caché")
    rid = make_resource(app, people["animateur"], status=status, title=title)
    client = client_for(app, people[who])
    page, api = client.get(f"{LIB}/{rid}"), client.get(f"{API}/{rid}")
    listed = f'href="{LIB}/{rid}"' in text(client.get(f"{LIB}/?q={title}"))
    api_listed = [r["title"] for r in client.get(f"{API}?q={title}").json]
    if who in EDITORS:
        assert page.status_code == 200 and api.status_code == 200
        assert listed and api_listed == [title]
    else:
        assert page.status_code == 404 and api.status_code == 404
        assert api.json["error"]["code"] == "not_found"
        assert not listed and api_listed == []


@pytest.mark.parametrize("who", ["sans-employeur", "employeur-suspendu"])
def test_people_of_no_active_employer_are_refused_the_library(app, people, who):
    rid = make_resource(app, people["animateur"])
    client = client_for(app, people[who])
    for path in (f"{LIB}/", f"{LIB}/{rid}", f"{LIB}/histoire"):
        assert client.get(path).status_code == 403
    assert client.get(API).status_code == 403
    assert client.get(f"{API}/{rid}").json["error"]["code"] == "forbidden"


def test_anonymous_visitors_go_to_the_login_page_or_get_a_401(app, people):
    rid = make_resource(app, people["animateur"])
    client = app.test_client()
    response = client.get(f"{LIB}/{rid}")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]
    assert client.get(f"{API}/{rid}").status_code == 401


@pytest.mark.parametrize("who", ["membre", "referent", "pair-aide"])
def test_members_cannot_write_publish_or_upload(app, people, who):
    rid = make_resource(app, people["animateur"], status="brouillon")
    client = client_for(app, people[who])
    before = resource_count(app)
    assert client.get(f"{LIB}/nouvelle").status_code == 403
    assert client.get(f"{LIB}/{rid}/modifier").status_code == 403
    assert client.get(f"{LIB}/{rid}/pieces-jointes").status_code == 403
    token = csrf_token(client, f"{LIB}/")
    assert client.post(f"{LIB}/nouvelle", data={"csrf_token": token,
                                                **resource_form()}).status_code == 403
    assert client.post(f"{LIB}/{rid}/etat", data={"csrf_token": token, "version": "1",
                                                   "action": "publier"}).status_code == 403
    client = app.test_client()  # bearer only: no session cookie
    bearer = {"Authorization": f"Bearer {api_token(client, people[who])}"}
    response = client.post(API, json={"kind": "guide", "title": "x", "summary": "y",
                                      "published_on": "2025-09-12"}, headers=bearer)
    assert response.status_code == 403
    assert client.patch(f"{API}/{rid}", json={"version": 1, "status": "publie"},
                        headers=bearer).status_code == 403
    assert resource_count(app) == before
    with app.app_context():
        from server.extensions import db
        from server.library.models import Resource

        assert db.session.get(Resource, rid).status == "brouillon"


@pytest.mark.parametrize("who", EDITORS)
def test_an_animateur_writes_a_draft_publishes_archives_and_members_follow(app, people, who):
    editor = client_for(app, people[who])
    member = client_for(app, people["membre"])
    title = unique("Guide pour expérimenter")
    response = post_form(editor, f"{LIB}/nouvelle", resource_form(title=title))
    assert response.status_code == 302
    rid = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    assert "brouillon" in text(editor.get(f"{LIB}/{rid}"))
    assert member.get(f"{LIB}/{rid}").status_code == 404

    publish = post_form(editor, f"{LIB}/{rid}/etat", {"version": "1", "action": "publier"},
                        page=f"{LIB}/{rid}")
    assert publish.status_code == 302
    assert "est publiée" in text(editor.get(publish.headers["Location"]))
    assert title in text(member.get(f"{LIB}/{rid}"))

    archive = post_form(editor, f"{LIB}/{rid}/etat", {"version": "2", "action": "archiver"},
                        page=f"{LIB}/{rid}")
    assert archive.status_code == 302
    assert member.get(f"{LIB}/{rid}").status_code == 404


def test_the_api_creates_updates_and_publishes_for_animateurs(app, people):
    client = app.test_client()
    bearer = {"Authorization": f"Bearer {api_token(client, people['animateur'])}"}
    title = unique("Fiche outil")
    created = client.post(API, headers=bearer, json={
        "kind": "fiche-outil", "title": title, "summary": "Définir le cadre du projet.",
        "themes": ["cadre-projet"], "published_on": "2025-09-12", "tool": "cadrage"})
    assert created.status_code == 201, created.json
    body = created.json
    assert body["status"] == "brouillon" and body["version"] == 1
    assert body["published_on"] == "2025-09-12" and body["tool"] == "cadrage"

    changed = client.patch(f"{API}/{body['id']}", headers=bearer,
                           json={"version": 1, "summary": "Nouveau résumé", "status": "publie"})
    assert changed.status_code == 200, changed.json
    assert changed.json["summary"] == "Nouveau résumé" and changed.json["status"] == "publie"
    assert changed.json["version"] == 3
    member = app.test_client()
    member_bearer = {"Authorization": f"Bearer {api_token(member, people['membre'])}"}
    assert member.get(f"{API}/{body['id']}", headers=member_bearer).json["title"] == title


# --- bad input -----------------------------------------------------------------------------

def test_an_empty_title_and_an_unknown_theme_are_refused_and_nothing_is_written(app, people):
    editor = client_for(app, people["animateur"])
    before = resource_count(app)
    response = post_form(editor, f"{LIB}/nouvelle",
                         resource_form(title="  ", themes=["pair-aidance", "astrologie"],
                                       published_on="31/02/2025"))
    assert response.status_code == 400
    page = text(response)
    assert "Saisissez un titre." in page
    assert "Thème inconnu : « astrologie »" in page
    assert "date réelle au format jj/mm/aaaa" in page
    assert 'value="Pour démarrer."' not in page  # textarea keeps it as content instead
    assert "Pour démarrer." in page
    assert resource_count(app) == before

    api = app.test_client()
    bearer = {"Authorization": f"Bearer {api_token(api, people['animateur'])}"}
    refused = api.post(API, headers=bearer, json={
        "kind": "guide", "title": "", "summary": "Résumé", "themes": ["astrologie"],
        "published_on": "2025-09-12"})
    assert refused.status_code == 422
    details = refused.json["error"]["details"]["json"]
    assert details["title"] == ["Saisissez un titre."]
    assert "Thème inconnu" in details["themes"][0]
    assert resource_count(app) == before


def test_a_tool_on_a_guide_and_an_unknown_kind_are_refused(app, people):
    editor = client_for(app, people["animateur"])
    before = resource_count(app)
    response = post_form(editor, f"{LIB}/nouvelle", resource_form(tool="cadrage"))
    assert response.status_code == 400
    assert "Seule une fiche outil peut ouvrir un outil" in text(response)
    response = post_form(editor, f"{LIB}/nouvelle", resource_form(kind="roman"))
    assert response.status_code == 400
    assert "Ce type de ressource n'existe pas" in text(response)
    assert resource_count(app) == before


def test_a_stale_version_is_a_409_that_keeps_the_text_and_writes_nothing(app, people):
    rid = make_resource(app, people["animateur"], status="brouillon", title="Titre d'origine")
    editor = client_for(app, people["animateur"])
    first = post_form(editor, f"{LIB}/{rid}/modifier",
                      resource_form(title="Première modification", version="1"))
    assert first.status_code == 302
    late = post_form(editor, f"{LIB}/{rid}/modifier",
                     resource_form(title="Modification en retard", version="1"))
    assert late.status_code == 409
    page = text(late)
    assert "Quelqu'un a modifié cette ressource" in page
    assert 'value="Modification en retard"' in page
    assert 'name="version" type="hidden" value="2"' in page
    # The status buttons too.
    status = post_form(editor, f"{LIB}/{rid}/etat", {"version": "1", "action": "publier"},
                       page=f"{LIB}/{rid}")
    assert "rien n'a été changé" in text(editor.get(status.headers["Location"]))

    api = app.test_client()
    bearer = {"Authorization": f"Bearer {api_token(api, people['animateur'])}"}
    conflict = api.patch(f"{API}/{rid}", headers=bearer, json={"version": 1, "title": "API"})
    assert conflict.status_code == 409
    assert conflict.json["error"]["code"] == "stale_version"
    assert api.patch(f"{API}/{rid}", headers=bearer,
                     json={"version": 1, "status": "publie"}).status_code == 409
    shown = api.get(f"{API}/{rid}", headers=bearer).json
    assert shown["title"] == "Première modification" and shown["status"] == "brouillon"
    assert shown["version"] == 2


def test_a_patch_without_version_or_with_a_wrong_status_is_a_422(app, people):
    rid = make_resource(app, people["animateur"], status="brouillon")
    api = app.test_client()
    bearer = {"Authorization": f"Bearer {api_token(api, people['animateur'])}"}
    missing = api.patch(f"{API}/{rid}", headers=bearer, json={"title": "Sans version"})
    assert missing.status_code == 422 and "version" in missing.json["error"]["details"]["json"]
    wrong = api.patch(f"{API}/{rid}", headers=bearer, json={"version": 1, "status": "supprimé"})
    assert wrong.status_code == 422 and "status" in wrong.json["error"]["details"]["json"]


def test_unknown_filters_are_named_in_french_and_json(app, people):
    client = client_for(app, people["membre"])
    response = client.get(f"{LIB}/?theme=astrologie&kind=roman&page=zero")
    assert response.status_code == 400
    page = text(response)
    assert "Ce thème n'existe pas" in page and "Ce type de ressource n'existe pas" in page
    assert "Le numéro de page doit être un nombre entier" in page
    # Only editors may filter by state.
    assert client.get(f"{LIB}/?status=brouillon").status_code == 400
    api = client.get(f"{API}?theme=astrologie")
    assert api.status_code == 422 and "theme" in api.json["error"]["details"]["query"]
    # Whatever is typed, the search answers (no syntax error reaches PostgreSQL).
    for odd in ("<script>&|!:*", "'", "le la les", "-", '"' * 3, "x" * 200):
        assert client.get(f"{LIB}/", query_string={"q": odd}).status_code == 200
        assert client.get(API, query_string={"q": odd}).status_code == 200
    too_long = client.get(f"{LIB}/", query_string={"q": "x" * 201})
    assert too_long.status_code == 400 and "200 caractères au plus" in text(too_long)


# --- search --------------------------------------------------------------------------------

def test_search_ignores_accents_both_ways_and_ranks_the_title_first(app, people):
    tag = unique("lot").replace("-", "")
    author = people["animateur"]
    in_body = make_resource(app, author, title=f"Compte rendu {tag}",
                            summary="Notes de séance.",
                            body="Nous avons parlé de la réunion des référents handicap.")
    in_title = make_resource(app, author, title=f"Préparer la réunion des référents {tag}",
                             summary="Une réunion bien préparée.")
    make_resource(app, author, title=f"Sans rapport {tag}", summary="Autre chose.")
    client = client_for(app, people["membre"])
    for words in ("reunion referents", "réunion référents", "RÉUNION Référent"):
        found = [r["id"] for r in client.get(f"{API}?q={tag} {words}").json]
        assert found == [in_title, in_body], words
    # French stemming: plural and singular meet.
    assert [r["id"] for r in client.get(f"{API}?q={tag} réunions").json] == [in_title, in_body]
    page = text(client.get(f"{LIB}/?q={tag} reunion"))
    assert page.index("Préparer la réunion") < page.index("Compte rendu")
    assert "2 ressources" in page and "les plus pertinentes d'abord" in page


def test_search_filters_by_theme_and_kind(app, people):
    tag = unique("lot").replace("-", "")
    author = people["animateur"]
    guide = make_resource(app, author, title=f"Guide {tag}", themes=["maintien-emploi"])
    sheet = make_resource(app, author, kind="fiche-outil", title=f"Fiche {tag}",
                          themes=["cadre-projet", "maintien-emploi"])
    client = client_for(app, people["membre"])
    ids = lambda query: [r["id"] for r in client.get(f"{API}?q={tag}&{query}").json]
    assert set(ids("theme=maintien-emploi")) == {guide, sheet}
    assert ids("theme=cadre-projet") == [sheet]
    assert ids("kind=guide") == [guide]
    assert ids("kind=guide&theme=cadre-projet") == []
    page = text(client.get(f"{LIB}/?q={tag}&kind=fiche-outil"))
    assert f"Fiche {tag}" in page and f"Guide {tag}" not in page


def test_results_come_in_pages_of_ten(app, people):
    tag = unique("lot").replace("-", "")
    for i in range(12):
        make_resource(app, people["animateur"], title=f"Actualité {tag} numéro {i}",
                      kind="actualite", day=date(2025, 1, i + 1))
    client = client_for(app, people["membre"])
    first = text(client.get(f"{LIB}/?q={tag}"))
    assert "12 ressources, page 1 sur 2" in first
    assert first.count(f"Actualité {tag}") == 10
    assert "numéro 11" in first and "numéro 1<" not in first  # newest first among equals
    second = text(client.get(f"{LIB}/?q={tag}&page=2"))
    assert second.count(f"Actualité {tag}") == 2 and 'aria-current="page">Page 2' in second
    api = client.get(f"{API}?q={tag}&page=2&page_size=5")
    assert len(api.json) == 5
    assert '"total": 12' in api.headers["X-Pagination"].replace("'", '"')


# --- attachments ---------------------------------------------------------------------------

def tiny_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def tiny_docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.'
                   'openxmlformats.org/package/2006/content-types"><Default Extension="xml" '
                   'ContentType="application/xml"/><Override PartName="/word/document.xml" '
                   'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.'
                   'document.main+xml"/></Types>')
        z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.'
                   'openxmlformats.org/package/2006/relationships"/>')
        z.writestr("word/document.xml", '<?xml version="1.0"?><w:document xmlns:w="http://'
                   'schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r>'
                   '<w:t>Fiche outil</w:t></w:r></w:p></w:body></w:document>')
    return out.getvalue()


def tiny_png(valid: bool = True) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(out, "PNG")
    data = out.getvalue()
    return data if valid else data[:30] + b"\x00" * 40


def upload(client, rid, filename, data, content_type="application/octet-stream"):
    path = f"{LIB}/{rid}/pieces-jointes"
    return client.post(path, data={"csrf_token": csrf_token(client, path),
                                   "file": (io.BytesIO(data), filename, content_type)},
                       content_type="multipart/form-data")


@pytest.fixture
def draft(app, people):
    return make_resource(app, people["animateur"], status="brouillon")


@pytest.fixture
def editor(app, people):
    return client_for(app, people["animateur"])


REFUSED = [
    ("guide.pdf", b"%PDF-1.4\n<html><body><script>alert(document.cookie)</script></body></html>",
     "application/pdf", "contient une page web ou un script"),
    ("guide.pdf", b"<!doctype html><html><script>alert(1)</script></html>", "application/pdf",
     "contient une page web ou un script"),
    ("guide.pdf", b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
     b"trailer\n<< /Root 1 0 R >>\n%%EOF", "application/pdf", "Ce PDF est endommagé"),
    ("photo.png", None, "image/png", "Cette image est endommagée"),
    ("outils.docx", None, "application/vnd.openxmlformats-officedocument."
     "wordprocessingml.document", "Les archives (fichiers zip) ne sont pas acceptées"),
    ("programme.exe", b"MZ\x90\x00\x03\x00\x00\x00", "application/octet-stream",
     "Ce type de fichier n'est pas accepté"),
]


@pytest.mark.parametrize("filename,data,content_type,message", REFUSED,
                         ids=["script-dans-un-pdf", "html-nomme-pdf", "pdf-casse",
                              "image-illisible", "zip-nomme-docx", "executable"])
def test_files_that_lie_about_their_type_are_refused_and_nothing_is_stored(
        app, editor, draft, storage, filename, data, content_type, message):
    if filename == "photo.png":
        data = tiny_png(valid=False)
    if filename == "outils.docx":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as z:
            z.writestr("notes.txt", "une archive, pas un document")
        data = buffer.getvalue()
    before = attachment_count(app)
    response = upload(editor, draft, filename, data, content_type)
    assert response.status_code == 400
    page = text(response)
    assert message in page and "Rien n'a été enregistré." in page
    assert 'class="error-summary"' in page
    assert attachment_count(app) == before
    assert stored_files(storage) == []


def test_a_pdf_that_runs_javascript_is_refused(app, editor, draft, storage):
    from pypdf import PdfWriter
    from pypdf.actions import JavaScript

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_open_action(JavaScript("app.alert('Bonjour');"))
    out = io.BytesIO()
    writer.write(out)
    response = upload(editor, draft, "guide.pdf", out.getvalue(), "application/pdf")
    assert response.status_code == 400
    assert "Ce PDF contient du JavaScript" in text(response)
    assert stored_files(storage) == []


def test_a_real_pdf_is_kept_under_a_random_name_and_served_as_a_download(
        app, editor, people, draft, storage):
    data = tiny_pdf()
    response = upload(editor, draft, "../../Guide été 2025 : <final>.pdf", data, "text/html")
    assert response.status_code == 302
    files = stored_files(storage)
    assert len(files) == 1 and files[0].read_bytes() == data
    assert "Guide" not in files[0].name and not files[0].name.endswith(".pdf")
    page = text(editor.get(f"{LIB}/{draft}"))
    assert "Guide été 2025 final.pdf" in page
    with app.app_context():
        import sqlalchemy as sa

        from server.extensions import db
        from server.library.models import Attachment

        attachment = db.session.execute(
            sa.select(Attachment).where(Attachment.resource_id == draft)).scalar_one()
        aid = attachment.id
        assert attachment.media_type == "application/pdf"

    download = editor.get(f"{LIB}/{draft}/pieces-jointes/{aid}")
    assert download.status_code == 200 and download.data == data
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''Guide%20%C3%A9t%C3%A9%202025%20final.pdf" in disposition
    assert "/" not in disposition.split("filename=")[1].split(";")[0]

    # A draft's file is the animateurs' only; published, members download it too.
    member = client_for(app, people["membre"])
    assert member.get(f"{LIB}/{draft}/pieces-jointes/{aid}").status_code == 404
    post_form(editor, f"{LIB}/{draft}/etat", {"version": "1", "action": "publier"},
              page=f"{LIB}/{draft}")
    assert member.get(f"{LIB}/{draft}/pieces-jointes/{aid}").data == data
    assert app.test_client().get(f"{LIB}/{draft}/pieces-jointes/{aid}").status_code == 302
    # Another resource's number does not reach it.
    other = make_resource(app, people["animateur"])
    assert member.get(f"{LIB}/{other}/pieces-jointes/{aid}").status_code == 404


def test_a_real_docx_and_png_are_accepted_with_their_checked_types(app, editor, draft,
                                                                   storage):
    assert upload(editor, draft, "fiche.docx", tiny_docx()).status_code == 302
    # Named .pdf, a PNG is still served as the image it is.
    assert upload(editor, draft, "schema.pdf", tiny_png()).status_code == 302
    api = editor.get(f"{API}/{draft}").json
    kinds = {a["filename"]: a["media_type"] for a in api["attachments"]}
    assert kinds == {
        "fiche.docx": "application/vnd.openxmlformats-officedocument."
                      "wordprocessingml.document",
        "schema.png": "image/png",
    }
    assert len(stored_files(storage)) == 2


def test_a_file_over_the_limit_is_a_french_413_and_nothing_is_stored(
        app, editor, draft, storage, monkeypatch):
    monkeypatch.setitem(app.config, "LIBRARY_MAX_UPLOAD_BYTES", 100_000)
    before = attachment_count(app)
    # Just over: read, measured, refused.
    near = tiny_pdf() + b"%" * 100_000
    response = upload(editor, draft, "gros.pdf", near)
    assert response.status_code == 413
    assert "Le fichier dépasse la taille maximale de 98 ko" in text(response)
    # Far over: refused before the form is read.
    far = upload(editor, draft, "enorme.pdf", b"%PDF-1.4\n" + b"0" * 400_000)
    assert far.status_code == 413
    assert "Le fichier dépasse la taille maximale" in text(far)
    assert attachment_count(app) == before and stored_files(storage) == []


def test_removing_an_attachment_deletes_its_file(app, editor, draft, storage):
    upload(editor, draft, "fiche.docx", tiny_docx())
    aid = editor.get(f"{API}/{draft}").json["attachments"][0]["id"]
    path = f"{LIB}/{draft}/pieces-jointes/{aid}/supprimer"
    response = post_form(editor, path, {}, page=f"{LIB}/{draft}/pieces-jointes")
    assert response.status_code == 302
    assert stored_files(storage) == []
    assert editor.get(f"{LIB}/{draft}/pieces-jointes/{aid}").status_code == 404


def test_a_member_cannot_upload_or_remove(app, people, draft, storage):
    member = client_for(app, people["membre"])
    path = f"{LIB}/{draft}/pieces-jointes"
    response = member.post(path, data={"csrf_token": csrf_token(member, f"{LIB}/"),
                                        "file": (io.BytesIO(tiny_pdf()), "a.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 403 and stored_files(storage) == []


# --- the history page ------------------------------------------------------------------------

def test_the_history_is_an_ordered_list_from_1993_to_2021(app, people):
    page = text(client_for(app, people["membre"]).get(f"{LIB}/histoire"))
    assert '<ol class="timeline">' in page
    years = ["1993", "2001 à 2005", "2007", "2011", "2012", "2014", "2021"]
    positions = [page.index(f">{year}</time>") for year in years]
    assert positions == sorted(positions)
    assert "Un chez-soi d'abord" in page and "GFPH" in page


# --- interactive tool sheets -------------------------------------------------------------------

def test_a_referent_starts_their_framing_sheet_from_the_tool_sheet_without_overwriting(
        app, people, employer_space):
    from tests.fixtures.factories import create_employer as new_employer

    rid = make_resource(app, people["animateur"], kind="fiche-outil", tool="cadrage",
                        title=unique("Définition du cadre du projet"))
    referent = client_for(app, people["referent"])
    page = text(referent.get(f"{LIB}/{rid}"))
    assert "Démarrer ma fiche" in page
    response = post_form(referent, f"{LIB}/{rid}/copie", {"space": employer_space.slug},
                         page=f"{LIB}/{rid}")
    framing = f"/e/{employer_space.slug}/programme/cadre"
    assert response.status_code == 302 and response.headers["Location"].endswith(framing)
    assert "est prête" in text(referent.get(framing))

    # The sheet gets content; a second start keeps it.
    saved = post_form(referent, framing, {"base_version": "0", "problems": ["Isolement"],
                                          "positives": [], "objectives": "Rompre l'isolement",
                                          "expected_results": "", "policy_link": ""})
    assert saved.status_code == 302
    again = post_form(referent, f"{LIB}/{rid}/copie", {"space": employer_space.slug},
                      page=f"{LIB}/{rid}")
    assert again.status_code == 302
    notice = text(referent.get(again.headers["Location"]))
    assert "a déjà une fiche de cadrage (version 1)" in notice and "Isolement" in notice
    assert count_rows(app, employer_space.schema, "framing_version") == 1

    # A space where the person is not référent is refused, and so is a member.
    foreign = new_employer(app)
    refused = post_form(referent, f"{LIB}/{rid}/copie", {"space": foreign.slug},
                        page=f"{LIB}/{rid}")
    assert refused.status_code == 400
    assert "Vous n'êtes pas référent ou référente de cet espace" in text(refused)
    member = client_for(app, people["membre"])
    assert "Démarrer ma fiche" not in text(member.get(f"{LIB}/{rid}"))
    assert post_form(member, f"{LIB}/{rid}/copie", {"space": employer_space.slug},
                     page=f"{LIB}/{rid}").status_code == 400
    assert count_rows(app, foreign.schema, "framing_version") == 0


# --- demo data -----------------------------------------------------------------------------------

def test_the_demo_publishes_guides_tool_sheets_and_the_history_and_keeps_one_draft(
        fresh_database, redis_url):
    from server import create_app
    from tests.fixtures.factories import demo_person
    from server.library.demo import RESOURCES
    from tests.fixtures.app import migrate_network, test_config

    demo = create_app(test_config(fresh_database(), redis_url))
    migrate_network(demo)
    assert demo.test_cli_runner().invoke(args=["demo", "--if-empty"]).exit_code == 0
    client = demo.test_client()
    login(client, demo_person(demo, "referente@rivebelle.demo.entrepairs.fr"))
    listed = client.get(API, query_string={"page_size": 100}).json
    published = [r for r in RESOURCES if r["status"] == "publie"]
    # The demo's published best practice (server/practices/demo.py) is listed too.
    assert len(listed) == len(published) + 1 and len(published) < len(RESOURCES)
    assert {r["kind"] for r in listed} == {"guide", "fiche-outil", "actualite", "replay",
                                           "histoire", "bonne-pratique"}
    sheet = next(r for r in listed if r["tool"] == "cadrage")
    assert "Démarrer ma fiche" in text(client.get(sheet["url"]))
    assert [r["title"] for r in client.get(API, query_string={"q": "histoire pair-aidance"})
            .json][0].startswith("Histoire de la pair-aidance")
    with demo.app_context():
        demo.extensions["sqlalchemy"].engine.dispose()
