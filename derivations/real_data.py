"""Real data: measured spectra, their power laws, and predicted vs measured random-feature learning curves.

Data (bundled in the optional packages, nothing downloaded): scikit-learn digits (64 dimensions) and
16x16 grey patches of scikit-image's bundled natural images (256 dimensions).

Per data set:

1. centred covariance spectrum and its power-law fit ``lambda_k ~ k^-(1+alpha)`` with a bootstrap
   interval and an automatically chosen fit range (:func:`scalingsym.empirical.empirical_spectrum`);
   figure ``spectrum_<name>.png/.pdf`` (MRS Fig. 2 style);
2. spectra of the feature covariance of ``sigma(u x)`` for several ``N``: linear features stop at rank
   ``dim``, ReLU features extend the spectrum (MRS Fig. 4 style), figure ``features_<name>.png/.pdf``;
3. learning curve ``L(N, T)`` of random-feature ridge regression for a linear teacher ``w ~ N(0, I/dim)``
   on the centred data (isotropic, hence the same on raw or eigen coordinates): theory
   (:class:`~scalingsym.models.ridge.RandomFeatureRidge` on the empirical spectrum, ridgeless and at the
   theory-optimal ridge) vs actual regression on real samples (seeded pool/test split, error bars over
   seeds), plus a Gaussian surrogate with the same covariance (isolates the effect of non-Gaussian data);
4. digits only: the real labels (one-hot classes) vs the theory with the best linear teacher as task and
   its residual as independent label noise.

Data are scaled so that ``tr C / dim = 1`` (pool covariance); this fixes the units of the ridge only.
"""

from __future__ import annotations

import json
import math
import pathlib
import sys

import numpy as np
import sympy as sp

from scalingsym import RandomFeatureRidge
from scalingsym.core import symbols as S
from scalingsym.core.result import Result
from scalingsym.data.datasets import load_dataset
from scalingsym.data.empirical import (
    empirical_spectrum,
    feature_spectrum,
    linear_teacher_task,
    optimal_ridge,
    predict_loss,
    rf_regression,
)

#: (N, T) pairs of the learning-curve tables: N = T/2 and N = 2T, below the data dimension
PAIRS = {
    "digits": [(4, 8), (8, 16), (16, 32), (24, 48), (8, 4), (16, 8), (32, 16), (48, 24)],
    "image-patches": [(8, 16), (16, 32), (32, 64), (64, 128), (16, 8), (32, 16), (64, 32), (128, 64)],
}
#: (N, T) pairs for the real digit labels (can exceed dim: the labels are not a noiseless linear function)
LABEL_PAIRS = [(8, 16), (16, 32), (32, 64), (32, 128), (64, 256), (64, 512), (16, 8), (32, 16), (64, 32)]
FEATURE_N = {"quick": (64, 256, 1024), "full": (64, 256, 1024, 4096)}


#: rough single-core seconds of the quick variant (the report starts the longest pieces first)
QUICK_SECONDS = 20


def prepare(name: str, seed: int = 0, test_fraction: float = 0.3):
    """Load, split (seeded permutation) and scale a data set; returns ``(pool, test, dataset, idx)``."""
    d = load_dataset(name)
    rng = np.random.default_rng(seed)
    perm = rng.permutation(d.X.shape[0])
    nt = int(round(test_fraction * d.X.shape[0]))
    test, pool = perm[:nt], perm[nt:]
    Xp = d.X[pool]
    scale = math.sqrt(np.trace(np.cov(Xp.T, bias=True)) / d.dim)
    return d.X[pool] / scale, d.X[test] / scale, d, (pool, test)


def _save(fig, out_dir: pathlib.Path, stem: str) -> list[str]:
    paths = []
    for ext in ("png", "pdf"):
        p = out_dir / f"{stem}.{ext}"
        fig.savefig(p, dpi=130, bbox_inches="tight")
        paths.append(str(p))
    return paths


