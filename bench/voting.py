"""Benchmark — 2,000 members voting at once through the JSON API of the served app.

The app runs under gunicorn (gthread workers) on a throwaway database; 2,000 members of 20
employers each hold an API token. One open approval poll (5 topics, at most 2 choices). Every
member opens its own connection (one asyncio loop on the client side), all are released
together, and each casts a ballot
(``PUT /api/v1/reseau/sondages/<id>/bulletin``); one member in four then changes it. We report
throughput, median and 99th-percentile latency, and prove the count: ballots stored = voters
accepted, and the scores computed at closing = the sum of each voter's last accepted ballot.
"""
from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import random
import statistics
import sys
import time
from collections import Counter
from datetime import datetime, timedelta, timezone

from bench.common import Summary, header, make_app, parser, throwaway_database
from bench.load import HOST, gunicorn

VOTERS = 2000
EMPLOYERS = 20
TOPICS = 5
MAX_CHOICES = 2
#: One voter in CHANGE_EVERY changes their ballot right after casting it.
CHANGE_EVERY = 4
#: Voters who vote one at a time before the burst (the service time without queueing).
SOLO = 50
#: Server: few processes (the machine may have 2 CPUs), threads to overlap database waits.
GUNICORN_ARGS = ["--workers", "2", "--worker-class", "gthread", "--threads", "8",
                 "--worker-connections", "2500", "--backlog", "4096", "--log-level", "warning",
                 "--keep-alive", "30"]


@contextlib.contextmanager
def served(url: str):
    """The Entrepairs app (``bench.servers:entrepairs()``) under gunicorn, warmed up; yields
    its port."""
    with gunicorn("bench.servers:entrepairs()", {"BENCH_DATABASE_URL": url},
                  GUNICORN_ARGS) as base:
        port = int(base.rsplit(":", 1)[1])
        _warm_up(port)
        yield port


def _warm_up(port: int) -> None:
    """Each worker builds the app when it starts; wait until the health check answers fast
    on both, so that start-up is not counted as voting latency."""
    fast = 0
    for _ in range(600):  # bounded
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        started = time.perf_counter()
        conn.request("GET", "/connexion")
        response = conn.getresponse()
        response.read()
        conn.close()
        fast = fast + 1 if time.perf_counter() - started < 0.5 else 0
        if response.status == 200 and fast >= 20:
            return
    raise RuntimeError("the served app did not warm up")


def _prepare(app, voters: int, employers: int):
    """Employers, members with API tokens (bulk rows: one password hash for all, since
    nobody logs in), kept topics and one open poll. Returns (poll id, option ids, tokens)."""
    import secrets

    import sqlalchemy as sa

    from server.auth.models import ApiToken, User, _hasher
    from server.polls import service
    from tenants import provision

    db = app.extensions["sqlalchemy"]
    with app.app_context():
        slugs = [f"vote-{i:03d}" for i in range(employers)]
        for i, slug in enumerate(slugs):
            provision(slug, f"Employeur {i}", "territoriale", "250-999")
        tenant_ids = dict(db.session.execute(sa.text(
            "SELECT slug, id FROM network.tenant")).all())
        password_hash = _hasher.hash("mot-de-passe-de-bench-solide")
        rows = [{"email": f"membre{i}@vote.example", "password_hash": password_hash,
                 "display_name": f"Membre {i}", "active": True} for i in range(voters)]
        ids = db.session.execute(sa.insert(User).returning(User.id), rows).scalars().all()
        db.session.execute(sa.text(
            "INSERT INTO network.membership (user_id, tenant_id, role) VALUES (:u, :t, 'membre')"),
            [{"u": uid, "t": tenant_ids[slugs[i % employers]]} for i, uid in enumerate(ids)])
        tokens = [ApiToken.PREFIX + secrets.token_urlsafe(32) for _ in ids]
        expires = datetime.now(timezone.utc) + timedelta(days=1)
        db.session.execute(sa.insert(ApiToken), [
            {"user_id": uid, "name": "bench", "expires_at": expires,
             "digest": hashlib.sha256(t.encode()).hexdigest()} for uid, t in zip(ids, tokens)])
        staff = ids[0]
        kept = []
        for i in range(TOPICS):
            topic = service.propose(staff, f"Thème {i}", "Pour le benchmark.")
            service.keep(topic, staff)
            kept.append(topic.id)
        now = datetime.now(timezone.utc)
        poll = service.open_poll(service.PollDraft(
            title="Thème du prochain e-club", method="approval", max_choices=MAX_CHOICES,
            scope="person", opens_at=now - timedelta(minutes=1),
            closes_at=now + timedelta(hours=1), results_during_vote=False, topic_ids=kept),
            staff)
        db.session.commit()
        return poll.id, [o.id for o in poll.options], tokens


