"""The compiled kernel of the fast path, its numpy fallback, the disk cache and the automatic exact/fast choice.

No timing asserts (speed is in ``bench`` row a).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from scalingsym.core import fastsums
from scalingsym.core.errors import ConvergenceError, ParameterError
from scalingsym.core.fastsums import InterpolatedSpectrum, cache_dir, kernel_name
from scalingsym.core.resolvent import solve_rho
from scalingsym.core.spectra import ArraySpectrum, PowerLaw
from scalingsym.core.tasks import Task
from scalingsym.models.ridge import AUTO_FAST_MIN_POINTS, RandomFeatureRidge, fast_ridge

numba_only = pytest.mark.skipif(fastsums._kernel_module() is None, reason="numba is not installed")


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    """Every test on its own disk cache (and the kernel chosen by what is installed, not by the environment)."""
    monkeypatch.setenv("SCALINGSYM_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("SCALINGSYM_KERNEL", raising=False)


def _exact(spec) -> RandomFeatureRidge:
    model = RandomFeatureRidge(spec)
    model.auto_fast_min_points = math.inf  # the exact sums at any batch size
    return model


def _points(rng, k: int, M: float):
    top = 4.0 if not math.isfinite(M) else math.log10(M) - 0.3
    N = 10 ** rng.uniform(1, top, k)
    T = 10 ** rng.uniform(1, top, k)
    g = 10 ** rng.uniform(-6, 0, k)
    g[:20] = 0.0  # ridgeless
    T[20:30] = N[20:30]  # ridgeless peak (loss = inf)
    g[20:30] = 0.0
    T[30:40] = N[30:40]  # N = T at a ridge
    N[40:50] = np.inf  # kernel ridge limit (ridgeless only: gamma > 0 needs the normalised regulariser)
    g[40:50] = 0.0
    T[50:60] = np.inf
    g[50:60] = 0.0
    return N, T, g


def _rel(a, b) -> float:
    a, b = np.asarray(a), np.asarray(b)
    fin = np.isfinite(b)
    assert np.array_equal(fin, np.isfinite(a))
    assert np.array_equal(a[~fin], b[~fin])
    both0 = (a == 0) & (b == 0)
    sel = fin & ~both0
    return float(np.max(np.abs(a[sel] / b[sel] - 1))) if np.any(sel) else 0.0


# ------------------------------------------------------------------------------- kernel vs exact --
@numba_only
@pytest.mark.parametrize("M", [10**4, math.inf, 300])
def test_kernel_matches_exact_loss(M):
    spec = PowerLaw(alpha=1, M=M)
    exact = _exact(spec)
    fast = fast_ridge(exact)
    assert fast.spectrum.kernel == "numba"
    N, T, g = _points(np.random.default_rng(5), 400, M)
    if math.isfinite(M):  # min(N, T) beyond M: rho = 0 at gamma = 0, loss 0
        N[60:70], T[60:70], g[60:70] = 2 * M, 3 * M, 0.0
    a, b = fast.solve(N, T, g), exact.solve(N, T, g)
    assert _rel(a.loss, b.loss) < 1e-11
    assert _rel(a.rho, b.rho) < 1e-11
    assert _rel(a.d1, b.d1) < 1e-11
    assert np.isinf(a.loss[20:30]).all()
    # one-resource limits with a ridge, through the normalised regulariser
    s = 10 ** np.random.default_rng(6).uniform(-8, -2, 40)
    for NN, TT in ((math.inf, 300.0), (300.0, math.inf), (math.inf, math.inf)):
        assert _rel(fast.solve_normalised(NN, TT, s).loss, exact.solve_normalised(NN, TT, s).loss) < 1e-11


@numba_only
def test_kernel_roots_match_vector_solver_and_residual():
    spec = PowerLaw(alpha=0.6, M=5000)
    fast = InterpolatedSpectrum(spec)
    rng = np.random.default_rng(7)
    N = 10 ** rng.uniform(1, 3.5, 3000)
    T = 10 ** rng.uniform(1, 3.5, 3000)
    s = 10 ** rng.uniform(-12, 1, 3000)
    s[:100] = 0.0
    rho, d1, e1 = fast.solve_isotropic(s, N, T)
    want = solve_rho(spec, s, N, T)  # the exact sums, the vector solver
    assert np.max(np.abs(rho / want - 1)) < 1e-12
    aN, aT = 1 - d1 / N, 1 - d1 / T
    with np.errstate(all="ignore"):
        resid = rho * aN * aT / s - 1
    ok = (np.minimum(aN, aT) > 1e-2)[100:]  # the residual's round-off grows like 1 / (1 - d1/N)
    assert ok.sum() > 1000 and np.max(np.abs(resid[100:][ok])) < 1e-11
    assert np.max(np.abs(d1[:100] / np.minimum(N, T)[:100] - 1)) < 1e-12
    assert np.max(np.abs(e1 / (rho * spec.sums(rho, 1, 2)) - 1)) < 1e-12


@numba_only
@pytest.mark.parametrize("continuation", [False, True])
def test_kernel_sums_at_the_root_equal_the_panels_there(continuation):
    """The kernel takes ``d1``, ``e1`` at the root from the iteration's last evaluation, moved to the root by
    Taylor's formula to third order (error <= e1 dl^4 / 24 with dl <= 1e-4): they must equal the panels evaluated at
    the root (numpy's Clenshaw sum of the series of their logs) to the kernel's own representation error, on a
    gamma sweep (where the continuation start and the one-evaluation finish are used) and on scattered points.
    That error is the deviation of the kernel's polynomials of the sums from ``exp`` of the log series
    (``pack_error``, measured when they are made) plus the two summation orders (~4e-15); a move of lower order
    would show up as ~1e-13 (third) or more."""
    fast = InterpolatedSpectrum(PowerLaw(alpha=1.3, M=10**5), continuation=continuation)
    Ng, Tg, gg = np.meshgrid(np.logspace(1, 4, 12), np.logspace(1, 4, 12), np.logspace(-6, 0, 40), indexing="ij")
    rng = np.random.default_rng(5)
    N = np.concatenate([Ng.ravel(), 10 ** rng.uniform(1, 4, 2000)])
    T = np.concatenate([Tg.ravel(), 10 ** rng.uniform(1, 4, 2000)])
    s = np.concatenate([(gg / (Ng * Tg)).ravel(), 10 ** rng.uniform(-12, 0, 2000)])
    rho, d1, e1 = fast.solve_isotropic(s, N, T, kernel="numba")
    l1, l2 = fast.log_sums(rho)
    assert 0 < fast.pack_error <= fast.rtol
    assert np.max(np.abs(d1 / np.exp(l1) - 1)) < fast.pack_error + 1e-14
    assert np.max(np.abs(e1 / np.exp(l2) - 1)) < fast.pack_error + 1e-14


def _termwise_derivatives(x: float, lam: np.ndarray) -> list[float]:
    """``d1``, ``e1`` and the first three derivatives of ``e1`` in ``x = log rho`` by direct sums over every mode,
    the derivatives of ``lambda rho / (lambda + rho)^2`` taken by sympy (a second method for the kernel's rows)."""
    import sympy as sp

    xs, ls = sp.symbols("x l", positive=True)
    term = ls * sp.exp(xs) / (ls + sp.exp(xs)) ** 2
    d1 = sp.lambdify((xs, ls), ls / (ls + sp.exp(xs)), "numpy")
    rows = [d1] + [sp.lambdify((xs, ls), sp.diff(term, xs, j), "numpy") for j in range(4)]
    return [float(np.sum(f(x, lam))) for f in rows]


@numba_only
@pytest.mark.parametrize(("alpha", "M"), [(0.3, 500), (1.3, 2000), (4.0, 3000)])
def test_kernel_rows_are_the_sums_and_three_derivatives_of_e1(alpha, M):
    """The five rows the kernel evaluates (``d1``, ``e1`` and the first three derivatives of ``e1`` in
    ``x = log rho``) against direct sums over all ``M`` modes, across every panel that holds the spectrum: the sums
    to the representation's error, the derivatives of the panel polynomial to what an interpolant's derivatives
    keep (measured 6e-12, 1.2e-9, 1.5e-7 of ``e1``), which the finish multiplies by ``dl <= 1e-4``, ``dl^2/2``,
    ``dl^3/6``."""
    from scalingsym.core import fastkernel

    spec = PowerLaw(alpha=alpha, M=M)
    fast = InterpolatedSpectrum(spec, disk_cache=False)
    lam = spec.eigenvalues()
    fast._ensure(math.log(lam.min()) - 3, math.log(lam.max()) + 3)
    C = fast._packed_coefficients()
    assert C.shape[1] == 5
    b0, b1 = fast.panels
    tol = [fast.error_bound + fast.pack_error + 1e-14] * 2 + [5e-11, 1e-8, 1e-6]
    for x in np.linspace(b0 * fast.h + 0.01, b1 * fast.h - 0.01, 40):
        got = fastkernel._sums(C, fast._i0, fast.h, 0.0, x)
        assert got[5]
        want = _termwise_derivatives(x, lam)
        for j in range(5):
            assert abs(got[j] - want[j]) <= tol[j] * (want[0] if j == 0 else want[1])


@numba_only
def test_kernel_taylor_move_is_third_order():
    """``_at`` moves ``(d1, e1)`` by ``dl = +-1e-4`` to within ``e1 dl^4 / 24`` plus the rows' errors (~1e-15): equal
    to the panels evaluated there to 3e-15, while the third-order terms it carries are 1e-14 .. 1e-13 (a move of
    second order fails this test)."""
    from scalingsym.core import fastkernel

    fast = InterpolatedSpectrum(PowerLaw(alpha=0.3, M=500), disk_cache=False)
    fast._ensure(-12.0, 3.0)
    C = fast._packed_coefficients()
    third = 0.0
    for x in np.linspace(-11.0, 2.0, 50) + 0.0123:
        a = fastkernel._sums(C, fast._i0, fast.h, 0.0, x)
        for dl in (1e-4, -1e-4):
            assert math.floor((x + dl) / fast.h) == math.floor(x / fast.h)  # one panel (they differ by ~1e-14)
            b = fastkernel._sums(C, fast._i0, fast.h, 0.0, x + dl)
            d1, e1 = fastkernel._at(dl, *a[:5])
            assert abs(d1 / b[0] - 1) < 3e-15 and abs(e1 / b[1] - 1) < 3e-15
            third = max(third, abs(a[3] * dl**3 / 6 / b[0]), abs(a[4] * dl**3 / 6 / b[1]))
    assert third > 3e-14


@numba_only
def test_kernel_finite_spectrum_with_few_modes_and_zeros():
    spec = ArraySpectrum(np.concatenate([np.random.default_rng(3).exponential(size=60) ** 3, [0.0, 0.0]]))
    exact = _exact(spec)
    fast = fast_ridge(exact)
    N = np.array([5.0, 30.0, 59.0, 60.0, 61.0, 100.0, 30.0, 30.0])
    T = np.array([200.0, 30.0, 80.0, 90.0, 70.0, 200.0, np.inf, 45.0])
    g = np.array([1e-3, 1e-4, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0])
    assert _rel(fast.loss(N, T, g), exact.loss(N, T, g)) < 1e-11


# --------------------------------------------------------------------------- numpy fallback --
@numba_only
@pytest.mark.parametrize("M", [10**5, math.inf])
def test_numpy_fallback_matches_kernel(M, monkeypatch):
    exact = RandomFeatureRidge(PowerLaw(alpha=1, M=M))
    fast = fast_ridge(exact)
    N, T, g = _points(np.random.default_rng(8), 500, M)
    a = fast.solve(N, T, g)
    monkeypatch.setenv("SCALINGSYM_KERNEL", "numpy")
    assert kernel_name() == "numpy" and fast.spectrum.kernel == "numpy"
    b = fast.solve(N, T, g)
    assert _rel(a.rho, b.rho) < 1e-12 and _rel(a.d1, b.d1) < 1e-12 and _rel(a.d2, b.d2) < 1e-12
    # the loss to 1e-12 away from the regulated peak N = T (its condition number there is 1 / (1 - d1/N))
    away = np.abs(N / T - 1) > 1e-3
    assert _rel(a.loss[away], b.loss[away]) < 1e-12
    assert _rel(a.loss, b.loss) < 1e-11
    # the numpy path is the vector solver on the interpolated sums, bit for bit
    s = np.where(g == 0, 0.0, g / exact.u_var / (N * T))
    assert np.array_equal(b.rho, solve_rho(fast.spectrum, s, N, T))


@numba_only
def test_kernel_point_results_do_not_depend_on_the_batch():
    # without continuation each point's bits are a function of that point (chunk-invariant sweeps rely on it)
    fast = InterpolatedSpectrum(PowerLaw(alpha=1, M=10**4))
    Ng, Tg, gg = np.meshgrid(np.logspace(1, 3, 7), np.logspace(1, 3, 5), np.logspace(-6, 0, 9), indexing="ij")
    s = gg * 1e4 / (Ng * Tg)
    whole = fast.solve_isotropic(s, Ng, Tg)
    for chunk in (slice(0, None, 2), slice(3, 40), slice(100, 101)):
        part = fast.solve_isotropic(s.ravel()[chunk], Ng.ravel()[chunk], Tg.ravel()[chunk])
        for w, p in zip(whole, part):
            assert w.ravel()[chunk].tobytes() == p.tobytes()
    fresh = InterpolatedSpectrum(PowerLaw(alpha=1, M=10**4), continuation=True, disk_cache=False)
    cold = fresh.solve_isotropic(s, Ng, Tg)  # builds its panels on the way (the solve resumes after each)
    warm = fresh.solve_isotropic(s, Ng, Tg)
    assert np.max(np.abs(cold[0] / whole[0] - 1)) < 1e-13
    for c, w in zip(cold, warm):  # with continuation too, one pass over the batch: the same bits cold and warm
        assert c.tobytes() == w.tobytes()


@numba_only
def test_kernel_polynomials_that_miss_rtol_fall_back_to_the_numpy_solver(monkeypatch):
    """When the kernel's polynomials of the sums cannot meet ``rtol`` (their deviation from ``exp`` of the log
    series is ~1e-14), the automatic choice solves with numpy on the log series; asked for by name, it raises."""
    fast = InterpolatedSpectrum(PowerLaw(alpha=1, M=2000), disk_cache=False)
    s, N, T = np.array([1e-5, 1e-3]), np.array([100.0, 50.0]), np.array([300.0, 900.0])
    want = fast.solve_isotropic(s, N, T, kernel="numpy")
    monkeypatch.setattr(fast, "rtol", 1e-17)  # below the round-off of the repack: it must fail
    fast._packed = None
    got = fast.solve_isotropic(s, N, T)
    for a, b in zip(got, want):
        assert a.tobytes() == b.tobytes()
    with pytest.raises(ConvergenceError, match="rtol"):
        fast.solve_isotropic(s, N, T, kernel="numba")


def test_solve_isotropic_without_numba(monkeypatch):
    monkeypatch.setattr(fastsums, "_KERNEL", [None])
    assert kernel_name() == "numpy"
    fast = InterpolatedSpectrum(PowerLaw(alpha=1, M=2000))
    rho, d1, e1 = fast.solve_isotropic([1e-5, 0.0, 0.0], [100.0, 3000.0, np.inf], [300.0, 4000.0, np.inf])
    assert rho[1] == 0.0 and rho[2] == 0.0 and np.isnan(d1[1:]).all()
    assert abs(rho[0] * (1 - d1[0] / 100) * (1 - d1[0] / 300) / 1e-5 - 1) < 1e-12
    with pytest.raises(ParameterError, match="numba"):
        fast.solve_isotropic(1e-5, 100.0, 300.0, kernel="numba")


def test_solve_isotropic_bad_input():
    fast = InterpolatedSpectrum(PowerLaw(alpha=1, M=2000))
    with pytest.raises(ParameterError, match="N must"):
        fast.solve_isotropic(1e-3, -1.0, 10.0)
    with pytest.raises(ParameterError, match="T must"):
        fast.solve_isotropic(1e-3, 10.0, np.nan)
    with pytest.raises(ParameterError, match="regulariser"):
        fast.solve_isotropic(-1.0, 10.0, 10.0)
    with pytest.raises(ParameterError, match="kernel"):
        fast.solve_isotropic(1e-3, 10.0, 10.0, kernel="fortran")
    empty = fast.solve_isotropic(np.empty(0), np.empty(0), np.empty(0))
    assert all(v.shape == (0,) for v in empty)


@numba_only
@pytest.mark.parametrize(("code", "message"), [("NO_CONVERGENCE", "did not converge"), ("NO_BRACKET", "no bracket")])
def test_kernel_reports_failures(monkeypatch, code, message):
    from scalingsym.core import fastkernel

    fast = InterpolatedSpectrum(PowerLaw(alpha=1, M=2000))
    fast.solve_isotropic(1e-4, 100.0, 300.0)

    def failing(s, N, T, C, i0, h, tr, Mp, cont, start, state, rho, d1, e1, status, xreq):
        status[:] = getattr(fastkernel, code)
        return s.size

    monkeypatch.setattr(fastkernel, "solve_batch", failing)
    with pytest.raises(ConvergenceError, match=message):
        fast.solve_isotropic(1e-4, 100.0, 300.0)


@numba_only
def test_other_degrees_and_panels():
    spec = PowerLaw(alpha=1.5, M=10**4)
    s = 10 ** np.random.default_rng(9).uniform(-9, -1, 300)
    N, T = np.full(300, 200.0), np.full(300, 700.0)
    want = solve_rho(spec, s, N, T)
    # powers of two (the kernel multiplies by 1/h) and not (it divides), gamma sweeps (continuation) too
    for panel, degree in ((0.5, 15), (0.25, 11), (0.125, 9), (0.3, 12), (0.07, 8)):
        for continuation in (False, True):
            fast = InterpolatedSpectrum(spec, panel=panel, degree=degree, continuation=continuation)
            assert np.max(np.abs(fast.solve_isotropic(np.sort(s), N, T)[0] / np.sort(want) - 1)) < 1e-12


@numba_only
def test_kernel_multiplies_by_the_inverse_of_a_power_of_two_panel_exactly():
    from scalingsym.core import fastkernel

    fast = InterpolatedSpectrum(PowerLaw(alpha=1, M=10**4), disk_cache=False)
    fast._ensure(-20.0, 2.0)
    C, h = fast._packed_coefficients(), fast.h
    assert h == 0.25
    for x in np.concatenate([np.linspace(-19.9, 1.9, 501), np.arange(-79, 8) * h]):  # with the panel boundaries
        assert fastkernel._sums(C, fast._i0, h, 1.0 / h, x) == fastkernel._sums(C, fast._i0, h, 0.0, x)


# ----------------------------------------------------------------------------- disk cache ----
def test_disk_cache_round_trip(tmp_path):
    spec = PowerLaw(alpha=1, M=10**4)
    rho = np.logspace(-7, 2, 50)
    first = InterpolatedSpectrum(spec)
    want = first.sums(rho, 1, 1)
    assert first.cache_state == "built"
    files = list(cache_dir().glob("interp-*.npz"))
    assert len(files) == 1
    again = InterpolatedSpectrum(PowerLaw(alpha=1, M=10**4))
    assert again.sums(rho, 1, 1).tobytes() == want.tobytes()  # the same panels, bit for bit
    assert again.cache_state == "disk" and again.panels == first.panels
    assert again.exact_evaluations < first.exact_evaluations / 10  # only the spot check
    # a wider range: the loaded panels are extended and the file rewritten with the union
    wider = InterpolatedSpectrum(PowerLaw(alpha=1, M=10**4))
    wider.sums(np.logspace(-9, 3, 5), 1, 1)
    assert wider.cache_state == "disk+built" and wider.panels[1] - wider.panels[0] > np.diff(first.panels)[0]
    # other parameters, panels or degrees are other files; the disk cache can be switched off
    InterpolatedSpectrum(PowerLaw(alpha=1 + 1e-9, M=10**4)).sums(rho, 1, 1)
    InterpolatedSpectrum(spec, degree=12).sums(rho, 1, 1)
    assert len(list(cache_dir().glob("interp-*.npz"))) == 3
    off = InterpolatedSpectrum(spec, disk_cache=False)
    off.sums(rho, 1, 1)
    assert off.cache_state == "built"


def test_disk_cache_is_told_apart_for_spectra_that_describe_themselves_alike():
    a = ArraySpectrum([3.0, 1.0, 0.5], name="same")
    b = ArraySpectrum([3.0, 1.0, 0.25], name="same")
    rho = np.logspace(-3, 1, 20)
    InterpolatedSpectrum(a).sums(rho, 1, 1)
    fb = InterpolatedSpectrum(b)
    assert np.max(np.abs(fb.sums(rho, 1, 1) / b.sums(rho, 1, 1) - 1)) < 1e-12
    assert fb.cache_state == "built"


@pytest.mark.parametrize("damage", ["garbage", "truncate", "coefficients", "shape", "nan", "error_bound"])
def test_corrupt_cache_file_falls_back_to_building(damage):
    spec = PowerLaw(alpha=1, M=10**4)
    rho = np.logspace(-6, 1, 30)
    ref = InterpolatedSpectrum(spec)
    want = ref.sums(rho, 1, 2)
    (path,) = cache_dir().glob("interp-*.npz")
    if damage == "garbage":
        path.write_bytes(b"not an npz file")
    elif damage == "truncate":
        path.write_bytes(path.read_bytes()[:200])
    else:
        with np.load(path) as f:
            data = dict(f)
        if damage == "coefficients":  # plausible numbers, wrong values: caught by the spot check
            data["C1"] = data["C1"] * (1 + 1e-9)
        elif damage == "shape":
            data["C1"] = data["C1"][:-1]
        elif damage == "nan":
            data["C2"][0, 0] = np.nan
        else:
            data["error_bound"] = np.float64(1.0)
        np.savez(path, **data)
    fresh = InterpolatedSpectrum(spec)
    got = fresh.sums(rho, 1, 2)
    assert fresh.cache_state == "built"
    assert got.tobytes() == want.tobytes()
    assert InterpolatedSpectrum(spec).sums(rho, 1, 2).tobytes() == want.tobytes()  # the file was rewritten


def test_unwritable_cache_is_ignored(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("SCALINGSYM_CACHE", str(blocker / "sub"))  # a folder that cannot be made
    fast = InterpolatedSpectrum(PowerLaw(alpha=1, M=3000))
    rho = np.logspace(-5, 1, 10)
    assert np.max(np.abs(fast.sums(rho, 1, 1) / PowerLaw(alpha=1, M=3000).sums(rho, 1, 1) - 1)) < 1e-12
    monkeypatch.setenv("SCALINGSYM_CACHE", "off")
    assert cache_dir() is None
    assert InterpolatedSpectrum(PowerLaw(alpha=1, M=3000))._cache_path() is None


def test_cache_keeps_a_bounded_number_of_files(monkeypatch):
    monkeypatch.setattr(fastsums, "_MAX_FILES", 2)
    for alpha in (0.5, 1.0, 1.5):
        InterpolatedSpectrum(PowerLaw(alpha=alpha, M=500)).sums(np.array([1e-2, 1.0]), 1, 1)
    assert len(list(cache_dir().glob("interp-*.npz"))) == 2


def test_cache_dir_default(monkeypatch, tmp_path):
    monkeypatch.delenv("SCALINGSYM_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "scalingsym"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "scalingsym"


# ------------------------------------------------------------------ automatic exact/fast choice --
@pytest.mark.parametrize("M", [10**5, math.inf])
def test_auto_choice_large_batch_matches_exact(M):
    auto = RandomFeatureRidge(PowerLaw(alpha=1, M=M))
    exact = _exact(PowerLaw(alpha=1, M=M))
    k = AUTO_FAST_MIN_POINTS
    N, T, g = _points(np.random.default_rng(10), k, M)
    assert auto._batch_spectrum(k) is not auto.spectrum
    a = auto.solve(N, T, g)
    b = exact.solve(N, T, g)
    assert _rel(a.loss, b.loss) < 1e-11
    assert _rel(a.bias, b.bias) < 1e-11
    assert _rel(a.rho, b.rho) < 1e-11


def test_auto_choice_small_batches_unchanged():
    spec = PowerLaw(alpha=1, M=10**4)
    auto, exact = RandomFeatureRidge(spec), _exact(spec)
    rng = np.random.default_rng(11)
    N, T, g = 10 ** rng.uniform(1, 3, 300), 10 ** rng.uniform(1, 3, 300), 10 ** rng.uniform(-6, 0, 300)
    assert auto._batch_spectrum(N.size) is spec
    assert auto.loss(N, T, g).tobytes() == exact.loss(N, T, g).tobytes()  # bit for bit: the exact sums
    assert auto.loss(N, T, g).tobytes() == np.asarray(RandomFeatureRidge(spec).loss(N, T, g)).tobytes()
    assert float(auto.loss(100.0, 400.0, 1e-3)) == float(exact.loss(100.0, 400.0, 1e-3))


def test_auto_choice_only_for_the_isotropic_task_and_with_noise():
    spec = PowerLaw(alpha=1, M=3000)
    task = Task.power(0.5)
    model = RandomFeatureRidge(spec, task=task)
    assert model._batch_spectrum(10**6) is spec
    noisy = RandomFeatureRidge(spec, noise=0.2)
    exact = RandomFeatureRidge(spec, noise=0.2)
    exact.auto_fast_min_points = math.inf
    N, T, g = _points(np.random.default_rng(12), 5000, 3000)
    a, b = noisy.solve(N, T, g), exact.solve(N, T, g)
    assert _rel(a.loss, b.loss) < 1e-11
    # the noise gain diverges at the ridgeless peak N = T (both inf or huge there); elsewhere the same numbers
    peak = (N == T) & (g == 0)
    assert _rel(a.noise[~peak], b.noise[~peak]) < 1e-11 and np.all(np.abs(a.noise[peak]) > 1e12)
    assert fast_ridge(noisy).noise == 0.2


def test_auto_choice_falls_back_where_the_representation_fails(monkeypatch):
    spec = PowerLaw(alpha=1, M=3000)
    model = RandomFeatureRidge(spec)

    def refuse(self, idx):
        raise ConvergenceError("Chebyshev representation misses rtol")

    monkeypatch.setattr(InterpolatedSpectrum, "_build", refuse)
    monkeypatch.setenv("SCALINGSYM_CACHE", "off")
    N = np.logspace(1, 3, 5000)
    got = model.loss(N, 2000.0, 1e-3)
    exact = _exact(spec)
    assert got.tobytes() == exact.loss(N, 2000.0, 1e-3).tobytes()
    assert model._batch_spectrum(5000) is spec  # remembered: no second attempt



@numba_only
@pytest.mark.parametrize(("N", "T", "s", "offset"), [
    (86.23446459779622, 129.35169689669434, 1.920137302438031e-06, -3e-05),
    (87.08891612122423, 87.09762501283635, 7.217508614578025e-08, 5e-05),
    (87.08891612122423, 87.09762501283635, 7.217508614578025e-08, -2e-05),
    (30.0, 1e9, 1e-3, 8e-5),
    (40.0, 40.0, 1e-13, 1e-4),  # the regulated peak: 1 - d1/N ~ 1e-5, refused (the iteration goes on)
])
def test_finish_from_exact_inputs_against_thirty_digits(N, T, s, offset):
    """``_finish`` fed the exact residual, slope and sums at ``root + offset`` (30-digit mpmath, rounded to float64)
    of ``lambda_k = k^-1.5``, ``k <= 200``: where it accepts, its root is within 2 ulp of the 30-digit root and its
    ``d1``, ``e1`` there within 1e-15 relative (the model's own error is below 1e-17); steps beyond ``1e-4`` and
    the high-curvature peak are refused."""
    import mpmath as mp

    from scalingsym.core import fastkernel

    with mp.workdps(30):
        lam = [mp.mpf(k) ** mp.mpf(-1.5) for k in range(1, 201)]

        def d1f(x):
            return mp.fsum(v / (v + mp.exp(x)) for v in lam)

        def e1f(x):
            return mp.fsum(v * mp.exp(x) / (v + mp.exp(x)) ** 2 for v in lam)

        iN, iT, ls = 1 / mp.mpf(N), 1 / mp.mpf(T), mp.log(s)

        def F(x):
            d = d1f(x)
            return x + mp.log((1 - d * iN) * (1 - d * iT)) - ls

        lo, hi = ls, mp.mpf(5)
        for _ in range(100):  # bisection on the branch (1 - d1/N, 1 - d1/T > 0, F increasing)
            m = (lo + hi) / 2
            d = d1f(m)
            if (1 - d * iN) > 0 and (1 - d * iT) > 0 and F(m) > 0:
                hi = m
            else:
                lo = m
        root = (lo + hi) / 2
        xa = root + offset
        d1, e1 = d1f(xa), e1f(xa)
        g = [mp.diff(e1f, xa, n) for n in (1, 2, 3)]
        qN, qT = iN / (1 - d1 * iN), iT / (1 - d1 * iT)
        args = [float(v) for v in (xa, F(xa), 1 + e1 * (qN + qT), d1, e1, *g, qN, qT)]
        want = [float(v) for v in (root, d1f(root), e1f(root))]
    ok, x, _r, d1r, e1r, _x1 = fastkernel._finish(*args, float(ls), float(root) + 1.0)
    if abs(offset) >= 1e-4 or N == T == 40.0:
        assert not ok
        return
    assert ok
    assert abs(x - want[0]) <= 2 * math.ulp(want[0])
    assert abs(d1r / want[1] - 1) < 1e-15 and abs(e1r / want[2] - 1) < 1e-15
