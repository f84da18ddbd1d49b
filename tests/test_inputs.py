"""Bad input gets a clear error naming the parameter and the allowed range (issue 2, item 7)."""

import math

import numpy as np
import pytest

from scalingsym import ArraySpectrum, ExprSpectrum, ParameterError, PowerLaw, RandomFeatureRidge, parse_spectrum
from scalingsym.core.conventions import Convention
from scalingsym.core.errors import SpectrumParseError

MODEL = RandomFeatureRidge(PowerLaw(1.0, 100))


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(N=0, T=10, gamma=0), r"N must be .*> 0"),
        (dict(N=-5, T=10, gamma=0), r"N must be .*> 0"),
        (dict(N=10, T=0, gamma=0), r"T must be .*> 0"),
        (dict(N=10, T=-1, gamma=0), r"T must be .*> 0"),
        (dict(N=10, T=10, gamma=-1e-3), r"gamma must be .*>= 0"),
        (dict(N=float("nan"), T=10, gamma=0), r"N must be"),
        (dict(N=10, T=10, gamma=float("nan")), r"gamma must be"),
        (dict(N=10, T=10, gamma=float("inf")), r"gamma must be a finite"),
        (dict(N=np.array([10, -1]), T=10, gamma=0), r"N must be"),
    ],
)
def test_bad_sizes_and_ridges(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        MODEL.solve(**kwargs)
    with pytest.raises(ParameterError, match=match):
        MODEL.solve_mp(**kwargs, dps=20)


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda: PowerLaw(alpha=0, M=math.inf), r"alpha must be .*>= 0.0001 when M = inf"),
        (lambda: PowerLaw(alpha=-0.5, M=math.inf), r"alpha must be"),
        (lambda: PowerLaw(alpha=float("nan"), M=10), r"alpha must be"),
        (lambda: PowerLaw(alpha=1, M=0), r"M must be a positive integer"),
        (lambda: PowerLaw(alpha=1, M=2.5), r"M must be a positive integer"),
        (lambda: PowerLaw(alpha=1, M=10, lambda_plus=-1), r"lambda_plus must be"),
        (lambda: ArraySpectrum([]), r"at least one eigenvalue"),
        (lambda: ArraySpectrum([1.0, -0.1]), r">= 0"),
        (lambda: ArraySpectrum([1.0, float("nan")]), r"finite"),
        (lambda: ArraySpectrum([1.0, float("inf")]), r"finite"),
        (lambda: ArraySpectrum([0.0, 0.0]), r"positive eigenvalue"),
        (lambda: ExprSpectrum("k**-0.5", M=math.inf), r"not summable"),
        (lambda: ExprSpectrum("1 + 1/k", M=math.inf), r"does not decay"),
        (lambda: ExprSpectrum("k**-2 * x", M=math.inf), r"unknown name 'x'"),
        (lambda: ExprSpectrum("-k**-2", M=10), r">= 0"),
    ],
)
def test_bad_spectra(make, match):
    with pytest.raises(ParameterError, match=match):
        make()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "powerlaw(M=10)",
        "powerlaw(alpha=1, M=10, beta=3)",
        "powerlaw(alpha='x')",
        'custom(expr="lambda: 1")',
        'custom(expr="(1).__class__")',
        'custom(expr="k[0]")',
        'custom(expr="open(\'f\')")',
        "file(/nonexistent/eigenvalues.npy)",
        "powerlaw(**{'alpha': 1})",
    ],
)
def test_malformed_spectrum_strings(text):
    with pytest.raises(SpectrumParseError):
        parse_spectrum(text)


def test_conventions_round_trip_and_errors():
    c = Convention(ridge_per_sample=True, half=False, outputs=3, u_scale=2.0)
    assert c.from_canonical_ridge(c.to_canonical_ridge(0.7, T=50), T=50) == pytest.approx(0.7)
    assert c.loss_to_canonical(c.loss_from_canonical(0.25)) == pytest.approx(0.25)
    # 1/T-normalised ridge gamma' is the canonical gamma = T gamma' (sheet A), u' = 2u divides it by 4
    assert c.to_canonical_ridge(0.01, T=100) == pytest.approx(0.25)
    with pytest.raises(ParameterError, match="T is needed"):
        c.to_canonical_ridge(0.1)
    with pytest.raises(ParameterError, match="outputs"):
        Convention(outputs=0)


def test_convention_converter_reproduces_the_other_objective():
    """Minimise the 1/(2T)-normalised objective with a generic optimiser; it equals the canonical fit."""
    from scipy.optimize import minimize

    rng = np.random.default_rng(0)
    T, N, gamma_prime = 40, 6, 0.3
    Phi, y = rng.standard_normal((T, N)), rng.standard_normal(T)

    def objective(th):
        return 0.5 / T * np.sum((Phi @ th - y) ** 2) + gamma_prime / 2 * th @ th

    theta_other = minimize(objective, np.zeros(N), method="BFGS", options={"gtol": 1e-12}).x
    g = Convention(ridge_per_sample=True).to_canonical_ridge(gamma_prime, T=T)
    theta_canonical = np.linalg.solve(Phi.T @ Phi + g * np.eye(N), Phi.T @ y)
    np.testing.assert_allclose(theta_other, theta_canonical, rtol=1e-6)
