"""The self-consistent (resolvent) equation shared by every model, and its solvers.

In normalised form, for a regulariser ``s >= 0`` (a ridge ``s = gamma_bar / (N T)`` in statics, the
Laplace variable in gradient-flow dynamics):

.. math:: s = \\rho\\,\\Big(1-\\frac{d_1(\\rho)}{N}\\Big)\\Big(1-\\frac{d_1(\\rho)}{T}\\Big),

equivalently ``rho (N - d1)(T - d1) = gamma_bar`` (Zhang; ``static_rf_ridge.md`` B1a) and
``s = kappa (1 - df/N)(1 - df/P)`` (Bordelon et al.). ``N`` or ``T`` may be ``inf``. The physical root is
the unique one with ``d1(rho) < min(N, T)``; it satisfies ``rho >= s``.

Solvers: a vectorised safeguarded Newton iteration in ``log rho`` inside a guaranteed bracket (float64),
and the same at any precision with mpmath. Both check convergence and raise
:class:`~scalingsym.errors.ConvergenceError` when it fails.

Examples
--------
>>> from scalingsym.spectra import PowerLaw
>>> spec = PowerLaw(alpha=1, M=1000)
>>> rho = solve_rho(spec, 1e-6, 100, 400)
>>> d1 = float(spec.d1(rho))
>>> bool(abs(rho * (1 - d1 / 100) * (1 - d1 / 400) / 1e-6 - 1) < 1e-12)
True
"""

from __future__ import annotations

import math
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from . import symbols as S
from .errors import ConvergenceError, ParameterError
from .spectra import Spectrum

#: relative tolerance on rho of the float64 solver
RTOL = 1e-14
MAXITER = 400


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
    if not spec.finite:
        return math.inf
    return float(np.count_nonzero(spec.eigenvalues() > 0))


def _rho_lower(spec: Spectrum, n: np.ndarray) -> np.ndarray:
    """A rho with ``d1(rho) > n`` for each ``n`` below the number of positive modes."""
    if spec.finite:
        lam = spec.eigenvalues()
        lam = lam[lam > 0]
        inv = float(np.sum(1.0 / lam))
        # d1 >= Mp - rho * sum(1/lam)
        return (lam.size - n) / (2.0 * inv)
    # d1(rho) >= #{lambda_k >= rho} / 2 ; take the (2n+2)-th largest of the first 2n+2 eigenvalues
    kmax = int(np.max(2 * np.ceil(n) + 2))
    lam = np.sort(spec.eigenvalues(kmax))[::-1]
    idx = (2 * np.ceil(n) + 2).astype(np.int64) - 1
    return lam[idx] * 0.999


