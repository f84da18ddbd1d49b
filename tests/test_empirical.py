"""Empirical spectra, power-law fits, and random-feature regression on samples (small subsamples).

Expected values come from closed forms (exact power laws, SVD of the same matrix, the generating law of a
synthetic sample) or from the theory compared with a seeded simulation at a stated finite-size tolerance.
"""

from __future__ import annotations

import json
import math
import sys

import numpy as np
import pytest

from scalingsym import ArraySpectrum, ParameterError, RandomFeatureRidge, simulate_ridge
from scalingsym.data.empirical import (
    covariance_spectrum,
    empirical_spectrum,
    feature_spectrum,
    fit_power_law,
    linear_teacher_task,
    noise_amplification,
    optimal_ridge,
    predict_loss,
    rf_regression,
)


# ------------------------------------------------------------------------------------ the fit ----
def test_fit_exact_power_law_full_range():
    lam = 2.5 * np.arange(1, 201, dtype=float) ** -1.7
    f = fit_power_law(lam)
    assert f.alpha == pytest.approx(0.7, abs=1e-12)
    assert f.lambda_plus == pytest.approx(2.5, rel=1e-12)
    assert f.fit_range == (1, 200)


def test_fit_range_excludes_head_and_cutoff():
    # a power law k^-2 (alpha = 1) on 5..150, a flat head and an exponential cut-off beyond 150 (the clean
    # stretch spans more than half of the usable decades, as the automatic rule requires)
    k = np.arange(1, 301, dtype=float)
    lam = k**-2.0
    lam[:4] = lam[4] * (1 + 0.02 * np.arange(4, 0, -1))  # nearly flat head, still decreasing
    lam[150:] = lam[149] * np.exp(-0.2 * (k[150:] - 150))
    f = fit_power_law(lam)
    lo, hi = f.fit_range
    assert lo >= 4 and hi <= 151
    assert f.alpha == pytest.approx(1.0, abs=1e-3)


def test_fit_fixed_range_matches_polyfit():
    lam = np.sort(np.random.default_rng(3).uniform(0.1, 10, 50))[::-1]
    f = fit_power_law(lam, (5, 30))
    slope = np.polyfit(np.log(np.arange(5, 31)), np.log(lam[4:30]), 1)[0]
    assert f.alpha == pytest.approx(-slope - 1, rel=1e-12)


def test_covariance_spectrum_equals_svd():
    X = np.random.default_rng(0).standard_normal((300, 12)) @ np.diag(np.arange(1, 13) ** -0.5)
    Xc = X - X.mean(axis=0)
    sv = np.linalg.svd(Xc, compute_uv=False)
    np.testing.assert_allclose(covariance_spectrum(X), sv**2 / 300, rtol=1e-10)


def test_empirical_spectrum_recovers_generating_exponent():
    # Gaussian sample of lambda_k = k^-1.5 (alpha = 0.5), n = 20000, dim = 60. Sample eigenvalues have relative
    # error ~ sqrt(2/n) = 1%, and the Marchenko-Pastur bias at dim/n = 0.003 is a few % only at the smallest
    # eigenvalues, so the fitted exponent is within 0.05 and the interval covers it.
    lam = np.arange(1, 61, dtype=float) ** -1.5
    X = np.random.default_rng(11).standard_normal((20000, 60)) * np.sqrt(lam)
    es = empirical_spectrum(X, n_boot=40, seed=2)
    assert es.alpha == pytest.approx(0.5, abs=0.05)
    assert es.alpha_ci[0] - 0.02 <= 0.5 <= es.alpha_ci[1] + 0.02
    assert es.alpha_ci[0] <= es.alpha <= es.alpha_ci[1]
    assert es.spectrum.M == 60 and es.predicted_loss_exponent == es.alpha
    assert es.power_law().alpha == es.alpha
    d = es.as_dict()
    assert {"alpha", "alpha_ci", "fit_range", "predicted_loss_exponent"} <= set(d)
    json.dumps(d)


