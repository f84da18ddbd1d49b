"""The report's SGD, ensemble and phase-diagram figures: what they plot is what the models give.

Each plotted theory line is compared with an independent call of its model at the same points, the simulation
points with an independent seeded simulation, and the phase diagram's colours with the phase engine at the same
``(alpha, beta)``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

from scalingsym.core.errors import ParameterError
from scalingsym.models.dynamics import GradientFlowRF
from scalingsym.models.ensemble import cross_term, dynamics_ensemble
from scalingsym.models.sgd import OnlineSGD
from scalingsym.output import plot
from scalingsym.output.report import DEFAULT_SPECTRUM, FIGURES, _caption, _make_figure, build_report
from scalingsym.simulate.ensemble import simulate_dynamics_ensemble
from scalingsym.simulate.sgd import simulate_sgd
from scalingsym.theory.sgd_phases import sgd_phase


def _line(ax, label: str):
    got = [ln for ln in ax.get_lines() if ln.get_label() == label]
    assert len(got) == 1, f"no single line {label!r} in {[ln.get_label() for ln in ax.get_lines()]}"
    return got[0]


def _points(ax) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(x, y)`` of each error-bar series of ``ax``."""
    return [tuple(np.asarray(v) for v in c.lines[0].get_data()) for c in ax.containers]


# --------------------------------------------------------------------------------------- SGD ---
SGD_KW = {"a": 2.0, "b": 1.5, "M": 80, "N": 32, "Bs": (1, 4), "B": 4, "Ns": (16, 32), "steps": [1, 3, 12, 40]}


def test_sgd_curves_lines_are_the_deterministic_equivalent():
    fig, data = plot.sgd_curves(**SGD_KW, simulate=False)
    model = OnlineSGD.from_exponents(2.0, 1.5, 80)
    configs = [(32, 1), (32, 4), (16, 4)]
    lr = 0.5 * min(model.max_lr(B, N) for N, B in configs)
    assert data["lr"] == pytest.approx(lr, rel=1e-12)
    left, right = fig.axes[0], fig.axes[1]
    steps = np.array(SGD_KW["steps"], dtype=float)
    for ax, label, (N, B) in [(left, "$B=1$ theory", (32, 1)), (left, "$B=4$ theory", (32, 4)),
                              (right, "$N=16$ theory", (16, 4)), (right, "$N=32$ theory", (32, 4))]:
        x, y = _line(ax, label).get_data()
        np.testing.assert_array_equal(np.asarray(x, dtype=float), steps)
        expected = model.loss_curve(steps, N=N, B=B, lr=lr).test_loss
        np.testing.assert_allclose(np.asarray(y), expected, rtol=1e-10)
    # the gradient-flow reference at t = lr r
    x, y = [ln for ln in left.get_lines() if ln.get_linestyle() == ":"][0].get_data()
    flow = GradientFlowRF.from_exponents(2.0, 1.5, 80).loss_curve(lr * steps, N=32).test_loss
    np.testing.assert_allclose(np.asarray(y), flow, rtol=1e-10)
    # larger batches lose less per step at the same step size
    assert np.all(data["theory"][(32.0, 4)][1:] < data["theory"][(32.0, 1)][1:])
    assert not left.containers and not right.containers and not data["simulation"]


def test_sgd_curves_simulation_points_are_the_seeded_simulation():
    fig, data = plot.sgd_curves(**SGD_KW, simulate=True, sim_steps=[2, 10, 40], seeds=3, seed=7, lr=0.2)
    left, right = fig.axes[0], fig.axes[1]
    assert len(left.containers) == 2 and len(right.containers) == 2
    model = OnlineSGD.from_exponents(2.0, 1.5, 80)
    # configuration j (left then right, shared ones once) is seeded with seed + 1000 j
    for j, (N, B) in enumerate([(32, 1), (32, 4), (16, 4)]):
        sim = simulate_sgd(model.spectrum, model.task, N, B, 0.2, [2, 10, 40], seeds=3, seed=7 + 1000 * j)
        steps, mean, se = data["simulation"][(float(N), B)]
        np.testing.assert_array_equal(steps, [2, 10, 40])
        np.testing.assert_array_equal(mean, sim.loss_mean)
        np.testing.assert_array_equal(se, sim.loss_stderr)
    x, y = _points(left)[1]  # B = 4 at N = 32
    np.testing.assert_array_equal(y, data["simulation"][(32.0, 4)][1])
    np.testing.assert_array_equal(x, [2, 10, 40])


