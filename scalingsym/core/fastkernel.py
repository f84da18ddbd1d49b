"""Compiled (numba) kernel of the isotropic self-consistent solve on an interpolated spectrum.

The compiled kernel is optional: it needs `numba <https://numba.pydata.org>`_ (``pip install
"scalingsym[fast]"``; a well-kept dependency with wheels for every platform numpy has, and the only way here
to run the root solve one point at a time at C speed without a compiler at install time). This module is
imported only by :meth:`scalingsym.core.fastsums.InterpolatedSpectrum.solve_isotropic` when a batch is solved.
Without numba (:data:`AVAILABLE` false), or with ``SCALINGSYM_KERNEL=numpy`` in the environment, the same solve
runs through the vectorised numpy solver :func:`scalingsym.core.resolvent.solve_rho` instead.

Per point the kernel solves the equation of :func:`~scalingsym.core.resolvent.ridgeless_rho` and
:func:`~scalingsym.core.resolvent.solve_rho` on the same branch, with guaranteed brackets and the safeguarded
Newton iteration in ``x = log rho`` of :func:`~scalingsym.core.resolvent._newton_bracketed` (a step on ``F``
above the root and on ``A/B - 1`` below it, the other one when the first leaves the bracket, bisection when
both do; its stall test and tolerances :data:`~scalingsym.core.resolvent.RTOL`,
:data:`~scalingsym.core.resolvent.MAXITER`), with ``d1`` and ``e1`` from the panels of the
:class:`~scalingsym.core.fastsums.InterpolatedSpectrum` (polynomials of the sums themselves, derived from its
verified series of their logs, so that no evaluation needs an ``exp``):

1. ``rho_0`` with ``d1(rho_0) = n = min(N, T)`` (``0`` once ``n`` reaches the number of positive modes), the
   lower bracket found by stepping down from ``2 tr / n`` by factors ``10^4``; consecutive points with the same
   ``n`` share one solve;
2. ``s = rho (1 - d1/N)(1 - d1/T)`` on ``[max(rho_0, s), 1.0001 max(4 s, 2 tr / n)]`` (``rho = s`` when
   ``N = T = inf``; ``rho = rho_0`` when ``s = 0``);
3. ``d1`` and ``e1 = d1 - d2`` at the root, for the observables, from the last evaluation ``xe`` by Taylor's
   formula to third order (see below), or from the panels at the root when it is more than ``1e-4`` from ``xe``.

**The finish: one evaluation per point.** Each evaluation gives, besides ``d1`` and ``e1``, the first three
derivatives of ``e1`` in ``x`` (polynomials of their own, the derivatives of the panel's polynomial of ``e1``).
With them, around an evaluated point ``xa``, ``d1(xa + dl) = d1 - e1 dl - e1' dl^2/2 - e1'' dl^3/6`` and
``e1(xa + dl) = e1 + e1' dl + e1'' dl^2/2 + e1''' dl^3/6``, each to within ``e1 dl^4 / 24`` (termwise, with
``y = x - log lambda_k``, ``d1 = sum sigma(-y)``, ``e1 = sum g(y)``, ``g = sigma (1 - sigma)``, and every
``|g^(j) / g| <= 1`` for ``j <= 4``: ``g'/g = u``, ``g''/g = (3u^2 - 1)/2``, ``g'''/g = u (3u^2 - 2)``,
``g''''/g = 1 - 15u^2/2 + 15u^4/2`` with ``u = 1 - 2 sigma`` in ``[-1, 1]``): ``4e-18`` relative for
``|dl| <= 1e-4``, plus the derivative rows' own errors times the powers of ``dl`` (``e1'`` is within
``6e-12 e1`` of the exact derivative, measured in the tests: below ``1e-15``). Where the Newton step
``ep = -F/F'`` at ``xa`` is at most ``1e-4``, the kernel takes the step to second order,
``dl = ep - (F''/(2F')) ep^2``, computes the residual at ``x1 = xa + dl`` from that model
(``log(aX(x1)/aX(xa)) = log1p(u)``, by its series to ``u^5`` where ``|u| <= 1e-3``, error ``<= 2e-19``; no
panel), and one more Newton correction ``c`` from it (with the model's slope there); the root is ``x1 + c`` when
``|c| <= 1e-6``, the error predicted after that correction ``|F''/(2F')| c^2`` is at most ``1e-4 RTOL``, and it
lies in the bracket.
Otherwise the iteration goes on as above. So a point whose start is within about ``1e-4`` of its root (the
continuation start of a ``gamma`` sweep, below) needs a single evaluation of the panels and a single ``log`` (and
two ``log1p`` where the step changes ``1 - d1/N`` or ``1 - d1/T`` by more than ``1e-3`` relative).

Where the iteration starts, the finish and one extra way to stop are the kernel's own (documented at
:func:`_finish`, :func:`_newton` and :func:`solve_batch`); the roots agree with the vector solver to round-off
(``~1e-14`` relative; checked in ``tests/test_fastpath_kernel.py``).

A point whose iteration asks for ``rho`` outside the built panels stops the solve with status
:data:`OUT_OF_RANGE` and the ``x`` it asked for; the caller builds the panel and resumes at that point, which
starts again from scratch (so the results are those of one pass with every panel there). A point that does
not converge has status :data:`NO_CONVERGENCE` (the caller raises :class:`~scalingsym.core.errors.ConvergenceError`).

The kernel is serial: on a machine shared by several processes the CPU time per point is what counts, and
threads (``prange``) would not lower it. It is compiled with ``cache=True`` (the machine code is kept next to
this file, or in numba's user cache, after the first run) with ``fastmath={"contract"}``: IEEE arithmetic
except that a product and a sum may be fused into one multiply-add with a single rounding (no reassociation,
no assumptions about ``nan`` or ``inf``), so the numbers are those of the numpy path to round-off. The
helpers of the iteration (:func:`_sums`, :func:`_residual`, :func:`_finish`, :func:`_newton`) are inlined
(``inline="always"``): a compiled call that passes the coefficient array pays two atomic reference-count
updates, which cost about a quarter of the solve when they were per iteration; inlined, the same arithmetic runs
without them, at the price of a longer first compile.

Examples
--------
>>> import numpy as np
>>> from scalingsym.core.fastsums import InterpolatedSpectrum
>>> from scalingsym.core.spectra import PowerLaw
>>> fast = InterpolatedSpectrum(PowerLaw(alpha=1, M=10**4), disk_cache=False)
>>> rho, d1, e1 = fast.solve_isotropic([1e-6, 0.0], [100.0, 100.0], [400.0, np.inf])
>>> bool(abs(rho[0] * (1 - d1[0] / 100) * (1 - d1[0] / 400) / 1e-6 - 1) < 1e-12)
True
>>> bool(abs(d1[1] / 100 - 1) < 1e-12)  # s = 0, T = inf: the ridgeless root d1(rho_0) = N
True
"""

