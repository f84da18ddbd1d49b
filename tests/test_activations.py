"""Gaussian-equivalence coefficients: sympy where it integrates, mpmath otherwise; checked against closed forms."""

import json
import math

import mpmath
import numpy as np
import pytest
import sympy as sp

from scalingsym.cli import activation as cli_activation
from scalingsym.core.errors import ParameterError
from scalingsym.models.activations import gaussian_equivalence, hermite_coefficients, z


def test_relu_exact():
    c = gaussian_equivalence("relu")
    assert sp.simplify(c.exact["mu_0"] - 1 / sp.sqrt(2 * sp.pi)) == 0
    assert c.exact["mu_1"] == sp.Rational(1, 2)
    assert sp.simplify(c.exact["mu_star2"] - (sp.Rational(1, 4) - 1 / (2 * sp.pi))) == 0


def test_relu_50_digits():
    c = gaussian_equivalence("relu", precision=50)
    with mpmath.workdps(60):
        ref = mpmath.sqrt(mpmath.mpf(1) / 4 - 1 / (2 * mpmath.pi))
        assert abs(c.mu_star - ref) < mpmath.mpf(10) ** -49


def test_relu_numeric_path_matches_closed_form():
    c = gaussian_equivalence("relu", symbolic=False, precision=30)
    assert all(v is None for v in c.exact.values())
    with mpmath.workdps(40):
        assert abs(c.mu_0 - 1 / mpmath.sqrt(2 * mpmath.pi)) < mpmath.mpf(10) ** -28
        assert abs(c.mu_star2 - (mpmath.mpf(1) / 4 - 1 / (2 * mpmath.pi))) < mpmath.mpf(10) ** -28


@pytest.mark.parametrize("v", [0.5, 2.0, 3.0])
def test_relu_variance_homogeneity(v):
    """relu is 1-homogeneous: mu_0 = sqrt(v/(2 pi)), mu_1 = 1/2, mu_star^2 = v (1/4 - 1/(2 pi))."""
    c = gaussian_equivalence("relu", variance=v, precision=20)
    assert float(c.mu_0) == pytest.approx(math.sqrt(v / (2 * math.pi)), rel=1e-15)
    assert float(c.mu_1) == pytest.approx(0.5, rel=1e-15)
    assert float(c.mu_star2) == pytest.approx(v * (0.25 - 1 / (2 * math.pi)), rel=1e-14)


def test_erf_closed_forms():
    """E[z erf z] = 2/sqrt(3 pi); E[erf(z)^2] = (2/pi) asin(2/3) (Williams 1997) -- the latter via mpmath."""
    c = gaussian_equivalence("erf", precision=30)
    assert sp.simplify(c.exact["mu_1"] - 2 / sp.sqrt(3 * sp.pi)) == 0
    with mpmath.workdps(40):
        ref = 2 / mpmath.pi * mpmath.asin(mpmath.mpf(2) / 3) - 4 / (3 * mpmath.pi)
        assert abs(c.mu_star2 - ref) < mpmath.mpf(10) ** -28


@pytest.mark.parametrize("name", ["tanh", "gelu", "sigmoid"])
def test_numeric_activations_vs_gauss_hermite(name):
    """mpmath.quad values vs 200-node Gauss-Hermite (a second method, accurate to ~1e-13 for smooth sigma)."""
    from scalingsym.models.activations import ACTIVATIONS

    c = gaussian_equivalence(name, symbolic=False, precision=20)
    h = hermite_coefficients(name, 1)
    x, w = np.polynomial.hermite_e.hermegauss(200)
    m2 = float(np.sum(w * sp.lambdify(z, ACTIVATIONS[name], ["scipy", "numpy"])(x) ** 2) / math.sqrt(2 * math.pi))
    assert float(c.mu_0) == pytest.approx(h[0], abs=1e-13)
    assert float(c.mu_1) == pytest.approx(h[1], abs=1e-13)
    assert float(c.mu_star2) == pytest.approx(m2 - h[0] ** 2 - h[1] ** 2, abs=1e-13)


def test_symbolic_parity_and_gelu_mu1():
    assert gaussian_equivalence("tanh", timeout=3).exact["mu_0"] == 0  # odd activation
    c = gaussian_equivalence("gelu", timeout=4)
    assert c.exact["mu_0"] == 1 / (2 * sp.sqrt(sp.pi))  # E[z Phi(z)] = 1/(2 sqrt(pi))
    assert float(c.mu_1) == pytest.approx(0.5, abs=1e-15)  # E[z^2 Phi(z)] = 1/2


def test_custom_expression_and_quadratic():
    c = gaussian_equivalence(z**2 + 3 * z)
    assert c.exact["mu_0"] == 1 and c.exact["mu_1"] == 3 and c.exact["mu_star2"] == 2  # He_2 has variance 2
    c = gaussian_equivalence("abs(z)")
    assert sp.simplify(c.exact["mu_star2"] - (1 - 2 / sp.pi)) == 0


def test_bad_input():
    with pytest.raises(ParameterError, match="unknown|allowed"):
        gaussian_equivalence("swish2")
    with pytest.raises(ParameterError, match="precision"):
        gaussian_equivalence("relu", precision=3)
    with pytest.raises(ParameterError, match="variance"):
        gaussian_equivalence("relu", variance=-1)
    with pytest.raises(ParameterError):
        gaussian_equivalence("__import__('os').system('x')")


def _run_cli(capsys, argv):
    import argparse

    p = argparse.ArgumentParser()
    sub = p.add_subparsers()
    cli_activation.register(sub)
    args = p.parse_args(argv)
    args.handler(args)
    return json.loads(capsys.readouterr().out)


def test_cli_relu(capsys):
    out = _run_cli(capsys, ["activation", "--name", "relu", "--json", "--precision", "50"])
    assert out["mu_1_exact"] == "1/2"
    assert out["mu_0"] == pytest.approx(1 / math.sqrt(2 * math.pi), rel=1e-15)
    assert out["mu_star"] == pytest.approx(math.sqrt(0.25 - 1 / (2 * math.pi)), rel=1e-15)
    with mpmath.workdps(60):
        ref = mpmath.nstr(mpmath.sqrt(mpmath.mpf(1) / 4 - 1 / (2 * mpmath.pi)), 50, strip_zeros=False)
    assert out["mu_star_digits"] == ref


def test_cli_expr(capsys):
    out = _run_cli(capsys, ["activation", "--expr", "tanh(z)", "--json", "--numeric"])
    assert out["mu_1"] == pytest.approx(hermite_coefficients("tanh", 1)[1], abs=1e-13)
    assert np.isfinite(out["mu_star"])
