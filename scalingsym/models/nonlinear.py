"""Nonlinear random features ``phi_j = sigma(u_j . x)`` on power-law latent data: spectra and learning curves.

Setting (``static_rf_ridge.md`` A, B8): latent ``x ~ N(0, Lambda)``, ``lambda_I = I^-(1+alpha)``, ``I = 1..M``;
``N`` features ``phi_j = sigma(a_j)``, ``a = U x`` with ``U_jI ~ N(0, 1/tr Lambda)`` (pre-activation variance
``q_j = (U Lambda U^T)_jj ~ 1``); linear teacher ``y = w . x``, ``w ~ N(0, w_var)``.

Feature second moments, for fixed ``U`` (the only randomness left is ``x``):

* **exact** ReLU: the arc-cosine kernel (Cho-Saul), ``E[relu(a_j) relu(a_k)] = sqrt(q_j q_k)/(2 pi)
  (sin t + (pi - t) cos t)`` with ``cos t = Sigma_jk / sqrt(q_j q_k)``, ``Sigma = U Lambda U^T``;
* any activation by its Hermite (Mehler) series, ``sum_k c_jk c_lk rho_jl^k`` with per-feature normalised
  Hermite coefficients (the diagonal is computed directly);
* the **Gaussian-equivalent** (GE) model keeps the orders ``k = 0, 1`` and replaces the rest by independent
  noise of variance ``mu_star_j^2``: ``c_0 c_0^T + c_1 c_1^T o rho + diag(mu_star^2)``.

The cross moment is exact for every activation by Stein's lemma: ``E[phi_j x] = Lambda u_j E[sigma'(a_j)]``
``= Lambda u_j c_j1 / sqrt(q_j)``.

Learning curves: regression of ``y`` on ``phi`` with ``T`` samples (ridge or ridgeless, no intercept) is the
core model with latent spectrum = the eigenvalues of ``E[phi phi^T]``, ``N_core = inf`` and ``T`` samples,
teacher weights from the projection of ``y`` on ``phi`` and label noise from the part of ``y`` outside the span
of ``phi`` (:func:`learning_curve_theory`). That treats the features as Gaussian with the given covariance
(a proposal, ``static_rf_ridge.md`` B8), and is checked against
:func:`scalingsym.simulate.nonlinear.simulate_learning_curve`.

Measured (``derivations/bahri_regimes.py``, ReLU, ``M = 20``, ``N = 60``, ``T = 15..480``): with the exact
feature covariance the prediction is within 1-13% of the simulation; with the Gaussian-equivalent covariance it
overestimates the loss by 26% at ``T = 15`` and by about 3x for ``T >= 75``. At small latent dimension the
higher Hermite orders are not independent noise; use ``kind="exact"`` there.

Examples
--------
>>> prob = NonlinearFeatures(M=20, N=40, alpha=1.0, activation="relu", seed=0)
>>> ev = prob.spectrum()
>>> int(np.sum(ev > 1e-10 * ev[0])) > 20  # ReLU features are not confined to the M latent directions
True
"""

from __future__ import annotations

import math
from functools import cached_property
from typing import Any

import numpy as np
import sympy as sp

from ..core.errors import ParameterError, check_size
from ..core.spectra import ArraySpectrum, PowerLaw
from ..core.tasks import Task
from .activations import activation_expr, z
from .ridge import RandomFeatureRidge


def relu_second_moment(Sigma: np.ndarray) -> np.ndarray:
    """Exact ``E[relu(a) relu(a)^T]`` for ``a ~ N(0, Sigma)`` (arc-cosine kernel of degree 1).

    >>> float(relu_second_moment(np.array([[1.0]]))[0, 0])  # E[relu(z)^2] = 1/2
    0.5
    """
    q = np.sqrt(np.diag(Sigma))
    c = np.clip(Sigma / np.outer(q, q), -1.0, 1.0)
    t = np.arccos(c)
    return np.outer(q, q) / (2 * math.pi) * (np.sin(t) + (math.pi - t) * c)


def _hermite_table(fn, q: np.ndarray, order: int, nodes: int = 160) -> tuple[np.ndarray, np.ndarray]:
    """Normalised Hermite coefficients ``c[j, k] = E[sigma(sqrt(q_j) t) He_k(t)] / sqrt(k!)`` and ``E[sigma^2]``."""
    x, w = np.polynomial.hermite_e.hermegauss(nodes)
    w = w / math.sqrt(2 * math.pi)
    vals = np.asarray(fn(np.sqrt(q)[:, None] * x[None, :]), dtype=np.float64) * np.ones((q.size, x.size))
    he = np.stack(
        [np.polynomial.hermite_e.hermeval(x, [0] * k + [1]) / math.sqrt(math.factorial(k)) for k in range(order + 1)]
    )
    return (vals * w) @ he.T, (vals**2) @ w


