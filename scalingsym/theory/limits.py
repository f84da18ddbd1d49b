"""Limits of the random-feature ridge model as symbolic limits of (B1) with numeric cross-checks.

Each function returns a :class:`~scalingsym.core.result.Result` whose ``expr`` is obtained by ``sympy.limit`` from
the general expressions (:data:`~scalingsym.models.ridge.SADDLE`, :data:`~scalingsym.models.ridge.LOSS_B1B`,
``static_rf_ridge.md`` B1) and whose ``data`` names the closed form reached and holds the symbolic steps;
:func:`check_limit` gives the numeric cross-check against :class:`~scalingsym.models.ridge.RandomFeatureRidge`.

* ridgeless ``gamma -> 0+`` on each side of ``N = T`` (MRS, B2; ``inf`` at ``N = T``);
* large ridge ``gamma -> inf``: ``L -> w_var/2 sum lambda_k = 1/2 E[y^2]`` (B5d);
* ``M -> inf`` for the power law: the tail of every spectral sum vanishes as ``M^-alpha``; the continuum
  ``d1 ~ A_alpha (lambda_+/rho)^{1/(1+alpha)}`` gives the MRS power law (B3);
* ``N -> inf`` at fixed ``s = gamma_bar/(N T)``: kernel ridge regression on ``T`` samples,
  ``kappa (1 - d1(kappa)/T) = s``, ``L = w_var/2 kappa^2 sum lambda/(lambda+kappa)^2 / (1 - d2(kappa)/T)``;
* ``T -> inf`` at fixed ``s``: ridge regression onto ``N`` random features with infinite data (the same with
  ``T -> N``); ridgeless, ``L = w_var/2 rho_N d1(rho_N) = w_var Delta_N / 2``, the part of ``y`` outside the
  span of the ``N`` features (B2).

Examples
--------
>>> r = large_ridge()
>>> r.expr
t_1*w_var/2
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import sympy as sp

from ..core import symbols as S
from ..core.errors import ParameterError
from ..core.resolvent import ridgeless_rho
from ..core.result import Result
from ..core.spectra import PowerLaw, Spectrum
from ..models.ridge import LOSS_B1B, SADDLE, derive_ridgeless
from .diagrams import t

__all__ = ["check_limit", "large_ridge", "m_infinity", "n_infinity", "ridgeless", "t_infinity", "LIMITS"]

_L = S.L
_e1 = sp.Symbol("e_1", positive=True)  # d1 - d2


def ridgeless() -> dict[str, Result]:
    """``gamma -> 0+`` on each side of ``N = T`` (uses :func:`scalingsym.models.ridge.derive_ridgeless`)."""
    lims = derive_ridgeless()
    out = {}
    for side, lim in lims.items():
        n_, m_ = (S.N, S.T) if side == "N<T" else (S.T, S.N)
        regime = (S.N < S.T,) if side == "N<T" else ((S.N > S.T,) if side == "N>T" else (sp.Eq(S.N, S.T),))
        closed = "MRS ridgeless law (B2): w_var/2 * n rho_0/(1 - n/m), d1(rho_0) = n" if side != "N=T" else (
            "interpolation peak: divergence")
        if side != "N=T":
            target = S.w_var / 2 * n_ * S.rho / (1 - n_ / m_)
            ok = sp.simplify(lim.expr - target) == 0
        else:
            ok = lim.expr == sp.oo
        out[side] = Result(
            f"ridgeless limit, {side}", lim.expr, lhs=_L, regime=regime, source="static_rf_ridge.md B1 -> B2",
            exact=True, data={"closed_form": closed, "steps": list(lim.steps), "matches_closed_form": bool(ok)},
        )
    return out


def large_ridge(order: int = 2) -> Result:
    """``gamma_bar -> inf``: with ``x = 1/rho``, ``d1 = t1 x - t2 x^2 + ...`` and ``gamma_bar ~ N T / x``."""
    x = sp.Symbol("x", positive=True)
    d1s = sum((-1) ** (j - 1) * t(j) * x**j for j in range(1, order + 2))
    e1s = sum((-1) ** (j - 1) * j * t(j) * x**j for j in range(1, order + 2))
    expr = LOSS_B1B.subs({S.d2: S.d1 - _e1}).subs({S.d1: d1s, _e1: e1s, S.rho: 1 / x})
    lim = sp.limit(expr, x, 0, "+")
    gb = sp.limit(SADDLE.lhs.subs({S.d1: d1s, S.rho: 1 / x}) * x, x, 0, "+")
    return Result(
        "large-ridge limit", lim, lhs=_L, regime=(S.gamma_bar > S.N * S.T * t(1),), source="static_rf_ridge.md B5(d)",
        exact=True,
        data={"closed_form": "1/2 E[y^2] = w_var/2 sum_k lambda_k (predict 0)",
              "steps": [f"rho = 1/x, d1 = {d1s} + ..., d1 - d2 = {e1s} + ...",
                        f"gamma_bar * x -> {gb} as x -> 0+, so gamma_bar -> inf <=> x -> 0+",
                        f"limit x -> 0+ of (B1b) = {lim}"]},
    )


def m_infinity() -> Result:
    """``M -> inf`` for ``lambda_k = lambda_+ k^-(1+alpha)``: tail bound -> 0 and the continuum closed form."""
    x, M_ = sp.Symbol("x", positive=True), S.M
    lam = S.lambda_plus * x ** (-(1 + S.alpha))
    tail = sp.integrate(lam / S.rho, (x, M_, sp.oo), conds="none")  # bound of sum_{k>M} lambda/(lambda+rho)
    tail = sp.simplify(tail)
    tail_lim = sp.limit(tail, M_, sp.oo)
    p = 1 + S.alpha
    A = sp.pi / (p * sp.sin(sp.pi / p))
    # continuum: d1 = integral_0^inf lambda/(lambda+rho) dx = A (lambda_+/rho)^(1/p); at d1 = n (ridgeless)
    rho0 = S.lambda_plus * (A / S.n) ** p
    loss = sp.simplify(S.w_var / 2 * S.n * rho0 / (1 - S.n / S.m))
    return Result(
        "M -> infinity, power law (ridgeless)", loss, lhs=_L, regime=(S.n < S.m, S.n > 1),
        source="static_rf_ridge.md B3", exact=False, order="O(1/n) (the refined form has n + 1/2)",
        data={"closed_form": "MRS power law (B3): w_var lambda_+ A_alpha^(1+alpha)/2 n^-alpha/(1 - n/m)",
              "A_alpha": A, "tail_bound": tail, "tail_limit": tail_lim,
              "steps": [f"sum_(k>M) lambda_k/(lambda_k + rho) <= {tail}", f"limit M -> oo: {tail_lim}",
                        "continuum d1 = A_alpha (lambda_+/rho)^(1/(1+alpha)), d1(rho_0) = n"]},
    )


def _one_resource(which: str) -> Result:
    big = S.N if which == "N" else S.T
    small = S.T if which == "N" else S.N
    sad = SADDLE.lhs / (S.N * S.T)  # normalised: s = rho (1 - d1/N)(1 - d1/T)
    sad_lim = sp.simplify(sp.limit(sp.expand(sad), big, sp.oo))
    loss = LOSS_B1B.subs({S.d2: S.d1 - _e1})
    lim = sp.simplify(sp.limit(loss, big, sp.oo).subs(_e1, S.d1 - S.d2))
    kind = ("kernel ridge regression on T samples (KRR generalisation formula): kappa(1 - d1(kappa)/T) = s, "
            "L = w_var/2 kappa^2 sum lambda/(lambda+kappa)^2 / (1 - d2(kappa)/T)") if which == "N" else (
        "ridge regression onto N random features with infinite data: rho(1 - d1/N) = s; ridgeless "
        "L = w_var/2 rho_N d1(rho_N) = w_var Delta_N/2 = 1/2 E|(1 - P_u) Lambda^(1/2) w|^2 (B2)")
    target = S.w_var / 2 * S.rho * (S.d1 - S.d2) / (1 - S.d2 / small)
    return Result(
        f"{which} -> infinity at fixed s = gamma_bar/(N T)", lim, lhs=_L, regime=(sp.Eq(big, sp.oo),),
        source="static_rf_ridge.md B1", exact=True,
        data={"closed_form": kind, "saddle": sp.Eq(S.s, sad_lim), "matches_closed_form":
              bool(sp.simplify(lim - target) == 0),
              "steps": [f"s = {sad} -> {sad_lim} as {which} -> oo", f"(B1b) -> {lim}"]},
    )


def n_infinity() -> Result:
    """``N -> inf`` at fixed ``s``: kernel ridge regression on ``T`` samples."""
    return _one_resource("N")


def t_infinity() -> Result:
    """``T -> inf`` at fixed ``s``: projection onto ``N`` random features."""
    return _one_resource("T")


LIMITS = {
    "ridgeless": ridgeless,
    "large_ridge": large_ridge,
    "M_inf": m_infinity,
    "N_inf": n_infinity,
    "T_inf": t_infinity,
}


# ------------------------------------------------------------------------------------ numerics ----
def _closed_ridgeless(spec: Spectrum, w_var: float, N: float, T: float) -> float:
    n, m = min(N, T), max(N, T)
    r0 = float(ridgeless_rho(spec, n))
    return w_var / 2 * n * r0 / (1 - n / m)


def _rel(got: float, expected: float, scale: float | None = None) -> float:
    """``|got/expected - 1|``; where the closed form is exactly 0 (zero loss once min(N, T) >= M) the
    difference relative to ``scale`` (half the target variance), inf without one."""
    if got == expected:
        return 0.0
    if expected == 0:
        return abs(got) / scale if scale else math.inf
    return abs(got / expected - 1)


def check_limit(name: str, spectrum: Spectrum | None = None, **kw: Any) -> list[dict]:
    """Numeric cross-check of one limit against :class:`RandomFeatureRidge`; rows with ``rel_diff``.

    ``name`` in :data:`LIMITS`. Default spectrum: ``PowerLaw(alpha=1, M=1000)``.
    """
    from ..models.ridge import RandomFeatureRidge

    spec = spectrum or PowerLaw(alpha=1, M=1000)
    model = RandomFeatureRidge(spec)
    rows: list[dict] = []
    if name == "ridgeless":
        for N, T in kw.get("pairs", [(50, 200), (200, 50), (100, 150), (150, 100)]):
            for gb in (1e-4, 1e-7, 1e-10):
                got = float(model.loss(N, T, gb * model.u_var))
                exp = _closed_ridgeless(spec, model.w_var, N, T)
                rows.append({"N": N, "T": T, "gamma_bar": gb, "loss": got, "closed_form": exp,
                             "rel_diff": _rel(got, exp, model.w_var / 2 * spec.trace())})
        for gb in (1e-2, 1e-4, 1e-6):  # N = T: grows like gamma_bar^-1/2 (B5c)
            rows.append({"N": 100, "T": 100, "gamma_bar": gb, "loss": float(model.loss(100, 100, gb * model.u_var)),
                         "closed_form": math.inf, "rel_diff": None})
    elif name == "large_ridge":
        exp = model.w_var / 2 * spec.trace()
        for gb in (1e6, 1e9, 1e12):
            got = float(model.loss(50, 200, gb * model.u_var))
            rows.append({"gamma_bar": gb, "loss": got, "closed_form": exp, "rel_diff": _rel(got, exp)})
    elif name == "M_inf":
        alpha = float(getattr(spec, "alpha", 1.0))
        inf_model = RandomFeatureRidge(PowerLaw(alpha=alpha, M=math.inf), w_var=1.0, u_var=1.0)
        N, T, gb = 100, 400, kw.get("gamma_bar", 1e-3)
        ref = float(inf_model.loss(N, T, gb))
        for M in (1e3, 1e4, 1e5, 1e6):
            fm = RandomFeatureRidge(PowerLaw(alpha=alpha, M=M), w_var=1.0, u_var=1.0)
            got = float(fm.loss(N, T, gb))
            rows.append({"M": M, "loss": got, "closed_form": ref, "rel_diff": _rel(got, ref)})
        A = math.pi / ((1 + alpha) * math.sin(math.pi / (1 + alpha)))
        for n in (100, 1000, 10000):
            got = float(inf_model.loss(n, 4 * n, 0.0))
            b3 = 0.5 * n * (A / (n + 0.5)) ** (1 + alpha) / (1 - 0.25)  # B3 refined rho_0
            rows.append({"n": n, "loss_M_inf": got, "closed_form_B3_refined": b3, "rel_diff": _rel(got, b3)})
    elif name in ("N_inf", "T_inf"):
        T = kw.get("size", 100.0)
        for s in (1e-2, 1e-4):
            args_inf = (math.inf, T) if name == "N_inf" else (T, math.inf)
            args_big = (1e9, T) if name == "N_inf" else (T, 1e9)
            a = float(model.solve_normalised(*args_inf, s).loss)
            b = float(model.solve_normalised(*args_big, s).loss)
            kap = _brentq_krr(spec, s, T)
            d2 = float(spec.d2(kap))
            krr = model.w_var / 2 * kap**2 * float(spec.sums(kap, 1, 2)) / (1 - d2 / T)
            rows.append({"s": s, "loss_inf": a, "loss_1e9": b, "closed_form": krr, "rel_diff": abs(a / krr - 1),
                         "rel_diff_1e9": abs(b / krr - 1)})
        rows.append(_projection_mc(spec, model.w_var, int(T), name, seeds=kw.get("seeds", 16)))
    else:
        raise ParameterError(f"unknown limit {name!r}; use one of {sorted(LIMITS)}")
    return rows


def _brentq_krr(spec: Spectrum, s: float, T: float) -> float:
    """Independent root of ``kappa (1 - d1(kappa)/T) = s`` by scipy's brentq (bracket ``[s, s + tr]``)."""
    from scipy.optimize import brentq

    f = lambda k: k * (1 - float(spec.d1(k)) / T) - s
    lo = max(s, float(ridgeless_rho(spec, T))) * (1 + 1e-15)
    return brentq(f, lo, s + spec.trace() + 1.0, xtol=1e-300, rtol=1e-15)


