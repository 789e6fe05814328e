"""Binômes: profiles, matching runs, double opt-in, the life of a binôme, meetings, reminders,
refusals that keep the previous state — over HTTP, pages and API."""
from __future__ import annotations

import html
from datetime import timedelta

import pytest
from rq import SimpleWorker

from server import clock
from server.jobs import enqueue, queue, redis_connection
from tests.binomes_helpers import (accepted_binome, enable_binomes, helper_profile, person,
                                   publish_one, seeker_profile, space)
from tests.fixtures.app import csrf_token
from tests.fixtures.factories import create_employer, create_user, login
from tests.fixtures.snapshots import employer_state


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def post_form(p, path, data, page=None):
    base = f"/e/{p.employer.slug}/binomes"
    token = csrf_token(p.client, base + (page or path))
    return p.client.post(base + path, data={"csrf_token": token, **data})


# --- enabling -------------------------------------------------------------------------------

def test_pages_and_api_answer_404_where_the_employer_did_not_enable_binomes(app):
    ref = create_employer(app)
    referent = create_user(app, employer=ref, role="referent")
    client = app.test_client()
    login(client, referent)
    for path in ("/", "/appariements", "/binomes/1"):
        assert client.get(f"/e/{ref.slug}/binomes{path}").status_code == 404
    assert client.get(f"/api/v1/e/{ref.slug}/binomes/binomes").status_code == 404
    enable_binomes(app, ref)
    assert client.get(f"/e/{ref.slug}/binomes/").status_code == 200
    assert client.get(f"/api/v1/e/{ref.slug}/binomes/binomes").status_code == 200


def test_the_api_is_in_the_openapi_document(app):
    paths = app.test_client().get("/api/v1/openapi.json").json["paths"]
    for path in ("profiles/helpers/{profile_id}", "runs", "runs/{run_id}/publish",
                 "binomes/{binome_id}/answer", "binomes/{binome_id}/meetings"):
        assert f"/api/v1/e/{{tenant}}/binomes/{path}" in paths


# --- settings -------------------------------------------------------------------------------

def test_settings_that_break_the_schema_are_refused_in_french_and_nothing_changes(app):
    s = space(app)
    url = f"/e/{s.ref.slug}/programme/modeles/binomes"
    client = s.referent.client
    page = text(client.get(url))
    assert "Relance après combien de jours sans rencontre" in page and 'value="30"' in page
    before = employer_state(app, s.ref)
    refused = client.post(url, data={
        "csrf_token": csrf_token(client, url), "version": "1",
        "experiences": "Santé mentale\nsanté mentale", "weight_experience": "-1",
        "weight_site": "1", "weight_availability": "1", "max_common_slots": "3",
        "reminder_days": "0", "meeting_formats": "En présentiel"})
    body = text(refused)
    assert refused.status_code == 400
    assert "Chaque élément ne doit figurer qu'une fois dans la liste." in body
    assert "La valeur doit être comprise entre 1 et 365." in body
    assert "La valeur doit être comprise entre 0 et 10." in body
    assert employer_state(app, s.ref) == before


def test_the_employer_extends_the_list_of_experiences(app):
    s = space(app, experiences=["Santé mentale", "Aidant familial"])
    page = text(s.helper.page("/profil/pair-aidant"))
    assert "Aidant familial" in page and "Handicap moteur" not in page


# --- profiles -------------------------------------------------------------------------------

def test_a_profile_form_with_errors_lists_them_in_french_and_keeps_the_values(app):
    s = space(app)
    newcomer = person(app, s.ref, "pair-aidant")
    response = post_form(newcomer, "/profil/pair-aidant",
                         {"capacity": "12", "site": "Annexe Nord", "version": "0"})
    body = text(response)
    assert response.status_code == 400
    assert 'class="error-summary"' in body
    assert "Cochez au moins une expérience que vous pouvez partager." in body
    assert "Saisissez un nombre de binômes entre 1 et 10." in body
    assert 'value="Annexe Nord"' in body
    saved = post_form(newcomer, "/profil/pair-aidant", {
        "experiences": "Maladie chronique", "availability": "jeudi-matin", "capacity": "2",
        "version": "0"})
    assert saved.status_code == 302
    assert newcomer.api("get", f"/profiles/helpers/{newcomer.profile_id}").json["capacity"] == 2


