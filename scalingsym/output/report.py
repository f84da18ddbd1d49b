"""The report: every derivation, a theory-vs-simulation table and the figures in one compiled LaTeX document.

:func:`build_report` runs the derivation scripts (:mod:`scalingsym.output.derive`), draws the figures
(:mod:`scalingsym.output.plot`), runs a seeded Monte-Carlo check of the any-ridge loss
(:func:`scalingsym.output.check.check`),
writes a standalone ``report.tex`` (amsmath, booktabs, graphicx) and compiles it with ``pdflatex`` when one is
on the ``PATH``. Layout of ``out_dir``::

    report.tex, report.pdf, report.log
    figures/{loss_vs_N, regime_map, bap_loss_curves, compute_frontier,
             sgd_curves, ensemble_curves, phase_diagram}.{pdf,png}
    derivations/<name>/<name>.tex (and whatever each derivation writes)
    summary.json

The figures (:data:`FIGURES`, drawn by :mod:`scalingsym.output.plot`):

* ``loss_vs_N``: ridgeless test loss against ``N`` for several ``T``, theory and Monte Carlo;
* ``regime_map``: regimes of the ridge loss in the ``(N/T, gamma_bar)`` plane;
* ``bap_loss_curves``: gradient-flow test and train loss against time for several ``N`` (BAP);
* ``compute_frontier``: static and gradient-flow compute-optimal frontiers;
* ``sgd_curves``: one-pass SGD loss against steps for several batch sizes ``B`` and model sizes ``N``
  (deterministic equivalent and seeded simulation);
* ``ensemble_curves``: gradient-flow loss of ensembles of ``E = 1, 4, inf`` random-feature models (theory and
  seeded simulation);
* ``phase_diagram``: the compute-optimal exponent ``xi`` of one-pass SGD in the PLRF ``(alpha, beta)`` plane
  with its phases, from the symbolic phase engine (blank where it cannot decide).

Examples
--------
>>> import tempfile
>>> out = build_report(tempfile.mkdtemp(), derivations=[], figures=False, simulate=False, compile=False)
>>> out.tex_path.name, out.ok
('report.tex', True)
"""

from __future__ import annotations

import ast
import concurrent.futures
import contextlib
import json
import math
import multiprocessing
import os
import pathlib
import re
import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..core.errors import ParameterError
from ..core.spectra import PowerLaw
from .check import CheckTable, check
from .derive import DerivationOutcome, find_derivations, list_derivations, run_derivation

__all__ = ["FIGURES", "ReportOutcome", "build_report", "compile_latex", "default_workers", "tex_escape"]

#: the default model of the report: lambda_k = k^-2 (alpha = 1) on M = 300 latent dimensions
DEFAULT_SPECTRUM = PowerLaw(alpha=1.0, M=300)
#: (N, T, gamma) points of the report's theory-vs-simulation table (both sides of N = T, the peak with a ridge,
#: the ridge-dominated regime and min(N, T) > M)
CHECK_POINTS: tuple[tuple[int, int, float], ...] = (
    (60, 240, 0.0),
    (240, 60, 0.0),
    (150, 150, 1e-3),
    (150, 150, 1e-2),
    (60, 240, 1.0),
    (400, 500, 0.0),
)

_TEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
}


def tex_escape(text: Any) -> str:
    """Plain text made safe for LaTeX text mode.

    >>> tex_escape("N<T & gamma_bar^2")
    'N\\\\textless{}T \\\\& gamma\\\\_bar\\\\textasciicircum{}2'
    """
    return "".join(_TEX_SPECIAL.get(ch, ch) for ch in str(text))


def _num(v: Any) -> str:
    if isinstance(v, bool) or v is None:
        return tex_escape(v)
    try:
        x = float(v)
    except (TypeError, ValueError):
        return tex_escape(v)
    if not math.isfinite(x):
        return r"$\infty$" if x > 0 else (r"$-\infty$" if x < 0 else "NaN")
    return f"{x:.6g}"


