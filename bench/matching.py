"""Benchmark — binômes matching: 2,000 pair-aidés with 500 pair-aidants.

``plugins.binomes.matching.match`` (exact: assignment solver on seekers × helper places) versus
the greedy baseline ``greedy_match`` on the same instance: 500 helpers of capacity 1–4, 2,000
seekers, 10 experience criteria, 6 sites, 10 half-day slots, 12 departments, 30 % of seekers
excluding their own department and up to 2 excluded helpers each, from a fixed seed. Each
round times both (alternately, so a noisy machine slows both alike); the figures are medians.
No database. Target: median time of ``match`` < 2 s; its score is ≥ greedy's by construction.
"""
from __future__ import annotations

import random
import sys
import time

from bench.common import Summary, machine, median, parser, verdict
from plugins.binomes.matching import Helper, Seeker, Weights, greedy_match, match, total_score

TARGET_SECONDS = 2.0
SEED = 20261124
EXPERIENCES = ["sante-mentale", "retour-emploi", "maladie-chronique", "handicap-moteur",
               "handicap-sensoriel", "handicap-psychique", "cancer", "troubles-dys",
               "addiction", "aidant-familial"]                       # the 10 criteria
SLOTS = [f"{d}-{p}" for d in ("lundi", "mardi", "mercredi", "jeudi", "vendredi")
         for p in ("matin", "apres-midi")]
SITES = [f"Site {i}" for i in range(1, 7)]
DEPARTMENTS = [f"Service {i}" for i in range(1, 13)]


def instance(n_helpers: int, n_seekers: int, seed: int = SEED):
    rng = random.Random(seed)

    def some(pool, lo, hi):
        return frozenset(rng.sample(pool, rng.randint(lo, hi)))

    helpers = [Helper(id=i, capacity=rng.randint(1, 4), experiences=some(EXPERIENCES, 1, 3),
                      site=rng.choice(SITES), availability=some(SLOTS, 2, 6),
                      department=rng.choice(DEPARTMENTS))
               for i in range(1, n_helpers + 1)]
    seekers = [Seeker(id=100_000 + i, looking_for=some(EXPERIENCES, 1, 2),
                      site=rng.choice(SITES), availability=some(SLOTS, 1, 4),
                      department=rng.choice(DEPARTMENTS),
                      exclude_same_department=rng.random() < 0.3,
                      excluded_helpers=frozenset(rng.sample(range(1, n_helpers + 1),
                                                            rng.randint(0, 2))))
               for i in range(1, n_seekers + 1)]
    return helpers, seekers


def run(quick: bool = False, rounds: int | None = None) -> Summary:
    rounds = rounds or (3 if quick else 7)
    n_helpers, n_seekers = (100, 400) if quick else (500, 2000)
    helpers, seekers = instance(n_helpers, n_seekers)
    weights = Weights()
    print("\n=== binômes matching: optimal assignment vs greedy ===")
    print(f"machine : {machine()}")
    print(f"instance: {n_seekers} pair-aidés, {n_helpers} pair-aidants "
          f"({sum(h.capacity for h in helpers)} places, capacity 1–4), "
          f"{len(EXPERIENCES)} experience criteria, seed {SEED}; weights {weights}")
    sys.stdout.flush()
    times: dict[str, list[float]] = {"match": [], "greedy": []}
    results = {}
    for i in range(rounds):
        for name, fn in (("match", match), ("greedy", greedy_match)):
            started = time.perf_counter()
            results[name] = fn(helpers, seekers, weights)
            times[name].append(time.perf_counter() - started)
        print(f"round {i + 1}: match {times['match'][-1]:.3f} s, "
              f"greedy {times['greedy'][-1]:.3f} s")
        sys.stdout.flush()
    best, baseline = total_score(results["match"]), total_score(results["greedy"])
    ratio = best / baseline if baseline else float("nan")
    t_match, t_greedy = median(times["match"]), median(times["greedy"])
    print(f"median time: match {t_match:.3f} s (target < {TARGET_SECONDS} s), "
          f"greedy {t_greedy:.3f} s")
    print(f"total score: match {best:.1f} ({len(results['match'])} pairs), greedy "
          f"{baseline:.1f} ({len(results['greedy'])} pairs); ratio match/greedy {ratio:.4f}")
    return [(f"Binômes matching {n_seekers:,} × {n_helpers}, median time", f"{t_match:.2f} s",
             f"< {TARGET_SECONDS} s", verdict(t_match, TARGET_SECONDS)),
            ("  score, optimal / greedy", f"{ratio:.4f}", "≥ 1", verdict(ratio, 1.0, False))]


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=None, help="rounds (default 7)")
    args = p.parse_args()
    run(quick=args.quick, rounds=args.rounds)


if __name__ == "__main__":
    main()
