"""Sweep benchmark rows (same as ``python -m scalingsym bench --sweep``; see :mod:`scalingsym.cli.bench_sweep`).

Run: ``python benchmarks/bench_sweep.py [--quick] [--json]``.
"""

from __future__ import annotations

import argparse
import json

from scalingsym.cli.bench_sweep import format_sweep_rows, sweep_rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks/bench_sweep.py", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args(argv)
    rows = sweep_rows(args.quick)
    print(json.dumps(rows, indent=2) if args.json else format_sweep_rows(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
