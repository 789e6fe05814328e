"""Benchmark — mixed traffic of the three journeys against gunicorn serving the demo network
grown to 1,000 employers (issue #7).

- **Employer space** (a référent and a pair-aidant of the demo's Ville de Rivebelle): the
  space's home, the programme, the binômes, the agenda, the dashboard.
- **Network** (the animateur): the library (list, search, a resource, a best practice), the
  network indicators, the review of best practices, the e-clubs.
- **Votes** (members of the demo employers and of bench employers): the polls page, then a
  ballot through the JSON API (``PUT /api/v1/reseau/sondages/<id>/bulletin``).

Virtual users (threads, keep-alive connections, one cookie jar each) pick a journey by weight
and walk it for a fixed time. Reported: throughput, median and 99th-percentile latency per
journey and overall, error rate (any answer other than the expected status), and the resident
memory of each gunicorn worker at the end. The baseline, in the same run and the same
conditions, is the log-in page (``GET /connexion``: routing, template, no database): the ratio
of each journey's median to it says what the journey's work costs.
"""
from __future__ import annotations

import http.client
import json
import random
import re
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from bench.common import Summary, header, make_app, parser, slug, throwaway_database
from bench.load import HOST, gunicorn

EMPLOYERS = 1000
#: Virtual users and how long they run.
USERS = 16
SECONDS = 60
#: Journey → share of the virtual users.
WEIGHTS = {"employeur": 0.5, "reseau": 0.3, "vote": 0.2}
GUNICORN_ARGS = ["--workers", "2", "--worker-class", "gthread", "--threads", "8",
                 "--log-level", "warning", "--keep-alive", "30"]
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class Stats:
    latencies: dict = field(default_factory=dict)  # journey → [seconds]
    errors: dict = field(default_factory=dict)  # journey → [description]
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, journey: str, seconds: float, error: str | None) -> None:
        with self.lock:
            self.latencies.setdefault(journey, []).append(seconds)
            if error:
                self.errors.setdefault(journey, []).append(error)


