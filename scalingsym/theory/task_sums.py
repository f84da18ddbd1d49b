"""Small-``rho`` laws of teacher-weighted spectral sums ``W[g](rho) = sum_k p_k g(lambda_k / rho)``.

Every observable of the ridge and gradient-flow models is a rational function of such sums: with the task power
``p_k = lambda_k w2_k``, ``rho A_w = W[1/(1+x)]``, ``rho^2 C_w = W[(1+x)^-2]``, and with unit weight
``d1 = W_1[x/(1+x)]``, ``d1 - d2 = W_1[x/(1+x)^2]``, ``d2 = W_1[x^2/(1+x)^2]``. For a regularly varying spectrum
``lambda_k ~ C k^-beta (log k)^c`` (``sigma = 1/beta``, counting function ``K(rho)``) and task power
``p_k ~ D k^-a (log k)^e``, two contributions compete as ``rho -> 0`` (Mellin transform; the sum is split at the
modes with ``lambda_k ~ rho``):

* the **modes near** ``lambda ~ rho``: ``sigma M[g](s) K(rho) p(K(rho)) ~ rho^s`` with ``s = sigma (a - 1)`` and
  ``M[g](s) = int_0^oo x^(s-1) g(x) dx`` (sympy ``mellin_transform``, continued analytically outside its strip);
* the **head** of the sum (``lambda_k >> rho``), where ``g(x) ~ c_oo x^(p_oo)``:
  ``c_oo rho^(-p_oo) sum_k p_k lambda_k^p_oo``, an exact sum, which converges iff ``s + p_oo > 0``.

The leading law has the exponent ``Min(s, -p_oo)``: the Mellin term when ``s < -p_oo``, the head when
``s > -p_oo``, and at ``s = -p_oo`` their collision gives ``rho^(-p_oo) (log K)^(q+1)/(q+1)``. For symbolic
exponents the law is a ``Piecewise`` over these three cases. A sum whose *tail* diverges (``s + p_0 <= 0``, with
``g ~ x^p_0`` as ``x -> 0``) is infinite at ``M = oo`` and is refused. All laws are leading order (continuum);
``Result.order`` states the first neglected order.

Examples
--------
>>> from scalingsym.theory.spectral import TailLaw
>>> spec = TailLaw.power_law(1, 1)                      # lambda_k = k^-2
>>> bias = (1 + X) ** -2                                # rho^2 C_w = W[(1+x)^-2]
>>> weighted_sum_law(spec, task_power_law(spec, "isotropic"), bias).exponent   # p = k^-2: s = 1/2
1/2
>>> law = weighted_sum_law(spec, task_power_law(spec, "source(a=6)"), bias)    # s = 5/2 > 2: saturation
>>> law.exponent, law.contribution, law.expr
(2, 'head', pi**2*rho**2/6)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import sympy as sp

from ..core import symbols as S
from ..core.errors import ParameterError
from ..core.expressions import to_sympy
from ..core.parsing import task_weight_expression
from ..core.result import Result
from .big_arguments import value_at, zeta_or_harmonic
from .spectral import TailLaw, _classify, tail_law

__all__ = ["TaskLaw", "task_power_law", "weighted_sum_law", "SumLaw", "X", "g_exponents", "mellin", "moment_sum",
           "sum_value"]

#: the scaled eigenvalue ``x = lambda_k / rho``
X = sp.Symbol("x", positive=True)
_s = sp.Symbol("s")


@dataclass(frozen=True)
class TaskLaw:
    """The task power ``p_k = lambda_k w2_k ~ D k^-a (log k)^e`` of a teacher on a spectrum.

    Attributes
    ----------
    power : sympy.Expr
        ``p(k)`` exactly (``lambda(k) w2(k)``), used for the head sums.
    a, log_power, scale : sympy.Expr
        ``a``, ``e`` and ``D`` of the tail law (``a = oo`` for an exponentially decaying task power).
    unit : bool
        True for the unit weight (the plain sums ``d1``, ``d2`` of the spectrum: ``p_k = 1``).
    """

    power: sp.Expr
    a: sp.Expr
    log_power: sp.Expr = sp.Integer(0)
    scale: sp.Expr = sp.Integer(1)
    unit: bool = False
    source: str = ""

    def at(self, kk: sp.Expr) -> sp.Expr:
        """The tail law ``D k^-a (log k)^e`` at ``k = kk``."""
        return self.scale * kk ** (-self.a) * sp.log(kk) ** self.log_power


def unit_weight() -> TaskLaw:
    """The unit weight ``p_k = 1`` (sums of the spectrum alone)."""
    return TaskLaw(sp.Integer(1), sp.Integer(0), unit=True, source="unit weight")


def task_power_law(spectrum: Any, task: Any = "isotropic") -> TaskLaw:
    """The task power law of ``task`` on ``spectrum`` (a task string, a power ``nu``, or a sympy ``w2(k)``).

    Examples
    --------
    >>> law = task_power_law("k**-2", "power(nu=1)")
    >>> law.a, law.power
    (3, k**(-3))
    """
    spec = tail_law(spectrum)
    if spec.lam is None:
        raise ParameterError("the spectrum has no lambda(k) expression: the task power has no law")
    if isinstance(task, (int, float)) and not isinstance(task, bool):
        w2 = S.k ** (-to_sympy(task, "nu"))
    elif isinstance(task, sp.Expr):
        w2 = task
    else:
        w2 = task_weight_expression(task, spec.lam)
    p = sp.simplify(spec.lam * w2)
    try:
        law = _classify(p, spec.M)
    except ParameterError as exc:
        raise ParameterError(f"task power lambda(k) w2(k) = {p}: {exc}".replace("spectral sums", "target variance")
                             .replace("a summable spectrum", "a finite target variance sum_k p_k")) from None
    if law.kind == "exponential":
        return TaskLaw(p, sp.oo, scale=law.scale, source=str(w2))
    return TaskLaw(p, law.beta, law.log_power, law.scale, source=str(w2))


@lru_cache(maxsize=64)
def g_exponents(g: sp.Expr) -> tuple[sp.Expr, sp.Expr, sp.Expr, sp.Expr]:
    """``(p_0, c_0, p_oo, c_oo)`` with ``g ~ c_0 x^p_0`` as ``x -> 0`` and ``g ~ c_oo x^p_oo`` as ``x -> oo``.

    Examples
    --------
    >>> g_exponents(X / (1 + X) ** 2)
    (1, 1, -1, 1)
    """
    out = []
    for point in (0, sp.oo):
        pw = sp.limit(X * sp.diff(g, X) / g, X, point)
        if pw in (-sp.oo, sp.oo):
            out += [pw, sp.Integer(0)]
            continue
        c = sp.limit(g / X**pw, X, point)
        if not (c.is_finite and c.is_positive):
            raise ParameterError(f"g = {g} is not c x^p at x -> {point}")
        out += [pw, c]
    return tuple(out)


@lru_cache(maxsize=64)
def mellin(g: sp.Expr) -> sp.Lambda:
    """``M[g](s) = int_0^oo x^(s-1) g(x) dx`` as a sympy function of ``s`` (continued outside its strip).

    Examples
    --------
    >>> mellin(1 / (1 + X))(sp.Rational(1, 2))
    pi

    Where sympy has no transform of ``g`` as a whole (e.g. ``(1 - exp(-x))^2``, which tends to a constant), it is
    the sum of its terms' continued transforms, a constant term contributing nothing: the regularised Mellin
    transform, equal to ``M[g]`` inside ``g``'s own strip.

    >>> F = mellin((1 - sp.exp(-X))**2)                  # Gamma(s) (2^-s - 2) on -2 < Re s < 0
    >>> sp.simplify(sp.limit(F.expr, F.variables[0], -1) - 2 * sp.log(2)) == 0  # int (1 - e^-x)^2/x^2 = 2 log 2
    True
    """
    res = sp.mellin_transform(g, X, _s)
    if isinstance(res, tuple):
        return sp.Lambda(_s, sp.gammasimp(res[0]))
    F = sp.Integer(0)
    for term in sp.Add.make_args(sp.expand(g)):
        if not term.has(X):
            continue  # a constant: no contribution to the continued transform
        part = sp.mellin_transform(term, X, _s, noconds=True)
        if isinstance(part, sp.MellinTransform):
            raise ParameterError(f"no Mellin transform of g = {g} (term {term})")
        F += part
    return sp.Lambda(_s, sp.gammasimp(F))


@dataclass(frozen=True)
class SumLaw:
    """Leading small-``rho`` law of ``W[g](rho)``: branches ``(law, condition, contribution)``."""

    branches: tuple[tuple[sp.Expr, Any, str], ...]
    exponent: sp.Expr
    s: sp.Expr
    order: str = ""
    data: dict = field(default_factory=dict)

    @property
    def expr(self) -> sp.Expr:
        """The law (a ``Piecewise`` when the winning contribution depends on symbolic exponents)."""
        if len(self.branches) == 1:
            return self.branches[0][0]
        return sp.Piecewise(*[(e, c) for e, c, _ in self.branches])

    @property
    def contribution(self) -> str:
        """``"modes near rho"``, ``"head"``, ``"boundary"`` or ``"depends"``."""
        return self.branches[0][2] if len(self.branches) == 1 else "depends"


def _head_sum(weight: TaskLaw, spec: TailLaw, p_oo: sp.Expr) -> sp.Expr:
    """``sum_k p_k lambda_k^p_oo`` (exact; a zeta value for power laws)."""
    M = spec.M
    if spec.kind == "power" and weight.unit:
        return spec.scale**p_oo * zeta_or_harmonic(M, spec.beta * p_oo)  # sum_k (C k^-beta)^p
    term = sp.powsimp(sp.expand_power_base(weight.power * spec.lam**p_oo, force=True), force=True)
    coeff, expo = term.as_coeff_exponent(S.k)
    if not coeff.has(S.k) and not expo.has(S.k):
        return coeff * zeta_or_harmonic(M, -expo)
    return sp.Sum(term, (S.k, 1, M))


def moment_sum(spectrum: Any, weight: TaskLaw, j: Any) -> sp.Expr:
    """The whole sum ``sum_{k=1}^M p_k lambda_k^j`` (exact: a zeta or harmonic value for power laws, else a sympy
    ``Sum``), over the spectrum's every mode, not only its tail.

    Examples
    --------
    >>> spec = TailLaw.power_law(1, 1)                        # lambda_k = k^-2
    >>> moment_sum(spec, unit_weight(), 1), moment_sum(spec, task_power_law(spec, "isotropic"), 2)
    (pi**2/6, pi**6/945)
    """
    spec = tail_law(spectrum)
    if spec.lam is None:
        raise ParameterError("the spectrum has no lambda(k) expression: its moments have no exact sum")
    return _head_sum(weight, spec, sp.sympify(j))  # safe: j is an int or a sympy number


def sum_value(expr: sp.Expr, digits: int = 15) -> sp.Float | None:
    """``expr`` as a number, each infinite ``Sum`` in it by mpmath's Euler-Maclaurin ``nsum`` (the default
    Richardson/Shanks extrapolation is wrong in the third digit for ``sum log(k+1)/k^2``), computed at ``digits``
    and at ``digits + 10`` and returned only if the two agree to ``digits`` (else ``None``: not verified).

    Examples
    --------
    >>> k = S.k
    >>> round(float(sum_value(sp.Sum(sp.log(k + 1) / k**2, (k, 1, sp.oo)))), 10)
    1.800755056
    """
    import mpmath

    sums = list(expr.atoms(sp.Sum))
    vals = []
    for dps in (digits + 5, digits + 15):
        with mpmath.workdps(dps):
            sub = {}
            for sm in sums:
                (var, lo, hi), = sm.limits
                f = sp.lambdify(var, sm.function, "mpmath")
                sub[sm] = sp.Float(mpmath.nsum(f, [int(lo), mpmath.inf if hi == sp.oo else int(hi)], method="e"), dps)
            vals.append(sp.N(expr.xreplace(sub), dps))
    a, b = vals
    if not (a.is_number and b.is_number and a.is_finite and b.is_finite):
        return None
    if abs(a - b) > 10 ** (-digits) * max(abs(b), 10 ** (-300)):
        return None
    return sp.Float(b, digits)


def weighted_sum_law(spectrum: Any, weight: TaskLaw, g: sp.Expr, rho: sp.Expr = S.rho) -> SumLaw:
    """The leading small-``rho`` law of ``sum_k p_k g(lambda_k / rho)`` (see the module docstring).

    Parameters
    ----------
    spectrum : spectrum, TailLaw or expression
        A regularly varying spectrum (power, power x log power, broken power law).
    weight : TaskLaw
        The weight ``p_k`` (:func:`task_power_law`, or :func:`unit_weight`).
    g : sympy.Expr
        ``g(x)`` in the symbol :data:`X`, with power behaviours at ``0`` and ``oo``.

    Examples
    --------
    >>> law = weighted_sum_law(TailLaw.power_law(1), task_power_law(TailLaw.power_law(1), 0), 1 / (1 + X))
    >>> law.exponent, law.contribution
    (1/2, 'modes near rho')
    """
    spec = tail_law(spectrum)
    if spec.kind == "exponential":
        raise ParameterError("teacher-weighted sums need a regularly varying spectrum; an exponential spectrum "
                             "(lambda ~ exp(-c k)) is not handled by this method")
    p0, _c0, p_oo, c_oo = g_exponents(g)
    sigma = spec.sigma
    a = weight.a
    s = sp.oo if a == sp.oo else sp.simplify(sigma * (a - 1))
    if s != sp.oo:
        tail_ok = sp.simplify(s + p0 > 0)
        if tail_ok is sp.false and spec.M == sp.oo:
            raise ParameterError(
                f"the sum of p_k g(lambda_k/rho) diverges at M = oo (task power exponent a = {a}, spectrum index "
                f"beta = {spec.beta}: need a > 1 - beta p_0 with p_0 = {p0}); give a finite M or a faster-decaying task"
            )
    K = spec.counting(rho)
    branches: list[tuple[sp.Expr, Any, str]] = []
    order = "relative O(log log(1/rho)/log(1/rho))" if (spec.log_power != 0 or weight.log_power != 0) else \
        "relative O(rho^min(sigma, |s + p_oo|))"
    mellin_term = None
    if s != sp.oo:
        Mg = value_at(mellin(g), s)
        if Mg.has(sp.nan, sp.zoo) or (Mg.is_number and not Mg.is_finite):  # a removable singularity of the form
            Mg = sp.limit(mellin(g).expr, _s, s)
        mellin_term = sigma * Mg * K * weight.at(K)
        mellin_term = sp.powsimp(sp.expand_power_base(mellin_term, force=True), force=True)
    head = None
    if p_oo.is_finite:
        head = c_oo * rho ** (-p_oo) * _head_sum(weight, spec, p_oo)
    if head is None:
        branches.append((mellin_term, sp.true, "modes near rho"))
        expo = s
    elif mellin_term is None:
        branches.append((head, sp.true, "head"))
        expo = -p_oo
    else:
        cmp = sp.simplify(s + p_oo)
        q = sp.simplify(weight.log_power + spec.log_power * p_oo)
        bnd = (c_oo * weight.scale * spec.scale**p_oo * rho ** (-p_oo) * sp.log(K) ** (q + 1) / (q + 1)
               if q != -1 else None)
        if cmp.is_number:
            if cmp < 0:
                branches.append((mellin_term, sp.true, "modes near rho"))
            elif cmp > 0:
                branches.append((head, sp.true, "head"))
            else:
                if bnd is None:
                    raise ParameterError("the head and the modes near rho collide with a log log factor; not handled")
                branches.append((bnd, sp.true, "boundary"))
        else:
            branches.append((mellin_term, cmp < 0, "modes near rho"))
            if bnd is not None:
                branches.append((bnd, sp.Eq(cmp, 0), "boundary"))
            branches.append((head, True, "head"))
        expo = sp.Min(s, -p_oo) if not cmp.is_number else (s if cmp < 0 else -p_oo)
    return SumLaw(tuple(branches), sp.simplify(expo), s, order,
                  data={"p0": p0, "p_oo": p_oo, "c_oo": c_oo, "mellin_s": s, "K": K})


def sum_result(name: str, law: SumLaw, lhs: sp.Expr) -> Result:
    """A :class:`Result` for a weighted-sum law."""
    return Result(name, law.expr, lhs=lhs, regime=(S.rho < 1,), source="counting function + Mellin transform vs the "
                  "head of the sum (scalingsym.theory.task_sums)", order=law.order, convention="continuum, M = oo",
                  data={"exponent": law.exponent, "contribution": law.contribution, **law.data})
