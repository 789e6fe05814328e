"""Interventions over HTTP: request by a référent, answer by the pair-aidant, report after the
date; bad input refused with French messages and nothing written; indicators; the agenda."""
from __future__ import annotations

import html
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from server import clock
from plugins.base import Period
from tests.fixtures.app import csrf_token
from tests.fixtures.factories import count_rows, create_employer
from tests.interventions_helpers import ask, enable, move_to_past, person, request_body, space


def text(r) -> str:
    return html.unescape(r.get_data(as_text=True))


@pytest.fixture(scope="module")
def s(app):
    return space(app)


def test_the_whole_life_of_an_intervention_feeds_the_time_spent(app, s):
    from server import signals

    item = ask(s, kind="comite", title="Comité de maintien du 2e trimestre")
    assert item["status"] == "requested"
    # Only the requested pair-aidant answers.
    r = s.other_helper.api("post", f"/interventions/{item['id']}/answer", json={"answer": "accept"})
    assert r.status_code == 404
    r = s.helper.api("post", f"/interventions/{item['id']}/answer", json={"answer": "accept"})
    assert r.status_code == 200 and r.json["status"] == "accepted"
    again = s.helper.api("post", f"/interventions/{item['id']}/answer", json={"answer": "decline"})
    assert again.status_code == 409 and again.json["error"]["code"] == "already_answered"
    # No report before the date.
    body = {"audience_size": 6, "minutes_spent": 120, "outcome": "atteint"}
    early = s.helper.api("post", f"/interventions/{item['id']}/report", json=body)
    assert early.status_code == 409 and "pas encore passée" in early.json["error"]["message"]
    move_to_past(app, s.ref, item["id"])
    received = []

    def on_held(sender, **kw):
        received.append((sender, kw))

    signals.session_held.connect(on_held)
    try:
        r = s.helper.api("post", f"/interventions/{item['id']}/report", json=body)
    finally:
        signals.session_held.disconnect(on_held)
    assert r.status_code == 200, r.json
    assert (r.json["status"], r.json["minutes_spent"], r.json["audience_size"]) == ("held", 120, 6)
    assert received and received[0][0] == "interventions"
    assert received[0][1]["minutes"] == 120
    # Nobody to invite to the after-session survey: the audience is not enrolled and the
    # pair-aidant ran it (docs/plugins.md, "Satisfaction surveys").
    assert received[0][1]["participants"] == ()
    from server.surveys.models import SurveyInvitation
    from tenants import tenant_context

    with app.app_context(), tenant_context(s.ref.slug):
        db = app.extensions["sqlalchemy"]
        invited = db.session.execute(sa.select(SurveyInvitation.kind).where(
            SurveyInvitation.profile_id == s.helper.profile_id)).scalars().all()
        # The time counts in the mission sheet's tracking instead.
        plugin = app.extensions["entrepairs.plugins"]["interventions"]
        spent = plugin.time_spent(Period(clock.today() - timedelta(days=2), clock.today()))
        db.session.remove()
    assert "apres-seance" not in invited
    assert [(t.profile_id, t.activity, t.hours) for t in spent] == [
        (s.helper.profile_id, "Comités de maintien dans l'emploi", 2.0)]


@pytest.mark.parametrize("change, field, message", [
    ({"kind": "atelier"}, "kind", "Choisissez le type d'intervention"),
    ({"title": "  "}, "title", "Saisissez l'objet"),
    ({"title": "x" * 161}, "title", "160 caractères"),
    ({"starts_at": "demain"}, "starts_at", "Saisissez la date et l'heure"),
    ({"starts_at": "2020-01-01T10:00"}, "starts_at", "doit être à venir"),
    ({"planned_minutes": 5}, "planned_minutes", "entre 15 et 600"),
    ({"planned_minutes": "beaucoup"}, "planned_minutes", "entre 15 et 600"),
    ({"helper_id": 99999999}, "helper_id", "ne participe pas au programme"),
])
def test_bad_requests_are_refused_in_french_and_nothing_is_written(app, s, change, field,
                                                                   message):
    before = count_rows(app, s.ref.schema, "interventions_intervention")
    r = s.referent.api("post", "/interventions",
                       json={**request_body(s.helper.profile_id), **change})
    assert r.status_code == 422
    assert message in " ".join(r.json["error"]["details"][field])
    assert count_rows(app, s.ref.schema, "interventions_intervention") == before


