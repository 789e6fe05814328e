"""E-clubs (issue #6): who may see and run them, registration with a confirmation e-mail and its
.ics invitation, the reminder the day before through RQ's scheduler (and what a stale reminder
does), cancellation, « Après la séance », the public iCalendar feed, and the members'
questions — anonymity, one support per person (also under concurrent requests), merging
duplicates, closing — over pages and the JSON API."""
from __future__ import annotations

import html
import threading
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from server import clock
from server.clock import PARIS
from tests.fixtures.app import csrf_token
from tests.fixtures.factories import api_token, create_employer, create_user, login
from tests.fixtures.mail import run_jobs, text_of

NEW = "/reseau/e-clubs/nouveau"


# --- helpers ----------------------------------------------------------------------------------

class Person:
    """An account with its own logged-in client and API token."""

    def __init__(self, app, account):
        self.app, self.account = app, account
        self.id, self.email, self.name = account.id, account.email, account.display_name
        self.client = app.test_client()
        login(self.client, account)
        self._token = None

    def api(self, method: str, path: str, **kw):
        if self._token is None:
            self._token = api_token(self.app.test_client(), self.account)
        return getattr(self.app.test_client(), method)(
            "/api/v1/reseau/e-clubs" + path, headers={"Authorization": f"Bearer {self._token}"},
            **kw)

    def form(self, path: str, data: dict, page: str | None = None):
        token = csrf_token(self.client, page or path)
        return self.client.post(path, data={"csrf_token": token, **data})


def member(app, employer=None, role="membre") -> Person:
    return Person(app, create_user(app, employer=employer or create_employer(app), role=role))


def animateur(app) -> Person:
    return Person(app, create_user(app, network_roles=["animateur"]))


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def sql(app, statement: str, **params):
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        try:
            result = db.session.execute(sa.text(statement), params)
            rows = result.all() if result.returns_rows else None
            db.session.commit()
            return rows
        finally:
            db.session.remove()


def local(days: int, hour: str = "14:00") -> tuple[str, str]:
    day = clock.today() + timedelta(days=days)
    return day.strftime("%d/%m/%Y"), hour


def eclub_form(days: int = 5, **overrides) -> dict:
    date, time = local(days)
    data = {"title": "La pair-aidance entre agents", "description": "Premiers retours.",
            "date": date, "time": time, "duration_minutes": "90",
            "video_url": "https://visio.exemple.fr/salle-42",
            "agenda-1-title": "Accueil", "agenda-1-speakers": "Claire Martin, animatrice",
            "agenda-2-title": "Retour d'expérience",
            "agenda-2-speakers": "Paul Durand, pair-aidant\nNadia Benali, référente handicap",
            "agenda-3-title": "", "agenda-3-speakers": "",
            "resources-1-label": "Guide pair-aidance",
            "resources-1-url": "https://exemple.fr/guide.pdf",
            "resources-2-label": "", "resources-2-url": ""}
    data.update(overrides)
    return data


def create(anim: Person, days: int = 5, **overrides) -> int:
    response = anim.form(NEW, eclub_form(days, **overrides))
    assert response.status_code == 302, text(response)[:2000]
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def eclub_count(app) -> int:
    return sql(app, "SELECT count(*) FROM network.eclub")[0][0]


def registrations(app, eclub_id) -> list[int]:
    return [r[0] for r in sql(app, "SELECT user_id FROM network.eclub_registration "
                                   "WHERE eclub_id = :e ORDER BY user_id", e=eclub_id)]


def supports(app, question_id) -> list[int]:
    return [r[0] for r in sql(app, "SELECT user_id FROM network.eclub_question_support "
                                   "WHERE question_id = :q ORDER BY user_id", q=question_id)]


def starts_at(app, eclub_id) -> datetime:
    return sql(app, "SELECT starts_at FROM network.eclub WHERE id = :e", e=eclub_id)[0][0]