class Browser:
    """One keep-alive connection and its cookies, as a browser tab would hold them."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection(HOST, port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body=None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in range(2):  # a keep-alive connection closed by the server: reopen once
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
                if attempt:
                    raise
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
        return response.status, data.decode("utf-8", "replace"), response

    def form(self, path: str, fields: dict, page: str | None = None):
        status, html, _ = self.request("GET", page or path)
        token = _CSRF.search(html)
        body = urlencode({**fields, **({"csrf_token": token.group(1)} if token else {})})
        return self.request("POST", path, body=body,
                            headers={"Content-Type": "application/x-www-form-urlencoded"})


def log_in(port: int, email: str) -> Browser:
    """A browser signed in as ``email`` through the real pages: the demo password, then the
    second factor for the accounts the demo enrolled (its published ``DEMO_TOTP_SECRET``)."""
    import pyotp

    from server.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET

    browser = Browser(port)
    status, _, response = browser.form("/connexion", {"email": email,
                                                      "password": DEMO_PASSWORD})
    if status == 302 and (response.getheader("Location") or "").startswith("/connexion/code"):
        status, _, response = browser.form("/connexion/code", {
            "code": pyotp.TOTP(DEMO_TOTP_SECRET).now()})
    if status != 302:
        raise RuntimeError(f"log-in of {email} answered {status}")
    return browser


def signed_in(port: int, emails) -> dict[str, dict]:
    """One log-in per account (a code is accepted once), whose cookies every virtual user of
    that account then carries, like tabs of one browser."""
    return {email: dict(log_in(port, email).cookies) for email in set(emails)}


def journey_paths(world: dict, email: str) -> dict:
    space = "/e/ville-de-rivebelle"
    if email.startswith("referente@"):
        employer = [f"{space}/", f"{space}/programme/", f"{space}/binomes/",
                    f"{space}/agenda", f"{space}/programme/tableau-de-bord"]
    else:  # the pair-aidant
        employer = [f"{space}/", f"{space}/binomes/", f"{space}/agenda",
                    f"{space}/ma-participation"]
    return {
        "employeur": employer,
        "reseau": ["/reseau/ressources/", "/reseau/ressources/?q=pair-aidance+maintien",
                   f"/reseau/ressources/{world['resource']}",
                   f"/reseau/ressources/{world['practice']}", "/reseau/indicateurs/",
                   "/reseau/pratiques/", "/reseau/e-clubs/"],
        "vote": ["/reseau/sondages/", f"/reseau/sondages/{world['poll']}"],
    }


def run_user(port: int, journey: str, email: str, cookies: dict, world: dict, stop: float,
             stats: Stats, rng: random.Random) -> None:
    browser = Browser(port)
    browser.cookies = dict(cookies)
    api = Browser(port)  # the API client: its bearer token, no session cookie
    paths = journey_paths(world, email)[journey]
    for _ in range(1_000_000):  # bounded
        if time.monotonic() >= stop:
            break
        for path in paths:
            started = time.perf_counter()
            status, _, _ = browser.request("GET", path)
            stats.add(journey, time.perf_counter() - started,
                      None if status == 200 else f"GET {path}: {status}")
        if journey == "vote":
            choices = rng.sample(world["options"], k=rng.randint(1, 2))
            started = time.perf_counter()
            status, body, _ = api.request(
                "PUT", f"/api/v1/reseau/sondages/{world['poll']}/bulletin",
                body=json.dumps({"choices": choices}),
                headers={"Content-Type": "application/json",
                         "Authorization": f"Bearer {world['tokens'][email]}"})
            stats.add(journey, time.perf_counter() - started,
                      None if status in (200, 201) else f"PUT ballot: {status} {body[:120]}")


def run_baseline(port: int, stop: float, stats: Stats) -> None:
    browser = Browser(port)
    for _ in range(1_000_000):  # bounded
        if time.monotonic() >= stop:
            break
        started = time.perf_counter()
        status, _, _ = browser.request("GET", "/connexion")
        stats.add("base", time.perf_counter() - started,
                  None if status == 200 else f"GET /connexion: {status}")


def prepare(app, employers: int) -> dict:
    """The demo network, grown to ``employers`` employers with members in some; API tokens
    for voters (a ballot goes through the API)."""
    import hashlib
    import secrets
    from datetime import datetime, timedelta, timezone

    import sqlalchemy as sa

    from server.auth.models import ApiToken, User
    from server.demo import DEMO_PASSWORD, PEOPLE, load_demo
    from tenants import provision

    db = app.extensions["sqlalchemy"]
    with app.app_context():
        load_demo()
        db.session.commit()
        for i in range(employers - 3):
            provision(slug(i), f"Employeur {i}", ("territoriale", "etat", "hospitaliere")[i % 3],
                      "250-999")
        members = []
        for i in range(0, employers - 3, max(1, (employers - 3) // 40)):
            from server.accounts import create_account

            user = create_account(f"membre{i}@bench.example", f"Membre {i}", DEMO_PASSWORD, (),
                                  [f"{slug(i)}:membre"])
            members.append(user.email)
        demo_members = [email for email, _name, roles, spaces in PEOPLE
                        if not roles and spaces and all(s.endswith(":membre") or
                                                        s.endswith(":pair-aide")
                                                        for s in spaces)]
        voters = demo_members + members
        tokens = {}
        expires = datetime.now(timezone.utc) + timedelta(days=1)
        for email in voters:
            secret = ApiToken.PREFIX + secrets.token_urlsafe(32)
            db.session.add(ApiToken(user_id=User.by_email(email).id, name="bench",
                                    digest=hashlib.sha256(secret.encode()).hexdigest(),
                                    expires_at=expires))
            tokens[email] = secret
        db.session.commit()
        poll = db.session.execute(sa.text(
            "SELECT id FROM network.poll ORDER BY id LIMIT 1")).scalar_one()
        options = db.session.execute(sa.text(
            "SELECT id FROM network.poll_option WHERE poll_id = :p ORDER BY id"),
            {"p": poll}).scalars().all()
        resource = db.session.execute(sa.text(
            "SELECT id FROM network.library_resource WHERE status = 'publie' "
            "AND kind = 'guide' ORDER BY id LIMIT 1")).scalar_one()
        practice = db.session.execute(sa.text(
            "SELECT resource_id FROM network.shared_practice WHERE status = 'publiee' "
            "LIMIT 1")).scalar_one()
        db.session.remove()
    return {"poll": poll, "options": list(options), "tokens": tokens, "voters": voters,
            "resource": resource, "practice": practice,
            "referents": ["referente@rivebelle.demo.entrepairs.fr",
                          "paul.aidant@rivebelle.demo.entrepairs.fr"],
            "animateurs": ["animation@demo.entrepairs.fr"]}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def worker_memory(master_pid: int) -> list[float]:
    """Resident memory (MiB) of each gunicorn worker (children of the master)."""
    out = []
    for child in Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split():
        status = Path(f"/proc/{child}/status").read_text()
        rss = int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))
        out.append(rss / 1024)
    return out


def run(quick: bool = False) -> Summary:
    employers, users, seconds = (30, 6, 15) if quick else (EMPLOYERS, USERS, SECONDS)
    summary: Summary = []
    with throwaway_database("journeys") as (url, where):
        header(f"Mixed journeys — {employers} employers, {users} users, {seconds} s", where)
        app = make_app(url)
        started = time.perf_counter()
        world = prepare(app, employers)
        print(f"prepared in {time.perf_counter() - started:.0f} s")
        with app.app_context():
            app.extensions["sqlalchemy"].engine.dispose()
        pidfile = Path(tempfile.mkdtemp(prefix="entrepairs-journeys-")) / "gunicorn.pid"
        with gunicorn("bench.servers:entrepairs()", {"BENCH_DATABASE_URL": url},
                      [*GUNICORN_ARGS, "--pid", str(pidfile)]) as base:
            port = int(base.rsplit(":", 1)[1])
            for _ in range(20):  # both workers built and warm
                Browser(port).request("GET", "/connexion")
            stats = Stats()
            plan = []
            pools = {"employeur": world["referents"], "reseau": world["animateurs"],
                     "vote": world["voters"]}
            counts = {j: round(users * w) for j, w in WEIGHTS.items() if j != "vote"}
            counts["vote"] = users - sum(counts.values())
            for journey, n in counts.items():
                plan += [(journey, pools[journey][i % len(pools[journey])]) for i in range(n)]
            jars = signed_in(port, [email for _, email in plan])
            stop = time.monotonic() + seconds
            threads = [threading.Thread(target=run_user, args=(
                port, journey, email, jars[email], world, stop, stats, random.Random(i)))
                for i, (journey, email) in enumerate(plan)]
            threads.append(threading.Thread(target=run_baseline, args=(port, stop, stats)))
            began = time.monotonic()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = time.monotonic() - began
            memory = worker_memory(int(pidfile.read_text()))
    base = statistics.median(stats.latencies["base"]) * 1000
    print(f"\n{'journey':10} {'users':>5} {'requests':>9} {'req/s':>7} {'median ms':>10} "
          f"{'p99 ms':>8} {'errors':>7} {'× base':>7}")
    all_latencies, all_errors = [], 0
    for journey in (*WEIGHTS, "base"):
        values = stats.latencies.get(journey, [])
        if not values:
            continue
        errors = len(stats.errors.get(journey, []))
        med = statistics.median(values) * 1000
        n_users = sum(1 for j, _ in plan if j == journey) if journey != "base" else 1
        print(f"{journey:10} {n_users:5} {len(values):9} {len(values) / elapsed:7.1f} "
              f"{med:10.1f} {percentile(values, 99) * 1000:8.1f} "
              f"{100 * errors / len(values):6.2f}% {med / base:7.1f}")
        if journey != "base":
            all_latencies += values
            all_errors += errors
    total = len(all_latencies)
    print(f"{'all':10} {users:5} {total:9} {total / elapsed:7.1f} "
          f"{statistics.median(all_latencies) * 1000:10.1f} "
          f"{percentile(all_latencies, 99) * 1000:8.1f} {100 * all_errors / total:6.2f}%")
    print("memory per worker (MiB): " + ", ".join(f"{m:.0f}" for m in memory))
    for journey, errors in stats.errors.items():
        print(f"first errors of {journey}: {errors[:3]}")
    summary.append(("journeys", f"{total / elapsed:.1f} req/s, median "
                    f"{statistics.median(all_latencies) * 1000:.0f} ms, p99 "
                    f"{percentile(all_latencies, 99) * 1000:.0f} ms, errors "
                    f"{100 * all_errors / total:.2f}%", "errors 0%",
                    "OK" if all_errors == 0 else "MISSED"))
    return summary


if __name__ == "__main__":
    args = parser(__doc__.splitlines()[0]).parse_args()
    run(quick=args.quick)
