"""Permanences: cancelling a weekly series at once (its pair-aidant or a référent, after a
confirmation page), and the booking confirmation e-mail with its .ics — over HTTP, pages and
API, with a real SMTP server."""
from __future__ import annotations

import html
import threading
from datetime import datetime, timedelta, timezone

from icalendar import Calendar

from server.clock import PARIS
from tests.fixtures.mail import run_jobs
from tests.fixtures.snapshots import employer_state
from tests.permanences_helpers import in_days, move_slot, offer, person, space

HEALTH_WORDS = ("santé", "handicap", "maladie", "pair-aidé", "psych", "traitement")


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def body_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def subjects(mailbox, address) -> list[str]:
    return [m["Subject"] for m in mailbox.to(address)]


def paris_day(value: str) -> str:
    return datetime.fromisoformat(value).astimezone(PARIS).strftime("%d/%m/%Y")


def weekly(s, weeks=4, days=2, **kw) -> list[dict]:
    slots = offer(s.helper, in_days(days), repeat_weeks=weeks, **kw)
    assert len(slots) == weeks and len({x["series_id"] for x in slots}) == 1
    return slots


def states(who, slots) -> list[bool]:
    return [who.api("get", f"/slots/{x['id']}").json["cancelled"] for x in slots]


# --- cancelling a series ------------------------------------------------------------------------

def test_the_pair_aidant_cancels_a_series_from_a_chosen_day_after_a_confirmation_page(
        app, mailbox):
    s = space(app)
    slots = weekly(s)
    series = slots[0]["series_id"]
    for x in (slots[1], slots[3]):
        assert s.seeker.api("post", f"/slots/{x['id']}/book", json={}).status_code == 201
    run_jobs(app)  # the booking confirmations, out of the way
    # The slot's page leads to the confirmation page, from that slot's day.
    page = text(s.helper.page(f"/creneaux/{slots[2]['id']}"))
    link = f"/series/{series}/annuler?a_partir_du={paris_day(slots[2]['starts_at'])}"
    assert "Annuler la série à partir de ce créneau…" in page
    assert link in page.replace("%2F", "/")
    before = employer_state(app, s.ref)
    confirm = s.helper.page(link)
    body = text(confirm)
    assert confirm.status_code == 200
    assert "Confirmer l'annulation de 2 créneau(x)" in body
    assert "1 personne(s) qui en avaient réservé un perdront leur réservation" in body
    assert "Inès" not in body  # counts, never who
    assert employer_state(app, s.ref) == before  # seeing the page changes nothing
    done = s.helper.post(f"/series/{series}/annuler",
                         {"a_partir_du": paris_day(slots[2]["starts_at"])}, page=link)
    assert done.status_code == 302
    assert "2 créneau(x) de la série annulé(s)" in text(s.helper.page("/"))
    assert states(s.helper, slots) == [False, False, True, True]
    bookings = {b["slot_id"]: b["status"] for b in s.seeker.api("get", "/bookings").json}
    assert bookings == {slots[1]["id"]: "booked", slots[3]["id"]: "cancelled"}
    run_jobs(app)
    (told,) = [m for m in mailbox.to(s.seeker.account.email)
               if m["Subject"] == "Votre rendez-vous est annulé"]
    assert "est annulé par la personne qui l'animait" in body_of(told)
    assert not any(w in body_of(told).lower() for w in HEALTH_WORDS)
    assert "Vos créneaux de permanence sont annulés" not in subjects(mailbox,
                                                                      s.helper.account.email)


