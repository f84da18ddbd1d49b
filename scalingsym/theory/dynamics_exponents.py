"""Gradient-flow exponents and the compute-optimal frontier for any spectrum and task, from the same sums.

The gradient-flow model (Bordelon, Atanasov & Pehlevan 2024; :class:`scalingsym.models.dynamics.GradientFlowRF`)
has three bottlenecks and one cross term, each a teacher-weighted spectral sum of :mod:`.task_sums`:

* **time** (``N = P = oo``): ``L(t) = 1/2 sum_k p_k exp(-2 lambda_k t) = W_p[exp(-x)](rho = 1/(2 t))``. Its
  Laplace transform is the resolvent sum ``W_p[1/(1+x)](s)/s``; the weighted-sum law of ``exp(-x)`` is its
  Tauberian inversion done exactly (the Mellin transform ``Gamma(s)`` of ``exp(-x)``). ``exp(-x)`` has no power
  tail, so the head of the sum never competes: no saturation in time, ``r_t = sigma (a - 1)``.
* **width** (``t = oo``, ``P = oo``): the flow converges to the ridgeless width-bottleneck loss, ``r_N`` =
  ``ridgeless_N`` of :func:`.task_regimes.task_regime_map` (``min(a-1, b)``: the head wins past ``a - 1 = b``).
* **data** (``t = oo``, ``N = oo``): kernel regression, ``r_P`` = ``ridgeless_T`` (``min(a-1, 2b)``).
* **ensemble**: averaging the members removes the feature variance; the bias left is ``W_p[(1+x)^-2]`` at
  ``rho_0(N)``, ``r_N_ensemble = beta * exponent`` (``min(a-1, 2b)``).
* **cross term** ``N^-1 t^-c``: the ``1/N`` coefficient's Laplace transform is ``W_p[x/(1+x)^2](s) d1(s)/s``, so
  ``c = e(W_p[x/(1+x)^2]) + e(d1)`` from the two sums' small-``rho`` exponents (``c = 1 - 1/b`` past
  ``a - 1 = b``: the head of the first sum against the ``t^(1/b)`` modes learned so far).

The ``1/N`` coefficient ``f(t) = dL/d(1/N)`` (``P = oo``) is also derived with its prefactors:

* **late times** (:func:`width_coefficient_law`): ``F(s) ~ s^-gamma l(1/s)`` as ``s -> 0`` (product of the two sums'
  laws), inverted by the Tauberian theorem ``f(tau) ~ tau^(gamma-1) l(tau) / Gamma(gamma)`` (sympy
  ``inverse_laplace_transform`` of the power; ``tau = 2 t``, ``gamma = 1 - c``);
* **early times** (:func:`early_width_coefficients`): the ``s^-3`` term of ``F(s)`` at large ``s`` (series of
  ``g(x)`` at ``x -> 0``, whole moment sums ``sum_k p_k lambda_k^j``) gives the deterministic equivalent's
  ``f ~ c_DE t^2``; the exact Gaussian-feature coefficient comes from expanding ``L = w^T e^(-Lambda F t) Lambda
  e^(-F Lambda t) w`` to ``t^2`` in non-commuting ``F, Lambda`` and the Wishart moment
  ``E[F B F] = B + (B + Tr B)/N``: it has a second, non-proportional term ``sum_k p_k lambda_k^2``.

The compute-optimal rule at ``C = N t`` balances ``t^-r_t``, ``N^-r_N`` and ``N^-1 t^-c`` with
:func:`.frontier.max_min_exponent`. Exponents are leading order (continuum, ``M = oo``), log factors dropped.

Examples
--------
>>> ex = dynamics_exponents("k**-2", "source(a=3)")
>>> ex["r_t"].expr, ex["r_N"].expr, ex["r_P"].expr
(1, 2, 2)
>>> ex["compute_optimal_N"].expr, ex["compute_optimal_loss"].expr
(1/3, -2/3)
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from ..core import symbols as S
from ..core.errors import ParameterError
from ..core.result import Result
from .frontier import allocation_lines, max_min_exponent
from .spectral import tail_law
from .task_regimes import task_regime_map
from .task_sums import TaskLaw, X, moment_sum, task_power_law, unit_weight, weighted_sum_law

__all__ = ["dynamics_exponents", "DYNAMICS_KEYS", "width_coefficient_law", "early_width_coefficients",
           "noise_stopping_exponents", "NOISE_STOPPING_KEYS"]

#: ``tau = 2 t``, the argument of the inverse Laplace transforms of the gradient-flow model
TAU = sp.Symbol("tau", positive=True)
_u = sp.Symbol("u", positive=True)  # 1/s at large s

#: the keys of :func:`dynamics_exponents`, in print order
DYNAMICS_KEYS = ("r_t", "r_N", "r_P", "r_N_ensemble", "cross_c", "compute_optimal_N", "compute_optimal_t",
                 "compute_optimal_loss", "data_cross_c", "compute_optimal_P")
#: the keys of :func:`noise_stopping_exponents`
NOISE_STOPPING_KEYS = ("noise_growth", "optimal_stopping_P", "optimal_stopping_t_exponent")
_SRC = "gradient-flow sums by Mellin vs head (scalingsym.theory.task_sums); balance by frontier.max_min_exponent"


def _res(name: str, value: sp.Expr, what: str, data: dict | None = None) -> Result:
    v = sp.factor(value) if (value.is_number and value.is_finite) else sp.simplify(value)
    return Result(name, v, lhs=sp.Symbol(name), source=f"{what}; {_SRC}", exact=True,
                  convention="decay exponents (L ~ X^-x); compute-optimal: N* ~ C^x, t* ~ C^x, L* ~ C^x at C = N t",
                  order="leading order (continuum, M = oo), log factors dropped", data=data or {})


def dynamics_exponents(spectrum: Any, task: Any = "isotropic") -> dict[str, Result]:
    """Bottleneck exponents and the compute-optimal rule of gradient flow on a random-feature model.

    Parameters
    ----------
    spectrum : spectrum string, TailLaw or expression
        A regularly varying spectrum ``lambda_k ~ k^-b`` (times log powers).
    task : task string, optional
        The teacher (``isotropic``, ``power(nu=...)``, ``source(a=...)``, ``custom(expr=...)``).

    Returns
    -------
    dict of Result
        Keys :data:`DYNAMICS_KEYS`. ``compute_optimal_loss`` is the (negative) exponent of ``L*`` in ``C``.

    Examples
    --------
    >>> ex = dynamics_exponents("k**-1.5", "source(a=2)")
    >>> ex["compute_optimal_N"].expr, ex["compute_optimal_t"].expr
    (2/5, 3/5)
    """
    law = tail_law(spectrum)
    tw = task_power_law(law, task)
    beta = law.beta
    time_law = weighted_sum_law(law, tw, sp.exp(-X))
    r_t = time_law.exponent
    rm = task_regime_map(law, task, 0)
    r_N = rm["ridgeless_N"].data["exponent"]
    r_P = rm["ridgeless_T"].data["exponent"]
    ens = weighted_sum_law(law, tw, (1 + X) ** -2)
    r_ens = sp.simplify(beta * ens.exponent)
    cross = sp.simplify(weighted_sum_law(law, tw, X / (1 + X) ** 2).exponent
                        + weighted_sum_law(law, unit_weight(), X / (1 + X)).exponent)
    N, t = S.N, S.t
    terms = {"time": t ** (-r_t), "width": N ** (-r_N), "cross": N**-1 * t ** (-cross)}
    lines = allocation_lines(terms, {N: (0, 1), t: (1, -1)})
    opt = max_min_exponent(lines, 0, 1)
    xi, eta = opt["xi"], opt["eta"]
    active = sorted(opt["active"]) if isinstance(opt["active"], frozenset) else opt["active"]
    data = {"lines": {k: (str(i), str(s)) for k, (i, s) in lines.items()}, "active": active}
    c_P, zeta, pdata = _data_frontier(law, tw, r_P, xi, eta)
    return {
        "r_t": _res("r_t", r_t, "L ~ t^-x at N = P = oo: W_p[exp(-x)](1/(2t))", {"law": time_law.expr}),
        "r_N": _res("r_N", r_N, "L ~ N^-x at t = P = oo: the ridgeless width bottleneck"),
        "r_P": _res("r_P", r_P, "L ~ P^-x at t = N = oo: ridgeless kernel regression"),
        "r_N_ensemble": _res("r_N_ensemble", r_ens, "ensemble-averaged bias W_p[(1+x)^-2](rho_0(N)) ~ N^-x"),
        "cross_c": _res("cross_c", cross, "late-time 1/N coefficient ~ t^-x: e(W_p[x/(1+x)^2]) + e(d1)"),
        "compute_optimal_N": _res("compute_optimal_N", xi, "N* ~ C^x", data),
        "compute_optimal_t": _res("compute_optimal_t", 1 - xi, "t* ~ C^x", data),
        "compute_optimal_loss": _res("compute_optimal_loss", -eta, "L* ~ C^x", data),
        "data_cross_c": _res("data_cross_c", c_P, "late-time 1/P coefficient (N = oo) ~ t^-x: min over its two "
                             "products of e(W_p) + e(W_1)", pdata),
        "compute_optimal_P": _res("compute_optimal_P", zeta, "P* ~ C^x: the least data for which neither data term "
                                  "binds at the compute-optimal (N*, t*)", pdata),
    }


def _data_frontier(law, tw, r_P: sp.Expr, xi: sp.Expr, eta: sp.Expr) -> tuple[sp.Expr, sp.Expr, dict]:
    """The ``1/P`` coefficient's late-time exponent and the data the compute-optimal frontier needs.

    At ``N = oo`` the first finite-data term of the two-point transform is (``x = lambda/s``, ``s1 = s2 = s``)
    ``G = s^-2 (W_p[(1+x)^-2] W_1[x^2/(1+x)^2] + 2 W_p[x/(1+x)^3] W_1[x/(1+x)])`` (see
    :meth:`scalingsym.models.dynamics.GradientFlowRF.data_coefficient`); ``G(sigma s1, sigma s2)`` is homogeneous of
    degree ``-2 + E`` in ``sigma``, so its inverse at ``t1 = t2 = t`` decays as ``t^-E`` with ``E`` the smallest
    product exponent. With ``P = C^zeta`` at the frontier ``N* = C^xi``, ``t* = C^(1 - xi)``, the data floor
    ``P^-r_P`` and the cross term ``P^-1 t^-c_P`` stay below ``L* ~ C^-eta`` iff ``zeta r_P >= eta`` and
    ``zeta + c_P (1 - xi) >= eta``: the least such ``zeta`` balances the binding one against ``L*``.
    """
    one = unit_weight()
    prod_a = (weighted_sum_law(law, tw, (1 + X) ** -2).exponent
              + weighted_sum_law(law, one, X**2 / (1 + X) ** 2).exponent)
    prod_b = (weighted_sum_law(law, tw, X / (1 + X) ** 3).exponent
              + weighted_sum_law(law, one, X / (1 + X)).exponent)
    c_P = sp.simplify(sp.Min(prod_a, prod_b))
    Z = sp.Symbol("zeta", real=True)
    need = {"data": sp.solve(sp.Eq(Z * r_P, eta), Z), "data_cross": sp.solve(sp.Eq(Z + c_P * (1 - xi), eta), Z)}
    zeta = sp.simplify(sp.Max(*[v[0] for v in need.values() if v]))
    binding = sorted(k for k, v in need.items() if v and sp.simplify(v[0] - zeta) == 0)
    data = {"products": (str(sp.simplify(prod_a)), str(sp.simplify(prod_b))), "binding": binding}
    return c_P, zeta, data


def noise_stopping_exponents(spectrum: Any, task: Any = "isotropic") -> dict[str, Result]:
    """Label noise in gradient flow (``N = oo``, ``P`` samples): its growth in time and the early-stopping rate.

    Conditioned on the features, label noise of variance ``sigma^2`` enters the two-point function as the
    misspecification residual does: ``sigma^2 gamma12 / ((1 - gamma12) s1 s2)``. To first order in ``1/P``
    (``kappa_tilde = s``, ``gamma12 = (1/P) sum_k lambda_k^2 / ((lambda_k + s1)(lambda_k + s2))``) its inverse
    transform at ``t1 = t2 = t`` is ``(sigma^2/P) sum_k (1 - exp(-lambda_k t))^2 = (sigma^2/P) W_1[(1 - e^-x)^2](1/t)``:
    the noise fitted by the modes learned so far, growing as ``t^g``. Stopping at the ``t*`` that balances it
    against the time bottleneck ``t^-r_t`` (and the data bottleneck ``P^-r_P``), found by
    :func:`.frontier.max_min_exponent` with ``t = P^xi``, gives ``L* ~ P^-x``.

    Returns
    -------
    dict of Result
        ``noise_growth`` (``g``), ``optimal_stopping_P`` (``x``, ``L ~ P^-x`` with ``t`` tuned for each ``P``) and
        ``optimal_stopping_t_exponent`` (``t* ~ P^x``); leading order (continuum, ``M = oo``), log factors dropped.

    Examples
    --------
    >>> ex = noise_stopping_exponents("k**-2", "source(a=3)")   # KRR source/capacity rate (a - 1)/a with noise
    >>> ex["noise_growth"].expr, ex["optimal_stopping_P"].expr, ex["optimal_stopping_t_exponent"].expr
    (1/2, 2/3, 2/3)
    """
    law = tail_law(spectrum)
    tw = task_power_law(law, task)
    grow_law = weighted_sum_law(law, unit_weight(), (1 - sp.exp(-X)) ** 2)
    growth = sp.simplify(-grow_law.exponent)
    r_t = weighted_sum_law(law, tw, sp.exp(-X)).exponent
    r_P = task_regime_map(law, task, 0)["ridgeless_T"].data["exponent"]
    P, t = S.P, S.t
    terms = {"time": t ** (-r_t), "data": P ** (-r_P), "noise": P**-1 * t**growth}
    lines = allocation_lines(terms, {P: (1, 0), t: (0, 1)})
    opt = max_min_exponent(lines, 0, sp.oo)
    active = sorted(opt["active"]) if isinstance(opt["active"], frozenset) else opt["active"]
    data = {"lines": {k: (str(i), str(sl)) for k, (i, sl) in lines.items()}, "active": active,
            "noise_law": grow_law.expr}
    return {
        "noise_growth": _res("noise_growth", growth, "noise term sigma^2 t^x / P: W_1[(1-exp(-x))^2](1/t)",
                             {"law": grow_law.expr}),
        "optimal_stopping_P": _res("optimal_stopping_P", opt["eta"], "L ~ P^-x, N = oo, t tuned for each P", data),
        "optimal_stopping_t_exponent": _res("optimal_stopping_t_exponent", opt["xi"], "t* ~ P^x", data),
    }


def _cross_sums(spectrum: Any, task: Any):
    law = tail_law(spectrum)
    tw = task_power_law(law, task)
    return law, tw, weighted_sum_law(law, tw, X / (1 + X) ** 2), weighted_sum_law(law, unit_weight(), X / (1 + X))


def width_coefficient_law(spectrum: Any, task: Any = "isotropic") -> Result:
    """Late-time law of the ``1/N`` coefficient ``f(t) = dL/d(1/N)|_{1/N=0}`` of gradient flow (``P = oo``).

    ``f`` is the inverse Laplace transform at ``tau = 2 t`` of ``F(s) = W_p[x/(1+x)^2](s) d1(s) / s``; the two
    sums' small-``s`` laws give ``F(s) ~ s^-gamma l(1/s)`` (``l`` slowly varying: log factors), inverted by the
    Tauberian theorem ``f(tau) ~ tau^(gamma - 1) l(tau) / Gamma(gamma)``. Leading order (continuum, ``M = oo``).

    Returns
    -------
    Result
        ``expr``: the law in ``t``; ``data``: ``c`` (``f ~ t^-c``), ``prefactor`` (of ``(2t)^-c``, ``None`` with
        log factors), ``contribution`` of the task sum (``head`` past ``a - 1 = b``).

    Examples
    --------
    >>> r = width_coefficient_law("k**-2", "source(a=4)")     # a - b = 2 > 1: zeta(2) Gamma(1/2) (2t)^-(1/2) / 2
    >>> r.data["c"], r.data["prefactor"]
    (1/2, pi**(5/2)/12)
    """
    _law, _tw, A, D = _cross_sums(spectrum, task)
    c = sp.simplify(A.exponent + D.exponent)
    if not c.is_number or len(A.branches) != 1 or len(D.branches) != 1:
        raise ParameterError("the 1/N coefficient's law needs numeric exponents (give a, b as numbers)")
    gam = 1 - c
    if not gam > 0:  # pragma: no cover - c < 1 on every branch (1 - 1/b, or (a - 2)/b with a < b + 1)
        raise ParameterError(f"the 1/N coefficient's transform ~ s^-{gam}: the Tauberian inversion needs it > 0")
    F = A.expr * D.expr / S.rho
    kernel = sp.inverse_laplace_transform(S.s ** (-gam), S.s, TAU)  # tau^(gamma-1)/Gamma(gamma)
    f_tau = sp.powsimp(sp.expand_power_base((F * S.rho**gam).subs(S.rho, 1 / TAU) * kernel, force=True), force=True)
    pref = sp.simplify(f_tau * TAU**c)
    pref = pref if not pref.has(TAU) else None
    law_t = f_tau.subs(TAU, 2 * S.t)
    return Result("1/N coefficient at late times", law_t, lhs=sp.Symbol("f(t)"), regime=(S.t > 1,),
                  source="Tauberian inversion of W_p[x/(1+x)^2] d1/s (scalingsym.theory.dynamics_exponents)",
                  order="leading order (continuum, M = oo)", convention="f = dL/d(1/N) at 1/N = 0, P = oo, tau = 2t",
                  exact=True, data={"c": c, "prefactor": pref, "contribution": A.contribution})


def _small_x_series(weight: TaskLaw, spec: Any, g: sp.Expr, order: int, name: str) -> tuple[sp.Expr, dict]:
    """``W[g](s) = sum_j g_j s^-j m_j`` at large ``s`` (``g``'s Taylor series at ``x = 0``), with symbols
    ``m_j = sum_k p_k lambda_k^j`` and their exact values."""
    ser = sp.series(g, X, 0, order + 1).removeO()
    out, values = sp.Integer(0), {}
    for j in range(1, order + 1):
        gj = ser.coeff(X, j)
        if gj != 0:
            mj = sp.Symbol(f"{name}_{j}", positive=True)
            values[mj] = moment_sum(spec, weight, j)
            out += gj * _u**j * mj
    return out, values


def _wishart_t2() -> tuple[sp.Expr, sp.Expr]:
    """``t^2`` coefficient of ``E[w^T e^(-Lambda F t) Lambda e^(-F Lambda t) w]`` in words of ``Lambda``:
    ``(N = oo part, 1/N part)`` as polynomials in a commuting ``Lam`` and ``Tr`` (``Tr Lambda``)."""
    F, Lam = sp.symbols("F Lam", commutative=False)
    Tr = sp.Symbol("Tr")
    t = S.t
    e_right = 1 - t * F * Lam + t**2 * (F * Lam) ** 2 / 2
    e_left = 1 - t * Lam * F + t**2 * (Lam * F) ** 2 / 2  # the transpose (F, Lambda symmetric)
    c2 = sp.expand(e_left * Lam * e_right).coeff(t, 2)
    iN = sp.Symbol("iN")
    mean = sp.expand(c2.subs(F * Lam * F, Lam + iN * (Lam + Tr)))  # Wishart: E[F B F] = B + (B + Tr B)/N
    if mean.has(F):  # pragma: no cover - every F pairs at order t^2
        raise AssertionError(f"unpaired F in {mean}")
    lam = sp.Symbol("Lam")
    mean = mean.subs(Lam, lam)
    return mean.coeff(iN, 0), mean.coeff(iN, 1)


def early_width_coefficients(spectrum: Any, task: Any = "isotropic") -> dict[str, Result]:
    """Early-time ``1/N`` coefficient: ``E L(t) - L_{N=oo}(t) = c t^2 / N + O(t^3)`` (``P = oo``).

    ``deterministic_equivalent``: from the large-``s`` series of ``F(s) = W_p[x/(1+x)^2] d1 / s`` (its ``s^-3``
    term, inverted with sympy's ``inverse_laplace_transform``): ``2 Tr Lambda sum_k p_k lambda_k``. ``exact``
    (Gaussian features): the ``t^2`` term of the flow with the Wishart moment ``E[F B F]``:
    ``2 (sum_k p_k lambda_k^2 + Tr Lambda sum_k p_k lambda_k)``. The sums run over every mode (exact at any
    ``M``); ``ratio`` = exact / DE measures the deterministic equivalent's early-time gap.

    Examples
    --------
    >>> co = early_width_coefficients("k**-2", "isotropic")          # p = k^-2: 2 (zeta(6) + zeta(2) zeta(4))
    >>> co["exact"].expr, co["deterministic_equivalent"].expr
    (11*pi**6/1890, pi**6/270)
    """
    law = tail_law(spectrum)
    tw = task_power_law(law, task)
    ser_p, vals = _small_x_series(tw, law, X / (1 + X) ** 2, 2, "mp")
    ser_1, vals1 = _small_x_series(unit_weight(), law, X / (1 + X), 2, "m1")
    vals.update(vals1)
    F = sp.expand(ser_p * ser_1 * _u)
    lowest = min(j for j in range(1, 6) if F.coeff(_u, j) != 0)
    if lowest != 3:  # pragma: no cover - both sums start at order 1/s
        raise AssertionError(f"F(s) starts at s^-{lowest}")
    kernel = sp.inverse_laplace_transform(S.s**-3, S.s, TAU).subs(TAU, 2 * S.t)
    de_sym = sp.expand(F.coeff(_u, 3) * kernel / S.t**2)
    inf_part, one_over_n = _wishart_t2()
    lam, Tr = sp.Symbol("Lam"), sp.Symbol("Tr")
    # w^T Lambda^j w = sum_k p_k lambda_k^(j-1); Tr Lambda = m1_1
    words = {lam**j: sp.Symbol(f"mp_{j - 1}", positive=True) for j in range(1, 5)}
    exact_sym = sp.expand(one_over_n).subs(words).subs(Tr, sp.Symbol("m1_1", positive=True))
    for j in (1, 2):
        vals.setdefault(sp.Symbol(f"mp_{j}", positive=True), moment_sum(law, tw, j))
    if sp.expand(exact_sym.coeff(sp.Symbol("m1_1", positive=True)) * sp.Symbol("m1_1", positive=True) - de_sym) != 0:
        raise AssertionError(  # pragma: no cover - the two derivations must agree
            f"the Laplace-domain coefficient {de_sym} is not the trace term of {exact_sym}")
    # no simplify: a finite-M sum is a Hurwitz zeta that simplify would expand term by term
    de, ex = sp.factor_terms(de_sym.subs(vals)), sp.factor_terms(exact_sym.subs(vals))
    common = dict(lhs=sp.Symbol("c"), regime=(S.t < 1,), exact=True, order="exact at every M; O(t^3) dropped",
                  convention="E L(t) - L_{N=oo}(t) = c t^2/N, P = oo, L = E_x (f - y)^2")
    ratio = sp.factor_terms(sp.expand(ex / de))
    return {
        "exact": Result("early 1/N coefficient (Gaussian features)", ex, source="t^2 term with E[F B F] = B + "
                        "(B + Tr B)/N", data={"symbolic": exact_sym, "ratio": ratio}, **common),
        "deterministic_equivalent": Result("early 1/N coefficient (deterministic equivalent)", de,
                                           source="s^-3 term of W_p[x/(1+x)^2] d1/s", data={"symbolic": de_sym},
                                           **common),
    }
