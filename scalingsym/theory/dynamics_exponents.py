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
from ..core.result import Result
from .frontier import allocation_lines, max_min_exponent
from .spectral import tail_law
from .task_regimes import task_regime_map
from .task_sums import X, task_power_law, unit_weight, weighted_sum_law

__all__ = ["dynamics_exponents", "DYNAMICS_KEYS"]

#: the keys of :func:`dynamics_exponents`, in print order
DYNAMICS_KEYS = ("r_t", "r_N", "r_P", "r_N_ensemble", "cross_c", "compute_optimal_N", "compute_optimal_t",
                 "compute_optimal_loss")
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
    return {
        "r_t": _res("r_t", r_t, "L ~ t^-x at N = P = oo: W_p[exp(-x)](1/(2t))", {"law": time_law.expr}),
        "r_N": _res("r_N", r_N, "L ~ N^-x at t = P = oo: the ridgeless width bottleneck"),
        "r_P": _res("r_P", r_P, "L ~ P^-x at t = N = oo: ridgeless kernel regression"),
        "r_N_ensemble": _res("r_N_ensemble", r_ens, "ensemble-averaged bias W_p[(1+x)^-2](rho_0(N)) ~ N^-x"),
        "cross_c": _res("cross_c", cross, "late-time 1/N coefficient ~ t^-x: e(W_p[x/(1+x)^2]) + e(d1)"),
        "compute_optimal_N": _res("compute_optimal_N", xi, "N* ~ C^x", data),
        "compute_optimal_t": _res("compute_optimal_t", 1 - xi, "t* ~ C^x", data),
        "compute_optimal_loss": _res("compute_optimal_loss", -eta, "L* ~ C^x", data),
    }
