"""``activation``: Gaussian-equivalence coefficients ``(mu_0, mu_1, mu_star)`` of an activation."""

from __future__ import annotations

import argparse

import sympy as sp

from ..core.errors import ParameterError
from ..models.activations import ACTIVATIONS, gaussian_equivalence
from . import emit
from ._common import check_precision, mp_str

CONVENTION = "z ~ N(0, v); mu_0 = E[sigma(z)], mu_1 = E[z sigma(z)]/v, mu_star^2 = E[sigma(z)^2] - mu_0^2 - v mu_1^2"


def _activation(args: argparse.Namespace) -> dict:
    if (args.name is None) == (args.expr is None):
        raise ParameterError("give exactly one of --name and --expr")
    check_precision(args.precision)
    digits = args.precision or 17
    if args.variance <= 0:
        raise ParameterError(f"--variance must be > 0; got {args.variance}")
    act = args.name if args.name is not None else args.expr
    if args.name is not None and args.name.strip().lower() not in ACTIVATIONS:
        raise ParameterError(f"unknown activation {args.name!r}; known: {', '.join(sorted(ACTIVATIONS))}")
    c = gaussian_equivalence(
        act, variance=args.variance, precision=digits, symbolic=not args.numeric, timeout=args.timeout
    )
    exact = dict(c.exact)
    exact["mu_star"] = None if exact["mu_star2"] is None else sp.sqrt(exact["mu_star2"])
    out: dict = {
        "activation": str(c.activation),
        "variance": args.variance,
        "precision": digits,
        "convention": CONVENTION,
    }
    floats = c.floats()
    values = {"mu_0": c.mu_0, "mu_1": c.mu_1, "mu_star": c.mu_star, "mu_star2": c.mu_star2}
    for key in ("mu_0", "mu_1", "mu_star", "mu_star2"):
        out[key] = floats[key]
        out[f"{key}_exact"] = None if exact[key] is None else str(exact[key])
        out[f"{key}_digits"] = mp_str(values[key], digits)
    out["method"] = {k: ("sympy" if exact[k] is not None else "mpmath.quad") for k in ("mu_0", "mu_1", "mu_star2")}
    emit(out, args.json)
    return out


def register(sub) -> None:
    p = sub.add_parser("activation", help="Gaussian-equivalence coefficients (mu_0, mu_1, mu_star) of an activation")
    p.add_argument("--name", default=None, help=f"one of: {', '.join(sorted(ACTIVATIONS))}")
    p.add_argument("--expr", default=None, help='an expression in z, e.g. "tanh(z)"')
    p.add_argument("--variance", type=float, default=1.0, help="pre-activation variance v (default 1)")
    p.add_argument("--precision", type=int, default=None, help="significant digits of the values ending in _digits")
    p.add_argument("--numeric", action="store_true", help="skip the sympy integrals (mpmath only)")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per sympy integral before mpmath is used")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=_activation)
