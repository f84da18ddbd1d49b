"""Spectra ``lambda_k`` and their spectral sums, the one place every model takes them from.

Every model is built from weighted spectral sums

.. math:: S_{p,q}(\\rho) = \\sum_{k=1}^{M} w_k\\, \\frac{\\lambda_k^p}{(\\lambda_k+\\rho)^q},

with ``d1 = S_{1,1}``, ``d2 = S_{2,2}`` and teacher weights ``w_k`` from a :class:`~scalingsym.core.tasks.Task`.

How the sums are evaluated (no silent truncation):

* finite ``M``: the exact sum (for large power laws, an exact head plus the exact tail difference of
  Hurwitz zeta functions, so the cost does not grow with ``M``);
* power law with ``M = inf``: exact head ``k <= K`` with ``lambda_K <= rho/2``, plus the tail
  ``rho^-q sum_i binom(-q, i) rho^-i sum_{k>K} w_k lambda_k^(p+i)`` whose inner sums are Hurwitz zeta
  functions. The series converges geometrically (ratio <= 1/2) and is summed until its bound is below
  the working precision;
* a sympy ``lambda(k)`` with ``M = inf``: exact head plus an Euler-Maclaurin tail (integral by adaptive
  quadrature, derivative corrections from sympy); :meth:`Spectrum.tail_error_bound` states the error.

Examples
--------
>>> from scalingsym.core.spectra import PowerLaw
>>> s = PowerLaw(alpha=1, M=1000)
>>> float(s.d1(1e-3)) > float(s.d1(1e-2))
True
>>> round(float(PowerLaw(alpha=1, M=float("inf")).trace()), 12)  # zeta(2)
1.644934066848
"""

from __future__ import annotations

import decimal
import math
from abc import ABC, abstractmethod
from functools import cached_property, lru_cache
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from . import symbols as S
from .budget import require_memory
from .errors import ParameterError
from .expressions import parse_exact_number
from .tasks import Task

#: ratio lambda_K / rho below which the tail series is used
_TAIL_RATIO = 0.5
#: smallest head for the zeta tail (keeps its asymptotic expansion accurate)
_MIN_HEAD = 128
#: number of Euler-Maclaurin terms in the scaled Hurwitz zeta
_EM_TERMS = 10
#: element budget of one vectorised block
_BLOCK = 1 << 21

_BERN = [float(sp.bernoulli(2 * j) / sp.factorial(2 * j)) for j in range(1, _EM_TERMS + 1)]
#: terms of the tail series kept per head length by the one-pass ``(d1, S_{1,2})`` of a power law (``L <= 1/2``)
_PAIR_TERMS = 88
#: head lengths of the one-pass sums lie on the lattice ``2^(j / _LATTICE)`` (so their tail tables are reused)
_LATTICE = 4
#: points x modes below which every point of a one-pass evaluation shares the longest head (one block)
_PAIR_ONE_BLOCK = 1 << 16
#: float64 eigenvalues kept per power law for the heads
_HEAD_CACHE = 1 << 20
#: per-spectrum caches of the float64 one-pass sums (left out when a spectrum is pickled)
_FLOAT_CACHES = ("_pair_last", "_lam_head_cache", "_zeta_tables")
_ALT = np.where(np.arange(_PAIR_TERMS) % 2 == 0, 1.0, -1.0)  # binom(-1, i)
_ALT2 = _ALT * (np.arange(_PAIR_TERMS) + 1.0)  # binom(-2, i)


def _check_rho(rho: Any) -> np.ndarray:
    r = np.asarray(rho, dtype=np.float64)
    if np.any(~np.isfinite(r)) or np.any(r < 0):
        raise ParameterError(f"rho must be finite and >= 0; got {rho}")
    return r


def _scaled_hurwitz(s: np.ndarray, a: np.ndarray) -> np.ndarray:
    """``a^s * zeta(s, a)`` by its Euler-Maclaurin expansion (needs ``a >> s / (2 pi)``)."""
    s = np.asarray(s, dtype=np.float64)
    a = np.asarray(a, dtype=np.float64)
    out = a / (s - 1.0) + 0.5
    poch = s.copy()  # (s)_{2j-1}
    apow = 1.0 / a  # a^{1-2j}
    for j in range(1, _EM_TERMS + 1):
        out = out + _BERN[j - 1] * poch * apow
        poch = poch * (s + 2 * j - 1) * (s + 2 * j)
        apow = apow / (a * a)
    return out


def _finite_scaled_zeta_near_one(s: float, a: np.ndarray, M: float) -> np.ndarray:
    """``a^s sum_{k=a}^{M} k^-s`` for ``s`` within ``1e-3`` of 1, where the two Hurwitz terms cancel.

    Evaluated with mpmath at 40 digits (``zeta(s, a) - zeta(s, M + 1)``; ``digamma`` at ``s = 1``), which
    absorbs the cancellation; only the rare near-1 exponents take this path.
    """
    out = np.empty(a.size)
    with mpmath.workdps(40):
        sm, b = mpmath.mpf(s), mpmath.mpf(M) + 1
        for j, aj in enumerate(a.ravel()):
            am = mpmath.mpf(aj)
            diff = mpmath.digamma(b) - mpmath.digamma(am) if sm == 1 else mpmath.zeta(sm, am) - mpmath.zeta(sm, b)
            out[j] = float(am**sm * diff)
    return out.reshape(a.shape)


def _zeta_tail_series(L: np.ndarray, a: np.ndarray, p: int, q: int, nu: float, beta: float, M: float,
                      conservative: bool = False) -> np.ndarray:
    """``sum_i binom(-q, i) L^i Z_i`` with ``Z_i = a^s_i sum_{a <= k <= M} k^-s_i``, ``s_i = (p + i) beta + nu``.

    The tail of a power-law sum past the head ``k < a`` in units of its first term (``|L| <= 1/2``: the
    series is geometric). The Hurwitz zeta values of a whole block of orders ``i`` are evaluated at once
    (one vectorised Euler-Maclaurin pass for every point and order); blocks are added until the bound
    of the remainder, ``|binom(-q, i)| (i + q + 1) |L|^(i+1) Z_i * 4`` (``Z_i`` decreases in ``i``), is below
    ``1e-17`` of the total. ``conservative`` bounds ``Z_i`` by ``a/(s_i - 1) + 1.5`` instead (complex ``L``).
    """
    finite = not math.isinf(M)
    absL = np.abs(L)
    total = np.zeros(L.shape, dtype=np.result_type(L, np.float64))
    if q == 0:
        nterms = 1
    else:
        lmax = float(absL.max()) if absL.size else 0.0
        # terms until |L|^i (i + q)^q falls below 1e-18
        nterms = 8 if lmax <= 0 else int(min(400, max(8, (41.4 + 2 * q * math.log(q + 40)) / -math.log(lmax)))) + 1
    i0 = 0
    coef0 = 1.0
    with np.errstate(under="ignore"):
        while True:
            i = np.arange(i0, i0 + nterms)
            coef = np.empty(nterms)
            c = coef0
            for j in range(nterms):
                coef[j] = c
                c = -c * (q + i0 + j) / (i0 + j + 1)
            s = (p + i) * beta + nu
            Z = _scaled_hurwitz(s[:, None], a[None, :])
            if finite:
                b = M + 1.0
                Z = Z - np.exp(s[:, None] * np.log(a / b)[None, :]) * _scaled_hurwitz(s, np.full(s.shape, b))[:, None]
                near = np.flatnonzero(np.abs(s - 1.0) < 1e-3)
                for j in near:
                    Z[j] = _finite_scaled_zeta_near_one(float(s[j]), a, M)
            powL = L[None, :] ** i[:, None]
            total = total + (coef[:, None] * powL * Z).sum(axis=0)
            if q == 0:
                return total
            last = i[-1]
            Zl = (a / (s[-1] - 1.0) + 1.5) if conservative else np.abs(Z[-1])
            bound = abs(coef[-1]) * (last + q + 1) * absL ** (last + 1) * Zl * 4
            if np.all(bound <= 1e-17 * np.abs(total)) or last >= 400:
                return total
            i0, coef0, nterms = i0 + nterms, c, 16


def _scaled_hurwitz_mp(s, a):
    """``a^s * zeta(s, a)`` in mpmath by Euler-Maclaurin; needs ``a > s`` (guaranteed by the caller)."""
    out = a / (s - 1) + mpmath.mpf(1) / 2
    poch = s
    apow = 1 / a
    prev = mpmath.inf
    for j in range(1, 400):
        term = mpmath.bernoulli(2 * j) / mpmath.factorial(2 * j) * poch * apow
        out += term
        if abs(term) <= mpmath.eps * abs(out):
            return out
        if abs(term) > prev:
            raise ParameterError("Hurwitz zeta expansion diverged; increase the head")  # pragma: no cover
        prev = abs(term)
        poch *= (s + 2 * j - 1) * (s + 2 * j)
        apow /= a * a
    raise ParameterError("Hurwitz zeta expansion did not converge")  # pragma: no cover


