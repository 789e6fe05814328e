"""Permanences: offering slots (once or weekly), booking (optionally anonymously), cancelling,
refusals that say why and change nothing, e-mails through RQ jobs, the agenda and the
indicators — over HTTP, pages and API. The concurrent booking test is at the end."""
from __future__ import annotations

import html
import threading
from datetime import datetime, timedelta, timezone

import pytest
from rq import SimpleWorker


from server.clock import PARIS
from server.jobs import enqueue, queue, redis_connection
from tests.fixtures.factories import create_employer, create_user, login
from tests.fixtures.mail import run_jobs
from tests.fixtures.snapshots import employer_state
from tests.permanences_helpers import (enable_permanences, in_days, move_slot, offer, person,
                                       space, sql)

HEALTH_WORDS = ("santé", "handicap", "maladie", "pair-aidé", "psych", "traitement")


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def body_of(message) -> str:
    return message.get_body(("plain",)).get_content()


# --- enabling, settings ---------------------------------------------------------------------

def test_pages_and_api_answer_404_where_the_employer_did_not_enable_permanences(app):
    ref = create_employer(app)
    referent = create_user(app, employer=ref, role="referent")
    client = app.test_client()
    login(client, referent)
    for path in ("/", "/creneaux/nouveau", "/creneaux/1"):
        assert client.get(f"/e/{ref.slug}/permanences{path}").status_code == 404
    assert client.get(f"/api/v1/e/{ref.slug}/permanences/slots").status_code == 404
    enable_permanences(app, ref)
    assert client.get(f"/e/{ref.slug}/permanences/").status_code == 200
    assert client.get(f"/api/v1/e/{ref.slug}/permanences/slots").status_code == 200


def test_the_api_is_in_the_openapi_document(app):
    paths = app.test_client().get("/api/v1/openapi.json").json["paths"]
    for path in ("slots", "slots/{slot_id}", "slots/{slot_id}/book",
                 "slots/{slot_id}/cancel-booking", "slots/{slot_id}/cancel", "bookings",
                 "counts"):
        assert f"/api/v1/e/{{tenant}}/permanences/{path}" in paths


def test_the_settings_page_has_french_labels_and_defaults_and_refuses_bad_values(app):
    from tests.fixtures.app import csrf_token

    s = space(app)
    url = f"/e/{s.ref.slug}/programme/modeles/permanences"
    client = s.referent.client
    page = text(client.get(url))
    assert "Réservation possible combien de jours à l'avance" in page and 'value="30"' in page
    assert "Annulation possible jusqu'à combien d'heures avant" in page and 'value="24"' in page
    assert "Durée d'un créneau par défaut (minutes)" in page and 'value="45"' in page
    assert "Autoriser la réservation anonyme" in page
    before = employer_state(app, s.ref)
    refused = client.post(url, data={
        "csrf_token": csrf_token(client, url), "version": "1", "booking_window_days": "0",
        "cancellation_deadline_hours": "24", "default_duration_minutes": "45",
        "allow_anonymous": "on"})
    assert refused.status_code == 400
    assert "La valeur doit être comprise entre 1 et 365." in text(refused)
    assert employer_state(app, s.ref) == before


# --- offering slots -------------------------------------------------------------------------

def test_a_pair_aidant_offers_a_weekly_slot_through_the_form(app):
    s = space(app)
    form = text(s.helper.page("/creneaux/nouveau"))
    assert 'value="45"' in form  # the default duration of the settings
    day = (datetime.now(timezone.utc) + timedelta(days=2)).date()
    r = s.helper.post("/creneaux/nouveau", {
        "date": day.strftime("%d/%m/%Y"), "time": "14 h 00", "duration_minutes": "60",
        "mode": "remote",
        "location": "Lien envoyé la veille", "repeat_weeks": "3"}, page="/creneaux/nouveau")
    assert r.status_code == 302
    mine = s.helper.api("get", "/slots/mine").json
    assert len(mine) == 3 and len({m["series_id"] for m in mine}) == 1
    starts = [datetime.fromisoformat(m["starts_at"]) for m in mine]
    assert [(b - a).days for a, b in zip(starts, starts[1:])] == [7, 7]
    assert all(s_.astimezone(PARIS).hour == 14 for s_ in starts)  # same local time each week
    assert all(m["mode"] == "remote" and m["duration_minutes"] == 60 for m in mine)
    assert "Lien envoyé la veille" in text(s.seeker.page("/"))


