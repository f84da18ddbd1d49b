"""N <-> T duality, limits and planar diagrams of the random-feature ridge model.

Derives with scalingsym: (1) the duality as a transformation with symbolic proofs of invariance and
counterexamples (train loss, non-isotropic teacher) with Monte-Carlo confirmation; (2) the ridgeless, large-ridge,
M -> inf, N -> inf and T -> inf limits as sympy limits with numeric cross-checks; (3) the large-ridge series of the
test loss by two independent routes (series of the self-consistent solution; sum of planar diagrams), their
order-by-order agreement, the dual partner of every diagram, and Monte-Carlo moments.
"""

from __future__ import annotations

import pathlib
import sys

import numpy as np
import sympy as sp

from scalingsym import PowerLaw, RandomFeatureRidge, Task, simulate_ridge
from scalingsym.core.result import Result
from scalingsym.simulate.duality import finite_size_identity, monte_carlo_duality
from scalingsym.theory.diagrams import (
    agreement_table,
    diagrams_latex,
    duality_check,
    evaluate_coefficients,
    monte_carlo_coefficients,
    planar_coefficients,
)
from scalingsym.theory.duality import NT_DUALITY, grid_check, train_loss, verify
from scalingsym.theory.limits import LIMITS, check_limit

#: rough single-core seconds of the quick variant (the report starts the longest pieces first)
QUICK_SECONDS = 8


def _check(name, expected, got, tol, ok=None):
    ok = bool(abs(got - expected) <= tol) if ok is None else bool(ok)
    return {"name": name, "expected": expected, "got": got, "tol": tol, "ok": ok}


