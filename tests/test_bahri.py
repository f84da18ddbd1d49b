"""Bahri et al.'s teacher-student model on the core: variance/resolution-limited regimes and the D <-> P duality."""

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

from scalingsym.core import symbols as S
from scalingsym.core.errors import ParameterError
from scalingsym.core.resolvent import ridgeless_rho
from scalingsym.core.spectra import PowerLaw
from scalingsym.core.tasks import Task
from scalingsym.models.bahri import A_w, B_w, BahriModel, e1_s, fit_exponent
from scalingsym.simulate.bahri import simulate_bahri
from scalingsym.simulate.ridge import simulate_ridge
from scalingsym.theory.bahri import (
    _ridgeless_branches,
    duality,
    resolution_limited,
    variance_limited,
    variance_limited_general,
)


def _sums(spec, rho, task):
    return float(spec.sums(rho, 1, 1, task)), float(spec.sums(rho, 2, 2, task)), float(rho * spec.sums(rho, 1, 2))


def test_variance_limited_symbolic_coefficients():
    r = variance_limited()
    L = sp.Function("L")
    assert r["underparameterised"].data["exponent"] == 1
    assert r["overparameterised"].data["exponent"] == 1
    assert sp.simplify(r["underparameterised"].data["coefficient"] - S.P * L(S.P)) == 0
    assert sp.simplify(r["overparameterised"].data["coefficient"] - S.D * L(S.D)) == 0
    # the exact underparameterised law L(P) / (1 - P/D) (static_rf_ridge.md B2)
    assert sp.simplify(r["exact_under"].expr - L(S.P) / (1 - S.P / S.D)) == 0


@pytest.mark.parametrize("aK", [0.5, 1.0])
def test_variance_limited_numeric_limit(aK):
    """D (L(D,P) - L(P)) -> P L(P) with relative error P/D (exact: (P/D)/(1-P/D) expansion)."""
    m = BahriModel(aK, S=2000)
    P = 50.0
    LP = float(m.loss_P(P))
    # L(P) independently: w_var/2 * P * rho_0(P) with d1(rho_0) = P (B2)
    assert LP == pytest.approx(0.5 / 2000 * P * float(ridgeless_rho(m.spectrum, P)), rel=1e-12)
    for D in (1e4, 1e6):
        c = D * (float(m.loss(D, P)) - LP)
        assert c == pytest.approx(P * LP, rel=2 * P / D)
    D = 50.0
    LD = float(m.loss_D(D))
    for P in (1e4, 1e6):
        c = P * (float(m.loss(D, P)) - LD)
        assert c == pytest.approx(D * LD, rel=2 * D / P)


@pytest.mark.parametrize("nu", [0.0, 0.7, -0.4])
def test_general_teacher_symbolic_branches_match_core(nu):
    """The sympy ridgeless branches, fed with spectral sums, reproduce the core's numeric loss on both sides."""
    spec = PowerLaw(alpha=1.0, M=1000)
    task = Task.power(nu)
    m = BahriModel(1.0, S=1000, task=task)
    under, over = _ridgeless_branches()
    for n_, m_ in ((40.0, 160.0), (100.0, 300.0)):
        r = float(ridgeless_rho(spec, n_))
        A, B, e1 = _sums(spec, r, task)
        subs = {S.rho: r, A_w: A, B_w: B, e1_s: e1}
        Eu = float(under.subs(subs).subs({S.N: n_, S.T: m_}))
        Eo = float(over.subs(subs).subs({S.N: m_, S.T: n_}))
        assert float(m.loss(D=m_, P=n_)) == pytest.approx(Eu / 2000, rel=1e-10)
        assert float(m.loss(D=n_, P=m_)) == pytest.approx(Eo / 2000, rel=1e-10)


def test_general_teacher_variance_limited_coefficients():
    g = variance_limited_general()
    assert g["underparameterised"].data["exponent"] == 1
    assert g["overparameterised"].data["exponent"] == 1
    # isotropic reduction: A_w = d1 = D, B_w = d2 = D - e1 -> coefficient D * L(D)
    iso = {A_w: S.D, B_w: S.D - e1_s}
    co = g["overparameterised"].data["coefficient"].subs(iso)
    Lo = g["overparameterised"].data["L_inf"].subs(iso)
    assert sp.simplify(co - S.D * Lo) == 0


