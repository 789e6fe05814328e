"""Benchmark — the programme dashboard of a large employer.

One employer with 5,000 people (profiles and participations: 4,000 pair-aidés, 1,000
pair-aidants), 200 selected peer helpers with mission sheets, 2,000 binômes with two years of
meetings (about 48,000), and 10,000 anonymous survey answers, generated in bulk with SQL. The
référent's dashboard (default period: the last 12 months) is requested through the app's test
client. Target: median < 300 ms.
"""
from __future__ import annotations

import sys

import sqlalchemy as sa

from bench.common import (Summary, create_referent, header, log_in, make_app,
                          median, parser, quartiles, throwaway_database, timed, verdict)

TARGET_MS = 300


def _fill(app, ref, people: int, binomes: int, answers: int) -> None:
    db = app.extensions["sqlalchemy"]
    s = ref.schema
    helpers = people // 5
    with app.app_context():
        x = lambda sql, **kw: db.session.execute(sa.text(sql), kw)  # noqa: E731
        x(f"INSERT INTO {s}.consent_version (version, body) VALUES (1, 'Texte') "
          "ON CONFLICT DO NOTHING")
        x(f"INSERT INTO {s}.profile (user_id, display_name, joined_at) "
          "SELECT 1000000 + g, 'Personne ' || g, now() - (g % 730) * interval '1 day' "
          "FROM generate_series(1, :n) g", n=people)
        x(f"INSERT INTO {s}.participation (profile_id, role, consent_version, consented_at) "
          f"SELECT id, CASE WHEN id % 5 = 0 THEN 'pair-aidant' ELSE 'pair-aide' END, 1, joined_at "
          f"FROM {s}.profile WHERE user_id >= 1000000")
        x(f"INSERT INTO {s}.peer_helper (kind, profile_id, decision, hours_per_month, "
          "mission_start) SELECT 'internal', id, 'selected', 4 + id % 8, "
          f"current_date - 700 FROM {s}.profile WHERE user_id >= 1000000 AND id % 5 = 0 "
          "LIMIT 200")
        x(f"INSERT INTO {s}.binomes_binome (helper_id, seeker_id, status, helper_answer, "
          "seeker_answer, created_at, closed_at) "
          "SELECT h.id, k.id, CASE WHEN g % 3 = 0 THEN 'closed' ELSE 'active' END, "
          "'accepted', 'accepted', now() - interval '730 days', "
          "CASE WHEN g % 3 = 0 THEN now() - (g % 365) * interval '1 day' END "
          "FROM generate_series(1, :n) g "
          f"JOIN {s}.profile h ON h.user_id = 1000000 + ((g % :h) + 1) * 5 "
          f"JOIN {s}.profile k ON k.user_id = 1000000 + g * 2 + 1", n=binomes, h=helpers)
        x(f"INSERT INTO {s}.binomes_meeting (binome_id, held_on, duration_minutes, format, "
          "logged_by) SELECT b.id, current_date - (m * 30 + b.id % 30), 30 + (b.id + m) % 60, "
          "CASE m % 3 WHEN 0 THEN 'En présentiel' WHEN 1 THEN 'En visioconférence' "
          "ELSE 'Par téléphone' END, b.helper_id "
          f"FROM {s}.binomes_binome b CROSS JOIN generate_series(0, 23) m")
        x(f"INSERT INTO {s}.survey_response (id, kind, model, version_id, answered_on, scores, "
          "mean_score) SELECT gen_random_uuid(), v.kind, 'binomes', v.id, "
          "current_date - g % 730, jsonb_build_array(1 + g % 5, 1 + (g / 5) % 5, 1 + g % 3 + 2),"
          " ((1 + g % 5) + (1 + (g / 5) % 5) + (1 + g % 3 + 2)) / 3.0 "
          "FROM generate_series(1, :n) g "
          f"JOIN {s}.survey_version v ON v.number = 1 AND v.kind = (ARRAY['apres-seance', "
          "'suivi-30-jours', 'fin-accompagnement'])[1 + g % 3]", n=answers)
        db.session.commit()
        for table in ("profile", "participation", "peer_helper", "binomes_binome",
                      "binomes_meeting", "survey_response"):
            db.session.execute(sa.text(f"ANALYZE {s}.{table}"))
        db.session.commit()
        counts = {t: db.session.execute(sa.text(f"SELECT count(*) FROM {s}.{t}")).scalar()
                  for t in ("profile", "binomes_binome", "binomes_meeting", "survey_response")}
        db.session.remove()
    print(f"data    : {counts}")


def run(quick: bool = False, rounds: int | None = None) -> Summary:
    rounds = rounds or (5 if quick else 21)
    people, binomes, answers = (1000, 400, 2000) if quick else (5000, 2000, 10000)
    with throwaway_database("bench_dashboard") as (url, where):
        header("programme dashboard of a large employer", where)
        app = make_app(url)
        from tenants import provision, tenant_context

        with app.app_context():
            ref = provision("bench-tableau", "Employeur du bench", "territoriale", "250-999")
        create_referent(app, [ref.slug])
        with app.app_context(), tenant_context(ref.slug):
            from server.programme.choices import configure
            configure("binomes", enabled=True)
            app.extensions["sqlalchemy"].session.commit()
            app.extensions["sqlalchemy"].session.remove()
        _, _ = timed(_fill, app, ref, people, binomes, answers)
        client = app.test_client()
        log_in(client, "referent@bench.example")
        path = f"/e/{ref.slug}/programme/tableau-de-bord"
        first = client.get(path)
        assert first.status_code == 200, first.status_code
        times = []
        for _ in range(rounds):
            elapsed, response = timed(client.get, path)
            assert response.status_code == 200
            times.append(elapsed * 1000)
        csv_ms, csv = timed(client.get, path.replace("tableau-de-bord", "tableau-de-bord.csv"))
        med = median(times)
        q1, q3 = quartiles(times)
        print(f"dashboard: median {med:.0f} ms (quartiles {q1:.0f}–{q3:.0f} ms, {rounds} "
              f"requests, page {len(first.data) // 1024} KiB); CSV {csv_ms * 1000:.0f} ms; "
              f"target < {TARGET_MS} ms: {verdict(med, TARGET_MS)}")
        sys.stdout.flush()
        return [("dashboard, 5,000 people, 2 years", f"{med:.0f} ms median",
                 f"< {TARGET_MS} ms", verdict(med, TARGET_MS))]


if __name__ == "__main__":
    run(quick=parser(__doc__).parse_args().quick)
