"""Teachers: the variance of the teacher weight in each latent mode.

A task gives ``w2_k = E[w_k^2]`` up to the overall factor ``w_var``; the *task power* (the target
variance carried by mode ``k``) is ``lambda_k * w2_k``. The isotropic teacher of Maloney-Roberts-Sully
and Zhang has ``w2_k = 1``; the power-law task of Bordelon et al. (``lambda_k w2_k = k^-a`` with
``lambda_k = k^-b``) has ``w2_k = k^-(a-b)``.

Examples
--------
>>> from scalingsym.core.tasks import Task
>>> Task.isotropic().is_isotropic
True
>>> Task.power(0.5).weights_np(__import__("numpy").array([1.0, 4.0]))
array([1. , 0.5])
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mpmath
import numpy as np

from .errors import ParameterError


@dataclass(frozen=True)
class Task:
    """Teacher-weight variances ``w2_k``: isotropic, a power ``k^-nu``, or an explicit array.

    Parameters
    ----------
    nu : float
        Power of the weight, ``w2_k = k^-nu`` (``0`` is isotropic). Ignored when ``values`` is given.
    values : numpy.ndarray or None
        Explicit ``w2_k`` for ``k = 1..len(values)`` (finite spectra only).
    """

    nu: float = 0.0
    values: np.ndarray | None = field(default=None, compare=False)

    @classmethod
    def isotropic(cls) -> Task:
        """The isotropic teacher ``w2_k = 1``."""
        return cls(0.0)

    @classmethod
    def power(cls, nu: float) -> Task:
        """``w2_k = k^-nu``."""
        nu = float(nu)
        if not np.isfinite(nu):
            raise ParameterError(f"nu must be a finite number; got {nu}")
        return cls(nu)

    @classmethod
    def array(cls, values) -> Task:
        """Explicit finite, non-negative ``w2_k``."""
        v = np.asarray(values, dtype=np.float64).ravel()
        if v.size == 0 or not np.all(np.isfinite(v)) or np.any(v < 0):
            raise ParameterError("task values must be a non-empty array of finite numbers >= 0")
        return cls(float("nan"), v)

    @property
    def is_isotropic(self) -> bool:
        """True when ``w2_k`` is constant."""
        return self.values is None and self.nu == 0.0

    def weights_np(self, k: np.ndarray) -> np.ndarray:
        """``w2_k`` at (1-based) indices ``k`` as float64."""
        k = np.asarray(k, dtype=np.float64)
        if self.values is not None:
            if k.size and k.max() > self.values.size:
                raise ParameterError(
                    f"task has {self.values.size} values but mode {int(k.max())} was requested"
                )
            return self.values[k.astype(np.int64) - 1]
        if self.nu == 0.0:
            return np.ones_like(k)
        return k ** (-self.nu)

    def weight_mp(self, k: int):
        """``w2_k`` as an mpmath number at the working precision."""
        if self.values is not None:
            return mpmath.mpf(self.values[int(k) - 1])
        if self.nu == 0.0:
            return mpmath.mpf(1)
        return mpmath.mpf(k) ** (-mpmath.mpf(self.nu))

    def describe(self) -> str:
        """A short human-readable description."""
        if self.values is not None:
            return f"array({self.values.size})"
        return "isotropic" if self.nu == 0.0 else f"power(nu={self.nu:g})"
