"""Figures of the scaling laws (matplotlib, no display needed), saved as PDF and PNG.

Every function returns a ``matplotlib.figure.Figure`` (built without ``pyplot``, so it works headless
and in notebooks) and a dict with the plotted numbers. Conventions are the canonical ones of
:mod:`scalingsym.core.symbols`: test loss ``L = 1/2 E[(z - y)^2]`` per output with ``Var(w_k) = w_var``
(``sigma_w^2 = 1``), ridge ``gamma_bar = gamma / Var(u)``; the dynamics panels use the conventions of
:mod:`scalingsym.models.dynamics` (``L = E (f - y)^2``, gradient-flow time ``t``).

* :func:`loss_vs_N`: the main figure, ``L`` against ``N`` for several ``T``: theory lines (B1, exact
  finite-``M`` sums) and Monte-Carlo points with error bars (standard error over seeds);
* :func:`regime_map`: ``log10 L`` in the ``(N/T, gamma_bar)`` plane with the crossover lines
  ``gamma_bar ~ m Delta(n)`` and ``gamma_bar ~ lambda_plus A^(1+alpha) N T`` (static_rf_ridge.md B5);
* :func:`bap_loss_curves`: test and train loss against time (Bordelon-Atanasov-Pehlevan);
* :func:`compute_frontier`: the compute-optimal loss: static model at ``C = N T`` with the optimal ridge
  (equiparameterisation), and the BAP frontier at ``C = N t`` when the dynamics model is available;
* :func:`sgd_curves`: one-pass SGD loss against steps, for several batch sizes ``B`` at fixed ``N`` and several
  ``N`` at fixed ``B`` (deterministic equivalent of :class:`scalingsym.models.sgd.OnlineSGD`, simulation points);
* :func:`ensemble_curves`: gradient-flow test loss of an ensemble of ``E`` random-feature models
  (:func:`scalingsym.models.ensemble.dynamics_ensemble`, simulation points);
* :func:`phase_diagram`: the compute-optimal exponent ``xi`` (``d* ~ f^xi``) of one-pass SGD in the PLRF
  ``(alpha, beta)`` plane, cell by cell from :func:`scalingsym.theory.sgd_phases.sgd_phase`, with the phases.

Examples
--------
>>> from scalingsym import PowerLaw
>>> fig, data = loss_vs_N(PowerLaw(alpha=1, M=300), Ts=[30], Ns=[10, 100], simulate=False)
>>> sorted(data["theory"])
[30]
"""

from __future__ import annotations

import math
import os
import pathlib
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..core.errors import ParameterError
from ..core.spectra import PowerLaw, Spectrum
from ..models.ridge import RandomFeatureRidge
from ..simulate.draws import progress as _progress
from ..simulate.ridge import simulate_ridge

__all__ = [
    "bap_loss_curves",
    "compute_frontier",
    "ensemble_curves",
    "loss_vs_N",
    "optimal_ridge_loss",
    "optimal_ridge_losses",
    "phase_diagram",
    "phase_grid",
    "regime_map",
    "save_figure",
    "sgd_curves",
]

LOSS_LABEL = r"test loss $\hat{\mathcal{L}}=\frac{1}{2}\mathbb{E}(z-y)^2$ (per output, $\sigma_w^2=1$)"
COLORS = ("C0", "C1", "C2", "C3", "C4", "C5")


def save_figure(fig: Figure, out_dir: str | os.PathLike, stem: str) -> dict[str, pathlib.Path]:
    """Save ``fig`` as ``out_dir/stem.pdf`` and ``out_dir/stem.png`` (150 dpi); returns both paths."""
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"pdf": out / f"{stem}.pdf", "png": out / f"{stem}.png"}
    fig.savefig(paths["pdf"], bbox_inches="tight")
    fig.savefig(paths["png"], dpi=150, bbox_inches="tight")
    return paths


def _spec_label(spec: Spectrum) -> str:
    if isinstance(spec, PowerLaw):
        M = r"\infty" if not spec.finite else f"{int(spec.M)}"
        return rf"$\lambda_k=k^{{-(1+\alpha)}}$, $\alpha={spec.alpha:g}$, $M={M}$"
    return spec.describe()


