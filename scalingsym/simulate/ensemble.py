"""Seeded Monte Carlo of ensembles of random-feature models (statics and gradient flow).

Per seed: one teacher and one training set (``data="same"``) or one training set per member
(``data="independent"``), and ``max(E)`` independent feature matrices. The ensemble of size ``E`` is
the average of the *first* ``E`` members' predictors, so every ``E`` is, marginally, exactly the
ensemble of that size, and the estimates for different ``E`` share their draws. The test loss is exact
(no test sampling).

* Statics: the conventions of :func:`scalingsym.simulate.ridge.simulate_ridge` (features ``u`` with
  ``Var = u_var``, teacher ``w ~ N(0, w_var w2_k)``, ridge ``gamma``, loss
  ``1/2 (beta - w)^T Lambda (beta - w)``), one teacher per seed.
* Gradient flow: the conventions of :func:`scalingsym.simulate.dynamics.simulate_dynamics` (deterministic
  teacher ``w*_k = sqrt(w2_k)``, ``A_ik ~ N(0, 1)``, exact SVD solution, loss ``v^T Lambda v``;
  ``P = inf`` means infinite data, where both data modes coincide).

Examples
--------
>>> from scalingsym.core.spectra import PowerLaw
>>> r = simulate_static_ensemble(PowerLaw(alpha=1, M=100), N=20, T=60, gamma=1e-3, E=[1, 2], seeds=3)
>>> r.loss_mean.shape
(2,)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.errors import ParameterError, check_ridge
from ..core.spectra import Spectrum
from ..core.tasks import Task
from .draws import check_times, draw_setup, dynamics_setup, generator, mean_se, positive_ints

__all__ = ["EnsembleSimulation", "simulate_static_ensemble", "simulate_dynamics_ensemble"]


@dataclass
class EnsembleSimulation:
    """``loss_mean[i, ...]`` and ``loss_stderr`` (over seeds) at ensemble size ``E[i]``."""

    E: np.ndarray
    loss_mean: np.ndarray
    loss_stderr: np.ndarray
    per_seed: np.ndarray
    data: str


def _sizes(E: Any) -> np.ndarray:
    Es = np.atleast_1d(np.asarray(E, dtype=np.float64)).ravel()
    if Es.size == 0 or np.any(~np.isfinite(Es)) or np.any(Es < 1) or np.any(Es != np.round(Es)):
        raise ParameterError(f"E must be positive integers for a simulation (inf is theory only); got {E!r}")
    if np.any(np.diff(Es) <= 0):
        raise ParameterError(f"E must be given in increasing order; got {E!r}")
    return Es.astype(np.int64)


def _data(data: str) -> str:
    if data not in ("same", "independent"):
        raise ParameterError(f"data must be 'same' or 'independent'; got {data!r}")
    return data


def simulate_static_ensemble(
    spectrum: Spectrum,
    N: int,
    T: int,
    gamma: float = 0.0,
    E: Any = (1, 2, 4, 8),
    *,
    data: str = "same",
    seeds: int = 16,
    seed: int = 0,
    task: Task | None = None,
    w_var: float | None = None,
    u_var: float | None = None,
) -> EnsembleSimulation:
    """Monte-Carlo test loss of the average of ``E`` ridge models (see module docstring)."""
    N, T, seeds = positive_ints(N=N, T=T, seeds=seeds)
    g = float(check_ridge("gamma", gamma))
    Es = _sizes(E)
    _data(data)
    lam, M, w_var, u_var, w2, sq = draw_setup(spectrum, task, w_var, u_var)
    rng = generator(seed)
    Emax = int(Es.max())
    per = np.empty((seeds, Es.size))
    for i in range(seeds):
        w = rng.standard_normal(M) * np.sqrt(w_var * w2)
        X = rng.standard_normal((T, M)) * sq
        acc = np.zeros(M)
        j = 0
        for e in range(1, Emax + 1):
            if data == "independent" and e > 1:
                X = rng.standard_normal((T, M)) * sq
            u = rng.standard_normal((N, M)) * math.sqrt(u_var)
            Phi = X @ u.T
            y = X @ w
            U, sv, Vt = np.linalg.svd(Phi, full_matrices=False)
            if g == 0:
                tol = sv.max(initial=0.0) * max(N, T) * np.finfo(np.float64).eps
                filt = np.where(sv > tol, 1.0 / np.where(sv > tol, sv, 1.0), 0.0)
            else:
                filt = sv / (sv**2 + g)
            acc += u.T @ (Vt.T @ (filt * (U.T @ y)))
            while j < Es.size and Es[j] == e:
                err = acc / e - w
                per[i, j] = 0.5 * float(np.sum(lam * err**2))
                j += 1
    mean, se = mean_se(per)
    return EnsembleSimulation(Es, mean, se, per, data)


def simulate_dynamics_ensemble(
    spectrum: Spectrum,
    task: Task | None,
    N: int,
    P: Any,
    t: Any,
    E: Any = (1, 2, 4, 8),
    *,
    data: str = "same",
    seeds: int = 16,
    seed: int = 0,
) -> EnsembleSimulation:
    """Monte-Carlo test-loss curves of the average of ``E`` gradient-flow models; shape ``(len(E), len(t))``."""
    if not spectrum.finite:
        raise ParameterError("simulation needs a finite spectrum (M < inf)")
    (N, seeds) = positive_ints(N=N, seeds=seeds)
    Pf = float(P)
    if not (math.isinf(Pf) and Pf > 0):
        (Pi,) = positive_ints(P=P)
    Es = _sizes(E)
    _data(data)
    tt = check_times(t)
    lam, M, w, sql = dynamics_setup(spectrum, task)
    rng = generator(seed)
    Emax = int(Es.max())
    per = np.empty((seeds, Es.size, tt.size))
    for i in range(seeds):
        Psi = None if math.isinf(Pf) else rng.standard_normal((Pi, M)) * sql
        acc = np.zeros((M, tt.size))
        j = 0
        for e in range(1, Emax + 1):
            if Psi is not None and data == "independent" and e > 1:
                Psi = rng.standard_normal((Pi, M)) * sql
            A = rng.standard_normal((N, M))
            if Psi is None:
                u0 = sql * w
                _, S, Vt = np.linalg.svd(A * sql / math.sqrt(N), full_matrices=False)
                c = Vt @ u0
                u = u0[:, None] - Vt.T @ (c[:, None] * (1.0 - np.exp(-np.outer(S**2, tt))))
                acc += u / np.where(sql > 0, sql, 1.0)[:, None]  # back to v = Lambda^{-1/2} u
            else:
                y = Psi @ w
                Phi = Psi @ A.T / math.sqrt(N)
                U, S, Vt = np.linalg.svd(Phi / math.sqrt(Pi), full_matrices=False)
                keep = S > S.max() * 1e-13
                U, S, Vt = U[:, keep], S[keep], Vt[keep]
                cc = U.T @ y / math.sqrt(Pi)
                theta = Vt.T @ ((cc / S)[:, None] * (1.0 - np.exp(-np.outer(S**2, tt))))
                acc += w[:, None] - A.T @ theta / math.sqrt(N)
            while j < Es.size and Es[j] == e:
                vbar = acc / e
                per[i, j] = np.sum(lam[:, None] * vbar**2, axis=0)
                j += 1
    mean, se = mean_se(per)
    return EnsembleSimulation(Es, mean, se, per, data)