@dataclass
class ReportOutcome:
    """Paths and verdicts of a report build."""

    out_dir: pathlib.Path
    tex_path: pathlib.Path
    pdf_path: pathlib.Path | None = None
    pages: int | None = None
    figures: dict[str, dict[str, pathlib.Path]] = field(default_factory=dict)
    derivations: list[DerivationOutcome] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    check_table: CheckTable | None = None
    compile_error: str | None = None
    compiled: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Every derivation ran with all checks passing, the Monte-Carlo table passed, and (if attempted) the
        LaTeX compiled."""
        return (all(d.ok for d in self.derivations) and (self.check_table is None or self.check_table.all_ok)
                and self.compile_error is None)

    def summary(self) -> dict[str, Any]:
        """A JSON-able summary."""
        return {
            "ok": self.ok,
            "out_dir": str(self.out_dir),
            "tex": str(self.tex_path),
            "pdf": str(self.pdf_path) if self.pdf_path else None,
            "pages": self.pages,
            "compiled": self.compiled,
            "compile_error": self.compile_error,
            "figures": {k: {fmt: str(p) for fmt, p in v.items()} for k, v in self.figures.items()},
            "derivations": [{"name": d.name, "ok": d.ok, "checks": len(d.checks), "failed": len(d.failed_checks),
                             "seconds": round(d.seconds, 1), "error": d.error} for d in self.derivations],
            "skipped": self.skipped,
            "simulation_check_ok": None if self.check_table is None else self.check_table.all_ok,
            "seconds": round(self.seconds, 1),
        }


def compile_latex(tex_path: str | os.PathLike, engine: str = "pdflatex", runs: int = 2,
                  timeout: float = 300.0) -> tuple[pathlib.Path, int | None]:
    """Compile ``tex_path`` in its own folder (``runs`` passes, for references); returns ``(pdf, pages)``.

    Raises
    ------
    FileNotFoundError
        No ``engine`` on the ``PATH``.
    RuntimeError
        The engine failed; the message holds the first LaTeX error lines of the log.
    """
    tex_path = pathlib.Path(tex_path).resolve()
    exe = shutil.which(engine)
    if exe is None:
        raise FileNotFoundError(f"no {engine} on the PATH (install TeX Live, e.g. Debian's texlive-latex-extra)")
    for _ in range(runs):
        proc = subprocess.run([exe, "-interaction=nonstopmode", "-halt-on-error", "-file-line-error", tex_path.name],
                              cwd=tex_path.parent, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            log = tex_path.with_suffix(".log")
            text = log.read_text(errors="replace") if log.exists() else proc.stdout
            errs = [ln for ln in text.splitlines() if ln.startswith("!") or ":" in ln and "error" in ln.lower()]
            raise RuntimeError(f"{engine} failed on {tex_path.name}:\n" + "\n".join(errs[:20] or text[-2000:]))
    log = tex_path.with_suffix(".log").read_text(errors="replace")
    m = re.search(r"Output written on .*?\((\d+) pages?", log)
    return tex_path.with_suffix(".pdf"), int(m.group(1)) if m else None


def _missing_dependency(outcome: DerivationOutcome) -> str | None:
    err = outcome.error or ""
    if "MissingDependencyError" in err or "ModuleNotFoundError" in err:
        last = [ln for ln in err.strip().splitlines() if ln.strip()][-1]
        return last.split(":", 1)[-1].strip()
    return None


def _checks_table(outcome: DerivationOutcome) -> str:
    lines = [r"\begin{longtable}{p{0.5\linewidth}rrrl}", r"\toprule",
             r"check & expected & got & tolerance & ok \\", r"\midrule", r"\endhead"]
    for c in outcome.checks:
        ok = "yes" if c.get("ok") else r"\textbf{NO}"
        lines.append(f"{tex_escape(c.get('name', ''))} & {_num(c.get('expected'))} & {_num(c.get('got'))} & "
                     f"{_num(c.get('tol'))} & {ok} \\\\")
    lines += [r"\bottomrule", r"\end{longtable}"]
    return "\n".join(lines)


def _figure(path: pathlib.Path, out_dir: pathlib.Path, caption: str, label: str, width: str = r"0.9\linewidth") -> str:
    rel = path.relative_to(out_dir).as_posix()
    return "\n".join([r"\begin{figure}[htbp]", r"\centering", rf"\includegraphics[width={width}]{{{rel}}}",
                      rf"\caption{{{caption}}}", rf"\label{{{label}}}", r"\end{figure}"])


_CAPTIONS = {
    "loss_vs_N": ("Test loss against model size $N$ for several training-set sizes $T$, ridgeless: theory (B1, "
                  "exact finite-$M$ sums) as lines, Monte Carlo as points ($\\pm1$ standard error). The loss falls "
                  "as $N^{-\\alpha}$ for $N<T$, peaks at $N=T$ as $1/(1-N/T)$, plateaus for $N\\gg T$, and is "
                  "exactly zero once $\\min(N,T)\\ge M$."),
    "regime_map": ("Regimes of the ridge test loss in the $(N/T,\\bar\\gamma)$ plane with the crossover lines of "
                   "the asymptotics engine."),
    "bap_loss_curves": ("Gradient-flow random-feature model (Bordelon--Atanasov--Pehlevan): test (solid) and train "
                        "(dashed) loss against time for several widths $N$ at fixed data $P$."),
    "compute_frontier": ("Compute-optimal frontier: static model at $C=NT$ with the optimal ridge "
                         "(equiparameterisation), and the gradient-flow frontier at $C=Nt$."),
    "sgd_curves": ("One-pass SGD of the random-feature model (after Bordelon--Atanasov--Pehlevan): test loss "
                   "$\\mathbb{E}_x(f-y)^2$ against the number of steps $r$, each on a fresh batch of $B$ samples, "
                   "task power $k^{-a}$, spectrum $k^{-b}$, $a=2$, $b=1.5$, $M=@M@$. Left: $N=@N@$ and "
                   "$B\\in\\{@BS@\\}$; right: $B=@B@$ and $N\\in\\{@NS@\\}$; one step size $\\eta$ for all "
                   "curves (half the smallest largest-stable step of the curves drawn, value in the panel titles). "
                   "Lines: deterministic equivalent (the Volterra equation of the expected loss, inverted "
                   "z-transform); dotted: gradient flow at $t=\\eta r$, $P=\\infty$."),
    "ensemble_curves": ("Gradient flow of an ensemble of $E$ random-feature models with independent features and "
                        "a shared training set: test loss of the averaged predictor against time $t$, "
                        "$N=@N@$ features per member, $P=@P@$ samples, $a=2$, $b=1.5$, $M=@M@$. Lines: theory "
                        "$L_E=C+(L_1-C)/E$ for $E=1$, $4$ and $E=\\infty$ (dashed, the mean predictor $C$)."),
    "phase_diagram": ("Compute-optimal phases of one-pass SGD on power-law random features (PLRF: "
                      "$\\lambda_j=j^{-2\\alpha}$, task power $j^{-(2\\alpha+2\\beta)}$, $d$ parameters, compute "
                      "$f=d\\,r$), coloured by the exponent $\\xi$ of the compute-optimal size $d^\\star\\propto "
                      "f^{\\xi}$. Each cell is the symbolic term-balancing engine evaluated at its centre (cells "
                      "$@DA@$ wide in $\\alpha$ and $@DB@$ in $\\beta$; no centre lies on a phase boundary); the "
                      "labels are the engine's phases, the dashed lines $2\\alpha=1$, $2\\beta=1$ and "
                      "$\\alpha=\\beta$ the loci where its leading terms change. Below $2\\alpha=1$ the engine "
                      "decides the sub-phases Ib and Ic (hidden dimension $v\\propto d$, step $\\propto 1/\\mathrm{tr}"
                      "\\,\\Lambda$, dashed: $\\alpha=1/4$ and $2(\\alpha+\\beta)=1$); white cells (phases IVa/IVb, "
                      "$2\\beta>1$ and $1/4<\\alpha<1/2$, and below the line $2(\\alpha+\\beta)=1$) are left blank "
                      "because the engine cannot decide the phase there."),
}

#: the sentence on a figure's simulation points, when the report simulates (``@K@``: seeds per point)
_SIM_NOTES = {
    "sgd_curves": ("Points: seeded simulation (fresh features per run, fresh batches per step), mean $\\pm$ one "
                   "standard error over $K=@K@$ seeds. At $B=1$ the per-run loss is heavy-tailed, so the mean of "
                   "few seeds tends to fall below the expectation and its standard error is underestimated."),
    "ensemble_curves": ("Points: seeded simulation ($E=1$ and $E=4$ share their draws: one training set and four "
                        "feature matrices per seed), mean $\\pm$ one standard error over $K=@K@$ seeds."),
}

#: settings of the new figures in the full (``False``) and quick (``True``) report; the captions quote them
_FIGURE_SETTINGS: dict[tuple[str, bool], dict[str, Any]] = {
    ("sgd_curves", False): {"M": 500, "N": 256, "Bs": (1, 4, 32), "B": 32, "Ns": (64, 128, 256),
                            "max_steps": 1000},
    ("sgd_curves", True): {"M": 200, "N": 128, "Bs": (1, 4, 32), "B": 32, "Ns": (32, 64, 128), "max_steps": 300},
    ("ensemble_curves", False): {"M": 500, "N": 64, "P": 256},
    ("ensemble_curves", True): {"M": 300, "N": 32, "P": 128},
    ("phase_diagram", False): {"per_unit": (4, 6)},
    ("phase_diagram", True): {"per_unit": (2, 4)},
}


def _caption(key: str, seeds: int, simulate: bool, quick: bool) -> str:
    """The LaTeX caption of figure ``key``, with its settings, and its simulation note when ``simulate``.

    >>> "$K=5$ seeds" in _caption("ensemble_curves", 5, True, False)
    True
    >>> "seeds" in _caption("ensemble_curves", 5, False, False)
    False
    """
    text = _CAPTIONS.get(key, tex_escape(key))
    opts = _FIGURE_SETTINGS.get((key, quick), {})
    subs = {"@K@": str(seeds)}
    for name, value in opts.items():
        if name == "per_unit":
            subs["@DA@"], subs["@DB@"] = (f"1/{int(c)}" for c in value)
        elif isinstance(value, tuple):
            subs["@" + name.upper() + "@"] = ",".join(f"{v:g}" for v in value)
        else:
            subs["@" + name.upper() + "@"] = f"{value:g}"
    if simulate and key in _SIM_NOTES:
        text = text + " " + _SIM_NOTES[key]
    for token, value in subs.items():
        text = text.replace(token, value)
    return text


#: the report's figures, in the order they appear
FIGURES: tuple[str, ...] = ("loss_vs_N", "regime_map", "bap_loss_curves", "compute_frontier", "sgd_curves",
                            "ensemble_curves", "phase_diagram")


def _make_figure(key: str, out_dir: pathlib.Path, spectrum: PowerLaw, simulate: bool, seeds: int, quiet: bool,
                 quick: bool) -> dict[str, pathlib.Path] | None:
    """Draw and save one figure of :data:`FIGURES`; ``None`` when its model is not available."""
    from . import plot

    fig_dir = out_dir / "figures"
    settings = _FIGURE_SETTINGS.get((key, quick), {})
    if key == "loss_vs_N":
        fig, _ = plot.loss_vs_N(spectrum, Ts=(30, 100, 1000), simulate=simulate, seeds=seeds, quiet=quiet)
    elif key == "regime_map":
        fig, _ = plot.regime_map(PowerLaw(alpha=spectrum.alpha, M=math.inf), T=1000.0)
    elif key == "bap_loss_curves":
        got = plot.bap_loss_curves(quiet=quiet)
        if got is None:
            return None
        fig = got[0]
    elif key == "compute_frontier":
        Cs = (1e3, 1e4, 1e5) if quick else None
        fig, _ = plot.compute_frontier(PowerLaw(alpha=spectrum.alpha, M=math.inf), Cs=Cs, quiet=quiet)
    elif key == "sgd_curves":
        fig, _ = plot.sgd_curves(**settings, simulate=simulate, seeds=seeds, quiet=quiet)
    elif key == "ensemble_curves":
        fig, _ = plot.ensemble_curves(**settings, simulate=simulate, seeds=seeds)
    elif key == "phase_diagram":
        fig, _ = plot.phase_diagram(**settings, quiet=quiet)
    else:  # pragma: no cover - the keys are the module's own
        raise ValueError(f"unknown figure {key!r}")
    return plot.save_figure(fig, fig_dir, key)


def _make_figures(out_dir: pathlib.Path, spectrum: PowerLaw, simulate: bool, seeds: int, quiet: bool,
                  quick: bool) -> dict[str, dict[str, pathlib.Path]]:
    figs: dict[str, dict[str, pathlib.Path]] = {}
    for key in FIGURES:
        got = _make_figure(key, out_dir, spectrum, simulate, seeds, quiet, quick)
        if got is not None:
            figs[key] = got
    return figs


def default_workers() -> int:
    """Worker processes of the report by default: the cores this process may use, at most 2.

    >>> 1 <= default_workers() <= 2
    True
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(2, cores))


