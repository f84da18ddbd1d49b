"""Label noise in gradient flow: the two-point noise term, its Monte Carlo check, and early stopping.

Independent references: the static ridgeless noise gain of :class:`RandomFeatureRidge` (a different solver of
the same resolvent, no Laplace inversion) for the ``t -> oo`` limit; the OLS residual ``sigma^2 (1 - N/P)``;
the seeded simulation; the literature rate of early-stopped gradient descent on a source/capacity problem with
noise, ``P^-(a-1)/a`` at ``t* ~ P^(b/a)`` (no saturation, unlike the ridge's ``m = min(a-1, 2b)``); and a
numeric minimisation over ``t`` of the full deterministic equivalent.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from scalingsym.cli import main
from scalingsym.core.errors import ParameterError, check_noise
from scalingsym.models.dynamics import GradientFlowRF
from scalingsym.models.ridge import RandomFeatureRidge
from scalingsym.simulate.dynamics import simulate_dynamics
from scalingsym.theory.dynamics_exponents import noise_stopping_exponents
from scalingsym.theory.task_regimes import task_exponents


@pytest.mark.parametrize("N,P", [(50, 100), (200, 100), (400, 100), (math.inf, 100), (100, 300)])
def test_late_noise_term_is_the_static_ridgeless_gain(N, P):
    m = GradientFlowRF.from_exponents(a=2, b=1.5, M=200)
    var = 0.1
    clean = m.loss_curve([1e8], N=N, P=P)
    noisy = m.loss_curve([1e8], N=N, P=P, noise=var)
    static = RandomFeatureRidge(m.spectrum, task=m.task, noise=var).solve(N, P, 0.0)
    gain_static = 2.0 * float(static.noise) / var  # the static model's loss carries a factor 1/2
    gain_flow = float(noisy.test_loss[0] - clean.test_loss[0]) / var
    assert gain_flow == pytest.approx(gain_static, rel=1e-7)
    if N < P:  # ridgeless least squares: variance N/(P - N), train residual sigma^2 (1 - N/P)
        assert gain_flow == pytest.approx(N / (P - N), rel=1e-7)
        assert float(noisy.train_loss[0] - clean.train_loss[0]) / var == pytest.approx(1 - N / P, rel=1e-7)
    elif N > P:  # interpolation: the train loss vanishes
        assert abs(float(noisy.train_loss[0])) < 1e-8


def test_noise_at_time_zero_and_test_noise_flag():
    m = GradientFlowRF.from_exponents(a=2, b=1.5, M=100)
    c = m.loss_curve([0.0, 1e9], N=50, P=200, noise=0.3, test_noise=True)
    base = m.loss_curve([0.0, 1e9], N=50, P=200, noise=0.3)
    assert np.allclose(c.test_loss - base.test_loss, 0.3, rtol=0, atol=1e-14)
    assert c.train_loss[0] == pytest.approx(m.total + 0.3, rel=1e-14)  # f = 0 against noisy labels
    p_inf = m.loss_curve([3.0], N=50, noise=0.3)  # population flow: the test loss does not see the noise
    assert p_inf.test_loss[0] == pytest.approx(float(m.loss_curve([3.0], N=50).test_loss[0]), rel=1e-14)
    assert p_inf.train_loss[0] == pytest.approx(p_inf.test_loss[0] + 0.3, rel=1e-14)


@pytest.mark.parametrize("N,P,var", [(64, 128, 0.1), (256, 128, 0.5), (math.inf, 128, 0.5), (128, 256, 0.5)])
def test_noise_theory_vs_simulation(N, P, var):
    m = GradientFlowRF.from_exponents(a=2, b=1.5, M=256)
    t = np.array([1.0, 10.0, 100.0, 1e3, 1e5])
    th = m.loss_curve(t, N, P, noise=var)
    sim = simulate_dynamics(m.spectrum, m.task, N, P, t, seeds=40, seed=11, noise=var)
    # tolerance: 4 standard errors over 40 seeds + the deterministic equivalent's O(1/min(N, P)) bias
    # (2-4 % measured at min(N, P) = 50-100 with 200 seeds), taken as 3/min(N, P) relative
    rel = 3.0 / min(N, P)
    for th_x, mean, se in ((th.test_loss, sim.test_mean, sim.test_stderr),
                           (th.train_loss, sim.train_mean, sim.train_stderr)):
        assert np.all(np.abs(mean - th_x) <= 4 * se + rel * th_x + 1e-9), (mean, th_x, se)
    # the noise must be visible: at late times the noisy test loss is well above the noiseless theory
    assert sim.test_mean[-1] > m.loss_curve(t[-1:], N, P).test_loss[0] + 4 * sim.test_stderr[-1]


def test_simulation_noise_is_seeded_and_noiseless_bytes_unchanged():
    m = GradientFlowRF.from_exponents(a=2, b=1.5, M=64)
    a = simulate_dynamics(m.spectrum, m.task, 32, 48, [1.0, 10.0], seeds=3, seed=5, noise=0.2)
    b = simulate_dynamics(m.spectrum, m.task, 32, 48, [1.0, 10.0], seeds=3, seed=5, noise=0.2)
    assert a.per_seed_test.tobytes() == b.per_seed_test.tobytes()
    c = simulate_dynamics(m.spectrum, m.task, 32, 48, [1.0, 10.0], seeds=3, seed=5)
    d = simulate_dynamics(m.spectrum, m.task, 32, 48, [1.0, 10.0], seeds=3, seed=5, noise=0.0)
    assert c.per_seed_train.tobytes() == d.per_seed_train.tobytes()


# ----------------------------------------------------------------------------- engine ---------------
@pytest.mark.parametrize("a", [sp.Rational(3, 2), 2, 3, 5, 9])
@pytest.mark.parametrize("b", [sp.Rational(3, 2), 2, 3])
def test_stopping_exponents_vs_literature(a, b):
    ex = noise_stopping_exponents(f"k**(-({b}))", f"source(a={float(a)})")
    assert ex["noise_growth"].expr == 1 / sp.Integer(1) / b
    assert ex["optimal_stopping_P"].expr == sp.Rational(1) * (a - 1) / a
    assert ex["optimal_stopping_t_exponent"].expr == sp.Rational(1) * b / a
    ridge = task_exponents(f"k**(-({b}))", f"source(a={float(a)})", noise=1)["optimal_ridge_T"].expr
    m = min(a - 1, 2 * b)
    assert ridge == sp.Rational(1) * m / (m + 1)  # the ridge saturates at 2b ...
    if a - 1 <= 2 * b:
        assert ex["optimal_stopping_P"].expr == ridge  # ... early stopping matches it below saturation
    else:
        assert ex["optimal_stopping_P"].expr > ridge  # ... and beats it above (no saturation in time)


def test_stopping_exponents_log_spectrum():
    # lambda = k^-2 log(k+1), w2 = k^-1: p ~ k^-3 log k; the log factors shift the frontier by logs only
    ex = noise_stopping_exponents("k**-2*log(k+1)", "power(nu=1)")
    assert (ex["noise_growth"].expr, ex["optimal_stopping_P"].expr) == (sp.Rational(1, 2), sp.Rational(2, 3))
    assert "log" in str(ex["noise_growth"].data["law"])


@pytest.mark.parametrize("a,b,Ps", [(3, 2, (1e3, 1e4, 1e5)), (2, 1.5, (1e3, 1e4, 1e5))])
def test_stopping_exponents_vs_numeric_minimisation(a, b, Ps):
    m = GradientFlowRF.from_exponents(a=a, b=b, M=math.inf)
    ex = noise_stopping_exponents(f"k**(-({b}))", f"source(a={float(a)})")
    xL, xt = float(ex["optimal_stopping_P"].expr), float(ex["optimal_stopping_t_exponent"].expr)
    Lopt, topt = [], []
    for P in Ps:
        t = np.logspace(-1.5, 1.5, 31) * P**xt
        L = m.loss_curve(t, N=math.inf, P=P, noise=1.0).test_loss
        j = int(np.argmin(L))
        assert 0 < j < t.size - 1
        x, y = np.log(t), np.log(L)
        h = x[1] - x[0]
        topt.append(math.exp(x[j] + 0.5 * h * (y[j - 1] - y[j + 1]) / (y[j - 1] - 2 * y[j] + y[j + 1])))
        Lopt.append(L[j])
    sL = np.diff(np.log(Lopt)) / np.diff(np.log(Ps))
    st_ = np.diff(np.log(topt)) / np.diff(np.log(Ps))
    # local slopes converge to the leading exponents at rate O(P^-min(1/b, ...)): measured drift <= 0.01
    # over the last decade (L*: -0.663 vs -2/3, t*: 0.666 vs 2/3; -0.501 vs -1/2, 0.748 vs 3/4)
    assert abs(-sL[-1] - xL) < 0.015 and abs(st_[-1] - xt) < 0.015
    assert abs(-sL[-1] - xL) <= abs(-sL[0] - xL) + 1e-3  # and the error shrinks with P


# ----------------------------------------------------------------------------- CLI and input ---------
def test_cli_dynamics_noise_and_simulate(capsys):
    main(["dynamics", "--a", "2", "--b", "1.5", "--M", "128", "--N", "64", "--P", "96", "--t", "10,1000",
          "--noise", "0.5", "--simulate", "--seeds", "8", "--seed", "3", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert out["noise"] == 0.5 and out["seeds"] == 8
    for key in ("sim_test_mean", "sim_test_stderr", "sim_train_mean", "sim_train_stderr"):
        assert len(out[key]) == 2
    th = GradientFlowRF.from_exponents(2, 1.5, M=128).loss_curve([10.0, 1000.0], 64, 96, noise=0.5)
    assert out["test_loss"] == pytest.approx(list(th.test_loss), rel=1e-12)


def test_cli_exponents_dynamics_noise_keys(capsys):
    main(["exponents", "--model", "dynamics", "--spectrum", "powerlaw(alpha=1)", "--task", "source(a=3)",
          "--noise", "0.5", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert out["optimal_stopping_P"] == {"exact": "2/3", "float": pytest.approx(2 / 3)}
    assert out["optimal_stopping_t_exponent"]["exact"] == "2/3" and out["noise_growth"]["exact"] == "1/2"
    main(["exponents", "--model", "dynamics", "--spectrum", "powerlaw(alpha=1)", "--task", "source(a=3)", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert out["optimal_stopping_P"]["exact"] == out["r_P"]["exact"] == "2"  # no noise: train to t = oo
    assert out["optimal_stopping_t_exponent"] == {"exact": "oo", "float": None}


@pytest.mark.parametrize("argv", [["--noise", "-1"], ["--noise", "nan"], ["--simulate"], ["--noise", "1e400"]])
def test_cli_dynamics_bad_noise_input(argv, capsys):
    assert main(["dynamics", "--a", "2", "--b", "1.5", "--N", "64", "--t", "10", *argv]) == 2
    err = capsys.readouterr().err
    assert ("--noise" in err or "--M" in err) and "Traceback" not in err


@given(st.one_of(st.floats(max_value=-1e-300), st.just(math.nan), st.just(math.inf), st.just(-math.inf)))
def test_check_noise_refuses(bad):
    with pytest.raises(ParameterError, match="noise"):
        check_noise(bad)


@given(st.floats(min_value=0, max_value=1e300))
def test_check_noise_accepts(v):
    assert check_noise(v) == v
