"""Exceptions and input validation shared by the whole package.

Examples
--------
>>> from scalingsym.core.errors import check_size
>>> check_size("N", 10)
10.0
>>> check_size("N", -1)
Traceback (most recent call last):
...
scalingsym.core.errors.ParameterError: N must be a finite number > 0; got -1
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


class ScalingSymError(Exception):
    """Base class of every error raised by scalingsym."""


class ParameterError(ScalingSymError, ValueError):
    """An input parameter is outside its allowed range."""


class ConvergenceError(ScalingSymError, RuntimeError):
    """A root solve or series did not converge."""


class SpectrumParseError(ParameterError):
    """A spectrum string or expression could not be parsed safely."""


def _as_float_array(name: str, value: Any) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"{name} must be a number or an array of numbers; got {value!r}") from exc
    return arr


def check_size(name: str, value: Any, *, allow_inf: bool = False) -> Any:
    """Validate a size (``N``, ``T``, ``P``, ``M``): positive, not NaN, finite unless allowed.

    Returns a float (or float array) with the same shape.
    """
    arr = _as_float_array(name, value)
    bad = np.isnan(arr) | (arr <= 0) | (np.isinf(arr) & (not allow_inf))
    if np.any(bad):
        shown = value if np.ndim(value) == 0 else arr[bad].ravel()[0]
        allowed = "a number > 0 (inf allowed)" if allow_inf else "a finite number > 0"
        raise ParameterError(f"{name} must be {allowed}; got {shown}")
    return float(arr) if arr.ndim == 0 else arr


def check_ridge(name: str, value: Any) -> Any:
    """Validate a ridge: finite and ``>= 0``."""
    arr = _as_float_array(name, value)
    bad = np.isnan(arr) | (arr < 0) | np.isinf(arr)
    if np.any(bad):
        shown = value if np.ndim(value) == 0 else arr[bad].ravel()[0]
        raise ParameterError(f"{name} must be a finite number >= 0; got {shown}")
    return float(arr) if arr.ndim == 0 else arr


def is_inf(x: Any) -> bool:
    """True for float or sympy infinity."""
    try:
        return math.isinf(float(x))
    except (TypeError, ValueError, OverflowError):
        return False
