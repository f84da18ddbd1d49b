"""Sweep grids: ``10:1e4:40log`` (log-spaced), ``0:1:11`` (linear), ``100,200,400`` (a list) and TOML spec files.

A grid is a one-dimensional float64 array of distinct values in the order given (ranges ascend or descend
with their end points). A TOML spec file holds the arguments of :func:`scalingsym.output.sweep.sweep`
(``mode``, ``model``, ``spectrum``, ``task``, the grids ``N``, ``T``, ``gamma``, ``s``, ``t``, ``E``, ``noise``,
``nu``, ``a``, ``B``, ``lr``, ``steps`` as strings, numbers or lists, ``ensemble_data``, ``seeds``, ``seed``,
``teachers``, ``precision``, ``fast``, and a ``[chunks]`` table). Where a dimension allows it (``N``, ``T``, ``E``
of a theory sweep), a list may hold ``inf``.

Examples
--------
>>> parse_grid("N", "10:1000:3log").tolist()
[10.0, 100.0, 1000.0]
>>> parse_grid("gamma", "0:1:3").tolist()
[0.0, 0.5, 1.0]
>>> parse_grid("T", "100,200,400").tolist()
[100.0, 200.0, 400.0]
>>> parse_grid("N", "100,inf", allow_inf=True).tolist()
[100.0, inf]
>>> parse_grid("N", "10:1:0log")
Traceback (most recent call last):
...
scalingsym.core.errors.ParameterError: grid N: the number of points must be an integer >= 1; got '0' in '10:1:0log'
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import ParameterError

#: the largest grid along one dimension (a guard against typos such as ``10:1e4:1e9``)
MAX_POINTS = 10**7

#: keys a TOML spec file may hold
SPEC_KEYS = frozenset(
    {"mode", "model", "spectrum", "task", "N", "T", "gamma", "s", "t", "E", "noise", "nu", "a", "B", "lr", "steps",
     "ensemble_data", "seeds", "seed", "teachers", "precision", "fast", "chunks"}
)


def _num(name: str, text: str, whole: str, allow_inf: bool = False) -> float:
    try:
        v = float(text)
    except ValueError:
        raise ParameterError(f"grid {name}: expected a number; got {text.strip()!r} in {whole!r}") from None
    if allow_inf and v == math.inf:
        return v
    if not math.isfinite(v):
        what = "finite numbers or inf" if allow_inf else "finite"
        raise ParameterError(f"grid {name}: grid values must be {what}; got {text.strip()!r} in {whole!r}")
    return v


def _range(name: str, text: str) -> np.ndarray:
    parts = text.split(":")
    if len(parts) != 3:
        raise ParameterError(f"grid {name}: a range is START:STOP:COUNT or START:STOP:COUNTlog; got {text!r}")
    count = parts[2].strip().lower()
    log = count.endswith("log")
    count = count.removesuffix("log").strip()
    try:
        k = float(count)
    except ValueError:
        k = float("nan")
    if not (math.isfinite(k) and k == int(k) and 1 <= k <= MAX_POINTS):
        raise ParameterError(
            f"grid {name}: the number of points must be an integer >= 1; got {count!r} in {text!r}"
            if not (math.isfinite(k) and k > MAX_POINTS)
            else f"grid {name}: at most {MAX_POINTS} points per dimension; got {count!r} in {text!r}"
        )
    a, b = _num(name, parts[0], text), _num(name, parts[1], text)
    k = int(k)
    if log:
        if a <= 0 or b <= 0:
            raise ParameterError(f"grid {name}: a log-spaced range needs START > 0 and STOP > 0; got {text!r}")
        if k == 1:
            return np.array([a])
        v = np.logspace(math.log10(a), math.log10(b), k)
        v[0], v[-1] = a, b  # exact end points
        return v
    return np.linspace(a, b, k) if k > 1 else np.array([a])


def parse_grid(name: str, value: Any, allow_inf: bool = False) -> np.ndarray:
    """The grid of dimension ``name`` from a string, a number or a sequence of numbers.

    Parameters
    ----------
    name : str
        The dimension (used in messages).
    value : str, float or sequence of float
        ``START:STOP:COUNTlog``, ``START:STOP:COUNT``, ``a,b,c``, a number or a list of numbers.
    allow_inf : bool
        Accept ``inf`` (``+inf`` only, in a list or as a number; a range's end points stay finite).

    Returns
    -------
    numpy.ndarray
        float64, one dimension, distinct values.
    """
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise ParameterError(f"grid {name}: empty grid")
        if ":" in text:
            arr = _range(name, text)
        else:
            arr = np.array([_num(name, p, text, allow_inf) for p in text.split(",") if p.strip()] or [math.nan])
    else:
        try:
            arr = np.atleast_1d(np.asarray(value, dtype=np.float64))
        except (TypeError, ValueError):
            raise ParameterError(f"grid {name}: expected numbers; got {value!r}") from None
        if arr.ndim != 1:
            raise ParameterError(f"grid {name}: expected a flat list of numbers; got shape {arr.shape}")
    ok = np.isfinite(arr) | ((arr == math.inf) if allow_inf else False)
    if arr.size == 0 or not np.all(ok):
        what = "finite numbers or inf" if allow_inf else "finite numbers"
        raise ParameterError(f"grid {name}: grid values must be {what}; got {value!r}")
    if arr.size > MAX_POINTS:
        raise ParameterError(f"grid {name}: at most {MAX_POINTS} points per dimension; got {arr.size}")
    if np.unique(arr).size != arr.size:
        raise ParameterError(f"grid {name}: grid values must be distinct; got {value!r}")
    return arr.astype(np.float64)


def parse_chunks(value: Any) -> dict[str, int]:
    """Chunk lengths per dimension from ``"N=4,T=10,seeds=2"`` or a mapping; each an integer >= 1.

    Examples
    --------
    >>> parse_chunks("N=4, seeds=2")
    {'N': 4, 'seeds': 2}
    """
    if value is None:
        return {}
    if isinstance(value, str):
        items = {}
        for part in value.split(","):
            if not part.strip():
                continue
            key, sep, v = part.partition("=")
            if not sep:
                raise ParameterError(f"chunks must be DIM=LENGTH pairs such as N=4,seeds=2; got {value!r}")
            items[key.strip()] = v.strip()
        value = items
    if not isinstance(value, Mapping):
        raise ParameterError(f"chunks must be a mapping of dimension to length; got {value!r}")
    out = {}
    for key, v in value.items():
        try:
            n = float(v)
        except (TypeError, ValueError):
            n = float("nan")
        if not (math.isfinite(n) and n == int(n) and n >= 1):
            raise ParameterError(f"chunks: the length of {key} must be an integer >= 1; got {v!r}")
        out[str(key)] = int(n)
    return out


def load_spec(path: str | Path) -> dict[str, Any]:
    """The sweep arguments of a TOML spec file (read with :mod:`tomllib`), checked for unknown keys.

    Examples
    --------
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> p = os.path.join(d, "sweep.toml")
    >>> _ = open(p, "w").write('mode = "theory"\\nspectrum = "powerlaw(alpha=1, M=100)"\\nN = "10:100:2log"\\n')
    >>> load_spec(p)["N"]
    '10:100:2log'
    """
    p = Path(path)
    try:
        with p.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ParameterError(f"spec file {str(p)!r} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ParameterError(f"spec file {str(p)!r} is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - SPEC_KEYS)
    if unknown:
        raise ParameterError(f"spec file {str(p)!r}: unknown key(s) {unknown}; allowed: {sorted(SPEC_KEYS)}")
    return data


__all__ = ["MAX_POINTS", "SPEC_KEYS", "load_spec", "parse_chunks", "parse_grid"]
