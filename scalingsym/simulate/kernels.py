"""Kernel ridge(less) regression Monte Carlo on uniform points of the torus, exact test error by Parseval.

Checks :func:`scalingsym.models.kernels.torus_krr_theory`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.errors import ParameterError, check_size
from ..models.kernels import TorusMatern
from .draws import generator


# ----------------------------------------------------------------------------- Monte Carlo -------
@dataclass
class KRRSimulation:
    """Monte-Carlo kernel regression test loss per sample size (mean and standard error over seeds)."""

    D: np.ndarray
    loss_mean: np.ndarray
    loss_stderr: np.ndarray
    per_seed: np.ndarray


def simulate_torus_krr(
    kern: TorusMatern,
    D: Any,
    *,
    ridge: float = 0.0,
    seeds: int = 8,
    teachers: int = 16,
    seed: int = 0,
    method: str = "auto",
) -> KRRSimulation:
    """Seeded kernel ridge(less) regression on uniform points of the torus, exact test error.

    Per seed: ``max(D)`` uniform points on ``[0, 2 pi)^d`` (nested subsets serve the smaller ``D``),
    ``teachers`` functions ``f = sum_a w_a sqrt(lambda_a) psi_a`` with ``w_a ~ N(0, 1/S)`` (a sample of the
    kernel's Gaussian process scaled by ``1/S``), the kernel interpolant (``ridge = 0``) or ridge solution
    ``alpha = (K + ridge I)^-1 y``, and the test loss ``1/2 E_x (f_hat - f)^2 = 1/2 sum_a lambda_a (beta_a - w_a)^2``
    (Parseval; no test sampling). Objective ``1/2 sum (f_hat - y)^2 + ridge/2 |beta|^2``.
    ``method``: ``"svd"`` (SVD of the ``D x S`` feature matrix; best conditioned), ``"gram"`` (eigenvectors of
    the ``D x D`` Gram matrix; faster for large ``S``, adequate when the spectrum decays slowly) or ``"auto"``
    (``"gram"`` for ``d >= 2``).

    Examples
    --------
    >>> r = simulate_torus_krr(TorusMatern(1, 2, 20), [4, 8], seeds=2, teachers=2)
    >>> bool(r.loss_mean[1] < r.loss_mean[0])
    True
    """
    Ds = np.atleast_1d(np.asarray(D, dtype=np.float64))
    for v in Ds:
        check_size("D", v)
        if v != int(v):
            raise ParameterError(f"D must be positive integers; got {v}")
    if not math.isfinite(ridge) or ridge < 0:
        raise ParameterError(f"ridge must be a finite number >= 0; got {ridge}")
    if method not in ("auto", "svd", "gram"):
        raise ParameterError(f"method must be 'auto', 'svd' or 'gram'; got {method!r}")
    use_gram = method == "gram" or (method == "auto" and kern.d >= 2)
    lam = kern.eigenvalues()
    sq = np.sqrt(lam)
    S_ = lam.size
    Dmax = int(Ds.max())
    rng = generator(seed)
    per = np.empty((seeds, Ds.size))
    for i in range(seeds):
        x = rng.uniform(0.0, 2 * math.pi, size=(Dmax, kern.d))
        Phi = kern.features(x) * sq  # Dmax x S
        W = rng.standard_normal((S_, teachers)) / math.sqrt(S_)
        Y = Phi @ W
        K = Phi @ Phi.T if use_gram else None
        for j, dd in enumerate(Ds.astype(int)):
            if use_gram:  # eigenvectors of the Gram matrix give the same SVD at cost D^3 instead of D^2 S
                ev, U = np.linalg.eigh(K[:dd, :dd])
                ev = np.maximum(ev, 0.0)
                sv = np.sqrt(ev)
                keep = sv > sv.max() * max(dd, S_) * np.finfo(np.float64).eps * 1e3
                Vt = np.where(keep, 1.0 / np.where(keep, sv, 1.0), 0.0)[:, None] * (U.T @ Phi[:dd])
            else:  # SVD of the feature matrix (condition number sqrt of the Gram matrix's)
                U, sv, Vt = np.linalg.svd(Phi[:dd], full_matrices=False)
            if ridge > 0:
                filt = sv / (sv**2 + ridge)
            else:
                keep = sv > sv.max() * max(dd, S_) * np.finfo(np.float64).eps
                filt = np.where(keep, 1.0 / np.where(keep, sv, 1.0), 0.0)
            beta = Vt.T @ (filt[:, None] * (U.T @ Y[:dd]))
            per[i, j] = 0.5 * float(np.mean(np.sum(lam[:, None] * (beta - W) ** 2, axis=0)))
    se = per.std(axis=0, ddof=1) / math.sqrt(seeds) if seeds > 1 else np.full(Ds.size, np.inf)
    return KRRSimulation(Ds, per.mean(axis=0), se, per)


__all__ = ["KRRSimulation", "simulate_torus_krr"]
