"""Nonlinear random features of power-law latent data: feature-covariance spectra and ReLU learning curves."""

import math

import numpy as np
import pytest

from scalingsym.core.errors import ParameterError
from scalingsym.models.nonlinear import NonlinearFeatures, learning_curve_theory, power_law_extent, relu_second_moment
from scalingsym.simulate.nonlinear import simulate_learning_curve


def test_relu_second_moment_monte_carlo():
    """Arc-cosine kernel vs 400k samples: MC relative error ~ sqrt(var/n) ~ 0.3%; tolerance 2%."""
    f = NonlinearFeatures(M=20, N=30, alpha=1.0, activation="relu", seed=0)
    rng = np.random.default_rng(1)
    X = rng.standard_normal((400_000, 20)) * np.sqrt(f.lam)
    P = f.features(X)
    emp = P.T @ P / X.shape[0]
    assert np.max(np.abs(emp - f.second_moment)) < 0.02 * np.max(f.second_moment)
    cross = P.T @ X / X.shape[0]
    assert np.max(np.abs(cross - f.cross_moment)) < 0.02 * np.max(np.abs(f.cross_moment))


def test_hermite_series_reproduces_arc_cosine():
    """The general Hermite (Mehler) series for the second moment, forced on relu, vs the arc-cosine closed form."""
    f = NonlinearFeatures(M=20, N=30, alpha=1.0, activation="relu", seed=2, order=40)
    f.is_relu = False  # force the Hermite path
    H = f.second_moment
    assert np.max(np.abs(H - relu_second_moment(f.Sigma))) < 2e-3 * np.max(H)
    assert relu_second_moment(np.array([[2.0, 0.0], [0.0, 1.0]]))[0, 1] == pytest.approx(
        math.sqrt(2.0) / (2 * math.pi), rel=1e-14
    )  # independent entries: E relu(a) E relu(b) = sqrt(q_a q_b)/(2 pi)


def test_linear_map_has_rank_M_and_the_latent_spectrum():
    M, N = 20, 120
    f = NonlinearFeatures(M=M, N=N, alpha=1.0, activation="linear", seed=3)
    ev = f.spectrum()
    assert np.sum(ev > 1e-12 * ev[0]) == M
    # nonzero spectrum of U Lambda U^T / N equals that of Lambda^1/2 U^T U Lambda^1/2 / N
    G = (np.sqrt(f.lam)[:, None] * (f.U.T @ f.U) * np.sqrt(f.lam)[None, :]) / N
    assert np.allclose(ev[:M], np.sort(np.linalg.eigvalsh(G))[::-1], rtol=1e-9)


def test_relu_extends_the_power_law():
    """MRS: nonlinear features continue the power law past k = M; the linear map stops at M."""
    M = 20
    ext_lin = power_law_extent(NonlinearFeatures(M, 160, 1.0, "linear", seed=4).spectrum(), 1.0, (2, 10))
    ext_relu = power_law_extent(NonlinearFeatures(M, 160, 1.0, "relu", seed=4).spectrum(), 1.0, (2, 10))
    assert ext_lin["extent"] == M
    assert ext_relu["extent"] >= 4 * M
    # the Gaussian-equivalent covariance is diag(mu_star^2 q_j) plus a rank <= M + 1 part, so past k = M + 1 its
    # spectrum is pinned (Weyl interlacing) to the sorted noise variances: the q_j distribution, not a power law
    f = NonlinearFeatures(M, 160, 1.0, "relu", seed=4)
    ge = f.spectrum(kind="ge")
    noise = np.sort((0.25 - 1 / (2 * math.pi)) * np.diag(f.Sigma) / 160)[::-1]
    r = M + 1
    assert np.all(ge >= noise * (1 - 1e-9) - 1e-15)
    assert np.all(ge[r:] <= noise[:-r] * (1 + 1e-9) + 1e-15)


def test_relu_learning_curve_theory_vs_simulation():
    """Gaussian model with the exact feature covariance vs simulation; the GE (white-noise) model fails.

    M = 20, N = 60, 16 seeds x 16 teachers: stderr ~2-4%; finite-size O(1/min(N, T)) ~ 3%; tolerance 3 se + 6%.
    """
    f = NonlinearFeatures(M=20, N=60, alpha=1.0, activation="relu", seed=5)
    Ts = np.array([30, 120, 240])
    sim = simulate_learning_curve(f, Ts, seeds=16, teachers=16, seed=6)
    ex = learning_curve_theory(f, Ts, kind="exact")
    ge = learning_curve_theory(f, Ts, kind="ge")
    for i in range(Ts.size):
        assert abs(sim.loss_mean[i] - ex[i]) < 3 * sim.loss_stderr[i] + 0.06 * ex[i]
    assert np.all(ge[1:] / sim.loss_mean[1:] > 1.3)  # documented failure of the white-noise GE model


def test_ridge_learning_curve():
    f = NonlinearFeatures(M=20, N=60, alpha=1.0, activation="relu", seed=5)
    sim = simulate_learning_curve(f, [60], ridge=1e-2, seeds=16, teachers=16, seed=8)
    th = learning_curve_theory(f, [60.0], ridge=1e-2, kind="exact")
    assert abs(sim.loss_mean[0] - th[0]) < 3 * sim.loss_stderr[0] + 0.08 * th[0]


def test_bad_input():
    with pytest.raises(ParameterError, match="N"):
        NonlinearFeatures(M=10, N=0, alpha=1.0)
    with pytest.raises(ParameterError, match="kind"):
        NonlinearFeatures(M=10, N=20, alpha=1.0).spectrum(kind="x")
    with pytest.raises(ParameterError):
        NonlinearFeatures(M=10, N=20, alpha=1.0, activation="y*z")