def test_a_profile_cannot_be_edited_by_someone_else(app):
    s = space(app)
    before = employer_state(app, s.ref)
    for intruder in (s.referent, s.seeker):
        r = intruder.api("put", f"/profiles/helpers/{s.helper.profile_id}", json={
            "experiences": ["Handicap moteur"], "availability": ["lundi-matin"],
            "capacity": 5, "version": 1})
        assert r.status_code == 403 and r.json["error"]["code"] == "not_profile_owner"
        assert r.json["error"]["message"] == "Seule la personne concernée peut modifier son profil."
    assert employer_state(app, s.ref) == before


def test_a_stale_profile_version_is_refused_with_409(app):
    s = space(app)
    body = {"experiences": ["Santé mentale"], "availability": ["lundi-matin"], "capacity": 2,
            "version": 1}
    assert s.helper.api("put", f"/profiles/helpers/{s.helper.profile_id}",
                        json=body).status_code == 200
    late = s.helper.api("put", f"/profiles/helpers/{s.helper.profile_id}",
                        json={**body, "capacity": 3})
    assert late.status_code == 409 and late.json["error"]["code"] == "stale_version"
    assert s.helper.api("get", f"/profiles/helpers/{s.helper.profile_id}").json["capacity"] == 2


# --- matching -------------------------------------------------------------------------------

def test_a_matching_with_nobody_to_match_says_so_and_writes_nothing(app):
    ref = create_employer(app)
    enable_binomes(app, ref)
    referent = person(app, ref, "referent")
    before = employer_state(app, ref)
    page = post_form(referent, "/appariements", {})
    assert page.status_code == 422
    assert "Personne à apparier" in text(page) and 'class="error-summary"' in text(page)
    api = referent.api("post", "/runs")
    assert api.status_code == 422 and api.json["error"]["code"] == "nobody_to_match"
    assert api.json["error"]["message"].startswith("Personne à apparier")
    assert employer_state(app, ref) == before


def test_a_matching_under_impossible_constraints_says_why_and_writes_nothing(app):
    s = space(app)
    seeker_profile(s.seeker, availability=["vendredi-apres-midi"], version=1)
    before = employer_state(app, s.ref)
    r = s.referent.api("post", "/runs")
    assert r.status_code == 422 and r.json["error"]["code"] == "no_possible_pair"
    assert "Aucun créneau de disponibilité en commun." in r.json["error"]["details"]["reasons"]
    assert employer_state(app, s.ref) == before


def test_the_preview_explains_each_score_then_the_referent_removes_and_publishes(app):
    s = space(app)
    other_seeker = person(app, s.ref, "pair-aide", "Odile Autre")
    seeker_profile(other_seeker, looking_for=["Handicap moteur"], site="Annexe")
    helper_profile(s.helper, capacity=2, version=1)
    launched = post_form(s.referent, "/appariements", {})
    assert launched.status_code == 302
    run_path = launched.headers["Location"].split("/binomes", 1)[1]
    preview = text(s.referent.page(run_path))
    assert "1 expérience partagée : Santé mentale (3 points)" in preview
    assert "Même site : Hôtel de ville" in preview
    assert "Odile Autre" in preview and "<caption>" in preview
    run_id = int(run_path.rsplit("/", 1)[1])
    run = s.referent.api("get", f"/runs/{run_id}").json
    assert {p["seeker_id"] for p in run["proposals"]} == {s.seeker.profile_id,
                                                          other_seeker.profile_id}
    explained = next(p for p in run["proposals"] if p["seeker_id"] == s.seeker.profile_id)
    assert sum(r["points"] for r in explained["explanation"]) == explained["score"]

    odile = next(p for p in run["proposals"] if p["seeker_id"] == other_seeker.profile_id)
    removed = post_form(s.referent, f"/appariements/{run_id}/retirer",
                        {"proposition": odile["id"], "version": run["version"]},
                        page=run_path)
    assert removed.status_code == 302
    published = post_form(s.referent, f"/appariements/{run_id}/publier",
                          {"version": run["version"] + 1}, page=run_path)
    assert published.status_code == 302
    assert [b["seeker_id"] for b in s.referent.api("get", "/binomes").json] == [
        s.seeker.profile_id]
    assert other_seeker.api("get", "/binomes").json == []


