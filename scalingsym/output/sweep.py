"""Sweeps: loss surfaces and Monte-Carlo grids as labelled :class:`xarray.Dataset` objects, computed on dask.

:func:`sweep` evaluates one of three models on the Cartesian product of its grids
(:mod:`scalingsym.output.sweep_models`):

* the ridge model, dimensions ``N, T, gamma`` -- or ``N, T, s`` with the normalised regulariser
  ``s = gamma_bar/(N T)``, the finite form of the ``N = inf`` (kernel ridge regression) and ``T = inf``
  (infinite data) limits;
* the gradient-flow model (``t`` given), dimensions ``N, T, t`` (``T`` is the number of training points ``P``);
* one-pass SGD (``B``, ``lr``, ``steps`` given), dimensions ``N, B, lr, steps``;

each with optional extra dimensions: the ensemble size ``E`` (ridge and gradient flow; the members have
independent features and share the data, ``ensemble_data="same"``, or not), the label-noise variance ``noise``
(ridge) and a task parameter, ``nu`` of ``power(nu=...)`` or ``a`` of ``source(a=...)``. It runs the theory
(``mode="theory"``: float64, the interpolated fast path with ``fast=True``, or mpmath at ``precision`` digits
for the ridge model) or the Monte Carlo (``mode="simulate"``: ``seeds`` independent draws per point). The
dataset holds ``loss`` (theory) or ``loss_mean``, ``loss_stderr``, ``n_seeds`` and the draws themselves,
``loss_per_seed`` (simulation), with float coordinates (``inf`` allowed for ``N``, ``T`` and ``E`` where the
model has that limit) and attributes recording the model, spectrum, task, convention, package version and seed.

``N = inf`` or ``T = inf`` with a ridge ``gamma > 0`` is refused: ``gamma_bar/(N T)`` vanishes in that limit, so
the researcher's fixed ridge there is the normalised one -- sweep ``s`` instead (``gamma = 0``, ridgeless, is
accepted). The gradient flow and SGD take ``N = inf`` (and the flow ``T = inf``) as they are.

Execution. The grid (and, for simulations, the seeds) is cut into chunks; each chunk is one dask task,
run by dask's in-process threaded scheduler by default, by a local ``dask.distributed`` cluster of
``workers`` processes, or by an existing cluster at ``scheduler`` (its workers must see the output path:
a shared filesystem). Each task writes its block into a pre-created region of a zarr store
(:mod:`scalingsym.output.sweep_store`) and then sets its done marker, so a sweep that is interrupted
(Ctrl-C, a crashed process, a killed worker) and rerun with the same arguments computes only the missing
chunks; a worker lost mid-sweep is retried by dask. BLAS runs single-threaded inside the tasks (dask
supplies the parallelism).

Determinism. The Monte-Carlo draw ``k`` at a point is seeded from ``numpy.random.SeedSequence(seed,
spawn_key=(N, T, k, ...))`` (:func:`point_seed`): it depends on the user's seed and the point's coordinates
only, never on the worker, the chunk or the order. A sweep over ``N, T, gamma`` has the key ``(N, T, k)``; the
coordinates ``noise``, ``nu``, ``a``, ``B`` and ``lr`` are appended when the sweep has them, and the axes
evaluated along one draw (``gamma``, ``s``, ``t``, ``steps``, ``E``) share it (common random numbers). Every
value is computed independently of the others in its chunk, so a sweep is bit-identical in-process, on one
worker or on many, whatever the chunking. In simulations ``N``, ``T`` and ``B`` are rounded to integers.

Memory guard. A simulation point whose arrays would exceed the budget of :mod:`scalingsym.core.budget`
(``memory_budget`` argument, ``SCALINGSYM_MEMORY_BUDGET`` or a quarter of the machine's memory) is refused
before anything runs, with the estimate (:func:`simulation_bytes`,
:func:`~scalingsym.output.sweep_models.dynamics_bytes`, :func:`~scalingsym.output.sweep_models.sgd_bytes`).

Examples
--------
>>> ds = sweep("powerlaw(alpha=1, M=200)", N="10:100:3log", T=[50, 400], gamma=[1e-3, 1e-1], quiet=True)
>>> ds["loss"].dims
('N', 'T', 'gamma')
>>> ds["loss"].shape
(3, 2, 2)
>>> ds.attrs["spectrum"]
'powerlaw(alpha=1, M=200, lambda_plus=1)'
>>> sweep("powerlaw(alpha=1, M=200)", N="20,inf", T=100, s=1e-3, quiet=True)["loss"].dims
('N', 'T', 's')
>>> sweep("powerlaw(alpha=1, M=200)", N=20, T=100, gamma=1e-3, E="1,4,inf", quiet=True)["loss"].dims
('N', 'T', 'gamma', 'E')
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from typing import Any

import numpy as np

from .._version import __version__
from ..core.budget import human_bytes, require_memory
from ..core.errors import ParameterError, check_ridge, check_size
from ..core.spectra import Spectrum
from ..core.tasks import Task
from ..simulate.draws import check_seed
from .grids import parse_chunks, parse_grid
from .sweep_chunks import Job, objects, one_blas_thread, run
from .sweep_models import (
    BASE_DIMS,
    CONVENTIONS,
    CURVE_DIMS,
    EXTRA_DIMS,
    MODELS,
    RIDGE_CONVENTION,
    SEED_DERIVATION,
    TASK_DIMS,
    dynamics_bytes,
    point_seed,
    sgd_bytes,
    simulation_bytes,
)
from .sweep_store import DONE, Layout, SweepStore, signature, write_block

MODES = ("theory", "simulate")
RIDGE_DIMS = BASE_DIMS["ridge"]
DYNAMICS_DIMS = BASE_DIMS["dynamics"]
SGD_DIMS = BASE_DIMS["sgd"]
SEED_DIM = "seed_index"
CONVENTION = RIDGE_CONVENTION
ENSEMBLE_DATA = ("same", "independent")

#: points per theory chunk (float64 fast path, mpmath, ensembles) and the float64 budget of the exact path's sums
_FAST_POINTS = 2**16
_MP_POINTS = 32
_ENSEMBLE_POINTS = 256
_EXACT_ELEMENTS = 2**23
#: the largest step count of an SGD sweep (as the simulation)
_MAX_STEPS = 10**7

# ------------------------------------------------------------------------------ set-up -----------
def _default_chunks(sizes: dict[str, int], target: int) -> dict[str, int]:
    """Chunk lengths filling ``target`` points from the last dimension backwards."""
    out, left = {}, max(1, target)
    for d in reversed(list(sizes)):
        c = max(1, min(sizes[d], left))
        out[d] = c
        left = max(1, left // c)
    return out


def _spectrum_fingerprint(spec: Spectrum) -> str:
    text = spec.describe()
    if spec.finite and spec.M <= 10**7:
        text += ":" + hashlib.sha256(np.ascontiguousarray(spec.eigenvalues(), dtype=np.float64).tobytes()).hexdigest()
    return text


def _stores(out: str | os.PathLike | None) -> tuple[str, str | None, str | None]:
    """``(zarr store path, netCDF path or None, temporary directory or None)`` for ``out``."""
    if out is None:
        tmp = tempfile.mkdtemp(prefix="scalingsym-sweep-")
        return os.path.join(tmp, "sweep.zarr"), None, tmp
    text = os.fspath(out)
    if text.endswith(".zarr") or text.endswith(".zarr/"):
        return text.rstrip("/"), None, None
    if text.endswith(".nc"):
        return text + ".partial.zarr", text, None
    raise ParameterError(f"out must end in .nc (netCDF) or .zarr (a zarr directory); got {text!r}")


def _progress_wanted(quiet: bool) -> bool:
    return not quiet and sys.stderr.isatty()


def local_cluster(workers: int):
    """A ``distributed.LocalCluster`` of ``workers`` single-threaded processes, as ``workers=K`` starts it.

    Its workers run without distributed's default ``MALLOC_TRIM_THRESHOLD_`` (which makes every large numpy
    temporary a fresh ``mmap``: two to three times slower array code); BLAS stays single-threaded.
    """
    import dask
    from distributed import LocalCluster

    env = dict(dask.config.get("distributed.nanny.pre-spawn-environ", {}))
    env.pop("MALLOC_TRIM_THRESHOLD_", None)
    with dask.config.set({"distributed.nanny.pre-spawn-environ": env}):
        return LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=40
        )


def _execute(job: Job, blocks: list[tuple[int, ...]], workers: int | None, scheduler: Any, quiet: bool) -> None:
    if not blocks:
        return
    show = _progress_wanted(quiet)
    if workers is None and scheduler is None:
        import dask

        tasks = [dask.delayed(run, pure=False)(job, b) for b in blocks]
        bar: Any = contextlib.nullcontext()
        if show:
            from dask.diagnostics import ProgressBar

            bar = ProgressBar(out=sys.stderr)
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(os.cpu_count() or 1)
        try:
            with one_blas_thread(), bar:
                dask.compute(*tasks, scheduler="threads", pool=pool)
        finally:
            # on an interruption the chunks already running finish (and are marked done) before we return
            pool.shutdown(wait=True, cancel_futures=True)
        return
    from distributed import Client, progress

    job.limit_blas = True
    with contextlib.ExitStack() as stack:
        if scheduler is not None and not isinstance(scheduler, str):
            client = scheduler  # an existing distributed.Client
        elif scheduler is not None:
            try:
                client = stack.enter_context(Client(scheduler, timeout="20s"))
            except (OSError, TimeoutError, ValueError) as exc:
                raise ParameterError(
                    f"cannot connect to the dask scheduler at {scheduler!r} ({exc}); start one with `dask scheduler` "
                    "and workers with `dask worker ADDRESS`, or use workers=K for a local cluster"
                ) from None
        else:
            cluster = stack.enter_context(local_cluster(workers))
            client = stack.enter_context(Client(cluster))
        futures = client.map(run, [job] * len(blocks), blocks, pure=False)
        if show:
            progress(futures)
        client.gather(futures)


def _resolve_model(model: str | None, given: dict[str, Any]) -> str:
    sgd = [d for d in ("B", "lr", "steps") if given.get(d) is not None]
    if model is None:
        if sgd:
            return "sgd"
        return "dynamics" if given.get("t") is not None else "ridge"
    if model not in MODELS:
        raise ParameterError(f"model must be one of {list(MODELS)}; got {model!r}")
    return model


def _check_arguments(model: str, given: dict[str, Any]) -> None:
    """Refuse a dimension the model does not have, and require the ones it needs."""
    allowed = set(BASE_DIMS[model]) | set(EXTRA_DIMS[model]) | ({"s"} if model == "ridge" else set())
    what = {"ridge": "the ridge model (N, T, gamma or s)", "dynamics": "the gradient flow (N, T, t)",
            "sgd": "one-pass SGD (N, B, lr, steps)"}[model]
    for d, v in given.items():
        if v is not None and d not in allowed:
            hint = {"T": "; one-pass SGD has no T (fresh samples every step)"}.get(d, "") if model == "sgd" else ""
            raise ParameterError(
                f"{d} is not a dimension of {what}; its dimensions are {sorted(allowed)}{hint}"
            )
    need = {"ridge": ("N", "T"), "dynamics": ("N", "T", "t"), "sgd": ("N", "B", "lr", "steps")}[model]
    missing = [d for d in need if given.get(d) is None]
    if missing:
        examples = {"N": "N='10:1e4:40log'", "T": "T='1000'", "t": "t='0:100:11'", "B": "B='1,8'",
                    "lr": "lr='0.1,0.5'", "steps": "steps='0,10,100,1000'"}
        raise ParameterError(
            f"a sweep of {what} needs the grids {' and '.join(missing)} (for example "
            f"{', '.join(examples[d] for d in missing)})"
        )
    if model == "ridge" and given.get("gamma") is not None and given.get("s") is not None:
        raise ParameterError("give either gamma (the ridge) or s (the normalised regulariser gamma_bar/(N T))")
    if given.get("nu") is not None and given.get("a") is not None:
        raise ParameterError("give either nu (power(nu=...)) or a (source(a=...)) as the task dimension, not both")


def _integer_grid(name: str, v: np.ndarray) -> np.ndarray:
    r = np.where(np.isinf(v), v, np.round(v))
    _, first = np.unique(r, return_index=True)
    return r[np.sort(first)]


def _grids(model: str, mode: str, given: dict[str, Any]) -> dict[str, np.ndarray]:
    """The checked grid of every dimension the sweep has, in the dataset's order."""
    sim = mode == "simulate"
    base = list(BASE_DIMS[model])
    if model == "ridge" and given.get("s") is not None:
        base[2] = "s"
    dims = base + [d for d in EXTRA_DIMS[model] if given.get(d) is not None]
    E_given = given.get("E") is not None
    allow_inf = {
        "N": not sim or (model == "dynamics" and not E_given),
        "T": not sim or model == "dynamics",
        "E": not sim,
    }
    grids: dict[str, np.ndarray] = {}
    for d in dims:
        value = given.get(d)
        if value is None:  # the ridge's default regulariser
            value = 0.0
        g = parse_grid(d, value, allow_inf=allow_inf.get(d, False))
        if d in ("N", "T"):
            check_size(d, g, allow_inf=True)
        elif d in ("gamma", "s", "noise"):
            check_ridge(d, g)
        elif d in ("t",) and np.any(g < 0):
            raise ParameterError(f"t must be >= 0; got {g[g < 0][0]}")
        elif d == "E":
            from ..models.ensemble import check_ensemble

            check_ensemble(g)
        elif d == "B":
            bad = (g < 1) | (g != np.round(g))
            if np.any(bad):
                raise ParameterError(f"B (batch size) must be positive integers; got {g[bad][0]:g}")
        elif d == "lr" and np.any(g <= 0):
            raise ParameterError(f"lr must be finite numbers > 0; got {g[g <= 0][0]}")
        elif d == "steps":
            bad = (g < 0) | (g != np.round(g)) | (g > _MAX_STEPS)
            if np.any(bad):
                raise ParameterError(f"steps must be integers in [0, {_MAX_STEPS}]; got {g[bad][0]:g}")
        grids[d] = g
    if sim:
        for d in ("N", "T", "B"):
            if d in grids:
                grids[d] = _integer_grid(d, grids[d])
                if grids[d].min() < 1:
                    raise ParameterError(f"{d} must be >= 1 for a simulation (it is rounded to integers)")
        if "E" in grids and np.any(grids["E"] != np.round(grids["E"])):
            raise ParameterError("E must be integers for a simulation")
    return grids


