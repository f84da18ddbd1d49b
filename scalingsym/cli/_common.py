"""Helpers shared by the CLI command modules."""

from __future__ import annotations

import argparse
import math

import mpmath

from ..core.errors import ParameterError


def size_arg(text: str) -> float:
    """A size: positive number or ``inf``."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or inf; got {text!r}") from None
    return v


def mp_str(x, digits: int) -> str:
    """An mpmath number as a decimal string with ``digits`` significant digits."""
    with mpmath.workdps(digits + 10):
        x = mpmath.mpf(x)
        if mpmath.isinf(x):
            return "inf" if x > 0 else "-inf"
        return mpmath.nstr(x, digits, strip_zeros=False)


def finite_or_none(x: float):
    """JSON-safe float: ``None`` for inf or NaN."""
    x = float(x)
    return x if math.isfinite(x) else None


def check_precision(p: int | None) -> None:
    if p is not None and p < 5:
        raise ParameterError(f"--precision must be an integer >= 5; got {p}")