def test_two_referents_adjusting_the_same_run_the_second_is_told_and_nothing_is_lost(app):
    s = space(app)
    second = person(app, s.ref, "referent")
    run = s.referent.api("post", "/runs").json
    run_path = f"/appariements/{run['id']}"
    (proposal,) = run["proposals"]
    assert post_form(s.referent, f"{run_path}/publier", {"version": run["version"]},
                     page=run_path).status_code == 302
    before = employer_state(app, s.ref)
    late = post_form(second, f"{run_path}/retirer",
                     {"proposition": proposal["id"], "version": run["version"]}, page=run_path)
    assert late.status_code == 409
    assert "Une autre personne a modifié cet élément" in text(late)
    api_late = second.api("post", f"/runs/{run['id']}/publish", json={"version": run["version"]})
    assert api_late.status_code == 409 and api_late.json["error"]["code"] == "stale_version"
    assert employer_state(app, s.ref) == before


def test_publishing_a_run_outdated_by_another_publication_is_refused_whole(app):
    s = space(app)
    first = s.referent.api("post", "/runs").json
    second = s.referent.api("post", "/runs").json
    assert s.referent.api("post", f"/runs/{first['id']}/publish",
                          json={"version": first["version"]}).status_code == 200
    before = employer_state(app, s.ref)
    r = s.referent.api("post", f"/runs/{second['id']}/publish",
                       json={"version": second["version"]})
    assert r.status_code == 409 and r.json["error"]["code"] == "run_outdated"
    assert "n'est plus en attente de binôme" in r.json["error"]["message"]
    assert employer_state(app, s.ref) == before


# --- double opt-in and the pool -------------------------------------------------------------

def test_a_binome_is_accepted_only_when_both_sides_accept(app):
    s = space(app)
    binome_id = publish_one(s)
    one = s.helper.api("post", f"/binomes/{binome_id}/answer", json={"answer": "accept"})
    assert one.json["status"] == "proposed" and one.json["helper_answer"] == "accepted"
    again = s.helper.api("post", f"/binomes/{binome_id}/answer", json={"answer": "accept"})
    assert again.status_code == 409
    page = post_form(s.seeker, f"/binomes/{binome_id}/reponse", {"reponse": "accepter"},
                     page=f"/binomes/{binome_id}")
    assert page.status_code == 302
    after = s.referent.api("get", f"/binomes/{binome_id}").json
    assert after["status"] == "accepted" and after["accepted_at"]
    assert [e["event"] for e in after["history"]] == [
        "proposed", "accepted-by-helper", "accepted-by-seeker", "accepted"]


def test_the_referent_cannot_answer_for_a_member(app):
    s = space(app)
    binome_id = publish_one(s)
    r = s.referent.api("post", f"/binomes/{binome_id}/answer", json={"answer": "accept"})
    assert r.status_code == 403 and r.json["error"]["code"] == "not_a_member"


def test_declining_returns_both_to_the_pool_and_the_pair_is_not_proposed_again(app):
    s = space(app)
    binome_id = publish_one(s)
    r = s.seeker.api("post", f"/binomes/{binome_id}/answer", json={"answer": "decline"})
    assert r.json["status"] == "declined"
    # The pair-aidant's place is free again: another pair-aidé gets them.
    newcomer = person(app, s.ref, "pair-aide")
    seeker_profile(newcomer)
    other_helper = person(app, s.ref, "pair-aidant")
    helper_profile(other_helper, experiences=["Maladie chronique"])
    run = s.referent.api("post", "/runs").json
    pairs = {(p["helper_id"], p["seeker_id"]) for p in run["proposals"]}
    assert (s.helper.profile_id, s.seeker.profile_id) not in pairs
    assert {p["seeker_id"] for p in run["proposals"]} == {s.seeker.profile_id,
                                                          newcomer.profile_id}
    assert (s.helper.profile_id, newcomer.profile_id) in pairs


# --- lifecycle ------------------------------------------------------------------------------

def test_accepted_active_closed_with_a_reason_and_a_history(app):
    s = space(app)
    binome_id = accepted_binome(s)
    b = s.seeker.api("get", f"/binomes/{binome_id}").json
    started = s.seeker.api("post", f"/binomes/{binome_id}/start", json={"version": b["version"]})
    assert started.json["status"] == "active"
    page_path = f"/binomes/{binome_id}"
    no_reason = post_form(s.referent, f"{page_path}/cloture",
                          {"reason": "", "version": started.json["version"]}, page=page_path)
    assert no_reason.status_code == 422 and "Choisissez la raison de la clôture." in text(no_reason)
    closed = post_form(s.referent, f"{page_path}/cloture",
                       {"reason": "objectifs-atteints", "version": started.json["version"]},
                       page=page_path)
    assert closed.status_code == 302
    after = s.helper.api("get", page_path).json
    assert after["status"] == "closed" and after["close_reason"] == "objectifs-atteints"
    assert [e["event"] for e in after["history"]][-2:] == ["active", "closed"]
    assert "Les objectifs sont atteints" in text(s.helper.page(page_path))


