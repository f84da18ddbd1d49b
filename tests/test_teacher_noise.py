"""The general-teacher, label-noise test loss: one sympy expression, the isotropic (B1b) by substitution."""

from __future__ import annotations

import math

import pytest
import sympy as sp

from scalingsym import PowerLaw, RandomFeatureRidge, Task
from scalingsym.core import symbols as S
from scalingsym.models.ridge import BIAS, GAMMA_T, LOSS_B1B, LOSS_GENERAL


def test_isotropic_loss_is_the_general_one_by_substitution():
    """The textbook (B1b) of static_rf_ridge.md, typed here as the reference, equals LOSS_GENERAL at w2_k = 1."""
    b1b = S.w_var / 2 * S.rho * S.N * S.T * (S.d1 - S.d2) / (
        (S.N - S.d1) * (S.T - S.d1) + (S.d1 - S.d2) * (S.N + S.T - 2 * S.d1)
    )
    iso = LOSS_GENERAL.subs({S.A_w: S.d1, S.B_w: S.d2, S.sigma_eps2: 0})
    assert sp.simplify(iso - b1b) == 0
    assert sp.simplify(LOSS_B1B - b1b) == 0
    assert sp.simplify(sp.diff(iso, S.sigma_N2)) == 0  # the width-limited sum drops out identically
    assert sp.simplify(BIAS - S.w_var / 2 * S.rho * (S.d1 - S.d2)) == 0


def test_noise_gain_limits():
    """Ridgeless N < T (d1 = N): gamma_T = N/T, so the noise gain is N/(T - N); N = inf: the kernel value d2/T."""
    gain = GAMMA_T / (1 - GAMMA_T)
    assert sp.simplify(gain.subs(S.d1, S.N) - S.N / (S.T - S.N)) == 0
    assert sp.simplify(sp.limit(GAMMA_T, S.N, sp.oo) - S.d2 / S.T) == 0


@pytest.mark.parametrize("task", [Task.power(0.5), Task.power(-0.4), Task.isotropic()])
def test_every_task_at_any_precision(task):
    """The mpmath path (any task) and the float64 path compiled from the same expression agree to 1e-13."""
    model = RandomFeatureRidge(PowerLaw(alpha=1, M=400), task=task, noise=1e-3)
    for N, T, g in ((60, 200, 1e-2), (200, 60, 1e-2), (60, 200, 0.0), (math.inf, 100, 0.0), (80, 80, 0.1)):
        ref = model.solve_mp(N, T, g, dps=30)
        sol = model.solve(N, T, g)
        for key in ("loss", "bias", "noise"):
            assert float(getattr(sol, key)) == pytest.approx(float(getattr(ref, key)), rel=1e-13, abs=1e-300)
    _, digits = model.solve_mp_verified(60, 200, 1e-2, 40)
    assert digits["loss"] >= 39


@pytest.mark.parametrize("nu", [1.0, 4.0, -0.5])
@pytest.mark.parametrize("noise", [1e-5, 1e-3])
@pytest.mark.parametrize("N, T", [(60, 200), (200, 60)])
def test_task_and_noise_theory_against_simulation(nu, noise, N, T):
    """Seeded Monte Carlo (24 draws x 8 teachers from the task, noisy labels) vs the deterministic equivalent at
    finite ``M = 300``, ridge 0.01. Allowance: 3 standard errors plus the ``O(1/min(N, T))`` relative finite-size
    bias of the deterministic equivalent (seen: +1% to +4%, all positive, as that bias predicts)."""
    from scalingsym.simulate.ridge import simulate_ridge

    spec, task = PowerLaw(alpha=1, M=300), Task.power(nu)
    th = float(RandomFeatureRidge(spec, task=task, noise=noise).loss(N, T, 0.01))
    sim = simulate_ridge(spec, N, T, 0.01, seeds=24, seed=11, task=task, noise=noise)
    assert abs(float(sim.loss_mean[0]) - th) <= 3 * float(sim.loss_stderr[0]) + 2 / min(N, T) * th
