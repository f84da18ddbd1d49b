"""``bench``: the performance table (loss surfaces, 50-digit solves, symbolic exponents, Monte-Carlo, dynamics).

``python -m scalingsym bench [--json] [--quick] [--out FILE] [--sweep]`` (also ``python benchmarks/run.py``).

Rows (targets of the performance issue, ratios printed):

a. the ridge test loss on a grid of 10^6 ``(N, T, gamma)`` points for ``PowerLaw(alpha=1)`` with
   ``M = 1e5`` and ``M = inf`` through :func:`scalingsym.models.ridge.fast_ridge`: throughput (build of the
   representation included) and the largest relative error against 50-digit
   :meth:`RandomFeatureRidge.solve_mp` on 200 random grid points, next to the naive baseline measured in
   the same run (per point: ``scipy.optimize.brentq`` for ``rho_0`` and for ``rho``, with direct ``O(M)``
   sums; ``M = inf`` truncated at ``10^6`` modes), timed on a subsample and extrapolated per point; plus
   the throughput for ``M = 2 10^4 .. 10^7, inf`` (cost per point independent of ``M``). Also: the warm
   throughput (median of 7) and which solver ran (``kernel``: the compiled numba kernel or the numpy
   fallback, whose throughput is measured too), the cold build of the representation in ms on a fresh
   spectrum with and without the disk cache, the first ``loss`` on a fresh spectrum both ways, numba's
   first-call cost in fresh processes (compile from scratch, and load from its cache), and the ratio of the
   warm throughput to the closed-form ceiling (:func:`closed_form_loss_alpha1` on the same grid): each of the 7
   warm rounds is timed next to one evaluation of the closed form, and the ratio is the median of the rounds'
   ratios (the machine's speed drifts within a run; side by side, both see the same drift);
b. time per point of a 50-digit solve (the 200 reference points);
c. time to derive the exponents symbolically (:func:`scalingsym.theory.regimes.exponents`) for the
   power law and for a new spectrum;
d. Monte-Carlo: 20 ridges from one decomposition vs 1 ridge (and vs 20 independent fits), and 10 nested
   ``N`` with shared draws (:func:`scalingsym.simulate.ridge.simulate_ridge_nested_N`) vs 10 independent fits;
e. a gradient-flow loss curve (100 times, finite ``P``) and its error against a run with twice the
   Talbot nodes;
f. the main job, ``report``, end to end (wall seconds; the derivations' own seconds next to it);
g. small batches on the exact path (kernel ridge, 24 points, ``M = 10^3 .. 10^7, inf``) against peer-style
   solvers timed on the same points in the same run (:func:`bench_small_batches`: damped fixed point at tolerance
   ``1e-10``, bisection on ``kappa``, ``scipy.integrate.quad`` continuum ``kappa``), and the closed-form ceiling of
   row a (:func:`closed_form_ceiling`).

Times are process CPU seconds (the machine may be shared), wall seconds next to them; the Monte-Carlo row
uses wall seconds (multi-threaded BLAS).
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import time
import tracemalloc
from pathlib import Path
from typing import Any

import mpmath
import numpy as np

from . import emit


class _Timer:
    def __enter__(self):
        self.c0, self.w0 = time.process_time(), time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.cpu = time.process_time() - self.c0
        self.wall = time.perf_counter() - self.w0


# ------------------------------------------------------------------------------------------ (a) --
def naive_loss(lam: np.ndarray, N: float, T: float, gamma: float, w_var: float, u_var: float) -> float:
    """The naive baseline for one point: brentq root solves with direct ``O(M)`` sums (float64).

    ``lam`` are all eigenvalues used (the full spectrum, or a truncation of an infinite one).
    """
    from scipy.optimize import brentq

    def d1(r):
        return float(np.sum(lam / (lam + r)))

    def e1(r):
        return float(r * np.sum(lam / (lam + r) ** 2))

    n = min(N, T)
    s = gamma / u_var / (N * T)
    tr = float(lam.sum())
    r0 = brentq(lambda x: math.log(d1(math.exp(x)) / n), math.log(1e-300 + tr * 1e-30), math.log(2 * tr / n),
                xtol=1e-15, rtol=1e-15, maxiter=500)
    r0 = math.exp(r0)

    def f(x):
        r = math.exp(x)
        dd = d1(r)
        return x + math.log((1 - dd / N) * (1 - dd / T)) - math.log(s)

    lo = math.log(max(r0, s)) + 1e-12
    hi = math.log(max(4 * s, 2 * tr / n) * 1.0001)
    rho = math.exp(brentq(f, lo, hi, xtol=1e-15, rtol=1e-15, maxiter=500))
    D1, E1 = d1(rho), e1(rho)
    return w_var / 2 * rho * N * T * E1 / ((N - D1) * (T - D1) + E1 * (N + T - 2 * D1))


def _grid(n_side: int):
    N = np.logspace(1, 4, n_side)
    T = np.logspace(1, 4, n_side)
    g = np.logspace(-6, 0, n_side)
    return np.meshgrid(N, T, g, indexing="ij")


def jit_first_call(timeout: float = 300.0) -> dict:
    """numba's first-call cost of the fast path, in fresh processes: compiled from scratch (an empty
    ``NUMBA_CACHE_DIR``) and then loaded from that cache (``cache=True``); process CPU seconds of the import of
    numba and :mod:`scalingsym.core.fastkernel` plus :func:`~scalingsym.core.fastkernel.warm_up` and of
    :func:`scalingsym.models.compiled_observables.module` (the rest of the package imported before the clock
    starts). None without numba."""
    import os
    import subprocess
    import sys
    import tempfile

    from ..core.fastsums import _kernel_module

    if _kernel_module() is None:
        return {"compile_s": None, "cached_s": None}
    code = ("import time; import scalingsym.core.resolvent; import scalingsym.models.ridge; t = time.process_time(); "
            "from scalingsym.core import fastkernel; fastkernel.warm_up(); "
            "from scalingsym.models import compiled_observables; compiled_observables.module(); "
            "print(time.process_time() - t)")
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="scalingsym-numba-") as tmp:
        env = {**os.environ, "NUMBA_CACHE_DIR": tmp}
        for key in ("compile_s", "cached_s"):
            try:
                run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                     timeout=timeout, check=True)
                out[key] = float(run.stdout.strip().splitlines()[-1])
            except (subprocess.SubprocessError, ValueError, IndexError, OSError):
                out[key] = None
    return out


class _numpy_kernel:
    """Within the block, batches on interpolated spectra use the numpy solver (``SCALINGSYM_KERNEL=numpy``)."""

    def __enter__(self):
        import os

        self.old = os.environ.get("SCALINGSYM_KERNEL")
        os.environ["SCALINGSYM_KERNEL"] = "numpy"
        return self

    def __exit__(self, *exc):
        import os

        if self.old is None:
            os.environ.pop("SCALINGSYM_KERNEL", None)
        else:
            os.environ["SCALINGSYM_KERNEL"] = self.old


def _cold_build(spec, disk_cache: bool, panels: tuple[int, int]) -> dict:
    """A fresh interpolated representation of ``spec`` over the lattice ``panels``: build (or load) time."""
    from ..core.fastsums import InterpolatedSpectrum

    fresh = InterpolatedSpectrum(spec, disk_cache=disk_cache, continuation=True)
    h = fresh.h
    with _Timer() as t:
        fresh._ensure((panels[0] + 0.5) * h, (panels[1] - 0.5) * h)
    return {"ms": 1e3 * t.cpu, "state": fresh.cache_state, "exact_sum_evaluations": fresh.exact_evaluations}


def bench_surface(M: float, n_side: int, n_ref: int, n_naive: int, rng) -> dict:
    from ..core.fastsums import InterpolatedSpectrum
    from ..core.spectra import PowerLaw
    from ..models.ridge import RandomFeatureRidge, fast_ridge

    spec = PowerLaw(alpha=1, M=M)
    exact = RandomFeatureRidge(spec)
    fast = fast_ridge(exact)
    Ng, Tg, gg = _grid(n_side)
    with _Timer() as t_cold:
        loss = fast.loss(Ng, Tg, gg)
    cold_state = fast.spectrum.cache_state
    # warm, 7 rounds, each next to the closed-form ceiling on the same grid (closed_form_ceiling), so that the ratio
    # of a round compares the two at the same moment of a machine whose speed drifts; medians
    closed_form_loss_alpha1(Ng[:2], Tg[:2], gg[:2])  # scipy's import
    warm_times, ceiling_times = [], []
    for _ in range(7):
        with _Timer() as t_warm:
            loss2 = fast.loss(Ng, Tg, gg)
        warm_times.append(t_warm.cpu)
        with _Timer() as t_ceiling:
            closed_form_loss_alpha1(Ng, Tg, gg)
        ceiling_times.append(t_ceiling.cpu)
    t_warm_cpu = float(np.median(warm_times))
    ratio_to_ceiling = float(np.median([c / w for w, c in zip(warm_times, ceiling_times)]))
    # the first loss on a fresh representation of a fresh spectrum object (nothing it computed before is reused),
    # without and then with the disk cache (which the runs above wrote)
    first = {}
    for key, disk in (("no_disk_cache", False), ("disk_cache", True)):
        model = RandomFeatureRidge(InterpolatedSpectrum(PowerLaw(alpha=1, M=M), disk_cache=disk, continuation=True))
        with _Timer() as t_first:
            model.loss(Ng, Tg, gg)
        first[key] = {"cpu_s": t_first.cpu, "state": model.spectrum.cache_state}
    builds = {key: _cold_build(PowerLaw(alpha=1, M=M), disk, fast.spectrum.panels) for key, disk in
              (("no_disk_cache", False), ("disk_cache", True))}
    # the point-by-point solve (no continuation along gamma: each point's bits depend on that point alone, as in
    # sweeps); warm, median of 3
    pointwise = RandomFeatureRidge(InterpolatedSpectrum(spec, continuation=False))
    pointwise.loss(Ng, Tg, gg)
    t_pointwise = _median_time(lambda: pointwise.loss(Ng, Tg, gg), 3)
    # the numpy fallback (the solver without numba, and the fast path before the kernel) on the same grid: warm
    # (one run) and cold on a fresh representation without the disk cache
    with _numpy_kernel():
        with _Timer() as t_np:
            fast.loss(Ng, Tg, gg)
        model = RandomFeatureRidge(InterpolatedSpectrum(PowerLaw(alpha=1, M=M), disk_cache=False))
        with _Timer() as t_np_cold:
            model.loss(Ng, Tg, gg)
    t_numpy = t_np.cpu
    tracemalloc.start()
    fast.loss(Ng[: n_side // 4], Tg[: n_side // 4], gg[: n_side // 4])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    pts = loss.size
    # reference: 50 digits on random grid points
    idx = rng.choice(pts, size=n_ref, replace=False)
    flat = [a.ravel()[idx] for a in (Ng, Tg, gg)]
    errs, mp_cpu, mp_wall = [], 0.0, 0.0
    refs = []
    for i in range(n_ref):
        with _Timer() as tm:
            ref = exact.solve_mp(flat[0][i], flat[1][i], flat[2][i], dps=50).loss
        mp_cpu += tm.cpu
        mp_wall += tm.wall
        refs.append(ref)
        errs.append(float(abs(mpmath.mpf(loss.ravel()[idx[i]]) / ref - 1)))
    # naive baseline on a subsample
    lam = spec.eigenvalues() if spec.finite else spec.eigenvalues(10**6)
    naive_err = []
    for i in range(n_naive):
        v = naive_loss(lam, flat[0][i], flat[1][i], flat[2][i], exact.w_var, exact.u_var)
        naive_err.append(float(abs(mpmath.mpf(v) / refs[i] - 1)))
    # the timing: fixed points (the same in every run, spread over the grid), median of 3 repetitions
    fixed = np.random.default_rng(12345).choice(pts, size=n_naive, replace=False)
    fpts = [(float(Ng.ravel()[j]), float(Tg.ravel()[j]), float(gg.ravel()[j])) for j in fixed]
    t_naive = _median_time(lambda: [naive_loss(lam, *x, exact.w_var, exact.u_var) for x in fpts], 3)
    fast_pps = pts / t_cold.cpu
    naive_pps = n_naive / t_naive
    return {
        "spectrum": spec.describe(),
        "grid_points": int(pts),
        "grid": f"N, T in logspace(1, 4), gamma in logspace(-6, 0), {n_side}^3",
        "fast_cpu_s": t_cold.cpu,
        "fast_wall_s": t_cold.wall,
        "fast_points_per_s": fast_pps,
        "fast_warm_points_per_s": pts / t_warm_cpu,
        "fast_warm_timing": "median of 7 rounds, each next to the closed-form ceiling",
        "closed_form_points_per_s": pts / float(np.median(ceiling_times)),
        "warm_ratio_to_closed_form": ratio_to_ceiling,
        "fast_cold_cache_state": cold_state,
        "kernel": fast.spectrum.kernel,
        "numpy_fallback_warm_points_per_s": pts / t_numpy,
        "numpy_fallback_cold_first_loss_points_per_s_no_disk_cache": pts / t_np_cold.cpu,
        "pointwise_warm_points_per_s": pts / t_pointwise,
        "cold_first_loss_points_per_s_no_disk_cache": pts / first["no_disk_cache"]["cpu_s"],
        "cold_first_loss_points_per_s_disk_cache": pts / first["disk_cache"]["cpu_s"],
        "cold_first_loss_cache_states": {k: v["state"] for k, v in first.items()},
        "cold_build_ms_no_disk_cache": builds["no_disk_cache"]["ms"],
        "cold_build_ms_disk_cache": builds["disk_cache"]["ms"],
        "cold_build_states": {k: v["state"] for k, v in builds.items()},
        "cold_build_exact_sum_evaluations": {k: v["exact_sum_evaluations"] for k, v in builds.items()},
        "target_warm_points_per_s": 2e6,
        "target_cold_build_ms": 50.0,
        "fast_consistent": bool(np.array_equal(loss, loss2)),
        # the kernel's sums: the panels' error against the exact sums plus the deviation of its polynomials of the sums
        "interpolation_error_bound": fast.spectrum.error_bound + fast.spectrum.pack_error,
        "representation_panels": int(np.diff(fast.spectrum.panels)[0]),
        "exact_sum_evaluations": fast.spectrum.exact_evaluations,
        "fast_peak_memory_MB_quarter_grid": peak / 2**20,
        "reference_points": n_ref,
        "max_rel_error_vs_50_digits": max(errs),
        "naive_points_timed": n_naive,
        "naive_timing": "fixed points (seed 12345), median of 3",
        "naive_truncation": None if spec.finite else 10**6,
        "naive_points_per_s": naive_pps,
        "naive_max_rel_error_vs_50_digits": max(naive_err),
        "speedup_vs_naive": fast_pps / naive_pps,
        "target_speedup": 1000.0,
        "target_error": 1e-10,
        "ok": bool(fast_pps / naive_pps >= 1000 and max(errs) <= 1e-10),
        "_mp_cpu": mp_cpu,
        "_mp_wall": mp_wall,
    }


def bench_M_independence(n_side: int) -> list[dict]:
    from ..core.spectra import PowerLaw
    from ..models.ridge import RandomFeatureRidge, fast_ridge

    rows = []
    Ng, Tg, gg = _grid(n_side)
    for Mx in (2e4, 1e5, 1e6, 1e7, math.inf):  # M > the grid's largest N, T (1e4)
        fast = fast_ridge(RandomFeatureRidge(PowerLaw(alpha=1, M=Mx)))
        with _Timer() as t0:
            fast.loss(Ng, Tg, gg)  # build (or load from the disk cache)
        t_warm = _median_time(lambda f=fast: f.loss(Ng, Tg, gg), 7)
        rows.append({"M": None if math.isinf(Mx) else Mx, "warm_points_per_s": Ng.size / t_warm,
                     "kernel": fast.spectrum.kernel, "first_call_cpu_s": t0.cpu,
                     "cache_state": fast.spectrum.cache_state})
    return rows


# ------------------------------------------------------------------------------------------ (g) --
# Peer-style baselines for kernel ridge (N = inf): kappa (1 - df(kappa)/T) = s, df = sum lambda/(lambda+kappa),
# each implemented here from the method a researcher uses today (direct O(M) sums over the eigenvalues).
def peer_fixed_point(lam: np.ndarray, T: float, s: float, damping: float = 0.5, tol: float = 1e-10) -> float:
    """Damped fixed-point iteration ``kappa <- (1-d) kappa + d (s + kappa df(kappa)/T)`` to ``tol`` (GCMProject-style;
    this form is a contraction on the physical branch)."""
    kappa = s + float(lam.sum()) / T
    for _ in range(1000000):
        df = float(np.sum(lam / (lam + kappa)))
        new = (1 - damping) * kappa + damping * (s + kappa * df / T)
        if abs(new - kappa) <= tol * abs(kappa):
            return new
        kappa = new
    return kappa  # pragma: no cover


def peer_bisection(lam: np.ndarray, T: float, s: float, rtol: float = 1e-14) -> float:
    """Bisection in ``log kappa`` on ``kappa (1 - df/T) = s`` inside ``[s, s + tr/T]`` (eigenlearning-style)."""
    lo, hi = math.log(s), math.log(s + float(lam.sum()) / T)
    while hi - lo > rtol:
        mid = 0.5 * (lo + hi)
        k = math.exp(mid)
        df = float(np.sum(lam / (lam + k)))
        if df < T and k * (1 - df / T) > s:
            hi = mid
        else:
            lo = mid
    return math.exp(0.5 * (lo + hi))


def peer_quad(alpha: float, M: float, T: float, s: float) -> float:
    """Continuum ``df(kappa) = int_1^M lambda(x)/(lambda(x)+kappa) dx`` by ``scipy.integrate.quad`` and brentq
    (power_law_rf-style; an approximation of the sum, so it carries the continuum error)."""
    from scipy.integrate import quad
    from scipy.optimize import brentq

    beta = 1.0 + alpha

    def df(k):
        return quad(lambda x: 1.0 / (1.0 + k * x**beta), 1.0, M, limit=200)[0]

    tr = quad(lambda x: x**-beta, 1.0, M)[0]

    def f(lk):
        return math.exp(lk) * (1 - df(math.exp(lk)) / T) - s

    lo, hi = math.log(s), math.log(s + 2 * tr / T)
    for _ in range(40):  # the quadrature's df carries an error: widen the bracket until it changes sign
        if f(hi) > 0:
            break
        hi += math.log(10.0)
    return math.exp(brentq(f, lo, hi, xtol=1e-14, rtol=1e-14))


def _median_time(fn, reps: int) -> float:
    times = []
    for _ in range(reps):
        with _Timer() as t:
            fn()
        times.append(t.cpu)
    return float(np.median(times))


def bench_small_batches(quick: bool) -> dict:
    """Row (g): kernel ridge (``N = inf``) on 24 points, the exact path against peer-style solvers, same points.

    Every method solves ``kappa (1 - df(kappa)/T) = s`` at ``T`` in ``logspace(1, 3, 24)``, ``s = 1e-4`` for
    ``PowerLaw(alpha=1, M)``; times are medians of ``reps`` repetitions (process CPU). The peers use direct
    ``O(M)`` sums (``M = inf``: truncated at ``10^6`` modes); where ``M >= 10^6`` they are timed on the first 3
    points and reported per point. ``*_max_rel_error`` is against the exact path (itself checked against 50
    digits in the tests).
    """
    from ..core.spectra import PowerLaw
    from ..models.ridge import RandomFeatureRidge

    reps = 3
    Ms = (1e4, math.inf) if quick else (1e3, 1e4, 1e5, 1e6, 1e7, math.inf)
    T = np.logspace(1, 3, 24)
    s = 1e-4
    rows = []
    for M in Ms:
        spec = PowerLaw(alpha=1, M=M)
        model = RandomFeatureRidge(spec)
        model.solve_normalised(math.inf, T[:2], s)  # compile the loss once (shared by every model)
        sol = model.solve_normalised(math.inf, T, s)
        exact = np.asarray(sol.rho)
        t_exact = _median_time(lambda m=model: m.solve_normalised(math.inf, T, s), reps) / T.size
        t_exact3 = _median_time(lambda m=model: [m.solve_normalised(math.inf, T[i : i + 3], s)
                                         for i in range(0, 24, 8)], reps) / 9
        lam = spec.eigenvalues() if spec.finite else spec.eigenvalues(10**6)
        sub = T if lam.size < 10**6 else T[:3]
        peers = {}
        for name, fn in (("fixed_point_1e-10", lambda t, lam=lam: peer_fixed_point(lam, t, s)),
                         ("bisection", lambda t, lam=lam: peer_bisection(lam, t, s)),
                         ("quad_continuum", lambda t, M=M: peer_quad(1.0, M, t, s))):
            vals = [fn(t) for t in sub]
            per = _median_time(lambda fn=fn, sub=sub: [fn(t) for t in sub], reps) / sub.size
            err = float(np.max(np.abs(np.array(vals) / exact[: sub.size] - 1)))
            peers[name] = {"points_per_s": 1.0 / per, "max_rel_error": err,
                           "ratio_exact_over_peer": (1.0 / t_exact) * per, "points_timed": int(sub.size)}
        rows.append({
            "M": None if math.isinf(M) else M,
            "exact_points_per_s": 1.0 / t_exact,
            "exact_ms_per_point_3pt_batches": 1e3 * t_exact3,
            "peers": peers,
            "exact_at_or_above_every_peer": bool(all(p["ratio_exact_over_peer"] >= 1 for p in peers.values())),
        })
    return {"setup": "PowerLaw(alpha=1, M), N = inf, T in logspace(1, 3, 24), s = 1e-4; medians of 3",
            "rows": rows}


def closed_form_loss_alpha1(N: Any, T: Any, gamma: Any) -> np.ndarray:
    """The ridge test loss of ``PowerLaw(alpha=1, M=inf)`` (isotropic teacher, canonical convention) in closed form.

    For ``lambda_k = k^-2`` the sum is known in closed form (Mittag-Leffler):
    ``d1(rho) = (A / v) coth(pi / v) - 1/2`` with ``v = sqrt(rho)`` and ``A = Gamma(1/2) Gamma(1/2) / 2 = pi/2``
    (the Gamma-function constant ``Gamma(1/beta) Gamma(1 - 1/beta) / beta`` of the continuum law at ``beta = 2``).
    Dropping the factor ``coth(pi / v) = 1 + O(exp(-2 pi / v))``, ``d1 = A/v - 1/2`` and ``e1 = -d d1/d log rho =
    A / (2 v)``, and the self-consistent equation ``rho (N - d1)(T - d1) = gamma`` becomes the quadratic
    ``(N' v - A)(T' v - A) = gamma`` (``N' = N + 1/2``, ``T' = T + 1/2``), whose root on the physical branch
    (``d1 < min(N, T)``) is the larger one. The loss is then (B1b),
    ``L = rho N T e1 / (2 ((N - d1)(T - d1) + e1 (N + T - 2 d1)))``. The only approximation is the dropped
    ``coth``: ``2 exp(-2 pi / sqrt(rho)) <= 1.6e-11`` relative in ``d1`` for ``rho <= 0.06`` (every point of the
    benchmark grid; the largest ``rho`` is at ``N = T = 10``, ``gamma = 1``, where the loss's condition number
    makes it ``1.1e-10``; ``1e-12`` and below on most of the grid).

    This is the benchmark's closed-form ceiling: the same quantity as the fast path on the same grid, with the root
    solve replaced by a formula. It is a baseline of the benchmark, not a toolkit result.

    Examples
    --------
    >>> from scalingsym.models.ridge import RandomFeatureRidge
    >>> from scalingsym.core.spectra import PowerLaw
    >>> exact = RandomFeatureRidge(PowerLaw(alpha=1)).loss(100.0, 400.0, 1e-3)
    >>> bool(abs(float(closed_form_loss_alpha1(100.0, 400.0, 1e-3)) / exact - 1) < 1e-10)
    True
    """
    from scipy.special import gamma as G

    N, T, g = (np.asarray(v, dtype=np.float64) for v in (N, T, gamma))
    A = G(0.5) * G(0.5) / 2.0
    Np, Tp = N + 0.5, T + 0.5
    NT = Np * Tp
    v = (A * (Np + Tp) + np.sqrt((A * (Np - Tp)) ** 2 + 4.0 * NT * g)) / (2.0 * NT)
    rho = v * v
    d1 = A / v - 0.5
    e1 = A / (2.0 * v)
    return 0.5 * rho * N * T * e1 / ((N - d1) * (T - d1) + e1 * (N + T - 2.0 * d1))


def closed_form_ceiling(n_side: int = 100, reps: int = 7) -> dict:
    """The throughput ceiling of a numpy closed form of the same quantity on the same grid as row a.

    ``points_per_s``: :func:`closed_form_loss_alpha1` (the loss at any ridge, root in closed form; about 30
    elementwise operations) on the ``n_side^3`` grid of row a; median of ``reps``. ``max_rel_diff_fast_path``:
    its largest relative difference from the fast path of ``PowerLaw(alpha=1, M=inf)`` on 2000 grid points (it is
    the same loss). ``ridgeless_law_points_per_s``: the two-coordinate MRS ridgeless law
    ``L = n rho0 / (2 (1 - n/m))``, ``rho0 = (A / n)^2`` (six operations, no root, no ridge) on the same
    ``(N, T)``, the smaller ceiling earlier tables used.
    """
    from ..core.spectra import PowerLaw
    from ..models.ridge import RandomFeatureRidge, fast_ridge

    Ng, Tg, gg = _grid(n_side)
    law = closed_form_loss_alpha1(Ng, Tg, gg)  # warm: scipy's import, the page cache
    t_any = _median_time(lambda: closed_form_loss_alpha1(Ng, Tg, gg), reps)
    A, beta = math.pi / 2.0, 2.0

    def ridgeless():
        n, m = np.minimum(Ng, Tg), np.maximum(Ng, Tg)
        rho0 = (A / n) ** beta
        with np.errstate(divide="ignore"):
            return n * rho0 / (2 * (1 - n / m))

    ridgeless()
    t_ridgeless = _median_time(ridgeless, reps)
    idx = np.random.default_rng(3).choice(Ng.size, size=min(2000, Ng.size), replace=False)
    fast = fast_ridge(RandomFeatureRidge(PowerLaw(alpha=1)))
    got = fast.loss(Ng.ravel()[idx], Tg.ravel()[idx], gg.ravel()[idx])
    return {
        "points": int(Ng.size),
        "formula": "PowerLaw(alpha=1, M=inf) loss at any ridge, root of a quadratic in sqrt(rho) "
                   "(closed_form_loss_alpha1)",
        "points_per_s": Ng.size / t_any,
        "timing": f"median of {reps}",
        "max_rel_diff_fast_path": float(np.max(np.abs(got / law.ravel()[idx] - 1.0))),
        "ridgeless_law_points_per_s": Ng.size / t_ridgeless,
        "target_ratio": 6.0,
    }


# ------------------------------------------------------------------------------------------ (c) --
def bench_symbolic() -> dict:
    try:
        from ..theory.regimes import exponents
    except ImportError:  # pragma: no cover
        return {"available": False}
    from sympy.core.cache import clear_cache

    from ..core.parsing import parse_spectrum
    from ..core.spectra import PowerLaw

    def cold():
        # every derivation from a cold start: sympy's cache and the engine's tail-law cache cleared
        clear_cache()
        try:
            from ..theory.spectral import _cached_expr_law

            _cached_expr_law.cache_clear()
        except (ImportError, AttributeError):  # pragma: no cover
            pass

    out = {"available": True}
    cold()
    with _Timer() as t:
        e = exponents(PowerLaw(alpha=1))
    out["power_law"] = {"spectrum": "powerlaw(alpha=1, M=inf)", "cpu_s": t.cpu, "wall_s": t.wall,
                        "exponents": len(e), "target_s": 2.0, "ok": t.cpu <= 2.0}
    new = 'custom(expr="k**-2*log(k+1)**2", M=inf)'
    cold()
    with _Timer() as t:
        e = exponents(parse_spectrum(new))
    out["new_spectrum"] = {"spectrum": new, "cpu_s": t.cpu, "wall_s": t.wall, "exponents": len(e),
                           "target_s": 10.0, "ok": t.cpu <= 10.0}
    return out


# ------------------------------------------------------------------------------------------ (d) --
def bench_monte_carlo(quick: bool) -> dict:
    """Row (d), with BLAS limited to one thread when threadpoolctl is installed (stable timings on a shared machine)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        out = _bench_monte_carlo(quick)
        out["blas_threads"] = "default"
        return out
    with threadpool_limits(limits=1, user_api="blas"):
        out = _bench_monte_carlo(quick)
    out["blas_threads"] = 1
    return out