@pytest.mark.parametrize("action", ["start", "close"])
def test_a_proposed_binome_can_be_neither_started_nor_closed(app, action):
    s = space(app)
    binome_id = publish_one(s)
    version = s.referent.api("get", f"/binomes/{binome_id}").json["version"]
    before = employer_state(app, s.ref)
    body = {"version": version, **({"reason": "autre"} if action == "close" else {})}
    r = s.referent.api("post", f"/binomes/{binome_id}/{action}", json=body)
    assert r.status_code == 409 and r.json["error"]["code"] == "invalid_transition"
    assert "pas encore accepté" in r.json["error"]["message"] or \
        "proposition" in r.json["error"]["message"]
    assert employer_state(app, s.ref) == before


def test_a_closed_binome_cannot_be_closed_again_nor_restarted(app):
    s = space(app)
    binome_id = accepted_binome(s)
    v = s.referent.api("get", f"/binomes/{binome_id}").json["version"]
    closed = s.referent.api("post", f"/binomes/{binome_id}/close",
                            json={"version": v, "reason": "fin-de-periode"}).json
    again = s.referent.api("post", f"/binomes/{binome_id}/close",
                           json={"version": closed["version"], "reason": "autre"})
    assert again.status_code == 409 and again.json["error"]["message"] == "Ce binôme est déjà clos."
    restart = s.helper.api("post", f"/binomes/{binome_id}/start",
                           json={"version": closed["version"]})
    assert restart.status_code == 409


def test_two_referents_closing_the_same_binome_the_second_gets_409(app):
    s = space(app)
    binome_id = accepted_binome(s)
    v = s.referent.api("get", f"/binomes/{binome_id}").json["version"]
    assert s.referent.api("post", f"/binomes/{binome_id}/start",
                          json={"version": v}).status_code == 200
    late = s.referent.api("post", f"/binomes/{binome_id}/close",
                          json={"version": v, "reason": "autre"})
    assert late.status_code == 409 and late.json["error"]["code"] == "stale_version"
    assert s.referent.api("get", f"/binomes/{binome_id}").json["status"] == "active"


# --- meetings -------------------------------------------------------------------------------

def test_the_first_meeting_starts_an_accepted_binome(app):
    s = space(app)
    binome_id = accepted_binome(s)
    r = s.helper.api("post", f"/binomes/{binome_id}/meetings", json={
        "held_on": clock.today().isoformat(), "duration_minutes": 45,
        "format": "En présentiel", "note": "On a parlé du télétravail."})
    assert r.status_code == 201 and r.json["note"] == "On a parlé du télétravail."
    assert s.seeker.api("get", f"/binomes/{binome_id}").json["status"] == "active"


def test_a_meeting_with_bad_fields_is_refused_in_french(app):
    s = space(app)
    binome_id = accepted_binome(s)
    page_path = f"/binomes/{binome_id}"
    r = post_form(s.seeker, f"{page_path}/rencontres", {
        "held_on": (clock.today() + timedelta(days=3)).isoformat(), "duration_minutes": "0",
        "format": "Par pigeon voyageur", "note": "Gardé"}, page=page_path)
    body = text(r)
    assert r.status_code == 400
    assert "La date de la rencontre ne peut pas être dans le futur." in body
    assert "Saisissez une durée en minutes, entre 1 et 600." in body
    assert "Choisissez la forme de la rencontre dans la liste." in body
    assert ">Gardé</textarea>" in body


def test_a_meeting_for_a_closed_binome_is_refused_and_nothing_is_written(app):
    s = space(app)
    binome_id = accepted_binome(s)
    v = s.referent.api("get", f"/binomes/{binome_id}").json["version"]
    s.referent.api("post", f"/binomes/{binome_id}/close", json={"version": v, "reason": "autre"})
    before = employer_state(app, s.ref)
    page_path = f"/binomes/{binome_id}"
    page = post_form(s.helper, f"{page_path}/rencontres", {
        "held_on": clock.today().isoformat(), "duration_minutes": "30",
        "format": "Par téléphone"}, page=page_path)
    assert page.status_code == 409
    assert "Ce binôme est clos : on ne peut plus y noter de rencontre." in text(page)
    api = s.helper.api("post", f"/binomes/{binome_id}/meetings", json={
        "held_on": clock.today().isoformat(), "duration_minutes": 30, "format": "Par téléphone"})
    assert api.status_code == 409 and api.json["error"]["code"] == "binome_closed"
    assert employer_state(app, s.ref) == before


