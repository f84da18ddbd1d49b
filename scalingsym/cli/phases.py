"""``phases``: the compute-optimal phase of one-pass SGD on power-law random features, derived by term balancing."""

from __future__ import annotations

import argparse

from ..core.errors import ParameterError
from ..theory.sgd_phases import sgd_phase
from . import emit


def _ex(x) -> dict:
    return {"exact": str(x), "float": float(x)}


def _phases(args: argparse.Namespace) -> dict:
    conv = ("PLRF: lambda_j = j^-2alpha, task power j^-(2alpha+2beta), d parameters, compute f = d r; "
            "d* ~ f^xi, L* ~ f^-eta; each term ~ d^-d_exponent r^-r_exponent")
    try:
        res = sgd_phase(args.alpha, args.beta)
    except ParameterError as exc:
        if not (getattr(args, "numeric", False) and "cannot decide" in str(exc)):
            raise
        # 2 alpha <= 1: the engine cannot decide the phase; the numeric frontier still can be measured
        out = {"phase": "undecided", "xi": {"exact": "undecided", "float": None},
               "eta": {"exact": "undecided", "float": None}, "engine": str(exc), "alpha": args.alpha,
               "beta": args.beta, "convention": conv, "numeric": _numeric(args.alpha, args.beta)}
        emit(out, args.json)
        return out
    out = {
        "phase": res["phase"],
        "xi": _ex(res["xi"]),
        "eta": _ex(res["eta"]),
        "balance": res["balance"],
        "terms": {k: {"d_exponent": p, "r_exponent": q} for k, (p, q) in res["terms"].items()},
        "alpha": args.alpha,
        "beta": args.beta,
        "convention": conv,
    }
    if getattr(args, "numeric", False):
        out["numeric"] = _numeric(args.alpha, args.beta)
    emit(out, args.json)
    return out


def _numeric(alpha: str, beta: str) -> dict:
    """Local exponents of the numeric frontier (loss curves minimised over ``d``) at ``f = 1e7, 1e8, 1e9``."""
    import numpy as np

    from ..core.errors import ConvergenceError
    from ..models.sgd import plrf_frontier

    try:
        fr = plrf_frontier(alpha, beta, np.logspace(7, 9, 3), B=8)
    except ConvergenceError as exc:
        raise ConvergenceError(f"--numeric: {exc} (searched d in 10^1..10^5.5 at f = 1e7..1e9; below the "
                               "high-dimensional line 2 (alpha + beta) <= 1 or near alpha = 0 the optimum leaves "
                               "that range)") from exc
    return {"f": [float(x) for x in fr["f"]], "d_opt": [float(x) for x in fr["N_opt"]],
            "xi_local": [float(x) for x in fr["xi_local"]], "eta_local": [float(x) for x in fr["eta_local"]],
            "setup": "one-pass SGD deterministic equivalent, " + fr["setup"] + "; local exponents between "
                     "consecutive decades of f"}


def register(sub) -> None:
    p = sub.add_parser("phases", help="compute-optimal phase and exponents of one-pass SGD (PLRF alpha, beta)")
    p.add_argument("--alpha", type=str, required=True,
                   help="data exponent (lambda_j = j^-2alpha); the engine decides 2 alpha > 1")
    p.add_argument("--beta", type=str, required=True, help="target exponent")
    p.add_argument("--numeric", action="store_true",
                   help="also the numeric frontier from the loss curves (local exponents at f = 1e7..1e9; ~10 s)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=_phases)
