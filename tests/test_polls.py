"""Topic proposals and polls (issue #6): counting (Schulze and approval), who may vote, ballot
changes, secrecy, concurrency, closing on time through the real scheduler and worker, and the
visibility of results."""
from __future__ import annotations

import html
import re
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from server.polls.counting import count_approval, count_schulze
from tests.fixtures.app import csrf_token
from tests.fixtures.factories import api_token, create_employer, create_user, login, unique

# --- counting: published worked examples ---------------------------------------------------------


def _expand(groups):
    return [list(order) for n, order in groups for _ in range(n)]


#: Wikipedia, « Schulze method », the 45-voter example (also in Schulze's paper).
WIKIPEDIA_45 = _expand([(5, "ACBED"), (5, "ADECB"), (8, "BEDAC"), (3, "CABED"), (7, "CAEBD"),
                        (2, "CBADE"), (7, "DCEBA"), (8, "EBADC")])


def test_schulze_matches_the_45_voter_worked_example_of_the_wikipedia_article():
    result = count_schulze("ABCDE", WIKIPEDIA_45)
    assert result.ballots == 45
    assert result.pairwise == ((0, 20, 26, 30, 22), (25, 0, 16, 33, 18), (19, 29, 0, 17, 24),
                               (15, 12, 28, 0, 14), (23, 27, 21, 31, 0))
    assert result.strongest == ((0, 28, 28, 30, 24), (25, 0, 28, 33, 24), (25, 29, 0, 29, 24),
                                (25, 28, 28, 0, 24), (25, 28, 28, 31, 0))
    assert result.ranking == (("E",), ("A",), ("C",), ("B",), ("D",))
    assert result.winners == ("E",)


def test_schulze_reports_a_tie_as_a_tie_and_never_breaks_it():
    """Nine voters, 3 ABCD, 2 DABC, 2 DBCA, 2 CBDA (the tie example of Schulze's paper):
    B and D are both winners, A and C tie below them."""
    ballots = _expand([(3, "ABCD"), (2, "DABC"), (2, "DBCA"), (2, "CBDA")])
    result = count_schulze("ABCD", ballots)
    assert result.pairwise == ((0, 5, 5, 3), (4, 0, 7, 5), (4, 2, 0, 5), (6, 4, 4, 0))
    assert result.strongest == ((0, 5, 5, 5), (5, 0, 7, 5), (5, 5, 0, 5), (6, 5, 5, 0))
    assert result.ranking == (("B", "D"), ("A", "C"))
    assert result.winners == ("B", "D")


def test_schulze_with_no_ballot_ties_every_option():
    assert count_schulze("ABC", []).ranking == (("A", "B", "C"),)


def test_a_partial_ranking_puts_the_unranked_options_together_last():
    result = count_schulze("ABC", [["B"]])
    assert result.pairwise == ((0, 0, 0), (1, 0, 1), (0, 0, 0))
    assert result.ranking == (("B",), ("A", "C"))


def test_approval_counts_each_approval_and_ties_equal_scores():
    result = count_approval([1, 2, 3, 4], [[1, 2], [2, 3], [1, 2, 3], [4]])
    assert result.scores == {1: 2, 2: 3, 3: 2, 4: 1}
    assert result.ranking == ((2,), (1, 3), (4,))
    assert result.winners == (2,)


rankings = st.integers(min_value=2, max_value=6).flatmap(
    lambda n: st.tuples(st.just(n), st.lists(st.permutations(range(n)), min_size=0,
                                             max_size=25)))


def _condorcet_winner(n, d):
    for i in range(n):
        if all(d[i][j] > d[j][i] for j in range(n) if j != i):
            return i
    return None


@settings(max_examples=200, deadline=None)
@given(rankings)
def test_a_condorcet_winner_is_always_the_sole_schulze_winner(data):
    n, ballots = data
    result = count_schulze(range(n), ballots)
    winner = _condorcet_winner(n, result.pairwise)
    if winner is not None:
        assert result.winners == (winner,)
    assert sorted(o for tier in result.ranking for o in tier) == list(range(n))


