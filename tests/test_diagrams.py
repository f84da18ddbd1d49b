"""Planar diagrams of the large-ridge expansion (issue 4): two routes, duality, Kreweras, Monte Carlo."""

import math

import numpy as np
import pytest
import sympy as sp

from scalingsym.core import symbols as S
from scalingsym.core.errors import ParameterError
from scalingsym.theory.diagrams import (
    agreement_table,
    duality_check,
    evaluate_coefficients,
    kreweras,
    loss_diagrams,
    moment_kreweras_check,
    monte_carlo_coefficients,
    planar_coefficients,
    t,
)


def test_series_equals_sum_of_planar_diagrams_to_order_6():
    rows = agreement_table(6)
    assert [r["agree"] for r in rows] == [True] * 7


def test_first_orders_by_hand():
    c = planar_coefficients(2)
    # E tr[Lambda W K] = tr[Lambda (T I) Lambda^{1/2} (N I) Lambda^{1/2}] exactly (E W = T I, E V = N I)
    assert sp.expand(c[1] - 2 * S.N * S.T * t(2)) == 0
    assert c[0] == t(1)


def test_weights_are_planar_degree():
    for p in range(1, 5):
        for ds in loss_diagrams(p).values():
            for d in ds:
                assert d.n_N + d.n_T + len(d.moments) == 2 * p + 1


def test_kreweras_known_values():
    assert kreweras(((0,), (1,), (2,)), 3) == ((0, 1, 2),)  # K(0) = 1
    assert kreweras(((0, 1, 2),), 3) == ((0,), (1,), (2,))  # K(1) = 0
    # |pi| + |K(pi)| = n + 1 for every non-crossing partition
    assert len(kreweras(((0, 3), (1, 2)), 4)) == 4 + 1 - 2


def test_every_diagram_has_a_dual_partner():
    rows = duality_check(4)
    assert rows and all(r["ok"] for r in rows)


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_moment_words_kreweras_structure(k):
    r = moment_kreweras_check(k)
    assert r["diagrams"] == r["fuss_catalan"]  # 2-chains in NC(k): (3k choose k)/(2k+1)
    assert r["maximal"] == r["narayana_total"]  # Catalan number of NC(k)
    assert r["t_blocks_refine_kreweras"] and r["maximal_is_kreweras"] and r["symmetric"]


def test_monte_carlo_moments_first_three_orders():
    M, N, T = 60, 30, 50
    lam = 1.0 / (1 + 2 * np.arange(M) / M)
    mean, se = monte_carlo_coefficients(lam, N, T, 3, seeds=300, seed=7, field="complex")
    th = evaluate_coefficients(planar_coefficients(3), lam, N, T)
    assert mean[0] == pytest.approx(th[0], rel=1e-12)
    for p in (1, 2, 3):
        # complex Gaussians: non-planar (genus >= 1) terms are O(p^2/n^2) relative, n = min(N, T, M) = 30
        tol = 4 * se[p] + 3 * p**2 / 30**2 * th[p]
        assert abs(mean[p] - th[p]) < tol, (p, mean[p], th[p], se[p])


def test_bad_input():
    with pytest.raises(ParameterError):
        planar_coefficients(-1)
    with pytest.raises(ParameterError):
        monte_carlo_coefficients([1.0, -1.0], 3, 3)
    assert math.comb(6, 2) == 15
