"""Spectra measured from data: covariance eigenvalues, a power-law fit with a confidence interval, and
random-feature regression on real samples to compare with the theory.

Workflow (Maloney-Roberts-Sully motivate their model with the spectra of real data sets):

1. :func:`empirical_spectrum` takes a data matrix ``X`` (``n_samples x dim``), computes the eigenvalues of
   its centred covariance ``C = Xc^T Xc / n``, fits ``lambda_k ~ lambda_plus k^-(1+alpha)`` on a range of
   ranks chosen automatically, bootstraps the samples for a confidence interval, and returns an
   :class:`EmpiricalSpectrum` whose ``.spectrum`` is an :class:`~scalingsym.core.spectra.ArraySpectrum`
   (finite ``M = dim``) usable everywhere in the toolkit;
2. the theory (:class:`~scalingsym.models.ridge.RandomFeatureRidge`) predicts the random-feature learning
   curve from that spectrum; the ridgeless loss of a power law scales as ``min(N, T)^-alpha``
   (``static_rf_ridge.md`` B3), so ``predicted_loss_exponent = alpha``;
3. :func:`rf_regression` runs the actual random-feature ridge regression on real samples (seeded
   train/test split, error bars over seeds) with a linear teacher or with the data's own labels.

Fit method (stated once, used everywhere):

* ordinary least squares of ``log lambda_k`` on ``log k`` over every contiguous window ``[k_lo, k_hi]``
  (computed for all windows at once from prefix sums);
* the window is the *straightest* one: the smallest root-mean-square log residual among all windows that
  span at least half (``min_span``) of the usable decades, ``log(k_hi/k_lo) >= min_span * log(k_max)``,
  where ``k_max`` counts eigenvalues above ``floor * lambda_1`` (null directions and round-off never enter);
  windows within ``slack = 0.005`` of that smallest residual count as equally straight and the widest wins
  (so an exact power law is fitted on its whole range);
* the interval ``alpha_ci`` is the normal bootstrap interval ``alpha +- z sd_boot`` (``sd_boot``: standard
  deviation of the exponent over replicates that redraw the rows of ``X`` with replacement,
  :func:`numpy.random.default_rng` seeded) on the chosen window. The percentile interval is not used
  because resampling rows with replacement biases the sample eigenvalues (duplicated rows steepen the
  spectrum), which shifts the replicate distribution away from the estimate; its spread is still a good
  measure of the sampling error. ``alpha_ci_reselected`` re-chooses the window on every replicate, so it
  also carries the uncertainty of the range selection (wider when the spectrum is not a clean power law).

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> lam = np.arange(1, 41, dtype=float) ** -2.0          # alpha = 1
>>> X = rng.standard_normal((4000, 40)) * np.sqrt(lam)
>>> es = empirical_spectrum(X, n_boot=50, seed=1)
>>> bool(abs(es.alpha - 1.0) < 0.15), es.spectrum.M
(True, 40.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.stats import norm

from ..core.errors import ConvergenceError, ParameterError, check_ridge, check_size
from ..core.spectra import ArraySpectrum, PowerLaw
from ..core.tasks import Task
from ..models.ridge import RandomFeatureRidge, RidgeSolution
from ..simulate.ridge import SimulationResult

__all__ = [
    "EmpiricalSpectrum",
    "PowerLawFit",
    "covariance_eigen",
    "covariance_spectrum",
    "empirical_spectrum",
    "feature_spectrum",
    "fit_power_law",
    "linear_teacher_task",
    "noise_amplification",
    "optimal_ridge",
    "predict_loss",
    "rf_regression",
]


# ----------------------------------------------------------------------------------------- input --
def _check_matrix(X: Any, name: str = "X") -> np.ndarray:
    try:
        A = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        msg = f"{name} must be a 2-D array of numbers (n_samples x dim); got {type(X).__name__}"
        raise ParameterError(msg) from exc
    if A.ndim != 2:
        raise ParameterError(f"{name} must be a 2-D array (n_samples x dim); got {A.ndim} dimension(s)")
    if A.shape[0] < 2 or A.shape[1] < 2:
        raise ParameterError(f"{name} needs at least 2 samples and 2 features; got shape {A.shape}")
    if not np.all(np.isfinite(A)):
        raise ParameterError(f"{name} must contain only finite numbers (no NaN or inf)")
    return A


def covariance_eigen(X: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Eigen-decomposition of the centred covariance ``C = (X - mean)^T (X - mean) / n``.

    Returns ``(eigenvalues, eigenvectors, mean)``: eigenvalues in decreasing order (round-off negatives
    and values below ``dim * eps * lambda_1`` set to exactly 0), eigenvectors as columns in the same order.

    Examples
    --------
    >>> import numpy as np
    >>> lam, V, mu = covariance_eigen(np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 2.0], [0.0, -2.0]]))
    >>> lam.tolist()
    [2.0, 0.5]
    """
    A = _check_matrix(X)
    mu = A.mean(axis=0)
    Ac = A - mu
    C = Ac.T @ Ac / A.shape[0]
    lam, V = np.linalg.eigh(C)
    lam, V = lam[::-1].copy(), V[:, ::-1].copy()
    cut = A.shape[1] * np.finfo(np.float64).eps * max(lam[0], 0.0)
    lam[lam <= cut] = 0.0
    return lam, V, mu


