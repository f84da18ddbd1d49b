"""Asymptotics engine: give it a spectrum, get the scaling law.

* :mod:`.spectral`: small-``rho`` laws of the spectral sums (counting function + Mellin transform);
* :mod:`.regimes`: the regime map of the ridge test loss ``L(N, T, gamma)`` and its exponents;
* :mod:`.optimal`: optimal ridge and compute allocation.
"""

from .optimal import (
    OptimalRidge,
    derive_optimal_d,
    equiparameterized_optimum,
    optimal_allocation,
    optimal_d_root,
    optimal_ridge,
    optimal_ridge_alpha1,
    optimal_ridge_power_law,
    ridgeless_allocation,
)
from .regimes import crossover_scales, derive_regulated_peak, exponents, power_and_log, regime_map
from .spectral import (
    A_alpha,
    Delta_asymptotic,
    TailLaw,
    d1_asymptotic,
    e1_asymptotic,
    mellin_constant,
    ridgeless_rho_asymptotic,
    spectral_sum_asymptotic,
    tail_law,
)

__all__ = [
    "A_alpha",
    "Delta_asymptotic",
    "OptimalRidge",
    "TailLaw",
    "crossover_scales",
    "d1_asymptotic",
    "derive_optimal_d",
    "derive_regulated_peak",
    "e1_asymptotic",
    "equiparameterized_optimum",
    "exponents",
    "mellin_constant",
    "optimal_allocation",
    "optimal_d_root",
    "optimal_ridge",
    "optimal_ridge_alpha1",
    "optimal_ridge_power_law",
    "power_and_log",
    "regime_map",
    "ridgeless_allocation",
    "ridgeless_rho_asymptotic",
    "spectral_sum_asymptotic",
    "tail_law",
]