def move(app, eclub_id, start: datetime) -> None:
    """Move an e-club in the database only (as if the clock had moved on): no job scheduled."""
    sql(app, "UPDATE network.eclub SET starts_at = :s WHERE id = :e", s=start, e=eclub_id)


def reminder_jobs(app, eclub_id):
    """The reminder jobs of this e-club waiting in RQ's scheduled registry, with their time."""
    from server.jobs import queue

    with app.app_context():
        q = queue(app)
        registry = q.scheduled_job_registry
        found = []
        for job_id in registry.get_job_ids():
            job = q.fetch_job(job_id)
            if job is None or not job.args or not job.args[1].endswith(":send_reminder"):
                continue
            if job.args[2][0] == eclub_id:
                found.append((job, registry.get_scheduled_time(job)))
        return found


def run_now(app, job) -> None:
    """Take a scheduled job out of the registry, queue it now and run the queue."""
    from server.jobs import queue

    with app.app_context():
        q = queue(app)
        q.scheduled_job_registry.remove(job)
        q.enqueue_job(job)
    run_jobs(app)


def calendar_of(message) -> Calendar:
    parts = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1, [p.get_content_type() for p in message.iter_attachments()]
    return Calendar.from_ical(parts[0].get_content())


def event_of(cal: Calendar):
    events = list(cal.walk("VEVENT"))
    assert len(events) == 1
    return events[0]


def mails(mailbox, person, subject_part: str):
    return [m for m in mailbox.to(person.email) if subject_part in m["Subject"]]


@pytest.fixture
def anim(app):
    return animateur(app)


# --- who may see what -------------------------------------------------------------------------

def test_pages_and_api_are_for_members_of_active_employers_and_network_staff(app, anim):
    eclub_id = create(anim)
    emp = create_employer(app)
    mem = member(app, emp)
    outsider = Person(app, create_user(app))  # no membership at all
    suspended_emp = create_employer(app)
    of_suspended = member(app, suspended_emp)
    with app.app_context():
        from tenants.provisioning import set_status
        set_status(suspended_emp.slug, "suspended")
    admin = Person(app, create_user(app, network_roles=["admin"]))
    for who in (mem, anim, admin):
        assert who.client.get("/reseau/e-clubs/").status_code == 200
        assert who.client.get(f"/reseau/e-clubs/{eclub_id}").status_code == 200
        assert who.api("get", f"/{eclub_id}").status_code == 200
    for who in (outsider, of_suspended):
        page = who.client.get(f"/reseau/e-clubs/{eclub_id}")
        assert page.status_code == 403
        assert "réservés aux membres des employeurs du réseau" in text(page)
        assert who.client.get("/reseau/e-clubs/").status_code == 403
        answer = who.api("get", f"/{eclub_id}")
        assert answer.status_code == 403 and answer.json["error"]["code"] == "not_a_member"
        assert who.api("post", f"/{eclub_id}/registration").status_code == 403
    assert registrations(app, eclub_id) == []
    anonymous = app.test_client()
    response = anonymous.get(f"/reseau/e-clubs/{eclub_id}")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]
    assert anonymous.get(f"/api/v1/reseau/e-clubs/{eclub_id}").status_code == 401


def test_only_animateurs_and_admins_create_edit_cancel_and_moderate(app, anim):
    eclub_id = create(anim)
    mem = member(app)
    before = eclub_count(app)
    for path in (NEW, f"/reseau/e-clubs/{eclub_id}/modifier",
                 f"/reseau/e-clubs/{eclub_id}/apres-la-seance",
                 f"/reseau/e-clubs/{eclub_id}/annuler"):
        assert mem.client.get(path).status_code == 403
        token = csrf_token(mem.client, f"/reseau/e-clubs/{eclub_id}")
        assert mem.client.post(path, data={"csrf_token": token, **eclub_form()}).status_code == 403
    assert eclub_count(app) == before
    assert sql(app, "SELECT status FROM network.eclub WHERE id = :e", e=eclub_id)[0][0] == \
        "scheduled"
    page = text(mem.client.get(f"/reseau/e-clubs/{eclub_id}"))
    assert "Modifier l'e-club" not in page and "Créer un e-club" not in page
    assert "Modifier l'e-club" in text(anim.client.get(f"/reseau/e-clubs/{eclub_id}"))
    admin = Person(app, create_user(app, network_roles=["admin"]))
    assert admin.client.get(NEW).status_code == 200


