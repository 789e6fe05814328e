"""Benchmark 4 — latency of one employer page with 1,000 employer schemas present versus 1.

Two databases on the same server: one holds a single employer, the other the same employer
plus 999 others. The same référent opens the same employer's home page (``GET /e/<slug>/``,
HTML: membership check, welcome setting, summary counts, template) and its API people page,
sequentially, in-process (Flask test client: no server or client noise), alternating
request by request between the two apps. Target: median(1,000) / median(1) ≤ 1.1.
"""
from __future__ import annotations

import gc
import sys
import time

from bench.common import (
    Summary,
    create_database,
    create_referent,
    drop_database,
    header,
    log_in,
    make_app,
    median,
    parser,
    postgres_server,
    server_version,
    slug,
)

TARGET_RATIO = 1.1
EMAIL = "referent@bench.example"


def _prepare(url: str, employers: int):
    from tenants import provision

    app = make_app(url)
    started = time.perf_counter()
    with app.app_context():
        for i in range(employers):
            provision(slug(i), f"Employeur {i}", "territoriale", "250-999")
        app.extensions["sqlalchemy"].engine.dispose()
    filled = time.perf_counter() - started
    create_referent(app, [slug(0)], EMAIL)
    client = app.test_client()
    log_in(client, EMAIL)
    return app, client, filled


def run(quick: bool = False) -> Summary:
    many = 100 if quick else 1000
    requests = 200 if quick else 1000
    pages = {"home page": f"/e/{slug(0)}/", "API people": f"/api/v1/e/{slug(0)}/people"}
    with postgres_server() as (server_url, where):
        urls = {1: create_database(server_url, "bench_lat1"),
                many: create_database(server_url, "bench_latn")}
        try:
            header(f"latency of one employer page: {many} employer schemas vs 1",
                   f"{where}, PostgreSQL {server_version(server_url)}")
            setups = {}
            for n, url in urls.items():
                app, client, filled = _prepare(url, n)
                setups[n] = (app, client)
                print(f"database with {n:>5} employers ready ({filled:.1f} s to provision)")
            samples = {(n, page): [] for n in urls for page in pages}
            for n, (_app, client) in setups.items():  # warm-up
                for path in pages.values():
                    for _ in range(20):
                        assert client.get(path).status_code == 200
            gc.disable()
            try:
                # Requests alternate between the two apps one by one (the order flipping each
                # time): whatever else the machine does weighs on both sides alike.
                for i in range(requests):
                    order = list(urls) if i % 2 == 0 else list(reversed(list(urls)))
                    for page, path in pages.items():
                        for n in order:
                            client = setups[n][1]
                            started = time.perf_counter()
                            response = client.get(path)
                            samples[(n, page)].append(time.perf_counter() - started)
                            assert response.status_code == 200
                    if i % 100 == 99:
                        gc.collect()
            finally:
                gc.enable()
            for app, _client in setups.values():
                with app.app_context():
                    app.extensions["sqlalchemy"].engine.dispose()
        finally:
            for url in urls.values():
                drop_database(server_url, url)

    summary: Summary = []
    for page in pages:
        one, lots = median(samples[(1, page)]), median(samples[(many, page)])
        ratio = lots / one
        print(f"{page:11}: median {one * 1000:6.2f} ms with 1 employer, "
              f"{lots * 1000:6.2f} ms with {many}: ratio {ratio:.2f} (target ≤ {TARGET_RATIO}), "
              f"n={len(samples[(1, page)])} each")
        summary.append((f"{page} latency, {many} vs 1 employer", (f"{ratio:.2f} "
                         f"({lots * 1000:.1f} / {one * 1000:.1f} ms)"), f"≤ {TARGET_RATIO}",
                        "OK" if ratio <= TARGET_RATIO else "MISSED"))
    sys.stdout.flush()
    return summary


def main() -> None:
    from bench.run_all import quiet

    quiet()
    args = parser(__doc__.splitlines()[0]).parse_args()
    run(quick=args.quick)


if __name__ == "__main__":
    main()
