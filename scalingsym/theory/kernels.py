"""The kernel exponent of a Matern kernel on the ``d``-torus, derived with sympy: ``alpha_K = 2 nu / d``.

Examples
--------
>>> kernel_exponent(d=2, nu=2).data["alpha_K"]
2
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from ..core.expressions import to_sympy
from ..core.result import Result
from ..models.kernels import _R, _j, d_sym, ell_sym, nu_sym


def kernel_exponent(d: Any = d_sym, nu: Any = nu_sym) -> Result:
    """Asymptotic eigenvalue law of the Matern kernel on the ``d``-torus, derived with sympy.

    Counting: ``j(R) = V_d R^d`` lattice points with ``|n| <= R`` (leading order; the lattice-point error
    is ``O(R^(d-1))`` at most), ``lambda = (1 + R^2/ell^2)^-(nu + d/2)``; eliminate ``R`` and expand for large
    ``j``: ``lambda_j ~ ell^(2nu + d) V_d^(1 + 2nu/d) j^-(1 + 2nu/d)``, i.e. ``alpha_K = 2 nu / d``.

    Examples
    --------
    >>> r = kernel_exponent()
    >>> r.data["alpha_K"]
    2*nu/d
    >>> kernel_exponent(d=1, nu=sp.Rational(1, 2)).data["prefactor"]  # lambda_j ~ (j/2)^-2
    4
    """
    d, nu = to_sympy(d, "d"), to_sympy(nu, "nu")
    Vd = sp.pi ** (d / 2) / sp.gamma(d / 2 + 1)
    Rj = sp.solve(sp.Eq(Vd * _R**d, _j), _R)[0]
    p = nu + d / 2
    # (1 + R^2/ell^2)^-p = (R/ell)^-2p * (1 + ell^2/R^2)^-p and the last factor -> 1 as R -> oo
    rest = sp.limit((1 + ell_sym**2 / _R**2) ** (-p), _R, sp.oo)
    if rest != 1:  # pragma: no cover - a wrong expansion is a bug
        raise AssertionError("Matern tail factor does not tend to 1")
    lam_lead = sp.powsimp(sp.expand_power_base((Rj / ell_sym) ** (-2 * p), force=True), force=True)
    expo = sp.simplify(1 + 2 * nu / d)
    lead = sp.simplify(sp.powsimp(lam_lead * _j**expo, force=True))
    return Result(
        "Matern kernel on the d-torus: eigenvalue decay",
        lead * _j ** (-expo),
        lhs=sp.Symbol("lambda_j"),
        regime=(_j > 1,),
        source="Fourier coefficients (1 + |n|^2/ell^2)^-(nu+d/2) sorted over Z^d; Weyl count j ~ V_d R^d",
        exact=False,
        order="relative O(j**(-1/d))",
        data={"exponent": expo, "alpha_K": sp.simplify(expo - 1), "prefactor": lead.subs(ell_sym, 1), "V_d": Vd},
    )


__all__ = ["kernel_exponent"]
