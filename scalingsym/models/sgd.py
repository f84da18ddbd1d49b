"""One-pass (online) SGD of the random-feature model: the Volterra equation of its expected test loss.

Model: the conventions of :mod:`scalingsym.models.dynamics` at ``P = inf`` (latent ``psi ~ N(0, Lambda)``,
teacher ``y = w* . psi``, student ``f = theta . A psi / sqrt(N)``, ``A_ik ~ N(0, 1)``, ``theta_0 = 0``,
test loss ``L = E (f - y)^2``). Each step draws a fresh batch of ``B`` samples and takes a step ``eta`` on
the batch loss ``(1/2B) sum_b (f_b - y_b)^2``; ``t = eta r`` after ``r`` steps is the gradient-flow time of
:class:`~scalingsym.models.dynamics.GradientFlowRF`.

**Derivation (exact given ``A``, Gaussian data).** The error ``v = w* - A^T theta/sqrt(N)`` obeys
``v <- (I - eta F Sigma_b) v`` with ``F = A^T A/N`` and ``Sigma_b`` the batch covariance. In
``u = Lambda^{1/2} v`` and with ``K = Lambda^{1/2} F Lambda^{1/2}`` (eigenpairs ``mu_i, e_i``), Wick's theorem
``E[psi psi^T Q psi psi^T] = 2 Lambda Q Lambda + Lambda tr(Lambda Q)`` gives for ``Q = E u u^T``
``Q <- (I - eta K) Q (I - eta K) + (eta^2/B)(K Q K + K^2 tr Q)``. The diagonal ``q_i = e_i^T Q e_i`` closes:
``q_i <- rho_i q_i + (eta^2/B) mu_i^2 L`` with ``rho(mu) = (1 - eta mu)^2 + eta^2 mu^2/B``. Hence

.. math:: L(r) = F(r) + \\frac{\\eta^2}{B}\\sum_{r'=0}^{r-1} K(r - 1 - r')\\,L(r'),\\qquad
          F(r) = \\sum_i q_i(0)\\,\\rho_i^{\\,r},\\quad K(j) = \\sum_i \\mu_i^2\\,\\rho_i^{\\,j},

with ``q_i(0) = (e_i . Lambda^{1/2} w*)^2``. **Deterministic equivalent.** Both sums are spectral integrals
of ``K``; their resolvents are those of the gradient-flow model, ``m_F(s) = u_0^T (s + K)^{-1} u_0 =
kt h(kt)/s`` and ``sum_i mu_i^2/(mu_i + s) = tr Lambda - s df(kt)`` with ``s = kt (1 - df(kt)/N)``
(:func:`~scalingsym.core.resolvent.solve_rho_complex`, ``P = inf``). The z-transform
``Lhat(zeta) = sum_r L(r) zeta^-r`` solves the Volterra equation algebraically,
``Lhat = zeta S_F / (1 - (eta^2/B) S_K)`` with ``S_X(zeta) = sum_i x_i/(zeta - rho_i)``; since
``zeta - rho(mu) = -c eta^2 (mu - mu_1)(mu - mu_2)`` (``c = 1 + 1/B``), partial fractions give
``S_F = -(m_F(-mu_1) - m_F(-mu_2)) / (c eta^2 (mu_1 - mu_2))`` and
``S_K = -(mu_1 df_1 - mu_2 df_2) / (c eta^2 (mu_1 - mu_2))``. ``L(r)`` is the inverse z-transform: on the
circle ``|zeta| = R`` (trapezoid rule) for ``r < 10`` and, for ``r >= 10``, as the inverse Laplace transform
of ``Lhat(e^p)`` in ``p`` at "time" ``r`` by fixed Talbot (the contour stays inside ``|Im p| < pi``, so it
encloses exactly the real singularities ``log rho`` in ``[-log(B+1), 0]``).

**Stability.** ``rho(mu) < 1`` on the spectrum of ``K`` needs ``mu_max < 2/(c eta)``; the Volterra
series converges iff ``||K|| = (eta^2/B) sum_i mu_i^2/(1 - rho_i) = (eta/B) sum_i mu_i/(2 - c eta mu_i) < 1``;
in the deterministic equivalent ``||K|| = -df(kt(-2/(c eta)))/(B + 1)`` (real ``kt`` below the spectrum)
and ``mu_max`` is the edge ``-max s(kt)`` of the same equation. :meth:`OnlineSGD.max_lr` is the largest
``eta`` meeting both; beyond it a :class:`~scalingsym.core.errors.ParameterError` names ``lr``.

**Map to 4+3 phases (Paquette et al.).** Their ``d, 2 alpha, 2 alpha + 2 beta`` are ``N, b, a``; their step
``gamma`` on the batch *sum* is ``eta / B``; their risk is ``L/2``. ``F_0 = F(inf) = sigma^2(N)`` is the weight
of ``u_0`` on the null space of ``K`` (``rho = 1``); ``F_pp`` and ``F_ac`` are the parts of ``F(r) - F_0``
from the pure-point (near ``lambda_k``) and absolutely continuous (near ``0``) parts of the ``u_0``-weighted
spectral measure of ``K``; ``K_pp`` is the pure-point part of ``K(j)`` and their ``gamma^2 B`` prefactor
is our ``eta^2 / B``; their ``||K||`` is ours. Gradient-flow limit: ``-log rho(mu) = 2 eta mu + O(eta^2)``
so at fixed ``t = eta r`` and ``eta -> 0``, ``L(r) -> GradientFlowRF.loss_curve(t, N, P=inf)`` with an
``O(eta)`` error. This is the large-``N`` deterministic equivalent (finite-size corrections
``O(1/N)``, as for gradient flow).

Examples
--------
>>> import numpy as np
>>> from scalingsym.core.spectra import PowerLaw
>>> from scalingsym.core.tasks import Task
>>> sgd = OnlineSGD(PowerLaw(alpha=0.5, M=200), Task.power(0.5))
>>> curve = sgd.loss_curve([0, 1, 100], N=64, B=8, lr=0.5)
>>> bool(curve.test_loss[0] == sgd.total) and bool(curve.test_loss[2] < curve.test_loss[1])
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import brentq

from ..core.errors import ConvergenceError, ParameterError
from ..core.laplace import talbot_contour
from ..core.resolvent import solve_rho_complex
from ..core.spectra import Spectrum
from ..core.tasks import Task
from .dynamics import GradientFlowRF

__all__ = ["OnlineSGD", "SGDCurve", "check_batch", "check_lr", "schedule_loss_curve", "multipass_loss_curve",
           "plrf_frontier"]

_TALBOT_NODES = 24
_TALBOT_MIN_STEP = 10  # fixed Talbot with 24 nodes stays in |Im p| < pi for r > 9.2
_CIRCLE_NODES = 64


@dataclass
class SGDCurve:
    """Deterministic-equivalent test loss at the steps ``r`` (``t = lr * r``)."""

    steps: np.ndarray
    t: np.ndarray
    test_loss: np.ndarray
    N: float
    B: int
    lr: float
    kernel_norm: float


def check_batch(B: Any) -> int:
    """The batch size as an int ``>= 1`` or a ParameterError naming ``B``."""
    try:
        b = float(B)
    except (TypeError, ValueError):
        raise ParameterError(f"B (batch size) must be a positive integer; got {B!r}") from None
    if not (math.isfinite(b) and b >= 1 and b == int(b)):
        raise ParameterError(f"B (batch size) must be a positive integer; got {B!r}")
    return int(b)


def check_lr(lr: Any) -> float:
    """The learning rate as a finite float ``> 0`` or a ParameterError naming ``lr``."""
    try:
        x = float(lr)
    except (TypeError, ValueError):
        raise ParameterError(f"lr must be a finite number > 0; got {lr!r}") from None
    if not (math.isfinite(x) and x > 0):
        raise ParameterError(f"lr must be a finite number > 0; got {lr!r}")
    return x


def _steps(r: Any) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(r, dtype=np.float64)).ravel()
    if arr.size == 0 or np.any(~np.isfinite(arr)) or np.any(arr < 0):
        raise ParameterError(f"steps must be finite numbers >= 0; got {r}")
    return arr


class OnlineSGD:
    """One-pass SGD on the spectrum / task of the core (see the module docstring).

    Parameters
    ----------
    spectrum : Spectrum
        ``lambda_k``.
    task : Task, optional
        Teacher ``w2_k`` (task power ``lambda_k w2_k``); default isotropic.
    """

    def __init__(self, spectrum: Spectrum, task: Task | None = None) -> None:
        self.flow = GradientFlowRF(spectrum, task)
        self.spectrum = spectrum
        self.task = self.flow.task
        self.total = self.flow.total
        self.trace = float(spectrum.sums(0.0, 1, 0))
        if not math.isfinite(self.trace):
            raise ParameterError("one-pass SGD needs a summable spectrum (finite tr Lambda)")
        self.lam_max = float(np.max(spectrum.eigenvalues(1)))

    @classmethod
    def from_exponents(cls, a: float, b: float, M: float = math.inf) -> OnlineSGD:
        """Task power ``k^-a``, spectrum ``k^-b`` (the conventions of :meth:`GradientFlowRF.from_exponents`)."""
        g = GradientFlowRF.from_exponents(a, b, M)
        return cls(g.spectrum, g.task)

    # ----- real branch below the spectrum -----------------------------------------------------
    def _df_real(self, kt: float) -> float:
        return float(np.real(self.spectrum.sums_complex(np.array([kt + 0j]), 1, 1)[0]))

    def _s_real(self, kt: float, N: float) -> float:
        return kt * (1.0 - (0.0 if math.isinf(N) else self._df_real(kt) / N))

    def _edge_kt(self, N: float) -> float:
        """``kt*`` maximising ``s(kt)`` on ``kt < -lambda_max`` (the edge of the spectrum of ``K``)."""
        lm = self.lam_max
        if math.isinf(N):
            return -lm

        def ds(kt):  # d s / d kt = 1 - df/N - kt df'/N, df' = -sum lambda/(lambda+kt)^2
            d1 = self._df_real(kt)
            d1p = -float(np.real(self.spectrum.sums_complex(np.array([kt + 0j]), 1, 2)[0]))
            return 1.0 - d1 / N - kt * d1p / N

        hi = -2.0 * lm
        while ds(hi) <= 0:
            hi *= 2.0
            if hi < -1e12 * lm:
                raise ConvergenceError("could not bracket the spectral edge of K")
        # ds -> 1 far below the spectrum, ds -> -inf next to the pole at -lambda_max
        delta = 0.5
        while ds(-lm * (1.0 + delta)) >= 0:
            delta *= 0.1
            if delta < 1e-14:
                raise ConvergenceError("could not bracket the spectral edge of K")
        a = -lm * (1.0 + delta)
        return brentq(ds, hi, a, xtol=1e-15 * lm, rtol=1e-14)

    def edge(self, N: Any) -> float:
        """Top edge ``mu_max`` of the deterministic-equivalent spectrum of ``K = Lambda^{1/2} F Lambda^{1/2}``."""
        N = float(N)
        return -self._s_real(self._edge_kt(N), N)

    def _kt_below(self, s0: float, N: float) -> float:
        """Real ``kt < kt*`` with ``s(kt) = s0`` for ``s0 < -mu_max``."""
        if math.isinf(N):
            return s0
        kts = self._edge_kt(N)
        lo = min(s0, kts) * 2.0
        while self._s_real(lo, N) > s0:
            lo *= 2.0
        return brentq(lambda k: self._s_real(k, N) - s0, lo, kts, xtol=1e-15 * abs(s0), rtol=1e-14)

    def kernel_norm(self, lr: Any, B: Any, N: Any) -> float:
        """``||K|| = (eta/B) sum_i mu_i/(2 - c eta mu_i)`` (deterministic equivalent); ``inf`` past the edge."""
        eta, B, N = check_lr(lr), check_batch(B), float(N)
        c = 1.0 + 1.0 / B
        x0 = 2.0 / (c * eta)
        if x0 <= self.edge(N):
            return math.inf
        return -self._df_real(self._kt_below(-x0, N)) / (B + 1.0)

    def max_lr(self, B: Any, N: Any) -> float:
        """The largest stable learning rate: ``min(eta : ||K|| = 1, 2 B/((B + 1) mu_max))``."""
        B, N = check_batch(B), float(N)
        c = 1.0 + 1.0 / B
        mu = self.edge(N)
        eta_edge = 2.0 / (c * mu)
        kts = self._edge_kt(N)
        # ||K|| along the real branch kt < kt*: -df(kt)/(B+1), increasing to its value at the edge
        end = kts * (1 + 1e-13)
        norm_edge = -self._df_real(end) / (B + 1.0)
        if norm_edge <= 1.0:
            return eta_edge
        lo = kts * 2.0
        while -self._df_real(lo) / (B + 1.0) > 1.0:
            lo *= 2.0
        kt1 = brentq(lambda k: -self._df_real(k) / (B + 1.0) - 1.0, lo, end, rtol=1e-14)
        return 2.0 / (c * -self._s_real(kt1, N))

    def check_stable(self, lr: Any, B: Any, N: Any) -> float:
        """Return ``||K||`` or raise a ParameterError naming ``lr`` and the bound when ``lr >= max_lr``."""
        eta = check_lr(lr)
        bound = self.max_lr(B, N)
        if eta >= bound:
            raise ParameterError(
                f"lr = {eta:g} is not stable for B = {int(B)}, N = {float(N):g}: one-pass SGD needs lr < "
                f"{bound:.6g} (the largest stable learning rate: ||K|| < 1 and rho(mu_max) < 1)"
            )
        return self.kernel_norm(eta, B, N)

    # ----- the z-transform ----------------------------------------------------------------------
    def _kt_at(self, s: np.ndarray, N: float) -> np.ndarray:
        """``kt(s)`` at complex ``s`` off the cut, by continuation along arcs ``|s| e^{i phi}`` from ``|s|``."""
        flat = np.asarray(s, dtype=np.complex128).ravel()
        ang = np.angle(flat)
        ang = np.where(np.abs(ang) >= np.pi, np.pi, ang)
        J = 12
        frac = np.linspace(0.0, 1.0, J + 1)
        paths = np.abs(flat)[:, None] * np.exp(1j * ang[:, None] * frac[None, :])
        paths[:, 0] = np.abs(flat)
        kt = solve_rho_complex(self.spectrum, paths, N, math.inf)[:, -1]
        return kt.reshape(np.shape(s))

    def transform(self, zeta: Any, N: Any, B: Any, lr: Any) -> np.ndarray:
        """``Lhat(zeta) = sum_r L(r) zeta^-r`` at complex ``zeta`` outside the singular set (float ``N``)."""
        z = np.asarray(zeta, dtype=np.complex128)
        return self._transform(z, z - 1.0, N, B, lr)

    def transform_log(self, p: Any, N: Any, B: Any, lr: Any) -> np.ndarray:
        """``Lhat(e^p)``, with ``e^p - 1`` computed by ``expm1`` (no cancellation near ``p = 0``)."""
        p = np.asarray(p, dtype=np.complex128)
        return self._transform(np.exp(p), np.expm1(p), N, B, lr)

    def _transform(self, z: np.ndarray, zm1: np.ndarray, N: Any, B: Any, lr: Any) -> np.ndarray:
        eta, B, N = check_lr(lr), check_batch(B), float(N)
        c = 1.0 + 1.0 / B
        # roots of rho(mu) = zeta, written without cancellation: mu_1 -> 0 as zeta -> 1
        root = np.sqrt(1.0 + c * zm1)
        mu1 = -zm1 / (eta * (1.0 + root))
        mu2 = (1.0 + root) / (c * eta)
        s = np.stack([-mu1, -mu2])
        kt = self._kt_at(s, N)
        df = self.spectrum.sums_complex(kt, 1, 1)
        h = self.spectrum.sums_complex(kt, 1, 1, self.task)
        mF = kt * h / s
        den = c * eta**2 * (mu1 - mu2)
        SF = -(mF[0] - mF[1]) / den
        SK = -(mu1 * df[0] - mu2 * df[1]) / den
        return z * SF / (1.0 - eta**2 / B * SK)

    # ----- loss curve ---------------------------------------------------------------------------
    def loss_curve(self, steps: Any, N: Any, B: Any, lr: Any, check: bool = True) -> SGDCurve:
        """Expected test loss after ``steps`` SGD steps (deterministic equivalent, float64).

        Parameters
        ----------
        steps : array_like
            Step counts ``>= 0`` (integers for the discrete process; the Talbot branch ``r >= 10``
            interpolates smoothly between integers).
        N : float
            Model size (``inf`` allowed).
        B : int
            Batch size.
        lr : float
            Step size ``eta`` on the batch loss ``(1/2B) sum (f - y)^2``; must be below :meth:`max_lr`.
        """
        rr = _steps(steps)
        eta, B = check_lr(lr), check_batch(B)
        if not (float(N) > 0):
            raise ParameterError(f"N must be a number > 0 or inf; got {N}")
        N = float(N)
        norm = self.check_stable(eta, B, N) if check else float("nan")
        out = np.full(rr.size, self.total)
        small = (rr > 0) & (rr < _TALBOT_MIN_STEP)
        big = rr >= _TALBOT_MIN_STEP
        if np.any(small):
            if np.any(rr[small] != np.round(rr[small])):
                raise ParameterError("steps below 10 must be integers (the process is discrete)")
            n = _CIRCLE_NODES
            R = 10.0 ** (12.0 / n)
            phi = 2.0 * np.pi * np.arange(n // 2 + 1) / n
            zh = R * np.exp(1j * phi)
            Lh = self.transform(zh, N, B, eta)
            full = np.concatenate([Lh, np.conj(Lh[-2:0:-1])])
            coef = np.fft.ifft(full)  # (1/n) sum_j Lhat_j e^{2 pi i j r / n}
            r_int = rr[small].astype(np.int64)
            out[small] = np.real(coef[r_int]) * R ** r_int
        if np.any(big):
            p, w = talbot_contour(rr[big], _TALBOT_NODES)
            G = self.transform_log(p, N, B, eta)
            out[big] = np.real(np.sum(w * G, axis=1))
        return SGDCurve(rr, eta * rr, out, N, B, eta, norm)


    def compute_optimal_frontier(self, f: Any, B: Any, lr: Any, N_grid: Any = None) -> dict:
        """Numerical compute-optimal frontier of one-pass SGD: ``min_N L(r = f/N; N)`` for each compute ``f``.

        Compute is ``f = N r`` (parameters x steps at a fixed batch ``B``; samples seen are ``B r``, which only
        rescales ``f``). For each ``N`` of ``N_grid`` (default ``logspace(1, 5.5, 46)``) the loss curve is evaluated
        at every ``r = f/N >= 10``; the minimum over ``log N`` is refined by a parabola through the three grid points
        around it. A minimum on the edge of the grid raises :class:`~scalingsym.core.errors.ConvergenceError`.

        Returns
        -------
        dict
            ``f``, ``N_opt``, ``L_opt`` and, for more than one ``f``, the local exponents ``xi_local``
            (``d log N* / d log f``) and ``eta_local`` (``-d log L* / d log f``) between consecutive ``f``.

        Examples
        --------
        >>> m = OnlineSGD.from_exponents(a=1.8, b=1.4)          # PLRF alpha = 0.7, beta = 0.2 (phase I)
        >>> fr = m.compute_optimal_frontier([1e5, 1e6], B=8, lr=0.5)
        >>> bool(0.38 < fr["xi_local"][0] < 0.46)               # derived: xi = 5/12
        True
        """
        fs, grid = _frontier_inputs(f, N_grid)
        eta, B = check_lr(lr), check_batch(B)
        self.check_stable(eta, B, float(grid.min()))
        return _frontier_from_grid(lambda n, r: self.loss_curve(r, n, B, eta).test_loss, fs, grid)


def _frontier_inputs(f: Any, N_grid: Any) -> tuple[np.ndarray, np.ndarray]:
    fs = np.atleast_1d(np.asarray(f, dtype=np.float64))
    if fs.ndim != 1 or fs.size == 0 or np.any(~np.isfinite(fs)) or np.any(fs <= 0):
        raise ParameterError("f must be finite numbers > 0")
    grid = np.logspace(1, 5.5, 46) if N_grid is None else np.asarray(N_grid, dtype=np.float64)
    if grid.ndim != 1 or grid.size < 3 or np.any(~(grid > 0)) or np.any(~np.isfinite(grid)) \
            or np.any(np.diff(np.log(grid)) <= 0):
        raise ParameterError("N_grid must hold >= 3 increasing finite numbers > 0")
    return fs, grid


def _frontier_from_grid(curve, fs: np.ndarray, grid: np.ndarray) -> dict:
    """``min_N`` of ``curve(N, r)`` at ``r = f/N >= 10`` on ``grid``, refined by a parabola in ``log N``."""
    L = np.full((grid.size, fs.size), np.nan)
    for i, n in enumerate(grid):
        r = fs / n
        ok = r >= _TALBOT_MIN_STEP
        if np.any(ok):
            L[i, ok] = curve(float(n), r[ok])
    lx = np.log(grid)
    Nopt, Lopt = np.empty_like(fs), np.empty_like(fs)
    for j in range(fs.size):
        col = np.log(L[:, j])
        if not np.any(np.isfinite(col)):
            raise ConvergenceError(f"no N of N_grid has f/N >= 10 at f = {fs[j]:g}; give a larger f")
        k = int(np.nanargmin(col))
        if k in (0, grid.size - 1) or not (np.isfinite(col[k - 1]) and np.isfinite(col[k + 1])):
            raise ConvergenceError(f"compute-optimal N at f = {fs[j]:g} is on the edge of N_grid; widen it")
        qa, qb, qc = np.polyfit(lx[k - 1 : k + 2], col[k - 1 : k + 2], 2)  # the parabola through three points
        Nopt[j] = math.exp(-qb / (2 * qa))
        Lopt[j] = math.exp(qc - qb**2 / (4 * qa))
    out = {"f": fs, "N_opt": Nopt, "L_opt": Lopt}
    if fs.size > 1:
        lf = np.log(fs)
        out["xi_local"] = np.diff(np.log(Nopt)) / np.diff(lf)
        out["eta_local"] = -np.diff(np.log(Lopt)) / np.diff(lf)
    return out


def plrf_frontier(alpha: Any, beta: Any, f: Any, B: Any = 8, lr_fraction: float = 0.5, hidden_ratio: float = 10.0,
                  N_grid: Any = None) -> dict:
    """Numerical compute-optimal frontier of one-pass SGD on the PLRF model ``(alpha, beta)``, every phase.

    ``lambda_j = j^-2alpha`` (``b = 2 alpha``), task power ``j^-(2 alpha + 2 beta)``. For ``2 alpha > 1`` the hidden
    dimension is infinite and the step is ``lr = lr_fraction * max_lr(B, oo)`` for every ``N``
    (:meth:`OnlineSGD.compute_optimal_frontier`). For ``2 alpha <= 1`` the spectrum is summable only at a finite
    hidden dimension: ``M = hidden_ratio * N`` (4+3's ``v = 10 d``) and ``lr = lr_fraction * max_lr(B, N)``, which
    scales as ``1 / tr Lambda ~ N^-(1 - 2 alpha)`` (4+3's step normalised by the trace).

    Returns
    -------
    dict
        As :meth:`OnlineSGD.compute_optimal_frontier`, plus ``setup``.

    Examples
    --------
    >>> fr = plrf_frontier(0.4, 0.3, [1e6, 1e7], N_grid=np.logspace(1, 4.5, 36))
    >>> bool(0.45 < fr["xi_local"][0] < 0.56)
    True
    """
    from ..core.expressions import parse_exact_number

    al = float(parse_exact_number(alpha, "alpha"))
    be = float(parse_exact_number(beta, "beta"))
    if not (1e-3 <= al <= 50 and 0 < be <= 50):
        raise ParameterError(f"alpha must be in [0.001, 50] and beta in (0, 50]; got alpha = {alpha}, beta = {beta}")
    if not (0 < float(lr_fraction) < 1):
        raise ParameterError(f"lr_fraction must be in (0, 1); got {lr_fraction}")
    if not (1 <= float(hidden_ratio) <= 1e3):
        raise ParameterError(f"hidden_ratio must be in [1, 1000]; got {hidden_ratio}")
    B = check_batch(B)
    a, b = 2 * al + 2 * be, 2 * al
    if 2 * al > 1:
        model = OnlineSGD.from_exponents(a, b)
        out = model.compute_optimal_frontier(f, B, lr_fraction * model.max_lr(B, math.inf), N_grid)
        out["setup"] = f"M = oo, B = {B}, lr = {lr_fraction:g} max_lr(B, oo)"
        return out
    fs, grid = _frontier_inputs(f, N_grid)
    if float(grid.max()) * hidden_ratio > 5e7:
        raise ParameterError(f"N_grid * hidden_ratio must stay <= 5e7 modes; got {float(grid.max()) * hidden_ratio:g}")

    def curve(n: float, r: np.ndarray) -> np.ndarray:
        m = OnlineSGD.from_exponents(a, b, M=round(hidden_ratio * n))
        return m.loss_curve(r, n, B, lr_fraction * m.max_lr(B, n)).test_loss

    out = _frontier_from_grid(curve, fs, grid)
    out["setup"] = f"M = {hidden_ratio:g} N, B = {B}, lr = {lr_fraction:g} max_lr(B, N) (~ N^-(1 - 2 alpha))"
    return out


def multipass_loss_curve(model: OnlineSGD, steps: Any, N: Any, P: Any, B: Any, lr: Any) -> SGDCurve:
    """Multi-pass SGD on ``P`` fixed samples (data reuse): a stated approximation, not a closed equation.

    ``L(r) ~ L_GF(t; N, P) + [L_SGD(r; N, B, lr) - L_GF(t; N, P = inf)]`` at ``t = lr r``: the gradient-flow
    deterministic equivalent on ``P`` samples (:meth:`GradientFlowRF.loss_curve`) plus the SGD-noise excess of
    one-pass SGD (:meth:`OnlineSGD.loss_curve`) over its own gradient-flow limit. It is exact in both limits
    where a deterministic equivalent closes: ``P = inf`` (one-pass SGD) and ``lr -> 0`` at fixed ``t`` (gradient
    flow on ``P`` samples, the excess is ``O(lr)``). In between it treats the SGD noise as that of fresh data;
    with reuse the noise is driven by the *training* loss, which falls below the test loss, so the excess is
    overestimated where the model nears interpolation (``P`` close to ``N``). Measured against
    :func:`~scalingsym.simulate.sgd.simulate_multipass_sgd` (``a = 2, b = 1.5, M = 512``, 16 seeds,
    ``r = 10..1e4``): relative error <= 6 % at ``(N, P, B, lr) = (128, 512, 8, 0.5)``, ``(256, 128, 8, 0.5)``,
    ``(128, 2048, 16, 1.0)``; up to 12 % at ``(128, 256, 32, 1.5)``; up to 43 % at ``(128, 256, 4, 1.0)``
    (``lr`` at 0.83 of the stability edge). The gradient-flow term alone is off by 6-67 % on the same runs.

    Examples
    --------
    >>> from scalingsym.core.spectra import PowerLaw
    >>> from scalingsym.core.tasks import Task
    >>> sgd = OnlineSGD(PowerLaw(alpha=0.5, M=200), Task.power(0.5))
    >>> a = multipass_loss_curve(sgd, [100], N=64, P=math.inf, B=8, lr=0.5).test_loss
    >>> bool(a[0] == sgd.loss_curve([100], N=64, B=8, lr=0.5).test_loss[0])
    True
    """
    try:
        Pf = float(P)
    except (TypeError, ValueError):
        raise ParameterError(f"P (training samples) must be a number > 0 or inf; got {P!r}") from None
    if not Pf > 0:
        raise ParameterError(f"P (training samples) must be a number > 0 or inf; got {P!r}")
    Bi = check_batch(B)
    if Bi > Pf:
        raise ParameterError(f"B (batch size) must be <= P (training samples); got B={Bi}, P={Pf:g}")
    one = model.loss_curve(steps, N, Bi, lr)
    if math.isinf(Pf):
        return one
    gf = GradientFlowRF(model.spectrum, model.task)
    finite = gf.loss_curve(one.t, N, Pf).test_loss
    flow = gf.loss_curve(one.t, N, math.inf).test_loss
    return SGDCurve(one.steps, one.t, finite + one.test_loss - flow, one.N, one.B, one.lr, one.kernel_norm)


def _schedule_rates(lr: Any, total: int) -> np.ndarray:
    rates = np.array([float(lr(r)) for r in range(total)]) if callable(lr) else np.full(total, check_lr(lr))
    if rates.size and (np.any(~np.isfinite(rates)) or np.any(rates <= 0)):
        raise ParameterError("lr(r) must be a finite number > 0 at every step")
    return rates


def schedule_loss_curve(
    model: OnlineSGD, steps: Any, N: Any, B: Any, lr: Any, *, rel: float = 3e-3, max_steps: int = 200_000
) -> SGDCurve:
    """Deterministic-equivalent loss for a step-dependent learning rate ``lr(r)`` (e.g. a power-law schedule).

    With ``eta_r`` varying the Volterra kernel is no longer a convolution, so the per-mode recursion
    ``q(mu) <- rho_r(mu) q(mu) + (eta_r^2/B) mu^2 L`` is run on a discretised deterministic-equivalent spectral
    measure of ``K``: the ``u_0``-weighted and ``mu^2``-weighted densities are ``Im m(-x - i eps x)/pi`` on a
    log grid of ``x`` up to the edge (Stieltjes inversion, ``m_F = kt h/s`` and ``tr Lambda - s df``), plus the
    null-space atom ``sigma^2(N)`` at ``mu = 0``. The smoothing error is first order in ``eps``; two runs at
    ``eps = rel`` and ``rel/3`` are Richardson-extrapolated. At constant ``lr`` this agrees with the exact
    z-transform solution (:meth:`OnlineSGD.loss_curve`) to ``~1e-4`` relative (tested). Each ``eta_r`` must be
    below :meth:`OnlineSGD.max_lr`.

    Examples
    --------
    >>> from scalingsym.core.spectra import PowerLaw
    >>> m = OnlineSGD(PowerLaw(alpha=0.5, M=100))
    >>> c = schedule_loss_curve(m, [0, 50], 32, 4, lambda r: 0.5 * (1 + r / 10) ** -0.5)
    >>> bool(c.test_loss[1] < c.test_loss[0])
    True
    """
    rr = _steps(steps)
    if np.any(rr != np.round(rr)) or rr.max() > max_steps:
        raise ParameterError(f"steps must be integers in [0, {max_steps}] for a schedule; got {steps}")
    B, N = check_batch(B), float(N)
    total = int(rr.max())
    rates = _schedule_rates(lr, total)
    if rates.size:
        bound = model.max_lr(B, N)
        if rates.max() >= bound:
            raise ParameterError(
                f"lr = {rates.max():g} (the largest lr(r)) is not stable for B = {B}, N = {N:g}: one-pass SGD "
                f"needs lr < {bound:.6g}"
            )
    edge = model.edge(N)
    sig2 = model.flow.sigma2(N)
    runs = []
    for eps in (rel, rel / 3.0):
        x = np.geomspace(1e-10 * edge, edge * 1.02, int(np.log(1.02e10) / eps * 0.5))
        s = -x - 1j * eps * x
        kt = model._kt_at(s, N)
        df = model.spectrum.sums_complex(kt, 1, 1)
        h = model.spectrum.sums_complex(kt, 1, 1, model.task)
        wts = np.gradient(np.log(x)) * x / np.pi
        qF = np.imag(kt * h / s) * wts
        qK = np.imag(-s * df) * wts
        out = np.empty(rr.size)
        order = np.argsort(rr)
        q, j = qF.copy(), 0
        for r in range(total + 1):
            L = float(q.sum()) + sig2
            while j < rr.size and rr[order[j]] == r:
                out[order[j]] = L
                j += 1
            if r == total:
                break
            e = rates[r]
            q = ((1 - e * x) ** 2 + e**2 * x**2 / B) * q + (e**2 / B) * qK * L
        runs.append(out)
    loss = (3.0 * runs[1] - runs[0]) / 2.0
    loss = np.where(rr == 0, model.total, loss)
    t = np.concatenate([[0.0], np.cumsum(rates)])[rr.astype(np.int64)]
    return SGDCurve(rr, t, loss, N, B, float(rates[0]) if rates.size else float("nan"), float("nan"))
