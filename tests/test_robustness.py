"""Bad input never crashes, hangs, eats memory or prints a wrong number: one regression test per defect class.

Every expected number comes from an independent source: a direct numpy sum, a second method (mpmath vs float64,
a higher precision), an exact rational, or a closed-form limit.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
import tracemalloc
from fractions import Fraction

import mpmath
import numpy as np
import pytest

from scalingsym import ArraySpectrum, ExprSpectrum, ParameterError, PowerLaw, RandomFeatureRidge, parse_spectrum
from scalingsym.cli import main
from scalingsym.core.errors import ResourceError, ScalingSymError, SpectrumParseError
from scalingsym.core.resolvent import solve_rho


def _no_constants(name):
    raise ValueError(f"non-standard JSON constant {name}")


def run_cli(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def strict_loads(text):
    return json.loads(text, parse_constant=_no_constants)


def _cli_subprocess(args, timeout=120):
    """The console entry point in a fresh interpreter, with a wall-clock guard (a hang fails the test)."""
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "scalingsym", *args], capture_output=True, text=True, timeout=timeout)
    return r, time.perf_counter() - t0


# ------------------------------------------------------------------------------ allocation from a size --
def test_huge_n_at_infinite_M_is_refused_in_float64_without_allocating():
    model = RandomFeatureRidge(PowerLaw(alpha=1, M=math.inf))
    tracemalloc.start()
    try:
        with pytest.raises(ParameterError, match="mpmath path"):
            model.loss(1e9, 3e9, 0.0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 200 * 2**20  # the old bracket drew 2n + 2 = 2e9 eigenvalues (15 GiB)


def test_huge_n_at_infinite_M_in_mpmath_matches_the_mrs_law():
    """MRS (B3): L = 1/2 n (A/n)^2 / (1 - n/m) with A = pi/2 at alpha = 1, up to O(1/n) = 1e-9."""
    sol = RandomFeatureRidge(PowerLaw(alpha=1, M=math.inf)).solve_mp(1e9, 3e9, 0.0, dps=20)
    n, m = 1e9, 3e9
    closed = 0.5 * (math.pi / 2) ** 2 / n / (1 - n / m)
    assert float(sol.loss) == pytest.approx(closed, rel=1e-8)


def test_huge_finite_M_costs_nothing_and_tends_to_M_inf():
    """M = 1e15: no eigenvalue list is built; with w_var = u_var = 1 it equals M = inf up to the tail beyond M."""
    tracemalloc.start()
    try:
        big = RandomFeatureRidge(PowerLaw(alpha=1, M=1e15), w_var=1.0, u_var=1.0).loss(100, 400, 1e-3)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    inf = RandomFeatureRidge(PowerLaw(alpha=1, M=math.inf)).loss(100, 400, 1e-3)
    assert peak < 200 * 2**20
    assert big == pytest.approx(inf, rel=1e-12)


def test_npy_header_claiming_a_huge_array_is_refused(tmp_path):
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000,), }"
    header += " " * (118 - 10 - len(header)) + "\n"
    raw = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode()
    f = tmp_path / "liar.npy"
    f.write_bytes(raw)
    assert f.stat().st_size < 200
    with pytest.raises(SpectrumParseError, match="declares"):
        parse_spectrum(f"file({f})")


def test_npy_with_object_dtype_or_wrong_size_is_refused(tmp_path):
    f = tmp_path / "obj.npy"
    np.save(f, np.array([1.0, "a"], dtype=object), allow_pickle=True)
    with pytest.raises(SpectrumParseError, match="real numbers"):
        parse_spectrum(f"file({f})")
    g = tmp_path / "short.npy"
    np.save(g, np.arange(1.0, 11.0))
    g.write_bytes(g.read_bytes()[:-8])  # one value missing
    with pytest.raises(SpectrumParseError, match="bytes"):
        parse_spectrum(f"file({g})")


def test_simulation_over_the_memory_budget_is_refused_up_front():
    from scalingsym.simulate.ridge import simulate_ridge

    with pytest.raises(ResourceError, match="GiB"):
        simulate_ridge(PowerLaw(alpha=1, M=100_000), 100_000, 100_000, 0.0, seeds=1)
    with pytest.raises(ResourceError, match="budget"):
        simulate_ridge(PowerLaw(alpha=1, M=200), 100, 100, 0.0, seeds=1, memory_budget=10_000)


def test_memory_budget_from_the_environment(monkeypatch):
    from scalingsym.core.budget import memory_budget

    monkeypatch.setenv("SCALINGSYM_MEMORY_BUDGET", "2G")
    assert memory_budget() == 2 * 2**30
    monkeypatch.setenv("SCALINGSYM_MEMORY_BUDGET", "lots")
    with pytest.raises(ParameterError, match="SCALINGSYM_MEMORY_BUDGET"):
        memory_budget()


# ------------------------------------------------------------------------------- tracebacks on the CLI --
@pytest.mark.parametrize(
    "args",
    [
        ["simulate", "--spectrum", "powerlaw(alpha=1, M=100)", "--N", "10", "--T", "20", "--seed=-1"],
        ["simulate", "--spectrum", "powerlaw(alpha=1, M=100)", "--N", "inf", "--T", "20"],
        ["simulate", "--spectrum", "powerlaw(alpha=1, M=100)", "--N", "10.5", "--T", "20"],
        ["loss", "--spectrum", "powerlaw(alpha=1, M=100)", "--N", "nan", "--T", "20"],
        ["loss", "--spectrum", "powerlaw(alpha=1, M=100)", "--N", "10", "--T", "20", "--ridge", "-1"],
        ["loss", "--spectrum", "(" * 100_000, "--N", "10", "--T", "20"],
        ["loss", "--spectrum", "powerlaw(alpha=1, M=" + "(" * 300 + "1" + ")" * 300 + ")", "--N", "10", "--T", "20"],
        ["loss", "--spectrum", "custom(expr=\"" + "-" * 1500 + "k\", M=10)", "--N", "10", "--T", "20"],
        ["compute-optimal", "--a", "1/0", "--b", "1.5"],
        ["loss", "--spectrum", "powerlaw(alpha=1, M=100)", "--N", "10", "--T", "20", "--precision", "1000000"],
        ["bahri", "--alpha-K", "1e300"],
        ["activation", "--expr", "exp(z**2/4)", "--precision", "20"],
    ],
)
def test_bad_input_exits_2_with_one_line(args, capsys):
    code, out, err = run_cli(args, capsys)
    assert code == 2, (out, err)
    assert "Traceback" not in err and err.strip(), err
    assert len(err.strip().splitlines()[-1]) < 2000


def test_inf_size_gives_strict_json(capsys):
    code, out, _ = run_cli(
        ["loss", "--spectrum", "powerlaw(alpha=1, M=1000)", "--N", "inf", "--T", "400", "--ridge", "0", "--json"],
        capsys,
    )
    assert code == 0
    d = strict_loads(out)
    assert d["N"] is None and d["non_finite"]["N"] == "inf"
    # kernel regression on T = 400 < M samples: the ridgeless loss is finite and positive
    assert d["loss"] > 0


def test_verify_ridgeless_on_a_zero_loss_spectrum(capsys):
    code, out, _ = run_cli(["verify", "ridgeless", "--spectrum", "powerlaw(alpha=1, M=100)", "--json"], capsys)
    assert code == 0
    d = strict_loads(out)
    assert d["holds"] is True


def test_custom_spectrum_with_gamma_matches_a_direct_sum():
    spec = parse_spectrum('custom(expr="1/gamma(k)", M=20)')
    lam = np.array([1 / math.gamma(k) for k in range(1, 21)])
    for rho in (1e-6, 1e-2, 1.0):
        assert float(spec.d1(rho)) == pytest.approx(float(np.sum(lam / (lam + rho))), rel=1e-13)


# ---------------------------------------------------------------------------------------------- hangs --
@pytest.mark.parametrize(
    "args",
    [
        ["loss", "--spectrum", 'custom(expr="10**10**10", M=inf)', "--N", "10", "--T", "10"],
        ["loss", "--spectrum", 'custom(expr="gamma(10**6)*k**-2", M=inf)', "--N", "10", "--T", "10"],
        ["loss", "--spectrum", "powerlaw(alpha=1, M=1000)", "--N", "10", "--T", "10", "--precision", "1000000"],
        ["bahri", "--alpha-K", "1e300"],
    ],
)
def test_former_hangs_end_quickly(args):
    r, seconds = _cli_subprocess(args, timeout=120)
    assert r.returncode == 2, r.stderr
    assert seconds < 60


# ----------------------------------------------------------------------------- wrong numbers, exit 0 --
def test_huge_ridge_gives_half_the_target_variance():
    spec = PowerLaw(alpha=1, M=1000)
    lam = spec.eigenvalues()
    half_target = float(np.sum(lam)) / 1000 / 2  # w_var = 1/M, E[y^2] = w_var sum lambda
    model = RandomFeatureRidge(spec)
    for g in (1e50, 1e200, 1e308):
        assert model.loss(100, 400, g) == pytest.approx(half_target, rel=1e-15)
    # the mpmath path, which has no float64 underflow, agrees
    assert float(model.solve_mp(100, 400, 1e200, dps=30).loss) == pytest.approx(half_target, rel=1e-15)


def test_peak_at_a_vanishing_ridge_is_refused_in_float64_and_verified_in_mpmath():
    model = RandomFeatureRidge(PowerLaw(alpha=1, M=1000))
    with pytest.raises(ParameterError, match="precision"):
        model.loss(100, 100, 1e-300)
    with pytest.raises(ParameterError, match="no digit"):
        model.solve_mp_verified(100, 100, 1e-300, 30)
    sol, digits = model.solve_mp_verified(100, 100, 1e-300, 200)
    assert digits["loss"] >= 20
    ref = model.solve_mp(100, 100, 1e-300, dps=320).loss
    with mpmath.workdps(320):
        agree = -mpmath.log10(abs(mpmath.mpf(sol.loss) / ref - 1))
    assert agree >= digits["loss"] - 1  # the digits it calls verified are right


def test_cli_prints_only_verified_digits(capsys):
    code, out, _ = run_cli(
        ["loss", "--spectrum", "powerlaw(alpha=1, M=1000)", "--N", "100", "--T", "100", "--ridge", "1e-300",
         "--precision", "200", "--json"], capsys,
    )
    assert code == 0
    d = strict_loads(out)
    mant = d["loss"].split("e")[0].replace(".", "").lstrip("-")
    assert len(mant) == d["verified_digits"]["loss"] < 200


def test_divergent_activation_integral_is_refused():
    from scalingsym.models.activations import gaussian_equivalence

    with pytest.raises(ParameterError, match="diverges"):
        gaussian_equivalence("exp(z**2/4)", precision=20)


def test_compute_optimal_exponents_are_exact_at_huge_a(capsys):
    code, out, _ = run_cli(["compute-optimal", "--a", "1e30", "--b", "1.5", "--json"], capsys)
    assert code == 0
    d = strict_loads(out)
    a, b = Fraction(10**30), Fraction(3, 2)
    assert Fraction(d["N_exponent"]["exact"]) == (a - b) / a  # a - 1 > b: N* ~ C^((a-b)/a)
    assert Fraction(d["t_exponent"]["exact"]) == b / a


def test_negative_regulariser_is_refused():
    with pytest.raises(ParameterError, match="regulariser"):
        solve_rho(PowerLaw(alpha=1, M=100), -1.0, 10.0, 20.0)
    with pytest.raises(ParameterError):
        solve_rho(PowerLaw(alpha=1, M=100), 1e-3, float("nan"), 20.0)


def test_zero_eigenvalues_do_not_enter_the_sums():
    spec = ArraySpectrum([1.0, 0.5, 0.0, 0.25, 0.0])
    assert float(spec.d1(0.0)) == 3.0  # three positive modes, each lambda/lambda = 1
    assert float(spec.d1(0.5)) == pytest.approx(1 / 1.5 + 0.5 + 0.25 / 0.75, rel=1e-15)
    model = RandomFeatureRidge(spec)
    assert model.loss(3, 10, 0.0) == 0.0  # min(N, T) reaches the positive modes: exact interpolation


@pytest.mark.parametrize("alpha", [-0.999, -0.8, -0.5, -0.2, -1e-9, 0.0, 1e-9, 0.001, 0.3, 1.0, 3.0, 10.0])
def test_power_law_sums_match_a_direct_sum_over_the_whole_alpha_range(alpha):
    """Finite M: head + Hurwitz-zeta tail against numpy's direct sum, for every exponent alpha > -1."""
    spec = PowerLaw(alpha=alpha, M=20_000)
    lam = 20_000.0 ** 0 * np.arange(1, 20_001, dtype=np.float64) ** (-(1 + alpha))
    rho = np.logspace(-9, 2, 12)
    for p, q in ((1, 1), (2, 2), (1, 2), (1, 0)):
        got = spec.sums(rho, p, q)
        want = np.array([np.sum(lam**p / (lam + r) ** q) for r in rho])
        np.testing.assert_allclose(got, want, rtol=2e-13)


