"""Variance- and resolution-limited regimes (Bahri et al.), kernels on the torus, and nonlinear random features.

Derives with the toolkit and checks against simulation:

1. Bahri et al.'s teacher-student model as the random-feature ridge core (N = P, T = D, ridgeless,
   lambda_i = i^-(1+alpha_K)): variance-limited 1/D and 1/P coefficients, resolution-limited exponents and
   prefactors (with the tail-sum estimate of their eq. 5), and the D <-> P duality (exact for an isotropic
   teacher, broken otherwise).
2. The Matern kernel on the d-torus: exact spectrum, alpha_K = 2 nu / d, and kernel-regression learning curves
   for d = 1..4.
3. ReLU random features of power-law latent data: Gaussian-equivalence coefficients, the feature-covariance
   spectrum (linear vs ReLU), and learning curves (Gaussian model with the exact covariance vs the white-noise
   Gaussian-equivalent model vs simulation).
"""

from __future__ import annotations

import json
import math
import pathlib
import sys

import numpy as np
import sympy as sp

from scalingsym.core import symbols as S
from scalingsym.core.resolvent import ridgeless_rho
from scalingsym.core.tasks import Task
from scalingsym.models.activations import gaussian_equivalence
from scalingsym.models.bahri import A_w, B_w, BahriModel, e1_s, fit_exponent
from scalingsym.models.kernels import TorusMatern, torus_krr_theory
from scalingsym.models.nonlinear import NonlinearFeatures, learning_curve_theory, power_law_extent
from scalingsym.simulate.bahri import simulate_bahri
from scalingsym.simulate.kernels import simulate_torus_krr
from scalingsym.simulate.nonlinear import simulate_learning_curve
from scalingsym.simulate.ridge import simulate_ridge
from scalingsym.theory.bahri import duality, resolution_limited, variance_limited, variance_limited_general
from scalingsym.theory.kernels import kernel_exponent

TITLE = "Variance- and resolution-limited regimes, kernels on the torus, nonlinear random features"


#: rough single-core seconds of the quick variant (the report starts the longest pieces first)
QUICK_SECONDS = 28


def _check(checks: list, name: str, expected: float, got: float, tol: float) -> None:
    ok = bool(abs(got - expected) <= tol)
    checks.append({"name": name, "expected": float(expected), "got": float(got), "tol": float(tol), "ok": ok})
    print(f"  [{'ok' if ok else 'FAIL'}] {name}: expected {expected:.6g}, got {got:.6g} (tol {tol:.3g})")


def _bootstrap_fit(x, per_seed, reps: int = 200, seed: int = 0) -> float:
    rng = np.random.default_rng(seed)
    n = per_seed.shape[0]
    return float(np.std([fit_exponent(x, per_seed[rng.integers(0, n, n)].mean(0)) for _ in range(reps)]))


