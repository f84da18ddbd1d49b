"""``sweep`` and ``plot``: loss surfaces and Monte-Carlo grids as xarray datasets, computed on dask, and their figures.

``python -m scalingsym sweep theory --spectrum "powerlaw(alpha=1, M=1000)" --N 10:1e4:40log --T 1000
--gamma 1e-6,1e-3 --out surface.nc`` or ``sweep simulate ... --seeds 16``; ``--t`` selects the gradient flow,
``--B/--lr/--steps`` one-pass SGD, and ``--E``, ``--noise``, ``--nu``, ``--a`` add dimensions (``--s`` replaces
``--gamma`` by the normalised regulariser, finite at ``N = inf`` or ``T = inf``). ``--spec sweep.toml`` reads the
same arguments from a TOML file (flags given on the command line win). See :mod:`scalingsym.output.sweep`.
``python -m scalingsym plot SWEEP.nc [--kind lines|heatmap] [--x DIM --hue DIM --sel DIM=VALUE,...]`` draws a
sweep (:mod:`scalingsym.output.sweep_plot`).
"""

from __future__ import annotations

import argparse
import sys
import time

from ..core.errors import ParameterError
from ..output.grids import load_spec
from ..output.sweep import MODES, describe_dataset, sweep
from . import emit

#: sweep arguments a flag may set (None = not given on the command line)
_KEYS = (
    "mode", "model", "spectrum", "task", "N", "T", "gamma", "s", "t", "E", "noise", "nu", "a", "B", "lr", "steps",
    "ensemble_data", "seeds", "seed", "teachers", "precision", "fast", "chunks",
)


