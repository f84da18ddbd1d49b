"""Sweep benchmark rows (``bench --sweep``): dask overhead on a theory grid, local workers on a Monte-Carlo sweep.

Rows, all ratios against baselines timed in the same run:

1. theory: the ridge loss on a 100 x 100 x 100 = 10^6-point ``(N, T, gamma)`` grid of
   ``powerlaw(alpha=1, M=1e5)`` through the interpolated fast path, as one direct in-process call of
   :func:`scalingsym.models.ridge.fast_ridge` ``.loss`` (the baseline), as :func:`scalingsym.output.sweep.sweep`
   in-process (dask threads) and on 2 local workers: points per second and the overhead against the direct
   call (target <= 15%); every time includes building the interpolated representation, and the sweep times
   writing the zarr store and reading the dataset back;
2. simulate: a Monte-Carlo sweep (``powerlaw(alpha=1, M=2000)``, 2 x 2 sizes up to ``N = 400``, ``T = 1600``,
   3 ridges, 16 seeds) on 1 local worker vs 2 (target >= 1.6x on 2 cores); in-process for reference.

Wall seconds, the best of 3 runs (1 with ``quick``); clusters are started before the clock and warmed up with a
small sweep (imports, model build).
"""

from __future__ import annotations

import time

import numpy as np

from ..core.parsing import parse_spectrum
from ..models.ridge import RandomFeatureRidge, fast_ridge
from ..output.sweep import local_cluster, sweep

__all__ = ["sweep_rows", "format_sweep_rows"]

REPEAT = 3


def _timed(fn, repeat: int):
    """The smallest wall time of ``repeat`` runs (the machine may be shared) and the last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _cluster(n: int):
    from distributed import Client

    cluster = local_cluster(n)
    return cluster, Client(cluster)


def _theory_row(quick: bool, client2) -> dict:
    rep = 1 if quick else REPEAT
    spec = "powerlaw(alpha=1, M=100000)"
    k = 30 if quick else 100
    grid = dict(N=f"10:1e5:{k}log", T=f"10:1e5:{k}log", gamma=f"1e-8:1:{k}log")
    N = np.logspace(1, 5, k)
    Ng, Tg, Gg = np.meshgrid(N, N, np.logspace(-8, 0, k), indexing="ij")
    fast_ridge(RandomFeatureRidge(parse_spectrum(spec))).loss(10.0, 10.0, 1e-3)  # imports, compiled expressions
    sweep(spec, fast=True, quiet=True, N="10,20", T="10", gamma="1e-3")  # likewise for the sweep machinery
    sweep(spec, fast=True, quiet=True, N="10,20", T="10", gamma="1e-3", scheduler=client2)
    # like the sweep, the direct call builds its interpolated representation inside the clock
    t_direct, direct = _timed(lambda: fast_ridge(RandomFeatureRidge(parse_spectrum(spec))).loss(Ng, Tg, Gg), rep)
    t_local, ds = _timed(lambda: sweep(spec, fast=True, quiet=True, **grid), rep)
    t_two, ds2 = _timed(lambda: sweep(spec, fast=True, quiet=True, scheduler=client2, **grid), rep)
    assert ds["loss"].values.tobytes() == ds2["loss"].values.tobytes()
    rel = float(np.nanmax(np.abs(ds["loss"].values / np.asarray(direct) - 1.0)))
    pts = k**3
    return {
        "row": "theory 10^6-point grid (fast path)" if not quick else f"theory {pts}-point grid (fast path)",
        "points": pts,
        "direct_points_per_s": pts / t_direct,
        "sweep_in_process_points_per_s": pts / t_local,
        "sweep_2_workers_points_per_s": pts / t_two,
        "overhead_in_process": t_local / t_direct - 1.0,
        "overhead_2_workers": t_two / t_direct - 1.0,
        "max_rel_diff_to_direct": rel,
        "seconds": {"direct": t_direct, "in_process": t_local, "2_workers": t_two},
    }


def _simulate_row(quick: bool, client1, client2) -> dict:
    rep = 1 if quick else REPEAT
    spec = "powerlaw(alpha=1, M=2000)"
    kw = dict(mode="simulate", N="200,400", T="800,1600", gamma="1e-4,1e-2,1", seeds=8 if quick else 16,
              chunks="seeds=2")
    warm = dict(mode="simulate", N="20", T="40", seeds=2)
    for c in (client1, client2):
        sweep(spec, quiet=True, scheduler=c, **warm)
    sweep(spec, quiet=True, **warm)
    t1, a = _timed(lambda: sweep(spec, quiet=True, scheduler=client1, **kw), rep)
    t2, b = _timed(lambda: sweep(spec, quiet=True, scheduler=client2, **kw), rep)
    t0, c = _timed(lambda: sweep(spec, quiet=True, **kw), rep)
    same = a["loss_per_seed"].values.tobytes() == b["loss_per_seed"].values.tobytes() == c[
        "loss_per_seed"].values.tobytes()
    draws = 4 * kw["seeds"]
    return {
        "row": f"simulate sweep ({draws} draws, N <= 400, T <= 1600, M = 2000)",
        "draws": draws,
        "seconds": {"1_worker": t1, "2_workers": t2, "in_process": t0},
        "speedup_2_vs_1_workers": t1 / t2,
        "identical_1_2_workers_in_process": bool(same),
    }


def sweep_rows(quick: bool = False) -> list[dict]:
    """The two rows, timed on a 1-worker and a 2-worker local cluster started here (and closed)."""
    c1, client1 = _cluster(1)
    c2, client2 = _cluster(2)
    try:
        return [_theory_row(quick, client2), _simulate_row(quick, client1, client2)]
    finally:
        for client, cluster in ((client1, c1), (client2, c2)):
            client.close()
            cluster.close()


def format_sweep_rows(rows: list[dict]) -> str:
    """The rows as a markdown table."""
    th, sim = rows
    s = sim["seconds"]
    return "\n".join([
        "| row | baseline | in-process | 2 workers | ratio | target |",
        "|---|---|---|---|---|---|",
        f"| {th['row']} | direct fast_ridge.loss {th['direct_points_per_s']:.3g} pts/s | "
        f"{th['sweep_in_process_points_per_s']:.3g} pts/s (overhead {100 * th['overhead_in_process']:+.1f}%) | "
        f"{th['sweep_2_workers_points_per_s']:.3g} pts/s (overhead {100 * th['overhead_2_workers']:+.1f}%) | "
        f"max rel. diff. to direct {th['max_rel_diff_to_direct']:.1e} | overhead <= 15% |",
        f"| {sim['row']} | 1 worker {s['1_worker']:.2f} s | {s['in_process']:.2f} s | {s['2_workers']:.2f} s | "
        f"2 vs 1 workers {sim['speedup_2_vs_1_workers']:.2f}x (identical: "
        f"{'yes' if sim['identical_1_2_workers_in_process'] else 'no'}) | >= 1.6x |",
    ])