from __future__ import annotations

import math

import numpy as np

from .resolvent import _STALL, MAXITER, RTOL

try:
    from numba import njit

    #: True when numba is installed (the kernel is compiled); else the functions below are plain Python
    AVAILABLE = True
except ImportError:  # pragma: no cover - numba is optional
    AVAILABLE = False

    def njit(*args, **kwargs):  # the same functions in plain Python (never used for batches)
        return lambda fn: fn


__all__ = ["AVAILABLE", "OK", "NO_CONVERGENCE", "OUT_OF_RANGE", "NO_BRACKET", "new_state", "solve_batch", "warm_up"]

#: status codes of :func:`solve_batch`, one per point
OK, NO_CONVERGENCE, OUT_OF_RANGE, NO_BRACKET = 0, 1, 2, 3

_RIDGELESS, _SELF_CONSISTENT = 0, 1

#: the compiler may fuse a product and a sum into one multiply-add (nothing else of ``fastmath``)
_FASTMATH = {"contract"}
#: the finish (:func:`_finish`) is tried where the Newton step is at most this; the sums at a root are taken by
#: Taylor's formula from the last evaluation when it is at most this far
_TAYLOR = 1e-4
#: largest ``|u|`` for which ``log1p(u)`` is its series to ``u^5`` (error ``<= |u|^6 / 6 / (1 - |u|) <= 2e-19``)
_LOG1P_SERIES = 1e-3
#: largest last correction of the finish
_FINISH_STEP = 1e-6


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy", inline="always")
def _sums(C, i0, h, ih, x):  # pragma: no cover - compiled
    """``(d1, e1, e1', e1'', e1''', inside)`` at ``x = log rho`` from the panel of ``x`` (derivatives in ``x``).

    ``ih = 1/h`` when ``h`` is a power of two (then ``x * ih`` is ``x / h`` exactly, without a division), else 0.

    ``C[j, r]`` are the monomial coefficients in ``t in [-1, 1]`` of row ``r`` of panel ``i0 + j`` (see
    :meth:`~scalingsym.core.fastsums.InterpolatedSpectrum._packed_coefficients`). Horner on the even and the odd
    part in ``t^2``: ten independent chains of half the length.
    """
    u = x * ih if ih > 0.0 else x / h
    cell = math.floor(u)
    col = int(cell) - i0
    if not (col >= 0 and col < C.shape[0]):  # also catches a NaN x
        return math.nan, math.nan, math.nan, math.nan, math.nan, False
    t = 2.0 * (u - cell) - 1.0
    w = t * t
    m = C.shape[2]
    ke = m - 1 if (m - 1) % 2 == 0 else m - 2
    ko = m - 1 if (m - 1) % 2 == 1 else m - 2
    a0 = C[col, 0, ke]
    a1 = C[col, 1, ke]
    a2 = C[col, 2, ke]
    a3 = C[col, 3, ke]
    a4 = C[col, 4, ke]
    b0 = C[col, 0, ko]
    b1 = C[col, 1, ko]
    b2 = C[col, 2, ko]
    b3 = C[col, 3, ko]
    b4 = C[col, 4, ko]
    for k in range(ke - 2, -1, -2):
        a0 = a0 * w + C[col, 0, k]
        a1 = a1 * w + C[col, 1, k]
        a2 = a2 * w + C[col, 2, k]
        a3 = a3 * w + C[col, 3, k]
        a4 = a4 * w + C[col, 4, k]
    for k in range(ko - 2, 0, -2):
        b0 = b0 * w + C[col, 0, k]
        b1 = b1 * w + C[col, 1, k]
        b2 = b2 * w + C[col, 2, k]
        b3 = b3 * w + C[col, 3, k]
        b4 = b4 * w + C[col, 4, k]
    return a0 + t * b0, a1 + t * b1, a2 + t * b2, a3 + t * b3, a4 + t * b4, True


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy", inline="always")
def _residual(mode, x, p0, p1, p2, C, i0, h, ih):  # pragma: no cover - compiled
    """The signed residual (increasing in ``x``), its derivative, whether ``x`` is inside the panels, the sums
    ``(d1, e1, e1', e1'', e1''')`` it was computed from and ``qN = p1 / aN``, ``qT = p2 / aT``.

    ``mode = _RIDGELESS``: ``-log(d1 / n)`` with ``p0 = 1/n``. ``mode = _SELF_CONSISTENT``:
    ``x + log(aN aT) - log s`` with ``aX = 1 - d1/X``, ``p0 = log s``, ``p1 = 1/N``, ``p2 = 1/T`` (``0`` for
    ``inf``), derivative ``1 + e1 (qN + qT)``; below the branch (``aN <= 0`` or ``aT <= 0``) it is ``-inf`` with
    derivative ``inf``.
    """
    d1, e1, g1, g2, g3, inside = _sums(C, i0, h, ih, x)
    if not inside:
        return 0.0, 0.0, False, d1, e1, g1, g2, g3, 0.0, 0.0
    if mode == _RIDGELESS:
        return -math.log(d1 * p0), e1 / d1, True, d1, e1, g1, g2, g3, 0.0, 0.0
    aN = 1.0 - d1 * p1
    aT = 1.0 - d1 * p2
    if aN <= 0.0 or aT <= 0.0:
        return -math.inf, math.inf, True, d1, e1, g1, g2, g3, 0.0, 0.0
    qN = p1 / aN
    qT = p2 / aT
    return x + math.log(aN * aT) - p0, 1.0 + e1 * (qN + qT), True, d1, e1, g1, g2, g3, qN, qT


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy", inline="always")
def _at(dl, d1, e1, g1, g2, g3):  # pragma: no cover - compiled
    """``(d1, e1)`` at ``xa + dl`` from ``d1``, ``e1`` and ``e1', e1'', e1'''`` at ``xa`` (Taylor, third order;
    each within ``e1 dl^4 / 24`` of the sums there: see the module docstring)."""
    return (d1 - dl * (e1 + dl * (0.5 * g1 + dl * (g2 * (1.0 / 6.0)))),
            e1 + dl * (g1 + dl * (0.5 * g2 + dl * (g3 * (1.0 / 6.0)))))


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy", inline="always")
def _log1p(u):  # pragma: no cover - compiled
    """``log(1 + u)``: the series to ``u^5`` for ``|u| <= 1e-3`` (error ``<= 2e-19``), else libm (``nan`` for
    ``u <= -1``)."""
    if abs(u) <= _LOG1P_SERIES:
        return u * (1.0 - u * (0.5 - u * (1.0 / 3.0 - u * (0.25 - u * 0.2))))
    return math.log1p(u) if u > -1.0 else math.nan


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy", inline="always")
def _finish(xa, f, df, d1, e1, g1, g2, g3, qN, qT, lo, hi):  # pragma: no cover - compiled
    """The root near ``xa`` from the one evaluation there (``F = f``, ``F' = df`` and the sums), or a refusal.

    Returns ``(ok, root, 1 / F'(xa), d1, e1, x1)`` with the sums at the root. The step to second order
    ``dl = ep - c2 ep^2`` (``ep = -F/F'``, ``c2 = F''/(2F')``, ``F'' = sum_X qX (e1' - qX e1^2)``); the residual at
    ``x1 = xa + dl`` from the Taylor model of ``d1`` (``aX(x1) / aX(xa) = 1 + qX (d1(xa) - d1(x1))``); the Newton
    correction ``c`` from it with the model's slope at ``x1``. Refused (``ok`` false; the caller iterates on)
    unless ``|ep|, |dl| <= 1e-4``, ``x1`` is on the branch (``aX(x1) > 0``), ``|c| <= 1e-6``, the error after the
    correction ``|c2| c^2 <= 1e-4 RTOL`` and the root lies strictly inside ``(lo, hi)``. The model's error in ``d1``,
    ``<= e1 dl^4 / 24``, moves the residual by at most ``e1 (qN + qT) dl^4 / 24 < F' dl^4 / 24`` and so the root by
    less than ``dl^4 / 24 <= 4.2e-18``, however close ``d1`` is to ``N`` or ``T``; the derivative rows' own errors
    (``6e-12 e1`` for ``e1'``, measured in the tests) add at most ``6e-12 dl <= 6e-16`` in the same way.
    """
    r = 1.0 / df
    ep = -f * r
    if not (abs(ep) <= _TAYLOR):
        return False, math.nan, r, math.nan, math.nan, math.nan
    e1s = e1 * e1
    F2 = qN * (g1 - qN * e1s) + qT * (g1 - qT * e1s)
    c2 = 0.5 * F2 * r
    dl = ep - c2 * ep * ep
    if not (abs(dl) <= _TAYLOR):
        return False, math.nan, r, math.nan, math.nan, math.nan
    D = dl * (e1 + dl * (0.5 * g1 + dl * (g2 * (1.0 / 6.0))))  # d1(xa) - d1(x1)
    uN = qN * D  # aX(x1) / aX(xa) - 1
    uT = qT * D
    f1 = (f + dl) + (_log1p(uN) + _log1p(uT))  # nan below the branch: refused below
    e1x = e1 + dl * (g1 + dl * (0.5 * g2 + dl * (g3 * (1.0 / 6.0))))  # e1(x1)
    c = -f1 / (1.0 + e1x * (qN / (1.0 + uN) + qT / (1.0 + uT)))  # F'(x1) of the model: qX(x1) = qX / (1 + uX)
    if not (abs(c) <= _FINISH_STEP and abs(c2) * c * c <= 1e-4 * RTOL):
        return False, math.nan, r, math.nan, math.nan, math.nan
    x = (xa + dl) + c
    if not (x > lo and x < hi):
        return False, math.nan, r, math.nan, math.nan, math.nan
    d1r, e1r = _at(x - xa, d1, e1, g1, g2, g3)
    return True, x, r, d1r, e1r, xa + dl


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy", inline="always")
def _newton(mode, lo, hi, x, p0, p1, p2, C, i0, h, ih):  # pragma: no cover - compiled
    """Scalar form of :func:`scalingsym.core.resolvent._newton_bracketed` from ``x`` in ``[lo, hi]``.

    Returns ``(root, status, value, d1, e1)``: ``value`` is ``1 / F'`` at the last point evaluated when
    ``status = OK`` (the slope of the root in ``log s``), and the ``x`` asked for when ``status = OUT_OF_RANGE``;
    ``(d1, e1)`` are the sums at the root (Taylor from the last evaluation ``xe``; ``nan`` when the root is more
    than ``1e-4`` from ``xe``, or in the ridgeless mode). The steps, the bracket updates and the convergence tests
    are those of the vector solver; in addition, in the self-consistent mode the finish (:func:`_finish`) ends
    the iteration wherever it is accepted, and once two consecutive Newton steps show quadratic convergence, an
    iteration whose predicted error after the step (``|step|^3 / |previous step|^2``) is below ``1e-4 RTOL`` ends
    there (the vector solver would take one more step, smaller than ``RTOL``, to the same root).
    """
    la = lo
    ha = hi
    xa = x
    fprev = math.inf
    xprev = xa
    sprev = math.inf
    newton = False
    for _ in range(MAXITER):
        f, df, inside, d1, e1, g1, g2, g3, qN, qT = _residual(mode, xa, p0, p1, p2, C, i0, h, ih)
        if not inside:
            return math.nan, OUT_OF_RANGE, xa, math.nan, math.nan
        if f < 0:
            la = xa
        if f > 0:
            ha = xa
        # F is a log-ratio log(A/B): the step on F (above the root) and on A/B - 1 (below it), the other one
        # when the first leaves the bracket, bisection when both do
        okf = math.isfinite(f) and df > 0
        if okf and mode == _SELF_CONSISTENT:
            ok, xr, r, d1r, e1r, _x1 = _finish(xa, f, df, d1, e1, g1, g2, g3, qN, qT, la, ha)
            if ok:
                return xr, OK, r, d1r, e1r
        s_log = -f / df if okf else math.nan
        if f < 0:
            s1 = math.expm1(-f) / df if okf else math.nan
        else:
            s1 = s_log
        x1 = xa + s1
        bad1 = not (math.isfinite(x1) and x1 > la and x1 < ha)
        bad = False
        if bad1:
            if f < 0:
                step = s_log
            else:
                step = math.expm1(-f) / df if okf else math.nan
            xn = xa + step
            if not (math.isfinite(xn) and xn > la and xn < ha):
                bad = True
                xn = 0.5 * (la + ha)
        else:
            step = s1
            xn = x1
        af = abs(f)
        stalled = newton and af >= fprev and fprev <= _STALL
        tiny = abs(step) <= RTOL
        if tiny:
            xn = xa + step
        elif newton and not bad and abs(step) <= 1e-5 and abs(step) ** 3 <= 1e-4 * RTOL * sprev * sprev:
            tiny = True
        if tiny or abs(xn - xa) <= RTOL or ha - la <= RTOL or f == 0 or stalled:
            xr = xprev if stalled else xn
            if mode == _SELF_CONSISTENT and abs(xr - xa) <= _TAYLOR:
                d1r, e1r = _at(xr - xa, d1, e1, g1, g2, g3)
            else:
                d1r = e1r = math.nan
            return xr, OK, 1.0 / df, d1r, e1r
        sprev = abs(step)
        xprev = xa
        fprev = af
        newton = not bad
        xa = xn
    return math.nan, NO_CONVERGENCE, 0.0, math.nan, math.nan


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy")
def _ridgeless(n, tr, C, i0, h, ih):  # pragma: no cover - compiled
    """``(log rho_0, status, value)`` with ``d1(rho_0) = n``; the bracket as :func:`resolvent._rho_lower`.

    Steps down from ``2 tr / n`` by factors ``10^4`` until ``d1 > n``; Newton starts where the line through
    the last two ``(log rho, log d1)`` of the search meets ``log n`` (the midpoint when there is one).
    """
    hi_r = 2.0 * tr / n
    ln = math.log(n)
    lo = hi_r
    xa = math.nan
    fa = math.nan
    for _ in range(80):
        lo *= 1e-4
        if lo < 1e-300:
            return math.nan, NO_BRACKET, 0.0
        xl = math.log(lo)
        d1, e1, _g1, _g2, _g3, inside = _sums(C, i0, h, ih, xl)
        if not inside:
            return math.nan, OUT_OF_RANGE, xl
        if d1 > n:
            xh = math.log(hi_r)
            x = 0.5 * (xl + xh)
            fl = math.log(d1) - ln
            if fa == fa and fl > 0 and fa < 0:  # the previous step (d1 < n there) was evaluated too
                x = xl + (xa - xl) * fl / (fl - fa)
                if not (x > xl and x < xh):
                    x = 0.5 * (xl + xh)
            r = _newton(_RIDGELESS, xl, xh, x, 1.0 / n, 0.0, 0.0, C, i0, h, ih)
            return r[0], r[1], r[2]
        xa = xl
        fa = math.log(d1) - ln
    return math.nan, NO_BRACKET, 0.0  # pragma: no cover - 80 steps reach 1e-300


