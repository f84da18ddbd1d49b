"""``diagrams``: planar diagrams of the large-ridge expansion, their weights and dual partners."""

from __future__ import annotations

import argparse

import sympy as sp

from ..core.errors import ParameterError
from ..theory.diagrams import diagrams_latex, duality_check, planar_coefficients, series_coefficients
from . import emit


def _diagrams(args: argparse.Namespace) -> dict:
    order = args.order
    if isinstance(order, bool) or order < 1 or order > 6:
        raise ParameterError(f"--order must be an integer in 1..6; got {order}")
    rows = [r for r in duality_check(order) if r["order"] == order]
    planar = planar_coefficients(order)[order]
    series = series_coefficients(order)[order]
    agree = sp.expand(planar - series) == 0
    if args.latex and not args.json:
        print(diagrams_latex(order))
        print(f"% sum of diagrams c_{order} = {sp.latex(planar)}")
        print(f"% series of the self-consistent solution agrees: {agree}")
        return {}
    out = {
        "order": order,
        "count": len(rows),
        "diagrams": [
            {"word": list(r["word"]), "blocks": r["diagram"].describe(), "weight": str(r["diagram"].weight),
             "dual_partner": {"word": [r["word"][1], r["word"][0]], "blocks": r["partner"].describe(),
                              "weight": str(r["partner"].weight)}, "dual_ok": r["ok"],
             **({"latex": sp.latex(r["diagram"].weight)} if args.latex else {})}
            for r in rows
        ],
        "coefficient": str(planar),
        "series_agrees": bool(agree),
        "all_dual_ok": all(r["ok"] for r in rows),
        "expansion": "L = w_var/2 sum_p (-gamma_bar)^-p c_p",
    }
    emit(out, args.json)
    return out


def register(sub) -> None:
    p = sub.add_parser("diagrams", help="planar diagrams of the large-ridge expansion with weights and dual partners")
    p.add_argument("--order", type=int, default=3, help="order p in 1/gamma_bar (1..6)")
    p.add_argument("--latex", action="store_true", help="LaTeX table (weights in LaTeX with --json)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=_diagrams)