# ----------------------------------------------------------------------------- main figure ------
def loss_vs_N(
    spectrum: Spectrum,
    Ts: Sequence[float] = (30, 100, 300),
    Ns: Sequence[float] | None = None,
    gamma: float = 0.0,
    *,
    simulate: bool = True,
    sim_Ns: Sequence[int] | None = None,
    seeds: int = 8,
    seed: int = 0,
    teachers: int = 8,
    min_ratio: float = 1.8,
    quiet: bool = True,
) -> tuple[Figure, dict[str, Any]]:
    """``L`` against ``N`` for several ``T``: theory lines and simulation points with error bars.

    Parameters
    ----------
    spectrum : Spectrum
        Latent spectrum (finite ``M`` for the simulation points).
    Ts : sequence
        Training-set sizes, one curve each.
    Ns : sequence, optional
        Theory grid (default 200 log-spaced points from 5 to ``3 M`` or ``10 max(Ts)``).
    gamma : float
        Ridge (``0``: the MRS ridgeless law with its ``1/(1 - n/m)`` peak at ``N = T``).
    simulate : bool
        Add Monte-Carlo points (``seeds`` seeds x ``teachers`` teachers); ridgeless points closer to the
        peak than ``max(N, T)/min(N, T) < min_ratio`` are skipped (there the loss variance diverges).
    sim_Ns : sequence of int, optional
        Simulation sizes (default 7 log-spaced integers over the theory range).
    quiet : bool
        No progress bar (one is shown on a terminal otherwise).
    """
    model = RandomFeatureRidge(spectrum)
    top = 3 * spectrum.M if spectrum.finite else 10 * max(Ts)
    Ns_ = np.unique(np.concatenate([np.geomspace(5, top, 200), np.asarray(Ts, dtype=float)])) if Ns is None \
        else np.asarray(Ns, dtype=float)
    fig = Figure(figsize=(6.4, 4.4))
    ax = fig.add_subplot(1, 1, 1)
    data: dict[str, Any] = {"theory": {}, "simulation": {}, "gamma": gamma, "spectrum": spectrum.describe()}
    jobs = []
    for i, T in enumerate(Ts):
        L = np.asarray(model.loss(Ns_, T, gamma), dtype=float)
        Lp = np.where((L > 0) & np.isfinite(L), L, np.nan)
        data["theory"][T] = (Ns_, L)
        ax.plot(Ns_, Lp, color=COLORS[i % 6], lw=1.5, label=rf"$T={T:g}$ theory (B1)")
        ax.axvline(T, color=COLORS[i % 6], lw=0.6, ls=":", alpha=0.6)
        if simulate and spectrum.finite:
            cand = sim_Ns if sim_Ns is not None else np.unique(np.geomspace(Ns_[0] * 2, Ns_[-1] / 1.5, 7).astype(int))
            for Nn in cand:
                if gamma == 0 and max(Nn, T) / min(Nn, T) < min_ratio:
                    continue
                jobs.append((i, int(Nn), int(T)))
    for j, (_i, Nn, T) in enumerate(_progress(jobs, len(jobs), quiet)):
        sim = simulate_ridge(spectrum, Nn, T, gamma, seeds=seeds, seed=seed + 1000 * j, teachers=teachers)
        data["simulation"].setdefault(T, []).append((Nn, float(sim.loss_mean[0]), float(sim.loss_stderr[0])))
    for i, T in enumerate(Ts):
        pts = [p for p in data["simulation"].get(T, []) if p[1] > 1e-14]
        if pts:
            x, y, e = (np.array(v) for v in zip(*pts))
            ax.errorbar(x, y, yerr=e, fmt="o", ms=4, color=COLORS[i % 6], mfc="white", capsize=2,
                        label="simulation (colour = $T$)" if i == 0 else None)
    if spectrum.finite:
        ax.axvline(spectrum.M, color="k", lw=0.8, ls="--", label=r"$N=M$ (latent dimension)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"$N$ (number of random features = parameters per output)")
    ax.set_ylabel(LOSS_LABEL)
    ridge = "ridgeless, $\\gamma\\to0^+$" if gamma == 0 else rf"$\gamma={gamma:g}$"
    ax.set_title(f"MRS/Zhang test loss vs model size, {ridge}\n{_spec_label(spectrum)}; "
                 f"points: {seeds} seeds $\\times$ {teachers} teachers, $\\pm$1 s.e.", fontsize=9)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=7, loc="lower left", ncol=2)
    return fig, data