def spectrum_figure(es, out_dir: pathlib.Path, stem: str) -> list[str]:
    """Eigenvalue vs rank (log-log) with the fitted power law over its range and the bootstrap band."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lam = es.eigenvalues[es.eigenvalues > 0]
    k = np.arange(1, lam.size + 1)
    fig, ax = plt.subplots(figsize=(4.6, 3.4))
    ax.loglog(k, lam, ".", ms=4, color="k", label="covariance eigenvalues")
    lo, hi = es.fit_range
    kk = np.arange(lo, hi + 1)
    ax.loglog(kk, es.lambda_plus * kk ** -(1 + es.alpha), "-", color="C3", lw=2,
              label=rf"fit $k^{{-(1+\alpha)}}$, $\alpha={es.alpha:.2f}$ [{es.alpha_ci[0]:.2f}, {es.alpha_ci[1]:.2f}]")
    kx = np.arange(1, lam.size + 1)
    ax.loglog(kx, es.lambda_plus * kx ** -(1 + es.alpha), ":", color="C3", lw=1)
    ax.axvspan(lo, hi, color="C3", alpha=0.08)
    ax.set_xlabel("rank $k$")
    ax.set_ylabel(r"$\lambda_k$")
    ax.set_title(f"{es.name}: n={es.n_samples}, dim={es.dim}, fit range {lo}-{hi}", fontsize=9)
    ax.legend(fontsize=7, loc="lower left")
    paths = _save(fig, out_dir, stem)
    plt.close(fig)
    return paths


def feature_figure(X: np.ndarray, Ns, out_dir: pathlib.Path, stem: str, title: str, seed: int = 0):
    """Feature-covariance spectra of linear and ReLU random features for several N (per-feature scale)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(8.4, 3.4), sharey=True)
    info = {}
    dim = X.shape[1]
    for ax, act in zip(axes, ("linear", "relu")):
        for i, N in enumerate(Ns):
            lam = feature_spectrum(X, N, act, seed=seed + i)
            lam = lam[lam > 1e-12 * lam[0]]
            ax.loglog(np.arange(1, lam.size + 1), lam / lam[0], "-", lw=1.2, color=f"C{i}", label=f"N={N}")
            info[f"{act}_N{N}_rank"] = int(lam.size)
        ax.axvline(dim, color="gray", ls="--", lw=0.8)
        ax.set_title(f"{title}: {act} features", fontsize=9)
        ax.set_xlabel("rank $k$")
        ax.legend(fontsize=7)
    axes[0].set_ylabel(r"$\lambda_k/\lambda_1$ of Cov$[\sigma(ux)]$")
    paths = _save(fig, out_dir, stem)
    plt.close(fig)
    return paths, info