@contextlib.contextmanager
def _one_blas_thread():
    """One BLAS thread per worker process (the workers already use the cores; threads would oversubscribe)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _task(kind: str, *args: Any) -> tuple[Any, tuple[float, float]]:
    """One piece of the report and its (wall, CPU) seconds (module level, so a worker process can run it)."""
    t0, c0 = time.perf_counter(), time.process_time()
    out = _task_body(kind, *args)
    return out, (time.perf_counter() - t0, time.process_time() - c0)


def _task_body(kind: str, *args: Any) -> Any:
    with _one_blas_thread():
        if kind == "derivation":
            name, out_dir, quick = args
            return run_derivation(name, out_dir, quick=quick)
        if kind == "check":
            spectrum, seeds, quiet = args
            return check(spectrum, CHECK_POINTS, seeds=seeds, seed=12345, quiet=quiet)
        if kind == "figure":
            return _make_figure(*args)
    raise ValueError(f"unknown report task {kind!r}")  # pragma: no cover


def _cost_hint(name: str) -> float:
    """A derivation's ``QUICK_SECONDS`` (a module-level number, read without importing), else 10 s."""
    try:
        path = find_derivations()[name]
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (ParameterError, KeyError, OSError, SyntaxError, UnicodeDecodeError):
        return 10.0
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id == "QUICK_SECONDS" and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, int | float)):
            return float(node.value.value)
    return 10.0