def covariance_spectrum(X: Any) -> np.ndarray:
    """Eigenvalues of the centred covariance of ``X`` in decreasing order (see :func:`covariance_eigen`).

    Examples
    --------
    >>> import numpy as np
    >>> covariance_spectrum(np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 2.0], [0.0, -2.0]])).tolist()
    [2.0, 0.5]
    """
    return covariance_eigen(X)[0]


# ------------------------------------------------------------------------------------------- fit --
@dataclass(frozen=True)
class PowerLawFit:
    """A least-squares line ``log lambda_k = log lambda_plus - (1 + alpha) log k`` on ``k_lo..k_hi``."""

    alpha: float
    lambda_plus: float
    k_lo: int
    k_hi: int
    rms: float

    @property
    def fit_range(self) -> tuple[int, int]:
        """``(k_lo, k_hi)``, 1-based and inclusive."""
        return (self.k_lo, self.k_hi)


def _window_fits(lam: np.ndarray, kmax: int):
    """Slopes, intercepts and rms residuals of OLS fits on every window ``[lo, hi]`` (1-based), vectorised."""
    x = np.log(np.arange(1, kmax + 1, dtype=np.float64))
    y = np.log(lam[:kmax])
    c = [np.concatenate(([0.0], np.cumsum(v))) for v in (np.ones(kmax), x, y, x * x, x * y, y * y)]
    lo, hi = np.meshgrid(np.arange(1, kmax + 1), np.arange(1, kmax + 1), indexing="ij")
    sel = hi > lo
    lo, hi = lo[sel], hi[sel]
    s = [ci[hi] - ci[lo - 1] for ci in c]
    n, sx, sy, sxx, sxy, syy = s
    vx = sxx - sx * sx / n
    cxy = sxy - sx * sy / n
    vy = syy - sy * sy / n
    slope = cxy / vx
    inter = (sy - slope * sx) / n
    sse = np.maximum(vy - slope * cxy, 0.0)
    return lo, hi, slope, inter, np.sqrt(sse / n)


