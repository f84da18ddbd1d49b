"""Converting ridges and losses between the conventions used in the literature.

Canonical (:mod:`scalingsym.core.symbols`): objective ``1/2 sum_alpha (z - y)^2 + gamma/2 |theta|^2``, loss
``1/2 E[(z - y)^2]`` per output, ``Var(u_jk) = u_var``, ``Var(w_k) = w_var``. Only
``gamma_bar = gamma / u_var`` and the factor ``w_var`` enter the results (``static_rf_ridge.md`` A).

Examples
--------
>>> c = Convention(ridge_per_sample=True, half=False, outputs=10)
>>> c.to_canonical_ridge(0.01, T=100)
1.0
>>> c.loss_from_canonical(0.5)
10.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import ParameterError, check_ridge, check_size


@dataclass(frozen=True)
class Convention:
    """Another paper's normalisation.

    Parameters
    ----------
    ridge_per_sample : bool
        The data term is ``1/(2T) sum_alpha (z - y)^2`` (then ``gamma = T gamma'``).
    half : bool
        The loss carries the factor ``1/2``.
    outputs : int
        The loss is summed over ``C`` outputs.
    u_scale : float
        Feature weights are ``u' = u_scale * u`` relative to the canonical ``u`` (``gamma -> gamma / u_scale^2``).
    """

    ridge_per_sample: bool = False
    half: bool = True
    outputs: int = 1
    u_scale: float = 1.0

    def __post_init__(self) -> None:
        if int(self.outputs) != self.outputs or self.outputs < 1:
            raise ParameterError(f"outputs must be a positive integer; got {self.outputs}")
        if not math.isfinite(self.u_scale) or self.u_scale <= 0:
            raise ParameterError(f"u_scale must be a finite number > 0; got {self.u_scale}")

    def to_canonical_ridge(self, gamma: float, T: float | None = None) -> float:
        """The canonical ``gamma`` equivalent to this convention's ``gamma``."""
        g = check_ridge("gamma", gamma)
        if self.ridge_per_sample:
            if T is None:
                raise ParameterError("T is needed to convert a 1/T-normalised ridge")
            g = g * check_size("T", T)
        return g / self.u_scale**2

    def from_canonical_ridge(self, gamma: float, T: float | None = None) -> float:
        """Inverse of :meth:`to_canonical_ridge`."""
        g = check_ridge("gamma", gamma) * self.u_scale**2
        if self.ridge_per_sample:
            if T is None:
                raise ParameterError("T is needed to convert a 1/T-normalised ridge")
            g = g / check_size("T", T)
        return g

    def loss_from_canonical(self, loss: float) -> float:
        """This convention's loss given the canonical ``1/2 E[(z-y)^2]`` per output."""
        return loss * (1 if self.half else 2) * self.outputs

    def loss_to_canonical(self, loss: float) -> float:
        """Inverse of :meth:`loss_from_canonical`."""
        return loss / ((1 if self.half else 2) * self.outputs)
