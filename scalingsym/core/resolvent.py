"""The self-consistent (resolvent) equation shared by every model, and its solvers.

In normalised form, for a regulariser ``s >= 0`` (a ridge ``s = gamma_bar / (N T)`` in statics, the
Laplace variable in gradient-flow dynamics):

.. math:: s = \\rho\\,\\Big(1-\\frac{d_1(\\rho)}{N}\\Big)\\Big(1-\\frac{d_1(\\rho)}{T}\\Big),

equivalently ``rho (N - d1)(T - d1) = gamma_bar`` (Zhang; ``static_rf_ridge.md`` B1a) and
``s = kappa (1 - df/N)(1 - df/P)`` (Bordelon et al.). ``N`` or ``T`` may be ``inf``. The physical root is
the unique one with ``d1(rho) < min(N, T)``; it satisfies ``rho >= s``.

Solvers: a vectorised safeguarded Newton iteration in ``log rho`` inside a guaranteed bracket (float64),
and the same at any precision with mpmath. Both check convergence and raise
:class:`~scalingsym.core.errors.ConvergenceError` when it fails.

Examples
--------
>>> from scalingsym.core.spectra import PowerLaw
>>> spec = PowerLaw(alpha=1, M=1000)
>>> rho = solve_rho(spec, 1e-6, 100, 400)
>>> d1 = float(spec.d1(rho))
>>> bool(abs(rho * (1 - d1 / 100) * (1 - d1 / 400) / 1e-6 - 1) < 1e-12)
True
"""

from __future__ import annotations

import math
import weakref
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from . import symbols as S
from .errors import ConvergenceError, ParameterError, check_size
from .spectra import Spectrum

#: relative tolerance on rho of the float64 solver
RTOL = 1e-14
MAXITER = 400
#: Newton steps on the spectrum's continuum model before the exact iteration of :func:`solve_rho` starts
_MODEL_STEPS = 4
#: residual (in log units) below which a Newton step that no longer lowers it ends the iteration
_STALL = 1e-9


def self_consistent_equation(normalised: bool = False) -> sp.Eq:
    """The self-consistent equation as a sympy ``Eq`` in the spectral sum symbol ``d_1``.

    ``normalised=False`` gives ``rho (N - d1)(T - d1) = gamma_bar``; ``True`` gives
    ``s = rho (1 - d1/N)(1 - d1/T)``.

    >>> self_consistent_equation()
    Eq(rho*(N - d_1)*(T - d_1), gammabar)
    """
    if normalised:
        return sp.Eq(S.s, S.rho * (1 - S.d1 / S.N) * (1 - S.d1 / S.T))
    return sp.Eq(S.rho * (S.N - S.d1) * (S.T - S.d1), S.gamma_bar)


def _positive_count(spec: Spectrum) -> float:
    return spec.positive_count()