def part_bahri(quick: bool, checks: list, tables: dict) -> list:
    results = []
    var = variance_limited()
    gen = variance_limited_general()
    dual = duality()
    res = resolution_limited()
    results += [
        var["underparameterised"],
        var["overparameterised"],
        var["exact_under"],
        gen["overparameterised"],
        dual,
        res["L_P"],
        res["tail_sum"],
    ]
    for r in results:
        print(" ", r)

    aK, S_ = 1.0, (1000 if quick else 4000)
    m = BahriModel(aK, S=S_)
    # variance-limited, numeric limit of the DE
    P = 20.0
    LP = float(m.loss_P(P))
    _check(
        checks, "DE: D (L(D,P) - L(P)) / (P L(P)) at D = 1e6", 1.0, 1e6 * (float(m.loss(1e6, P)) - LP) / (P * LP), 1e-4
    )
    # variance-limited, simulation (common random numbers)
    seeds = 24 if quick else 64
    Ds = np.array([160, 320, 640, 1280]) if not quick else np.array([80, 160, 320, 640])
    sim = simulate_bahri(aK, S_, P=int(P), D=list(Ds), seeds=seeds, teachers=16, seed=11)
    de = m.loss(Ds, P) - LP
    e_sim, e_de = fit_exponent(Ds, sim.excess_mean), fit_exponent(Ds, de)

    tables["variance_D"] = {
        "P": P,
        "D": Ds.tolist(),
        "sim": sim.excess_mean.tolist(),
        "sim_se": sim.excess_stderr.tolist(),
        "de": de.tolist(),
        "leading": (P * LP / Ds).tolist(),
        "fit_sim": e_sim,
        "fit_de": e_de,
    }
    _check(checks, "variance-limited (D): fitted exponent, sim vs DE (same range)", e_de, e_sim, 0.08)
    Ps = Ds
    simP = simulate_bahri(aK, S_, D=int(P), P=list(Ps), seeds=seeds, teachers=16, seed=12)
    deP = m.loss(P, Ps) - float(m.loss_D(P))
    e_simP, e_deP = fit_exponent(Ps, simP.excess_mean), fit_exponent(Ps, deP)
    tables["variance_P"] = {
        "D": P,
        "P": Ps.tolist(),
        "sim": simP.excess_mean.tolist(),
        "sim_se": simP.excess_stderr.tolist(),
        "de": deP.tolist(),
        "fit_sim": e_simP,
        "fit_de": e_deP,
    }
    _check(checks, "variance-limited (P): fitted exponent, sim vs DE (same range)", e_deP, e_simP, 0.12)
    # asymptotic exponent 1: local slope of the DE excess far out
    _check(
        checks,
        "variance-limited: DE local exponent at D = 1e5..1e6",
        1.0,
        fit_exponent([1e5, 1e6], m.loss(np.array([1e5, 1e6]), P) - LP),
        1e-3,
    )

    # resolution-limited
    minf = BahriModel(aK, S=math.inf)
    Pb = np.array([1e4, 1e5])
    _check(
        checks,
        "resolution-limited: DE exponent alpha_P at P = 1e4..1e5 (S = inf)",
        aK,
        fit_exponent(Pb, minf.loss_P(Pb)),
        2e-3,
    )
    pref = float(resolution_limited(sp.nsimplify(aK))["L_P"].data["prefactor"])
    _check(
        checks,
        "resolution-limited prefactor: 2 P^a L(P) vs A^(1+a) at P = 1e5",
        pref,
        2 * 1e5**aK * float(minf.loss_P(1e5)),
        pref * 1e-4,
    )
    Sr = 2000 if quick else 8000
    mr = BahriModel(aK, S=Sr)
    Pr = np.array([10, 20, 40, 80])
    simr = simulate_bahri(aK, Sr, P=list(Pr), D=math.inf, seeds=8 if quick else 32, teachers=16, seed=13)
    simd = simulate_bahri(aK, Sr, D=list(Pr), P=math.inf, seeds=8 if quick else 32, teachers=16, seed=14)
    tables["resolution"] = {
        "sizes": Pr.tolist(),
        "L_P_sim": simr.loss_mean.tolist(),
        "L_D_sim": simd.loss_mean.tolist(),
        "L_P_de": mr.loss_P(Pr).tolist(),
        "fit_P_sim": fit_exponent(Pr, simr.loss_mean),
        "fit_D_sim": fit_exponent(Pr, simd.loss_mean),
        "fit_de": fit_exponent(Pr, mr.loss_P(Pr)),
        "alpha_K": aK,
    }
    _check(
        checks,
        "resolution-limited: fitted alpha_P, sim vs DE",
        tables["resolution"]["fit_de"],
        tables["resolution"]["fit_P_sim"],
        0.05,
    )
    _check(
        checks,
        "resolution-limited: fitted alpha_D, sim vs DE",
        tables["resolution"]["fit_de"],
        tables["resolution"]["fit_D_sim"],
        0.08,
    )

    # duality
    n_, m_ = 40.0, 160.0
    _check(
        checks, "duality, isotropic: L(D=160,P=40) / L(D=40,P=160)", 1.0, float(m.loss(m_, n_) / m.loss(n_, m_)), 1e-12
    )
    task = Task.power(1.0)
    mg = BahriModel(aK, S=S_, task=task)
    diff = float(mg.loss(m_, n_) - mg.loss(n_, m_))
    r = float(ridgeless_rho(mg.spectrum, n_))
    A, B = float(mg.spectrum.sums(r, 1, 1, task)), float(mg.spectrum.sums(r, 2, 2, task))
    e1 = r * float(mg.spectrum.sums(r, 1, 2))
    sym = float(dual.expr.subs({S.rho: r, A_w: A, B_w: B, e1_s: e1, S.n: n_})) / (2 * S_)  # L = w_var/2 E
    _check(checks, "duality defect, nu = 1: core numerics vs symbolic", sym, diff, abs(sym) * 1e-9)
    a = simulate_ridge(mg.spectrum, int(n_), int(m_), 0.0, seeds=24, seed=15, task=task)
    b = simulate_ridge(mg.spectrum, int(m_), int(n_), 0.0, seeds=24, seed=16, task=task)
    tables["duality"] = {
        "nu": 1.0,
        "L(P=40,D=160)": [float(a.loss_mean[0]), float(mg.loss(m_, n_))],
        "L(P=160,D=40)": [float(b.loss_mean[0]), float(mg.loss(n_, m_))],
        "se": [float(a.loss_stderr[0]), float(b.loss_stderr[0])],
    }
    _check(
        checks,
        "duality defect, nu = 1: simulation vs DE",
        diff,
        float(a.loss_mean[0] - b.loss_mean[0]),
        3 * float(a.loss_stderr[0] + b.loss_stderr[0]) + 0.1 * abs(diff),
    )
    return results