# ----------------------------------------------------------------------------- regime map -------
def regime_map(
    spectrum: PowerLaw,
    T: float = 1000.0,
    ratios: Sequence[float] | None = None,
    gamma_bars: Sequence[float] | None = None,
) -> tuple[Figure, dict[str, Any]]:
    """``log10 L`` in the ``(N/T, gamma_bar)`` plane at fixed ``T`` with the crossover lines.

    Lines (static_rf_ridge.md B5, continuum, ``Delta(n) = lambda_plus A^(1+alpha) n^-alpha``):
    ``gamma_bar = m Delta(n)`` (ridgeless -> ridge-dominated), ``gamma_bar = n Delta(n)`` (regulated peak at
    ``N = T``) and ``gamma_bar = lambda_plus A^(1+alpha) N T`` (ridge-dominated -> saturation).
    """
    import sympy as sp

    from ..core import symbols as S
    from ..theory.regimes import crossover_scales

    if not isinstance(spectrum, PowerLaw):
        raise ParameterError("regime_map needs a PowerLaw spectrum (the crossover lines use its closed forms)")
    model = RandomFeatureRidge(spectrum)
    r = np.geomspace(1e-2, 1e2, 161) if ratios is None else np.asarray(ratios, dtype=float)
    scales = crossover_scales(PowerLaw(alpha=spectrum.alpha, lambda_plus=spectrum.lambda_plus))
    Ns = r * T
    nn, mm = np.minimum(Ns, T), np.maximum(Ns, T)

    def line(expr):
        f = sp.lambdify((S.n, S.m, S.N, S.T), expr, "numpy")
        return np.broadcast_to(np.asarray(f(nn, mm, Ns, np.full_like(Ns, T)), dtype=float), Ns.shape)

    x_rd, x_sat = line(scales["ridgeless_to_ridge"]), line(scales["ridge_to_saturation"])
    x_peak = line(scales["peak_to_ridge"])  # n Delta(n): the crossover out of the regulated peak at N = T
    lo = float(np.min(x_rd)) / 1e3
    hi = float(np.max(x_sat)) * 1e2
    g = np.geomspace(lo, hi, 121) if gamma_bars is None else np.asarray(gamma_bars, dtype=float)
    NN, GG = np.meshgrid(Ns, g)
    L = np.asarray(model.loss(NN, T, GG * model.u_var), dtype=float)
    Lsafe = np.where(np.isfinite(L) & (L > 0), L, np.nan)
    fig = Figure(figsize=(6.4, 4.6))
    ax = fig.add_subplot(1, 1, 1)
    pc = ax.pcolormesh(r, g, np.log10(Lsafe), shading="auto", cmap="viridis")
    cb = fig.colorbar(pc, ax=ax)
    cb.set_label(r"$\log_{10}\hat{\mathcal{L}}$ (B1, per output, $\sigma_w^2=1$)")
    ax.plot(r, x_rd, "w-", lw=1.6, label=r"$\bar\gamma=m\,\Delta(n)$: ridgeless $\to$ ridge-dominated")
    ax.plot(r, x_sat, "w--", lw=1.6, label=r"$\bar\gamma=\lambda_+A_\alpha^{1+\alpha}NT$: $\to$ saturation")
    ax.plot([1.0], [x_peak[np.argmin(abs(r - 1))]], "r*", ms=10, label=r"$\bar\gamma=n\Delta(n)$ at $N=T$ (peak)")
    ax.axvline(1.0, color="r", lw=0.6, ls=":")
    if spectrum.finite:
        ax.axvline(spectrum.M / T, color="w", lw=0.8, ls="-.", label=r"$N=M$")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(g[0], g[-1])
    ax.set_xlabel(rf"$N/T$ (model size / training-set size, $T={T:g}$)")
    ax.set_ylabel(r"ridge $\bar\gamma=\gamma/\mathrm{Var}(u_{jk})$ (objective without $1/T$)")
    ax.set_title(f"Regimes of the ridge test loss; {_spec_label(spectrum)}", fontsize=9)
    ax.text(0.03, 0.08, "ridgeless (MRS)\n$n^{-\\alpha}/(1-n/m)$", transform=ax.transAxes, color="w", fontsize=8)
    ax.text(0.03, 0.42, "ridge-dominated\n$(\\bar\\gamma/NT)^{\\alpha/(1+\\alpha)}$", transform=ax.transAxes,
            color="w", fontsize=8)
    ax.text(0.03, 0.9, "saturation $\\frac{1}{2}\\mathbb{E}y^2$", transform=ax.transAxes, color="k", fontsize=8)
    ax.legend(fontsize=6.5, loc="lower right", framealpha=0.6)
    return fig, {"ratios": r, "gamma_bar": g, "loss": L, "ridgeless_to_ridge": x_rd, "to_saturation": x_sat,
                 "peak": float(x_peak[np.argmin(abs(r - 1))])}


# ----------------------------------------------------------------------------- optimal ridge ----
def optimal_ridge_losses(model: RandomFeatureRidge, N, T, grid: int = 81, refine: int = 33,
                         xtol: float = 1e-7) -> tuple[np.ndarray, np.ndarray]:
    """``(gamma_bar*, L*)`` arrays: the ridge minimising (B1b) at each ``(N, T)`` pair, all pairs at once.

    A log-spaced scan of ``gamma_bar`` over ``[1e-8, 1e8] x lambda_1`` (``grid`` points), then zoomed scans of
    ``refine`` points on the two cells around the best point, until the bracket in ``log gamma_bar`` is narrower
    than ``xtol`` (each scan is one vectorised loss evaluation for every pair).

    >>> from scalingsym.core.spectra import PowerLaw
    >>> g, L = optimal_ridge_losses(RandomFeatureRidge(PowerLaw(alpha=1, M=300)), [50.0, 100.0], [200.0, 100.0])
    >>> g.shape, bool((L > 0).all())
    ((2,), True)
    """
    N_ = np.atleast_1d(np.asarray(N, dtype=float))[:, None]
    T_ = np.atleast_1d(np.asarray(T, dtype=float))[:, None]
    N_, T_ = np.broadcast_arrays(N_, T_)
    lam1 = float(model.spectrum.eigenvalues(1)[0])
    lo, hi = math.log(lam1) - 8 * math.log(10), math.log(lam1) + 8 * math.log(10)
    lg = np.broadcast_to(np.linspace(lo, hi, grid), (N_.shape[0], grid))
    best_x = np.full(N_.shape[0], np.nan)
    best_L = np.full(N_.shape[0], np.inf)
    while True:
        L = np.asarray(model.loss(N_, T_, np.exp(lg) * model.u_var), dtype=float)
        L = np.where(np.isfinite(L), L, np.inf)
        i = np.argmin(L, axis=1)
        rows = np.arange(lg.shape[0])
        better = L[rows, i] < best_L
        best_L = np.where(better, L[rows, i], best_L)
        best_x = np.where(better, lg[rows, i], best_x)
        a = lg[rows, np.maximum(i - 1, 0)]
        b = lg[rows, np.minimum(i + 1, lg.shape[1] - 1)]
        if float(np.max(b - a)) <= xtol:
            break
        lg = a[:, None] + (b - a)[:, None] * np.linspace(0.0, 1.0, refine)[None, :]
    return np.exp(best_x), best_L


def optimal_ridge_loss(model: RandomFeatureRidge, N: float, T: float, grid: int = 81) -> tuple[float, float]:
    """``(gamma_bar*, L*)``: the ridge minimising (B1b) at ``(N, T)``, numerically (see :func:`optimal_ridge_losses`).

    >>> from scalingsym.core.spectra import PowerLaw
    >>> g, L = optimal_ridge_loss(RandomFeatureRidge(PowerLaw(alpha=1, M=300)), 100.0, 100.0)
    >>> g > 0 and L > 0
    True
    """
    g, L = optimal_ridge_losses(model, [N], [T], grid=grid)
    return float(g[0]), float(L[0])


