"""Monte-Carlo checks of the ``N <-> T`` duality: simulated pairs ``(N, T)``, ``(T, N)`` and the one-draw identity.

The symbolic side is :mod:`scalingsym.theory.duality`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..core.spectra import Spectrum
from ..core.tasks import Task
from .draws import generator
from .ridge import simulate_ridge


def monte_carlo_duality(
    spectrum: Spectrum, N: int, T: int, gamma: float, *, task: Task | None = None, seeds: int = 32, seed: int = 0,
    teachers: int = 8,
) -> dict:
    """Simulate ``(N, T)`` and ``(T, N)`` at the same ``gamma`` (same ``u_var``, hence same ``gamma_bar``).

    Returns both means, standard errors, the relative difference and ``z = |L1 - L2| / sqrt(se1^2 + se2^2)``.
    Independent seeds are used for the two members of the pair.
    """

    r1 = simulate_ridge(spectrum, N, T, gamma, seeds=seeds, seed=seed, task=task, teachers=teachers)
    r2 = simulate_ridge(spectrum, T, N, gamma, seeds=seeds, seed=seed + 7919, task=task, teachers=teachers)
    a, b = float(r1.loss_mean[0]), float(r2.loss_mean[0])
    sa, sb = float(r1.loss_stderr[0]), float(r2.loss_stderr[0])
    return {
        "N": N, "T": T, "gamma": gamma, "loss(N,T)": a, "se(N,T)": sa, "loss(T,N)": b, "se(T,N)": sb,
        "rel_diff": abs(a - b) / max(a, b), "z": abs(a - b) / math.hypot(sa, sb),
        "train(N,T)": float(r1.train_mean[0]), "train(T,N)": float(r2.train_mean[0]),
    }


def finite_size_identity(lam: Any, N: int, T: int, gamma_bar: float, seed: int = 0, w2: Any = None) -> tuple:
    """One draw: teacher-averaged test error with ``(V, W)`` and with ``V <-> W`` exchanged.

    ``E = w2-weighted tr[(KW + g)^-1 Lambda^{1/2} Omega Lambda^{1/2} (WK + g)^-1] g^2`` with
    ``Omega = diag(w2)`` (``w_var = 1``); equal to round-off for ``w2 = 1`` (isotropic), different otherwise.
    """
    lam = np.asarray(lam, dtype=np.float64)
    M = lam.size
    om = np.ones(M) if w2 is None else np.asarray(w2, dtype=np.float64)
    rng = generator(seed)
    H = rng.standard_normal((int(N), M))
    G = rng.standard_normal((int(T), M))
    V, W = H.T @ H, G.T @ G
    h = np.sqrt(lam)
    C = h * om * h  # teacher covariance of v = Lambda^{1/2} w

    def err(A, B):  # A plays V (features), B plays W (data)
        K = h[:, None] * A * h[None, :]
        R = np.linalg.solve(K @ B + gamma_bar * np.eye(M), np.eye(M))  # (KB + g)^-1
        return gamma_bar**2 * float(np.sum(R * R * C[None, :]))  # tr[R C R^T], C diagonal

    return err(V, W), err(W, V)


__all__ = ["finite_size_identity", "monte_carlo_duality"]
