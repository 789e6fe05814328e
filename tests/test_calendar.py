"""The core calendar: the agenda page, one event as .ics, the private feed link.

Events come from the models the employer enabled (here binômes: the meetings of the pairs a
person belongs to); the feed is read back with the ``icalendar`` library as a calendar client
would."""
from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import unquote

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from server import clock
from tests.binomes_helpers import accepted_binome, enable_binomes, person, space
from tests.fixtures.app import csrf_token
from tests.fixtures.factories import create_employer

FEED_RE = re.compile(r'value="(http://localhost/calendrier/[^"]+\.ics)"')


def log_meeting(p, binome_id, held_on: date, fmt="En présentiel", note="Note privée 91c2"):
    r = p.api("post", f"/binomes/{binome_id}/meetings", json={
        "held_on": held_on.isoformat(), "duration_minutes": 45, "format": fmt, "note": note})
    assert r.status_code == 201, r.json
    return r.json["id"]


@pytest.fixture(scope="module")
def world(app):
    class W:
        pass

    w = W()
    w.s = space(app)
    w.binome = accepted_binome(w.s)
    w.today = clock.today()
    w.meeting = log_meeting(w.s.helper, w.binome, w.today)
    w.past_meeting = log_meeting(w.s.seeker, w.binome, w.today - timedelta(days=10))
    w.uid = f"binomes-meeting-{w.meeting}@{w.s.ref.slug}"
    return w


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def agenda(p):
    return p.client.get(f"/e/{p.employer.slug}/agenda")


def new_feed_link(p) -> str:
    path = f"/e/{p.employer.slug}/agenda/abonnement"
    r = p.client.post(path, data={"csrf_token": csrf_token(p.client, path), "action": "creer"})
    assert r.status_code == 200, text(r)[:500]
    match = FEED_RE.search(r.get_data(as_text=True))
    assert match, "the new link is shown once"
    return match.group(1).removeprefix("http://localhost")


def revoke_feed(p):
    path = f"/e/{p.employer.slug}/agenda/abonnement"
    r = p.client.post(path, data={"csrf_token": csrf_token(p.client, path),
                                  "action": "revoquer"})
    assert r.status_code == 302


def parse(response) -> Calendar:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "text/calendar"
    return Calendar.from_ical(response.data)


def events_of(cal: Calendar) -> dict:
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


# --- the agenda page -------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["helper", "seeker"])
def test_both_members_see_their_meetings_grouped_by_day_in_french(world, who):
    from babel.dates import format_date

    p = getattr(world.s, who)
    r = agenda(p)
    body = text(r)
    assert r.status_code == 200
    assert body.count("<strong>Rencontre de binôme</strong>") == 2
    assert format_date(world.today, "EEEE d MMMM y", locale="fr").capitalize() in body
    assert f"/e/{p.employer.slug}/agenda/{world.uid}.ics" in body
    # Nothing of what was said, nor the other member's name.
    assert "Note privée 91c2" not in body
    listed = body.split('id="titre-a-venir"', 1)[1].split("</main>", 1)[0]
    assert "Inès" not in listed and "Paul" not in listed


def test_someone_outside_the_pair_sees_nothing_of_it(world):
    r = agenda(world.s.referent)
    assert r.status_code == 200
    assert "Rencontre de binôme" not in text(r)
    assert "Rien de prévu" in text(r)


def test_agenda_shows_events_of_enabled_models_only(app):
    s = space(app)
    binome = accepted_binome(s)
    log_meeting(s.helper, binome, clock.today())
    assert "Rencontre de binôme" in text(agenda(s.helper))
    link = new_feed_link(s.helper)
    assert events_of(parse(app.test_client().get(link)))
    from server.programme.choices import configure
    from tenants import tenant_context

    with app.app_context(), tenant_context(s.ref.slug):
        configure("binomes", enabled=False)
        app.extensions["sqlalchemy"].session.commit()
    body = text(agenda(s.helper))
    assert "Rencontre de binôme" not in body and "Rien de prévu" in body
    assert events_of(parse(app.test_client().get(link))) == {}
    enable_binomes(app, s.ref)
    assert "Rencontre de binôme" in text(agenda(s.helper))


def test_french_date_and_time_in_paris(app):
    from server.templating import french_datetime

    with app.test_request_context():
        value = datetime(2026, 3, 3, 13, 0, tzinfo=UTC)
        assert french_datetime(value) == "mardi 3 mars 2026 à 14 h 00"


# --- one event as .ics -----------------------------------------------------------------------

def test_a_member_downloads_one_event(world):
    p = world.s.helper
    r = p.client.get(f"/e/{p.employer.slug}/agenda/{world.uid}.ics")
    cal = parse(r)
    assert "attachment" in r.headers["Content-Disposition"]
    (event,) = cal.walk("VEVENT")
    assert str(event["UID"]) == world.uid
    assert str(event["SUMMARY"]) == "Rencontre de binôme"
    assert event.decoded("DTSTART") == world.today  # all day: a date, no time
    assert event.decoded("DTEND") == world.today + timedelta(days=1)
    assert event["DTSTART"].params.get("VALUE") == "DATE"
    assert event.decoded("DTSTAMP").tzinfo is not None
    assert str(event["URL"]) == f"http://localhost/e/{p.employer.slug}/binomes/binomes/{world.binome}"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert b"91c2" not in r.data


