"""Invitations: a référent invites people by e-mail (one by one or from a CSV file with a
preview); each link works once, expires, dies when resent or revoked; the person creates an
account (or uses theirs) and consents before joining."""
from __future__ import annotations

import html

import pytest
import sqlalchemy as sa

from tests.fixtures.app import csrf_token
from tests.fixtures.factories import (
    PASSWORD,
    api_token,
    count_rows,
    create_employer,
    create_user,
    login,
)
from tests.fixtures.mail import html_of, link_in, run_jobs, text_of
from tests.fixtures.snapshots import employer_state, network_counts
from tests.invitation_helpers import (
    NEW_PASSWORD,
    acceptance,
    account_id,
    invitation_row,
    make_invitation,
    new_email,
    participations,
    referent_post,
    roles_of,
)


@pytest.fixture
def space(app, employer):
    class Space:
        ref = employer
        referent = create_user(app, employer=employer, role="referent", name="Rachel Référente")
        manage = f"/e/{employer.slug}/programme/invitations"

    return Space


@pytest.fixture
def referent(app, space):
    client = app.test_client()
    login(client, space.referent)
    return client


def invite(client, space, email, name="Camille Invitée", role="pair-aide"):
    return referent_post(client, space.manage, {"action": "inviter", "email": email,
                                                "display_name": name, "role": role})


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def invitations_count(app) -> int:
    return count_rows(app, "network", "invitation")


# --- sending --------------------------------------------------------------------------------

def test_the_invited_person_receives_an_email_with_a_single_use_link(app, space, referent,
                                                                     mailbox):
    email = new_email()
    response = invite(referent, space, email, name="Camille Martin")
    assert response.status_code == 302
    assert f"L'invitation est envoyée à {email}" in page_text(referent.get(space.manage))
    run_jobs(app)
    (message,) = mailbox.to(email)
    assert space.ref.name in message["Subject"]
    text = text_of(message)
    assert "Bonjour Camille Martin" in text and "ne sert qu'une fois" in text
    link = link_in(message)
    assert link in html_of(message)
    # The role, which could say something about the person's health, is not in the e-mail.
    assert "pair-aidé" not in text.lower() and "pair-aide" not in text.lower()
    page = app.test_client().get(link)
    assert page.status_code == 200
    assert space.ref.name in page_text(page) and "pair-aidé ou pair-aidée" in page_text(page)


def test_only_the_hash_of_the_token_is_stored(app, space):
    invitation_id, link, _ = make_invitation(app, space.ref)
    token = link.rsplit("/", 1)[1]
    row = invitation_row(app, invitation_id)
    assert row.digest != token and token not in repr(row.__dict__)
    import hashlib

    assert row.digest == hashlib.sha256(token.encode()).hexdigest()


def test_a_new_person_creates_an_account_consents_and_joins(app, space):
    invitation_id, link, email = make_invitation(app, space.ref, role="pair-aide")
    client = app.test_client()
    response = client.post(link, data=acceptance(client, link, name="Camille Martin"))
    assert response.status_code == 302, page_text(response)[:2000]
    assert response.headers["Location"] == f"/e/{space.ref.slug}/"
    home = page_text(client.get(response.headers["Location"]))
    assert "Bienvenue dans l'espace" in home and "Camille Martin" in home  # logged in
    assert roles_of(app, space.ref, email) == {"pair-aide"}
    (participation,) = participations(app, space.ref, email)
    assert participation["consent_version"] == 1 and participation["consented_at"]
    assert participation["status"] == "active" and len(participation["criteria"]) == 4
    assert participation["needs"] == "Reprendre après un long arrêt"
    row = invitation_row(app, invitation_id)
    assert row.accepted_at is not None and row.accepted_by == account_id(app, email)
    # The new account logs in with the password chosen.
    other = app.test_client()
    login(other, type("P", (), {"email": email, "password": NEW_PASSWORD}))


def test_a_link_works_only_once(app, space):
    _, link, email = make_invitation(app, space.ref, role="membre")
    client = app.test_client()
    data = acceptance(client, link, helped=False)
    assert client.post(link, data=data).status_code == 302
    before = network_counts(app)
    for anyone in (app.test_client(), client):
        again = anyone.get(link)
        assert again.status_code == 410 and "Cette invitation a déjà servi" in page_text(again)
    stranger = app.test_client()  # someone else who got the link submits the form
    replay = stranger.post(link, data={**data, "csrf_token": csrf_token(stranger)})
    assert replay.status_code == 410
    assert network_counts(app) == before


