"""SGD phases: derived exponents against the sheet's Phase I/II/III forms on a grid of (alpha, beta)."""

from __future__ import annotations

import json

import pytest
import sympy as sp

from scalingsym.cli import main
from scalingsym.core.errors import ParameterError
from scalingsym.theory.sgd_phases import sgd_phase

al, be = sp.symbols("alpha beta", positive=True)
# reference forms (dynamics_and_regimes.md B7), used only as test references
SHEET = {
    "I": (1 / (2 * al + 1), (2 * al + 2 * be - 1) / (2 * al + 1)),
    "II": (be / (al + be), (2 * al + 2 * be - 1) / (2 * (al + be))),
    "III": (sp.Rational(1, 2), 1 - 1 / (4 * al)),
}


def _sheet_phase(a, b):
    if 2 * b < 1:
        return "I"
    return "II" if 2 * b < 2 * a else "III"


GRID = [(sp.Rational(p, 10), sp.Rational(q, 10)) for p in (6, 7, 10, 15) for q in (1, 3, 6, 8, 12, 20)
        if 2 * q != 10 and p != q]


@pytest.mark.parametrize("a,b", GRID)
def test_derived_exponents_equal_sheet(a, b):
    res = sgd_phase(a, b)
    ph = _sheet_phase(a, b)
    assert res["phase"] == ph
    xi, eta = (sp.simplify(e.subs({al: a, be: b})) for e in SHEET[ph])
    assert res["xi"] == xi and res["eta"] == eta


def test_phase_IV_is_undecided_and_cli(capsys):
    with pytest.raises(ParameterError, match="cannot decide.*IVa/IVb"):
        sgd_phase("0.4", "0.7")
    with pytest.raises(ParameterError, match="cannot decide.*high-dimensional line"):
        sgd_phase("0.2", "0.2")
    with pytest.raises(ParameterError, match="cannot decide"):
        sgd_phase("0.5", "0.3")
    assert main(["phases", "--alpha", "0.7", "--beta", "0.6", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["phase"] == "II" and out["xi"] == {"exact": "6/13", "float": 6 / 13}
    assert main(["phases", "--alpha", "0.4", "--beta", "0.7", "--json"]) == 2
    assert main(["phases", "--alpha", "x", "--beta", "0.3"]) == 2


@pytest.mark.parametrize(("alpha", "beta"), [("0.4", "0.3"), ("0.3", "0.4"), ("0.45", "0.2"), ("0.2", "0.45"),
                                             ("0.2", "0.8"), ("0.15", "0.8"), ("0.1", "0.6")])
def test_below_the_line_sub_phases_by_hand(alpha, beta):
    # by hand (independent of the engine's sympy): with v = c d and lr ~ 1/tr ~ d^-(1-2a), F_pp ~ (lr r)^-q,
    # q = (2a + 2b - 1)/(2a), F_0 ~ d^-(2a + 2b - 1) (2b < 1) or d^-2a (2b > 1), on xi >= 1/2 (r <= d):
    # 2b < 1: xi = 1/2, eta = (2a + 2b - 1)/2; 2b > 1 (a < 1/4): xi = q/(2a + q(2 - 2a)), eta = 2a xi
    a, b = sp.Rational(alpha), sp.Rational(beta)
    q = (2 * a + 2 * b - 1) / (2 * a)
    res = sgd_phase(alpha, beta)
    if 2 * b < 1:
        assert res["phase"] == "Ib" and res["xi"] == sp.Rational(1, 2) and res["eta"] == (2 * a + 2 * b - 1) / 2
    else:
        xi = q / (2 * a + q * (2 - 2 * a))
        assert res["phase"] == "Ic" and res["xi"] == xi and res["eta"] == 2 * a * xi