@pytest.mark.parametrize("uid", ["{uid}", "binomes-meeting-999999@{slug}", "inconnu"])
def test_another_persons_or_unknown_event_is_a_404(world, uid):
    p = world.s.referent
    path = f"/e/{p.employer.slug}/agenda/" + uid.format(uid=world.uid, slug=p.employer.slug)
    assert p.client.get(path + ".ics").status_code == 404


def test_another_employers_person_gets_404(app, world):
    elsewhere = create_employer(app)
    enable_binomes(app, elsewhere)
    outsider = person(app, elsewhere, "pair-aidant")
    slug = world.s.ref.slug
    for path in (f"/e/{slug}/agenda", f"/e/{slug}/agenda/{world.uid}.ics",
                 f"/e/{slug}/agenda/abonnement"):
        assert outsider.client.get(path).status_code == 404
    # In their own space, the uid of the other employer's event is unknown.
    assert outsider.client.get(
        f"/e/{elsewhere.slug}/agenda/{world.uid}.ics").status_code == 404


# --- the private feed ------------------------------------------------------------------------

def test_feed_link_works_without_session_and_is_revocable(app, world):
    p = world.s.seeker
    link = new_feed_link(p)
    anonymous = app.test_client()
    r = anonymous.get(link)
    cal = parse(r)
    assert "no-store" in r.headers["Cache-Control"]
    assert str(cal["VERSION"]) == "2.0" and cal.get("PRODID")
    assert world.s.ref.name in str(cal["X-WR-CALNAME"])
    events = events_of(cal)
    assert world.uid in events and f"binomes-meeting-{world.past_meeting}@{p.employer.slug}" in events
    assert all(str(e["SUMMARY"]) == "Rencontre de binôme" for e in events.values())
    assert b"91c2" not in r.data
    # The page says a link is active, and never shows it again.
    page = p.client.get(f"/e/{p.employer.slug}/agenda/abonnement")
    assert "Lien actif" in text(page) and link not in text(page)
    # Regenerating: the old link is a 404, the new one works.
    newer = new_feed_link(p)
    assert anonymous.get(link).status_code == 404
    assert anonymous.get(newer).status_code == 200
    # Revoking: 404, with nothing revealed.
    revoke_feed(p)
    gone = anonymous.get(newer)
    assert gone.status_code == 404
    assert world.s.ref.name not in text(gone) and world.s.ref.slug not in text(gone)
    assert "Aucun lien actif" in text(p.client.get(f"/e/{p.employer.slug}/agenda/abonnement"))


def test_only_the_digest_is_stored(app, world):
    p = world.s.helper
    link = new_feed_link(p)
    secret = link.removeprefix("/calendrier/").removesuffix(".ics")
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        rows = db.session.execute(sa.text(
            "SELECT digest FROM network.calendar_feed WHERE digest = :s OR digest LIKE :p"),
            {"s": secret, "p": f"%{secret[:16]}%"}).all()
        db.session.remove()
    assert rows == []


@pytest.mark.parametrize("token", ["inconnu", "x" * 43, "a" * 200])
def test_unknown_feed_token_is_a_404(client, token):
    r = client.get(f"/calendrier/{token}.ics")
    assert r.status_code == 404


def test_feed_of_a_suspended_employer_or_a_person_who_left_is_a_404(app):
    s = space(app)
    binome = accepted_binome(s)
    log_meeting(s.helper, binome, clock.today())
    link = new_feed_link(s.helper)
    other_link = new_feed_link(s.seeker)
    anonymous = app.test_client()
    assert anonymous.get(link).status_code == 200
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        db.session.execute(sa.text("DELETE FROM network.membership WHERE user_id = :u"),
                           {"u": s.seeker.account.id})
        db.session.execute(sa.text("UPDATE network.tenant SET status = 'suspended' "
                                   "WHERE slug = :s"), {"s": s.ref.slug})
        db.session.commit()
        db.session.remove()
    assert anonymous.get(link).status_code == 404
    assert anonymous.get(other_link).status_code == 404


# --- writing iCalendar -----------------------------------------------------------------------

