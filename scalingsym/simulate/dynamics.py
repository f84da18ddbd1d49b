"""Seeded Monte-Carlo of gradient flow / gradient descent in the BAP random-feature model.

Conventions (``dynamics_and_regimes.md`` A1, "reference simulation"): ``M`` modes, rows of
``Psi in R^{P x M}`` drawn from ``N(0, Lambda)``; teacher ``y = Psi w*`` with the deterministic weights
``w*_k = sqrt(w2_k)`` of the task; features ``Phi = Psi A^T / sqrt(N)``, ``A_ik ~ N(0, 1)``; gradient
flow ``d theta/dt = -Phi^T (Phi theta - y) / P`` from ``theta = 0`` (the gradient of
``(1/2P)|Phi theta - y|^2``). Error vector ``v = w* - A^T theta / sqrt(N)``; test loss
``v^T Lambda v``, train loss ``|Psi v|^2 / P``. ``N = inf`` means ``F = A^T A/N = I``;
``P = inf`` means ``Sigma_hat = Lambda`` (online / infinite data; the train loss is then the test loss).

The solution is exact (no time stepping): with the SVD ``Phi/sqrt(P) = U S V^T``,
``theta(t) = V diag((1 - e^{-S^2 t}) / S) U^T y / sqrt(P)``; gradient descent with step ``eta`` replaces
``e^{-S^2 t}`` by ``(1 - eta S^2)^n`` with ``n = round(t / eta)`` steps.

Examples
--------
>>> import numpy as np
>>> from scalingsym.core.spectra import PowerLaw
>>> from scalingsym.core.tasks import Task
>>> res = simulate_dynamics(PowerLaw(alpha=0.5, M=50), Task.power(0.5), N=20, P=40, t=[0.0, 10.0], seeds=2)
>>> bool(np.isclose(res.test_mean[0], sum(k**-2.0 for k in range(1, 51))))
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.budget import require_memory
from ..core.errors import ParameterError, check_noise
from ..core.spectra import Spectrum
from ..core.tasks import Task
from .draws import check_times, dynamics_draw_bytes, dynamics_setup, generator

__all__ = ["simulate_dynamics", "DynamicsSimulation"]


@dataclass
class DynamicsSimulation:
    """Seed-averaged loss curves; ``*_stderr`` is the standard error over seeds."""

    t: np.ndarray
    test_mean: np.ndarray
    test_stderr: np.ndarray
    train_mean: np.ndarray
    train_stderr: np.ndarray
    per_seed_test: np.ndarray
    per_seed_train: np.ndarray


def _decay(sq: np.ndarray, t: np.ndarray, step: float | None) -> np.ndarray:
    """``e^{-S^2 t}`` (gradient flow) or ``(1 - eta S^2)^round(t/eta)`` (gradient descent), shape (len(S), nt)."""
    if step is None:
        return np.exp(-np.outer(sq, t))
    n = np.rint(t / step)
    return (1.0 - step * sq)[:, None] ** n[None, :]


def _size(name: str, v: Any) -> float:
    x = float(v)
    if math.isinf(x) and x > 0:
        return x
    if not (x > 0 and x == int(x)):
        raise ParameterError(f"{name} must be a positive integer or inf for a simulation; got {v}")
    return x


def simulate_dynamics(
    spectrum: Spectrum,
    task: Task | None,
    N: Any,
    P: Any,
    t: Any,
    *,
    seeds: int = 16,
    seed: int = 0,
    step: float | None = None,
    noise: float = 0.0,
    test_noise: bool = False,
) -> DynamicsSimulation:
    """Monte-Carlo test and train loss curves of gradient flow (or descent, ``step = eta``).

    Parameters
    ----------
    spectrum : Spectrum
        Finite spectrum.
    task : Task or None
        Teacher ``w2_k`` (``w*_k = sqrt(w2_k)``, deterministic); None is isotropic.
    N, P : int or inf
        Model size and number of training points.
    t : array_like
        Times ``>= 0``.
    seeds : int
        Independent draws of ``(A, Psi)``.
    seed : int
        Seed of :func:`numpy.random.default_rng`.
    step : float, optional
        Gradient-descent step ``eta``; None is gradient flow. Must satisfy ``eta S_max^2 < 2`` for every
        draw (else ParameterError: the iteration diverges).
    noise : float
        Variance of independent Gaussian label noise on the ``P`` training labels (drawn after ``Psi`` from
        the same generator; ``noise = 0`` draws nothing, so noiseless runs keep their bytes). The train loss
        is against the noisy labels; at ``P = inf`` (population flow) the noise averages out of the
        dynamics and only enters the train loss as ``+ noise``.
    test_noise : bool
        Add ``noise`` to the test loss (noisy test labels); default: against the noiseless target.
    """
    if not spectrum.finite:
        raise ParameterError("simulation needs a finite spectrum (M < inf)")
    N, P = _size("N", N), _size("P", P)
    if int(seeds) != seeds or seeds < 1:
        raise ParameterError(f"seeds must be a positive integer; got {seeds}")
    if step is not None and not (math.isfinite(step) and step > 0):
        raise ParameterError(f"step must be a finite number > 0; got {step}")
    tt = check_times(t)
    var = check_noise(noise)
    lam, M, w, sql = dynamics_setup(spectrum, task)
    require_memory(
        dynamics_draw_bytes(N, P, M, tt.size), f"a gradient-flow draw at N = {N:g}, P = {P:g}, M = {M}",
        hint="use smaller N, P or M, or fewer times",
    )
    rng = generator(seed)
    test = np.empty((int(seeds), tt.size))
    train = np.empty_like(test)
    for i in range(int(seeds)):
        A = None if math.isinf(N) else rng.standard_normal((int(N), M))
        Psi = None if math.isinf(P) else rng.standard_normal((int(P), M)) * sql
        if Psi is None:
            # u = Lambda^{1/2} v obeys du/dt = -B^T B u with B = A Lambda^{1/2}/sqrt(N) (B = Lambda^{1/2} at N = inf)
            u0 = sql * w
            if A is None:
                u = u0[:, None] * _decay(lam, tt, step)
            else:
                _, S, Vt = np.linalg.svd(A * sql / math.sqrt(N), full_matrices=False)
                _check_step(S, step)
                c = Vt @ u0
                u = u0[:, None] - Vt.T @ (c[:, None] * (1.0 - _decay(S**2, tt, step)))
            test[i] = np.sum(u**2, axis=0)
            train[i] = test[i] + var
            continue
        eps = rng.standard_normal(int(P)) * math.sqrt(var) if var else 0.0
        y = Psi @ w + eps
        Phi = Psi if A is None else Psi @ A.T / math.sqrt(N)
        U, S, Vt = np.linalg.svd(Phi / math.sqrt(P), full_matrices=False)
        _check_step(S, step)
        keep = S > S.max() * 1e-13
        U, S, Vt = U[:, keep], S[keep], Vt[keep]
        c = U.T @ y / math.sqrt(P)
        theta = Vt.T @ ((c / S)[:, None] * (1.0 - _decay(S**2, tt, step)))
        v = w[:, None] - (theta if A is None else A.T @ theta / math.sqrt(N))
        test[i] = np.sum(lam[:, None] * v**2, axis=0)
        train[i] = np.sum((Psi @ v + (eps[:, None] if var else 0.0)) ** 2, axis=0) / P
    if test_noise:
        test += var
    se = lambda x: x.std(axis=0, ddof=1) / math.sqrt(x.shape[0]) if x.shape[0] > 1 else np.zeros(x.shape[1])  # noqa: E731
    return DynamicsSimulation(tt, test.mean(0), se(test), train.mean(0), se(train), test, train)


def _check_step(S: np.ndarray, step: float | None) -> None:
    if step is not None and step * float(S.max()) ** 2 >= 2.0:
        raise ParameterError(
            f"gradient descent diverges: step * S_max^2 = {step * float(S.max()) ** 2:.3g} >= 2; lower the step"
        )
