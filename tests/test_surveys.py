"""Satisfaction surveys: invitations from signals, anonymous answers, thresholds, versions."""
from __future__ import annotations

import html
from datetime import timedelta

import pytest
import sqlalchemy as sa

from server import clock
from tests.fixtures.app import csrf_token
from tests.fixtures.factories import create_employer, create_user, login


def _ctx(app, ref):
    from tenants import tenant_context
    return tenant_context(ref.slug)


def _profile_id(app, ref, person) -> int:
    from server.employers.models import Profile
    with app.app_context(), _ctx(app, ref):
        db = app.extensions["sqlalchemy"]
        return db.session.execute(sa.select(Profile.id).where(
            Profile.user_id == person.id)).scalar_one()


def _invite(app, ref, profile_ids, kind="apres-seance", model="binomes") -> list[int]:
    """Invitations as a model's signal makes them."""
    from server import signals
    from server.surveys.models import SurveyInvitation
    with app.app_context(), _ctx(app, ref):
        db = app.extensions["sqlalchemy"]
        if kind == "apres-seance":
            signals.session_held.send(model, kind="meeting", held_at=clock.today(), minutes=60,
                                      participants=profile_ids)
        else:
            signals.engagement_ended.send(model, kind="binome", participants=profile_ids)
        db.session.commit()
        return list(db.session.execute(sa.select(SurveyInvitation.id).where(
            SurveyInvitation.profile_id.in_(profile_ids), SurveyInvitation.kind == kind)
            .order_by(SurveyInvitation.id)).scalars())


def _answer(client, ref, invitation_id, scores=(4, 5, 3), comment=""):
    data = {"csrf_token": csrf_token(client, "/reseau/"), "comment": comment}
    page = client.get(f"/e/{ref.slug}/questionnaires/{invitation_id}").get_data(as_text=True)
    import re
    match = re.search(r'name="version" value="(\d+)"', page)
    if match:
        data["version"] = match.group(1)
    data.update({f"q{i}": str(s) for i, s in enumerate(scores, start=1)})
    return client.post(f"/e/{ref.slug}/questionnaires/{invitation_id}", data=data)


def _rows(app, ref, table):
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        return db.session.execute(sa.text(f'SELECT count(*) FROM "{ref.schema}".{table}')).scalar()


@pytest.fixture
def space(app):
    ref = create_employer(app)
    referent = create_user(app, employer=ref, role="referent")
    people = [create_user(app, employer=ref, role="pair-aide") for _ in range(5)]
    clients = []
    for p in people:
        c = app.test_client()
        login(c, p)
        clients.append(c)
    rc = app.test_client()
    login(rc, referent)
    ids = [_profile_id(app, ref, p) for p in people]
    return ref, rc, people, clients, ids


def test_response_table_holds_no_person(app, space):
    ref = space[0]
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        columns = set(db.session.execute(sa.text(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = :s "
            "AND table_name = 'survey_response'"), {"s": ref.schema}).scalars())
        answered = set(db.session.execute(sa.text(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = :s "
            "AND table_name = 'survey_answered'"), {"s": ref.schema}).scalars())
    assert columns == {"id", "kind", "model", "version_id", "answered_on", "scores",
                       "mean_score", "comment"}
    assert not {c for c in columns if "profile" in c or "user" in c or "invitation" in c
                or c.endswith("_at")}
    assert answered == {"invitation_id"}


def test_enrolment_schedules_a_30_day_follow_up(app, space):
    ref, rc, people, clients, ids = space
    from server.surveys.models import SurveyInvitation
    with app.app_context(), _ctx(app, ref):
        db = app.extensions["sqlalchemy"]
        inv = db.session.execute(sa.select(SurveyInvitation).where(
            SurveyInvitation.profile_id == ids[0],
            SurveyInvitation.kind == "suivi-30-jours")).scalar_one()
        assert inv.available_from - inv.created_at > timedelta(days=29)
    # Not open yet: not listed.
    assert "Un mois après" not in clients[0].get(f"/e/{ref.slug}/questionnaires/").get_data(
        as_text=True)