def _int(name: str, value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            f = float(value)
        except (TypeError, ValueError):
            raise ParameterError(f"{name} must be an integer; got {value!r}") from None
        if f != int(f):
            raise ParameterError(f"{name} must be an integer; got {value!r}")
        value = int(f)
    return value


def _run(args: argparse.Namespace) -> dict:
    opts = load_spec(args.spec) if args.spec else {}
    for key in _KEYS:
        v = getattr(args, key)
        if v is not None and v is not False:
            opts[key] = v
    mode = opts.pop("mode", None)
    if mode is None:
        raise ParameterError(f"give the mode ({' or '.join(MODES)}) on the command line or as mode in --spec")
    spectrum = opts.pop("spectrum", None)
    if spectrum is None:
        raise ParameterError("--spectrum is required (on the command line or as spectrum in --spec)")
    for key in ("seeds", "seed", "teachers", "precision"):
        if key in opts:
            opts[key] = _int(key, opts[key])
    if "fast" in opts and not isinstance(opts["fast"], bool):
        raise ParameterError(f"fast must be true or false; got {opts['fast']!r}")
    if args.workers is not None and args.workers < 1:
        raise ParameterError(f"--workers must be an integer >= 1; got {args.workers}")
    stats: dict = {}
    t0 = time.perf_counter()
    try:
        ds = sweep(
            spectrum, mode=mode, out=args.out, workers=args.workers, scheduler=args.scheduler, quiet=args.quiet,
            memory_budget=args.memory_budget, stats=stats, **opts,
        )
    except KeyboardInterrupt:
        where = f"; rerun the same command to compute only the missing chunks of {args.out}" if args.out else ""
        print(f"scalingsym: sweep interrupted{where}", file=sys.stderr)
        raise SystemExit(130) from None
    out = {"out": args.out, "mode": mode, "seconds": round(time.perf_counter() - t0, 3), **stats}
    out.update(describe_dataset(ds))
    emit(out, args.json)
    return out


def _open(path: str):
    import os

    import xarray as xr

    if not os.path.exists(path):
        raise ParameterError(f"sweep file {path!r} does not exist")
    try:
        if path.rstrip("/").endswith(".zarr"):
            return xr.open_zarr(path, consolidated=False, drop_variables=["chunk_done"], chunks=None).load()
        return xr.load_dataset(path, engine="h5netcdf")
    except (OSError, ValueError, KeyError) as exc:
        raise ParameterError(f"cannot read {path!r} as a sweep dataset (.nc or .zarr): {exc}") from None


def _plot(args: argparse.Namespace) -> dict:
    from pathlib import Path

    from ..output.plot import save_figure
    from ..output.sweep_plot import plot_sweep

    ds = _open(args.sweep)
    fig = plot_sweep(ds, kind=args.kind, third=args.at, T=args.T, x=args.x, hue=args.hue, sel=args.sel)
    src = Path(args.sweep.rstrip("/"))
    out_dir = Path(args.out_dir) if args.out_dir else src.parent
    paths = save_figure(fig, out_dir, f"{src.stem}_{args.kind}")
    out = {"sweep": args.sweep, "kind": args.kind, **{k: str(v) for k, v in paths.items()}}
    emit(out, args.json)
    return out


def register(sub) -> None:
    p = sub.add_parser(
        "sweep",
        help="a grid over N, T, gamma (or t; or B, lr, steps) of the theory or a Monte Carlo, as an xarray dataset",
        description="Grids: START:STOP:COUNTlog (log-spaced), START:STOP:COUNT (linear) or a,b,c (a list; inf "
        "allowed for N, T and E where the model has that limit).",
    )
    p.add_argument("mode", nargs="?", choices=MODES, default=None, help="theory or simulate (or mode in --spec)")
    p.add_argument("--spec", default=None, help="TOML file with the sweep's arguments (flags override it)")
    p.add_argument("--spectrum", default=None, help='e.g. "powerlaw(alpha=1, M=1000)"')
    p.add_argument("--model", default=None, choices=("ridge", "dynamics", "sgd"),
                   help="the model (default: sgd with --B/--lr/--steps, dynamics with --t, else ridge)")
    p.add_argument("--task", default=None, help='teacher, e.g. "power(nu=0.5)" (default isotropic)')
    p.add_argument("--N", default=None, help="grid of feature counts, e.g. 10:1e4:40log or 100,200,400")
    p.add_argument("--T", default=None, help="grid of sample counts (P for the gradient flow)")
    p.add_argument("--gamma", default=None, help="grid of ridges >= 0 (default 0)")
    p.add_argument("--s", default=None,
                   help="grid of normalised regularisers gamma_bar/(N T) instead of --gamma (finite at N or T = inf)")
    p.add_argument("--t", default=None, help="grid of training times: the gradient-flow model")
    p.add_argument("--E", default=None, help="grid of ensemble sizes (integers; inf in theory)")
    p.add_argument("--ensemble-data", dest="ensemble_data", default=None, choices=("same", "independent"),
                   help="the ensemble members share the training data (default) or draw their own")
    p.add_argument("--noise", default=None, help="grid of label-noise variances (ridge model)")
    p.add_argument("--nu", default=None, help="grid of task exponents: the task power(nu=...) as a dimension")
    p.add_argument("--a", default=None, help="grid of source exponents: the task source(a=...) as a dimension")
    p.add_argument("--B", default=None, help="grid of batch sizes: one-pass SGD")
    p.add_argument("--lr", default=None, help="grid of learning rates: one-pass SGD")
    p.add_argument("--steps", default=None, help="grid of step counts: one-pass SGD")
    p.add_argument("--seeds", default=None, type=int, help="Monte-Carlo draws per point (default 8)")
    p.add_argument("--seed", default=None, type=int, help="the user's seed (default 0)")
    p.add_argument("--teachers", default=None, type=int, help="teacher vectors per draw (default 8)")
    p.add_argument("--precision", default=None, type=int, help="significant digits of the mpmath path (theory)")
    p.add_argument("--fast", action="store_true", default=None, help="interpolated spectrum (cost independent of M)")
    p.add_argument("--chunks", default=None, help="chunk lengths, e.g. N=4,T=8,seeds=2")
    p.add_argument("--out", default=None, help="FILE.nc (netCDF) or DIR.zarr (zarr, resumable)")
    p.add_argument("--workers", default=None, type=int, help="start a local dask.distributed cluster of K processes")
    p.add_argument("--scheduler", default=None, help="address of an existing dask.distributed scheduler")
    p.add_argument("--memory-budget", dest="memory_budget", default=None,
                   help="bytes per simulation point (suffixes K, M, G); default SCALINGSYM_MEMORY_BUDGET or 1/4 of RAM")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=_run)

    p = sub.add_parser("plot", help="draw a sweep: loss vs N for several T, or a heat map over (N/T, gamma)")
    p.add_argument("sweep", help="a sweep dataset: FILE.nc or DIR.zarr")
    p.add_argument("--kind", choices=("lines", "heatmap"), default="lines", help="lines (default) or heatmap")
    p.add_argument("--at", type=float, default=None, help="lines: the gamma (or t) to draw (default the first)")
    p.add_argument("--T", type=float, default=None, help="heatmap: the T to draw (default the first)")
    p.add_argument("--x", default=None, help="lines: the dimension on the x axis (default N, or steps for SGD)")
    p.add_argument("--hue", default=None, help="lines: the dimension with one curve per value (default T, or N)")
    p.add_argument("--sel", default=None,
                   help="the value of every other dimension, e.g. E=4,nu=0.5 (default: each one's first value)")
    p.add_argument("--out-dir", dest="out_dir", default=None, help="folder of the PDF and PNG (default: the sweep's)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=_plot)