class NonlinearFeatures:
    """Random features ``sigma(U x)`` of power-law latent data, with a fixed draw of ``U`` (see module docstring).

    Parameters
    ----------
    M, N : int
        Latent dimension and number of features.
    alpha : float
        Latent exponent, ``lambda_I = I^-(1+alpha)``.
    activation : str or sympy.Expr
        A name from :data:`scalingsym.models.activations.ACTIVATIONS` or an expression in ``z``.
    seed : int
        Seed of :func:`numpy.random.default_rng` for ``U``.
    order : int
        Hermite order of the series for non-ReLU activations.
    """

    def __init__(self, M: int, N: int, alpha: float, activation: Any = "relu", seed: int = 0, order: int = 24) -> None:
        for name, v in (("M", M), ("N", N)):
            check_size(name, v)
            if int(v) != v:
                raise ParameterError(f"{name} must be a positive integer; got {v}")
        self.M, self.N, self.alpha = int(M), int(N), float(alpha)
        self.lam = PowerLaw(alpha=alpha, M=M).eigenvalues()
        self.name = activation if isinstance(activation, str) else str(activation)
        if isinstance(activation, str):
            from .activations import ACTIVATIONS

            self.expr = (
                activation_expr(name=activation) if activation in ACTIVATIONS else activation_expr(expr=activation)
            )
        else:
            self.expr = activation_expr(expr=activation)
        self.is_relu = sp.simplify(self.expr - sp.Max(0, z)) == 0
        self.is_linear = sp.simplify(self.expr - z) == 0
        self.order = int(order)
        rng = np.random.default_rng(seed)
        self.U = rng.standard_normal((self.N, self.M)) / math.sqrt(self.lam.sum())
        self._fn = sp.lambdify(z, self.expr, ["scipy", "numpy"])

    def features(self, X: np.ndarray) -> np.ndarray:
        """``sigma(X U^T)`` for latent samples ``X`` (``T x M``)."""
        return np.asarray(self._fn(X @ self.U.T), dtype=np.float64) * np.ones((X.shape[0], self.N))

    @cached_property
    def Sigma(self) -> np.ndarray:
        """Pre-activation covariance ``U Lambda U^T``."""
        return (self.U * self.lam) @ self.U.T

    @cached_property
    def _herm(self) -> tuple[np.ndarray, np.ndarray]:
        return _hermite_table(self._fn, np.diag(self.Sigma).copy(), self.order)

    @cached_property
    def second_moment(self) -> np.ndarray:
        """Exact (ReLU, linear) or Hermite-series ``E[phi phi^T]`` (uncentred), ``N x N``."""
        if self.is_relu:
            return relu_second_moment(self.Sigma)
        if self.is_linear:
            return self.Sigma.copy()
        c, m2 = self._herm
        q = np.sqrt(np.diag(self.Sigma))
        rho = self.Sigma / np.outer(q, q)
        out = np.zeros_like(rho)
        rk = np.ones_like(rho)
        for k in range(c.shape[1]):
            out += np.outer(c[:, k], c[:, k]) * rk
            rk = rk * rho
        np.fill_diagonal(out, m2)
        return out

    @cached_property
    def ge_second_moment(self) -> np.ndarray:
        """Gaussian-equivalent ``E[phi phi^T]``: orders 0 and 1 exactly, the rest as independent noise."""
        c, m2 = self._herm
        q = np.sqrt(np.diag(self.Sigma))
        rho = self.Sigma / np.outer(q, q)
        out = np.outer(c[:, 0], c[:, 0]) + np.outer(c[:, 1], c[:, 1]) * rho
        np.fill_diagonal(out, m2)  # c0^2 + c1^2 + mu_star^2
        return out

    @cached_property
    def cross_moment(self) -> np.ndarray:
        """``E[phi x^T] = diag(c_1/sqrt q) U Lambda`` (Stein's lemma; exact), ``N x M``."""
        c, _ = self._herm
        q = np.sqrt(np.diag(self.Sigma))
        return (c[:, 1] / q)[:, None] * (self.U * self.lam)

    def spectrum(self, kind: str = "exact", centred: bool = True) -> np.ndarray:
        """Eigenvalues (descending) of the feature covariance ``/N`` (``kind`` = ``"exact"`` or ``"ge"``).

        ``centred`` subtracts the mean outer product (removes the ``mu_0`` spike).
        """
        if kind not in ("exact", "ge"):
            raise ParameterError(f"kind must be 'exact' or 'ge'; got {kind!r}")
        C = self.second_moment if kind == "exact" else self.ge_second_moment
        if centred:
            mean = self._herm[0][:, 0] if not self.is_relu else np.sqrt(np.diag(self.Sigma) / (2 * math.pi))
            C = C - np.outer(mean, mean)
        ev = np.linalg.eigvalsh(C / self.N)[::-1]
        return np.maximum(ev, 0.0)


