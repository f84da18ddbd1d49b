"""One-pass SGD: exact references, the gradient-flow limit, the stability bound, theory vs simulation, CLI."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy.optimize import brentq

from scalingsym.cli import main
from scalingsym.core.errors import ParameterError
from scalingsym.core.spectra import PowerLaw
from scalingsym.core.tasks import Task
from scalingsym.models.dynamics import GradientFlowRF
from scalingsym.models.sgd import OnlineSGD
from scalingsym.simulate.sgd import simulate_sgd

M = 200
SPEC = PowerLaw(alpha=0.5, M=M)  # lambda_k = k^-1.5
TASK = Task.power(0.5)  # task power k^-2
K_ = np.arange(1, M + 1, dtype=np.float64)
LAM = K_**-1.5
Q0 = LAM * K_**-0.5


def _exact_recursion(mu, q, lr, B, steps):
    """Exact expected loss given the spectrum of K: q_i <- rho_i q_i + (lr^2/B) mu_i^2 L (independent code)."""
    rho = (1 - lr * mu) ** 2 + lr**2 * mu**2 / B
    out, qq = [], q.copy()
    for _ in range(max(steps) + 1):
        L = qq.sum()
        out.append(L)
        qq = rho * qq + lr**2 / B * mu**2 * L
    return np.array(out)[steps]


@pytest.fixture(scope="module")
def sgd():
    return OnlineSGD(SPEC, TASK)


def test_infinite_width_equals_exact_recursion(sgd):
    """N = inf: K = Lambda exactly; both inversion branches (circle r < 10, Talbot r >= 10)."""
    steps = [0, 1, 2, 5, 9, 10, 13, 100, 1000, 5000]
    for B, lr in ((8, 0.5), (1, 0.3), (32, 1.2)):
        ref = _exact_recursion(LAM, Q0, lr, B, steps)
        got = sgd.loss_curve(steps, math.inf, B, lr).test_loss
        assert np.allclose(got, ref, rtol=1e-8, atol=0), (B, lr, got / ref - 1)


def test_gradient_flow_limit(sgd):
    """lr -> 0 at fixed t = lr * steps recovers GradientFlowRF at P = inf; the error is O(lr)."""
    t = np.array([1.0, 10.0, 100.0, 1000.0])
    errs = {}
    for N in (64.0, math.inf):
        gf = GradientFlowRF(SPEC, TASK).loss_curve(t, N=N).test_loss
        for lr in (1e-4, 1e-5, 1e-6):
            errs[N, lr] = float(np.max(np.abs(sgd.loss_curve(t / lr, N, 8, lr).test_loss / gf - 1)))
        assert errs[N, 1e-6] < 1e-6
        # first order in lr: the error falls tenfold per decade
        assert 8 < errs[N, 1e-4] / errs[N, 1e-5] < 12
    print("gradient-flow limit, max relative error over t = 1..1000:", errs)


def test_stability_bound_infinite_width(sgd):
    """N = inf: the bound solves (lr/B) sum lambda/(2 - c lr lambda) = 1 (or rho(lambda_1) = 1); beyond it the
    exact recursion grows, below it it decays."""
    for B in (1, 4, 32):
        c = 1 + 1 / B
        f = lambda x, B=B, c=c: x / B * np.sum(LAM / (2 - c * x * LAM)) - 1  # noqa: E731
        edge = 2 / (c * LAM[0])
        ref = brentq(f, 1e-9, edge * (1 - 1e-12)) if f(edge * (1 - 1e-12)) > 0 else edge
        got = sgd.max_lr(B, math.inf)
        assert got == pytest.approx(ref, rel=1e-9)
        with np.errstate(over="ignore", invalid="ignore"):
            late = _exact_recursion(LAM, Q0, 1.05 * got, B, [20000])[0]
        assert not late < Q0.sum()  # diverges (inf or nan past overflow)
        assert _exact_recursion(LAM, Q0, 0.95 * got, B, [20000])[0] < Q0.sum()
        with pytest.raises(ParameterError, match=r"lr = .* not stable.*lr < "):
            sgd.loss_curve([10], math.inf, B, 1.01 * got)


def test_stability_bound_finite_width_vs_draws(sgd):
    """N = 128: the deterministic-equivalent bound against the per-draw bound of sampled K (median of 20 draws);
    allowance 10% (the per-draw bound fluctuates by O(1/sqrt(N)) through the top eigenvalues)."""
    N, B = 128, 4
    c = 1 + 1 / B
    rng = np.random.default_rng(3)
    bounds = []
    for _ in range(20):
        A = rng.standard_normal((N, M))
        G = A.T * np.sqrt(LAM)[:, None] / math.sqrt(N)
        mu = np.clip(np.linalg.eigvalsh(G @ G.T), 0, None)
        edge = 2 / (c * mu.max())
        f = lambda x, mu=mu: x / B * np.sum(mu / (2 - c * x * mu)) - 1  # noqa: E731
        bounds.append(brentq(f, 1e-9, edge * (1 - 1e-12)) if f(edge * (1 - 1e-12)) > 0 else edge)
    med = float(np.median(bounds))
    got = sgd.max_lr(B, N)
    print(f"stability bound N={N}, B={B}: deterministic equivalent {got:.5f}, median per-draw {med:.5f}, "
          f"range [{min(bounds):.5f}, {max(bounds):.5f}]")
    assert got == pytest.approx(med, rel=0.10)


def _table(label, steps, th, sim, allowance):
    print(f"\n{label}\n{'step':>6} {'theory':>11} {'sim':>11} {'stderr':>9} {'z':>6}")
    ok = True
    for r, a, m, s in zip(steps, th, sim.loss_mean, sim.loss_stderr):
        print(f"{r:>6} {a:11.5g} {m:11.5g} {s:9.3g} {(m - a) / s:6.2f}")
        ok &= abs(m - a) <= 3 * s + allowance * a
    return ok


def _configs(sgd, N):
    return [(N, 8, 0.5, "constant"), (N, 32, 1.0, "constant"), (N, 1, 0.8 * sgd.max_lr(1, N), "0.8 x max_lr")]


def test_theory_vs_simulation(sgd):
    """Three configurations incl. one at 0.8 of the largest stable rate. Tolerance: 3 standard errors +
    finite-size allowance 2/N relative."""
    N, steps = 64, [1, 10, 100, 500]
    for N_, B, lr, what in _configs(sgd, N):
        th = sgd.loss_curve(steps, N_, B, lr).test_loss
        sim = simulate_sgd(SPEC, TASK, N_, B, lr, steps, seeds=24, seed=7)
        assert _table(f"N={N_}, B={B}, lr={lr:.4g} ({what}), M={M}", steps, th, sim, 2.0 / N_)


@pytest.mark.slow
def test_theory_vs_simulation_large():
    spec = PowerLaw(alpha=0.5, M=400)
    model = OnlineSGD(spec, TASK)
    steps = [1, 10, 100, 1000, 3000]
    for N_, B, lr, what in _configs(model, 256):
        th = model.loss_curve(steps, N_, B, lr).test_loss
        sim = simulate_sgd(spec, TASK, N_, B, lr, steps, seeds=48, seed=1)
        assert _table(f"N={N_}, B={B}, lr={lr:.4g} ({what}), M=400", steps, th, sim, 2.0 / N_)


def test_reduced_and_direct_samplers_agree():
    steps = [0, 5, 50]
    a = simulate_sgd(SPEC, TASK, 32, 4, 0.5, steps, seeds=24, seed=1)
    b = simulate_sgd(SPEC, TASK, 32, 4, 0.5, steps, seeds=24, seed=2, method="direct")
    assert a.loss_mean[0] == pytest.approx(Q0.sum(), rel=1e-12) and b.loss_mean[0] == pytest.approx(Q0.sum())
    se = np.hypot(a.loss_stderr, b.loss_stderr)[1:]
    assert np.all(np.abs(a.loss_mean[1:] - b.loss_mean[1:]) < 3.5 * se)
    c = simulate_sgd(SPEC, TASK, 32, 4, 0.5, steps, seeds=3, seed=1)
    d = simulate_sgd(SPEC, TASK, 32, 4, 0.5, steps, seeds=3, seed=1)
    assert np.array_equal(c.per_seed, d.per_seed)


def test_input_errors(sgd):
    for kw, name in (({"B": 0}, "B"), ({"B": 2.5}, "B"), ({"lr": -1}, "lr"), ({"lr": float("nan")}, "lr")):
        args = {"steps": [10], "N": 64, "B": 8, "lr": 0.5} | kw
        with pytest.raises(ParameterError, match=name):
            sgd.loss_curve(**args)
    with pytest.raises(ParameterError, match="steps"):
        sgd.loss_curve([-1], 64, 8, 0.5)
    with pytest.raises(ParameterError, match="lr"):
        simulate_sgd(SPEC, TASK, 16, 4, 0.0, [1])


def test_cli_sgd_matches_dynamics_in_the_flow_limit(capsys):
    """``sgd --spectrum 'custom(expr="k**-b", M=M)' --task 'source(a=a)'`` is ``dynamics --a a --b b --M M``."""
    lr = 1e-6
    assert main(["sgd", "--spectrum", 'custom(expr="k**-1.5", M=200)', "--task", "source(a=2)", "--N", "64",
                 "--B", "8", "--lr", str(lr), "--steps", "1e8", "--points", "4", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["steps"][-1] == 10**8 and len(out["steps"]) == len(out["test_loss"])
    t = ",".join(repr(r * lr) for r in out["steps"])
    assert main(["dynamics", "--a", "2", "--b", "1.5", "--M", "200", "--N", "64", "--t", t, "--json"]) == 0
    ref = json.loads(capsys.readouterr().out)
    assert np.allclose(out["test_loss"], ref["test_loss"], rtol=2e-6)


def test_cli_sgd_simulate_and_errors(capsys):
    argv = ["sgd", "--spectrum", "powerlaw(alpha=0.5, M=100)", "--N", "16", "--B", "4", "--lr", "0.5",
            "--steps", "50", "--points", "3", "--json", "--simulate", "--seeds", "3", "--seed", "2"]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"steps", "test_loss", "sim_loss_mean", "sim_loss_stderr"} <= out.keys()
    assert len(out["sim_loss_mean"]) == len(out["steps"]) == 3
    assert main(argv[:8] + ["50", "--steps", "10"]) == 2
    assert "lr" in capsys.readouterr().err


def test_power_law_schedule(sgd):
    """Schedule path: at constant lr it reproduces the exact z-transform solution (a second method, 1e-4);
    with lr_r = 1.2 (1 + r/10)^-1/2 (starting near the stability bound) it matches the simulation
    (3 standard errors + 2/N relative)."""
    from scalingsym.models.sgd import schedule_loss_curve
    from scalingsym.simulate.sgd import power_law_schedule

    N, B, steps = 64, 8, [0, 1, 10, 100, 500]
    const = schedule_loss_curve(sgd, steps, N, B, 0.5).test_loss
    assert np.allclose(const, sgd.loss_curve(steps, N, B, 0.5).test_loss, rtol=1e-4)
    sched = power_law_schedule(1.2, 10.0, 0.5)
    th = schedule_loss_curve(sgd, steps, N, B, sched).test_loss
    sim = simulate_sgd(SPEC, TASK, N, B, sched, steps, seeds=24, seed=3)
    assert _table(f"N={N}, B={B}, lr_r = 1.2 (1 + r/10)^-0.5 (max_lr = {sgd.max_lr(B, N):.4g})", steps[1:], th[1:],
                  type(sim)(sim.steps[1:], sim.loss_mean[1:], sim.loss_stderr[1:], sim.per_seed[:, 1:]), 2.0 / N)
    with pytest.raises(ParameterError, match="lr"):
        schedule_loss_curve(sgd, [5], N, B, power_law_schedule(5.0, 10.0, 0.5))
