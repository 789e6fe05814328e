"""The core calendar: the agenda page, one event as .ics, the private feed link.

Events come from the models the employer enabled (here binômes: the meetings of the pairs a
person belongs to); the feed is read back with the ``icalendar`` library as a calendar client
would."""
from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from icalendar import Calendar

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
    w.today = date.today()
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
    log_meeting(s.helper, binome, date.today())
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
    log_meeting(s.helper, binome, date.today())
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
