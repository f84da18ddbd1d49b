"""N <-> T duality and the limits (issue 4): symbolic proofs, counterexamples, numeric and Monte-Carlo checks."""

import argparse
import json
import math

import numpy as np
import pytest
import sympy as sp

from scalingsym import PowerLaw, RandomFeatureRidge, Task, simulate_ridge
from scalingsym.core import symbols as S
from scalingsym.core.errors import ParameterError
from scalingsym.simulate.duality import finite_size_identity, monte_carlo_duality
from scalingsym.theory.duality import NT_DUALITY, TRAIN_LOSS, grid_check, train_loss, verify
from scalingsym.theory.limits import check_limit, large_ridge, m_infinity, n_infinity, ridgeless, t_infinity


@pytest.mark.parametrize("q", ["saddle", "rho", "d1", "loss"])
def test_invariants_have_symbolic_proof(q):
    v = verify(NT_DUALITY, q)
    assert v.holds and v.difference == 0 and v.steps


def test_train_loss_not_invariant_with_counterexample():
    v = verify(NT_DUALITY, "train_loss")
    assert not v.holds and v.counterexample["rel_diff"] > 0.5
    # ratio written by hand from TRAIN_LOSS = (T - d1)^2/T * L with L invariant
    ratio = TRAIN_LOSS / NT_DUALITY(TRAIN_LOSS)
    assert sp.simplify(ratio - S.N * (S.T - S.d1) ** 2 / (S.T * (S.N - S.d1) ** 2)) == 0


def test_any_expression_and_bad_input():
    assert not verify(NT_DUALITY, S.N - S.d1).holds
    assert verify(NT_DUALITY, S.N * S.T + S.rho).holds
    with pytest.raises(ParameterError):
        verify(NT_DUALITY, "nonsense")


def test_train_loss_ridgeless_equals_least_squares():
    # gamma = 0, N < T: exact least squares gives 1/2 (T - N) sigma^2 with sigma^2 = w_var * N rho_0 (B2)
    m = RandomFeatureRidge(PowerLaw(alpha=1, M=1000))
    rho0 = m.solve(50, 200, 0.0).rho
    assert train_loss(m, 50, 200, 0.0) == pytest.approx(0.5 * 150 * m.w_var * 50 * rho0, rel=1e-12)
    assert train_loss(m, 200, 50, 0.0) == 0.0


def test_train_loss_against_simulation():
    spec = PowerLaw(alpha=1, M=200)
    m = RandomFeatureRidge(spec)
    for N, T, gb in ((40, 120, 0.1), (120, 40, 0.1)):
        g = gb * m.u_var
        batches = [simulate_ridge(spec, N, T, g, seeds=16, seed=10 + i).train_mean[0] for i in range(4)]
        mean, se = np.mean(batches), np.std(batches, ddof=1) / 2
        # tolerance: 3 standard errors (4 batches x 16 seeds x 8 teachers) + O(1/min(N,T)) = 2.5% finite size
        assert abs(mean - train_loss(m, N, T, g)) < 3 * se + 0.025 * mean


def test_finite_size_identity_per_draw():
    lam = np.arange(1, 61) ** -1.5
    a, b = finite_size_identity(lam, 20, 45, 0.3, seed=1)
    assert a == pytest.approx(b, rel=1e-10)  # exact matrix identity (push-through), round-off only
    a, b = finite_size_identity(lam, 20, 45, 0.3, seed=1, w2=np.arange(1, 61) ** -1.0)
    assert abs(a / b - 1) > 0.05


def test_grid_isotropic_vs_teacher():
    spec = PowerLaw(alpha=1, M=1000)
    assert grid_check(RandomFeatureRidge(spec))["max_rel_diff"] < 1e-12
    for nu in (0.5, 1.0):
        assert grid_check(RandomFeatureRidge(spec, task=Task.power(nu)))["max_rel_diff"] > 0.1
    v = verify(NT_DUALITY, "loss_teacher", spec, nu=1.0)
    assert not v.holds and v.max_rel_diff > 0.1 and v.counterexample["value(N,T)"] != v.counterexample["value(T,N)"]


def test_monte_carlo_duality_pairs():
    spec = PowerLaw(alpha=1, M=200)
    g = 1e-2 / 200
    iso = monte_carlo_duality(spec, 30, 120, g, seeds=24, seed=1)
    assert iso["z"] < 3.5  # exact in expectation at any size: only Monte-Carlo noise
    bro = monte_carlo_duality(spec, 30, 120, g, task=Task.power(1.0), seeds=24, seed=1)
    theory = RandomFeatureRidge(spec, task=Task.power(1.0))
    pred = abs(theory.loss(30, 120, g) / theory.loss(120, 30, g) - 1)
    assert pred > 0.3 and bro["z"] > 5  # breaking far beyond error bars


# ------------------------------------------------------------------------------------------ limits --
def test_ridgeless_limits_symbolic_and_numeric():
    r = ridgeless()
    assert r["N<T"].data["matches_closed_form"] and r["N>T"].data["matches_closed_form"] and r["N=T"].expr == sp.oo
    rows = check_limit("ridgeless", pairs=[(50, 200), (200, 50)])
    for row in rows:
        if row["rel_diff"] is not None and row["gamma_bar"] <= 1e-7:
            assert row["rel_diff"] < 1e-6


