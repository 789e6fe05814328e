"""Groupes ouverts: creating a group and its sessions, registration with a waiting list promoted
automatically, attendance by the facilitator, e-mails through RQ jobs, confidentiality of names,
calendar events and indicators — over HTTP, pages and API — and concurrency of registrations
and cancellations (threads, each with its own client)."""
from __future__ import annotations

import html
import threading
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from tests.fixtures.app import csrf_token
from tests.fixtures.factories import create_employer, create_user, login
from tests.fixtures.mail import run_jobs, text_of
from tests.fixtures.snapshots import employer_state
from tests.groupes_helpers import (create_group, enable_groupes, in_days, move_sessions_to_past,
                                   person, space)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def post_form(p, path, data, page=None):
    base = f"/e/{p.employer.slug}/groupes"
    token = csrf_token(p.client, base + (page or path))
    return p.client.post(base + path, data={"csrf_token": token, **data})


def rows(app, ref, sql, **params):
    from tenants import tenant_context

    with app.app_context(), tenant_context(ref.slug):
        db = app.extensions["sqlalchemy"]
        try:
            sql = sql.replace(" groupes_", f' "{ref.schema}".groupes_')
            result = db.session.execute(sa.text(sql).bindparams(**params)).all()
            db.session.commit()
            return result
        finally:
            db.session.remove()


def registrations(app, ref, groupe_id):
    return rows(app, ref, "SELECT profile_id, status, seat, rank FROM groupes_inscription "
                "WHERE groupe_id = :g ORDER BY id", g=groupe_id)


# --- enabling, settings ------------------------------------------------------------------------

def test_pages_and_api_answer_404_until_the_employer_enables_groupes(app):
    ref = create_employer(app)
    referent = create_user(app, employer=ref, role="referent")
    client = app.test_client()
    login(client, referent)
    assert client.get(f"/e/{ref.slug}/groupes/").status_code == 404
    assert client.get(f"/api/v1/e/{ref.slug}/groupes/groups").status_code == 404
    enable_groupes(app, ref)
    assert client.get(f"/e/{ref.slug}/groupes/").status_code == 200
    assert client.get(f"/api/v1/e/{ref.slug}/groupes/groups").status_code == 200


def test_the_api_is_in_the_openapi_document(app):
    paths = app.test_client().get("/api/v1/openapi.json").json["paths"]
    for path in ("groups", "groups/{groupe_id}/register", "groups/{groupe_id}/cancel",
                 "groups/{groupe_id}/close",
                 "groups/{groupe_id}/participants/{profile_id}/unregister",
                 "groups/{groupe_id}/participants", "sessions/{seance_id}/attendance"):
        assert f"/api/v1/e/{{tenant}}/groupes/{path}" in paths


def test_the_settings_page_has_french_labels_and_defaults(app):
    s = space(app, members=0)
    page = text(s.referent.client.get(f"/e/{s.ref.slug}/programme/modeles/groupes"))
    assert "Nombre de places proposé par défaut" in page and 'value="10"' in page
    assert "Les participants voient les noms des autres participants" in page


# --- creating a group -----------------------------------------------------------------------

def test_a_group_form_with_errors_lists_them_in_french_and_keeps_the_values(app):
    s = space(app, members=0)
    r = post_form(s.helper, "/nouveau", {"title": "Café du lundi", "recurrence": "weekly",
                                         "first_session": "demain", "capacity": "500",
                                         "duration_minutes": "90", "sessions_count": "3"})
    body = text(r)
    assert r.status_code == 400 and 'class="error-summary"' in body
    assert "Saisissez le thème du groupe." in body
    assert "Indiquez un lieu ou un lien de visioconférence." in body
    assert "Saisissez la date et l'heure de la première séance" in body
    assert "Saisissez un nombre de places entre 2 et 30." in body
    assert 'value="Café du lundi"' in body
    ok = post_form(s.helper, "/nouveau", {
        "title": "Café du lundi", "theme": "Parler du quotidien", "place": "Salle 2",
        "recurrence": "monthly", "first_session": in_days(3).replace("T", " "),
        "sessions_count": "3", "duration_minutes": "60", "capacity": "8"}, page="/nouveau")
    assert ok.status_code == 302
    (group,) = s.helper.api("get", "/groups").json
    detail = s.helper.api("get", f"/groups/{group['id']}").json
    starts = [datetime.fromisoformat(x["starts_at"]) for x in detail["sessions"]]
    assert len(starts) == 3 and all(b - a >= timedelta(days=28) for a, b in zip(starts, starts[1:]))
    assert detail["names_visible"] is False  # the employer's default


def test_weekly_and_custom_schedules(app):
    s = space(app, members=0)
    weekly = create_group(s.helper, sessions_count=5)
    starts = [datetime.fromisoformat(x["starts_at"]) for x in weekly["sessions"]]
    assert len(starts) == 5 and {(b - a).days for a, b in zip(starts, starts[1:])} <= {7}
    custom = create_group(s.helper, recurrence="custom",
                          dates=[in_days(10, 9), in_days(2, 18)], first_session=None)
    assert len(custom["sessions"]) == 2
    assert custom["sessions"][0]["starts_at"] < custom["sessions"][1]["starts_at"]


def test_only_pair_aidants_create_groups(app):
    s = space(app, members=1)
    r = s.members[0].api("post", "/groups", json={
        "title": "x", "theme": "y", "place": "z", "recurrence": "weekly",
        "first_session": in_days(3), "duration_minutes": 60, "capacity": 4})
    assert r.status_code == 403 and r.json["error"]["code"] == "not_a_peer_helper"
    assert s.members[0].page("/nouveau").status_code == 403


