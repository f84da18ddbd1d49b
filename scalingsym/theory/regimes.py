"""Regime map of the ridge test loss ``L(N, T, gamma)`` (static_rf_ridge.md B2-B5), for any spectrum law.

Every regime law follows from (B1) and the small-``rho`` laws of :mod:`.spectral`:

* **ridgeless** (``gamma_bar << m Delta(n)``, away from ``N = T``): ``L = w_var/2 Delta(n)/(1 - n/m)`` with
  ``Delta(n) = n rho_0(n)``, ``d1(rho_0) = n`` (B2); power law: ``lambda_plus A^(1+alpha) n^-alpha`` (B3);
* **ridge-dominated** (``1 << d1 << n``): ``(N - d1)(T - d1) ~ N T`` so ``rho ~ s = gamma_bar/(N T)`` and
  (B1b) reduces to ``L ~ w_var/2 rho (d1 - d2)``; power law: ``w_var/2 A/(1+alpha) lambda_plus^(1/(1+alpha))
  s^(alpha/(1+alpha))`` (B5b);
* **regulated peak** (``N = T = n``, ``gamma_bar << n Delta(n)``): ``n - d1 = eps = sqrt(gamma_bar/rho)``
  and ``L ~ w_var/4 rho_0^(3/2) n^2 gamma_bar^-1/2`` (B5c), derived here by a sympy limit;
* **saturation** (``gamma_bar >> lambda_1 N T``): ``L -> w_var/2 sum_k lambda_k = E[y^2]/2`` (B5d);
* **finite M** (B5e): ``L = 0`` for ``n >= M`` at ``gamma = 0``; for ``N, T > M`` and
  ``gamma_bar << lambda_M (N-M)(T-M)``: ``L ~ w_var/2 gamma_bar^2 N T sum_k lambda_k^-1 / ((N-M)(T-M))^3``.

Inequalities in ``Result.regime`` mean "much less than". Exponents are extracted from each leading
law with sympy limits: the slope ``lim x d log L / d log x`` and the log power
``lim log x (x d log L/d log x - slope)``, with the other variables held fixed.

Examples
--------
>>> from scalingsym.theory.spectral import TailLaw
>>> rm = regime_map(TailLaw.power_law())
>>> rm["ridge_dominated"].data["slopes"]["gamma"]
alpha/(alpha + 1)
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import sympy as sp

from ..core import symbols as S
from ..core.result import Result
from ..models.ridge import LOSS_B1B
from .big_arguments import number, zeta_or_harmonic
from .spectral import A_alpha, TailLaw, e1_asymptotic, ridgeless_rho_asymptotic, tail_law

L_sym = S.L
_X = sp.Symbol("X", positive=True)


def power_and_log(expr: sp.Expr, x: sp.Symbol) -> tuple[sp.Expr, sp.Expr]:
    """``(slope, log power)`` of ``expr ~ x^slope (log x)^logpow`` as ``x -> oo`` (other symbols fixed).

    Examples
    --------
    >>> power_and_log(S.N**-2 * sp.log(S.N)**3, S.N)
    (-2, 3)
    """
    e = expr.subs(x, _X)
    dl = sp.expand(_X * sp.diff(sp.expand_log(sp.log(e), force=True), _X))
    if not dl.has(_X):  # a pure power of x: no limit needed
        return sp.factor(sp.together(dl)), sp.Integer(0)
    slope = sp.limit(dl, _X, sp.oo)
    if not slope.is_finite:
        return slope, sp.nan
    logpow = sp.limit(sp.log(_X) * (dl - slope), _X, sp.oo)
    return sp.factor(slope), sp.factor(logpow) if logpow.is_finite else logpow


_LOG_X = sp.Symbol("log_x", positive=True)


def leading_power_log(expr: sp.Expr, x: sp.Symbol) -> tuple[sp.Expr, sp.Expr]:
    """``(slope, log power)`` of ``expr ~ x^slope (log x)^q`` for expressions with nested logarithms.

    Each ``log(arg)`` whose argument grows like ``x^p (log x)^r`` is replaced, innermost first, by its leading
    term ``p log x`` (``p`` from a limit of a rational function); the result is a monomial in ``x`` and
    ``log x`` whose exponents are read off. Faster than :func:`power_and_log` on nested logs, where sympy's
    ``limit`` can take minutes; falls back to it for a log of a slowly varying argument.

    Examples
    --------
    >>> leading_power_log(sp.log(2 * S.N) * sp.log(S.N * sp.sqrt(sp.log(S.N))) / S.N**2, S.N)
    (-2, 2)
    """
    def rep(e: sp.Expr) -> sp.Expr:
        if e.is_Atom:
            return e
        e = e.func(*[rep(a) for a in e.args])
        if isinstance(e, sp.log) and e.has(x):
            dl = sp.expand(x * sp.diff(sp.expand_log(sp.log(e.args[0]), force=True), x))
            p = sp.limit(dl, x, sp.oo)
            if p == 0 or not p.is_finite:
                raise ValueError("slowly varying argument")
            return p * _LOG_X
        return e

    try:
        r = rep(expr)
    except ValueError:
        return power_and_log(expr, x)
    le = sp.expand_log(sp.log(r.subs(sp.log(x), _LOG_X)), force=True)
    slope, q = sp.simplify(x * sp.diff(le, x)), sp.simplify(_LOG_X * sp.diff(le, _LOG_X))
    if slope.has(x, _LOG_X) or q.has(x, _LOG_X):
        return power_and_log(expr, x)
    return sp.factor(slope), sp.factor(q)


def _conds(*rels) -> tuple:
    """Drop conditions that are identically true (e.g. ``n < M`` for ``M = oo``)."""
    return tuple(r for r in rels if r is not sp.true)


def _slopes(expr: sp.Expr, variables: dict[str, sp.Symbol]) -> tuple[dict, dict]:
    slopes, logs = {}, {}
    for name, sym in variables.items():
        slopes[name], logs[name] = power_and_log(expr, sym)
    return slopes, logs


@lru_cache(maxsize=1)
def derive_regulated_peak() -> sp.Expr:
    """Leading (B1b) at ``N = T = n`` as ``gamma_bar -> 0``: ``w_var/4 rho^(3/2) n^2 / sqrt(gamma_bar)``.

    Derivation: at ``N = T = n`` the saddle point (B1a) gives ``n - d1 = eps = sqrt(gamma_bar/rho)``; insert
    ``d1 = n - eps`` and ``d2 = d1 - e1`` in (B1b) and take the leading term ``eps -> 0+`` at fixed ``e1``.

    Examples
    --------
    >>> derive_regulated_peak()
    n**2*rho**(3/2)*w_var/(4*sqrt(gammabar))
    """
    eps = S.epsilon
    e1 = sp.Symbol("e_1", positive=True)
    L = LOSS_B1B.subs({S.T: S.n, S.N: S.n}).subs({S.d2: S.d1 - e1}).subs(S.d1, S.n - eps)
    lead = sp.limit(L * eps, eps, 0, "+")
    return sp.simplify((lead / eps).subs(eps, sp.sqrt(S.gamma_bar / S.rho)))


def _trace(law: TailLaw, power: int = 1) -> sp.Expr:
    M = law.M
    if law.kind == "power":
        return law.scale**power * zeta_or_harmonic(M, power * law.beta)
    return sp.Sum(law.lam**power, (S.k, 1, M))


def regime_map(spectrum: Any) -> dict[str, Result]:
    """The regimes of ``L(N, T, gamma)`` for a spectrum (object, ``TailLaw``, expression or string).

    Returns
    -------
    dict of Result
        Keys ``ridgeless``, ``ridge_dominated``, ``regulated_peak``, ``saturation``,
        ``finite_M_ridgeless`` and ``finite_M_ridge``. Each ``Result.data`` holds ``slopes`` (signed
        ``d log L / d log x`` for ``x = N, T, gamma``; ``n`` for the ridgeless and peak laws),
        ``log_powers``, ``prefactor`` and ``crossovers`` (to neighbouring regimes). Laws are in
        ``w_var`` and ``gamma_bar = gamma/u_var``; slopes in ``gamma`` equal those in ``gamma_bar``.

    Examples
    --------
    >>> rm = regime_map("k**-2")
    >>> rm["ridgeless"].data["slopes"]["N"], rm["regulated_peak"].data["slopes"]["n"]
    (-1, -1)
    """
    law = tail_law(spectrum)
    N, T, n, m, gb, w = S.N, S.T, S.n, S.m, S.gamma_bar, S.w_var
    M = law.M
    rho0 = ridgeless_rho_asymptotic(law).expr
    Delta = sp.powsimp(n * rho0)
    e1 = e1_asymptotic(law).expr
    s = gb / (N * T)
    conv = "L = 1/2 E[(z-y)^2]; w_var = Var(w_k); gamma_bar = gamma/u_var; M = oo continuum unless stated"
    out: dict[str, Result] = {}

    # ---- ridgeless ---------------------------------------------------------------------------------------
    Lr = w * Delta / (2 * (1 - n / m))
    sl_n, lg_n = power_and_log(Delta, n)
    slopes = {"n": sl_n, "N": sl_n, "T": sl_n}  # L ~ Delta(min(N, T)) deep on either side (n << m)
    x_rd = m * Delta  # gamma_bar scale where the ridge starts to matter
    out["ridgeless"] = Result(
        "ridgeless loss (MRS)", Lr, lhs=L_sym, regime=_conds(n < m, gb < x_rd, n < M),
        source="static_rf_ridge.md B2-B3; Delta(n) = n rho_0(n) from the small-rho law of d1", exact=False,
        order=ridgeless_rho_asymptotic(law).order, convention=conv + "; n = min(N,T), m = max(N,T)",
        data={"slopes": slopes, "log_powers": {"n": lg_n, "N": lg_n, "T": lg_n}, "Delta": Delta,
              "prefactor": sp.simplify(Delta / n ** sl_n / (sp.log(n) ** lg_n if lg_n not in (0, sp.nan) else 1))
              if sl_n.is_finite else None,
              "crossovers": {"ridge_dominated": sp.Eq(gb, x_rd), "finite_M_ridgeless": sp.Eq(n, M),
                             "regulated_peak": sp.Eq(n, m)}},
    )

    # ---- ridge-dominated ---------------------------------------------------------------------------------
    Lrd = (w / 2 * S.rho * e1).subs(S.rho, s)
    Lrd = sp.powsimp(Lrd)
    slopes, logs = _slopes(Lrd, {"N": N, "T": T, "gamma": gb})
    if law.kind == "exponential":
        sat_scale = law.scale * N * T  # d1 ~ 1 where rho ~ C
    else:
        k_sat = 1 / (sp.pi * law.sigma / sp.sin(sp.pi * law.sigma))
        k_sat = number(k_sat, law.beta)  # an exact k_sat^beta would have ~beta digits
        sat_scale = law.lam_asym(k_sat) * N * T  # d1(rho) = 1
    regime = (x_rd < gb, gb < sat_scale)
    if M != sp.oo:
        regime = regime + (law.lam_asym(M) * N * T < gb,)
    out["ridge_dominated"] = Result(
        "ridge-dominated loss", Lrd, lhs=L_sym, regime=regime,
        source="static_rf_ridge.md B5b: rho ~ gamma_bar/(N T), L ~ w_var/2 rho (d1 - d2)",
        order="relative O(d1/n) + O(1/d1) + the order of the d1 - d2 law", convention=conv,
        data={"slopes": slopes, "log_powers": logs, "s": s,
              "crossovers": {"ridgeless": sp.Eq(gb, x_rd), "saturation": sp.Eq(gb, sat_scale),
                             "finite_M_ridge": sp.Eq(gb, law.lam_asym(M) * N * T) if M != sp.oo else None}},
    )

    # ---- regulated peak ----------------------------------------------------------------------------------
    Lp = derive_regulated_peak().subs(S.rho, rho0)
    Lp = sp.powsimp(Lp)
    sl_pn, lg_pn = power_and_log(Lp, n)
    sl_pg, lg_pg = power_and_log(Lp, gb)
    out["regulated_peak"] = Result(
        "regulated interpolation peak (N = T = n)", Lp, lhs=L_sym,
        regime=(sp.Eq(N, T), gb < n * Delta),
        source="static_rf_ridge.md B5c; n - d1 = sqrt(gamma_bar/rho_0) in (B1b)",
        order="relative O(sqrt(gamma_bar/(n Delta(n))))", convention=conv,
        data={"slopes": {"n": sl_pn, "gamma": sl_pg}, "log_powers": {"n": lg_pn, "gamma": lg_pg},
              "crossovers": {"ridge_dominated": sp.Eq(gb, n * Delta)}},
    )

    # ---- saturation ---------------------------------------------------------------------------------------
    lam1 = law.lam.subs(S.k, 1) if law.lam is not None else law.scale
    if lam1 == 0:  # a symbolic tail law such as C k^-beta (log k)^c: use its scale as the top eigenvalue
        lam1 = law.scale
    tr = _trace(law)
    out["saturation"] = Result(
        "large-ridge saturation", w * tr / 2, lhs=L_sym, regime=(lam1 * N * T < gb,),
        source="static_rf_ridge.md B5d: L -> E[y^2]/2 (the predictor -> 0)",
        order="relative O(N T sum(lambda^2) / (gamma_bar sum(lambda)))", convention=conv,
        data={"slopes": {"N": 0, "T": 0, "gamma": 0}, "log_powers": {"N": 0, "T": 0, "gamma": 0},
              "crossovers": {"ridge_dominated": sp.Eq(gb, sat_scale)}},
    )

    # ---- finite M -------------------------------------------------------------------------------------------
    Msym = M if M != sp.oo else S.M
    out["finite_M_ridgeless"] = Result(
        "ridgeless loss beyond the latent dimension", sp.Integer(0), lhs=L_sym, regime=(sp.Ge(n, Msym),),
        source="static_rf_ridge.md B2/B5e (noiseless teacher: exact recovery)", exact=True, convention=conv,
        data={"slopes": {}, "log_powers": {}, "crossovers": {"ridgeless": sp.Eq(n, Msym)}},
    )
    if law.kind == "power":
        inv = law.scale**-1 * (sp.harmonic(Msym, -law.beta) if M != sp.oo else sp.Sum(S.k**law.beta, (S.k, 1, Msym)))
    else:
        inv = sp.Sum(1 / law.lam, (S.k, 1, Msym)) if law.lam is not None else sp.Symbol("sum_inv_lambda")
    Lf = w / 2 * gb**2 * N * T * inv / ((N - Msym) * (T - Msym)) ** 3
    slopes_f, logs_f = _slopes(Lf, {"N": N, "T": T, "gamma": gb})
    lamM = law.lam.subs(S.k, Msym) if law.lam is not None else law.lam_asym(Msym)
    out["finite_M_ridge"] = Result(
        "small ridge beyond the latent dimension (N, T > M)", Lf, lhs=L_sym,
        regime=(Msym < N, Msym < T, gb < lamM * (N - Msym) * (T - Msym)),
        source="static_rf_ridge.md B5e: d1 ~ M - rho sum 1/lambda, d1 - d2 ~ rho sum 1/lambda",
        order="relative O(rho / lambda_M) with rho = gamma_bar/((N-M)(T-M))", convention=conv,
        data={"slopes": slopes_f, "log_powers": logs_f, "sum_inv_lambda": inv,
              "crossovers": {"ridge_dominated": sp.Eq(gb, lamM * N * T)}},
    )
    if law.kind == "broken":
        # below the break (d1 << k_break) the head power law governs: its ridgeless and ridge-dominated laws
        kb = law.break_data["k_break"]
        head = regime_map(TailLaw.power_law(law.break_data["beta1"] - 1, law.break_data["lambda_plus"], M))
        for key in ("ridgeless", "ridge_dominated"):
            r = head[key]
            extra = (n < kb,) if key == "ridgeless" else (gb > (law.break_data["lambda_plus"] * kb
                                                               ** (-law.break_data["beta1"]) * N * T),)
            out[f"{key}_below_break"] = Result(
                r.name + " below the break", r.expr, lhs=r.lhs, regime=r.regime + extra, source=r.source,
                order=r.order + "; relative O(d1/k_break)", convention=r.convention, data=r.data)
    return out


def exponents(spectrum: Any) -> dict[str, Result]:
    """Scaling exponents of the loss (the ``exponents`` CLI), each a :class:`Result` with the exact value.

    Keys (broken power laws add ``ridgeless_N_below_break`` and ``ridge_dominated_N_below_break``):
    ``ridgeless_N``, ``ridgeless_T`` (decay exponents: ``L ~ N^-x`` for ``N << T`` and ``L ~ T^-x``
    for ``T << N``), ``ridge_dominated_N``, ``ridge_dominated_T`` (decay, ``L ~ N^-x``),
    ``ridge_dominated_gamma`` (growth, ``L ~ gamma^x``), ``log_power`` (``L ~ n^-x (log n)^log_power``
    in the ridgeless regime), ``ridge_dominated_log_power`` (power of ``log N``, i.e. of ``log(N T/gamma_bar)``),
    ``peak_n`` and ``peak_gamma`` (decay exponents of the regulated peak). ``oo`` means faster than any
    power (exponential spectra).

    Examples
    --------
    >>> ex = exponents(TailLaw.power_law(1))
    >>> ex["ridgeless_N"].expr, ex["ridge_dominated_gamma"].expr
    (1, 1/2)
    """
    rm = regime_map(spectrum)
    rl, rd, pk = rm["ridgeless"], rm["ridge_dominated"], rm["regulated_peak"]

    def mk(name: str, value: sp.Expr, res: Result, what: str) -> Result:
        return Result(name, sp.factor(value) if value.is_finite else value, lhs=sp.Symbol(name),
                      regime=res.regime, source=f"{what}; {res.source}", exact=True, convention=res.convention,
                      data={"law": res.expr})

    lp = rl.data["log_powers"]["N"]
    lp_rd = rd.data["log_powers"]["N"]
    out = {
        "ridgeless_N": mk("ridgeless_N", -rl.data["slopes"]["N"], rl, "L ~ N^-x, N << T"),
        "ridgeless_T": mk("ridgeless_T", -rl.data["slopes"]["T"], rl, "L ~ T^-x, T << N"),
        "ridge_dominated_N": mk("ridge_dominated_N", -rd.data["slopes"]["N"], rd, "L ~ N^-x"),
        "ridge_dominated_T": mk("ridge_dominated_T", -rd.data["slopes"]["T"], rd, "L ~ T^-x"),
        "ridge_dominated_gamma": mk("ridge_dominated_gamma", rd.data["slopes"]["gamma"], rd, "L ~ gamma^x"),
        "log_power": mk("log_power", lp, rl, "L ~ n^-x (log n)^p"),
        "ridge_dominated_log_power": mk("ridge_dominated_log_power", lp_rd, rd, "L ~ N^-x log(N)^p"),
        "peak_n": mk("peak_n", -pk.data["slopes"]["n"], pk, "L ~ n^-x at N = T"),
        "peak_gamma": mk("peak_gamma", -pk.data["slopes"]["gamma"], pk, "L ~ gamma^-x at N = T"),
    }
    if "ridgeless_below_break" in rm:
        hb, hr = rm["ridgeless_below_break"], rm["ridge_dominated_below_break"]
        out["ridgeless_N_below_break"] = mk("ridgeless_N_below_break", -hb.data["slopes"]["N"], hb, "n << k_break")
        out["ridge_dominated_N_below_break"] = mk("ridge_dominated_N_below_break", -hr.data["slopes"]["N"], hr,
                                                  "d1 << k_break")
    return out


def crossover_scales(spectrum: Any) -> dict[str, sp.Expr]:
    """The crossover ``gamma_bar`` scales: ``m Delta(n)`` (ridgeless / ridge-dominated), ``n Delta(n)``
    (regulated peak), ``N T rho_1`` with ``d1(rho_1) = 1`` (ridge-dominated / saturation).

    Examples
    --------
    >>> crossover_scales(TailLaw.power_law(1, 1))["ridgeless_to_ridge"]
    pi**2*m/(4*n)
    """
    rm = regime_map(spectrum)
    return {
        "ridgeless_to_ridge": rm["ridgeless"].data["crossovers"]["ridge_dominated"].rhs,
        "peak_to_ridge": rm["regulated_peak"].data["crossovers"]["ridge_dominated"].rhs,
        "ridge_to_saturation": rm["ridge_dominated"].data["crossovers"]["saturation"].rhs,
    }


def power_law_prefactors() -> dict[str, sp.Expr]:
    """The sheet's closed forms for ``lambda_plus k^-(1+alpha)`` (B3, B5b, B5c) in terms of ``A_alpha``.

    Examples
    --------
    >>> power_law_prefactors()["A"]
    pi/((alpha + 1)*sin(pi/(alpha + 1)))
    """
    a, lp = S.alpha, S.lambda_plus
    A = A_alpha(a)
    return {
        "A": A,
        "Delta": lp * A ** (1 + a) * S.n ** (-a),
        "ridge_dominated": S.w_var / 2 * A / (1 + a) * lp ** (1 / (1 + a))
        * (S.gamma_bar / (S.N * S.T)) ** (a / (1 + a)),
        "regulated_peak": S.w_var / 4 * (lp * A ** (1 + a) * S.n ** (-a)) ** sp.Rational(3, 2) * sp.sqrt(S.n)
        / sp.sqrt(S.gamma_bar),
    }