def test_a_slot_form_with_errors_lists_them_in_french_and_keeps_the_values(app):
    s = space(app)
    before = employer_state(app, s.ref)
    r = s.helper.post("/creneaux/nouveau", {
        "date": "2020-01-06", "time": "", "duration_minutes": "2", "mode": "place",
        "location": "", "repeat_weeks": "1"}, page="/creneaux/nouveau")
    body = text(r)
    assert r.status_code == 400 and 'class="error-summary"' in body
    assert "Saisissez l'heure de début, par exemple 14:00." in body
    assert "Saisissez une durée en minutes, entre 5 et 480." in body
    assert "Indiquez le lieu du créneau sur place" in body
    assert 'value="2020-01-06"' in body
    assert employer_state(app, s.ref) == before


def test_only_pair_aidants_offer_slots_and_overlaps_are_refused(app):
    s = space(app)
    assert s.seeker.page("/creneaux/nouveau").status_code == 403
    r = s.seeker.api("post", "/slots", json={"starts_at": in_days(2).isoformat(),
                                             "duration_minutes": 30, "mode": "remote"})
    assert r.status_code == 403 and r.json["error"]["code"] == "not_a_helper"
    first = offer(s.helper, in_days(2))
    before = employer_state(app, s.ref)
    r = s.helper.api("post", "/slots", json={
        "starts_at": (datetime.fromisoformat(first["starts_at"]) + timedelta(minutes=30))
        .isoformat(), "duration_minutes": 30, "mode": "remote"})
    assert r.status_code == 409 and r.json["error"]["code"] == "slot_overlap"
    past = s.helper.api("post", "/slots", json={"starts_at": in_days(-1).isoformat(),
                                                "duration_minutes": 30, "mode": "remote"})
    assert past.status_code == 422
    assert past.json["error"]["details"]["starts_at"] == "Le créneau doit commencer dans le futur."
    assert employer_state(app, s.ref) == before


# --- booking and cancelling -----------------------------------------------------------------

def test_booking_through_the_page_then_cancelling_frees_the_slot(app, mailbox):
    s = space(app)
    slot = offer(s.helper)
    page = text(s.seeker.page(f"/creneaux/{slot['id']}"))
    assert "Réserver ce créneau" in page and "Réserver de façon anonyme" in page
    booked = s.seeker.post(f"/creneaux/{slot['id']}/reserver", page=f"/creneaux/{slot['id']}")
    assert booked.status_code == 302
    assert "Réservé par vous" in text(s.seeker.page(f"/creneaux/{slot['id']}"))
    assert "Inès Pair-Aidée" in text(s.helper.page(f"/creneaux/{slot['id']}"))
    assert slot["id"] not in [x["id"] for x in s.member.api("get", "/slots").json]
    (mine,) = s.seeker.api("get", "/bookings").json
    assert mine["status"] == "booked" and mine["anonymous"] is False

    cancelled = s.seeker.post(f"/creneaux/{slot['id']}/annuler-reservation",
                              page=f"/creneaux/{slot['id']}")
    assert cancelled.status_code == 302
    assert s.seeker.api("get", "/bookings").json[0]["status"] == "cancelled"
    # Free again: someone else books it.
    again = s.member.api("post", f"/slots/{slot['id']}/book", json={})
    assert again.status_code == 201
    run_jobs(app)
    (message,) = mailbox.to(s.helper.account.email)
    body = body_of(message)
    assert "a été annulée" in body and "Inès" not in body
    assert not any(word in body.lower() for word in HEALTH_WORDS)


