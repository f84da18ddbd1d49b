"""Seeded Monte Carlo of one-pass SGD in the random-feature model, streaming fresh samples.

Conventions of :mod:`scalingsym.models.sgd`: ``A_ik ~ N(0, 1)`` (``N x M``), latent samples
``psi ~ N(0, Lambda)``, teacher ``y = w* . psi`` (``w*_k = sqrt(w2_k)``), student ``f = theta . A psi/sqrt(N)``
from ``theta = 0``; each step draws ``B`` fresh samples and steps ``lr_r`` on ``(1/2B) sum_b (f_b - y_b)^2``.
The test loss ``v^T Lambda v`` (``v = w* - A^T theta/sqrt(N)``) is exact (no test sampling).

Two samplers of the same process:

* ``method="direct"``: draw the batch ``Psi`` (``B x M``) and update ``v <- v - (lr/B) F Psi^T Psi v``
  (``F = A^T A/N``), ``O(M^2)`` per step;
* ``method="reduced"`` (default): with ``G = Lambda^{1/2} A^T / sqrt(N) = U S V^T`` and
  ``u = Lambda^{1/2} v = U a + u_perp``, a batch ``Psi = Z Lambda^{1/2}`` (``Z`` standard normal) acts only
  through ``Z U`` (``B x r`` standard normal) and ``Z u_perp = |u_perp| z`` (``z ~ N(0, I_B)``, independent,
  because ``u_perp`` is orthogonal to ``range U``), and ``u_perp`` never moves. So
  ``a <- a - (lr/B) S^2 (Z_1^T (Z_1 a + |u_perp| z))`` with fresh ``Z_1, z`` each step is the same process
  in distribution, at ``O(B r)`` per step (``r = min(N, M)``), vectorised over seeds.

Examples
--------
>>> from scalingsym.core.spectra import PowerLaw
>>> res = simulate_sgd(PowerLaw(alpha=0.5, M=50), None, N=20, B=4, lr=0.5, steps=[0, 10], seeds=3)
>>> bool(abs(res.loss_mean[0] - sum(k**-1.5 for k in range(1, 51))) < 1e-12)
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.budget import require_memory
from ..core.errors import ParameterError
from ..core.spectra import Spectrum
from ..core.tasks import Task
from .draws import dynamics_setup, generator, mean_se, positive_ints

__all__ = ["SGDSimulation", "simulate_sgd", "simulate_multipass_sgd", "power_law_schedule"]


@dataclass
class SGDSimulation:
    """Seed-averaged test loss at ``steps``; ``loss_stderr`` is the standard error over seeds."""

    steps: np.ndarray
    loss_mean: np.ndarray
    loss_stderr: np.ndarray
    per_seed: np.ndarray


def power_law_schedule(lr: float, r0: float, decay: float):
    """``lr_r = lr (1 + r/r0)^-decay`` as a function of the step index ``r`` (``r0 > 0``, ``decay >= 0``)."""
    if not (math.isfinite(r0) and r0 > 0 and math.isfinite(decay) and decay >= 0):
        raise ParameterError(f"schedule needs r0 > 0 and decay >= 0; got r0={r0}, decay={decay}")
    return lambda r: lr * (1.0 + r / r0) ** (-decay)


def _record_steps(steps: Any) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(steps, dtype=np.float64)).ravel()
    if arr.size == 0 or np.any(~np.isfinite(arr)) or np.any(arr < 0) or np.any(arr != np.round(arr)):
        raise ParameterError(f"steps must be integers >= 0; got {steps}")
    if arr.max() > 1e7:
        raise ParameterError(f"steps must be <= 1e7 for a simulation; got {arr.max():g}")
    return arr.astype(np.int64)


def simulate_sgd(
    spectrum: Spectrum,
    task: Task | None,
    N: int,
    B: int,
    lr: Any,
    steps: Any,
    *,
    seeds: int = 16,
    seed: int = 0,
    method: str = "reduced",
) -> SGDSimulation:
    """Monte-Carlo test loss of one-pass SGD at the given step counts.

    Parameters
    ----------
    spectrum : Spectrum
        Finite spectrum.
    task : Task or None
        Teacher ``w2_k``; None is isotropic.
    N, B : int
        Model size and batch size.
    lr : float or callable
        Constant step, or ``lr(r)`` for the step taken at index ``r`` (e.g. :func:`power_law_schedule`).
    steps : array_like of int
        Step counts at which to record the loss.
    seeds, seed : int
        Independent runs (fresh ``A`` each) and the seed of :func:`~scalingsym.simulate.draws.generator`.
    method : {"reduced", "direct"}
        Sampler (same process; see the module docstring).
    """
    if not spectrum.finite:
        raise ParameterError("simulation needs a finite spectrum (M < inf)")
    N, B, seeds = positive_ints(N=N, B=B, seeds=seeds)
    if method not in ("reduced", "direct"):
        raise ParameterError(f"method must be 'reduced' or 'direct'; got {method!r}")
    if callable(lr):
        rate = lr
    else:
        x = float(lr)
        if not (math.isfinite(x) and x > 0):
            raise ParameterError(f"lr must be a finite number > 0; got {lr!r}")
        rate = lambda r: x  # noqa: E731
    rec = _record_steps(steps)
    lam, M, w, sql = dynamics_setup(spectrum, task)
    rng = generator(seed)
    total = int(rec.max())
    per = np.empty((seeds, rec.size))
    order = np.argsort(rec)
    if method == "direct":
        for i in range(seeds):
            A = rng.standard_normal((N, M))
            v = w.copy()
            j = 0
            for r in range(total + 1):
                while j < rec.size and rec[order[j]] == r:
                    per[i, order[j]] = float(np.sum(lam * v * v))
                    j += 1
                if r == total:
                    break
                Psi = rng.standard_normal((B, M)) * sql
                g = Psi.T @ (Psi @ v)
                v = v - (rate(r) / B) * (A.T @ (A @ g)) / N
                if not np.all(np.isfinite(v)):
                    raise ParameterError(f"SGD diverged at step {r}: lower lr")
        mean, se = mean_se(per)
        return SGDSimulation(rec, mean, se, per)
    rk = min(N, M)
    a = np.empty((seeds, rk))
    S2 = np.empty((seeds, rk))
    nperp = np.empty(seeds)
    u0 = sql * w
    for i in range(seeds):
        A = rng.standard_normal((N, M))
        U, S, _ = np.linalg.svd(A.T * sql[:, None] / math.sqrt(N), full_matrices=False)
        a[i] = U.T @ u0
        nperp[i] = float(np.linalg.norm(u0 - U @ a[i]))
        S2[i] = S**2
    j = 0
    for r in range(total + 1):
        while j < rec.size and rec[order[j]] == r:
            per[:, order[j]] = np.sum(a * a, axis=1) + nperp**2
            j += 1
        if r == total:
            break
        Z1 = rng.standard_normal((seeds, B, rk))
        z = rng.standard_normal((seeds, B))
        g = np.matmul(Z1, a[:, :, None])[:, :, 0] + nperp[:, None] * z
        a -= (rate(r) / B) * S2 * np.matmul(g[:, None, :], Z1)[:, 0, :]
        if not np.all(np.isfinite(a)):
            raise ParameterError(f"SGD diverged at step {r}: lower lr")
    mean, se = mean_se(per)
    return SGDSimulation(rec, mean, se, per)


def simulate_multipass_sgd(
    spectrum: Spectrum,
    task: Task | None,
    N: int,
    P: int,
    B: int,
    lr: Any,
    steps: Any,
    *,
    seeds: int = 16,
    seed: int = 0,
) -> SGDSimulation:
    """Monte-Carlo test loss of multi-pass SGD on ``P`` fixed training samples (data reuse).

    Each run draws ``A`` (``N x M``) and the ``P`` samples once; the steps sweep epochs, each a fresh random
    permutation of the samples cut into consecutive batches of ``B`` (a batch that would cross the end of an
    epoch wraps into the next permutation), with step ``lr`` on ``(1/2B) sum_b (f_b - y_b)^2``. Test loss
    ``v^T Lambda v`` exactly. ``P = B`` is full-batch gradient descent.

    Parameters
    ----------
    spectrum, task, N, B, lr, steps, seeds, seed
        As :func:`simulate_sgd` (``lr`` a constant).
    P : int
        Number of training samples (``>= B``).

    Examples
    --------
    >>> from scalingsym.core.spectra import PowerLaw
    >>> res = simulate_multipass_sgd(PowerLaw(alpha=0.5, M=50), None, N=20, P=40, B=4, lr=0.5, steps=[0, 10],
    ...                              seeds=2)
    >>> bool(abs(res.loss_mean[0] - sum(k**-1.5 for k in range(1, 51))) < 1e-12)
    True
    """
    if not spectrum.finite:
        raise ParameterError("simulation needs a finite spectrum (M < inf)")
    N, P, B, seeds = positive_ints(N=N, P=P, B=B, seeds=seeds)
    if B > P:
        raise ParameterError(f"B (batch size) must be <= P (training samples); got B={B}, P={P}")
    x = float(lr)
    if not (math.isfinite(x) and x > 0):
        raise ParameterError(f"lr must be a finite number > 0; got {lr!r}")
    rec = _record_steps(steps)
    lam, M, w, sql = dynamics_setup(spectrum, task)
    require_memory(8.0 * (N * M + P * M + 2.0 * P * N), f"a multi-pass SGD draw at N = {N}, P = {P}, M = {M}",
                   hint="use smaller N, P or M")
    rng = generator(seed)
    total = int(rec.max())
    order = np.argsort(rec)
    per = np.empty((seeds, rec.size))
    for i in range(seeds):
        A = rng.standard_normal((N, M))
        Psi = rng.standard_normal((P, M)) * sql
        y = Psi @ w
        Phi = Psi @ A.T / math.sqrt(N)
        theta = np.zeros(N)
        perm, pos = rng.permutation(P), 0
        j = 0
        for r in range(total + 1):
            while j < rec.size and rec[order[j]] == r:
                v = w - A.T @ theta / math.sqrt(N)
                with np.errstate(over="ignore", invalid="ignore"):
                    per[i, order[j]] = float(np.sum(lam * v * v))
                if not math.isfinite(per[i, order[j]]):
                    raise ParameterError(f"SGD diverged by step {r}: lower lr")
                j += 1
            if r == total:
                break
            if pos + B > P:
                idx = perm[pos:]
                perm, pos = rng.permutation(P), B - idx.size
                idx = np.concatenate([idx, perm[:pos]])
            else:
                idx = perm[pos:pos + B]
                pos += B
            Pb = Phi[idx]
            with np.errstate(over="ignore", invalid="ignore"):
                theta -= (x / B) * (Pb.T @ (Pb @ theta - y[idx]))
            if not np.all(np.isfinite(theta)):
                raise ParameterError(f"SGD diverged at step {r}: lower lr")
    mean, se = mean_se(per)
    return SGDSimulation(rec, mean, se, per)
