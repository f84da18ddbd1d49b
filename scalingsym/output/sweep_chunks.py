"""One chunk of a sweep: build the model (once per process), evaluate the theory or the draws, write the block.

A chunk is a block of the grid (and, in a simulation, of the draw indices). Its values are computed point by
point or as arrays whose every element is independent of the others, so a chunk's bits do not depend on the
chunking, the process or the order (see :mod:`scalingsym.output.sweep`). The models of
:mod:`scalingsym.output.sweep_models` are evaluated here:

* ridge: :class:`~scalingsym.models.ridge.RandomFeatureRidge` (``loss``, ``solve_normalised`` for ``s``,
  ``solve_mp``), :func:`~scalingsym.models.ensemble.static_ensemble` for ``E``;
  :func:`~scalingsym.simulate.ridge.simulate_ridge` and
  :func:`~scalingsym.simulate.ensemble.simulate_static_ensemble`;
* dynamics: :meth:`~scalingsym.models.dynamics.GradientFlowRF.loss_curve`,
  :func:`~scalingsym.models.ensemble.dynamics_ensemble`; :func:`~scalingsym.simulate.dynamics.simulate_dynamics`,
  :func:`~scalingsym.simulate.ensemble.simulate_dynamics_ensemble`;
* sgd: :meth:`~scalingsym.models.sgd.OnlineSGD.loss_curve`; :func:`~scalingsym.simulate.sgd.simulate_sgd`.

Examples
--------
>>> import numpy as np
>>> job = Job(mode="theory", model="ridge", spectrum="powerlaw(alpha=1, M=50)", task=None, key="k",
...           dims=("N", "T", "gamma"))
>>> compute(job, {"N": np.array([10.0]), "T": np.array([20.0]), "gamma": np.array([0.0])})[1].shape
(1, 1, 1)
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.errors import ParameterError
from ..core.fastsums import InterpolatedSpectrum
from ..core.parsing import parse_spectrum, parse_task
from ..core.spectra import Spectrum
from ..core.tasks import Task
from .sweep_models import SEEDED_DIMS, VARIANT_DIMS, point_seed, task_for
from .sweep_store import Layout, mark_done, write_block


@dataclass
class Job:
    """Everything a chunk needs (picklable; the models are built once per process and cached)."""

    mode: str
    model: str  # "ridge", "dynamics" or "sgd"
    spectrum: Any  # str or Spectrum
    task: Any  # str, Task or None
    key: str
    dims: tuple[str, ...] = ()
    path: str = ""
    layout: Layout | None = None
    seeds: int = 0
    seed: int = 0
    teachers: int = 8
    precision: int | None = None
    fast: bool = False
    limit_blas: bool = False
    ensemble_data: str = "same"
    memory_budget: Any = None
    on_chunk: Callable[[tuple[int, ...]], None] | None = field(default=None)

    @property
    def reg(self) -> str:
        """The regulariser dimension of the ridge model: ``gamma`` or ``s``."""
        return "s" if "s" in self.dims else "gamma"


_MODELS: dict[Any, Any] = {}
_MAX_MODELS = 64
_MODELS_LOCK = threading.Lock()


def objects(spectrum: Any, task: Any) -> tuple[Spectrum, Task | None]:
    """The spectrum and task objects of a sweep's arguments (strings parsed, objects checked)."""
    spec = parse_spectrum(spectrum) if isinstance(spectrum, str) else spectrum
    if not isinstance(spec, Spectrum):
        raise ParameterError(f"spectrum must be a spectrum string or a Spectrum; got {type(spectrum).__name__}")
    tk = parse_task(task, spec) if isinstance(task, str) else task
    if tk is not None and not isinstance(tk, Task):
        raise ParameterError(f"task must be a task string or a Task; got {type(task).__name__}")
    return spec, tk


class PanelwiseInterpolated(InterpolatedSpectrum):
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