# ----------------------------------------------------------------------------------- ensemble ---
ENS_KW = {"a": 2.0, "b": 1.5, "M": 80, "N": 16, "P": 48, "t": [0.5, 5.0, 50.0]}


def test_ensemble_curves_lines_are_the_ensemble_theory():
    fig, data = plot.ensemble_curves(**ENS_KW, Es=(1, 4, math.inf), simulate=False)
    ax = fig.axes[0]
    model = GradientFlowRF.from_exponents(2.0, 1.5, 80)
    t = np.array(ENS_KW["t"])
    ref = dynamics_ensemble(model, t, N=16, P=48, E=[1, 4, math.inf])
    single = model.loss_curve(t, N=16, P=48).test_loss
    np.testing.assert_allclose(_line(ax, "$E=1$ theory").get_ydata(), single, rtol=1e-12)
    np.testing.assert_allclose(_line(ax, "$E=4$ theory").get_ydata(), ref.loss[1], rtol=1e-12)
    C = cross_term(model, t, 16, 48, data="same")
    np.testing.assert_allclose(_line(ax, r"$E=\infty$ (mean predictor) theory").get_ydata(), C, rtol=1e-12)
    # L_4 = C + (L_1 - C)/4, between the mean predictor and the single model
    np.testing.assert_allclose(ref.loss[1], C + (single - C) / 4, rtol=1e-12)
    assert np.all(C < ref.loss[1]) and np.all(ref.loss[1] < single)
    assert not ax.containers and data["simulation"] is None


def test_ensemble_curves_simulation_points_are_the_seeded_simulation():
    fig, data = plot.ensemble_curves(**ENS_KW, Es=(1, 4, math.inf), simulate=True, sim_t=[1.0, 20.0], seeds=3,
                                     seed=11)
    ax = fig.axes[0]
    assert len(ax.containers) == 2  # E = 1 and E = 4; none for E = inf
    model = GradientFlowRF.from_exponents(2.0, 1.5, 80)
    sim = simulate_dynamics_ensemble(model.spectrum, model.task, 16, 48, [1.0, 20.0], E=[1, 4], seeds=3, seed=11)
    for (x, y), mean in zip(_points(ax), sim.loss_mean, strict=True):
        np.testing.assert_array_equal(x, [1.0, 20.0])
        np.testing.assert_array_equal(y, mean)


# ------------------------------------------------------------------------------ phase diagram ---
def test_phase_grid_avoids_the_phase_boundaries():
    alphas, betas = plot.phase_grid((4, 6), 2.0)
    assert len(alphas) == 8 and len(betas) == 12
    half = sp.Rational(1, 2)
    assert half not in alphas and half not in betas
    assert not set(alphas) & set(betas)  # no centre on alpha = beta
    assert all(abs(a - b) >= sp.Rational(1, 24) for a in alphas for b in betas)
    with pytest.raises(ParameterError, match="per_unit"):
        plot.phase_grid((4, 4))


