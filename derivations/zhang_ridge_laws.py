"""Ridge regimes, optimal ridge and compute allocation of the random-feature model (Zhang; MRS).

Derived with :mod:`scalingsym.asymptotics` for ``lambda_k = lambda_plus k^-(1+alpha)`` (static_rf_ridge.md
B3-B7): the regime map of ``L(N, T, gamma)`` (ridgeless, ridge-dominated, regulated peak, saturation,
finite ``M``) with exponents and crossover scales, the optimal-ridge quadratic and its exact ``alpha = 1``
identities, and the compute allocation at fixed ``N T``. Checks: each law against the full deterministic
equivalent deep in its regime, the optimal ridge against a numerical minimisation, and one seeded Monte
Carlo at the optimal ridge.
"""

from __future__ import annotations

import math
import pathlib
import sys

import numpy as np

from scalingsym.core import symbols as S
from scalingsym.core.spectra import ArraySpectrum, PowerLaw
from scalingsym.models.ridge import RandomFeatureRidge
from scalingsym.simulate.ridge import simulate_ridge
from scalingsym.theory.optimal import (
    derive_optimal_d,
    equiparameterized_optimum,
    optimal_ridge,
    optimal_ridge_alpha1,
    optimal_ridge_power_law,
    ridgeless_allocation,
)
from scalingsym.theory.regimes import exponents, regime_map
from scalingsym.theory.spectral import TailLaw

NAME = "zhang_ridge_laws"


#: rough single-core seconds of the quick variant (the report starts the longest pieces first)
QUICK_SECONDS = 2


def _check(name: str, expected: float, got: float, tol: float) -> dict:
    err = abs(got / expected - 1) if expected != 0 else abs(got)
    return {"name": name, "expected": float(expected), "got": float(got), "tol": tol, "ok": bool(err <= tol)}


def _ev(result, **values) -> float:
    vals = {"w_var": 1.0, "lambda_plus": 1.0}
    vals.update(values)
    return result.evaluate(**{s.name: vals[s.name] for s in result.free_symbols})


