"""Consent and participation: the consent is recorded with its version; the référent sees
status and consent date only; a person withdraws at any time and what they stated goes as their
consent said."""
from __future__ import annotations

import html

import pytest

from server import signals
from tests.fixtures.factories import create_employer, create_user, login
from tests.fixtures.snapshots import employer_state
from tests.invitation_helpers import (
    acceptance,
    make_invitation,
    participations,
    referent_post,
    roles_of,
)

NEEDS = "Reprendre après un long arrêt"


@pytest.fixture
def referent_person(app, employer):
    return create_user(app, employer=employer, role="referent")


@pytest.fixture
def referent(app, referent_person):
    client = app.test_client()
    login(client, referent_person)
    return client


def join(app, employer, **overrides):
    """Invite a pair-aidé and accept through the page; returns (logged-in client, e-mail)."""
    _, link, email = make_invitation(app, employer, role="pair-aide")
    client = app.test_client()
    response = client.post(link, data=acceptance(client, link, **overrides))
    assert response.status_code == 302, html.unescape(response.get_data(as_text=True))[:1500]
    return client, email


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def publish(referent, employer, body: str, on_withdrawal: str = "delete"):
    return referent_post(referent, f"/e/{employer.slug}/programme/consentement",
                         {"body": body, "on_withdrawal": on_withdrawal})


# --- consent ------------------------------------------------------------------------------

def test_the_default_consent_text_says_what_is_kept_who_sees_it_how_long_and_how_to_stop(
        app, employer):
    _, link, _ = make_invitation(app, employer)
    page = text(app.test_client().get(link))
    for heading in ("Ce que nous gardons", "Qui le voit", "Combien de temps", "Comment arrêter"):
        assert heading in page
    assert "jamais le contenu de vos échanges" in page
    assert "Version 1 du consentement" in page
    for criterion in ("plein gré", "égal à égal", "exprimer ce que j'attends",
                      "relation de confiance"):
        assert criterion in page
    assert "Seuls le ou la référente du programme et votre futur pair-aidant le liront" in page


def test_each_person_keeps_the_consent_version_they_accepted(app, employer, referent):
    _, first = join(app, employer)
    response = publish(referent, employer, "Nouveau texte : ce que nous gardons, etc.")
    assert response.status_code == 302
    assert "La version 2 du consentement est publiée" in text(referent.get(response.headers["Location"]))
    _, second = join(app, employer)
    assert participations(app, employer, first)[0]["consent_version"] == 1
    assert participations(app, employer, second)[0]["consent_version"] == 2
    # A new version changes nothing when the text is the same.
    publish(referent, employer, "Nouveau texte : ce que nous gardons, etc.")
    _, third = join(app, employer)
    assert participations(app, employer, third)[0]["consent_version"] == 2


def test_a_consent_text_changed_while_reading_must_be_read_again(app, employer, referent):
    _, link, email = make_invitation(app, employer)
    client = app.test_client()
    data = acceptance(client, link)  # reads version 1
    publish(referent, employer, "Version revue du texte.")
    before = employer_state(app, employer)
    response = client.post(link, data=data)
    assert response.status_code == 409
    page = text(response)
    assert "Le texte du consentement a changé pendant que vous le lisiez" in page
    assert "Version revue du texte." in page and "Version 2 du consentement" in page
    assert employer_state(app, employer) == before
    assert roles_of(app, employer, email) == set()
    # Read again, accepted again: version 2 is recorded.
    assert client.post(link, data=acceptance(client, link)).status_code == 302
    assert participations(app, employer, email)[0]["consent_version"] == 2


def test_the_consent_text_is_required_and_bounded(app, employer, referent):
    empty = publish(referent, employer, "")
    assert empty.status_code == 400 and "Saisissez le texte du consentement." in text(empty)
    long = publish(referent, employer, "x" * 10001)
    assert long.status_code == 400 and "10000 caractères au plus" in text(long)


def test_a_pair_aide_enrolled_before_consents_were_recorded_gives_it_on_their_page(app, employer):
    person = create_user(app, employer=employer, role="pair-aide")
    client = app.test_client()
    login(client, person)
    path = f"/e/{employer.slug}/ma-participation"
    page = text(client.get(path))
    assert "n'est pas encore enregistré" in page
    from server.participation.forms import CRITERIA_FIELDS
    from tests.fixtures.app import csrf_token

    missing = client.post(path, data={"csrf_token": csrf_token(client, path), "action": "consentir",
                                      "consent_version": "1"})
    assert missing.status_code == 400
    assert "Cochez la case de consentement pour continuer." in text(missing)
    assert participations(app, employer, person.email) == []
    data = {"csrf_token": csrf_token(client, path), "action": "consentir", "consent_version": "1",
            "consent": "y", **{name: "y" for name in CRITERIA_FIELDS}}
    assert client.post(path, data=data).status_code == 302
    assert participations(app, employer, person.email)[0]["consent_version"] == 1


# --- what the référent sees ----------------------------------------------------------------

def test_the_referent_sees_participants_with_status_and_consent_date_only(app, employer,
                                                                          referent):
    join(app, employer, name="Paule Participante", needs="Un besoin très personnel")
    page = text(referent.get(f"/e/{employer.slug}/programme/participants"))
    assert "Paule Participante" in page and "Participe" in page
    assert "Consentement donné le" in page
    assert "Un besoin très personnel" not in page and "Plutôt en fin de journée" not in page