def test_unknown_eclub_is_a_404_on_pages_and_api(app, anim):
    mem = member(app)
    for path in ("/reseau/e-clubs/999999", "/reseau/e-clubs/999999/modifier"):
        assert anim.client.get(path).status_code == 404
    assert mem.client.get("/reseau/e-clubs/999999").status_code == 404
    response = mem.form("/reseau/e-clubs/999999/inscription", {}, page="/reseau/e-clubs/")
    assert response.status_code == 404
    for method, path in (("get", "/999999"), ("post", "/999999/registration"),
                         ("get", "/999999/questions"), ("post", "/999999/questions/1/support")):
        answer = mem.api(method, path)
        assert answer.status_code == 404 and answer.json["error"]["code"] == "not_found"


# --- creating -----------------------------------------------------------------------------------

def test_an_animateur_creates_an_eclub_with_agenda_speakers_and_resources(app, anim):
    eclub_id = create(anim, days=6)
    stored = starts_at(app, eclub_id)
    expected_day = clock.today() + timedelta(days=6)
    assert stored.astimezone(PARIS).date() == expected_day
    assert stored.astimezone(PARIS).strftime("%H:%M") == "14:00"
    mem = member(app)
    data = mem.api("get", f"/{eclub_id}").json
    assert data["title"] == "La pair-aidance entre agents"
    assert data["video_url"] == "https://visio.exemple.fr/salle-42"
    assert [a["title"] for a in data["agenda"]] == ["Accueil", "Retour d'expérience"]
    assert data["agenda"][1]["speakers"] == [
        {"name": "Paul Durand", "role": "pair-aidant"},
        {"name": "Nadia Benali", "role": "référente handicap"}]
    assert data["resources"] == [{"label": "Guide pair-aidance",
                                  "url": "https://exemple.fr/guide.pdf", "phase": "before"}]
    page = text(mem.client.get(f"/reseau/e-clubs/{eclub_id}"))
    assert "Nadia Benali, référente handicap" in page and "14 h 00" in page
    listing = text(mem.client.get("/reseau/e-clubs/"))
    assert "La pair-aidance entre agents" in listing


@pytest.mark.parametrize("overrides, field, message", [
    ({"title": "  "}, "title", "Saisissez le titre de l'e-club."),
    ({"date": "31/02/2027"}, "date", "La date doit être une date réelle au format jj/mm/aaaa"),
    ({"date": "2027-03-03"}, "date", "La date doit être une date réelle au format jj/mm/aaaa"),
    ({"time": "25:00"}, "time", "L'heure doit être au format hh:mm"),
    ({"time": ""}, "time", "Saisissez l'heure de début"),
    ({"video_url": "http://visio.exemple.fr/salle"}, "video_url", "doit commencer par https://"),
    ({"resources-1-url": "javascript:alert(1)"}, "resources-1-url", "doit commencer par https://"),
    ({"duration_minutes": "5"}, "duration_minutes", "entre 15 et 480"),
    ({"agenda-1-title": ""}, "agenda-1-title", "Donnez un titre au point 1"),
])
def test_bad_input_on_creation_is_refused_with_a_specific_message_and_nothing_recorded(
        app, anim, overrides, field, message):
    before = eclub_count(app)
    response = anim.form(NEW, eclub_form(**overrides))
    assert response.status_code == 400
    page = text(response)
    assert message in page and f'href="#{field}"' in page
    assert eclub_count(app) == before