def _rho_lower(spec: Spectrum, n: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """A rho with ``d1(rho) > n`` for each ``n`` below the number of positive modes.

    A stored finite list gives it in closed form (``d1 >= Mp - rho sum 1/lambda``). Otherwise the search
    steps down from ``hi`` by factors of ``10^4`` with the spectrum's own sums, so that nothing of size
    ``n`` or ``M`` is materialised (cost independent of both).
    """
    if spec.finite and getattr(spec, "_values", None) is not None:
        lam = spec.eigenvalues()
        lam = lam[lam > 0]
        return (lam.size - n) / (2.0 * float(np.sum(1.0 / lam)))
    lo = np.array(hi, dtype=np.float64)
    todo = np.ones(n.size, dtype=bool)
    for _ in range(80):
        lo[todo] *= 1e-4
        if np.any(lo[todo] < 1e-300):
            raise ConvergenceError(
                f"no bracket for d1(rho) = n below rho = 1e-300 for {spec.describe()} (n = {n[todo].max():g})"
            )
        todo[todo] = spec.sums(lo[todo], 1, 1) <= n[todo]
        if not np.any(todo):
            return lo
    raise ConvergenceError("no bracket for d1(rho) = n")  # pragma: no cover - 80 steps reach 1e-320


def ridgeless_rho(spec: Spectrum, n: Any) -> np.ndarray:
    """``rho_0`` with ``d1(rho_0) = n``, vectorised; ``0`` where ``n >=`` the number of positive modes.

    >>> from scalingsym.core.spectra import PowerLaw
    >>> spec = PowerLaw(alpha=1, M=1000)
    >>> r0 = ridgeless_rho(spec, 100.0)
    >>> round(float(spec.d1(r0)), 10)
    100.0
    """
    n_arr = np.atleast_1d(np.asarray(n, dtype=np.float64)).ravel()
    out = np.zeros_like(n_arr)
    Mp = _positive_count(spec)
    todo = n_arr < Mp
    if np.any(todo):
        nn, inv = np.unique(n_arr[todo], return_inverse=True)  # one solve per distinct n
        tr = spec.trace()
        hi_r = 2.0 * tr / nn
        lo = np.log(_rho_lower(spec, nn, hi_r))
        hi = np.log(hi_r)

        def G(x, i):
            d1, e1 = spec.d1_e1(np.exp(x))  # e1 = d1 - d2
            return np.log(d1 / nn[i]), -e1 / d1

        out[todo] = np.exp(_newton_bracketed(G, lo, hi, increasing=False, what="d1(rho) = n"))[inv.ravel()]
    return out.reshape(np.shape(n)) if np.ndim(n) else out[0]


def _newton_bracketed(F, lo: np.ndarray, hi: np.ndarray, *, increasing: bool, what: str,
                      x0: np.ndarray | None = None, first: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Vectorised safeguarded Newton for monotone ``F(x, idx) -> (value, derivative)`` on ``[lo, hi]``.

    ``idx`` are the positions (in the full vector) of the points still iterating; only those are
    carried from one iteration to the next. A point has converged when the Newton step or the bracket
    is below ``RTOL``, or when a Newton step from a residual already below ``_STALL`` no longer lowers
    it (the round-off floor of ``F``; the point with the smaller residual is returned).

    The iteration starts at ``x0`` (inside ``(lo, hi)``; default the midpoint); ``first`` is ``F`` at ``x0``
    when the caller has it already.
    """
    lo, hi = lo.astype(np.float64).copy(), hi.astype(np.float64).copy()
    x = 0.5 * (lo + hi) if x0 is None else np.asarray(x0, dtype=np.float64).copy()
    sign = 1.0 if increasing else -1.0
    idx = np.arange(x.size)
    xa, la, ha = x.copy(), lo, hi
    fprev = np.full(x.size, np.inf)
    xprev = xa.copy()
    newton = np.zeros(x.size, dtype=bool)
    for it in range(MAXITER):
        if idx.size == 0:
            return x
        f, df = F(xa, idx) if (it or first is None) else first
        f = sign * f
        df = sign * df
        la = np.where(f < 0, xa, la)
        ha = np.where(f > 0, xa, ha)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            # F is a log-ratio log(A/B). Two Newton steps: on F itself (exact where F is linear in x)
            # and on A/B - 1 (exact along a log singularity of F); the first is tried above the root,
            # the second below it, and the other one when the first leaves the bracket. Close above the
            # root where the singularity dominates the slope (df > 2 with F's own slope near 1), the
            # second one is tried first too: a step on F there would overshoot past the singularity.
            ok = np.isfinite(f) & (df > 0)
            s_log = np.where(ok, -f / df, np.nan)
            s_ratio = np.where(ok, np.expm1(-f) / df, np.nan)
            ratio_first = (f < 0) | ((df > 2.0) & (f < 2.0))
            s1, s2 = np.where(ratio_first, s_ratio, s_log), np.where(ratio_first, s_log, s_ratio)
        x1, x2 = xa + s1, xa + s2
        bad1 = ~np.isfinite(x1) | (x1 <= la) | (x1 >= ha)
        bad2 = ~np.isfinite(x2) | (x2 <= la) | (x2 >= ha)
        step = np.where(bad1, s2, s1)
        xn = np.where(bad1, x2, x1)
        bad = bad1 & bad2
        xn = np.where(bad, 0.5 * (la + ha), xn)
        af = np.abs(f)
        stalled = newton & (af >= fprev) & (fprev <= _STALL)
        # a Newton step below RTOL ends the iteration even when round-off puts it on the bracket edge
        tiny = np.abs(step) <= RTOL
        xn = np.where(tiny, xa + step, xn)
        conv = tiny | (np.abs(xn - xa) <= RTOL) | (ha - la <= RTOL) | (f == 0) | stalled
        x[idx] = np.where(stalled, xprev, xn)
        keep = ~conv
        idx, xprev, fprev, newton = idx[keep], xa[keep], af[keep], ~bad[keep]
        xa, la, ha = xn[keep], la[keep], ha[keep]
    raise ConvergenceError(
        f"root solve of {what} did not converge in {MAXITER} iterations for {idx.size} point(s)"
    )


def solve_rho(spec: Spectrum, s: Any, N: Any, T: Any) -> np.ndarray:
    """Solve ``s = rho (1 - d1/N)(1 - d1/T)`` on the physical branch, vectorised (float64).

    Parameters
    ----------
    spec : Spectrum
    s : array_like
        Regulariser ``>= 0`` (for the static ridge, ``gamma_bar / (N T)``).
    N, T : array_like
        Sizes ``> 0``; ``inf`` allowed.

    Returns
    -------
    numpy.ndarray
        ``rho`` (``0`` where ``s = 0`` and ``min(N, T)`` reaches the number of positive modes).
    """
    _check_sizes(N, T)
    if not _is_valid_float_array(s, 0.0, False):
        check_regulariser(s)
    s_a, N_a, T_a = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (s, N, T)))
    shape = s_a.shape
    s_a, N_a, T_a = s_a.ravel(), N_a.ravel(), T_a.ravel()
    n = np.minimum(N_a, T_a)
    out = np.empty_like(s_a)
    both_inf = np.isinf(n)
    out[both_inf] = s_a[both_inf]
    fin = ~both_inf
    zero = (s_a == 0) & fin
    if np.any(zero):
        out[zero] = ridgeless_rho(spec, n[zero])
    todo = (s_a > 0) & fin
    if np.any(todo):
        s_t, N_t, T_t, nn = s_a[todo], N_a[todo], T_a[todo], n[todo]
        tr = spec.trace()
        hi = np.log(np.maximum(4.0 * s_t, 2.0 * tr / nn) * 1.0001)

        def F(x, i):
            d1, e1 = spec.d1_e1(np.exp(x))
            NN, TT, ss = N_t[i], T_t[i], s_t[i]
            with np.errstate(divide="ignore", invalid="ignore"):
                aN = np.where(np.isinf(NN), 1.0, 1.0 - d1 / NN)
                aT = np.where(np.isinf(TT), 1.0, 1.0 - d1 / TT)
                below = (aN <= 0) | (aT <= 0)
                f = np.where(below, -np.inf, x + np.log(np.where(below, 1.0, aN * aT)) - np.log(ss))
                df = 1.0 + np.where(np.isinf(NN), 0.0, e1 / (NN - d1)) + np.where(np.isinf(TT), 0.0, e1 / (TT - d1))
            return f, np.where(below, np.inf, df)

        start = _ridge_start(spec, F, s_t, N_t, T_t, nn, hi)
        if start is None:  # the ridgeless root is the lower end of the bracket
            lo, x0, first = np.log(np.maximum(ridgeless_rho(spec, nn), s_t)), None, None
        else:
            lo, x0, first = start
        out[todo] = np.exp(_newton_bracketed(F, lo, hi, increasing=True, what="the self-consistent equation",
                                             x0=x0, first=first))
    return out.reshape(shape) if shape else out[0]


def _is_valid_float_array(v: Any, low: float, allow_inf: bool) -> bool:
    """True for a float64 number or array that is ``> low`` (sizes; ``>= low`` for a regulariser), not NaN, finite
    unless allowed: the arguments the validators would accept, recognised without their cost."""
    if isinstance(v, float):
        return (v > low if allow_inf else v >= low) and (allow_inf or math.isfinite(v))
    if not isinstance(v, np.ndarray) or v.dtype != np.float64 or v.size == 0:
        return False
    with np.errstate(invalid="ignore"):
        if allow_inf:  # a size: > 0, inf allowed (NaN fails the comparison)
            return bool(np.all(v > low))
        return bool(np.all(v >= low)) and bool(np.all(np.isfinite(v)))


def _check_sizes(N: Any, T: Any) -> None:
    """:func:`~scalingsym.core.errors.check_size` of ``N`` and ``T`` (inf allowed), skipped for valid float64 input."""
    for name, v in (("N", N), ("T", T)):
        if not _is_valid_float_array(v, 0.0, True):
            check_size(name, v, allow_inf=True)


def _ridge_start(spec: Spectrum, F, s: np.ndarray, N: np.ndarray, T: np.ndarray, n: np.ndarray, hi: np.ndarray):
    """A start and a verified lower bracket for :func:`solve_rho` from the spectrum's continuum model, or None.

    The model (``spec._d1_e1_model``) gives an approximate ridgeless root ``r0`` and an approximate root. The lower
    bracket ``log max(s, r0 / 2)`` is checked with the exact sums in the same evaluation as the start (``F < 0``
    there, or below the singularity ``d1 >= min(N, T)``); a point where the check fails gets the exact ridgeless
    root instead. Returns ``(lo, x0, F(x0))``.
    """
    model = getattr(spec, "_d1_e1_model", None)
    if model is None:
        return None
    ls = np.log(s)
    with np.errstate(all="ignore"):
        beta = getattr(spec, "beta", None)
        c = getattr(spec, "lambda_plus", None)
        if beta is None or c is None or beta <= 1.0:
            return None
        a = 1.0 / beta
        A = math.pi * a / math.sin(math.pi * a)
        r0 = c * (A / (n + 0.5)) ** beta  # continuum d1(r0) = n
        fin_r0 = n < spec.positive_count()
        for _ in range(2):  # d1 ~ rho^(-1/beta): rescale to the model's own d1(r0) = n (finite M lowers r0)
            got = model(np.where(fin_r0, r0, 1.0))
            if got is None:
                return None
            r0 = r0 * np.clip(got[0] / n, 0.5, 2.0) ** beta
        r0 = np.where(fin_r0, r0, 0.0)
        m = np.maximum(N, T)
        got = model(np.concatenate([r0 + (r0 == 0), s]))
        if got is None:
            return None
        d1m, e1m = got
        k = n.size
        # just above r0: rho (1 - d1/N)(1 - d1/T) = s to first order in rho - r0 (second order at N = T)
        e0 = e1m[:k]
        gap = np.where(np.isinf(m), 1.0, 1.0 - n / m)
        near = np.where(gap > 1e-3, r0 + s * n / (e0 * gap), r0 + np.sqrt(s * r0) * n / e0)
        # far above r0: one fixed-point step from rho = s
        d1s = d1m[k:]
        aN = np.where(np.isinf(N), 1.0, 1.0 - d1s / N)
        aT = np.where(np.isinf(T), 1.0, 1.0 - d1s / T)
        far = np.where((aN > 0.1) & (aT > 0.1), s / (aN * aT), 0.0)
        x0 = np.log(np.maximum(np.maximum(near, far), s))
        xl = np.log(0.5 * r0)
        mlo, mhi = np.maximum(ls, xl), hi.copy()
        iN = np.where(np.isinf(N), 0.0, 1.0 / N)
        iT = np.where(np.isinf(T), 0.0, 1.0 / T)
        for _ in range(_MODEL_STEPS):  # bracketed Newton on the model equation (elementwise): its root is the start
            got = model(np.exp(x0))
            if got is None:
                return None
            d1m, e1m = got
            aN, aT = 1.0 - d1m * iN, 1.0 - d1m * iT
            below = (aN <= 0) | (aT <= 0)
            P = np.exp(x0 - ls) * aN * aT  # rho aN aT / s; the root is P = 1
            dP = np.exp(x0 - ls) * (aN * aT + (aN * iT + aT * iN) * e1m)  # dP / dx
            f = np.log(np.where(below, 1.0, P))
            # the step on log P where it is nearly linear (far above the root), else on P - 1 (smooth through the
            # singularity d1 = min(N, T), so also from below it)
            step = np.where(~below & (f > 1.0), -f * P / dP, (1.0 - P) / dP)
            mlo = np.where(below | (f < 0), x0, mlo)
            mhi = np.where(~below & (f > 0), x0, mhi)
            xn = x0 + step
            outside = ~(xn > mlo) | ~(xn < mhi)
            done = np.abs(step) <= 1e-13 * (1.0 + np.abs(x0))  # at the model root already
            x0 = np.where(done, x0, np.where(outside, mlo + np.minimum(0.5 * (mhi - mlo), 0.5), xn))
    if not (np.all(np.isfinite(x0))):
        return None
    lo = ls.copy()
    x0 = np.minimum(np.maximum(x0, ls + 1e-12 * np.maximum(1.0, np.abs(ls))), hi - 1e-9)
    need = np.flatnonzero(xl > ls)
    xs = np.concatenate([x0, xl[need]])
    ii = np.concatenate([np.arange(k), need])
    f, df = F(xs, ii)
    ok = f[k:] < 0  # below the root (or below the singularity, f = -inf)
    lo[need[ok]] = xl[need[ok]]
    bad = need[~ok]
    if bad.size:  # the model was far off here: the exact ridgeless root
        lo[bad] = np.log(np.maximum(ridgeless_rho(spec, n[bad]), s[bad]))
    # the start must lie inside (lo, hi); where it does not, restart from the midpoint (evaluated there)
    out = (x0 <= lo) | (x0 >= hi)
    if np.any(out):
        return lo, np.where(out, 0.5 * (lo + hi), x0), None
    return lo, x0, (f[:k], df[:k])


# ---------------------------------------------------------------- mpmath --------------------------
def _newton_bracketed_mp(F, lo, hi, *, increasing: bool, what: str):
    sign = 1 if increasing else -1
    x = (lo + hi) / 2
    tol = mpmath.eps * 16
    for _ in range(MAXITER + mpmath.mp.dps * 4):
        f, df = F(x)
        f, df = sign * f, sign * df
        if f < 0:
            lo = x
        elif f > 0:
            hi = x
        else:
            return x
        xn = x - f / df if (mpmath.isfinite(f) and df > 0) else None
        if xn is None or not (lo < xn < hi):
            xn = (lo + hi) / 2
        if abs(xn - x) <= tol * max(1, abs(x)) or hi - lo <= tol * max(1, abs(x)):
            return xn
        x = xn
    raise ConvergenceError(f"mpmath root solve of {what} did not converge")


#: guard digits of the final mpmath Newton evaluations over the working precision
_MP_GUARD = 10


def _newton_polish_mp(F, x0: float | None, *, increasing: bool):
    """Newton in ``x = log rho`` from a float64 root ``x0`` of a monotone ``F``; the root ``rho``, or None.

    ``F(rho)`` returns ``(F, dF/dx)``. Each step squares the relative error, so every evaluation is made
    at about twice the digits the current point already has (plus guard digits), up to the working
    precision plus :data:`_MP_GUARD`. Every iterate is rounded to the working precision before it is
    evaluated, and the iteration ends only at an evaluated point whose Newton correction, computed
    with the guard digits, is at most ``10^-dps`` relative: that point is returned (so the spectral sums
    at it, which the caller needs next, have just been computed). Because ``F`` is monotone on the
    physical branch and every evaluated point was on it, the root found is the physical one. None
    when the iteration does not settle in 12 evaluations (the caller then brackets).
    """
    if x0 is None or not math.isfinite(x0):
        return None
    sign = 1 if increasing else -1
    dps = mpmath.mp.dps
    full = dps + _MP_GUARD
    tol = mpmath.mpf(10) ** (-dps)
    r = mpmath.exp(mpmath.mpf(x0))
    digits = 13.0  # the float64 seed
    prev = None
    for _ in range(12):
        # intermediate precisions on a lattice of 8 digits (their rho-independent parts are kept per precision)
        work = full if digits >= dps else min(full, 8 * math.ceil((2 * digits + 8) / 8))
        with mpmath.workdps(work):
            f, df = F(r)
            f, df = sign * f, sign * df
            if not (mpmath.isfinite(f) and mpmath.isfinite(df) and df > 0):
                return None
            step = -f / df
            if work == full and abs(step) <= tol:
                return r
            x = mpmath.log(r)
            if prev is not None and abs(step) < 1e-6 and x != prev[0]:
                # second-order correction with F'' from the last two derivatives: the next point then
                # usually passes the check at once (it is still evaluated and checked)
                curv = (df - prev[1]) / (x - prev[0])
                step -= curv * step**2 / (2 * df)
            prev = (x, df)
            x = x + step
        r = +mpmath.exp(x)  # rounded to the working precision: the next point is representable
        # quadratic convergence: the new point has about twice the digits of the step, as far as the
        # evaluation's own digits go
        d_step = float(-mpmath.log10(abs(step))) if step else 2.0 * full
        digits = max(1.0, min(2.0 * d_step - 2.0, work - 4.0))
    return None


def _scalar_newton(G, lo: float, hi: float, x: float, *, increasing: bool) -> float | None:
    """Safeguarded scalar Newton (float64) for a monotone ``G(x) -> (value, derivative)`` on ``(lo, hi)``.

    ``value`` is a log-ratio ``log(A/B)`` that may be ``-inf`` (below a singularity): as in
    :func:`_newton_bracketed`, both the step on ``G`` and the step on ``A/B - 1`` are tried, with a
    bisection when both leave the bracket. Returns None unless a step below ``1e-13`` is reached.
    """
    sgn = 1.0 if increasing else -1.0
    for _ in range(200):
        f, df = G(x)
        f, df = sgn * f, sgn * df
        if f == 0:
            return x
        if f < 0:
            lo = x
        else:
            hi = x
        cand = []
        if math.isfinite(f) and math.isfinite(df) and df > 0:
            s_log, s_ratio = -f / df, math.expm1(-f) / df if f > -700 else math.inf
            cand = [s_ratio, s_log] if f < 0 else [s_log, s_ratio]
        for st in cand:
            xn = x + st
            if math.isfinite(xn) and lo < xn < hi:
                if abs(st) <= 1e-13:
                    return xn
                break
        else:
            xn = 0.5 * (lo + hi)
            if hi - lo <= 1e-13:
                return xn
        x = xn
    return None


_SEED_SPECTRA: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _seed_spectrum(spec: Spectrum) -> Spectrum:
    """The spectrum used for float64 seeds of the mpmath solvers: an interpolated copy, kept per spectrum.

    The seed only has to be close; the mpmath Newton iteration and its checks make the result exact.
    """
    from .fastsums import InterpolatedSpectrum

    if isinstance(spec, InterpolatedSpectrum):
        return spec
    try:
        fast = _SEED_SPECTRA.get(spec)
        if fast is None:
            fast = _SEED_SPECTRA[spec] = InterpolatedSpectrum(spec, rtol=1e-6)
    except TypeError:  # pragma: no cover - a spectrum without weak references
        return spec
    return fast


_SEED_TRACE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _seed_trace(spec: Spectrum) -> float:
    """``float(spec.trace())``, kept per spectrum (the float64 seeds' brackets need it at every call)."""
    try:
        tr = _SEED_TRACE.get(spec)
        if tr is None:
            tr = _SEED_TRACE[spec] = float(spec.trace())
    except TypeError:  # pragma: no cover - a spectrum without weak references
        return float(spec.trace())
    return tr


def _float_seed(fn, *args) -> float | None:
    """``log`` of a float64 solve, or None where float64 cannot give one."""
    try:
        with np.errstate(all="ignore"):
            r = float(fn(*(float(a) for a in args)))
    except (ParameterError, ConvergenceError, OverflowError, ValueError, ZeroDivisionError):
        return None
    return math.log(r) if r > 0 and math.isfinite(r) else None


def _clenshaw(c: list, t: float) -> float:
    b1 = b2 = 0.0
    t2 = 2.0 * t
    for k in range(len(c) - 1, 0, -1):
        b1, b2 = c[k] + t2 * b1 - b2, b1
    return c[0] + t * b1 - b2


def _fast_log_sums(fast: Spectrum, r: float) -> tuple[float, float]:
    """``(log d1, log e1)`` at one ``rho`` in float64 from the seed spectrum.

    For an interpolated spectrum the Chebyshev panel is evaluated in plain Python (what
    ``InterpolatedSpectrum.log_sums`` does for arrays, without its per-call array overhead).
    """
    if hasattr(fast, "log_sums"):
        x = math.log(r)
        try:
            fast._ensure(x, x)
            C1, C2, i0, h = fast._C1, fast._C2, fast._i0, fast.h
        except AttributeError:  # pragma: no cover - another interpolated representation
            l1, l2 = fast.log_sums(np.array([r]))
            return float(l1[0]), float(l2[0])
        u = x / h
        cell = math.floor(u)
        col = min(max(cell - i0, 0), C1.shape[1] - 1)
        t = 2.0 * (u - cell) - 1.0
        return _clenshaw(C1[:, col].tolist(), t), _clenshaw(C2[:, col].tolist(), t)
    d1 = float(fast.sums(np.array([r]), 1, 1)[0])
    e1 = r * float(fast.sums(np.array([r]), 1, 2)[0])
    return math.log(d1), math.log(e1)


def _seed_ridgeless(spec: Spectrum, n: float) -> float | None:
    """``log rho_0`` with ``d1(rho_0) = n`` in float64 (a scalar Newton on the seed spectrum), or None."""
    fast = _seed_spectrum(spec)
    try:
        with np.errstate(all="ignore"):
            hi = math.log(2.0 * _seed_trace(spec) / n)

            def G(x):
                l1, l2 = _fast_log_sums(fast, math.exp(x))
                return l1 - math.log(n), -math.exp(l2 - l1)

            lo = hi
            for _ in range(400):  # d1 > n below the root: step down by factors of 10 (panels stay near the root)
                lo -= math.log(10.0)
                if G(lo)[0] > 0 or lo < -690:
                    break
            x = _scalar_newton(G, lo, hi, lo + 0.5 * math.log(10.0), increasing=False)
    except (ParameterError, ConvergenceError, OverflowError, ValueError, ZeroDivisionError):
        x = None
    return x if x is not None else _float_seed(lambda v: ridgeless_rho(_seed_spectrum(spec), v), n)


def _seed_ridge(spec: Spectrum, s: float, N: float, T: float) -> float | None:
    """``log rho`` of the float64 solve of the self-consistent equation (scalar Newton on the seed spectrum)."""
    fast = _seed_spectrum(spec)
    n = min(N, T)
    try:
        with np.errstate(all="ignore"):
            ls = math.log(s)

            def F(x):
                l1, l2 = _fast_log_sums(fast, math.exp(x))
                d1, e1 = math.exp(l1), math.exp(l2)
                aN = 1.0 - d1 / N if math.isfinite(N) else 1.0
                aT = 1.0 - d1 / T if math.isfinite(T) else 1.0
                if aN <= 0 or aT <= 0:
                    return -math.inf, math.inf
                df = 1.0 + (e1 / (N - d1) if math.isfinite(N) else 0.0) + (e1 / (T - d1) if math.isfinite(T) else 0.0)
                return x + math.log(aN * aT) - ls, df

            hi = math.log(max(4.0 * s, 2.0 * _seed_trace(spec) / n) * 1.0001)
            # the root is above both s and the ridgeless root (d1 < n there)
            x0 = _seed_ridgeless(spec, n) if n < _positive_count(spec) else None
            lo = max(ls, x0) if x0 is not None else ls
            x = _scalar_newton(F, lo, hi, hi, increasing=True)
    except (ParameterError, ConvergenceError, OverflowError, ValueError, ZeroDivisionError):
        x = None
    return x if x is not None else _float_seed(lambda *a: solve_rho(_seed_spectrum(spec), *a), s, N, T)


def ridgeless_rho_mp(spec: Spectrum, n: Any):
    """:func:`ridgeless_rho` at the working mpmath precision (scalar).

    Seeded with the float64 root, then Newton with a verified last step (:func:`_newton_polish_mp`);
    falls back to the bracketed solve.
    """
    n = mpmath.mpf(n)
    if n >= _positive_count(spec):
        return mpmath.mpf(0)

    def G0(r):
        d1 = spec.sums_mp(r, 1, 1)
        e1 = r * spec.sums_mp(r, 1, 2)
        return mpmath.log(d1 / n), -e1 / d1

    r = _newton_polish_mp(G0, _seed_ridgeless(spec, float(n)), increasing=False)
    if r is not None:
        return r
    hi = mpmath.log(2 * spec.trace_mp() / n)
    lo = hi
    for _ in range(400):  # steps of 10^-4 with the mpmath sums: nothing of size n or M is materialised
        lo -= mpmath.log(10**4)
        if spec.sums_mp(mpmath.exp(lo), 1, 1) > n:
            break
    else:
        raise ConvergenceError(f"no bracket for d1(rho) = n = {mpmath.nstr(n, 6)} for {spec.describe()}")
    return mpmath.exp(_newton_bracketed_mp(lambda x: G0(mpmath.exp(x)), lo, hi, increasing=False, what="d1(rho) = n"))


def solve_rho_mp(spec: Spectrum, s: Any, N: Any, T: Any):
    """:func:`solve_rho` for one point at the working mpmath precision.

    Seeded with the float64 root, then Newton with a verified last step (:func:`_newton_polish_mp`);
    falls back to the bracketed solve.
    """
    s, N, T = (mpmath.mpf(v) for v in (s, N, T))
    n = min(N, T)
    if mpmath.isinf(n):
        return s
    if s == 0:
        return ridgeless_rho_mp(spec, n)

    def F(r):
        """log of the left side of (B1a) minus log s, and its derivative in x = log rho."""
        d1 = spec.sums_mp(r, 1, 1)
        e1 = r * spec.sums_mp(r, 1, 2)
        aN = 1 - d1 / N if mpmath.isfinite(N) else mpmath.mpf(1)
        aT = 1 - d1 / T if mpmath.isfinite(T) else mpmath.mpf(1)
        if aN <= 0 or aT <= 0:
            return -mpmath.inf, mpmath.inf
        df = 1 + (e1 / (N - d1) if mpmath.isfinite(N) else 0) + (e1 / (T - d1) if mpmath.isfinite(T) else 0)
        return mpmath.log(r) + mpmath.log(aN * aT) - mpmath.log(s), df

    seed = None
    if float(s) > 0:
        seed = _seed_ridge(spec, float(s), float(N), float(T))
    r = _newton_polish_mp(F, seed, increasing=True)
    if r is not None:
        return r
    r0 = ridgeless_rho_mp(spec, n)
    lo = mpmath.log(max(r0, s))
    hi = mpmath.log(max(4 * s, 2 * spec.trace_mp() / n) * mpmath.mpf("1.0001"))
    return mpmath.exp(_newton_bracketed_mp(lambda x: F(mpmath.exp(x)), lo, hi, increasing=True,
                                           what="the self-consistent equation"))


def check_regulariser(s: Any) -> None:
    """Raise unless ``s`` is finite and ``>= 0``."""
    arr = np.asarray(s, dtype=np.float64)
    if np.any(~np.isfinite(arr)) or np.any(arr < 0):
        raise ParameterError(f"the regulariser s must be finite and >= 0; got {s}")


# ---------------------------------------------------------------- complex s (dynamics) -----------
def _complex_residual(spec: Spectrum, r: np.ndarray, s: np.ndarray, iN: np.ndarray, iT: np.ndarray):
    """``G = rho aN aT / s - 1`` and ``dG/drho`` at complex ``rho`` (``aX = 1 - d1/X``)."""
    d1 = spec.sums_complex(r, 1, 1)
    dd = -spec.sums_complex(r, 1, 2)  # d d1 / d rho
    aN, aT = 1.0 - d1 * iN, 1.0 - d1 * iT
    G = r * aN * aT / s - 1.0
    dG = (aN * aT - r * dd * (iN * aT + iT * aN)) / s
    return G, dG


def _complex_roundoff(spec: Spectrum, r: np.ndarray, s: np.ndarray, iN: np.ndarray, iT: np.ndarray) -> np.ndarray:
    """Size of ``G``'s round-off relative to ``eps``: ``1 + |rho d1| (|aT|/N + |aN|/T) / |s|`` (the
    cancellation in ``1 - d1/N`` when ``rho >> |s|``)."""
    d1 = spec.sums_complex(r, 1, 1)
    aN, aT = 1.0 - d1 * iN, 1.0 - d1 * iT
    return 1.0 + np.abs(r * d1) * (iN * np.abs(aT) + iT * np.abs(aN)) / np.abs(s)


def _newton_complex(spec, r, s, iN, iT, maxiter: int = 60):
    """Damped complex Newton from ``r``; returns the roots and a converged mask."""
    r = r.astype(np.complex128).copy()
    G, dG = _complex_residual(spec, r, s, iN, iT)
    done = np.zeros(r.size, dtype=bool)
    for _ in range(maxiter):
        act = np.flatnonzero(~done)
        if act.size == 0:
            break
        step = -G[act] / dG[act]
        lam = np.ones(act.size)
        ra = r[act]
        for _half in range(30):
            rn = ra + lam * step
            Gn, dGn = _complex_residual(spec, rn, s[act], iN[act], iT[act])
            worse = ~(np.abs(Gn) < np.abs(G[act])) & (np.abs(lam * step) > 1e-15 * np.abs(ra))
            if not np.any(worse):
                break
            lam = np.where(worse, lam / 2, lam)
        small = np.abs(lam * step) <= 1e-14 * np.abs(rn)
        r[act], G[act], dG[act] = rn, Gn, dGn
        done[act] = small | (np.abs(Gn) <= 4e-16)
    ok = done & (np.abs(G) <= 1e-11 * _complex_roundoff(spec, r, s, iN, iT))
    return r, ok, dG


def solve_rho_complex(spec: Spectrum, s: Any, N: Any, T: Any) -> np.ndarray:
    """Solve ``s = rho (1 - d1/N)(1 - d1/T)`` at complex ``s`` by continuation along paths (complex128).

    The physical branch is followed from a real positive start: ``s`` has shape ``(..., J)`` and each
    row ``s[..., 0], s[..., 1], ...`` is a path whose first point is real and ``> 0`` (solved by
    :func:`solve_rho`); each next point is reached by a Newton predictor from the previous root and
    damped complex Newton, with the step subdivided (up to ``2^12`` parts) where Newton does not
    converge. A :class:`~scalingsym.core.errors.ConvergenceError` is raised if a point is not solved to a
    relative residual of ``1e-11`` (times the round-off scale of the residual, which grows like
    ``rho / |s|`` where ``1 - d1/N`` cancels). Paths must avoid the cut of ``rho(s)`` on the negative real axis
    (a fixed-Talbot contour does). This is the same equation as :func:`solve_rho` (static ridge:
    ``s = gamma_bar/(N T)``; gradient flow: ``s`` = Laplace variable, ``T = P``).

    Examples
    --------
    >>> import numpy as np
    >>> from scalingsym.core.spectra import PowerLaw
    >>> spec = PowerLaw(alpha=1, M=1000)
    >>> path = np.array([[1e-2, 1e-2 + 5e-3j, 1e-3 + 1e-2j, -1e-2 + 1e-2j]])
    >>> rho = solve_rho_complex(spec, path, 100, 400)
    >>> d1 = spec.sums_complex(rho, 1, 1)
    >>> bool(np.max(np.abs(rho * (1 - d1 / 100) * (1 - d1 / 400) / path - 1)) < 1e-11)
    True
    """
    s_a = np.asarray(s, dtype=np.complex128)
    if s_a.ndim == 0:
        s_a = s_a.reshape(1, 1)
    shape = s_a.shape
    paths = s_a.reshape(-1, shape[-1])
    N_a, T_a = (np.broadcast_to(np.asarray(v, dtype=np.float64), shape[:-1]).ravel() for v in (N, T))
    if np.any(~np.isfinite(paths)):
        raise ParameterError("the Laplace variable s must be finite")
    if np.any(N_a <= 0) or np.any(T_a <= 0) or np.any(np.isnan(N_a)) or np.any(np.isnan(T_a)):
        raise ParameterError("N and T must be > 0 (inf allowed)")
    s0 = paths[:, 0]
    if np.any(s0.imag != 0) or np.any(s0.real <= 0):
        raise ParameterError("each continuation path must start at a real s > 0")
    iN = np.where(np.isinf(N_a), 0.0, 1.0 / N_a)
    iT = np.where(np.isinf(T_a), 0.0, 1.0 / T_a)
    out = np.empty(paths.shape, dtype=np.complex128)
    out[:, 0] = solve_rho(spec, s0.real, N_a, T_a)
    _, dG = _complex_residual(spec, out[:, 0], s0, iN, iT)
    for j in range(1, paths.shape[1]):
        r_prev, s_prev, s_next = out[:, j - 1], paths[:, j - 1], paths[:, j]
        # predictor: d rho / d s = 1 / (s dG/drho) with G normalised by s
        r, ok, dGn = _newton_complex(spec, r_prev + (s_next - s_prev) / (dG * s_prev), s_next, iN, iT)
        bad = np.flatnonzero(~ok)
        if bad.size:
            r[bad], dGn[bad] = _subdivide(spec, r_prev[bad], s_prev[bad], s_next[bad], iN[bad], iT[bad])
        out[:, j], dG = r, dGn
    return out.reshape(shape)


def _subdivide(spec, r, s_from, s_to, iN, iT):
    """Continuation from ``s_from`` to ``s_to`` in ``2^m`` equal steps, ``m = 1..12``."""
    for m in range(1, 13):
        n = 2**m
        rr, ok_all = r.copy(), np.ones(r.size, dtype=bool)
        dG = None
        for i in range(1, n + 1):
            si = s_from + (s_to - s_from) * (i / n)
            rr, ok, dG = _newton_complex(spec, rr, si, iN, iT)
            ok_all &= ok
        if np.all(ok_all):
            return rr, dG
    raise ConvergenceError(f"complex continuation of the self-consistent equation failed at s = {s_to[0]}")