@pytest.mark.parametrize("alpha", [-0.2, 0.0, 0.5])
def test_slowly_decaying_finite_spectrum_in_mpmath_and_fast_path(alpha):
    from scalingsym.models.ridge import fast_ridge

    spec = PowerLaw(alpha=alpha, M=10_000)
    model = RandomFeatureRidge(spec)
    ref = float(model.solve_mp(1000, 2000, 0.01, dps=30).loss)
    assert model.loss(1000, 2000, 0.01) == pytest.approx(ref, rel=1e-12)
    assert fast_ridge(model).loss(1000, 2000, 0.01) == pytest.approx(ref, rel=1e-9)


def test_infinite_power_law_float64_against_mpmath():
    """M = inf: the float64 Hurwitz series against the mpmath Euler-Maclaurin representation (two methods)."""
    for alpha in (0.05, 0.5, 1.0, 4.0):
        spec = PowerLaw(alpha=alpha, M=math.inf)
        for rho in (1e-6, 1e-3, 1.0):
            with mpmath.workdps(30):
                ref = float(spec.d1_mp(rho))
            assert float(spec.d1(rho)) == pytest.approx(ref, rel=1e-13)


def test_expression_spectrum_finite_and_infinite():
    fin = ExprSpectrum("k**-2*log(k+1)**2", M=3000)
    k = np.arange(1, 3001, dtype=np.float64)
    lam = k**-2 * np.log(k + 1) ** 2
    for rho in (1e-5, 1e-2):
        assert float(fin.d1(rho)) == pytest.approx(float(np.sum(lam / (lam + rho))), rel=1e-13)
    inf = ExprSpectrum("k**-2*log(k+1)**2", M=math.inf)
    with mpmath.workdps(20):
        ref = float(inf.d1_mp(1e-2))
    assert float(inf.d1(1e-2)) == pytest.approx(ref, rel=1e-10)


