"""Ensembles of ``E`` random-feature models: the test loss of the averaged predictor, statics and dynamics.

The ensemble predictor is the average of ``E`` models that differ in their random features ``A_e``
(independent draws) and are trained either on **the same data** (``data="same"``) or on **independent
data** (``data="independent"``). With ``v_e`` the error vector of model ``e`` (``v = w* - A^T theta/sqrt(N)``
in the conventions of :mod:`scalingsym.models.dynamics`), the ensemble error is ``(1/E) sum_e v_e`` and

.. math:: L_E = \\frac{1}{E^2}\\sum_{e,e'} \\mathbb E\\, v_e^T\\Lambda v_{e'}
          = C + \\frac{L_1 - C}{E},\\qquad C = \\mathbb E\\, v_1^T \\Lambda v_2 ,

exactly (for every ``E``, the models being exchangeable): ``C`` is the loss of the mean predictor (the
"bias" of the infinite ensemble, ``E = inf``) and ``L_1 - C`` the variance over features; ``L_1`` is the
single-model loss of :class:`~scalingsym.models.dynamics.GradientFlowRF` or
:class:`~scalingsym.models.ridge.RandomFeatureRidge`.

**The cross term, and how it was derived.** In the Laplace domain ``v(s) = (s + F Sigma_hat)^{-1} w*``
(``F = A^T A / N``, ``Sigma_hat`` the empirical covariance of the ``P`` samples).

* Independent data: ``C = sum_k lambda_k (E v_k)^2`` with ``E v_k(s) = w*_k H_k(s)``,
  ``H_k = kt/(s (lambda_k + kt))`` (sheet B3), i.e. in two Laplace variables
  ``C(s1, s2) = kt1 kt2 H12 / (s1 s2)``, ``H12 = sum lambda w2 / ((lambda + kt1)(lambda + kt2))``.
* Same data: condition on the data and average over ``A`` only. Subordination for the free Wishart
  factor ``F`` (the same step that gives the ``N``-level factor of the full equation) gives
  ``E_A (s + F Sigma_hat)^{-1} = (s + c Sigma_hat)^{-1}`` with ``c = 1 - tr[Sigma_hat (z + Sigma_hat)^{-1}]/N``,
  ``z = s / c``: the mean model over features is kernel gradient flow on the data at the renormalised
  Laplace variable ``z``, rescaled by ``1/c``. The remaining data average is the ``N = inf`` two-point
  function at ``(z1, z2)`` (sheet B4 with ``1/N = 0``), whose renormalised ridge at ``z`` is the
  ``kappa_tilde(s)`` of the full equation ``s = kt (1 - df/N)(1 - df/P)`` (because ``c = 1 - df/N`` and
  ``z = kt (1 - df/P)``). The factors ``c`` cancel and

  .. math:: C(s_1, s_2) = \\frac{\\tilde\\kappa_1\\tilde\\kappa_2 H_{12}}{(1 - E_{12}/P)\\, s_1 s_2},
            \\qquad E_{12} = \\sum_k\\frac{\\lambda_k^2}{(\\lambda_k+\\tilde\\kappa_1)(\\lambda_k+\\tilde\\kappa_2)} ,

  the independent-data cross term divided by the data-variance factor ``1 - E12/P``. Checks: at
  ``N = inf`` it is the single-model two-point loss (features are then not random); at ``P = inf``
  the two cases coincide.

Statics: the ridge error is ``s (s + F Sigma_hat)^{-1} w`` with ``s = gamma_bar/(N T)``, so the static
cross term is ``s^2 C(s, s)``: ``C_ind = w_var/2 rho^2 sum lambda w2/(lambda + rho)^2`` (the model's
``bias``) and ``C_same = C_ind / (1 - d2/T)``, ``d2 = sum lambda^2/(lambda + rho)^2``. At the ridgeless
interpolation peak ``N = T`` the single-model loss is infinite but ``C_same`` is finite: the infinite
ensemble has no peak. These are large-``N``, ``T`` deterministic equivalents (finite-size corrections
``O(1/min(N, T))``).

Examples
--------
>>> from scalingsym.core.spectra import PowerLaw
>>> from scalingsym.models.ridge import RandomFeatureRidge
>>> res = static_ensemble(RandomFeatureRidge(PowerLaw(alpha=1, M=500)), N=100, T=400, gamma=1e-3, E=[1, 4])
>>> bool(res.loss[0] == res.single) and bool(res.cross < res.loss[1] < res.single)
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.errors import ParameterError
from ..core.laplace import NODES_2D, SCALE_2D, combine_2d, talbot_contour
from ..core.resolvent import solve_rho_complex
from .dynamics import GradientFlowRF, _size, _times
from .ridge import RandomFeatureRidge

__all__ = [
    "ensemble_loss",
    "check_ensemble",
    "cross_term",
    "static_ensemble",
    "StaticEnsemble",
    "EnsembleCurve",
    "dynamics_ensemble",
]

DATA_MODES = ("same", "independent")


def check_ensemble(E: Any) -> np.ndarray:
    """``E`` as a float array of positive integers or ``inf``; a ParameterError otherwise."""
    try:
        arr = np.atleast_1d(np.asarray(E, dtype=np.float64)).ravel()
    except (TypeError, ValueError):
        raise ParameterError(f"E (ensemble size) must be a positive integer or inf; got {E!r}") from None
    ok = (arr >= 1) & (np.isinf(arr) | (arr == np.round(arr)))
    if arr.size == 0 or not np.all(ok):
        raise ParameterError(f"E (ensemble size) must be a positive integer or inf; got {E!r}")
    return arr


def _check_data(data: str) -> str:
    if data not in DATA_MODES:
        raise ParameterError(f"data must be one of {DATA_MODES}; got {data!r}")
    return data


def ensemble_loss(single: Any, cross: Any, E: Any) -> np.ndarray:
    """``L_E = C + (L_1 - C)/E`` (``E = inf`` gives ``C``; ``E = 1`` returns ``single`` itself).

    Shapes: ``single`` and ``cross`` broadcast together; the result has a leading axis over ``E``.

    >>> ensemble_loss(3.0, 1.0, [1, 2, float("inf")]).tolist()
    [3.0, 2.0, 1.0]
    """
    Es = check_ensemble(E)
    L1 = np.asarray(single, dtype=np.float64)
    C = np.asarray(cross, dtype=np.float64)
    out = []
    for e in Es:
        if e == 1:
            out.append(np.broadcast_to(L1, np.broadcast(L1, C).shape).copy())
        elif math.isinf(e):
            out.append(np.broadcast_to(C, np.broadcast(L1, C).shape).copy())
        else:
            with np.errstate(invalid="ignore"):
                out.append(np.where(np.isinf(L1), np.inf, C + (L1 - C) / e))
    return np.array(out)


# ------------------------------------------------------------------------------------ statics ---
@dataclass
class StaticEnsemble:
    """Static ensemble losses: ``loss[i]`` at ``E[i]``; ``single`` = ``L_1``, ``cross`` = ``C`` (= ``L_inf``)."""

    E: np.ndarray
    loss: np.ndarray
    single: Any
    cross: Any
    data: str


def static_ensemble(
    model: RandomFeatureRidge, N: Any, T: Any, gamma: Any = 0.0, E: Any = 1, data: str = "same"
) -> StaticEnsemble:
    """Test loss of the average of ``E`` ridge models (independent features; same or independent data).

    Parameters
    ----------
    model : RandomFeatureRidge
        The single model (its conventions: loss ``1/2 E (beta - w)^T Lambda (beta - w)``).
    N, T, gamma : float
        Features, samples, ridge (scalars), as in :meth:`RandomFeatureRidge.solve`.
    E : int, inf or sequence
        Ensemble sizes.
    data : {"same", "independent"}
        Whether the members share the training set.
    """
    if not isinstance(model, RandomFeatureRidge):
        raise ParameterError(f"model must be a RandomFeatureRidge; got {type(model).__name__}")
    _check_data(data)
    Es = check_ensemble(E)
    if np.ndim(N) or np.ndim(T) or np.ndim(gamma):
        raise ParameterError("N, T and gamma must be scalars for static_ensemble")
    sol = model.solve(N, T, gamma)
    single = float(sol.loss)
    cross = float(sol.bias)  # rho^2 sum lambda w2/(lambda+rho)^2 (w_var/2 included): independent data
    if data == "same" and math.isfinite(float(sol.T)) and float(sol.rho) > 0:
        cross = cross / (1.0 - float(sol.d2) / float(sol.T))
    return StaticEnsemble(Es, ensemble_loss(single, cross, Es), single, cross, data)


# ----------------------------------------------------------------------------------- dynamics ---
@dataclass
class EnsembleCurve:
    """Ensemble loss curves: ``loss[i, j]`` at ``E[i]`` and ``t[j]``; ``single``, ``cross`` per ``t``."""

    t: np.ndarray
    E: np.ndarray
    loss: np.ndarray
    single: np.ndarray
    cross: np.ndarray
    N: float
    P: float
    data: str


def cross_term(model: GradientFlowRF, t: Any, N: Any, P: Any, data: str = "same", nodes: int = NODES_2D) -> np.ndarray:
    """``C(t) = E v_1(t)^T Lambda v_2(t)`` for two models with independent features (see module docstring).

    Inverse two-dimensional fixed-Talbot transform at ``t1 = t2 = t`` (the contours of
    :meth:`GradientFlowRF.loss_curve`); ``C(0) = sum lambda w2``.
    """
    _check_data(data)
    tt = _times(t)
    N, P = _size("N", N), _size("P", P)
    out = np.full(tt.size, model.total)
    pos = tt > 0
    if not np.any(pos):
        return out
    spec, task = model.spectrum, model.task
    tp = tt[pos]
    s1, w1 = talbot_contour(tp, nodes)
    k1 = solve_rho_complex(spec, s1, N, P)
    s2h, _ = talbot_contour(tp, nodes, scale=SCALE_2D)
    k2h = solve_rho_complex(spec, s2h, N, P)
    _, w2 = talbot_contour(tp, nodes, scale=SCALE_2D, full=True)
    s2 = np.concatenate([np.conj(s2h[:, :0:-1]), s2h], axis=1)
    k2 = np.concatenate([np.conj(k2h[:, :0:-1]), k2h], axis=1)
    h1 = spec.sums_complex(k1, 1, 1, task)[:, :, None]
    h2 = spec.sums_complex(k2, 1, 1, task)[:, None, :]
    K1, K2 = k1[:, :, None], k2[:, None, :]
    dk = K2 - K1
    vals = K1 * K2 * (h1 - h2) / dk / (s1[:, :, None] * s2[:, None, :])
    if data == "same" and math.isfinite(P):
        df1 = spec.sums_complex(k1, 1, 1)[:, :, None]
        df2 = spec.sums_complex(k2, 1, 1)[:, None, :]
        E12 = (K2 * df2 - K1 * df1) / dk
        vals = vals / (1.0 - E12 / P)
    out[pos] = combine_2d(vals, w1, w2)
    return out


def dynamics_ensemble(
    model: GradientFlowRF, t: Any, N: Any, P: Any = math.inf, E: Any = 1, data: str = "same"
) -> EnsembleCurve:
    """Ensemble test-loss curves of gradient flow: ``L_E(t) = C(t) + (L_1(t) - C(t))/E``.

    ``L_1`` is :meth:`GradientFlowRF.loss_curve` (so ``E = 1`` is exactly the single-model loss) and
    ``C`` is :func:`cross_term`.

    Examples
    --------
    >>> import numpy as np
    >>> m = GradientFlowRF.from_exponents(a=2, b=1.5, M=300)
    >>> c = dynamics_ensemble(m, [1.0, 10.0], N=64, P=256, E=[1, 4])
    >>> bool(np.array_equal(c.loss[0], m.loss_curve([1.0, 10.0], N=64, P=256).test_loss))
    True
    """
    if not isinstance(model, GradientFlowRF):
        raise ParameterError(f"model must be a GradientFlowRF; got {type(model).__name__}")
    _check_data(data)
    Es = check_ensemble(E)
    tt = _times(t)
    N, P = _size("N", N), _size("P", P)
    single = model.loss_curve(tt, N=N, P=P).test_loss
    cross = cross_term(model, tt, N, P, data)
    return EnsembleCurve(tt, Es, ensemble_loss(single, cross, Es), single, cross, N, P, data)

