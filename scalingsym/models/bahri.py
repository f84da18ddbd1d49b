"""The linear teacher-student model of Bahri, Dyer, Kaplan, Lee and Sharma on the shared core.

Bahri et al. (Sec. 2.3; ``dynamics_and_regimes.md`` A2, B6): ``S`` teacher features with second moment
``lambda_i = i^-(1+alpha_K)``, an isotropic teacher ``omega ~ N(0, 1/S)``, a student of ``P`` features
given by a random projection of the teacher features, ``D`` training samples, trained to the
global minimum of the square loss (ridgeless, minimum norm). This *is* the random-feature ridge
model of :mod:`scalingsym.models.ridge` with

* ``N = P`` (parameters), ``T = D`` (samples), ``gamma = 0``;
* latent spectrum ``PowerLaw(alpha=alpha_K, M=S)``; ``w_var = 1/S`` (``1`` for ``S = inf``);
* isotropic teacher, i.e. ``a = b = 1 + alpha_K`` in the notation of Bordelon et al.
  A general teacher ``w2_k = k^-nu`` (``Task.power(nu)``) is allowed to show how the ``D <-> P``
  duality breaks.

The regimes (variance- and resolution-limited, the ``D <-> P`` duality) are derived in
:mod:`scalingsym.theory.bahri`.

All losses are the large-``P, D`` deterministic equivalents of the core (exact finite-``S`` sums,
``O(1/min(P, D))`` finite-size corrections). :func:`scalingsym.simulate.bahri.simulate_bahri` is an independent
Monte-Carlo of the model as Bahri et al. write it (random projector, exact test error from eq. 1).

Examples
--------
>>> m = BahriModel(alpha_K=0.5, S=2000)
>>> L_P = m.loss(D=float("inf"), P=50)
>>> bool(abs(m.loss(D=400, P=50) / (L_P / (1 - 50 / 400)) - 1) < 1e-12)
True
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import sympy as sp

from ..core import symbols as S
from ..core.errors import ParameterError, check_size
from ..core.spectra import PowerLaw
from ..core.tasks import Task
from .ridge import RandomFeatureRidge

#: symbols of the general-teacher two-point deterministic equivalent: weighted sums
#: ``A = sum w2 lam/(lam+rho)``, ``B = sum w2 lam^2/(lam+rho)^2`` and the unweighted ``e1 = d1 - d2``
A_w, B_w, e1_s, sig2_s = S.A_w, S.B_w, S.e1, S.sigma_N2
_eps = sp.Symbol("varepsilon", positive=True)
_L = sp.Function("L")

_SOURCE = "Bahri et al. (arXiv 2102.06701) Sec. 2.3-2.4 mapped onto the random-feature ridge core (N=P, T=D)"


#: the largest kernel exponent accepted (beyond it every eigenvalue past the first underflows float64 and the
#: exact symbolic prefactor A^(1+alpha_K) is no longer cheap to simplify)
ALPHA_K_MAX = 1000.0


class BahriModel:
    """Bahri et al.'s teacher-student model as :class:`RandomFeatureRidge` (``N = P``, ``T = D``, ridgeless).

    Parameters
    ----------
    alpha_K : float
        Kernel exponent, ``lambda_i = i^-(1+alpha_K)``, ``> 0``.
    S : int or float
        Number of teacher features (``inf`` allowed).
    task : Task, optional
        Teacher-weight variances; default isotropic (Bahri et al.'s ``omega ~ N(0, 1/S)``).

    Examples
    --------
    >>> m = BahriModel(alpha_K=1.0, S=float("inf"))
    >>> float(m.loss(D=100, P=200)) == float(m.loss(D=200, P=100))
    True
    """

    def __init__(self, alpha_K: float, S: float = math.inf, task: Task | None = None) -> None:
        a = float(alpha_K)
        if not math.isfinite(a) or not 0 < a <= ALPHA_K_MAX:
            raise ParameterError(f"alpha_K must be a number in (0, {ALPHA_K_MAX:g}]; got {alpha_K}")
        self.alpha_K = a
        self.S = float(S)
        self.spectrum = PowerLaw(alpha=a, M=S)
        self.task = task or Task.isotropic()
        self.ridge = RandomFeatureRidge(self.spectrum, task=self.task)

    def __repr__(self) -> str:
        return f"BahriModel(alpha_K={self.alpha_K:g}, S={self.S:g}, task={self.task.describe()})"

    def loss(self, D: Any, P: Any) -> Any:
        """Expected test loss ``L(D, P)`` (float64, vectorised; ``D`` or ``P`` may be ``inf``)."""
        check_size("D", D, allow_inf=True)
        check_size("P", P, allow_inf=True)
        return self.ridge.loss(N=P, T=D, gamma=0.0)

    def loss_P(self, P: Any) -> Any:
        """``L(P) = L(D = inf, P)``: the resolution-limited loss in the number of parameters."""
        return self.loss(math.inf, P)

    def loss_D(self, D: Any) -> Any:
        """``L(D) = L(D, P = inf)``: kernel (ridgeless) regression on ``D`` samples."""
        return self.loss(D, math.inf)






















def fit_exponent(x: Any, y: Any) -> float:
    """Least-squares slope ``-d log y / d log x`` (the fitted decay exponent).

    >>> fit_exponent([1, 2, 4], [1, 0.5, 0.25])
    1.0
    """
    lx, ly = np.log(np.asarray(x, dtype=np.float64)), np.log(np.asarray(y, dtype=np.float64))
    return float(round(-np.polyfit(lx, ly, 1)[0], 14))
