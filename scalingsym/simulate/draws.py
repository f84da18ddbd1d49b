"""What every Monte Carlo shares: the seeding, the draw setup, progress and the mean / standard error.

Every simulation draws its random numbers from :func:`generator`: ``numpy.random.default_rng`` on a
``numpy.random.SeedSequence`` of the user's seed (the same stream as ``default_rng(seed)``), so a run is
reproducible to the byte. :func:`draw_setup` turns a spectrum and a task into the arrays a draw needs.

Examples
--------
>>> g = generator(0)
>>> float(g.standard_normal()) == float(np.random.default_rng(0).standard_normal())
True
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..core.budget import require_memory
from ..core.errors import ParameterError, check_size
from ..core.spectra import Spectrum
from ..core.tasks import Task


def check_seed(seed: Any) -> int:
    """The seed as a non-negative Python int, or a :class:`ParameterError` naming it and its range."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        if isinstance(seed, float) and math.isfinite(seed) and seed == int(seed):
            seed = int(seed)
        else:
            raise ParameterError(f"seed must be an integer in [0, 2**63); got {seed!r}")
    seed = int(seed)
    if not 0 <= seed < 2**63:
        raise ParameterError(f"seed must be an integer in [0, 2**63); got {seed}")
    return seed


def generator(seed: Any) -> np.random.Generator:
    """The generator of a simulation: ``default_rng(SeedSequence(seed))`` after :func:`check_seed`."""
    return np.random.default_rng(np.random.SeedSequence(check_seed(seed)))


def ridge_draw_bytes(N: int, T: int, M: int, teachers: int) -> float:
    """Peak memory of one ridge draw: ``u``, ``X``, the features, their SVD and workspace, teachers, residuals."""
    r = min(N, T)
    floats = N * M + T * M + 2.0 * T * N + M * r + r * (T + N) + 4.0 * r * r + 3.0 * M * teachers + 2.0 * T * teachers
    return 8.0 * floats


def dynamics_draw_bytes(N: float, P: float, M: int, times: int) -> float:
    """Peak memory of one gradient-flow draw: ``A``, ``Psi``, the features, their SVD and the curves in time."""
    n = M if math.isinf(N) else N
    p = M if math.isinf(P) else P
    r = min(n, p, M)
    floats = n * M + p * M + p * n + r * (p + n) + 2.0 * r * r + (M + r + p) * times
    return 8.0 * floats


def check_ridge_draw(N: int, T: int, M: int, teachers: int, budget: Any = None) -> None:
    """Refuse a ridge simulation whose draws would exceed the memory budget, before anything is allocated."""
    need = ridge_draw_bytes(N, T, M, teachers)
    require_memory(
        need, f"a ridge simulation draw at N = {N}, T = {T}, M = {M} ({teachers} teachers)", budget=budget,
        hint="use smaller N, T or M, or run the sweep on a cluster (scalingsym sweep --scheduler ADDRESS)",
    )


def check_times(t: Any) -> np.ndarray:
    """Times of a training curve: a flat float64 array of finite numbers ``>= 0``."""
    tt = np.atleast_1d(np.asarray(t, dtype=np.float64)).ravel()
    if np.any(~np.isfinite(tt)) or np.any(tt < 0):
        raise ParameterError("times t must be finite numbers >= 0")
    return tt


def dynamics_setup(spectrum: Spectrum, task: Task | None):
    """``(lam, M, sqrt(w2), sqrt(lam))`` for a training-dynamics simulation (gradient flow, SGD, ensembles)."""
    if not spectrum.finite:
        raise ParameterError("simulation needs a finite spectrum (M < inf)")
    task = task or Task.isotropic()
    lam = spectrum.eigenvalues()
    M = lam.size
    return lam, M, np.sqrt(task.weights_np(np.arange(1, M + 1))), np.sqrt(lam)


def mean_se(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard error over the first axis (the seeds); ``inf`` standard error for one seed."""
    a = np.asarray(a, dtype=np.float64)
    if a.shape[0] < 2:
        return a.mean(axis=0), np.full(a.shape[1:], np.inf)
    return a.mean(axis=0), a.std(axis=0, ddof=1) / math.sqrt(a.shape[0])


def progress(iterable, total: int, quiet: bool):
    if quiet:
        return iterable
    import sys

    if not sys.stderr.isatty():
        return iterable
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover
        return iterable
    return tqdm(iterable, total=total, desc="simulate", leave=False)


def positive_ints(**sizes: Any) -> tuple[int, ...]:
    """Each named size checked to be a positive integer, returned as ints in the order given."""
    for name, v in sizes.items():
        check_size(name, v)
        if int(v) != v:
            raise ParameterError(f"{name} must be a positive integer; got {v}")
    return tuple(int(v) for v in sizes.values())


def draw_setup(spectrum: Spectrum, task: Task | None, w_var: float | None, u_var: float | None):
    """``(lam, M, w_var, u_var, task weights, sqrt(lam))`` for a simulation in the canonical convention."""
    if not spectrum.finite:
        raise ParameterError("simulation needs a finite spectrum (M < inf); truncate it first")
    task = task or Task.isotropic()
    lam = spectrum.eigenvalues()
    M = lam.size
    w_var = 1.0 / M if w_var is None else float(w_var)
    u_var = 1.0 / M if u_var is None else float(u_var)
    return lam, M, w_var, u_var, task.weights_np(np.arange(1, M + 1)), np.sqrt(lam)


__all__ = [
    "check_ridge_draw", "check_seed", "check_times", "draw_setup", "dynamics_setup", "generator", "mean_se",
    "positive_ints", "progress", "ridge_draw_bytes",
]
