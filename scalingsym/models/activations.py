"""Gaussian-equivalence coefficients ``(mu_0, mu_1, mu_star)`` of an activation given as a sympy expression.

Convention (``z ~ N(0, v)``, default ``v = 1``): decompose ``sigma(z) = mu_0 + mu_1 z + r(z)`` with ``r``
uncorrelated with ``1`` and ``z``:

* ``mu_0 = E[sigma(z)]``,
* ``mu_1 = E[z sigma(z)] / v``,
* ``mu_star^2 = E[sigma(z)^2] - mu_0^2 - v mu_1^2`` (the variance of the nonlinear remainder).

These are the coefficients of the Gaussian-equivalent feature ``mu_0 + mu_1 z + mu_star xi`` (``xi`` an
independent standard normal) used for nonlinear random features (Mei-Montanari, Goldt et al.).

Each expectation is first integrated exactly with sympy (term by term after expansion, with a time limit);
any that sympy cannot do is computed with :func:`mpmath.quad` at the requested precision (split at the kinks
``z = 0``). Nothing is tabulated.

Examples
--------
>>> c = gaussian_equivalence("relu")
>>> c.exact_str["mu_0"], c.exact_str["mu_1"], c.exact_str["mu_star2"]
('sqrt(2)/(2*sqrt(pi))', '1/2', '1/4 - 1/(2*pi)')
>>> round(float(c.mu_star), 12)
0.301405137495
"""

from __future__ import annotations

import math
import signal
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import mpmath
import sympy as sp

from ..core.errors import ConvergenceError, ParameterError, check_precision
from ..core.expressions import parse_expression, to_sympy

#: the pre-activation variable
z = sp.Symbol("z", real=True)

#: named activations (sympy expressions in ``z``)
ACTIVATIONS: dict[str, sp.Expr] = {
    "linear": z,
    "relu": sp.Max(0, z),
    "abs": sp.Abs(z),
    "erf": sp.erf(z),
    "tanh": sp.tanh(z),
    "sigmoid": 1 / (1 + sp.exp(-z)),
    "gelu": z * (1 + sp.erf(z / sp.sqrt(2))) / 2,
    "softplus": sp.log(1 + sp.exp(z)),
    "quadratic": z**2,
    "sin": sp.sin(z),
}


class _Timeout(Exception):
    pass


@contextmanager
def _time_limit(seconds: float):
    """Raise :class:`_Timeout` after ``seconds`` (SIGALRM; a no-op off the main thread or on Windows)."""
    usable = hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread() and seconds > 0
    if not usable:
        yield
        return

    def handler(signum, frame):  # pragma: no cover - timing dependent
        raise _Timeout

    old = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def activation_expr(name: str | None = None, expr: str | sp.Expr | None = None) -> sp.Expr:
    """The activation as a sympy expression in :data:`z`: a name from :data:`ACTIVATIONS` or a parsed expression.

    >>> activation_expr(expr="tanh(z)")
    tanh(z)
    """
    if (name is None) == (expr is None):
        raise ParameterError("give exactly one of an activation name and an expression")
    if name is not None:
        key = name.strip().lower()
        if key not in ACTIVATIONS:
            raise ParameterError(f"unknown activation {name!r}; known: {', '.join(sorted(ACTIVATIONS))}")
        return ACTIVATIONS[key]
    if isinstance(expr, sp.Expr):
        e = expr
    else:
        e = parse_expression(str(expr), variables={"z": z})
    extra = e.free_symbols - {z}
    if extra:
        raise ParameterError(f"activation may depend on z only; got symbols {sorted(map(str, extra))}")
    return e


