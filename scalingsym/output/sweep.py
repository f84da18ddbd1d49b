"""Sweeps: loss surfaces and Monte-Carlo grids as labelled :class:`xarray.Dataset` objects, computed on dask.

:func:`sweep` evaluates the ridge model (dimensions ``N, T, gamma``) or the gradient-flow model
(dimensions ``N, T, t``; ``T`` is the number of training points ``P``) on the Cartesian product of the
grids, either from the theory (``mode="theory"``: float64, the interpolated fast path with ``fast=True``, or
mpmath at ``precision`` digits) or by Monte Carlo (``mode="simulate"``, ridge model: ``seeds`` independent
draws per point). The dataset holds ``loss`` (theory) or ``loss_mean``, ``loss_stderr``, ``n_seeds`` and the
draws themselves, ``loss_per_seed`` (simulation), with float coordinates and attributes recording the
spectrum, task, convention, package version and seed.

Execution. The grid (and, for simulations, the seeds) is cut into chunks; each chunk is one dask task,
run by dask's in-process threaded scheduler by default, by a local ``dask.distributed`` cluster of
``workers`` processes, or by an existing cluster at ``scheduler`` (its workers must see the output path:
a shared filesystem). Each task writes its block into a pre-created region of a zarr store
(:mod:`scalingsym.output.sweep_store`) and then sets its done marker, so a sweep that is interrupted
(Ctrl-C, a crashed process, a killed worker) and rerun with the same arguments computes only the missing
chunks; a worker lost mid-sweep is retried by dask. BLAS runs single-threaded inside the tasks (dask
supplies the parallelism).

Determinism. The Monte-Carlo draw ``k`` at the point ``(N, T)`` is seeded with the first 63 bits of
``numpy.random.SeedSequence(seed, spawn_key=(N, T, k))`` (:func:`point_seed`): it depends on the user's seed
and the point's coordinates only, never on the worker, the chunk or the order, and one draw serves every
ridge ``gamma`` (common random numbers, as :func:`~scalingsym.simulate.ridge.simulate_ridge` does). Every
value is computed independently of the others in its chunk, so a sweep is bit-identical in-process, on one
worker or on many, whatever the chunking. In simulations ``N`` and ``T`` are rounded to integers.

Memory guard. A simulation point whose arrays (``M x max(N, T)`` draws, the ``T x N`` features and the SVD
work arrays) would exceed the budget of :mod:`scalingsym.core.budget` (``memory_budget`` argument,
``SCALINGSYM_MEMORY_BUDGET`` or a quarter of the machine's memory) is refused before anything runs.

Examples
--------
>>> ds = sweep("powerlaw(alpha=1, M=200)", N="10:100:3log", T=[50, 400], gamma=[1e-3, 1e-1], quiet=True)
>>> ds["loss"].dims
('N', 'T', 'gamma')
>>> ds["loss"].shape
(3, 2, 2)
>>> ds.attrs["spectrum"]
'powerlaw(alpha=1, M=200, lambda_plus=1)'
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._version import __version__
from ..core.budget import human_bytes, require_memory
from ..core.errors import ParameterError, check_ridge, check_size
from ..core.fastsums import InterpolatedSpectrum
from ..core.parsing import parse_spectrum, parse_task
from ..core.spectra import Spectrum
from ..core.tasks import Task
from ..simulate.draws import check_seed
from .grids import parse_chunks, parse_grid
from .sweep_store import DONE, Layout, SweepStore, mark_done, signature, write_block

MODES = ("theory", "simulate")
RIDGE_DIMS = ("N", "T", "gamma")
DYNAMICS_DIMS = ("N", "T", "t")
SEED_DIM = "seed_index"
CONVENTION = (
    "L = 1/2 E[(z-y)^2] per output; objective 1/2 sum (z-y)^2 + gamma/2 |theta|^2; "
    "Var(w)=sigma_w^2/M, Var(u)=sigma_u^2/M with sigma^2=1 (1 for M=inf)"
)
SEED_DERIVATION = "draw k at (N, T): first 63 bits of numpy.random.SeedSequence(seed, spawn_key=(N, T, k))"

#: points per theory chunk (float64 fast path, mpmath) and the float64 budget of the exact path's sums
_FAST_POINTS = 2**16
_MP_POINTS = 32
_EXACT_ELEMENTS = 2**23


def point_seed(seed: int, N: int, T: int, index: int) -> int:
    """The seed of Monte-Carlo draw ``index`` at ``(N, T)``: 63 bits of ``SeedSequence(seed, spawn_key=(N, T, index))``.

    Examples
    --------
    >>> point_seed(0, 100, 200, 3) == point_seed(0, 100, 200, 3) != point_seed(0, 100, 200, 4)
    True
    """
    ss = np.random.SeedSequence(check_seed(seed), spawn_key=(int(N), int(T), int(index)))
    return int(ss.generate_state(1, np.uint64)[0] >> np.uint64(1))


def simulation_bytes(N: int, T: int, M: int, teachers: int) -> int:
    """Estimated peak memory of one simulation draw: the ``M x max(N, T)`` draws, ``T x N`` features, the SVD.

    Counts ``u`` (``N x M``), ``X`` (``T x M``), the features and their copy in LAPACK (``2 T N``), the thin
    factors ``U``, ``V`` (``r (N + T)``, ``r = min(N, T)``), ``u^T V`` (``M r``) and the teacher arrays.

    Examples
    --------
    >>> simulation_bytes(100, 100, 1000, 8) > 8 * 2 * 100 * 1000
    True
    """
    N, T, M, k = (int(v) for v in (N, T, M, teachers))
    r = min(N, T)
    floats = N * M + T * M + 2 * T * N + r * (N + T) + M * r + 4 * M * k + 2 * T * k
    return 8 * floats


# ------------------------------------------------------------------------------ tasks ------------
@dataclass
class _Job:
    """Everything a task needs (picklable; the model is built once per process and cached)."""

    mode: str
    model: str  # "ridge" or "dynamics"
    spectrum: Any  # str or Spectrum
    task: Any  # str, Task or None
    key: str
    path: str
    layout: Layout
    seeds: int
    seed: int
    teachers: int
    precision: int | None
    fast: bool
    limit_blas: bool
    on_chunk: Callable[[tuple[int, ...]], None] | None = field(default=None)


_MODELS: dict[str, Any] = {}
_MAX_MODELS = 16
_MODELS_LOCK = threading.Lock()


def _objects(spectrum: Any, task: Any) -> tuple[Spectrum, Task | None]:
    spec = parse_spectrum(spectrum) if isinstance(spectrum, str) else spectrum
    if not isinstance(spec, Spectrum):
        raise ParameterError(f"spectrum must be a spectrum string or a Spectrum; got {type(spectrum).__name__}")
    tk = parse_task(task, spec) if isinstance(task, str) else task
    if tk is not None and not isinstance(tk, Task):
        raise ParameterError(f"task must be a task string or a Task; got {type(task).__name__}")
    return spec, tk


class _PanelwiseInterpolated(InterpolatedSpectrum):
    """:class:`~scalingsym.core.fastsums.InterpolatedSpectrum` whose panels are built one at a time.

    Each panel's Chebyshev coefficients are then a function of its lattice index alone, not of which other
    panels were built with it or of the order of the queries, so every process (and every chunking) holds the
    same representation to the bit. The values are those of :func:`~scalingsym.models.ridge.fast_ridge`
    within its interpolation error (``error_bound``).
    """

    def _ensure(self, xmin: float, xmax: float) -> None:
        h = self.h
        lo, hi = math.floor(xmin / h), math.floor(xmax / h) + 1
        b0, b1 = self.panels
        if b1 == b0:
            super()._ensure((lo + 0.5) * h, (lo + 0.5) * h)
            b0, b1 = self.panels
        for i in range(b0 - 1, lo - 1, -1):
            super()._ensure((i + 0.5) * h, (i + 0.5) * h)
        for i in range(b1, hi):
            super()._ensure((i + 0.5) * h, (i + 0.5) * h)


def _model(job: _Job):
    """The model of a sweep, built once per process, and the lock its (theory) evaluations hold.

    The lazily built interpolation tables and compiled expressions are not thread-safe, so the threads of one
    process share one model and evaluate it in turn (they still overlap the store writes).
    """
    key = job.key
    with _MODELS_LOCK:
        cached = _MODELS.get(key)
        if cached is None:
            cached = _MODELS[key] = (_build_model(job), threading.Lock())
            while len(_MODELS) > _MAX_MODELS:  # a long-lived worker keeps the models of its recent sweeps only
                _MODELS.pop(next(iter(_MODELS)))
    return cached


def _build_model(job: _Job):
    spec, task = _objects(job.spectrum, job.task)
    if job.mode == "simulate":
        model = (spec, task)
    elif job.model == "dynamics":
        from ..models.dynamics import GradientFlowRF

        model = GradientFlowRF(spec, task)
    else:
        from ..models.ridge import RandomFeatureRidge

        if job.fast:
            base = RandomFeatureRidge(spec, task)
            model = RandomFeatureRidge(_PanelwiseInterpolated(spec), task, w_var=base.w_var, u_var=base.u_var)
        elif job.precision:
            model = RandomFeatureRidge(spec, task)
        else:
            # the exact finite-M sums of the eigenvalue list: each point's value is independent of the other
            # points evaluated with it (chunk-invariant to the bit)
            from ..core.spectra import ArraySpectrum

            model = RandomFeatureRidge(ArraySpectrum(spec.eigenvalues()), task, w_var=1.0 / spec.M, u_var=1.0 / spec.M)
    return model


def _ridge_theory(model, N, T, g, precision):
    if precision:
        out = np.empty((N.size, T.size, g.size))
        for idx in np.ndindex(out.shape):
            i, j, k = idx
            out[idx] = float(model.solve_mp(float(N[i]), float(T[j]), float(g[k]), dps=precision).loss)
        return out
    Ng, Tg, Gg = np.meshgrid(N, T, g, indexing="ij")
    try:
        return np.asarray(model.loss(Ng, Tg, Gg), dtype=np.float64).reshape(Ng.shape)
    except ParameterError:
        # a point float64 cannot resolve (the regulated peak): NaN there, every other point as usual
        out = np.empty(Ng.shape)
        for idx in np.ndindex(Ng.shape):
            try:
                out[idx] = float(model.loss(Ng[idx], Tg[idx], Gg[idx]))
            except ParameterError:
                out[idx] = np.nan
        return out


def _dynamics_theory(model, N, T, t):
    out = np.empty((N.size, T.size, t.size))
    for i, n in enumerate(N):
        for j, p in enumerate(T):
            out[i, j] = model.loss_curve(t, float(n), float(p)).test_loss
    return out


def _simulate(job: _Job, spec, task, N, T, g, ks):
    from ..simulate.ridge import simulate_ridge

    out = np.empty((N.size, T.size, g.size, ks.size))
    for i, n in enumerate(N):
        for j, p in enumerate(T):
            for a, k in enumerate(ks):
                res = simulate_ridge(
                    spec, int(n), int(p), g, seeds=1, seed=point_seed(job.seed, int(n), int(p), int(k)),
                    teachers=job.teachers, task=task,
                )
                out[i, j, :, a] = res.per_seed[0]
    return out


def _one_blas_thread():
    """A context running BLAS single-threaded (threadpoolctl), or a no-op where threadpoolctl is missing."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        return contextlib.nullcontext()
    return threadpool_limits(1)