def ridgeless_rho(spec: Spectrum, n: Any) -> np.ndarray:
    """``rho_0`` with ``d1(rho_0) = n``, vectorised; ``0`` where ``n >=`` the number of positive modes.

    >>> from scalingsym.spectra import PowerLaw
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
        nn = n_arr[todo]
        tr = spec.trace()
        lo = np.log(_rho_lower(spec, nn))
        hi = np.log(2.0 * tr / nn)

        def G(x, i):
            r = np.exp(x)
            d1 = spec.sums(r, 1, 1)
            e1 = r * spec.sums(r, 1, 2)  # d1 - d2
            return np.log(d1 / nn[i]), -e1 / d1

        out[todo] = np.exp(_newton_bracketed(G, lo, hi, increasing=False, what="d1(rho) = n"))
    return out.reshape(np.shape(n)) if np.ndim(n) else out[0]


def _newton_bracketed(F, lo: np.ndarray, hi: np.ndarray, *, increasing: bool, what: str) -> np.ndarray:
    """Vectorised safeguarded Newton for monotone ``F(x, idx) -> (value, derivative)`` on ``[lo, hi]``.

    ``idx`` are the positions (in the full vector) of the points still iterating.
    """
    lo, hi = lo.astype(np.float64).copy(), hi.astype(np.float64).copy()
    x = 0.5 * (lo + hi)
    done = np.zeros(x.shape, dtype=bool)
    sign = 1.0 if increasing else -1.0
    for _ in range(MAXITER):
        act = ~done
        f, df = F(x[act], np.flatnonzero(act))
        f = sign * f
        df = sign * df
        xa, la, ha = x[act], lo[act], hi[act]
        neg = f < 0
        la = np.where(neg, xa, la)
        ha = np.where(f > 0, xa, ha)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(np.isfinite(f) & (df > 0), -f / df, np.nan)
        xn = xa + step
        bad = ~np.isfinite(xn) | (xn <= la) | (xn >= ha)
        xn = np.where(bad, 0.5 * (la + ha), xn)
        conv = (np.abs(xn - xa) <= RTOL) | (ha - la <= RTOL) | (f == 0)
        x[act], lo[act], hi[act] = xn, la, ha
        idx = np.flatnonzero(act)
        done[idx[conv]] = True
        if done.all():
            return x
    raise ConvergenceError(
        f"root solve of {what} did not converge in {MAXITER} iterations for {int((~done).sum())} point(s)"
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
    s_a, N_a, T_a = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (s, N, T)))
    shape = s_a.shape
    s_a, N_a, T_a = s_a.ravel(), N_a.ravel(), T_a.ravel()
    n = np.minimum(N_a, T_a)
    out = np.empty_like(s_a)
    both_inf = np.isinf(n)
    out[both_inf] = s_a[both_inf]
    r0 = np.zeros_like(s_a)
    fin = ~both_inf
    if np.any(fin):
        r0[fin] = ridgeless_rho(spec, n[fin])
    zero = (s_a == 0) & fin
    out[zero] = r0[zero]
    todo = (s_a > 0) & fin
    if np.any(todo):
        s_t, N_t, T_t, nn = s_a[todo], N_a[todo], T_a[todo], n[todo]
        tr = spec.trace()
        lo = np.log(np.maximum(r0[todo], s_t))
        hi = np.log(np.maximum(4.0 * s_t, 2.0 * tr / nn) * 1.0001)

        def F(x, i):
            r = np.exp(x)
            d1 = spec.sums(r, 1, 1)
            e1 = r * spec.sums(r, 1, 2)
            NN, TT, ss = N_t[i], T_t[i], s_t[i]
            with np.errstate(divide="ignore", invalid="ignore"):
                aN = np.where(np.isinf(NN), 1.0, 1.0 - d1 / NN)
                aT = np.where(np.isinf(TT), 1.0, 1.0 - d1 / TT)
                below = (aN <= 0) | (aT <= 0)
                f = np.where(below, -np.inf, x + np.log(np.where(below, 1.0, aN * aT)) - np.log(ss))
                df = 1.0 + np.where(np.isinf(NN), 0.0, e1 / (NN - d1)) + np.where(np.isinf(TT), 0.0, e1 / (TT - d1))
            return f, np.where(below, np.inf, df)

        out[todo] = np.exp(_newton_bracketed(F, lo, hi, increasing=True, what="the self-consistent equation"))
    return out.reshape(shape) if shape else out[0]


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


def ridgeless_rho_mp(spec: Spectrum, n: Any):
    """:func:`ridgeless_rho` at the working mpmath precision (scalar)."""
    n = mpmath.mpf(n)
    if n >= _positive_count(spec):
        return mpmath.mpf(0)
    lo = mpmath.log(mpmath.mpf(float(_rho_lower(spec, np.array([float(n)]))[0])))
    hi = mpmath.log(2 * spec.trace_mp() / n)

    def G(x):
        r = mpmath.exp(x)
        d1 = spec.sums_mp(r, 1, 1)
        e1 = r * spec.sums_mp(r, 1, 2)
        return mpmath.log(d1 / n), -e1 / d1

    return mpmath.exp(_newton_bracketed_mp(G, lo, hi, increasing=False, what="d1(rho) = n"))


def solve_rho_mp(spec: Spectrum, s: Any, N: Any, T: Any):
    """:func:`solve_rho` for one point at the working mpmath precision."""
    s, N, T = (mpmath.mpf(v) for v in (s, N, T))
    n = min(N, T)
    if mpmath.isinf(n):
        return s
    r0 = ridgeless_rho_mp(spec, n)
    if s == 0:
        return r0
    lo = mpmath.log(max(r0, s))
    hi = mpmath.log(max(4 * s, 2 * spec.trace_mp() / n) * mpmath.mpf("1.0001"))

    def F(x):
        r = mpmath.exp(x)
        d1 = spec.sums_mp(r, 1, 1)
        e1 = r * spec.sums_mp(r, 1, 2)
        aN = 1 - d1 / N if mpmath.isfinite(N) else mpmath.mpf(1)
        aT = 1 - d1 / T if mpmath.isfinite(T) else mpmath.mpf(1)
        if aN <= 0 or aT <= 0:
            return -mpmath.inf, mpmath.inf
        df = 1 + (e1 / (N - d1) if mpmath.isfinite(N) else 0) + (e1 / (T - d1) if mpmath.isfinite(T) else 0)
        return x + mpmath.log(aN * aT) - mpmath.log(s), df

    return mpmath.exp(_newton_bracketed_mp(F, lo, hi, increasing=True, what="the self-consistent equation"))


def check_regulariser(s: Any) -> None:
    """Raise unless ``s`` is finite and ``>= 0``."""
    arr = np.asarray(s, dtype=np.float64)
    if np.any(~np.isfinite(arr)) or np.any(arr < 0):
        raise ParameterError(f"the regulariser s must be finite and >= 0; got {s}")