def test_an_expired_link_gives_a_clear_page_and_creates_nothing(app, space):
    invitation_id, link, email = make_invitation(app, space.ref)
    client = app.test_client()
    data = acceptance(client, link)
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        db.session.execute(sa.text("UPDATE network.invitation SET expires_at = now() - "
                                   "interval '1 minute' WHERE id = :i"), {"i": invitation_id})
        db.session.commit()
    before = network_counts(app)
    state = employer_state(app, space.ref)
    page = client.get(link)
    assert page.status_code == 410 and "Ce lien d'invitation a expiré" in page_text(page)
    assert client.post(link, data=data).status_code == 410
    assert network_counts(app) == before and employer_state(app, space.ref) == state
    assert account_id(app, email) is None


def test_the_link_lasts_the_configured_number_of_days(app, space):
    invitation_id, _, _ = make_invitation(app, space.ref)
    row = invitation_row(app, invitation_id)
    days = (row.expires_at - row.sent_at).total_seconds() / 86400
    assert days == pytest.approx(app.config["INVITATION_DAYS"]) and days == pytest.approx(14)


def test_an_unknown_link_is_a_404_page_in_french(app):
    page = app.test_client().get("/invitation/pas-un-vrai-jeton")
    assert page.status_code == 404 and "Ce lien d'invitation n'est pas valable" in page_text(page)
    assert '<html lang="fr"' in page.get_data(as_text=True)


def test_resending_sends_a_new_link_and_kills_the_old_one(app, space, referent, mailbox):
    email = new_email()
    invite(referent, space, email)
    run_jobs(app)
    old_link = link_in(mailbox.to(email)[0])
    invitation_id = _invitation_id(app, email)
    response = referent_post(referent, f"{space.manage}/{invitation_id}/renvoyer", {})
    assert response.status_code == 302
    assert "L'ancien lien ne fonctionne plus" in page_text(referent.get(space.manage))
    run_jobs(app)
    first, second = mailbox.to(email)
    new_link = link_in(second)
    assert new_link != old_link
    assert app.test_client().get(old_link).status_code == 404
    assert app.test_client().get(new_link).status_code == 200
    assert invitation_row(app, invitation_id).sent_count == 2


def test_a_revoked_invitation_is_confirmed_first_then_its_link_dies(app, space, referent):
    invitation_id, link, email = make_invitation(app, space.ref)
    confirm = referent.get(f"{space.manage}/{invitation_id}/annuler")
    assert confirm.status_code == 200 and "ne fonctionnera plus" in page_text(confirm)
    assert invitation_row(app, invitation_id).revoked_at is None  # asking changes nothing
    response = referent_post(referent, f"{space.manage}/{invitation_id}/annuler", {})
    assert response.status_code == 302
    assert f"L'invitation de {email} est annulée" in page_text(referent.get(space.manage))
    page = app.test_client().get(link)
    assert page.status_code == 410 and "Cette invitation a été annulée" in page_text(page)
    # An accepted or revoked invitation cannot be resent.
    again = referent_post(referent, f"{space.manage}/{invitation_id}/renvoyer", {})
    assert "ne peut plus être renvoyée" in page_text(referent.get(again.headers["Location"]))


def test_pending_invitations_are_listed_for_the_referent(app, space, referent):
    _, _, email = make_invitation(app, space.ref, name="Dominique Listée")
    page = page_text(referent.get(space.manage))
    assert "Dominique Listée" in page and email in page and "En attente" in page


def _invitation_id(app, email: str) -> int:
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        try:
            return db.session.execute(sa.text(
                "SELECT id FROM network.invitation WHERE email = :e AND revoked_at IS NULL"),
                {"e": email}).scalar_one()
        finally:
            db.session.remove()


# --- existing accounts ----------------------------------------------------------------------