# ----------------------------------------------------------------------------- dynamics ---------
def _dynamics():
    try:
        from ..models import dynamics
    except ImportError:  # the dynamics model is optional for the figures
        return None
    return dynamics if hasattr(dynamics, "GradientFlowRF") else None


def bap_loss_curves(
    a: float = 2.0,
    b: float = 1.5,
    M: float = 2000,
    Ns: Sequence[float] = (64, 256, 1024),
    P: float = 512,
    t: Sequence[float] | None = None,
    quiet: bool = True,
) -> tuple[Figure, dict[str, Any]] | None:
    """Test and train loss against time for several ``N`` at ``P`` (BAP); ``None`` without the dynamics model.

    Deterministic equivalent of :class:`scalingsym.models.dynamics.GradientFlowRF` (task power ``k^-a``,
    spectrum ``k^-b``); the ``N = P = inf`` exact sum as a reference line.
    """
    dyn = _dynamics()
    if dyn is None:
        return None
    model = dyn.GradientFlowRF.from_exponents(a=a, b=b, M=M)
    tt = np.geomspace(1e-1, 1e4, 50) if t is None else np.asarray(t, dtype=float)
    fig = Figure(figsize=(6.4, 4.4))
    ax = fig.add_subplot(1, 1, 1)
    data: dict[str, Any] = {"t": tt, "curves": {}}
    for i, N in enumerate(_progress(list(Ns), len(Ns), quiet)):
        c = model.loss_curve(tt, N=N, P=P)
        data["curves"][N] = (c.test_loss, c.train_loss)
        ax.plot(tt, c.test_loss, color=COLORS[i % 6], lw=1.5, label=rf"$N={N:g}$ test")
        ax.plot(tt, c.train_loss, color=COLORS[i % 6], lw=1.2, ls="--", label=rf"$N={N:g}$ train")
    ref = model.loss_exact_infinite(tt)
    ax.plot(tt, ref, "k:", lw=1.2, label=r"$N=P=\infty$")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"gradient-flow time $t$ (learning rate 1, loss $\frac{1}{2P}\sum_\mu(f-y)^2$)")
    ax.set_ylabel(r"loss $\mathbb{E}_x(f-y)^2$ (test: solid, train: dashed)")
    Mtxt = r"\infty" if math.isinf(float(M)) else f"{int(M)}"
    ax.set_title(f"BAP gradient flow: $a={a:g}$ (task power $k^{{-a}}$), $b={b:g}$ (spectrum $k^{{-b}}$), "
                 f"$P={P:g}$, $M={Mtxt}$", fontsize=9)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=7, ncol=2, loc="lower left")
    return fig, data


