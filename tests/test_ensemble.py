"""Ensembles of random-feature models: algebra, second paths, and theory vs simulation (E = 1, 2, 4, 8)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scalingsym.core.errors import ParameterError
from scalingsym.core.spectra import PowerLaw
from scalingsym.core.tasks import Task
from scalingsym.models.dynamics import GradientFlowRF
from scalingsym.models.ensemble import (
    check_ensemble,
    cross_term,
    dynamics_ensemble,
    ensemble_loss,
    static_ensemble,
)
from scalingsym.models.ridge import RandomFeatureRidge
from scalingsym.simulate.ensemble import simulate_dynamics_ensemble, simulate_static_ensemble

SPEC = PowerLaw(alpha=0.5, M=400)  # lambda_k = k^-1.5
TASK = Task.power(0.5)  # task power k^-2
ES = [1, 2, 4, 8]


def _table(title, th, mean, se, allowance):
    rows = [f"{title}", f"{'E':>3} {'theory':>12} {'sim':>12} {'stderr':>10} {'z':>6} {'tol/diff':>8}"]
    ok = True
    for e, a, m, s in zip(ES, th, mean, se):
        tol = 3 * s + allowance * a
        rows.append(f"{e:>3} {a:12.6g} {m:12.6g} {s:10.3g} {(m - a) / s:6.2f} {tol / abs(m - a):8.2f}")
        ok &= abs(m - a) <= tol
    print("\n".join(rows))
    return ok


def test_ensemble_algebra_and_errors():
    assert ensemble_loss(3.0, 1.0, [1, 2, 4, math.inf]).tolist() == [3.0, 2.0, 1.5, 1.0]
    assert np.isinf(ensemble_loss(math.inf, 1.0, [2])[0])
    for bad in (0, 1.5, -1, "x", float("nan")):
        with pytest.raises(ParameterError, match="E"):
            check_ensemble(bad)
    with pytest.raises(ParameterError, match="data"):
        static_ensemble(RandomFeatureRidge(SPEC), 10, 20, 1e-3, E=2, data="shared")


def test_E1_is_the_single_model_exactly():
    model = RandomFeatureRidge(SPEC, TASK)
    for data in ("same", "independent"):
        res = static_ensemble(model, 100, 200, 1e-2, E=[1, 3], data=data)
        assert res.loss[0] == model.loss(100, 200, 1e-2)
    gf = GradientFlowRF(SPEC, TASK)
    t = [0.0, 3.0, 30.0]
    curve = dynamics_ensemble(gf, t, 64, 256, E=[1, 2], data="same")
    assert np.array_equal(curve.loss[0], gf.loss_curve(t, N=64, P=256).test_loss)


def test_cross_term_second_paths():
    gf = GradientFlowRF(SPEC, TASK)
    t = [0.5, 5.0, 50.0]
    # N = inf: features are not random, so the mean over features is the model: C = L_1 (two-point code)
    c = cross_term(gf, t, math.inf, 256, "same")
    assert np.allclose(c, gf.loss_curve(t, N=math.inf, P=256).test_loss, rtol=1e-9)
    # N = P = inf: exact sum sum lambda w2 e^{-2 lambda t}
    assert np.allclose(cross_term(gf, t, math.inf, math.inf), gf.loss_exact_infinite(t), rtol=1e-9)
    # P = inf: shared data is no data; the two modes coincide
    assert np.allclose(cross_term(gf, t, 64, math.inf, "same"), cross_term(gf, t, 64, math.inf, "independent"))
    # ensemble helps, sharing data helps less: C_ind <= C_same <= L_1
    c_same, c_ind = cross_term(gf, t, 64, 256, "same"), cross_term(gf, t, 64, 256, "independent")
    L1 = gf.loss_curve(t, N=64, P=256).test_loss
    assert np.all(c_ind < c_same) and np.all(c_same < L1)


def test_static_infinite_ensemble_has_no_interpolation_peak():
    model = RandomFeatureRidge(SPEC, TASK)
    res = static_ensemble(model, 100, 100, 0.0, E=[1, 8, math.inf], data="same")
    assert math.isinf(res.loss[0]) and math.isinf(res.loss[1]) and math.isfinite(res.loss[2])


def test_static_ensemble_theory_vs_simulation():
    """Tolerance: 3 standard errors + finite-size allowance 2/min(N, T) relative."""
    N, T, gamma = 100, 200, 1e-2
    allowance = 2.0 / min(N, T)
    model = RandomFeatureRidge(SPEC, TASK)
    for data in ("same", "independent"):
        th = static_ensemble(model, N, T, gamma, E=ES, data=data).loss
        sim = simulate_static_ensemble(SPEC, N, T, gamma, ES, data=data, seeds=40, seed=11, task=TASK)
        assert _table(f"statics, data={data}, N={N}, T={T}, gamma={gamma}", th, sim.loss_mean, sim.loss_stderr,
                      allowance)


def test_dynamics_ensemble_theory_vs_simulation():
    """Tolerance: 3 standard errors + finite-size allowance 2/min(N, P) relative."""
    N, P, t = 100, 200, [10.0, 100.0]
    allowance = 2.0 / min(N, P)
    gf = GradientFlowRF(SPEC, TASK)
    for data in ("same", "independent"):
        th = dynamics_ensemble(gf, t, N, P, E=ES, data=data).loss
        sim = simulate_dynamics_ensemble(SPEC, TASK, N, P, t, ES, data=data, seeds=30, seed=5)
        for j, tj in enumerate(t):
            assert _table(f"gradient flow, data={data}, N={N}, P={P}, t={tj:g}", th[:, j], sim.loss_mean[:, j],
                          sim.loss_stderr[:, j], allowance)
    # P = inf
    th = dynamics_ensemble(gf, t, N, math.inf, E=ES).loss
    sim = simulate_dynamics_ensemble(SPEC, TASK, N, math.inf, t, ES, seeds=30, seed=6)
    for j, tj in enumerate(t):
        assert _table(f"gradient flow, P=inf, N={N}, t={tj:g}", th[:, j], sim.loss_mean[:, j],
                      sim.loss_stderr[:, j], 2.0 / N)


def test_simulation_input_errors():
    with pytest.raises(ParameterError, match="E"):
        simulate_static_ensemble(SPEC, 10, 20, 0.0, [2, 1])
    with pytest.raises(ParameterError, match="E"):
        simulate_dynamics_ensemble(SPEC, TASK, 10, 20, [1.0], [math.inf])
    a = simulate_static_ensemble(SPEC, 10, 20, 1e-3, [1, 2], seeds=2, seed=3)
    b = simulate_static_ensemble(SPEC, 10, 20, 1e-3, [1, 2], seeds=2, seed=3)
    assert np.array_equal(a.per_seed, b.per_seed)