def part_torus(quick: bool, checks: list, tables: dict) -> list:
    nu = 2.0
    results = [kernel_exponent()]
    print(" ", results[0])
    rows = []
    cfg = (
        {
            1: (600, [16, 32, 64, 128], 16),
            2: (3000, [32, 64, 128, 256], 16),
            3: (6000, [32, 64, 128, 256], 12),
            4: (8000, [32, 64, 128, 256], 12),
        }
        if quick
        else {
            1: (2000, [16, 32, 64, 128, 256], 64),
            2: (8000, [32, 64, 128, 256, 512], 32),
            3: (12000, [32, 64, 128, 256, 512], 32),
            4: (16000, [32, 64, 128, 256, 512], 32),
        }
    )
    for d, (Smin, Ds, seeds) in cfg.items():
        k = TorusMatern.with_modes(d, nu, Smin, ell=0.25)
        Ds = np.array(Ds)
        r = simulate_torus_krr(k, Ds, seeds=seeds, teachers=16, seed=100 + d)
        th = torus_krr_theory(k, Ds.astype(float))
        row = {
            "d": d,
            "S": k.S,
            "alpha_K": 2 * nu / d,
            "fit_sim": fit_exponent(Ds, r.loss_mean),
            "fit_sim_se": _bootstrap_fit(Ds, r.per_seed),
            "fit_de": fit_exponent(Ds, th),
            "ratio_sim_de": (r.loss_mean / th).tolist(),
            "D": Ds.tolist(),
        }
        rows.append(row)
        print(
            f"  d={d}: S={k.S}, alpha_K={row['alpha_K']:.3f}, fit sim {row['fit_sim']:.3f} +- {row['fit_sim_se']:.3f}, "
            f"fit DE {row['fit_de']:.3f}, sim/DE {np.round(r.loss_mean / th, 2)}"
        )
        tol = max(0.4 if d == 1 else 0.1, 3 * row["fit_sim_se"])
        _check(checks, f"torus d={d}: fitted exponent sim vs DE (same range)", row["fit_de"], row["fit_sim"], tol)
        _check(
            checks, f"torus d={d}: DE fitted exponent vs alpha_K = 2 nu/d", 2 * nu / d, row["fit_de"], 0.1 * 2 * nu / d
        )
    tables["torus"] = rows
    return results