def test_a_start_in_the_past_is_refused_on_creation(app, anim):
    before = eclub_count(app)
    past_day, _ = local(-1)
    response = anim.form(NEW, eclub_form(date=past_day))
    assert response.status_code == 400
    assert "doivent être dans le futur" in text(response)
    assert eclub_count(app) == before


def test_create_eclub_service_refuses_invalid_values_and_writes_nothing(app):
    from plugins.base import Refused
    from server.eclubs.service import create_eclub

    before = eclub_count(app)
    with app.test_request_context():
        with pytest.raises(Refused) as caught:
            create_eclub(title="Sans lien sûr", starts_at=datetime.now(timezone.utc)
                         + timedelta(days=3), video_url="ftp://exemple.fr")
        assert caught.value.status == 422 and "video_url" in caught.value.details["json"]
        app.extensions["sqlalchemy"].session.rollback()
    assert eclub_count(app) == before


# --- registration, confirmation, reminder ------------------------------------------------------

def test_registering_sends_a_confirmation_with_an_ics_invitation_in_paris_time(
        app, anim, mailbox):
    eclub_id = create(anim, days=7)
    mem = member(app)
    response = mem.form(f"/reseau/e-clubs/{eclub_id}/inscription", {},
                        page=f"/reseau/e-clubs/{eclub_id}")
    assert response.status_code == 302
    assert registrations(app, eclub_id) == [mem.id]
    run_jobs(app)
    [message] = mails(mailbox, mem, "Inscription confirmée")
    assert "La pair-aidance entre agents" in message["Subject"]
    body = text_of(message)
    assert "14 h 00" in body and "https://visio.exemple.fr/salle-42" in body
    cal = calendar_of(message)
    assert str(cal["METHOD"]) == "REQUEST"
    event = event_of(cal)
    assert str(event["UID"]) == f"eclub-{eclub_id}@entrepairs"
    start = event.decoded("DTSTART")
    assert event["DTSTART"].params["TZID"] == "Europe/Paris"
    assert start.strftime("%H:%M") == "14:00" and start == starts_at(app, eclub_id)
    assert event.decoded("DTEND") - start == timedelta(minutes=90)
    assert str(event["ATTENDEE"]).lower() == f"mailto:{mem.email}".lower()
    assert list(cal.walk("VTIMEZONE")), "the Europe/Paris VTIMEZONE is included"
    assert "https://visio.exemple.fr/salle-42" in str(event["LOCATION"])


def test_registering_twice_is_refused_and_recorded_once(app, anim):
    eclub_id = create(anim)
    mem = member(app)
    page = f"/reseau/e-clubs/{eclub_id}"
    assert mem.form(page + "/inscription", {}, page=page).status_code == 302
    again = mem.form(page + "/inscription", {}, page=page)
    assert again.status_code == 409
    assert "Vous êtes déjà inscrit ou inscrite à cet e-club." in text(again)
    answer = mem.api("post", f"/{eclub_id}/registration")
    assert answer.status_code == 409 and answer.json["error"]["code"] == "already_registered"
    assert registrations(app, eclub_id) == [mem.id]
    assert mem.api("get", f"/{eclub_id}").json["registered"] is True


def test_registering_at_once_from_two_clients_records_one_registration(app, anim):
    eclub_id = create(anim)
    mem = member(app)
    answers = _race([lambda: mem.api("post", f"/{eclub_id}/registration")] * 4)
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409]
    assert registrations(app, eclub_id) == [mem.id]


def test_unregistering_and_registering_again_through_the_api(app, anim):
    eclub_id = create(anim)
    mem = member(app)
    assert mem.api("post", f"/{eclub_id}/registration").status_code == 201
    assert mem.api("delete", f"/{eclub_id}/registration").status_code == 204
    assert registrations(app, eclub_id) == []
    again = mem.api("delete", f"/{eclub_id}/registration")
    assert again.status_code == 409 and again.json["error"]["code"] == "not_registered"
    assert mem.api("post", f"/{eclub_id}/registration").status_code == 201
    assert registrations(app, eclub_id) == [mem.id]