def _gauss_expectation_exact(f: sp.Expr, v: sp.Expr, timeout: float) -> sp.Expr | None:
    """``E[f(z)]`` for ``z ~ N(0, v)`` by sympy; ``None`` if any integral fails or times out.

    The line is split at ``z = 0`` and each half written with a positive variable, so kinks at the origin
    (``Max(0, z)``, ``Abs(z)``, ``sign(z)``) resolve automatically; each half is integrated term by term.
    """
    zp = sp.Symbol("z_p", positive=True)
    dens = sp.exp(-(zp**2) / (2 * v)) / sp.sqrt(2 * sp.pi * v)
    # E[f] = int_0^oo (f(z) + f(-z)) phi(z) dz: odd parts cancel before sympy sees them
    halves = [sp.expand(f.subs(z, zp) + f.subs(z, -zp))]
    kinks = (sp.Max, sp.Min, sp.Abs, sp.Heaviside, sp.sign, sp.Piecewise)
    total = sp.Integer(0)
    try:
        with _time_limit(timeout):
            for h in halves:
                h = h.rewrite(sp.Piecewise) if h.has(*kinks) else h
                terms = (h,) if h.has(sp.Piecewise) else sp.Add.make_args(sp.expand(h))
                for t in terms:
                    val = sp.integrate(t * dens, (zp, 0, sp.oo), conds="none")
                    if val.has(sp.Integral) or val.has(sp.nan) or not val.is_finite:
                        return None
                    total += val
    except _Timeout:
        return None
    except (NotImplementedError, ValueError, TypeError):  # sympy gave up
        return None
    return sp.simplify(total)


def _gauss_expectation_mp(f: sp.Expr, v: Any, dps: int):
    """``E[f(z)]`` for ``z ~ N(0, v)`` with :func:`mpmath.quad` at ``dps`` digits (split at ``z = 0``)."""
    with mpmath.workdps(dps + 10):
        fn = sp.lambdify(z, f, "mpmath")
        vv = mpmath.mpf(v) if not isinstance(v, sp.Expr) else mpmath.mpf(sp.N(v, dps + 10))
        norm = 1 / mpmath.sqrt(2 * mpmath.pi * vv)

        def g(t):
            return fn(t) * mpmath.exp(-t * t / (2 * vv)) * norm

        # a convergent Gaussian expectation has nothing left beyond 20 standard deviations (the weight is
        # e^-200 there); an integrand that grows like e^(c z^2), c >= 1/(2v), does: refuse it as divergent
        sd = mpmath.sqrt(vv)
        try:
            far = max(abs(g(sgn * r * sd)) * sd for sgn in (-1, 1) for r in (20, 40))
        except (ZeroDivisionError, OverflowError, ValueError):  # pragma: no cover - singular integrand
            far = mpmath.inf
        if not mpmath.isfinite(far) or far > mpmath.mpf(10) ** (-40):
            raise ParameterError(
                f"the Gaussian expectation E[{f}] with z ~ N(0, {mpmath.nstr(vv, 6)}) diverges "
                "(the integrand does not decay beyond 20 standard deviations)"
            )
        val, err = mpmath.quad(g, [-mpmath.inf, 0, mpmath.inf], error=True, maxdegree=12)
        if not mpmath.isfinite(val) or err > mpmath.mpf(10) ** (-dps) * max(1, abs(val)):
            raise ConvergenceError(f"Gaussian expectation of {f} did not reach {dps} digits (error {err})")
        return +val


@dataclass
class GECoefficients:
    """Gaussian-equivalence coefficients: mpmath values at ``precision`` digits plus exact sympy forms."""

    activation: sp.Expr
    variance: Any
    precision: int
    mu_0: Any
    mu_1: Any
    mu_star2: Any
    exact: dict = field(default_factory=dict)  # name -> sympy expression or None

    @property
    def mu_star(self):
        """``sqrt(mu_star^2)``."""
        with mpmath.workdps(self.precision + 5):
            return mpmath.sqrt(max(self.mu_star2, mpmath.mpf(0)))

    @property
    def exact_str(self) -> dict:
        """Exact forms as strings (``None`` where only a numeric value exists)."""
        return {k: (None if v is None else str(v)) for k, v in self.exact.items()}

    def floats(self) -> dict:
        """float64 values of ``mu_0, mu_1, mu_star, mu_star2``."""
        return {
            "mu_0": float(self.mu_0),
            "mu_1": float(self.mu_1),
            "mu_star": float(self.mu_star),
            "mu_star2": float(self.mu_star2),
        }