def _vote_one_at_a_time(port: int, poll_id: int, options, tokens):
    """The service time without queueing: voters one after the other on one connection."""
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    latencies, ballots = [], []
    try:
        for i, token in enumerate(tokens):
            ballot = [options[i % len(options)]]
            started = time.perf_counter()
            conn.request("PUT", f"/api/v1/reseau/sondages/{poll_id}/bulletin",
                         body=json.dumps({"choices": ballot}),
                         headers={"Authorization": f"Bearer {token}",
                                  "Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
            latencies.append(time.perf_counter() - started)
            assert response.status == 200, response.status
            ballots.append(ballot)
    finally:
        conn.close()
    return latencies, ballots


def _vote_all(port: int, poll_id: int, options, tokens):
    """Every voter at once, each on its own keep-alive connection, from one asyncio loop (a
    thread per voter would cost the client more CPU than the server on a small machine).
    Returns (wall time, latencies, statuses, each voter's last accepted ballot)."""
    import asyncio

    latencies: list[float] = []
    statuses: Counter = Counter()
    last_accepted: dict[int, list[int]] = {}
    path = f"/api/v1/reseau/sondages/{poll_id}/bulletin"

    async def put(reader, writer, token: str, ballot) -> int:
        body = json.dumps({"choices": ballot}).encode()
        writer.write((f"PUT {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
                      f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
                      f"Content-Length: {len(body)}\r\n\r\n").encode() + body)
        await writer.drain()
        status_line = await reader.readline()
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        await reader.readexactly(length)
        return int(status_line.split()[1])

    async def voter(i: int, token: str, start: asyncio.Event):
        rnd = random.Random(i)
        ballots = [rnd.sample(options, rnd.randint(1, MAX_CHOICES))]
        if i % CHANGE_EVERY == 0:
            ballots.append(rnd.sample(options, rnd.randint(1, MAX_CHOICES)))
        reader, writer = await asyncio.open_connection(HOST, port, limit=1 << 16)
        try:
            await start.wait()
            for ballot in ballots:
                started = time.perf_counter()
                try:
                    status = await asyncio.wait_for(put(reader, writer, token, ballot), 300)
                except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError):
                    status = "connection error"
                latencies.append(time.perf_counter() - started)
                statuses[status] += 1
                if status == 200:
                    last_accepted[i] = ballot
                else:
                    break
        finally:
            writer.close()

    async def main():
        start = asyncio.Event()
        tasks = [asyncio.create_task(voter(i, t, start)) for i, t in enumerate(tokens)]
        await asyncio.sleep(1)  # every connection opened (accepted into the backlog)
        started = time.perf_counter()
        start.set()
        await asyncio.gather(*tasks)
        return time.perf_counter() - started

    wall = asyncio.run(main())
    return wall, latencies, statuses, last_accepted


def run(quick: bool = False) -> Summary:
    voters = 300 if quick else VOTERS
    employers = 5 if quick else EMPLOYERS
    with throwaway_database("bench_vote") as (url, where):
        header(f"{voters:,} members voting at once through the API (served by gunicorn)", where)
        app = make_app(url)
        poll_id, options, tokens = _prepare(app, voters + SOLO, employers)
        with app.app_context():
            app.extensions["sqlalchemy"].engine.dispose()
        with served(url) as port:
            solo = _vote_one_at_a_time(port, poll_id, options, tokens[voters:])
            wall, latencies, statuses, last = _vote_all(port, poll_id, options, tokens[:voters])
        from server.polls import service

        with app.app_context():
            stored, voter_rows = service.ballot_count(poll_id), service.voter_count(poll_id)
            db = app.extensions["sqlalchemy"]
            the_poll = db.session.get(service.Poll, poll_id)
            the_poll.closes_at = datetime.now(timezone.utc) - timedelta(seconds=1)
            the_poll.opens_at = the_poll.closes_at - timedelta(hours=1)
            db.session.commit()
            service.close(poll_id)
            results = db.session.get(service.Poll, poll_id).results
            db.engine.dispose()
    requests = len(latencies)
    latencies.sort()
    p50 = statistics.median(latencies)
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
    counted = {int(k): v for k, v in results["scores"].items()}
    for i, ballot in enumerate(solo[1]):
        last[voters + i] = ballot
    expected = Counter(o for ballot in last.values() for o in ballot)
    proof = (stored == len(last) == voter_rows == results["ballots"]
             and all(counted[o] == expected.get(o, 0) for o in options))
    print(f"requests : {requests:,} ({voters:,} ballots cast, "
          f"{requests - voters:,} changed) in {wall:.2f} s → {requests / wall:,.0f} requests/s")
    print(f"latency  : median {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms "
          f"(all {voters:,} voters released at once)")
    print(f"alone    : one voter at a time, median {statistics.median(solo[0]) * 1000:.0f} ms "
          f"per ballot ({SOLO} voters, before the burst)")
    print(f"answers  : {dict(statuses)}")
    print(f"count    : {len(last):,} voters accepted (burst and one at a time), {stored:,} ballots stored, "
          f"{voter_rows:,} voters recorded, {results['ballots']:,} ballots counted at closing; "
          f"scores {'=' if proof else '≠'} sum of the last accepted ballots → "
          f"{'PROVEN' if proof else 'MISMATCH'}")
    sys.stdout.flush()
    return [
        (f"voting: {voters:,} concurrent voters, throughput", f"{requests / wall:,.0f} req/s",
         "", "—"),
        ("voting: latency median / p99", f"{p50 * 1000:.0f} / {p99 * 1000:.0f} ms", "", "—"),
        ("voting: one voter at a time, median", f"{statistics.median(solo[0]) * 1000:.0f} ms",
         "", "—"),
        ("voting: stored count = ballots accepted", f"{stored:,} = {len(last):,}", "equal",
         "OK" if proof and statuses.get(200, 0) == requests else "MISSED"),
    ]


def main() -> None:
    from bench.run_all import quiet

    quiet()
    args = parser(__doc__.splitlines()[0]).parse_args()
    run(quick=args.quick)


if __name__ == "__main__":
    main()