# --- registration and the waiting list ----------------------------------------------------------

def test_registration_fills_the_places_then_the_waiting_list_in_order(app):
    s = space(app, members=5)
    group = create_group(s.helper, capacity=3)
    answers = [m.api("post", f"/groups/{group['id']}/register").json for m in s.members]
    assert [a["status"] for a in answers] == ["registered"] * 3 + ["waiting"] * 2
    assert [a["waiting_position"] for a in answers[3:]] == [1, 2]
    page = text(s.members[4].page(f"/{group['id']}"))
    assert "Vous êtes sur la liste d'attente, en position 2." in page


def test_registering_twice_gets_a_specific_message_and_changes_nothing(app):
    s = space(app, members=3)
    group = create_group(s.helper, capacity=2)
    for m in s.members:
        assert m.api("post", f"/groups/{group['id']}/register").status_code == 201
    before = employer_state(app, s.ref)
    twice = s.members[0].api("post", f"/groups/{group['id']}/register")
    assert twice.status_code == 409 and twice.json["error"]["code"] == "already_registered"
    assert twice.json["error"]["message"] == ("Vous êtes déjà inscrit à ce groupe : rien n'a "
                                              "changé.")
    waiting = s.members[2].api("post", f"/groups/{group['id']}/register")
    assert waiting.status_code == 409 and waiting.json["error"]["code"] == "already_waiting"
    page = post_form(s.members[0], f"/{group['id']}/inscription", {}, page=f"/{group['id']}")
    assert page.status_code == 409
    assert "Vous êtes déjà inscrit à ce groupe : rien n'a changé." in text(page)
    assert employer_state(app, s.ref) == before


def test_a_cancellation_promotes_the_first_waiting_person_who_gets_an_email(app, mailbox):
    s = space(app, members=4)
    group = create_group(s.helper, capacity=2, title="Groupe santé mentale")
    for m in s.members:
        m.api("post", f"/groups/{group['id']}/register")
    run_jobs(app)
    r = post_form(s.members[0], f"/{group['id']}/desinscription", {}, page=f"/{group['id']}")
    assert r.status_code == 302
    regs = {p: (st, seat, rank) for p, st, seat, rank in registrations(app, s.ref, group["id"])}
    assert regs[s.members[0].profile_id] == ("cancelled", None, None)
    assert regs[s.members[2].profile_id] == ("registered", 1, None)  # took the freed seat
    assert regs[s.members[3].profile_id][0] == "waiting"
    assert s.members[3].api("get", f"/groups/{group['id']}").json["my_waiting_position"] == 1
    run_jobs(app)
    (promoted,) = mailbox.to(s.members[2].account.email)
    assert promoted["Subject"] == "Une place s'est libérée dans votre groupe"
    (confirmation,) = mailbox.to(s.members[0].account.email)
    assert confirmation["Subject"] == "Votre désinscription est enregistrée"
    for message in (promoted, confirmation):
        body = text_of(message)
        assert "santé" not in body.lower() and "Groupe santé mentale" not in body
        assert "retour au travail" not in body
    assert mailbox.to(s.members[3].account.email) == []
    # Leaving the waiting list promotes nobody; cancelling again is refused, changing nothing.
    assert s.members[3].api("post", f"/groups/{group['id']}/cancel").json["promoted"] == 0
    before = employer_state(app, s.ref)
    again = s.members[3].api("post", f"/groups/{group['id']}/cancel")
    assert again.status_code == 409 and again.json["error"]["code"] == "not_registered"
    assert employer_state(app, s.ref) == before
    # Re-registering after a cancellation reuses the row (the group is full: waiting list).
    again = s.members[0].api("post", f"/groups/{group['id']}/register").json
    assert (again["status"], again["waiting_position"]) == ("waiting", 1)


def test_the_database_refuses_more_seats_than_places_whatever_python_does(app):
    s = space(app, members=3)
    group = create_group(s.helper, capacity=2)
    for m in s.members[:2]:
        m.api("post", f"/groups/{group['id']}/register")
    from sqlalchemy.exc import IntegrityError
    for seat in (1, 3):  # a seat already taken; a seat beyond the capacity
        with pytest.raises(IntegrityError):
            rows(app, s.ref, "INSERT INTO groupes_inscription (groupe_id, group_capacity, "
                 "profile_id, status, seat) VALUES (:g, 2, :p, 'registered', :s) RETURNING id",
                 g=group["id"], p=s.members[2].profile_id, s=seat)
    with pytest.raises(IntegrityError):  # a capacity that is not the group's
        rows(app, s.ref, "INSERT INTO groupes_inscription (groupe_id, group_capacity, "
             "profile_id, status, seat) VALUES (:g, 3, :p, 'registered', 3) RETURNING id",
             g=group["id"], p=s.members[2].profile_id)


# --- concurrency --------------------------------------------------------------------------------

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


def test_many_people_registering_at_once_never_exceed_capacity(app):
    s = space(app, members=12)
    group = create_group(s.helper, capacity=5)
    gid = group["id"]
    s.members[0].api("post", f"/groups/{gid}/register")  # 4 places left for 11 people
    answers = _race([lambda m=m: m.api("post", f"/groups/{gid}/register")
                     for m in s.members[1:]])
    assert all(a.status_code == 201 for a in answers), [a.json for a in answers]
    statuses = [a.json["status"] for a in answers]
    assert statuses.count("registered") == 4 and statuses.count("waiting") == 7
    regs = registrations(app, s.ref, gid)
    seats = sorted(seat for _, st, seat, _ in regs if st == "registered")
    assert seats == [1, 2, 3, 4, 5]
    ranks = sorted(rank for _, st, _, rank in regs if st == "waiting")
    assert ranks == list(range(1, 8))
    # Each person was told a distinct position, consistent with the stored order.
    positions = sorted(a.json["waiting_position"] for a in answers if a.json["status"] == "waiting")
    assert positions == list(range(1, 8))
    listing = s.helper.api("get", f"/groups/{gid}/participants").json
    assert listing["registered_count"] == 5 and listing["waiting_count"] == 7
    by_rank = sorted((rank, p) for p, st, _, rank in regs if st == "waiting")
    assert [w["profile_id"] for w in listing["waiting_list"]] == [p for _, p in by_rank]