def gaussian_equivalence(
    activation: str | sp.Expr,
    *,
    variance: Any = 1,
    precision: int = 20,
    symbolic: bool = True,
    timeout: float = 10.0,
) -> GECoefficients:
    """``(mu_0, mu_1, mu_star)`` of ``activation`` for ``z ~ N(0, variance)`` (see module docstring).

    Parameters
    ----------
    activation : str or sympy.Expr
        A name in :data:`ACTIVATIONS` or an expression in ``z`` (a string is parsed safely).
    variance : number or sympy expression
        Variance ``v > 0`` of the pre-activation.
    precision : int
        Significant digits of the numeric values (``>= 5``).
    symbolic : bool
        Try sympy first (each integral is limited to ``timeout`` seconds).

    Examples
    --------
    >>> c = gaussian_equivalence("erf")
    >>> c.exact_str["mu_1"]
    '2*sqrt(3)/(3*sqrt(pi))'
    >>> c.exact["mu_star2"] is None  # E[erf(z)^2] is done numerically
    True
    >>> float(c.mu_star2 + c.mu_1**2) - 2 / math.pi * math.asin(2 / 3) < 1e-15
    True
    """
    precision = check_precision(precision)
    if isinstance(activation, str):
        f = (
            activation_expr(name=activation)
            if activation.strip().lower() in ACTIVATIONS
            else activation_expr(expr=activation)
        )
    else:
        f = activation_expr(expr=activation)
    v = to_sympy(variance, "variance")
    if not (v.is_real and v.is_finite and v > 0):
        raise ParameterError(f"variance must be a finite number > 0; got {variance}")
    moments = {"m0": f, "m1": z * f, "m2": f**2}
    exact: dict[str, sp.Expr | None] = {}
    num = {}
    with mpmath.workdps(precision + 10):
        for key, g in moments.items():
            ex = _gauss_expectation_exact(g, v, timeout) if symbolic else None
            exact[key] = ex
            num[key] = (
                mpmath.mpf(sp.N(ex, precision + 10)) if ex is not None else _gauss_expectation_mp(g, v, precision)
            )
        vm = mpmath.mpf(sp.N(v, precision + 10))
        mu0 = num["m0"]
        mu1 = num["m1"] / vm
        ms2 = num["m2"] - mu0**2 - vm * mu1**2
    ex0 = exact["m0"]
    ex1 = None if exact["m1"] is None else sp.simplify(exact["m1"] / v)
    ex2 = None
    if None not in (ex0, ex1, exact["m2"]):
        ex2 = sp.expand(sp.simplify(exact["m2"] - ex0**2 - v * ex1**2))
    tol = mpmath.mpf(10) ** (-precision + 2)
    if ms2 < -tol * max(1, abs(num["m2"])):  # pragma: no cover - Cauchy-Schwarz guarantees >= 0
        raise ParameterError(f"negative mu_star^2 = {ms2}: the activation is not square integrable?")
    return GECoefficients(
        f, v, precision, mu0, mu1, max(ms2, mpmath.mpf(0)), {"mu_0": ex0, "mu_1": ex1, "mu_star2": ex2}
    )


def hermite_coefficients(activation: str | sp.Expr, order: int, variance: float = 1.0, nodes: int = 200) -> list[float]:
    """Normalised Hermite coefficients ``c_k = E[sigma(z) He_k(z/sqrt v)] / sqrt(k!)`` for ``k = 0..order`` (float64).

    Gauss-Hermite quadrature with ``nodes`` points (exact for polynomials of degree ``< 2 nodes``; accurate for
    smooth activations, ``O(nodes^-3/2)`` for kinks). ``sum_k c_k^2 = E[sigma^2]``; ``c_0 = mu_0``,
    ``c_1 = sqrt(v) mu_1``.

    >>> import numpy as np
    >>> c = hermite_coefficients("quadratic", 3)
    >>> (np.round(c, 12) + 0.0).tolist()  # z^2 = He_0 + He_2 = 1 + sqrt(2) * He_2/sqrt(2!)
    [1.0, 0.0, 1.414213562373, 0.0]
    """
    import numpy as np

    f = (
        activation_expr(name=activation)
        if isinstance(activation, str) and activation in ACTIVATIONS
        else (activation_expr(expr=activation))
    )
    fn = sp.lambdify(z, f, ["scipy", "numpy"])
    x, w = np.polynomial.hermite_e.hermegauss(nodes)
    w = w / math.sqrt(2 * math.pi)
    vals = np.asarray(fn(math.sqrt(variance) * x), dtype=np.float64) * np.ones_like(x)
    out = []
    for k in range(order + 1):
        he = np.polynomial.hermite_e.hermeval(x, [0] * k + [1])
        out.append(float(np.sum(w * vals * he) / math.sqrt(math.factorial(k))))
    return out