def _check_limits(model: str, mode: str, grids: dict[str, np.ndarray], precision: Any) -> None:
    """The combinations refused before anything runs (see the module docstring)."""
    has_inf = any(np.any(np.isinf(grids[d])) for d in ("N", "T") if d in grids)
    if model == "ridge" and has_inf and "gamma" in grids and np.any(grids["gamma"] > 0):
        raise ParameterError(
            "gamma > 0 with N = inf or T = inf: the ridge enters as gamma_bar/(N T), which vanishes in that limit; "
            "sweep the normalised regulariser s = gamma_bar/(N T) instead (s='1e-6:1e-2:5log'), or use gamma = 0"
        )
    if "E" in grids:
        if "noise" in grids:
            raise ParameterError("E (ensembles) is computed without label noise: drop noise or E")
        if precision:
            raise ParameterError("E (ensembles) is on the float64 path: drop precision")
        if model == "ridge" and "s" in grids and has_inf:
            raise ParameterError("E with s needs finite N and T (the ensemble is computed from the ridge gamma)")
    if precision and "s" in grids:
        raise ParameterError("precision applies to gamma sweeps (the mpmath path takes the ridge gamma); drop s")


def _check_sgd_stable(spec: Spectrum, grids: dict[str, np.ndarray]) -> None:
    """Refuse an unstable learning rate at any ``(N, B)`` up front (the expected loss would diverge)."""
    from ..models.sgd import OnlineSGD

    probe = OnlineSGD(spec)
    top = float(grids["lr"].max())
    for n in grids["N"]:
        for b in grids["B"]:
            bound = probe.max_lr(int(b), float(n))
            if top >= bound:
                raise ParameterError(
                    f"lr = {top:g} is not stable for B = {int(b)}, N = {float(n):g}: one-pass SGD needs lr < "
                    f"{bound:.6g} there (the largest stable learning rate); lower the lr grid"
                )