def compute_frontier(
    spectrum: PowerLaw,
    Cs: Sequence[float] | None = None,
    ratios: Sequence[float] | None = None,
    bap: dict | None = None,
    quiet: bool = True,
) -> tuple[Figure, dict[str, Any]]:
    """The compute-optimal frontier.

    Left: static model at fixed ``C = N T`` with the optimal ridge at each allocation ``N/T`` (the
    minimum sits at ``N = T``: equiparameterisation, static_rf_ridge.md B7), the ridgeless loss at its
    best allocation ``n/m = alpha/(2+alpha)``, and the continuum slope ``C^(-alpha/2)``. Right (when the
    dynamics model is available; ``bap`` = keyword overrides ``a, b, M, Cs``): BAP's frontier
    ``min_N L(N, t = C/N)`` at ``P = inf`` for compute ``C = N t``, with the loss curves it envelopes.
    """
    model = RandomFeatureRidge(spectrum)
    Cs_ = np.geomspace(1e3, 1e6, 7) if Cs is None else np.asarray(Cs, dtype=float)
    rr = np.geomspace(1 / 16, 16, 17) if ratios is None else np.asarray(ratios, dtype=float)
    dyn = _dynamics()
    ncol = 2 if dyn is not None else 1
    fig = Figure(figsize=(6.4 * ncol * 0.85, 4.4))
    ax = fig.add_subplot(1, ncol, 1)
    best, equi, ridgeless, grids = [], [], [], {}
    al = spectrum.alpha
    q = al / (2 + al)
    for C in _progress(list(Cs_), len(Cs_), quiet):
        Ls = optimal_ridge_losses(model, np.sqrt(C * rr), np.sqrt(C / rr))[1]
        grids[C] = Ls
        j = int(np.argmin(Ls))
        best.append((rr[j], Ls[j]))
        equi.append(optimal_ridge_loss(model, math.sqrt(C), math.sqrt(C))[1])
        ridgeless.append(float(model.loss(math.sqrt(C * q), math.sqrt(C / q), 0.0)))
    best_L = np.array([b_[1] for b_ in best])
    ax.plot(Cs_, best_L, "o", color="C0", ms=6, mfc="white",
            label=r"$\min_{N/T}\min_\gamma\hat{\mathcal{L}}$ at $NT=C$")
    ax.plot(Cs_, equi, "-", color="C0", lw=1.5, label=r"$N=T=\sqrt{C}$, optimal ridge")
    ax.plot(Cs_, ridgeless, "-", color="C3", lw=1.2, label=rf"ridgeless, $n/m=\alpha/(2+\alpha)={q:.3g}$")
    ref = equi[0] * (Cs_ / Cs_[0]) ** (-al / 2)
    ax.plot(Cs_, ref, "k:", lw=1, label=rf"$\propto C^{{-\alpha/2}}=C^{{-{al / 2:g}}}$")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"compute $C=N\,T$ (features $\times$ samples)")
    ax.set_ylabel(LOSS_LABEL)
    ax.set_title(f"Static: compute-optimal allocation\n{_spec_label(spectrum)}", fontsize=9)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")
    data: dict[str, Any] = {"C": Cs_, "best_ratio": [b_[0] for b_ in best], "best_loss": best_L,
                            "equiparameterised": np.array(equi), "ridgeless": np.array(ridgeless), "grids": grids}
    if dyn is not None:
        opts = {"a": 2.0, "b": 1.5, "M": math.inf, "Cs": np.geomspace(1e2, 1e6, 9)}
        opts.update(bap or {})
        gf = dyn.GradientFlowRF.from_exponents(a=opts["a"], b=opts["b"], M=opts["M"])
        ax2 = fig.add_subplot(1, ncol, 2)
        Nn = np.unique(np.geomspace(4, 4096, 13).round())
        bcs = np.asarray(opts["Cs"], dtype=float)
        table = np.full((Nn.size, bcs.size), np.nan)
        for i, N in enumerate(_progress(list(Nn), len(Nn), quiet)):
            table[i] = gf.loss_curve(bcs / N, N=N).test_loss
            ax2.plot(bcs, table[i], color="0.7", lw=0.8)
        front = np.nanmin(table, axis=0)
        ax2.plot(bcs, front, "C0-", lw=2, label=r"frontier $\min_N\mathcal{L}(N,t=C/N)$")
        ax2.plot([], [], color="0.7", lw=0.8, label=rf"fixed $N\in[{Nn[0]:g},{Nn[-1]:g}]$")
        ax2.set_xscale("log")
        ax2.set_yscale("log")
        ax2.set_xlabel(r"compute $C=N\,t$ (features $\times$ gradient-flow time), $P=\infty$")
        ax2.set_ylabel(r"test loss $\mathbb{E}_x(f-y)^2$")
        ax2.set_title(f"BAP: compute-optimal frontier, $a={opts['a']:g}$, $b={opts['b']:g}$", fontsize=9)
        ax2.grid(True, which="major", alpha=0.3)
        ax2.legend(fontsize=7, loc="lower left")
        data["bap"] = {"C": bcs, "N": Nn, "loss": table, "frontier": front,
                       "N_opt": Nn[np.nanargmin(table, axis=0)]}
    fig.tight_layout()
    return fig, data


# ----------------------------------------------------------------------------- one-pass SGD -----
def _log_steps(top: int, count: int) -> np.ndarray:
    """About ``count`` log-spaced distinct integers from 1 to ``top``."""
    return np.unique(np.geomspace(1, top, count).round()).astype(np.int64)