def test_a_referent_cancels_a_series_past_slots_stay_and_everyone_is_told(app, mailbox):
    s = space(app)
    slots = weekly(s, days=1)
    series = slots[0]["series_id"]
    assert s.member.api("post", f"/slots/{slots[0]['id']}/book", json={}).status_code == 201
    assert s.seeker.api("post", f"/slots/{slots[2]['id']}/book",
                        json={"anonymous": True}).status_code == 201
    move_slot(app, s.ref, slots[0]["id"], in_days(-6))  # already held
    run_jobs(app)
    listed = text(s.referent.page("/"))
    assert "Séries hebdomadaires de créneaux à venir" in listed
    assert f"/series/{series}/annuler" in listed and "Inès" not in listed
    r = s.referent.api("post", f"/series/{series}/cancel", json={})
    assert r.status_code == 200, r.json
    assert [x["id"] for x in r.json["cancelled"]] == [x["id"] for x in slots[1:]]
    assert r.json["bookings_cancelled"] == 1 and '"booked_by"' not in r.get_data(as_text=True)
    assert states(s.referent, slots) == [False, True, True, True]
    assert s.member.api("get", "/bookings").json[0]["status"] == "booked"  # the past one
    run_jobs(app)
    (told,) = [m for m in mailbox.to(s.seeker.account.email)
               if m["Subject"] == "Votre rendez-vous est annulé"]
    assert "par l'équipe qui coordonne les permanences" in body_of(told)
    (helper_told,) = [m for m in mailbox.to(s.helper.account.email)
                      if m["Subject"] == "Vos créneaux de permanence sont annulés"]
    assert "3 créneau(x)" in body_of(helper_told) and "Inès" not in body_of(helper_told)
    assert not [m for m in mailbox.to(s.member.account.email)
                if m["Subject"] == "Votre rendez-vous est annulé"]
    # Nothing left: a second cancellation is refused and says why.
    again = s.referent.api("post", f"/series/{series}/cancel", json={})
    assert again.status_code == 409 and again.json["error"]["code"] == "nothing_to_cancel"


def test_a_series_not_yours_cannot_be_cancelled_nor_seen_and_nothing_changes(app):
    s = space(app)
    slots = weekly(s, weeks=2)
    series = slots[0]["series_id"]
    other = person(app, s.ref, "pair-aidant")
    before = employer_state(app, s.ref)
    r = other.api("post", f"/series/{series}/cancel", json={})
    assert r.status_code == 403 and r.json["error"]["code"] == "not_series_helper"
    assert "Seuls le pair-aidant qui anime cette série et les référents" in \
        r.json["error"]["message"]
    assert other.api("get", f"/series/{series}").status_code == 403
    assert other.page(f"/series/{series}/annuler").status_code == 403
    assert other.post(f"/series/{series}/annuler", {"a_partir_du": "01/01/2026"},
                      page="/").status_code == 403
    for who in (s.seeker, s.member):
        assert who.api("post", f"/series/{series}/cancel", json={}).status_code == 403
        assert who.page(f"/series/{series}/annuler").status_code == 403
    assert s.helper.api("post", "/series/999999/cancel", json={}).status_code == 404
    assert s.helper.page("/series/999999/annuler").status_code == 404
    assert employer_state(app, s.ref) == before
    # A single slot is not a series.
    single = offer(s.helper, in_days(20))
    assert s.helper.api("get", f"/series/{single['id']}").status_code == 404
    # Its own pair-aidant and a référent do see it.
    seen = s.helper.api("get", f"/series/{series}").json
    assert [x["id"] for x in seen["slots"]] == [x["id"] for x in slots]
    assert s.referent.api("get", f"/series/{series}").status_code == 200