def _check_memory(model: str, spec: Spectrum, grids: dict[str, np.ndarray], teachers: int, budget: Any) -> None:
    M = int(spec.M)
    hint = "run it on a cluster with more memory per worker (--scheduler ADDRESS) or use smaller N, T or M"

    def worst(d: str) -> list[float]:
        g = grids[d]
        fin = g[np.isfinite(g)]
        return ([float(fin.max())] if fin.size else []) + ([math.inf] if np.any(np.isinf(g)) else [])

    if model == "ridge":
        n, p = float(grids["N"].max()), float(grids["T"].max())
        need = simulation_bytes(n, p, M, 1 if "E" in grids else teachers)
        where = f"the simulation point N = {int(n)}, T = {int(p)}, M = {M}"
    elif model == "dynamics":
        nt = grids["t"].size
        need, where = 0, ""
        for n in worst("N"):
            for p in worst("T"):
                b = dynamics_bytes(n, p, M, nt)
                if b > need:
                    need, where = b, f"the gradient-flow simulation point N = {n:g}, T = {p:g}, M = {M}"
    else:
        n, b = float(grids["N"].max()), float(grids["B"].max())
        need = sgd_bytes(n, b, M)
        where = f"the SGD simulation point N = {int(n)}, B = {int(b)}, M = {M}"
    require_memory(need, where, budget=budget, hint=hint)