def test_phase_diagram_colours_are_the_engine_xi():
    alphas = ["0.4", "0.7", "1.3"]
    betas = ["0.2", "0.9", "1.7"]
    fig, data = plot.phase_diagram(alphas, betas)
    mesh = fig.axes[0].collections[0]
    colours = np.ma.asarray(mesh.get_array()).reshape(len(betas), len(alphas))
    for i, b in enumerate(betas):
        if b == "0.2":  # 2 alpha < 1, 2 beta < 1: sub-phase Ib, decided
            assert data["phase"][i][0] == "Ib" and float(colours[i, 0]) == 0.5
        else:  # 2 beta > 1, 1/4 < alpha < 1/2 (IVa/IVb): the engine raises, the cell is blank
            assert np.ma.is_masked(colours[i, 0])
            assert math.isnan(data["xi"][i, 0])
        for j in (1, 2):
            res = sgd_phase(alphas[j], b)
            assert float(colours[i, j]) == pytest.approx(float(res["xi"]), abs=1e-15)
            assert data["phase"][i][j] == res["phase"]
            assert data["eta"][i, j] == pytest.approx(float(res["eta"]), abs=1e-15)
    assert {data["phase"][0][1], data["phase"][1][2], data["phase"][2][1]} == {"I", "II", "III"}
    assert len(data["undecided"]) == 2  # (0.4, 0.9) and (0.4, 1.7): IVa/IVb
    labels = {t.get_text() for t in fig.axes[0].texts}
    assert {"I", "II", "III", "Ib"} <= labels


def test_phase_diagram_leaves_undetermined_balances_blank():
    """On alpha = beta (2 beta > 1) the engine balances three terms: no phase, a blank cell."""
    assert sgd_phase("1", "1")["phase"].startswith("undetermined")
    fig, data = plot.phase_diagram(["1"], ["1"])
    assert math.isnan(data["xi"][0, 0]) and data["phase"][0][0] == ""
    assert data["undecided"][0][2].startswith("undetermined")
    assert np.ma.is_masked(np.ma.asarray(fig.axes[0].collections[0].get_array()).ravel()[0])


def test_phase_diagram_dashed_lines_separate_the_engine_phases():
    """The drawn boundaries 2 beta = 1 and alpha = beta are where the engine's phase changes."""
    assert sgd_phase("1.2", "0.45")["phase"] == "I" and sgd_phase("1.2", "0.55")["phase"] == "II"
    assert sgd_phase("1.5", "1.45")["phase"] == "II" and sgd_phase("1.5", "1.55")["phase"] == "III"
    with pytest.raises(ParameterError):
        sgd_phase("0.5", "1")


# ------------------------------------------------------------------------------------- report ---
@pytest.mark.parametrize("quick", [True, False])
def test_captions_quote_their_settings(quick):
    for key in FIGURES:
        for simulate in (True, False):
            text = _caption(key, 6, simulate, quick)
            assert "@" not in text, f"{key}: unfilled placeholder in {text!r}"
    sgd = _caption("sgd_curves", 6, True, quick)
    assert ("$N=128$" if quick else "$N=256$") in sgd and "$K=6$ seeds" in sgd
    assert "$K=6$" not in _caption("sgd_curves", 6, False, quick)
    phase = _caption("phase_diagram", 6, True, quick)
    assert ("$1/2$ wide" if quick else "$1/4$ wide") in phase and "cannot decide" in phase


def test_make_figure_saves_the_ensemble_figure(tmp_path):
    paths = _make_figure("ensemble_curves", tmp_path, DEFAULT_SPECTRUM, True, 2, True, True)
    assert set(paths) == {"pdf", "png"}
    assert paths["png"] == tmp_path / "figures" / "ensemble_curves.png" and paths["png"].stat().st_size > 1000


@pytest.mark.slow
def test_report_writes_the_three_figures(tmp_path):
    out = build_report(tmp_path / "r", derivations=[], figures=True, simulate=False, compile=False, quick=True,
                       quiet=True)
    assert {"sgd_curves", "ensemble_curves", "phase_diagram"} <= set(FIGURES)
    for key in ("sgd_curves", "ensemble_curves", "phase_diagram"):
        png = tmp_path / "r" / "figures" / f"{key}.png"
        assert png.stat().st_size > 1000 and out.figures[key]["png"] == png
    tex = out.tex_path.read_text()
    assert r"\label{fig:phase_diagram}" in tex and "cannot decide" in tex
    assert "$N=128$" in tex and "$P=128$" in tex  # the quick settings quoted in the captions
    assert "standard error over" not in tex  # no simulation, no simulation note