def test_thresholds_4_hidden_5_shown(app, space):
    ref, rc, people, clients, ids = space
    invitations = _invite(app, ref, ids)
    assert len(invitations) == 5
    page = clients[0].get(f"/e/{ref.slug}/questionnaires/").get_data(as_text=True)
    assert "Après une séance" in page
    for client, inv in zip(clients[:4], invitations[:4]):
        response = _answer(client, ref, inv, comment="Très utile")
        assert response.status_code == 302, response.get_data(as_text=True)[:800]
    results = rc.get(f"/e/{ref.slug}/questionnaires/resultats").get_data(as_text=True)
    assert "Pas assez de réponses pour préserver l&#39;anonymat" in results
    assert "Très utile" not in results
    board = rc.get(f"/e/{ref.slug}/programme/tableau-de-bord").get_data(as_text=True)
    assert "Pas assez de réponses pour préserver l'anonymat" in board
    assert _answer(clients[4], ref, invitations[4], scores=(2, 3, 1)).status_code == 302
    results = rc.get(f"/e/{ref.slug}/questionnaires/resultats").get_data(as_text=True)
    assert "Pas assez de réponses" not in results.split("Après une séance", 2)[2].split(
        "<section", 1)[0]
    # Means: q1 (4*4+2)/5 = 3,6 ; q2 (5*4+3)/5 = 4,6 ; q3 (3*4+1)/5 = 2,6
    assert "3,6" in results and "4,6" in results and "2,6" in results
    assert "Très utile" in results


def test_double_answer_refused(app, space):
    ref, rc, people, clients, ids = space
    inv = _invite(app, ref, ids[:1])[0]
    assert _answer(clients[0], ref, inv).status_code == 302
    before = _rows(app, ref, "survey_response")
    again = _answer(clients[0], ref, inv)
    assert again.status_code == 409
    assert "Vous avez déjà répondu à ce questionnaire" in again.get_data(as_text=True)
    assert _rows(app, ref, "survey_response") == before
    # Answered: no longer listed, and a new meeting invites again.
    assert f"/questionnaires/{inv}" not in clients[0].get(
        f"/e/{ref.slug}/questionnaires/").get_data(as_text=True)


def test_someone_elses_invitation_refused(app, space):
    ref, rc, people, clients, ids = space
    inv = _invite(app, ref, ids[:1])[0]
    before = _rows(app, ref, "survey_response")
    response = _answer(clients[1], ref, inv)
    assert response.status_code == 403
    assert "Ce questionnaire ne vous est pas adressé" in response.get_data(as_text=True)
    assert _rows(app, ref, "survey_response") == before
    assert _rows(app, ref, "survey_answered") == 0


@pytest.mark.parametrize("scores,message", [
    ((0, 5, 5), "La réponse à la question 1 doit être un nombre entier de 1 à 5."),
    ((5, 6, 5), "La réponse à la question 2 doit être un nombre entier de 1 à 5."),
    ((5, 5, "abc"), "La réponse à la question 3 doit être un nombre entier de 1 à 5."),
    ((5, 5), "Choisissez une réponse à la question 3, de 1 à 5."),
])
def test_out_of_range_refused(app, space, scores, message):
    ref, rc, people, clients, ids = space
    inv = _invite(app, ref, ids[:1])[0]
    response = _answer(clients[0], ref, inv, scores=scores)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _rows(app, ref, "survey_response") == 0
    assert _rows(app, ref, "survey_answered") == 0


def test_no_flood_one_open_invitation_per_model(app, space):
    ref, rc, people, clients, ids = space
    assert len(_invite(app, ref, ids[:1])) == 1
    assert len(_invite(app, ref, ids[:1])) == 1