def sgd_curves(
    a: float = 2.0,
    b: float = 1.5,
    M: float = 500,
    N: float = 256,
    Bs: Sequence[int] = (1, 4, 32),
    B: int = 32,
    Ns: Sequence[float] = (64, 128, 256),
    lr: float | None = None,
    steps: Sequence[int] | None = None,
    max_steps: int = 1000,
    *,
    simulate: bool = True,
    sim_steps: Sequence[int] | None = None,
    seeds: int = 8,
    seed: int = 0,
    quiet: bool = True,
) -> tuple[Figure, dict[str, Any]]:
    """One-pass SGD test loss against steps: several ``B`` at ``N`` (left), several ``N`` at ``B`` (right).

    Theory lines: the deterministic equivalent :meth:`scalingsym.models.sgd.OnlineSGD.loss_curve` (task power
    ``k^-a``, spectrum ``k^-b`` on ``M`` dimensions, the conventions of
    :meth:`~scalingsym.models.dynamics.GradientFlowRF.from_exponents`); dotted: gradient flow at
    ``t = lr r``, ``P = inf`` (the ``lr -> 0`` limit at fixed ``t``). Points (``simulate``): the seeded
    Monte Carlo :func:`scalingsym.simulate.sgd.simulate_sgd`, mean and standard error over ``seeds`` runs
    (fresh features and batches per run).

    Parameters
    ----------
    a, b, M : float
        Task and spectrum exponents, latent dimension (finite for the simulation).
    N, Bs : float, sequence of int
        Model size and batch sizes of the left panel.
    B, Ns : int, sequence of float
        Batch size and model sizes of the right panel.
    lr : float, optional
        Common step size on the batch loss ``(1/2B) sum (f - y)^2``; default half the smallest
        :meth:`~scalingsym.models.sgd.OnlineSGD.max_lr` of the curves drawn (stable for all of them; closer to
        the edge the per-run loss at small ``B`` is heavy-tailed and a few seeds scatter widely).
    steps : sequence of int, optional
        Theory steps (default 16 log-spaced integers from 1 to ``max_steps``; below 10 they must be integers).
    max_steps : int
        Last step of the default theory grid.
    simulate : bool
        Add the simulation points.
    sim_steps : sequence of int, optional
        Simulation steps (default 7 log-spaced integers over the theory range).
    seeds, seed : int
        Runs per point and the base seed (configuration ``j`` uses ``seed + 1000 j``).
    quiet : bool
        No progress bar.

    Returns
    -------
    fig : Figure
    data : dict
        ``steps``, ``lr``, ``theory[(N, B)]`` (loss at ``steps``), ``flow`` (gradient flow per ``N``),
        ``simulation[(N, B)] = (steps, mean, stderr)`` and the panels' ``(N, B)`` lists ``left``, ``right``.

    Examples
    --------
    >>> fig, data = sgd_curves(M=100, N=32, Bs=(4,), B=4, Ns=(32,), steps=[1, 10], simulate=False)
    >>> sorted(data["theory"]), bool(data["theory"][(32.0, 4)][1] < data["theory"][(32.0, 4)][0])
    ([(32.0, 4)], True)
    """
    from ..models.sgd import OnlineSGD
    from ..simulate.sgd import simulate_sgd

    model = OnlineSGD.from_exponents(a=a, b=b, M=M)
    left = [(float(N), int(bb)) for bb in Bs]
    right = [(float(nn), int(B)) for nn in Ns]
    configs = list(dict.fromkeys(left + right))
    eta = 0.5 * min(model.max_lr(bb, nn) for nn, bb in configs) if lr is None else float(lr)
    rr = _log_steps(int(max_steps), 16) if steps is None else np.asarray(steps, dtype=np.int64)
    data: dict[str, Any] = {"steps": rr, "lr": eta, "theory": {}, "flow": {}, "simulation": {},
                            "left": left, "right": right}
    for nn, bb in _progress(configs, len(configs), quiet):
        data["theory"][(nn, bb)] = model.loss_curve(rr, N=nn, B=bb, lr=eta).test_loss
    for nn in dict.fromkeys(c[0] for c in configs):
        data["flow"][nn] = model.flow.loss_curve(eta * rr, N=nn).test_loss
    if simulate:
        ss = _log_steps(int(rr.max()), 7) if sim_steps is None else np.asarray(sim_steps, dtype=np.int64)
        for j, (nn, bb) in enumerate(_progress(configs, len(configs), quiet)):
            sim = simulate_sgd(model.spectrum, model.task, int(nn), bb, eta, ss, seeds=seeds, seed=seed + 1000 * j)
            data["simulation"][(nn, bb)] = (ss, sim.loss_mean, sim.loss_stderr)
    fig = Figure(figsize=(6.4 * 2 * 0.85, 4.4))
    Mtxt = r"\infty" if math.isinf(float(M)) else f"{int(M)}"
    panels = ((left, lambda c: rf"$B={c[1]}$", rf"$N={N:g}$", [N]), (right, lambda c: rf"$N={c[0]:g}$",
                                                                      rf"$B={B}$", list(Ns)))
    for k, (cfgs, label, fixed, flows) in enumerate(panels):
        ax = fig.add_subplot(1, 2, k + 1)
        for i, c in enumerate(cfgs):
            col = COLORS[i % 6]
            ax.plot(rr, data["theory"][c], color=col, lw=1.5, label=label(c) + " theory")
            if c in data["simulation"]:
                x, y, e = data["simulation"][c]
                ax.errorbar(x, y, yerr=e, fmt="o", ms=4, color=col, mfc="white", capsize=2)
        for i, nn in enumerate(flows):
            ax.plot(rr, data["flow"][float(nn)], color="k" if len(flows) == 1 else COLORS[i % 6], ls=":", lw=1,
                    label="gradient flow, $t=\\eta r$" if i == 0 else None)
        if data["simulation"]:
            ax.plot([], [], "o", color="0.4", mfc="white", ms=4, label=f"simulation, {seeds} seeds, $\\pm$1 s.e.")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(r"SGD steps $r$ (one fresh batch of $B$ samples each)")
        ax.set_ylabel(r"test loss $\mathbb{E}_x(f-y)^2$")
        ax.set_title(f"one-pass SGD at {fixed}: $a={a:g}$, $b={b:g}$, $M={Mtxt}$, $\\eta={eta:.3g}$", fontsize=9)
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    return fig, data