def test_two_racing_cancellations_of_the_same_place_promote_exactly_one_person(app):
    s = space(app, members=4)
    gid = create_group(s.helper, capacity=2)["id"]
    for m in s.members:
        m.api("post", f"/groups/{gid}/register")
    leaver = s.members[0]
    other = leaver.__class__(leaver.account, leaver.client, leaver.token, leaver.profile_id,
                             leaver.employer, app.test_client())
    answers = _race([lambda: leaver.api("post", f"/groups/{gid}/cancel"),
                     lambda: other.api("post", f"/groups/{gid}/cancel")])
    assert sorted(a.status_code for a in answers) == [200, 409]
    assert sum(a.json.get("promoted", 0) for a in answers if a.status_code == 200) == 1
    regs = {p: st for p, st, _, _ in registrations(app, s.ref, gid)}
    assert regs[s.members[2].profile_id] == "registered"
    assert regs[s.members[3].profile_id] == "waiting"


def test_two_racing_cancellations_promote_the_two_first_waiting_in_order(app):
    s = space(app, members=5)
    gid = create_group(s.helper, capacity=2)["id"]
    for m in s.members:
        m.api("post", f"/groups/{gid}/register")
    answers = _race([lambda m=m: m.api("post", f"/groups/{gid}/cancel") for m in s.members[:2]])
    assert [a.json["promoted"] for a in answers] == [1, 1]
    regs = {p: (st, rank) for p, st, _, rank in registrations(app, s.ref, gid)}
    assert regs[s.members[2].profile_id][0] == regs[s.members[3].profile_id][0] == "registered"
    assert regs[s.members[4].profile_id] == ("waiting", 3)
    assert s.members[4].api("get", f"/groups/{gid}").json["my_waiting_position"] == 1


# --- attendance ---------------------------------------------------------------------------------

def test_the_facilitator_takes_attendance_and_the_referent_sees_numbers_only(app):
    s = space(app, members=3)
    group = create_group(s.helper, capacity=5)
    for m in s.members:
        m.api("post", f"/groups/{group['id']}/register")
    seance = group["sessions"][0]["id"]
    early = s.helper.api("post", f"/sessions/{seance}/attendance",
                         json={"present": [], "version": 1})
    assert early.status_code == 409 and early.json["error"]["code"] == "session_not_started"
    move_sessions_to_past(app, s.ref, group["id"])
    page = text(s.helper.page(f"/seances/{seance}"))
    assert "Faire l'appel" in page and "Membre 0" in page
    r = post_form(s.helper, f"/seances/{seance}",
                  {"present": [str(s.members[0].profile_id), str(s.members[1].profile_id)],
                   "version": "1"})
    assert r.status_code == 302
    assert s.referent.api("get", f"/sessions/{seance}").json | {} == {
        **s.referent.api("get", f"/sessions/{seance}").json, "present": 2, "expected": 3,
        "held": True}
    ref_page = text(s.referent.page(f"/{group['id']}"))
    assert "2 sur 3" in ref_page
    for name in ("Membre 0", "Membre 1", "Membre 2"):
        assert name not in ref_page and name not in text(s.referent.page(f"/seances/{seance}"))
    bad = s.helper.api("post", f"/sessions/{seance}/attendance",
                       json={"present": [s.referent.profile_id], "version": 2})
    assert bad.status_code == 422 and bad.json["error"]["code"] == "unknown_participant"


def test_a_facilitator_taking_attendance_for_a_session_not_theirs_is_refused(app):
    s = space(app, members=2)
    other_helper = person(app, s.ref, "pair-aidant", "Autre Animatrice")
    group = create_group(s.helper)
    for m in s.members:
        m.api("post", f"/groups/{group['id']}/register")
    create_group(other_helper)
    move_sessions_to_past(app, s.ref, group["id"])
    seance = group["sessions"][0]["id"]
    before = employer_state(app, s.ref)
    for intruder in (other_helper, s.referent, s.members[0]):
        r = intruder.api("post", f"/sessions/{seance}/attendance",
                         json={"present": [s.members[0].profile_id], "version": 1})
        assert r.status_code == 403 and r.json["error"]["code"] == "not_your_session"
        assert r.json["error"]["message"].startswith(
            "Vous n'animez pas ce groupe : vous ne pouvez pas faire l'appel de cette séance.")
    page = post_form(other_helper, f"/seances/{seance}",
                     {"present": str(s.members[0].profile_id), "version": "1"})
    assert page.status_code == 403
    assert "Vous n'animez pas ce groupe" in text(page)
    cancel = other_helper.api("post", f"/sessions/{group['sessions'][1]['id']}/cancel")
    assert cancel.status_code == 403 and cancel.json["error"]["code"] == "not_your_session"
    assert employer_state(app, s.ref) == before


# --- e-mails ------------------------------------------------------------------------------------

