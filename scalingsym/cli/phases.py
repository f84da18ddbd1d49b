"""``phases``: the compute-optimal phase of one-pass SGD on power-law random features, derived by term balancing."""

from __future__ import annotations

import argparse

from ..theory.sgd_phases import sgd_phase
from . import emit


def _ex(x) -> dict:
    return {"exact": str(x), "float": float(x)}


def _phases(args: argparse.Namespace) -> dict:
    res = sgd_phase(args.alpha, args.beta)
    out = {
        "phase": res["phase"],
        "xi": _ex(res["xi"]),
        "eta": _ex(res["eta"]),
        "balance": res["balance"],
        "terms": {k: {"d_exponent": p, "r_exponent": q} for k, (p, q) in res["terms"].items()},
        "alpha": args.alpha,
        "beta": args.beta,
        "convention": "PLRF: lambda_j = j^-2alpha, task power j^-(2alpha+2beta), d parameters, compute f = d r; "
        "d* ~ f^xi, L* ~ f^-eta; each term ~ d^-d_exponent r^-r_exponent",
    }
    emit(out, args.json)
    return out


def register(sub) -> None:
    p = sub.add_parser("phases", help="compute-optimal phase and exponents of one-pass SGD (PLRF alpha, beta)")
    p.add_argument("--alpha", type=str, required=True, help="data exponent (lambda_j = j^-2alpha), 2 alpha > 1")
    p.add_argument("--beta", type=str, required=True, help="target exponent")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=_phases)