def power_law_extent(ev: np.ndarray, alpha: float, fit_range: tuple[int, int], factor: float = 10.0) -> dict:
    """Extent of the power law in a descending spectrum.

    Fit ``log ev_k = log c - e log k`` on ``k`` in ``fit_range`` (1-based, inclusive); the extent is the largest
    ``k`` up to which every eigenvalue stays within ``factor`` of the fitted line. Also returns the exponent
    fitted between ``fit_range[1]`` and half the extent (the continuation), or ``None`` if too short.

    >>> k = np.arange(1, 101.0)
    >>> power_law_extent(np.where(k <= 50, k**-2.0, 1e-30), 1.0, (2, 20))["extent"]
    50
    """
    ev = np.asarray(ev, dtype=np.float64)
    k = np.arange(1, ev.size + 1, dtype=np.float64)
    a, b = fit_range
    sel = slice(a - 1, b)
    pos = ev[sel] > 0
    coef = np.polyfit(np.log(k[sel][pos]), np.log(ev[sel][pos]), 1)
    line = np.exp(np.polyval(coef, np.log(k)))
    with np.errstate(divide="ignore"):
        ok = (ev > line / factor) & (ev < line * factor)
    bad = np.nonzero(~ok[b:])[0]
    extent = int(b + bad[0]) if bad.size else int(ev.size)
    cont = None
    hi = extent // 2
    if hi >= 2 * b:
        s2 = slice(b - 1, hi)
        cont = float(-np.polyfit(np.log(k[s2]), np.log(np.maximum(ev[s2], 1e-300)), 1)[0])
    return {
        "head_exponent": float(-coef[0]),
        "extent": extent,
        "continuation_exponent": cont,
        "latent_exponent": 1.0 + alpha,
    }


# ----------------------------------------------------------------------------- learning curves ---
def learning_curve_theory(
    feats: NonlinearFeatures, T: Any, ridge: float = 0.0, kind: str = "ge", w_var: float | None = None
) -> np.ndarray:
    """Deterministic-equivalent test loss ``1/2 E (theta.phi - y)^2`` of ridge(less) regression on ``phi``.

    With ``C = E[phi phi^T] = V diag(c) V^T`` (``kind`` = ``"ge"`` or ``"exact"``) and ``B = E[phi x^T]``, the
    best linear predictor has mode weights ``w2_k = |B^T V_k|^2 / c_k^2`` (per unit ``w_var``) and leaves the
    residual ``sigma^2 = w_var (tr Lambda - sum_k |B^T V_k|^2 / c_k)``. The loss is the core's
    ``RandomFeatureRidge(ArraySpectrum(c), Task.array(w2))`` at ``N = inf``, ``T``, ``s = ridge/T`` plus the
    noise term ``sigma^2 / (2 (1 - d2/T))`` (``d2`` at the same ``rho``; ``d2 = N`` when ``rho = 0``).
    Leading order in ``1/T``; assumes Gaussian features (the Gaussian-equivalence hypothesis).
    """
    if kind not in ("exact", "ge"):
        raise ParameterError(f"kind must be 'exact' or 'ge'; got {kind!r}")
    wv = 1.0 / feats.M if w_var is None else float(w_var)
    C = feats.second_moment if kind == "exact" else feats.ge_second_moment
    c, V = np.linalg.eigh(C)
    keep = c > c.max() * 1e-13
    c, V = c[keep], V[:, keep]
    g = np.sum((V.T @ feats.cross_moment) ** 2, axis=1)  # |B^T V_k|^2
    w2 = g / c**2
    sig2 = wv * max(float(feats.lam.sum() - np.sum(g / c)), 0.0)
    spec = ArraySpectrum(c)
    model = RandomFeatureRidge(spec, task=Task.array(w2), w_var=wv, u_var=1.0)
    Ts = np.atleast_1d(np.asarray(check_size("T", T), dtype=np.float64))
    sol = model.solve_normalised(math.inf, Ts, ridge / Ts)
    rho = np.atleast_1d(sol.rho)
    d2 = np.where(rho > 0, np.atleast_1d(sol.d2), float(c.size))
    with np.errstate(divide="ignore"):
        noise = np.where(d2 < Ts, sig2 / 2 / (1 - d2 / Ts), np.inf)
    out = np.atleast_1d(sol.loss) + noise
    return out if np.ndim(T) else float(out[0])




