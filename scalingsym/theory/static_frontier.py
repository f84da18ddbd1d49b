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
:mod:`scalingsym.theory.duality`); for other teachers it is not reduced here, and the result is the optimum
over ``N <= T`` (``data["branch"]``). Leading order (continuum, ``M = oo``), noiseless.

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
    xn = number(xs, r)  # 30 digits when it is raised to a big power r/2 (an exact power would not fit)
    law = tidy(rm["ridgeless_both"].expr.subs({S.n: sp.sqrt(xn * C), S.m: sp.sqrt(C / xn)}))
    iso = str(task).strip() == "isotropic"
    data = {"branch": "global (N <-> T duality)" if iso else "N <= T (the T < N branch is not reduced)",
            "width_exponent": r, "g": g}
    common = dict(source=_SRC, exact=True, order="leading order (continuum, M = oo), ridgeless, noiseless", data=data,
                  convention="C = N T; N* ~ C^x, T* ~ C^x, L* ~ C^x")
    return {
        "ratio": Result("compute-optimal aspect ratio", xs, lhs=sp.Symbol("N^*/T^*"), **common),
        "N_exponent": Result("static compute-optimal N exponent", sp.Rational(1, 2), lhs=sp.Symbol(r"\xi_N"), **common),
        "T_exponent": Result("static compute-optimal T exponent", sp.Rational(1, 2), lhs=sp.Symbol(r"\xi_T"), **common),
        "loss_exponent": Result("static compute-optimal loss exponent", -r / 2, lhs=sp.Symbol(r"\eta"), **common),
        "loss": Result("loss at the static optimum", law, lhs=sp.Symbol("L^*"), **common),
    }