def _projection_mc(spec: Spectrum, w_var: float, n: int, name: str, seeds: int = 16, seed: int = 0) -> dict:
    """Ridgeless one-resource limit by Monte Carlo: ``1/2 E_w |(1 - P) Lambda^{1/2} w|^2`` over random draws.

    ``T_inf``: ``P`` projects onto the span of the ``N = n`` features ``Lambda^{1/2} u^T``; ``N_inf``: the
    min-norm interpolant of ``T = n`` samples, error ``w_var tr[Lambda (1 - Pi_X)]``.
    """
    lam = spec.eigenvalues()
    M = lam.size
    rng = np.random.default_rng(seed)
    vals = []
    for _ in range(seeds):
        Z = rng.standard_normal((n, M)) * np.sqrt(lam)  # rows u_j Lambda^{1/2} or x_alpha
        Gm = Z @ Z.T
        # T_inf: tr[(u L u^T)^-1 u L^2 u^T] with u = H; N_inf: tr[Lambda Pi_X] = tr[(X X^T)^-1 X Lambda X^T] with
        # X = G Lambda^{1/2}: the same random variable (the finite-size duality), so one formula serves both
        proj = np.trace(np.linalg.solve(Gm, (Z * lam) @ Z.T))
        vals.append(w_var / 2 * (lam.sum() - proj))
    vals = np.array(vals)
    rho_n = float(ridgeless_rho(spec, n))
    exp = w_var / 2 * n * rho_n
    mean, se = float(vals.mean()), float(vals.std(ddof=1) / math.sqrt(seeds))
    return {"monte_carlo": mean, "se": se, "closed_form_w_var_Delta/2": exp, "rel_diff": abs(mean / exp - 1),
            "n": n}
