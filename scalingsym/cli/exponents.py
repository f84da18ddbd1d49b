"""``exponents``: scaling exponents and regime laws of the ridge test loss for a spectrum.

``python -m scalingsym exponents --spectrum "powerlaw(alpha=1, M=inf)" --json`` prints, for each exponent,
``{"exact": str, "float": float}`` (``float`` is null for ``oo``: faster than any power). ``--latex``
prints the leading laws of every regime as LaTeX equations. Spectra: ``powerlaw(...)``,
``custom(expr="...", M=...)``, and ``brokenpowerlaw(alpha1=..., alpha2=..., k_break=..., lambda_plus=1, M=inf)``.
"""

from __future__ import annotations

import argparse
import ast
import math

import sympy as sp

from ..core.errors import SpectrumParseError
from ..core.expressions import parse_exact_number
from ..core.parsing import parse_spectrum
from ..theory.regimes import exponents, regime_map
from ..theory.spectral import TailLaw, tail_law
from . import emit

#: JSON keys, in print order
KEYS = (
    "ridgeless_N",
    "ridgeless_T",
    "ridge_dominated_N",
    "ridge_dominated_T",
    "ridge_dominated_gamma",
    "log_power",
    "ridge_dominated_log_power",
    "peak_n",
    "peak_gamma",
)

CONVENTION = (
    "N, T exponents are decay exponents (L ~ N^-x); gamma exponents: L ~ gamma^x in the ridge-dominated regime "
    "and L ~ gamma^-x at the regulated peak; ridgeless_N holds for N << T and ridgeless_T for T << N; "
    "log_power: L ~ n^-x (log n)^p ridgeless; ridge_dominated_log_power: power of log(N T/gamma_bar); "
    "oo (float null) = faster than any power"
)


def _broken(text: str) -> TailLaw:
    try:
        call = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise SpectrumParseError(f"cannot parse spectrum {text!r}: {exc.msg}") from None
    if not isinstance(call, ast.Call) or call.args:
        raise SpectrumParseError("brokenpowerlaw takes keyword arguments alpha1, alpha2, k_break, lambda_plus, M")
    kw = {}
    for item in call.keywords:
        if isinstance(item.value, ast.Name) and item.value.id in ("inf", "oo"):
            kw[item.arg] = sp.oo
        elif isinstance(item.value, ast.Constant) and isinstance(item.value.value, (int, float)):
            kw[item.arg] = parse_exact_number(item.value.value, str(item.arg))
        else:
            raise SpectrumParseError(f"argument {item.arg} of brokenpowerlaw must be a number")
    if not {"alpha1", "alpha2", "k_break"} <= set(kw) or set(kw) - {"alpha1", "alpha2", "k_break", "lambda_plus", "M"}:
        raise SpectrumParseError(
            f"brokenpowerlaw needs alpha1, alpha2, k_break and accepts lambda_plus, M; got {sorted(kw)}"
        )
    return TailLaw.broken_power_law(kw["alpha1"], kw["alpha2"], kw["k_break"], kw.get("lambda_plus", 1),
                                    kw.get("M", sp.oo))


def spectrum_law(text: str) -> TailLaw:
    """The :class:`TailLaw` of a spectrum string (the ``--spectrum`` argument)."""
    if isinstance(text, str) and text.strip().startswith("brokenpowerlaw("):
        return _broken(text)
    return tail_law(parse_spectrum(text))


def _entry(value: sp.Expr) -> dict:
    if value is sp.nan or value is None:
        return {"exact": "undefined", "float": None}
    f = float(value) if value.is_finite else math.inf
    return {"exact": str(value), "float": f if math.isfinite(f) else None}


def _exponents(args: argparse.Namespace) -> dict:
    law = spectrum_law(args.spectrum)
    ex = exponents(law)
    out: dict = {key: _entry(ex[key].expr) for key in KEYS}
    out.update({key: _entry(r.expr) for key, r in ex.items() if key not in KEYS})
    out["spectrum"] = args.spectrum
    out["tail_law"] = law.describe()
    out["convention"] = CONVENTION
    if args.latex:
        rm = regime_map(law)
        tex = "\n".join(r.to_latex(label=f"eq:{name}") for name, r in rm.items())
        if args.json:
            out["latex"] = tex
        else:
            print(tex)
            return out
    emit(out, args.json)
    return out


def register(sub) -> None:
    p = sub.add_parser("exponents", help="scaling exponents and regime laws of the ridge test loss (B2-B5)")
    p.add_argument("--spectrum", required=True,
                   help='e.g. "powerlaw(alpha=1, M=inf)", \'custom(expr="k**-2*log(k+1)**2", M=inf)\', '
                        '"brokenpowerlaw(alpha1=1, alpha2=2, k_break=100)"')
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--latex", action="store_true", help="print the leading law of every regime as LaTeX")
    p.set_defaults(handler=_exponents)