def learning_figure(rows, out_dir: pathlib.Path, stem: str, title: str) -> list[str]:
    """Theory (lines) vs measured (error bars) loss against min(N, T), both sides of N = T."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.6, 3.4))
    for side, mk, lab in ((True, "o", "N = T/2"), (False, "s", "N = 2T")):
        sel = [r for r in rows if (r["N"] < r["T"]) == side]
        n = np.array([min(r["N"], r["T"]) for r in sel])
        for key, col, nm in (("ridgeless", "C0", "ridgeless"), ("opt", "C3", "optimal ridge")):
            th = [r["theory_ridgeless"] if key == "ridgeless" else r["theory_opt"] for r in sel]
            me = [r["measured_ridgeless"] if key == "ridgeless" else r["measured_at_theory_opt"] for r in sel]
            se = [r["se_ridgeless"] if key == "ridgeless" else r["se_at_theory_opt"] for r in sel]
            ax.loglog(n, th, "-" if side else "--", color=col, lw=1, label=f"theory, {nm}, {lab}")
            ax.errorbar(n, me, yerr=se, fmt=mk, color=col, ms=4, mfc="none" if not side else col)
    ax.set_xlabel(r"$\min(N, T)$")
    ax.set_ylabel(r"test loss $\hat{\mathcal{L}}$")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=6)
    paths = _save(fig, out_dir, stem)
    plt.close(fig)
    return paths


def _slope(n, L):
    n, L = np.asarray(n, float), np.asarray(L, float)
    return float(-np.polyfit(np.log(n), np.log(L), 1)[0])


def learning_table(Xp, Xte, es, pairs, seeds, seed=0, Y=None, noise_task=None):
    """Theory vs measured rows at ridge 0 and at the theory-optimal ridge (also the measured-optimal)."""
    if noise_task is None:
        model, noise = RandomFeatureRidge(es.spectrum), 0.0
    else:
        task, w_var, noise = noise_task
        model = RandomFeatureRidge(es.spectrum, task=task, w_var=w_var)
    grid = np.logspace(-4, 3, 29)
    rows = []
    for N, T in pairs:
        g_opt, L_opt = optimal_ridge(model, N, T, noise=noise)
        gam = np.concatenate(([0.0, g_opt], grid))
        kw = {} if Y is None else {"Y_pool": Y[0], "Y_test": Y[1]}
        r = rf_regression(Xp, Xte, N, T, gam, seeds=seeds, seed=seed + 1000 * N + T, **kw)
        L0 = float(predict_loss(model, N, T, 0.0, noise=noise))
        jbest = 2 + int(np.argmin(r.loss_mean[2:]))
        rows.append({
            "N": N, "T": T,
            "theory_ridgeless": L0 if math.isfinite(L0) else None,
            "measured_ridgeless": float(r.loss_mean[0]), "se_ridgeless": float(r.loss_stderr[0]),
            "gamma_opt_theory": g_opt, "theory_opt": L_opt,
            "measured_at_theory_opt": float(r.loss_mean[1]), "se_at_theory_opt": float(r.loss_stderr[1]),
            "measured_best_grid": float(r.loss_mean[jbest]), "gamma_best_grid": float(gam[jbest]),
        })
    return rows


def whitened_kurtosis(X, es) -> float:
    """Median over the fit-range modes of ``E[z_k^4]`` for whitened eigen-coordinates ``z_k`` (3 if Gaussian)."""
    lo, hi = es.fit_range
    V = es.eigenvectors[:, lo - 1 : hi]
    Z = (X - es.mean) @ V / np.sqrt(es.eigenvalues[lo - 1 : hi])
    return float(np.median(np.mean(Z**4, axis=0)))


def gaussian_surrogate(es, n_pool, n_test, seed=0):
    """Gaussian samples with the empirical covariance (pool and test sets)."""
    rng = np.random.default_rng(seed)
    A = np.sqrt(es.eigenvalues)[None, :] * rng.standard_normal((n_pool + n_test, es.dim))
    X = A @ es.eigenvectors.T
    return X[:n_pool], X[n_pool:]


def format_table(rows, title) -> str:
    head = (f"{title}\n{'N':>5} {'T':>5} | {'theory L0':>10} {'measured L0':>18} {'ratio':>6} | "
            f"{'gamma*':>8} {'theory L*':>10} {'measured L(gamma*)':>19} {'ratio':>6} | {'best grid':>10}")
    lines = [head]
    for r in rows:
        t0 = r["theory_ridgeless"]
        ratio0 = r["measured_ridgeless"] / t0 if t0 else float("nan")
        lines.append(
            f"{r['N']:>5} {r['T']:>5} | {t0 if t0 else float('inf'):10.4g} "
            f"{r['measured_ridgeless']:10.4g} +- {r['se_ridgeless']:<6.2g}{ratio0:6.2f} | "
            f"{r['gamma_opt_theory']:8.3g} {r['theory_opt']:10.4g} {r['measured_at_theory_opt']:10.4g} +- "
            f"{r['se_at_theory_opt']:<7.2g}{r['measured_at_theory_opt'] / r['theory_opt']:6.2f} | "
            f"{r['measured_best_grid']:10.4g}"
        )
    return "\n".join(lines)


def _exponents(rows, pairs_side):
    sel = [r for r in rows if (r["N"] < r["T"]) == pairs_side]
    n = [min(r["N"], r["T"]) for r in sel]
    return {
        "theory_ridgeless": _slope(n, [r["theory_ridgeless"] for r in sel]),
        "measured_ridgeless": _slope(n, [r["measured_ridgeless"] for r in sel]),
        "theory_opt": _slope(n, [r["theory_opt"] for r in sel]),
        "measured_opt": _slope(n, [r["measured_at_theory_opt"] for r in sel]),
    }


def _check(name, expected, got, tol, rel=True):
    err = abs(got - expected) / abs(expected) if rel and expected else abs(got - expected)
    return {"name": name, "expected": expected, "got": got, "tol": tol, "ok": bool(err <= tol)}


def run(out_dir: pathlib.Path, quick: bool = True) -> dict:
    """Run every measurement; write figures, tables (JSON) and LaTeX into ``out_dir``."""
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    seeds = 24 if quick else 100
    n_boot = 100 if quick else 1000
    results, checks, figures, summary = [], [], {}, {}
    texts = []

    # pipeline check on synthetic data with a known exponent (independent source: the generating law)
    rng = np.random.default_rng(123)
    lam_true = np.arange(1, 101, dtype=float) ** -1.8  # alpha = 0.8
    es_syn = empirical_spectrum(rng.standard_normal((20000, 100)) * np.sqrt(lam_true), n_boot=50, seed=1)
    checks.append(_check("synthetic alpha=0.8 recovered (Gaussian sample, n=20000)", 0.8, es_syn.alpha, 0.05, False))

    for name in ("digits", "image-patches"):
        Xp, Xte, d, _ = prepare(name)
        # reported exponent and figure: the whole data set (as the CLI); theory: the training pool
        es_full = empirical_spectrum(d.X, n_boot=n_boot, seed=0, name=name)
        es = empirical_spectrum(Xp, n_boot=0, name=name)
        figures[f"spectrum_{name}"] = spectrum_figure(es_full, out_dir, f"spectrum_{name}")
        fpaths, finfo = feature_figure(Xp[:1000], FEATURE_N["quick" if quick else "full"], out_dir,
                                       f"features_{name}", name)
        figures[f"features_{name}"] = fpaths
        rows = learning_table(Xp, Xte, es, PAIRS[name], seeds)
        Gp, Gt = gaussian_surrogate(es, Xp.shape[0], Xte.shape[0], seed=7)
        grows = learning_table(Gp, Gt, es, PAIRS[name], seeds)
        figures[f"learning_{name}"] = learning_figure(rows, out_dir, f"learning_{name}",
                                                      f"{name}: linear teacher, real samples")
        exps = {"N<T": _exponents(rows, True), "N>T": _exponents(rows, False)}
        kurt = whitened_kurtosis(Xp, es)
        summary[name] = {
            "spectrum": es_full.as_dict(), "pool_spectrum_fit": es.as_dict(), "features": finfo,
            "learning_curve": rows, "gaussian_surrogate": grows,
            "loss_exponents_fitted_on_table": exps,
            "whitened_kurtosis_median_in_fit_range": kurt,
        }
        e = es_full
        texts.append(f"{name}: alpha = {e.alpha:.3f}, {int(e.confidence * 100)}% CI "
                     f"[{e.alpha_ci[0]:.3f}, {e.alpha_ci[1]:.3f}] (range re-chosen per replicate: "
                     f"[{e.alpha_ci_reselected[0]:.3f}, {e.alpha_ci_reselected[1]:.3f}]), fit range {e.fit_range}, "
                     f"rms {e.rms:.3f}, predicted loss exponent {e.predicted_loss_exponent:.3f}; training pool: "
                     f"alpha = {es.alpha:.3f}, range {es.fit_range}")
        texts.append(format_table(rows, f"{name}: linear teacher, real samples ({seeds} seeds)"))
        texts.append(format_table(grows, f"{name}: linear teacher, Gaussian surrogate ({seeds} seeds)"))
        texts.append(f"{name}: loss exponents from the table (slope of log L vs log min(N,T)): {json.dumps(exps)}")
        texts.append(f"{name}: median kurtosis of the whitened eigen-coordinates in the fit range = {kurt:.2f} "
                     "(Gaussian: 3)")

        lam_plus = sp.Float(es_full.lambda_plus, 6)
        a = sp.Rational(str(round(es_full.alpha, 3)))
        results.append(Result(
            f"fitted spectrum of {name}", lam_plus * S.k ** (-(1 + a)), lhs=sp.Symbol(r"\lambda_k"),
            regime=(S.k >= es_full.fit_range[0], S.k <= es_full.fit_range[1]),
            source="scalingsym.empirical (log-log OLS, bootstrap CI)",
            data={"alpha": es_full.alpha, "alpha_ci": es_full.alpha_ci, "fit_range": es_full.fit_range},
        ))
        results.append(Result(
            f"predicted ridgeless loss exponent for {name}", S.n ** (-a), lhs=sp.Symbol(r"\hat{\mathcal{L}}\propto"),
            regime=(S.n < S.m, S.n <= es_full.fit_range[1]), source="static_rf_ridge.md B3 with the fitted alpha",
        ))
        # checks: Gaussian surrogate must follow the theory (finite-size O(1/n) ~ 1/min(N,T) plus 2-3 se)
        for r in grows:
            n = min(r["N"], r["T"])
            if n < 16:
                continue
            # finite-size O(1/n) (about 1.5/n seen for power laws at this size) + 3 standard errors + 3 %
            tol = 1.5 / n + 3 * r["se_at_theory_opt"] / r["theory_opt"] + 0.03
            checks.append(_check(f"{name} Gaussian surrogate, optimal ridge, N={r['N']} T={r['T']}",
                                 r["theory_opt"], r["measured_at_theory_opt"], tol))

    # real labels (digits)
    Xp, Xte, d, (pool, test) = prepare("digits")
    es = empirical_spectrum(Xp, n_boot=0, name="digits")
    Y = d.one_hot()
    Yp, Yt = Y[pool], Y[test]
    nt = linear_teacher_task(es, Xp, Yp)
    lab_rows = learning_table(Xp, Xte, es, LABEL_PAIRS, seeds, Y=(Yp, Yt), noise_task=nt)
    iso_rows = []
    label_var = float(np.var(Yp - Yp.mean(0), axis=0).mean())
    model_iso = RandomFeatureRidge(es.spectrum, w_var=label_var / es.spectrum.trace())
    for r in lab_rows:
        iso_rows.append(float(model_iso.loss(r["N"], r["T"], 0.0)))
    task, w_var, noise = nt
    lin_part = float(w_var * np.sum(es.eigenvalues * task.values))
    summary["digits_labels"] = {
        "rows": lab_rows, "isotropic_teacher_theory_ridgeless": iso_rows,
        "label_variance_per_output": float(np.var(Yp - Yp.mean(0), axis=0).mean()),
        "linear_part_variance": lin_part, "residual_noise_variance": noise,
    }
    figures["learning_digits_labels"] = learning_figure(
        [r for r in lab_rows if r["N"] * 2 == r["T"] or r["T"] * 2 == r["N"]], out_dir, "learning_digits_labels",
        "digits: real one-hot labels")
    texts.append(format_table(lab_rows, f"digits: real one-hot labels; theory = best linear teacher + residual as "
                                        f"label noise (linear part {lin_part:.4f}, residual {noise:.4f})"))
    texts.append("digits labels, isotropic-teacher theory (same label variance), ridgeless: "
                 + ", ".join(f"({r['N']},{r['T']}): {v:.4g}" for r, v in zip(lab_rows, iso_rows)))

    report = "\n\n".join(texts)
    print(report)
    (out_dir / "real_data.json").write_text(json.dumps({"summary": summary, "figures": figures}, indent=1,
                                                       default=lambda o: list(o) if isinstance(o, tuple) else str(o)))
    (out_dir / "real_data.txt").write_text(report + "\n")
    latex = "\n\n".join(r.to_latex(label=f"eq:real-data-{i}") for i, r in enumerate(results))
    (out_dir / "real_data.tex").write_text(latex + "\n")
    for c in checks:
        print(("ok  " if c["ok"] else "FAIL") + f" {c['name']}: expected {c['expected']:.4g}, got {c['got']:.4g}, "
              f"tol {c['tol']:.3g}")
    return {"title": "Real data: measured spectra and learning curves", "results": results, "checks": checks,
            "latex": latex, "figures": figures, "summary": summary}


if __name__ == "__main__":
    quick = "--full" not in sys.argv
    out = run(pathlib.Path("out") / "real_data", quick=quick)
    sys.exit(0 if all(c["ok"] for c in out["checks"]) else 1)
