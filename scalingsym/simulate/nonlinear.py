"""Learning-curve Monte Carlo of nonlinear random features (regression of ``y`` on ``phi``).

Checks :func:`scalingsym.models.nonlinear.learning_curve_theory`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..models.nonlinear import NonlinearFeatures
from .draws import generator


@dataclass
class LearningCurve:
    """Monte-Carlo test loss per training-set size."""

    T: np.ndarray
    loss_mean: np.ndarray
    loss_stderr: np.ndarray


def simulate_learning_curve(
    feats: NonlinearFeatures,
    T: Any,
    *,
    ridge: float = 0.0,
    seeds: int = 16,
    teachers: int = 16,
    seed: int = 0,
    w_var: float | None = None,
) -> LearningCurve:
    """Seeded simulation of ridge(less) regression on the actual nonlinear features (fixed ``U``).

    Per seed: ``T`` latent samples, ``teachers`` teachers ``w ~ N(0, w_var)``, ``theta`` by SVD (minimum norm at
    ``ridge = 0``); the test loss is exact given ``theta``:
    ``1/2 (theta^T E[phi phi^T] theta - 2 theta^T E[phi x^T] w + w^T Lambda w)`` with the exact second moment
    (arc-cosine kernel for ReLU; Hermite series otherwise).
    """
    wv = 1.0 / feats.M if w_var is None else float(w_var)
    Ts = np.atleast_1d(np.asarray(T, dtype=np.float64))
    rng = generator(seed)
    C, B, lam = feats.second_moment, feats.cross_moment, feats.lam
    per = np.empty((seeds, Ts.size))
    for i in range(seeds):
        for j, t in enumerate(Ts.astype(int)):
            X = rng.standard_normal((t, feats.M)) * np.sqrt(lam)
            W = rng.standard_normal((feats.M, teachers)) * math.sqrt(wv)
            Phi = feats.features(X)
            U_, sv, Vt = np.linalg.svd(Phi, full_matrices=False)
            if ridge > 0:
                filt = sv / (sv**2 + ridge)
            else:
                keep = sv > sv.max() * max(Phi.shape) * np.finfo(np.float64).eps
                filt = np.where(keep, 1.0 / np.where(keep, sv, 1.0), 0.0)
            th = Vt.T @ (filt[:, None] * (U_.T @ (X @ W)))
            err = np.sum(th * (C @ th), 0) - 2 * np.sum(th * (B @ W), 0) + np.sum(lam[:, None] * W**2, 0)
            per[i, j] = 0.5 * float(np.mean(err))
    return LearningCurve(Ts, per.mean(0), per.std(0, ddof=1) / math.sqrt(seeds))


__all__ = ["LearningCurve", "simulate_learning_curve"]