def test_the_day_before_a_session_everyone_registered_gets_one_reminder(app, mailbox):
    from plugins.groupes.jobs import remind_tomorrows_sessions
    from server.jobs import enqueue

    s = space(app, members=2)
    group = create_group(s.helper, first_session=in_days(1.5), title="Groupe handicap psychique")
    s.members[0].api("post", f"/groups/{group['id']}/register")
    run_jobs(app)
    with app.app_context():
        at = datetime.fromisoformat(group["sessions"][0]["starts_at"]) - timedelta(hours=20)
        enqueue(remind_tomorrows_sessions, at, tenant=s.ref.slug)
        enqueue(remind_tomorrows_sessions, at, tenant=s.ref.slug)  # once per session
    run_jobs(app)
    (reminder,) = mailbox.to(s.members[0].account.email)
    assert reminder["Subject"] == "Rappel : séance de groupe demain"
    body = text_of(reminder)
    assert " à 14 h 00" in body and "handicap" not in body.lower()
    assert len(mailbox.to(s.helper.account.email)) == 1
    assert mailbox.to(s.members[1].account.email) == []


def test_a_cancelled_session_is_announced_to_registered_people(app, mailbox):
    s = space(app, members=2)
    group = create_group(s.helper)
    s.members[0].api("post", f"/groups/{group['id']}/register")
    seance = group["sessions"][1]["id"]
    r = post_form(s.helper, f"/seances/{seance}/annuler", {}, page=f"/seances/{seance}")
    assert r.status_code == 302
    run_jobs(app)
    (message,) = mailbox.to(s.members[0].account.email)
    assert message["Subject"] == "Séance de groupe annulée"
    assert mailbox.to(s.members[1].account.email) == []
    again = s.helper.api("post", f"/sessions/{seance}/cancel")
    assert again.status_code == 409 and again.json["error"]["code"] == "already_cancelled"


# --- confidentiality ----------------------------------------------------------------------------

def test_names_are_hidden_from_participants_unless_the_group_shows_them(app):
    s = space(app, members=3)
    hidden = create_group(s.helper, title="Groupe discret")
    shown = create_group(s.helper, title="Groupe ouvert", names_visible=True)
    for g in (hidden, shown):
        for m in s.members[:2]:
            m.api("post", f"/groups/{g['id']}/register")
    me = s.members[0]
    listing = me.api("get", f"/groups/{hidden['id']}/participants").json
    assert listing["participants"] is None and listing["registered_count"] == 2
    assert "Membre 1" not in text(me.page(f"/{hidden['id']}"))
    visible = me.api("get", f"/groups/{shown['id']}/participants").json
    assert {p["name"] for p in visible["participants"]} == {"Membre 0", "Membre 1"}
    assert visible["waiting_list"] is None
    assert "Membre 1" in text(me.page(f"/{shown['id']}"))
    # Someone not registered sees counts only, even when names are shown to participants.
    outsider = s.members[2].api("get", f"/groups/{shown['id']}/participants").json
    assert outsider["participants"] is None
    assert s.members[2].api("get", f"/groups/{shown['id']}").json["video_url"] is None
    # The facilitator always sees names; the référent never does.
    assert s.helper.api("get", f"/groups/{hidden['id']}/participants").json["participants"]
    for g in (hidden, shown):
        ref_view = s.referent.api("get", f"/groups/{g['id']}/participants").json
        assert ref_view["participants"] is None and ref_view["registered_count"] == 2
        page = text(s.referent.page(f"/{g['id']}"))
        assert "Membre 0" not in page and "Membre 1" not in page


def test_another_employer_gets_404_on_pages_and_api(app):
    s = space(app, members=1)
    group = create_group(s.helper)
    s.members[0].api("post", f"/groups/{group['id']}/register")
    other = create_employer(app)
    enable_groupes(app, other)
    stranger = person(app, other, "referent")
    before = employer_state(app, s.ref)
    for path in (f"/{group['id']}", f"/seances/{group['sessions'][0]['id']}"):
        assert stranger.client.get(f"/e/{s.ref.slug}/groupes{path}").status_code == 404
        assert stranger.page(path).status_code == 404  # the id does not exist in their space
    r = stranger.api_client.post(f"/api/v1/e/{s.ref.slug}/groupes/groups/{group['id']}/register",
                                 headers=stranger.auth)
    assert r.status_code == 404
    assert employer_state(app, s.ref) == before


# --- calendar and indicators ----------------------------------------------------------------------

def test_calendar_events_and_indicators(app):
    from plugins.base import Period
    from tenants import tenant_context

    s = space(app, members=3)
    group = create_group(s.helper, capacity=5, sessions_count=3)
    for m in s.members[:2]:
        m.api("post", f"/groups/{group['id']}/register")
    create_group(s.helper, title="Autre")  # facilitated, not registered by the members
    move_sessions_to_past(app, s.ref, group["id"])
    seance = group["sessions"][0]["id"]
    taken = s.helper.api("post", f"/sessions/{seance}/attendance",
                         json={"present": [s.members[0].profile_id], "version": 1})
    assert taken.status_code == 200, taken.json
    plugin = app.extensions["entrepairs.plugins"]["groupes"]
    start = datetime.now(timezone.utc) - timedelta(days=1)
    end = start + timedelta(days=60)
    with app.app_context(), tenant_context(s.ref.slug):
        mine = plugin.calendar_events(s.members[0].profile_id, start, end)
        facilitated = plugin.calendar_events(s.helper.profile_id, start, end)
        nobody = plugin.calendar_events(s.members[2].profile_id, start, end)
        figures = {i.key: i.value for i in plugin.indicators(Period(start.date(), end.date()))}
        app.extensions["sqlalchemy"].session.remove()
    assert len(mine) == 3 and len(facilitated) == 7 and nobody == []
    assert mine[0].uid == f"groupes-seance-{seance}@{s.ref.slug}"
    assert mine[0].url == f"/e/{s.ref.slug}/groupes/{group['id']}"
    assert mine[0].start.tzinfo is not None and mine[0].location == "Salle 3, Hôtel de ville"
    assert figures == {"groupes.groups": 2, "groupes.sessions_held": 1,
                       "groupes.attendance_rate": 50.0}


