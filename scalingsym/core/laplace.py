"""Numerical inverse Laplace transforms on fixed-Talbot contours, in one and two variables.

The fixed-Talbot method (Abate and Valko 2004) deforms the Bromwich line into the contour

.. math:: s(\\theta) = r\\,\\theta(\\cot\\theta + i), \\qquad -\\pi < \\theta < \\pi,\\qquad r = \\frac{2 n}{5 t}\\,c,

which wraps the negative real axis (where the transforms of gradient-flow losses have their cuts) and
applies the trapezoidal rule with ``2n - 1`` nodes ``theta_k = k pi / n``:

.. math:: f(t) \\approx \\frac{r}{2n}\\sum_{k=-(n-1)}^{n-1} e^{t s_k}(1 + i\\sigma_k) F(s_k), \\qquad
          \\sigma(\\theta) = \\theta + (\\theta\\cot\\theta - 1)\\cot\\theta .

For a real ``f`` the nodes come in conjugate pairs, so only ``theta_k >= 0`` is evaluated. In exact
arithmetic the error falls like ``10^{-0.6 n}``; in float64 the round-off is amplified by about
``e^{r t} = e^{0.4 n c}`` (``e^{0.4 n (c_1 + c_2)}`` in two variables), so ``n = 24`` is a good 1-D
choice and ``n = 16`` a good 2-D choice (see the accuracy tests). In two variables the second contour
is scaled by ``c_2 = 1.13`` so the two families of nodes never coincide (the two-point losses contain
divided differences in ``s_1, s_2``).

``method="mpmath"`` hands a 1-D scalar transform to :func:`mpmath.invertlaplace` (Talbot) at the
working precision instead.

Examples
--------
>>> import numpy as np
>>> f = invert_laplace(lambda s: 1 / (s + 1), np.array([0.5, 2.0]))
>>> bool(np.allclose(f, np.exp([-0.5, -2.0]), rtol=1e-10))
True
>>> g = invert_laplace_2d(lambda s1, s2: 1 / ((s1 + 1) * (s2 + 2)), np.array([1.0]))
>>> bool(abs(g[0] / np.exp(-3.0) - 1) < 1e-8)
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mpmath
import numpy as np

from .errors import ParameterError

#: default number of nodes per half contour (1-D, 2-D). More nodes are not always better in float64: the
#: fixed-Talbot weights grow like 10^(0.6 n), so in two variables past ~24 nodes round-off wins (on the
#: gradient-flow losses 32 nodes are off by ~1e-5 and 40 by ~5e-3, worst at late times).
NODES_1D = 24
NODES_2D = 16
#: scale of the second contour in two variables
SCALE_2D = 1.13

__all__ = ["talbot_contour", "invert_laplace", "invert_laplace_2d", "NODES_1D", "NODES_2D", "SCALE_2D"]


def _check_times(t: Any) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(t, dtype=np.float64))
    if arr.ndim != 1 or arr.size == 0 or np.any(~np.isfinite(arr)) or np.any(arr <= 0):
        raise ParameterError(f"times t must be a non-empty 1-D list of finite numbers > 0; got {t}")
    return arr


def _check_nodes(n: int) -> int:
    if int(n) != n or n < 4 or n > 200:
        raise ParameterError(f"the number of Talbot nodes must be an integer in [4, 200]; got {n}")
    return int(n)


def talbot_contour(t: Any, nodes: int = NODES_1D, scale: float = 1.0, full: bool = False):
    """Nodes ``s`` and weights ``w`` of the fixed-Talbot rule at times ``t``.

    Parameters
    ----------
    t : array_like
        Times ``> 0`` (shape ``(nt,)``).
    nodes : int
        ``n``, the number of nodes with ``theta >= 0``.
    scale : float
        Multiplies ``r = 2 n / (5 t)``.
    full : bool
        ``False``: the half contour ``theta_k = k pi/n, k = 0..n-1``, with weights such that
        ``f(t) = Re sum_k w_k F(s_k)``. ``True``: all ``2n - 1`` nodes ``k = -(n-1)..n-1`` (ordered by
        ``k``), with weights such that ``f(t) = sum_k w_k F(s_k)``.

    Returns
    -------
    s, w : numpy.ndarray
        Complex arrays of shape ``(nt, n)`` (or ``(nt, 2n - 1)``). On the half contour the first node
        is real, ``s = r``, and ``theta`` increases along each row (a continuation path).

    Examples
    --------
    >>> s, w = talbot_contour([1.0], nodes=8)
    >>> s.shape, complex(s[0, 0]) == 3.2
    ((1, 8), True)
    """
    tt = _check_times(t)
    n = _check_nodes(nodes)
    theta = np.pi * np.arange(n) / n
    r = scale * 2.0 * n / (5.0 * tt)
    with np.errstate(divide="ignore", invalid="ignore"):
        cot = np.where(theta > 0, np.cos(theta) / np.sin(theta), 0.0)
        z = np.where(theta > 0, theta * cot, 1.0) + 1j * theta
        sigma = np.where(theta > 0, theta + (theta * cot - 1.0) * cot, 0.0)
    s = r[:, None] * z[None, :]
    w = (r[:, None] / n) * np.exp(tt[:, None] * s) * (1.0 + 1j * sigma)[None, :]
    if not full:
        w[:, 0] *= 0.5
        return s, w
    w = w / 2.0
    s_full = np.concatenate([np.conj(s[:, :0:-1]), s], axis=1)
    w_full = np.concatenate([np.conj(w[:, :0:-1]), w], axis=1)
    return s_full, w_full


def invert_laplace(
    F: Callable[[np.ndarray], np.ndarray], t: Any, nodes: int = NODES_1D, method: str = "talbot"
) -> np.ndarray:
    """``f(t)`` from its Laplace transform ``F(s)`` (real ``f``).

    Parameters
    ----------
    F : callable
        ``talbot``: vectorised, maps a complex array of shape ``(nt, n)`` to the same shape.
        ``mpmath``: a scalar callable accepted by :func:`mpmath.invertlaplace`.
    t : array_like
        Times ``> 0``.
    nodes : int
        Fixed-Talbot nodes per half contour (``talbot`` only).
    method : {"talbot", "mpmath"}

    Examples
    --------
    >>> import mpmath
    >>> float(invert_laplace(lambda s: 1 / s**2, [3.0], method="mpmath")[0])
    3.0
    """
    tt = _check_times(t)
    if method == "mpmath":
        return np.array([float(mpmath.invertlaplace(F, float(x), method="talbot")) for x in tt])
    if method != "talbot":
        raise ParameterError(f"method must be 'talbot' or 'mpmath'; got {method!r}")
    s, w = talbot_contour(tt, nodes)
    return np.real(np.sum(w * F(s), axis=1))


def invert_laplace_2d(
    F: Callable[[np.ndarray, np.ndarray], np.ndarray],
    t: Any,
    nodes: int = NODES_2D,
    scale2: float = SCALE_2D,
) -> np.ndarray:
    """``f(t, t)`` from the two-variable transform ``F(s1, s2)`` of a real ``f(t1, t2)``.

    ``F`` is called once with broadcasting arrays ``s1`` of shape ``(nt, n, 1)`` (half contour) and
    ``s2`` of shape ``(nt, 1, 2n - 1)`` (full contour scaled by ``scale2``). Conjugate symmetry
    ``F(conj s1, conj s2) = conj F(s1, s2)`` halves the work.
    """
    tt = _check_times(t)
    if not (np.isfinite(scale2) and scale2 > 0 and scale2 != 1):
        raise ParameterError(f"scale2 must be > 0 and != 1; got {scale2}")
    s1, w1 = talbot_contour(tt, nodes)
    s2, w2 = talbot_contour(tt, nodes, scale=scale2, full=True)
    vals = F(s1[:, :, None], s2[:, None, :])
    return combine_2d(vals, w1, w2)


def combine_2d(values: np.ndarray, w1: np.ndarray, w2: np.ndarray) -> np.ndarray:
    """The 2-D Talbot sum ``Re sum_jk w1_j w2_k F_jk`` for values on (half contour) x (full contour)."""
    return np.real(np.einsum("tj,tk,tjk->t", w1, w2, values))
