"""Benchmark — network indicators: the aggregation job over 1,000 employer schemas, and the
indicators page served from the stored aggregates.

1,000 employers are provisioned (``tenants.provision``), spread over the three civil services;
each gets 12 people (2 pair-aidants, 10 pair-aidés: accounts and memberships), binômes enabled
(groupes ouverts too for one in three), 3 binômes with 6 meetings and 6 survey answers, written
in bulk with SQL. Then:
- the job (``server.network_indicators.aggregate.aggregate``, what the worker runs) is timed
  over every schema; baseline in the same run: only entering each employer's context and
  reading one row there (the floor of any per-schema job). Target: median < 10 s.
- the page ``/reseau/indicateurs/`` is requested by an animateur through the app's test
  client; baseline in the same run: the network home page ``/reseau/``.
"""
from __future__ import annotations

import sys

import sqlalchemy as sa

from bench.common import (
    PASSWORD,
    Summary,
    enable_second_factor,
    header,
    log_in,
    make_app,
    median,
    parser,
    quartiles,
    slug,
    throwaway_database,
    timed,
    verdict,
)

TARGET_SECONDS = 10
SECTORS = ("territoriale", "etat", "hospitaliere")


def _provision(app, count: int) -> None:
    from tenants import provision

    with app.app_context():
        for i in range(count):
            provision(slug(i), f"Employeur {i}", SECTORS[i % 3], "250-999")


def _fill(app, count: int) -> None:
    db = app.extensions["sqlalchemy"]
    with app.app_context():
        x = lambda sql, **kw: db.session.execute(sa.text(sql), kw)
        x("INSERT INTO network.account (email, password_hash, display_name) "
          "SELECT 'p' || t.id || '-' || g || '@bench.example', 'x', 'Personne ' || g "
          "FROM network.tenant t CROSS JOIN generate_series(1, 12) g")
        x("INSERT INTO network.membership (user_id, tenant_id, role) "
          "SELECT a.id, t.id, CASE WHEN split_part(split_part(a.email, '-', 2), '@', 1)::int "
          "<= 2 THEN 'pair-aidant' ELSE 'pair-aide' END "
          "FROM network.tenant t JOIN network.account a ON a.email LIKE 'p' || t.id || '-%'")
        db.session.commit()
        tenants = db.session.execute(sa.text(
            "SELECT id, slug FROM network.tenant ORDER BY id")).all()
        for n, (tid, s) in enumerate(tenants):
            schema = "t_" + s.replace("-", "_")
            x(f"INSERT INTO {schema}.programme_model (name, enabled) VALUES ('binomes', true)"
              + (", ('groupes', true)" if n % 3 == 0 else ""))
            x(f"INSERT INTO {schema}.profile (user_id, display_name) SELECT m.user_id, "
              "'Personne' FROM network.membership m WHERE m.tenant_id = :t", t=tid)
            x(f"INSERT INTO {schema}.binomes_binome (helper_id, seeker_id, status, "
              "helper_answer, seeker_answer) SELECT h.id, k.id, 'active', 'accepted', "
              f"'accepted' FROM (SELECT id, row_number() OVER () r FROM {schema}.profile) h "
              f"JOIN (SELECT id, row_number() OVER () r FROM {schema}.profile) k "
              "ON k.r = h.r + 3 WHERE h.r <= 3")
            x(f"INSERT INTO {schema}.binomes_meeting (binome_id, held_on, duration_minutes, "
              "format, logged_by) SELECT b.id, current_date - 10 * g, 45, 'Par téléphone', "
              f"b.helper_id FROM {schema}.binomes_binome b CROSS JOIN generate_series(1, 2) g")
            x(f"INSERT INTO {schema}.survey_response (id, kind, model, version_id, answered_on, "
              "scores, mean_score) SELECT gen_random_uuid(), v.kind, 'binomes', v.id, "
              "current_date - g, '[4, 4, 5]', 4.33 FROM generate_series(1, 6) g "
              f"JOIN {schema}.survey_version v ON v.number = 1 AND v.kind = 'apres-seance'")
            db.session.commit()  # one employer per transaction: locks stay few
        db.session.remove()


