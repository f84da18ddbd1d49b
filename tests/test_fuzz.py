"""Property-based fuzzing of the input contract (hypothesis).

Every public entry point answers bad input with a :class:`ScalingSymError` carrying a message, and good input with
a finite value that passes a property check. On the command line: exit 0 with strict JSON, or exit 2 with one line
on stderr; never a traceback (exit 3 is the internal-error guard, and counts as a failure here).

Examples per test are bounded (``max_examples``) and each has a deadline, so the suite stays a few seconds long.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scalingsym import ParameterError, PowerLaw, RandomFeatureRidge, parse_expression, parse_spectrum
from scalingsym.cli import main
from scalingsym.core.errors import ScalingSymError
from scalingsym.core.parsing import parse_task

FUZZ = settings(max_examples=60, deadline=10000, suppress_health_check=[HealthCheck.function_scoped_fixture])
#: the number of examples this module runs (reported in the project notes): 9 properties x 60 + 1 x 40 + 1 x 10
EXAMPLES = 9 * 60 + 40 + 10

sizes = st.one_of(
    st.integers(1, 5000).map(float),
    st.floats(1e-3, 1e12, allow_nan=False),
    st.sampled_from([0.0, -1.0, math.inf, math.nan, 1e300, 5e-324]),
)
ridges = st.one_of(
    st.floats(0, 1e308, allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, 1e-300, 1e-12, 1e200, -1e-3, math.inf, math.nan]),
)
spectrum_texts = st.one_of(
    st.builds(
        lambda a, M: f"powerlaw(alpha={a}, M={M})",
        st.one_of(st.floats(-2, 20, allow_nan=False), st.sampled_from(["x", "1/0", "nan", "inf", "'1'"])),
        st.one_of(st.integers(-5, 10**6), st.sampled_from(["inf", "1e15", "2.5", "0"])),
    ),
    st.builds(
        lambda e, M: f'custom(expr="{e}", M={M})',
        st.sampled_from(["k**-2", "k**-1.5*log(k+1)", "exp(-k)", "1/gamma(k)", "10**10**10", "k**k", "sin(k)",
                         "k**-2 + 1/(k-1)", "__import__('os')", "zeta(k)", "k**(-(1+1e-9))", "0*k", "-k**-2"]),
        st.sampled_from(["inf", "20", "1000", "0"]),
    ),
    st.text(max_size=60),
)


def _strict(text: str):
    def bad(c):
        raise ValueError(c)

    return json.loads(text, parse_constant=bad)


def _cli(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    assert code in (0, 2), (args, code, err[-500:])
    if code == 2:
        assert err.strip() and "Traceback" not in err
    return code, out


@FUZZ
@given(N=sizes, T=sizes, gamma=ridges)
def test_ridge_loss_contract(N, T, gamma):
    model = RandomFeatureRidge(PowerLaw(alpha=1, M=1000))
    half_target = model.w_var / 2 * model.spectrum.trace()
    try:
        sol = model.solve(N, T, gamma)
    except ScalingSymError as exc:
        assert str(exc)
        return
    loss, bias = float(sol.loss), float(sol.bias)
    if math.isinf(loss):  # only the ridgeless interpolation peak diverges
        assert gamma == 0 and N == T
        return
    assert 0 <= bias <= loss * (1 + 1e-12) + 1e-300
    if gamma > 0 and min(N, T) < 1000:
        assert loss > 0
    if gamma > 0 and math.log10(gamma) >= 12 + 2 * math.log10(max(N, T)):  # learning off: half the target variance
        assert loss == pytest.approx(half_target, rel=1e-6)


@FUZZ
@given(N=st.integers(1, 3000), T=st.integers(1, 3000), gamma=st.floats(1e-8, 1e8))
def test_isotropic_loss_is_symmetric_in_n_and_t(N, T, gamma):
    model = RandomFeatureRidge(PowerLaw(alpha=1, M=1000))
    assert model.loss(N, T, gamma) == pytest.approx(model.loss(T, N, gamma), rel=1e-9)


@FUZZ
@given(N=st.integers(1, 2000), T=st.integers(1, 2000), g1=st.floats(1, 1e6), g2=st.floats(1, 1e6))
def test_loss_is_monotone_in_the_ridge_where_it_must_be(N, T, g1, g2):
    """Far above the optimal ridge (gamma_bar > 100 N T lambda_max) more ridge only hurts."""
    model = RandomFeatureRidge(PowerLaw(alpha=1, M=1000))
    scale = 100.0 * N * T / 1000.0  # gamma = gamma_bar u_var with u_var = 1/M
    lo, hi = sorted((g1 * scale, g2 * scale))
    assert model.loss(N, T, lo) <= model.loss(N, T, hi) * (1 + 1e-12)


@settings(max_examples=60, deadline=30000)
@given(text=spectrum_texts)
def test_spectrum_strings(text):
    try:
        spec = parse_spectrum(text)
    except ScalingSymError as exc:
        assert str(exc)
        return
    d1 = float(spec.d1(1e-2))
    assert 0 <= d1 <= spec.positive_count()


@FUZZ
@given(text=st.text(alphabet="k0123456789.+-*/()^ elogxpsqrtinzamc,", max_size=40))
def test_expressions(text):
    try:
        expr = parse_expression(text)
    except ScalingSymError as exc:
        assert str(exc)
        return
    assert expr.free_symbols <= {parse_expression("k")}


@FUZZ
@given(text=st.one_of(
    st.sampled_from(["isotropic", "power(nu=0.5)", "source(a=2.5)", 'custom(expr="k**-0.5")',
                     'custom(expr="exp(-k)")', "power(nu=x)", "source()", "file(/nonexistent.npy)", "isotropic(1)"]),
    st.text(max_size=30),
))
def test_task_strings(text):
    spec = PowerLaw(alpha=1, M=200)
    try:
        task = parse_task(text, spec)
    except ScalingSymError as exc:
        assert str(exc)
        return
    w = task.weights_np(np.arange(1, 201))
    assert np.all(np.isfinite(w)) and np.all(w >= 0)


@FUZZ
@given(N=st.sampled_from(["100", "inf", "0", "-3", "nan", "1e9", "abc", "1e400"]),
       T=st.sampled_from(["400", "inf", "100", "2.5"]),
       ridge=st.sampled_from(["0", "1e-3", "1e200", "-1", "inf", "1e-300"]),
       precision=st.sampled_from([None, "5", "30", "4", "100000", "x"]))
def test_cli_loss(N, T, ridge, precision, capsys):
    args = ["loss", "--spectrum", "powerlaw(alpha=1, M=1000)", "--N", N, "--T", T, "--ridge", ridge, "--json"]
    if precision is not None:
        args += ["--precision", precision]
    code, out = _cli(args, capsys)
    if code == 0:
        d = _strict(out)
        assert d["loss"] is None or float(d["loss"]) >= 0


@FUZZ
@given(a=st.sampled_from(["3.5", "2", "1e30", "1/0", "1", "x", "1e999", "7/2", "-2", "1.0000001"]),
       b=st.sampled_from(["1.5", "1", "2", "nan", "3/2", "1e-400"]))
def test_cli_compute_optimal(a, b, capsys):
    code, out = _cli(["compute-optimal", "--a", a, "--b", b, "--json"], capsys)
    if code == 0:
        d = _strict(out)
        for key in ("N_exponent", "t_exponent", "loss_exponent"):
            assert math.isfinite(d[key]["float"])


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(task=st.sampled_from(["source(a=1e30)", "source(a=1e300)", "power(nu=1e30)", "power(nu=-1e30)",
                             "source(a=1.0000001)", "source(a=nan)", "power(nu=x)"]),
       spectrum=st.sampled_from(["powerlaw(alpha=1e30)", "powerlaw(alpha=0.5)", "k**-1e30", "powerlaw(alpha=1e-30)"]),
       noise=st.sampled_from(["0", "1e-300", "1e300", "-1", "inf"]))
def test_cli_exponents_task_any_size(task, spectrum, noise, capsys):
    # derivations with huge exponents finish (exact exponents, 30-digit prefactors) or are refused cleanly
    code, out = _cli(["exponents", "--spectrum", spectrum, "--task", task, "--noise", noise, "--json"], capsys)
    if code == 0:
        d = _strict(out)
        assert d["ridgeless_N"]["exact"] is not None


@FUZZ
@given(aK=st.sampled_from(["0.5", "1", "1e300", "-1", "0", "nan", "1000", "1001"]),
       P=st.sampled_from(["100", "inf", "0"]))
def test_cli_bahri(aK, P, capsys):
    code, out = _cli(["bahri", "--alpha-K", aK, "--P", P, "--json"], capsys)
    if code == 0:
        _strict(out)


@settings(max_examples=40, deadline=20000, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(N=st.sampled_from(["10", "inf", "0", "10.5", "-1", "200"]),
       seed=st.sampled_from(["0", "-1", "x", str(2**63), "7"]),
       seeds=st.sampled_from(["2", "0", "-4", "2000000"]))
def test_cli_simulate(N, seed, seeds, capsys):
    args = ["simulate", "--spectrum", "powerlaw(alpha=1, M=50)", "--N", N, "--T", "20", "--seed", seed,
            "--seeds", seeds, "--quiet", "--json"]
    code, out = _cli(args, capsys)
    if code == 0:
        d = _strict(out)
        assert d["loss_mean"] >= 0


def test_the_api_refuses_non_numbers():
    model = RandomFeatureRidge(PowerLaw(alpha=1, M=100))
    for bad in ("10", [], [1.0, "a"], 1j, None, {"N": 1}):
        with pytest.raises(ParameterError):
            model.loss(bad, 10, 0.0)