# ---------------------------------------------------------------------------- no eval of user text --
def _evil(marker):
    return f"__import__('pathlib').Path({str(marker)!r}).write_text('x')"


def test_no_public_function_evaluates_user_text(tmp_path):
    from scalingsym.models.activations import gaussian_equivalence
    from scalingsym.theory.bahri import resolution_limited
    from scalingsym.theory.kernels import kernel_exponent
    from scalingsym.theory.optimal import optimal_ridge_power_law
    from scalingsym.theory.sgd_phases import sgd_phase
    from scalingsym.theory.spectral import A_alpha, TailLaw, mellin_constant, tail_law

    marker = tmp_path / "ran"
    calls = [
        lambda s: gaussian_equivalence("relu", variance=s),
        lambda s: TailLaw.power_law(s),
        lambda s: TailLaw.power_law(1, lambda_plus=s),
        lambda s: kernel_exponent(d=s),
        lambda s: resolution_limited(s),
        lambda s: A_alpha(s),
        lambda s: mellin_constant(s),
        lambda s: tail_law(s),
        lambda s: optimal_ridge_power_law(s, 100.0, 100.0),
        lambda s: sgd_phase(s, 0.5),
    ]
    for call in calls:
        with pytest.raises((ScalingSymError, TypeError)):
            call(_evil(marker))
        assert not marker.exists()


