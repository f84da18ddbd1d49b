"""Foundation: spectral sums, the self-consistent equation, the ridge model (issue 2).

Every expected value comes from an independent route: brute-force summation, a different summation
method (zeta tail vs Euler-Maclaurin vs direct), exact symbolic identities, or closed forms from
``static_rf_ridge.md`` (B1-B4).
"""

import math

import mpmath
import numpy as np
import pytest
import sympy as sp
from scipy.special import gamma as Gamma

from scalingsym import (
    ArraySpectrum,
    ExprSpectrum,
    PowerLaw,
    RandomFeatureRidge,
    Task,
    derive_ridgeless,
    ridgeless_rho,
    solve_rho,
    solve_rho_mp,
)
from scalingsym.core import symbols as S
from scalingsym.core.parsing import parse_spectrum
from scalingsym.models.ridge import LOSS_B1B, LOSS_RIDGELESS, SADDLE

RHOS = np.logspace(-8, 1, 10)


# ------------------------------------------------------------------ spectral sums ---------------
@pytest.mark.parametrize("alpha", [0.3, 1.0, 2.5])
@pytest.mark.parametrize("pq", [(1, 1), (2, 2), (1, 2)])
def test_powerlaw_sums_match_brute_force(alpha, pq):
    p, q = pq
    M = 20000  # large enough that the head + zeta-tail path is used for most rho
    spec = PowerLaw(alpha, M)
    lam = 1.0 * np.arange(1, M + 1, dtype=float) ** -(1 + alpha)
    brute = np.array([np.sum(lam**p / (lam + r) ** q) for r in RHOS])
    np.testing.assert_allclose(spec.sums(RHOS, p, q), brute, rtol=1e-12)


def test_powerlaw_weighted_sums_match_brute_force():
    spec = PowerLaw(0.5, 5000)
    k = np.arange(1, 5001, dtype=float)
    lam = k**-1.5
    for nu in (-0.4, 0.5, 2.0):
        brute = np.array([np.sum(k**-nu * lam**2 / (lam + r)) for r in RHOS])
        np.testing.assert_allclose(spec.sums(RHOS, 2, 1, Task.power(nu)), brute, rtol=1e-12)


def test_infinite_powerlaw_against_closed_forms():
    """alpha = 1: d1 = sum 1/(1 + rho k^2) = pi/(2 sqrt(rho)) coth(pi/sqrt(rho)) - 1/2 (Mittag-Leffler).

    (mpmath.nsum with its default extrapolation is off by about 1% on this slowly decaying sum at
    rho = 1e-5, so it is not used as a reference.)
    """
    spec = PowerLaw(1.0, math.inf)
    assert spec.trace() == pytest.approx(math.pi**2 / 6, rel=1e-14)  # zeta(2)
    mpmath.mp.dps = 40
    for r in ("1e-2", "1e-5", "3e-9"):
        r = mpmath.mpf(r)
        a = mpmath.sqrt(r)
        ref = mpmath.pi / (2 * a) * mpmath.coth(mpmath.pi / a) - mpmath.mpf(1) / 2
        assert float(spec.d1(float(r))) == pytest.approx(float(ref), rel=1e-13)
        assert abs(spec.d1_mp(r) / ref - 1) < mpmath.mpf("1e-35")


def test_infinite_expression_spectrum_agrees_with_powerlaw():
    """Euler-Maclaurin + quadrature (ExprSpectrum) vs head + Hurwitz-zeta tail (PowerLaw)."""
    a = ExprSpectrum("k**-2", M=math.inf)
    b = PowerLaw(1.0, math.inf)
    rho = np.array([1e-6, 1e-3, 0.3])
    for p, q in ((1, 1), (2, 2)):
        np.testing.assert_allclose(a.sums(rho, p, q), b.sums(rho, p, q), rtol=1e-11)
    mpmath.mp.dps = 30
    assert abs(a.d1_mp(mpmath.mpf("1e-3")) / b.d1_mp(mpmath.mpf("1e-3")) - 1) < 1e-25
    assert a.tail_error_bound(1e-3) < 1e-20


def test_finite_expression_and_array_spectra_are_direct_sums():
    e = ExprSpectrum("k**-2*log(k+1)**2", M=300)
    k = np.arange(1, 301, dtype=float)
    lam = k**-2 * np.log(k + 1) ** 2
    np.testing.assert_allclose(e.eigenvalues(), lam, rtol=1e-15)
    np.testing.assert_allclose(ArraySpectrum(lam).d2(RHOS), [np.sum(lam**2 / (lam + r) ** 2) for r in RHOS])
    mpmath.mp.dps = 40
    lam_mp = [mpmath.mpf(j) ** -2 * mpmath.log(j + 1) ** 2 for j in range(1, 301)]
    exact = mpmath.fsum(v / (v + mpmath.mpf("0.01")) for v in lam_mp)
    assert abs(e.d1_mp(mpmath.mpf("0.01")) - exact) < mpmath.mpf("1e-35")


