"""Benchmark 3 — the cost of tenancy on an employer-scoped request.

Requests per second of the employer API ``GET /api/v1/e/<slug>/people`` (a référent's session
cookie; one page of 50 people: the user loader, the membership check, a COUNT and a page
query, marshmallow) versus the same view and the same queries in a bare single-schema
Flask + Flask-SQLAlchemy + Flask-Login app (``bench/bare_app.py``). Both run in gunicorn
with the same settings, on the same database, and are loaded at the same time in each round
(so that a noisy machine slows both alike; the figure is the median of the rounds' ratios)
from loopback (``wrk`` if installed, else a bounded Python client). Target: ratio ≥ 0.9.
"""
from __future__ import annotations

import sys
import threading
import time

import requests
import sqlalchemy as sa

from bench.common import (
    PASSWORD,
    Summary,
    create_referent,
    header,
    log_in,
    log_in_over_http,
    make_app,
    median,
    parser,
    slug,
    throwaway_database,
    verdict,
)
from bench.load import GUNICORN_ARGS, gunicorn, have_wrk, load

TARGET_RATIO = 0.9
PEOPLE = 50
EMAIL = "referent@bench.example"


def _setup(url: str) -> str:
    from tenants import provision

    app = make_app(url)
    with app.app_context():
        ref = provision(slug(0), "Employeur du bench", "territoriale", "250-999")
    create_referent(app, [ref.slug], EMAIL)
    with app.app_context():
        db = app.extensions["sqlalchemy"]
        with db.engine.begin() as c:
            c.execute(sa.text(f'INSERT INTO "{ref.schema}".profile (user_id, display_name, site) '
                              "SELECT 1000 + i, 'Personne ' || i, 'Siège' "
                              f"FROM generate_series(1, {PEOPLE - 1}) AS i"))
        from bench import bare_app

        bare_app.populate(db.engine, EMAIL, PASSWORD, PEOPLE)
        db.engine.dispose()
    return ref.slug


def _entrepairs_cookie(base: str) -> str:
    with requests.Session() as s:
        log_in_over_http(s, base, EMAIL)
        return "; ".join(f"{k}={v}" for k, v in s.cookies.items())


def _bare_cookie(base: str) -> str:
    with requests.Session() as s:
        r = s.post(f"{base}/login", json={"email": EMAIL, "password": PASSWORD}, timeout=120)
        assert r.status_code == 200, r.status_code
        return "; ".join(f"{k}={v}" for k, v in s.cookies.items())


def _check(url: str, cookie: str) -> None:
    r = requests.get(url, headers={"Cookie": cookie}, timeout=120)
    assert r.status_code == 200, (url, r.status_code, r.text[:300])
    assert len(r.json()) == PEOPLE, (url, len(r.json()))


def _cpu_per_request(url: str, employer: str, requests_per_round: int) -> dict[str, float]:
    """Python CPU time per request in-process (Flask test client), alternating rounds: the
    application side of the cost, without the server, the client or PostgreSQL."""
    import os

    from bench import servers

    os.environ["BENCH_DATABASE_URL"] = url
    apps = {"entrepairs": servers.entrepairs(), "bare": servers.bare()}
    clients = {name: app.test_client() for name, app in apps.items()}
    log_in(clients["entrepairs"], EMAIL)
    assert clients["bare"].post("/login", json={"email": EMAIL,
                                                "password": PASSWORD}).status_code == 200
    paths = {"entrepairs": f"/api/v1/e/{employer}/people", "bare": "/api/people"}
    # Time spent in the tenancy hooks (URL capture, membership check, teardown), measured by
    # wrapping them: what tenancy itself costs inside an Entrepairs request.
    from server.auth import access

    hooks = [0.0, 0.0]  # cpu, wall

    def timing(fn):
        def wrapper(*args, **kwargs):
            cpu, wall = time.process_time(), time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                hooks[0] += time.process_time() - cpu
                hooks[1] += time.perf_counter() - wall
        return wrapper

    app = apps["entrepairs"]
    original = access._resolve_membership
    access._resolve_membership = timing(original)
    app.url_value_preprocessors[None] = [
        timing(f) if f is access.capture_tenant else f for f in app.url_value_preprocessors[None]]
    app.teardown_request_funcs[None] = [
        timing(f) if f is access.reset_tenant else f for f in app.teardown_request_funcs[None]]
    samples: dict[str, list[float]] = {name: [] for name in apps}
    walls: dict[str, list[float]] = {name: [] for name in apps}
    shares: dict[str, list[float]] = {"cpu": [], "wall": []}
    try:
        for i in range(7):
            for name in (("bare", "entrepairs") if i % 2 else ("entrepairs", "bare")):
                hooks[:] = [0.0, 0.0]
                cpu, wall = time.process_time(), time.perf_counter()
                for _ in range(requests_per_round):
                    assert clients[name].get(paths[name]).status_code == 200
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                if i:  # the first round warms up
                    samples[name].append(cpu / requests_per_round)
                    walls[name].append(wall / requests_per_round)
                    if name == "entrepairs":
                        shares["cpu"].append(hooks[0] / cpu)
                        shares["wall"].append(hooks[1] / wall)
    finally:
        access._resolve_membership = original
    for app in apps.values():
        with app.app_context():
            app.extensions["sqlalchemy"].engine.dispose()
    result = {name: median(v) for name, v in samples.items()}
    result.update({f"{name}_wall": median(v) for name, v in walls.items()})
    result.update({f"tenancy_{k}": median(v) for k, v in shares.items()})
    return result