# --- editing a group ------------------------------------------------------------------------------

def edit_body(group, **changes):
    """The edit form as the page draws it for ``group`` (an API payload), with ``changes``."""
    body = {"title": group["title"], "theme": group["theme"], "place": group["place"] or "",
            "video_url": group["video_url"] or "", "capacity": str(group["capacity"]),
            "version": str(group["version"])}
    if group["names_visible"]:
        body["names_visible"] = "oui"
    return {**body, **changes}


def test_the_facilitator_and_a_referent_edit_a_group_on_its_page_and_through_the_api(app):
    s = space(app, members=1)
    group = create_group(s.helper, capacity=4)
    gid = group["id"]
    form = s.helper.page(f"/{gid}/modifier")
    assert form.status_code == 200 and 'name="version" value="1"' in text(form)
    assert "Modifier le groupe" in text(s.helper.page(f"/{gid}"))
    r = post_form(s.helper, f"/{gid}/modifier", edit_body(
        group, title="Groupe du vendredi", theme="Parler du télétravail", place="",
        video_url="https://visio.exemple.fr/groupe", capacity="6", names_visible="oui"))
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/groupes/{gid}")
    after = s.helper.api("get", f"/groups/{gid}").json
    assert (after["title"], after["theme"], after["place"], after["video_url"],
            after["capacity"], after["names_visible"], after["version"]) == (
        "Groupe du vendredi", "Parler du télétravail", None, "https://visio.exemple.fr/groupe",
        6, True, 2)
    assert len(after["sessions"]) == 4  # the sessions are untouched
    # The référent edits through the API (only the fields sent change).
    r = s.referent.api("patch", f"/groups/{gid}", json={"place": "Salle 5", "version": 2})
    assert r.status_code == 200, r.json
    assert (r.json["place"], r.json["version"]) == ("Salle 5", 3)
    assert r.json["video_url"] is None  # the link is for the facilitator and participants
    assert s.helper.api("get", f"/groups/{gid}").json["video_url"] == (
        "https://visio.exemple.fr/groupe")
    assert "Modifier le groupe" in text(s.referent.page(f"/{gid}"))


def test_only_the_facilitator_and_referents_edit_a_group(app):
    s = space(app, members=1)
    other_helper = person(app, s.ref, "pair-aidant", "Autre Animatrice")
    group = create_group(s.helper)
    gid = group["id"]
    before = employer_state(app, s.ref)
    for intruder in (s.members[0], other_helper):
        r = intruder.api("patch", f"/groups/{gid}", json={"title": "Pris", "version": 1})
        assert r.status_code == 403 and r.json["error"]["code"] == "not_your_group"
        assert r.json["error"]["message"].startswith(
            "Seuls le pair-aidant qui anime ce groupe et les référents peuvent modifier ce "
            "groupe.")
        assert intruder.page(f"/{gid}/modifier").status_code == 403
        assert post_form(intruder, f"/{gid}/modifier", edit_body(group, title="Pris"),
                         page="/").status_code == 403
        assert "Modifier le groupe" not in text(intruder.page(f"/{gid}"))
    assert employer_state(app, s.ref) == before


def test_a_stale_edit_form_is_a_409_with_a_french_message_and_writes_nothing(app):
    s = space(app, members=0)
    group = create_group(s.helper)
    gid = group["id"]
    first = post_form(s.helper, f"/{gid}/modifier", edit_body(group, title="Premier titre"))
    assert first.status_code == 302
    before = employer_state(app, s.ref)
    stale = post_form(s.helper, f"/{gid}/modifier", edit_body(group, title="Second titre"))
    body = text(stale)
    assert stale.status_code == 409
    assert ("Une autre personne a modifié ce groupe pendant que vous le consultiez. Rien n'a "
            "été enregistré : voici la version actuelle.") in body
    # The form now shows the current version, ready to be sent again.
    assert 'value="Premier titre"' in body and 'name="version" value="2"' in body
    api = s.referent.api("patch", f"/groups/{gid}", json={"title": "Troisième", "version": 1})
    assert api.status_code == 409 and api.json["error"]["code"] == "stale_version"
    missing = s.referent.api("patch", f"/groups/{gid}", json={"title": "Sans version"})
    assert missing.status_code == 422
    assert employer_state(app, s.ref) == before


def test_edit_errors_are_listed_in_french_and_write_nothing(app):
    s = space(app, members=0)
    group = create_group(s.helper)
    gid = group["id"]
    before = employer_state(app, s.ref)
    r = post_form(s.helper, f"/{gid}/modifier", edit_body(
        group, title="", place="", video_url="", capacity="mille"))
    body = text(r)
    assert r.status_code == 400 and 'class="error-summary"' in body
    for message in ("Saisissez le nom du groupe.", "Indiquez un lieu ou un lien de "
                    "visioconférence.", "Saisissez un nombre de places entre 2 et 30."):
        assert message in body
    assert 'value="mille"' in body
    r = post_form(s.helper, f"/{gid}/modifier", edit_body(group, video_url="http://pas-sur"))
    assert r.status_code == 400
    assert "Saisissez un lien qui commence par https://" in text(r)
    assert 'value="http://pas-sur"' in text(r)
    api = s.helper.api("patch", f"/groups/{gid}", json={"capacity": 500, "version": 1})
    assert api.status_code == 422 and "capacity" in api.json["error"]["details"]
    assert employer_state(app, s.ref) == before


