"""The fast mpmath path (decimal Euler-Maclaurin sums, seeded Newton with a verified last step).

Every expected value comes from an independent method: the direct finite sum over all eigenvalues with
``mpmath.fsum`` at 80 digits, a root of that direct sum by plain bisection,
or the closed form ``sum_k 1/(1 + r k^2) = (pi / (2 sqrt r)) coth(pi / sqrt r) - 1/2``.
"""

from __future__ import annotations

import math

import mpmath
import pytest

from scalingsym.core.resolvent import ridgeless_rho_mp, solve_rho_mp
from scalingsym.core.spectra import PowerLaw
from scalingsym.core.tasks import Task


def _direct(alpha: float, M: int, rho, q: int, nu: float = 0.0):
    """``sum_{k<=M} k^-nu lambda_k / (lambda_k + rho)^q`` term by term (80 digits)."""
    with mpmath.workdps(80):
        beta = 1 + mpmath.mpf(alpha)
        rho = mpmath.mpf(rho)
        terms = []
        for k in range(1, M + 1):
            lam = mpmath.mpf(k) ** (-beta)
            terms.append(mpmath.mpf(k) ** (-mpmath.mpf(nu)) * lam / (lam + rho) ** q)
        return mpmath.fsum(terms)


def _rel(a, b):
    with mpmath.workdps(80):
        return abs(mpmath.mpf(a) / mpmath.mpf(b) - 1)


@pytest.mark.parametrize("alpha", [1.0, 0.5, 2.5])
@pytest.mark.parametrize("rho", ["3.7e-9", "2.2e-5", "0.9"])
@pytest.mark.parametrize("q", [1, 2, 3])
def test_fast_sums_match_the_direct_finite_sum(alpha, rho, q):
    M = 3000
    spec = PowerLaw(alpha, M)
    with mpmath.workdps(50):
        got = spec.sums_mp(mpmath.mpf(rho), 1, q)
    assert _rel(got, _direct(alpha, M, rho, q)) < 1e-49


def test_fast_sums_with_a_teacher_power_match_the_direct_sum():
    spec = PowerLaw(1.0, 2000)
    with mpmath.workdps(50):
        got = [spec.sums_mp(mpmath.mpf("1e-6"), 1, q, Task.power(0.7)) for q in (1, 2)]
    for q, g in zip((1, 2), got):
        assert _rel(g, _direct(1.0, 2000, "1e-6", q, nu=0.7)) < 1e-49


@pytest.mark.parametrize("rho", ["1e-12", "4e-7", "0.03", "2.5"])
def test_fast_sums_infinite_power_law_closed_form(rho):
    """``alpha = 1``: ``d1(r) = (pi / (2 sqrt r)) coth(pi / sqrt r) - 1/2`` and ``S_12 = -d d1 / d r``."""
    spec = PowerLaw(1.0, math.inf)
    with mpmath.workdps(50):
        d1 = spec.sums_mp(mpmath.mpf(rho), 1, 1)
        s12 = spec.sums_mp(mpmath.mpf(rho), 1, 2)
    with mpmath.workdps(80):
        r = mpmath.mpf(rho)

        def f(x):
            return mpmath.pi / (2 * mpmath.sqrt(x)) * mpmath.coth(mpmath.pi / mpmath.sqrt(x)) - mpmath.mpf(1) / 2

        ref1, ref2 = f(r), -mpmath.diff(f, r)
    assert _rel(d1, ref1) < 1e-49
    assert _rel(s12, ref2) < 1e-48


def test_value_cache_is_per_rho_and_precision():
    """The second sum at the same rho comes from the cache; another rho or a higher precision does not."""
    spec = PowerLaw(1.0, 3000)
    with mpmath.workdps(50):
        a = spec.sums_mp(mpmath.mpf("1e-5"), 1, 2)
        b = spec.sums_mp(mpmath.mpf("2e-5"), 1, 2)
    with mpmath.workdps(70):
        c = spec.sums_mp(mpmath.mpf("2e-5"), 1, 2)  # computed afresh at 70 digits
    assert _rel(a, _direct(1.0, 3000, "1e-5", 2)) < 1e-49
    assert _rel(b, _direct(1.0, 3000, "2e-5", 2)) < 1e-49
    assert _rel(c, _direct(1.0, 3000, "2e-5", 2)) < 1e-69