def run(out_dir: pathlib.Path, quick: bool = True) -> dict:
    """Derive, check and write ``zhang_ridge_laws.tex``; returns the derivation record."""
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    results = []
    checks = []

    # ---- symbolic: regime map for general alpha ------------------------------------------------------
    rm = regime_map(TailLaw.power_law())
    results.extend(rm.values())
    ex = exponents(TailLaw.power_law())
    print("exponents (general alpha):")
    for key, r in ex.items():
        print(f"  {key:28s} {r.expr}")
    results.append(derive_optimal_d())
    results.extend(optimal_ridge_alpha1().values())
    results.append(ridgeless_allocation())
    results.append(equiparameterized_optimum(1))

    # ---- regimes vs the full deterministic equivalent (alpha = 1, M = oo) ----------------------------
    rm1 = regime_map(TailLaw.power_law(1, 1))
    model = RandomFeatureRidge(PowerLaw(alpha=1.0), w_var=1.0, u_var=1.0)
    n = 1000.0
    checks.append(_check("ridgeless law / full (n = 1e3, m = 4e3); neglected O(1/n)",
                         float(model.loss(n, 4 * n, 0.0)), _ev(rm1["ridgeless"], n=n, m=4 * n), 2e-3))
    nn = 1e5
    gb = (math.pi / 2) ** 2 * nn  # d1 = sqrt(n): 1 << d1 << n
    checks.append(_check("ridge-dominated law / full (N = T = 1e5, d1 = sqrt(N)); neglected O(d1/n)",
                         float(model.loss(nn, nn, gb)), _ev(rm1["ridge_dominated"], N=nn, T=nn, gammabar=gb), 1e-2))
    gb = 1e-6 * n * math.pi**2 / (4 * n)
    checks.append(_check("regulated peak / full (n = 1e3, gamma_bar = 1e-6 n Delta); O(1/n + sqrt(eps))",
                         float(model.loss(n, n, gb)), _ev(rm1["regulated_peak"], n=n, gammabar=gb), 3e-3))
    checks.append(_check("saturation E[y^2]/2 / full (gamma_bar = 1e3 N T)", float(model.loss(300.0, 300.0, 9e7)),
                         math.pi**2 / 12, 2e-3))

    # ---- optimal ridge: numeric (finite-M spectrum, fast exact sums) vs the continuum closed form ------
    k = np.arange(1, 20001, dtype=float)
    fast = RandomFeatureRidge(ArraySpectrum(k**-2.0), w_var=1.0, u_var=1.0)
    for N, T in ((200.0, 200.0), (100.0, 400.0)):
        opt = optimal_ridge(fast, N, T)
        cf = optimal_ridge_power_law(1.0, N, T)
        print(f"optimal ridge N={N:g} T={T:g}: numeric gamma_bar*={opt.gamma_bar:.4f} (pi^2/4 = "
              f"{math.pi**2 / 4:.4f}), L*={opt.loss:.6g}, closed form {cf['loss']:.6g}")
        checks.append(_check(f"gamma_bar* = pi^2/4 (alpha = 1), numeric N={N:g}, T={T:g}", math.pi**2 / 4,
                             opt.gamma_bar, 0.05))
        checks.append(_check(f"L* = pi^2/8 (1/N + 1/T), numeric N={N:g}, T={T:g}; continuum O(1/d*)",
                             math.pi**2 / 8 * (1 / N + 1 / T), opt.loss, 0.02))

    # ---- allocation: ridgeless optimum n/m = alpha/(2+alpha) ----------------------------------------
    C = 1e8
    r = np.logspace(-1.2, -0.2, 81)
    nr = np.sqrt(C * r)
    L = model.loss(nr, C / nr, 0.0)
    checks.append(_check("ridgeless compute-optimal n/m (alpha = 1) = 1/3", 1 / 3, float(r[int(np.argmin(L))]), 0.03))
    # with the optimal ridge, N = T beats N = 4T at the same C
    Cq = 4e4
    eq = optimal_ridge(fast, 200.0, 200.0).loss
    skew = optimal_ridge(fast, 400.0, 100.0).loss
    checks.append({"name": "optimal ridge: L*(N=T) / L*(N=4T) at N T = 4e4 is below 1", "expected": 1.0,
                   "got": float(eq / skew), "tol": 0.0, "ok": bool(eq < skew)})
    print(f"allocation at C={Cq:g}: L*(200,200)={eq:.6g}, L*(400,100)={skew:.6g}")

    # ---- one small Monte Carlo at the optimal ridge ---------------------------------------------------
    M = 400
    spec = PowerLaw(alpha=1.0, M=M)
    mc_model = RandomFeatureRidge(spec)  # default w_var = u_var = 1/M
    Nm = Tm = 100
    gamma = (math.pi**2 / 4) * mc_model.u_var
    seeds = 8 if quick else 32
    sim = simulate_ridge(spec, Nm, Tm, gamma, seeds=seeds, seed=0, teachers=8)
    theory = float(mc_model.loss(Nm, Tm, gamma))
    got, se = float(sim.loss_mean[0]), float(sim.loss_stderr[0])
    # tolerance: 3 standard errors plus the O(1/n) finite-size bias of the deterministic equivalent
    tol = (3 * se) / theory + 2.0 / Nm
    print(f"Monte Carlo N=T={Nm}, M={M}, gamma_bar = pi^2/4: {got:.5g} +- {se:.2g}, theory {theory:.5g}")
    checks.append(_check("simulation / theory at the optimal ridge (N = T = 100, M = 400)", theory, got, tol))

    tex = "\n".join(r.to_latex(label=f"eq:{NAME}:{i}") for i, r in enumerate(results))
    (out_dir / f"{NAME}.tex").write_text(tex + "\n")
    for c in checks:
        print(("ok  " if c["ok"] else "FAIL"), c["name"], f"expected={c['expected']:.6g} got={c['got']:.6g}")
    _ = S  # canonical symbols used by the results above
    return {"title": "Ridge regimes, optimal ridge and compute allocation", "results": results, "checks": checks,
            "latex": tex}


if __name__ == "__main__":
    record = run(pathlib.Path("out") / NAME, quick=True)
    sys.exit(0 if all(c["ok"] for c in record["checks"]) else 1)