def fit_power_law(
    eigenvalues: Any,
    fit_range: tuple[int, int] | None = None,
    *,
    min_span: float = 0.5,
    min_ratio: float = 4.0,
    floor: float = 1e-8,
    slack: float = 0.005,
) -> PowerLawFit:
    """Fit ``lambda_k = lambda_plus k^-(1+alpha)`` by log-log least squares (module docstring: method).

    Parameters
    ----------
    eigenvalues : array_like
        Eigenvalues in decreasing order (as from :func:`covariance_spectrum`).
    fit_range : (int, int), optional
        Fixed ``(k_lo, k_hi)`` (1-based, inclusive); chosen automatically when None.
    min_span : float
        The automatic window must span at least this fraction of ``log k_max`` (``k_max``: the number of
        eigenvalues above the floor), in ``(0, 1]``.
    min_ratio : float
        ... and at least ``k_hi / k_lo >= min_ratio``.
    floor : float
        Eigenvalues below ``floor * lambda_1`` are never in the fit (round-off and null directions).
    slack : float
        Windows whose rms is within ``slack`` of the smallest count as equally straight; the widest wins.

    Examples
    --------
    >>> import numpy as np
    >>> lam = 3.0 * np.arange(1, 101, dtype=float) ** -1.5
    >>> f = fit_power_law(lam)
    >>> round(f.alpha, 12), round(f.lambda_plus, 12), f.fit_range
    (0.5, 3.0, (1, 100))
    """
    lam = np.asarray(eigenvalues, dtype=np.float64).ravel()
    if lam.size < 3 or not np.all(np.isfinite(lam)) or lam[0] <= 0:
        raise ParameterError("eigenvalues must be at least 3 finite numbers with a positive first value")
    if np.any(np.diff(lam) > 1e-12 * lam[0]):
        raise ParameterError("eigenvalues must be sorted in decreasing order")
    for name, v, lo in (("min_span", min_span, 0.0), ("min_ratio", min_ratio, 1.0), ("floor", floor, 0.0)):
        if not (math.isfinite(v) and v > lo):
            raise ParameterError(f"{name} must be a finite number > {lo:g}; got {v}")
    if min_span > 1:
        raise ParameterError(f"min_span must be in (0, 1]; got {min_span}")
    kmax = int(np.count_nonzero(lam > floor * lam[0]))
    if fit_range is not None:
        k_lo, k_hi = (int(v) for v in fit_range)
        if not (1 <= k_lo < k_hi <= kmax) or k_hi - k_lo < 2:
            raise ParameterError(
                f"fit_range must satisfy 1 <= k_lo, k_lo + 2 <= k_hi <= {kmax} (eigenvalues above the floor); "
                f"got {fit_range}"
            )
        x = np.log(np.arange(k_lo, k_hi + 1, dtype=np.float64))
        y = np.log(lam[k_lo - 1 : k_hi])
        slope, inter = np.polyfit(x, y, 1)
        rms = float(np.sqrt(np.mean((y - (inter + slope * x)) ** 2)))
        return PowerLawFit(float(-slope - 1.0), float(math.exp(inter)), k_lo, k_hi, rms)
    if kmax < 3:
        raise ParameterError(f"only {kmax} eigenvalue(s) above floor * lambda_1; a power law needs at least 3")
    lo, hi, slope, inter, rms = _window_fits(lam, kmax)
    need = max(min_span * math.log(kmax), math.log(min_ratio)) if kmax > 3 else 0.0
    ok = (np.log(hi / lo) >= need - 1e-12) & (hi - lo >= 2)
    if not np.any(ok):
        ok = hi - lo >= 2
    # windows within ``slack`` of the smallest rms count as equally straight: take the widest of them
    cand = ok & (rms <= rms[ok].min() + slack)
    width = np.where(cand, np.log(hi / lo), -np.inf)
    i = int(np.argmax(width))
    return PowerLawFit(float(-slope[i] - 1.0), float(math.exp(inter[i])), int(lo[i]), int(hi[i]), float(rms[i]))