def test_duality_symbolic_and_numeric():
    d = duality()
    assert sp.simplify(d.expr.subs({A_w: S.n, B_w: S.n - e1_s})) == 0  # isotropic: exact
    assert sp.simplify(d.expr.subs({A_w: 2 * S.n, B_w: S.n - e1_s})) != 0
    spec = PowerLaw(alpha=1.0, M=1000)
    iso = BahriModel(1.0, S=1000)
    for n_, m_ in ((40.0, 160.0), (120.0, 500.0)):
        assert float(iso.loss(D=m_, P=n_)) == pytest.approx(float(iso.loss(D=n_, P=m_)), rel=1e-12)
        for nu in (0.7, -0.4):
            task = Task.power(nu)
            g = BahriModel(1.0, S=1000, task=task)
            diff = float(g.loss(D=m_, P=n_) - g.loss(D=n_, P=m_))
            r = float(ridgeless_rho(spec, n_))
            A, B, e1 = _sums(spec, r, task)
            sym = float(d.expr.subs({S.rho: r, A_w: A, B_w: B, e1_s: e1, S.n: n_})) / 2000
            assert diff == pytest.approx(sym, rel=1e-9)
            assert abs(diff) > 1e-3 * float(g.loss(D=m_, P=n_))  # broken, visibly


def test_duality_simulation_general_teacher():
    """Swapped (N, T) pairs by Monte Carlo: equal for the isotropic teacher, different for nu = 1.

    M = 400, n = 40, m = 160, 24 seeds x 8 teachers: the DE is good to ~1/n = 2.5%; stderr ~2%.
    """
    spec = PowerLaw(alpha=1.0, M=400)
    out = {}
    for nu in (0.0, 1.0):
        task = Task.power(nu)
        a = simulate_ridge(spec, 40, 160, 0.0, seeds=24, seed=1, task=task)
        b = simulate_ridge(spec, 160, 40, 0.0, seeds=24, seed=2, task=task)
        m = BahriModel(1.0, S=400, task=task)
        for res, (P, D) in ((a, (40, 160)), (b, (160, 40))):
            th = float(m.loss(D=D, P=P))
            tol = 3 * float(res.loss_stderr[0]) + 0.05 * th
            assert abs(float(res.loss_mean[0]) - th) < tol
        out[nu] = (float(a.loss_mean[0]), float(b.loss_mean[0]), float(a.loss_stderr[0] + b.loss_stderr[0]))
    a0, b0, se0 = out[0.0]
    assert abs(a0 - b0) < 3 * se0 + 0.05 * a0
    a1, b1, se1 = out[1.0]
    m = BahriModel(1.0, S=400, task=Task.power(1.0))
    th_gap = float(m.loss(D=160, P=40) - m.loss(D=40, P=160))
    assert np.sign(a1 - b1) == np.sign(th_gap) and abs(a1 - b1) > 3 * se1


@pytest.mark.parametrize("aK", [0.5, 1.0, 2.0])
def test_resolution_limited_exponent_and_prefactor(aK):
    m = BahriModel(aK, S=math.inf)
    P = np.array([1e4, 3e4, 1e5])
    L = m.loss_P(P)
    assert fit_exponent(P, L) == pytest.approx(aK, abs=2e-3)
    pref = float(resolution_limited(sp.nsimplify(aK))["L_P"].data["prefactor"])
    # P^alpha L(P) / (1/2) -> A^(1+alpha); relative correction O(1/P) (B3 refined: n -> n + 1/2)
    assert 2 * P[-1] ** aK * L[-1] == pytest.approx(pref, rel=(1 + aK) / P[-1] * 2)
    assert float(m.loss_D(1e5)) == pytest.approx(float(L[-1]), rel=1e-12)  # duality at S = inf


