"""Helpers shared by the CLI command modules."""

from __future__ import annotations

import argparse
import math

import mpmath

from ..core.errors import check_precision as _check_precision


def size_arg(text: str) -> float:
    """A size: a number > 0 or ``inf`` (NaN, complex and other text are refused by argparse with a message)."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number > 0 or inf; got {text!r}") from None
    if math.isnan(v) or v <= 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0 or inf; got {text!r}")
    return v


def ridge_arg(text: str) -> float:
    """A ridge: a finite number >= 0."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0; got {text!r}") from None
    if not math.isfinite(v) or v < 0:
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0; got {text!r}")
    return v


def count_arg(text: str) -> int:
    """A count (seeds, teachers): an integer in ``[1, 10**6]``."""
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer in [1, 1000000]; got {text!r}") from None
    if not 1 <= v <= 10**6:
        raise argparse.ArgumentTypeError(f"expected an integer in [1, 1000000]; got {text!r}")
    return v


def seed_arg(text: str) -> int:
    """A seed: an integer in ``[0, 2**63)``."""
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer in [0, 2**63); got {text!r}") from None
    if not 0 <= v < 2**63:
        raise argparse.ArgumentTypeError(f"expected an integer in [0, 2**63); got {text!r}")
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
    """``--precision``: None, or digits in the range of :func:`scalingsym.core.errors.check_precision`."""
    if p is not None:
        _check_precision(p, "--precision")