def test_bad_dates_and_empty_cancellations_get_a_specific_message_and_change_nothing(app):
    s = space(app)
    slots = weekly(s, weeks=2)
    series = slots[0]["series_id"]
    before = employer_state(app, s.ref)
    r = s.helper.api("post", f"/series/{series}/cancel", json={"from_date": "31/02/2026"})
    assert r.status_code == 422 and r.json["error"]["code"] == "validation_error"
    assert r.json["error"]["details"]["from_date"].startswith("Saisissez une date valide")
    r = s.helper.api("post", f"/series/{series}/cancel", json={"from_date": 3})
    assert r.status_code == 422
    late = (in_days(60)).strftime("%Y-%m-%d")
    r = s.helper.api("post", f"/series/{series}/cancel", json={"from_date": late})
    assert r.status_code == 409 and r.json["error"]["code"] == "nothing_to_cancel"
    assert "rien n'a été annulé" in r.json["error"]["message"]
    url = f"/series/{series}/annuler"
    page = s.helper.post(url, {"a_partir_du": "pas une date"}, page=url)
    assert page.status_code == 400
    assert "Saisissez une date valide, par exemple 03/03/2026." in text(page)
    assert 'class="error-summary"' in text(page) and 'aria-invalid="true"' in text(page)
    page = s.helper.post(url, {"a_partir_du": in_days(60).strftime("%d/%m/%Y")}, page=url)
    assert page.status_code == 409 and "rien n'a été annulé" in text(page)
    preview = s.helper.page(f"{url}?a_partir_du=32/13/2026")
    assert preview.status_code == 400 and "Saisissez une date valide" in text(preview)
    assert "Aucun créneau à venir de cette série à partir de ce jour" in text(
        s.helper.page(f"{url}?a_partir_du={in_days(60).strftime('%d/%m/%Y')}"))
    assert employer_state(app, s.ref) == before


def test_a_booking_racing_a_series_cancellation_never_lands_on_a_cancelled_slot(app):
    s = space(app)
    slots = weekly(s, weeks=4)
    series = slots[0]["series_id"]
    bookers = [person(app, s.ref, "pair-aide") for _ in slots]
    barrier = threading.Barrier(len(slots) + 1)
    results: list = []

    def cancel():
        barrier.wait()
        results.append(("cancel", s.helper.api("post", f"/series/{series}/cancel",
                                               json={}).status_code))

    def book(p, slot):
        barrier.wait()
        results.append(("book", p.api("post", f"/slots/{slot['id']}/book",
                                      json={}).status_code))

    threads = [threading.Thread(target=cancel)] + [
        threading.Thread(target=book, args=(p, x)) for p, x in zip(bookers, slots)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert ("cancel", 200) in results and len(results) == len(slots) + 1, results
    assert {code for kind, code in results if kind == "book"} <= {201, 409}, results
    assert states(s.helper, slots) == [True] * len(slots)
    for p in bookers:  # whoever booked first had the booking cancelled with the slot
        assert all(b["status"] == "cancelled" for b in p.api("get", "/bookings").json)


# --- the booking confirmation e-mail ----------------------------------------------------------

def _ics(message) -> Calendar:
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_filename() == "permanence.ics"
    return Calendar.from_ical(attachment.get_payload(decode=True))


def test_booking_sends_the_booker_a_confirmation_with_the_ics_and_how_to_cancel(app, mailbox):
    s = space(app, cancellation_deadline_hours=24)
    slot = offer(s.helper, in_days(3, hour=13))
    r = s.seeker.post(f"/creneaux/{slot['id']}/reserver", page=f"/creneaux/{slot['id']}")
    assert r.status_code == 302
    run_jobs(app)
    (message,) = mailbox.to(s.seeker.account.email)
    assert message["Subject"] == "Votre rendez-vous est réservé"
    body = body_of(message)
    start = datetime.fromisoformat(slot["starts_at"])
    local = start.astimezone(PARIS)
    assert f"à {local.hour} h 00 (heure de Paris)" in body and str(local.day) in body
    assert "Paul Pair-Aidant" in body and "sur place (Salle 12, Hôtel de ville)" in body
    deadline = (start - timedelta(hours=24)).astimezone(PARIS)
    assert "Vous pouvez annuler jusqu'au" in body and f"à {deadline.hour} h 00" in body
    assert f"/e/{s.ref.slug}/permanences/creneaux/{slot['id']}" in body
    assert "Annuler ma réservation" in body
    assert not any(w in body.lower() for w in HEALTH_WORDS)
    (event,) = _ics(message).walk("VEVENT")
    (booking,) = s.seeker.api("get", "/bookings").json
    assert str(event["UID"]) == f"permanences-booking-{booking['id']}@{s.ref.slug}"
    assert event.decoded("DTSTART") == start
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=45)
    assert str(event["SUMMARY"]) == "Permanence avec Paul Pair-Aidant"
    assert "Salle 12" in str(event["LOCATION"])
    # The same event as the agenda's own .ics download.
    agenda = s.seeker.client.get(f"/e/{s.ref.slug}/agenda/{event['UID']}.ics")
    assert agenda.status_code == 200
    (same,) = Calendar.from_ical(agenda.data).walk("VEVENT")
    assert same.decoded("DTSTART") == start and str(same["UID"]) == str(event["UID"])
    assert mailbox.to(s.helper.account.email) == []


