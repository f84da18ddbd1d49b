"""Optimal allocations by balancing the leading terms of a loss (compute-optimal frontiers, optimal ridges).

A loss whose leading terms are power laws in resources ``X_1, X_2, ...`` (e.g. ``L ~ c1 N^-p1 t^-q1 + c2 ...``),
with the resources tied to one budget ``C`` (``N = C^xi``, ``t = C^(1 - xi)`` for compute ``C = N t``; or a free
ridge ``rho = T^-xi`` at fixed ``T``), behaves as ``sum_j C^-e_j(xi)`` with exponents *linear* in ``xi``:
``e_j(xi) = intercept_j + slope_j xi``. At large ``C`` the largest term (smallest ``e_j``) dominates, so the best
allocation maximises ``eta(xi) = min_j e_j(xi)``, a concave piecewise-linear function: its maximum sits where two
active lines with slopes of opposite signs cross, or at an end of the allowed range. :func:`max_min_exponent`
finds it exactly (numeric exponents) or as a ``Piecewise`` in symbolic exponents, each branch with the condition
under which that pair of terms balances. :func:`allocation_lines` turns loss terms (sympy monomials, e.g.
``N**-1 * t**-(1 - 1/b)``) into the lines, with the exponents read off by :func:`.regimes.power_and_log`.

Examples
--------
>>> import sympy as sp
>>> N, t = sp.symbols("N t", positive=True)
>>> lines = allocation_lines({"time": t**-2, "width": N**-1}, {N: (0, 1), t: (1, -1)})
>>> res = max_min_exponent(lines)
>>> res["xi"], res["eta"], sorted(res["active"])
(2/3, 2/3, ['time', 'width'])
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sympy as sp

from ..core.errors import ParameterError
from .regimes import power_and_log

__all__ = ["allocation_lines", "max_min_exponent", "XI"]

#: the allocation exponent (``X = C^xi``)
XI = sp.Symbol("xi", real=True)


def allocation_lines(terms: Mapping[str, sp.Expr], resources: Mapping[sp.Symbol, tuple[Any, Any]]
                     ) -> dict[str, tuple[sp.Expr, sp.Expr]]:
    """Exponent lines ``e_j(xi) = intercept + slope xi`` of loss terms under ``X = C^(u0 + u1 xi)``.

    Parameters
    ----------
    terms : mapping of str to sympy.Expr
        The leading loss terms (products of powers and log powers of the resources; constants ignored).
    resources : mapping of Symbol to (u0, u1)
        Each resource's exponent of the budget: ``X = C^(u0 + u1 xi)``.

    Returns
    -------
    dict
        ``{name: (intercept, slope)}`` with ``term ~ C^-(intercept + slope xi)`` (log factors only shift
        the frontier by logs and are not part of the exponent).

    Examples
    --------
    >>> N, t, b = sp.symbols("N t b", positive=True)
    >>> allocation_lines({"cross": N**-1 * t**(1/b - 1)}, {N: (0, 1), t: (1, -1)})
    {'cross': ((b - 1)/b, 1/b)}
    """
    out = {}
    for name, term in terms.items():
        e0, e1 = sp.Integer(0), sp.Integer(0)
        for X, (u0, u1) in resources.items():
            if not term.has(X):
                continue
            slope, _ = power_and_log(term, X)
            if not slope.is_finite:
                raise ParameterError(f"term {name} = {term} is not a power law in {X}")
            e0 -= slope * sp.sympify(u0)  # safe: u0, u1 are exponents given by the engine, not user text
            e1 -= slope * sp.sympify(u1)  # safe: as above
        out[name] = (sp.simplify(e0), sp.simplify(e1))
    return out


def _numeric_max_min(lines: dict[str, tuple[sp.Expr, sp.Expr]], lo: sp.Expr, hi: sp.Expr) -> dict[str, Any]:
    val = {k: (lambda x, i=i, s=s: i + s * x) for k, (i, s) in lines.items()}
    cands = {c for c in (lo, hi) if c.is_finite}
    names = list(lines)
    for i, m in enumerate(names):
        for n in names[i + 1:]:
            (i1, s1), (i2, s2) = lines[m], lines[n]
            if s1 != s2:
                x = (i2 - i1) / (s1 - s2)  # exact: sympy numbers (no nsimplify: it rounds large rationals)
                if (lo <= x) == sp.true and (x <= hi) == sp.true:
                    cands.add(x)
    if not cands:
        raise ParameterError("no finite allocation: every term keeps decreasing towards an infinite end")
    best = max(cands, key=lambda c: min(v(c) for v in val.values()))
    eta = min(v(best) for v in val.values())
    # an unbounded optimum: the min still grows towards an infinite end
    for end, sign in ((hi, 1), (lo, -1)):
        if not end.is_finite:
            active_slopes = [s for (i, s) in lines.values()]
            if all(sign * s > 0 for s in active_slopes):
                raise ParameterError("the optimum is at an infinite end of the allowed range (every term decreases)")
    active = frozenset(k for k, v in val.items() if sp.simplify(v(best) - eta) == 0)
    return {"xi": best, "eta": eta, "active": active, "conditions": sp.true}


def _simplify_condition(cond: sp.Boolean, domain: Mapping[sp.Symbol, Any]) -> sp.Boolean:
    """Simplify a condition on exponents known to exceed given lower bounds (``a > 1``: ``a = 1 + u, u > 0``)."""
    if not domain or cond in (sp.true, sp.false):
        return sp.simplify(cond) if cond not in (sp.true, sp.false) else cond
    shift = {x: sp.sympify(lo) + sp.Dummy(f"u_{x}", positive=True) for x, lo in domain.items()}  # safe: engine bounds
    back = {u: x - sp.sympify(domain[x]) for x, u in shift.items()}  # safe: as above
    back = {v.free_symbols.difference(sp.sympify(domain[x]).free_symbols).pop(): e for (x, v), e in  # safe: as above
            zip(shift.items(), back.values())}

    def rel(r: sp.Basic) -> sp.Basic:
        if isinstance(r, sp.core.relational.Relational) and not isinstance(r, (sp.Eq, sp.Ne)):
            num, den = sp.fraction(sp.factor(sp.together(r.lhs - r.rhs)))
            if den.is_negative:
                num = -num
            elif not den.is_positive:
                return r
            num = sp.factor(num)
            if isinstance(num, sp.Mul):  # positive factors do not change the sign
                keep = [f for f in num.args if not f.is_positive]
                flips = sum(1 for f in keep if f.is_negative)
                num = (-1) ** flips * sp.Mul(*[f for f in keep if not f.is_negative])
            strict = isinstance(r, (sp.StrictGreaterThan, sp.StrictLessThan))
            sign = 1 if isinstance(r, (sp.StrictGreaterThan, sp.GreaterThan)) else -1
            d = sign * num  # the condition is d > 0 (strict) or d >= 0
            if d.is_positive or (not strict and d.is_nonnegative):
                return sp.true
            if d.is_negative or (strict and d.is_nonpositive):
                return sp.false
            return sp.StrictGreaterThan(sp.expand(d), 0) if strict else sp.GreaterThan(sp.expand(d), 0)
        if isinstance(r, sp.logic.boolalg.BooleanFunction):
            return r.func(*[rel(a) for a in r.args])
        return r

    shifted = rel(cond.subs(shift))
    out = shifted.subs(back) if shifted not in (sp.true, sp.false) else shifted
    return sp.simplify(out) if out not in (sp.true, sp.false) else out


def _first_min_max(ls: dict[str, tuple[sp.Expr, sp.Expr]]) -> sp.Expr | None:
    for i, s in ls.values():
        for e in (i, s):
            found = [x for x in sp.preorder_traversal(e) if isinstance(x, (sp.Min, sp.Max))]
            if found:
                return found[0]
    return None


def _cases(ls, mm: sp.Expr, lo, hi, domain) -> dict[str, Any]:
    xs, es, active = [], [], {}
    for arg in mm.args:
        others = [o for o in mm.args if o != arg]
        case = sp.And(*[(arg <= o) if isinstance(mm, sp.Min) else (arg >= o) for o in others])
        case = _simplify_condition(case, domain)
        if case is sp.false:
            continue
        sub = {k: (i.subs(mm, arg), s.subs(mm, arg)) for k, (i, s) in ls.items()}
        res = max_min_exponent(sub, lo, hi, domain)
        if isinstance(res["xi"], sp.Piecewise):
            pieces = [(e, c) for e, c in res["xi"].args if c is not sp.true or e is not sp.nan]
            epieces = [(e, c) for e, c in res["eta"].args if c is not sp.true or e is not sp.nan]
        else:
            pieces, epieces = [(res["xi"], sp.true)], [(res["eta"], sp.true)]
        for (x, c), (e, _) in zip(pieces, epieces):
            if x is sp.nan:
                continue
            cc = _simplify_condition(sp.And(case, c), domain)
            if cc is sp.false:
                continue
            xs.append((x, cc))
            es.append((e, cc))
        acts = res["active"] if isinstance(res["active"], dict) else {res["active"]: sp.true}
        for k, c in acts.items():
            active[k] = _simplify_condition(sp.Or(active.get(k, sp.false), sp.And(case, c)), domain)
    return {"xi": sp.Piecewise(*xs, (sp.nan, True)), "eta": sp.Piecewise(*es, (sp.nan, True)), "active": active,
            "conditions": sp.Or(*[c for _, c in xs])}


def max_min_exponent(lines: Mapping[str, tuple[Any, Any]], lo: Any = 0, hi: Any = 1,
                     domain: Mapping[sp.Symbol, Any] | None = None) -> dict[str, Any]:
    """The allocation ``xi`` in ``[lo, hi]`` that maximises ``min_j (intercept_j + slope_j xi)``.

    Parameters
    ----------
    lines : mapping of str to (intercept, slope)
        Exponent lines, e.g. from :func:`allocation_lines`; sympy numbers or expressions in symbols.
    lo, hi : number or sympy.Expr
        The allowed range of ``xi`` (``sympy.oo`` allowed at one end).
    domain : mapping of Symbol to number, optional
        Lower bounds of the symbolic exponents (e.g. ``{a: 1, b: 1}`` for ``a, b > 1``), used to simplify the
        branch conditions and to drop branches that cannot occur.

    Returns
    -------
    dict
        ``xi``, ``eta`` (the optimum and the value ``min_j e_j`` there: ``L* ~ C^-eta``) and ``active`` (the
        names of the balancing terms). Numeric exponents give exact numbers. Symbolic exponents give
        ``Piecewise`` expressions over the candidate balances, each with its condition (the two lines cross
        inside the range with slopes of opposite sign and lie below every other line), and ``active`` is then
        a dict from each branch's pair to its condition.

    Examples
    --------
    >>> a, b = sp.symbols("a b", positive=True)
    >>> lines = {"time": ((a - 1) / b, -(a - 1) / b), "width": (0, sp.Min(a - 1, b)), "cross": (1 - 1 / b, 1 / b)}
    >>> res = max_min_exponent(lines, domain={a: 1, b: 1})
    >>> res["xi"].subs({a: 2, b: sp.Rational(3, 2)}), res["eta"].subs({a: sp.Rational(7, 2), b: sp.Rational(3, 2)})
    (2/5, 5/7)
    """
    lo_, hi_ = sp.sympify(lo), sp.sympify(hi)  # safe: bounds are engine numbers
    ls = {k: (sp.sympify(i), sp.sympify(s)) for k, (i, s) in lines.items()}  # safe: engine expressions
    if not ls:
        raise ParameterError("lines must hold at least one term")
    if all(i.is_number and s.is_number for i, s in ls.values()):
        return _numeric_max_min(ls, lo_, hi_)
    split = _first_min_max(ls)
    if split is not None:  # a term whose exponent is itself a Min/Max: one case per winning argument
        return _cases(ls, split, lo_, hi_, domain or {})
    branches_xi, branches_eta, active = [], [], {}
    names = list(ls)
    for i, m in enumerate(names):
        for n in names[i + 1:]:
            (i1, s1), (i2, s2) = ls[m], ls[n]
            if sp.simplify(s1 - s2) == 0:
                continue
            x = sp.simplify((i2 - i1) / (s1 - s2))
            e = sp.simplify(i1 + s1 * x)
            conds = [s1 * s2 < 0]
            if lo_.is_finite:
                conds.append(x >= lo_)
            if hi_.is_finite:
                conds.append(x <= hi_)
            for k in names:
                if k not in (m, n):
                    conds.append(ls[k][0] + ls[k][1] * x >= e)
            cond = _simplify_condition(sp.And(*conds), domain or {})
            if cond is sp.false:
                continue
            branches_xi.append((x, cond))
            branches_eta.append((e, cond))
            active[frozenset((m, n))] = cond
    for end in (lo_, hi_):  # a single term that decreases all the way to an end of the range
        if not end.is_finite:
            continue
        for m in names:
            i1, s1 = ls[m]
            e = sp.simplify(i1 + s1 * end)
            conds = [s1 > 0] if end == hi_ else [s1 < 0]
            conds += [ls[k][0] + ls[k][1] * end >= e for k in names if k != m]
            cond = _simplify_condition(sp.And(*conds), domain or {})
            if cond is sp.false:
                continue
            branches_xi.append((end, cond))
            branches_eta.append((e, cond))
            active[frozenset((m,))] = cond
    if not branches_xi:
        raise ParameterError("no balance of the given terms lies in the allowed range")
    return {"xi": sp.Piecewise(*branches_xi, (sp.nan, True)), "eta": sp.Piecewise(*branches_eta, (sp.nan, True)),
            "active": active, "conditions": sp.Or(*active.values())}