def _run(job: _Job, block: tuple[int, ...]) -> tuple[int, ...]:
    """Compute task ``block``, write it into the store, set its done marker; returns ``block``."""
    if job.on_chunk is not None:
        job.on_chunk(tuple(block))
    ctx: Any = contextlib.nullcontext()
    if job.limit_blas:
        ctx = _one_blas_thread()
    lay = job.layout
    region = lay.region(block)
    coords = [np.asarray(lay.coords[d])[r] for d, r in zip(lay.task_dims, region)]
    with ctx:
        model, lock = _model(job)
        if job.mode == "simulate":
            spec, task = model
            values = _simulate(job, spec, task, *coords)
            name = "loss_per_seed"
        else:
            with lock:
                if job.model == "dynamics":
                    values = _dynamics_theory(model, *coords)
                else:
                    values = _ridge_theory(model, *coords, job.precision)
            name = "loss"
    write_block(job.path, name, region, values)
    mark_done(job.path, block)
    return tuple(block)


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


def _integer_grid(name: str, v: np.ndarray) -> np.ndarray:
    r = np.round(v)
    _, first = np.unique(r, return_index=True)
    return r[np.sort(first)]


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


def _execute(job: _Job, blocks: list[tuple[int, ...]], workers: int | None, scheduler: Any, quiet: bool) -> None:
    if not blocks:
        return
    show = _progress_wanted(quiet)
    if workers is None and scheduler is None:
        import dask

        tasks = [dask.delayed(_run, pure=False)(job, b) for b in blocks]
        bar: Any = contextlib.nullcontext()
        if show:
            from dask.diagnostics import ProgressBar

            bar = ProgressBar(out=sys.stderr)
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(os.cpu_count() or 1)
        try:
            with _one_blas_thread(), bar:
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
        futures = client.map(_run, [job] * len(blocks), blocks, pure=False)
        if show:
            progress(futures)
        client.gather(futures)