def test_lowering_the_places_below_the_registered_people_is_refused(app):
    s = space(app, members=4)
    group = create_group(s.helper, capacity=4)
    gid = group["id"]
    for m in s.members[:3]:
        m.api("post", f"/groups/{gid}/register")
    before = employer_state(app, s.ref)
    r = post_form(s.helper, f"/{gid}/modifier", edit_body(group, capacity="2"))
    body = text(r)
    assert r.status_code == 409
    message = ("3 personnes sont déjà inscrites : le groupe ne peut pas avoir moins de 3 places. "
               "Gardez au moins 3 places, ou désinscrivez d'abord des participants. Rien n'a "
               "été enregistré.")
    assert message in body and 'id="capacity-erreur"' in body and 'value="2"' in body
    api = s.referent.api("patch", f"/groups/{gid}", json={"capacity": 2, "version": 1})
    assert api.status_code == 409 and api.json["error"]["code"] == "capacity_below_registered"
    assert api.json["error"]["message"] == message
    assert employer_state(app, s.ref) == before


def test_lowering_the_places_to_the_registered_people_renumbers_their_seats(app):
    s = space(app, members=3)
    group = create_group(s.helper, capacity=5)
    gid = group["id"]
    for m in s.members:
        m.api("post", f"/groups/{gid}/register")
    s.members[0].api("post", f"/groups/{gid}/cancel")  # seats 2 and 3 remain
    r = s.helper.api("patch", f"/groups/{gid}", json={"capacity": 2, "version": 1})
    assert r.status_code == 200, r.json
    assert r.json["capacity"] == 2 and r.json["registered_count"] == 2
    regs = {p: (st, seat) for p, st, seat, _ in registrations(app, s.ref, gid)}
    assert regs[s.members[1].profile_id] == ("registered", 1)
    assert regs[s.members[2].profile_id] == ("registered", 2)
    (capacity,) = {c for (c,) in rows(app, s.ref, "SELECT group_capacity FROM "
                                      "groupes_inscription WHERE groupe_id = :g", g=gid)}
    assert capacity == 2


def test_more_places_promote_the_waiting_people_in_order_who_get_an_email(app, mailbox):
    s = space(app, members=5)
    group = create_group(s.helper, capacity=2, title="Groupe douleurs chroniques")
    gid = group["id"]
    for m in s.members:
        m.api("post", f"/groups/{gid}/register")
    run_jobs(app)
    r = post_form(s.helper, f"/{gid}/modifier", edit_body(group, capacity="4"))
    assert r.status_code == 302
    regs = {p: st for p, st, _, _ in registrations(app, s.ref, gid)}
    assert [regs[m.profile_id] for m in s.members] == ["registered"] * 4 + ["waiting"]
    assert s.members[4].api("get", f"/groups/{gid}").json["my_waiting_position"] == 1
    run_jobs(app)
    for m in s.members[2:4]:
        (message,) = mailbox.to(m.account.email)
        assert message["Subject"] == "Une place s'est libérée dans votre groupe"
        assert "douleurs" not in text_of(message)
    assert mailbox.to(s.members[4].account.email) == []


# --- closing a group ------------------------------------------------------------------------------

def test_closing_a_group_cancels_its_future_sessions_and_tells_everyone_by_email(app, mailbox):
    s = space(app, members=4)
    group = create_group(s.helper, capacity=2, sessions_count=4, title="Groupe santé mentale")
    gid = group["id"]
    for m in s.members[:3]:
        m.api("post", f"/groups/{gid}/register")
    move_sessions_to_past(app, s.ref, gid)  # the first session was held
    held = group["sessions"][0]["id"]
    assert s.helper.api("post", f"/sessions/{held}/attendance", json={
        "present": [s.members[0].profile_id], "version": 1}).status_code == 200
    run_jobs(app)
    confirm = text(s.helper.page(f"/{gid}/clore"))
    assert "ses 3 séances à venir sont annulées" in confirm
    assert "2 personnes inscrites et 1 personne en liste d'attente" in confirm
    r = post_form(s.helper, f"/{gid}/clore", {"version": "1"})
    assert r.status_code == 302
    detail = s.helper.api("get", f"/groups/{gid}").json
    assert detail["status"] == "closed" and detail["closed_at"] and detail["version"] == 2
    assert [x["cancelled"] for x in detail["sessions"]] == [False, True, True, True]
    assert detail["sessions"][0]["held"] and detail["sessions"][0]["present"] == 1
    regs = {p: (st, rank) for p, st, _, rank in registrations(app, s.ref, gid)}
    assert regs[s.members[2].profile_id] == ("cancelled", None)  # the waiting list is gone
    page = text(s.members[0].page(f"/{gid}"))
    assert "Ce groupe est clos depuis le" in page and "M'inscrire" not in page
    run_jobs(app)
    for m in s.members[:2]:
        (message,) = mailbox.to(m.account.email)
        assert message["Subject"] == "Séances de groupe annulées : le groupe est clos"
        body = text_of(message)
        assert "et les suivantes sont annulées" in body and " à 14 h 00" in body
        assert "santé" not in body.lower() and "retour au travail" not in body
    (waiting,) = mailbox.to(s.members[2].account.email)
    assert waiting["Subject"] == "Liste d'attente close : le groupe est clos"
    assert mailbox.to(s.members[3].account.email) == []
    # Nobody registers any more; nothing else changes either.
    before = employer_state(app, s.ref)
    r = s.members[3].api("post", f"/groups/{gid}/register")
    assert r.status_code == 409 and r.json["error"]["code"] == "group_closed"
    assert r.json["error"]["message"] == "Ce groupe est clos : on ne peut plus s'y inscrire."
    page = post_form(s.members[3], f"/{gid}/inscription", {}, page=f"/{gid}")
    assert page.status_code == 409 and "Ce groupe est clos : on ne peut plus s'y inscrire." in text(page)
    again = s.referent.api("post", f"/groups/{gid}/close", json={"version": 2})
    assert again.status_code == 409 and again.json["error"]["code"] == "group_closed"
    edit = s.referent.api("patch", f"/groups/{gid}", json={"title": "Rouvert", "version": 2})
    assert edit.status_code == 409 and edit.json["error"]["code"] == "group_closed"
    assert s.helper.page(f"/{gid}/modifier").status_code == 409
    assert employer_state(app, s.ref) == before
    run_jobs(app)
    assert len(mailbox.to(s.members[3].account.email)) == 0


