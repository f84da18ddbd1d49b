"""The compute-optimal frontier of one-pass SGD from the loss curves, against the exponents the engine derives.

The engine (:func:`scalingsym.theory.sgd_phases.sgd_phase`) balances the leading terms' exponents; the numeric
frontier minimises the full deterministic-equivalent loss curve over ``N`` at each compute ``f = N r``. The two
are independent: one is a max-min of sympy exponents, the other a grid search on the Volterra solution. Local
exponents between consecutive decades of ``f`` approach the derived ones as ``f`` grows (the subleading terms are
powers of ``f`` too); the tolerances are the gaps measured at ``f = 1e8 .. 1e9`` with a margin, and each test
also asserts that the gap shrinks from one decade to the next.

Measured (B = 8, lr = 0.5 max_lr, f = 1e4 .. 1e9, local xi / eta per decade):

* I (0.7, 0.2): xi 0.4238 0.4204 0.4183 0.4170 0.4162 (5/12); eta 0.3251 0.3289 0.3308 0.3319 0.3325 (1/3)
* II (0.7, 0.6): xi 0.4790 0.4753 0.4724 0.4703 0.4691 (6/13); eta 0.5789 0.5897 0.5966 0.6013 0.6047 (8/13)
* III (0.7, 0.9): xi 0.5332 0.5314 0.5304 0.5273 0.5221 (1/2); eta 0.6654 0.6665 0.6647 0.6624 0.6588 (9/14)
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

from scalingsym.core.errors import ConvergenceError, ParameterError
from scalingsym.models.sgd import OnlineSGD
from scalingsym.theory.sgd_phases import sgd_phase


def _local(alpha: float, beta: float):
    m = OnlineSGD.from_exponents(a=2 * alpha + 2 * beta, b=2 * alpha)
    lr = 0.5 * m.max_lr(8, math.inf)
    fr = m.compute_optimal_frontier(np.logspace(7, 9, 3), B=8, lr=lr)
    return sgd_phase(alpha, beta), fr


def _check(ph, fr, tol_xi: float, tol_eta: float) -> None:
    gap_xi = np.abs(fr["xi_local"] - float(ph["xi"]))
    gap_eta = np.abs(fr["eta_local"] - float(ph["eta"]))
    assert gap_xi[-1] < tol_xi and gap_eta[-1] < tol_eta
    assert gap_xi[-1] <= gap_xi[0] + 1e-3 and gap_eta[-1] <= gap_eta[0] + 1e-3


def test_phase_I_frontier_from_the_loss_curves():
    ph, fr = _local(0.7, 0.2)
    assert ph["phase"] == "I"
    _check(ph, fr, 0.004, 0.004)


@pytest.mark.slow
def test_phase_II_frontier_from_the_loss_curves():
    ph, fr = _local(0.7, 0.6)
    assert ph["phase"] == "II"
    _check(ph, fr, 0.012, 0.015)


@pytest.mark.slow
def test_phase_III_frontier_from_the_loss_curves():
    ph, fr = _local(0.7, 0.9)
    assert ph["phase"] == "III"
    _check(ph, fr, 0.03, 0.025)


def test_frontier_refuses_a_minimum_on_the_grid_edge_and_bad_input():
    m = OnlineSGD.from_exponents(a=1.8, b=1.4)
    with pytest.raises(ConvergenceError, match="edge of N_grid"):
        m.compute_optimal_frontier([1e8], B=8, lr=0.5, N_grid=np.logspace(1, 2, 5))
    with pytest.raises(ParameterError, match="f must be"):
        m.compute_optimal_frontier([-1.0], B=8, lr=0.5)
    with pytest.raises(ParameterError, match="lr"):
        m.compute_optimal_frontier([1e6], B=8, lr=50.0)


@pytest.mark.slow
def test_phases_cli_numeric_keys(capsys):
    import json

    from scalingsym.cli import main

    main(["phases", "--alpha", "0.7", "--beta", "0.2", "--numeric", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert out["xi"]["exact"] == "5/12"
    assert abs(out["numeric"]["xi_local"][-1] - 5 / 12) < 0.004
    assert abs(out["numeric"]["eta_local"][-1] - 1 / 3) < 0.004


def _below(alpha: float, beta: float):
    from scalingsym.models.sgd import plrf_frontier

    fr = plrf_frontier(alpha, beta, np.logspace(7, 9, 3), N_grid=np.logspace(1.5, 5.5, 33))
    return sgd_phase(str(alpha), str(beta)), fr


def test_sub_phase_Ib_frontier_from_the_loss_curves():
    # hidden dimension v = 10 d, lr = 0.5 max_lr(B, d) ~ 1/tr; measured xi 0.5003, 0.4994; eta 0.1929, 0.1950
    ph, fr = _below(0.4, 0.3)
    assert ph["phase"] == "Ib" and ph["xi"] == sp.Rational(1, 2) and ph["eta"] == sp.Rational(1, 5)
    _check(ph, fr, 0.004, 0.01)


@pytest.mark.slow
def test_sub_phase_Ic_frontier_from_the_loss_curves():
    # alpha < 1/4: slower (f = 1e6 .. 1e9: xi 0.538, 0.541, 0.569; eta 0.175, 0.188, 0.206 towards 5/22 = 0.227)
    ph, fr = _below(0.2, 0.8)
    assert ph["phase"] == "Ic" and ph["xi"] == sp.Rational(25, 44)
    assert abs(fr["xi_local"][-1] - float(ph["xi"])) < 0.015
    assert float(ph["eta"]) - 0.04 < fr["eta_local"][-1] < float(ph["eta"]) and fr["eta_local"][-1] > fr["eta_local"][0]


def test_plrf_frontier_and_cli_refuse_what_they_cannot_measure(capsys):
    from scalingsym.cli import main
    from scalingsym.models.sgd import plrf_frontier

    with pytest.raises(ParameterError, match=r"alpha must be in \[0.001, 50\]"):
        plrf_frontier(1e-300, 0.5, [1e7])
    with pytest.raises(ParameterError, match="lr_fraction"):
        plrf_frontier(0.7, 0.2, [1e7], lr_fraction=1.5)
    # below the high-dimensional line the optimum leaves the searched range: a one-line error, exit 2 or 3
    assert main(["phases", "--alpha", "0.2", "--beta", "0.2", "--numeric", "--json"]) in (2, 3)
    assert "high-dimensional line" in capsys.readouterr().err
