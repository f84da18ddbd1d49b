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
is named by that pair: ``F_pp``-``F_0`` is I, ``F_pp``-``F_ac`` II, ``F_ac``-noise III.

Below the line ``2 alpha = 1`` the spectrum is summable only at a finite hidden dimension: ``v = c d`` (4+3's
setting) with the step normalised by the trace, ``lr ~ 1/tr Lambda``. The engine derives the two terms that 4+3's
sub-phases Ib (``2 beta < 1``) and Ic (``2 beta > 1``, ``alpha < 1/4``) keep, ``P(r) ~ F_pp(r) + F_0(d)``:

* the trace ``sum_{j <= c d} j^-2alpha ~ d^(1 - 2alpha)`` (the leading power of its integral), so ``lr r`` is the
  time of the modes and ``F_pp ~ (lr r)^-q`` carries ``d^((1 - 2 alpha) q)``;
* ``F_0 = sigma^2(d)`` by the same counting as above (the hidden dimension only rescales its constant);
* the bulk of the ``d`` feature eigenvalues sits at ``~ d^-2alpha`` and relaxes at ``lr r d^-2alpha ~ 1``, i.e.
  ``r ~ d``: the term laws hold for ``r <= d``, so the allocation is searched on ``xi >= 1/2``.

In phases IVa/IVb (``2 beta > 1``, ``1/4 < alpha < 1/2``) the absolutely continuous part and the SGD noise have
``d``-dependent laws this engine does not derive, below the high-dimensional line ``2 (alpha + beta) <= 1`` the
target's norm grows with ``v``, and on the boundaries (``2 alpha = 1``, ``2 beta = 1``, ``alpha = 1/4``) logs enter:
there :func:`sgd_phase` raises a ParameterError saying that the engine cannot decide the phase.

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


def _trace_exponent(b: sp.Expr) -> sp.Expr:
    """``e`` with ``sum_{j <= c d} j^-b ~ d^e`` (``b < 1``): the leading power of ``int_1^{c d} x^-b dx`` in ``d``."""
    d, c = sp.symbols("d c", positive=True)
    integral = sp.integrate(_x ** (-b), (_x, 1, c * d))
    lead = sp.limit(sp.log(integral) / sp.log(d), d, sp.oo)
    return sp.simplify(lead)


def _below_line_terms(al: sp.Rational, be: sp.Rational) -> dict[str, tuple[sp.Expr, sp.Expr]]:
    """``F_pp`` and ``F_0`` at ``2 alpha < 1`` with ``v = c d`` and ``lr ~ 1/tr`` (sub-phases Ib, Ic)."""
    why = None
    if 2 * (al + be) <= 1:
        why = "below the high-dimensional line 2 (alpha + beta) <= 1 the target norm grows with the hidden dimension"
    elif 2 * be == 1 or 4 * al == 1:
        why = "on the boundary 2 beta = 1 or alpha = 1/4 log factors enter"
    elif 2 * be > 1 and 4 * al > 1:
        why = ("phases IVa/IVb (2 beta > 1, 1/4 < alpha < 1/2): the absolutely continuous part and the SGD noise have "
               "d-dependent laws this engine does not derive")
    if why:
        raise ParameterError(f"alpha = {al}, beta = {be}: the engine cannot decide the phase: {why}")
    a, b = 2 * al + 2 * be, 2 * al
    q_pp = _r_exponent(a, b)
    lr_exp = _trace_exponent(b)  # lr ~ d^-lr_exp
    converges = a - b > 1
    return {"F_pp": (sp.simplify(-lr_exp * q_pp), q_pp),
            "F_0": (b if converges else a - 1, sp.Integer(0))}


def _bulk_xi(al: sp.Rational) -> sp.Expr:
    """Lowest ``xi`` where the term laws hold below the line: ``r <= r_bulk ~ d^(2 alpha + (1 - 2 alpha))``."""
    b = 2 * al
    expo = b + _trace_exponent(b)  # r_bulk ~ d^expo: lr r d^-b ~ 1
    return sp.simplify(1 / (1 + expo))  # r = f^(1 - xi) <= d^expo = f^(expo xi)


def term_exponents(alpha: Any, beta: Any) -> dict[str, tuple[sp.Expr, sp.Expr]]:
    """``{term: (p, q)}`` with ``term ~ d^-p r^-q`` for the leading terms present at ``(alpha, beta)``."""
    al, be = _as_rational("alpha", alpha), _as_rational("beta", beta)
    if 2 * al == 1:
        raise ParameterError(f"alpha = {al}: on the line 2 alpha = 1 log factors enter; the engine cannot decide "
                             "the phase")
    if 2 * al < 1:
        return _below_line_terms(al, be)
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
    al, be = _as_rational("alpha", alpha), _as_rational("beta", beta)
    below = 2 * al < 1
    lo = _bulk_xi(al) if below else sp.Integer(0)
    xi = sp.Symbol("xi")
    lines = {k: p * xi + q * (1 - xi) for k, (p, q) in terms.items()}
    cands = {lo, sp.Integer(1)}
    names = list(lines)
    for i, m in enumerate(names):
        for n in names[i + 1 :]:
            sol = sp.solve(sp.Eq(lines[m], lines[n]), xi)
            cands.update(s for s in sol if lo <= s <= 1)
    best = max(cands, key=lambda c: min(v.subs(xi, c) for v in lines.values()))
    eta = min(v.subs(xi, best) for v in lines.values())
    active = frozenset(k for k, v in lines.items() if v.subs(xi, best) == eta)
    phase = PHASE_NAMES.get(active, "undetermined (" + "/".join(sorted(active)) + ")")
    if below and active == frozenset(("F_pp", "F_0")):
        phase = "Ib" if 2 * be < 1 else "Ic"
    return {"phase": phase, "xi": sp.simplify(best), "eta": sp.simplify(eta), "balance": sorted(active),
            "terms": {k: (str(p), str(q)) for k, (p, q) in terms.items()}}