# ------------------------------------------------------------------------------------- spectrum --
@dataclass
class EmpiricalSpectrum:
    """The measured spectrum of a data set, its power-law fit and a toolkit :class:`Spectrum`.

    Attributes
    ----------
    eigenvalues : numpy.ndarray
        Covariance eigenvalues, decreasing (exact zeros for null directions).
    spectrum : ArraySpectrum
        The same eigenvalues as a finite spectrum (``M = dim``), for every model and simulation.
    alpha, alpha_ci : float, (float, float)
        Fitted exponent (``lambda_k ~ k^-(1+alpha)``) and its normal bootstrap interval on the chosen fit
        range (sampling uncertainty).
    alpha_ci_reselected : (float, float)
        The same interval when the fit range is re-chosen on every replicate (adds the uncertainty of the
        range selection; equal to ``alpha_ci`` when the range was given).
    lambda_plus : float
        Fitted prefactor.
    fit_range : (int, int)
        Ranks ``(k_lo, k_hi)`` of the fit (1-based, inclusive), chosen automatically unless given.
    rms : float
        Root-mean-square residual of ``log lambda`` in the fit range.
    """

    eigenvalues: np.ndarray
    spectrum: ArraySpectrum
    alpha: float
    alpha_ci: tuple[float, float]
    alpha_ci_reselected: tuple[float, float]
    lambda_plus: float
    fit_range: tuple[int, int]
    rms: float
    n_samples: int
    dim: int
    n_boot: int
    confidence: float
    name: str = "data"
    method: str = (
        "log-log OLS on the straightest window spanning >= half the decades; normal bootstrap interval over samples"
    )
    eigenvectors: np.ndarray | None = field(default=None, repr=False)
    mean: np.ndarray | None = field(default=None, repr=False)
    boot_alphas: np.ndarray | None = field(default=None, repr=False)

    @property
    def beta(self) -> float:
        """Decay exponent ``1 + alpha`` of ``lambda_k``."""
        return 1.0 + self.alpha

    @property
    def predicted_loss_exponent(self) -> float:
        """Exponent of the ridgeless loss ``L ~ min(N, T)^-alpha`` (``static_rf_ridge.md`` B3; continuum,
        leading order, for ``min(N, T)`` inside the fit range). The same exponent holds at the optimal ridge
        along ``N = T`` (B6)."""
        return self.alpha

    def power_law(self) -> PowerLaw:
        """The fitted power law as a :class:`~scalingsym.core.spectra.PowerLaw` with the data's ``M``."""
        return PowerLaw(alpha=self.alpha, M=self.dim, lambda_plus=self.lambda_plus)

    def as_dict(self) -> dict[str, Any]:
        """JSON-able summary (the keys of ``python -m scalingsym spectrum --json``)."""
        return {
            "dataset": self.name,
            "n_samples": self.n_samples,
            "dim": self.dim,
            "alpha": self.alpha,
            "alpha_ci": list(self.alpha_ci),
            "alpha_ci_reselected": list(self.alpha_ci_reselected),
            "confidence": self.confidence,
            "beta": self.beta,
            "lambda_plus": self.lambda_plus,
            "fit_range": list(self.fit_range),
            "fit_rms_log": self.rms,
            "predicted_loss_exponent": self.predicted_loss_exponent,
            "n_boot": self.n_boot,
            "method": self.method,
            "convention": "lambda_k ~ lambda_plus k^-(1+alpha); ridgeless loss ~ min(N,T)^-alpha",
        }


