"""Compute-optimal phases of one-pass SGD on power-law random features (the PLRF ``(alpha, beta)`` model).

PLRF parametrisation (``dynamics_and_regimes.md`` A3-A4): ``lambda_j = j^-2alpha`` (``b = 2 alpha``), task power
``j^-(2 alpha + 2 beta)`` (``a = 2 alpha + 2 beta``), ``d = N`` parameters, ``r`` steps at fixed batch and step,
compute ``f = d r``. The leading terms of the SGD loss (:mod:`scalingsym.models.sgd`: ``F(r)``, the noise term
of the Volterra equation and ``F(inf) = sigma^2(d)``) are power laws ``d^-p r^-q``; their exponents are derived
here with sympy, not typed in:

* ``F_pp ~ sum_j j^-a e^{-r j^-b}``: the substitution ``x = r^{1/b} y`` in ``int x^-a e^{-r x^-b} dx`` gives
  ``r^{(1-a)/b}``;
* ``F_ac ~ d^-1 (sum_j j^-(a-b)) int x^-b e^{-r x^-b} dx`` (the first ``1/d`` term of the deterministic
  equivalent, sheet B5), present iff ``sum_j j^-(a-b)`` converges (``a - b > 1``, i.e. ``2 beta > 1``);
* noise ``(lr^2/B) K(r) sum_r' F_pp(r')`` with ``K ~ int x^-2b e^{-r x^-b} dx``; ``sum F_pp`` converges iff
  the ``F_pp`` exponent exceeds 1 (else it grows like ``r^{1 - q_pp}``);
* ``F_0 = sigma^2(d) = kt sum j^-a/(j^-b + kt)`` with ``df(kt) = d``: ``df ~ kt^{-1/b}`` so ``kt ~ d^-b``; the sum
  is ``O(1)`` if ``a - b > 1`` and ``~ kt^{(a-1)/b - 1}`` otherwise.

The compute-optimal allocation ``d* ~ f^xi`` maximises ``eta(xi) = min_i [p_i xi + q_i (1 - xi)]`` (``L* ~ f^-eta``):
the balance of the two terms active at the optimum, found exactly among all pairwise intersections. The phase
is named by that pair: ``F_pp``-``F_0`` is I, ``F_pp``-``F_ac`` II, ``F_ac``-noise III. For ``2 alpha <= 1`` the
spectrum is not summable at ``d = inf`` and these term laws do not apply: :func:`sgd_phase` raises a
ParameterError saying the engine cannot decide that phase (IV and the sub-phases Ib/Ic need the ``v``-dependent
laws).

Examples
--------
>>> import sympy as sp
>>> res = sgd_phase(sp.Rational(7, 10), sp.Rational(1, 5))
>>> res["phase"], res["xi"], res["eta"]
('I', 5/12, 1/3)
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from ..core.errors import ParameterError
from ..core.expressions import parse_exact_number

__all__ = ["term_exponents", "sgd_phase", "PHASE_NAMES"]

_x, _y, _r = sp.symbols("x y r", positive=True)

PHASE_NAMES = {
    frozenset(("F_pp", "F_0")): "I",
    frozenset(("F_pp", "F_ac")): "II",
    frozenset(("F_ac", "noise")): "III",
}


def _r_exponent(power: sp.Expr, b: sp.Expr) -> sp.Expr:
    """``q`` with ``int_0^inf x^-power e^{-r x^-b} dx = C r^-q``, by the substitution ``x = r^{1/b} y``."""
    integrand = _x ** (-power) * sp.exp(-_r * _x ** (-b))
    sub = sp.powsimp(sp.expand_power_base(integrand.subs(_x, _r ** (1 / b) * _y) * _r ** (1 / b), force=True),
                     force=True)
    dep = sp.powsimp(sp.expand_power_base(sub.subs(_y, 1), force=True), force=True)
    expo = sp.simplify(sp.log(dep.subs(sp.exp(-_r * _r ** (-1)), 1)).expand(force=True).coeff(sp.log(_r)))
    # the exponential's argument must be r-free after the substitution (scale invariance)
    if sp.simplify(sub.diff(_r) * _r / sub - expo) != 0:  # pragma: no cover - a failed substitution is a bug
        raise AssertionError("substitution did not separate r")
    return sp.simplify(-expo)


def _as_rational(name: str, v: Any) -> sp.Rational:
    x = parse_exact_number(v, name)  # decimal or p/q only: user text is never evaluated
    if not x > 0:
        raise ParameterError(f"{name} must be a finite number > 0; got {v!r}")
    return x


def term_exponents(alpha: Any, beta: Any) -> dict[str, tuple[sp.Expr, sp.Expr]]:
    """``{term: (p, q)}`` with ``term ~ d^-p r^-q`` for the leading terms present at ``(alpha, beta)``."""
    al, be = _as_rational("alpha", alpha), _as_rational("beta", beta)
    if 2 * al <= 1:
        raise ParameterError(
            f"alpha = {al}: for 2 alpha <= 1 (phase IV) the engine cannot decide the phase: the d = inf term laws "
            "used here need a summable spectrum (2 alpha > 1)"
        )
    a, b = 2 * al + 2 * be, 2 * al
    q_pp = _r_exponent(a, b)
    terms: dict[str, tuple[sp.Expr, sp.Expr]] = {"F_pp": (sp.Integer(0), q_pp)}
    converges = a - b > 1  # sum_j j^-(a-b)
    if converges:
        terms["F_ac"] = (sp.Integer(1), _r_exponent(b, b))
    q_K = _r_exponent(2 * b, b)
    terms["noise"] = (sp.Integer(0), q_K if q_pp > 1 else q_K + q_pp - 1)
    terms["F_0"] = (b if converges else b * ((a - 1) / b), sp.Integer(0))
    return terms


def sgd_phase(alpha: Any, beta: Any) -> dict[str, Any]:
    """Phase, ``xi`` (``d* ~ f^xi``) and ``eta`` (``L* ~ f^-eta``) from the balance of the leading terms."""
    terms = term_exponents(alpha, beta)
    xi = sp.Symbol("xi")
    lines = {k: p * xi + q * (1 - xi) for k, (p, q) in terms.items()}
    cands = {sp.Integer(0), sp.Integer(1)}
    names = list(lines)
    for i, m in enumerate(names):
        for n in names[i + 1 :]:
            sol = sp.solve(sp.Eq(lines[m], lines[n]), xi)
            cands.update(s for s in sol if 0 <= s <= 1)
    best = max(cands, key=lambda c: min(v.subs(xi, c) for v in lines.values()))
    eta = min(v.subs(xi, best) for v in lines.values())
    active = frozenset(k for k, v in lines.items() if v.subs(xi, best) == eta)
    phase = PHASE_NAMES.get(active, "undetermined (" + "/".join(sorted(active)) + ")")
    return {"phase": phase, "xi": sp.simplify(best), "eta": sp.simplify(eta), "balance": sorted(active),
            "terms": {k: (str(p), str(q)) for k, (p, q) in terms.items()}}