def test_the_reminder_is_scheduled_the_day_before_and_sent_once_to_registered_people(
        app, anim, mailbox):
    eclub_id = create(anim, days=4)
    start = starts_at(app, eclub_id)
    [(job, when)] = reminder_jobs(app, eclub_id)
    assert when == start - timedelta(hours=24)
    mem, other = member(app), member(app)
    mem.api("post", f"/{eclub_id}/registration")
    run_jobs(app)
    assert mails(mailbox, mem, "Rappel") == []
    # The day before: the e-club now starts in 23 hours (the clock moved on).
    move(app, eclub_id, datetime.now(timezone.utc) + timedelta(hours=23))
    run_now(app, job)
    [reminder] = mails(mailbox, mem, "Rappel")
    assert "demain" in reminder["Subject"]
    assert str(event_of(calendar_of(reminder))["UID"]) == f"eclub-{eclub_id}@entrepairs"
    assert mails(mailbox, other, "Rappel") == []
    # A second run of the same reminder sends nothing more.
    run_now(app, job)
    assert len(mails(mailbox, mem, "Rappel")) == 1


def test_moving_an_eclub_reschedules_the_reminder_and_the_stale_one_sends_nothing(
        app, anim, mailbox):
    eclub_id = create(anim, days=4)
    [(old_job, _)] = reminder_jobs(app, eclub_id)
    mem = member(app)
    mem.api("post", f"/{eclub_id}/registration")
    run_jobs(app)
    day, _ = local(10)
    response = anim.form(f"/reseau/e-clubs/{eclub_id}/modifier",
                         eclub_form(10, time="09:30", date=day))
    assert response.status_code == 302, text(response)[:1000]
    new_start = starts_at(app, eclub_id)
    assert new_start.astimezone(PARIS).strftime("%H:%M") == "09:30"
    schedule = {j.id: when for j, when in reminder_jobs(app, eclub_id)}
    assert new_start - timedelta(hours=24) in schedule.values()
    run_jobs(app)
    [moved] = mails(mailbox, mem, "Nouvel horaire")
    event = event_of(calendar_of(moved))
    assert event.decoded("DTSTART") == new_start and int(event["SEQUENCE"]) == 1
    assert str(event["UID"]) == f"eclub-{eclub_id}@entrepairs"
    run_now(app, old_job)  # due at the old time: the e-club is now days away
    assert mails(mailbox, mem, "Rappel") == []


def test_cancelling_notifies_registered_people_and_the_reminder_stays_silent(
        app, anim, mailbox):
    eclub_id = create(anim, days=3)
    [(job, _)] = reminder_jobs(app, eclub_id)
    mem = member(app)
    mem.api("post", f"/{eclub_id}/registration")
    assert anim.client.get(f"/reseau/e-clubs/{eclub_id}/annuler").status_code == 200
    response = anim.form(f"/reseau/e-clubs/{eclub_id}/annuler", {})
    assert response.status_code == 302
    run_jobs(app)
    [notice] = mails(mailbox, mem, "E-club annulé")
    cal = calendar_of(notice)
    assert str(cal["METHOD"]) == "CANCEL"
    assert str(event_of(cal)["STATUS"]) == "CANCELLED"
    move(app, eclub_id, datetime.now(timezone.utc) + timedelta(hours=23))
    run_now(app, job)
    assert mails(mailbox, mem, "Rappel") == []
    answer = member(app).api("post", f"/{eclub_id}/registration")
    assert answer.status_code == 409 and answer.json["error"]["code"] == "eclub_cancelled"
    again = anim.form(f"/reseau/e-clubs/{eclub_id}/annuler", {})
    assert again.status_code == 409 and "déjà annulé" in text(again)


