"""Seeded Monte-Carlo of the random-feature ridge model, exactly as in the canonical convention.

Per seed: draw ``u`` (``N x M``, ``Var = u_var``), ``T`` inputs ``x ~ N(0, Lambda)`` and ``teachers``
teacher vectors ``w`` (``Var = w_var * w2_k``); fit the ridge student (minimum-norm least squares at
``gamma = 0``) through one SVD of the ``T x N`` feature matrix, which serves every ridge at once and
is the dual (kernel) solve when ``N > T``; compute the exact test error
``1/2 (beta - w)^T Lambda (beta - w)`` with ``beta = u^T theta`` (no test sampling). Memory is
``O(N T + (N + T) M)``.

Examples
--------
>>> from scalingsym.core.spectra import PowerLaw
>>> res = simulate_ridge(PowerLaw(alpha=1, M=200), N=20, T=80, gamma=[0.0, 1e-3], seeds=4, seed=0)
>>> res.loss_mean.shape
(2,)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.errors import ParameterError, check_ridge, check_size
from ..core.spectra import Spectrum
from ..core.tasks import Task
from .draws import check_ridge_draw, draw_setup, generator, positive_ints, progress


@dataclass
class SimulationResult:
    """Monte-Carlo test loss per ridge: mean and standard error over seeds."""

    N: int
    T: int
    gamma: np.ndarray
    seeds: int
    loss_mean: np.ndarray
    loss_stderr: np.ndarray
    per_seed: np.ndarray  # (seeds, len(gamma))
    train_mean: np.ndarray


def simulate_ridge(
    spectrum: Spectrum,
    N: int,
    T: int,
    gamma: Any = 0.0,
    *,
    seeds: int = 16,
    seed: int = 0,
    teachers: int = 8,
    task: Task | None = None,
    w_var: float | None = None,
    u_var: float | None = None,
    quiet: bool = True,
    memory_budget: Any = None,
    noise: float = 0.0,
) -> SimulationResult:
    """Monte-Carlo estimate of the test loss of the ridge model (see module docstring).

    Parameters
    ----------
    spectrum : Spectrum
        Must be finite (``M < inf``).
    N, T : int
        Number of features and of training samples, positive integers.
    gamma : float or array_like
        Ridge(s) ``>= 0``; all are fitted from one SVD per seed.
    seeds : int
        Independent draws of ``(u, X)``; the standard error is over these.
    seed : int
        Seed of :func:`numpy.random.default_rng`.
    teachers : int
        Teacher vectors per draw (variance reduction; they share ``u`` and ``X``).
    noise : float
        Variance of independent Gaussian noise added to the training labels (seeded; drawn after the other
        arrays of a draw, so ``noise = 0`` reproduces the noiseless streams). The test error is against the
        noiseless target, as :class:`~scalingsym.models.ridge.RandomFeatureRidge` with ``noise``.
    memory_budget : int or str, optional
        Bytes a draw may use (default: :func:`scalingsym.core.budget.memory_budget`); a larger draw is refused
        up front with its estimate.
    """
    N, T, seeds, teachers = positive_ints(N=N, T=T, seeds=seeds, teachers=teachers)
    gam = np.atleast_1d(np.asarray(check_ridge("gamma", gamma), dtype=np.float64))
    noise = float(check_ridge("noise", noise))
    if spectrum.finite:
        check_ridge_draw(N, T, int(spectrum.M), teachers, memory_budget)
    lam, M, w_var, u_var, w2, sq = draw_setup(spectrum, task, w_var, u_var)
    rng = generator(seed)
    per = np.empty((seeds, gam.size))
    train = np.empty((seeds, gam.size))
    for i in progress(range(seeds), seeds, quiet):
        u = rng.standard_normal((N, M)) * math.sqrt(u_var)
        X = rng.standard_normal((T, M)) * sq  # rows x ~ N(0, Lambda)
        W = rng.standard_normal((M, teachers)) * np.sqrt(w_var * w2)[:, None]
        Phi = X @ u.T  # T x N
        Y = X @ W  # T x teachers
        if noise > 0:
            Y = Y + math.sqrt(noise) * rng.standard_normal(Y.shape)
        U, sv, Vt = np.linalg.svd(Phi, full_matrices=False)
        UtY = U.T @ Y
        tol = sv.max(initial=0.0) * max(N, T) * np.finfo(np.float64).eps
        uV = u.T @ Vt.T  # M x r
        for j, g in enumerate(gam):
            if g == 0:
                with np.errstate(divide="ignore"):
                    filt = np.where(sv > tol, 1.0 / np.where(sv > tol, sv, 1.0), 0.0)
            else:
                filt = sv / (sv**2 + g)
            beta = uV @ (filt[:, None] * UtY)  # M x teachers
            err = beta - W
            per[i, j] = 0.5 * np.mean(np.sum(lam[:, None] * err**2, axis=0))
            resid = Phi @ (Vt.T @ (filt[:, None] * UtY)) - Y
            train[i, j] = 0.5 * np.mean(np.sum(resid**2, axis=0))
    mean = per.mean(axis=0)
    se = per.std(axis=0, ddof=1) / math.sqrt(seeds) if seeds > 1 else np.full(gam.size, np.inf)
    return SimulationResult(N, T, gam, seeds, mean, se, per, train.mean(axis=0))


@dataclass
class NestedSimulationResult:
    """Monte-Carlo test loss for nested feature counts: arrays of shape ``(len(N), len(gamma))``."""

    N: np.ndarray
    T: int
    gamma: np.ndarray
    seeds: int
    loss_mean: np.ndarray
    loss_stderr: np.ndarray
    per_seed: np.ndarray  # (seeds, len(N), len(gamma))
    train_mean: np.ndarray


def simulate_ridge_nested_N(
    spectrum: Spectrum,
    N: Any,
    T: int,
    gamma: Any = 1e-3,
    *,
    seeds: int = 16,
    seed: int = 0,
    teachers: int = 8,
    task: Task | None = None,
    w_var: float | None = None,
    u_var: float | None = None,
) -> NestedSimulationResult:
    """Monte-Carlo of the ridge model for several feature counts ``N`` that share their draws.

    Per seed one draw of ``u`` (``max(N) x M``), ``X`` and the teachers serves every ``N``: the model with
    ``N`` features uses the first ``N`` rows of ``u``, so its Gram matrix ``Phi_N^T Phi_N + gamma I`` is the
    leading ``N x N`` block of the one for ``max(N)``, and the Cholesky factor of a leading block is the
    leading block of the Cholesky factor. One factorisation per ridge therefore serves all ``N``
    (two triangular solves each). Each ``N`` is, marginally, exactly the model of
    :func:`simulate_ridge` (same convention); across ``N`` the estimates are correlated (common draws),
    which makes differences in ``N`` more precise. Needs ``gamma > 0``. Memory
    ``O(N T + N^2 + (N + T) M)`` with ``N = max(N)``.

    Examples
    --------
    >>> from scalingsym.core.spectra import PowerLaw
    >>> res = simulate_ridge_nested_N(PowerLaw(alpha=1, M=200), N=[10, 20, 40], T=80, gamma=1e-2, seeds=3)
    >>> res.loss_mean.shape
    (3, 1)
    """
    from scipy.linalg import cho_factor, solve_triangular

    Ns = np.atleast_1d(np.asarray(check_size("N", N), dtype=np.float64))
    if np.any(Ns != np.round(Ns)):
        raise ParameterError(f"N must be positive integers; got {N}")
    Ns = Ns.astype(np.int64)
    T, seeds, teachers = positive_ints(T=T, seeds=seeds, teachers=teachers)
    gam = np.atleast_1d(np.asarray(check_ridge("gamma", gamma), dtype=np.float64))
    if np.any(gam <= 0):
        raise ParameterError("gamma must be > 0 for the nested-N solve (the Gram matrix must be positive definite)")
    if spectrum.finite:
        check_ridge_draw(int(Ns.max()), T, int(spectrum.M), teachers)
    lam, M, w_var, u_var, w2, sq = draw_setup(spectrum, task, w_var, u_var)
    Nmax = int(Ns.max())
    rng = generator(seed)
    per = np.empty((seeds, Ns.size, gam.size))
    train = np.empty((seeds, Ns.size, gam.size))
    for i in range(seeds):
        u = rng.standard_normal((Nmax, M)) * math.sqrt(u_var)
        X = rng.standard_normal((T, M)) * sq
        W = rng.standard_normal((M, teachers)) * np.sqrt(w_var * w2)[:, None]
        Phi = X @ u.T  # T x Nmax
        Y = X @ W
        G = Phi.T @ Phi
        B = Phi.T @ Y  # Nmax x teachers
        for j, g in enumerate(gam):
            L, _ = cho_factor(G + g * np.eye(Nmax), lower=True)
            for a, n in enumerate(Ns):
                Ln = L[:n, :n]
                z = solve_triangular(Ln, B[:n], lower=True, check_finite=False)
                theta = solve_triangular(Ln.T, z, lower=False, check_finite=False)
                err = u[:n].T @ theta - W
                per[i, a, j] = 0.5 * np.mean(np.sum(lam[:, None] * err**2, axis=0))
                resid = Phi[:, :n] @ theta - Y
                train[i, a, j] = 0.5 * np.mean(np.sum(resid**2, axis=0))
    mean = per.mean(axis=0)
    se = per.std(axis=0, ddof=1) / math.sqrt(seeds) if seeds > 1 else np.full(mean.shape, np.inf)
    return NestedSimulationResult(Ns, T, gam, seeds, mean, se, per, train.mean(axis=0))