# ----------------------------------------------------------------------------- ensembles --------
def ensemble_curves(
    a: float = 2.0,
    b: float = 1.5,
    M: float = 500,
    N: float = 64,
    P: float = 256,
    Es: Sequence[float] = (1, 4, math.inf),
    t: Sequence[float] | None = None,
    data_mode: str = "same",
    *,
    simulate: bool = True,
    sim_t: Sequence[float] | None = None,
    seeds: int = 8,
    seed: int = 0,
) -> tuple[Figure, dict[str, Any]]:
    """Gradient-flow test loss of the average of ``E`` random-feature models against time, at finite ``N``, ``P``.

    Theory lines: :func:`scalingsym.models.ensemble.dynamics_ensemble` (``L_E = C + (L_1 - C)/E``; ``E = inf``
    is the mean predictor ``C``), the members sharing the training set (``data_mode="same"``) or not
    (``"independent"``). Points (``simulate``, finite ``E`` only): the seeded Monte Carlo
    :func:`scalingsym.simulate.ensemble.simulate_dynamics_ensemble`, mean and standard error over ``seeds``.

    Parameters
    ----------
    a, b, M : float
        Task and spectrum exponents and latent dimension (finite for the simulation).
    N, P : float
        Features per member and training-set size.
    Es : sequence
        Ensemble sizes (positive integers, ``inf`` allowed for the theory).
    t : sequence of float, optional
        Theory times (default 40 log-spaced from ``0.1`` to ``1e4``).
    data_mode : {"same", "independent"}
        Whether the members share their training data.
    simulate : bool
        Add the simulation points.
    sim_t : sequence of float, optional
        Simulation times (default 9 log-spaced over the theory range).
    seeds, seed : int
        Seeds (one training set and ``max(E)`` feature draws each) and the base seed.

    Returns
    -------
    fig : Figure
    data : dict
        ``t``, ``E``, ``theory`` (``len(E) x len(t)``), ``simulation = (t, E, mean, stderr)`` or ``None``.

    Examples
    --------
    >>> fig, data = ensemble_curves(M=100, N=16, P=32, Es=(1, 2), t=[1.0, 10.0], simulate=False)
    >>> data["theory"].shape
    (2, 2)
    """
    from ..models.dynamics import GradientFlowRF
    from ..models.ensemble import dynamics_ensemble
    from ..simulate.ensemble import simulate_dynamics_ensemble

    model = GradientFlowRF.from_exponents(a=a, b=b, M=M)
    tt = np.geomspace(1e-1, 1e4, 40) if t is None else np.asarray(t, dtype=float)
    Ev = np.asarray(Es, dtype=float)
    curve = dynamics_ensemble(model, tt, N=N, P=P, E=Ev, data=data_mode)
    data: dict[str, Any] = {"t": tt, "E": Ev, "theory": curve.loss, "simulation": None, "data": data_mode}
    finite = [int(e) for e in Ev if math.isfinite(e)]
    if simulate and finite:
        st = np.geomspace(tt[0], tt[-1], 9) if sim_t is None else np.asarray(sim_t, dtype=float)
        sim = simulate_dynamics_ensemble(model.spectrum, model.task, int(N), P, st, E=sorted(finite),
                                         data=data_mode, seeds=seeds, seed=seed)
        data["simulation"] = (st, sim.E, sim.loss_mean, sim.loss_stderr)
    fig = Figure(figsize=(6.4, 4.4))
    ax = fig.add_subplot(1, 1, 1)
    for i, e in enumerate(Ev):
        col = "k" if math.isinf(e) else COLORS[i % 6]
        name = r"$E=\infty$ (mean predictor)" if math.isinf(e) else rf"$E={int(e)}$"
        ax.plot(tt, curve.loss[i], color=col, lw=1.5, ls="--" if math.isinf(e) else "-", label=name + " theory")
    if data["simulation"] is not None:
        st, sE, mean, se = data["simulation"]
        for k, e in enumerate(sE):
            i = int(np.flatnonzero(Ev == e)[0])
            ax.errorbar(st, mean[k], yerr=se[k], fmt="o", ms=4, color=COLORS[i % 6], mfc="white", capsize=2,
                        label=f"simulation, {seeds} seeds, $\\pm$1 s.e." if k == 0 else None)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"gradient-flow time $t$ (learning rate 1, loss $\frac{1}{2P}\sum_\mu(f-y)^2$)")
    ax.set_ylabel(r"ensemble test loss $\mathbb{E}_x(\bar f-y)^2$")
    Mtxt = r"\infty" if math.isinf(float(M)) else f"{int(M)}"
    shared = "shared" if data_mode == "same" else "independent"
    ax.set_title(f"Ensemble of $E$ random-feature models ({shared} data): $N={N:g}$, $P={P:g}$, $a={a:g}$, "
                 f"$b={b:g}$, $M={Mtxt}$", fontsize=9)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")
    return fig, data