def part_nonlinear(quick: bool, checks: list, tables: dict) -> list:
    c = gaussian_equivalence("relu", precision=30)
    print(f"  relu: mu_0 = {c.exact['mu_0']}, mu_1 = {c.exact['mu_1']}, mu_star^2 = {c.exact['mu_star2']}")
    _check(checks, "relu mu_star^2 = 1/4 - 1/(2 pi)", 0.25 - 1 / (2 * math.pi), float(c.mu_star2), 1e-15)
    M = 20 if quick else 50
    Ns = [2 * M, 4 * M, 8 * M] if quick else [2 * M, 4 * M, 8 * M, 16 * M, 32 * M]
    rows = []
    for N in Ns:
        for act in ("linear", "relu"):
            f = NonlinearFeatures(M, N, 1.0, act, seed=N)
            ev = f.spectrum()
            ext = power_law_extent(ev, 1.0, (2, M // 2))
            row = {
                "N": N,
                "activation": act,
                "rank": int(np.sum(ev > 1e-12 * ev[0])),
                **ext,
                "ev_M/ev_1": float(ev[M] / ev[0]),
                "ev_2M/ev_1": float(ev[min(2 * M, N - 1)] / ev[0]),
                "ev_N/2/ev_1": float(ev[N // 2] / ev[0]),
            }
            rows.append(row)
            print(
                f"  N={N} {act}: rank {row['rank']}, extent {ext['extent']}, head exp {ext['head_exponent']:.3f}, "
                f"continuation exp {ext['continuation_exponent']}"
            )
        lin = [r for r in rows if r["N"] == N and r["activation"] == "linear"][0]
        rel = [r for r in rows if r["N"] == N and r["activation"] == "relu"][0]
        _check(checks, f"N={N}: linear rank = M", M, lin["rank"], 0)
        _check(checks, f"N={N}: relu power-law extent / N >= 0.5", 1.0, min(1.0, rel["extent"] / N / 0.5), 0.0)
    tables["spectra"] = rows
    # learning curves
    Mn, Nn = (20, 60) if quick else (40, 160)
    f = NonlinearFeatures(Mn, Nn, 1.0, "relu", seed=0)
    Ts = np.array([Nn // 4, Nn // 2, 3 * Nn // 4, 5 * Nn // 4, 2 * Nn, 4 * Nn, 8 * Nn])
    sim = simulate_learning_curve(f, Ts, seeds=16, teachers=16, seed=1)
    ex = learning_curve_theory(f, Ts, kind="exact")
    ge = learning_curve_theory(f, Ts, kind="ge")
    tables["learning_curve"] = {
        "M": Mn,
        "N": Nn,
        "T": Ts.tolist(),
        "sim": sim.loss_mean.tolist(),
        "se": sim.loss_stderr.tolist(),
        "exact_cov": ex.tolist(),
        "ge": ge.tolist(),
    }
    for i, T in enumerate(Ts):
        print(
            f"  T={T}: sim {sim.loss_mean[i]:.4e} +- {sim.loss_stderr[i]:.1e}, exact-covariance DE {ex[i]:.4e} "
            f"({ex[i] / sim.loss_mean[i] - 1:+.3f}), GE {ge[i]:.4e} ({ge[i] / sim.loss_mean[i] - 1:+.3f})"
        )
        _check(
            checks,
            f"relu RF T={T}: exact-covariance DE vs sim",
            float(sim.loss_mean[i]),
            float(ex[i]),
            3 * float(sim.loss_stderr[i]) + 0.06 * float(ex[i]),
        )
    return []


def run(out_dir: pathlib.Path, quick: bool = True) -> dict:
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    checks: list = []
    tables: dict = {}
    print("1. Bahri et al. teacher-student model")
    results = part_bahri(quick, checks, tables)
    print("2. Matern kernel on the d-torus")
    results += part_torus(quick, checks, tables)
    print("3. Nonlinear random features")
    results += part_nonlinear(quick, checks, tables)
    labels = ["var-D", "var-P", "var-exact", "var-P-general", "duality", "res-P", "tail-sum", "torus"]
    latex = "\n".join(r.to_latex(label=f"eq:bahri-{lab}") for r, lab in zip(results, labels))
    (out_dir / "bahri_regimes.tex").write_text(latex + "\n")
    (out_dir / "bahri_regimes_tables.json").write_text(json.dumps(tables, indent=1, default=float))
    return {"title": TITLE, "results": results, "checks": checks, "latex": latex, "tables": tables}


if __name__ == "__main__":
    full = "--full" in sys.argv
    res = run(pathlib.Path("out") / "bahri_regimes", quick=not full)
    bad = [c for c in res["checks"] if not c["ok"]]
    print(f"{len(res['checks']) - len(bad)}/{len(res['checks'])} checks passed")
    sys.exit(1 if bad else 0)
