"""Exponent algebra of the BAP gradient-flow model from ``(a, b)``, its compute-optimal rule, the
dictionary to the power-law random-features (PLRF, "4+3 phases") model and to Bahri et al., and the
PLRF phase classifier for ``2 alpha > 1``.

Conventions (``dynamics_and_regimes.md`` A1, A4): task power ``lambda_k w*_k^2 ~ k^-a``, spectrum
``lambda_k ~ k^-b``, model size ``N``, data ``P``, time ``t``, compute ``C = N t``.

Bottleneck exponents (``L ~ X^-r_X`` with the other two resources infinite; sheet B1):

* ``r_t = (a-1)/b``;  ``r_P = min(a-1, 2b)``;
* ``r_N = min(a-1, b)`` for the single-model test loss, ``min(a-1, 2b)`` for the bias of the
  ensemble-averaged predictor. **Correction:** the BAP blog gives ``min(a-1, 2b)`` for the width
  bottleneck; for ``b < a-1 < 2b`` the single-model loss at ``t = P = inf`` is variance dominated and
  scales as ``N^-min(a-1, b)`` (sheet B1 correction, confirmed by simulation and by the deterministic
  equivalent, see the tests).

Compute-optimal scaling at ``P = inf`` (sheet B2): for ``a-1 <= b``, ``N* ~ C^{1/(1+b)}``,
``t* ~ C^{b/(1+b)}``, ``L* ~ C^{-(a-1)/(1+b)}`` (as in the blog). **Correction:** for ``a-1 > b`` the
frontier is set by the cross term ``N^-1 t^-(1-1/b)`` (Paquette et al.'s ``F_ac``, the late-time
``1/N`` coefficient of the deterministic equivalent), giving ``N* ~ C^{(a-b)/a}``, ``t* ~ C^{b/a}``,
``L* ~ C^{-(a-1)/a}``; the blog's formula (``C^{1/(1+b)}``, with ``m = min(a-1, 2b)``) does not hold
there. Both rules agree on ``a - 1 = b``.

Examples
--------
>>> co = compute_optimal(3.5, 1.5)
>>> co["N_exponent"], co["t_exponent"], co["loss_exponent"]
(4/7, 3/7, -5/7)
>>> plrf_phase(0.7, 0.6)["phase"]
'II'
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from ..core import symbols as S
from ..core.errors import ParameterError
from ..core.expressions import parse_exact_number
from ..core.result import Result

a, b, alpha_K = S.a, S.b, S.alpha_K
#: PLRF (4+3 phases) exponents; distinct from the spectrum exponent ``scalingsym.symbols.alpha``
alpha_F = sp.Symbol("alpha_F", positive=True)
beta_F = sp.Symbol("beta_F", positive=True)
LATEX = {alpha_F: r"\alpha", beta_F: r"\beta"}

_SRC = "Bordelon-Atanasov-Pehlevan 2402.01092 via dynamics_and_regimes.md"

#: ``r_t``: ``L ~ t^-r_t`` at ``N = P = inf``
R_T = Result("time exponent", (a - 1) / b, lhs=sp.Symbol("r_t"), regime=(a > 1, b > 1), source=_SRC + " B1")
#: ``r_P``: ``L ~ P^-r_P`` at ``t = N = inf``
R_P = Result("data exponent", sp.Min(a - 1, 2 * b), lhs=sp.Symbol("r_P"), regime=(a > 1, b > 1), source=_SRC + " B1")
#: ``r_N``: single-model loss at ``t = P = inf`` (corrected; blog: ``min(a-1, 2b)``)
R_N = Result(
    "width exponent (single model)",
    sp.Min(a - 1, b),
    lhs=sp.Symbol("r_N"),
    regime=(a > 1, b > 1),
    source=_SRC + " B1 correction (blog states min(a-1, 2b))",
)
#: ``r_N`` of the bias of the ensemble-averaged predictor
R_N_ENSEMBLE = Result(
    "width exponent (ensemble-averaged bias)",
    sp.Min(a - 1, 2 * b),
    lhs=sp.Symbol(r"r_N^{\rm ens}"),
    regime=(a > 1, b > 1),
    source=_SRC + " B1",
)

_I = a - 1 <= b
#: compute-optimal exponents as piecewise expressions in ``(a, b)`` (``P = inf``, ``C = N t``)
N_OPT = Result(
    "compute-optimal model size exponent",
    sp.Piecewise((1 / (1 + b), _I), ((a - b) / a, True)),
    lhs=sp.Symbol(r"\xi_N"),
    regime=(a > 1, b > 1),
    source=_SRC + " B2 (a-1 <= b) and B2 correction (a-1 > b)",
)
T_OPT = Result(
    "compute-optimal time exponent",
    sp.Piecewise((b / (1 + b), _I), (b / a, True)),
    lhs=sp.Symbol(r"\xi_t"),
    regime=(a > 1, b > 1),
    source=_SRC + " B2",
)
L_OPT = Result(
    "compute-optimal loss exponent",
    sp.Piecewise((-(a - 1) / (1 + b), _I), (-(a - 1) / a, True)),
    lhs=sp.Symbol(r"\eta"),
    regime=(a > 1, b > 1),
    source=_SRC + " B2",
)


def _exact(x: Any, name: str) -> sp.Rational:
    if isinstance(x, sp.Basic) and not isinstance(x, sp.Rational):
        if not (x.is_number and x.is_real and x.is_finite):
            raise ParameterError(f"{name} must be a finite real number; got {x!r}")
        return x
    return parse_exact_number(x, name)


def _ab(a_: Any, b_: Any) -> tuple[sp.Rational, sp.Rational]:
    av, bv = _exact(a_, "a"), _exact(b_, "b")
    if bv <= 1:
        raise ParameterError(f"b must be > 1 (summable spectrum k^-b); got {b_}")
    if av <= 1:
        raise ParameterError(f"a must be > 1 (summable task power k^-a); got {a_}")
    return av, bv


def bottleneck_exponents(a_: Any, b_: Any) -> dict:
    """Exact ``r_t, r_P, r_N`` (single model), ``r_N`` (ensemble bias) and the blog's ``r_N``.

    >>> bottleneck_exponents(3.5, 1.5)["r_N"]
    3/2
    """
    av, bv = _ab(a_, b_)
    sub = {a: av, b: bv}
    return {
        "r_t": R_T.expr.subs(sub),
        "r_P": R_P.expr.subs(sub),
        "r_N": R_N.expr.subs(sub),
        "r_N_ensemble_bias": R_N_ENSEMBLE.expr.subs(sub),
        "r_N_blog": sp.Min(av - 1, 2 * bv),
    }


def compute_optimal(a_: Any, b_: Any) -> dict:
    """Exact compute-optimal exponents ``N* ~ C^N_exponent``, ``t* ~ C^t_exponent``, ``L* ~ C^loss_exponent``.

    Also returns ``rule`` (``"a-1<=b"`` or ``"a-1>b"``), the balanced terms, and the blog's formula
    (``blog_*``) for comparison.

    >>> compute_optimal(2, 1.5)["N_exponent"]
    2/5
    """
    av, bv = _ab(a_, b_)
    sub = {a: av, b: bv}
    m = sp.Min(av - 1, 2 * bv)
    first = bool(av - 1 <= bv)
    return {
        "N_exponent": sp.simplify(N_OPT.expr.subs(sub)),
        "t_exponent": sp.simplify(T_OPT.expr.subs(sub)),
        "loss_exponent": sp.simplify(L_OPT.expr.subs(sub)),
        "rule": "a-1<=b" if first else "a-1>b",
        "balance": "t^-(a-1)/b vs N^-(a-1)" if first else "t^-(a-1)/b vs N^-1 t^-(1-1/b)",
        "blog_N_exponent": (av - 1) / (av - 1 + bv * m),
        "blog_t_exponent": bv * m / (av - 1 + bv * m),
        "blog_loss_exponent": -(av - 1) * m / (av - 1 + bv * m),
    }


# ------------------------------------------------------------------------------- dictionary ------
def to_plrf(a_: Any, b_: Any) -> dict:
    """BAP ``(a, b)`` -> PLRF ``(alpha, beta)``: ``b = 2 alpha``, ``a = 2 alpha + 2 beta`` (sheet A4).

    >>> to_plrf(2, 1.5)
    {'alpha': 3/4, 'beta': 1/4}
    """
    av, bv = _exact(a_, "a"), _exact(b_, "b")
    return {"alpha": bv / 2, "beta": (av - bv) / 2}


def from_plrf(alpha_: Any, beta_: Any) -> dict:
    """PLRF ``(alpha, beta)`` -> BAP ``(a, b)``.

    >>> from_plrf(0.75, 0.25)
    {'a': 2, 'b': 3/2}
    """
    al, be = _exact(alpha_, "alpha"), _exact(beta_, "beta")
    return {"a": 2 * al + 2 * be, "b": 2 * al}


def from_bahri(alpha_K_: Any) -> dict:
    """Bahri et al.'s ``lambda_i = i^-(1 + alpha_K)`` with an isotropic teacher: ``a = b = 1 + alpha_K``.

    >>> from_bahri(1)
    {'a': 2, 'b': 2}
    """
    ak = _exact(alpha_K_, "alpha_K")
    return {"a": 1 + ak, "b": 1 + ak}


def to_bahri(a_: Any, b_: Any) -> sp.Rational:
    """``alpha_K = b - 1``; only defined for ``a = b`` (isotropic teacher)."""
    av, bv = _exact(a_, "a"), _exact(b_, "b")
    if av != bv:
        raise ParameterError(f"Bahri et al.'s isotropic teacher needs a = b; got a={a_}, b={b_}")
    return bv - 1


# ---------------------------------------------------------------------------- phase classifier ----
PHASES = {
    "I": (1 / (2 * alpha_F + 1), (2 * alpha_F + 2 * beta_F - 1) / (2 * alpha_F + 1), "F_pp vs F_0", "2 beta < 1"),
    "II": (
        beta_F / (alpha_F + beta_F),
        (2 * alpha_F + 2 * beta_F - 1) / (2 * (alpha_F + beta_F)),
        "F_pp vs F_ac",
        "1 < 2 beta < 2 alpha",
    ),
    "III": (sp.Rational(1, 2), 1 - 1 / (4 * alpha_F), "F_ac vs K_pp", "2 beta > 2 alpha"),
}


def plrf_phase(alpha_: Any, beta_: Any) -> dict:
    """Phase of the PLRF model (one-pass SGD, ``2 alpha > 1``) with ``d* ~ f^xi``, ``loss ~ f^-eta``.

    Table of sheet B7 (derived from the coded component asymptotics of the 4+3 group; phase IV,
    ``2 alpha < 1``, and sub-phases Ib/Ic are not covered). On a boundary the two neighbouring rules
    agree and the lower phase is reported. Gradient flow (BAP) has no ``K_pp`` term: for it, use
    :func:`compute_optimal` (Phase-II rule for every ``a > b + 1``).

    >>> plrf_phase(0.7, 0.3)["d_exponent"]
    5/12
    """
    al, be = _exact(alpha_, "alpha"), _exact(beta_, "beta")
    if al <= 0 or be <= 0:
        raise ParameterError(f"alpha and beta must be > 0; got alpha={alpha_}, beta={beta_}")
    if 2 * al <= 1:
        raise ParameterError(f"the phase classifier covers 2 alpha > 1 only (phase IV not covered); got alpha={alpha_}")
    phase = "I" if 2 * be <= 1 else ("II" if be <= al else "III")
    xi, eta, bal, cond = PHASES[phase]
    sub = {alpha_F: al, beta_F: be}
    return {
        "phase": phase,
        "condition": cond,
        "balance": bal,
        "d_exponent": sp.simplify(xi.subs(sub)) if isinstance(xi, sp.Basic) else xi,
        "loss_exponent": sp.simplify(eta.subs(sub)),
        "bap": from_plrf(al, be),
    }


def latex_summary() -> str:
    """LaTeX of the exponent laws (``align`` rows)."""
    rows = [R_T, R_P, R_N, R_N_ENSEMBLE, N_OPT, T_OPT, L_OPT]
    return "\n".join(r.to_latex(label=f"eq:bap-{i}") for i, r in enumerate(rows))