def test_a_referent_closes_a_group_through_the_api_others_are_refused(app):
    s = space(app, members=1)
    other_helper = person(app, s.ref, "pair-aidant", "Autre Animatrice")
    gid = create_group(s.helper)["id"]
    before = employer_state(app, s.ref)
    for intruder in (s.members[0], other_helper):
        r = intruder.api("post", f"/groups/{gid}/close", json={"version": 1})
        assert r.status_code == 403 and r.json["error"]["code"] == "not_your_group"
        assert intruder.page(f"/{gid}/clore").status_code == 403
    stale = s.referent.api("post", f"/groups/{gid}/close", json={"version": 7})
    assert stale.status_code == 409 and stale.json["error"]["code"] == "stale_version"
    page = post_form(s.referent, f"/{gid}/clore", {"version": "7"})
    assert page.status_code == 409 and "Rien n'a été enregistré" in text(page)
    assert employer_state(app, s.ref) == before
    ok = s.referent.api("post", f"/groups/{gid}/close", json={"version": 1})
    assert ok.status_code == 200 and ok.json["status"] == "closed"
    assert all(x["cancelled"] for x in ok.json["sessions"])


# --- a référent creates a group for a pair-aidant ---------------------------------------------------

def test_a_referent_creates_a_group_facilitated_by_a_pair_aidant_of_the_employer(app):
    s = space(app, members=1)
    page = text(s.referent.page("/nouveau"))
    assert 'name="facilitator_id"' in page
    assert f'<option value="{s.helper.profile_id}">Paul Pair-Aidant</option>' in page
    assert f'value="{s.members[0].profile_id}"' not in page  # pair-aidés are not offered
    assert 'name="facilitator_id"' not in text(s.helper.page("/nouveau"))
    r = post_form(s.referent, "/nouveau", {
        "facilitator_id": str(s.helper.profile_id), "title": "Groupe du mardi",
        "theme": "Revenir au travail", "place": "Salle 1", "recurrence": "weekly",
        "first_session": in_days(4).replace("T", " "), "sessions_count": "2",
        "duration_minutes": "60", "capacity": "6"})
    assert r.status_code == 302
    (group,) = s.helper.api("get", "/groups").json
    assert group["facilitator_id"] == s.helper.profile_id and group["my_status"] == "facilitator"
    assert "Vous animez ce groupe" in text(s.helper.page(f"/{group['id']}"))
    made = create_group(s.referent, facilitator_id=s.helper.profile_id, title="Par l'API")
    assert made["facilitator_id"] == s.helper.profile_id and made["facilitator_name"] == (
        "Paul Pair-Aidant")


def test_a_facilitator_who_is_not_a_pair_aidant_of_the_employer_is_refused(app):
    s = space(app, members=1)
    other = create_employer(app)
    enable_groupes(app, other)
    stranger = person(app, other, "pair-aidant")
    body = {"title": "Groupe", "theme": "Thème", "place": "Salle", "recurrence": "weekly",
            "first_session": in_days(3), "sessions_count": 2, "duration_minutes": 60,
            "capacity": 4}
    before = employer_state(app, s.ref)
    message = ("Cette personne n'est pas pair-aidante dans cet espace : choisissez l'animateur "
               "parmi les pair-aidants de la liste. Rien n'a été enregistré.")
    for who in (s.members[0].profile_id, s.referent.profile_id, stranger.profile_id + 10_000):
        r = s.referent.api("post", "/groups", json={**body, "facilitator_id": who})
        assert r.status_code == 422 and r.json["error"]["code"] == "not_a_peer_helper_here"
        assert r.json["error"]["message"] == message
    page = post_form(s.referent, "/nouveau", {
        **{k: str(v) for k, v in body.items()}, "first_session": in_days(3).replace("T", " "),
        "facilitator_id": str(s.members[0].profile_id)})
    assert page.status_code == 422 and message in text(page)
    assert 'value="Groupe"' in text(page)
    empty = post_form(s.referent, "/nouveau", {"title": ""})
    assert empty.status_code == 400
    assert "Choisissez le pair-aidant qui animera le groupe." in text(empty)
    # A pair-aidant may not name someone else as the facilitator.
    r = s.helper.api("post", "/groups", json={**body, "facilitator_id": s.members[0].profile_id})
    assert r.status_code == 403 and r.json["error"]["code"] == "not_referent"
    assert employer_state(app, s.ref) == before


# --- the facilitator unregisters a participant --------------------------------------------------------

