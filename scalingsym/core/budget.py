"""Resource budgets: work whose memory grows with a size is estimated up front and refused over the budget.

The memory budget is, in order: the ``budget`` argument of a call, the environment variable
``SCALINGSYM_MEMORY_BUDGET`` (bytes; suffixes ``K``, ``M``, ``G`` allowed), or a quarter of the machine's
physical memory, at most 6 GiB (safe on a 24 GB machine with other work beside it).

Examples
--------
>>> require_memory(8 * 10**6, "a 1000 x 1000 float64 array", budget=10**9)
8000000
>>> require_memory(8 * 10**12, "a 10^6 x 10^6 array", budget=10**9)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
scalingsym.core.errors.ResourceError: a 10^6 x 10^6 array needs about 7.28 TiB of memory; ...budget is 954 MiB ...
"""

from __future__ import annotations

import math
import os
from typing import Any

from .errors import ParameterError, ResourceError

ENV_VAR = "SCALINGSYM_MEMORY_BUDGET"
_DEFAULT_CAP = 6 * 2**30
_SUFFIX = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def human_bytes(n: float) -> str:
    """``n`` bytes in binary units, three significant digits (``"7.28 TiB"``)."""
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{int(n)} B"


def _parse_bytes(text: str, name: str) -> int:
    t = text.strip().upper().removesuffix("B").removesuffix("I")
    unit = t[-1] if t and t[-1] in _SUFFIX else ""
    num = t[:-1] if unit else t
    try:
        value = float(num) * _SUFFIX[unit]
    except ValueError:
        raise ParameterError(f"{name} must be a number of bytes such as 4G or 500000000; got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise ParameterError(f"{name} must be a positive number of bytes; got {text!r}")
    return int(value)


def physical_memory() -> int | None:
    """The machine's physical memory in bytes, or None where it cannot be read."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - platform dependent
        return None


def memory_budget(budget: Any = None) -> int:
    """The memory budget in bytes (see the module docstring for the order of the sources)."""
    if budget is not None:
        if isinstance(budget, str):
            return _parse_bytes(budget, "memory budget")
        try:
            b = float(budget)
        except (TypeError, ValueError):
            raise ParameterError(f"memory budget must be a positive number of bytes; got {budget!r}") from None
        if not math.isfinite(b) or b <= 0:
            raise ParameterError(f"memory budget must be a positive number of bytes; got {budget!r}")
        return int(b)
    env = os.environ.get(ENV_VAR)
    if env:
        return _parse_bytes(env, ENV_VAR)
    phys = physical_memory()
    return _DEFAULT_CAP if phys is None else min(_DEFAULT_CAP, phys // 4)


def require_memory(nbytes: float, what: str, *, budget: Any = None, hint: str = "") -> int:
    """Refuse work estimated at ``nbytes`` over the budget with a :class:`ResourceError`; else return the estimate."""
    limit = memory_budget(budget)
    if not math.isfinite(nbytes) or nbytes > limit:
        shown = "an unbounded amount" if not math.isfinite(nbytes) else f"about {human_bytes(nbytes)}"
        raise ResourceError(
            f"{what} needs {shown} of memory; the budget is {human_bytes(limit)} "
            f"(set {ENV_VAR} or the budget argument to change it){'; ' + hint if hint else ''}"
        )
    return int(nbytes)


__all__ = ["ENV_VAR", "human_bytes", "memory_budget", "physical_memory", "require_memory"]