# ------------------------------------------------------------------ self-consistent equation ----
def test_solver_residual_branch_and_mpmath_agreement():
    spec = PowerLaw(1.0, 1000)
    N = np.array([50.0, 400.0, 200.0, 300.0, 80.0, np.inf])
    T = np.array([400.0, 100.0, 200.0, np.inf, 900.0, 120.0])
    s = np.array([1e-6, 1e-4, 1e-7, 1e-5, 1e-2, 1e-5])
    rho = solve_rho(spec, s, N, T)
    d1 = spec.d1(rho)
    lhs = rho * np.where(np.isinf(N), 1, 1 - d1 / N) * np.where(np.isinf(T), 1, 1 - d1 / T)
    np.testing.assert_allclose(lhs, s, rtol=1e-12)
    assert np.all(d1 < np.minimum(N, T)) and np.all(rho >= s)
    mpmath.mp.dps = 30
    for i in (0, 2, 5):
        assert float(solve_rho_mp(spec, s[i], N[i], T[i])) == pytest.approx(rho[i], rel=1e-13)


def test_ridgeless_rho_and_saturation():
    spec = PowerLaw(1.0, 100)
    r0 = ridgeless_rho(spec, np.array([10.0, 99.0, 100.0, 150.0]))
    assert r0[2] == 0 and r0[3] == 0
    np.testing.assert_allclose(spec.d1(r0[:2]), [10.0, 99.0], rtol=1e-13)


# ------------------------------------------------------------------ symbolic identities ---------
def test_equations_are_exactly_symmetric_under_N_T_exchange():
    swap = {S.N: S.T, S.T: S.N}
    assert sp.simplify(SADDLE.lhs - SADDLE.lhs.subs(swap, simultaneous=True)) == 0
    assert sp.simplify(LOSS_B1B - LOSS_B1B.subs(swap, simultaneous=True)) == 0


def test_symbolic_ridgeless_limit_is_B2():
    lims = derive_ridgeless()
    for side, n_, m_ in (("N<T", S.N, S.T), ("N>T", S.T, S.N)):
        target = LOSS_RIDGELESS.subs({S.Delta: n_ * S.rho, S.n: n_, S.m: m_})
        assert sp.simplify(lims[side].expr - target) == 0
    assert lims["N=T"].expr == sp.oo


@pytest.mark.parametrize("N,T,g", [(100, 400, 1e-6), (400, 100, 1e-6), (150, 160, 1e-9)])
def test_small_ridge_converges_to_ridgeless(N, T, g):
    """gamma -> 0+ of (B1) equals the ridgeless (B2), linearly in gamma (slower next to the peak)."""
    model = RandomFeatureRidge(PowerLaw(1.0, 1000))
    L0 = model.loss(N, T, 0.0)
    Lg = model.loss(N, T, np.array([g, g / 100, g / 10000]))
    err = np.abs(Lg / L0 - 1)
    assert err[2] < 1e-6
    np.testing.assert_allclose(err[1:] / err[:-1], 0.01, rtol=0.05)


def test_peak_and_exact_recovery_are_explicit():
    model = RandomFeatureRidge(PowerLaw(1.0, 200))
    sol = model.solve([150, 300, 250], [150, 300, 400], 0.0)
    assert sol.loss[0] == np.inf  # interpolation peak N = T < M
    assert sol.loss[1] == 0 and sol.loss[2] == 0  # min(N, T) >= M: exact recovery
    assert np.isfinite(model.loss(150, 150, 1e-3))


def test_general_teacher_formula_reduces_to_B1b():
    """Two derivations: two-point DE (general teacher) vs (B1b) (isotropic)."""
    spec = PowerLaw(1.0, 500)
    iso = RandomFeatureRidge(spec)
    gen = RandomFeatureRidge(spec, task=Task.array(np.ones(500)))
    N = np.array([100, 400, 200, 60, 300])
    T = np.array([400, 100, 200, 60, 700])
    g = np.array([1e-3, 1e-2, 1e-4, 1.0, 0.0])
    np.testing.assert_allclose(gen.loss(N, T, g), iso.loss(N, T, g), rtol=1e-11)