def test_strings_that_are_numbers_still_work():
    from scalingsym.theory.spectral import A_alpha

    assert A_alpha("1") == A_alpha(1)


# ------------------------------------------------------------------------------------- task strings --
def test_task_flag_on_loss_and_simulate(capsys):
    """``--task power(nu=0.5)``: the general-teacher theory against the seeded simulation drawn from the same task."""
    base = ["--spectrum", "powerlaw(alpha=1, M=300)", "--N", "60", "--T", "200", "--ridge", "0.01",
            "--task", "power(nu=0.5)", "--json"]
    code, out, _ = run_cli(["loss", *base], capsys)
    assert code == 0
    theory = strict_loads(out)["loss"]
    code, out, _ = run_cli(["simulate", *base, "--seeds", "16", "--seed", "3", "--quiet"], capsys)
    assert code == 0
    sim = strict_loads(out)
    assert sim["task"] == "power(nu=0.5)"
    # 3 standard errors plus the O(1/min(N, T)) finite-size allowance of the deterministic equivalent
    assert abs(sim["loss_mean"] - theory) <= 3 * sim["loss_stderr"] + 2 / 60 * theory


def test_source_task_maps_to_a_power_for_power_laws():
    from scalingsym.core.parsing import parse_task

    spec = PowerLaw(alpha=0.5, M=100)  # lambda_k = k^-1.5, task power k^-a means w2_k = k^-(a - 1.5)
    assert parse_task("source(a=2.5)", spec).nu == pytest.approx(1.0)
    w = parse_task('custom(expr="exp(-k/10)")', spec).weights_np(np.arange(1, 101))
    np.testing.assert_allclose(w, np.exp(-np.arange(1, 101) / 10), rtol=1e-14)


