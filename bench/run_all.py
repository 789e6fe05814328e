"""Run every benchmark and print a summary (``make bench``; ``--quick`` for small sizes).

Each benchmark makes its own throwaway database (embedded PostgreSQL in a temporary
directory, or the server named by ``DATABASE_URL``)."""
from __future__ import annotations

import logging
import sys
import time
import traceback
import warnings

from bench.common import machine, parser

BENCHMARKS = ("provisioning", "migration", "tenancy_overhead", "latency_many_tenants",
              "matching", "anonymisation", "network_indicators", "voting", "journeys")


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--only", action="append", choices=BENCHMARKS, help="run only these")
    args = p.parse_args()
    quiet()
    import importlib

    rows, failed = [], []
    started = time.perf_counter()
    for name in args.only or BENCHMARKS:
        module = importlib.import_module(f"bench.{name}")
        try:
            rows += module.run(quick=args.quick)
        except Exception:  # noqa: BLE001  report it, run the others
            traceback.print_exc()
            failed.append(name)
            rows.append((name, "ERROR", "", "ERROR"))
    print(f"\n=== summary ({'quick' if args.quick else 'full'} sizes; {machine()}; "
          f"{time.perf_counter() - started:.0f} s) ===")
    width = max(len(r[0]) for r in rows)
    for what, figure, target, verdict in rows:
        print(f"{what:{width}}  {figure:32} {target:10} {verdict}")
    return 1 if failed else 0


def quiet() -> None:
    """Keep the figures readable: no Alembic INFO lines, no platformdirs warning."""
    logging.getLogger("alembic").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", module="platformdirs")


if __name__ == "__main__":
    sys.exit(main())