#: rough single-core seconds of the report's own tasks (to start the longest first)
_TASK_COST = {("check", ""): 8.0, ("figure", "loss_vs_N"): 12.0, ("figure", "regime_map"): 2.0,
              ("figure", "bap_loss_curves"): 6.0, ("figure", "compute_frontier"): 8.0,
              ("figure", "sgd_curves"): 11.0, ("figure", "ensemble_curves"): 2.0, ("figure", "phase_diagram"): 8.0}


def build_report(
    out_dir: str | os.PathLike,
    *,
    quick: bool = True,
    derivations: Sequence[str] | None = None,
    figures: bool = True,
    simulate: bool = True,
    seeds: int = 8,
    compile: bool = True,
    quiet: bool = False,
    spectrum: PowerLaw = DEFAULT_SPECTRUM,
    log=None,
    workers: int | None = None,
) -> ReportOutcome:
    """Build (and compile) the report in ``out_dir``.

    Parameters
    ----------
    out_dir : path
        Output folder (created).
    quick : bool
        Quick variants of the derivations (each well under a minute).
    derivations : sequence of str, optional
        Names to run (default: all of :func:`scalingsym.output.derive.list_derivations`; ``[]`` for none).
    figures, simulate : bool
        Draw the figures; add Monte-Carlo points and the theory-vs-simulation table.
    seeds : int
        Seeds per simulation point (each with 8 teacher vectors).
    compile : bool
        Run ``pdflatex`` if it is on the ``PATH`` (a missing engine is not an error; a failing one is).
    quiet : bool
        No progress bars.
    spectrum : PowerLaw
        The model of the main figure and of the simulation table (default ``alpha = 1``, ``M = 300``).
    log : callable, optional
        Called with one line of progress text per step (e.g. ``print``).
    workers : int, optional
        Processes for the independent pieces (each derivation, the simulation table, each figure), longest
        first; default :func:`default_workers`. ``1`` runs everything in this process. The output does not
        depend on it: every piece seeds its own draws.
    """
    t0 = time.perf_counter()
    out_dir = pathlib.Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:
        raise ParameterError(f"out_dir {str(out_dir)!r} is not a folder (a file is in the way: {exc.filename})") \
            from None
    say = log or (lambda _msg: None)
    names = list(list_derivations()) if derivations is None else list(derivations)
    outcome = ReportOutcome(out_dir=out_dir, tex_path=out_dir / "report.tex")
    workers = default_workers() if workers is None else int(workers)
    if workers < 1:
        raise ParameterError(f"workers must be >= 1; got {workers}")
    tasks: list[tuple[tuple[str, str], tuple, float]] = []
    for name in names:
        tasks.append((("derivation", name), ("derivation", name, out_dir / "derivations" / name, quick),
                      _cost_hint(name)))
    if simulate:
        tasks.append((("check", ""), ("check", spectrum, seeds, quiet), _TASK_COST[("check", "")]))
    if figures:
        for key in FIGURES:
            tasks.append((("figure", key), ("figure", key, out_dir, spectrum, simulate, seeds, quiet, quick),
                          _TASK_COST[("figure", key)]))
    done = _run_tasks(tasks, workers, say)
    for name in names:
        d = done[("derivation", name)]
        missing = _missing_dependency(d) if d.error else None
        if missing:
            outcome.skipped[name] = missing
            continue
        outcome.derivations.append(d)
    if simulate:
        outcome.check_table = done[("check", "")]
    if figures:
        outcome.figures = {key: done[("figure", key)] for key in FIGURES if done[("figure", key)] is not None}
    outcome.tex_path.write_text(_document(outcome, spectrum, seeds, simulate=simulate, quick=quick),
                                encoding="utf-8")
    if compile and shutil.which("pdflatex"):
        try:
            outcome.pdf_path, outcome.pages = compile_latex(outcome.tex_path)
            outcome.compiled = True
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            outcome.compile_error = str(exc)
    elif compile:
        say("pdflatex not found: wrote report.tex without compiling it")
    outcome.seconds = time.perf_counter() - t0
    (out_dir / "summary.json").write_text(json.dumps(outcome.summary(), indent=2), encoding="utf-8")
    return outcome