@pytest.mark.parametrize("change, field, message", [
    ({"audience_size": -1}, "audience_size", "entre 0 et 10 000"),
    ({"minutes_spent": 0}, "minutes_spent", "entre 1 et 1 440"),
    ({"outcome": "super"}, "outcome", "Choisissez le résultat"),
])
def test_bad_reports_are_refused_and_nothing_changes(app, s, change, field, message):
    item = ask(s)
    s.helper.api("post", f"/interventions/{item['id']}/answer", json={"answer": "accept"})
    move_to_past(app, s.ref, item["id"])
    body = {"audience_size": 10, "minutes_spent": 60, "outcome": "partiel", **change}
    r = s.helper.api("post", f"/interventions/{item['id']}/report", json=body)
    assert r.status_code == 422 and message in " ".join(r.json["error"]["details"][field])
    assert s.helper.api("get", f"/interventions/{item['id']}").json["status"] == "accepted"


def test_pages_request_form_errors_then_answer_and_report(app, s):
    path = f"/e/{s.ref.slug}/interventions/demander"
    c = s.referent.client
    r = c.post(path, data={"csrf_token": csrf_token(c, path), "kind": "", "title": "Mon objet"})
    assert r.status_code == 400
    body = text(r)
    assert "Il y a un problème" in body and "Choisissez le type d'intervention" in body
    assert 'value="Mon objet"' in body  # values kept
    start = (datetime.now() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    r = c.post(path, data={"csrf_token": csrf_token(c, path), "kind": "sensibilisation",
                           "title": "Sensibilisation des managers", "starts_at": start,
                           "planned_minutes": "60", "location": "", "helper_id":
                           str(s.helper.profile_id)})
    assert r.status_code == 302, text(r)[:800]
    detail = r.headers["Location"]
    h = s.helper.client
    page = h.get(detail)
    assert "Accepter" in text(page)
    r = h.post(detail, data={"csrf_token": csrf_token(h, detail), "action": "accepter",
                             "version": "1"})
    assert r.status_code == 302
    assert "Acceptée" in text(h.get(detail))
    # Someone else's intervention is a 404 for another pair-aidant.
    assert s.other_helper.client.get(detail).status_code == 404
    # A membre has no access.
    membre = person(app, s.ref, "membre")
    assert membre.page().status_code == 403


def test_indicators_count_held_interventions_by_kind_and_hours(app):
    sp = space(app)
    for kind, minutes in (("sensibilisation", 90), ("sensibilisation", 30), ("comite", 60)):
        item = ask(sp, kind=kind)
        sp.helper.api("post", f"/interventions/{item['id']}/answer", json={"answer": "accept"})
        move_to_past(app, sp.ref, item["id"])
        r = sp.helper.api("post", f"/interventions/{item['id']}/report", json={
            "audience_size": 10, "minutes_spent": minutes, "outcome": "atteint"})
        assert r.status_code == 200, r.json
    ask(sp)  # requested only: not counted
    from tenants import tenant_context

    with app.app_context(), tenant_context(sp.ref.slug):
        plugin = app.extensions["entrepairs.plugins"]["interventions"]
        figures = {i.key: i for i in plugin.indicators(
            Period(clock.today() - timedelta(days=30), clock.today()))}
    assert figures["interventions.held"].value == 3
    assert dict(figures["interventions.held"].breakdown) == {
        "Séance de sensibilisation": 2, "Comité de maintien dans l'emploi": 1}
    assert figures["interventions.hours"].value == 3.0
    assert figures["interventions.audience"].value == 20


def test_interventions_in_the_agenda_and_feed_cancelled_ones_marked(app, s):
    item = ask(s, title="Sensibilisation des nouveaux arrivants")
    uid = f"interventions-intervention-{item['id']}@{s.ref.slug}"
    agenda = text(s.helper.client.get(f"/e/{s.ref.slug}/agenda"))
    assert "Sensibilisation des nouveaux arrivants (à confirmer)" in agenda
    assert "Sensibilisation des nouveaux arrivants" not in text(
        s.other_helper.client.get(f"/e/{s.ref.slug}/agenda"))
    r = s.referent.api("post", f"/interventions/{item['id']}/cancel", json={})
    assert r.status_code == 200
    ics = s.helper.client.get(f"/e/{s.ref.slug}/agenda/{uid}.ics")
    (event,) = Calendar.from_ical(ics.data).walk("VEVENT")
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["LOCATION"]) == "Salle 2"
    assert event.decoded("DTSTART").tzinfo is not None
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=90)
    # Disabled model: gone from the agenda.
    enable(app, s.ref, enabled=False)
    try:
        assert s.helper.client.get(f"/e/{s.ref.slug}/agenda/{uid}.ics").status_code == 404
    finally:
        enable(app, s.ref)


def test_another_employer_gets_404(app, s):
    item = ask(s)
    elsewhere = create_employer(app)
    enable(app, elsewhere)
    outsider = person(app, elsewhere, "referent")
    outsider.employer = s.ref
    assert outsider.page(f"/{item['id']}").status_code == 404
    assert outsider.api("get", f"/interventions/{item['id']}").status_code == 404