def run(out_dir: pathlib.Path, quick: bool = True) -> dict:
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    checks, results, tex = [], [], []
    spec = PowerLaw(alpha=1, M=1000)

    # (1) duality -----------------------------------------------------------------------------------------
    print("== N <-> T duality ==", NT_DUALITY.fixed, "|", NT_DUALITY.requires)
    for q in ("saddle", "rho", "d1", "loss", "train_loss"):
        v = verify(NT_DUALITY, q)
        print(v)
        want = q != "train_loss"
        checks.append(_check(f"duality symbolic: {q}", want, v.holds, 0, ok=v.holds == want))
    lam = np.arange(1, 61) ** -1.5
    a, b = finite_size_identity(lam, 20, 45, 0.3, seed=1)
    checks.append(_check("finite-size identity (isotropic, one draw)", a, b, 1e-10 * a))
    iso = grid_check(RandomFeatureRidge(spec))
    checks.append(_check("grid max rel diff, isotropic", 0.0, iso["max_rel_diff"], 1e-12))
    print("breaking of the duality (max rel diff over N,T in {20,50,100,300}, gamma_bar in {1e-3,.1,1,10}):")
    for nu in (0.5, 1.0, 2.0):
        r = grid_check(RandomFeatureRidge(spec, task=Task.power(nu)))
        print(f"  teacher nu={nu}: {r['max_rel_diff']:.4f} at {r['worst']}")
        checks.append(_check(f"teacher nu={nu} breaks duality: max rel diff above 0.1", 0.1, r["max_rel_diff"], 0,
                             ok=r["max_rel_diff"] > 0.1))
    tr = grid_check(RandomFeatureRidge(spec), "train_loss")
    print(f"  train loss: {tr['max_rel_diff']:.4f}")
    spec_mc = PowerLaw(alpha=1, M=200)
    seeds = 16 if quick else 64
    g = 1e-2 / 200
    for task in (None, Task.power(1.0)):
        mc = monte_carlo_duality(spec_mc, 30, 120, g, task=task, seeds=seeds, seed=1)
        name = "isotropic" if task is None else "nu=1"
        print(f"  MC {name}: L(30,120)={mc['loss(N,T)']:.4e}+-{mc['se(N,T)']:.1e}, "
              f"L(120,30)={mc['loss(T,N)']:.4e}+-{mc['se(T,N)']:.1e}, rel diff {mc['rel_diff']:.3f}, z={mc['z']:.1f}")
        ok = mc["z"] < 3.5 if task is None else mc["z"] > 5
        want = "|z| < 3.5 (symmetric)" if task is None else "z > 5 (broken)"
        checks.append(_check(f"MC duality pair {name}: z of L(N,T) - L(T,N), {want}", 0.0 if task is None else 5.0,
                             mc["z"], 3.5, ok=ok))
    m200 = RandomFeatureRidge(spec_mc)
    for N, T in ((40, 120), (120, 40)):
        gg = 0.1 * m200.u_var
        batches = [simulate_ridge(spec_mc, N, T, gg, seeds=seeds, seed=10 + i).train_mean[0] for i in range(4)]
        sim, sim_se = float(np.mean(batches)), float(np.std(batches, ddof=1) / 2)
        th = train_loss(m200, N, T, gg)
        print(f"  train loss N={N},T={T}: theory {th:.4e}, simulation {sim:.4e} +- {sim_se:.1e}")
        # tolerance: 3 standard errors + O(1/min(N, T)) = 2.5% finite-size correction
        checks.append(_check(f"train loss DE vs simulation N={N} T={T}", th, sim, 3 * sim_se + 0.025 * th))

    # (2) limits ------------------------------------------------------------------------------------------
    print("== limits ==")
    for f in LIMITS.values():
        res = f()
        for r in res.values() if isinstance(res, dict) else [res]:
            results.append(r)
            print(f"  {r.name}: {r.expr}   [{r.data.get('closed_form')}]")
            tex.append(r.to_latex())
    for name in ("large_ridge", "N_inf", "M_inf"):
        rows = check_limit(name, seeds=8)
        worst = rows[-1] if name != "M_inf" else rows[3]
        print(f"  numeric {name}: {worst}")
        tol = 1e-6 if name == "large_ridge" else (1e-3 if name == "M_inf" else 0.02)
        checks.append(_check(f"limit {name} numeric", 0.0, float(worst["rel_diff"]), tol))
    rows = check_limit("ridgeless", pairs=[(50, 200), (200, 50)])
    worst = max(r["rel_diff"] for r in rows if r["rel_diff"] is not None and r["gamma_bar"] == 1e-10)
    checks.append(_check("ridgeless limit numeric (gamma_bar = 1e-10)", 0.0, worst, 1e-6))

    # (3) planar diagrams -----------------------------------------------------------------------------------
    print("== planar diagrams: (a) series of the self-consistent solution vs (b) sum of diagrams ==")
    order = 6
    table = agreement_table(order)
    print(f"{'p':>2} {'diagrams':>8} {'monomials':>9}  agree")
    for r in table:
        print(f"{r['order']:>2} {r['diagrams']:>8} {r['terms']:>9}  {r['agree']}")
        checks.append(_check(f"order {r['order']}: (a) == (b)", 0, 0 if r["agree"] else 1, 0))
    for r in table[:4]:
        print(f"  c_{r['order']} = {r['planar']}")
    dual = duality_check(4)
    checks.append(_check("every diagram (order <= 4) has a dual partner", len(dual), sum(r["ok"] for r in dual), 0))
    M, N, T = 60, 30, 50
    lam = 1.0 / (1 + 2 * np.arange(M) / M)
    mean, se = monte_carlo_coefficients(lam, N, T, 3, seeds=300 if quick else 2000, seed=7, field="complex")
    th = evaluate_coefficients(planar_coefficients(3), lam, N, T)
    print("Monte-Carlo moments (complex Gaussian, M=60, N=30, T=50, lambda_k = 1/(1+2(k-1)/M)):")
    for p in range(4):
        tol = 4 * se[p] + 3 * p**2 / 30**2 * th[p] + 1e-12 * th[p]
        print(f"  p={p}: planar {th[p]:.6e}  MC {mean[p]:.6e} +- {se[p]:.1e}  rel {mean[p] / th[p] - 1:+.4f}")
        checks.append(_check(f"MC moment c_{p}", float(th[p]), float(mean[p]), float(tol)))
    coeffs = planar_coefficients(3)
    results.append(Result(
        "large-ridge expansion of the test loss",
        sp.Add(*[(-1) ** p * c / sp.Symbol("gammabar", nonnegative=True) ** p for p, c in enumerate(coeffs)]),
        lhs=sp.Symbol("2L/w_var"), source="sum of planar diagrams = series of (B1)", exact=False,
        order="O(gamma_bar^-4)"))
    tex.append(results[-1].to_latex(label="eq:planar"))
    tex.append(diagrams_latex(2))
    tex.append("% order-by-order agreement: " + ", ".join(f"p={r['order']}:{r['agree']}" for r in table))
    latex = "\n\n".join(tex)
    (out_dir / "duality_limits.tex").write_text(latex + "\n")
    return {"title": "N <-> T duality, limits and planar diagrams", "results": results, "checks": checks,
            "latex": latex}


if __name__ == "__main__":
    out = run(pathlib.Path("out/duality_limits"), quick=True)
    bad = [c for c in out["checks"] if not c["ok"]]
    for c in out["checks"]:
        print(("ok  " if c["ok"] else "FAIL"), c["name"], c["expected"], c["got"], c["tol"])
    sys.exit(1 if bad else 0)
