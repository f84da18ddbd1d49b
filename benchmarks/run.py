"""Performance benchmark: prints the table and writes it as JSON to ``benchmarks/results.json``.

Usage: ``python benchmarks/run.py [--quick] [--json] [--out FILE]`` (same as ``python -m scalingsym bench``).
See :mod:`scalingsym.cli.bench` for what each row measures.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scalingsym.cli.bench import _bench


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks/run.py", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the table as JSON")
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    parser.add_argument("--out", default=str(Path(__file__).with_name("results.json")), help="JSON output file")
    _bench(parser.parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
