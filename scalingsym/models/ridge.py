"""The random-feature ridge model of Maloney-Roberts-Sully and Zhang at any ridge ``gamma >= 0``.

Canonical convention: :mod:`scalingsym.core.symbols`. Formulas: ``static_rf_ridge.md`` B1-B2. This layer
holds only the observables; the spectral sums come from :mod:`scalingsym.core.spectra` and the renormalised
ridge ``rho`` from :mod:`scalingsym.core.resolvent` (static ridge = regulariser ``s = gamma_bar/(N T)``).

* (B1a) ``rho (N - d1)(T - d1) = gamma_bar``, ``gamma_bar = gamma / u_var``;
* (B1b) ``L = w_var/2 * rho N T (d1 - d2) / ((N - d1)(T - d1) + (d1 - d2)(N + T - 2 d1))``
  for the isotropic teacher; a general teacher (task weights ``w2_k``) uses the two-point
  deterministic equivalent at ``s1 = s2 = s`` (``dynamics_and_regimes.md`` B4), which reduces to
  (B1b) for the isotropic teacher (checked in the tests to machine precision);
* (B2) ridgeless: ``L = w_var/2 * n rho_0 / (1 - n/m)`` derived from (B1) by a one-sided limit
  (:func:`derive_ridgeless`), ``+inf`` at ``N = T < M``, ``0`` once ``min(N, T) >= M``.

These are large-``N``, ``T`` deterministic equivalents (exact finite-``M`` sums); finite-size
corrections are ``O(1/min(N, T))``.

Examples
--------
>>> from scalingsym import PowerLaw, RandomFeatureRidge
>>> model = RandomFeatureRidge(PowerLaw(alpha=1, M=1000))
>>> sol = model.solve(N=100, T=400, gamma=0.0)
>>> round(float(sol.loss / (model.w_var / 2 * 100 * sol.rho / (1 - 100 / 400))), 12)
1.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from ..core import symbols as S
from ..core.errors import ConvergenceError, ParameterError, check_precision, check_ridge, check_size
from ..core.fastsums import InterpolatedSpectrum
from ..core.resolvent import solve_rho, solve_rho_mp
from ..core.spectra import Spectrum
from ..core.tasks import Task
from . import compiled_observables

# ----------------------------------------------------------------------------- symbolic layer ----
#: (B1a)
SADDLE = sp.Eq(S.rho * (S.N - S.d1) * (S.T - S.d1), S.gamma_bar)
#: inner quantities of the two-point deterministic equivalent at ``s1 = s2`` (``dynamics_and_regimes.md`` B4):
#: ``1 - d2/N = d kappa / d rho``, the inner renormalised ridge ``kappa`` and the data-side gain ``gamma_T``
_A2 = 1 - S.d2 / S.N
_KAPPA = S.rho * (1 - S.d1 / S.N)
GAMMA_T = (S.d1 - (1 - S.d1 / S.N) * (S.d1 - S.d2) / _A2) / S.T
#: the test loss for a general teacher (task weights ``w2_k`` through the sums ``A_w, B_w`` and ``sigma_N2``),
#: against the noiseless target; label noise of variance ``sigma_eps2`` on the training labels adds
#: ``sigma_eps2/2 * gamma_T / (1 - gamma_T)``
LOSS_GENERAL = S.w_var / 2 * (
    (S.rho * S.A_w - S.sigma_N2 - _KAPPA * S.B_w / _A2 + S.sigma_N2 * GAMMA_T) / (1 - GAMMA_T) + S.sigma_N2
) + S.sigma_eps2 / 2 * GAMMA_T / (1 - GAMMA_T)
#: the isotropic teacher (``w2_k = 1``: ``A_w = d1``, ``B_w = d2``) without noise: (B1b), obtained by substitution;
#: ``sigma_N2`` drops out identically
LOSS_B1B = sp.factor(sp.cancel(LOSS_GENERAL.subs({S.A_w: S.d1, S.B_w: S.d2, S.sigma_eps2: 0})))
#: bias of the mean predictor, ``w_var/2 * rho^2 sum w2 lambda/(lambda+rho)^2``; isotropic ``w_var/2 rho (d1 - d2)``
BIAS_GENERAL = S.w_var / 2 * S.rho**2 * S.C_w
BIAS = BIAS_GENERAL.subs(S.C_w, (S.d1 - S.d2) / S.rho)
#: (B2) in the Delta notation of MRS
LOSS_RIDGELESS = S.w_var * S.Delta / (2 * (1 - S.n / S.m))

_iN, _iT, _e1 = sp.symbols("iN iT e1", nonnegative=True)


def _normalised(expr: sp.Expr) -> sp.Expr:
    """Rewrite an expression in ``1/N``, ``1/T`` and ``e1 = d1 - d2`` so ``N, T = inf`` evaluate."""
    out = expr.subs({S.d2: S.d1 - _e1}).subs({S.N: 1 / _iN, S.T: 1 / _iT})
    return sp.simplify(sp.cancel(out))


@lru_cache(maxsize=1)
def _gain_expr() -> sp.Expr:
    """The noise gain ``gamma_T / (1 - gamma_T)`` in ``1/N``, ``1/T`` and ``e1``."""
    return _normalised(GAMMA_T / (1 - GAMMA_T))


@lru_cache(maxsize=4)
def _compiled(module: str):
    """:data:`LOSS_GENERAL` (noiseless), :data:`BIAS_GENERAL` and the noise gain ``gamma_T/(1 - gamma_T)``
    compiled once per backend, in ``1/N``, ``1/T`` and ``e1`` so that ``N, T = inf`` evaluate."""
    loss = _normalised(LOSS_GENERAL.subs(S.sigma_eps2, 0))
    return (
        sp.lambdify((S.rho, S.d1, _e1, _iN, _iT, S.w_var, S.A_w, S.B_w, S.sigma_N2), loss, module),
        sp.lambdify((S.rho, S.w_var, S.C_w), BIAS_GENERAL, module),
        sp.lambdify((S.d1, _e1, _iN, _iT), _gain_expr(), module),
    )


@lru_cache(maxsize=1)
def _b1b_exprs() -> tuple[sp.Expr, sp.Expr]:
    """:data:`LOSS_B1B` and the isotropic :data:`BIAS` in ``1/N``, ``1/T`` and ``e1`` (simplified once)."""
    return _normalised(LOSS_B1B), _normalised(BIAS)


@lru_cache(maxsize=4)
def _compiled_b1b(module: str):
    """:data:`LOSS_B1B` and the isotropic :data:`BIAS` compiled once per backend (shared by every model), in
    ``1/N``, ``1/T`` and ``e1``."""
    loss, bias = _b1b_exprs()
    return (sp.lambdify((S.rho, S.d1, _e1, _iN, _iT, S.w_var), loss, module),
            sp.lambdify((S.rho, _e1, S.w_var), bias, module))


@dataclass(frozen=True)
class RidgelessLimit:
    """The ridgeless limit of (B1b) on one side of ``N = T``, derived symbolically."""

    side: str
    expr: sp.Expr
    steps: tuple[str, ...] = field(default=())


def derive_ridgeless() -> dict[str, RidgelessLimit]:
    """Derive (B2) from (B1) by the one-sided limit ``gamma_bar -> 0+``.

    On the branch ``d1 < n`` the saddle point gives ``n - d1 = eps -> 0+`` with
    ``gamma_bar = rho eps (m - n + eps)``; substituting into the second form of (B1b) and taking
    ``eps -> 0+`` gives the ridgeless loss. ``d2`` cancels, as it must.

    Returns
    -------
    dict
        ``"N<T"``, ``"N>T"``: expressions in ``rho`` (the ridgeless ``rho_0``), ``N``, ``T``;
        ``"N=T"``: ``oo``.

    Examples
    --------
    >>> lim = derive_ridgeless()
    >>> import sympy as sp
    >>> from scalingsym.core import symbols as S
    >>> sp.simplify(lim["N<T"].expr - S.w_var * S.N * S.T * S.rho / (2 * (S.T - S.N)))
    0
    """
    eps = S.epsilon
    # second form of (B1b): uses the saddle point to eliminate (N-d1)(T-d1)
    second = S.w_var / 2 * S.rho**2 * S.N * S.T * (S.d1 - S.d2) / (
        S.gamma_bar + S.rho * (S.d1 - S.d2) * (S.N + S.T - 2 * S.d1)
    )
    check = sp.simplify(
        LOSS_B1B.subs(S.gamma_bar, 0) - second.subs(S.gamma_bar, sp.solve(SADDLE, S.gamma_bar)[0])
    )
    if check != 0:  # pragma: no cover - a broken identity is a bug
        raise AssertionError("second form of (B1b) does not follow from (B1a)")
    out: dict[str, RidgelessLimit] = {}
    for side, n_, m_ in (("N<T", S.N, S.T), ("N>T", S.T, S.N)):
        sub = second.subs({S.d1: n_ - eps}).subs(S.gamma_bar, S.rho * eps * (m_ - n_ + eps))
        lim = sp.limit(sub, eps, 0, "+")
        # m - n > 0 on this side
        lim = sp.simplify(lim)
        out[side] = RidgelessLimit(
            side,
            lim,
            (
                f"d1 = {n_} - eps, gamma_bar = rho*eps*({m_} - {n_} + eps) from (B1a)",
                "limit eps -> 0+ of the second form of (B1b)",
            ),
        )
    # N = T = n: n - d1 = eps, gamma_bar = rho eps^2; d1 - d2 > 0 stays finite (write d2 = n - delta)
    delta = sp.Symbol("delta", positive=True)
    sub = second.subs({S.T: S.N}).subs({S.d1: S.N - eps, S.d2: S.N - delta}).subs(S.gamma_bar, S.rho * eps**2)
    out["N=T"] = RidgelessLimit(
        "N=T", sp.limit(sub, eps, 0, "+"), ("n - d1 = eps, gamma_bar = rho*eps^2, d2 = n - delta", "limit eps -> 0+")
    )
    return out


# ----------------------------------------------------------------------------- numeric layer -----
@dataclass
class RidgeSolution:
    """Solution of the ridge model at given ``(N, T, gamma)``: arrays (float64) or mpmath numbers."""

    N: Any
    T: Any
    gamma: Any
    gamma_bar: Any
    rho: Any
    d1: Any
    d2: Any
    loss: Any
    bias: Any
    variance: Any
    #: the part of ``loss`` that the training-label noise adds (0 without noise)
    noise: Any = 0.0

    def as_dict(self) -> dict[str, Any]:
        """All fields as a dict."""
        return dict(self.__dict__)


#: the largest normalised regulariser used in float64 (beyond it the loss is its gamma -> inf limit)
_S_MAX = 1e300
#: the largest relative error the float64 path accepts before it refuses a point
_MAX_REL_ERR = 1e-9
#: batches of at least this many points (isotropic task, float64) are solved on the interpolated spectrum
AUTO_FAST_MIN_POINTS = 4096


def _default_var(spec: Spectrum, value: float | None, name: str) -> float:
    if value is None:
        return 1.0 / spec.M if spec.finite else 1.0
    v = float(value)
    if not math.isfinite(v) or v <= 0:
        raise ParameterError(f"{name} must be a finite number > 0; got {value}")
    return v


class RandomFeatureRidge:
    """The MRS / Zhang linear random-feature ridge model on a spectrum.

    Parameters
    ----------
    spectrum : Spectrum
        The latent spectrum ``lambda_k``.
    task : Task, optional
        Teacher-weight variances (default isotropic, as in MRS and Zhang).
    w_var, u_var : float, optional
        ``Var(w_k)`` and ``Var(u_jk)``; default ``1/M`` for finite ``M`` (``sigma^2 = 1``) and ``1``
        for ``M = inf``.
    noise : float, optional
        Variance ``sigma_eps^2`` of independent Gaussian noise on the training labels (default 0). The test loss
        is measured against the noiseless target; it gains ``noise/2 * gamma_T / (1 - gamma_T)`` with
        ``gamma_T = (d1 - (1 - d1/N)(d1 - d2)/(1 - d2/N)) / T`` (the two-point deterministic equivalent,
        ``dynamics_and_regimes.md`` B4 at ``s1 = s2``; ridgeless ``N < T``: ``N/(T - N)``). ``loss(...,
        test_noise=True)`` adds the irreducible ``noise/2`` of noisy test labels.

    Notes
    -----
    Exact and fast paths: a batch of fewer than :attr:`auto_fast_min_points` points (default
    :data:`AUTO_FAST_MIN_POINTS` = 4096, counted after broadcasting) is solved on the exact spectral sums, as
    always. A larger batch with the isotropic teacher is solved on an
    :class:`~scalingsym.core.fastsums.InterpolatedSpectrum` of the same spectrum (one per model, built on first
    use; its verified panels are kept on disk; the compiled kernel of :mod:`scalingsym.core.fastkernel` when
    numba is installed): the sums then carry a relative error of at most ``1e-13`` (checked on every panel), and the
    loss agrees with the exact path to about ``1e-12`` relative (up to the conditioning of the point; the
    tests check ``1e-11`` on random points, the benchmark ``1e-10`` against 50 digits; the kernel starts each
    root along ``gamma`` from its neighbours', so the last bits of a point may depend on the batch). Set
    ``auto_fast_min_points = math.inf`` on a model to keep every batch exact. Where the representation
    cannot be built for a spectrum (its sums are not positive, or the panels miss their tolerance) the batch
    falls back to the exact sums. A model built on an
    :class:`~scalingsym.core.fastsums.InterpolatedSpectrum` (:func:`fast_ridge`) always uses it.

    Examples
    --------
    >>> from scalingsym.core.spectra import PowerLaw
    >>> m = RandomFeatureRidge(PowerLaw(alpha=1, M=200), noise=0.3)
    >>> round(float(m.solve(20, 80, 0.0).noise), 12)  # 0.15 * 20 / (80 - 20)
    0.05
    >>> import numpy as np
    >>> exact = RandomFeatureRidge(PowerLaw(alpha=1, M=10**4))
    >>> exact.auto_fast_min_points = math.inf
    >>> auto = RandomFeatureRidge(PowerLaw(alpha=1, M=10**4))
    >>> N = np.logspace(1, 3, 5000)
    >>> a, b = auto.loss(N, 2000.0, 1e-3), exact.loss(N, 2000.0, 1e-3)  # 5000 points: interpolated vs exact
    >>> bool(np.max(np.abs(a / b - 1)) < 1e-11)
    True
    """

    #: batches of at least this many points use the interpolated spectrum (see the Notes)
    auto_fast_min_points: float = AUTO_FAST_MIN_POINTS

    def __init__(
        self,
        spectrum: Spectrum,
        task: Task | None = None,
        w_var: float | None = None,
        u_var: float | None = None,
        noise: float = 0.0,
    ) -> None:
        if not isinstance(spectrum, Spectrum):
            raise ParameterError(f"spectrum must be a Spectrum; got {type(spectrum).__name__}")
        self.spectrum = spectrum
        self.task = task or Task.isotropic()
        self.w_var = _default_var(spectrum, w_var, "w_var")
        self.u_var = _default_var(spectrum, u_var, "u_var")
        self.noise = float(check_ridge("noise", noise))
        #: the interpolated spectrum of the automatic fast path, built on first use (False: it cannot be built)
        self._auto_fast: InterpolatedSpectrum | bool | None = None

    def __repr__(self) -> str:
        return f"RandomFeatureRidge({self.spectrum.describe()}, task={self.task.describe()})"

    # ----- compiled expressions --------------------------------------------------------------
    @cached_property
    def _loss_np(self):
        return _compiled_b1b("numpy")[0]

    @cached_property
    def _bias_np(self):
        return _compiled_b1b("numpy")[1]

    @cached_property
    def _loss_mp(self):
        return _compiled_b1b("mpmath")[0]

    # ----- input handling ---------------------------------------------------------------------
    def gamma_bar(self, gamma: Any) -> Any:
        """``gamma_bar = gamma / u_var``."""
        return np.asarray(check_ridge("gamma", gamma), dtype=np.float64) / self.u_var

    # ----- float64 ----------------------------------------------------------------------------
    def solve(self, N: Any, T: Any, gamma: Any = 0.0) -> RidgeSolution:
        """Solve and evaluate at ``(N, T, gamma)``, vectorised (float64, broadcasting).

        ``N`` or ``T`` may be ``inf`` (one-resource limits). Returns ``loss = inf`` at the ridgeless
        interpolation peak ``N = T < M`` and ``0`` when ``gamma = 0`` and ``min(N, T) >= M``.
        """
        N_ = np.asarray(check_size("N", N, allow_inf=True), dtype=np.float64)
        T_ = np.asarray(check_size("T", T, allow_inf=True), dtype=np.float64)
        g_ = np.asarray(check_ridge("gamma", gamma), dtype=np.float64)
        N_, T_, g_ = np.broadcast_arrays(N_, T_, g_)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            gb = g_ / self.u_var
            # beyond float64's range (inf, or nan from inf / inf or 0 / 0) the ridge has switched learning off:
            # rho -> inf, loss -> its gamma -> inf limit (fmin maps inf and nan to _S_MAX); gb = 0 is s = 0
            s = np.fmin(gb / (N_ * T_), _S_MAX)
        zero = gb == 0
        if np.any(zero):
            s = np.where(zero, 0.0, s)
        vanished = s == 0
        if np.any(vanished) and np.any(vanished & ~zero):
            raise ParameterError(
                "gamma > 0 with N or T = inf makes gamma_bar/(N T) vanish; for a one-resource limit give the "
                "normalised regulariser instead: RandomFeatureRidge.solve_normalised(N, T, s)"
            )
        return self._solve_checked(N_, T_, s, g_, gb)

    def solve_normalised(self, N: Any, T: Any, s: Any) -> RidgeSolution:
        """Solve with the normalised regulariser ``s = gamma_bar / (N T)`` given directly.

        This is the form in which ``N = inf`` (kernel ridge regression on ``T`` samples) and ``T = inf``
        (ridge regression onto ``N`` random features with infinite data) are finite limits.
        """
        N_ = np.asarray(check_size("N", N, allow_inf=True), dtype=np.float64)
        T_ = np.asarray(check_size("T", T, allow_inf=True), dtype=np.float64)
        s_ = np.asarray(check_ridge("s", s), dtype=np.float64)
        N_, T_, s_ = np.broadcast_arrays(N_, T_, s_)
        s_ = np.minimum(s_, _S_MAX)
        with np.errstate(invalid="ignore", over="ignore"):
            gb = np.where(s_ == 0, 0.0, s_ * N_ * T_)
        return self._solve_checked(N_, T_, s_, gb * self.u_var, gb)

    def _solve_checked(self, N_, T_, s_, g_, gb) -> RidgeSolution:
        """:meth:`solve` and :meth:`solve_normalised` after their input checks (broadcast float64 arrays; ``s_``
        finite and ``>= 0``)."""
        spec = self._batch_spectrum(s_.size)
        if spec is not self.spectrum:  # the automatic fast path; where it cannot be built, the exact sums
            try:
                rho, d1, e1 = spec._solve_isotropic_checked(s_, N_, T_)
            except (ParameterError, ConvergenceError):
                self._auto_fast = False
                spec = self.spectrum
        if spec is self.spectrum:
            if isinstance(spec, InterpolatedSpectrum) and self.task.is_isotropic:
                rho, d1, e1 = spec._solve_isotropic_checked(s_, N_, T_)
            else:
                rho, d1, e1 = np.asarray(solve_rho(spec, s_, N_, T_), dtype=np.float64), None, None
        out = self._observables(N_, T_, gb, s_, rho, spec=spec, sums=None if d1 is None else (d1, e1))
        return RidgeSolution(N_, T_, g_, gb, *out[:6], noise=out[6])

    def _batch_spectrum(self, size: int) -> Spectrum:
        """The spectrum a float64 batch of ``size`` points is solved on: the model's own, or (automatic fast
        path: at least :attr:`auto_fast_min_points` points, isotropic task) its interpolated spectrum."""
        spec = self.spectrum
        if isinstance(spec, InterpolatedSpectrum) or size < self.auto_fast_min_points or not self.task.is_isotropic:
            return spec
        fast = getattr(self, "_auto_fast", None)
        if fast is False:
            return spec
        if fast is None:  # its panels come from the disk cache when they are there (milliseconds)
            fast = self._auto_fast = InterpolatedSpectrum(spec, continuation=True)
        return fast

    def _observables(self, N_, T_, gb, s, rho, spec=None, sums=None):
        """The observables at the roots ``rho``; ``sums = (d1, e1)`` at ``rho`` where the solver gave them."""
        spec, task = (self.spectrum if spec is None else spec), self.task
        any_ridgeless = bool(np.any(gb == 0))
        if not any_ridgeless and sums is not None and task.is_isotropic and np.size(rho) >= self.auto_fast_min_points:
            out = self._observables_compiled(N_, T_, rho, sums, spec)
            if out is not None:
                return out
        # the common case of a batch, every rho > 0 and every ridge > 0, skips the masks (the same numbers)
        pos = rho > 0
        all_pos = bool(np.all(pos))
        ridgeless = (gb == 0) if any_ridgeless else None
        r = rho if all_pos else np.where(pos, rho, 1.0)
        if sums is None:
            d1, e1 = spec.sums(r, 1, 1), r * spec.sums(r, 1, 2)
        else:
            d1, e1 = sums
        if not all_pos:
            full = np.full(np.broadcast(N_, T_, rho).shape, spec.M if spec.finite else np.inf)  # d1 where rho = 0
            d1 = np.where(pos, d1, full)
            e1 = np.where(pos, e1, 0.0)
        d2 = d1 - e1
        with np.errstate(divide="ignore"):
            iN = 1.0 / N_  # 0 where N = inf
            iT = 1.0 / T_
        with np.errstate(invalid="ignore", divide="ignore"):
            if task.is_isotropic:
                loss = self._loss_np(r, d1, e1, iN, iT, self.w_var)
                bias = self._bias_np(r, e1, self.w_var)
                if any_ridgeless:
                    n = np.minimum(N_, T_)
                    m = np.maximum(N_, T_)
                    loss = np.where(ridgeless & pos, self.w_var / 2 * n * r / (1 - n / m), loss)
            else:
                loss, bias = self._general_task_np(N_, T_, r, d1, e1)
            peak = ridgeless & pos & (N_ == T_) if any_ridgeless else None
            if peak is not None:
                loss = np.where(peak, np.inf, loss)
            if not all_pos:
                loss = np.where(pos, loss, 0.0)
                bias = np.where(pos, bias, 0.0)
        # gamma -> inf: once every lambda_k / rho is below float64's resolution the model has learned nothing
        # and the loss *is* its limit, half the target variance (the B1 terms themselves would underflow)
        tr = spec.trace(task)
        with np.errstate(invalid="ignore", over="ignore"):
            frozen = r * d1 >= tr * (1.0 - 4.0 * np.finfo(np.float64).eps)
            if not all_pos:
                frozen &= pos
            if any_ridgeless:
                frozen &= ~ridgeless
        any_frozen = bool(np.any(frozen))
        if any_frozen:
            loss = np.where(frozen, self.w_var / 2 * tr, loss)
            bias = np.where(frozen, self.w_var / 2 * tr, bias)
        active = None if all_pos and not any_frozen else pos & ~frozen
        self._check_resolved(N_, T_, gb, active, d1, iN, iT, None if any_ridgeless else True)
        variance = loss - bias
        inf_loss = np.isinf(loss)
        if np.any(inf_loss):
            variance = np.where(inf_loss, np.inf, variance)
        noise = np.zeros_like(loss)
        if self.noise > 0:
            noise = self.noise / 2.0 * self._noise_gain_np(N_, T_, pos, d1, e1, iN, iT)
            # the ridgeless interpolation peak N = T < M: the noise gain diverges (gamma_T = 1 exactly, which the
            # interpolated sums reach only to round-off)
            if peak is not None:
                noise = np.where(peak, np.inf, noise)
            loss = loss + noise
        shape = np.shape(rho)
        fix = (lambda a: np.asarray(a).reshape(shape) if shape else float(np.asarray(a).ravel()[0]))  # noqa: E731
        return fix(rho), fix(d1), fix(d2), fix(loss), fix(bias), fix(variance), fix(noise)

    def _observables_compiled(self, N_, T_, rho, sums, spec):
        """:meth:`_observables` in one compiled pass (:mod:`scalingsym.models.compiled_observables`; the same
        numbers), or None: no compiled module here, or a point the pass does not take (``rho = 0``, frozen,
        unresolved, an infinite loss), for which the numpy path runs."""
        comp = compiled_observables.module()
        if comp is None:
            return None
        shape = np.shape(rho)
        flat = compiled_observables.inputs(rho, *sums, N_, T_)
        out = [np.empty(flat[0].size) for _ in range(5)]
        frozen_at = spec.trace(self.task) * (1.0 - 4.0 * np.finfo(np.float64).eps)
        unresolved_below = 8.0 * np.finfo(np.float64).eps / _MAX_REL_ERR
        if comp.observables(*flat, float(self.w_var), float(self.noise), frozen_at, unresolved_below, *out):
            return None
        loss, bias, variance, d2, noise = (v.reshape(shape) for v in out)
        return rho, sums[0], d2, loss, bias, variance, noise

    def _noise_gain_np(self, N_, T_, pos, d1, e1, iN, iT):
        """``gamma_T / (1 - gamma_T)``: how much of the training-label noise variance reaches the test error."""
        with np.errstate(divide="ignore", invalid="ignore"):
            gain = np.where(pos, _compiled("numpy")[2](d1, e1, iN, iT), 0.0)
            # rho = 0: least squares on all Mp modes, T > Mp samples: Mp / (T - Mp); none where T = inf
            Mp = self.spectrum.positive_count()
            full = np.where(np.isinf(T_), 0.0, np.where(T_ > Mp, Mp / (T_ - Mp), np.inf))
            gain = np.where(pos, gain, np.where(np.minimum(N_, T_) >= Mp, full, 0.0))
        return gain

    @staticmethod
    def _check_resolved(N_, T_, gb, active, d1, iN, iT, ridge_positive=None) -> None:
        """Refuse points where both ``1 - d1/N`` and ``1 - d1/T`` are below what float64 resolves (the regulated
        peak ``N = T`` at a vanishing ridge): the loss there carries a relative error of about
        ``eps / max(1 - d1/N, 1 - d1/T)``. One small factor alone (``N != T`` as ``gamma -> 0``) is harmless.

        ``active`` (None: every point) and ``ridge_positive`` (None: ``gb > 0``; True: every point) select the
        points checked.
        """
        eps8 = 8.0 * np.finfo(np.float64).eps
        with np.errstate(invalid="ignore", divide="ignore"):
            # max(1 - d1/N, 1 - d1/T) (d1 >= 0); a < 0 is off the branch, refused as well
            a = 1.0 - d1 * np.minimum(iN, iT)
            bad = a < eps8 / _MAX_REL_ERR  # err = eps8 / a > _MAX_REL_ERR; False where a is NaN
        if active is not None:
            bad &= active
        if ridge_positive is None:
            bad &= gb > 0
        if np.any(bad):
            with np.errstate(invalid="ignore", divide="ignore"):
                err = np.where(bad, eps8 / np.abs(a), 0.0)
            i = int(np.argmax(err.ravel()))
            Nb, Tb, gbb = (np.broadcast_to(v, bad.shape).ravel()[i] for v in (N_, T_, gb))
            raise ParameterError(
                f"float64 cannot resolve the loss at N = {Nb:g}, T = {Tb:g}, gamma_bar = {gbb:g}: 1 - d1/N and "
                f"1 - d1/T are at the float64 round-off floor (relative error > {_MAX_REL_ERR:g}); use the mpmath path "
                "(--precision DIGITS, RandomFeatureRidge.solve_mp) with more digits than -log10(gamma_bar)/2"
            )

    def _general_task_np(self, N_, T_, r, d1, e1):
        """Loss and bias for a general teacher: :data:`LOSS_GENERAL` evaluated with the teacher-weighted sums."""
        from ..core.resolvent import ridgeless_rho

        spec, task = self.spectrum, self.task
        rN = np.zeros(np.shape(N_))
        finN = np.isfinite(N_)
        if np.any(finN):
            rN[finN] = ridgeless_rho(spec, N_[finN])
        sig2 = np.where(rN > 0, rN * spec.sums(np.where(rN > 0, rN, 1.0), 1, 1, task), 0.0)
        iN = np.where(np.isinf(N_), 0.0, 1.0 / N_)
        iT = np.where(np.isinf(T_), 0.0, 1.0 / T_)
        A, B, C = spec.sums(r, 1, 1, task), spec.sums(r, 2, 2, task), spec.sums(r, 1, 2, task)
        loss_fn, bias_fn, _ = _compiled("numpy")
        return loss_fn(r, d1, e1, iN, iT, self.w_var, A, B, sig2), bias_fn(r, self.w_var, C)

    def loss(self, N: Any, T: Any, gamma: Any = 0.0, test_noise: bool = False) -> Any:
        """The expected test loss (float64, vectorised); see :meth:`solve`.

        ``test_noise=True`` measures it against test labels that carry the same noise (adds ``noise / 2``).
        """
        out = self.solve(N, T, gamma).loss
        return out + self.noise / 2.0 if test_noise else out

    # ----- mpmath -----------------------------------------------------------------------------
    def _general_task_mp(self, N_, rho, d1, e1, iN, iT, w_var):
        """:data:`LOSS_GENERAL` and its bias at the working precision (teacher-weighted mpmath sums)."""
        from ..core.resolvent import ridgeless_rho_mp

        spec, task = self.spectrum, self.task
        rN = ridgeless_rho_mp(spec, N_) if mpmath.isfinite(N_) else mpmath.mpf(0)
        sig2 = rN * spec.sums_mp(rN, 1, 1, task) if rN > 0 else mpmath.mpf(0)
        A, B, C = (spec.sums_mp(rho, p, q, task) for p, q in ((1, 1), (2, 2), (1, 2)))
        loss_fn, bias_fn, _ = _compiled("mpmath")
        return loss_fn(rho, d1, e1, iN, iT, w_var, A, B, sig2), bias_fn(rho, w_var, C)

    def solve_mp_verified(self, N: Any, T: Any, gamma: Any, dps: int) -> tuple[RidgeSolution, dict[str, int]]:
        """:meth:`solve_mp` at ``dps`` digits, checked against a solve with ``max(10, dps // 2)`` guard digits.

        Returns the more precise solution and, per field, the number of significant digits (at most ``dps``)
        on which the two agree: the digits that may be printed. A field equal to 0 or ``inf`` in both is
        exact. Raises where not one digit of the loss survives (then more digits are needed).

        Examples
        --------
        >>> from scalingsym.core.spectra import PowerLaw
        >>> sol, digits = RandomFeatureRidge(PowerLaw(alpha=1, M=1000)).solve_mp_verified(100, 400, 1e-3, 30)
        >>> digits["loss"]
        30
        """
        dps = check_precision(dps)
        lo = self.solve_mp(N, T, gamma, dps=dps)
        hi = self.solve_mp(N, T, gamma, dps=dps + max(10, dps // 2))
        digits = {}
        with mpmath.workdps(dps + max(10, dps // 2)):
            for key in ("loss", "rho", "d1", "d2", "bias", "variance"):
                a, b = mpmath.mpf(getattr(lo, key)), mpmath.mpf(getattr(hi, key))
                if a == b:
                    digits[key] = dps
                elif mpmath.isinf(a) or mpmath.isinf(b) or b == 0:
                    digits[key] = 0
                else:
                    rel = abs(a / b - 1)
                    digits[key] = max(0, min(dps, int(mpmath.floor(-mpmath.log10(rel)))))
        if digits["loss"] == 0:
            raise ParameterError(
                f"no digit of the loss is verified at {dps} digits (it changes at {dps + max(10, dps // 2)}); "
                "raise --precision"
            )
        return hi, digits

    def solve_mp(self, N: Any, T: Any, gamma: Any = 0.0, dps: int | None = None) -> RidgeSolution:
        """Solve one point at ``dps`` significant digits (default: the current mpmath precision)."""
        check_size("N", N, allow_inf=True)
        check_size("T", T, allow_inf=True)
        check_ridge("gamma", gamma)
        if dps is not None:
            dps = check_precision(dps)
        with mpmath.workdps(int(dps) if dps else mpmath.mp.dps):
            N_, T_, g_ = (mpmath.mpf(str(v)) if not isinstance(v, mpmath.mpf) else v for v in (N, T, gamma))
            gb = g_ / mpmath.mpf(str(self.u_var)) if self.u_var != 1 else g_
            if self.spectrum.finite:
                gb = g_ * mpmath.mpf(int(self.spectrum.M)) if self.u_var == 1 / self.spectrum.M else gb
            s = gb / (N_ * T_) if gb != 0 else mpmath.mpf(0)
            rho = solve_rho_mp(self.spectrum, s, N_, T_)
            default_w = self.spectrum.finite and self.w_var == 1 / self.spectrum.M
            w_var = mpmath.mpf(1) / int(self.spectrum.M) if default_w else mpmath.mpf(str(self.w_var))
            n, m = min(N_, T_), max(N_, T_)
            eps = mpmath.mpf(str(self.noise))
            if rho == 0:
                d1 = mpmath.mpf(int(self.spectrum.M)) if self.spectrum.finite else mpmath.inf
                Mp = mpmath.mpf(self.spectrum.positive_count())
                nz = mpmath.mpf(0)
                if eps > 0 and mpmath.isfinite(T_):
                    nz = eps / 2 * Mp / (T_ - Mp) if T_ > Mp else mpmath.inf
                zero = mpmath.mpf(0)
                return RidgeSolution(N_, T_, g_, gb, rho, d1, d1, nz, zero, zero, noise=nz)
            d1 = self.spectrum.sums_mp(rho, 1, 1)
            e1 = rho * self.spectrum.sums_mp(rho, 1, 2)
            iN = 0 if mpmath.isinf(N_) else 1 / N_
            iT = 0 if mpmath.isinf(T_) else 1 / T_
            if gb == 0 and N_ == T_:
                loss, bias = mpmath.inf, w_var / 2 * rho * e1
            elif not self.task.is_isotropic:
                loss, bias = self._general_task_mp(N_, rho, d1, e1, iN, iT, w_var)
            else:
                bias = w_var / 2 * rho * e1
                loss = w_var / 2 * n * rho / (1 - n / m) if gb == 0 else self._loss_mp(rho, d1, e1, iN, iT, w_var)
            nz = mpmath.mpf(0)
            if eps > 0:
                gT = iT * (d1 - (1 - d1 * iN) * e1 / (1 - (d1 - e1) * iN))
                nz = eps / 2 * gT / (1 - gT)
            return RidgeSolution(N_, T_, g_, gb, rho, d1, d1 - e1, loss + nz, bias, loss - bias, noise=nz)


def fast_ridge(model):
    """The same :class:`~scalingsym.models.ridge.RandomFeatureRidge` on an :class:`InterpolatedSpectrum`.

    Its :meth:`solve` / :meth:`loss` are the usual float64 deterministic equivalent (exact finite-``M``
    sums, up to the interpolation error ``spectrum.error_bound``) at a cost per point independent of
    ``M``, for batches of any size (with the compiled kernel of :mod:`scalingsym.core.fastkernel` when numba
    is installed, else the numpy solver; along ``gamma`` the kernel starts each root from its neighbours',
    ``continuation=True``, so a point's last bits may depend on the points solved with it). The mpmath path
    (:meth:`solve_mp`) is unchanged (exact). The task, ``w_var``, ``u_var`` and the label noise are those of
    ``model``.

    Examples
    --------
    >>> from scalingsym.core.spectra import PowerLaw
    >>> from scalingsym.models.ridge import RandomFeatureRidge
    >>> exact = RandomFeatureRidge(PowerLaw(alpha=1))
    >>> fast = fast_ridge(exact)
    >>> bool(abs(fast.loss(100.0, 400.0, 1e-4) / exact.loss(100.0, 400.0, 1e-4) - 1) < 1e-12)
    True
    """
    if not isinstance(model, RandomFeatureRidge):
        raise ParameterError(f"model must be a RandomFeatureRidge; got {type(model).__name__}")
    spec = model.spectrum
    if not isinstance(spec, InterpolatedSpectrum):
        spec = InterpolatedSpectrum(spec, continuation=True)
    return RandomFeatureRidge(spec, task=model.task, w_var=model.w_var, u_var=model.u_var, noise=model.noise)