# --------------------------------------------------------------------------------------- label noise --
@pytest.mark.parametrize("N, T, gamma", [(60, 200, 0.01), (40, 200, 0.0), (200, 60, 0.01)])
def test_label_noise_theory_against_simulation(N, T, gamma):
    from scalingsym.simulate.ridge import simulate_ridge

    spec = PowerLaw(alpha=1, M=300)
    model = RandomFeatureRidge(spec, noise=0.002)
    th = float(model.loss(N, T, gamma))
    sim = simulate_ridge(spec, N, T, gamma, seeds=24, seed=5, noise=0.002)
    # 3 standard errors plus the O(1/min(N, T)) finite-size allowance of the deterministic equivalent
    assert abs(float(sim.loss_mean[0]) - th) <= 3 * float(sim.loss_stderr[0]) + 2 / min(N, T) * th
    # the noise part is what separates the noisy from the noiseless model; ridgeless N < T: noise/2 N/(T - N)
    if gamma == 0:
        assert float(model.solve(N, T, 0.0).noise) == pytest.approx(0.001 * N / (T - N), rel=1e-12)


def test_label_noise_float64_against_mpmath_and_test_noise():
    model = RandomFeatureRidge(PowerLaw(alpha=1, M=300), noise=0.01)
    for N, T, g in ((60, 200, 1e-3), (300, 600, 0.0), (100, 120, 0.1)):
        mp_sol = model.solve_mp(N, T, g, dps=30)
        assert float(model.loss(N, T, g)) == pytest.approx(float(mp_sol.loss), rel=1e-12)
        assert model.loss(N, T, g, test_noise=True) - model.loss(N, T, g) == pytest.approx(0.005, rel=1e-12)
    # min(N, T) >= M: least squares on all 300 modes with T = 600 samples: noise/2 * 300 / 300
    assert float(model.loss(300, 600, 0.0)) == pytest.approx(0.005, rel=1e-12)


