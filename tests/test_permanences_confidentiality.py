"""Confidentiality of bookings, role by role, over HTTP.

The rule: an anonymous booker is known to nobody but themselves — the pair-aidant sees a
pseudonym, the référent only counts (never who booked, anonymously or not, nor any pseudonym);
other employers get a 404."""
from __future__ import annotations

import html

import pytest

from tests.fixtures.snapshots import employer_state
from tests.permanences_helpers import (enable_permanences, in_days, offer, person, space)
from tests.fixtures.factories import create_employer


@pytest.fixture(scope="module")
def world(app):
    class World:
        pass

    w = World()
    w.s = space(app)
    w.anon_slot = offer(w.s.helper, in_days(3))
    w.named_slot = offer(w.s.helper, in_days(4))
    w.free_slot = offer(w.s.helper, in_days(5))
    r = w.s.seeker.api("post", f"/slots/{w.anon_slot['id']}/book", json={"anonymous": True})
    assert r.status_code == 201, r.json
    r = w.s.member.api("post", f"/slots/{w.named_slot['id']}/book", json={})
    assert r.status_code == 201, r.json
    w.pseudonym = w.s.helper.api("get", f"/slots/{w.anon_slot['id']}").json["booked_by"]
    elsewhere = create_employer(app)
    enable_permanences(app, elsewhere)
    w.outsiders = []
    for role in ("referent", "pair-aidant", "pair-aide"):
        outsider = person(app, elsewhere, role)
        outsider.employer = w.s.ref  # ask for the slots' employer's URLs
        w.outsiders.append(outsider)
    return w


def body(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_the_pair_aidant_sees_the_pseudonym_never_the_anonymous_bookers_name(world):
    h = world.s.helper
    assert world.pseudonym and world.pseudonym.startswith("Personne ")
    pages = body(h.page("/")) + body(h.page(f"/creneaux/{world.anon_slot['id']}"))
    api = (h.api("get", "/slots/mine").get_data(as_text=True)
           + h.api("get", f"/slots/{world.anon_slot['id']}").get_data(as_text=True))
    for seen in (pages, api):
        assert world.pseudonym in seen
        assert "Inès" not in seen and world.s.seeker.account.email not in seen
    # A named booking shows the name to the pair-aidant.
    assert "Marc Membre" in body(h.page(f"/creneaux/{world.named_slot['id']}"))
    (anon,) = [x for x in h.api("get", "/slots/mine").json if x["id"] == world.anon_slot["id"]]
    assert anon["booked_by"] == world.pseudonym and "booker_id" not in anon


def test_the_referent_sees_counts_never_who_booked_nor_pseudonyms(world):
    ref = world.s.referent
    counts = ref.api("get", "/counts")
    assert counts.status_code == 200
    assert counts.json["upcoming_slots"] == 3 and counts.json["upcoming_bookings"] == 2
    assert counts.json["anonymous_bookings"] == 1
    seen = body(ref.page("/")) + "".join(
        body(ref.page(f"/creneaux/{slot['id']}"))
        for slot in (world.anon_slot, world.named_slot, world.free_slot))
    seen += "".join(ref.api("get", path).get_data(as_text=True) for path in (
        "/slots", "/counts", f"/slots/{world.anon_slot['id']}",
        f"/slots/{world.named_slot['id']}"))
    assert "Créneaux à venir" in seen and "nombres seulement" in seen
    for secret in (world.pseudonym, "Inès", "Marc Membre", world.s.seeker.account.email,
                   '"booked_by"'):
        assert secret not in seen, secret
    assert ref.page("/creneaux/nouveau").status_code == 403


def test_other_people_of_the_space_only_see_that_a_slot_is_taken(world):
    # The anonymous booker sees their own booking, without any pseudonym.
    mine = body(world.s.seeker.page(f"/creneaux/{world.anon_slot['id']}"))
    assert "Réservé par vous, de façon anonyme" in mine and world.pseudonym not in mine
    stranger = world.s.member
    page = body(stranger.page(f"/creneaux/{world.anon_slot['id']}"))
    assert "Réservé" in page and "Inès" not in page and world.pseudonym not in page
    detail = stranger.api("get", f"/slots/{world.anon_slot['id']}").json
    assert detail["booked"] is True and "booked_by" not in detail


def test_members_of_another_employer_get_404_and_change_nothing(app, world):
    before = employer_state(app, world.s.ref)
    slot_id = world.free_slot["id"]
    for outsider in world.outsiders:
        for path in ("/", f"/creneaux/{slot_id}", "/creneaux/nouveau"):
            assert outsider.page(path).status_code == 404
        for method, path, kw in (("get", "/slots", {}), ("get", f"/slots/{slot_id}", {}),
                                 ("post", f"/slots/{slot_id}/book", {"json": {}}),
                                 ("post", f"/slots/{slot_id}/cancel", {}),
                                 ("get", "/counts", {})):
            r = outsider.api(method, path, **kw)
            assert r.status_code == 404 and r.json["error"]["code"] == "not_found"
        r = outsider.post(f"/creneaux/{slot_id}/reserver")
        assert r.status_code in (400, 404)  # no CSRF page to read in that space: never a 2xx/3xx
    assert employer_state(app, world.s.ref) == before
