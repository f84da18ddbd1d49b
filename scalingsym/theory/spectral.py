"""Small-``rho`` asymptotics of the spectral sums ``S_{p,q}(rho) = sum_k lambda_k^p / (lambda_k + rho)^q``.

Method (counting function + Mellin transform). Write ``K(lambda) = #{k : lambda_k > lambda}`` for the
counting function. With ``x = lambda/rho`` and ``f(x) = x^p (1+x)^-q``,

.. math:: S_{p,q}(\\rho) = \\rho^{p-q} \\sum_k f(\\lambda_k/\\rho) = \\rho^{p-q} \\int_0^\\infty K(\\rho x) f'(x)\\,dx .

If ``lambda_k ~ C k^-beta (log k)^c`` (regularly varying, index ``beta > 1``), then ``K`` is regularly
varying at 0 with index ``-sigma``, ``sigma = 1/beta``, and

.. math:: S_{p,q}(\\rho) \\simeq \\rho^{p-q} K(\\rho)\\,
   \\sigma\\,\\frac{\\Gamma(p-\\sigma)\\Gamma(q-p+\\sigma)}{\\Gamma(q)},
   \\qquad K(\\rho) \\simeq \\Big(\\frac{C}{\\rho}\\Big)^{\\sigma}\\Big(\\frac{\\log(C/\\rho)}{\\beta}\\Big)^{c\\sigma},

the Mellin transform of ``f'`` at ``1 - sigma``. For ``d1`` this is
``A_alpha = pi / ((1+alpha) sin(pi/(1+alpha)))`` (static_rf_ridge.md B3). For ``lambda_k ~ C exp(-c k)``
the counting function is ``log(C/rho)/c`` (slowly varying) and ``d1 ~ log(C/rho)/c``.

The large-``k`` law of a sympy ``lambda(k)`` is found with sympy limits (:func:`tail_law`):
``beta = -lim k lambda'/lambda``, the log power ``c = lim k log k l'/l`` of the slowly varying factor
``l = lambda k^beta``, and ``C = lim l / (log k)^c``. Anything else (e.g. a slowly varying factor
``exp(sqrt(log k))``, an index ``beta <= 1``, a stretched exponential) raises
:class:`~scalingsym.core.errors.ParameterError` rather than returning a guess.

All results here are leading-order (continuum) laws as ``rho -> 0`` with the first neglected order
stated in ``Result.order``.

Examples
--------
>>> from scalingsym.core.spectra import PowerLaw
>>> r = d1_asymptotic(PowerLaw(alpha=1))
>>> r.expr
-1/2 + pi/(2*sqrt(rho))
>>> tail_law("k**-2*log(k+1)**2").log_power
2
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import sympy as sp

from ..core import symbols as S
from ..core.errors import ParameterError
from ..core.expressions import parse_exact_number, to_sympy
from ..core.result import Result
from ..core.spectra import PowerLaw, Spectrum
from .big_arguments import BIG_ARGUMENT, check_exponents, is_big, number

_x = sp.Symbol("x", positive=True)
#: default symbol for the power of log k in a symbolic regularly varying law
_LOG_POWER = sp.Symbol("c", real=True)
#: the counting-function scale ``K`` (number of modes above a threshold) and ``u = log K``
K_sym = sp.Symbol("K", positive=True)


def A_alpha(alpha: Any = S.alpha) -> sp.Expr:
    """``A_alpha = Gamma(1/(1+alpha)) Gamma(alpha/(1+alpha)) / (1+alpha) = pi / ((1+alpha) sin(pi/(1+alpha)))``.

    The Mellin constant of ``d1`` for a power law (``int_0^oo dx / (1 + x^(1+alpha))``), exact.

    Examples
    --------
    >>> A_alpha(1)
    pi/2
    """
    alpha = to_sympy(alpha, "alpha")
    A = sp.pi / ((1 + alpha) * sp.sin(sp.pi / (1 + alpha)))
    return sp.nsimplify(sp.simplify(A)) if alpha.is_number else A  # safe: A is built here from sympy numbers


def mellin_constant(sigma: Any, p: int = 1, q: int = 1) -> sp.Expr:
    """``int_0^oo x^-sigma f'(x) dx`` for ``f = x^p (1+x)^-q``: ``sigma Gamma(p-sigma) Gamma(q-p+sigma) / Gamma(q)``.

    Needs ``p > sigma`` and ``q - p + sigma > 0`` (otherwise the small-``rho`` behaviour of the sum is
    not set by the modes near ``lambda ~ rho`` and this method does not apply).

    Examples
    --------
    >>> mellin_constant(sp.Rational(1, 2))
    pi/2
    """
    sigma = to_sympy(sigma, "sigma")
    if sigma.is_number and not (p > sigma and q - p + sigma > 0):
        raise ParameterError(
            f"the Mellin method needs p > sigma and q - p + sigma > 0; got p={p}, q={q}, sigma={sigma}"
        )
    return sp.gammasimp(sigma * sp.gamma(p - sigma) * sp.gamma(q - p + sigma) / sp.gamma(q))


def _finite_positive(v: sp.Expr) -> bool:
    return bool(v.is_finite and v.is_positive)


def _tail_branch(expr: sp.Expr, x: sp.Symbol) -> sp.Expr:
    """Replace ``Min``/``Max`` by the argument that wins as ``x -> oo`` (a broken power law's tail)."""
    if isinstance(expr, (sp.Min, sp.Max)):
        args = [_tail_branch(a, x) for a in expr.args]
        best = args[0]
        for other in args[1:]:
            ratio = sp.limit(other / best, x, sp.oo)
            if ratio in (0, sp.oo):
                smaller = other if ratio == 0 else best
                larger = best if ratio == 0 else other
                best = smaller if isinstance(expr, sp.Min) else larger
            else:
                raise ParameterError(f"cannot decide which branch of {expr} dominates at large k")
        return best
    if expr.args:
        return expr.func(*[_tail_branch(a, x) for a in expr.args])
    return expr


@dataclass(frozen=True)
class TailLaw:
    """Large-``k`` law of a spectrum: ``lambda_k ~ C k^-beta (log k)^c`` or ``lambda_k ~ C exp(-rate k)``.

    Attributes
    ----------
    kind : str
        ``"power"`` (exact power law ``C k^-beta``), ``"regular"`` (regularly varying, ``c`` or the
        correction ``c1`` non-zero), ``"exponential"`` or ``"broken"`` (two power laws, a break).
    beta : sympy.Expr
        Index of regular variation (``oo`` for an exponential).
    log_power : sympy.Expr
        ``c`` in ``(log k)^c``.
    scale : sympy.Expr
        ``C``.
    rate : sympy.Expr or None
        ``c`` of ``exp(-c k)``.
    correction : sympy.Expr or None
        ``c1`` in ``l(k) = C (log k)^c (1 + c1/log k + o(1/log k))``; None when not found.
    M : sympy.Expr
        Number of modes (``oo`` or an integer / symbol).
    lam : sympy.Expr or None
        The full ``lambda(k)``.
    exact_tail : bool
        True when ``lambda`` equals its tail law exactly for all ``k`` (pure power law / exponential).
    break_data : dict
        For ``kind="broken"``: ``beta1``, ``k_break``, ``lambda_plus``.
    """

    kind: str
    beta: sp.Expr
    log_power: sp.Expr = sp.Integer(0)
    scale: sp.Expr = sp.Integer(1)
    rate: sp.Expr | None = None
    correction: sp.Expr | None = sp.Integer(0)
    M: sp.Expr = sp.oo
    lam: sp.Expr | None = None
    exact_tail: bool = False
    break_data: dict = field(default_factory=dict)
    source: str = ""

    # ----- constructors ---------------------------------------------------------------------------
    @classmethod
    def power_law(cls, alpha: Any = S.alpha, lambda_plus: Any = S.lambda_plus, M: Any = sp.oo) -> TailLaw:
        """``lambda_k = lambda_plus k^-(1+alpha)``, ``k = 1..M`` (symbols allowed)."""
        alpha, lp = to_sympy(alpha, "alpha"), to_sympy(lambda_plus, "lambda_plus")
        if alpha.is_number and not alpha.is_positive:
            raise ParameterError(f"alpha must be > 0 for the small-rho asymptotics; got {alpha}")
        return cls("power", 1 + alpha, scale=lp, M=to_sympy(M, "M"), lam=lp * S.k ** (-(1 + alpha)), exact_tail=True,
                   source=f"powerlaw(alpha={alpha}, lambda_plus={lp})")

    @classmethod
    def regularly_varying(cls, alpha: Any = S.alpha, log_power: Any = None, scale: Any = S.lambda_plus) -> TailLaw:
        """``lambda_k ~ scale k^-(1+alpha) (log k)^log_power`` with symbols allowed (general exponents).

        Examples
        --------
        >>> TailLaw.regularly_varying().describe()
        'lambda_k ~ lambda_plus*k^-(alpha + 1)*log(k)^c'
        """
        log_power = _LOG_POWER if log_power is None else log_power
        alpha, c, C = to_sympy(alpha, "alpha"), to_sympy(log_power, "log_power"), to_sympy(scale, "scale")
        if alpha.is_number and not alpha.is_positive:
            raise ParameterError(f"alpha must be > 0 (index 1 + alpha > 1); got {alpha}")
        return cls("regular", 1 + alpha, log_power=c, scale=C, correction=None,
                   lam=C * S.k ** (-(1 + alpha)) * sp.log(S.k) ** c, source="regularly varying (symbolic)")

    @classmethod
    def broken_power_law(cls, alpha1: Any, alpha2: Any, k_break: Any, lambda_plus: Any = 1, M: Any = sp.oo) -> TailLaw:
        """``lambda_k = lambda_plus k^-(1+alpha1)`` for ``k <= k_break``, continued as ``k^-(1+alpha2)`` after.

        The tail (``rho << lambda_break``) is a power law with ``C = lambda_plus k_break^(alpha2-alpha1)``.
        """
        named = (("alpha1", alpha1), ("alpha2", alpha2), ("k_break", k_break), ("lambda_plus", lambda_plus))
        a1, a2, kb, lp = (to_sympy(v, n) for n, v in named)
        for name, v in (("alpha1", a1), ("alpha2", a2), ("k_break", kb), ("lambda_plus", lp)):
            if v.is_number and not v.is_positive:
                raise ParameterError(f"{name} must be > 0; got {v}")
        lam = lp * sp.Min(S.k ** (-(1 + a1)), kb ** (a2 - a1) * S.k ** (-(1 + a2)))
        return cls("broken", 1 + a2, scale=lp * kb ** (a2 - a1), M=to_sympy(M, "M"), lam=lam, exact_tail=True,
                   break_data={"beta1": 1 + a1, "k_break": kb, "lambda_plus": lp},
                   source=f"brokenpowerlaw(alpha1={a1}, alpha2={a2}, k_break={kb}, lambda_plus={lp})")

    @classmethod
    def from_expr(cls, lam: sp.Expr | str, M: Any = sp.oo) -> TailLaw:
        """Classify a sympy ``lambda(k)`` by its large-``k`` behaviour (see the module docstring)."""
        if isinstance(lam, str):
            from ..core.expressions import parse_expression

            lam = parse_expression(lam)
        lam = to_sympy(lam, "lam")
        extra = lam.free_symbols - {S.k}
        if extra:
            raise ParameterError(f"lambda(k) may only use k; found {sorted(map(str, extra))}")
        return _classify(lam, to_sympy(M, "M"))

    # ----- counting function ----------------------------------------------------------------------
    @property
    def sigma(self) -> sp.Expr:
        """``1/beta`` (0 for an exponential)."""
        return sp.Integer(0) if self.kind == "exponential" else 1 / self.beta

    @property
    def alpha(self) -> sp.Expr:
        """``beta - 1`` (``oo`` for an exponential)."""
        return sp.oo if self.kind == "exponential" else self.beta - 1

    def lam_asym(self, kk: sp.Expr) -> sp.Expr:
        """The tail law ``C k^-beta (log k)^c`` (or ``C exp(-rate k)``) at ``k = kk``."""
        if self.kind == "exponential":
            return self.scale * sp.exp(-self.rate * kk)
        return self.scale * kk ** (-self.beta) * sp.log(kk) ** self.log_power

    def counting(self, rho: sp.Expr = S.rho) -> sp.Expr:
        """Leading ``K(rho) = #{k: lambda_k > rho}`` as ``rho -> 0`` (the asymptotic inverse of ``lambda``)."""
        if self.kind == "exponential":
            return sp.log(self.scale / rho) / self.rate
        K = (self.scale / rho) ** self.sigma
        if self.log_power != 0:
            K = K * (sp.log(self.scale / rho) * number(1 / self.beta, self.beta)) ** (self.log_power * self.sigma)
        return K

    def counting_refined(self, rho: sp.Expr = S.rho) -> sp.Expr:
        """``K`` solving ``C K^-beta (log K)^c = rho`` to relative ``O(log u / u^3)``, ``u = log K``.

        Two fixed-point steps of ``u = (log(C/rho) + c log u)/beta`` from ``u = log(C/rho)/beta`` (the
        exact solution is a Lambert W function; the iterate stays real and is as accurate as needed here).
        Equals :meth:`counting` when ``c = 0``.
        """
        c = self.log_power
        if self.kind == "exponential" or c == 0:
            return self.counting(rho)
        ell = sp.log(self.scale / rho)
        u = ell / self.beta
        for _ in range(2):
            u = (ell + c * sp.log(u)) / self.beta
        return (self.scale / rho) ** self.sigma * u ** (c * self.sigma)

    def describe(self) -> str:
        """The law as text."""
        if self.kind == "exponential":
            return f"lambda_k ~ {self.scale}*exp(-{self.rate}*k)"
        tail = f"lambda_k ~ {self.scale}*k^-({self.beta})" + (f"*log(k)^{self.log_power}" if self.log_power else "")
        return tail


def _exact(r: sp.Expr) -> sp.Expr:
    """An exact number from a limit: kept if rational (``nsimplify`` rounds rationals past ~15 digits)."""
    return r if r.is_Rational else sp.nsimplify(r)  # safe: a sympy limit computed here, not user text


def _classify(lam: sp.Expr, M: sp.Expr) -> TailLaw:
    x = _x
    f = _tail_branch(lam.subs(S.k, x), x)
    src = str(lam)
    # a pure power x^e0 is split off, so its exponent (any size) enters exactly; the rest goes through sympy limits
    e0 = sp.Integer(0)
    if f.is_Mul or (f.is_Pow and f.base == x):
        for fac in sp.Mul.make_args(f):
            if fac.is_Pow and fac.base == x and fac.exp.is_number:
                e0 += fac.exp
    g = sp.powsimp(f * x ** (-e0))
    check_exponents(g, "lambda(k)")
    if is_big(e0) and g.has(x):
        raise ParameterError(f"lambda(k) = {src}: a power k^({e0}) beyond |exponent| <= {BIG_ARGUMENT} is supported "
                             "only as a pure power (C k^-beta); with another factor the symbolic limits do not "
                             "reliably finish")
    try:
        r = e0 + sp.limit(x * sp.diff(g, x) / g, x, sp.oo)
    except (NotImplementedError, ValueError, TypeError) as exc:
        raise ParameterError(f"cannot find the large-k behaviour of {src}: sympy limit failed ({exc})") from None
    if r == -sp.oo:
        rate = sp.simplify(-sp.limit(sp.diff(sp.log(f), x), x, sp.oo))
        if not _finite_positive(rate):
            raise ParameterError(
                f"{src} decays faster than any power but not like exp(-c k) (rate {rate}); "
                "the counting-function method does not apply"
            )
        C = sp.simplify(sp.limit(f * sp.exp(rate * x), x, sp.oo))
        if not _finite_positive(C):
            raise ParameterError(
                f"{src} is exp(-{rate} k) times a factor with limit {C}; only C*exp(-c k) tails are supported"
            )
        exact = sp.simplify(f - C * sp.exp(-rate * x)) == 0
        return TailLaw("exponential", sp.oo, scale=C, rate=rate, correction=None, M=M, lam=lam, exact_tail=exact,
                       source=src)
    if not (r.is_real and r.is_finite):
        raise ParameterError(f"{src}: k lambda'/lambda has no finite limit ({r}); not regularly varying")
    beta = _exact(-r)
    if not (beta > 1):
        raise ParameterError(
            f"{src} is regularly varying with index {beta}; the spectral sums need index > 1 (a summable spectrum)"
        )
    ell = sp.simplify(f * x**beta)
    c = sp.limit(x * sp.log(x) * sp.diff(ell, x) / ell, x, sp.oo)
    if not (c.is_real and c.is_finite):
        raise ParameterError(
            f"{src}: the slowly varying factor {ell} is not C (log k)^c (limit {c}); this method does not apply"
        )
    c = _exact(c)
    C = sp.simplify(sp.limit(ell / sp.log(x) ** c, x, sp.oo))
    if not _finite_positive(C):
        raise ParameterError(
            f"{src}: the slowly varying factor {ell} is not C (log k)^c with 0 < C < oo (C = {C}); "
            "this method does not apply"
        )
    try:
        c1 = sp.limit((ell / (C * sp.log(x) ** c) - 1) * sp.log(x), x, sp.oo)
        c1 = c1 if (c1.is_real and c1.is_finite) else None
    except (NotImplementedError, ValueError):  # pragma: no cover - sympy gave up
        c1 = None
    exact = sp.simplify(lam.subs(S.k, x) - C * x ** (-beta) * sp.log(x) ** c) == 0
    kind = "power" if (c == 0 and exact) else "regular"
    return TailLaw(kind, beta, log_power=c, scale=C, correction=c1, M=M, lam=lam, exact_tail=exact, source=src)


@lru_cache(maxsize=64)
def _cached_expr_law(lam: sp.Expr, M: sp.Expr) -> TailLaw:
    return _classify(lam, M)


def tail_law(spectrum: Spectrum | TailLaw | sp.Expr | str) -> TailLaw:
    """The large-``k`` law of a spectrum (object, sympy ``lambda(k)`` or expression string).

    Raises
    ------
    ParameterError
        For a numeric (array / file) spectrum, or when ``lambda(k)`` is not regularly varying with
        index ``> 1`` times ``(log k)^c``, nor ``C exp(-c k)``.

    Examples
    --------
    >>> tail_law("exp(-2*k)").kind
    'exponential'
    >>> tail_law("k**-3*(1 + 1/k)").beta
    3
    """
    if isinstance(spectrum, TailLaw):
        return spectrum
    if isinstance(spectrum, PowerLaw):
        M = sp.oo if math.isinf(spectrum.M) else sp.Integer(int(spectrum.M))
        return TailLaw.power_law(
            parse_exact_number(spectrum.alpha, "alpha"), parse_exact_number(spectrum.lambda_plus, "lambda_plus"), M
        )
    if isinstance(spectrum, Spectrum):
        if getattr(spectrum, "tail", None) is not None:
            return spectrum.tail
        lam = spectrum.lam_expr
        if lam is None:
            raise ParameterError(
                f"spectrum {spectrum.describe()} is a list of numbers with no large-k law; "
                "give lambda(k) as an expression (custom(expr=..., M=...)) for the asymptotics"
            )
        M = sp.oo if math.isinf(spectrum.M) else sp.Integer(int(spectrum.M))
        return _cached_expr_law(to_sympy(lam, "lam"), M)
    if isinstance(spectrum, str):
        from ..core.expressions import parse_expression

        spectrum = parse_expression(spectrum)
    return _cached_expr_law(to_sympy(spectrum, "spectrum"), sp.oo)


# ----------------------------------------------------------------------------------------------------
def _u(law: TailLaw, rho: sp.Expr) -> sp.Expr:
    """``log K(rho)`` at leading order: ``log(C/rho)/beta``."""
    return sp.log(law.scale / rho) / law.beta


def spectral_sum_asymptotic(spectrum: Any, p: int = 1, q: int = 1) -> Result:
    """Leading small-``rho`` law of ``S_{p,q}(rho) = sum_k lambda_k^p (lambda_k + rho)^-q`` (continuum).

    Regularly varying spectra: ``rho^(p-q) K(rho) sigma Gamma(p-sigma) Gamma(q-p+sigma)/Gamma(q)``;
    exponential spectra (``f(0) = 0``): ``rho^(p-q) [K(rho) (f(oo)-f(0)) - (1/c) int log x f'(x) dx]``.

    Examples
    --------
    >>> spectral_sum_asymptotic(PowerLaw(alpha=1), 2, 2).expr
    pi/(4*sqrt(rho))
    """
    law = tail_law(spectrum)
    p, q = int(p), int(q)
    if q < 1 or p < 1:
        raise ParameterError(f"p and q must be integers >= 1 (a sum that grows as rho -> 0); got p={p}, q={q}")
    rho = S.rho
    if law.kind == "exponential":
        # int_0^oo K(rho x) f'(x) dx with K(rho x) = K(rho) - log(x)/c; int log(x) f'(x) dx = -h'(0) with
        # h(sigma) = sigma Gamma(p - sigma) Gamma(q - p + sigma) / Gamma(q) the Mellin transform of f'
        sg = sp.Dummy("sigma", positive=True)
        h = sg * sp.gamma(p - sg) * sp.gamma(q - p + sg) / sp.gamma(q)
        finf = sp.Integer(1) if p == q else sp.Integer(0)
        logterm = -sp.limit(sp.diff(h, sg), sg, 0)
        expr = rho ** (p - q) * (law.counting(rho) * finf - logterm / law.rate)
        order = "O(1) absolute (discreteness of k) when f(oo) != 0; O(rho/C) relative otherwise"
    else:
        const = mellin_constant(law.sigma, p, q)
        expr = rho ** (p - q) * const * law.counting(rho)
        order = ("relative O(rho^(1/beta))" if law.log_power == 0 and law.exact_tail
                 else "relative O(log log(1/rho) / log(1/rho))")
    return Result(
        f"small-rho law of S_{{{p},{q}}}(rho)",
        expr,
        lhs=sp.Symbol(f"S_{p}{q}"),
        regime=(rho < law.scale,),
        source="counting function + Mellin transform (static_rf_ridge.md B3)",
        order=order,
        convention="continuum in k, M = oo",
        data={"tail": law.describe(), "beta": law.beta, "log_power": law.log_power},
    )


def d1_asymptotic(spectrum: Any, refined: bool = True) -> Result:
    """Small-``rho`` law of ``d1(rho) = sum_k lambda_k / (lambda_k + rho)``.

    * power law ``lambda_plus k^-(1+alpha)``: ``A_alpha (lambda_plus/rho)^(1/(1+alpha)) - 1/2
      - (lambda_plus/rho) M^-alpha / alpha`` (the last term only for finite ``M``; valid for
      ``lambda_M << rho``); first neglected order ``O(rho/lambda_plus)`` (the ``zeta(-beta)`` term),
      ``(lambda_plus/rho)^2 M^-(1+2 alpha)/(1+2 alpha)`` (second tail term) and ``O((lambda_plus/rho) M^-(1+alpha))``;
    * broken power law, ``rho << lambda_break``: the tail power law, ``- 1/2``, plus ``O(k_break rho/lambda_break)``;
    * ``C k^-beta (log k)^c (1 + c1/log k)``: ``K(rho) [g + (sigma g c1 + c sigma g'/beta)/u] - 1/2`` with
      ``g(sigma) = pi sigma / sin(pi sigma)``, ``u = log K``, ``K`` the inverse of the tail law; relative error
      ``O(log log(1/rho)/log(1/rho)^2)`` (``refined=False``: ``g K(rho)``, relative ``O(log log(1/rho)/log(1/rho))``);
    * ``C exp(-c k)``: ``log(C/rho)/c - 1/2`` (Poisson summation; neglected ``O(rho/C)`` and oscillating
      ``O(exp(-2 pi^2 / c))`` terms).

    Examples
    --------
    >>> d1_asymptotic(PowerLaw(alpha=1), refined=False).expr
    pi/(2*sqrt(rho))
    """
    law = tail_law(spectrum)
    rho = S.rho
    data: dict = {"tail": law.describe(), "beta": law.beta, "log_power": law.log_power}
    regime: tuple = (rho < law.scale,)
    if law.kind == "exponential":
        expr = law.counting(rho)
        order = "O(1) absolute"
        if refined and law.exact_tail:
            expr = expr - sp.Rational(1, 2)
            order = "O(rho/C) + oscillating O(exp(-2 pi^2/c)) absolute"
    elif law.kind in ("power", "broken"):
        A = A_alpha(law.alpha)
        expr = A * (law.scale / rho) ** law.sigma
        order = "O(1) absolute"
        if refined:
            expr = expr - sp.Rational(1, 2)
            order = "O(rho/lambda_plus) absolute"
            if law.M != sp.oo:
                expr = expr - (law.scale / rho) * law.M ** (-law.alpha) / law.alpha
                order += " + O((lambda_plus/rho)^2 M^-(1+2 alpha)) + O((lambda_plus/rho) M^-(1+alpha))"
                regime = regime + (law.scale * law.M ** (-law.beta) < rho,)
            if law.kind == "broken":
                lb = law.break_data["lambda_plus"] * law.break_data["k_break"] ** (-law.break_data["beta1"])
                order = f"O(k_break rho / lambda_break) absolute, lambda_break = {lb}"
                regime = (rho < lb,)
        data["A"] = A
    else:
        sig = law.sigma
        gs = sp.Symbol("sigma_")
        gfun = sp.pi * gs / sp.sin(sp.pi * gs)
        g = gfun.subs(gs, sig)
        if not refined or law.correction is None:
            expr = g * law.counting(rho)
            order = "relative O(log log(1/rho) / log(1/rho))"
        else:
            Kw = law.counting_refined(rho)
            u = sp.log(Kw)
            dg = sp.diff(gfun, gs).subs(gs, sig)
            expr = Kw * (g + (sig * g * law.correction + law.log_power * sig * dg / law.beta) / u) - sp.Rational(1, 2)
            order = "relative O(log log(1/rho) / log(1/rho)^2)"
        data["g"] = g
    return Result(
        "small-rho law of d1",
        expr,
        lhs=S.d1,
        regime=regime,
        source="counting function + Mellin transform; Euler-Maclaurin constant (static_rf_ridge.md B3)",
        order=order,
        convention="M = oo unless the finite-M term is shown",
        data=data,
    )


def e1_asymptotic(spectrum: Any) -> Result:
    """Leading small-``rho`` law of ``d1 - d2 = rho sum_k lambda_k/(lambda_k+rho)^2`` (the bias sum).

    Regularly varying: ``sigma g(sigma) K(rho)`` (``= d1/(1+alpha)`` for a power law); exponential: ``1/c``.

    Examples
    --------
    >>> e1_asymptotic(PowerLaw(alpha=1)).expr
    pi/(4*sqrt(rho))
    """
    law = tail_law(spectrum)
    r = spectral_sum_asymptotic(law, 1, 2)
    expr = S.rho * r.expr
    return Result("small-rho law of d1 - d2", expr, lhs=S.d1 - S.d2, regime=r.regime, source=r.source,
                  order=r.order, convention=r.convention, data=r.data)


def ridgeless_rho_asymptotic(spectrum: Any, refined: bool = False) -> Result:
    """``rho_0(n)`` solving ``d1(rho_0) = n`` for large ``n`` (inverse of :func:`d1_asymptotic`).

    Regularly varying: ``rho_0 = lambda_asym(n / g)``, i.e. ``C (g/n)^beta (log(n/g))^c``; power law
    ``lambda_plus (A/n)^(1+alpha)`` (``refined``: ``n -> n + 1/2``, relative error ``O(n^-1-alpha)``...);
    exponential ``C exp(-c n)`` (``refined``: ``C exp(-c (n + 1/2))``).

    Examples
    --------
    >>> ridgeless_rho_asymptotic(PowerLaw(alpha=1)).expr
    pi**2/(4*n**2)
    """
    law = tail_law(spectrum)
    n = S.n
    nn = n + sp.Rational(1, 2) if refined else n
    if law.kind == "exponential":
        expr = law.scale * sp.exp(-law.rate * nn)
        order = "relative O(1)" if not refined else "relative O(rho_0/C)"
    elif law.kind in ("power", "broken"):
        expr = law.scale * (number(A_alpha(law.alpha), law.beta) / nn) ** law.beta  # exact unless beta is huge
        order = "relative O(1/n)" if not refined else "relative O(n^-2) (M = oo)"
    else:
        g = number(sp.pi * law.sigma / sp.sin(sp.pi * law.sigma), law.beta)
        Kn = nn / g
        if refined and law.correction is not None:
            dg = sp.diff(sp.pi * _x / sp.sin(sp.pi * _x), _x).subs(_x, law.sigma)
            Kn = nn / (g + (law.sigma * g * law.correction + law.log_power * law.sigma * dg / law.beta) / sp.log(n / g))
            order = "relative O(log log n / log(n)^2)"
        else:
            order = "relative O(log log n / log n)"
        expr = law.lam_asym(Kn)
    return Result("ridgeless renormalised ridge rho_0(n)", expr, lhs=sp.Symbol("rho_0"), regime=(1 < n,),
                  source="inverse of d1(rho_0) = n (static_rf_ridge.md B2-B3)", order=order,
                  convention="M = oo", data={"tail": law.describe()})


def Delta_asymptotic(spectrum: Any, refined: bool = False) -> Result:
    """MRS ``Delta(n) = n rho_0(n)`` (static_rf_ridge.md B3); ``pi^2 lambda_plus / (4 n)`` for ``alpha = 1``.

    Examples
    --------
    >>> Delta_asymptotic(TailLaw.power_law(1)).expr
    pi**2*lambda_plus/(4*n)
    """
    r = ridgeless_rho_asymptotic(spectrum, refined)
    return Result("MRS Delta(n) = n rho_0(n)", sp.simplify(S.n * r.expr) if not refined else S.n * r.expr,
                  lhs=S.Delta, regime=r.regime, source=r.source, order=r.order, convention=r.convention,
                  data=r.data)