def test_participants_are_for_the_referents_of_the_employer_only(app, employer):
    helper = create_user(app, employer=employer, role="pair-aidant")
    outsider = create_user(app, employer=create_employer(app), role="referent")
    for person, status in ((helper, 403), (outsider, 404)):
        client = app.test_client()
        login(client, person)
        for page in ("participants", "consentement"):
            assert client.get(f"/e/{employer.slug}/programme/{page}").status_code == status


def test_my_participation_is_mine_only(app, employer):
    client, _ = join(app, employer)
    outsider = create_user(app, employer=create_employer(app), role="pair-aide")
    other = app.test_client()
    login(other, outsider)
    assert other.get(f"/e/{employer.slug}/ma-participation").status_code == 404


# --- what the person states ------------------------------------------------------------------

def test_the_person_changes_or_erases_what_they_stated(app, employer):
    client, email = join(app, employer)
    path = f"/e/{employer.slug}/ma-participation"
    assert NEEDS in text(client.get(path))
    response = referent_post(client, path, {"action": "modifier", "needs": "",
                                            "preferences": "En visioconférence"})
    assert response.status_code == 302
    row = participations(app, employer, email)[0]
    assert row["needs"] is None and row["preferences"] == "En visioconférence"
    too_long = referent_post(client, path, {"action": "modifier", "needs": "x" * 2001})
    assert too_long.status_code == 400
    assert "Vos besoins doivent faire 2000 caractères au plus." in text(too_long)
    assert participations(app, employer, email)[0]["preferences"] == "En visioconférence"


# --- withdrawal -----------------------------------------------------------------------------

def test_withdrawing_needs_a_confirmation(app, employer):
    client, email = join(app, employer)
    before = employer_state(app, employer)
    response = referent_post(client, f"/e/{employer.slug}/ma-participation", {"action": "arreter"})
    assert response.status_code == 400
    assert "Cochez la case pour confirmer que vous arrêtez." in text(response)
    assert employer_state(app, employer) == before


def test_withdrawing_ends_the_participation_deletes_what_was_stated_and_removes_the_role(
        app, employer, referent):
    client, email = join(app, employer, name="Wanda Withdraw")
    left = []

    def on_left(profile, **kw):
        left.append(profile.display_name)

    signals.person_left.connect(on_left)
    try:
        response = referent_post(client, f"/e/{employer.slug}/ma-participation",
                                 {"action": "arreter", "confirm": "y"})
    finally:
        signals.person_left.disconnect(on_left)
    assert response.status_code == 302
    # No role left in the space: back to the list of spaces, with the confirmation.
    assert response.headers["Location"] == "/espaces"
    assert "Votre participation est arrêtée. Vos besoins et préférences sont effacés." in text(
        client.get("/espaces"))
    assert left == ["Wanda Withdraw"]
    (row,) = participations(app, employer, email)
    assert row["status"] == "left" and row["left_at"] is not None
    assert row["needs"] is None and row["preferences"] is None
    assert row["consent_version"] == 1  # the fact of the consent stays, for the counts
    assert roles_of(app, employer, email) == set()
    assert client.get(f"/e/{employer.slug}/ma-participation").status_code == 404
    page = text(referent.get(f"/e/{employer.slug}/programme/participants"))
    assert "Wanda Withdraw" in page and "A arrêté le" in page and "1 ayant arrêté" in page
    _profile_status = _status_of_profile(app, employer, email)
    assert _profile_status == "left"


def test_withdrawing_keeps_what_was_stated_when_the_consent_said_so(app, employer, referent):
    publish(referent, employer, "Texte où les besoins sont gardés.", on_withdrawal="keep")
    client, email = join(app, employer)
    response = referent_post(client, f"/e/{employer.slug}/ma-participation",
                             {"action": "arreter", "confirm": "y"})
    assert response.status_code == 302
    (row,) = participations(app, employer, email)
    assert row["status"] == "left" and row["needs"] == NEEDS


def test_a_person_with_another_role_stays_in_the_space_after_withdrawing(app, employer):
    person = create_user(app, employer=employer, role="membre")
    _, link, _ = make_invitation(app, employer, role="pair-aide", email=person.email)
    client = app.test_client()
    login(client, person)
    data = acceptance(client, link)
    for key in ("display_name", "password", "password_confirm"):
        data.pop(key)
    assert client.post(link, data=data).status_code == 302
    path = f"/e/{employer.slug}/ma-participation"
    response = referent_post(client, path, {"action": "arreter", "confirm": "y"})
    assert response.headers["Location"] == path
    page = text(client.get(path))
    assert "Vous avez arrêté votre participation le" in page
    assert roles_of(app, employer, person.email) == {"membre"}


def _status_of_profile(app, employer, email):
    import sqlalchemy as sa

    with app.app_context():
        db = app.extensions["sqlalchemy"]
        try:
            return db.session.execute(sa.text(
                f"SELECT p.status FROM {employer.schema}.profile p JOIN network.account a "
                "ON a.id = p.user_id WHERE lower(a.email) = :e"), {"e": email}).scalar_one()
        finally:
            db.session.remove()