# --- after the session, the feed ---------------------------------------------------------------

def test_after_the_session_the_page_shows_the_replay_and_resources(app, anim):
    eclub_id = create(anim)
    path = f"/reseau/e-clubs/{eclub_id}/apres-la-seance"
    bad = anim.form(path, {"replay_url": "http://replay.exemple.fr/1", "summary": ""})
    assert bad.status_code == 400 and "doit commencer par https://" in text(bad)
    assert sql(app, "SELECT replay_url FROM network.eclub WHERE id = :e", e=eclub_id)[0][0] is None
    ok = anim.form(path, {"replay_url": "https://replay.exemple.fr/1",
                          "summary": "Trois idées à retenir.",
                          "after-1-label": "Diaporama", "after-1-url": "https://exemple.fr/d.pdf"})
    assert ok.status_code == 302
    page = text(member(app).client.get(f"/reseau/e-clubs/{eclub_id}"))
    assert "Après la séance" in page and "https://replay.exemple.fr/1" in page
    assert "Diaporama" in page and "Trois idées à retenir." in page
    # The resources announced before the session are kept.
    assert "Guide pair-aidance" in page


def test_the_public_feed_lists_eclubs_without_their_video_link(app, anim):
    eclub_id = create(anim, days=8)
    cancelled_id = create(anim, days=9, title="Un e-club annulé")
    anim.form(f"/reseau/e-clubs/{cancelled_id}/annuler", {})
    response = app.test_client().get("/reseau/e-clubs.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    assert b"visio.exemple.fr" not in response.data
    cal = Calendar.from_ical(response.data)
    assert str(cal["METHOD"]) == "PUBLISH"
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    event = events[f"eclub-{eclub_id}@entrepairs"]
    assert event.decoded("DTSTART") == starts_at(app, eclub_id)
    assert event["DTSTART"].params["TZID"] == "Europe/Paris"
    assert "Retour d'expérience" in str(event["DESCRIPTION"])
    assert str(events[f"eclub-{cancelled_id}@entrepairs"]["STATUS"]) == "CANCELLED"


def test_the_api_lists_upcoming_and_past_eclubs(app, anim):
    upcoming_id = create(anim, days=2)
    past_id = create(anim, days=2)
    move(app, past_id, datetime.now(timezone.utc) - timedelta(days=3))
    mem = member(app)
    upcoming = mem.api("get", "?scope=upcoming&page_size=100")
    past = mem.api("get", "?scope=past&page_size=100")
    assert upcoming.status_code == 200 and past.status_code == 200
    assert upcoming_id in [e["id"] for e in upcoming.json]
    assert past_id not in [e["id"] for e in upcoming.json]
    assert past_id in [e["id"] for e in past.json]
    assert mem.api("get", "?scope=demain").status_code == 422
    late = mem.api("post", f"/{past_id}/registration")
    assert late.status_code == 409 and late.json["error"]["code"] == "eclub_past"
    page = text(mem.client.get("/reseau/e-clubs/"))
    assert page.index("Passés") < page.rindex(f"/reseau/e-clubs/{past_id}\"")


# --- questions --------------------------------------------------------------------------------

def ask(person, eclub_id, body, anonymous=False):
    answer = person.api("post", f"/{eclub_id}/questions",
                        json={"body": body, "anonymous": anonymous})
    assert answer.status_code == 201, answer.json
    return answer.json["id"]


def test_an_anonymous_question_never_shows_its_author_to_other_members(app, anim):
    eclub_id = create(anim)
    emp = create_employer(app)
    author = Person(app, create_user(app, employer=emp, role="pair-aide",
                                     name="Zoé Discrète"))
    other = member(app, emp)
    page = f"/reseau/e-clubs/{eclub_id}"
    response = author.form(page, {"body": "Comment parler de sa maladie ?",
                                                 "anonymous": "oui"}, page=page)
    assert response.status_code == 302
    seen = text(other.client.get(page))
    assert "Comment parler de sa maladie ?" in seen and "Zoé Discrète" not in seen
    assert "n'a pas souhaité montrer son nom" in seen
    [q] = other.api("get", f"/{eclub_id}/questions").json
    assert q["author"] is None and q["anonymous"] is True and q["mine"] is False
    assert "Zoé Discrète" not in other.api("get", f"/{eclub_id}/questions").get_data(as_text=True)
    # The author sees it as theirs; the animateur sees who asked, to moderate.
    assert "Votre question" in text(author.client.get(page))
    assert "Zoé Discrète" in text(anim.client.get(page))
    assert anim.api("get", f"/{eclub_id}/questions").json[0]["author"] == "Zoé Discrète"
    # A question asked with the name shown shows it.
    ask(author, eclub_id, "Et la reconnaissance du temps passé ?")
    named = other.api("get", f"/{eclub_id}/questions").json
    assert {q["body"]: q["author"] for q in named}["Et la reconnaissance du temps passé ?"] == \
        "Zoé Discrète"


def test_one_support_per_person_and_question(app, anim):
    eclub_id = create(anim)
    author, fan = member(app), member(app)
    qid = ask(author, eclub_id, "Quel temps dédié pour les pair-aidants ?")
    first = fan.api("post", f"/{eclub_id}/questions/{qid}/support")
    assert first.status_code == 201 and first.json["supports"] == 1
    second = fan.api("post", f"/{eclub_id}/questions/{qid}/support")
    assert second.status_code == 409
    assert second.json["error"]["code"] == "already_supported"
    assert second.json["error"]["message"] == "Vous soutenez déjà cette question."
    page = f"/reseau/e-clubs/{eclub_id}"
    again = fan.form(f"{page}/questions/{qid}/soutien", {}, page=page)
    assert again.status_code == 409 and "Vous soutenez déjà cette question." in text(again)
    own = author.api("post", f"/{eclub_id}/questions/{qid}/support")
    assert own.status_code == 409 and own.json["error"]["code"] == "own_question"
    assert supports(app, qid) == [fan.id]
    with pytest.raises(sa.exc.IntegrityError):  # the database holds the rule too
        sql(app, "INSERT INTO network.eclub_question_support (question_id, user_id) "
                 "VALUES (:q, :u)", q=qid, u=fan.id)


def _race(calls):
    """Run the calls at the same moment, each in its own thread; their responses in order."""
    barrier = threading.Barrier(len(calls))
    out = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        out[i] = call()
    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return out


def test_concurrent_supports_count_each_person_once(app, anim):
    eclub_id = create(anim)
    author = member(app)
    qid = ask(author, eclub_id, "Comment former les pair-aidants ?")
    fans = [member(app) for _ in range(6)]
    for fan in fans:  # tokens first, so that the race is only the supports
        fan.api("get", f"/{eclub_id}")
    path = f"/{eclub_id}/questions/{qid}/support"
    calls = [lambda f=f: f.api("post", path) for f in fans for _ in range(2)]
    answers = _race(calls)
    codes = sorted(a.status_code for a in answers)
    assert codes == [201] * 6 + [409] * 6, [a.json for a in answers]
    assert all(a.json["error"]["code"] == "already_supported"
               for a in answers if a.status_code == 409)
    assert supports(app, qid) == sorted(f.id for f in fans)


def test_questions_sort_by_support_then_date(app, anim):
    eclub_id = create(anim)
    a, b, c, d = (member(app) for _ in range(4))
    q1 = ask(a, eclub_id, "Première question")
    q2 = ask(b, eclub_id, "Deuxième question")
    q3 = ask(c, eclub_id, "Troisième question")
    for fan in (a, d):
        assert fan.api("post", f"/{eclub_id}/questions/{q3}/support").status_code == 201
    assert d.api("post", f"/{eclub_id}/questions/{q2}/support").status_code == 201
    listed = [q["id"] for q in d.api("get", f"/{eclub_id}/questions").json]
    assert listed == [q3, q2, q1]


def test_merging_duplicates_unites_supports_without_counting_anyone_twice(app, anim):
    eclub_id = create(anim)
    a, b, c, d = (member(app) for _ in range(4))
    target = ask(a, eclub_id, "Combien de temps pour la mission ?")
    duplicate = ask(b, eclub_id, "Quel temps pour la mission de pair-aidant ?")
    for fan in (b, c):
        fan.api("post", f"/{eclub_id}/questions/{target}/support")
    for fan in (c, d):
        fan.api("post", f"/{eclub_id}/questions/{duplicate}/support")
    page = f"/reseau/e-clubs/{eclub_id}"
    bad = anim.form(f"{page}/questions/{duplicate}/regrouper", {"into": ""}, page=page)
    assert bad.status_code == 400 and "Choisissez dans la liste" in text(bad)
    response = anim.form(f"{page}/questions/{duplicate}/regrouper", {"into": str(target)},
                         page=page)
    assert response.status_code == 302
    # b (duplicate's author, already a supporter), c (supported both), d: each once; never a.
    assert supports(app, target) == sorted([b.id, c.id, d.id])
    assert supports(app, duplicate) == []
    listed = d.api("get", f"/{eclub_id}/questions").json
    assert [q["id"] for q in listed] == [target] and listed[0]["supports"] == 3
    merged = d.api("post", f"/{eclub_id}/questions/{duplicate}/support")
    assert merged.status_code == 409 and merged.json["error"]["code"] == "question_merged"
    assert "Quel temps pour la mission de pair-aidant ?" in text(anim.client.get(page))
    # Answered: marked by the animateur, no longer supported.
    assert anim.form(f"{page}/questions/{target}/repondue", {}, page=page).status_code == 302
    late = member(app).api("post", f"/{eclub_id}/questions/{target}/support")
    assert late.status_code == 409 and late.json["error"]["code"] == "question_answered"
    assert member(app).form(f"{page}/questions/{target}/repondue", {},
                            page=page).status_code == 403


def test_questions_are_refused_on_a_cancelled_or_past_eclub_and_when_empty(app, anim):
    cancelled = create(anim)
    ended = create(anim)
    mem = member(app)
    qid = ask(mem, ended, "Une question avant la fin")
    anim.form(f"/reseau/e-clubs/{cancelled}/annuler", {})
    move(app, ended, datetime.now(timezone.utc) - timedelta(days=1))
    for eclub_id, code in ((cancelled, "eclub_cancelled"), (ended, "questions_closed")):
        answer = mem.api("post", f"/{eclub_id}/questions", json={"body": "Trop tard ?"})
        assert answer.status_code == 409 and answer.json["error"]["code"] == code
    page = f"/reseau/e-clubs/{ended}"
    closed = mem.form(page, {"body": "Trop tard ?"}, page=page)
    assert closed.status_code == 409
    assert "Cet e-club est terminé : les questions sont fermées." in text(closed)
    late = member(app).api("post", f"/{ended}/questions/{qid}/support")
    assert late.status_code == 409 and late.json["error"]["code"] == "questions_closed"
    live = create(anim)
    empty = mem.api("post", f"/{live}/questions", json={"body": "   "})
    assert empty.status_code == 422 and empty.json["error"]["message"] == "Saisissez votre question."
    empty_page = mem.form(f"/reseau/e-clubs/{live}", {"body": ""},
                          page=f"/reseau/e-clubs/{live}")
    assert empty_page.status_code == 400 and "Saisissez votre question." in text(empty_page)
    count = sql(app, "SELECT count(*) FROM network.eclub_question WHERE eclub_id IN (:a, :b, :c)",
                a=cancelled, b=ended, c=live)[0][0]
    assert count == 1