def sweep(
    spectrum: str | Spectrum,
    *,
    mode: str = "theory",
    N: Any = None,
    T: Any = None,
    gamma: Any = 0.0,
    t: Any = None,
    task: str | Task | None = None,
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
    N, T : grid
        Feature count and sample count: a grid string (``"10:1e4:40log"``, ``"100,200"``), a number or a list.
    gamma : grid
        Ridges ``>= 0`` (ridge model).
    t : grid, optional
        Training times ``>= 0``: selects the gradient-flow model (theory only; then ``gamma`` is not used).
    task : str or Task, optional
        Teacher (default isotropic), e.g. ``"power(nu=0.5)"``.
    seeds, seed, teachers : int
        Monte-Carlo draws per point, the user's seed, teacher vectors per draw.
    precision : int, optional
        Significant digits of the mpmath path (theory, ridge model); the loss is stored as float64.
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
    if N is None or T is None:
        raise ParameterError("a sweep needs the grids N and T (for example N='10:1e4:40log', T='1000')")
    spec, task_obj = _objects(spectrum, task)
    model = "ridge" if t is None else "dynamics"
    if model == "dynamics" and mode == "simulate":
        raise ParameterError("simulate sweeps cover the ridge model (N, T, gamma); drop t, or use mode='theory'")
    if model == "dynamics" and precision:
        raise ParameterError("precision applies to the ridge model; the gradient-flow theory is float64")
    if precision is not None and (isinstance(precision, bool) or int(precision) != precision or precision < 5):
        raise ParameterError(f"precision must be an integer >= 5 digits; got {precision}")
    if mode == "simulate" and precision:
        raise ParameterError("precision applies to theory sweeps; a simulation is float64")
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

    dims = RIDGE_DIMS if model == "ridge" else DYNAMICS_DIMS
    grids = {"N": parse_grid("N", N), "T": parse_grid("T", T)}
    grids[dims[2]] = parse_grid(dims[2], gamma if model == "ridge" else t)
    check_size("N", grids["N"])
    check_size("T", grids["T"])
    if model == "ridge":
        check_ridge("gamma", grids["gamma"])
    elif np.any(grids["t"] < 0):
        raise ParameterError(f"t must be >= 0; got {grids['t'][grids['t'] < 0][0]}")
    if mode == "simulate":
        grids["N"], grids["T"] = _integer_grid("N", grids["N"]), _integer_grid("T", grids["T"])
        for name in ("N", "T"):
            if grids[name].min() < 1:
                raise ParameterError(f"{name} must be >= 1 for a simulation (it is rounded to integers)")
        if not spec.finite:
            raise ParameterError("a simulation sweep needs a finite spectrum (M < inf); truncate it first")
        M = int(spec.M)
        worst = max(simulation_bytes(n, p, M, teachers) for n in (grids["N"].max(),) for p in (grids["T"].max(),))
        require_memory(
            worst,
            f"the simulation point N = {int(grids['N'].max())}, T = {int(grids['T'].max())}, M = {M}",
            budget=memory_budget,
            hint="run it on a cluster with more memory per worker (--scheduler ADDRESS) or use smaller N, T or M",
        )

    if model == "ridge" and mode == "theory" and not precision and not spec.finite:
        fast = True  # the float64 path of an infinite spectrum is the interpolated one (chunk-invariant)
    sizes = {d: grids[d].size for d in dims}
    user = parse_chunks(chunks)
    allowed = set(dims) | ({"seeds"} if mode == "simulate" else set())
    unknown = sorted(set(user) - allowed)
    if unknown:
        raise ParameterError(f"chunks: unknown dimension(s) {unknown}; allowed: {sorted(allowed)}")
    if mode == "simulate":
        ch = {"N": 1, "T": 1, "gamma": sizes["gamma"], "seeds": min(seeds, 4)}
    elif model == "dynamics":
        ch = {"N": 1, "T": 1, "t": sizes["t"]}
    elif precision:
        ch = _default_chunks(sizes, _MP_POINTS)
    else:
        per = _FAST_POINTS if (fast or not spec.finite) else max(256, min(_FAST_POINTS, _EXACT_ELEMENTS // int(spec.M)))
        ch = _default_chunks(sizes, per)
    if model == "dynamics" and user.get("t", sizes["t"]) != sizes["t"]:
        raise ParameterError("the times t are not chunked (each curve is one solve over all t); chunk N or T instead")
    ch.update(user)
    for d in dims:
        ch[d] = min(ch[d], sizes[d])
    if mode == "theory" and model == "ridge" and not precision and not fast and spec.finite:
        elements = math.prod(ch[d] for d in dims) * int(spec.M) * 8 * 8
        require_memory(elements, "a theory chunk (its spectral sums over M modes)", budget=memory_budget,
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

    task_text = (task_obj or Task.isotropic()).describe()
    attrs = {
        "title": f"scalingsym {mode} sweep of the {'random-feature ridge' if model == 'ridge' else 'gradient-flow'} "
        "model",
        "mode": mode,
        "model": model,
        "spectrum": spec.describe(),
        "task": task_text,
        "convention": CONVENTION,
        "scalingsym_version": __version__,
        "seed": seed,
        "arithmetic": f"mpmath {precision} digits (stored as float64)" if precision else (
            "float64 (interpolated spectrum, fast_ridge)" if fast else "float64 (exact finite-M sums)"
        ),
    }
    if model == "dynamics":
        attrs["T_meaning"] = "number of training points P of the gradient flow"
    if mode == "simulate":
        attrs.update(seeds=seeds, teachers=teachers, seed_derivation=SEED_DERIVATION)
    payload = {
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
    sig = signature(payload)

    zpath, nc_path, tmp = _stores(out)
    try:
        store = SweepStore.open(zpath, layout, sig, attrs)
        todo = store.todo()
        if stats is not None:
            stats.update(chunks=len(layout.blocks()), computed=len(todo), skipped=len(layout.blocks()) - len(todo))
        job = _Job(
            mode, model, spectrum if isinstance(spectrum, str) else spec,
            task if isinstance(task, str) or task is None else task_obj, sig, zpath, layout, seeds, seed, teachers,
            int(precision) if precision else None, bool(fast), False, on_chunk,
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
    "CONVENTION", "MODES", "describe_dataset", "human_bytes", "local_cluster", "point_seed", "simulation_bytes",
    "sweep",
]
