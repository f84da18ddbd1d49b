"""Gradient flow of the random-feature model of Bordelon, Atanasov and Pehlevan (arXiv 2402.01092).

Model (``dynamics_and_regimes.md`` A1, reference-simulation conventions): latent features
``psi ~ N(0, Lambda)``, ``Lambda = diag(lambda_k)``; teacher ``y = w* . psi`` (deterministic weights,
``w2_k = w*_k^2`` from a :class:`~scalingsym.core.tasks.Task`); student ``f = theta . A psi / sqrt(N)`` with
``A_ik ~ N(0, 1)``; gradient flow on ``(1/2P) sum_mu (f - y)^2`` from ``theta = 0``. The error vector
``v = w* - A^T theta / sqrt(N)`` obeys ``dv/dt = -F Sigma_hat v`` (``F = A^T A/N``, ``Sigma_hat`` the
empirical covariance of ``P`` samples). Test loss ``L(t) = v^T Lambda v = E_x (f - y)^2`` (no 1/2),
train loss ``v^T Sigma_hat v``. BAP's exponents: task power ``lambda_k w2_k = k^-a``, spectrum
``lambda_k = k^-b``, i.e. ``PowerLaw(alpha=b-1)`` with ``Task.power(a-b)`` (:meth:`GradientFlowRF.from_exponents`).

Deterministic equivalent (sheet B3-B4; derived by subordination, validated against simulation): the
Laplace-domain renormalised ridge ``kappa_tilde(s)`` solves

.. math:: s = \\tilde\\kappa\\Big(1-\\frac{\\mathrm{df}}{N}\\Big)\\Big(1-\\frac{\\mathrm{df}}{P}\\Big),
          \\quad \\mathrm{df} = \\sum_k \\frac{\\lambda_k}{\\lambda_k + \\tilde\\kappa},

which *is* the static self-consistent equation of :mod:`scalingsym.core.resolvent` with ``T -> P`` and the
ridge ``s = gamma_bar/(N T)`` replaced by the Laplace variable; it is solved by
:func:`~scalingsym.core.resolvent.solve_rho` (real ``s``) and :func:`~scalingsym.core.resolvent.solve_rho_complex`
(on the Talbot contours), with ``df = d1`` from :meth:`Spectrum.sums_complex`. The mean error per mode is
``E v_k(s) = w*_k H_k(s)``, ``H_k = kappa_tilde / (s (lambda_k + kappa_tilde))``.

Time-domain losses (exact finite-``M`` sums inside; the deterministic equivalent itself is the large
``N, P`` limit, with ``O(1/N)`` non-proportional corrections at early times, see
:meth:`GradientFlowRF.early_time_coefficients`):

* ``P = inf`` (one variable): ``L(t) = L^{-1}[ (kappa_tilde/s) h(kappa_tilde) ](2t)`` with
  ``h(k) = sum lambda w2/(lambda + k)``, which equals the sheet's ``sum lambda w2 - L^{-1}[g/s](2t)``
  (``g = sum lambda^2 w2/(lambda + kappa_tilde)``) without its cancellation at late times;
* finite ``P`` (two variables, at ``t1 = t2 = t``): the sheet's two-point function
  ``L(s1,s2) = (K12 + sigma^2 gamma12)/((1 - gamma12) s1 s2) + sigma^2/(s1 s2)``, rewritten without
  cancellations as ``X12 / ((1 - gamma12) s1 s2)`` with
  ``X12 = kt1 kt2 (a1 H12 + h1 D12/N)/(a1 + kt2 D12/N)``,
  ``gamma12 = (E12 a1 + kt2 df2 D12/N) / (P (a1 + kt2 D12/N))``, ``a = 1 - df/N`` and the two-point sums
  ``D12 = sum lambda/((lambda+kt1)(lambda+kt2))``, ``E12 = sum lambda^2/(...)``,
  ``H12 = sum lambda w2/(...)`` (partial fractions of one-point sums); train loss
  ``(s1/kappa1)(s2/kappa2) L(s1,s2)`` with ``kappa = kt a``.

Examples
--------
>>> import numpy as np
>>> model = GradientFlowRF.from_exponents(a=2, b=1.5, M=500)
>>> t = np.array([1.0, 10.0])
>>> curve = model.loss_curve(t)            # N = P = inf: the exact sum
>>> bool(np.allclose(curve.test_loss, model.loss_exact_infinite(t), rtol=1e-8))
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from ..core import symbols as S
from ..core.errors import ParameterError, check_noise
from ..core.laplace import NODES_1D, SCALE_2D, combine_2d, invert_laplace, talbot_contour
from ..core.resolvent import ridgeless_rho, self_consistent_equation, solve_rho, solve_rho_complex
from ..core.result import Result
from ..core.spectra import PowerLaw, Spectrum
from ..core.tasks import Task

__all__ = [
    "GradientFlowRF",
    "DynamicsCurve",
    "LAPLACE_EQUATION",
    "TRANSFER",
    "TRANSFER_R1R3",
    "LOSS_P_INF",
    "lambda_k",
]

# ----------------------------------------------------------------------------- symbolic layer ----
#: eigenvalue of mode k, teacher weight variance and the data-level ridge
lambda_k = sp.Symbol("lambda_k", positive=True)
w2_k = sp.Symbol("w2_k", positive=True)
_R = sp.Symbol("R", positive=True)

#: the Laplace-domain equation: the core's normalised self-consistent equation with T -> P
#: (rho plays kappa_tilde, d_1 plays df)
LAPLACE_EQUATION = Result(
    "Laplace-domain self-consistent equation",
    self_consistent_equation(normalised=True).rhs.subs(S.T, S.P),
    lhs=S.s,
    regime=(S.s > 0,),
    source="Bordelon-Atanasov-Pehlevan (dynamics sheet B3); same equation as scalingsym.resolvent with T -> P",
    exact=True,
    convention="rho = kappa_tilde(s), d_1 = df(kappa_tilde) = sum lambda/(lambda + kappa_tilde)",
)

#: per-mode transfer function ``H_k(s) = E v_k(s) / w*_k``
TRANSFER = Result(
    "per-mode transfer function",
    S.rho / (S.s * (lambda_k + S.rho)),
    lhs=sp.Function("H_k")(S.s),
    source="dynamics sheet B3",
    exact=True,
    convention="E v_k(s) = w*_k H_k(s); rho = kappa_tilde(s)",
)

#: the same in the R1 R3 form ``1/(s + lambda_k R)``, ``R = R_1 R_3 = s / kappa_tilde``
TRANSFER_R1R3 = Result(
    "per-mode transfer function, R1 R3 form",
    1 / (S.s + lambda_k * _R),
    lhs=sp.Function("H_k")(S.s),
    source="dynamics sheet B3 ([S] notes' Eq. 10 form)",
    exact=True,
    convention="R = R_1 R_3 = (1 - df/P)(1 - df/N) = s / kappa_tilde",
)

#: P = inf test loss in the Laplace domain of tau = 2 t: L(tau) = L^{-1}[rho/s * sum lambda w2/(lambda+rho)]
LOSS_P_INF = Result(
    "test loss at P = inf (Laplace domain in tau = 2t)",
    S.rho / S.s * sp.Sum(lambda_k * w2_k / (lambda_k + S.rho), (S.k, 1, S.M)),
    lhs=sp.Symbol(r"\hat{L}"),
    regime=(sp.Eq(1 / S.P, 0),),
    source="dynamics sheet B4 (P = inf collapse), rewritten as (T - g(s))/s",
    exact=True,
    convention="rho solves s = rho (1 - d_1/N); L(t) = inverse transform at tau = 2t",
)


#: Talbot nodes per half contour of the two-point function: its transforms converge fast, and 12 nodes agree
#: with 16-20 to ~5e-8 up to t = 1e4 and ~3e-6 at t ~ 1e7 (measured over (a, b) = (2, 1.5), (3.5, 1.5), (1.5, 2.5),
#: (4, 1.2) with N, P from 10 to 1e4), at 3/4 of the cost of the generic 16
NODES_TWO_POINT = 12


@dataclass
class DynamicsCurve:
    """Test and train loss at the times ``t`` (float64 arrays)."""

    t: np.ndarray
    test_loss: np.ndarray
    train_loss: np.ndarray
    N: float
    P: float


def _size(name: str, v: Any) -> float:
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be a number > 0 or inf; got {v!r}") from None
    if math.isnan(x) or x <= 0:
        raise ParameterError(f"{name} must be a number > 0 or inf; got {v!r}")
    return x


def _times(t: Any) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(t, dtype=np.float64)).ravel()
    if arr.size == 0 or np.any(~np.isfinite(arr)) or np.any(arr < 0):
        raise ParameterError(f"times t must be finite numbers >= 0; got {t}")
    return arr


class GradientFlowRF:
    """The BAP gradient-flow random-feature model on a spectrum and task of the core.

    Parameters
    ----------
    spectrum : Spectrum
        ``lambda_k`` (finite ``M``, or a ``PowerLaw`` with ``M = inf``).
    task : Task, optional
        Teacher weight variances ``w2_k`` (task power ``lambda_k w2_k``); default isotropic.
    """

    def __init__(self, spectrum: Spectrum, task: Task | None = None) -> None:
        if not isinstance(spectrum, Spectrum):
            raise ParameterError("spectrum must be a scalingsym Spectrum")
        self.spectrum = spectrum
        self.task = task or Task.isotropic()
        self.total = float(spectrum.sums(0.0, 1, 0, self.task))  # sum lambda w2 = L(0)
        if not math.isfinite(self.total):
            raise ParameterError("the task power sum lambda_k w2_k must be finite")

    @classmethod
    def from_exponents(cls, a: float, b: float, M: float = math.inf) -> GradientFlowRF:
        """Task power ``k^-a`` and spectrum ``k^-b`` (``a > 1``, ``b > 1`` needed when ``M = inf``).

        >>> m = GradientFlowRF.from_exponents(2, 1.5, M=10)
        >>> round(m.total, 12) == round(sum(k**-2.0 for k in range(1, 11)), 12)
        True
        """
        a = float(a)
        if not math.isfinite(a):
            raise ParameterError(f"a must be a finite number; got a={a}")
        if math.isinf(float(M)) and a <= 1:
            raise ParameterError(f"M = inf needs a > 1 (a summable task power); got a={a}")
        return cls(cls.power_spectrum(b, M), Task.power(a - float(b)))

    @staticmethod
    def power_spectrum(b: float, M: float = math.inf) -> PowerLaw:
        """The spectrum ``lambda_k = k^-b`` (``b > 0``; ``b > 1`` when ``M = inf``).

        >>> GradientFlowRF.power_spectrum(1.5).alpha
        0.5
        """
        b = float(b)
        if not math.isfinite(b) or b <= 0:
            raise ParameterError(f"b must be a finite number > 0; got b={b}")
        if math.isinf(float(M)) and b <= 1:
            raise ParameterError(f"M = inf needs b > 1 (a summable spectrum k^-b); got b={b}")
        return PowerLaw(alpha=b - 1.0, M=M)

    # ----- the core equation ------------------------------------------------------------------
    def kappa_tilde(self, s: Any, N: Any = math.inf, P: Any = math.inf) -> np.ndarray:
        """``kappa_tilde(s)``: real ``s >= 0`` via :func:`solve_rho`, complex paths via :func:`solve_rho_complex`."""
        N, P = _size("N", N), _size("P", P)
        arr = np.asarray(s)
        if np.iscomplexobj(arr):
            return solve_rho_complex(self.spectrum, arr, N, P)
        return solve_rho(self.spectrum, arr, N, P)

    def transfer(self, k: Any, s: Any, N: Any = math.inf, P: Any = math.inf) -> np.ndarray:
        """``H_k(s) = kappa_tilde/(s (lambda_k + kappa_tilde))`` at real ``s > 0`` (modes ``k`` 1-based)."""
        lam = self.spectrum.eigenvalues(int(np.max(k)))[np.asarray(k, dtype=np.int64) - 1]
        kt = self.kappa_tilde(s, N, P)
        return kt / (np.asarray(s) * (lam + kt))

    # ----- exact references -------------------------------------------------------------------
    def loss_exact_infinite(self, t: Any) -> np.ndarray:
        """``L(t) = sum_k lambda_k w2_k e^{-2 lambda_k t}``: the exact ``N = P = inf`` loss (finite ``M``;
        ``PowerLaw`` with ``M = inf`` uses an exact head and a Hurwitz-zeta Taylor tail)."""
        tt = _times(t)
        spec = self.spectrum
        if spec.finite:
            lam = spec.eigenvalues()
            w = self.task.weights_np(np.arange(1, lam.size + 1)) * lam
            return np.array([np.sum(w * np.exp(-2.0 * lam * x)) for x in tt])
        if not isinstance(spec, PowerLaw) or self.task.values is not None:
            raise ParameterError("the exact N = P = inf sum needs a finite spectrum or a PowerLaw")
        from ..core.spectra import _scaled_hurwitz

        out = np.empty_like(tt)
        c, beta, nu = spec.lambda_plus, spec.beta, self.task.nu
        for i, x in enumerate(tt):
            # head up to 2 t lambda_K <= 1/4, then sum_j (-2t)^j/j! sum_{k>K} w lambda^(1+j)
            K = max(128, int(math.ceil((8.0 * x * c) ** (1.0 / beta))))
            k = np.arange(1, K + 1, dtype=np.float64)
            lam = c * k ** (-beta)
            head = float(np.sum(k ** (-nu) * lam * np.exp(-2.0 * lam * x)))
            a_ = K + 1.0
            lam_a = c * a_ ** (-beta)
            total, coef, j = 0.0, 1.0, 0
            while True:
                s_j = (1 + j) * beta + nu
                term = coef * lam_a ** (1 + j) * a_ ** (-nu) * float(_scaled_hurwitz(np.array(s_j), np.array(a_)))
                total += term
                if abs(term) <= 1e-17 * abs(total) or j > 200:
                    break
                j += 1
                coef *= -2.0 * x / j
            out[i] = head + total
        return out

    # ----- time domain ------------------------------------------------------------------------
    def _contour_kappa(self, tau: np.ndarray, nodes: int, scale: float, N: float, P: float):
        s, w = talbot_contour(tau, nodes, scale=scale)
        kt = solve_rho_complex(self.spectrum, s, N, P)
        return s, w, kt

    def loss_curve(
        self,
        t: Any,
        N: Any = math.inf,
        P: Any = math.inf,
        nodes: int | None = None,
        *,
        noise: Any = 0.0,
        test_noise: bool = False,
    ) -> DynamicsCurve:
        """Expected test and train loss at times ``t`` (deterministic equivalent, float64).

        Parameters
        ----------
        t : array_like
            Times ``>= 0`` (``t = 0`` gives ``sum lambda w2``).
        N, P : float
            Model size and number of training points (``inf`` allowed).
        nodes : int, optional
            Fixed-Talbot nodes per half contour (default 24 for ``P = inf``, 12 for finite ``P``).
        noise : float
            Variance ``sigma_eps^2 >= 0`` of independent label noise on the training labels.
        test_noise : bool
            Add the irreducible ``sigma_eps^2`` to the test loss (default: the test loss is against the
            noiseless target). The train loss is always against the noisy training labels.

        Returns
        -------
        DynamicsCurve

        Notes
        -----
        Conditioned on the features, label noise enters exactly as the misspecification residual does
        (sheet B4): an independent Gaussian label error. It adds ``sigma_eps^2 gamma12 / ((1 - gamma12) s1 s2)``
        to the two-point test transform and ``sigma_eps^2 / ((1 - gamma12) kappa1 kappa2)`` to the train
        transform; at ``P = inf`` the test loss does not see it.

        Examples
        --------
        >>> m = GradientFlowRF.from_exponents(a=2, b=1.5, M=200)
        >>> clean = m.loss_curve([1e6], N=50, P=100).test_loss[0]
        >>> noisy = m.loss_curve([1e6], N=50, P=100, noise=0.1).test_loss[0]
        >>> round(float(noisy - clean) / 0.1, 3)   # ridgeless OLS variance N/(P - N) = 1
        1.0
        """
        tt = _times(t)
        N, P = _size("N", N), _size("P", P)
        var = check_noise(noise)
        test = np.full(tt.size, self.total)
        train = test + var
        pos = tt > 0
        if np.any(pos):
            if math.isinf(P):
                te = self._loss_p_inf(tt[pos], N, nodes or NODES_1D)
                tr = te + var
            else:
                te, tr = self._loss_two_point(tt[pos], N, P, nodes or NODES_TWO_POINT, var)
            test[pos], train[pos] = te, tr
        if test_noise:
            test = test + var
        return DynamicsCurve(tt, test, train, N, P)

    def _loss_p_inf(self, t: np.ndarray, N: float, nodes: int) -> np.ndarray:
        spec, task = self.spectrum, self.task
        tau = 2.0 * t
        if math.isinf(N):  # kappa_tilde = s exactly
            return invert_laplace(lambda s: spec.sums_complex(s, 1, 1, task), tau, nodes)
        s, w, kt = self._contour_kappa(tau, nodes, 1.0, N, math.inf)
        vals = kt / s * spec.sums_complex(kt, 1, 1, task)
        return np.real(np.sum(w * vals, axis=1))

    def _loss_two_point(self, t: np.ndarray, N: float, P: float, nodes: int, noise: float = 0.0):
        spec, task = self.spectrum, self.task
        iN = 0.0 if math.isinf(N) else 1.0 / N
        iP = 1.0 / P
        s1, w1, k1 = self._contour_kappa(t, nodes, 1.0, N, P)
        s2h, _, k2h = self._contour_kappa(t, nodes, SCALE_2D, N, P)
        _, w2 = talbot_contour(t, nodes, scale=SCALE_2D, full=True)
        s2 = np.concatenate([np.conj(s2h[:, :0:-1]), s2h], axis=1)
        k2 = np.concatenate([np.conj(k2h[:, :0:-1]), k2h], axis=1)

        def one_point(kt):
            df = spec.sums_complex(kt, 1, 1)
            h = spec.sums_complex(kt, 1, 1, task)
            return df, h, 1.0 - df * iN

        df1, h1, a1 = (x[:, :, None] for x in one_point(k1))
        df2, h2, a2 = (x[:, None, :] for x in one_point(k2))
        K1, K2 = k1[:, :, None], k2[:, None, :]
        dk = K2 - K1
        D12 = (df1 - df2) / dk
        H12 = (h1 - h2) / dk
        E12 = (K2 * df2 - K1 * df1) / dk
        den = a1 + K2 * D12 * iN
        X = K1 * K2 * (a1 * H12 + h1 * D12 * iN) / den
        gam = iP * (E12 * a1 + K2 * df2 * D12 * iN) / den
        core = X / (1.0 - gam)
        S1, S2 = s1[:, :, None], s2[:, None, :]
        if noise:  # the label-noise part: sigma_eps^2 gamma/(1-gamma) (test), sigma_eps^2/(1-gamma) (train)
            test = combine_2d((core + noise * gam / (1.0 - gam)) / (S1 * S2), w1, w2)
            train = combine_2d((core + noise / (1.0 - gam)) / (K1 * a1 * K2 * a2), w1, w2)
            return test, train
        test = combine_2d(core / (S1 * S2), w1, w2)
        train = combine_2d(core / (K1 * a1 * K2 * a2), w1, w2)
        return test, train

    def loss_pairs(self, t: Any, N: Any, nodes: int = NODES_1D) -> np.ndarray:
        """``P = inf`` test loss at paired arrays ``(t_i, N_i)`` (``t > 0``; vectorised over pairs)."""
        tt = _times(t)
        NN = np.broadcast_to(np.asarray(N, dtype=np.float64), tt.shape).copy()
        if np.any(tt <= 0) or np.any(~(NN > 0)):
            raise ParameterError("loss_pairs needs t > 0 and N > 0")
        s, w = talbot_contour(2.0 * tt, nodes)
        kt = solve_rho_complex(self.spectrum, s, NN, math.inf)
        vals = kt / s * self.spectrum.sums_complex(kt, 1, 1, self.task)
        return np.real(np.sum(w * vals, axis=1))

    def compute_optimal_frontier(self, C: Any, guess_exponent: float, width: float = 2.0, grid: int = 17) -> dict:
        """Numerical compute-optimal frontier at ``P = inf``: ``min_N L(t = C/N, N)`` for each ``C``.

        The minimum over ``log N`` is searched on a grid of ``grid`` points spanning ``width`` decades
        either side of ``C^guess_exponent``, refined twice and finished by a parabola in ``log N``; a
        minimum at the edge of the search window raises :class:`~scalingsym.core.errors.ConvergenceError`.
        Returns arrays ``C, N_opt, t_opt, L_opt`` and the local exponents (``d log X / d log C``
        between consecutive ``C``).
        """
        from ..core.errors import ConvergenceError

        Cs = np.atleast_1d(np.asarray(C, dtype=np.float64))
        Nopt, Lopt = np.empty_like(Cs), np.empty_like(Cs)
        for i, c in enumerate(Cs):
            center, half = guess_exponent * math.log(c), width * math.log(10.0)
            for level in range(3):
                x = np.linspace(center - half, center + half, grid)
                N = np.exp(x)
                L = self.loss_pairs(c / N, N)
                j = int(np.argmin(L))
                if j in (0, grid - 1):
                    if level == 0:
                        raise ConvergenceError(f"compute-optimal N at C = {c:g} is outside the search window")
                    j = min(max(j, 1), grid - 2)
                center, half = x[j], 2.0 * (x[1] - x[0])
            y0, y1, y2 = L[j - 1], L[j], L[j + 1]
            h = x[1] - x[0]
            xs = x[j] + 0.5 * h * (y0 - y2) / (y0 - 2 * y1 + y2)
            Nopt[i] = math.exp(xs)
            Lopt[i] = float(self.loss_pairs(c / Nopt[i], Nopt[i])[0])
        lc = np.log(Cs)
        out = {"C": Cs, "N_opt": Nopt, "t_opt": Cs / Nopt, "L_opt": Lopt}
        if Cs.size > 1:
            out["N_exponent"] = np.diff(np.log(Nopt)) / np.diff(lc)
            out["t_exponent"] = np.diff(np.log(Cs / Nopt)) / np.diff(lc)
            out["loss_exponent"] = np.diff(np.log(Lopt)) / np.diff(lc)
        return out

    # ----- static limits (t = inf) ------------------------------------------------------------
    def sigma2(self, N: Any) -> float:
        """Misspecification noise ``sigma^2(N) = kt0 sum lambda w2/(lambda + kt0)``, ``df(kt0) = N``
        (the ``t = inf``, ``P = inf`` loss; ``0`` once ``N >=`` the number of modes)."""
        N = _size("N", N)
        if math.isinf(N):
            return 0.0
        r0 = float(ridgeless_rho(self.spectrum, N))
        return r0 * float(self.spectrum.sums(r0, 1, 1, self.task)) if r0 > 0 else 0.0

    def loss_late(self, N: Any, P: Any) -> float:
        """``t = inf`` ridgeless loss for ``N < P`` (``sigma^2/(1 - N/P)``), ``N = P`` (``inf``) and
        ``N = inf`` (kernel formula ``kappa^2 sum lambda w2/(lambda+kappa)^2 / (1 - d2/P)``, ``df(kappa) = P``);
        sheet B4, deterministic equivalent."""
        N, P = _size("N", N), _size("P", P)
        if N < P:
            return self.sigma2(N) / (1.0 - (0.0 if math.isinf(P) else N / P))
        if N == P:
            return math.inf
        if math.isinf(N):
            kap = float(ridgeless_rho(self.spectrum, P))
            if kap == 0:
                return 0.0
            num = kap**2 * float(self.spectrum.sums(kap, 1, 2, self.task))
            return num / (1.0 - float(self.spectrum.sums(kap, 2, 2)) / P)
        raise ParameterError("loss_late covers N < P, N = P and N = inf; use loss_curve at large t for P < N < inf")

    # ----- finite width -----------------------------------------------------------------------
    def width_coefficient(self, t: Any, nodes: int = NODES_1D) -> np.ndarray:
        """``f(t) = d L / d(1/N)`` at ``1/N = 0``, ``P = inf`` (sheet B5):
        ``f(t) = L^{-1}[sum lambda^2 w2/(lambda+s)^2 * sum lambda/(lambda+s)](2t)``."""
        tt = _times(t)
        spec, task = self.spectrum, self.task
        return invert_laplace(lambda s: spec.sums_complex(s, 2, 2, task) * spec.sums_complex(s, 1, 1), 2 * tt, nodes)

    def data_coefficient(self, t: Any, nodes: int = NODES_TWO_POINT) -> np.ndarray:
        """``g(t) = d L / d(1/P)`` at ``1/P = 0``, ``N = inf``: the first finite-data correction of the test loss.

        With ``N = inf`` the renormalised ridge is ``kappa_tilde = s + s df(s)/P + O(P^-2)`` and
        ``gamma12 = E12/P``, so the first-order term of the two-point transform is

        .. math:: G(s_1, s_2) = H_{12} E_{12} + \\mathrm{df}_1 Q_1 + \\mathrm{df}_2 Q_2,
                  \\quad Q_1 = \\sum_k \\frac{p_k \\lambda_k}{(\\lambda_k+s_1)^2(\\lambda_k+s_2)},

        (``H12 = sum p/((lambda+s1)(lambda+s2))``, ``E12 = sum lambda^2/(...)``, ``p_k = lambda_k w2_k``; partial
        fractions of one-point sums), inverted on the two Talbot contours at ``t1 = t2 = t``. Deterministic
        equivalent (large ``P``), float64.

        Examples
        --------
        >>> m = GradientFlowRF.from_exponents(a=2, b=1.5, M=200)
        >>> g = m.data_coefficient([10.0])[0]
        >>> P = 1e6
        >>> fd = (m.loss_curve([10.0], P=P).test_loss[0] - m.loss_curve([10.0]).test_loss[0]) * P
        >>> bool(abs(fd / g - 1) < 1e-4)
        True
        """
        tt = _times(t)
        if np.any(tt <= 0):
            raise ParameterError("data_coefficient needs t > 0")
        g = self._data_coefficient(tt, nodes)
        # accuracy check: a second rule (two more nodes) must agree; where float64 round-off of the partial
        # fractions (differences of one-point sums over s2 - s1 ~ 1/t) dominates, they do not
        g2 = self._data_coefficient(tt, nodes + 2)
        bad = ~(np.abs(g2 - g) <= 1e-6 * np.abs(g))
        if np.any(bad):
            raise ParameterError(
                f"data_coefficient: two Talbot rules disagree by more than 1e-6 at t = {tt[bad].min():g} (float64 "
                "round-off of the partial fractions); allowed: earlier times")
        return g

    def _data_coefficient(self, tt: np.ndarray, nodes: int) -> np.ndarray:
        spec, task = self.spectrum, self.task
        s1, w1 = talbot_contour(tt, nodes, scale=1.0)
        s2, w2 = talbot_contour(tt, nodes, scale=SCALE_2D, full=True)

        def one_point(s):
            return (spec.sums_complex(s, 1, 1), spec.sums_complex(s, 1, 1, task),
                    spec.sums_complex(s, 2, 1, task), spec.sums_complex(s, 2, 2, task))

        df1, h1, A1, B1 = (x[:, :, None] for x in one_point(s1))
        df2, h2, A2, B2 = (x[:, None, :] for x in one_point(s2))
        S1, S2 = s1[:, :, None], s2[:, None, :]
        ds = S2 - S1
        H12 = (h1 - h2) / ds
        E12 = (S2 * df2 - S1 * df1) / ds
        dA = (A1 - A2) / ds
        Q1 = (B1 - dA) / ds
        Q2 = (dA - B2) / ds
        return combine_2d(H12 * E12 + df1 * Q1 + df2 * Q2, w1, w2)

    def width_coefficient_asymptote(self, t: Any) -> np.ndarray:
        """Late-time ``f(t) -> Gamma(1-1/b) zeta(a-b) (2t)^-(1-1/b) / b`` (``PowerLaw``, ``M = inf``,
        ``a - b > 1``; leading order; ``zeta(a-b) = sum w2_k``)."""
        spec = self.spectrum
        if not isinstance(spec, PowerLaw) or spec.finite or spec.lambda_plus != 1.0 or self.task.nu <= 1:
            raise ParameterError("the asymptote needs PowerLaw(M=inf, lambda_plus=1) and a - b = nu > 1")
        b = spec.beta
        return math.gamma(1 - 1 / b) * float(sp.zeta(self.task.nu)) * (2 * _times(t)) ** (-(1 - 1 / b)) / b

    def early_time_coefficients(self) -> dict:
        """Coefficient ``c`` of ``(t^2/N)`` in ``E L(t) - L_{N=inf}(t)`` (``P = inf``).

        ``exact`` (Gaussian ``A``, from ``E[F B F] = B + (B^T + Tr B I)/N``):
        ``2 (w^T Lambda^3 w + Tr Lambda w^T Lambda^2 w)``; ``deterministic_equivalent``: the ``s^-3``
        term of ``f``'s transform, ``2 Tr Lambda w^T Lambda^2 w``. The deterministic equivalent keeps only
        the trace term (exact in the proportional limit); ``ratio`` = exact / DE is the size of its
        early-time prefactor gap (1.361 for ``(a, b) = (2, 1.5)``, ``M = 1024``).
        """
        spec, task = self.spectrum, self.task
        l3 = float(spec.sums(0.0, 3, 0, task))
        l2 = float(spec.sums(0.0, 2, 0, task))
        tr = float(spec.sums(0.0, 1, 0))
        exact = 2.0 * (l3 + tr * l2)
        de = 2.0 * tr * l2
        return {"exact": exact, "deterministic_equivalent": de, "ratio": exact / de}