def _bisect(f, lo, hi, increasing: bool):
    """Bisection in 80 digits to an interval below ``1e-60`` (``f(lo)`` and ``f(hi)`` of opposite signs)."""
    lo, hi = mpmath.mpf(lo), mpmath.mpf(hi)
    while hi - lo > mpmath.mpf(10) ** -60:
        mid = (lo + hi) / 2
        if (f(mid) < 0) == increasing:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def _root_direct(M: int, s, N, T):
    """Root of ``rho (1 - d1/N)(1 - d1/T) = s`` (or ``d1 = n`` when ``s = 0``) with the direct sum, 80 digits."""
    with mpmath.workdps(80):
        lam = [mpmath.mpf(k) ** -2 for k in range(1, M + 1)]

        def d1(r):
            return mpmath.fsum(v / (v + r) for v in lam)

        s, N, T = mpmath.mpf(s), mpmath.mpf(N), mpmath.mpf(T)
        if s == 0:
            n = min(N, T)
            return _bisect(lambda x: d1(mpmath.exp(x)) - n, -40, 5, increasing=False)

        def g(x):
            r = mpmath.exp(x)
            dd = d1(r)
            aN = 1 - dd / N if mpmath.isfinite(N) else 1
            aT = 1 - dd / T if mpmath.isfinite(T) else 1
            return r * aN * aT - s

        # g < 0 at the ridgeless root (or at rho = s) and > 0 far above
        lo = mpmath.log(s)
        if mpmath.isfinite(min(N, T)):
            n = min(N, T)
            lo = max(lo, _bisect(lambda x: d1(mpmath.exp(x)) - n, -40, 5, increasing=False) - mpmath.mpf(10) ** -50)
        return _bisect(g, lo, 5, increasing=True)


@pytest.mark.parametrize(
    "s, N, T",
    [("1e-7", 100, 400), ("1e-7", 400, 100), ("3e-4", 50, 50), ("1e-6", 120, math.inf), ("1e-6", math.inf, 80)],
)
def test_solve_rho_mp_matches_a_bracketed_root_of_the_direct_sum(s, N, T):
    M = 1500
    with mpmath.workdps(50):
        rho = solve_rho_mp(PowerLaw(1.0, M), mpmath.mpf(s), N, T)
    x_ref = _root_direct(M, s, N, T)
    with mpmath.workdps(80):
        assert abs(mpmath.log(rho) - x_ref) < 1e-49


@pytest.mark.parametrize("n", [30, 700])
def test_ridgeless_rho_mp_matches_a_bracketed_root_of_the_direct_sum(n):
    M = 1500
    with mpmath.workdps(50):
        rho = ridgeless_rho_mp(PowerLaw(1.0, M), n)
    x_ref = _root_direct(M, 0, n, 10 * n)
    with mpmath.workdps(80):
        assert abs(mpmath.log(rho) - x_ref) < 1e-49


@pytest.mark.parametrize("n", [20, 3000])
def test_ridgeless_rho_mp_infinite_power_law_closed_form(n):
    """``alpha = 1, M = inf``: solve the closed form of ``d1`` for ``d1 = n`` independently."""
    with mpmath.workdps(50):
        rho = ridgeless_rho_mp(PowerLaw(1.0, math.inf), n)
    with mpmath.workdps(80):
        def f(x):
            r = mpmath.exp(x)
            return mpmath.pi / (2 * mpmath.sqrt(r)) * mpmath.coth(mpmath.pi / mpmath.sqrt(r)) - mpmath.mpf(1) / 2 - n

        guess = 2 * mpmath.log(mpmath.pi / (2 * (n + mpmath.mpf(1) / 2)))
        x_ref = mpmath.findroot(f, guess, tol=1e-75)
        assert abs(mpmath.log(rho) - x_ref) < 1e-49