def test_editing_questions_keeps_old_answers(app, space):
    ref, rc, people, clients, ids = space
    invitations = _invite(app, ref, ids, kind="fin-accompagnement")
    for client, inv in zip(clients, invitations):
        assert _answer(client, ref, inv, scores=(5, 4, 4)).status_code == 302
    url = f"/e/{ref.slug}/questionnaires/questions/fin-accompagnement"
    page = rc.get(url).get_data(as_text=True)
    assert "L&#39;accompagnement vous a-t-il aidé" in page
    empty = rc.post(url, data={"csrf_token": csrf_token(rc, "/reseau/"), "number": "1",
                               "question": ["", ""]})
    assert empty.status_code == 400
    assert "Saisissez au moins une question." in empty.get_data(as_text=True)
    saved = rc.post(url, data={"csrf_token": csrf_token(rc, "/reseau/"), "number": "1",
                               "question": ["Nouvelle question unique ?", ""]})
    assert saved.status_code == 302
    stale = rc.post(url, data={"csrf_token": csrf_token(rc, "/reseau/"), "number": "1",
                               "question": ["Autre ?"]})
    assert stale.status_code == 409
    results = rc.get(f"/e/{ref.slug}/questionnaires/resultats").get_data(as_text=True)
    # The old version keeps its three questions and its answers.
    assert "Version 1 : 5 réponses" in results
    assert "L&#39;accompagnement vous a-t-il aidé" in results
    assert "Nouvelle question unique ?" in results
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        versions = db.session.execute(sa.text(
            f'SELECT number, jsonb_array_length(questions) FROM "{ref.schema}".survey_version '
            "WHERE kind = 'fin-accompagnement' ORDER BY number")).all()
    assert versions == [(1, 3), (2, 1)]


def test_results_and_questions_are_for_referents(app, space):
    ref, rc, people, clients, ids = space
    assert clients[0].get(f"/e/{ref.slug}/questionnaires/resultats").status_code == 403
    assert clients[0].get(
        f"/e/{ref.slug}/questionnaires/questions/apres-seance").status_code == 403
    other = create_employer(app)
    outsider = create_user(app, employer=other, role="referent")
    c = app.test_client()
    login(c, outsider)
    assert c.get(f"/e/{ref.slug}/questionnaires/resultats").status_code == 404
    inv = _invite(app, ref, ids[:1])[0]
    assert c.get(f"/e/{ref.slug}/questionnaires/{inv}").status_code == 404


# --- end to end: a binôme's life over HTTP and the real jobs -----------------------------------

