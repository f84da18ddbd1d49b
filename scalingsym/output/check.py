"""Theory next to simulation: the check every model result is one call away from.

The verdict for each point is

``|theory - sim_mean| <= z * sim_stderr + c_fs / min(N, T) * |theory| + floor``

with ``z = 3`` (statistical), ``c_fs = 2`` (the deterministic equivalents are leading order in
``1/min(N, T)``; the reference sheet measured about 1% excess at ``min(N, T) = 100`` and 0.5% at 200)
and ``floor = 1e-10 * E[y^2]/2`` (round-off, for points where the exact loss is 0).

Examples
--------
>>> from scalingsym import PowerLaw
>>> table = check(PowerLaw(alpha=1, M=200), [(40, 120, 0.0)], seeds=8)
>>> table.rows[0].ok
True
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ..core.spectra import Spectrum
from ..core.tasks import Task
from ..models.ridge import RandomFeatureRidge
from ..simulate.ridge import simulate_ridge

#: statistical multiplier and finite-size coefficient of the verdict
Z_STAT = 3.0
C_FINITE_SIZE = 2.0


@dataclass
class CheckRow:
    """One point of a theory-vs-simulation comparison."""

    N: int
    T: int
    gamma: float
    theory: float
    sim_mean: float
    sim_stderr: float
    allowance: float
    ok: bool

    @property
    def rel_diff(self) -> float:
        """``sim / theory - 1`` (NaN when the theory is 0)."""
        return self.sim_mean / self.theory - 1 if self.theory else float("nan")

    @property
    def z(self) -> float:
        """Difference in units of the standard error."""
        return (self.sim_mean - self.theory) / self.sim_stderr if self.sim_stderr > 0 else float("inf")


@dataclass
class CheckTable:
    """A list of :class:`CheckRow` with text and LaTeX renderers."""

    spectrum: str
    seeds: int
    rows: list[CheckRow]

    @property
    def all_ok(self) -> bool:
        """True when every row passes."""
        return all(r.ok for r in self.rows)

    def to_text(self) -> str:
        """A fixed-width table (Markdown-compatible)."""
        head = "| N | T | gamma | theory | simulation | stderr | sim/theory-1 | z | allowance | ok |"
        lines = [head, "|" + "---|" * 10]
        for r in self.rows:
            rel = f"{r.rel_diff:+.4f}" if r.theory else "n/a (theory 0)"
            lines.append(
                f"| {r.N} | {r.T} | {r.gamma:g} | {r.theory:.5e} | {r.sim_mean:.5e} | {r.sim_stderr:.1e} | "
                f"{rel} | {r.z:+.2f} | {r.allowance:.1e} | {'yes' if r.ok else 'NO'} |"
            )
        return "\n".join(lines)

    def to_latex(self) -> str:
        """A booktabs ``tabular``."""
        lines = [
            r"\begin{tabular}{rrrrrrr}",
            r"\toprule",
            r"$N$ & $T$ & $\gamma$ & theory & simulation & $z$ & ok \\",
            r"\midrule",
        ]
        for r in self.rows:
            lines.append(
                f"{r.N} & {r.T} & {r.gamma:g} & {r.theory:.4e} & {r.sim_mean:.4e} $\\pm$ {r.sim_stderr:.1e} & "
                f"{r.z:+.2f} & {'yes' if r.ok else 'no'} \\\\"
            )
        lines += [r"\bottomrule", r"\end{tabular}"]
        return "\n".join(lines)


def verdict(theory: float, mean: float, stderr: float, n: float, scale: float) -> tuple[bool, float]:
    """The pass/fail rule of the module docstring; returns ``(ok, allowance)``."""
    allowance = Z_STAT * stderr + C_FINITE_SIZE / n * abs(theory) + 1e-10 * scale
    return bool(abs(mean - theory) <= allowance), allowance


def check(
    spectrum: Spectrum,
    points: Iterable[Sequence[float]],
    *,
    seeds: int = 16,
    seed: int = 0,
    teachers: int = 8,
    task: Task | None = None,
    quiet: bool = True,
) -> CheckTable:
    """Compare the deterministic-equivalent loss with a seeded Monte-Carlo at each ``(N, T, gamma)``.

    Points sharing ``(N, T)`` share one simulation (one SVD per seed serves every ridge).
    """
    model = RandomFeatureRidge(spectrum, task=task)
    scale = model.w_var / 2 * spectrum.trace(task)
    groups: dict[tuple[int, int], list[float]] = {}
    for N, T, g in points:
        groups.setdefault((int(N), int(T)), []).append(float(g))
    rows = []
    for i, ((N, T), gammas) in enumerate(groups.items()):
        sim = simulate_ridge(spectrum, N, T, gammas, seeds=seeds, seed=seed + i, teachers=teachers, task=task,
                             quiet=quiet)
        theory = np.atleast_1d(model.loss(N, T, np.array(gammas)))
        for g, th, mu, se in zip(gammas, theory, sim.loss_mean, sim.loss_stderr):
            ok, allowance = verdict(float(th), float(mu), float(se), min(N, T), scale)
            rows.append(CheckRow(N, T, g, float(th), float(mu), float(se), allowance, ok))
    return CheckTable(spectrum.describe(), seeds, rows)
