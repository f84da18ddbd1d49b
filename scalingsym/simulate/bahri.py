"""Monte Carlo of Bahri et al.'s teacher-student model as they write it: a random projector, exact test error.

Checks :class:`scalingsym.models.bahri.BahriModel` (the deterministic equivalent on the ridge core).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.errors import ParameterError, check_size
from ..core.spectra import PowerLaw
from .draws import generator, mean_se


# ----------------------------------------------------------------------------- Monte Carlo -------
@dataclass
class BahriSimulation:
    """Monte-Carlo losses of Bahri's model: means and standard errors over seeds, per size."""

    sizes: np.ndarray
    loss_mean: np.ndarray
    loss_stderr: np.ndarray
    excess_mean: np.ndarray
    excess_stderr: np.ndarray
    limit_mean: float
    limit_stderr: float


def simulate_bahri(
    alpha_K: float,
    S_: int,
    *,
    P: Any = None,
    D: Any = None,
    seeds: int = 16,
    teachers: int = 32,
    seed: int = 0,
) -> BahriSimulation:
    """Seeded Monte-Carlo of Bahri's linear teacher-student model (exact test error, no test sampling).

    Exactly one of ``P`` and ``D`` is a scalar, the other a list of sizes:

    * ``P`` scalar, ``D`` list: per seed one projector ``(P x S)``; ``L(P)`` exactly from the
      infinite-data optimum (Bahri's eq. 1 per teacher) and ``L(D, P)`` by least squares on nested
      subsets of one ``max(D) x S`` sample (common random numbers); excess ``L(D, P) - L(P)``;
    * ``D`` scalar, ``P`` list: per seed one sample ``(D x S)``; ``L(D)`` from the minimum-norm
      interpolant on all ``S`` features (``P = inf``) and ``L(D, P)`` with nested projectors; excess
      ``L(D, P) - L(D)``.

    ``D = inf`` (with ``P`` a list) gives ``L(P)`` only; ``P = inf`` (with ``D`` a list) gives ``L(D)`` only
    (``loss_mean``; the excess fields are then zero).
    Teacher ``omega ~ N(0, 1/S)``; the test error is ``1/2 (beta - omega)^T Lambda (beta - omega)``.

    Examples
    --------
    >>> r = simulate_bahri(1.0, 200, P=10, D=[40, 80], seeds=3, teachers=4, seed=1)
    >>> r.excess_mean.shape
    (2,)
    """
    S_ = int(S_)
    check_size("S", S_)
    lam = PowerLaw(alpha=alpha_K, M=S_).eigenvalues()
    sq = np.sqrt(lam)
    rng = generator(seed)
    p_scalar = np.ndim(P) == 0
    sizes = np.atleast_1d(np.asarray(D if p_scalar else P, dtype=np.float64))
    fixed = float(P if p_scalar else D)
    if np.ndim(D) == 0 and np.ndim(P) == 0:
        raise ParameterError("give one of P and D as a list of sizes")
    for v in np.append(sizes, fixed):
        if not (math.isinf(v) or (v == int(v) and v > 0)):
            raise ParameterError(f"sizes must be positive integers or inf; got {v}")
    n_sz = sizes.size
    loss = np.zeros((seeds, n_sz))
    lim = np.zeros(seeds)

    def test_err(beta: np.ndarray, W: np.ndarray) -> float:
        return 0.5 * float(np.mean(np.sum(lam[:, None] * (beta - W) ** 2, axis=0)))

    def proj_limit(proj: np.ndarray, W: np.ndarray) -> float:
        """Infinite-data optimum on the features ``proj x`` (Bahri's eq. 1 for one teacher draw)."""
        pl = proj * lam
        return test_err(proj.T @ np.linalg.solve(pl @ proj.T, pl @ W), W)

    finite = sizes[np.isfinite(sizes)]
    for i in range(seeds):
        W = rng.standard_normal((S_, teachers)) / math.sqrt(S_)
        if math.isinf(fixed) and not p_scalar:  # D = inf: L(P) for each P (nested projectors)
            proj = rng.standard_normal((int(sizes.max()), S_))
            loss[i] = [proj_limit(proj[: int(p)], W) for p in sizes]
        elif math.isinf(fixed):  # P = inf: L(D) for each D (nested samples), min-norm on all S features
            X = rng.standard_normal((int(sizes.max()), S_)) * sq
            loss[i] = [test_err(np.linalg.lstsq(X[: int(d)], X[: int(d)] @ W, rcond=None)[0], W) for d in sizes]
        elif p_scalar:
            proj = rng.standard_normal((int(fixed), S_))
            lim[i] = proj_limit(proj, W)
            X = rng.standard_normal((int(finite.max()), S_)) * sq if finite.size else None
            for j, d in enumerate(sizes):
                if math.isinf(d):
                    loss[i, j] = lim[i]
                    continue
                Xd = X[: int(d)]
                th = np.linalg.lstsq(Xd @ proj.T, Xd @ W, rcond=None)[0]
                loss[i, j] = test_err(proj.T @ th, W)
        else:
            X = rng.standard_normal((int(fixed), S_)) * sq
            Y = X @ W
            lim[i] = test_err(np.linalg.lstsq(X, Y, rcond=None)[0], W)  # P = inf: min-norm on all features
            proj = rng.standard_normal((int(finite.max()) if finite.size else 1, S_))
            for j, p in enumerate(sizes):
                if math.isinf(p):
                    loss[i, j] = lim[i]
                    continue
                pr = proj[: int(p)]
                th = np.linalg.lstsq(X @ pr.T, Y, rcond=None)[0]
                loss[i, j] = test_err(pr.T @ th, W)
    lm, ls = mean_se(loss)
    em, es = mean_se(loss - lim[:, None])
    return BahriSimulation(sizes, lm, ls, em, es, float(lim.mean()), float(lim.std(ddof=1) / math.sqrt(seeds)))


__all__ = ["BahriSimulation", "simulate_bahri"]