def empirical_spectrum(
    X: Any,
    *,
    fit_range: tuple[int, int] | None = None,
    n_boot: int = 200,
    confidence: float = 0.95,
    seed: int = 0,
    min_span: float = 0.5,
    min_ratio: float = 4.0,
    floor: float = 1e-8,
    name: str = "data",
) -> EmpiricalSpectrum:
    """Measure the spectrum of a data matrix and fit its power law with a bootstrap interval.

    Parameters
    ----------
    X : array_like
        ``n_samples x dim`` data (rows are samples); it is centred here.
    fit_range : (int, int), optional
        Fixed fit window; by default chosen automatically (module docstring), also on every replicate.
    n_boot : int
        Bootstrap replicates (rows resampled with replacement); ``0`` or ``1`` gives a degenerate interval.
    confidence : float
        Coverage of the percentile interval, in ``(0, 1)``.
    seed : int
        Seed of :func:`numpy.random.default_rng` for the bootstrap.
    min_span, min_ratio, floor
        Passed to :func:`fit_power_law`.
    name : str
        Label used in plots and summaries.

    Returns
    -------
    EmpiricalSpectrum

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).standard_normal((2000, 30)) * np.arange(1, 31) ** -0.75
    >>> es = empirical_spectrum(X, n_boot=20)
    >>> es.alpha_ci[0] <= es.alpha <= es.alpha_ci[1]
    True
    """
    A = _check_matrix(X)
    if isinstance(n_boot, bool) or int(n_boot) != n_boot or not 0 <= n_boot <= 100_000:
        raise ParameterError(f"n_boot must be an integer in [0, 100000]; got {n_boot}")
    if not (0.0 < confidence < 1.0):
        raise ParameterError(f"confidence must be in (0, 1); got {confidence}")
    lam, V, mu = covariance_eigen(A)
    fit = fit_power_law(lam, fit_range, min_span=min_span, min_ratio=min_ratio, floor=floor)
    rng = np.random.default_rng(seed)
    boots = np.empty(int(n_boot))
    reselect = np.full(int(n_boot), np.nan)
    fixed = fit.fit_range
    n, dim = A.shape
    Ac = A - mu
    for b in range(int(n_boot)):
        c = np.bincount(rng.integers(0, n, n), minlength=n).astype(np.float64)
        mb = c @ Ac / n
        lb = np.linalg.eigvalsh((Ac.T * c) @ Ac / n - np.outer(mb, mb))[::-1]
        lb = np.where(lb > dim * np.finfo(np.float64).eps * lb[0], lb, 0.0)
        kmax = int(np.count_nonzero(lb > floor * lb[0]))
        fr = (fixed[0], min(fixed[1], kmax))
        boots[b] = fit_power_law(lb, fr, floor=floor).alpha
        if fit_range is None:
            reselect[b] = fit_power_law(lb, min_span=min_span, min_ratio=min_ratio, floor=floor).alpha
    if n_boot > 1:
        z = float(norm.ppf(0.5 + confidence / 2.0))
        sd = float(np.std(boots, ddof=1))
        ci = (fit.alpha - z * sd, fit.alpha + z * sd)
        if fit_range is None:
            sd_sel = float(np.std(reselect, ddof=1))
            ci_sel = (fit.alpha - z * sd_sel, fit.alpha + z * sd_sel)
        else:
            ci_sel = ci
    else:
        ci = ci_sel = (fit.alpha, fit.alpha)
    return EmpiricalSpectrum(
        eigenvalues=lam,
        spectrum=ArraySpectrum(lam, name=f"empirical({name}, M={lam.size})"),
        alpha=fit.alpha,
        alpha_ci=ci,
        alpha_ci_reselected=ci_sel,
        lambda_plus=fit.lambda_plus,
        fit_range=fit.fit_range,
        rms=fit.rms,
        n_samples=n,
        dim=A.shape[1],
        n_boot=int(n_boot),
        confidence=float(confidence),
        name=name,
        eigenvectors=V,
        mean=mu,
        boot_alphas=boots,
    )