_LOG4 = math.log(4.0)
_LOG_PAD = math.log(1.0001)

@njit(cache=True, fastmath=_FASTMATH, error_model="numpy", inline="always")
def _fail(st, v, i, status, rho, xreq):  # pragma: no cover - compiled
    """Record that point ``i`` ended with status ``st`` (not :data:`OK`); True when the batch must stop there (a
    panel is missing: ``xreq[i] = v``, the ``log rho`` asked for), else ``rho[i]`` is ``nan``."""
    status[i] = st
    if st == OUT_OF_RANGE:
        xreq[i] = v
        return True
    rho[i] = math.nan
    return False


#: length of the ``state`` vector of :func:`solve_batch`
STATE_SIZE = 10


def new_state() -> np.ndarray:
    """A fresh ``state`` vector for :func:`solve_batch` (nothing solved before).

    Examples
    --------
    >>> new_state().shape
    (10,)
    """
    state = np.zeros(STATE_SIZE)
    state[0] = state[2] = np.nan  # no previous n, no previous (N, T)
    state[6] = 1.0
    return state


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy")
def solve_batch(s, N, T, C, i0, h, tr, Mp, continuation, start, state, rho, d1, e1, status,
                xreq):  # pragma: no cover - compiled
    """Solve the points ``start, start + 1, ...`` of ``(s, N, T)``; returns where it stopped.

    Fills ``rho``, ``d1`` and ``e1 = d1 - d2`` at ``rho`` (``nan`` where ``rho = 0``) and ``status``. ``C`` has
    shape ``(panels, 5, degree + 1)`` (see :func:`_sums`; panel width ``h``, first panel ``i0``); ``tr`` is
    the trace and ``Mp`` the number of positive modes (``inf`` allowed).

    The first point whose iteration asks for ``log rho`` outside the panels gets status :data:`OUT_OF_RANGE`
    and ``xreq`` = that ``log rho``, and the solve stops there: the return value is its index (``len(s)`` when
    every point is done). The caller builds the panel and calls again from that index with the same
    ``state`` (what the points before carry to the next: the last ridgeless root and the continuation
    data), so the results are those of one pass over the batch with every panel present.

    The Newton iteration of the self-consistent equation starts at ``log(s + rho_0)`` (inside the bracket:
    ``max(rho_0, s) <= s + rho_0 < 2 tr / n``), so that each point's result is a function of that point alone
    (the same bits in any batch or chunking). With ``continuation`` set, where a point has the same ``N`` and
    ``T`` as the one before it (a loss surface swept in ``gamma``), it starts instead from the extrapolation of
    the previous roots in ``log s`` (when inside the bracket; for a point the finish ended, its root before the
    last correction, within ``1e-6`` of it, which keeps that correction off the path from one point to the next),
    usually within ``1e-4`` of the root, where one
    evaluation and the finish (:func:`_finish`) end the solve (on the grid of ``bench`` row a, 99% of the points
    need that one evaluation: 1.01 per point, against 2.3 from ``log(s + rho_0)``); the start moves the result by
    round-off (``~1e-15`` relative), so that it then depends on the point before it at that level.
    """
    ih = 1.0 / h if math.frexp(h)[0] == 0.5 else 0.0  # a power-of-two panel width: multiply, exactly
    last_n = state[0]
    last_x0 = state[1]
    # the previous roots of the self-consistent equation at the same (N, T): (log s, x) twice and dx/dlog s
    pN = state[2]
    pT = state[3]
    px = state[4]
    pls = state[5]
    pdx = state[6]
    qx = state[7]
    qls = state[8]
    runs = int(state[9])
    stop = s.shape[0]
    xt_n = math.nan
    xt = math.nan
    for i in range(start, s.shape[0]):
        si = s[i]
        Ni = N[i]
        Ti = T[i]
        n = min(Ni, Ti)
        d1[i] = math.nan
        e1[i] = math.nan
        xreq[i] = 0.0
        status[i] = OK
        if math.isinf(n):
            rho[i] = si
            if si <= 0.0:
                continue
            x = math.log(si)
        else:
            # rho_0 (0 where n reaches the positive modes): the lower end of the bracket, or the root at s = 0
            if n >= Mp:
                x0 = -math.inf
            elif n == last_n:
                x0 = last_x0
            else:
                x0, st, v = _ridgeless(n, tr, C, i0, h, ih)
                if st != OK:
                    if _fail(st, v, i, status, rho, xreq):
                        stop = i
                        break
                    continue
                last_n = n
                last_x0 = x0
            if si == 0.0:
                rho[i] = math.exp(x0)
                if rho[i] <= 0.0:
                    continue
                x = x0
            else:
                if n != xt_n:  # log(2 tr / n): the upper end of the bracket, once per n
                    xt_n = n
                    xt = math.log(2.0 * tr / n)
                ls = math.log(si)
                lo = max(x0, ls)  # log max(rho_0, s)
                hi = max(ls + _LOG4, xt) + _LOG_PAD  # log(max(4 s, 2 tr / n) * 1.0001)
                xs = math.nan
                same = continuation and Ni == pN and Ti == pT
                if same:
                    dl = ls - pls
                    xp = px + dl * pdx
                    dq = qls - pls
                    if runs >= 2 and dq != 0.0:
                        xp += (qx - px - dq * pdx) / (dq * dq) * dl * dl
                    if xp > lo and xp < hi:
                        xs = xp
                iN = 0.0 if math.isinf(Ni) else 1.0 / Ni
                iT = 0.0 if math.isinf(Ti) else 1.0 / Ti
                done = False
                x1 = math.nan
                if xs == xs:  # the continuation start: one evaluation and the finish, where it is accepted
                    f, df, inside, a, b, g1, g2, g3, qN, qT = _residual(_SELF_CONSISTENT, xs, ls, iN, iT, C, i0, h,
                                                                        ih)
                    if not inside and _fail(OUT_OF_RANGE, xs, i, status, rho, xreq):
                        stop = i
                        break
                    if math.isfinite(f):
                        done, x, v, D, E, x1 = _finish(xs, f, df, a, b, g1, g2, g3, qN, qT, lo, hi)
                else:
                    xs = ls + math.log1p(math.exp(x0 - ls))  # log(s + rho_0)
                if not done:
                    x, st, v, D, E = _newton(_SELF_CONSISTENT, lo, hi, xs, ls, iN, iT, C, i0, h, ih)
                    if st != OK:
                        if _fail(st, v, i, status, rho, xreq):
                            stop = i
                            break
                        pN = math.nan  # no continuation from a failed point
                        continue
                runs = runs + 1 if same else 1
                qx = px
                qls = pls
                pN = Ni
                pT = Ti
                px = x1 if done else x  # x1: the finish's root before its last correction (|c| <= 1e-6)
                pls = ls
                pdx = v
                rho[i] = math.exp(x)
                if D == D:  # the sums at the root, from the last evaluation (see the module docstring)
                    d1[i] = D
                    e1[i] = E
                    continue
        a, b, _g1, _g2, _g3, inside = _sums(C, i0, h, ih, x)
        if not inside and _fail(OUT_OF_RANGE, x, i, status, rho, xreq):
            stop = i
            break
        d1[i] = a
        e1[i] = b
    state[0] = last_n
    state[1] = last_x0
    state[2] = pN
    state[3] = pT
    state[4] = px
    state[5] = pls
    state[6] = pdx
    state[7] = qx
    state[8] = qls
    state[9] = runs
    return stop


def warm_up() -> None:
    """Compile (or load from numba's cache) every kernel once, on a one-panel table.

    The first batch pays this otherwise (about 6 s to compile, 1 s to load from the cache, with numba's
    import); the benchmark calls it first so that its cold timings are those of the representation.

    Examples
    --------
    >>> warm_up()
    """
    C = np.zeros((1, 5, 4))
    out = [np.empty(1) for _ in range(4)]
    st = np.empty(1, dtype=np.int8)
    solve_batch(np.zeros(1), np.full(1, np.inf), np.full(1, np.inf), C, 0, 1.0, 1.0, np.inf, False, 0, new_state(),
                out[0], out[1], out[2], st, out[3])