def _refused(app, s, who, slot_id, code, message, body=None):
    before = employer_state(app, s.ref)
    r = who.api("post", f"/slots/{slot_id}/book", json=body or {})
    assert r.status_code in (409, 422), r.json
    assert r.json["error"]["code"] == code
    assert message in r.json["error"]["message"]
    page = who.post(f"/creneaux/{slot_id}/reserver", {"anonyme": "oui"} if body else {},
                    page=f"/creneaux/{slot_id}")
    assert page.status_code == r.status_code
    assert message in text(page) and 'class="error-summary"' in text(page)
    assert employer_state(app, s.ref) == before


def test_bad_bookings_each_get_a_specific_message_and_change_nothing(app):
    s = space(app, booking_window_days=10)
    past = offer(s.helper, in_days(1))
    move_slot(app, s.ref, past["id"], in_days(-1))
    _refused(app, s, s.seeker, past["id"], "slot_past", "Ce créneau est passé")
    far = offer(s.helper, in_days(20))
    _refused(app, s, s.seeker, far["id"], "outside_booking_window",
             "on réserve au plus 10 jours à l'avance")
    taken = offer(s.helper, in_days(3))
    assert s.member.api("post", f"/slots/{taken['id']}/book", json={}).status_code == 201
    _refused(app, s, s.seeker, taken["id"], "slot_taken", "vient d'être réservé")
    _refused(app, s, s.member, taken["id"], "already_booked",
             "Vous avez déjà réservé ce créneau.")
    _refused(app, s, s.helper, offer(s.helper, in_days(4))["id"], "own_slot", "Vous animez")
    gone = offer(s.helper, in_days(5))
    assert s.helper.api("post", f"/slots/{gone['id']}/cancel").status_code == 200
    _refused(app, s, s.seeker, gone["id"], "slot_cancelled", "annulé par le pair-aidant")


def test_anonymous_booking_is_refused_where_the_employer_does_not_allow_it(app):
    s = space(app, allow_anonymous=False)
    slot = offer(s.helper)
    assert "Réserver de façon anonyme" not in text(s.seeker.page(f"/creneaux/{slot['id']}"))
    _refused(app, s, s.seeker, slot["id"], "anonymous_not_allowed",
             "La réservation anonyme n'est pas proposée", body={"anonymous": True})


def test_cancelling_after_the_deadline_is_refused_and_changes_nothing(app):
    s = space(app, cancellation_deadline_hours=48)
    slot = offer(s.helper, in_days(1, hour=23))
    assert s.seeker.api("post", f"/slots/{slot['id']}/book", json={}).status_code == 201
    before = employer_state(app, s.ref)
    r = s.seeker.api("post", f"/slots/{slot['id']}/cancel-booking")
    assert r.status_code == 409 and r.json["error"]["code"] == "cancellation_deadline_passed"
    assert "jusqu'à 48 heure(s) avant le début" in r.json["error"]["message"]
    page = s.seeker.post(f"/creneaux/{slot['id']}/annuler-reservation",
                         page=f"/creneaux/{slot['id']}")
    assert page.status_code == 409 and "Il est trop tard pour annuler en ligne" in text(page)
    nothing = s.member.api("post", f"/slots/{slot['id']}/cancel-booking")
    assert nothing.status_code == 409 and nothing.json["error"]["code"] == "no_booking"
    assert employer_state(app, s.ref) == before


