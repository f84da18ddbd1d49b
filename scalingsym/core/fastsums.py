"""A precomputed representation of the spectral sums for fast vectorised loss surfaces.

:class:`InterpolatedSpectrum` wraps any :class:`~scalingsym.core.spectra.Spectrum` and replaces the two sums
every ridge / resolvent computation needs,

.. math:: d_1(\\rho) = \\sum_k \\frac{\\lambda_k}{\\lambda_k+\\rho}, \\qquad
          e_1(\\rho) = \\rho \\sum_k \\frac{\\lambda_k}{(\\lambda_k+\\rho)^2} = d_1 - d_2,

by piecewise Chebyshev interpolants of ``log d1`` and ``log e1`` in ``x = log rho``. The interpolants
are built from the exact :meth:`Spectrum.sums` (finite-``M`` exact sums or the exact ``M = inf``
evaluation) on a fixed lattice of panels ``[i h, (i + 1) h]``, only where they are needed, so the cost
per evaluated point is a fixed number of flops, independent of ``M``, and nothing of size
``points x M`` is ever formed.

Why this converges fast: for ``lambda_k > 0`` both ``d1`` and ``e1`` are analytic and zero-free for
``|Im x| < pi/2`` (each term of ``e1`` has argument in ``(-|Im x|, |Im x|)``), so on a panel of
half-width ``h/2 = 1/8`` the Chebyshev coefficients decay at least like ``(4 pi + sqrt(16 pi^2+1))^-k``,
about ``25^-k``; degree 10 reaches the float64 round-off of the exact sums. Every panel is checked against the exact
sums at points between its nodes, and the largest relative error seen is kept in
:attr:`InterpolatedSpectrum.error_bound` (a :class:`~scalingsym.core.errors.ConvergenceError` is raised if a
panel misses ``rtol``).

Everything else (other ``(p, q)``, non-isotropic tasks, ``rho = 0``, mpmath) is delegated to the wrapped
spectrum unchanged, so the resolvent solvers and :class:`~scalingsym.models.ridge.RandomFeatureRidge`
run on top of it without any change.

Examples
--------
>>> import numpy as np
>>> from scalingsym.core.spectra import PowerLaw
>>> exact = PowerLaw(alpha=1, M=10**5)
>>> fast = InterpolatedSpectrum(exact)
>>> rho = np.logspace(-6, 1, 5)
>>> bool(np.max(np.abs(fast.d1(rho) / exact.d1(rho) - 1)) < 1e-13)
True
>>> from scalingsym.models.ridge import RandomFeatureRidge, fast_ridge
>>> model = fast_ridge(RandomFeatureRidge(exact))
>>> loss = model.loss(N=[100.0, 200.0], T=1000.0, gamma=1e-3)
>>> bool(np.all(loss > 0))
True
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .errors import ConvergenceError, ParameterError
from .spectra import Spectrum
from .tasks import Task

__all__ = ["InterpolatedSpectrum"]


def _cheb_nodes(n: int) -> np.ndarray:
    """Chebyshev points of the first kind on ``[-1, 1]`` (descending)."""
    return np.cos(np.pi * (np.arange(n) + 0.5) / n)


def _cheb_matrix(n: int) -> np.ndarray:
    """Matrix taking values at :func:`_cheb_nodes` to Chebyshev coefficients."""
    j = np.arange(n) + 0.5
    k = np.arange(n)[:, None]
    A = (2.0 / n) * np.cos(np.pi * k * j / n)
    A[0] *= 0.5
    return A


class InterpolatedSpectrum(Spectrum):
    """A spectrum whose ``d1`` and ``d1 - d2`` come from verified Chebyshev interpolants (float64).

    Parameters
    ----------
    spectrum : Spectrum
        The exact spectrum; every value of the interpolants comes from its :meth:`~Spectrum.sums`.
    panel : float
        Panel width ``h`` in ``log rho`` (default 0.25).
    degree : int
        Chebyshev degree per panel (default 10).
    rtol : float
        Relative error allowed on each interpolated sum, checked on every panel at build time.

    Notes
    -----
    Only the isotropic sums ``(p, q) = (1, 1), (1, 2)`` at ``rho > 0`` are interpolated; they are what
    :func:`~scalingsym.core.resolvent.solve_rho` and the isotropic ridge loss use (``d2 = d1 - e1`` would lose
    digits at large ``rho``, so ``(2, 2)`` stays exact). Panels are built lazily for the ``rho``
    actually requested.
    """

    def __init__(self, spectrum: Spectrum, panel: float = 0.25, degree: int = 10, rtol: float = 1e-13) -> None:
        if not isinstance(spectrum, Spectrum):
            raise ParameterError(f"spectrum must be a Spectrum; got {type(spectrum).__name__}")
        if not (0.05 <= float(panel) <= 4.0):
            raise ParameterError(f"panel must be in [0.05, 4]; got {panel}")
        if int(degree) != degree or not (4 <= degree <= 128):
            raise ParameterError(f"degree must be an integer in [4, 128]; got {degree}")
        if not (1e-16 <= float(rtol) < 1e-3):
            raise ParameterError(f"rtol must be in [1e-16, 1e-3); got {rtol}")
        self.base = spectrum
        self.M = spectrum.M
        self.h = float(panel)
        self.n = int(degree) + 1
        self.rtol = float(rtol)
        self._A = _cheb_matrix(self.n)
        self._t = _cheb_nodes(self.n)
        self._i0 = 0  # index of the first built panel
        self._C1 = np.empty((self.n, 0))  # coefficients of log d1, shape (n, panels)
        self._C2 = np.empty((self.n, 0))  # coefficients of log e1
        #: largest relative error seen when checking the panels against the exact sums
        self.error_bound = 0.0
        self._eig: np.ndarray | None = None
        self._last: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        #: number of exact evaluations of each sum spent on the representation
        self.exact_evaluations = 0

    # ----- delegation -----------------------------------------------------------------------------
    def eigenvalues(self, count: int | None = None) -> np.ndarray:
        if count is None and self.finite:  # the solvers' bracket needs them on every call: keep them
            if self._eig is None:
                self._eig = self.base.eigenvalues()
                self._eig.setflags(write=False)
            return self._eig
        return self.base.eigenvalues(count)

    def eigenvalue_mp(self, k: int):
        return self.base.eigenvalue_mp(k)

    @property
    def lam_expr(self):
        return self.base.lam_expr

    def describe(self) -> str:
        return self.base.describe()

    def trace(self, task: Task | None = None) -> float:
        return self.base.trace(task)

    def _sums_mp(self, rho, p: int, q: int, task: Task):
        return self.base._sums_mp(rho, p, q, task)

    @property
    def _all(self) -> np.ndarray:  # type: ignore[override]
        return self.base._all

    # ----- the representation ---------------------------------------------------------------------
    @property
    def panels(self) -> tuple[int, int]:
        """Lattice indices ``(first, last + 1)`` of the built panels (panel ``i`` is ``[i h, (i+1) h]``)."""
        return self._i0, self._i0 + self._C1.shape[1]

    def _build(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Coefficients of the panels ``idx``, checked against the exact sums between the nodes."""
        h, n = self.h, self.n
        left = idx[:, None] * h
        x = left + 0.5 * h * (self._t[None, :] + 1.0)  # (panels, n)
        # check points: midpoints (in t) between consecutive nodes, a few per panel
        tm = 0.5 * (self._t[:-1] + self._t[1:])
        tm = tm[:: max(1, (n - 1) // 6)]
        xc = left + 0.5 * h * (tm[None, :] + 1.0)
        xs = np.concatenate([x.ravel(), xc.ravel()])
        r = np.exp(xs)
        d1 = np.asarray(self.base.sums(r, 1, 1), dtype=np.float64)
        e1 = r * np.asarray(self.base.sums(r, 1, 2), dtype=np.float64)
        self.exact_evaluations += xs.size
        if np.any(~(d1 > 0)) or np.any(~(e1 > 0)) or not np.all(np.isfinite(d1 + e1)):
            raise ParameterError("the spectral sums are not positive and finite here; cannot interpolate their logs")
        m = x.size
        C1 = self._A @ np.log(d1[:m]).reshape(x.shape).T
        C2 = self._A @ np.log(e1[:m]).reshape(x.shape).T
        err = 0.0
        for C, exact in ((C1, d1[m:]), (C2, e1[m:])):
            got = np.exp(self._eval(C, np.repeat(np.arange(idx.size), tm.size), np.tile(tm, idx.size)))
            err = max(err, float(np.max(np.abs(got / exact - 1.0))))
            # the coefficient tail bounds the error away from the check points
            err = max(err, float(np.max(np.abs(C[-2:]).sum(axis=0))))
        if err > self.rtol:
            raise ConvergenceError(
                f"Chebyshev representation misses rtol={self.rtol:g} (error {err:.2e}); use a smaller panel "
                "or a higher degree"
            )
        self.error_bound = max(self.error_bound, err)
        return C1, C2

    def _ensure(self, xmin: float, xmax: float) -> None:
        lo = math.floor(xmin / self.h)
        hi = math.floor(xmax / self.h) + 1
        b0, b1 = self.panels
        if b1 > b0 and lo >= b0 and hi <= b1:
            return
        if b1 == b0:
            new_lo, new_hi = lo, hi
        else:
            new_lo, new_hi = min(lo, b0), max(hi, b1)
        parts1, parts2 = [], []
        if b1 == b0:
            C1, C2 = self._build(np.arange(new_lo, new_hi))
            self._C1, self._C2, self._i0 = np.ascontiguousarray(C1), np.ascontiguousarray(C2), new_lo
            return
        if new_lo < b0:
            C1, C2 = self._build(np.arange(new_lo, b0))
            parts1.append(C1)
            parts2.append(C2)
        parts1.append(self._C1)
        parts2.append(self._C2)
        if new_hi > b1:
            C1, C2 = self._build(np.arange(b1, new_hi))
            parts1.append(C1)
            parts2.append(C2)
        self._C1 = np.ascontiguousarray(np.concatenate(parts1, axis=1))
        self._C2 = np.ascontiguousarray(np.concatenate(parts2, axis=1))
        self._i0 = new_lo

    @staticmethod
    def _eval(C: np.ndarray, col: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Clenshaw evaluation of the Chebyshev series ``C[:, col]`` at ``t`` in ``[-1, 1]``."""
        b1 = np.zeros_like(t)
        b2 = np.zeros_like(t)
        t2 = 2.0 * t
        for k in range(C.shape[0] - 1, 0, -1):
            b1, b2 = C[k].take(col) + t2 * b1 - b2, b1
        return C[0].take(col) + t * b1 - b2

    def log_sums(self, rho: Any) -> tuple[np.ndarray, np.ndarray]:
        """``(log d1, log e1)`` at ``rho > 0`` from the interpolants (float64, vectorised)."""
        r = np.asarray(rho, dtype=np.float64)
        if np.any(~np.isfinite(r)) or np.any(r <= 0):
            raise ParameterError("rho must be finite and > 0 for the interpolated sums")
        x = np.log(r)
        if x.size == 0:
            return x.copy(), x.copy()
        self._ensure(float(x.min()), float(x.max()))
        u = x / self.h
        cell = np.floor(u)
        col = (cell - self._i0).astype(np.int64)
        np.clip(col, 0, self._C1.shape[1] - 1, out=col)
        t = 2.0 * (u - cell) - 1.0
        return self._eval(self._C1, col, t), self._eval(self._C2, col, t)

    # ----- the interpolated sums ------------------------------------------------------------------
    def _sums_np(self, rho: np.ndarray, p: int, q: int, task: Task) -> np.ndarray:
        if not task.is_isotropic or (p, q) not in ((1, 1), (1, 2)) or rho.size == 0:
            return self.base._sums_np(rho, p, q, task)
        out = np.empty_like(rho)
        pos = rho > 0
        if not np.all(pos):
            out[~pos] = self.base._sums_np(rho[~pos], p, q, task)
        r = rho[pos]
        if r.size:
            # the solvers ask for (1, 1) and (1, 2) at the same rho in turn: keep the last pair
            last = self._last
            if last is not None and last[0].shape == r.shape and np.array_equal(last[0], r):
                l1, l2 = last[1], last[2]
            else:
                l1, l2 = self.log_sums(r)
                self._last = (r.copy(), l1, l2)
            out[pos] = np.exp(l1) if (p, q) == (1, 1) else np.exp(l2) / r
        return out
