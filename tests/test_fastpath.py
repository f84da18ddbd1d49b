"""Every fast path against the exact one it replaces (no timing asserts: speed is in benchmarks/)."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

from scalingsym.cli.bench import naive_loss
from scalingsym.core.errors import ParameterError
from scalingsym.core.fastsums import InterpolatedSpectrum
from scalingsym.core.resolvent import ridgeless_rho, ridgeless_rho_mp, solve_rho, solve_rho_mp
from scalingsym.core.spectra import ArraySpectrum, PowerLaw
from scalingsym.core.tasks import Task
from scalingsym.models.ridge import RandomFeatureRidge, fast_ridge
from scalingsym.simulate.ridge import simulate_ridge, simulate_ridge_nested_N

SPECTRA = [
    PowerLaw(alpha=1, M=10**5),
    PowerLaw(alpha=1),
    PowerLaw(alpha=0.4, M=3000),
    ArraySpectrum(np.random.default_rng(3).exponential(size=400) ** 3),
]


# ----------------------------------------------------------------------- interpolated sums ----
@pytest.mark.parametrize("spec", SPECTRA, ids=lambda s: s.describe())
def test_interpolated_sums_match_exact(spec):
    fast = InterpolatedSpectrum(spec)
    rho = np.exp(np.random.default_rng(0).uniform(np.log(1e-7), np.log(1e3), 400))
    for p, q in ((1, 1), (1, 2)):
        got = fast.sums(rho, p, q)
        want = spec.sums(rho, p, q)
        # the representation is checked to rtol=1e-13 at build; the exact float64 sums carry ~1e-14 noise
        assert np.max(np.abs(got / want - 1)) < 1e-12
    assert 0 < fast.error_bound <= fast.rtol


def test_interpolated_delegates_everything_else():
    spec = PowerLaw(alpha=1, M=500)
    fast = InterpolatedSpectrum(spec)
    rho = np.array([0.0, 1e-3, 1.0])
    assert np.array_equal(fast.sums(rho, 2, 3), spec.sums(rho, 2, 3))
    assert np.array_equal(fast.sums(rho, 2, 2), spec.sums(rho, 2, 2))
    task = Task.power(0.5)
    assert np.array_equal(fast.sums(rho[1:], 1, 1, task), spec.sums(rho[1:], 1, 1, task))
    assert fast.sums(0.0, 1, 1) == spec.sums(0.0, 1, 1)  # rho = 0 is exact
    with mpmath.workdps(20):
        assert fast.sums_mp(mpmath.mpf("0.01"), 1, 1) == spec.sums_mp(mpmath.mpf("0.01"), 1, 1)


def test_interpolated_bad_input():
    with pytest.raises(ParameterError, match="panel"):
        InterpolatedSpectrum(PowerLaw(alpha=1), panel=10)
    with pytest.raises(ParameterError, match="degree"):
        InterpolatedSpectrum(PowerLaw(alpha=1), degree=2)
    with pytest.raises(ParameterError, match="spectrum"):
        InterpolatedSpectrum("powerlaw")
    with pytest.raises(ParameterError, match="model"):
        fast_ridge(PowerLaw(alpha=1))
    with pytest.raises(ParameterError, match="rho"):
        InterpolatedSpectrum(PowerLaw(alpha=1)).log_sums([-1.0])


# --------------------------------------------------------------------------- fast surfaces ----
@pytest.mark.parametrize("M", [10**5, math.inf])
def test_fast_ridge_matches_exact_float64(M):
    exact = RandomFeatureRidge(PowerLaw(alpha=1, M=M))
    fast = fast_ridge(exact)
    rng = np.random.default_rng(1)
    N = 10 ** rng.uniform(1, 4, 300)
    T = 10 ** rng.uniform(1, 4, 300)
    g = 10 ** rng.uniform(-6, 0, 300)
    g[:30] = 0.0  # ridgeless points too
    T[30:40] = N[30:40]  # ridgeless peak (inf) where gamma = 0
    a, b = fast.solve(N, T, g), exact.solve(N, T, g)
    fin = np.isfinite(b.loss)
    assert np.array_equal(fin, np.isfinite(a.loss))
    assert np.max(np.abs(a.loss[fin] / b.loss[fin] - 1)) < 1e-11
    assert np.max(np.abs(a.rho / b.rho - 1)) < 1e-11


@pytest.mark.parametrize("M", [10**5, math.inf])
def test_fast_ridge_matches_50_digits(M):
    exact = RandomFeatureRidge(PowerLaw(alpha=1, M=M))
    fast = fast_ridge(exact)
    pts = [(30.0, 5000.0, 1e-5), (2000.0, 2100.0, 1e-6), (9000.0, 80.0, 0.3), (400.0, 400.0, 1e-4)]
    for N, T, g in pts:
        ref = exact.solve_mp(N, T, g, dps=50).loss
        got = float(fast.loss(N, T, g))
        assert abs(mpmath.mpf(got) / ref - 1) < 1e-10


def test_fast_ridge_one_resource_limits():
    exact = RandomFeatureRidge(PowerLaw(alpha=1))
    fast = fast_ridge(exact)
    for N, T in ((math.inf, 300.0), (300.0, math.inf)):
        a, b = float(fast.loss(N, T, 0.0)), float(exact.loss(N, T, 0.0))
        assert abs(a / b - 1) < 1e-11


def test_naive_baseline_matches_exact():
    # the benchmark's baseline must be a correct (if slow) solve
    spec = PowerLaw(alpha=1, M=2000)
    model = RandomFeatureRidge(spec)
    for N, T, g in ((50.0, 300.0, 1e-4), (700.0, 100.0, 1e-2)):
        v = naive_loss(spec.eigenvalues(), N, T, g, model.w_var, model.u_var)
        assert abs(v / float(model.loss(N, T, g)) - 1) < 1e-10


def test_closed_form_ceiling_is_the_same_loss():
    """The benchmark's closed-form ceiling computes the fast path's quantity, not a cheaper one.

    Two independent references: the Mittag-Leffler identity ``sum_k 1/(1 + rho k^2) = (pi/(2v)) coth(pi/v) - 1/2``
    (``v = sqrt(rho)``) that the closed form rests on, against mpmath's ``nsum`` at 30 digits; and the loss against
    the exact path (Hurwitz-zeta sums and the root solve, no interpolation) on points of the benchmark's range,
    including ridgeless ones, to the dropped ``coth`` factor (``2 exp(-2 pi / sqrt(rho)) <= 1.6e-11`` relative in
    ``d1`` for ``rho <= 0.06``, the largest on the grid, at ``N = T = 10``, ``gamma = 1``; the loss's condition
    number at ``N = T`` multiplies it by about 7 there) plus round-off.
    """
    from scalingsym.cli.bench import closed_form_ceiling, closed_form_loss_alpha1

    with mpmath.workdps(30):
        for rho in (mpmath.mpf("1e-4"), mpmath.mpf("0.06"), mpmath.mpf(1)):
            v = mpmath.sqrt(rho)
            direct = mpmath.nsum(lambda k, r=rho: 1 / (1 + r * k**2), [1, mpmath.inf], method="euler-maclaurin")
            assert abs(direct - (mpmath.pi / (2 * v) * mpmath.coth(mpmath.pi / v) - mpmath.mpf(1) / 2)) < 1e-25
    exact = RandomFeatureRidge(PowerLaw(alpha=1))
    exact.auto_fast_min_points = math.inf
    rng = np.random.default_rng(11)
    N = 10 ** rng.uniform(1, 4, 300)
    T = 10 ** rng.uniform(1, 4, 300)
    g = 10 ** rng.uniform(-6, 0, 300)
    g[:30] = 0.0
    T[:30] = np.where(np.abs(T[:30] / N[:30] - 1) < 0.05, 2 * N[:30], T[:30])  # away from the ridgeless peak
    got = closed_form_loss_alpha1(N, T, g)
    assert np.max(np.abs(got / exact.loss(N, T, g) - 1)) < 1e-10
    row = closed_form_ceiling(n_side=12, reps=1)
    assert row["points"] == 12**3 and row["points_per_s"] > 0 and row["ridgeless_law_points_per_s"] > 0
    assert row["max_rel_diff_fast_path"] < 3e-10  # the grid's corner N = T = 10, gamma = 1 is in this sample


# ---------------------------------------------------------------------- root solvers (float64) -
def test_solve_rho_residual_and_ridgeless():
    spec = PowerLaw(alpha=0.7, M=5000)
    rng = np.random.default_rng(2)
    N = 10 ** rng.uniform(1, 3.5, 200)
    T = 10 ** rng.uniform(1, 3.5, 200)
    s = 10 ** rng.uniform(-12, 0, 200)
    rho = solve_rho(spec, s, N, T)
    assert np.all(spec.d1(rho) < np.minimum(N, T))
    # against the 30-digit solve (bracketed or seeded, with independent mpmath sums) on a subsample
    with mpmath.workdps(30):
        for i in range(0, 200, 20):
            ref = solve_rho_mp(spec, s[i], N[i], T[i])
            assert abs(rho[i] / ref - 1) < 1e-12
    n = np.repeat([10.0, 100.0, 1000.0], 3)  # repeated n share one solve
    r0 = ridgeless_rho(spec, n)
    assert np.max(np.abs(spec.d1(r0) / n - 1)) < 1e-13


# ----------------------------------------------------------------------- mpmath fast paths ----
@pytest.mark.parametrize(("M", "alpha"), [(math.inf, 1.0), (10**5, 0.5), (300, 2.5), (40, 1.0), (math.inf, 2.5)])
def test_em_sums_match_zeta_series(M, alpha):
    spec = PowerLaw(alpha=alpha, M=M)
    with mpmath.workdps(30):
        for rho in ("1e-5", "0.7", "30"):
            r = mpmath.mpf(rho)
            for p, q in ((1, 1), (1, 2), (2, 2), (2, 1)):
                for nu in (0.0, 0.3):
                    a = spec._sums_mp_em(r, p, q, nu)
                    b = spec._sums_mp_zeta(r, p, q, Task.power(nu))
                    assert a is not None
                    assert abs(a / b - 1) < mpmath.mpf("1e-27")


def test_em_sums_match_direct_sum():
    # a third, independent method: the plain finite sum
    spec = PowerLaw(alpha=1, M=2000)
    with mpmath.workdps(40):
        r = mpmath.mpf("1e-4")
        direct = mpmath.fsum(mpmath.mpf(k) ** -2 / (mpmath.mpf(k) ** -2 + r) ** 2 for k in range(1, 2001))
        assert abs(spec.sums_mp(r, 1, 2) / direct - 1) < mpmath.mpf("1e-37")


@pytest.mark.parametrize("M", [10**5, math.inf])
def test_seeded_mp_solve_is_the_root(M):
    spec = PowerLaw(alpha=1, M=M)
    with mpmath.workdps(50):
        for s, N, T in (("1e-9", 300, 2000), ("1e-3", 50, 50), ("1e-12", 3000, 3100)):
            s_, N_, T_ = mpmath.mpf(s), mpmath.mpf(N), mpmath.mpf(T)
            rho = solve_rho_mp(spec, s_, N_, T_)
            d1 = spec._sums_mp_zeta(rho, 1, 1, Task.isotropic())  # independent sum
            assert abs(rho * (1 - d1 / N_) * (1 - d1 / T_) / s_ - 1) < mpmath.mpf("1e-45")
            assert d1 < min(N_, T_)
        r0 = ridgeless_rho_mp(spec, 123)
        assert abs(spec._sums_mp_zeta(r0, 1, 1, Task.isotropic()) / 123 - 1) < mpmath.mpf("1e-45")


def test_solve_mp_precision_is_self_consistent():
    model = RandomFeatureRidge(PowerLaw(alpha=1.3, M=10**5))
    a = model.solve_mp(700, 250, 1e-5, dps=50).loss
    b = model.solve_mp(700, 250, 1e-5, dps=80).loss
    with mpmath.workdps(80):
        assert abs(a / b - 1) < mpmath.mpf("1e-45")


# ------------------------------------------------------------------------- nested-N Monte-Carlo -
def test_nested_N_largest_equals_single_fit():
    # N = max(N) uses exactly the draws of simulate_ridge with the same seed: same number
    spec = PowerLaw(alpha=1, M=300)
    nested = simulate_ridge_nested_N(spec, [10, 30, 60], 120, [1e-3, 0.1], seeds=3, seed=7)
    single = simulate_ridge(spec, 60, 120, [1e-3, 0.1], seeds=3, seed=7)
    assert np.allclose(nested.per_seed[:, -1, :], single.per_seed, rtol=1e-9)
    assert np.allclose(nested.train_mean[-1], single.train_mean, rtol=1e-9)


def test_nested_N_matches_theory():
    spec = PowerLaw(alpha=1, M=400)
    Ns = [20, 50, 100]
    res = simulate_ridge_nested_N(spec, Ns, 150, 1e-2, seeds=24, seed=1)
    theory = RandomFeatureRidge(spec).loss(np.array(Ns, dtype=float), 150.0, 1e-2)
    # tolerance: 4 standard errors plus the O(1/min(N, T)) finite-size correction of the theory (~1/N)
    tol = 4 * res.loss_stderr[:, 0] + theory / np.array(Ns)
    assert np.all(np.abs(res.loss_mean[:, 0] - theory) < tol)


def test_nested_N_bad_input():
    spec = PowerLaw(alpha=1, M=100)
    with pytest.raises(ParameterError, match="gamma"):
        simulate_ridge_nested_N(spec, [10, 20], 50, 0.0, seeds=2)
    with pytest.raises(ParameterError, match="N"):
        simulate_ridge_nested_N(spec, [10.5], 50, 0.1, seeds=2)
    with pytest.raises(ParameterError, match="finite"):
        simulate_ridge_nested_N(PowerLaw(alpha=1), [10], 50, 0.1, seeds=2)


@pytest.mark.slow
def test_benchmark_quick_runs():
    from scalingsym.cli.bench import format_table, run_benchmark

    res = run_benchmark(quick=True)
    assert "b | 50-digit solve" in format_table(res)
    for row in res["a_loss_surface"]:
        assert row["max_rel_error_vs_50_digits"] < 1e-10