def test_the_pair_aidant_cancels_a_slot_and_its_booker_is_told(app, mailbox):
    s = space(app)
    slot = offer(s.helper)
    assert s.seeker.api("post", f"/slots/{slot['id']}/book",
                        json={"anonymous": True}).status_code == 201
    other = person(app, s.ref, "pair-aidant")
    r = other.api("post", f"/slots/{slot['id']}/cancel")
    assert r.status_code == 403 and r.json["error"]["code"] == "not_slot_helper"
    r = s.helper.post(f"/creneaux/{slot['id']}/annuler", page=f"/creneaux/{slot['id']}")
    assert r.status_code == 302
    assert s.seeker.api("get", "/bookings").json[0]["status"] == "cancelled"
    run_jobs(app)
    (message,) = [m for m in mailbox.to(s.seeker.account.email)
                  if m["Subject"] != "Votre rendez-vous est réservé"]  # after the confirmation
    assert message["Subject"] == "Votre rendez-vous est annulé"
    assert not any(word in body_of(message).lower() for word in HEALTH_WORDS)


# --- reminders ------------------------------------------------------------------------------

def test_the_reminder_job_reminds_both_sides_the_day_before_once(app, mailbox):
    from plugins.permanences.jobs import send_reminders

    s = space(app)
    tomorrow = offer(s.helper, datetime.now(timezone.utc) + timedelta(hours=20))
    later = offer(s.helper, in_days(6))
    for slot in (tomorrow, later):
        assert s.seeker.api("post", f"/slots/{slot['id']}/book",
                            json={"anonymous": True}).status_code == 201
    with app.app_context():
        jobs = [enqueue(send_reminders, tenant=s.ref.slug) for _ in range(2)]
        SimpleWorker([queue(app)], connection=redis_connection(app)).work(burst=True)
    for job in jobs:
        job.refresh()
    assert len(jobs[0].return_value()) == 1 and jobs[1].return_value() == []
    run_jobs(app)
    (to_booker,) = [m for m in mailbox.to(s.seeker.account.email)
                    if m["Subject"] != "Votre rendez-vous est réservé"]  # the confirmations
    assert to_booker["Subject"] == "Rappel : votre rendez-vous de demain"
    assert "Vous avez un rendez-vous le " in body_of(to_booker)
    assert "Salle 12, Hôtel de ville" in body_of(to_booker)
    (to_helper,) = mailbox.to(s.helper.account.email)
    for message in (to_booker, to_helper):
        assert not any(word in body_of(message).lower() for word in HEALTH_WORDS)
    assert "Inès" not in body_of(to_helper)
    plugin = app.extensions["entrepairs.plugins"]["permanences"]
    assert [j.func for j in plugin.periodic_jobs] == [send_reminders]


# --- agenda and indicators ------------------------------------------------------------------

def test_calendar_events_for_the_booker_and_the_pair_aidant_with_the_pseudonym(app):
    from tenants import tenant_context

    s = space(app)
    slot = offer(s.helper, in_days(3))
    free = offer(s.helper, in_days(4))
    booked = s.seeker.api("post", f"/slots/{slot['id']}/book", json={"anonymous": True})
    pseudonym = s.helper.api("get", f"/slots/{slot['id']}").json["booked_by"]
    assert pseudonym.startswith("Personne ") and "Inès" not in pseudonym
    plugin = app.extensions["entrepairs.plugins"]["permanences"]
    start, end = in_days(0), in_days(10)
    with app.app_context(), tenant_context(s.ref.slug):
        for_booker = plugin.calendar_events(s.seeker.profile_id, start, end)
        for_helper = plugin.calendar_events(s.helper.profile_id, start, end)
        nothing = plugin.calendar_events(s.member.profile_id, start, end)
    (event,) = for_booker
    assert event.uid == f"permanences-booking-{booked.json['id']}@{s.ref.slug}"
    assert event.title == "Permanence avec Paul Pair-Aidant"
    assert event.start.tzinfo is not None and event.end - event.start == timedelta(minutes=45)
    assert event.url == f"/e/{s.ref.slug}/permanences/creneaux/{slot['id']}"
    titles = {e.uid: e.title for e in for_helper}
    assert titles == {f"permanences-slot-{slot['id']}@{s.ref.slug}": f"Permanence avec {pseudonym}",
                      f"permanences-slot-{free['id']}@{s.ref.slug}": "Permanence (créneau libre)"}
    assert not any("Inès" in e.title + e.description for e in for_helper)
    assert nothing == []