class Spectrum(ABC):
    """A latent spectrum ``lambda_k``, ``k = 1..M`` (``M`` finite or ``inf``).

    Subclasses give the eigenvalues; this class gives the spectral sums in float64 (vectorised over
    ``rho``) and in mpmath (at the working precision).
    """

    #: number of modes (``math.inf`` for an infinite spectrum)
    M: float

    # ----- eigenvalues ------------------------------------------------------------------------
    @abstractmethod
    def eigenvalues(self, count: int | None = None) -> np.ndarray:
        """The first ``count`` eigenvalues (all of them for finite ``M`` when ``count`` is None)."""

    @abstractmethod
    def eigenvalue_mp(self, k: int):
        """``lambda_k`` as an mpmath number at the working precision."""

    @property
    def finite(self) -> bool:
        """True when ``M`` is finite."""
        return not math.isinf(self.M)

    @property
    def lam_expr(self) -> sp.Expr | None:
        """``lambda_k`` as a sympy expression in :data:`scalingsym.core.symbols.k`, if there is one."""
        return None

    def _list_size(self, count: int | None, bytes_each: float) -> int:
        """How many eigenvalues a list of ``count`` (all for None) holds, refused over the memory budget."""
        if count is None:
            if not self.finite:
                raise ParameterError("an infinite spectrum needs a count")
            count = int(self.M)
        count = int(min(count, self.M))
        require_memory(bytes_each * count, f"the list of {count} eigenvalues of {self.describe()}")
        return count

    def positive_count(self) -> float:
        """The number of positive eigenvalues (``inf`` for an infinite spectrum), without materialising them."""
        if not self.finite:
            return math.inf
        return float(np.count_nonzero(self._all > 0))

    @abstractmethod
    def describe(self) -> str:
        """The spectrum string that rebuilds this spectrum (where possible)."""

    def __repr__(self) -> str:
        return f"Spectrum<{self.describe()}>"

    # ----- sums -------------------------------------------------------------------------------
    def sums(self, rho: Any, p: int = 1, q: int = 1, task: Task | None = None) -> np.ndarray:
        """``sum_k w_k lambda_k^p / (lambda_k + rho)^q`` in float64, vectorised over ``rho``."""
        r = _check_rho(rho)
        flat = np.atleast_1d(r).ravel()
        out = self._sums_np(flat, int(p), int(q), task or Task.isotropic())
        return out.reshape(r.shape) if r.ndim else out[0]

    def sums_mp(self, rho: Any, p: int = 1, q: int = 1, task: Task | None = None):
        """The same sum as :meth:`sums` as an mpmath number at the working precision."""
        rho = mpmath.mpf(rho)
        if rho < 0 or not mpmath.isfinite(rho):
            raise ParameterError(f"rho must be finite and >= 0; got {rho}")
        return self._sums_mp(rho, int(p), int(q), task or Task.isotropic())

    def d1(self, rho: Any) -> np.ndarray:
        """``d1(rho) = sum_k lambda_k / (lambda_k + rho)``: the effective number of learned modes."""
        return self.sums(rho, 1, 1)

    def d2(self, rho: Any) -> np.ndarray:
        """``d2(rho) = sum_k lambda_k^2 / (lambda_k + rho)^2``."""
        return self.sums(rho, 2, 2)

    def d1_mp(self, rho: Any):
        """:meth:`d1` in mpmath."""
        return self.sums_mp(rho, 1, 1)

    def d2_mp(self, rho: Any):
        """:meth:`d2` in mpmath."""
        return self.sums_mp(rho, 2, 2)

    def d1_e1(self, rho: Any) -> tuple[np.ndarray, np.ndarray]:
        """``(d1, e1)`` with ``e1 = d1 - d2 = rho sum_k lambda_k / (lambda_k + rho)^2`` (isotropic), vectorised.

        What the resolvent solvers need at every iterate (``e1 = -d d1 / d log rho``); a spectrum may give both
        from one pass over its modes.

        >>> d1, e1 = ArraySpectrum([3.0, 1.0]).d1_e1(1.0)
        >>> float(d1), float(e1)
        (1.25, 0.4375)
        """
        r = _check_rho(rho)
        return self.sums(r, 1, 1), r * self.sums(r, 1, 2)

    def _cache_key(self) -> tuple:
        """The parameters a cached value of this spectrum depends on (its eigenvalues are otherwise fixed)."""
        return ()

    def trace(self, task: Task | None = None) -> float:
        """``sum_k w_k lambda_k`` (``E[y^2] / w_var`` for the isotropic teacher; kept per spectrum)."""
        if task is not None and not task.is_isotropic:
            return float(self.sums(0.0, 1, 0, task))
        key = self._cache_key()
        got = self.__dict__.get("_trace_iso")
        if got is None or got[0] != key:
            got = self._trace_iso = (key, float(self.sums(0.0, 1, 0, task)))
        return got[1]

    def trace_mp(self, task: Task | None = None):
        """:meth:`trace` in mpmath."""
        return self.sums_mp(0, 1, 0, task)

    def sympy_sum(self, p: int = 1, q: int = 1, rho: sp.Symbol = S.rho) -> sp.Expr:
        """The sum as an unevaluated sympy ``Sum`` (or ``Add`` for a numeric spectrum)."""
        lam = self.lam_expr
        if lam is None:
            vals = [sp.Float(v) for v in self.eigenvalues()]
            return sp.Add(*[v**p / (v + rho) ** q for v in vals])
        upper = sp.oo if not self.finite else int(self.M)
        return sp.Sum(lam**p / (lam + rho) ** q, (S.k, 1, upper))

    # ----- complex rho (Laplace-domain dynamics) ------------------------------------------------
    def sums_complex(self, rho: Any, p: int = 1, q: int = 1, task: Task | None = None) -> np.ndarray:
        """``sum_k w_k lambda_k^p / (lambda_k + rho)^q`` at complex ``rho`` (complex128, vectorised).

        Needed on the inverse-Laplace contours of the gradient-flow dynamics. Finite spectra: the exact
        sum. ``PowerLaw`` with ``M = inf``: exact head ``|lambda_K / rho| <= 1/2`` plus the Hurwitz-zeta
        tail series (geometric, ratio ``<= 1/2``). ``rho`` must stay off ``[-lambda_max, 0]``.

        >>> import numpy as np
        >>> s = ArraySpectrum([2.0, 1.0])
        >>> complex(s.sums_complex(1j, 1, 1)) == complex(2 / (2 + 1j) + 1 / (1 + 1j))
        True
        """
        r = np.asarray(rho, dtype=np.complex128)
        if np.any(~np.isfinite(r)):
            raise ParameterError(f"rho must be finite; got {rho}")
        flat = np.atleast_1d(r).ravel()
        out = self._sums_complex(flat, int(p), int(q), task or Task.isotropic())
        return out.reshape(r.shape) if r.ndim else out[0]

    def _sums_complex(self, rho: np.ndarray, p: int, q: int, task: Task) -> np.ndarray:
        if not self.finite:
            raise ParameterError(
                f"complex spectral sums need a finite spectrum or a PowerLaw; got {self.describe()}"
            )
        lam = self._all
        w = task.weights_np(np.arange(1, lam.size + 1)) * lam**p
        out = np.empty(rho.size, dtype=np.complex128)
        step = max(1, _BLOCK // max(lam.size, 1))
        for i in range(0, rho.size, step):
            r = rho[i : i + step, None]
            out[i : i + step] = (w / (lam + r) ** q).sum(axis=1) if q else w.sum()
        return out

    # ----- generic finite implementation --------------------------------------------------------
    @cached_property
    def _all(self) -> np.ndarray:
        if not self.finite:
            raise ParameterError("an infinite spectrum has no finite list of eigenvalues")
        return self.eigenvalues()

    def _direct_np(self, rho: np.ndarray, lam: np.ndarray, w: np.ndarray, p: int, q: int) -> np.ndarray:
        out = np.empty(rho.size)
        step = max(1, _BLOCK // max(lam.size, 1))
        wl = w * lam**p
        for i in range(0, rho.size, step):
            r = rho[i : i + step, None]
            out[i : i + step] = (wl / (lam + r) ** q).sum(axis=1) if q else np.full(r.shape[0], wl.sum())
        return out

    def _sums_np(self, rho: np.ndarray, p: int, q: int, task: Task) -> np.ndarray:
        lam = self._all
        w = task.weights_np(np.arange(1, lam.size + 1))
        if p == 0 and q > 0 and np.any(rho == 0) and np.any(lam == 0):
            raise ParameterError("rho = 0 with a zero eigenvalue makes the sum undefined")
        if p > 0:  # a zero mode contributes 0 (never 0/0): leave it out
            pos = lam > 0
            lam, w = lam[pos], w[pos]
        return self._direct_np(rho, lam, w, p, q)

    def _sums_mp(self, rho, p: int, q: int, task: Task):
        terms = []
        for k in range(1, int(self.M) + 1):
            v = self.eigenvalue_mp(k)  # exact at the working precision (not the float64 list)
            if v != 0:
                terms.append(task.weight_mp(k) * v**p / ((v + rho) ** q if q else 1))
        return mpmath.fsum(terms)


def _binom_series(e, K, n: int) -> list:
    """Taylor coefficients in ``h`` of ``(1 + h/K)^e`` (mpmath), ``n`` of them."""
    out = [mpmath.mpf(1)]
    for j in range(n - 1):
        out.append(out[-1] * (e - j) / ((j + 1) * K))
    return out


def _poly_mul(a: list, b: list) -> list:
    """Coefficients of the product of two polynomials (any numbers)."""
    out: list = [None] * (len(a) + len(b) - 1)
    for j in range(len(out)):
        out[j] = sum(a[i] * b[j - i] for i in range(max(0, j - len(b) + 1), min(j, len(a) - 1) + 1))
    return out


def _series_recip(D: list, n: int) -> list:
    """Taylor coefficients of ``1 / D(h)`` (``D[0] != 0``), ``n`` of them."""
    inv0 = 1 / D[0]
    P = [inv0]
    for m in range(1, n):
        P.append(-inv0 * mpmath.fdot(D[1 : m + 1], P[m - 1 :: -1]))
    return P


def _series_mul(a: list, b: list, n: int) -> list:
    """Taylor coefficients of ``a(h) b(h)``, ``n`` of them."""
    return [mpmath.fdot(a[: m + 1], b[m::-1]) for m in range(n)]


@lru_cache(maxsize=4096)
def _bern_em_cached(j: int, prec: int):
    return mpmath.bernoulli(2 * j) / (2 * j)


def _BERN_EM(j: int):
    """``B_{2j} / (2j)`` at the working precision (cached)."""
    return _bern_em_cached(j, mpmath.mp.prec)


def _em_order(dps: int, dist: float) -> int:
    """Number of Taylor coefficients for an Euler-Maclaurin tail whose nearest singularity is ``dist`` away.

    The ``j``-th correction is about ``2 (2j-1)! / (2 pi dist)^(2j)`` relative to the summand.
    """
    target = -(dps + 8) * math.log(10.0)
    for n in range(2, 4000, 2):
        if math.lgamma(n) + math.log(2.0) - n * math.log(2 * math.pi * dist) < target:
            return n + 2
    raise ParameterError("Euler-Maclaurin head too short for this precision")  # pragma: no cover


# ----- fast Euler-Maclaurin evaluation (decimal arithmetic) ----------------------------------------
#: guard digits of the decimal arithmetic over the working mpmath precision
_DEC_GUARD = 16
#: largest relative cancellation (in digits) accepted in the incomplete beta combination
_DEC_CANCEL = 6


def _mpf_to_dec(x) -> decimal.Decimal:
    """An mpmath number as a ``Decimal``, correctly rounded at the current decimal context."""
    sign, man, exp, _ = mpmath.mpf(x)._mpf_
    if sign:
        man = -man
    if exp >= 0:
        return +decimal.Decimal(man << exp)
    return decimal.Decimal(man) / decimal.Decimal(1 << -exp)


def _dec_to_mpf(d: decimal.Decimal):
    """A ``Decimal`` as an mpmath number at the working precision (correctly rounded)."""
    return mpmath.mpf(str(d))


def _dec_context(prec_bits: int) -> decimal.Context:
    digits = int(math.ceil(prec_bits * math.log10(2))) + _DEC_GUARD
    return decimal.Context(prec=digits, rounding=decimal.ROUND_HALF_EVEN, Emin=-(10**8), Emax=10**8,
                           traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow])


def _dec_beta_series(avals: list, b, x, eps) -> list:
    """``sum_n (1-b)_n / n! x^n / (a + n)`` for each ``a`` in ``avals`` (``0 <= x <= 1/2``, ``a, b > 0``).

    Past ``n > b`` the coefficients shrink by at least ``x <= 1/2`` per term and ``1/(a+n)`` decreases, so
    the tail after a term is below that term; the sum stops once every term is below ``eps`` relative.
    """
    one = decimal.Decimal(1)
    sums = [one / a for a in avals]
    if x == 0:
        return sums
    coef = one
    n = 0
    while True:
        n += 1
        coef = coef * (n - b) / n * x
        done = n > b + 1
        for i, a in enumerate(avals):
            t = coef / (a + n)
            sums[i] += t
            if abs(t) > eps * abs(sums[i]):
                done = False
        if done:
            return sums
        if n > 100000:  # pragma: no cover - x <= 1/2 converges geometrically
            raise ParameterError("incomplete beta series did not converge")


class _EMPlan:
    """The ``rho``-independent parts of the Euler-Maclaurin evaluation of a power law's sums.

    Built once per spectrum, precision, ``p``, teacher exponent ``nu`` and set of ``q`` (same head
    length ``K`` and number of corrections as :meth:`PowerLaw._sums_mp_em`; for an integer ``beta`` the
    Taylor coefficients come from a short recurrence, :meth:`_rational_series`). The derivative
    corrections are linear in the Taylor coefficients ``P_l`` of ``(rho + lambda(K + h))^-q``, so their
    weights (Bernoulli numbers times the Taylor coefficients of the numerator) are folded into one
    vector ``G`` per end point, and a new ``rho`` costs the head, one series reciprocal (and its
    powers) per end point, and the incomplete beta series of the tail integral, all in ``decimal``
    arithmetic with :data:`_DEC_GUARD` guard digits.
    """

    def __init__(self, spec: PowerLaw, p: int, qs: tuple[int, ...], nu: float) -> None:
        dps = mpmath.mp.dps
        self.prec = mpmath.mp.prec
        self.ctx = _dec_context(self.prec)
        self.p, self.qs, self.nu = p, qs, nu
        beta_f = 1.0 + spec.alpha
        shrink = 1.0 if beta_f <= 1 else min(1.0, math.sin(math.pi / beta_f))
        m_ = max(30, (dps + 8) // 2)
        K = math.exp(((dps + 8) * math.log(10.0) + math.lgamma(m_ + 1)) / m_) / (2 * math.pi * shrink)
        K = max(16, math.ceil(K))
        n = _em_order(dps, K * shrink)
        Mi = int(spec.M) if spec.finite else None
        if Mi is not None and Mi <= K + 2 * n:
            K = Mi + 1
        nh = K - 1 if Mi is None else min(K - 1, Mi)
        self.K, self.n, self.Mi, self.nh = K, n, Mi, nh
        self.head_only = Mi is not None and K > Mi
        with mpmath.workprec(self.prec + 64), decimal.localcontext(self.ctx):
            c = mpmath.mpf(spec.lambda_plus)
            beta = 1 + mpmath.mpf(spec.alpha)
            nu_ = mpmath.mpf(nu)
            self.eps = decimal.Decimal(2) ** (-self.prec) / 16
            lam = [c * mpmath.mpf(k) ** (-beta) for k in range(1, nh + 1)]
            self.lam = [_mpf_to_dec(v) for v in lam]
            self.num = [_mpf_to_dec((mpmath.mpf(k) ** (-nu_) if nu else 1) * v**p)
                        for k, v in zip(range(1, nh + 1), lam)]
            if self.head_only:
                return
            self.c, self.beta = _mpf_to_dec(c), _mpf_to_dec(beta)
            self.A = {q: q - p + (1 - nu_) / beta for q in qs}
            self.b = p - (1 - nu_) / beta
            self.ok = self.b > 0 and all(a > 0 for a in self.A.values())
            if not self.ok:
                return
            #: an integer beta (up to 8) makes the summand rational in k: its Taylor series by a short recurrence
            self.int_beta = float(beta) if float(beta).is_integer() and 1 <= float(beta) <= 8 else 0.0
            self.Ad = {q: _mpf_to_dec(a) for q, a in self.A.items()}
            self.bd = _mpf_to_dec(self.b)
            self.Bc = {q: _mpf_to_dec(mpmath.beta(a, self.b)) for q, a in self.A.items()}
            self.pref = {q: _mpf_to_dec(c ** (p - q) / beta) for q in qs}
            J = n // 2 - 1
            self.ends = []
            for k, m, sign in ((K, n, -1),) + (() if Mi is None else ((Mi, min(n, _em_order(dps, Mi * shrink)), 1),)):
                kk = mpmath.mpf(k)
                lam_k = c * kk ** (-beta)
                E = [lam_k * v for v in _binom_series(-beta, kk, m)]
                num = _binom_series(-p * beta - nu_, kk, m)
                scale = lam_k**p * (kk ** (-nu_) if nu else 1)
                G = [mpmath.mpf(0)] * m
                G[0] = num[0] / 2
                last = [mpmath.mpf(0)] * m
                for j in range(1, J + 1):
                    o = 2 * j - 1
                    if o >= m:
                        break
                    w = _BERN_EM(j)
                    for i in range(o + 1):
                        G[o - i] += sign * w * num[i]
                    if j == J:
                        last = [sign * w * num[o - i] if o - i >= 0 else mpmath.mpf(0) for i in range(m)]
                end = {
                    "E": [_mpf_to_dec(v) for v in E], "G": [_mpf_to_dec(v) for v in G],
                    "last": [_mpf_to_dec(v) for v in last], "scale": _mpf_to_dec(scale), "m": m,
                    "kb": _mpf_to_dec(kk**beta / c),
                }
                if self.int_beta:
                    # (rho + lambda_k (1 + h/k)^-beta)^-1 = (1 + h/k)^beta / (rho (1 + h/k)^beta + lambda_k): its
                    # numerator and denominator are polynomials in h of degree beta (coefficients binom(beta, j) k^-j)
                    bi = int(self.int_beta)
                    poly = [mpmath.binomial(bi, j) / kk**j for j in range(bi + 1)]
                    end["poly"] = [_mpf_to_dec(v) for v in poly]
                    end["lam_k"] = _mpf_to_dec(lam_k)
                self.ends.append(end)

    def evaluate(self, rho) -> dict[int, Any] | None:
        """``{q: S_{p,q}(rho)}`` as mpmath numbers, or None where this representation does not apply."""
        qs = self.qs
        qmax = max(qs)
        with decimal.localcontext(self.ctx):
            R = _mpf_to_dec(rho)
            one = decimal.Decimal(1)
            zero = decimal.Decimal(0)
            head = dict.fromkeys(qs, zero)
            if qs == (1, 2):
                s1 = s2 = zero
                for L, W in zip(self.lam, self.num):
                    inv = one / (L + R)
                    t = W * inv
                    s1 += t
                    s2 += t * inv
                head = {1: s1, 2: s2}
            else:
                for L, W in zip(self.lam, self.num):
                    inv = one / (L + R)
                    for q in qs:
                        head[q] += W * inv**q
            if self.head_only:
                return {q: _dec_to_mpf(v) for q, v in head.items()}
            if not self.ok:
                return None
            total = dict(head)
            last = dict.fromkeys(qs, zero)
            for end in self.ends:
                E, m = end["E"], end["m"]
                if "poly" in end and qmax <= 2:
                    Pq = self._rational_series(end, R, m, qmax)
                else:
                    inv0 = one / (R + E[0])
                    P = [inv0]
                    for j in range(1, m):
                        P.append(-inv0 * sum(map(decimal.Decimal.__mul__, E[1 : j + 1], P[j - 1 :: -1])))
                    Pq = {1: P}
                    for q in range(2, qmax + 1):
                        prev = Pq[q - 1]
                        Pq[q] = [sum(map(decimal.Decimal.__mul__, prev[: j + 1], P[j::-1])) for j in range(m)]
                sc = end["scale"]
                for q in qs:
                    total[q] += sc * sum(map(decimal.Decimal.__mul__, Pq[q], end["G"]))
                    last[q] += sc * sum(map(decimal.Decimal.__mul__, Pq[q], end["last"]))
            integ = self._integrals(R)
            if integ is None:
                return None
            out = {}
            eps_mp = 16 * decimal.Decimal(2) ** (-self.prec)
            for q in qs:
                total[q] += integ[q]
                if abs(last[q]) > eps_mp * abs(total[q]):  # pragma: no cover - guarded by _em_order
                    return None
                out[q] = _dec_to_mpf(total[q])
            return out

    @staticmethod
    def _rational_series(end: dict, R, m: int, qmax: int) -> dict[int, list]:
        """Taylor coefficients in ``h`` of ``(R + lambda_k (1 + h/k)^-beta)^-q``, ``q = 1..qmax``, integer ``beta``.

        ``Q(h) P_q(h) = N(h)^q`` with ``N = (1 + h/k)^beta`` and ``Q = (R N + lambda_k)^q`` polynomials of degree
        ``q beta``: each coefficient follows from the previous ``q beta`` ones (the same numbers as the series
        reciprocal of ``R + E(h)``, at ``O(m beta)`` instead of ``O(m^2)`` operations).
        """
        N = end["poly"]
        Q = [R * v for v in N]
        Q[0] += end["lam_k"]
        out = {}
        nums = end.setdefault("poly_powers", [N])  # N^q does not depend on rho: kept with the plan
        den = Q
        for q in range(1, qmax + 1):
            if q > 1:  # Q^q (and N^q once)
                den = _poly_mul(den, Q)
                if len(nums) < q:
                    nums.append(_poly_mul(nums[-1], N))
            num = nums[q - 1]
            inv0 = 1 / den[0]
            d = len(den) - 1
            tail = den[1:]
            P: list = []
            for j in range(m):
                acc = num[j] if j < len(num) else decimal.Decimal(0)
                for di, pv in zip(tail[: min(d, j)], reversed(P[max(0, j - d) : j])):
                    acc -= di * pv
                P.append(acc * inv0)
            out[q] = P
        return out

    def _integrals(self, R) -> dict[int, Any] | None:
        """``int_K^M k^-nu lambda^p / (lambda + rho)^q dk`` for each ``q`` (incomplete beta functions)."""
        one = decimal.Decimal(1)
        c, qs, A, b, eps = self.c, self.qs, self.Ad, self.bd, self.eps
        tK = R * self.ends[0]["kb"]
        ua = one / (one + tK)
        va = tK * ua
        if self.Mi is None:
            vb, ub = one, decimal.Decimal(0)
        else:
            tM = R * self.ends[1]["kb"]
            ub = one / (one + tM)
            vb = tM * ub

        def pw(x, e):  # x^e for decimals x > 0 and an mpmath exponent e
            return _mpf_to_dec(mpmath.power(_dec_to_mpf(x), e))

        with mpmath.workprec(self.prec + 64):
            cr = {q: pw(c / R, self.A[q]) for q in qs}

            def lower(x):  # I(a, b; 0, x) for each q, x <= 1/2
                if x == 0:
                    return dict.fromkeys(qs, decimal.Decimal(0))
                S = _dec_beta_series([A[q] for q in qs], b, x, eps)
                return {q: pw(x, self.A[q]) * s for q, s in zip(qs, S)}

            def upper(u):  # I(a, b; 1 - u, 1) = I(b, a; 0, u) for each q, u <= 1/2
                if u == 0:
                    return dict.fromkeys(qs, decimal.Decimal(0))
                xb = pw(u, self.b)
                return {q: xb * _dec_beta_series([b], A[q], u, eps)[0] for q in qs}

            half = decimal.Decimal("0.5")
            if va <= half and vb <= half:
                hi, lo = lower(vb), lower(va)
                parts = {q: (hi[q], -lo[q]) for q in qs}
            elif va <= half:
                lo, up = lower(va), upper(ub)
                parts = {q: (self.Bc[q], -lo[q], -up[q]) for q in qs}
            else:
                hi, lo = upper(ua), upper(ub)
                parts = {q: (hi[q], -lo[q]) for q in qs}
        out = {}
        tiny = decimal.Decimal(10) ** (-_DEC_CANCEL)
        for q in qs:
            val = sum(parts[q])
            if abs(val) <= tiny * max(abs(v) for v in parts[q]):
                return None  # too much cancellation for the guard digits: the caller uses mpmath's betainc
            out[q] = self.pref[q] * cr[q] * val
        return out

# -------------------------------------------------------------------------------------------------
#: the smallest exponent of an infinite power law: the sums grow like 1/alpha and their float64 and mpmath
#: representations lose about log10(1/alpha) digits, so below it the spectrum is refused (use a finite M)
ALPHA_MIN_INF = 1e-4


class PowerLaw(Spectrum):
    """``lambda_k = lambda_plus * k^-(1+alpha)`` for ``k = 1..M`` (``M`` may be ``inf``).

    Parameters
    ----------
    alpha : float
        Exponent; ``>= 1e-4`` for ``M = inf`` (:data:`ALPHA_MIN_INF`); a finite ``M`` accepts any ``alpha > -1``.
    M : int or float
        Number of modes, a positive integer or ``inf``.
    lambda_plus : float
        Largest eigenvalue, ``> 0``.

    Examples
    --------
    >>> PowerLaw(alpha=1, M=10).eigenvalues()[:3]
    array([1.        , 0.25      , 0.11111111])
    """

    def __init__(self, alpha: float, M: float = math.inf, lambda_plus: float = 1.0) -> None:
        alpha = float(alpha)
        lambda_plus = float(lambda_plus)
        M = float(M)
        if math.isnan(M) or M <= 0 or (not math.isinf(M) and M != int(M)):
            raise ParameterError(f"M must be a positive integer or inf; got {M}")
        if not math.isfinite(alpha) or alpha <= -1 or (math.isinf(M) and alpha < ALPHA_MIN_INF):
            rng = f">= {ALPHA_MIN_INF:g} when M = inf" if math.isinf(M) else "> -1"
            raise ParameterError(f"alpha must be a finite number {rng}; got {alpha}")
        if not math.isfinite(lambda_plus) or lambda_plus <= 0:
            raise ParameterError(f"lambda_plus must be a finite number > 0; got {lambda_plus}")
        self.alpha, self.M, self.lambda_plus = alpha, M, lambda_plus
        self.beta = 1.0 + alpha

    @property
    def lam_expr(self) -> sp.Expr:
        lp, alpha = parse_exact_number(self.lambda_plus, "lambda_plus"), parse_exact_number(self.alpha, "alpha")
        return lp * S.k ** (-(1 + alpha))

    def describe(self) -> str:
        M = "inf" if math.isinf(self.M) else str(int(self.M))
        return f"powerlaw(alpha={self.alpha:g}, M={M}, lambda_plus={self.lambda_plus:g})"

    def positive_count(self) -> float:
        return self.M

    def _cache_key(self) -> tuple:
        return (self.alpha, self.M, self.lambda_plus)

    def __getstate__(self) -> dict:
        # the float64 sums' caches are rebuilt on demand: not shipped with a pickled spectrum
        return {k: v for k, v in self.__dict__.items() if k not in _FLOAT_CACHES}

    def d1_e1(self, rho: Any) -> tuple[np.ndarray, np.ndarray]:
        r = _check_rho(rho)
        flat = np.atleast_1d(r).ravel()
        pair = self._pair_cached(flat) if flat.size else None
        if pair is None:
            return super().d1_e1(r)
        d1, e1 = pair[0].copy(), flat * pair[1]
        return (d1.reshape(r.shape), e1.reshape(r.shape)) if r.ndim else (d1[0], e1[0])

    def eigenvalues(self, count: int | None = None) -> np.ndarray:
        count = self._list_size(count, 16.0)
        return self.lambda_plus * np.arange(1, count + 1, dtype=np.float64) ** (-self.beta)

    def eigenvalue_mp(self, k: int):
        return mpmath.mpf(self.lambda_plus) * mpmath.mpf(k) ** (-(1 + mpmath.mpf(self.alpha)))

    def _sums_complex(self, rho: np.ndarray, p: int, q: int, task: Task) -> np.ndarray:
        """Complex ``rho``: exact head ``|lambda_K/rho| <= 1/2`` plus the Hurwitz-zeta tail series."""
        if task.values is not None or (self.finite and self.M <= 4096):
            return super()._sums_complex(rho, p, q, task)
        self._check_convergent(p, task)
        K = self._head_size(np.abs(rho), q)
        if np.any(np.isinf(K)) or np.max(K) > 5e7:
            raise ParameterError(f"|rho| is too small for a float64 evaluation of this spectrum; rho = {rho}")
        out = np.zeros(rho.size, dtype=np.complex128)
        # heads in order of length: each block of modes only touches the points whose head reaches it
        order = np.argsort(K, kind="stable")
        Ks = K[order]
        rs = rho[order]
        acc = np.zeros(rho.size, dtype=np.complex128)
        k0, kmax = 1, int(Ks[-1])
        while k0 <= kmax:
            first = int(np.searchsorted(Ks, k0, side="left"))  # rows [first:] have K >= k0
            n = rho.size - first
            chunk = max(64, _BLOCK // max(n, 1))
            k = np.arange(k0, min(k0 + chunk, kmax + 1), dtype=np.float64)
            lam = self.lambda_plus * k ** (-self.beta)
            wl = task.weights_np(k) * lam**p
            rr = rs[first:]
            term = wl / (lam + rr[:, None]) ** q if q else np.broadcast_to(wl, (n, k.size))
            if Ks[first] < k[-1]:  # some of these heads end inside the block
                term = np.where(k[None, :] <= Ks[first:, None], term, 0.0)
            acc[first:] += term.sum(axis=1)
            k0 = int(k[-1]) + 1
        out[order] = acc
        tail = K < self.M
        if np.any(tail):
            r, Kt = rho[tail], K[tail]
            a = Kt + 1.0
            lam_a = self.lambda_plus * a ** (-self.beta)
            L = lam_a / r if q else np.zeros_like(r)
            pref = lam_a**p * a ** (-task.nu) * (r ** (-q) if q else 1.0)
            out[tail] += pref * _zeta_tail_series(L, a, p, q, task.nu, self.beta, self.M, conservative=True)
        return out

    def _check_convergent(self, p: int, task: Task) -> None:
        if not self.finite and task.values is None and p * self.beta + task.nu <= 1:
            raise ParameterError(
                f"the spectral sum diverges for M = inf: lambda^{p} w_k decays as k^-{p * self.beta + task.nu:g}, "
                "which needs an exponent > 1"
            )

    def _head_size(self, rho: np.ndarray, q: int) -> np.ndarray:
        with np.errstate(divide="ignore", over="ignore"):
            K = np.ceil((self.lambda_plus / (_TAIL_RATIO * rho)) ** (1.0 / self.beta)) if q else 0 * rho
        K = np.where(np.isfinite(K), K, np.inf)
        K = np.maximum(K, _MIN_HEAD)
        return np.minimum(K, self.M)

    def _sums_np(self, rho: np.ndarray, p: int, q: int, task: Task) -> np.ndarray:
        if task.values is not None:
            if not self.finite:
                raise ParameterError("an array task needs a finite spectrum")
            return super()._sums_np(rho, p, q, task)
        if p == 1 and q in (1, 2) and task.nu == 0.0 and rho.size:
            pair = self._pair_cached(rho)
            if pair is not None:
                return pair[q - 1].copy()
        self._check_convergent(p, task)
        if np.any(rho == 0) and q > 0 and not self.finite:
            raise ParameterError("rho must be > 0 for an infinite spectrum")
        K = self._head_size(rho, q)
        if np.any(np.isinf(K)) or np.max(K) > 5e7:
            raise ParameterError(
                f"rho = {rho.min():g} is too small for the float64 sums of {self.describe()}: the exact head would "
                f"need {float(np.max(K)):.3g} terms (the limit is 5e7, reached near min(N, T) ~ 1e7); the mpmath path "
                "(--precision, RandomFeatureRidge.solve_mp), whose cost does not grow as rho -> 0, has no such limit"
            )
        out = np.zeros(rho.size)
        order = np.argsort(K)
        Ks = K[order].astype(np.int64)
        rs = rho[order]
        kmax = int(Ks[-1])
        chunk = 1 << 14
        first = 0
        for k0 in range(1, kmax + 1, chunk):
            while first < Ks.size and Ks[first] < k0:
                first += 1
            if first >= Ks.size:
                break
            k = np.arange(k0, min(k0 + chunk, kmax + 1), dtype=np.float64)
            lam = self.lambda_plus * k ** (-self.beta)
            wl = task.weights_np(k) * lam**p
            step = max(1, _BLOCK // k.size)
            for i in range(first, Ks.size, step):
                rr = rs[i : i + step, None]
                mask = k[None, :] <= Ks[i : i + step, None]
                with np.errstate(over="ignore"):
                    term = wl / (lam + rr) ** q if q else np.broadcast_to(wl, (rr.shape[0], k.size))
                out[order[i : i + step]] += np.where(mask, term, 0.0).sum(axis=1)
        tail = K < self.M
        if np.any(tail):
            out[tail] += self._tail_np(rho[tail], K[tail], p, q, task.nu)
        return out

    # ----- float64 d1 and S_{1,2} in one pass (the solvers' pair) ------------------------------
    def _pair_cached(self, rho: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """``(S_{1,1}, S_{1,2})`` at ``rho`` (isotropic), the last pair kept; None where :meth:`_pair_np` fails.

        The solvers and the observables ask for both sums at the same ``rho`` in turn: one evaluation gives both.
        """
        last = self.__dict__.get("_pair_last")
        key = (self.alpha, self.M, self.lambda_plus)
        if last is not None and last[0] == key and last[1].shape == rho.shape and np.array_equal(last[1], rho):
            return last[2], last[3]
        pair = self._pair_np(rho)
        if pair is None:
            return None
        self._pair_last = (key, rho.copy(), pair[0], pair[1])
        return pair

    def _lam_head(self, count: int) -> np.ndarray | None:
        """``lambda_1 .. lambda_count`` (float64), kept per spectrum up to :data:`_HEAD_CACHE` modes; None beyond."""
        if count > _HEAD_CACHE:
            return None
        key = (self.alpha, self.lambda_plus)
        got = self.__dict__.get("_lam_head_cache")
        if got is None or got[0] != key or got[1].size < count:
            n = min(_HEAD_CACHE, max(count, 1024, 2 * got[1].size if got is not None and got[0] == key else 0))
            if self.finite:
                n = min(n, int(self.M))
            lam = self.lambda_plus * np.arange(1, n + 1, dtype=np.float64) ** (-self.beta)
            lam.setflags(write=False)
            got = self._lam_head_cache = (key, lam)
        return got[1][:count]

    def _zeta_table(self, a: float) -> np.ndarray:
        """``Z_i = a^s_i sum_{a <= k <= M} k^-s_i``, ``s_i = (1 + i) beta``, ``i < _PAIR_TERMS`` (kept per head length).

        The ``rho``-independent part of the tail series of :func:`_zeta_tail_series` for ``p = 1``, isotropic.
        """
        cache = self.__dict__.setdefault("_zeta_tables", {})
        key = (a, self.alpha, self.M)
        Z = cache.get(key)
        if Z is None:
            i = np.arange(_PAIR_TERMS, dtype=np.float64)
            s = (1.0 + i) * self.beta
            with np.errstate(under="ignore"):
                Z = _scaled_hurwitz(s, np.full(s.shape, a))
                if self.finite:
                    b = self.M + 1.0
                    Z = Z - np.exp(s * math.log(a / b)) * _scaled_hurwitz(s, np.full(s.shape, b))
                    for j in np.flatnonzero(np.abs(s - 1.0) < 1e-3):
                        Z[j] = _finite_scaled_zeta_near_one(float(s[j]), np.array([a]), self.M)[0]
            if len(cache) >= 1024:
                cache.clear()
            cache[key] = Z
        return Z

    def _pair_np(self, rho: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """``(S_{1,1}, S_{1,2})`` at ``rho > 0`` (isotropic) in one pass; None where it does not apply.

        Heads on a lattice of lengths (at least the head of :meth:`_sums_np`, so ``lambda_K <= rho/2``): the
        points sharing a head length form one block ``lambda_k / (lambda_k + rho)`` (a BLAS matrix-vector
        product per sum); a finite spectrum within four heads of its end is summed whole. The tail is the
        zeta series of :func:`_zeta_tail_series` with its ``rho``-independent Hurwitz values kept per head
        length (:meth:`_zeta_table`): a new ``rho`` costs a polynomial in ``L = lambda_(K+1) / rho``.
        """
        if self.beta <= 1.0 or not np.all(rho > 1e-150):  # (rho + lambda)^-2 must stay in float64's range
            return None
        K = self._head_size(rho, 1)
        if np.any(np.isinf(K)) or np.max(K) > 5e7:
            return None  # the general path raises its error
        with np.errstate(divide="ignore"):
            Kl = np.ceil(np.exp2(np.ceil(np.log2(K) * _LATTICE) / _LATTICE))
        if self.finite:
            Kl = np.where(Kl * 4 >= self.M, self.M, Kl)
        kmax = float(Kl.max())
        if not self.lambda_plus * kmax ** (-self.beta) > 0:  # eigenvalues that underflow: the general path
            return None
        if rho.size * kmax <= _PAIR_ONE_BLOCK:
            groups = [(kmax, None)]
        else:
            vals, inv_idx = np.unique(Kl, return_inverse=True)
            groups = [(float(v), np.flatnonzero(inv_idx.ravel() == j)) for j, v in enumerate(vals)]
        d1 = np.empty(rho.size)
        s2 = np.empty(rho.size)
        c, beta = self.lambda_plus, self.beta
        for Kg, idx in groups:
            r = rho if idx is None else rho[idx]
            n = int(Kg)
            h1 = np.zeros(r.size)
            h2 = np.zeros(r.size)
            lam_all = self._lam_head(n)
            chunk = max(256, _BLOCK // max(r.size, 1))
            for k0 in range(0, n, chunk):
                k1 = min(n, k0 + chunk)
                if lam_all is not None:
                    lam = lam_all[k0:k1]
                else:
                    lam = c * np.arange(k0 + 1, k1 + 1, dtype=np.float64) ** (-beta)
                inv = 1.0 / (lam + r[:, None])
                h1 += inv @ lam
                inv *= inv
                h2 += inv @ lam
            if Kg < self.M:
                a = Kg + 1.0
                lam_a = c * a ** (-beta)
                L = lam_a / r
                lmax = float(L.max())
                if lmax <= 0.0:  # the tail's first mode underflows: the whole tail is below float64's range
                    nt = 1
                else:
                    nt = _PAIR_TERMS if lmax >= 0.5 else min(_PAIR_TERMS, int(56.3 / -math.log(lmax)) + 2)
                Z = self._zeta_table(a)[:nt]
                W = np.stack([_ALT[:nt] * Z, _ALT2[:nt] * Z], axis=1)
                with np.errstate(under="ignore"):
                    t = np.vander(L, nt, increasing=True) @ W
                h1 += L * t[:, 0]
                h2 += L / r * t[:, 1]
            if idx is None:
                d1, s2 = h1, h2
            else:
                d1[idx], s2[idx] = h1, h2
        return d1, s2

    def _d1_e1_model(self, rho: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """Approximate ``(d1, e1)`` (isotropic) for the float64 solvers' start; None where there is no model.

        The continuum law ``d1 ~ A_beta u - 1/2``, ``e1 ~ A_beta u / beta`` with ``u = (lambda_plus / rho)^(1/beta)``
        and ``A_beta = (pi/beta) / sin(pi/beta)`` (the sum from ``k = 1`` by Euler-Maclaurin; for ``beta = 2``
        exact up to ``exp(-2 pi u)``). A finite ``M`` subtracts the modes past it, ``int_{M+1/2}^inf`` as a
        series in ``1/y`` (``y = rho / lambda(M + 1/2) > 2``) plus the midpoint rule's first correction; nearer
        the end of the spectrum (``y <= 2``) a rough saturating form. Only a start: the solvers' bracket and
        convergence checks use the exact sums.
        """
        beta = self.beta
        if beta <= 1.0:
            return None
        a = 1.0 / beta
        A = math.pi * a / math.sin(math.pi * a)
        t = rho / self.lambda_plus
        with np.errstate(all="ignore"):
            u = t ** (-a)
            d1 = A * u - 0.5
            e1 = A * u / beta
            if self.finite:
                b = self.M + 0.5
                y = t * b**beta  # rho / lambda at the end of the spectrum
                # the modes past M (midpoint rule, int_b^inf), as a series in 1/y where they are unlearned (y > 2)
                iy = 1.0 / np.maximum(y, 2.0)
                t1 = np.zeros_like(y)
                t2 = np.zeros_like(y)
                for j in range(7, -1, -1):
                    t1 = 1.0 / ((j + 1) * beta - 1.0) - iy * t1
                    t2 = (j + 1.0) / ((j + 1) * beta - 1.0) - iy * t2
                tail1 = b * iy * t1 - beta * y / (b * (1.0 + y) ** 2) / 24.0
                tail2 = b * iy * t2 + beta * y * (1.0 - y) / (b * (1.0 + y) ** 3) / 24.0
                d1 = np.where(y > 2.0, d1 - tail1, self.M / (1.0 + y / (beta + 1.0)))
                e1 = np.where(y > 2.0, e1 - tail2, self.M * y / (beta + 1.0) / (1.0 + y / (beta + 1.0)) ** 2)
            lo = 1.0 / (1.0 + t)  # the first mode alone
            e1 = np.where(d1 < lo, lo * (1.0 - lo), e1)
            d1 = np.maximum(d1, lo)
        if not (np.all(np.isfinite(d1)) and np.all(np.isfinite(e1)) and np.all(e1 > 0)):
            return None
        return d1, e1

    def _tail_np(self, rho, K, p: int, q: int, nu: float) -> np.ndarray:
        """``sum_{K < k <= M}`` by the zeta series; every term is scaled so nothing over- or underflows."""
        a = K + 1.0
        lam_a = self.lambda_plus * a ** (-self.beta)
        L = lam_a / rho if q else np.zeros_like(rho)
        pref = lam_a**p * a ** (-nu) * (rho ** (-q) if q else 1.0)
        return pref * _zeta_tail_series(L, a, p, q, nu, self.beta, self.M)

    def _sums_mp(self, rho, p: int, q: int, task: Task):
        if task.values is not None:
            return super()._sums_mp(rho, p, q, task)
        self._check_convergent(p, task)
        if rho == 0 and q > 0 and not self.finite:
            raise ParameterError("rho must be > 0 for an infinite spectrum")
        if q > 0 and rho > 0:
            out = self._sums_mp_fast(rho, p, q, task.nu)
            if out is None:
                out = self._sums_mp_em(rho, p, q, task.nu)
            if out is not None:
                return out
        return self._sums_mp_zeta(rho, p, q, task)

    def _sums_mp_fast(self, rho, p: int, q: int, nu: float):
        """The sum at ``rho > 0, q > 0`` by the :class:`_EMPlan` of this spectrum (None where it does not apply).

        The solvers ask for ``(1, 1)`` and ``(1, 2)`` at the same ``rho`` in turn, so both come from one
        evaluation; the values of the last ``rho`` are kept, and a request at a lower precision than the
        one they were computed at gets them rounded (they are at least as accurate).
        """
        nuf = float(nu)
        prec = mpmath.mp.prec
        last = getattr(self, "_em_last", None)
        if last is not None and last[0] >= prec and last[1] == (rho, p, nuf, self.alpha, self.lambda_plus) \
                and q in last[2]:
            return +last[2][q]
        qs = (1, 2) if q <= 2 else (q,)
        key = (prec, p, nuf, qs, self.alpha, self.lambda_plus)
        plans = getattr(self, "_em_plans", None)
        if plans is None:
            plans = self._em_plans = {}
        plan = plans.get(key)
        if plan is None:
            if len(plans) > 16:
                plans.clear()
            plan = plans[key] = _EMPlan(self, p, qs, nuf)
        vals = plan.evaluate(mpmath.mpf(rho))
        if vals is None:
            return None
        self._em_last = (prec, (rho, p, nuf, self.alpha, self.lambda_plus), vals)
        return vals[q]

    def _em_head(self) -> list:
        """``lambda_k``, ``k = 1..`` as mpmath numbers at the working precision (cached per precision)."""
        key = (mpmath.mp.prec, self.alpha, self.lambda_plus)
        cache = getattr(self, "_em_cache", None)
        if cache is None or cache[0] != key:
            cache = (key, [])
            self._em_cache = cache
        return cache[1]

    def _sums_mp_em(self, rho, p: int, q: int, nu: float):
        """The sum at ``rho > 0, q > 0`` as an exact head ``k < K`` plus an Euler-Maclaurin tail.

        The tail integral is an incomplete beta function (``t = rho k^beta / lambda_plus``):
        ``int_K^M k^-nu lambda^p / (lambda + rho)^q dk = c^(p-q) (c/rho)^A / beta * B(A, q - A; v_K, v_M)``
        with ``A = q - p + (1 - nu)/beta`` and ``v = t/(1+t)``; the derivative corrections come from the
        exact Taylor series of the summand at ``K`` (and ``M``). The summand's nearest complex
        singularity is at least ``K min(1, sin(pi/beta))`` away, which sets the number of corrections
        (about ``e^{-2 pi K}``-small remainder). The head length does not grow as ``rho -> 0``. The
        pieces that depend only on ``rho`` are kept for the next call at the same ``rho`` (the solvers
        ask for ``(1, 1)`` and ``(1, 2)`` in turn). Returns None where this representation does not
        apply (the caller then uses the zeta series).
        """
        dps = mpmath.mp.dps
        c = mpmath.mpf(self.lambda_plus)
        beta = 1 + mpmath.mpf(self.alpha)
        nuf = float(nu)
        nu_ = mpmath.mpf(nuf)
        A = q - p + (1 - nu_) / beta
        if (abs(A - round(float(A))) < 1e-12 and round(float(A)) <= 0) or abs(q - A) < 1e-12:
            return None
        # the summand's poles sit at k = (c/rho)^(1/beta) e^(+-i pi/beta): off the principal sheet for beta <= 1
        shrink = 1.0 if float(beta) <= 1 else min(1.0, math.sin(math.pi / float(beta)))
        # K so that about m Taylor coefficients suffice; m grows with the precision so that K stays small
        m_ = max(30, (dps + 8) // 2)
        K = math.exp(((dps + 8) * math.log(10.0) + math.lgamma(m_ + 1)) / m_) / (2 * math.pi * shrink)
        K = max(16, math.ceil(K))
        n = _em_order(dps, K * shrink)
        Mi = int(self.M) if self.finite else None
        if Mi is not None and Mi <= K + 2 * n:
            K = Mi + 1  # all of it is head
        lam = self._em_head()
        while len(lam) < K:
            lam.append(c * mpmath.mpf(len(lam) + 1) ** (-beta))
        nh = K - 1 if Mi is None else min(K - 1, Mi)

        key = (mpmath.mp.prec, rho, K, Mi, self.alpha, self.lambda_plus)
        parts = getattr(self, "_em_parts", None)
        if parts is None or parts["key"] != key:
            parts = {"key": key, "inv": [1 / (lam[i] + rho) for i in range(nh)]}
            self._em_parts = parts

        def cached(name, make):
            if name not in parts:
                parts[name] = make()
            return parts[name]

        invq = cached(("invq", q), lambda: [v**q for v in parts["inv"]])
        numh = cached(
            ("numh", p, nuf),
            lambda: [(mpmath.mpf(i + 1) ** (-nu_) if nuf else 1) * lam[i] ** p for i in range(nh)],
        )
        head = mpmath.fdot(numh, invq)
        if Mi is not None and K > Mi:
            return head

        def taylor(k, m):
            kk = mpmath.mpf(k)
            lam_k = c * kk ** (-beta)
            D = cached(("D", k), lambda: [rho + lam_k] + [lam_k * v for v in _binom_series(-beta, kk, m)[1:]])
            P = cached(("P", k, 1), lambda: _series_recip(D, m))
            for qq in range(2, q + 1):
                P = cached(("P", k, qq), lambda P=P: _series_mul(P, parts[("P", k, 1)], m))
            num = cached(("num", k, p, nuf), lambda: _binom_series(-p * beta - nu_, kk, m))
            scale = lam_k**p * (kk ** (-nu_) if nuf else 1)
            # the corrections use only the value and the odd derivatives
            zero = mpmath.mpf(0)
            return [
                scale * mpmath.fdot(num[: j + 1], P[j::-1]) if (j == 0 or j % 2) else zero for j in range(m)
            ] + [zero] * (n - m)

        def v_pair(k):
            t = rho * mpmath.mpf(k) ** beta / c
            return t / (1 + t), 1 / (1 + t)

        Fa = taylor(K, n)
        va, ua = v_pair(K)
        if Mi is None:
            vb, ub, Fb = mpmath.mpf(1), mpmath.mpf(0), [mpmath.mpf(0)] * n
        else:
            vb, ub = v_pair(Mi)
            # the far end needs fewer terms (its singularities are ``M`` away)
            Fb = taylor(Mi, min(n, _em_order(dps, Mi * shrink)))
        if va <= 0.5:
            beta_inc = mpmath.betainc(A, q - A, va, vb)
        else:
            beta_inc = mpmath.betainc(q - A, A, ub, ua)
        integral = c ** (p - q) * (c / rho) ** A / beta * beta_inc
        corr = [_BERN_EM(j) * (Fb[2 * j - 1] - Fa[2 * j - 1]) for j in range(1, n // 2)]
        total = head + integral + (Fa[0] + Fb[0]) / 2 + mpmath.fsum(corr)
        if abs(corr[-1]) > 16 * mpmath.eps * abs(total):  # pragma: no cover - guarded by _em_order
            return None
        return total

    def _sums_mp_zeta(self, rho, p: int, q: int, task: Task):
        """The sum by an exact head ``lambda_K <= rho/2`` plus the Hurwitz-zeta tail series (any ``rho``)."""
        c = mpmath.mpf(self.lambda_plus)
        beta = 1 + mpmath.mpf(self.alpha)
        nu = mpmath.mpf(task.nu)
        # the tail needs about 3.4 terms per digit; a head longer than the largest zeta order keeps
        # the Euler-Maclaurin expansion of the scaled Hurwitz zeta convergent to full precision
        s_max = (p + 3.4 * mpmath.mp.dps + 4) * beta + abs(nu)
        K = max(_MIN_HEAD, int(mpmath.ceil(s_max)))
        if q and rho > 0:
            K = max(K, int(mpmath.ceil((c / (mpmath.mpf(_TAIL_RATIO) * rho)) ** (1 / beta))))
        if self.finite:
            K = min(K, int(self.M))
        head = mpmath.fsum(
            (mpmath.mpf(k) ** (-nu) if nu else 1) * (c * mpmath.mpf(k) ** (-beta)) ** p
            / ((c * mpmath.mpf(k) ** (-beta) + rho) ** q if q else 1)
            for k in range(1, K + 1)
        )
        if self.finite and K >= self.M:
            return head
        a = mpmath.mpf(K + 1)
        lam_a = c * a ** (-beta)
        L = lam_a / rho if q else mpmath.mpf(0)
        pref = lam_a**p * a ** (-nu) * (rho ** (-q) if q else 1)
        eps = mpmath.eps * 4
        total = mpmath.mpf(0)
        coef = mpmath.mpf(1)
        i = 0
        while True:
            s_i = (p + i) * beta + nu
            if self.finite and abs(s_i - 1) < mpmath.mpf("0.01"):
                # the two Hurwitz terms cancel near s = 1 (a pole of each): mpmath's zeta at guard digits, digamma at 1
                b = mpmath.mpf(self.M + 1)
                guard = 20 + (0 if s_i == 1 else int(-mpmath.log10(abs(s_i - 1))))
                with mpmath.extradps(guard):
                    if s_i == 1:
                        diff = mpmath.digamma(b) - mpmath.digamma(a)
                    else:
                        diff = mpmath.zeta(s_i, a) - mpmath.zeta(s_i, b)
                    Z = +(a**s_i * diff)
            else:
                Z = _scaled_hurwitz_mp(s_i, a)
                if self.finite:
                    b = mpmath.mpf(self.M + 1)
                    Z -= (a / b) ** s_i * _scaled_hurwitz_mp(s_i, b)
            term = coef * L**i * Z
            total += term
            if q == 0 or abs(term) <= eps * abs(total):
                break
            i += 1
            if i > 100000:
                raise ParameterError("tail series did not converge")  # pragma: no cover
            coef = -coef * (q + i - 1) / i
        return head + pref * total


# -------------------------------------------------------------------------------------------------
class ArraySpectrum(Spectrum):
    """A finite list of eigenvalues (any order; zeros allowed, at least one positive).

    Examples
    --------
    >>> ArraySpectrum([3.0, 1.0]).d1(1.0)
    np.float64(1.25)
    """

    def __init__(self, values: Any, name: str | None = None) -> None:
        v = np.asarray(values, dtype=np.float64).ravel()
        if v.size == 0:
            raise ParameterError("spectrum must have at least one eigenvalue; got an empty list")
        if not np.all(np.isfinite(v)):
            raise ParameterError("spectrum eigenvalues must be finite numbers (no NaN or inf)")
        if np.any(v < 0):
            raise ParameterError(f"spectrum eigenvalues must be >= 0; got {v[v < 0][0]}")
        if not np.any(v > 0):
            raise ParameterError("spectrum needs at least one positive eigenvalue")
        self._values = v
        self.M = float(v.size)
        self.name = name

    def describe(self) -> str:
        return self.name or f"array(M={self._values.size})"

    def eigenvalues(self, count: int | None = None) -> np.ndarray:
        return self._values.copy() if count is None else self._values[: int(count)].copy()

    def eigenvalue_mp(self, k: int):
        return mpmath.mpf(self._values[k - 1])


# -------------------------------------------------------------------------------------------------
@lru_cache(maxsize=64)
def _em_derivatives(expr: sp.Expr, p: int, q: int, nu: float, orders: tuple[int, ...]):
    f = (S.k ** (-parse_exact_number(nu, 'nu')) if nu else 1) * expr**p / (expr + S.rho) ** q
    return [sp.lambdify((S.k, S.rho), sp.diff(f, S.k, o), ["scipy", "numpy"]) for o in orders]


class ExprSpectrum(Spectrum):
    """``lambda_k`` given as a sympy expression in ``k`` (finite ``M`` or ``M = inf``).

    For ``M = inf`` the expression must be positive, eventually decreasing, and summable; the sums use
    an exact head plus an Euler-Maclaurin tail.

    Examples
    --------
    >>> import sympy as sp
    >>> from scalingsym.core.symbols import k
    >>> s = ExprSpectrum(k**-2 * sp.log(k + 1)**2, M=float("inf"))
    >>> 0 < float(s.d1(1e-3)) < float(s.d1(1e-4))
    True
    """

    #: exact head terms used before the Euler-Maclaurin tail
    HEAD = 2000

    def __init__(self, expr: sp.Expr | str, M: float = math.inf, source: str | None = None) -> None:
        if isinstance(expr, str):
            from .expressions import parse_expression

            source = source or expr
            expr = parse_expression(expr)
        if not isinstance(expr, sp.Basic):
            raise ParameterError(f"spectrum expression must be a string or a sympy expression; got {expr!r}")
        extra = expr.free_symbols - {S.k}
        if extra:
            raise ParameterError(
                f"spectrum expression may only use k; found {', '.join(sorted(map(str, extra)))}"
            )
        M = float(M)
        if math.isnan(M) or M <= 0 or (not math.isinf(M) and M != int(M)):
            raise ParameterError(f"M must be a positive integer or inf; got {M}")
        self.expr, self.M, self.source = expr, M, source or str(expr)
        self._np = sp.lambdify(S.k, expr, ["scipy", "numpy"])
        self._mp = sp.lambdify(S.k, expr, "mpmath")
        if self.finite:
            vals = self._all
            ArraySpectrum(vals)  # validates
        else:
            self._check_decay()

    def _check_decay(self) -> None:
        lim = sp.limit(self.expr, S.k, sp.oo)
        if lim != 0:
            raise ParameterError(
                f"spectrum {self.source!r} does not decay (limit {lim} as k -> oo); M = inf needs a summable spectrum"
            )
        conv = sp.Sum(self.expr, (S.k, 1, sp.oo)).is_convergent()
        if conv is not sp.true and conv is not True:
            raise ParameterError(
                f"spectrum {self.source!r} is not summable (sum over k diverges or is undecided); use a finite M"
            )
        head = self.eigenvalues(self.HEAD)
        if not np.all(np.isfinite(head)) or np.any(head < 0):
            raise ParameterError(f"spectrum {self.source!r} must be finite and >= 0 for k >= 1")

    @property
    def lam_expr(self) -> sp.Expr:
        return self.expr

    def describe(self) -> str:
        M = "inf" if math.isinf(self.M) else str(int(self.M))
        return f'custom(expr="{self.source}", M={M})'

    def eigenvalues(self, count: int | None = None) -> np.ndarray:
        count = self._list_size(count, 24.0)
        k = np.arange(1, count + 1, dtype=np.float64)
        try:
            with np.errstate(all="ignore"):
                out = np.asarray(self._np(k), dtype=np.float64) * np.ones_like(k)
        except (TypeError, ValueError, OverflowError, ZeroDivisionError, AttributeError) as exc:
            raise ParameterError(f"spectrum {self.source!r} cannot be evaluated at k = 1..{count}: {exc}") from None
        return out

    def eigenvalue_mp(self, k: int):
        try:
            v = self._mp(mpmath.mpf(k))
        except (TypeError, ValueError, OverflowError, ZeroDivisionError) as exc:
            raise ParameterError(f"spectrum {self.source!r} cannot be evaluated at k = {k}: {exc}") from None
        if isinstance(v, mpmath.mpc) or not mpmath.isfinite(v):
            raise ParameterError(f"spectrum {self.source!r} is not a finite real number at k = {k}")
        return mpmath.mpf(v)

    # ----- M = inf: head + Euler-Maclaurin ------------------------------------------------------
    def _f_np(self, k, rho, p, q, nu):
        lam = np.asarray(self._np(k), dtype=np.float64)
        w = k ** (-nu) if nu else 1.0
        return w * lam**p / ((lam + rho) ** q if q else 1.0)

    def tail_error_bound(self, rho: float, p: int = 1, q: int = 1) -> float:
        """Size of the first neglected Euler-Maclaurin term of the tail (absolute)."""
        (d7,) = _em_derivatives(self.expr, p, q, 0.0, (7,))
        return abs(float(sp.bernoulli(8) / sp.factorial(8)) * float(d7(float(self.HEAD), rho)))

    def _sums_np(self, rho: np.ndarray, p: int, q: int, task: Task) -> np.ndarray:
        if self.finite:
            return super()._sums_np(rho, p, q, task)
        from scipy import integrate

        if task.values is not None:
            raise ParameterError("an array task needs a finite spectrum")
        if np.any(rho == 0) and q > 0:
            raise ParameterError("rho must be > 0 for an infinite spectrum")
        K = self.HEAD
        k = np.arange(1, K, dtype=np.float64)
        lam = self.eigenvalues(K - 1)
        w = task.weights_np(k)
        head = self._direct_np(rho, lam, w, p, q)
        ders = _em_derivatives(self.expr, p, q, task.nu, (1, 3, 5))
        bern = [float(sp.bernoulli(2 * j) / sp.factorial(2 * j)) for j in (1, 2, 3)]
        out = np.empty_like(rho)
        for i, r in enumerate(rho):
            f = lambda x, r=r: float(self._f_np(np.float64(x), r, p, q, task.nu))  # noqa: E731

            def g(u: float, f=f) -> float:  # x = K e^u: the tail of a power law decays exponentially in u
                if u > 700.0:  # x > 1e304: the summand times x has long vanished
                    return 0.0
                x = K * math.exp(u)
                with np.errstate(over="ignore", under="ignore"):
                    return f(x) * x

            integral = 0.0
            for a, b in self._tail_pieces(r):
                part, _ = integrate.quad(g, a, b, limit=400, epsabs=1e-15 * abs(head[i]), epsrel=1e-12)
                integral += part
            em = f(K) / 2 - sum(b * float(d(float(K), r)) for b, d in zip(bern, ders))
            out[i] = head[i] + integral + em
        return out

    def _tail_pieces(self, rho: float) -> list[tuple[float, float]]:
        """Integration pieces in ``u = log(x / K)`` for the tail ``x >= K``, split where ``lambda(x)`` crosses
        ``rho`` (the knee of ``lambda / (lambda + rho)``), so that the quadrature sees each side of the knee."""
        u = np.arange(0.0, 700.0, 0.25)
        with np.errstate(all="ignore"):
            lam = np.asarray(self._np(self.HEAD * np.exp(u)), dtype=np.float64) * np.ones_like(u)
        below = np.nonzero(~(lam > rho))[0]
        knee = float(u[below[0]]) if below.size else 0.0
        cuts = sorted({0.0, max(knee - 2.0, 0.0), knee, knee + 2.0, knee + 10.0})
        return list(zip(cuts, cuts[1:])) + [(cuts[-1], np.inf)]

    def _sums_mp(self, rho, p: int, q: int, task: Task):
        if self.finite:
            return super()._sums_mp(rho, p, q, task)
        if task.values is not None:
            raise ParameterError("an array task needs a finite spectrum")
        if rho == 0 and q > 0:
            raise ParameterError("rho must be > 0 for an infinite spectrum")
        # the last few values: a root solve evaluates the same rho again (its check and the loss at the root);
        # a value computed at a precision at least the current one is reused, rounded to it
        cache = self.__dict__.setdefault("_mp_recent", {})
        key = (mpmath.mpf(rho), int(p), int(q), float(task.nu))
        hit = cache.get(key)
        if hit is not None and hit[0] >= mpmath.mp.prec:
            return +hit[1]
        val = self._sums_mp_quad(rho, p, q, task)
        if len(cache) >= 16:
            cache.pop(next(iter(cache)))
        cache[key] = (mpmath.mp.prec, val)
        return val

    def _sums_mp_quad(self, rho, p: int, q: int, task: Task):
        """Exact head, Euler-Maclaurin corrections at ``K`` and the tail integral by ``mpmath.quad``."""
        nu = mpmath.mpf(task.nu)

        def f(x):
            lam = self._mp(x)
            return (x ** (-nu) if nu else 1) * lam**p / ((lam + rho) ** q if q else 1)

        K = self.HEAD
        head = mpmath.fsum(f(mpmath.mpf(j)) for j in range(1, K))
        J = max(4, int(mpmath.mp.dps * 0.35) + 2)
        with mpmath.extradps(mpmath.mp.dps):
            derivs = mpmath.taylor(f, mpmath.mpf(K), 2 * J - 1)
        em = f(mpmath.mpf(K)) / 2 - mpmath.fsum(
            mpmath.bernoulli(2 * j) / mpmath.factorial(2 * j) * derivs[2 * j - 1] * mpmath.factorial(2 * j - 1)
            for j in range(1, J + 1)
        )
        pieces = self._tail_pieces(float(rho))
        cuts = [mpmath.mpf(a) for a, _ in pieces] + [mpmath.inf]

        def g(u):  # x = K e^u; beyond x ~ 1e304 the summand times x is below any working precision
            return f(K * mpmath.exp(u)) * K * mpmath.exp(u) if u <= 700 else mpmath.mpf(0)

        integral = mpmath.quad(g, cuts)
        return head + integral + em