def test_large_ridge():
    from scalingsym.theory.diagrams import t

    assert sp.simplify(large_ridge().expr - S.w_var * t(1) / 2) == 0
    rows = check_limit("large_ridge")
    assert rows[-1]["rel_diff"] < 1e-6  # approach is O(N T t_2 / (gamma_bar t_1))


def test_one_resource_limits():
    n, t_ = n_infinity(), t_infinity()
    assert n.data["matches_closed_form"] and t_.data["matches_closed_form"]
    assert sp.simplify(n.expr - NT_DUALITY(t_.expr)) == 0  # the two limits are dual
    rows = check_limit("N_inf", seeds=8)
    for row in rows[:-1]:
        assert row["rel_diff"] < 1e-10  # independent brentq root + KRR formula
    mc = rows[-1]
    assert abs(mc["monte_carlo"] - mc["closed_form_w_var_Delta/2"]) < 4 * mc["se"] + 0.01 * mc["monte_carlo"]


def test_m_infinity():
    r = m_infinity()
    assert r.data["tail_limit"] == 0
    # alpha = 1: A = pi/2, closed form w_var pi^2/8 * m / (n (m - n))
    val = r.expr.subs({S.alpha: 1, S.lambda_plus: 1, S.w_var: 1, S.n: 100, S.m: 400})
    assert float(val) == pytest.approx(math.pi**2 / 8 / 100 / 0.75, rel=1e-14)
    rows = check_limit("M_inf")
    diffs = [row["rel_diff"] for row in rows if "M" in row]
    assert all(b < a / 5 for a, b in zip(diffs, diffs[1:]))  # tail ~ M^-alpha


# --------------------------------------------------------------------------------------------- CLI --
def _run(argv, capsys):
    from scalingsym.cli import diagrams as cd
    from scalingsym.cli import verify as cv

    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="command")
    cv.register(sub)
    cd.register(sub)
    args = p.parse_args(argv)
    args.handler(args)
    return capsys.readouterr().out


def test_cli_verify_duality(capsys):
    out = json.loads(_run(["verify", "duality", "--spectrum", "powerlaw(alpha=1, M=1000)", "--json"], capsys))
    assert out["holds"] is True and out["max_rel_diff"] < 1e-12 and out["symbolic"]["verdict"] == "invariant"
    out = json.loads(_run(["verify", "duality", "--spectrum", "powerlaw(alpha=1, M=1000)", "--teacher-nu", "1",
                           "--json"], capsys))
    assert out["holds"] is False and out["max_rel_diff"] > 0.1
    by_task = json.loads(_run(["verify", "duality", "--spectrum", "powerlaw(alpha=1, M=1000)", "--task", "power(nu=1)",
                               "--json"], capsys))
    assert by_task["max_rel_diff"] == out["max_rel_diff"] and by_task["task"] == "power(nu=1)"


def test_cli_verify_duality_noise_breaks_it(capsys):
    """With label noise the loss is not N <-> T symmetric; the asymmetry is all in the noise term: the noiseless
    part stays invariant, so L(N,T) - L(T,N) equals the difference of the noise parts alone."""
    from scalingsym.core.parsing import parse_spectrum
    from scalingsym.models.ridge import RandomFeatureRidge

    out = json.loads(_run(["verify", "duality", "--spectrum", "powerlaw(alpha=1, M=300)", "--noise", "0.1",
                           "--json"], capsys))
    assert out["holds"] is False and out["symbolic"]["verdict"] == "not a symmetry" and out["noise"] == 0.1
    w = out["worst"]
    spec = parse_spectrum("powerlaw(alpha=1, M=300)")
    noisy, clean = RandomFeatureRidge(spec, noise=0.1), RandomFeatureRidge(spec)
    N, T, g = w["N"], w["T"], w["gamma"]
    part = lambda n, t: noisy.solve(n, t, g).loss - clean.solve(n, t, g).loss  # noqa: E731
    assert w["value(N,T)"] - w["value(T,N)"] == pytest.approx(part(N, T) - part(T, N), rel=1e-9)
    assert abs(clean.solve(N, T, g).loss - clean.solve(T, N, g).loss) < 1e-12 * clean.solve(N, T, g).loss
    from scalingsym.cli import main

    assert main(["verify", "duality", "--task", "power(nu=1)", "--teacher-nu", "1"]) == 2
    assert "--task or --teacher-nu" in capsys.readouterr().err


def test_cli_verify_ridgeless_and_diagrams(capsys):
    out = json.loads(_run(["verify", "ridgeless", "--spectrum", "powerlaw(alpha=1, M=1000)", "--json"], capsys))
    assert out["holds"] is True
    tex = _run(["diagrams", "--order", "2", "--latex"], capsys)
    assert "\\begin{tabular}" in tex and "N^{2} T^{2} t_{3}" in tex