def test_indicators_count_offered_booked_held_and_cancelled_slots(app):
    from plugins.base import Period
    from tenants import tenant_context

    s = space(app)
    held = offer(s.helper, in_days(1))
    booked = offer(s.helper, in_days(2))
    offer(s.helper, in_days(3))
    cancelled = offer(s.helper, in_days(4))
    for slot in (held, booked, cancelled):
        assert s.seeker.api("post", f"/slots/{slot['id']}/book", json={}).status_code == 201
    assert s.seeker.api("post", f"/slots/{cancelled['id']}/cancel-booking").status_code == 200
    move_slot(app, s.ref, held["id"], in_days(-2))
    plugin = app.extensions["entrepairs.plugins"]["permanences"]
    with app.app_context(), tenant_context(s.ref.slug):
        figures = {i.key: i for i in plugin.indicators(
            Period(start=(in_days(-30)).date(), end=(in_days(30)).date()))}
        future_only = {i.key: i.value for i in plugin.indicators(
            Period(start=in_days(0).date(), end=in_days(30).date()))}
    assert figures["permanences.offered"].value == 4
    assert figures["permanences.offered"].breakdown == (("Sur place", 4),)
    assert figures["permanences.booked"].value == 2
    assert figures["permanences.held"].value == 1
    assert figures["permanences.cancellations"].value == 1
    assert future_only["permanences.held"] == 0
    assert all(isinstance(i.value, int) for i in figures.values())


# --- concurrency ----------------------------------------------------------------------------

BOOKERS = 8


@pytest.mark.parametrize("via", ["api", "page"])
def test_a_slot_booked_by_many_people_at_the_same_instant_is_booked_once(app, via):
    s = space(app)
    slot = offer(s.helper)
    people = [person(app, s.ref, "pair-aide") for _ in range(BOOKERS)]
    tokens = {}
    if via == "page":
        from tests.fixtures.app import csrf_token
        for p in people:
            tokens[p.profile_id] = csrf_token(
                p.client, f"/e/{s.ref.slug}/permanences/creneaux/{slot['id']}")
    barrier = threading.Barrier(BOOKERS)
    results: list = [None] * BOOKERS

    def book(i, p):
        try:
            barrier.wait()
            if via == "api":
                r = p.api("post", f"/slots/{slot['id']}/book", json={})
                results[i] = (r.status_code, (r.json.get("error") or {}).get("code")
                              if r.status_code != 201 else None)
            else:
                r = p.client.post(f"/e/{s.ref.slug}/permanences/creneaux/{slot['id']}/reserver",
                                  data={"csrf_token": tokens[p.profile_id]})
                results[i] = (r.status_code, "vient d'être réservé" in text(r))
        except Exception as exc:  # reported below
            results[i] = ("error", repr(exc))

    threads = [threading.Thread(target=book, args=(i, p)) for i, p in enumerate(people)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    won = [r for r in results if r[0] in (201, 302)]
    lost = [r for r in results if r not in won]
    assert len(won) == 1, results
    expected = (409, "slot_taken") if via == "api" else (409, True)
    assert lost == [expected] * (BOOKERS - 1), results
    rows = sql(app, s.ref, 'SELECT booker_id FROM "{schema}".permanences_booking '
                           'WHERE slot_id = :i', i=slot["id"])
    assert len(rows) == 1 and rows[0][0] in {p.profile_id for p in people}


def test_the_database_itself_refuses_a_second_live_booking_of_a_slot(app):
    import sqlalchemy as sa

    s = space(app)
    slot = offer(s.helper)
    assert s.seeker.api("post", f"/slots/{slot['id']}/book", json={}).status_code == 201
    with pytest.raises(sa.exc.IntegrityError):
        sql(app, s.ref, 'INSERT INTO "{schema}".permanences_booking (slot_id, booker_id) '
                        'VALUES (:i, :b)', i=slot["id"], b=s.member.profile_id)
