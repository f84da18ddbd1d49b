"""Shift-invariant kernels on the ``d``-torus: exact spectra, the kernel exponent, and kernel-regression Monte Carlo.

On the torus ``[0, 2 pi)^d`` with the uniform measure, a shift-invariant kernel
``k(x, x') = sum_{n in Z^d} c_n exp(i n . (x - x'))`` is diagonal in the Fourier basis: its eigenvalues are the
Fourier coefficients ``c_n`` (each real pair ``n, -n`` gives the orthonormal functions ``sqrt 2 cos(n.x)``,
``sqrt 2 sin(n.x)``). Sorting ``c_n`` over the lattice gives the eigenvalue sequence ``lambda_j``.

The Matern kernel of smoothness ``nu`` and length scale ``ell`` has ``c_n = (1 + |n|^2/ell^2)^-(nu + d/2)``
(up to normalisation). With ``#{n : |n| <= R} ~ V_d R^d`` (``V_d`` the volume of the unit ``d``-ball),
``lambda_j ~ ell^(2 nu + d) (j / V_d)^-(1 + 2 nu/d)``, so ``alpha_K = 2 nu / d``: the ``1/d`` dependence of
Bahri et al. (``dynamics_and_regimes.md`` B6; their ``C^t`` kernel with ``t = 2 nu``).

:func:`scalingsym.simulate.kernels.simulate_torus_krr` runs kernel ridge(less) regression on uniform points of the
torus with a teacher
drawn from the kernel's Gaussian process (isotropic in the eigenbasis, ``Var = 1/S``, Bahri's teacher) and
computes the test error exactly by Parseval. :func:`torus_krr_theory` gives the core's deterministic
equivalent (``RandomFeatureRidge`` with ``N = inf``, ``T = D`` on the exact torus spectrum).

Limitation, measured (``derivations/bahri_regimes.py``, Matern ``nu = 2``): for ``d = 2, 3, 4`` the simulated
learning curve has the exponent ``2 nu/d`` within 2-4% and lies 1.1-1.7 times above the deterministic
equivalent; for ``d = 1`` it lies 5-11 times above it (growing with ``D`` over ``D = 16..128``) and its fitted
exponent is 3.6 instead of 4. On the circle, uniform random points leave exponentially distributed gaps that
control the interpolation error of a smooth kernel, and the Fourier features are far from Gaussian; the
Gaussian-design equivalent does not see that. Do not use the deterministic prefactor in ``d = 1``.

Examples
--------
>>> kern = TorusMatern(d=1, nu=2, radius=3)
>>> kern.eigenvalues()[:3].round(8).tolist()  # c_0, then the pair n = +-1: 2^-(5/2)
[1.0, 0.1767767, 0.1767767]
"""

from __future__ import annotations

import itertools
import math
from functools import cached_property
from typing import Any

import numpy as np
import sympy as sp

from ..core.errors import ParameterError, check_size
from ..core.spectra import ArraySpectrum
from .ridge import RandomFeatureRidge

#: symbols: torus dimension and Matern smoothness (local to this module)
d_sym = sp.Symbol("d", positive=True, integer=True)
nu_sym = sp.Symbol("nu", positive=True)
ell_sym = sp.Symbol("ell", positive=True)
_R = sp.Symbol("R", positive=True)
_j = sp.Symbol("j", positive=True)


def _lattice_ball(d: int, radius: float) -> np.ndarray:
    """Integer vectors ``n`` in ``Z^d`` with ``|n| <= radius`` and ``n >= 0`` lexicographically (one of each pair)."""
    r = int(math.floor(radius))
    axes = [np.arange(-r, r + 1)] * d
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, d)
    grid = grid[np.sum(grid**2, axis=1) <= radius**2 + 1e-9]
    # keep n = 0 and the lexicographically positive member of each +-n pair
    nz = grid != 0
    first = np.where(nz.any(axis=1), np.argmax(nz, axis=1), 0)
    sign = grid[np.arange(grid.shape[0]), first]
    return grid[(sign > 0) | ~nz.any(axis=1)]


