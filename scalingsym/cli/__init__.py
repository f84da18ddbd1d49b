"""Command-line interface: ``python -m scalingsym COMMAND ...`` (console script ``scalingsym``).

Each module in this package that defines ``register(subparsers)`` adds its own subcommands; modules are
discovered automatically. A command handler returns the JSON-able dict it printed, or None.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import pkgutil
import sys
from collections.abc import Sequence

from ..core.errors import ScalingSymError


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every discovered subcommand."""
    parser = argparse.ArgumentParser(
        prog="scalingsym",
        description="Derive, evaluate and check solvable models of neural scaling laws.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(mod, "register"):
            mod.register(sub)
    return parser


def strict_json(obj, path: str = "", found: dict | None = None):
    """``obj`` with every non-finite float replaced by ``None``; ``found`` collects ``path -> "inf"/"-inf"/"nan"``.

    >>> strict_json({"loss": float("inf"), "x": [1.0, float("nan")]}, found=(f := {})), f
    ({'loss': None, 'x': [1.0, None]}, {'loss': 'inf', 'x[1]': 'nan'})
    """
    found = {} if found is None else found
    if isinstance(obj, bool) or obj is None or isinstance(obj, (str, int)):
        return obj
    if isinstance(obj, float) or hasattr(obj, "dtype") and getattr(obj, "ndim", 1) == 0:
        try:
            v = float(obj)
        except (TypeError, ValueError):
            return str(obj)
        if math.isfinite(v):
            return v
        found[path or "value"] = "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
        return None
    if isinstance(obj, dict):
        return {k: strict_json(v, f"{path}.{k}" if path else str(k), found) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)) or hasattr(obj, "tolist"):
        seq = obj.tolist() if hasattr(obj, "tolist") else obj
        if not isinstance(seq, list):
            return strict_json(seq, path, found)
        return [strict_json(v, f"{path}[{i}]", found) for i, v in enumerate(seq)]
    return str(obj)


def emit(obj, as_json: bool) -> None:
    """Print ``obj`` as strict JSON or as ``key: value`` lines.

    JSON never carries ``Infinity`` or ``NaN``: a non-finite number is printed as ``null`` and listed under
    the key ``non_finite`` (its path mapped to ``"inf"``, ``"-inf"`` or ``"nan"``).
    """
    if as_json:
        found: dict = {}
        clean = strict_json(obj, found=found)
        if found and isinstance(clean, dict):
            clean["non_finite"] = {**clean.get("non_finite", {}), **found}
        print(json.dumps(clean, indent=2, allow_nan=False))
    else:
        for key, value in obj.items():
            print(f"{key}: {value}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code (2 for bad input, with the message on stderr)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed its usage line and message (exit 2), or --help (exit 0)
        return exc.code if isinstance(exc.code, int) else 2
    try:
        args.handler(args)
    except ScalingSymError as exc:
        print(f"scalingsym: error: {exc}", file=sys.stderr)
        return 2
    except (MemoryError, RecursionError) as exc:
        print(f"scalingsym: error: the input needs more memory or depth than this machine has ({type(exc).__name__})",
              file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into e.g. `head`: stop quietly, as other command-line tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except Exception as exc:  # a defect, not bad input: one line, a distinct exit code, no traceback
        print(f"scalingsym: internal error ({type(exc).__name__}: {exc}); please report it with the command line",
              file=sys.stderr)
        return 3
    return 0