@pytest.mark.parametrize("aK", [0.5, 2.0])
def test_tail_sum_prefactor_is_one_over_alpha(aK):
    """sum_{i>D} i^-(1+a) = zeta(1+a, D+1) ~ D^-a / a (Bahri eq. 5 prints alpha_K as the prefactor)."""
    r = resolution_limited()["tail_sum"]
    assert r.data["prefactor"] == 1 / S.alpha_K and r.data["exponent"] == S.alpha_K
    D = 10**6
    exact = mpmath.zeta(1 + aK, D + 1)
    assert float(exact * D**aK * aK) == pytest.approx(1.0, rel=(1 + aK) / D)


def test_variance_limited_simulation():
    """Excess L(D,P) - L(P) by Monte Carlo (common random numbers) vs the DE and vs Gaussian OLS.

    S = 400, P = 20, 24 seeds x 16 teachers. Gaussian least squares gives exactly
    E[excess] = L(P) P / (D - P - 1) (independent classical result); the DE P L(P)/(D - P) differs by O(1/D).
    """
    aK, S_, P = 1.0, 400, 20
    Ds = np.array([80, 160, 320, 640])
    r = simulate_bahri(aK, S_, P=P, D=list(Ds), seeds=24, teachers=16, seed=3)
    m = BahriModel(aK, S=S_)
    LP = float(m.loss_P(P))
    assert r.limit_mean == pytest.approx(LP, abs=3 * r.limit_stderr + 0.05 * LP)  # eq. 1 vs DE, O(1/P)
    ols = r.limit_mean * P / (Ds - P - 1)
    de = m.loss(Ds, P) - LP
    for i in range(Ds.size):
        assert abs(r.excess_mean[i] - ols[i]) < 3 * r.excess_stderr[i] + 0.03 * ols[i]
        assert abs(r.excess_mean[i] - de[i]) < 3 * r.excess_stderr[i] + 0.08 * de[i]
    assert fit_exponent(Ds, r.excess_mean) == pytest.approx(fit_exponent(Ds, de), abs=0.08)


def test_overparameterised_simulation():
    """L(D,P) - L(D) ~ D L(D) / P for P >> D (S = 400, D = 20)."""
    aK, S_, D = 1.0, 400, 20
    Ps = np.array([80, 160, 320])
    r = simulate_bahri(aK, S_, D=D, P=list(Ps), seeds=24, teachers=16, seed=4)
    m = BahriModel(aK, S=S_)
    de = m.loss(D, Ps) - m.loss_D(D)
    for i in range(Ps.size):
        assert abs(r.excess_mean[i] - de[i]) < 3 * r.excess_stderr[i] + 0.12 * de[i]


def test_bad_input():
    with pytest.raises(ParameterError, match="alpha_K"):
        BahriModel(-1.0)
    with pytest.raises(ParameterError, match="D"):
        BahriModel(1.0).loss(D=-3, P=10)
    with pytest.raises(ParameterError, match="list"):
        simulate_bahri(1.0, 100, P=10, D=20)


def test_cli_bahri(capsys):
    import argparse
    import json

    from scalingsym.cli import bahri as cli_bahri

    p = argparse.ArgumentParser()
    cli_bahri.register(p.add_subparsers())
    args = p.parse_args(["bahri", "--alpha-K", "0.5", "--json"])
    args.handler(args)
    out = json.loads(capsys.readouterr().out)
    ex = out["exponents"]
    assert (ex["variance_limited_D"], ex["variance_limited_P"]) == (1, 1)
    assert ex["resolution_limited_D"] == ex["resolution_limited_P"] == 0.5
    A = math.pi / (1.5 * math.sin(math.pi / 1.5))
    assert out["coefficients"]["resolution_limited_value"] == pytest.approx(A**1.5, rel=1e-14)
    assert out["coefficients"]["tail_sum_value"] == 2.0
    assert out["coefficients"]["variance_limited_D"] == "P*L(P)"
    # S = inf: w_var = 1, L(P) = P rho_0(P) / 2
    assert out["L_P"] == pytest.approx(100 * float(ridgeless_rho(PowerLaw(0.5), 100.0)) / 2, rel=1e-12)