# -------------------------------------------------------------------------------------- theory ----
def noise_amplification(sol: RidgeSolution) -> Any:
    """``1 / (1 - gamma_T)``: the factor by which independent label noise enters the test loss.

    From the two-point deterministic equivalent (``dynamics_and_regimes.md`` B4 at ``s1 = s2``):
    ``E = (K + sigma^2) / (1 - gamma_T)`` with ``gamma_T = (d1 - (1 - d1/N)(d1 - d2)/(1 - d2/N)) / T``;
    label noise of variance ``eps`` adds ``eps / (1 - gamma_T)`` to ``E`` measured against noisy test
    labels. Limits: ridgeless ``N < T`` gives ``1/(1 - N/T)``; ``N = inf`` gives the kernel value
    ``1/(1 - d2/T)``. Large-``N, T`` leading order, like the loss itself.

    Examples
    --------
    >>> from scalingsym import PowerLaw, RandomFeatureRidge
    >>> sol = RandomFeatureRidge(PowerLaw(alpha=1, M=500)).solve(N=50, T=200, gamma=0.0)
    >>> round(float(noise_amplification(sol)), 10)  # 1 / (1 - N/T)
    1.3333333333
    """
    N = np.asarray(sol.N, dtype=np.float64)
    T = np.asarray(sol.T, dtype=np.float64)
    d1 = np.asarray(sol.d1, dtype=np.float64)
    d2 = np.asarray(sol.d2, dtype=np.float64)
    rho = np.asarray(sol.rho, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        iN = np.where(np.isinf(N), 0.0, 1.0 / N)
        iT = np.where(np.isinf(T), 0.0, 1.0 / T)
        gT = iT * (d1 - (1.0 - d1 * iN) * (d1 - d2) / (1.0 - d2 * iN))
        # rho = 0 (min(N, T) >= rank): least squares in the full space, variance factor 1/(1 - M/T)
        out = np.where(rho > 0, 1.0 / (1.0 - gT), np.where(T > d1, 1.0 / (1.0 - d1 * iT), np.inf))
    return out if out.ndim else float(out)


def predict_loss(
    model: RandomFeatureRidge, N: Any, T: Any, gamma: Any = 0.0, noise: float = 0.0
) -> np.ndarray:
    """Theory loss ``1/2 E[(z - y)^2]`` against test labels carrying independent noise of variance ``noise``.

    ``noise = 0`` is :meth:`RandomFeatureRidge.loss`; otherwise ``loss + noise/2 * noise_amplification``.

    Examples
    --------
    >>> from scalingsym import PowerLaw, RandomFeatureRidge
    >>> m = RandomFeatureRidge(PowerLaw(alpha=1, M=200))
    >>> round(float(predict_loss(m, 20, 80, 0.0, noise=0.3) - m.loss(20, 80, 0.0)), 12)  # 0.15 / (1 - 1/4)
    0.2
    """
    if not (math.isfinite(noise) and noise >= 0):
        raise ParameterError(f"noise must be a finite number >= 0; got {noise}")
    sol = model.solve(N, T, gamma)
    if noise == 0:
        return sol.loss
    return sol.loss + noise / 2.0 * noise_amplification(sol)


def optimal_ridge(
    model: RandomFeatureRidge, N: float, T: float, noise: float = 0.0, bounds: tuple[float, float] = (-12.0, 6.0)
) -> tuple[float, float]:
    """``(gamma*, L*)``: the ridge minimising :func:`predict_loss` (1-D bounded search in ``log10 gamma``).

    ``bounds`` are the limits of ``log10(gamma)``: a 37-point grid locates the minimum, then a bounded
    Brent search refines it. Raises :class:`ConvergenceError` if the optimiser fails.

    Examples
    --------
    >>> from scalingsym import PowerLaw, RandomFeatureRidge
    >>> m = RandomFeatureRidge(PowerLaw(alpha=1, M=100000))
    >>> g, L = optimal_ridge(m, 200, 200)
    >>> L < float(m.loss(200, 200, 1e-2)) and L < float(m.loss(200, 200, 1e-6))
    True
    """
    check_size("N", N)
    check_size("T", T)
    f = lambda lg: float(predict_loss(model, N, T, 10.0**lg, noise))
    grid = np.linspace(bounds[0], bounds[1], 37)
    vals = np.array([f(g) for g in grid])
    j = int(np.argmin(vals))
    lo, hi = grid[max(j - 1, 0)], grid[min(j + 1, grid.size - 1)]
    if hi <= lo:  # pragma: no cover
        return 10.0 ** grid[j], float(vals[j])
    res = minimize_scalar(f, bounds=(lo, hi), method="bounded", options={"xatol": 1e-6})
    if not res.success:  # pragma: no cover
        raise ConvergenceError(f"optimal ridge search failed: {res.message}")
    if res.fun > vals[j]:
        return 10.0 ** grid[j], float(vals[j])
    return 10.0 ** float(res.x), float(res.fun)


def linear_teacher_task(es: EmpiricalSpectrum, X: Any, Y: Any) -> tuple[Task, float, float]:
    """The best linear teacher of labels ``Y`` in the data's eigenbasis, as a toolkit task.

    Fits ``Y ~ Xc W`` by least squares (minimum norm), rotates ``W`` into the eigenbasis of ``es``, and
    returns ``(task, w_var, noise)``: ``Task.array(w2_k)`` with ``w2_k`` the per-output mean of
    ``(V^T W)_k^2 / w_var`` (``w_var = 1/M``), and the residual variance per output (what no linear
    function of ``x`` explains; in the theory it acts as independent label noise, an assumption).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).standard_normal((500, 3))
    >>> es = empirical_spectrum(X, n_boot=0)
    >>> task, w_var, noise = linear_teacher_task(es, X, X @ np.array([1.0, 0.0, 0.0]))
    >>> round(noise, 12), round(float(task.values.sum() * w_var), 10)
    (0.0, 1.0)
    """
    A = _check_matrix(X)
    Yv = np.asarray(Y, dtype=np.float64)
    Yv = Yv[:, None] if Yv.ndim == 1 else Yv
    if Yv.shape[0] != A.shape[0]:
        raise ParameterError(f"Y must have one row per sample ({A.shape[0]}); got {Yv.shape[0]}")
    if es.eigenvectors is None or es.mean is None:
        raise ParameterError("the EmpiricalSpectrum must carry its eigenvectors (use empirical_spectrum)")
    Ac = A - es.mean
    Yc = Yv - Yv.mean(axis=0)
    W, *_ = np.linalg.lstsq(Ac, Yc, rcond=None)
    noise = float(np.mean((Yc - Ac @ W) ** 2))
    Wk = es.eigenvectors.T @ W
    w_var = 1.0 / es.dim
    w2 = np.mean(Wk**2, axis=1) / w_var
    w2 = np.where(es.eigenvalues > 0, w2, 0.0)
    return Task.array(w2), w_var, noise


# --------------------------------------------------------------------------- real-data regression --
def _activation(name: str):
    if name == "linear":
        return lambda z: z
    if name == "relu":
        return lambda z: np.maximum(z, 0.0)
    raise ParameterError(f"activation must be 'linear' or 'relu'; got {name!r}")


def feature_spectrum(X: Any, N: int, activation: str = "relu", seed: int = 0) -> np.ndarray:
    """Eigenvalues of the centred covariance of the random features ``sigma(u x)`` over the rows of ``X``.

    ``u`` is ``N x dim`` with ``Var(u) = 1/dim`` (seeded). Computed from the ``n x n`` Gram matrix when
    ``N > n`` (same non-zero eigenvalues). Returned in decreasing order, divided by ``N`` (per feature),
    length ``min(N, n)``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).standard_normal((300, 5))
    >>> int(np.count_nonzero(feature_spectrum(X, 40, "linear") > 1e-10)), \
int(np.count_nonzero(feature_spectrum(X, 40, "relu") > 1e-10))
    (5, 40)
    """
    A = _check_matrix(X)
    check_size("N", N)
    N = int(N)
    rng = np.random.default_rng(seed)
    u = rng.standard_normal((N, A.shape[1])) / math.sqrt(A.shape[1])
    F = _activation(activation)(A @ u.T)
    F = F - F.mean(axis=0)
    n = A.shape[0]
    G = (F @ F.T if N > n else F.T @ F) / (n * N)
    lam = np.linalg.eigvalsh(G)[::-1].copy()
    lam[lam <= max(G.shape) * np.finfo(np.float64).eps * max(lam[0], 0.0)] = 0.0
    return lam


def rf_regression(
    X_pool: Any,
    X_test: Any,
    N: int,
    T: int,
    gamma: Any = 0.0,
    *,
    Y_pool: Any = None,
    Y_test: Any = None,
    activation: str = "linear",
    seeds: int = 16,
    seed: int = 0,
    teachers: int = 8,
    center: np.ndarray | None = None,
) -> SimulationResult:
    """Random-feature ridge regression on real samples; test loss on held-out real samples.

    Per seed: draw ``T`` training rows from ``X_pool`` without replacement, random features
    ``phi = sigma(u x)`` with ``u`` (``N x dim``, ``Var = 1/dim``), and either ``teachers`` linear teachers
    ``w ~ N(0, I/dim)`` (labels ``y = w . (x - center)``, when ``Y_pool`` is None) or the given labels;
    fit ``theta`` for every ridge from one SVD (objective ``1/2 sum (z - y)^2 + gamma/2 |theta|^2``,
    minimum-norm least squares at ``gamma = 0``) and report ``1/2`` the mean squared test error per
    output over ``X_test``. An isotropic teacher is rotation invariant, so drawing ``w`` on raw centred
    coordinates or on the eigen coordinates is the same model. Labels (if given) are centred by the
    pool mean.

    Returns
    -------
    SimulationResult
        ``loss_mean``, ``loss_stderr`` (over seeds), ``per_seed``, ``train_mean`` per ridge.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).standard_normal((400, 10))
    >>> r = rf_regression(X[:300], X[300:], N=20, T=40, gamma=[0.0, 1.0], seeds=3)
    >>> r.loss_mean.shape
    (2,)
    """
    Xp = _check_matrix(X_pool, "X_pool")
    Xt = _check_matrix(X_test, "X_test")
    if Xt.shape[1] != Xp.shape[1]:
        raise ParameterError(f"X_test must have {Xp.shape[1]} columns; got {Xt.shape[1]}")
    for nm, v in (("N", N), ("T", T), ("seeds", seeds), ("teachers", teachers)):
        check_size(nm, v)
        if int(v) != v:
            raise ParameterError(f"{nm} must be a positive integer; got {v}")
    N, T, seeds, teachers = int(N), int(T), int(seeds), int(teachers)
    if T > Xp.shape[0]:
        raise ParameterError(f"T must be <= the pool size {Xp.shape[0]}; got {T}")
    gam = np.atleast_1d(np.asarray(check_ridge("gamma", gamma), dtype=np.float64))
    act = _activation(activation)
    D = Xp.shape[1]
    mu = Xp.mean(axis=0) if center is None else np.asarray(center, dtype=np.float64)
    Pc, Tc = Xp - mu, Xt - mu
    labelled = Y_pool is not None
    if labelled:
        Yp = np.asarray(Y_pool, dtype=np.float64)
        Yt = np.asarray(Y_test, dtype=np.float64)
        Yp = Yp[:, None] if Yp.ndim == 1 else Yp
        Yt = Yt[:, None] if Yt.ndim == 1 else Yt
        if Yp.shape[0] != Xp.shape[0] or Yt.shape[0] != Xt.shape[0]:
            raise ParameterError("Y_pool / Y_test must have one row per sample of X_pool / X_test")
        ym = Yp.mean(axis=0)
        Yp, Yt = Yp - ym, Yt - ym
    rng = np.random.default_rng(seed)
    per = np.empty((seeds, gam.size))
    train = np.empty((seeds, gam.size))
    for i in range(seeds):
        rows = rng.choice(Xp.shape[0], size=T, replace=False)
        u = rng.standard_normal((N, D)) / math.sqrt(D)
        if labelled:
            Ytr, Yte = Yp[rows], Yt
        else:
            W = rng.standard_normal((D, teachers)) / math.sqrt(D)
            Ytr, Yte = Pc[rows] @ W, Tc @ W
        Phi = act(Pc[rows] @ u.T)
        Phit = act(Tc @ u.T)
        U, sv, Vt = np.linalg.svd(Phi, full_matrices=False)
        UtY = U.T @ Ytr
        tol = sv.max(initial=0.0) * max(N, T) * np.finfo(np.float64).eps
        PtV = Phit @ Vt.T
        for j, g in enumerate(gam):
            if g == 0:
                filt = np.where(sv > tol, 1.0 / np.where(sv > tol, sv, 1.0), 0.0)
            else:
                filt = sv / (sv**2 + g)
            coef = filt[:, None] * UtY
            per[i, j] = 0.5 * np.mean((PtV @ coef - Yte) ** 2)
            train[i, j] = 0.5 * np.mean((U @ (sv[:, None] * coef) - Ytr) ** 2)
    mean = per.mean(axis=0)
    se = per.std(axis=0, ddof=1) / math.sqrt(seeds) if seeds > 1 else np.full(gam.size, np.inf)
    return SimulationResult(N, T, gam, seeds, mean, se, per, train.mean(axis=0))