# ----------------------------------------------------------------------------- SGD phases -------
def phase_grid(per_unit: tuple[int, int] = (4, 6), extent: float = 2.0) -> tuple[list, list]:
    """Exact cell centres ``alpha = (k - 1/2)/c_a``, ``beta = (k - 1/2)/c_b`` on ``(0, extent]``.

    ``per_unit = (c_a, c_b)`` cells per unit of ``alpha`` and ``beta``, both even with ``c_a/2`` and ``c_b/2`` of
    different parity: then ``alpha = 1/2`` and ``beta = 1/2`` are cell edges and no centre lies on
    ``alpha = beta``, so no cell sits on a phase boundary.

    >>> a, b = phase_grid((2, 4), 1.0)
    >>> [str(x) for x in a], [str(x) for x in b]
    (['1/4', '3/4'], ['1/8', '3/8', '5/8', '7/8'])
    """
    import sympy as sp

    from ..core.expressions import parse_exact_number

    ca, cb = (int(c) for c in per_unit)
    if ca < 2 or cb < 2 or ca % 2 or cb % 2 or (ca // 2) % 2 == (cb // 2) % 2:
        raise ParameterError(f"per_unit must be two even numbers with halves of different parity; got {per_unit}")
    ext = parse_exact_number(extent, "extent")
    if not ext > 0:
        raise ParameterError(f"extent must be a number > 0; got {extent}")
    half = sp.Rational(1, 2)
    return ([(k - half) / ca for k in range(1, int(ext * ca) + 1)],
            [(k - half) / cb for k in range(1, int(ext * cb) + 1)])


def phase_diagram(
    alphas: Sequence[Any] | None = None,
    betas: Sequence[Any] | None = None,
    *,
    per_unit: tuple[int, int] = (4, 6),
    extent: float = 2.0,
    quiet: bool = True,
) -> tuple[Figure, dict[str, Any]]:
    """Compute-optimal exponent ``xi`` (``d* ~ f^xi``) of one-pass SGD in the PLRF ``(alpha, beta)`` plane.

    Each cell is one call of :func:`scalingsym.theory.sgd_phases.sgd_phase` (``lambda_j = j^-2alpha``, task
    power ``j^-(2alpha + 2beta)``, compute ``f = d r``) at its centre; a cell where the engine cannot decide
    the phase (it raises a ParameterError, as in phases IVa/IVb and below ``2 (alpha + beta) = 1``, or returns an
    undetermined balance) is left blank (NaN, white). The phase names of the engine are written at the centre of
    their cells; dashed: the loci where its term content changes (``2 beta = 1``: ``F_ac`` appears; ``2 alpha = 1``:
    the hidden dimension becomes finite; ``alpha = 1/4`` and ``2 (alpha + beta) = 1`` below it) and where ``F_pp``
    and the noise term trade places (``alpha = beta``).

    Parameters
    ----------
    alphas, betas : sequence, optional
        Cell centres (exact decimals or ratios are passed to the engine as they are); default
        :func:`phase_grid` ``(per_unit, extent)``, no cell on a phase boundary.
    per_unit : tuple of int
        Default grid: cells per unit of ``alpha`` and of ``beta`` (see :func:`phase_grid`; the engine is
        symbolic, tens of milliseconds per cell).
    extent : float
        Default grid: both axes on ``(0, extent]``.
    quiet : bool
        No progress bar.

    Returns
    -------
    fig : Figure
    data : dict
        ``alpha``, ``beta`` (float centres), ``xi``, ``eta`` (``len(beta) x len(alpha)``, NaN where undecided),
        ``phase`` (names, ``""`` where undecided) and ``undecided`` (``(alpha, beta, reason)`` per blank cell).

    Examples
    --------
    >>> fig, data = phase_diagram(["0.4", "0.7"], ["0.2", "0.9"])
    >>> [round(float(x), 6) for x in data["xi"][0]], data["phase"][0]
    ([0.5, 0.416667], ['Ib', 'I'])
    >>> data["phase"][1][0]   # 2 beta > 1, 1/4 < alpha < 1/2: phase IV, not decided
    ''
    """
    from ..theory.sgd_phases import sgd_phase

    if alphas is None or betas is None:
        da, db = phase_grid(per_unit, extent)
        alphas = da if alphas is None else alphas
        betas = db if betas is None else betas
    av = np.array([float(x) for x in alphas])
    bv = np.array([float(x) for x in betas])
    xi = np.full((bv.size, av.size), np.nan)
    eta = np.full_like(xi, np.nan)
    phase = [["" for _ in av] for _ in bv]
    undecided: list[tuple[float, float, str]] = []
    cells = [(i, j) for i in range(bv.size) for j in range(av.size)]
    for i, j in _progress(cells, len(cells), quiet):
        try:
            res = sgd_phase(alphas[j], betas[i])
        except ParameterError as exc:
            undecided.append((av[j], bv[i], str(exc)))
            continue
        if str(res["phase"]).startswith("undetermined"):
            undecided.append((av[j], bv[i], res["phase"]))
            continue
        xi[i, j], eta[i, j], phase[i][j] = float(res["xi"]), float(res["eta"]), res["phase"]
    import matplotlib as mpl

    cmap = mpl.colormaps["viridis"].with_extremes(bad="white")
    fig = Figure(figsize=(6.4, 5.0))
    ax = fig.add_subplot(1, 1, 1)
    mesh = ax.pcolormesh(av, bv, np.ma.masked_invalid(xi), shading="nearest", cmap=cmap)
    cb = fig.colorbar(mesh, ax=ax)
    cb.set_label(r"compute-optimal exponent $\xi$: $d^\star\propto f^{\xi}$")
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    ax.axvline(0.5, color="k", lw=1.0, ls="--")
    ax.plot([0.5, x1], [0.5, 0.5], "k--", lw=1.0)
    ax.plot([0.5, min(x1, y1)], [0.5, min(x1, y1)], "k--", lw=1.0)
    if x0 < 0.5:  # below the line: alpha = 1/4 (for 2 beta > 1) and the high-dimensional line alpha + beta = 1/2
        ax.plot([0.25, 0.25], [0.5, y1], "k:", lw=1.0)
        ax.plot([max(x0, 0.0), 0.5], [0.5 - max(x0, 0.0), 0.0], "k:", lw=1.0)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    for name in sorted({p for row in phase for p in row if p}):
        where = [(av[j], bv[i]) for i in range(bv.size) for j in range(av.size) if phase[i][j] == name]
        if where:
            x, y = np.mean(where, axis=0)
            ax.text(x, y, name, ha="center", va="center", fontsize=13, color="w", weight="bold")
    if np.any((av > 0.25) & (av < 0.5)) and np.any(bv > 0.5):
        ax.text(0.375, 0.5 * (0.5 + y1), "IVa/IVb\nnot decided", ha="center", va="center", fontsize=7, rotation=90)
    ax.set_xlabel(r"data exponent $\alpha$ ($\lambda_j=j^{-2\alpha}$)")
    ax.set_ylabel(r"target exponent $\beta$ (task power $j^{-(2\alpha+2\beta)}$)")
    ax.set_title("Compute-optimal phases of one-pass SGD (PLRF, compute $f=d\\,r$)", fontsize=9)
    return fig, {"alpha": av, "beta": bv, "xi": xi, "eta": eta, "phase": phase, "undecided": undecided}
