"""Accuracy of the fast exact paths (issue 18, items 1 and 3); no timing assertions.

* the float64 small-batch exact path (one-pass ``(d1, S_{1,2})`` power-law sums with cached Hurwitz tails, the
  continuum-model start of :func:`~scalingsym.core.resolvent.solve_rho`) against 50-digit roots;
* the 50-digit solve (integer-``beta`` rational Taylor series in the Euler-Maclaurin plan) against 80 digits.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

from scalingsym.core.errors import ParameterError
from scalingsym.core.resolvent import solve_rho, solve_rho_mp
from scalingsym.core.spectra import ArraySpectrum, PowerLaw, _EMPlan
from scalingsym.core.tasks import Task
from scalingsym.models.ridge import RandomFeatureRidge

T_GRID = np.logspace(1, 3, 24)


def _rel(a, b) -> float:
    with mpmath.workdps(60):
        return float(abs(mpmath.mpf(a) / mpmath.mpf(b) - 1))


def _ref_rho(spec, s, N, T, dps: int = 50):
    with mpmath.workdps(dps):
        return solve_rho_mp(spec, mpmath.mpf(float(s)), mpmath.mpf(float(N)), mpmath.mpf(float(T)))


@pytest.mark.parametrize("M", [1e3, 1e4, 1e7, math.inf])
def test_small_batch_kernel_ridge_matches_50_digits(M):
    """The bench row: N = inf, T in logspace(1, 3, 24), s = 1e-4, whole batch and 3-point batches."""
    spec = PowerLaw(alpha=1, M=M)
    model = RandomFeatureRidge(spec)
    sol = model.solve_normalised(math.inf, T_GRID, 1e-4)
    parts = np.concatenate([model.solve_normalised(math.inf, T_GRID[i : i + 3], 1e-4).rho for i in range(0, 24, 3)])
    for i, T in enumerate(T_GRID):
        ref = _ref_rho(spec, 1e-4, math.inf, T)
        assert _rel(sol.rho[i], ref) <= 1e-14
        assert _rel(parts[i], ref) <= 1e-14
        with mpmath.workdps(50):
            d1_ref = spec.sums_mp(ref, 1, 1)
        assert _rel(sol.d1[i], d1_ref) <= 1e-14


@pytest.mark.parametrize("M", [1e3, 1e4, 1e7, math.inf])
@pytest.mark.parametrize("alpha", [0.3, 1.0, 2.5])
def test_exact_path_general_points_match_50_digits(M, alpha):
    """Finite N and T (also N = T and tiny ridges next to the ridgeless singularity), several exponents."""
    rng = np.random.default_rng(int(alpha * 10) + int(min(M, 1e9)) % 97)
    N = 10 ** rng.uniform(1, 4, 10)
    T = 10 ** rng.uniform(1, 4, 10)
    s = 10 ** rng.uniform(-10, 0, 10)
    N[:2] = np.inf
    T[2:4] = N[2:4]
    s[4:6] = 1e-12
    spec = PowerLaw(alpha=alpha, M=M)
    rho = solve_rho(spec, s, N, T)
    for i in range(N.size):
        assert _rel(rho[i], _ref_rho(spec, s[i], N[i], T[i])) <= 1e-14


def test_single_points_and_scalars():
    spec = PowerLaw(alpha=1, M=1e4)
    for T in (10.0, 333.0, 1e4):
        r = solve_rho(spec, 1e-4, math.inf, T)
        assert np.ndim(r) == 0
        assert _rel(r, _ref_rho(spec, 1e-4, math.inf, T)) <= 1e-14


@pytest.mark.parametrize("M", [40, 1e3, 1e6, math.inf])
def test_one_pass_sums_match_mpmath(M):
    spec = PowerLaw(alpha=1, M=M)
    rho = np.logspace(-8, 2, 21)
    d1, e1 = spec.d1_e1(rho)
    s12 = spec.sums(rho, 1, 2)
    with mpmath.workdps(40):
        for i, r in enumerate(rho):
            m1, m2 = spec.sums_mp(r, 1, 1), spec.sums_mp(r, 1, 2)
            assert _rel(d1[i], m1) <= 4e-15
            assert _rel(s12[i], m2) <= 4e-15
            assert _rel(e1[i], r * m2) <= 4e-15


def test_one_pass_sums_agree_with_the_general_path_and_keep_errors():
    spec = PowerLaw(alpha=1.5, M=1e5)
    rho = np.logspace(-6, 0, 9)
    # the general (p, q) code path, unchanged
    assert np.allclose(spec.sums(rho, 2, 2), [float(spec.sums_mp(r, 2, 2)) for r in rho], rtol=1e-13, atol=0)
    assert np.allclose(spec.sums(rho, 1, 1, Task.power(0.5)),
                       [float(spec.sums_mp(r, 1, 1, Task.power(0.5))) for r in rho], rtol=1e-13, atol=0)
    with pytest.raises(ParameterError, match="too small for the float64 sums"):
        PowerLaw(alpha=1).sums(1e-30, 1, 1)
    with pytest.raises(ParameterError, match="rho must be finite and >= 0"):
        spec.d1_e1(-1.0)
    # a scalar in, scalars out; the generic spectrum gives the same pair
    d1, e1 = ArraySpectrum([3.0, 1.0]).d1_e1(1.0)
    assert (float(d1), float(e1)) == (1.25, 0.4375)


def test_trace_is_kept_and_follows_the_parameters():
    spec = PowerLaw(alpha=1, M=math.inf)
    assert spec.trace() == pytest.approx(math.pi**2 / 6, rel=1e-14)
    spec.alpha, spec.beta = 2.0, 3.0
    assert spec.trace() == pytest.approx(1.2020569031595942, rel=1e-14)  # zeta(3)


def test_validation_messages_unchanged():
    spec = PowerLaw(alpha=1, M=1e3)
    with pytest.raises(ParameterError, match="N must be a number > 0"):
        solve_rho(spec, 1e-3, np.array([10.0, -1.0]), 10.0)
    with pytest.raises(ParameterError, match="T must be a number > 0"):
        solve_rho(spec, 1e-3, 10.0, float("nan"))
    with pytest.raises(ParameterError, match="regulariser s must be finite"):
        solve_rho(spec, np.array([1e-3, np.inf]), 10.0, 10.0)


@pytest.mark.parametrize("M", [1e5, math.inf])
def test_fifty_digits_match_eighty(M):
    model = RandomFeatureRidge(PowerLaw(alpha=1, M=M))
    rng = np.random.default_rng(3)
    for _ in range(4):
        N, T, g = 10 ** rng.uniform(1, 4), 10 ** rng.uniform(1, 4), 10 ** rng.uniform(-6, 0)
        lo = model.solve_mp(N, T, g, dps=50)
        hi = model.solve_mp(N, T, g, dps=80)
        with mpmath.workdps(80):
            for key in ("rho", "d1", "loss"):
                assert abs(getattr(lo, key) / getattr(hi, key) - 1) <= mpmath.mpf(10) ** -49


def test_rational_series_matches_the_series_reciprocal():
    """The integer-beta recurrence gives the same Euler-Maclaurin sums as the general series reciprocal."""
    spec = PowerLaw(alpha=1, M=1e5)
    with mpmath.workdps(50):
        plan = _EMPlan(spec, 1, (1, 2), 0.0)
        assert plan.int_beta == 2.0
        general = _EMPlan(spec, 1, (1, 2), 0.0)
        for end in general.ends:
            end.pop("poly")
        for r in ("1e-7", "3.3e-4", "0.5"):
            a, b = plan.evaluate(mpmath.mpf(r)), general.evaluate(mpmath.mpf(r))
            for q in (1, 2):
                assert abs(a[q] / b[q] - 1) <= mpmath.mpf(10) ** -49
