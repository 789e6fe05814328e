"""Confidentiality of a binôme, role by role, over HTTP: what each may and may not read.

The rule (DOMAIN.md): a référent sees statuses, counts and dates, never the notes of a pair; the
notes are read by the pair's two members only; anybody else gets a 404, as for another
employer's space."""
from __future__ import annotations

import html
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from server import clock
from tests.binomes_helpers import (Space, accepted_binome, enable_binomes, helper_profile,
                                   person, seeker_profile, space)
from tests.fixtures.factories import create_employer

NOTE = "Note privée : j'ai parlé de mon traitement 7f3a"


@pytest.fixture(scope="module")
def world(app):
    class World:
        pass

    w = World()
    w.s = space(app)
    w.binome = accepted_binome(w.s)
    r = w.s.helper.api("post", f"/binomes/{w.binome}/meetings", json={
        "held_on": clock.today().isoformat(), "duration_minutes": 50,
        "format": "En présentiel", "note": NOTE})
    assert r.status_code == 201, r.json
    # Another pair of the same employer.
    other_helper = person(app, w.s.ref, "pair-aidant", "Odon Autre-Aidant")
    helper_profile(other_helper, experiences=["Handicap moteur"])
    other_seeker = person(app, w.s.ref, "pair-aide", "Olga Autre-Aidée")
    seeker_profile(other_seeker, looking_for=["Handicap moteur"])
    w.other_binome = accepted_binome(Space(w.s.ref, w.s.referent, other_helper, other_seeker))
    w.people = {
        "pair-aidant du binôme": w.s.helper,
        "pair-aidé du binôme": w.s.seeker,
        "référent": w.s.referent,
        "pair-aidant d'un autre binôme": other_helper,
        "pair-aidé d'un autre binôme": other_seeker,
        "membre": person(app, w.s.ref, "membre"),
    }
    elsewhere = create_employer(app)
    enable_binomes(app, elsewhere)
    for role in ("referent", "pair-aidant"):
        outsider = person(app, elsewhere, role)
        outsider.employer = w.s.ref  # ask for the binôme's employer's URLs
        w.people[f"{role} d'un autre employeur"] = outsider
    return w


MEMBERS = ("pair-aidant du binôme", "pair-aidé du binôme")
NOBODY = ("pair-aidant d'un autre binôme", "pair-aidé d'un autre binôme", "membre",
          "referent d'un autre employeur", "pair-aidant d'un autre employeur")


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("who", MEMBERS)
def test_the_two_members_read_the_binome_and_its_private_notes(world, who):
    p = world.people[who]
    page = p.page(f"/binomes/{world.binome}")
    assert page.status_code == 200 and NOTE in page_text(page)
    meetings = p.api("get", f"/binomes/{world.binome}/meetings")
    assert meetings.status_code == 200 and [m["note"] for m in meetings.json] == [NOTE]


def test_the_referent_sees_status_counts_and_dates_but_never_the_notes(world):
    p = world.people["référent"]
    page = p.page(f"/binomes/{world.binome}")
    body = page_text(page)
    assert page.status_code == 200
    assert "Accepté" in body or "Actif" in body
    assert "50 min" in body and "Rencontres" in body
    assert NOTE not in body and "7f3a" not in body
    assert "réservées aux deux membres" in body
    assert "7f3a" not in page_text(p.page("/"))

    detail = p.api("get", f"/binomes/{world.binome}")
    assert detail.status_code == 200 and detail.json["meetings_count"] == 1
    assert detail.json["last_meeting_on"] == clock.today().isoformat()
    meetings = p.api("get", f"/binomes/{world.binome}/meetings")
    assert meetings.status_code == 200 and len(meetings.json) == 1
    assert "note" not in meetings.json[0]
    listed = p.api("get", "/binomes")
    assert {world.binome, world.other_binome} <= {b["id"] for b in listed.json}
    assert "7f3a" not in listed.get_data(as_text=True)
    assert "7f3a" not in detail.get_data(as_text=True) + meetings.get_data(as_text=True)


@contextmanager
def statements(app):
    seen: list[str] = []
    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine

    def listener(conn, cursor, statement, *args):
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)


def test_no_query_made_for_the_referent_touches_the_notes_table(app, world):
    p = world.people["référent"]
    with statements(app) as seen:
        p.page("/")
        p.page(f"/binomes/{world.binome}")
        p.api("get", "/binomes")
        p.api("get", f"/binomes/{world.binome}")
        p.api("get", f"/binomes/{world.binome}/meetings")
    assert seen and not [s for s in seen if "binomes_meeting_note" in s]
    with statements(app) as seen:
        world.people["pair-aidé du binôme"].page(f"/binomes/{world.binome}")
    assert [s for s in seen if "binomes_meeting_note" in s]  # the listener does see it


@pytest.mark.parametrize("who", NOBODY)
def test_anybody_else_gets_a_404_on_pages_and_api(world, who):
    p = world.people[who]
    assert p.page(f"/binomes/{world.binome}").status_code == 404
    for path in (f"/binomes/{world.binome}", f"/binomes/{world.binome}/meetings"):
        r = p.api("get", path)
        assert r.status_code == 404 and r.json["error"]["code"] == "not_found"
    answer = p.api("post", f"/binomes/{world.binome}/meetings", json={
        "held_on": clock.today().isoformat(), "duration_minutes": 5, "format": "Par téléphone",
        "note": "intrusion"})
    assert answer.status_code == 404
    if p.employer is world.s.ref and "autre employeur" not in who:
        assert world.binome not in {b["id"] for b in p.api("get", "/binomes").json}


@pytest.mark.parametrize("who", ("pair-aidant d'un autre binôme", "membre"))
def test_other_people_of_the_employer_cannot_read_matching_runs_or_profiles(world, who):
    p = world.people[who]
    assert p.page("/appariements").status_code == 403
    assert p.api("get", "/runs").status_code == 403
    r = p.api("get", f"/profiles/seekers/{world.s.seeker.profile_id}")
    assert r.status_code == 404