def test_empirical_spectrum_works_in_model_and_simulation():
    # the measured ArraySpectrum in theory and in the reference Monte Carlo: finite-size O(1/n) ~ 2% at n = 50,
    # 40 seeds x 8 teachers give a standard error of ~2%; tolerance 3 se + 3%.
    lam = np.arange(1, 101, dtype=float) ** -2.0
    X = np.random.default_rng(5).standard_normal((5000, 100)) * np.sqrt(lam)
    es = empirical_spectrum(X, n_boot=0)
    model = RandomFeatureRidge(es.spectrum)
    g, L = optimal_ridge(model, 50, 100)
    sim = simulate_ridge(es.spectrum, 50, 100, g, seeds=40, seed=1)
    assert float(sim.loss_mean[0]) == pytest.approx(L, rel=3 * sim.loss_stderr[0] / L + 0.03)
    assert L < float(model.loss(50, 100, 0.0))


# ------------------------------------------------------------------------------- noise theory ----
def test_noise_amplification_limits():
    spec = ArraySpectrum(np.arange(1, 301, dtype=float) ** -1.5)
    model = RandomFeatureRidge(spec)
    sol = model.solve(40, 160, 0.0)
    assert noise_amplification(sol) == pytest.approx(1 / (1 - 40 / 160), rel=1e-12)
    # N = inf: kernel regression, 1 / (1 - d2/T)
    sol = model.solve_normalised(math.inf, 100, 1e-3)
    assert noise_amplification(sol) == pytest.approx(1 / (1 - float(sol.d2) / 100), rel=1e-12)


def test_label_noise_theory_vs_regression_on_gaussian_samples():
    # y = w.x + noise on Gaussian samples with a power-law covariance: theory (loss + noise/2 amplification)
    # vs regression with 60 seeds on a 2000-sample test set. Finite-size O(1/n) ~ 1.5/40 ~ 4%, plus 3 se.
    rng = np.random.default_rng(8)
    D = 80
    lam = np.arange(1, D + 1, dtype=float) ** -1.6
    X = rng.standard_normal((6000, D)) * np.sqrt(lam)
    w = rng.standard_normal(D) * math.sqrt(1.0 / D)
    eps = 0.02
    Y = X @ w + rng.standard_normal(6000) * math.sqrt(eps)
    es = empirical_spectrum(X[:4000], n_boot=0)
    task, w_var, noise = linear_teacher_task(es, X[:4000], Y[:4000])
    assert noise == pytest.approx(eps, rel=0.1)  # residual variance of OLS with 4000 samples, dim 80
    model = RandomFeatureRidge(es.spectrum, task=task, w_var=w_var)
    for N, T, g in ((40, 120, 0.0), (40, 80, 0.5)):
        th = float(predict_loss(model, N, T, g, noise=noise))
        r = rf_regression(X[:4000], X[4000:], N, T, g, Y_pool=Y[:4000], Y_test=Y[4000:], seeds=60, seed=3)
        se = float(r.loss_stderr[0])
        assert float(r.loss_mean[0]) == pytest.approx(th, rel=1.5 / min(N, T) + 3 * se / th + 0.02)


def test_linear_teacher_task_exact_teacher():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((400, 6)) * np.array([3.0, 2.0, 1.5, 1.0, 0.5, 0.2])
    w = rng.standard_normal(6)
    es = empirical_spectrum(X, n_boot=0)
    task, w_var, noise = linear_teacher_task(es, X, X @ w)
    assert noise == pytest.approx(0.0, abs=1e-20)
    np.testing.assert_allclose(task.values * w_var, (es.eigenvectors.T @ w) ** 2, rtol=1e-9)


# --------------------------------------------------------------------------- features / checks ----
def test_feature_spectrum_rank_linear_vs_relu():
    X = np.random.default_rng(0).standard_normal((200, 8))
    assert np.count_nonzero(feature_spectrum(X, 50, "linear") > 0) == 8
    assert np.count_nonzero(feature_spectrum(X, 50, "relu") > 0) == 50
    assert np.count_nonzero(feature_spectrum(X, 400, "relu") > 0) == 199  # rank of centred 200 x 400 features


def test_rf_regression_linear_teacher_matches_theory_on_gaussian_samples():
    # linear teacher, optimal ridge, 48 seeds: tolerance 1.5/n + 3 se + 3% (finite size at n = 32)
    D = 120
    lam = np.arange(1, D + 1, dtype=float) ** -1.5
    X = np.random.default_rng(4).standard_normal((5000, D)) * np.sqrt(lam)
    es = empirical_spectrum(X[:4000], n_boot=0)
    model = RandomFeatureRidge(es.spectrum)
    g, L = optimal_ridge(model, 32, 64)
    r = rf_regression(X[:4000], X[4000:], 32, 64, g, seeds=48, seed=0)
    assert float(r.loss_mean[0]) == pytest.approx(L, rel=1.5 / 32 + 3 * r.loss_stderr[0] / L + 0.03)