def test_timed_and_cancelled_events_are_written_in_utc(app):
    from plugins.base import CalendarEvent
    from server.calendar.events import Item, to_calendar

    start = datetime(2026, 3, 3, 14, 0, tzinfo=__import__("zoneinfo").ZoneInfo("Europe/Paris"))
    items = [Item("essai", "Essai", CalendarEvent(
        uid="essai-seance-1@emp", title="Séance de groupe", start=start,
        end=start + timedelta(hours=1, minutes=30), location="Salle 2", url="/e/emp/essai/1",
        cancelled=True))]
    cal = Calendar.from_ical(to_calendar(items, "Agenda", "https://exemple.fr/").to_ical())
    (event,) = cal.walk("VEVENT")
    assert event.decoded("DTSTART") == datetime(2026, 3, 3, 13, 0, tzinfo=UTC)
    assert event["DTSTART"].to_ical().endswith(b"Z")
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=90)
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["LOCATION"]) == "Salle 2"
    assert str(event["URL"]) == "https://exemple.fr/e/emp/essai/1"


# --- the agenda API --------------------------------------------------------------------------

def agenda_api(p, query: str = "", auth: bool = True):
    headers = {"Authorization": f"Bearer {p.token}"} if auth else {}
    return p.api_client.get(f"/api/v1/e/{p.employer.slug}/agenda{query}", headers=headers)


def test_api_gives_the_same_events_as_the_page(world):
    p = world.s.helper
    r = agenda_api(p)
    assert r.status_code == 200, r.json
    events = {e["uid"]: e for e in r.json["events"]}
    past_uid = f"binomes-meeting-{world.past_meeting}@{p.employer.slug}"
    assert set(events) == {world.uid, past_uid}
    event = events[world.uid]
    assert event == {
        "uid": world.uid, "model": "binomes", "model_label": "Binômes",
        "title": "Rencontre de binôme", "all_day": True,
        "start": world.today.isoformat(), "end": (world.today + timedelta(days=1)).isoformat(),
        "location": None, "url": f"/e/{p.employer.slug}/binomes/binomes/{world.binome}",
        "description": "En présentiel, 45 minutes.", "cancelled": False,
        "ics_url": f"/e/{p.employer.slug}/agenda/{world.uid}.ics"}
    assert "91c2" not in r.get_data(as_text=True)  # the private note stays out
    assert r.json["start"] == (world.today - timedelta(days=90)).isoformat()
    assert r.json["end"] == (world.today + timedelta(days=365)).isoformat()
    # The page links the same events.
    page = agenda(p).get_data(as_text=True)
    linked = {unquote(u) for u in re.findall(r'/agenda/([^"/]+)\.ics"', page)}
    assert linked == set(events)


def test_api_period_filter(world):
    p = world.s.seeker
    day = world.today - timedelta(days=10)
    r = agenda_api(p, f"?start={day}&end={day}")
    assert r.status_code == 200
    assert [e["uid"] for e in r.json["events"]] == [
        f"binomes-meeting-{world.past_meeting}@{p.employer.slug}"]
    assert (r.json["start"], r.json["end"]) == (day.isoformat(), day.isoformat())
    r = agenda_api(p, "?start=2020-01-01&end=2020-12-31")
    assert r.status_code == 200 and r.json["events"] == []
    # Only a start: the page's span (455 days) from it.
    r = agenda_api(p, f"?start={world.today}")
    assert [e["uid"] for e in r.json["events"]] == [world.uid]
    assert r.json["end"] == (world.today + timedelta(days=455)).isoformat()


def test_api_shows_only_the_signed_in_persons_events(world):
    r = agenda_api(world.s.referent)
    assert r.status_code == 200 and r.json["events"] == []
    # With the session cookie too.
    p = world.s.helper
    r = p.client.get(f"/api/v1/e/{p.employer.slug}/agenda")
    assert r.status_code == 200 and world.uid in {e["uid"] for e in r.json["events"]}


@pytest.mark.parametrize("query, field, message", [
    ("?start=2025-02-30", "start", "date réelle au format AAAA-MM-JJ"),
    ("?end=demain", "end", "date réelle au format AAAA-MM-JJ"),
    ("?start=2025-12-31&end=2025-01-01", "end", "postérieure à la date de début"),
    ("?start=2020-01-01&end=2025-01-01", "end", "deux ans au plus"),
])
def test_api_bad_period_is_a_400_json(world, query, field, message):
    r = agenda_api(world.s.helper, query)
    assert r.status_code == 400
    assert r.mimetype == "application/json"
    error = r.json["error"]
    assert error["code"] == "invalid_period" and error["message"] == (
        "La période demandée est invalide.")
    assert message in " ".join(error["details"][field])


def test_api_another_employer_is_a_404_and_anonymous_a_401(app, world):
    elsewhere = create_employer(app)
    enable_binomes(app, elsewhere)
    outsider = person(app, elsewhere, "pair-aidant")
    outsider.employer = world.s.ref
    r = agenda_api(outsider)
    assert r.status_code == 404 and r.json["error"]["status"] == 404
    assert agenda_api(world.s.helper, auth=False).status_code == 401


def test_api_is_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").json
    operation = spec["paths"]["/api/v1/e/{tenant}/agenda"]["get"]
    assert {p["name"] for p in operation["parameters"] if p["in"] == "query"} >= {"start", "end"}
