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


class ResourceError(ParameterError):
    """Work refused up front because its estimated memory or time exceeds the budget."""


class SpectrumParseError(ParameterError):
    """A spectrum string or expression could not be parsed safely."""


def _is_real_scalar(v: Any) -> bool:
    """A real number of any library (int, float, numpy, mpmath, sympy, Fraction); not str, bool or complex."""
    if isinstance(v, (str, bytes, bool, np.bool_, complex, np.complexfloating)) or v is None:
        return False
    if getattr(v, "imag", 0) not in (0, None) and not hasattr(v, "is_real"):
        return False
    if hasattr(v, "is_real") and v.is_real is not True:
        return False
    try:
        float(v)
    except (TypeError, ValueError, OverflowError):
        return False
    return True


def _as_float_array(name: str, value: Any) -> np.ndarray:
    """``value`` as a float64 array: real numbers only (no strings, complex, booleans, None or empty arrays)."""
    if isinstance(value, np.ndarray) and value.dtype.kind in "fiu":  # the common case: no check, no repr
        arr = np.asarray(value, dtype=np.float64)
        if arr.size == 0:
            raise ParameterError(f"{name} must not be empty")
        return arr

    def shown() -> str:  # built only for the message
        text = repr(value)
        return text if len(text) <= 80 else text[:77] + "..."

    raw = np.asarray(value, dtype=object) if not isinstance(value, np.ndarray) else value
    if raw.dtype.kind in "OUSVb" or raw.dtype.kind == "c":
        flat = raw.ravel().tolist() if raw.dtype == object else [raw.dtype.kind]
        ok = raw.dtype == object and all(_is_real_scalar(v) for v in flat)
        if not ok:
            raise ParameterError(f"{name} must be a real number or an array of real numbers; got {shown()}")
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ParameterError(f"{name} must be a real number or an array of real numbers; got {shown()}") from exc
    if arr.size == 0:
        raise ParameterError(f"{name} must not be empty")
    return arr


def check_size(name: str, value: Any, *, allow_inf: bool = False) -> Any:
    """Validate a size (``N``, ``T``, ``P``, ``M``): positive, not NaN, finite unless allowed.

    Returns a float (or float array) with the same shape.
    """
    arr = _as_float_array(name, value)
    ok = arr > 0  # False for NaN too
    if not allow_inf:
        ok &= arr < np.inf
    if not ok.all():
        bad = ~ok
        shown = value if np.ndim(value) == 0 else arr[bad].ravel()[0]
        allowed = "a number > 0 (inf allowed)" if allow_inf else "a finite number > 0"
        raise ParameterError(f"{name} must be {allowed}; got {shown}")
    return float(arr) if arr.ndim == 0 else arr


def check_ridge(name: str, value: Any) -> Any:
    """Validate a ridge: finite and ``>= 0``."""
    arr = _as_float_array(name, value)
    ok = (arr >= 0) & (arr < np.inf)  # False for NaN too
    if not ok.all():
        shown = value if np.ndim(value) == 0 else arr[~ok].ravel()[0]
        raise ParameterError(f"{name} must be a finite number >= 0; got {shown}")
    return float(arr) if arr.ndim == 0 else arr


def check_noise(noise: Any) -> float:
    """The label-noise variance ``sigma_eps^2``: one finite number ``>= 0``.

    >>> check_noise(0.25)
    0.25
    """
    if np.ndim(noise):
        raise ParameterError(f"noise must be one number >= 0 (a variance); got {noise!r}")
    return float(check_ridge("noise", noise))


#: the range of mpmath precisions (significant digits) the toolkit accepts
MIN_PRECISION, MAX_PRECISION = 5, 1000


def check_precision(dps: Any, name: str = "precision") -> int:
    """An mpmath precision in significant digits: an integer in ``[MIN_PRECISION, MAX_PRECISION]``."""
    ok = isinstance(dps, (int, np.integer)) and not isinstance(dps, bool)
    if isinstance(dps, float) and math.isfinite(dps) and dps == int(dps):
        ok, dps = True, int(dps)
    if not ok or not MIN_PRECISION <= int(dps) <= MAX_PRECISION:
        raise ParameterError(
            f"{name} must be an integer number of digits in [{MIN_PRECISION}, {MAX_PRECISION}]; got {dps!r}"
        )
    return int(dps)


def is_inf(x: Any) -> bool:
    """True for float or sympy infinity."""
    try:
        return math.isinf(float(x))
    except (TypeError, ValueError, OverflowError):
        return False