@pytest.mark.parametrize(
    "call",
    [
        lambda: empirical_spectrum(np.ones(5)),
        lambda: empirical_spectrum(np.array([[1.0, np.nan], [0.0, 1.0], [1.0, 1.0]])),
        lambda: empirical_spectrum(np.random.default_rng(0).standard_normal((50, 5)), n_boot=-1),
        lambda: empirical_spectrum(np.random.default_rng(0).standard_normal((50, 5)), confidence=1.5),
        lambda: fit_power_law([1.0, 2.0, 0.5]),
        lambda: fit_power_law([3.0, 2.0, 1.0, 0.5], (1, 9)),
        lambda: fit_power_law([3.0, 2.0, 1.0, 0.5], min_span=2.0),
        lambda: feature_spectrum(np.ones((5, 3)), 4, "tanh"),
        lambda: rf_regression(np.ones((10, 3)), np.ones((5, 4)), 2, 3),
        lambda: rf_regression(np.ones((10, 3)), np.ones((5, 3)), 2, 30),
        lambda: predict_loss(RandomFeatureRidge(ArraySpectrum([1.0, 0.5])), 1, 2, 0.0, noise=-1.0),
    ],
)
def test_bad_input_raises_parameter_error(call):
    with pytest.raises(ParameterError):
        call()


# ------------------------------------------------------------------------- bundled data sets ----
def test_digits_subsample_spectrum():
    pytest.importorskip("sklearn")
    from scalingsym.data.datasets import load_dataset

    d = load_dataset("digits")
    assert d.X.shape == (1797, 64) and set(np.unique(d.labels)) == set(range(10))
    np.testing.assert_array_equal(d.one_hot().sum(axis=1), 1.0)
    es = empirical_spectrum(d.X[:600], n_boot=20, seed=0)
    lo, hi = es.fit_range
    assert 1 <= lo < hi <= 64 and es.spectrum.M == 64
    assert 0.0 < es.alpha < 2.0


def test_image_patches_are_bundled_and_tiled():
    pytest.importorskip("skimage")
    import os

    import skimage.data

    from scalingsym.data.datasets import PATCH_IMAGES, image_patches

    for fname in PATCH_IMAGES.values():  # read from the wheel, never fetched
        assert os.path.isfile(os.path.join(os.path.dirname(skimage.data.__file__), fname))
    d = image_patches()
    # tiles per image: floor(h/16) * floor(w/16) for 512x512 (x2), 400x600, 300x451, 872x1000
    assert d.X.shape == (2 * 32 * 32 + 25 * 37 + 18 * 28 + 54 * 62, 256)
    assert d.X.min() >= 0.0 and d.X.max() <= 1.0
    es = empirical_spectrum(d.X[::4], n_boot=10, seed=0)
    assert 0.2 < es.alpha < 1.2


def test_missing_optional_package_gives_clear_error(monkeypatch):
    from scalingsym.data.datasets import MissingDependencyError, load_dataset

    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(MissingDependencyError, match="scikit-learn"):
        load_dataset("digits")


def test_cli_spectrum_json(capsys):
    pytest.importorskip("sklearn")
    import argparse

    from scalingsym.cli import spectrum

    p = argparse.ArgumentParser()
    spectrum.register(p.add_subparsers())
    args = p.parse_args(["spectrum", "--dataset", "digits", "--json", "--n-boot", "10"])
    args.handler(args)
    out = json.loads(capsys.readouterr().out)
    assert {"alpha", "alpha_ci", "fit_range", "predicted_loss_exponent"} <= set(out)
    assert out["predicted_loss_exponent"] == out["alpha"] and len(out["fit_range"]) == 2


def test_cli_spectrum_missing_package(monkeypatch):
    # the CLI turns every ScalingSymError into exit code 2 with the message on stderr
    import argparse

    from scalingsym.cli import spectrum
    from scalingsym.core.errors import ScalingSymError
    from scalingsym.data.datasets import MissingDependencyError

    assert issubclass(MissingDependencyError, ScalingSymError)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    p = argparse.ArgumentParser()
    spectrum.register(p.add_subparsers())
    args = p.parse_args(["spectrum", "--dataset", "digits", "--json", "--n-boot", "5"])
    with pytest.raises(MissingDependencyError, match="pip install scikit-learn"):
        args.handler(args)