def _floor(app) -> None:
    """Baseline: enter every active employer's context and read one row there."""
    from server.programme.models import ProgrammeModelChoice
    from tenants import tenant_context
    from tenants.registry import Tenant

    db = app.extensions["sqlalchemy"]
    with app.app_context():
        slugs = db.session.execute(sa.select(Tenant.slug).where(Tenant.status == "active")
                                   .order_by(Tenant.slug)).scalars().all()
        for s in slugs:
            with tenant_context(s):
                db.session.execute(sa.select(ProgrammeModelChoice.name).limit(1)).all()


def _aggregate(app) -> dict:
    from server.network_indicators.aggregate import aggregate

    with app.app_context():
        try:
            return aggregate()
        finally:
            app.extensions["sqlalchemy"].session.remove()


def run(quick: bool = False, rounds: int | None = None) -> Summary:
    count = 60 if quick else 1000
    job_rounds = 3 if quick else 5
    rounds = rounds or (5 if quick else 21)
    with throwaway_database("bench_netind") as (url, where):
        header(f"network indicators over {count:,} employer schemas", where)
        app = make_app(url)
        elapsed, _ = timed(_provision, app, count)
        print(f"setup   : {count:,} employers provisioned in {elapsed:.0f} s", end="")
        elapsed, _ = timed(_fill, app, count)
        print(f", data written in {elapsed:.0f} s")
        sys.stdout.flush()

        floors, jobs = [], []
        result = None
        for _ in range(job_rounds):
            floors.append(timed(_floor, app)[0])
            elapsed, result = timed(_aggregate, app)
            jobs.append(elapsed)
        med, floor = median(jobs), median(floors)
        q1, q3 = quartiles(jobs)
        print(f"job     : median {med:.2f} s (quartiles {q1:.2f}–{q3:.2f} s, {job_rounds} runs, "
              f"{result['employers']:,} employers, {result['cells']} cells stored); baseline "
              f"(enter each schema, read one row) {floor:.2f} s; target < {TARGET_SECONDS} s: "
              f"{verdict(med, TARGET_SECONDS)}")

        from server.accounts import create_account

        with app.app_context():
            animateur = create_account("animateur@bench.example", "Animatrice du bench",
                                       PASSWORD, ("animateur",), []).id
        enable_second_factor(app, animateur)
        client = app.test_client()
        log_in(client, "animateur@bench.example")
        page = client.get("/reseau/indicateurs/")
        assert page.status_code == 200 and "secret statistique" in page.get_data(as_text=True)
        pages, homes = [], []
        for _ in range(rounds):
            elapsed, response = timed(client.get, "/reseau/indicateurs/")
            assert response.status_code == 200
            pages.append(elapsed * 1000)
            elapsed, response = timed(client.get, "/reseau/")
            assert response.status_code == 200
            homes.append(elapsed * 1000)
        page_med, home_med = median(pages), median(homes)
        p1, p3 = quartiles(pages)
        print(f"page    : median {page_med:.1f} ms (quartiles {p1:.1f}–{p3:.1f} ms, {rounds} "
              f"requests, {len(page.data) // 1024} KiB); baseline /reseau/ {home_med:.1f} ms")
        sys.stdout.flush()
        with app.app_context():
            app.extensions["sqlalchemy"].engine.dispose()
        return [
            (f"network indicators job, {count:,} schemas", f"{med:.2f} s median",
             f"< {TARGET_SECONDS} s", verdict(med, TARGET_SECONDS)),
            ("network indicators page (stored)", f"{page_med:.1f} ms median",
             "", "(figure)"),
        ]


if __name__ == "__main__":
    run(quick=parser(__doc__.splitlines()[0]).parse_args().quick)