class TorusMatern:
    """The Matern kernel on the ``d``-torus, truncated to the Fourier modes ``|n| <= radius``.

    Parameters
    ----------
    d : int
        Torus dimension, ``>= 1``.
    nu : float
        Smoothness, ``> 0``: ``c_n = (1 + |n|^2 / ell^2)^-(nu + d/2)``.
    radius : float
        Fourier cutoff (complete shells only); the number of modes ``S ~ V_d radius^d``.
    ell : float
        Length scale, ``> 0``.

    Examples
    --------
    >>> k = TorusMatern(d=2, nu=1, radius=2)
    >>> k.S, k.eigenvalues()[0]  # 13 lattice points in the disc of radius 2
    (13, np.float64(1.0))
    """

    def __init__(self, d: int, nu: float, radius: float, ell: float = 1.0) -> None:
        if int(d) != d or d < 1 or d > 8:
            raise ParameterError(f"d must be an integer in 1..8; got {d}")
        for name, v in (("nu", nu), ("radius", radius), ("ell", ell)):
            if not math.isfinite(float(v)) or float(v) <= 0:
                raise ParameterError(f"{name} must be a finite number > 0; got {v}")
        if (2 * radius + 1) ** d > 5e7:
            raise ParameterError(f"radius {radius} in d = {d} makes too many lattice points; lower it")
        self.d, self.nu, self.radius, self.ell = int(d), float(nu), float(radius), float(ell)

    @classmethod
    def with_modes(cls, d: int, nu: float, S_min: int, ell: float = 1.0) -> TorusMatern:
        """The smallest cutoff (complete shells) with at least ``S_min`` modes."""
        vd = math.pi ** (d / 2) / math.gamma(d / 2 + 1)
        r = max(1.0, (S_min / vd) ** (1.0 / d))
        while True:
            k = cls(d, nu, r, ell)
            if k.S >= S_min:
                return k
            r *= 1.05

    @cached_property
    def _modes(self) -> tuple[np.ndarray, np.ndarray]:
        half = _lattice_ball(self.d, self.radius)
        n2 = np.sum(half**2, axis=1).astype(np.float64)
        c = (1.0 + n2 / self.ell**2) ** (-(self.nu + self.d / 2))
        order = np.argsort(-c, kind="stable")
        return half[order], c[order]

    @property
    def S(self) -> int:
        """Number of real modes (lattice points in the ball)."""
        half, _ = self._modes
        return 2 * half.shape[0] - 1

    def eigenvalues(self) -> np.ndarray:
        """All ``S`` eigenvalues, sorted decreasingly (each nonzero ``c_n`` twice: cos and sin)."""
        _, c = self._modes
        return np.concatenate([c[:1], np.repeat(c[1:], 2)])

    def spectrum(self) -> ArraySpectrum:
        """The exact (truncated) spectrum as an :class:`~scalingsym.core.spectra.ArraySpectrum`."""
        return ArraySpectrum(self.eigenvalues(), name=f"torus_matern(d={self.d}, nu={self.nu:g}, S={self.S})")

    def features(self, x: np.ndarray) -> np.ndarray:
        """Orthonormal eigenfunctions at points ``x`` (``(n, d)``): columns ``1, sqrt2 cos(n.x), sqrt2 sin(n.x)``."""
        half, _ = self._modes
        ph = np.asarray(x, dtype=np.float64) @ half[1:].T.astype(np.float64)
        out = np.empty((ph.shape[0], self.S))
        out[:, 0] = 1.0
        out[:, 1::2] = math.sqrt(2) * np.cos(ph)
        out[:, 2::2] = math.sqrt(2) * np.sin(ph)
        return out

    def kernel(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """``k(x, y) = sum_n c_n cos(n.(x - y))`` over the truncated lattice (Gram matrix)."""
        lam = self.eigenvalues()
        return (self.features(x) * lam) @ self.features(y).T








def torus_krr_theory(kern: TorusMatern, D: Any, ridge: float = 0.0) -> np.ndarray:
    """The core's deterministic equivalent of :func:`simulate_torus_krr` (same conventions).

    ``RandomFeatureRidge(ArraySpectrum(lambda), w_var=1/S, u_var=1)`` at ``N = inf``, ``T = D``: kernel
    regression is the ``N -> inf`` limit, with normalised regulariser ``s = ridge / D``.

    Examples
    --------
    >>> k = TorusMatern(1, 2, 50)
    >>> bool(torus_krr_theory(k, 10.0) > torus_krr_theory(k, 20.0))
    True
    """
    spec = kern.spectrum()
    model = RandomFeatureRidge(spec, w_var=1.0 / spec.M, u_var=1.0)
    Ds = np.asarray(check_size("D", D), dtype=np.float64)
    return model.solve_normalised(math.inf, Ds, ridge / Ds).loss


def lattice_count(d: int, radius: float) -> int:
    """Number of integer points with ``|n| <= radius`` in ``Z^d`` (brute force; for checks).

    >>> lattice_count(2, 2)
    13
    """
    r = int(math.floor(radius))
    return sum(1 for v in itertools.product(range(-r, r + 1), repeat=d) if sum(t * t for t in v) <= radius**2 + 1e-9)


__all__ = [
    "TorusMatern",
    "d_sym",
    "lattice_count",
    "nu_sym",
    "torus_krr_theory",
]