def test_a_binomes_life_invites_its_members_to_every_survey(app, mailbox):
    """Invited by e-mail, enrolled, paired, meeting twice, closing: both members get the 30-day
    follow-up (open after 30 days), one after-session survey (not one per meeting) and the
    end-of-accompaniment survey; everything driven over HTTP, e-mail through the RQ jobs."""
    from types import SimpleNamespace

    from server.surveys.models import SurveyInvitation
    from tests.binomes_helpers import (Person, Space, accepted_binome, enable_binomes,
                                       helper_profile, seeker_profile)
    from tests.fixtures.factories import api_token
    from tests.fixtures.mail import link_in, run_jobs
    from tests.invitation_helpers import NEW_PASSWORD, acceptance, new_email

    ref = create_employer(app)
    enable_binomes(app, ref)
    referent = create_user(app, employer=ref, role="referent")
    rc = app.test_client()
    bearer = {"Authorization": f"Bearer {api_token(rc, referent)}"}

    def member(role: str, name: str) -> Person:
        email = new_email()
        r = rc.post(f"/api/v1/e/{ref.slug}/invitations", headers=bearer,
                    json={"email": email, "display_name": name, "role": role})
        assert r.status_code == 201, r.json
        run_jobs(app)
        link = link_in(mailbox.to(email)[0])
        client = app.test_client()
        r = client.post(link, data=acceptance(client, link, name=name,
                                              helped=role == "pair-aide"))
        assert r.status_code == 302, r.get_data(as_text=True)[:800]
        account = SimpleNamespace(email=email, password=NEW_PASSWORD)  # signed in by then
        api_client = app.test_client()
        token = api_token(api_client, account)
        me = api_client.get(f"/api/v1/e/{ref.slug}/binomes/profiles/me",
                            headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200, me.json
        return Person(account, client, token, me.json["profile_id"], ref, api_client)

    ref_person = Person(referent, rc, bearer["Authorization"].split()[1], 0, ref, rc)
    helper, seeker = member("pair-aidant", "Paul Pair"), member("pair-aide", "Inès Aidée")
    helper_profile(helper)
    seeker_profile(seeker)
    s = Space(ref, ref_person, helper, seeker)

    def invitations(p) -> dict[str, int]:
        with app.app_context(), _ctx(app, ref):
            db = app.extensions["sqlalchemy"]
            rows = db.session.execute(sa.select(SurveyInvitation.kind, sa.func.count())
                                      .where(SurveyInvitation.profile_id == p.profile_id)
                                      .group_by(SurveyInvitation.kind)).all()
            db.session.remove()
        return dict(rows)

    def listed(p) -> str:
        return html.unescape(
            p.client.get(f"/e/{ref.slug}/questionnaires/").get_data(as_text=True))

    # Enrolment: the 30-day follow-up, not open yet.
    for p in (helper, seeker):
        assert invitations(p) == {"suivi-30-jours": 1}
        assert "Un mois après" not in listed(p)
    # Paired, then a meeting: the after-session survey for both members.
    binome_id = accepted_binome(s)
    run_jobs(app)
    r = helper.api("post", f"/binomes/{binome_id}/meetings", json={
        "held_on": clock.today().isoformat(), "duration_minutes": 60,
        "format": "En présentiel", "note": ""})
    assert r.status_code == 201, r.json
    run_jobs(app)
    for p in (helper, seeker):
        assert invitations(p) == {"suivi-30-jours": 1, "apres-seance": 1}
        assert "Après une séance" in listed(p)
    # A second meeting while the first survey is still open: no second invitation.
    r = seeker.api("post", f"/binomes/{binome_id}/meetings", json={
        "held_on": clock.today().isoformat(), "duration_minutes": 30,
        "format": "Par téléphone", "note": ""})
    assert r.status_code == 201, r.json
    assert invitations(seeker)["apres-seance"] == 1
    # The seeker answers; the next meeting invites them again.
    with app.app_context(), _ctx(app, ref):
        db = app.extensions["sqlalchemy"]
        first = db.session.execute(sa.select(SurveyInvitation.id).where(
            SurveyInvitation.profile_id == seeker.profile_id,
            SurveyInvitation.kind == "apres-seance")).scalar_one()
        db.session.remove()
    assert _answer(seeker.client, ref, first).status_code == 302
    r = helper.api("post", f"/binomes/{binome_id}/meetings", json={
        "held_on": clock.today().isoformat(), "duration_minutes": 45,
        "format": "En présentiel", "note": ""})
    assert r.status_code == 201, r.json
    assert invitations(seeker)["apres-seance"] == 2 and invitations(helper)["apres-seance"] == 1
    # Closing: the end-of-accompaniment survey for both.
    version = helper.api("get", f"/binomes/{binome_id}").json["version"]
    r = helper.api("post", f"/binomes/{binome_id}/close",
                   json={"reason": "objectifs-atteints", "version": version})
    assert r.status_code == 200, r.json
    run_jobs(app)
    for p in (helper, seeker):
        assert invitations(p)["fin-accompagnement"] == 1
        assert "À la fin d'un accompagnement" in listed(p)
    # Thirty days on, the follow-up opens.
    with app.app_context(), _ctx(app, ref):
        db = app.extensions["sqlalchemy"]
        db.session.execute(sa.update(SurveyInvitation).where(
            SurveyInvitation.kind == "suivi-30-jours").values(
            available_from=SurveyInvitation.available_from - timedelta(days=30),
            expires_at=SurveyInvitation.expires_at - timedelta(days=30)))
        db.session.commit()
        db.session.remove()
    for p in (helper, seeker):
        assert "Un mois après l'entrée dans le programme" in listed(p)
    # The référent, who took part in nothing, was invited to nothing.
    with app.app_context(), _ctx(app, ref):
        db = app.extensions["sqlalchemy"]
        total = db.session.execute(sa.select(sa.func.count()).select_from(SurveyInvitation)
                                   .where(SurveyInvitation.profile_id.not_in(
                                       [helper.profile_id, seeker.profile_id]))).scalar()
        db.session.remove()
    assert total == 0
