"""Command-line interface: ``python -m scalingsym COMMAND ...`` (console script ``scalingsym``).

Each module in this package that defines ``register(subparsers)`` adds its own subcommands; modules are
discovered automatically. A command handler returns the JSON-able dict it printed, or None.
"""

from __future__ import annotations

import argparse
import importlib
import json
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


def emit(obj, as_json: bool) -> None:
    """Print ``obj`` as JSON (standard JSON: no NaN or Infinity) or as ``key: value`` lines."""
    if as_json:
        print(json.dumps(obj, indent=2, allow_nan=False))
    else:
        for key, value in obj.items():
            print(f"{key}: {value}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code (2 for bad input, with the message on stderr)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.handler(args)
    except ScalingSymError as exc:
        print(f"scalingsym: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into e.g. `head`: stop quietly, as other command-line tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    return 0
