"""Benchmark 1 — creating one employer (``tenants.provision``) when many exist.

Fills a fresh database with employers through ``provision`` itself, timing every creation,
and reports the median of a window of creations at 0 (baseline), 200 and 1,000 existing
employers. Target: median ≤ 0.05 s at 1,000 (django-tenants 4.0.1: 0.26 s).
"""
from __future__ import annotations

import gc
import sys
import time

from bench.common import (
    Summary,
    header,
    make_app,
    median,
    parser,
    quartiles,
    slug,
    throwaway_database,
    verdict,
)

TARGET_SECONDS = 0.05
DJANGO_TENANTS_SECONDS = 0.26
WINDOW = 25


def run(quick: bool = False) -> Summary:
    checkpoints = (0, 50, 100) if quick else (0, 200, 1000)
    window = 10 if quick else WINDOW
    with throwaway_database("bench_prov") as (url, where):
        header("provisioning: tenants.provision", where)
        app = make_app(url)
        from tenants import provision

        results = {}
        existing = 0
        with app.app_context():
            provision(slug(99999), "Échauffement", "territoriale", "250-999")  # warm caches
            from tenants.provisioning import drop
            drop(slug(99999))
            for checkpoint in checkpoints:
                fill_started = time.perf_counter()
                while existing < checkpoint:
                    provision(slug(existing), f"Employeur {existing}", "territoriale", "250-999")
                    existing += 1
                fill = time.perf_counter() - fill_started
                times = []
                gc.disable()
                try:
                    for _ in range(window):
                        started = time.perf_counter()
                        provision(slug(existing), f"Employeur {existing}", "etat", "50-249")
                        times.append(time.perf_counter() - started)
                        existing += 1
                finally:
                    gc.enable()
                results[checkpoint] = times
                q1, q3 = quartiles(times)
                print(f"with {checkpoint:>5} employers: median {median(times) * 1000:7.1f} ms "
                      f"(q1 {q1 * 1000:.1f}, q3 {q3 * 1000:.1f}, n={len(times)})"
                      + (f"   [filling took {fill:.1f} s]" if fill > 0.1 else ""))
                sys.stdout.flush()
            app.extensions["sqlalchemy"].engine.dispose()

    base = median(results[checkpoints[0]])
    top = checkpoints[-1]
    at_top = median(results[top])
    print(f"ratio at {top} / at 0: {at_top / base:.2f}×; "
          f"django-tenants at 1,000: {DJANGO_TENANTS_SECONDS:.2f} s "
          f"({DJANGO_TENANTS_SECONDS / at_top:.0f}× slower)")
    summary: Summary = []
    for checkpoint in checkpoints[1:]:
        m = median(results[checkpoint])
        summary.append((f"provision one employer, {checkpoint} exist", f"{m * 1000:.1f} ms",
                        f"≤ {TARGET_SECONDS * 1000:.0f} ms", verdict(m, TARGET_SECONDS)))
    return summary


def main() -> None:
    from bench.run_all import quiet

    quiet()
    args = parser(__doc__.splitlines()[0]).parse_args()
    run(quick=args.quick)


if __name__ == "__main__":
    main()