def test_an_anonymous_booking_is_confirmed_to_the_booker_only_for_a_remote_slot(app, mailbox):
    s = space(app)
    slot = offer(s.helper, in_days(4), mode="remote", location="https://visio.exemple.fr/abc")
    r = s.seeker.api("post", f"/slots/{slot['id']}/book", json={"anonymous": True})
    assert r.status_code == 201
    run_jobs(app)
    (message,) = mailbox.to(s.seeker.account.email)
    body = body_of(message)
    assert "à distance (https://visio.exemple.fr/abc)" in body
    assert "Vous avez réservé de façon anonyme" in body
    assert "https://visio.exemple.fr/abc" in str(_ics(message).walk("VEVENT")[0]["LOCATION"])
    assert mailbox.to(s.helper.account.email) == []
    assert mailbox.to(s.referent.account.email) == []


def test_a_booking_past_the_cancellation_deadline_says_to_warn_the_pair_aidant(app, mailbox):
    s = space(app, cancellation_deadline_hours=48)
    slot = offer(s.helper, datetime.now(timezone.utc) + timedelta(hours=30))
    assert s.seeker.api("post", f"/slots/{slot['id']}/book", json={}).status_code == 201
    run_jobs(app)
    (message,) = mailbox.to(s.seeker.account.email)
    assert "Il n'est plus possible d'annuler en ligne" in body_of(message)
    assert "Vous pouvez annuler jusqu'au" not in body_of(message)


def test_a_refused_booking_sends_no_confirmation(app, mailbox):
    s = space(app)
    slot = offer(s.helper)
    assert s.member.api("post", f"/slots/{slot['id']}/book", json={}).status_code == 201
    assert s.seeker.api("post", f"/slots/{slot['id']}/book", json={}).status_code == 409
    run_jobs(app)
    assert mailbox.to(s.seeker.account.email) == []
    assert len(mailbox.to(s.member.account.email)) == 1


def test_the_series_api_is_in_the_openapi_document(app):
    paths = app.test_client().get("/api/v1/openapi.json").json["paths"]
    for path in ("series/{series_id}", "series/{series_id}/cancel"):
        assert f"/api/v1/e/{{tenant}}/permanences/{path}" in paths


def test_the_slot_page_offers_its_ics_to_the_booker_and_to_the_pair_aidant(app):
    s = space(app)
    slot = offer(s.helper, in_days(3))
    booked = s.seeker.api("post", f"/slots/{slot['id']}/book", json={"anonymous": True})
    slug = s.ref.slug
    links = [
        (s.seeker, f"/e/{slug}/agenda/permanences-booking-{booked.json['id']}@{slug}.ics",
         "Ajouter ce rendez-vous à mon agenda (fichier .ics)"),
        (s.helper, f"/e/{slug}/agenda/permanences-slot-{slot['id']}@{slug}.ics",
         "Ajouter ce créneau à mon agenda (fichier .ics)"),
    ]
    for who, link, label in links:
        page = text(who.page(f"/creneaux/{slot['id']}"))
        assert label in page and link in page
        (event,) = Calendar.from_ical(who.client.get(link).data).walk("VEVENT")
        assert event.decoded("DTSTART") == datetime.fromisoformat(slot["starts_at"])
        assert "Inès" not in str(event["SUMMARY"])
    assert "fichier .ics" not in text(s.member.page(f"/creneaux/{slot['id']}"))
