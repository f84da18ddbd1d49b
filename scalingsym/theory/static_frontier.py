"""Compute-optimal allocation of the static random-feature model at fixed ``C = N T`` (ridgeless).

For ``N < T`` the engine's reduction of the general-teacher loss gives (:func:`.task_regimes.task_regime_map`,
``ridgeless_both``) ``L(N, T) = L_N(N) F(N/T)`` with the peak factor ``F`` (``1/(1 - N/T)``) and the width law
``L_N(N) ~ N^-r l(N)`` (``r`` = ``ridgeless_N``'s exponent, ``l`` slowly varying). On the line ``C = N T`` with
``N = x T`` the ``x``-dependence at large ``C`` is ``g(x) = x^(-r/2) F(x)`` (a slowly varying ``l`` drops out), so
the optimum is the root in ``0 < x < 1`` of ``d log g / dx = 0`` (sympy ``solve``): ``x* = r/(2 + r)``
(for the isotropic power law, ``r = alpha``: :func:`.optimal.ridgeless_allocation`'s ``alpha/(2 + alpha)``).
Hence ``N* = sqrt(x* C)``, ``T* = sqrt(C/x*)``: both scale as ``C^(1/2)`` (equiparameterization) and
``L* ~ C^(-r/2)``.

The branch ``T < N`` is the mirror image for the isotropic teacher (the ``N <-> T`` duality of
:mod:`scalingsym.theory.duality`). For other teachers the engine reduces it deep in ``T << N`` to first order in
``T/N`` (:func:`.task_regimes.task_regime_map`, ``ridgeless_T_lt_N``): ``L ~ L_T(T) + c(T)/N`` with
``c ~ T^-e_c``, and never below the width floor ``L_N(N)``. The exponents then come from balancing the lines
``width r_N xi``, ``data r_T (1 - xi)`` and ``cross xi + e_c (1 - xi)`` (``N = C^xi``) with
:func:`.frontier.max_min_exponent` on ``1/2 <= xi <= 1`` against ``r_N/2`` on the ``N <= T`` side; where the
optimum is flat (``1/(N T) = 1/C``), the next-order balance picks ``xi``. Past ``r_T > r_N`` (e.g.
``a - 1 > b``) the optimum leaves equiparameterization: ``N* >> T*``. Where both sides share the exponent
``1/2`` for a non-isotropic teacher, the ratio and the law of ``L*`` are given only as the optimum over
``N <= T`` (``data``). Leading order (continuum, ``M = oo``), noiseless.

Examples
--------
>>> co = static_compute_optimal("k**-2")                 # isotropic, r = 1: x* = 1/3
>>> co["ratio"].expr, co["N_exponent"].expr, co["loss_exponent"].expr
(1/3, 1/2, -1/2)
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from ..core import symbols as S
from ..core.errors import ParameterError
from ..core.result import Result
from .big_arguments import number, tidy
from .frontier import max_min_exponent
from .task_regimes import task_regime_map

__all__ = ["static_compute_optimal"]

#: the aspect ratio ``x = N / T`` and the compute ``C = N T``
x = sp.Symbol("x", positive=True)
C = sp.Symbol("C", positive=True)
_r = sp.Symbol("r", positive=True)
_SRC = "ridgeless_both = L_N(N) F(N/T) from LOSS_GENERAL (scalingsym.theory.task_regimes); d log g/dx = 0"


def static_compute_optimal(spectrum: Any, task: Any = "isotropic") -> dict[str, Result]:
    """Optimal ``N*/T*``, the exponents of ``N*, T*, L* ~ C^x`` and the law of ``L*`` at ``C = N T``.

    Parameters
    ----------
    spectrum : spectrum string, TailLaw or expression
        A regularly varying spectrum.
    task : task string, optional
        The teacher; for a non-isotropic one the optimum is over ``N <= T`` only.

    Returns
    -------
    dict of Result
        ``ratio`` (``x* = N*/T*``), ``N_exponent``, ``T_exponent``, ``loss_exponent`` and ``loss`` (the law of
        ``L*`` in ``C``).

    Examples
    --------
    >>> static_compute_optimal("k**-1.5")["ratio"].expr       # r = 1/2: x* = 1/5
    1/5
    """
    rm = task_regime_map(spectrum, task, 0)
    r = rm["ridgeless_N"].data["exponent"]
    if not (r.is_number and r > 0):
        raise ParameterError(f"the static frontier needs a numeric width exponent r > 0; got {r}")
    factor = rm["ridgeless_both"].data["factor"].subs(S.d1, S.n)
    g = x ** (-_r / 2) * factor.subs({S.n: x, S.m: 1})  # solved for a symbolic r, then r substituted
    roots = [s.subs(_r, r) for s in sp.solve(sp.diff(sp.log(g), x), x)]
    roots = [s for s in roots if s.is_real and 0 < s < 1]
    if len(roots) != 1:  # pragma: no cover - x^(-r/2)/(1 - x) has one minimum on (0, 1)
        raise ParameterError(f"the static frontier: d log g/dx = 0 has roots {roots} in (0, 1)")
    xs = roots[0]
    iso = str(task).strip() == "isotropic"
    # the T << N side: L_T(T) + c(T)/N (first order in T/N), never below the width floor L_N(N)
    r_T = rm["ridgeless_T"].data["exponent"]
    e_c = rm["ridgeless_T_lt_N"].data["cross_T_exponent"]
    lines = {"width": (sp.Integer(0), r), "data": (r_T, -r_T), "cross": (e_c, 1 - e_c)}
    half = sp.Rational(1, 2)
    opt = _lexicographic_max_min(lines, half, sp.Integer(1))
    xi, eta = sp.nsimplify(opt["xi"]), sp.nsimplify(opt["eta"])  # safe: engine numbers (exact rationals)
    if not (eta.is_number and (eta >= r / 2) == sp.true):  # pragma: no cover - xi = 1/2 is in both branches
        raise AssertionError(f"the T < N branch ({eta}) is below the N <= T branch ({r / 2}) at xi = 1/2")
    data = {"width_exponent": r, "data_exponent": r_T, "cross_T_exponent": e_c, "g": g,
            "lines": {k: (str(i), str(sl)) for k, (i, sl) in lines.items()}, "active": sorted(opt["active"])}
    if xi == half:
        xn = number(xs, r)  # 30 digits when it is raised to a big power r/2 (an exact power would not fit)
        law = tidy(rm["ridgeless_both"].expr.subs({S.n: sp.sqrt(xn * C), S.m: sp.sqrt(C / xn)}))
        ratio = xs
        data["branch"] = "global (N <-> T duality)"
        if not iso:  # the T < N side has the same exponent and a constant this method does not reduce
            data.update(ratio_N_le_T=xs, loss_N_le_T=law,
                        branch="exponents global (N <= T against T << N); the ratio and the law of L* are known "
                               "only as the optimum over N <= T (ratio_N_le_T, loss_N_le_T, an upper bound)")
            law, ratio = C ** (-eta), sp.nan
    else:
        law, ratio = C ** (-eta), sp.oo
        data["branch"] = (f"T << N: N*/T* -> oo as C^{2 * xi - 1}; the law of L* is its exponent only "
                          "(prefactor not reduced)")
    common = dict(source=_SRC, exact=True, order="leading order (continuum, M = oo), ridgeless, noiseless", data=data,
                  convention="C = N T; N* ~ C^x, T* ~ C^x, L* ~ C^x")
    return {
        "ratio": Result("compute-optimal aspect ratio", ratio, lhs=sp.Symbol("N^*/T^*"), **common),
        "N_exponent": Result("static compute-optimal N exponent", xi, lhs=sp.Symbol(r"\xi_N"), **common),
        "T_exponent": Result("static compute-optimal T exponent", 1 - xi, lhs=sp.Symbol(r"\xi_T"), **common),
        "loss_exponent": Result("static compute-optimal loss exponent", -eta, lhs=sp.Symbol(r"\eta"), **common),
        "loss": Result("loss at the static optimum", law, lhs=sp.Symbol("L^*"), **common),
    }


def _lexicographic_max_min(lines: dict, lo: sp.Expr, hi: sp.Expr) -> dict:
    """:func:`.frontier.max_min_exponent`, and where the optimum is flat (a term whose exponent does not depend
    on the allocation, e.g. ``1/(N T) = 1/C``), the allocation that maximises the remaining terms' minimum on
    the optimal interval (the next order decides it)."""
    opt = max_min_exponent(lines, lo, hi)
    eta = sp.sympify(opt["eta"])  # safe: an engine number
    a, b = lo, hi
    for i, sl in lines.values():
        if sl > 0:
            a = sp.Max(a, (eta - i) / sl)
        elif sl < 0:
            b = sp.Min(b, (eta - i) / sl)
    rest = {k: v for k, v in lines.items() if not (v[1] == 0 and v[0] == eta)}
    if (b - a) > 0 and rest and len(rest) < len(lines):
        inner = max_min_exponent(rest, a, b)
        return {"xi": inner["xi"], "eta": eta, "active": set(opt["active"]) | set(inner["active"])}
    return opt