def test_ensemble_flag_on_loss_and_dynamics(capsys):
    from scalingsym.models.ensemble import static_ensemble

    base = ["loss", "--spectrum", "powerlaw(alpha=0.5, M=400)", "--N", "100", "--T", "200", "--ridge", "0.01", "--json"]
    single = strict_loads(run_cli(base, capsys)[1])["loss"]
    four = strict_loads(run_cli([*base, "--ensemble", "4"], capsys)[1])
    assert four["single_loss"] == single and four["loss"] < single
    model = RandomFeatureRidge(PowerLaw(alpha=0.5, M=400))
    assert four["loss"] == pytest.approx(float(static_ensemble(model, 100, 200, 0.01, E=4).loss[0]), rel=1e-15)
    dyn = ["dynamics", "--a", "2", "--b", "1.5", "--M", "300", "--N", "64", "--P", "256", "--t", "10,100", "--json"]
    one = strict_loads(run_cli(dyn, capsys)[1])
    ens = strict_loads(run_cli([*dyn, "--ensemble", "1"], capsys)[1])
    assert one["test_loss"] == ens["test_loss"]
    code, _, err = run_cli([*dyn, "--ensemble", "0"], capsys)
    assert code == 2 and "ensemble" in err.lower()


@pytest.mark.parametrize("spectrum,task,beta,a", [
    ("powerlaw(alpha=1e30)", "source(a=1e30)", Fraction(10**30 + 1), Fraction(10**30)),
    ("powerlaw(alpha=0.5)", "source(a=1e30)", Fraction(3, 2), Fraction(10**30)),
    ('custom(expr="k**-1e30", M=inf)', "power(nu=3)", Fraction(10**30), Fraction(10**30 + 3)),
])
def test_exponents_stay_exact_at_huge_exponents(spectrum, task, beta, a, capsys):
    # closed forms (Maloney et al.; Bordelon et al.): L ~ N^-min(a-1, beta), L ~ T^-min(a-1, 2 beta)
    code, out, _ = run_cli(["exponents", "--spectrum", spectrum, "--task", task, "--json"], capsys)
    assert code == 0
    d = strict_loads(out)
    assert Fraction(d["ridgeless_N"]["exact"]) == min(a - 1, beta)
    assert Fraction(d["ridgeless_T"]["exact"]) == min(a - 1, 2 * beta)


def test_max_min_keeps_rationals_with_many_digits():
    import sympy as sp

    from scalingsym.theory.frontier import max_min_exponent

    big = sp.Integer(10**30)
    # min(big - big xi, 1/3 + 2/3 xi) peaks where the lines cross: xi = (big - 1/3) / (big + 2/3)
    res = max_min_exponent({"time": (big, -big), "cross": (sp.Rational(1, 3), sp.Rational(2, 3))})
    assert res["xi"] == (big - sp.Rational(1, 3)) / (big + sp.Rational(2, 3))
    assert res["xi"] != 1


def test_custom_expression_with_a_huge_power_outside_the_pure_power_is_refused():
    from scalingsym.theory.spectral import tail_law

    with pytest.raises(ParameterError, match="exponent"):
        tail_law("k**-2*(1+1/k)**100000")
    with pytest.raises(ParameterError, match="only as a pure power"):
        tail_law("k**-1e30*log(k+1)")