def test_an_existing_account_joins_with_its_password_and_no_new_account(app, space):
    elsewhere = create_employer(app)
    person = create_user(app, employer=elsewhere, role="membre")
    _, link, _ = make_invitation(app, space.ref, role="pair-aidant", email=person.email.upper())
    client = app.test_client()
    page = page_text(client.get(link))
    assert "Un compte Entrepairs existe déjà" in page and "Choisissez un mot de passe" not in page
    before = network_counts(app)
    wrong = client.post(link, data=acceptance(client, link, helped=False, existing=True,
                                              password="pas-le-bon-mot-de-passe"))
    assert wrong.status_code == 401 and "Mot de passe incorrect." in page_text(wrong)
    assert network_counts(app) == before
    right = client.post(link, data=acceptance(client, link, helped=False, existing=True,
                                              password=PASSWORD))
    assert right.status_code == 302
    assert roles_of(app, space.ref, person.email) == {"pair-aidant"}
    assert roles_of(app, elsewhere, person.email) == {"membre"}
    after = network_counts(app)
    assert after["account"] == before["account"]


def test_someone_signed_in_with_another_account_is_told_and_nothing_is_written(app, space):
    _, link, _ = make_invitation(app, space.ref)
    someone = create_user(app)
    client = app.test_client()
    login(client, someone)
    page = client.get(link)
    assert page.status_code == 409 and "Cette invitation est pour un autre compte" in page_text(page)


def test_a_signed_in_member_accepts_an_invitation_for_another_role(app, space):
    person = create_user(app, employer=space.ref, role="membre")
    _, link, _ = make_invitation(app, space.ref, role="pair-aide", email=person.email)
    client = app.test_client()
    login(client, person)
    data = acceptance(client, link)
    for key in ("display_name", "password", "password_confirm"):
        data.pop(key)
    assert client.post(link, data=data).status_code == 302
    assert roles_of(app, space.ref, person.email) == {"membre", "pair-aide"}


# --- bad input on the invitation page -------------------------------------------------------

@pytest.mark.parametrize("change, message", [
    ({"password": "court", "password_confirm": "court"},
     "Le mot de passe doit faire au moins 12 caractères."),
    ({"password_confirm": "une-autre-phrase-de-passe"},
     "Les deux mots de passe ne sont pas identiques."),
    ({"display_name": ""}, "Saisissez votre nom."),
    ({"consent": None}, "Cochez la case de consentement pour continuer."),
    ({"critere_volontariat": None}, "Confirmez que vous participez de votre plein gré."),
    ({"critere_relation_horizontale": None},
     "Confirmez que vous acceptez une relation d'égal à égal."),
    ({"needs": "x" * 2001}, "Vos besoins doivent faire 2000 caractères au plus."),
])
def test_each_mistake_on_the_invitation_page_gets_its_message_and_writes_nothing(
        app, space, change, message):
    invitation_id, link, email = make_invitation(app, space.ref)
    client = app.test_client()
    data = acceptance(client, link, **change)
    before, state = network_counts(app), employer_state(app, space.ref)
    response = client.post(link, data={k: v for k, v in data.items() if v is not None})
    assert response.status_code == 400
    body = page_text(response)
    assert message in body and "Il y a un problème" in body
    assert network_counts(app) == before and employer_state(app, space.ref) == state
    assert invitation_row(app, invitation_id).accepted_at is None
    # What was typed is kept (except passwords).
    if "display_name" not in change:
        assert 'value="Camille Invitée"' in response.get_data(as_text=True)


# --- bad input on the référent's form -------------------------------------------------------

def test_each_problem_of_a_single_invitation_gets_its_own_message(app, space, referent):
    member = create_user(app, employer=space.ref, role="pair-aidant")
    _, _, pending = make_invitation(app, space.ref, role="membre")
    before = invitations_count(app)
    cases = [
        ({"email": "pas-une-adresse"}, 400, "n'est pas une adresse e-mail valide"),
        ({"email": ""}, 400, "Adresse e-mail manquante."),
        ({"role": ""}, 400, "Choisissez le rôle de la personne dans le programme."),
        ({"role": "directeur"}, 400, "Choisissez le rôle de la personne dans le programme."),
        ({"display_name": ""}, 400, "Nom manquant."),
        ({"email": member.email, "role": "pair-aidant"}, 409,
         "Cette personne est déjà pair-aidant ou pair-aidante dans votre espace."),
        ({"email": pending.upper()}, 409, "Cette personne a déjà une invitation en attente"),
    ]
    for change, status, message in cases:
        data = {"email": new_email(), "name": "Nom", "role": "pair-aide", **change}
        response = invite(referent, space, data["email"], data.get("display_name", "Nom"),
                          data["role"])
        assert response.status_code == status, (change, page_text(response)[:1500])
        assert message in page_text(response), change
    assert invitations_count(app) == before