def test_the_facilitator_unregisters_a_participant_and_the_first_waiting_is_promoted(app, mailbox):
    s = space(app, members=4)
    group = create_group(s.helper, capacity=2, title="Groupe addictions")
    gid = group["id"]
    for m in s.members:
        m.api("post", f"/groups/{gid}/register")
    run_jobs(app)
    page = text(s.helper.page(f"/{gid}"))
    assert "Désinscrire Membre 0" in page and "Retirer Membre 3 de la liste d'attente" in page
    r = post_form(s.helper, f"/{gid}/participants/{s.members[0].profile_id}/desinscrire", {},
                  page=f"/{gid}")
    assert r.status_code == 302
    regs = {p: (st, seat) for p, st, seat, _ in registrations(app, s.ref, gid)}
    assert regs[s.members[0].profile_id] == ("cancelled", None)
    assert regs[s.members[2].profile_id] == ("registered", 1)
    run_jobs(app)
    (removed,) = mailbox.to(s.members[0].account.email)
    assert removed["Subject"] == "Vous avez été désinscrit d'un groupe"
    (promoted,) = mailbox.to(s.members[2].account.email)
    assert promoted["Subject"] == "Une place s'est libérée dans votre groupe"
    for message in (removed, promoted):
        assert "addictions" not in text_of(message)
    # Through the API: someone off the waiting list (no promotion).
    r = s.helper.api("post", f"/groups/{gid}/participants/{s.members[3].profile_id}/unregister")
    assert r.status_code == 200 and (r.json["status"], r.json["promoted"]) == ("cancelled", 0)
    run_jobs(app)
    assert len(mailbox.to(s.members[3].account.email)) == 1


def test_unregistering_a_participant_is_for_the_facilitator_only(app):
    s = space(app, members=2)
    other_helper = person(app, s.ref, "pair-aidant", "Autre Animatrice")
    gid = create_group(s.helper)["id"]
    s.members[0].api("post", f"/groups/{gid}/register")
    target = s.members[0].profile_id
    before = employer_state(app, s.ref)
    for intruder in (s.referent, other_helper, s.members[1]):
        r = intruder.api("post", f"/groups/{gid}/participants/{target}/unregister")
        assert r.status_code == 403 and r.json["error"]["code"] == "not_your_group"
        page = post_form(intruder, f"/{gid}/participants/{target}/desinscrire", {},
                         page=f"/{gid}")
        assert page.status_code == 403
        assert "Seul le pair-aidant qui anime ce groupe peut désinscrire" in text(page)
    assert "Désinscrire" not in text(s.referent.page(f"/{gid}"))
    nobody = s.helper.api("post", f"/groups/{gid}/participants/{s.members[1].profile_id}"
                          "/unregister")
    assert nobody.status_code == 409 and nobody.json["error"]["code"] == "not_registered"
    assert nobody.json["error"]["message"] == ("Cette personne n'est ni inscrite ni sur la "
                                               "liste d'attente de ce groupe : rien n'a changé.")
    assert employer_state(app, s.ref) == before


# --- attendance version -----------------------------------------------------------------------------

def test_attendance_taken_from_a_stale_form_is_a_409_and_writes_nothing(app):
    s = space(app, members=2)
    group = create_group(s.helper, capacity=5)
    gid = group["id"]
    for m in s.members:
        m.api("post", f"/groups/{gid}/register")
    move_sessions_to_past(app, s.ref, gid)
    seance = group["sessions"][0]["id"]
    form = text(s.helper.page(f"/seances/{seance}"))
    assert 'name="version" value="1"' in form
    first = post_form(s.helper, f"/seances/{seance}",
                      {"present": [str(s.members[0].profile_id)], "version": "1"})
    assert first.status_code == 302
    assert s.helper.api("get", f"/sessions/{seance}").json["version"] == 2
    before = employer_state(app, s.ref)
    stale = post_form(s.helper, f"/seances/{seance}",
                      {"present": [str(s.members[1].profile_id)], "version": "1"})
    body = text(stale)
    assert stale.status_code == 409
    assert ("L'appel de cette séance a été modifié pendant que vous le consultiez. Rien n'a été "
            "enregistré : voici l'appel actuel.") in body
    assert 'name="version" value="2"' in body
    assert f'value="{s.members[0].profile_id}" checked' in body
    api = s.helper.api("post", f"/sessions/{seance}/attendance",
                       json={"present": [s.members[1].profile_id], "version": 1})
    assert api.status_code == 409 and api.json["error"]["code"] == "stale_version"
    missing = s.helper.api("post", f"/sessions/{seance}/attendance",
                           json={"present": [s.members[1].profile_id]})
    assert missing.status_code == 422
    no_version = post_form(s.helper, f"/seances/{seance}",
                           {"present": [str(s.members[1].profile_id)]})
    assert no_version.status_code == 409
    assert employer_state(app, s.ref) == before
    ok = s.helper.api("post", f"/sessions/{seance}/attendance",
                      json={"present": [s.members[1].profile_id], "version": 2})
    assert ok.status_code == 200 and (ok.json["present"], ok.json["version"]) == (1, 3)


def test_two_racing_edits_from_the_same_version_save_one_and_refuse_the_other(app):
    s = space(app, members=0)
    gid = create_group(s.helper)["id"]
    answers = _race([
        lambda: s.helper.api("patch", f"/groups/{gid}", json={"title": "Par l'animateur",
                                                               "version": 1}),
        lambda: s.referent.api("patch", f"/groups/{gid}", json={"title": "Par la référente",
                                                                "version": 1})])
    assert sorted(a.status_code for a in answers) == [200, 409]
    (saved,) = [a.json for a in answers if a.status_code == 200]
    after = s.helper.api("get", f"/groups/{gid}").json
    assert (after["title"], after["version"]) == (saved["title"], 2)