def model_for(job: Job, values: dict[str, float]):
    """The model of a sweep at the variant coordinates ``values`` (``noise``, ``nu``, ``a``), built once per process.

    Returns ``(model, lock)``: the lazily built interpolation tables and compiled expressions are not
    thread-safe, so the threads of one process evaluate one model in turn (they still overlap the store writes
    and the other models).
    """
    key = (job.key, tuple(sorted(values.items())))
    with _MODELS_LOCK:
        cached = _MODELS.get(key)
        if cached is None:
            cached = _MODELS[key] = (_build(job, values), threading.Lock())
            while len(_MODELS) > _MAX_MODELS:  # a long-lived worker keeps the models of its recent sweeps only
                _MODELS.pop(next(iter(_MODELS)))
    return cached


def _build(job: Job, values: dict[str, float]):
    spec, base_task = objects(job.spectrum, job.task)
    task = task_for(spec, base_task, values)
    if job.mode == "simulate":
        return spec, task
    if job.model == "dynamics":
        from ..models.dynamics import GradientFlowRF

        return GradientFlowRF(spec, task)
    if job.model == "sgd":
        from ..models.sgd import OnlineSGD

        return OnlineSGD(spec, task)
    from ..models.ridge import RandomFeatureRidge

    noise = float(values.get("noise", 0.0))
    if job.fast:
        base = RandomFeatureRidge(spec, task)
        return RandomFeatureRidge(PanelwiseInterpolated(spec), task, w_var=base.w_var, u_var=base.u_var, noise=noise)
    if job.precision:
        return RandomFeatureRidge(spec, task, noise=noise)
    # the exact finite-M sums of the eigenvalue list: each point's value is independent of the other points
    # evaluated with it (chunk-invariant to the bit)
    from ..core.spectra import ArraySpectrum

    return RandomFeatureRidge(
        ArraySpectrum(spec.eigenvalues()), task, w_var=1.0 / spec.M, u_var=1.0 / spec.M, noise=noise
    )


# ------------------------------------------------------------------------------ theory -----------
def _pointwise(fn, shape: tuple[int, ...], *grids: np.ndarray) -> np.ndarray:
    """``fn`` at every point of the broadcast ``grids``, NaN where it refuses the point (float64 cannot resolve it)."""
    out = np.empty(shape)
    for idx in np.ndindex(shape):
        try:
            out[idx] = float(fn(*(g[idx] for g in grids)))
        except ParameterError:
            out[idx] = np.nan
    return out


def ridge_theory(model, N, T, R, precision, reg="gamma"):
    """The loss over ``(N, T, R)`` (``R`` ridges ``gamma`` or normalised regularisers ``s``)."""
    if precision:
        out = np.empty((N.size, T.size, R.size))
        for idx in np.ndindex(out.shape):
            i, j, k = idx
            out[idx] = float(model.solve_mp(float(N[i]), float(T[j]), float(R[k]), dps=precision).loss)
        return out
    Ng, Tg, Rg = np.meshgrid(N, T, R, indexing="ij")

    def one(n, p, r):
        return model.solve_normalised(n, p, r).loss if reg == "s" else model.loss(n, p, r)

    with np.errstate(invalid="ignore"):  # N or T = inf: the models' unused inf * 0 branches
        try:
            return np.asarray(one(Ng, Tg, Rg), dtype=np.float64).reshape(Ng.shape)
        except ParameterError:
            # a point float64 cannot resolve (the regulated peak): NaN there, every other point as usual
            return _pointwise(one, Ng.shape, Ng, Tg, Rg)


def _ridge_ensemble_theory(job: Job, model, N, T, R, E) -> np.ndarray:
    from ..models.ensemble import static_ensemble

    out = np.empty((N.size, T.size, R.size, E.size))
    for i, j, k in np.ndindex(out.shape[:3]):
        n, p, r = float(N[i]), float(T[j]), float(R[k])
        g = r * n * p * model.u_var if job.reg == "s" else r
        try:
            out[i, j, k] = static_ensemble(model, n, p, g, E=E, data=job.ensemble_data).loss
        except ParameterError:
            out[i, j, k] = np.nan
    return out