def test_a_meeting_for_a_binome_not_yet_accepted_is_refused(app):
    s = space(app)
    binome_id = publish_one(s)
    r = s.helper.api("post", f"/binomes/{binome_id}/meetings", json={
        "held_on": clock.today().isoformat(), "duration_minutes": 30, "format": "Par téléphone"})
    assert r.status_code == 409 and r.json["error"]["code"] == "binome_not_accepted"


# --- reminders and indicators ---------------------------------------------------------------

def test_the_reminder_job_reminds_pairs_without_a_recent_meeting_once(app, mailbox):
    from plugins.binomes.jobs import remind_idle_binomes
    from plugins.binomes.signals import reminder_due

    s = space(app, reminder_days=20)
    idle = accepted_binome(s)
    s.helper.api("post", f"/binomes/{idle}/meetings", json={
        "held_on": (clock.today() - timedelta(days=25)).isoformat(), "duration_minutes": 60,
        "format": "En présentiel"})
    busy_helper = person(app, s.ref, "pair-aidant")
    helper_profile(busy_helper, experiences=["Handicap moteur"])
    busy_seeker = person(app, s.ref, "pair-aide")
    seeker_profile(busy_seeker, looking_for=["Handicap moteur"])
    from tests.binomes_helpers import Space
    busy = accepted_binome(Space(s.ref, s.referent, busy_helper, busy_seeker))
    busy_helper.api("post", f"/binomes/{busy}/meetings", json={
        "held_on": (clock.today() - timedelta(days=2)).isoformat(), "duration_minutes": 30,
        "format": "Par téléphone"})

    received = []

    def receiver(binome, idle_days, recipients, **_):
        received.append((binome.id, idle_days, recipients))

    reminder_due.connect(receiver)
    try:
        with app.app_context():
            jobs = [enqueue(remind_idle_binomes, tenant=s.ref.slug) for _ in range(2)]
            SimpleWorker([queue(app)], connection=redis_connection(app)).work(burst=True)
    finally:
        reminder_due.disconnect(receiver)
    for job in jobs:
        job.refresh()
    assert jobs[0].return_value() == [idle]
    assert jobs[1].return_value() == []  # once per idle spell
    assert received == [(idle, 25, (s.helper.profile_id, s.seeker.profile_id))]
    assert "aucune rencontre depuis 25 jours" in text(s.seeker.page(f"/binomes/{idle}"))
    # Both members got an e-mail through the SMTP server, saying nothing about health.
    for member in (s.helper, s.seeker):
        (message,) = mailbox.to(member.account.email)
        body = message.get_body(("plain",)).get_content()
        assert "pas noté de rencontre depuis 20 jours" in body
    for member in (busy_helper, busy_seeker):
        assert mailbox.to(member.account.email) == []


def test_the_plugin_declares_its_reminder_as_a_periodic_job(app):
    from plugins.binomes.jobs import remind_idle_binomes

    plugin = app.extensions["entrepairs.plugins"]["binomes"]
    assert [j.func for j in plugin.periodic_jobs] == [remind_idle_binomes]


def test_indicators_count_active_binomes_and_meetings(app):
    from plugins.base import Period
    from tenants import tenant_context

    s = space(app)
    binome_id = accepted_binome(s)
    s.helper.api("post", f"/binomes/{binome_id}/meetings", json={
        "held_on": clock.today().isoformat(), "duration_minutes": 90, "format": "En présentiel"})
    plugin = app.extensions["entrepairs.plugins"]["binomes"]
    with app.app_context(), tenant_context(s.ref.slug):
        figures = {i.key: i for i in plugin.indicators(
            Period(start=clock.today() - timedelta(days=30), end=clock.today()))}
    assert figures["binomes.active"].value == 1
    assert figures["binomes.meetings"].value == 1
    assert figures["binomes.meetings"].breakdown == (("En présentiel", 1),)
    assert figures["binomes.meeting_hours"].value == 1.5
