"""Regime laws of the ridge test loss for any spectrum, any teacher (task) and label noise.

Each law is derived in two steps, both by the engine:

1. **Reduction** of the general-teacher loss :data:`scalingsym.models.ridge.LOSS_GENERAL` (with the
   label-noise term) to the regime, with sympy: ``N = oo`` (``1/N -> 0``) and the ridgeless saddle ``d1 = T``;
   ``T = oo`` and ``d1 = N`` (then ``sigma_N2 = rho A_w``); both finite at ``d1 = min(N, T)``; the ridge-dominated
   expansion to first order in ``1/N, 1/T`` at ``rho ~ s = gamma_bar/(N T)``; ``rho -> oo`` (saturation). The
   reduced loss is a rational function of the teacher-weighted sums ``rho A_w = W[1/(1+x)]``,
   ``rho^2 C_w = W[(1+x)^-2]``, ``rho B_w = W[x/(1+x)^2]`` and the plain sums ``d1, d1 - d2, d2``.
2. **Asymptotics** of those sums (:mod:`.task_sums`): the Mellin term of the modes near ``lambda ~ rho`` against
   the head of the sum, which produces the ``Min`` (e.g. ``min(a - 1, 2 b)``: bias saturation) without a table;
   then ``rho = rho_0(n)`` (``d1(rho_0) = n``) for the ridgeless laws, ``rho = s`` for the ridge-dominated ones.

The optimal ridge with noise balances the bias against the noise term by :func:`.frontier.max_min_exponent`.
Exponents are decay exponents unless stated (``L ~ X^-x``); laws are leading order (continuum, ``M = oo``).

Examples
--------
>>> ex = task_exponents("k**-2", "source(a=3)", noise=0)
>>> ex["ridgeless_T"].expr, ex["ridgeless_N"].expr
(2, 2)
>>> task_exponents("k**-2", "source(a=7)", noise=1)["optimal_ridge_T"].expr   # min(a-1, 2b) = 4: T^-(4/5)
4/5
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import sympy as sp

from ..core import symbols as S
from ..core.errors import ParameterError
from ..core.expressions import parse_exact_number
from ..core.result import Result
from ..models.ridge import LOSS_GENERAL
from .big_arguments import tidy
from .frontier import max_min_exponent
from .regimes import leading_power_log
from .spectral import ridgeless_rho_asymptotic, tail_law
from .task_sums import TaskLaw, X, task_power_law, unit_weight, weighted_sum_law

__all__ = ["reduced_losses", "task_regime_map", "task_exponents", "ATOMS"]

_iN, _iT = sp.symbols("iN iT", nonnegative=True)
#: the sums a reduced loss is written in, and the function g(x) each is ``W[g]`` of (weight: task or unit)
rhoA, rho2C, rhoB = sp.symbols("rhoA_w rho2C_w rhoB_w", positive=True)
ATOMS = {
    rhoA: ("task", 1 / (1 + X)),
    rho2C: ("task", (1 + X) ** -2),
    rhoB: ("task", X / (1 + X) ** 2),
    S.d1: ("unit", X / (1 + X)),
    S.e1: ("unit", X / (1 + X) ** 2),
    S.d2: ("unit", X**2 / (1 + X) ** 2),
}
_SRC = "LOSS_GENERAL reduced with sympy; sums by Mellin vs head (scalingsym.theory.task_sums)"


def _in_atoms(expr: sp.Expr) -> sp.Expr:
    """Write a loss in the atoms: ``A_w = rhoA/rho``, ``C_w = rho2C/rho^2``, ``B_w = rhoB/rho``, ``d2 = d1 - e1``."""
    return expr.subs({S.A_w: rhoA / S.rho, S.C_w: rho2C / S.rho**2, S.B_w: rhoB / S.rho, S.d2: S.d1 - S.e1})


@lru_cache(maxsize=1)
def reduced_losses() -> dict[str, sp.Expr]:
    """The general-teacher loss reduced to each regime (exact in the sums), derived from ``LOSS_GENERAL``.

    Keys: ``T_bottleneck`` (``N = oo``, ridgeless), ``N_bottleneck`` (``T = oo``, ridgeless), ``both_N_lt_T``
    (ridgeless, ``N < T``), ``T_lt_N_first_order`` (ridgeless, ``T < N``: the coefficient of ``1/N`` at
    ``d1 = T``, added to ``T_bottleneck``), ``ridge_dominated`` (first order in ``1/N, 1/T``), ``saturation``
    (``rho -> oo``), each in the atoms of :data:`ATOMS`, ``iN = 1/N``, ``iT = 1/T``, ``w_var`` and ``sigma_eps2``.

    Examples
    --------
    >>> sp.factor(reduced_losses()["N_bottleneck"])
    rhoA_w*w_var/2
    """
    L = _in_atoms(LOSS_GENERAL).subs({S.N: 1 / _iN, S.T: 1 / _iT})
    out: dict[str, sp.Expr] = {}
    # N = oo: sigma_N2 = rho_N A_w(rho_N) -> 0 (rho_N -> 0); ridgeless saddle rho (1 - d1/T) = 0: d1 = T
    LT = sp.simplify(L.subs(_iN, 0).subs(S.sigma_N2, 0).subs(_iT, 1 / S.d1))
    out["T_bottleneck"] = sp.factor(sp.expand(LT.subs(S.d1, S.d2 + S.e1)))
    # T = oo, ridgeless: d1 = N, and then rho = rho_N so sigma_N2 = rho A_w
    out["N_bottleneck"] = sp.factor(sp.simplify(L.subs(_iT, 0).subs(_iN, 1 / S.d1).subs(S.sigma_N2, rhoA)))
    # both finite, N < T: d1 = N (rho = rho_N)
    out["both_N_lt_T"] = sp.factor(sp.simplify(L.subs(_iN, 1 / S.d1).subs(S.sigma_N2, rhoA)))
    # both finite, T < N: d1 = T (rho = rho_T); first order in 1/N at fixed d1 (deep in T << N)
    eps = S.epsilon
    LTN = sp.series(sp.simplify(L.subs(_iT, 1 / S.d1)).subs(_iN, eps * _iN), eps, 0, 2).removeO()
    out["T_lt_N_first_order"] = sp.factor(LTN.coeff(eps, 1) / _iN)
    # 1 << d1 << N, T: first order in 1/N, 1/T
    ser = sp.series(L.subs({_iN: eps * _iN, _iT: eps * _iT}), eps, 0, 2).removeO()
    out["ridge_dominated"] = sp.expand(ser.subs(eps, 1))
    out["saturation"] = sp.Symbol("sum_p") * S.w_var / 2  # rho -> oo: the predictor vanishes
    for k, v in out.items():
        if v.has(S.A_w, S.B_w, S.C_w):  # pragma: no cover - a reduction that left raw sums is a bug
            raise AssertionError(f"reduction {k} left raw sums: {v}")
    return out


def _laws(spectrum: Any, task: Any, rho: sp.Expr) -> dict[sp.Symbol, Any]:
    tw = task_power_law(spectrum, task)
    uw = unit_weight()
    return {sym: weighted_sum_law(spectrum, tw if kind == "task" else uw, g, rho) for sym, (kind, g) in ATOMS.items()}


def _is_monomial(expr: sp.Expr) -> bool:
    return all(not f.as_base_exp()[0].has(*ATOMS) or f.as_base_exp()[0] in ATOMS for f in sp.Mul.make_args(expr))


def monomial_form(expr: sp.Expr) -> sp.Expr:
    """Rewrite a reduced loss as a monomial in the sums where the identities ``rho A_w = rho B_w + rho^2 C_w``
    (``A_w - B_w = rho C_w``) and ``d1 = d2 + e1`` allow it (the form whose leading law has no cancellation).

    Examples
    --------
    >>> monomial_form(rhoA - rhoB)
    rho2C_w
    """
    subs_list = ({}, {rhoA: rhoB + rho2C}, {rhoB: rhoA - rho2C})
    for sub in subs_list:
        for d in ({}, {S.d1: S.d2 + S.e1}, {S.d2: S.d1 - S.e1}, {S.e1: S.d1 - S.d2}):
            cand = sp.factor(sp.expand(expr.subs(sub).subs(d)))
            if _is_monomial(cand):
                return cand
    raise ParameterError(f"the reduced loss {expr} is not a monomial in the sums; its leading law needs the "
                         "cancellation between terms, which this method does not resolve")


def _rho_exponent(expr: sp.Expr, laws: dict) -> sp.Expr:
    """The ``rho`` exponent of a monomial in the atoms and ``rho`` (exact; ``Min`` for symbolic exponents)."""
    total = sp.Integer(0)
    for factor in sp.Mul.make_args(sp.factor(expr)):
        base, power = factor.as_base_exp()
        if base in laws:
            total += power * laws[base].exponent
        elif base == S.rho:
            total += power
        elif base.has(*laws, S.rho):
            raise ParameterError(f"not a monomial in the sums: {expr}")
    return sp.simplify(total)


def _scale_min(expr: sp.Expr, factor: sp.Expr) -> sp.Expr:
    """``factor * expr`` with a positive ``factor`` pushed into ``Min``/``Max`` (``b Min(x, 2) = Min(b x, 2 b)``)."""
    if isinstance(expr, (sp.Min, sp.Max)):
        return expr.func(*[_scale_min(a, factor) for a in expr.args])
    return sp.expand(sp.simplify(factor * expr))


def _substitute(expr: sp.Expr, laws: dict) -> sp.Expr:
    return sp.powsimp(expr.subs({sym: law.expr for sym, law in laws.items()}), force=True)


def _law_in(expr_rho: sp.Expr, rho_of: sp.Expr) -> sp.Expr:
    return sp.powsimp(sp.expand_power_base(expr_rho.subs(S.rho, rho_of), force=True), force=True)


def _mk(name: str, expr: sp.Expr, regime: tuple, data: dict, source: str = _SRC, exact: bool = False,
        order: str = "leading order (continuum, M = oo)") -> Result:
    return Result(name, expr, lhs=S.L, regime=regime, source=source, exact=exact, order=order,
                  convention="L = 1/2 E[(f - y)^2] against the noiseless target; w_var = 1; noise = sigma_eps^2 on "
                             "the training labels; s = gamma_bar/(N T)", data=data)


def task_regime_map(spectrum: Any, task: Any = "isotropic", noise: Any = 0) -> dict[str, Result]:
    """The regime laws of ``L(N, T, gamma)`` for a spectrum, a task and label noise of variance ``noise``.

    Returns
    -------
    dict of Result
        ``ridgeless_N`` (``T = oo``), ``ridgeless_T`` (``N = oo``, kernel ridge regression), ``ridgeless_both``
        (``N < T``, the ``1/(1 - N/T)`` factor), ``ridge_dominated``, ``noise_ridgeless`` (tempered or benign),
        ``optimal_ridge`` (``N = oo``, noise > 0), ``saturation``. ``Result.data`` holds ``exponent`` (decay
        exponent in the regime's variable, exact, ``Min`` for symbolic exponents), ``log_power``, ``rho_law``
        (the law in ``rho``) and the contribution (``modes near rho`` / ``head``) of each sum.

    Examples
    --------
    >>> rm = task_regime_map("k**-2", "power(nu=1)")
    >>> rm["ridgeless_T"].data["exponent"], rm["ridgeless_N"].data["exponent"]
    (2, 2)
    """
    law = tail_law(spectrum)
    sigma2 = parse_exact_number(noise, "noise") if not isinstance(noise, sp.Expr) else noise
    if sigma2.is_number and sigma2 < 0:
        raise ParameterError(f"noise must be a variance >= 0; got {noise}")
    laws = _laws(law, task, S.rho)
    red = reduced_losses()
    rho0 = ridgeless_rho_asymptotic(law).expr  # in n
    beta = law.beta
    contrib = {str(k): v.contribution for k, v in laws.items()}
    out: dict[str, Result] = {}

    def ridgeless(key: str, var: sp.Symbol, reduced: sp.Expr, title: str, regime: tuple) -> None:
        bias = monomial_form(reduced.subs(S.sigma_eps2, 0).subs(S.w_var, 1))
        e_rho = _rho_exponent(bias, laws)
        rho_law = _substitute(bias, laws)
        law_n = _law_in(rho_law, rho0.subs(S.n, var))
        expo = _scale_min(e_rho, beta)
        logp = sp.nan
        if expo.is_number:
            sl, logp = leading_power_log(law_n, var)
            if sp.simplify(sl + expo) != 0:  # pragma: no cover - the two routes must agree
                raise AssertionError(f"{key}: exponent {expo} vs slope {sl}")
        out[key] = _mk(title, law_n, regime, {"exponent": expo, "log_power": logp, "rho_law": rho_law,
                                              "reduced": reduced, "contributions": contrib})

    ridgeless("ridgeless_N", S.N, red["N_bottleneck"], "width bottleneck (T = oo, ridgeless)", (sp.Eq(1 / S.T, 0),))
    ridgeless("ridgeless_T", S.T, red["T_bottleneck"], "data bottleneck (N = oo, ridgeless: kernel regression)",
              (sp.Eq(1 / S.N, 0),))
    # both finite, N < T: the N-bottleneck law times 1/(1 - N/T), noise (N/T)/(1 - N/T)
    both = red["both_N_lt_T"].subs(S.w_var, 1)
    both_law = _law_in(_substitute(both.subs(S.sigma_eps2, sigma2), laws), rho0).subs({_iN: 1 / S.n, _iT: 1 / S.m})
    out["ridgeless_both"] = _mk(
        "ridgeless, both finite (n = N < T = m)", tidy(both_law), (S.n < S.m,),
        {"exponent": out["ridgeless_N"].data["exponent"], "log_power": out["ridgeless_N"].data["log_power"],
         "reduced": red["both_N_lt_T"], "factor": sp.simplify(both.subs(S.sigma_eps2, 0) / rhoA)
         .subs({_iN: 1 / S.n, _iT: 1 / S.m})})
    # both finite, T < N (deep in T << N): the T-bottleneck law plus (1/N) times a law in T at d1 = T
    cross = monomial_form(red["T_lt_N_first_order"].subs(S.sigma_eps2, 0).subs(S.w_var, 1).subs(S.d1, S.d1))
    cross_law = _law_in(_substitute(cross, laws), rho0.subs(S.n, S.T)).subs(S.n, S.T)
    cross_e = _scale_min(_rho_exponent(cross.subs(S.d1, 1), laws), beta) - 1  # d1 = T contributes T^1
    out["ridgeless_T_lt_N"] = _mk(
        "ridgeless, both finite (T << N): first order in T/N", out["ridgeless_T"].expr + cross_law / S.N,
        (S.T < S.N,),
        {"exponent": out["ridgeless_T"].data["exponent"], "cross_law": cross_law / S.N, "cross_T_exponent": cross_e,
         "reduced": red["T_lt_N_first_order"],
         "note": "L_T(T) + (1/N) c(T), c ~ T^-cross_T_exponent; first order in T/N (the N <= T side: ridgeless_both)"})
    # ridge-dominated: rho ~ s = gamma_bar/(N T); bias (order 0) and the noise term d2/T (order 1)
    rd = red["ridge_dominated"]
    bias0 = monomial_form(rd.subs({_iN: 0, _iT: 0}).subs(S.w_var, 1))
    noise1 = sp.factor(rd.coeff(S.sigma_eps2).subs(S.d1, S.d2 + S.e1))
    s = S.gamma_bar / (S.N * S.T)
    e_b = _rho_exponent(bias0, laws)
    e_n = _rho_exponent(noise1.subs(_iT, 1), laws)
    bias_law = _law_in(_substitute(bias0, laws), s)
    noise_law = _law_in(_substitute(noise1, laws), s).subs(_iT, 1 / S.T)
    rd_data = {"exponent_gamma": e_b, "exponent_N": e_b, "exponent_T": e_b, "rho_law": _substitute(bias0, laws),
               "noise_exponent_gamma": e_n, "noise_law": sigma2 * noise_law, "contributions": contrib}
    if e_b.is_number:
        rd_data["log_power"] = leading_power_log(bias_law, S.gamma_bar)[1]
    out["ridge_dominated"] = _mk("ridge-dominated (1 << d1 << N, T)", bias_law + sigma2 * noise_law,
                                 (1 < S.d1, S.d1 < sp.Min(S.N, S.T)), rd_data)
    # noise at the ridgeless point
    tn = monomial_form(sp.expand(red["T_bottleneck"]).coeff(S.sigma_eps2))
    tn_law = tidy(_substitute(tn, laws))
    tn_exp = _rho_exponent(tn, laws)
    kind = "tempered (a constant: the noise is not averaged away)" if tn_exp == 0 else (
        "benign (decays)" if (tn_exp > 0) == sp.true else "catastrophic (grows)" if (tn_exp < 0) == sp.true
        else "depends on the exponents")
    out["noise_ridgeless"] = _mk("ridgeless noise term (N = oo)", sigma2 * tn_law, (sp.Eq(1 / S.N, 0),),
                                 {"exponent": _scale_min(tn_exp, beta), "kind": kind,
                                  "N_lt_T": sigma2 * (S.n / S.m) / (1 - S.n / S.m) / 2})
    # optimal ridge at N = oo: s = T^-xi, xi in [0, beta]; bias ~ T^-(e_b xi), noise ~ T^-(1 + e_n xi)
    lines = {"bias": (sp.Integer(0), e_b)}
    if not (sigma2.is_number and sigma2 == 0):
        lines["noise"] = (sp.Integer(1), e_n)
    if len(lines) == 1:
        opt = {"xi": beta, "eta": out["ridgeless_T"].data["exponent"], "active": frozenset({"ridgeless"})}
        note = "no noise: the ridgeless limit is optimal (any s* falling at least as fast as rho_0(T) ~ T^-beta)"
    else:
        opt = max_min_exponent(lines, 0, beta, domain={})
        note = "bias W[(1+x)^-2](s) against the noise term sigma^2 d2(s)/(2T), balanced by max_min_exponent"
    opt_eta = opt["eta"]
    if opt_eta.is_number and out["ridgeless_T"].data["exponent"].is_number:
        opt_eta = sp.Max(opt_eta, 0)
    out["optimal_ridge"] = _mk("optimal ridge (N = oo)", S.T ** (-opt_eta), (sp.Eq(1 / S.N, 0),),
                               {"exponent": sp.simplify(opt_eta), "gamma_exponent": sp.simplify(opt["xi"]),
                                "balance": sorted(opt["active"]) if isinstance(opt["active"], frozenset)
                                else {"/".join(sorted(k)): str(v) for k, v in opt["active"].items()}, "note": note})
    # saturation
    tw: TaskLaw = task_power_law(law, task)
    total = sp.Sum(tw.power, (S.k, 1, law.M))
    out["saturation"] = _mk("large-ridge saturation", total / 2, (law.scale * S.N * S.T < S.gamma_bar,),
                            {"exponent": sp.Integer(0)}, exact=True, order="relative O(N T lambda_1 / gamma_bar)")
    return out


def task_exponents(spectrum: Any, task: Any = "isotropic", noise: Any = 0) -> dict[str, Result]:
    """Decay exponents of every regime (``L ~ X^-x``) for a spectrum, a task and label noise.

    Keys ``ridgeless_N``, ``ridgeless_T``, ``ridge_dominated_N``, ``ridge_dominated_T``, ``ridge_dominated_gamma``
    (growth in ``gamma``), ``log_power``, ``optimal_ridge_T`` (``L ~ T^-x`` at ``N = oo`` with the ridge tuned for
    each ``T``), ``optimal_ridge_gamma_exponent`` (``s* ~ T^-x``, ``s = gamma_bar/(N T)`` the per-sample ridge of
    kernel regression) and ``noise_ridgeless`` (the ``T`` exponent of the ridgeless noise term; ``0``: tempered).

    Examples
    --------
    >>> ex = task_exponents("k**-2", "isotropic")
    >>> ex["ridgeless_N"].expr, ex["ridge_dominated_gamma"].expr
    (1, 1/2)
    """
    rm = task_regime_map(spectrum, task, noise)

    def mk(name: str, value: sp.Expr, res: Result, what: str) -> Result:
        v = sp.factor(value) if (value.is_number and value.is_finite) else value
        return Result(name, v, lhs=sp.Symbol(name), regime=res.regime, source=f"{what}; {res.source}", exact=True,
                      convention=res.convention, data={"law": res.expr})

    rd = rm["ridge_dominated"]
    return {
        "ridgeless_N": mk("ridgeless_N", rm["ridgeless_N"].data["exponent"], rm["ridgeless_N"], "L ~ N^-x at T = oo"),
        "ridgeless_T": mk("ridgeless_T", rm["ridgeless_T"].data["exponent"], rm["ridgeless_T"], "L ~ T^-x at N = oo"),
        "ridge_dominated_N": mk("ridge_dominated_N", rd.data["exponent_N"], rd, "L ~ N^-x"),
        "ridge_dominated_T": mk("ridge_dominated_T", rd.data["exponent_T"], rd, "L ~ T^-x"),
        "ridge_dominated_gamma": mk("ridge_dominated_gamma", rd.data["exponent_gamma"], rd, "L ~ gamma^x"),
        "log_power": mk("log_power", rm["ridgeless_N"].data["log_power"], rm["ridgeless_N"], "(log N)^p"),
        "optimal_ridge_T": mk("optimal_ridge_T", rm["optimal_ridge"].data["exponent"], rm["optimal_ridge"],
                              "L ~ T^-x, ridge tuned for each T"),
        "optimal_ridge_gamma_exponent": mk("optimal_ridge_gamma_exponent", rm["optimal_ridge"].data["gamma_exponent"],
                                           rm["optimal_ridge"], "s* ~ T^-x"),
        "noise_ridgeless": mk("noise_ridgeless", rm["noise_ridgeless"].data["exponent"], rm["noise_ridgeless"],
                              "noise term ~ T^-x at N = oo"),
    }