# --- CSV import -----------------------------------------------------------------------------

def _upload(client, space, content: bytes, filename="personnes.csv"):
    import io

    return client.post(space.manage, data={
        "csrf_token": csrf_token(client, space.manage), "action": "apercu",
        "file": (io.BytesIO(content), filename)}, content_type="multipart/form-data")


def _confirm(client, space, preview_html: str):
    import re

    rows = html.unescape(re.search(r'name="rows" value="([^"]*)"', preview_html).group(1))
    return referent_post(client, space.manage, {"action": "confirmer", "rows": rows})


def test_a_csv_preview_shows_every_problem_and_confirming_creates_only_valid_rows(
        app, space, referent, mailbox):
    member = create_user(app, employer=space.ref, role="membre")
    _, _, pending = make_invitation(app, space.ref, role="pair-aidant")
    good1, good2 = new_email(), new_email()
    content = (
        "\ufeffe-mail;nom;rôle\n"
        f"{good1};Alix Bon;pair-aidé\n"
        f"{good2};Bérénice Bonne;Référente\n"
        "pas-une-adresse;Claude Faux;membre\n"
        f"{new_email()};Dana Rôle;directeur\n"
        f"{good1.upper()};Alix Doublon;membre\n"
        f"{member.email};Eli Déjà;membre\n"
        f"{pending};Fred Invité;pair-aidant\n"
    ).encode()
    before, state = invitations_count(app), employer_state(app, space.ref)
    preview = _upload(referent, space, content)
    assert preview.status_code == 200
    text = page_text(preview)
    assert "2 lignes peuvent être importées." in text
    assert "5 lignes ont un problème et ne seront pas importées." in text
    assert "« pas-une-adresse » n'est pas une adresse e-mail valide" in text
    assert "Rôle inconnu « directeur »" in text
    assert "Cette adresse apparaît déjà plus haut dans le fichier (ligne 2)." in text
    assert "Cette personne est déjà membre dans votre espace." in text
    assert "Cette personne a déjà une invitation en attente" in text
    assert "Rien n'est encore créé." in text
    assert invitations_count(app) == before and employer_state(app, space.ref) == state

    done = _confirm(referent, space, preview.get_data(as_text=True))
    assert done.status_code == 302
    notice = page_text(referent.get(space.manage))
    assert "2 invitations créées et envoyées." in notice
    assert "5 lignes non importées à cause d'un problème (lignes 4, 5, 6, 7, 8)." in notice
    assert invitations_count(app) == before + 2
    run_jobs(app)
    assert len(mailbox.to(good1)) == 1 and len(mailbox.to(good2)) == 1
    assert mailbox.to(member.email) == []


def test_a_comma_separated_file_without_bom_is_read_too(app, space, referent):
    email = new_email()
    content = f"Email,Nom,Role\n{email},\"Martin, Jo\",pair-aidant\n".encode()
    preview = _upload(referent, space, content)
    assert preview.status_code == 200
    text = page_text(preview)
    assert "1 ligne peut être importée." in text and "Martin, Jo" in text


def test_confirming_checks_again_what_changed_since_the_preview(app, space, referent):
    email = new_email()
    preview = _upload(referent, space, f"e-mail;nom;rôle\n{email};Jo;membre\n".encode())
    make_invitation(app, space.ref, role="membre", email=email)  # a colleague was faster
    before = invitations_count(app)
    response = _confirm(referent, space, preview.get_data(as_text=True))
    assert response.status_code == 400
    assert "Aucune invitation n'a été créée" in page_text(response)
    assert invitations_count(app) == before


@pytest.mark.parametrize("content, message", [
    (b"", "Le fichier est vide."),
    (b"e-mail;nom\nx@exemple.fr;X\n", "Colonne introuvable : rôle."),
    ("e-mail;nom;rôle\n".encode(), "aucune personne sous la ligne d'en-tête"),
    ("e-mail;nom;rôle\nmarie@exemple.fr;Marie Dupré;membre\n".encode("latin-1"),
     "n'est pas encodé en UTF-8"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "n'est pas encodé en UTF-8"),
    (("e-mail;nom;rôle\n" + "a@exemple.fr;A;membre\n" * 501).encode(), "500 au plus"),
])
def test_a_file_that_cannot_be_read_says_why_and_creates_nothing(app, space, referent,
                                                                 content, message):
    before = invitations_count(app)
    response = _upload(referent, space, content)
    assert response.status_code == 400
    assert message in page_text(response)
    assert invitations_count(app) == before


