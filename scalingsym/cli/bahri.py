"""``bahri``: variance- and resolution-limited exponents and coefficients of Bahri et al.'s model."""

from __future__ import annotations

import argparse
import math

from ..core.errors import ParameterError
from ..models.bahri import ALPHA_K_MAX, BahriModel
from ..theory.bahri import duality, resolution_limited, variance_limited
from . import emit
from ._common import finite_or_none, size_arg


def _bahri(args: argparse.Namespace) -> dict:
    a = args.alpha_K
    if not math.isfinite(a) or not 0 < a <= ALPHA_K_MAX:
        raise ParameterError(f"--alpha-K must be a number in (0, {ALPHA_K_MAX:g}]; got {a}")
    var = variance_limited()
    res = resolution_limited(a)
    res_sym = resolution_limited()
    model = BahriModel(a, args.S)
    P, D = args.P, args.D
    L_P, L_D = float(model.loss_P(P)), float(model.loss_D(D))
    pref = float(res["L_P"].data["prefactor"])
    out = {
        "alpha_K": a,
        "S": finite_or_none(args.S),
        "exponents": {
            "variance_limited_D": var["underparameterised"].data["exponent"],
            "variance_limited_P": var["overparameterised"].data["exponent"],
            "resolution_limited_D": a,
            "resolution_limited_P": a,
        },
        "coefficients": {
            "variance_limited_D": str(var["underparameterised"].data["coefficient"]),
            "variance_limited_P": str(var["overparameterised"].data["coefficient"]),
            "variance_limited_D_value": finite_or_none(P * L_P),
            "variance_limited_P_value": finite_or_none(D * L_D),
            "resolution_limited": str(res_sym["L_P"].data["prefactor"]),
            "resolution_limited_value": pref,
            "tail_sum": str(res_sym["tail_sum"].data["prefactor"]),
            "tail_sum_value": 1.0 / a,
            "eq5_as_printed": a,
        },
        "laws": {
            "variance_limited_D": f"L(D,P) - L(P) = {var['underparameterised'].expr}  (P < D, D -> inf)",
            "variance_limited_P": f"L(D,P) - L(D) = {var['overparameterised'].expr}  (P > D, P -> inf)",
            "resolution_limited": (
                "L(P) = w_var/2 * A^(1+alpha_K) * P^-alpha_K, A = pi/((1+alpha_K) sin(pi/(1+alpha_K)))"
            ),
            "tail_sum": "sum_{i>D} i^-(1+alpha_K) = D^-alpha_K/alpha_K + O(D^-alpha_K-1)",
            "duality": f"L(D=m,P=n) - L(D=n,P=m) = {duality().expr} (general teacher; 0 for isotropic)",
        },
        "P": P,
        "D": D,
        "L_P": finite_or_none(L_P),
        "L_D": finite_or_none(L_D),
        "convention": "Bahri model = RandomFeatureRidge(PowerLaw(alpha_K, M=S)) with N=P, T=D, gamma=0; "
        "L = 1/2 E[(f-F)^2], w_var = 1/S (1 for S=inf)",
    }
    emit(out, args.json)
    return out


def register(sub) -> None:
    p = sub.add_parser("bahri", help="variance/resolution-limited regimes of Bahri et al.'s teacher-student model")
    p.add_argument("--alpha-K", dest="alpha_K", type=float, required=True, help="kernel exponent alpha_K > 0")
    p.add_argument("--S", type=size_arg, default=math.inf, help="number of teacher features (default inf)")
    p.add_argument("--P", type=size_arg, default=100.0, help="parameters for the numeric coefficients (default 100)")
    p.add_argument("--D", type=size_arg, default=100.0, help="samples for the numeric coefficients (default 100)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=_bahri)
