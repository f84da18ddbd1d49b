"""``report --out DIR``: the main job (every derivation, the figures, a simulation check, a compiled report).

Examples
--------
``python -m scalingsym report --out out/report`` writes ``out/report/report.tex`` (and ``report.pdf`` when
``pdflatex`` is installed), the figures as PDF and PNG under ``out/report/figures/``, and prints where it wrote
them; the exit code is 1 when a check fails or the LaTeX does not compile.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

from ..core.errors import ParameterError
from ..output.report import build_report
from . import emit


def _handle(args: argparse.Namespace):
    if args.seeds < 2:
        raise ParameterError(f"--seeds must be >= 2 (a standard error needs two); got {args.seeds}")
    if args.workers is not None and args.workers < 1:
        raise ParameterError(f"--workers must be >= 1; got {args.workers}")
    out = pathlib.Path(args.out)
    blocked = next((p for p in (out, *out.parents) if p.exists() and not p.is_dir()), None)
    if blocked is not None:
        raise ParameterError(f"--out {args.out!r} must be a folder, but {str(blocked)!r} is a file")
    log = None if (args.json or args.quiet) else print
    names = None if args.only is None else [s for s in args.only.split(",") if s]
    out = build_report(args.out, quick=not args.full, derivations=names, figures=not args.no_figures,
                       simulate=not args.no_simulation, seeds=args.seeds, compile=not args.no_compile,
                       quiet=args.quiet or args.json, log=log, workers=args.workers)
    summary = out.summary()
    if args.json:
        emit(summary, True)
    else:
        if out.check_table is not None and not args.quiet:
            print(out.check_table.to_text())
        print(f"report source: {out.tex_path}")
        if out.pdf_path:
            print(f"report PDF:    {out.pdf_path} ({out.pages} pages)")
        if out.compile_error:
            print(f"LaTeX did not compile:\n{out.compile_error}", file=sys.stderr)
        for key, paths in out.figures.items():
            print(f"figure {key}: {paths['png']} (and .pdf)")
        for d in out.derivations:
            if d.error:
                print(f"derivation {d.name} raised:\n{d.error}", file=sys.stderr)
            for c in d.failed_checks:
                print(f"derivation {d.name}: check failed: {c['name']}", file=sys.stderr)
        print(f"{'all checks passed' if out.ok else 'FAILED'} ({out.seconds:.0f} s); summary in "
              f"{out.out_dir / 'summary.json'}")
    if not out.ok:
        raise SystemExit(1)
    return summary


def register(sub) -> None:
    p = sub.add_parser("report", help="run every derivation, draw the figures and write (and compile) report.tex")
    p.add_argument("--out", default="out/report", help="output folder (default out/report)")
    p.add_argument("--full", action="store_true", help="the full (slow) variants of the derivations")
    p.add_argument("--only", default=None, help="comma-separated derivation names (default: all; '' for none)")
    p.add_argument("--seeds", type=int, default=8, help="Monte-Carlo seeds per point (8 teachers each)")
    p.add_argument("--no-figures", action="store_true", help="skip the figures")
    p.add_argument("--no-simulation", action="store_true", help="no Monte-Carlo points or table")
    p.add_argument("--no-compile", action="store_true", help="write report.tex without running pdflatex")
    p.add_argument("--quiet", action="store_true", help="no progress bars or per-step lines")
    p.add_argument("--workers", type=int, default=None,
                   help="processes for the independent derivations, table and figures (default: cores, at most 2)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(handler=_handle)