def _describe(key: tuple[str, str], result: Any, seconds: tuple[float, float]) -> str:
    kind, name = key
    took = f"({seconds[0]:.1f} s, CPU {seconds[1]:.1f} s)"
    if kind == "derivation":
        missing = _missing_dependency(result) if result.error else None
        if missing:
            return f"derivation {name}: skipped ({missing})"
        status = "ok" if result.ok else ("ERROR" if result.error else f"{len(result.failed_checks)} checks FAILED")
        return f"derivation {name}: {len(result.checks)} checks, {status} {took}"
    if kind == "check":
        agree = sum(r.ok for r in result.rows)
        return f"theory vs simulation: {agree}/{len(CHECK_POINTS)} points agree {took}"
    return f"figure {name}: " + ("not available" if result is None else f"{result['png']} {took}")


def _run_tasks(tasks: list, workers: int, say) -> dict[tuple[str, str], Any]:
    """Run the report's independent tasks, longest first, in ``workers`` processes (in this one for 1)."""
    order = sorted(tasks, key=lambda t: -t[2])
    done: dict[tuple[str, str], Any] = {}
    if workers == 1 or len(order) <= 1:
        for key, args, _ in order:
            done[key], seconds = _task(*args)
            say(_describe(key, done[key], seconds))
        return done
    ctx = multiprocessing.get_context("spawn")  # a fresh interpreter per worker: no forked threads or locks
    with concurrent.futures.ProcessPoolExecutor(max_workers=min(workers, len(order)), mp_context=ctx) as pool:
        futures = {pool.submit(_task, *args): key for key, args, _ in order}
        for fut in concurrent.futures.as_completed(futures):
            key = futures[fut]
            done[key], seconds = fut.result()
            say(_describe(key, done[key], seconds))
    return done


