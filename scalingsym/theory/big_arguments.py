"""Special values at huge arguments: exact where the exact value fits, 30 digits beyond.

An exact ``Gamma(10^30)`` is a factorial with about ``3 10^31`` digits, and ``zeta(2 10^30)`` a Bernoulli number of
the same size: neither fits in memory. The derivation engine keeps every exponent exact and asks this module for
prefactors. Beyond :data:`BIG_ARGUMENT` a prefactor is evaluated with mpmath to :data:`BIG_DIGITS` significant
digits (a sympy ``Float``, whose exponent range is unbounded), and the rest of the law stays exact.

Examples
--------
>>> import sympy as sp
>>> special_value(sp.gamma, sp.Integer(5))
24
>>> special_value(sp.zeta, sp.Integer(2 * 10**30))
1.00000000000000000000000000000
>>> is_big(sp.Rational(3, 2)), is_big(sp.Integer(10**30))
(False, True)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sympy as sp

from ..core.errors import ParameterError

__all__ = ["BIG_ARGUMENT", "BIG_DIGITS", "check_exponents", "is_big", "number", "special_value", "tidy", "value_at",
           "zeta_or_harmonic"]

#: arguments (and exponents) above this size get a :data:`BIG_DIGITS`-digit prefactor instead of an exact one
BIG_ARGUMENT = 10**4
#: significant digits of a prefactor evaluated at a big argument
BIG_DIGITS = 30


def is_big(x: Any) -> bool:
    """True for a finite sympy number whose size exceeds :data:`BIG_ARGUMENT`."""
    x = sp.sympify(x)  # safe: sympy numbers from the derivation, no user text
    return bool(x.is_number and x.is_finite and abs(x) > BIG_ARGUMENT)


def special_value(f: Callable[..., sp.Expr], *args: sp.Expr) -> sp.Expr:
    """``f(*args)``, exact unless an argument :func:`is_big` (then to :data:`BIG_DIGITS` digits)."""
    if any(is_big(a) for a in args):
        return sp.Float(f(*args, evaluate=False).evalf(BIG_DIGITS), BIG_DIGITS)
    return f(*args)


#: above this many modes (or for a non-integer power) a finite sum is written with the Hurwitz zeta function
#: instead of being expanded term by term (an exact ``harmonic(1024, 7/2)`` is 1024 radicals)
SMALL_M = 64


def zeta_or_harmonic(M: sp.Expr, q: sp.Expr) -> sp.Expr:
    """``sum_{k=1}^M k^-q``: ``zeta(q)`` at ``M = oo``; for finite ``M`` the generalised harmonic number, as a
    rational for an integer ``q`` and ``M <= SMALL_M``, else ``zeta(q) - zeta(q, M + 1)`` (``polygamma`` at
    ``q = 1``, ``M`` at ``q = 0``); via :func:`special_value`.

    Examples
    --------
    >>> zeta_or_harmonic(sp.oo, sp.Integer(2)), zeta_or_harmonic(sp.Integer(3), sp.Integer(1))
    (pi**2/6, 11/6)
    >>> zeta_or_harmonic(sp.Integer(1024), sp.Rational(7, 2))
    -zeta(7/2, 1025) + zeta(7/2)
    """
    if M == sp.oo:
        if q.is_number and q <= 1:  # a divergent head sum: never the leading term (its zeta(q) may be huge)
            return sp.oo
        return special_value(sp.zeta, q)
    if (q.is_integer and M <= SMALL_M) or is_big(q):
        return special_value(sp.harmonic, M, q)
    if q == 0:
        return M
    if q == 1:
        return sp.polygamma(0, M + 1, evaluate=False) + sp.EulerGamma
    return sp.zeta(q) - sp.zeta(q, M + 1, evaluate=False)


def value_at(F: sp.Lambda, s: sp.Expr) -> sp.Expr:
    """``F(s)`` for a one-argument ``Lambda``, exact unless ``s`` :func:`is_big` (then to :data:`BIG_DIGITS` digits)."""
    if is_big(s):
        with sp.evaluate(False):
            v = F.expr.xreplace({F.variables[0]: s})
        return sp.Float(v.evalf(BIG_DIGITS), BIG_DIGITS)
    return F(s)


def number(x: sp.Expr, size: Any) -> sp.Expr:
    """``x`` itself, or ``x`` to :data:`BIG_DIGITS` digits when ``size`` (an exponent it will be raised to) is big."""
    return sp.Float(x.evalf(BIG_DIGITS), BIG_DIGITS) if is_big(size) else x


def check_exponents(expr: sp.Expr, what: str) -> None:
    """Refuse an expression with a numeric power beyond :data:`BIG_ARGUMENT` in size.

    sympy's limits and derivatives expand such powers (a polynomial of degree ``10^30``) and do not finish;
    the closed families (``powerlaw(alpha=...)``, ``source(a=...)``) take any exponent.

    Raises
    ------
    ParameterError
        Naming ``what`` and the allowed range.
    """
    for p in expr.atoms(sp.Pow):
        e = p.exp
        if e.is_number and e.is_finite and abs(e) > BIG_ARGUMENT:
            raise ParameterError(
                f"{what}: the power {e} in {expr} is beyond the allowed range |exponent| <= {BIG_ARGUMENT} for "
                "expressions; use powerlaw(alpha=...) or source(a=...) for larger exponents"
            )


def tidy(expr: sp.Expr) -> sp.Expr:
    """``sympy.simplify`` of a law, or only ``powsimp`` when a power has a rational exponent with a big numerator or
    denominator (``rho^(10000001/10000000)``: simplify would build polynomials of that degree and not finish).

    Examples
    --------
    >>> r = sp.Symbol("r", positive=True)
    >>> tidy(r**2 / r), tidy(r ** sp.Rational(10**7 + 1, 10**7) * r)
    (r, r**(20000001/10000000))
    """
    for p in expr.atoms(sp.Pow):
        e = p.exp
        if e.is_Rational and (abs(e.p) > BIG_ARGUMENT or e.q > BIG_ARGUMENT):
            return sp.powsimp(expr)
    return sp.simplify(expr)