def run(quick: bool = False, rounds: int | None = None, seconds: float | None = None) -> Summary:
    rounds = rounds or (4 if quick else 12)
    seconds = seconds or (2 if quick else 4)
    with throwaway_database("bench_overhead") as (url, where):
        header("tenancy overhead: requests per second, Entrepairs vs bare Flask", where)
        employer = _setup(url)
        env = {"BENCH_DATABASE_URL": url}
        print(f"server : gunicorn {' '.join(GUNICORN_ARGS)}")
        print(f"client : {'wrk -t1 -c4' if have_wrk() else 'Python, 4 keep-alive threads'}, "
              f"on each app at once, {rounds} rounds of {seconds} s after a warm-up")
        with gunicorn("bench.servers:entrepairs()", env) as ent, \
                gunicorn("bench.servers:bare()", env) as bare:
            targets = {
                "entrepairs": (f"{ent}/api/v1/e/{employer}/people", _entrepairs_cookie(ent)),
                "bare": (f"{bare}/api/people", _bare_cookie(bare)),
            }
            for target, cookie in targets.values():
                _check(target, cookie)
                load(target, cookie, 3)  # warm-up: imports, pools, caches
            results: dict[str, list[float]] = {name: [] for name in targets}
            ratios = []
            for i in range(rounds):
                # Both apps loaded at the same time: whatever else the machine runs slows
                # both alike, so each round's ratio compares their cost per request.
                pair: dict[str, float] = {}
                threads = [threading.Thread(target=lambda n=name, p=pair: p.__setitem__(
                    n, load(*targets[n], seconds))) for name in targets]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                for name in targets:
                    results[name].append(pair[name])
                ratios.append(pair["entrepairs"] / pair["bare"])
                print(f"round {i + 1:>2}: entrepairs {pair['entrepairs']:7.1f} req/s, "
                      f"bare {pair['bare']:7.1f} req/s, ratio {ratios[-1]:.2f}")
                sys.stdout.flush()
        cpu = _cpu_per_request(url, employer, 100 if quick else 300)
    ent_rps, bare_rps = median(results["entrepairs"]), median(results["bare"])
    ratio = median(ratios)
    print(f"median: Entrepairs {ent_rps:.1f} req/s, bare {bare_rps:.1f} req/s; "
          f"median ratio of rounds {ratio:.2f} (target ≥ {TARGET_RATIO})")
    print(f"in-process, Python CPU per request (median of rounds): Entrepairs "
          f"{cpu['entrepairs'] * 1000:.2f} ms, bare {cpu['bare'] * 1000:.2f} ms, "
          f"ratio {cpu['bare'] / cpu['entrepairs']:.2f}; wall per request Entrepairs "
          f"{cpu['entrepairs_wall'] * 1000:.2f} ms, bare {cpu['bare_wall'] * 1000:.2f} ms, "
          f"ratio {cpu['bare_wall'] / cpu['entrepairs_wall']:.2f}")
    print(f"tenancy hooks (URL capture, membership check, teardown) inside an Entrepairs "
          f"request: {cpu['tenancy_cpu']:.0%} of its CPU, {cpu['tenancy_wall']:.0%} of its wall "
          f"time; the rest of the gap is the stack (flask-smorest, Flask-Limiter, Babel, "
          f"session refresh)")
    return [("API people page, Entrepairs / bare Flask (req/s)", (f"{ratio:.2f} "
             f"({ent_rps:.0f} / {bare_rps:.0f} req/s)"), f"≥ {TARGET_RATIO}",
             verdict(ratio, TARGET_RATIO, lower_is_better=False)),
            ("  same, in-process CPU per request", f"{cpu['bare'] / cpu['entrepairs']:.2f}",
             f"≥ {TARGET_RATIO}",
             verdict(cpu['bare'] / cpu['entrepairs'], TARGET_RATIO, lower_is_better=False)),
            ("  tenancy hooks' share of the request", (f"{cpu['tenancy_wall']:.0%} wall, "
             f"{cpu['tenancy_cpu']:.0%} CPU"), "≤ 10%", verdict(cpu['tenancy_wall'], 0.10))]


def main() -> None:
    from bench.run_all import quiet

    quiet()
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=None, help="rounds (default 12)")
    p.add_argument("--seconds", type=float, default=None, help="seconds per round (default 4)")
    args = p.parse_args()
    run(quick=args.quick, rounds=args.rounds, seconds=args.seconds)


if __name__ == "__main__":
    main()