def _document(outcome: ReportOutcome, spectrum: PowerLaw, seeds: int, *, simulate: bool = True,
              quick: bool = True) -> str:
    from .._version import __version__

    out_dir = outcome.out_dir
    body: list[str] = [
        r"\documentclass[11pt]{article}",
        r"\usepackage[margin=2.2cm]{geometry}",
        r"\usepackage{amsmath,amssymb,booktabs,graphicx,longtable}",
        r"\usepackage[hidelinks]{hyperref}",
        r"\allowdisplaybreaks",
        r"\title{scalingsym report: solvable models of neural scaling laws}",
        rf"\author{{scalingsym {__version__}}}",
        r"\date{\today}",
        r"\begin{document}",
        r"\maketitle",
        r"\section*{Conventions}",
        ("Latent data $x\\sim\\mathcal N(0,\\Lambda)$, $\\Lambda=\\mathrm{diag}(\\lambda_k)$, "
         "$\\lambda_k=\\lambda_+k^{-(1+\\alpha)}$ on $k=1,\\dots,M$; linear teacher $y=w\\cdot x$, "
         "$w_k\\sim\\mathcal N(0,\\sigma_w^2/M)$; $N$ random features $Ux$, $U_{jk}\\sim\\mathcal N(0,\\sigma_u^2/M)$; "
         "$T$ training samples; objective $\\frac12\\sum(z-y)^2+\\frac\\gamma2\\|\\theta\\|^2$, "
         "$\\bar\\gamma=\\gamma/(\\sigma_u^2/M)$; test loss $\\hat{\\mathcal L}=\\frac12\\mathbb E(z-y)^2$ per "
         "output; $n=\\min(N,T)$, $m=\\max(N,T)$. Each equation carries a LaTeX comment with its source, regime "
         "and whether it is exact or leading order. The gradient-flow sections use the conventions stated in "
         "them."),
    ]
    if outcome.check_table is not None:
        t = outcome.check_table
        body += [
            r"\section{Theory against simulation}",
            (f"Deterministic-equivalent loss (B1, exact finite-$M$ sums) against a seeded Monte Carlo, "
             f"{tex_escape(t.spectrum)}, {seeds} seeds $\\times$ 8 teachers per point; $z$ is the difference in "
             "standard errors. A point agrees when $|\\Delta|\\le3\\,\\mathrm{s.e.}+2/\\min(N,T)\\cdot$theory."),
            r"\begin{center}", t.to_latex(), r"\end{center}",
        ]
    if outcome.figures:
        body.append(r"\section{Figures}")
        for key, paths in outcome.figures.items():
            body.append(_figure(paths["pdf"], out_dir, _caption(key, seeds, simulate, quick), f"fig:{key}"))
        body.append(r"\clearpage")
    for d in outcome.derivations:
        body.append(rf"\section{{{tex_escape(d.title)}}}")
        body.append(rf"Derivation \texttt{{derivations/{tex_escape(d.name)}.py}}, {len(d.checks)} checks, "
                    + ("all passed." if d.ok else r"\textbf{some failed}." if not d.error else r"\textbf{error}."))
        if d.error:
            tail = d.error.strip().splitlines()[-1]
            body.append(r"\begin{verbatim}" + "\n" + tail.replace(r"\end{verbatim}", "") + "\n" + r"\end{verbatim}")
            continue
        body.append(d.latex)
        if d.checks:
            body.append(r"\subsection*{Checks}")
            body.append(_checks_table(d))
    if outcome.skipped:
        body.append(r"\section*{Skipped derivations}")
        body.append(r"\begin{itemize}")
        body += [rf"\item \texttt{{{tex_escape(k)}}}: {tex_escape(v)}" for k, v in outcome.skipped.items()]
        body.append(r"\end{itemize}")
    body.append(r"\end{document}")
    return "\n\n".join(body) + "\n"