def _chunks(model: str, mode: str, grids: dict[str, np.ndarray], seeds: int, precision: Any, exact_M: int | None,
            user: dict[str, int]) -> dict[str, int]:
    dims = list(grids)
    sizes = {d: grids[d].size for d in dims}
    allowed = set(dims) | ({"seeds"} if mode == "simulate" else set())
    unknown = sorted(set(user) - allowed)
    if unknown:
        raise ParameterError(f"chunks: unknown dimension(s) {unknown}; allowed: {sorted(allowed)}")
    for d in CURVE_DIMS:
        if d in sizes and user.get(d, sizes[d]) != sizes[d]:
            raise ParameterError(
                f"the {'times t' if d == 't' else 'steps'} are not chunked (each curve is one solve over all "
                f"{d}); chunk the other dimensions instead"
            )
    whole = {"gamma", "s", "E", *CURVE_DIMS}
    if mode == "simulate" or model != "ridge":
        ch = {d: (sizes[d] if d in whole else 1) for d in dims}
        if mode == "simulate":
            ch["seeds"] = min(seeds, 4)
    elif precision:
        ch = _default_chunks(sizes, _MP_POINTS)
    elif "E" in grids:
        ch = _default_chunks(sizes, _ENSEMBLE_POINTS)
    else:
        per = _FAST_POINTS if exact_M is None else max(256, min(_FAST_POINTS, _EXACT_ELEMENTS // exact_M))
        ch = _default_chunks(sizes, per)
    ch.update(user)
    for d in dims:
        ch[d] = min(ch[d], sizes[d])
    return ch


def sweep(
    spectrum: str | Spectrum,
    *,
    mode: str = "theory",
    model: str | None = None,
    N: Any = None,
    T: Any = None,
    gamma: Any = None,
    s: Any = None,
    t: Any = None,
    E: Any = None,
    noise: Any = None,
    nu: Any = None,
    a: Any = None,
    B: Any = None,
    lr: Any = None,
    steps: Any = None,
    task: str | Task | None = None,
    ensemble_data: str = "same",
    seeds: int = 8,
    seed: int = 0,
    teachers: int = 8,
    precision: int | None = None,
    fast: bool = False,
    chunks: Any = None,
    out: str | os.PathLike | None = None,
    workers: int | None = None,
    scheduler: Any = None,
    quiet: bool = False,
    memory_budget: Any = None,
    on_chunk: Callable[[tuple[int, ...]], None] | None = None,
    stats: dict | None = None,
):
    """Evaluate a model on a grid and return the labelled dataset (see the module docstring).

    Parameters
    ----------
    spectrum : str or Spectrum
        E.g. ``"powerlaw(alpha=1, M=1000)"`` (parsed by :func:`scalingsym.core.parsing.parse_spectrum`).
    mode : {"theory", "simulate"}
    model : {"ridge", "dynamics", "sgd"}, optional
        Default: ``sgd`` when ``B``, ``lr`` or ``steps`` is given, ``dynamics`` when ``t`` is, else ``ridge``.
    N, T : grid
        Feature count and sample count: a grid string (``"10:1e4:40log"``, ``"100,200"``, ``"100,inf"``), a
        number or a list. ``T`` is the number of training points ``P`` of the gradient flow; SGD has no ``T``.
    gamma : grid
        Ridges ``>= 0`` (ridge model; default 0).
    s : grid
        Normalised regularisers ``s = gamma_bar/(N T) >= 0`` instead of ``gamma`` (ridge model; finite at
        ``N = inf`` or ``T = inf``).
    t : grid, optional
        Training times ``>= 0``: the gradient-flow model.
    E : grid, optional
        Ensemble sizes (integers ``>= 1``; ``inf`` in theory): the loss of the average of ``E`` members.
    noise : grid, optional
        Variance of the Gaussian noise on the training labels (ridge model; the loss is against the noiseless
        target).
    nu, a : grid, optional
        The task as a dimension: ``power(nu=...)`` or ``source(a=...)`` (instead of ``task``).
    B, lr, steps : grid, optional
        Batch sizes, learning rates and step counts of one-pass SGD (every ``lr`` must be stable at every
        ``(N, B)``; checked up front).
    task : str or Task, optional
        Teacher (default isotropic), e.g. ``"power(nu=0.5)"``.
    ensemble_data : {"same", "independent"}
        Whether the ensemble members share the training data.
    seeds, seed, teachers : int
        Monte-Carlo draws per point, the user's seed, teacher vectors per draw (ridge without ``E``).
    precision : int, optional
        Significant digits of the mpmath path (theory, ridge model over ``gamma``); stored as float64.
    fast : bool
        Use the interpolated spectrum of :func:`scalingsym.models.ridge.fast_ridge` (cost per point
        independent of ``M``; its panels are built one at a time, so the values do not depend on the chunking
        or the process). The default for an infinite spectrum; a finite one otherwise uses its exact sums.
    chunks : str or dict, optional
        Chunk length per dimension, e.g. ``"N=4,T=8,seeds=2"``; the seeds are chunked with the key ``seeds``.
    out : path, optional
        ``FILE.nc`` (netCDF, h5netcdf engine; the chunks go to ``FILE.nc.partial.zarr`` until the end) or
        ``DIR.zarr`` (kept, and resumable). Without ``out`` a temporary store is used and removed.
    workers : int, optional
        Start a local ``dask.distributed`` cluster of this many worker processes.
    scheduler : str or distributed.Client, optional
        Address of an existing cluster (or a client of one).
    quiet : bool
        No progress bar (it is shown only on a terminal anyway).
    memory_budget : int or str, optional
        Bytes (``"4G"`` allowed); default from :mod:`scalingsym.core.budget`.
    on_chunk : callable, optional
        Called with the chunk index in the process computing each chunk, before it computes it
        (instrumentation).
    stats : dict, optional
        Filled with ``chunks`` (total), ``computed`` (this call) and ``skipped`` (already done).

    Returns
    -------
    xarray.Dataset
    """
    import xarray as xr

    if mode not in MODES:
        raise ParameterError(f"mode must be one of {list(MODES)}; got {mode!r}")
    given = dict(N=N, T=T, gamma=gamma, s=s, t=t, E=E, noise=noise, nu=nu, a=a, B=B, lr=lr, steps=steps)
    model = _resolve_model(model, given)
    if model == "ridge" and (N is None or T is None):
        raise ParameterError("a sweep needs the grids N and T (for example N='10:1e4:40log', T='1000')")
    _check_arguments(model, given)
    if any(given.get(d) is not None for d in TASK_DIMS) and task is not None:
        raise ParameterError("the task is a dimension here (nu or a): drop task")
    spec, task_obj = objects(spectrum, task)
    if model != "ridge" and precision:
        raise ParameterError(f"precision applies to the ridge model; the {model} theory is float64")
    if precision is not None and (isinstance(precision, bool) or int(precision) != precision or precision < 5):
        raise ParameterError(f"precision must be an integer >= 5 digits; got {precision}")
    if mode == "simulate" and precision:
        raise ParameterError("precision applies to theory sweeps; a simulation is float64")
    if ensemble_data not in ENSEMBLE_DATA:
        raise ParameterError(f"ensemble_data must be one of {list(ENSEMBLE_DATA)}; got {ensemble_data!r}")
    seed = check_seed(seed)
    for name, v in (("seeds", seeds), ("teachers", teachers)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ParameterError(f"{name} must be an integer >= 1; got {v!r}")
    if mode == "simulate" and seeds < 2:
        raise ParameterError(f"seeds must be >= 2 for a standard error; got {seeds}")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ParameterError(f"workers must be an integer >= 1; got {workers!r}")
    if workers is not None and scheduler is not None:
        raise ParameterError("give either workers (a new local cluster) or scheduler (an existing one), not both")

    grids = _grids(model, mode, given)
    dims = tuple(grids)
    _check_limits(model, mode, grids, precision)
    if mode == "simulate":
        if not spec.finite:
            raise ParameterError("a simulation sweep needs a finite spectrum (M < inf); truncate it first")
        _check_memory(model, spec, grids, teachers, memory_budget)
    if model == "sgd":
        _check_sgd_stable(spec, grids)

    task_dim = next((d for d in TASK_DIMS if d in grids), None)
    non_isotropic = task_dim is not None or not (task_obj is None or task_obj.is_isotropic)
    if model == "ridge" and mode == "theory" and not precision and not spec.finite:
        fast = True  # the float64 path of an infinite spectrum is the interpolated one (chunk-invariant)
    if model != "ridge" or mode == "simulate" or precision:
        fast = bool(fast) and model == "ridge" and mode == "theory" and not precision
    # the exact finite-M sums run over every mode at every point (the interpolation covers the isotropic task)
    exact_M = int(spec.M) if spec.finite and (not fast or non_isotropic) else None
    ch = _chunks(model, mode, grids, seeds, precision, exact_M, parse_chunks(chunks))
    if mode == "theory" and model == "ridge" and not precision and exact_M is not None:
        pts = 1 if "E" in grids else math.prod(ch[d] for d in dims[:3])
        require_memory(pts * exact_M * 8 * 8, "a theory chunk (its spectral sums over M modes)", budget=memory_budget,
                       hint="use smaller chunks (chunks='N=1,...') or fast=True (cost independent of M)")

    coords = dict(grids)
    variables: dict[str, tuple[tuple[str, ...], str]]
    if mode == "simulate":
        coords[SEED_DIM] = np.arange(seeds, dtype=np.float64)
        ch[SEED_DIM] = min(ch.pop("seeds"), seeds)
        task_dims = (*dims, SEED_DIM)
        variables = {
            "loss_per_seed": (task_dims, "f8"),
            "loss_mean": (dims, "f8"),
            "loss_stderr": (dims, "f8"),
            "n_seeds": (dims, "i8"),
        }
    else:
        task_dims = dims
        variables = {"loss": (dims, "f8")}
    layout = Layout(task_dims, coords, ch, variables, task_dims)

    if task_dim == "nu":
        task_text = "power(nu=<coordinate nu>)"
    elif task_dim == "a":
        task_text = "source(a=<coordinate a>)"
    else:
        task_text = (task_obj or Task.isotropic()).describe()
    names = {"ridge": "random-feature ridge", "dynamics": "gradient-flow", "sgd": "one-pass SGD"}
    attrs: dict[str, Any] = {
        "title": f"scalingsym {mode} sweep of the {names[model]} model",
        "mode": mode,
        "model": model,
        "spectrum": spec.describe(),
        "task": task_text,
        "convention": CONVENTIONS[model],
        "scalingsym_version": __version__,
        "seed": seed,
        "arithmetic": f"mpmath {precision} digits (stored as float64)" if precision else (
            "float64 (interpolated spectrum, fast_ridge)" if fast else "float64 (exact finite-M sums)"
        ),
    }
    if model == "dynamics":
        attrs["T_meaning"] = "number of training points P of the gradient flow"
    if model == "sgd":
        attrs["steps_meaning"] = "SGD steps taken (gradient-flow time t = lr * steps)"
    if "s" in grids:
        attrs["s_meaning"] = "normalised regulariser s = gamma_bar/(N T), gamma_bar = gamma/u_var"
    if "E" in grids:
        attrs["E_meaning"] = "ensemble size: the loss of the average of E members with independent features"
        attrs["ensemble_data"] = ensemble_data
    if "noise" in grids:
        attrs["noise_meaning"] = "variance of the Gaussian noise on the training labels (loss vs noiseless target)"
    if mode == "simulate":
        attrs.update(seeds=seeds, seed_derivation=SEED_DERIVATION)
        if model == "ridge" and "E" not in grids:
            attrs["teachers"] = teachers
    payload: dict[str, Any] = {
        "format": 1,
        "mode": mode,
        "model": model,
        "spectrum": _spectrum_fingerprint(spec),
        "task": task_text,
        "coords": {d: [float(x).hex() for x in coords[d]] for d in task_dims},
        "chunks": {d: ch[d] for d in task_dims},
        "seeds": seeds if mode == "simulate" else 0,
        "seed": seed,
        "teachers": teachers if mode == "simulate" else 0,
        "precision": int(precision or 0),
        "fast": bool(fast),
        "version": __version__,
    }
    if "E" in grids:
        payload["ensemble_data"] = ensemble_data
    sig = signature(payload)

    zpath, nc_path, tmp = _stores(out)
    try:
        store = SweepStore.open(zpath, layout, sig, attrs)
        todo = store.todo()
        if stats is not None:
            stats.update(chunks=len(layout.blocks()), computed=len(todo), skipped=len(layout.blocks()) - len(todo))
        job = Job(
            mode=mode, model=model, spectrum=spectrum if isinstance(spectrum, str) else spec,
            task=task if isinstance(task, str) or task is None else task_obj, key=sig, dims=dims, path=zpath,
            layout=layout, seeds=seeds, seed=seed, teachers=teachers,
            precision=int(precision) if precision else None, fast=bool(fast), ensemble_data=ensemble_data,
            memory_budget=memory_budget, on_chunk=on_chunk,
        )
        _execute(job, todo, workers, scheduler, quiet)
        if not store.done_mask().all():  # pragma: no cover - a scheduler that returned without running a task
            raise ParameterError("the sweep ended with chunks missing; rerun it with the same arguments to resume")
        if mode == "simulate" and not store.attrs().get("complete"):
            _finalise_simulation(store, dims, seeds)
        store.set_attrs(complete=1)
        ds = xr.open_zarr(zpath, consolidated=False, zarr_format=3, drop_variables=[DONE], chunks=None)
        if nc_path is not None or tmp is not None:
            ds = ds.load()
        order = ["loss"] if mode == "theory" else ["loss_mean", "loss_stderr", "n_seeds", "loss_per_seed"]
        ds = ds[order]
        if mode == "simulate":
            ds[SEED_DIM] = ds[SEED_DIM].astype(np.int64)
        if nc_path is not None:
            ds.to_netcdf(nc_path, engine="h5netcdf")
            shutil.rmtree(zpath, ignore_errors=True)
        return ds
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def _finalise_simulation(store: SweepStore, dims: tuple[str, ...], seeds: int) -> None:
    """``loss_mean``, ``loss_stderr`` and ``n_seeds`` from ``loss_per_seed``, one grid chunk at a time."""
    lay = store.layout
    grid_lay = Layout(dims, lay.coords, lay.chunks, {}, dims)
    for block in grid_lay.blocks():
        region = grid_lay.region(block)
        per = store.read("loss_per_seed", (*region, slice(0, seeds)))
        mean = per.mean(axis=-1)
        se = per.std(axis=-1, ddof=1) / math.sqrt(seeds)
        write_block(store.path, "loss_mean", region, mean)
        write_block(store.path, "loss_stderr", region, se)
        write_block(store.path, "n_seeds", region, np.sum(np.isfinite(per), axis=-1).astype(np.int64))


def describe_dataset(ds) -> dict[str, Any]:
    """A JSON-able summary of a sweep dataset: dimensions, sizes, variables, ranges, attributes."""
    out: dict[str, Any] = {"dims": {d: int(n) for d, n in ds.sizes.items()}, "variables": {}}
    for name, var in ds.data_vars.items():
        vals = np.asarray(var.values, dtype=np.float64)
        fin = vals[np.isfinite(vals)]
        out["variables"][name] = {
            "dims": list(var.dims),
            "min": float(fin.min()) if fin.size else None,
            "max": float(fin.max()) if fin.size else None,
            "non_finite": int(vals.size - fin.size),
        }
    out["attrs"] = {k: (v.item() if hasattr(v, "item") else v) for k, v in ds.attrs.items()}
    return out


__all__ = [
    "CONVENTION", "ENSEMBLE_DATA", "MODELS", "MODES", "describe_dataset", "human_bytes", "local_cluster",
    "point_seed", "simulation_bytes", "sweep",
]
