"""Optimal ridge and compute allocation for the random-feature ridge model (static_rf_ridge.md B6-B7).

* :func:`derive_optimal_d`: the power-law continuum optimum. With ``rho = lambda_plus (A/d)^(1+alpha)``,
  ``d1 - d2 = d/(1+alpha)`` and (B1a) for ``gamma_bar``, (B1b) is ``L ∝ d^-alpha / D(d)`` with
  ``D = (N-d)(T-d) + d (N+T-2d)/(1+alpha)``; ``d/dd log L = 0`` is the quadratic
  ``(alpha-1)(alpha+2) d^2 - alpha(1+alpha)(N+T) d + alpha(1+alpha) N T = 0`` (derived here with sympy);
* :func:`optimal_ridge_alpha1`: the exact continuum identities at ``alpha = 1``: ``d* = N T/(N+T)``,
  ``gamma_bar* = pi^2 lambda_plus / 4``, ``L* = w_var/2 pi^2/4 lambda_plus (1/N + 1/T)``;
* :func:`optimal_ridge`: the numerical optimum for any spectrum (1-D minimisation in ``log gamma`` of the
  full deterministic-equivalent loss);
* allocation at fixed ``C = N T``: :func:`equiparameterized_optimum` (``N = T``, ``L* ∝ C^(-alpha/2)``),
  :func:`ridgeless_allocation` (``n/m = alpha/(2+alpha)``), :func:`optimal_allocation` (numerical).

Examples
--------
>>> sols = optimal_ridge_alpha1()
>>> sols["gamma_bar"].expr
pi**2*lambda_plus/4
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp
from scipy import optimize

from ..core import symbols as S
from ..core.errors import ConvergenceError, ParameterError, check_size
from ..core.expressions import to_sympy
from ..core.result import Result
from ..models.ridge import LOSS_B1B, RandomFeatureRidge
from .spectral import A_alpha

_d = sp.Symbol("d", positive=True)
_t = sp.Symbol("t", positive=True)
_r = sp.Symbol("r", positive=True)


def _continuum_loss(alpha: sp.Expr = S.alpha) -> sp.Expr:
    """(B1b) on the power-law continuum as a function of ``d = d1`` (``rho = lambda_plus (A/d)^(1+alpha)``)."""
    A = A_alpha(alpha)
    rho = S.lambda_plus * (A / _d) ** (1 + alpha)
    return LOSS_B1B.subs({S.d2: _d * alpha / (1 + alpha)}).subs({S.d1: _d, S.rho: rho})


def derive_optimal_d(alpha: Any = S.alpha) -> Result:
    """The quadratic for the optimal ``d* = d1`` (power law, ``M = oo`` continuum), derived with sympy.

    Examples
    --------
    >>> derive_optimal_d().expr
    alpha*(alpha + 1)*(N*T - N*d - T*d) + d**2*(alpha - 1)*(alpha + 2)
    """
    alpha = to_sympy(alpha, "alpha")
    L = _continuum_loss(alpha)
    num = sp.numer(sp.together(sp.diff(sp.expand_log(sp.log(L), force=True), _d)))
    # the stationarity condition is num = 0; normalise to the sheet's quadratic
    poly = sp.Poly(sp.expand(num), _d)
    lead = poly.coeff_monomial(1)
    target_const = alpha * (1 + alpha) * S.N * S.T
    quad = sp.expand(num * target_const / lead) if lead != 0 else sp.expand(num)
    quad = sp.collect(sp.factor_terms(quad), _d)
    q = alpha * (1 + alpha) * (S.N * S.T - S.N * _d - S.T * _d) + (alpha - 1) * (alpha + 2) * _d**2
    if sp.simplify(sp.expand(quad - q)) == 0:
        quad = q
    return Result(
        "optimal-ridge condition (quadratic in d* = d1)", quad, lhs=None, regime=(_d < sp.Min(S.N, S.T),),
        source="static_rf_ridge.md B6: d log L / d d = 0 on the power-law continuum", exact=False,
        order="continuum (M = oo, d1 >> 1): relative O(1/d*)", data={"d": _d},
    )


def optimal_d_root(alpha: Any = S.alpha) -> sp.Expr:
    """The root of :func:`derive_optimal_d` in ``(0, min(N, T))`` (``NT/(N+T)`` at ``alpha = 1``).

    Examples
    --------
    >>> optimal_d_root(1)
    N*T/(N + T)
    """
    alpha = to_sympy(alpha, "alpha")
    quad = derive_optimal_d(alpha).expr
    roots = sp.solve(quad, _d)
    if len(roots) == 1:
        return sp.simplify(roots[0])
    # the smaller root (minus sign; see static_rf_ridge.md B6)
    a2 = (alpha - 1) * (alpha + 2)
    b1 = alpha * (1 + alpha) * (S.N + S.T)
    c0 = alpha * (1 + alpha) * S.N * S.T
    return (b1 - sp.sqrt(b1**2 - 4 * a2 * c0)) / (2 * a2)


def optimal_ridge_alpha1() -> dict[str, Result]:
    """Exact continuum optimum at ``alpha = 1``: ``d*``, ``gamma_bar*``, ``L*`` (static_rf_ridge.md B6).

    Examples
    --------
    >>> optimal_ridge_alpha1()["loss"].expr
    pi**2*lambda_plus*w_var*(N + T)/(8*N*T)
    """
    d = optimal_d_root(1)
    A = A_alpha(1)
    rho = S.lambda_plus * (A / d) ** 2
    gb = sp.simplify(rho * (S.N - d) * (S.T - d))
    L = sp.factor(sp.simplify(_continuum_loss(sp.Integer(1)).subs(_d, d)))
    src = "static_rf_ridge.md B6 (alpha = 1, continuum), derived with sympy"
    reg = (1 < S.N, 1 < S.T)
    return {
        "d": Result("optimal d1 at alpha = 1", d, lhs=sp.Symbol("d^*"), regime=reg, source=src, exact=True,
                    convention="continuum M = oo"),
        "gamma_bar": Result("optimal ridge at alpha = 1", gb, lhs=sp.Symbol("gammabar^*"), regime=reg, source=src,
                            exact=True, convention="continuum M = oo"),
        "loss": Result("optimal loss at alpha = 1", L, lhs=sp.Symbol("L^*"), regime=reg, source=src, exact=True,
                       convention="continuum M = oo",
                       data={"sum_of_one_resource_losses": sp.simplify(L - S.w_var / 2 * sp.pi**2 / 4 * S.lambda_plus
                                                                       * (1 / S.N + 1 / S.T)) == 0}),
    }


def optimal_ridge_power_law(alpha: float, N: float, T: float, lambda_plus: float = 1.0,
                            w_var: float = 1.0) -> dict[str, float]:
    """Evaluate the continuum closed form (B6) numerically: ``d*, rho*, gamma_bar*, loss*``.

    Examples
    --------
    >>> out = optimal_ridge_power_law(1.0, 100.0, 100.0)
    >>> round(out["gamma_bar"] / (math.pi**2 / 4), 12), round(out["d"], 12)
    (1.0, 50.0)
    """
    check_size("N", N)
    check_size("T", T)
    a = float(check_size("alpha", alpha))

    A = math.pi / ((1 + a) * math.sin(math.pi / (1 + a)))
    if abs(a - 1) < 1e-12:
        d = N * T / (N + T)
    else:
        a2, b1, c0 = (a - 1) * (a + 2), a * (1 + a) * (N + T), a * (1 + a) * N * T
        d = (b1 - math.sqrt(b1 * b1 - 4 * a2 * c0)) / (2 * a2)
    rho = lambda_plus * (A / d) ** (1 + a)
    e1 = d / (1 + a)
    loss = w_var / 2 * rho * N * T * e1 / ((N - d) * (T - d) + e1 * (N + T - 2 * d))
    return {"d": d, "rho": rho, "gamma_bar": rho * (N - d) * (T - d), "loss": loss}


@dataclass
class OptimalRidge:
    """Numerical optimum of the full loss at fixed ``(N, T)``."""

    N: float
    T: float
    gamma: float
    gamma_bar: float
    loss: float
    evaluations: int


def optimal_ridge(model: RandomFeatureRidge, N: float, T: float, *, xtol: float = 1e-4) -> OptimalRidge:
    """``argmin_gamma L(N, T, gamma)`` of the full deterministic equivalent (any spectrum), float64.

    A log-spaced scan over ``gamma_bar`` from ``1e-12 lambda_1 N T`` to ``1e2 lambda_1 N T`` brackets the
    minimum, a finer vectorised scan narrows it and Brent's method in ``log gamma`` refines it to
    ``xtol`` (``scipy.optimize.minimize_scalar``; the loss is flat there, so its relative error is
    ``O(xtol^2)``). If the scan minimum is at its lower end and ``L(gamma=0)`` is smaller, the optimum is ``gamma = 0``.

    Examples
    --------
    >>> from scalingsym.core.spectra import PowerLaw
    >>> opt = optimal_ridge(RandomFeatureRidge(PowerLaw(alpha=1)), 200, 200)
    >>> bool(abs(opt.gamma_bar / (math.pi**2 / 4) - 1) < 0.05)
    True
    """
    N = float(check_size("N", N))
    T = float(check_size("T", T))
    lam1 = float(np.max(model.spectrum.eigenvalues(1 if not model.spectrum.finite else None)))
    scale = lam1 * N * T * model.u_var
    grid = np.log(scale) + np.linspace(math.log(1e-12), math.log(1e2), 29)
    nfev = grid.size
    vals = np.asarray(model.loss(N, T, np.exp(grid)), dtype=np.float64)
    if not np.all(np.isfinite(vals)):
        raise ConvergenceError("the loss is not finite on the ridge scan; cannot locate the optimum")
    i = int(np.argmin(vals))
    if i == 0:
        l0 = float(model.loss(N, T, 0.0))
        if l0 <= vals[0]:
            return OptimalRidge(N, T, 0.0, 0.0, l0, nfev + 1)
    # one vectorised zoom around the scan minimum, then Brent's method inside one zoom step
    fine = np.linspace(grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)], 15)
    fvals = np.asarray(model.loss(N, T, np.exp(fine)), dtype=np.float64)
    nfev += fine.size
    j = int(np.argmin(fvals))
    lo, hi = fine[max(j - 1, 0)], fine[min(j + 1, fine.size - 1)]
    res = optimize.minimize_scalar(lambda lg: float(np.log(model.loss(N, T, math.exp(lg)))),
                                   bounds=(lo, hi), method="bounded", options={"xatol": xtol})
    if not res.success:
        raise ConvergenceError(f"optimal-ridge minimisation did not converge: {res.message}")
    nfev += int(res.nfev)
    g = math.exp(res.x)
    return OptimalRidge(N, T, g, g / model.u_var, float(math.exp(res.fun)), nfev)


def ridgeless_allocation(alpha: Any = S.alpha) -> Result:
    """Ridgeless optimum at fixed ``C = N T``: ``n/m = alpha/(2+alpha)`` (static_rf_ridge.md B7).

    With ``n = sqrt(C r)``, ``m = sqrt(C/r)``: ``L ∝ (C r)^(-alpha/2)/(1 - r)``; ``d log L/dr = 0``.

    Examples
    --------
    >>> ridgeless_allocation().expr
    alpha/(alpha + 2)
    """
    alpha = to_sympy(alpha, "alpha")
    L = (sp.Symbol("C", positive=True) * _r) ** (-alpha / 2) / (1 - _r)
    sols = [r for r in sp.solve(sp.diff(sp.log(L), _r), _r)]
    if len(sols) != 1:  # pragma: no cover - the stationarity condition is linear in r
        raise ConvergenceError(f"expected one stationary ratio; got {sols}")
    return Result("ridgeless compute-optimal ratio n/m", sp.factor(sols[0]), lhs=S.n / S.m, regime=(S.n < S.m,),
                  source="static_rf_ridge.md B7, derived: minimise n^-alpha/(1 - n/m) at fixed n m",
                  exact=False, order="leading power law of Delta(n): relative O(1/n)")


def equiparameterized_optimum(alpha: Any = S.alpha) -> Result:
    """Optimal-ridge loss at ``N = T = sqrt(C)`` on the power-law continuum: ``∝ C^(-alpha/2)`` (B6-B7).

    ``t* = d*/n`` solves ``(1-alpha)(2+alpha)/(1+alpha) t^2 + 2 alpha t - alpha = 0`` and
    ``L* = w_var/2 lambda_plus A^(1+alpha) n^-alpha t^-alpha / ((1+alpha)(1-t)(1 + k t))``,
    ``k = (1-alpha)/(1+alpha)``.

    Examples
    --------
    >>> r = equiparameterized_optimum(1)
    >>> sp.simplify(r.expr)
    pi**2*lambda_plus*w_var/(4*sqrt(C))
    """
    alpha = to_sympy(alpha, "alpha")
    C = sp.Symbol("C", positive=True)
    nn = sp.Symbol("n_", positive=True)
    quad = derive_optimal_d(alpha).expr.subs({S.N: nn, S.T: nn}).subs(_d, _t * nn)
    quad = sp.expand(quad / nn**2)
    if alpha.is_number and alpha == 1:
        tstar = sp.solve(quad, _t)[0]
    else:
        a2 = sp.expand(quad).coeff(_t, 2)
        a1 = sp.expand(quad).coeff(_t, 1)
        a0 = sp.expand(quad).coeff(_t, 0)
        tstar = (-a1 + sp.sqrt(a1**2 - 4 * a2 * a0)) / (2 * a2) if a2 != 0 else -a0 / a1
        if alpha.is_number:
            cands = [r for r in sp.solve(quad, _t) if r.is_real and 0 < r < 1]
            tstar = cands[0] if cands else tstar
    L = _continuum_loss(alpha).subs({S.N: nn, S.T: nn}).subs(_d, tstar * nn)
    L = L.subs(nn, sp.sqrt(C))
    L = sp.powsimp(sp.simplify(L)) if alpha.is_number else L
    return Result("optimal-ridge loss at N = T = sqrt(C)", L, lhs=sp.Symbol("L^*"), regime=(1 < C,),
                  source="static_rf_ridge.md B6-B7 (continuum, M = oo)", exact=False,
                  order="continuum: relative O(C^-1/2)", data={"t_star": tstar, "C": C})


def optimal_allocation(model: RandomFeatureRidge, C: float) -> dict[str, float]:
    """Numerical compute allocation at fixed ``C = N T`` with the optimal ridge at every split.

    Minimises ``min_gamma L(N, C/N, gamma)`` over ``log(N/T)`` in ``[-log C/2, log C/2]`` (Brent).
    Returns ``{"N", "T", "ratio" (= N/T), "loss", "gamma"}``.

    Examples
    --------
    >>> from scalingsym.core.spectra import PowerLaw
    >>> out = optimal_allocation(RandomFeatureRidge(PowerLaw(alpha=1)), 1e4)
    >>> bool(abs(math.log(out["ratio"])) < 0.05)
    True
    """
    C = float(check_size("C", C))
    if C <= 4:
        raise ParameterError(f"C must be > 4 (N, T >= 2); got {C}")
    half = 0.5 * math.log(C) - math.log(2.0)

    def f(x: float) -> float:
        N = math.sqrt(C) * math.exp(x / 2)
        return math.log(optimal_ridge(model, N, C / N).loss)

    grid = np.linspace(-half, half, 9)
    vals = np.array([f(x) for x in grid])
    i = int(np.argmin(vals))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
    res = optimize.minimize_scalar(f, bounds=(lo, hi), method="bounded", options={"xatol": 1e-3})
    if not res.success:
        raise ConvergenceError(f"allocation minimisation did not converge: {res.message}")
    N = math.sqrt(C) * math.exp(res.x / 2)
    opt = optimal_ridge(model, N, C / N)
    return {"N": N, "T": C / N, "ratio": N / (C / N), "loss": opt.loss, "gamma": opt.gamma}