def _dynamics_theory(job: Job, model, N, T, t, E) -> np.ndarray:
    shape = (N.size, T.size, t.size) + ((E.size,) if E is not None else ())
    out = np.empty(shape)
    for i, n in enumerate(N):
        for j, p in enumerate(T):
            if E is None:
                out[i, j] = model.loss_curve(t, float(n), float(p)).test_loss
            else:
                from ..models.ensemble import dynamics_ensemble

                out[i, j] = dynamics_ensemble(model, t, float(n), float(p), E=E, data=job.ensemble_data).loss.T
    return out


def _sgd_theory(model, N, B, lr, steps) -> np.ndarray:
    out = np.empty((N.size, B.size, lr.size, steps.size))
    for i, n in enumerate(N):
        for b, bb in enumerate(B):
            for m, eta in enumerate(lr):
                # the stability of every (N, B, lr) was checked before the sweep started
                out[i, b, m] = model.loss_curve(steps, float(n), int(bb), float(eta), check=False).test_loss
    return out


# ------------------------------------------------------------------------------ simulation -------
def _sorted(E: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ensemble sizes in increasing order (as the simulations take them) and the permutation back."""
    order = np.argsort(E, kind="stable")
    return E[order].astype(np.int64), np.argsort(order, kind="stable")


def _seeded(values: dict[str, float], **more: float) -> dict[str, float]:
    out = {d: v for d, v in values.items() if d in SEEDED_DIMS}
    out.update(more)
    return out


def _ridge_simulation(job: Job, spec, task, values, N, T, R, E, ks) -> np.ndarray:
    from ..simulate.ensemble import simulate_static_ensemble
    from ..simulate.ridge import simulate_ridge

    noise = float(values.get("noise", 0.0))
    seeded = _seeded(values)
    u_var = 1.0 / spec.M  # the simulation's default Var(u), as in the theory
    shape = (N.size, T.size, R.size) + ((E.size,) if E is not None else ()) + (ks.size,)
    out = np.empty(shape)
    if E is not None:
        Es, back = _sorted(E)
    for i, n in enumerate(N):
        for j, p in enumerate(T):
            gam = R * (float(n) * float(p) * u_var) if job.reg == "s" else R
            for a, k in enumerate(ks):
                sd = point_seed(job.seed, int(n), int(p), int(k), seeded)
                if E is None:
                    res = simulate_ridge(
                        spec, int(n), int(p), gam, seeds=1, seed=sd, teachers=job.teachers, task=task,
                        noise=noise, memory_budget=job.memory_budget,
                    )
                    out[i, j, :, a] = res.per_seed[0]
                    continue
                for m, g in enumerate(gam):
                    ens = simulate_static_ensemble(
                        spec, int(n), int(p), float(g), E=Es, data=job.ensemble_data, seeds=1, seed=sd, task=task
                    )
                    out[i, j, m, :, a] = ens.per_seed[0][back]
    return out


def _dynamics_simulation(job: Job, spec, task, values, N, T, t, E, ks) -> np.ndarray:
    from ..simulate.dynamics import simulate_dynamics
    from ..simulate.ensemble import simulate_dynamics_ensemble

    seeded = _seeded(values)
    shape = (N.size, T.size, t.size) + ((E.size,) if E is not None else ()) + (ks.size,)
    out = np.empty(shape)
    if E is not None:
        Es, back = _sorted(E)
    for i, n in enumerate(N):
        for j, p in enumerate(T):
            for a, k in enumerate(ks):
                sd = point_seed(job.seed, float(n), float(p), int(k), seeded)
                if E is None:
                    res = simulate_dynamics(spec, task, float(n), float(p), t, seeds=1, seed=sd)
                    out[i, j, :, a] = res.per_seed_test[0]
                else:
                    ens = simulate_dynamics_ensemble(
                        spec, task, int(n), float(p), t, E=Es, data=job.ensemble_data, seeds=1, seed=sd
                    )
                    out[i, j, :, :, a] = ens.per_seed[0][back].T
    return out


def _sgd_simulation(job: Job, spec, task, values, N, B, lr, steps, ks) -> np.ndarray:
    from ..simulate.sgd import simulate_sgd

    out = np.empty((N.size, B.size, lr.size, steps.size, ks.size))
    rec = steps.astype(np.int64)
    for i, n in enumerate(N):
        for b, bb in enumerate(B):
            for m, eta in enumerate(lr):
                seeded = _seeded(values, B=float(bb), lr=float(eta))
                for a, k in enumerate(ks):
                    sd = point_seed(job.seed, int(n), math.inf, int(k), seeded)
                    res = simulate_sgd(spec, task, int(n), int(bb), float(eta), rec, seeds=1, seed=sd)
                    out[i, b, m, :, a] = res.per_seed[0]
    return out


# ------------------------------------------------------------------------------ a chunk ----------
def _variants(job: Job, coords: dict[str, np.ndarray]) -> Iterator[tuple[tuple[int, ...], dict[str, float]]]:
    vdims = [d for d in job.dims if d in VARIANT_DIMS]
    for idx in np.ndindex(*(coords[d].size for d in vdims)):
        yield idx, {d: float(coords[d][i]) for d, i in zip(vdims, idx)}


def compute(job: Job, coords: dict[str, np.ndarray]) -> tuple[str, np.ndarray]:
    """``(variable name, values)`` of the chunk with coordinates ``coords`` (one array per dimension)."""
    sim = job.mode == "simulate"
    shape = tuple(coords[d].size for d in job.dims) + ((coords["seed_index"].size,) if sim else ())
    out = np.empty(shape)
    E = coords.get("E")
    for idx, values in _variants(job, coords):
        model, lock = model_for(job, values)
        where = (Ellipsis, *idx, slice(None)) if sim else (Ellipsis, *idx)
        if sim:
            spec, task = model
            ks = coords["seed_index"]
            if job.model == "ridge":
                block = _ridge_simulation(job, spec, task, values, coords["N"], coords["T"], coords[job.reg], E, ks)
            elif job.model == "dynamics":
                block = _dynamics_simulation(job, spec, task, values, coords["N"], coords["T"], coords["t"], E, ks)
            else:
                block = _sgd_simulation(
                    job, spec, task, values, coords["N"], coords["B"], coords["lr"], coords["steps"], ks
                )
        else:
            with lock:
                if job.model == "ridge" and E is not None:
                    block = _ridge_ensemble_theory(job, model, coords["N"], coords["T"], coords[job.reg], E)
                elif job.model == "ridge":
                    block = ridge_theory(model, coords["N"], coords["T"], coords[job.reg], job.precision, job.reg)
                elif job.model == "dynamics":
                    block = _dynamics_theory(job, model, coords["N"], coords["T"], coords["t"], E)
                else:
                    block = _sgd_theory(model, coords["N"], coords["B"], coords["lr"], coords["steps"])
        out[where] = block
    return ("loss_per_seed" if sim else "loss"), out


def one_blas_thread():
    """A context running BLAS single-threaded (threadpoolctl), or a no-op where threadpoolctl is missing."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        return contextlib.nullcontext()
    return threadpool_limits(1)


def run(job: Job, block: tuple[int, ...]) -> tuple[int, ...]:
    """Compute chunk ``block``, write it into the store, set its done marker; returns ``block``."""
    if job.on_chunk is not None:
        job.on_chunk(tuple(block))
    ctx: Any = one_blas_thread() if job.limit_blas else contextlib.nullcontext()
    lay = job.layout
    assert lay is not None
    region = lay.region(block)
    coords = {d: np.asarray(lay.coords[d])[r] for d, r in zip(lay.task_dims, region)}
    with ctx:
        name, values = compute(job, coords)
    write_block(job.path, name, region, values)
    mark_done(job.path, block)
    return tuple(block)


__all__ = ["Job", "PanelwiseInterpolated", "compute", "model_for", "objects", "one_blas_thread", "ridge_theory", "run"]