def _bench_monte_carlo(quick: bool) -> dict:
    from ..core.spectra import PowerLaw
    from ..models.ridge import RandomFeatureRidge
    from ..simulate.ridge import simulate_ridge, simulate_ridge_nested_N

    M, T, N, seeds = (1000, 400, 200, 4) if not quick else (400, 200, 100, 2)
    spec = PowerLaw(alpha=1, M=M)
    gammas = np.logspace(-4, 0, 20)
    simulate_ridge(spec, N, T, gammas[10], seeds=1, seed=1)  # warm-up (BLAS threads, imports)
    simulate_ridge_nested_N(spec, [N // 2, N], T, gammas[10], seeds=1, seed=1)
    tracemalloc.start()
    with _Timer() as t1:
        simulate_ridge(spec, N, T, gammas[10], seeds=seeds, seed=0)
    with _Timer() as t20:
        sweep = simulate_ridge(spec, N, T, gammas, seeds=seeds, seed=0)
    Ns = np.linspace(N // 10, N, 10).astype(int)
    with _Timer() as tn:
        nested = simulate_ridge_nested_N(spec, Ns, T, gammas[10], seeds=seeds, seed=0)
    with _Timer() as tind:
        for n in Ns:
            simulate_ridge(spec, int(n), T, gammas[10], seeds=seeds, seed=0)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    theory = RandomFeatureRidge(spec).loss(N, T, gammas)
    z = np.abs(sweep.loss_mean - theory) / np.maximum(sweep.loss_stderr, 1e-300)
    theory_n = RandomFeatureRidge(spec).loss(Ns.astype(float), T, gammas[10])
    zn = np.abs(nested.loss_mean[:, 0] - theory_n) / np.maximum(nested.loss_stderr[:, 0], 1e-300)
    return {
        "setup": f"PowerLaw(alpha=1, M={M}), N={N}, T={T}, seeds={seeds}, teachers=8",
        "time_unit": "wall seconds",
        "one_fit_s": t1.wall,
        "ridge_sweep_20_s": t20.wall,
        "ridge_sweep_ratio_to_one_fit": t20.wall / t1.wall,
        "ridge_20_independent_fits_s_est": 20 * t1.wall,
        "ridge_target_ratio": 2.0,
        "ridge_ok": bool(t20.wall / t1.wall <= 2.0),
        "ridge_max_abs_z_vs_theory": float(z.max()),
        "nested_N": [int(n) for n in Ns],
        "nested_N_s": tn.wall,
        "independent_N_fits_s": tind.wall,
        "nested_speedup": tind.wall / tn.wall,
        "nested_ok": bool(tn.wall < tind.wall),
        "nested_max_abs_z_vs_theory": float(zn.max()),
        "peak_memory_MB": peak / 2**20,
        "memory_model": "O(N T + (N + T) M) per seed (+ N^2 for the nested Gram matrix)",
    }


# ------------------------------------------------------------------------------------------ (e) --
def bench_dynamics() -> dict:
    try:
        from ..models.dynamics import GradientFlowRF
    except ImportError:  # pragma: no cover
        return {"available": False, "note": "scalingsym.models.dynamics not available"}
    model = GradientFlowRF.from_exponents(a=2.0, b=1.5, M=math.inf)
    t = np.logspace(-1, 4, 100)
    N, P = 200.0, 400.0
    model.loss_curve(t[:2], N=N, P=P)  # warm the spectrum's caches
    times = []
    for _ in range(3):
        with _Timer() as tm:
            curve = model.loss_curve(t, N=N, P=P)
        times.append((tm.cpu, tm.wall))
    cpu, wall = sorted(times)[1]
    # accuracy: node convergence (20 nodes; past ~24 nodes float64 round-off grows, so more is not better)
    # and, independently, the static closed form sigma^2/(1 - N/P) at t = 1e8
    ref = model.loss_curve(t, N=N, P=P, nodes=20)
    err = float(np.max(np.abs(curve.test_loss / ref.test_loss - 1)))
    late = float(model.loss_curve([1e8], N=N, P=P).test_loss[0])
    err_late = abs(late / model.loss_late(N, P) - 1)
    ok = bool(cpu <= 0.5 and max(err, err_late) <= 1e-6)
    return {
        "available": True,
        "setup": f"GradientFlowRF.from_exponents(a=2, b=1.5, M=inf), N={N:g}, P={P:g}, "
        "t in logspace(-1, 4), 100 points, median of 3",
        "cpu_s": cpu,
        "wall_s": wall,
        "max_rel_error_vs_20_nodes": err,
        "rel_error_t_1e8_vs_closed_form": err_late,
        "target_s": 0.5,
        "target_error": 1e-6,
        "ok": ok,
    }


# ------------------------------------------------------------------------------------------ (f) --
def bench_report(quick: bool) -> dict:
    """Row (f): the main job (``report``) end to end, wall seconds, with its derivations' own seconds.

    The full row is ``python -m scalingsym report`` as shipped (every derivation, the table, the figures, the
    LaTeX compile when ``pdflatex`` is there) in a temporary folder; ``quick`` runs one small derivation only.
    ``derivations_s`` is the sum of the derivations' wall seconds measured inside the workers: what one
    process would spend on them one after the other.
    """
    import shutil
    import tempfile

    from ..output.report import build_report, default_workers

    kwargs: dict[str, Any] = {"derivations": ["zhang_ridge_laws"], "figures": False, "compile": False,
                              "simulate": False} if quick else {}
    workers = default_workers()
    with tempfile.TemporaryDirectory(prefix="scalingsym-bench-report-") as tmp:
        with _Timer() as t:
            out = build_report(tmp, quiet=True, workers=workers, **kwargs)
        pieces = sum(d.seconds for d in out.derivations)
    return {
        "setup": "report, one quick derivation" if quick else "report (the main job), as shipped",
        "workers": workers,
        "wall_s": t.wall,
        "derivations_s": pieces,
        "derivations": {d.name: round(d.seconds, 1) for d in out.derivations},
        "skipped": out.skipped,
        "compiled": out.compiled,
        "pdflatex": shutil.which("pdflatex") is not None,
        "target_s": 90.0,
        "ok": bool(out.ok and (quick or t.wall <= 90.0)),
        "checks_ok": bool(out.ok),
    }


# ------------------------------------------------------------------------------------------ run --
def run_benchmark(quick: bool = False, seed: int = 0) -> dict:
    """Run every row; returns the JSON-able table (``quick`` shrinks the sizes for a smoke test)."""
    rng = np.random.default_rng(seed)
    n_side, n_ref, n_naive = (100, 200, 20) if not quick else (20, 10, 3)
    out: dict[str, Any] = {"quick": quick, "time_unit": "process CPU seconds (wall next to them)"}
    with _Timer() as total:
        # numba's one-off import and JIT load (reported in a_jit_first_call) stay out of the cold timings of row a
        from ..core.fastsums import _kernel_module
        from ..models import compiled_observables

        with _Timer() as t_jit:
            kernel = _kernel_module()  # imports numba and compiles or loads the kernel
            compiled_observables.module()  # and the observables' pass (compiled once, then from the disk cache)
        a = [bench_surface(M, n_side, n_ref, n_naive, rng) for M in (1e5, math.inf)]
        mp_cpu = sum(r.pop("_mp_cpu") for r in a)
        mp_wall = sum(r.pop("_mp_wall") for r in a)
        out["a_loss_surface"] = a
        out["a_cost_vs_M"] = bench_M_independence(60 if not quick else 10)
        per = mp_cpu / (2 * n_ref)
        out["b_mpmath_50_digits"] = {
            "points": 2 * n_ref,
            "cpu_ms_per_point": 1e3 * per,
            "wall_ms_per_point": 1e3 * mp_wall / (2 * n_ref),
            "target_ms": 5.0,
            "ok": bool(per <= 0.005),
        }
        ceiling = closed_form_ceiling(n_side)
        for r in a:  # the ratio to the ceiling is the median of rounds timed side by side (bench_surface)
            r["ok_within_6x_of_closed_form"] = bool(r["warm_ratio_to_closed_form"] >= 1.0 / ceiling["target_ratio"])
            r["warm_ratio_to_ridgeless_law"] = r["fast_warm_points_per_s"] / ceiling["ridgeless_law_points_per_s"]
            r["ok_warm"] = bool(r["fast_warm_points_per_s"] >= r["target_warm_points_per_s"])
            r["ok_cold_build"] = bool(r["cold_build_ms_disk_cache"] <= r["target_cold_build_ms"])
        out["a_closed_form_ceiling"] = ceiling
        out["a_jit_first_call"] = {**jit_first_call(), "in_this_run_s": t_jit.cpu if kernel is not None else None}
        out["g_small_batches_vs_peers"] = bench_small_batches(quick)
        out["c_symbolic_exponents"] = bench_symbolic()
        out["d_monte_carlo"] = bench_monte_carlo(quick)
        out["e_dynamics"] = bench_dynamics()
        out["f_report"] = bench_report(quick)
    out["total_cpu_s"] = total.cpu
    out["total_wall_s"] = total.wall
    out["peak_rss_MB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def format_table(res: dict) -> str:
    """The benchmark as a plain-text table."""
    lines = ["row | measurement | value | target | ok", "--- | --- | --- | --- | ---"]
    for r in res["a_loss_surface"]:
        s = r["spectrum"]
        lines.append(f"a | {s}: fast grid {r['grid_points']:.0e} pts, pts/s (build incl.) | "
                     f"{r['fast_points_per_s']:.3g} (warm {r['fast_warm_points_per_s']:.3g}) | | ")
        lines.append(f"a | {s}: naive brentq + O(M) sums, pts/s ({r['naive_points_timed']} timed) | "
                     f"{r['naive_points_per_s']:.3g} (max rel err {r['naive_max_rel_error_vs_50_digits']:.1e}) | | ")
        lines.append(f"a | {s}: speedup | {r['speedup_vs_naive']:.3g}x | >= 1000x | {r['ok']}")
        lines.append(f"a | {s}: max rel err vs 50 digits ({r['reference_points']} pts) | "
                     f"{r['max_rel_error_vs_50_digits']:.2e} (sum bound {r['interpolation_error_bound']:.1e}) | "
                     f"<= 1e-10 | {r['ok']}")
        lines.append(f"a | {s}: peak traced memory, 1/4 grid | {r['fast_peak_memory_MB_quarter_grid']:.0f} MB | | ")
        if "kernel" in r:
            lines.append(f"a | {s}: warm pts/s, kernel {r['kernel']} (pointwise, no continuation; numpy fallback) | "
                         f"{r['fast_warm_points_per_s']:.3g} ({r['pointwise_warm_points_per_s']:.3g}; "
                         f"{r['numpy_fallback_warm_points_per_s']:.3g}) | "
                         f">= {r['target_warm_points_per_s']:.0e} | {r.get('ok_warm', '')}")
            lines.append(f"a | {s}: numpy fallback cold (first loss, no disk cache; the path before the kernel), "
                         f"pts/s | {r['numpy_fallback_cold_first_loss_points_per_s_no_disk_cache']:.3g} | | ")
            lines.append(f"a | {s}: cold build ms, disk cache (none) ; first loss pts/s, disk cache (none) | "
                         f"{r['cold_build_ms_disk_cache']:.1f} ({r['cold_build_ms_no_disk_cache']:.0f}) ; "
                         f"{r['cold_first_loss_points_per_s_disk_cache']:.3g} "
                         f"({r['cold_first_loss_points_per_s_no_disk_cache']:.3g}) | "
                         f"<= {r['target_cold_build_ms']:g} ms | {r.get('ok_cold_build', '')}")
    def m_str(m):
        return "inf" if m is None else f"{m:.0e}"

    lines.append("a | cost vs M (warm pts/s, 60^3 grid, median of 7) | " + ", ".join(
        f"M={m_str(c['M'])}: {c['warm_points_per_s']:.3g}" for c in res["a_cost_vs_M"]
    ) + " | independent of M | ")
    cc = res.get("a_closed_form_ceiling")
    if cc is not None:
        rows = res["a_loss_surface"]
        lines.append(f"a | closed-form ceiling: the same loss on the same grid, root in closed form (alpha=1, "
                     f"M=inf; max rel diff to the fast path {cc['max_rel_diff_fast_path']:.1e}), numpy, pts/s "
                     f"(alone; side by side with each row's warm rounds) | {cc['points_per_s']:.3g} ("
                     + ", ".join(f"{r['closed_form_points_per_s']:.3g}" for r in rows)
                     + "); fast warm / ceiling, median of the 7 side-by-side rounds: " + ", ".join(
                         f"{r['spectrum']}: 1/{1 / r['warm_ratio_to_closed_form']:.3g}" for r in rows)
                     + f" | within {cc['target_ratio']:g}x | "
                     + str(all(r.get("ok_within_6x_of_closed_form", False) for r in rows)))
        lines.append(f"a | the MRS ridgeless law alone (N, T; 6 numpy ops, no root), pts/s | "
                     f"{cc['ridgeless_law_points_per_s']:.3g}; fast warm / it: " + ", ".join(
                         f"1/{1 / r['warm_ratio_to_ridgeless_law']:.3g}" for r in rows) + " | | ")
    jit = res.get("a_jit_first_call")
    if jit is not None and jit.get("compile_s") is not None:
        cached = "n/a" if jit.get("cached_s") is None else f"{jit['cached_s']:.2f}"
        lines.append(f"a | numba first call (import + compile ; from its disk cache), s | {jit['compile_s']:.2f} ; "
                     f"{cached} | (outside the cold timings) | ")
    g = res.get("g_small_batches_vs_peers")
    if g is not None:
        for r in g["rows"]:
            peers = ", ".join(f"{k} {v['points_per_s']:.3g} ({v['ratio_exact_over_peer']:.2f}x, err "
                              f"{v['max_rel_error']:.0e})" for k, v in r["peers"].items())
            lines.append(f"g | kernel ridge 24 pts, M={m_str(r['M'])}: exact pts/s (3-pt batches ms/pt); "
                         f"peers pts/s (exact/peer) | {r['exact_points_per_s']:.3g} "
                         f"({r['exact_ms_per_point_3pt_batches']:.2f} ms); "
                         f"{peers} | >= every peer | {r['exact_at_or_above_every_peer']}")
    b = res["b_mpmath_50_digits"]
    lines.append(f"b | 50-digit solve, ms/point ({b['points']} pts) | {b['cpu_ms_per_point']:.1f} "
                 f"(wall {b['wall_ms_per_point']:.1f}) | <= 5 | {b['ok']}")
    c = res["c_symbolic_exponents"]
    if c.get("available"):
        for key in ("power_law", "new_spectrum"):
            r = c[key]
            lines.append(f"c | exponents of {r['spectrum']}, s | {r['cpu_s']:.2f} (wall {r['wall_s']:.2f}) | "
                         f"<= {r['target_s']:g} | {r['ok']}")
    else:
        lines.append("c | symbolic exponents | not available | | ")
    d = res["d_monte_carlo"]
    lines.append(f"d | {d['setup']}: 20 ridges / 1 fit | {d['ridge_sweep_ratio_to_one_fit']:.2f}x "
                 f"({d['ridge_sweep_20_s']:.2f} s vs 20 fits {d['ridge_20_independent_fits_s_est']:.2f} s, wall) | "
                 f"<= 2x | {d['ridge_ok']}")
    lines.append(f"d | 10 nested N vs 10 independent fits (wall) | {d['nested_N_s']:.2f} s vs "
                 f"{d['independent_N_fits_s']:.2f} s ({d['nested_speedup']:.1f}x) | reuse | {d['nested_ok']}")
    lines.append(f"d | max |z| vs theory (ridge sweep, nested N) | {d['ridge_max_abs_z_vs_theory']:.2f}, "
                 f"{d['nested_max_abs_z_vs_theory']:.2f} | | ")
    lines.append(f"d | peak traced memory | {d['peak_memory_MB']:.0f} MB | | ")
    e = res["e_dynamics"]
    if e.get("available"):
        lines.append(f"e | {e['setup']} | {e['cpu_s']:.2f} s, max rel err {e['max_rel_error_vs_20_nodes']:.1e} "
                     f"(vs 20 nodes), {e['rel_error_t_1e8_vs_closed_form']:.1e} (t = 1e8 vs closed form) | "
                     f"<= 0.5 s, <= 1e-6 | {e['ok']}")
    else:
        lines.append("e | dynamics loss curve | not available | | ")
    f = res.get("f_report")
    if f is not None:
        slowest = ", ".join(f"{k} {v:g}" for k, v in sorted(f["derivations"].items(), key=lambda kv: -kv[1])[:3])
        lines.append(f"f | {f['setup']}, {f['workers']} workers: wall s (derivations alone, one after the other) | "
                     f"{f['wall_s']:.1f} ({f['derivations_s']:.1f}; slowest {slowest}) | <= {f['target_s']:g} s | "
                     f"{f['ok']}")
    lines.append(f"- | total | {res['total_cpu_s']:.0f} s CPU, {res['total_wall_s']:.0f} s wall, "
                 f"peak RSS {res['peak_rss_MB']:.0f} MB | < 600 s | ")
    return "\n".join(lines)


def _bench(args: argparse.Namespace) -> dict:
    res = run_benchmark(quick=args.quick)
    if getattr(args, "sweep", False):
        from .bench_sweep import sweep_rows

        res["sweep"] = sweep_rows(args.quick)
    if args.out:
        Path(args.out).write_text(json.dumps(res, indent=2, allow_nan=False) + "\n")
    if args.json:
        emit(res, True)
    else:
        print(format_table(res))
        if "sweep" in res:
            from .bench_sweep import format_sweep_rows

            print()
            print(format_sweep_rows(res["sweep"]))
    return res


def register(sub) -> None:
    p = sub.add_parser("bench", help="performance table: loss surfaces, 50-digit solves, exponents, Monte-Carlo")
    p.add_argument("--json", action="store_true", help="print the table as JSON")
    p.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    p.add_argument("--out", default=None, help="also write the JSON to this file")
    p.add_argument("--sweep", action="store_true", help="add the sweep rows: dask overhead on a 10^6-point theory "
                   "grid, 2 local workers vs 1 on a Monte-Carlo sweep (about 5 minutes)")
    p.set_defaults(handler=_bench)
