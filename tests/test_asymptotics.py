"""Asymptotics engine: every derived law against the full numerical solution deep in its regime.

Independent sources: the full deterministic equivalent (RandomFeatureRidge / Spectrum.sums, exact sums),
mpmath quadrature for Mellin constants, the closed forms of static_rf_ridge.md (B3, B5, B6, B7) typed in
from the sheet, and log-log slopes fitted from the full numerics. "Ratio -> 1" tests check that the
relative error shrinks as the regime parameter grows, at the rate stated in Result.order.
"""

from __future__ import annotations

import json
import math

import mpmath
import numpy as np
import pytest
import sympy as sp

from scalingsym.core import symbols as S
from scalingsym.core.errors import ParameterError
from scalingsym.core.resolvent import ridgeless_rho
from scalingsym.core.spectra import ArraySpectrum, ExprSpectrum, PowerLaw
from scalingsym.models.ridge import RandomFeatureRidge
from scalingsym.theory.optimal import (
    derive_optimal_d,
    equiparameterized_optimum,
    optimal_allocation,
    optimal_ridge,
    optimal_ridge_alpha1,
    optimal_ridge_power_law,
    ridgeless_allocation,
)
from scalingsym.theory.regimes import crossover_scales, exponents, power_and_log, regime_map
from scalingsym.theory.spectral import (
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

LOG_SPEC = "k**-2*log(k+1)**2"


def _f(result, **values):
    """Evaluate a Result with w_var = lambda_plus = 1 unless given."""
    vals = {"w_var": 1.0, "lambda_plus": 1.0}
    vals.update(values)
    return result.evaluate(**{s.name: vals[s.name] for s in result.free_symbols})


def _fit_slope(x, y):
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


@pytest.fixture(scope="module")
def pl1():
    return RandomFeatureRidge(PowerLaw(alpha=1.0), w_var=1.0, u_var=1.0)


@pytest.fixture(scope="module")
def log_spec():
    return ExprSpectrum(LOG_SPEC)


# ------------------------------------------------------------------------------- exact strings -----
def test_paper_spectrum_exact_strings():
    assert A_alpha(1) == sp.pi / 2
    a = S.alpha
    gamma_form = sp.gamma(1 / (1 + a)) * sp.gamma(a / (1 + a)) / (1 + a)
    for val in (sp.Rational(1, 3), sp.Rational(1, 2), 2, 3):
        assert abs(sp.N((A_alpha(a) - gamma_form).subs(a, val), 30)) < 1e-25
    assert sp.simplify(Delta_asymptotic(TailLaw.power_law(1)).expr - sp.pi**2 * S.lambda_plus / (4 * S.n)) == 0
    ex = exponents(TailLaw.power_law())
    assert ex["ridgeless_N"].expr == S.alpha and ex["ridgeless_T"].expr == S.alpha
    assert sp.simplify(ex["ridge_dominated_N"].expr - a / (1 + a)) == 0
    assert sp.simplify(ex["ridge_dominated_gamma"].expr - a / (1 + a)) == 0
    assert sp.simplify(ex["peak_n"].expr - (3 * a - 1) / 2) == 0  # L ~ n^((1-3 alpha)/2) (B5c)
    assert ex["log_power"].expr == 0


def test_general_regularly_varying_exponents():
    """lambda ~ C k^-(1+alpha) (log k)^c: Delta(n) ~ n^-alpha (log n)^c and the ridge-dominated law
    ~ s^(alpha/(1+alpha)) log(1/s)^(c/(1+alpha)) (counting function K(rho) ~ rho^-1/beta log^(c/beta))."""
    c = sp.Symbol("c", real=True)
    ex = exponents(TailLaw.regularly_varying(S.alpha, c))
    assert ex["ridgeless_N"].expr == S.alpha and ex["log_power"].expr == c
    assert sp.simplify(ex["ridge_dominated_log_power"].expr - c / (1 + S.alpha)) == 0
    assert sp.simplify(ex["ridge_dominated_gamma"].expr - S.alpha / (1 + S.alpha)) == 0


def test_power_law_regime_prefactors_match_sheet():
    """The engine's laws for symbolic alpha equal the sheet's closed forms (B3, B5b, B5c)."""
    from scalingsym.theory.regimes import power_law_prefactors

    rm, pf = regime_map(TailLaw.power_law()), power_law_prefactors()
    for alpha in (0.5, 1.0, 2.0):
        vals = {S.alpha: alpha, S.lambda_plus: 1.7, S.N: 300.0, S.T: 700.0, S.gamma_bar: 2.0, S.n: 300.0,
                S.m: 700.0, S.w_var: 0.3}
        assert float(rm["ridgeless"].data["Delta"].subs(vals)) == pytest.approx(float(pf["Delta"].subs(vals)), 1e-12)
        assert float(rm["ridge_dominated"].expr.subs(vals)) == pytest.approx(
            float(pf["ridge_dominated"].subs(vals)), 1e-12)
        assert float(rm["regulated_peak"].expr.subs(vals)) == pytest.approx(
            float(pf["regulated_peak"].subs(vals)), 1e-12)


@pytest.mark.parametrize("p,q", [(1, 1), (1, 2), (2, 2), (2, 3)])
@pytest.mark.parametrize("sigma", [0.3, 0.5, 0.8])
def test_mellin_constant_against_quadrature(p, q, sigma):
    def fprime(x):
        return (p * x ** (p - 1) * (1 + x) - q * x**p) / (1 + x) ** (q + 1)

    # x = e^t removes the endpoint singularity at x = 0
    num = mpmath.quad(lambda t: mpmath.exp(t * (1 - sigma)) * fprime(mpmath.exp(t)), [-mpmath.inf, 0, mpmath.inf])
    assert float(mellin_constant(sp.nsimplify(sigma), p, q)) == pytest.approx(float(num), rel=1e-12)


# ------------------------------------------------------------------------------- spectral sums -----
@pytest.mark.parametrize("alpha", [0.5, 1.0, 2.0])
def test_d1_power_law_ratio_to_one(alpha):
    spec = PowerLaw(alpha)
    rho = np.logspace(-2, -8, 4)
    d1 = spec.d1(rho)
    lead = np.array([_f(d1_asymptotic(spec, refined=False), rho=r) for r in rho])
    ref = np.array([_f(d1_asymptotic(spec), rho=r) for r in rho])
    err_lead = np.abs(lead / d1 - 1)
    # leading order: the neglected term is the -1/2 constant, so the error is 1/(2 d1) to O(rho)
    assert np.all(np.diff(err_lead) < 0)
    assert err_lead == pytest.approx(0.5 / d1, rel=0.05)
    # refined: next term O(rho/lambda_plus) absolute
    assert np.all(np.abs(ref - d1) < 2 * rho + 1e-9 * d1)


def test_d1_power_law_finite_M_tail():
    """The finite-M term of B3: (lambda_plus/rho) M^-alpha/alpha, valid for lambda_M << rho."""
    spec = PowerLaw(0.5, M=10**6)
    rho = np.array([1e-4, 1e-5, 1e-6])
    d1 = spec.d1(rho)
    ref = np.array([_f(d1_asymptotic(spec), rho=r) for r in rho])
    inf_law = np.array([_f(d1_asymptotic(PowerLaw(0.5)), rho=r) for r in rho])
    # first neglected terms: O(rho) and the second tail term (lambda_plus/rho)^2 M^-(1+2 alpha)/(1+2 alpha)
    bound = 1.2 * (1 / rho) ** 2 * 1e6**-2.0 / 2 + 2 * rho
    assert np.all(np.abs(ref - d1) < bound)
    assert np.all(np.abs(inf_law - d1) > 10 * bound)  # without the tail term it fails at this M


def test_d2_and_e1_power_law(pl1):
    spec = pl1.spectrum
    rho = np.array([1e-4, 1e-6, 1e-8])
    d2 = spec.d2(rho)
    e1 = spec.d1(rho) - d2
    law_d2 = np.array([_f(spectral_sum_asymptotic(spec, 2, 2), rho=r) for r in rho])
    law_e1 = np.array([_f(e1_asymptotic(spec), rho=r) for r in rho])
    assert np.all(np.diff(np.abs(law_d2 / d2 - 1)) < 0) and abs(law_d2[-1] / d2[-1] - 1) < 1e-3
    assert np.all(np.abs(law_e1 / e1 - 1) < 5 * np.sqrt(rho))  # d1 - d2 has no O(1) constant


def test_d1_exponential():
    spec = ExprSpectrum("exp(-k/10)")
    law = tail_law(spec)
    assert law.kind == "exponential" and law.rate == sp.Rational(1, 10)
    rho = np.array([1e-3, 1e-5, 1e-7])
    d1 = spec.d1(rho)
    lead = np.array([_f(d1_asymptotic(spec, refined=False), rho=r) for r in rho])
    ref = np.array([_f(d1_asymptotic(spec), rho=r) for r in rho])
    assert np.all(np.diff(np.abs(lead / d1 - 1)) < 0)
    # Poisson summation: the neglected terms are O(rho) and oscillations O(exp(-2 pi^2 / c)) = O(e^-197)
    assert np.all(np.abs(ref - d1) < 1.1 * rho / 0.1 + 1e-9)
    e1 = d1 - spec.d2(rho)
    assert np.all(np.abs(e1 * 0.1 - 1) < 10 * rho + 1e-6)  # d1 - d2 -> 1/c


def test_d1_regularly_varying_log_spectrum(log_spec):
    law = tail_law(log_spec)
    assert (law.kind, law.beta, law.log_power, law.scale) == ("regular", 2, 2, 1)
    rho = np.array([1e-2, 1e-4, 1e-6])
    d1 = log_spec.d1(rho)
    lead = np.array([_f(d1_asymptotic(log_spec, refined=False), rho=r) for r in rho])
    ref = np.array([_f(d1_asymptotic(log_spec), rho=r) for r in rho])
    u = np.log(1 / rho)
    # leading: relative error O(log log / log) -> decreasing but slow; refined: O(log u / u^2)
    assert np.all(np.diff(np.abs(lead / d1 - 1)) < 0)
    err = np.abs(ref / d1 - 1)
    assert np.all(np.diff(err) < 0)
    assert np.all(err * u**2 / np.log(u) < 2.5)


def test_broken_power_law_tail():
    law = TailLaw.broken_power_law(1, 2, 50)
    kb = 50
    k = np.arange(1, 400001, dtype=float)
    lam = np.minimum(k**-2.0, kb * k**-3.0)
    spec = ArraySpectrum(lam)
    # the tail regime rho << lambda_break = 1/2500
    rho = np.array([1e-5, 1e-6, 1e-7])
    d1 = spec.d1(rho)
    ref = np.array([_f(d1_asymptotic(law), rho=r) for r in rho])
    err = np.abs(ref - d1)
    assert np.all(err < 3 * kb * rho / 4e-4 + 0.02)
    # the head regime d1 << k_break: the alpha1 = 1 power law, error O(d1/k_break)
    kb = 1000
    spec_h = ArraySpectrum(np.minimum(k**-2.0, kb * k**-3.0))
    rho_h = np.array([1e-1, 1e-2, 1e-3])
    d1_h = spec_h.d1(rho_h)
    head = np.array([_f(d1_asymptotic(TailLaw.power_law(1, 1)), rho=r) for r in rho_h])
    assert np.all(np.abs(head / d1_h - 1) < d1_h / kb)
    assert exponents(law)["ridgeless_N"].expr == 2 and exponents(law)["ridgeless_N_below_break"].expr == 1


def test_min_expression_is_a_broken_power_law():
    law = TailLaw.from_expr(sp.Min(S.k**-2, 100 * S.k**-3))
    assert (law.beta, law.scale) == (3, 100)


@pytest.mark.parametrize(
    "expr, fragment",
    [
        ("k**-1", "index"),
        ("exp(-sqrt(k))", "exp(-c k)"),
        ("k**-2*exp(sqrt(log(k)))", "slowly varying"),
        ("k**-2*(2 + sin(k))", "regularly varying"),
    ],
)
def test_method_does_not_apply_raises(expr, fragment):
    with pytest.raises(ParameterError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        TailLaw.from_expr(expr)


def test_array_spectrum_has_no_law():
    with pytest.raises(ParameterError, match="no large-k law"):
        tail_law(ArraySpectrum([1.0, 0.5]))


# ------------------------------------------------------------------------------- regimes ---------
def test_ridgeless_law_ratio_to_one(pl1):
    rl = regime_map(TailLaw.power_law(1, 1))["ridgeless"]
    n = np.array([10.0, 100.0, 1000.0])
    for m in (4 * n, np.full(3, np.inf)):
        full = pl1.loss(n, m, 0.0)
        law = np.array([_f(rl, n=a, m=b) for a, b in zip(n, m)])
        err = np.abs(law / full - 1)
        # the neglected order is the n + 1/2 shift: relative 2 (1/2)/n = 1/n at alpha = 1
        assert np.all(np.diff(err) < 0) and err == pytest.approx(1 / n, rel=0.1)
    # refined rho_0 (n -> n + 1/2) is good to O(n^-2)
    r = ridgeless_rho_asymptotic(pl1.spectrum, refined=True)
    exact = ridgeless_rho(pl1.spectrum, n)
    assert np.all(np.abs(np.array([_f(r, n=v) for v in n]) / exact - 1) < 0.5 / n**2)


def test_ridge_dominated_ratio_to_one(pl1):
    """N = T = n with d1 = sqrt(n): 1 << d1 << n; the neglected orders are O(d1/n) and O(1/d1)."""
    rd = regime_map(TailLaw.power_law(1, 1))["ridge_dominated"]
    n = np.array([1e3, 1e4, 1e5, 1e6])
    gb = (math.pi / 2) ** 2 / n * n * n
    full = pl1.loss(n, n, gb)
    law = np.array([_f(rd, N=a, T=a, gammabar=g) for a, g in zip(n, gb)])
    err = np.abs(law / full - 1)
    assert np.all(np.diff(err) < 0)
    assert np.all(err < 3 / np.sqrt(n))


def test_regulated_peak_ratio_to_one(pl1):
    """N = T = n, gamma_bar = eps n Delta(n): error O(sqrt(eps)) plus O(1/n) from the leading Delta."""
    pk = regime_map(TailLaw.power_law(1, 1))["regulated_peak"]
    n = 1000.0
    eps = np.array([1e-2, 1e-4, 1e-6])
    gb = eps * n * (math.pi**2 / 4 / n)
    full = pl1.loss(n, n, gb)
    law = np.array([_f(pk, n=n, gammabar=g) for g in gb])
    err = np.abs(law / full - 1)
    assert np.all(np.diff(err) < 0)
    assert np.all(err < 3 * np.sqrt(eps) + 3 / n)


def test_saturation_ratio_to_one(pl1):
    sat = regime_map(TailLaw.power_law(1, 1))["saturation"]
    n = 300.0
    x = np.array([10.0, 100.0, 1000.0])
    full = pl1.loss(n, n, x * n * n)
    err = np.abs(float(sat.expr.subs(S.w_var, 1)) / full - 1)
    assert float(sat.expr.subs(S.w_var, 1)) == pytest.approx(math.pi**2 / 12, rel=1e-14)
    assert np.all(np.diff(err) < 0) and np.all(err < 2 / x)  # O(N T sum lambda^2 / (gamma_bar sum lambda))


def test_finite_M_regimes():
    M = 50
    spec = PowerLaw(1.0, M=M)
    model = RandomFeatureRidge(spec, w_var=1.0, u_var=1.0)
    assert float(model.loss(60.0, 400.0, 0.0)) == 0.0
    fm = regime_map(spec)["finite_M_ridge"]
    expr = fm.expr.subs({S.w_var: 1}).doit()
    N, T = 400.0, 900.0
    gb = np.array([1e-2, 1e-3, 1e-4]) * (N - M) * (T - M) * M**-2.0
    full = model.loss(N, T, gb)
    law = np.array([float(expr.subs({S.N: N, S.T: T, S.gamma_bar: g})) for g in gb])
    err = np.abs(law / full - 1)
    assert np.all(np.diff(err) < 0) and err[-1] < 1e-3
    assert fm.data["slopes"]["gamma"] == 2


def test_crossover_scales_power_law():
    cs = crossover_scales(TailLaw.power_law())
    a = S.alpha
    A = A_alpha(a)
    for val in (0.5, 1.0, 3.0):
        v = {a: val, S.m: 70.0, S.n: 30.0, S.N: 30.0, S.T: 70.0, S.lambda_plus: 1.3}
        sheet_x = (S.m * S.lambda_plus * A ** (1 + a) * S.n ** (-a)).subs(v)
        sheet_sat = (S.lambda_plus * A ** (1 + a) * S.N * S.T).subs(v)
        assert float(cs["ridgeless_to_ridge"].subs(v)) == pytest.approx(float(sheet_x), rel=1e-12)
        assert float(cs["ridge_to_saturation"].subs(v)) == pytest.approx(float(sheet_sat), rel=1e-12)


def test_power_and_log():
    assert power_and_log(S.n**-3 * sp.log(S.n) ** 2 * (1 + 1 / S.n), S.n) == (-3, 2)
    assert power_and_log(sp.exp(-S.n), S.n)[0] == -sp.oo
    assert power_and_log(S.N ** sp.Rational(-1, 2) * sp.log(S.N * S.T), S.N) == (sp.Rational(-1, 2), 1)


# ------------------------------------------------------------------------------- fitted exponents --
def test_power_law_exponents_vs_fitted_slopes(pl1):
    ex = exponents(TailLaw.power_law(1, 1))
    n = np.logspace(3, 4, 5)
    assert -_fit_slope(n, pl1.loss(n, np.inf, 0.0)) == pytest.approx(float(ex["ridgeless_N"].expr), abs=2e-3)
    assert -_fit_slope(n, pl1.loss(np.inf, n, 0.0)) == pytest.approx(float(ex["ridgeless_T"].expr), abs=2e-3)
    # ridge-dominated: T = 1e8 fixed, s = gamma_bar/(N T) from 1e-4 to 1e-5 (d1 from 157 to 500 << N)
    N = np.logspace(4, 5, 5)
    gb = 1e-4 * 1e4 * 1e8
    assert -_fit_slope(N, pl1.loss(N, 1e8, gb)) == pytest.approx(float(ex["ridge_dominated_N"].expr), abs=0.02)
    g = np.logspace(8, 9, 5)
    assert _fit_slope(g, pl1.loss(1e6, 1e6, g)) == pytest.approx(float(ex["ridge_dominated_gamma"].expr), abs=0.01)
    # regulated peak, gamma_bar << n Delta(n) = pi^2/4
    assert -_fit_slope(n, pl1.loss(n, n, 1e-6)) == pytest.approx(float(ex["peak_n"].expr), abs=0.01)


def test_new_spectrum_exponents_vs_fitted_slopes(log_spec):
    """lambda_k = k^-2 log(k+1)^2: L ~ n^-1 (log n)^2 ridgeless. The fitted slope of L / (log n)^2
    tends to -1 and the local slope of L matches the derived -1 + 2/log n (up to O(1/log^2 n))."""
    ex = exponents(log_spec)
    assert (ex["ridgeless_N"].expr, ex["log_power"].expr) == (1, 2)
    model = RandomFeatureRidge(log_spec, w_var=1.0, u_var=1.0)
    n = np.logspace(2.5, 3.5, 5)
    L = model.loss(n, np.inf, 0.0)
    raw = _fit_slope(n, L)
    corrected = _fit_slope(n, L / np.log(n) ** 2)
    assert abs(corrected + 1) < abs(raw + 1) and abs(corrected + 1) < 0.05
    nm = math.sqrt(n[0] * n[-1])
    assert raw == pytest.approx(-1 + 2 / math.log(nm), abs=0.05)


# ------------------------------------------------------------------------------- optimal ridge ----
def test_optimal_d_quadratic_matches_sheet():
    a, d = S.alpha, sp.Symbol("d", positive=True)
    sheet = (a - 1) * (a + 2) * d**2 - a * (1 + a) * (S.N + S.T) * d + a * (1 + a) * S.N * S.T
    assert sp.expand(derive_optimal_d().expr - sheet) == 0


def test_alpha1_identities_and_numeric_optimum():
    res = optimal_ridge_alpha1()
    assert res["gamma_bar"].expr == sp.pi**2 * S.lambda_plus / 4
    assert sp.simplify(res["loss"].expr - S.w_var / 2 * sp.pi**2 / 4 * S.lambda_plus * (1 / S.N + 1 / S.T)) == 0
    # full numerics (finite M = 2e4 spectrum; d1 finite-M correction ~ n/(A^2 M) < 0.5%)
    k = np.arange(1, 20001, dtype=float)
    model = RandomFeatureRidge(ArraySpectrum(k**-2.0), w_var=1.0, u_var=1.0)
    errs = []
    for N, T in ((30.0, 60.0), (200.0, 400.0)):
        opt = optimal_ridge(model, N, T)
        cf = optimal_ridge_power_law(1.0, N, T)
        errs.append(abs(opt.loss / cf["loss"] - 1))
        assert opt.gamma_bar == pytest.approx(math.pi**2 / 4, rel=0.1)
    # continuum error O(1/d*) plus the finite-M shift of d1 (~ n/(A^2 M) ~ 1%)
    assert errs[1] < errs[0] and errs[1] < 0.02


def test_equiparameterized_t_star_and_scaling():
    for alpha, t in ((sp.Rational(1, 2), 0.3798), (1, 0.5), (2, 0.6340)):  # sheet B6
        r = equiparameterized_optimum(alpha)
        assert float(r.data["t_star"]) == pytest.approx(t, abs=1e-4)
        slope, _ = power_and_log(r.expr, r.data["C"])
        assert slope == -sp.nsimplify(alpha) / 2


def test_ridgeless_allocation_against_numerics(pl1):
    assert ridgeless_allocation().expr == S.alpha / (S.alpha + 2)
    C = 1e8
    r = np.logspace(-1.2, -0.2, 41)
    n = np.sqrt(C * r)
    L = pl1.loss(n, C / n, 0.0)
    i = int(np.argmin(L))
    # grid spacing 0.025 decades; leading-order law has O(1/n) corrections at n ~ 5e3
    assert math.log10(r[i]) == pytest.approx(math.log10(1 / 3), abs=0.03)


def test_optimal_allocation_is_equiparameterized():
    k = np.arange(1, 20001, dtype=float)
    model = RandomFeatureRidge(ArraySpectrum(k**-2.0), w_var=1.0, u_var=1.0)
    out = optimal_allocation(model, 1e4)
    assert out["ratio"] == pytest.approx(1.0, abs=0.02)
    # L* ~ C^-1/2 at alpha = 1 (continuum pi^2/4 * 2/sqrt(C) / 2 with w_var = 1)
    assert out["loss"] == pytest.approx(math.pi**2 / 4 / math.sqrt(1e4), rel=0.02)


# ------------------------------------------------------------------------------- interface --------
def test_cli_exponents_json(capsys):
    from scalingsym.cli import main

    assert main(["exponents", "--spectrum", "powerlaw(alpha=1, M=inf)", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("ridgeless_N", "ridgeless_T", "ridge_dominated_N", "ridge_dominated_T", "ridge_dominated_gamma",
                "log_power"):
        assert set(out[key]) == {"exact", "float"}
    assert out["ridgeless_N"] == {"exact": "1", "float": 1.0}
    assert out["ridge_dominated_gamma"] == {"exact": "1/2", "float": 0.5}


@pytest.mark.parametrize(
    "spec, key, exact",
    [
        ('custom(expr="k**-2*log(k+1)**2", M=inf)', "log_power", "2"),
        ('custom(expr="exp(-k/2)", M=inf)', "ridgeless_N", "oo"),
        ("brokenpowerlaw(alpha1=1, alpha2=2, k_break=100)", "ridgeless_N", "2"),
        ("powerlaw(alpha=0.5, M=inf)", "ridge_dominated_N", "1/3"),
    ],
)
def test_cli_exponents_families(capsys, spec, key, exact):
    from scalingsym.cli import main

    assert main(["exponents", "--spectrum", spec, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[key]["exact"] == exact


def test_cli_latex_and_errors(capsys):
    from scalingsym.cli import main

    assert main(["exponents", "--spectrum", "powerlaw(alpha=1, M=inf)", "--latex"]) == 0
    tex = capsys.readouterr().out
    assert "\\begin{equation}" in tex and "eq:ridge_dominated" in tex
    assert main(["exponents", "--spectrum", 'custom(expr="exp(-sqrt(k))", M=inf)']) == 2
    assert "exp(-c k)" in capsys.readouterr().err
