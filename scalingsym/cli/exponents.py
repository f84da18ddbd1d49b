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

from ..core.errors import ParameterError, SpectrumParseError
from ..core.expressions import parse_exact_number
from ..core.parsing import parse_spectrum
from ..theory.dynamics_exponents import (
    DYNAMICS_KEYS,
    NOISE_STOPPING_KEYS,
    dynamics_exponents,
    early_width_coefficients,
    noise_stopping_exponents,
    width_coefficient_law,
)
from ..theory.regimes import exponents, regime_map
from ..theory.spectral import TailLaw, tail_law
from ..theory.static_frontier import static_compute_optimal
from ..theory.task_regimes import task_exponents
from ..theory.task_sums import sum_value
from . import emit
from ._common import ridge_arg
from .static import TASK_HELP

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
    "optimal_ridge_T",
    "optimal_ridge_gamma_exponent",
)
#: keys the teacher-and-noise engine (:func:`scalingsym.theory.task_regimes.task_exponents`) derives
TASK_KEYS = ("ridgeless_N", "ridgeless_T", "ridge_dominated_N", "ridge_dominated_T", "ridge_dominated_gamma",
             "log_power", "optimal_ridge_T", "optimal_ridge_gamma_exponent", "noise_ridgeless")

CONVENTION = (
    "N, T exponents are decay exponents (L ~ N^-x); gamma exponents: L ~ gamma^x in the ridge-dominated regime "
    "and L ~ gamma^-x at the regulated peak; ridgeless_N holds for N << T and ridgeless_T for T << N; "
    "log_power: L ~ n^-x (log n)^p ridgeless; ridge_dominated_log_power: power of log(N T/gamma_bar); "
    "oo (float null) = faster than any power; optimal_ridge_T: L ~ T^-x at N = oo with the ridge tuned for each T "
    "(without noise the ridgeless limit is optimal); optimal_ridge_gamma_exponent: s* = gamma*/(N T) ~ T^-x; "
    "static_compute_optimal_N/T/loss: N* ~ C^x, T* ~ C^x, L* ~ C^x at C = N T (ridgeless, noiseless), "
    "static_compute_optimal_ratio: N*/T*"
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
    if value.has(sp.Sum):  # a whole-spectrum moment with no closed form: Euler-Maclaurin, verified digits only
        v = sum_value(value)
        return {"exact": str(value), "float": float(v) if v is not None else None}
    f = float(value) if value.is_finite else math.inf
    return {"exact": str(value), "float": f if math.isfinite(f) else None}


#: keys of the ridgeless static allocation at C = N T (:func:`scalingsym.theory.static_frontier.static_compute_optimal`)
STATIC_KEYS = {"ratio": "static_compute_optimal_ratio", "N_exponent": "static_compute_optimal_N",
               "T_exponent": "static_compute_optimal_T", "loss_exponent": "static_compute_optimal_loss"}


def _static_frontier(law: TailLaw, task: str, noise: float) -> dict:
    if noise or law.lam is None:  # noiseless ridgeless frontier; a broken power law has no lambda(k)
        return {key: _entry(None) for key in STATIC_KEYS.values()}
    try:
        co = static_compute_optimal(law, task)
    except ParameterError:  # e.g. an exponential spectrum: no regularly varying width law to balance
        return {key: _entry(None) for key in STATIC_KEYS.values()}
    out = {key: _entry(co[name].expr) for name, key in STATIC_KEYS.items()}
    out["static_compute_optimal_branch"] = co["ratio"].data["branch"]
    if "ratio_N_le_T" in co["ratio"].data:  # a non-isotropic teacher at xi = 1/2: the optimum over N <= T
        out["static_compute_optimal_ratio_N_le_T"] = _entry(co["ratio"].data["ratio_N_le_T"])
    return out


def _dynamics(args: argparse.Namespace, law: TailLaw, task: str) -> dict:
    noise = float(getattr(args, "noise", 0.0) or 0.0)
    ex = dynamics_exponents(law, task)
    out: dict = {key: _entry(ex[key].expr) for key in DYNAMICS_KEYS}
    stop = noise_stopping_exponents(law, task)  # early stopping against label noise (N = oo, P samples)
    out.update({key: _entry(stop[key].expr) for key in NOISE_STOPPING_KEYS})
    if not noise:  # without noise the flow to t = oo is optimal: L ~ P^-r_P
        out.update(optimal_stopping_P=_entry(ex["r_P"].expr), optimal_stopping_t_exponent=_entry(sp.oo))
    if law.lam is not None:  # prefactors of the 1/N coefficient need the whole lambda(k)
        early = early_width_coefficients(law, task)
        out["early_width_coefficient"] = _entry(early["exact"].expr)
        out["early_width_coefficient_de"] = _entry(early["deterministic_equivalent"].expr)
        late = width_coefficient_law(law, task)
        out["cross_prefactor"] = _entry(late.data["prefactor"]) if late.data["prefactor"] is not None else \
            {"exact": str(late.expr), "float": None}
    out.update(model="dynamics", spectrum=args.spectrum, task=task, tail_law=law.describe(),
               convention="r_t, r_N, r_P, r_N_ensemble: decay exponents of the gradient-flow bottlenecks (L ~ X^-x); "
                          "cross_c: late-time 1/N coefficient ~ t^-x; cross_prefactor: f(t) ~ x (2t)^-cross_c (the "
                          "law in t when it has log factors); early_width_coefficient(_de): E L - L_{N=oo} = x t^2/N "
                          "at small t (Gaussian features; deterministic equivalent); compute_optimal_N/t/loss: "
                          "N* ~ C^x, t* ~ C^x, L* ~ C^x at C = N t, P = oo; noise_growth: label-noise term "
                          "~ noise t^x / P (N = oo); optimal_stopping_P: L ~ P^-x at N = oo with t tuned for each P "
                          "(oo stopping time without noise); optimal_stopping_t_exponent: t* ~ P^x; leading order, "
                          "log factors dropped", noise=noise)
    emit(out, args.json)
    return out


def _exponents(args: argparse.Namespace) -> dict:
    law = spectrum_law(args.spectrum)
    task = getattr(args, "task", "isotropic") or "isotropic"
    noise = getattr(args, "noise", 0.0) or 0.0
    if getattr(args, "model", "ridge") == "dynamics":
        return _dynamics(args, law, task)
    general = task.strip() != "isotropic" or noise != 0
    ex = exponents(law)
    try:
        tex_ = task_exponents(law, task, noise)
    except ParameterError:
        if general:
            raise
        tex_ = {}  # e.g. a broken power law: no lambda(k) expression for the teacher-weighted sums
    out: dict = {}
    for key in KEYS:
        if key in tex_ and (general or key not in ex):
            out[key] = _entry(tex_[key].expr)
        elif key in ex and not general:
            out[key] = _entry(ex[key].expr)
        else:
            out[key] = _entry(None)
    if general and "noise_ridgeless" in tex_:
        out["noise_ridgeless"] = _entry(tex_["noise_ridgeless"].expr)
    if not general:
        out.update({key: _entry(r.expr) for key, r in ex.items() if key not in KEYS})
    out.update(_static_frontier(law, task, noise))
    out["task"] = task
    out["noise"] = noise
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
    p.add_argument("--model", choices=("ridge", "dynamics"), default="ridge",
                   help="ridge: static ridge regimes (default); dynamics: gradient-flow bottlenecks, compute-optimal")
    p.add_argument("--task", default="isotropic", help=TASK_HELP)
    p.add_argument("--noise", type=ridge_arg, default=0.0, help="variance of the training-label noise (default 0)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--latex", action="store_true", help="print the leading law of every regime as LaTeX")
    p.set_defaults(handler=_exponents)