@settings(max_examples=100, deadline=None)
@given(rankings, st.randoms(use_true_random=False))
def test_the_order_of_ballots_changes_nothing(data, rnd):
    n, ballots = data
    shuffled = list(ballots)
    rnd.shuffle(shuffled)
    assert count_schulze(range(n), ballots) == count_schulze(range(n), shuffled)
    approvals = [b[: 1 + len(b) // 2] for b in ballots]
    shuffled_approvals = [b[: 1 + len(b) // 2] for b in shuffled]
    assert count_approval(range(n), approvals) == count_approval(range(n), shuffled_approvals)


@settings(max_examples=100, deadline=None)
@given(rankings)
def test_reversing_every_ballot_never_keeps_a_sole_winner_on_top(data):
    """Reversal symmetry: the sole winner of the ballots is not the sole winner of the
    reversed ballots."""
    n, ballots = data
    forward = count_schulze(range(n), ballots)
    backward = count_schulze(range(n), [list(reversed(b)) for b in ballots])
    if len(forward.winners) == 1:
        assert backward.winners != forward.winners


# --- helpers -------------------------------------------------------------------------------------

def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def make_poll(app, *, method="approval", max_choices=2, scope="person", opens_in=-60,
              closes_in=3600, during=False, topics=3, schedule=False):
    """A poll on ``topics`` fresh kept topics, through the service. Times in seconds from now."""
    from server.extensions import db
    from server.polls import service

    now = datetime.now(timezone.utc)
    with app.app_context():
        staff = create_user(app, network_roles=["animateur"])
        kept = []
        for _ in range(topics):
            topic = service.propose(staff.id, unique("Thème"), "Parce que.")
            service.keep(topic, staff.id)
            kept.append(topic.id)
        poll = service.open_poll(service.PollDraft(
            title=unique("Sondage"), method=method, max_choices=max_choices, scope=scope,
            opens_at=now + timedelta(seconds=opens_in), closes_at=now + timedelta(seconds=closes_in),
            results_during_vote=during, topic_ids=kept), staff.id)
        db.session.commit()
        if schedule:
            service.schedule_close(poll)
        return poll.id, [o.id for o in poll.options]


def counts(app, poll_id):
    from server.polls import service

    with app.app_context():
        return service.ballot_count(poll_id), service.voter_count(poll_id)


def stored_ballots(app, poll_id):
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        return db.session.execute(sa.text(
            "SELECT choices FROM network.poll_ballot WHERE poll_id = :p"), {"p": poll_id}
        ).scalars().all()


def vote(client, token, poll_id, choices, **extra):
    return client.put(f"/api/v1/reseau/sondages/{poll_id}/bulletin",
                      json={"choices": choices, **extra}, headers=bearer(token))


@pytest.fixture(scope="module")
def people(app):
    class People:
        pass

    p = People()
    p.employer = create_employer(app)
    p.member = create_user(app, employer=p.employer, role="membre")
    p.member2 = create_user(app, employer=p.employer, role="pair-aide")
    p.referent = create_user(app, employer=p.employer, role="referent")
    p.referent2 = create_user(app, employer=p.employer, role="referent")
    p.animateur = create_user(app, network_roles=["animateur"])
    p.outsider = create_user(app)
    client = app.test_client()
    p.tokens = {name: api_token(client, getattr(p, name))
                for name in ("member", "member2", "referent", "referent2", "animateur",
                             "outsider")}
    return p


# --- eligibility, ballot change, bad input -------------------------------------------------------

def test_a_member_votes_and_a_changed_ballot_replaces_the_first(app, client, people):
    poll_id, options = make_poll(app)
    first = vote(client, people.tokens["member"], poll_id, [options[0]])
    assert first.status_code == 200 and first.json == {"recorded": True, "replaced": False}
    second = vote(client, people.tokens["member"], poll_id, [options[1], options[2]])
    assert second.status_code == 200 and second.json["replaced"] is True
    assert counts(app, poll_id) == (1, 1)
    assert stored_ballots(app, poll_id) == [[options[1], options[2]]]


def test_network_staff_without_membership_and_outsiders_may_not_vote(app, client, people):
    poll_id, options = make_poll(app)
    for who in ("animateur", "outsider"):
        response = vote(client, people.tokens[who], poll_id, [options[0]])
        assert response.status_code == 403, response.json
    # Staff still read the poll; outsiders (no employer, no network role) do not.
    assert client.get(f"/api/v1/reseau/sondages/{poll_id}",
                      headers=bearer(people.tokens["animateur"])).json["eligible"] is False
    assert client.get(f"/api/v1/reseau/sondages/{poll_id}",
                      headers=bearer(people.tokens["outsider"])).status_code == 403
    assert counts(app, poll_id) == (0, 0)


def test_members_of_a_suspended_employer_may_not_vote(app, client):
    from tenants.provisioning import set_status

    ref = create_employer(app)
    person = create_user(app, employer=ref, role="membre")
    token = api_token(client, person)
    with app.app_context():
        set_status(ref.slug, "suspended")
    poll_id, options = make_poll(app)
    response = vote(client, token, poll_id, [options[0]])
    assert response.status_code == 403
    assert counts(app, poll_id) == (0, 0)


def test_one_ballot_per_employer_only_referents_vote_and_the_latest_replaces(app, client,
                                                                              people):
    poll_id, options = make_poll(app, scope="employer", max_choices=1)
    refused = vote(client, people.tokens["member"], poll_id, [options[0]])
    assert refused.status_code == 403 and refused.json["error"]["code"] == "not_eligible"
    assert vote(client, people.tokens["referent"], poll_id, [options[0]]).json["replaced"] is False
    assert vote(client, people.tokens["referent2"], poll_id, [options[1]]).json["replaced"] is True
    assert counts(app, poll_id) == (1, 1)
    assert stored_ballots(app, poll_id) == [[options[1]]]


@pytest.mark.parametrize("kind, status, code", [
    ("too_many", 422, "too_many_choices"),
    ("repeated", 422, "repeated_option"),
    ("unknown", 422, "unknown_option"),
    ("empty", 422, "empty_ballot"),
    ("not_a_list_of_ids", 422, "invalid_ballot"),
])
def test_a_bad_ballot_is_refused_with_its_reason_and_nothing_is_recorded(
        app, client, people, kind, status, code):
    method = "schulze" if kind == "repeated" else "approval"
    poll_id, options = make_poll(app, method=method, max_choices=2)
    choices = {"too_many": options, "repeated": [options[0], options[1], options[0]],
               "unknown": [options[0], 2_000_000_000], "empty": [],
               "not_a_list_of_ids": ["un"]}[kind]
    response = vote(client, people.tokens["member"], poll_id, choices)
    assert response.status_code == status, response.json
    error = response.json["error"]
    assert error["code"] == code and error["message"] != error["message_en"]
    assert counts(app, poll_id) == (0, 0)


@pytest.mark.parametrize("opens_in, closes_in, code", [(3600, 7200, "poll_not_open"),
                                                       (-7200, -3600, "poll_closed")])
def test_a_vote_before_opening_or_after_closing_is_refused(app, client, people, opens_in,
                                                            closes_in, code):
    poll_id, options = make_poll(app, opens_in=opens_in, closes_in=closes_in)
    response = vote(client, people.tokens["member"], poll_id, [options[0]])
    assert response.status_code == 409 and response.json["error"]["code"] == code
    assert counts(app, poll_id) == (0, 0)


def test_a_ranking_through_the_page_with_a_repeated_rank_is_refused(app, people):
    poll_id, options = make_poll(app, method="schulze")
    client = app.test_client()
    login(client, people.member)
    path = f"/reseau/sondages/{poll_id}"
    token = csrf_token(client, path)
    response = client.post(path, data={"csrf_token": token, f"rang-{options[0]}": "1",
                                       f"rang-{options[1]}": "1"})
    assert response.status_code == 422
    assert "Deux thèmes ont le même rang" in html.unescape(response.get_data(as_text=True))
    assert counts(app, poll_id) == (0, 0)
    response = client.post(path, data={"csrf_token": token, f"rang-{options[2]}": "1",
                                       f"rang-{options[0]}": "2"})
    assert response.status_code == 302
    assert stored_ballots(app, poll_id) == [[options[2], options[0]]]


def test_too_many_boxes_ticked_on_the_page_is_refused(app, people):
    poll_id, options = make_poll(app, max_choices=1)
    client = app.test_client()
    login(client, people.member)
    path = f"/reseau/sondages/{poll_id}"
    response = client.post(path, data={"csrf_token": csrf_token(client, path),
                                       "choix": [str(options[0]), str(options[1])]})
    assert response.status_code == 422
    assert "Vous pouvez choisir au plus 1 thème" in html.unescape(response.get_data(as_text=True))
    assert counts(app, poll_id) == (0, 0)


# --- secrecy ---------------------------------------------------------------------------------------

def test_the_ballot_table_holds_no_account_employer_or_time(app):
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        columns = set(db.session.execute(sa.text(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'network' AND table_name = 'poll_ballot'")).scalars())
    assert columns == {"poll_id", "ballot_key", "choices"}


def _without_tokens(text: str) -> str:
    text = re.sub(r'name="csrf_token"[^>]*value="[^"]+"', "", text)
    text = re.sub(r'<div class="notices".*?</div>', "", text, flags=re.S)
    return re.sub(r"\s+", " ", text)


def test_no_page_or_api_answer_depends_on_what_a_voter_chose(app, people):
    """The voter's and the animateur's views are identical whichever ballot the voter cast."""
    poll_id, options = make_poll(app, during=False)
    voter, staff = app.test_client(), app.test_client()
    login(voter, people.member)
    login(staff, people.animateur)
    token = people.tokens["member"]
    seen = []
    for choice in (options[0], options[1]):
        assert vote(app.test_client(), token, poll_id, [choice]).status_code == 200
        seen.append([
            _without_tokens(voter.get(f"/reseau/sondages/{poll_id}").get_data(as_text=True)),
            _without_tokens(staff.get(f"/reseau/sondages/{poll_id}").get_data(as_text=True)),
            app.test_client().get(f"/api/v1/reseau/sondages/{poll_id}",
                                  headers=bearer(token)).json,
            app.test_client().get(f"/api/v1/reseau/sondages/{poll_id}",
                      headers=bearer(people.tokens["animateur"])).json,
            staff.get(f"/reseau/sondages/{poll_id}/resultats").status_code,
        ])
    assert seen[0] == seen[1]
    assert seen[0][4] == 409  # results hidden until closing, animateurs included


# --- concurrency -----------------------------------------------------------------------------------

def _concurrently(app, calls):
    barrier = threading.Barrier(len(calls))
    answers = [None] * len(calls)

    def run(i, call):
        client = app.test_client()
        barrier.wait()
        answers[i] = call(client)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def test_concurrent_submissions_of_one_voter_leave_exactly_one_ballot(app, people):
    poll_id, options = make_poll(app, max_choices=1)
    token = people.tokens["member2"]
    answers = _concurrently(app, [
        (lambda c, o=options[i % 3]: vote(c, token, poll_id, [o])) for i in range(8)])
    assert [a.status_code for a in answers] == [200] * 8
    assert counts(app, poll_id) == (1, 1)


def test_concurrent_voters_are_each_counted_once(app):
    ref = create_employer(app)
    voters = [create_user(app, employer=ref, role="membre") for _ in range(8)]
    client = app.test_client()
    tokens = [api_token(client, v) for v in voters]
    poll_id, options = make_poll(app, max_choices=1)
    calls = [(lambda c, t=t: vote(c, t, poll_id, [options[0]])) for t in tokens for _ in range(2)]
    answers = _concurrently(app, calls)
    assert all(a.status_code == 200 for a in answers)
    assert counts(app, poll_id) == (8, 8)


# --- closing on time ------------------------------------------------------------------------------

def test_the_poll_closes_itself_at_its_closing_time_through_the_scheduler(app, people):
    from rq.registry import ScheduledJobRegistry

    from server.extensions import db
    from server.jobs import queue
    from server.polls.models import Poll

    poll_id, options = make_poll(app, closes_in=2, schedule=True)
    client = app.test_client()
    assert vote(client, people.tokens["member"], poll_id, [options[1]]).status_code == 200
    with app.app_context():
        closes_at = db.session.get(Poll, poll_id).closes_at
        registry = ScheduledJobRegistry(queue=queue(app))
        scheduled = [registry.get_scheduled_time(j) for j in registry.get_job_ids()
                     if queue(app).fetch_job(j).args[2] == (poll_id,)]
    assert len(scheduled) == 1 and scheduled[0] >= closes_at.replace(microsecond=0)
    while datetime.now(timezone.utc) <= closes_at:  # wait for the closing time to pass
        time.sleep(0.2)
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        poll = db.session.get(Poll, poll_id)
        assert poll.closed_at is not None
        assert poll.results["ballots"] == 1 and poll.results["winners"] == [options[1]]
    refused = vote(client, people.tokens["member"], poll_id, [options[0]])
    assert refused.status_code == 409 and refused.json["error"]["code"] == "poll_closed"


def test_the_periodic_sweep_closes_a_poll_whose_job_was_lost(app):
    from server.extensions import db
    from server.jobs import enqueue
    from server.periodic import fan_out, periodic_jobs
    from server.polls.models import Poll
    from tests.fixtures.mail import run_jobs

    assert any(name is None and job.func.__name__ == "sweep_due_polls"
               for name, job in periodic_jobs(app))
    poll_id, _ = make_poll(app, opens_in=-7200, closes_in=-60)  # no job was ever scheduled
    with app.app_context():
        enqueue(fan_out, None, "server.polls.jobs:sweep_due_polls", 7927, tenant=None)
    run_jobs(app)
    run_jobs(app)
    with app.app_context():
        poll = db.session.get(Poll, poll_id)
        assert poll.closed_at is not None and poll.results["ballots"] == 0


def test_closing_is_idempotent_and_never_early(app, people):
    from server.extensions import db
    from server.polls import service
    from server.polls.models import Poll

    early_id, _ = make_poll(app, closes_in=3600)
    due_id, options = make_poll(app, opens_in=-7200, closes_in=-60)
    with app.app_context():
        assert service.close(early_id) is False
        assert db.session.get(Poll, early_id).closed_at is None
        assert service.close(due_id) is True
        first = db.session.get(Poll, due_id).results
    with app.app_context():
        assert service.close(due_id) is False
        assert db.session.get(Poll, due_id).results == first


# --- visibility of results ------------------------------------------------------------------------

def test_results_during_the_vote_only_when_the_poll_says_so(app, client, people):
    hidden_id, options = make_poll(app, during=False)
    shown_id, shown_options = make_poll(app, during=True, method="schulze")
    token = people.tokens["member"]
    vote(client, token, hidden_id, [options[0]])
    vote(client, token, shown_id, [shown_options[2], shown_options[0]])
    hidden = client.get(f"/api/v1/reseau/sondages/{hidden_id}/resultats", headers=bearer(token))
    assert hidden.status_code == 409 and hidden.json["error"]["code"] == "results_hidden"
    shown = client.get(f"/api/v1/reseau/sondages/{shown_id}/resultats", headers=bearer(token))
    assert shown.status_code == 200 and shown.json["final"] is False
    assert shown.json["winners"] == [shown_options[2]] and shown.json["ballots"] == 1
    page = app.test_client()
    login(page, people.member)
    body = html.unescape(page.get(f"/reseau/sondages/{shown_id}/resultats").get_data(as_text=True))
    assert "Résultats provisoires" in body and "<th scope=\"col\">" in body
    assert page.get(f"/reseau/sondages/{hidden_id}/resultats").status_code == 409


def test_final_results_after_closing_with_the_pairwise_matrix(app, client, people):
    from server.polls import service

    poll_id, options = make_poll(app, method="schulze", opens_in=-7200, closes_in=-60)
    with app.app_context():
        service.close(poll_id)
    page = app.test_client()
    login(page, people.member)
    body = html.unescape(page.get(f"/reseau/sondages/{poll_id}/resultats").get_data(as_text=True))
    assert "Résultats définitifs" in body
    assert "Nombre de bulletins qui préfèrent le thème de la ligne" in body
    assert "À égalité" in body  # no ballot: every topic tied, said so
    api = client.get(f"/api/v1/reseau/sondages/{poll_id}/resultats",
                     headers=bearer(people.tokens["member"]))
    assert api.status_code == 200 and api.json["final"] is True


# --- topic proposals -------------------------------------------------------------------------------

def _post(client, path, **data):
    return client.post(path, data={"csrf_token": csrf_token(client, path), **data})


def test_members_propose_and_outsiders_may_not(app, people):
    member, outsider = app.test_client(), app.test_client()
    login(member, people.member)
    login(outsider, people.outsider)
    title = unique("Pair-aidance et télétravail")
    response = _post(member, "/reseau/themes/", title=title, reason="Beaucoup de questions.")
    assert response.status_code == 302
    assert title in html.unescape(member.get("/reseau/themes/").get_data(as_text=True))
    assert outsider.get("/reseau/themes/").status_code == 403
    empty = _post(member, "/reseau/themes/", title="", reason="")
    assert empty.status_code == 400
    assert "Saisissez le thème proposé." in html.unescape(empty.get_data(as_text=True))


def _topic_id(app, title):
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        return db.session.execute(sa.text(
            "SELECT id FROM network.topic_proposal WHERE title = :t"), {"t": title}).scalar()


def test_animateurs_merge_duplicates_keeping_supporters_and_reject_with_a_reason(app, people):
    proposer, other, staff = app.test_client(), app.test_client(), app.test_client()
    login(proposer, people.member)
    login(other, people.member2)
    login(staff, people.animateur)
    keep_title, dup_title, bad_title = unique("Garder"), unique("Doublon"), unique("Hors sujet")
    _post(proposer, "/reseau/themes/", title=keep_title, reason="r")
    _post(other, "/reseau/themes/", title=dup_title, reason="r")
    _post(proposer, "/reseau/themes/", title=bad_title, reason="r")
    keep_id, dup_id, bad_id = (_topic_id(app, t) for t in (keep_title, dup_title, bad_title))

    member_page = app.test_client()
    login(member_page, people.member)
    assert member_page.get(f"/reseau/themes/{dup_id}").status_code == 403
    assert _post(staff, f"/reseau/themes/{dup_id}", action="merge",
                 target=str(keep_id)).status_code == 302
    with app.app_context():
        from server.polls import service

        assert service.supporters_count([keep_id]) == {keep_id: 2}  # proposer + merged one
    no_reason = _post(staff, f"/reseau/themes/{bad_id}", action="reject", reason="")
    assert no_reason.status_code == 422
    assert _post(staff, f"/reseau/themes/{bad_id}", action="reject",
                 reason="Traité lors du dernier e-club.").status_code == 302
    mine = html.unescape(proposer.get("/reseau/themes/").get_data(as_text=True))
    assert "Motif : Traité lors du dernier e-club." in mine


def test_an_animateur_opens_a_poll_from_kept_topics_with_paris_times(app, people):
    from server.extensions import db
    from server.polls.models import Poll

    staff = app.test_client()
    login(staff, people.animateur)
    ids = []
    for _ in range(2):
        title = unique("Retenu")
        _post(staff, "/reseau/themes/", title=title, reason="r")
        ids.append(_topic_id(app, title))
        assert _post(staff, f"/reseau/themes/{ids[-1]}", action="keep").status_code == 302
    title = unique("Prochain e-club")
    form = {"title": title, "topics": [str(i) for i in ids], "method": "approval",
            "max_choices": "1", "scope": "person", "opens_day": "01/03/2026",
            "opens_time": "09:00", "closes_day": "15/03/2099", "closes_time": "18:00"}
    backwards = _post(staff, "/reseau/sondages/nouveau", **{**form, "closes_day": "28/02/2026"})
    assert backwards.status_code == 400
    assert "La clôture doit être postérieure à l'ouverture." in html.unescape(
        backwards.get_data(as_text=True))
    assert _post(staff, "/reseau/sondages/nouveau", **form).status_code == 302
    with app.app_context():
        poll = db.session.execute(sa.select(Poll).where(Poll.title == title)).scalar_one()
        assert poll.opens_at == datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)  # 9 h in Paris
        assert poll.closes_at == datetime(2099, 3, 15, 17, 0, tzinfo=timezone.utc)
    member = app.test_client()
    login(member, people.member)
    assert member.get("/reseau/sondages/nouveau").status_code == 403


# --- from the winning topic to the next e-club -------------------------------------------------------

def test_the_animateur_turns_the_winning_topic_into_the_next_eclub_in_one_step(app, people):
    from server.extensions import db
    from server.polls import service
    from server.polls.models import Poll

    poll_id, options = make_poll(app, max_choices=1, closes_in=3600)
    assert vote(app.test_client(), people.tokens["member"], poll_id, [options[2]]).status_code == 200
    with app.app_context():
        poll = db.session.get(Poll, poll_id)
        poll.opens_at, poll.closes_at = (poll.opens_at - timedelta(hours=3),
                                         poll.opens_at - timedelta(hours=2))
        db.session.commit()
        assert service.close(poll_id) is True
        winner_title = poll.options[2].title
    path = f"/reseau/sondages/{poll_id}/resultats"
    member, staff = app.test_client(), app.test_client()
    login(member, people.member)
    login(staff, people.animateur)
    token = csrf_token(staff, path)
    assert _post(member, f"/reseau/sondages/{poll_id}/e-club",
                 option=str(options[2])).status_code == 403
    loser = staff.post(f"/reseau/sondages/{poll_id}/e-club",
                       data={"csrf_token": token, "option": str(options[0])})
    assert loser.status_code == 302 and loser.location.endswith(path)
    made = staff.post(f"/reseau/sondages/{poll_id}/e-club",
                      data={"csrf_token": token, "option": str(options[2])})
    assert made.status_code == 302 and re.search(r"/reseau/e-clubs/\d+/modifier$", made.location)
    with app.app_context():
        eclub_id = db.session.get(Poll, poll_id).eclub_id
        title = db.session.execute(sa.text("SELECT title FROM network.eclub WHERE id = :i"),
                                   {"i": eclub_id}).scalar()
    assert title == winner_title
    again = staff.post(f"/reseau/sondages/{poll_id}/e-club",
                       data={"csrf_token": token, "option": str(options[2])})
    assert again.status_code == 302 and again.location.endswith(path)
    with app.app_context():
        assert db.session.execute(sa.text("SELECT count(*) FROM network.eclub WHERE title = :t"),
                                  {"t": winner_title}).scalar() == 1


@pytest.mark.parametrize("field, value, message", [
    ("max_choices", "trois", "Saisissez un nombre entier de thèmes, par exemple 3."),
    ("method", "au-hasard", "Choisissez la méthode de vote."),
    ("scope", "tout-le-monde", "Choisissez qui dépose un bulletin."),
    ("opens_day", "31/02/2099", "La date ou l'heure d'ouverture n'existe pas."),
    ("closes_time", "25:00", "La date ou l'heure de clôture n'existe pas."),
    ("topics", "pas-un-id", "Choisissez au moins deux thèmes retenus."),
])
def test_a_bad_poll_form_gets_a_french_message_and_creates_nothing(app, people, field, value,
                                                                   message):
    kept = make_poll(app)  # makes kept topics (and a poll) to choose from
    staff = app.test_client()
    login(staff, people.animateur)
    before = counts_of_polls(app)
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        topic_ids = db.session.execute(sa.text(
            "SELECT topic_id FROM network.poll_option WHERE poll_id = :p"), {"p": kept[0]}
        ).scalars().all()
    form = {"title": unique("Sondage"), "topics": [str(i) for i in topic_ids],
            "method": "approval", "max_choices": "1", "scope": "person",
            "opens_day": "01/03/2099", "opens_time": "09:00", "closes_day": "15/03/2099",
            "closes_time": "18:00", field: value}
    response = _post(staff, "/reseau/sondages/nouveau", **form)
    assert response.status_code in (400, 422)
    assert message in html.unescape(response.get_data(as_text=True))
    assert counts_of_polls(app) == before


def counts_of_polls(app):
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        return db.session.execute(sa.text("SELECT count(*) FROM network.poll")).scalar()


def test_an_unknown_decision_changes_nothing(app, people):
    staff, member = app.test_client(), app.test_client()
    login(staff, people.animateur)
    login(member, people.member)
    title = unique("Indécis")
    _post(member, "/reseau/themes/", title=title, reason="r")
    topic_id = _topic_id(app, title)
    response = _post(staff, f"/reseau/themes/{topic_id}", action="effacer", target="x")
    assert response.status_code == 400
    assert "Choisissez une décision." in html.unescape(response.get_data(as_text=True))
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        assert db.session.execute(sa.text(
            "SELECT status FROM network.topic_proposal WHERE id = :i"), {"i": topic_id}
        ).scalar() == "proposed"