def test_no_file_chosen_is_a_clear_error(app, space, referent):
    response = referent_post(referent, space.manage, {"action": "apercu"})
    assert response.status_code == 400
    assert "Choisissez un fichier CSV à importer." in page_text(response)


# --- confidentiality ------------------------------------------------------------------------

def test_invitations_are_for_referents_of_the_employer_only(app, space):
    helper = create_user(app, employer=space.ref, role="pair-aidant")
    other = create_employer(app)
    other_referent = create_user(app, employer=other, role="referent")
    invitation_id, _, _ = make_invitation(app, space.ref)

    client = app.test_client()
    login(client, helper)
    assert client.get(space.manage).status_code == 403
    assert client.get(f"{space.manage}/{invitation_id}/annuler").status_code == 403

    outsider = app.test_client()
    login(outsider, other_referent)
    assert outsider.get(space.manage).status_code == 404
    # Their own space does not reach another employer's invitation either.
    mine = f"/e/{other.slug}/programme/invitations/{invitation_id}"
    assert outsider.get(f"{mine}/annuler").status_code == 404
    assert referent_post(outsider, f"{mine}/renvoyer", {}).status_code == 404
    assert invitation_row(app, invitation_id).revoked_at is None


def test_a_suspended_employers_links_stop_working(app):
    from tenants.provisioning import set_status

    ref = create_employer(app)
    _, link, _ = make_invitation(app, ref)
    with app.app_context():
        set_status(ref.slug, "suspended")
    assert app.test_client().get(link).status_code == 404


# --- API ------------------------------------------------------------------------------------

def test_the_api_lists_creates_and_revokes_invitations(app, space, mailbox):
    client = app.test_client()
    bearer = {"Authorization": f"Bearer {api_token(client, space.referent)}"}
    url = f"/api/v1/e/{space.ref.slug}/invitations"
    email = new_email()
    created = client.post(url, json={"email": email, "display_name": "Ana Api",
                                     "role": "pair-aidant"}, headers=bearer)
    assert created.status_code == 201, created.json
    body = created.json
    assert body["email"] == email and body["status"] == "pending" and "token" not in body
    assert "digest" not in body
    listed = client.get(url, headers=bearer).json
    assert body["id"] in [i["id"] for i in listed]
    run_jobs(app)
    assert len(mailbox.to(email)) == 1

    again = client.post(url, json={"email": email, "display_name": "Ana", "role": "membre"},
                        headers=bearer)
    assert again.status_code == 409 and again.json["error"]["code"] == "already_invited"
    invalid = client.post(url, json={"email": "nope", "display_name": "", "role": "chef"},
                          headers=bearer)
    assert invalid.status_code == 422
    details = invalid.json["error"]["details"]["json"]
    assert set(details) == {"email", "display_name", "role"}
    assert "Rôle inconnu « chef »" in details["role"][0]

    assert client.delete(f"{url}/{body['id']}", headers=bearer).status_code == 204
    gone = client.delete(f"{url}/{body['id']}", headers=bearer)
    assert gone.status_code == 409 and gone.json["error"]["code"] == "not_pending"
    link = link_in(mailbox.to(email)[0])
    assert app.test_client().get(link).status_code == 410


def test_the_api_is_for_referents_of_the_employer_only(app, space):
    helper = create_user(app, employer=space.ref, role="pair-aide")
    other_referent = create_user(app, employer=create_employer(app), role="referent")
    url = f"/api/v1/e/{space.ref.slug}/invitations"
    client = app.test_client()
    for person, status in ((helper, 403), (other_referent, 404)):
        bearer = {"Authorization": f"Bearer {api_token(client, person)}"}
        assert client.get(url, headers=bearer).status_code == status
        response = client.post(url, json={"email": new_email(), "display_name": "X",
                                          "role": "membre"}, headers=bearer)
        assert response.status_code == status
    assert app.test_client().get(url).status_code == 401