def test_numpy_and_mpmath_agree():
    model = RandomFeatureRidge(PowerLaw(0.7, 800))
    pts = [(100, 400, 0.0), (300, 120, 1e-3), (200, 200, 1e-4), (50, 1e6, 1e-2), (700, 900, 0.0)]
    for N, T, g in pts:
        f = model.solve(N, T, g)
        m = model.solve_mp(N, T, g, dps=30)
        for key in ("loss", "rho", "d1", "d2", "bias"):
            a, b = float(getattr(f, key)), float(getattr(m, key))
            assert a == pytest.approx(b, rel=1e-10, abs=1e-300), (N, T, g, key)


def test_mpmath_precision_is_real():
    """30 and 60 digit evaluations agree to ~30 digits (a float64 leak would stop at 16)."""
    model = RandomFeatureRidge(PowerLaw(1.0, 300))
    a = model.solve_mp(50, 200, 1e-3, dps=30).loss
    b = model.solve_mp(50, 200, 1e-3, dps=60).loss
    with mpmath.workdps(60):
        assert abs(a / b - 1) < mpmath.mpf("1e-27")


def test_powerlaw_closed_form_Delta_is_approached():
    """Delta(n) = n rho_0(n) -> lambda_+ A^(1+alpha) n^-alpha, A = Gamma(1/p)Gamma(alpha/p)/p (B3)."""
    for alpha in (0.5, 1.0, 2.0):
        spec = PowerLaw(alpha, math.inf, lambda_plus=2.0)
        p = 1 + alpha
        A = Gamma(1 / p) * Gamma(alpha / p) / p
        n = np.array([10.0, 100.0, 1000.0, 10000.0])
        Delta = n * ridgeless_rho(spec, n)
        ratio = Delta / (2.0 * A**p * n**-alpha)
        err = np.abs(ratio - 1)
        assert np.all(np.diff(err) < 0) and err[-1] < 5e-3 * (1 + alpha), (alpha, ratio)
    # alpha = 1: Delta -> pi^2/4 lambda_+ / n
    spec = PowerLaw(1.0, math.inf)
    assert 1e4 * float(ridgeless_rho(spec, 1e4)) * 1e4 == pytest.approx(math.pi**2 / 4, rel=2e-4)


def test_bias_variance_split():
    model = RandomFeatureRidge(PowerLaw(1.0, 1000))
    sol = model.solve(np.array([100, 100]), np.array([400, 400]), np.array([1e-3, 1e4]))
    assert np.all(sol.variance >= 0) and np.all(sol.bias <= sol.loss)
    # ridge-dominated (d1 << n): the loss is all bias
    assert sol.bias[1] / sol.loss[1] == pytest.approx(1, abs=1e-3)


def test_large_ridge_saturates_at_half_E_y2():
    spec = PowerLaw(1.0, 500)
    model = RandomFeatureRidge(spec)
    L = model.loss(100, 400, 1e12)
    assert L == pytest.approx(model.w_var / 2 * spec.trace(), rel=1e-6)


def test_expression_spectrum_infinite_M_small_rho_against_independent_sums():
    """M = inf expression spectra down to rho = 1e-10 (the knee of lambda/(lambda+rho) far in the tail).

    ``k**-2``: the exact closed form sum_k 1/(1 + rho k^2) = (pi/sqrt(rho) coth(pi/sqrt(rho)) - 1)/2.
    ``k**-2 log(k+1)**2``: a direct float64 sum over k < 1e7 plus the tail as an mpmath integral with the
    Euler-Maclaurin half term (its next term is ~f'(1e7)/12, below 1e-12 relative).
    """

    spec = parse_spectrum("custom(expr='k**-2', M=inf)")
    for rho in (1e-2, 1e-6, 1e-10):
        r = mpmath.mpf(rho)
        exact = float((mpmath.pi / mpmath.sqrt(r) * mpmath.coth(mpmath.pi / mpmath.sqrt(r)) - 1) / 2)
        assert spec.sums(np.array([rho]), 1, 1)[0] == pytest.approx(exact, rel=1e-12)

    spec = parse_spectrum("custom(expr='k**-2*log(k+1)**2', M=inf)")
    rho = 1e-6
    K = 10**7
    total = 0.0
    for start in range(1, K, 10**6):
        k = np.arange(start, min(start + 10**6, K), dtype=np.float64)
        lam = np.log1p(k) ** 2 / k**2
        total += float(np.sum(lam / (lam + rho)))

    def f(x):
        lam = mpmath.log(x + 1) ** 2 / x**2
        return lam / (lam + rho)

    total += float(mpmath.quad(f, [K, mpmath.inf]) + f(mpmath.mpf(K)) / 2)
    assert spec.sums(np.array([rho]), 1, 1)[0] == pytest.approx(total, rel=1e-10)
