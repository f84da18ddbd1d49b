"""``derive NAME`` (run one derivation script) and ``derive --list``.

Examples
--------
``python -m scalingsym derive --list`` prints ``name: title`` for every ``derivations/*.py``;
``python -m scalingsym derive mrs_ridgeless --out out/derive`` runs one, prints its results and checks,
writes ``out/derive/mrs_ridgeless/mrs_ridgeless.tex`` and exits with code 1 when a check fails.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

from ..core.errors import ParameterError
from ..output.derive import list_derivations, run_derivation
from . import emit


def _fmt(v) -> str:
    try:
        return f"{float(v):.6g}"
    except (TypeError, ValueError):
        return str(v)


def _handle(args: argparse.Namespace):
    if args.list:
        names = list_derivations(args.dir)
        emit({"derivations": [{"name": k, "title": v} for k, v in names.items()]} if args.json else names, args.json)
        return names
    if not args.name:
        raise ParameterError("give a derivation NAME or --list")
    out_dir = pathlib.Path(args.out) / args.name
    outcome = run_derivation(args.name, out_dir, quick=not args.full, directory=args.dir, echo=False)
    if args.json:
        emit(outcome.summary(), True)
    else:
        if outcome.output and not args.quiet:
            print(outcome.output.rstrip())
            print()
        print(f"{outcome.name}: {outcome.title}")
        for r in outcome.results:
            print(f"  result  {r}")
        for c in outcome.checks:
            status = "ok" if c.get("ok") else "FAILED"
            print(f"  check   {c['name']}: expected {_fmt(c.get('expected'))}, got {_fmt(c.get('got'))}, "
                  f"tol {_fmt(c.get('tol'))}: {status}")
        if outcome.tex_path:
            print(f"LaTeX written to {outcome.tex_path}")
        print(f"{'all checks passed' if outcome.ok else 'FAILED'} ({outcome.seconds:.1f} s)")
    if outcome.error:
        print(outcome.error, file=sys.stderr)
    if not outcome.ok:
        raise SystemExit(1)
    return outcome.summary()


def register(sub) -> None:
    p = sub.add_parser("derive", help="run one derivation script from derivations/ (or --list them)")
    p.add_argument("name", nargs="?", help="derivation name (see --list)")
    p.add_argument("--list", action="store_true", help="list the available derivations")
    p.add_argument("--out", default="out/derive", help="output folder (default out/derive); LaTeX goes to OUT/NAME/")
    p.add_argument("--full", action="store_true", help="the full (slow) variant instead of the quick one")
    p.add_argument("--dir", default=None, help="derivations folder (default: ./derivations or the source checkout)")
    p.add_argument("--quiet", action="store_true", help="do not echo the derivation's own printout")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=_handle)
