"""``sgd``: the one-pass SGD loss curve of the random-feature model (deterministic equivalent, optional Monte Carlo).

``--lr`` is the step on the batch loss ``(1/2B) sum (f - y)^2``, so ``steps * lr`` is the gradient-flow time
``t`` of ``dynamics``; the model is the one of ``dynamics`` at ``P = inf`` (``sgd --spectrum
'custom(expr="k**-b", M=M)' --task 'source(a=a)'`` is ``dynamics --a a --b b --M M``).
"""

from __future__ import annotations

import argparse
import math

import numpy as np

from ..core.errors import ParameterError
from ..core.parsing import parse_spectrum, parse_task
from ..models.sgd import OnlineSGD, check_batch, check_lr, multipass_loss_curve
from ..simulate.sgd import simulate_multipass_sgd, simulate_sgd
from . import emit
from ._common import count_arg, finite_or_none, seed_arg, size_arg

_MAX_STEPS = 1e12
_MAX_SIM_STEPS = 1e6


def log_steps(steps: float, points: int) -> list[int]:
    """Distinct integer steps, log-spaced from 1 to ``steps`` (inclusive, ending at ``steps``)."""
    grid = np.unique(np.round(np.geomspace(1.0, steps, points)).astype(np.int64))
    grid[-1] = int(steps)
    return [int(x) for x in np.unique(grid)]


def _sgd(args: argparse.Namespace) -> dict:
    steps = args.steps
    if not (math.isfinite(steps) and steps >= 1 and steps == int(steps) and steps <= _MAX_STEPS):
        raise ParameterError(f"--steps must be an integer in [1, 1e12]; got {steps:g}")
    if not 2 <= args.points <= 500:
        raise ParameterError(f"--points must be an integer in [2, 500]; got {args.points}")
    B, lr = check_batch(args.B), check_lr(args.lr)
    spec = parse_spectrum(args.spectrum)
    task = parse_task(args.task, spec)
    model = OnlineSGD(spec, task)
    grid = log_steps(steps, args.points)
    P = args.P
    multi = not math.isinf(P)
    curve = multipass_loss_curve(model, grid, args.N, P, B, lr) if multi else model.loss_curve(grid, N=args.N, B=B,
                                                                                                lr=lr)
    out = {
        "steps": grid,
        "test_loss": [finite_or_none(x) for x in curve.test_loss],
        "t": [finite_or_none(x) for x in curve.t],
        "spectrum": spec.describe(),
        "task": task.describe(),
        "N": finite_or_none(args.N),
        "B": B,
        "lr": lr,
        "max_lr": finite_or_none(model.max_lr(B, args.N)),
        "kernel_norm": finite_or_none(curve.kernel_norm),
        "P": finite_or_none(P),
        "method": ("approximation for multi-pass SGD on P samples: gradient flow on P samples (deterministic "
                   "equivalent) plus the one-pass SGD-noise excess over its gradient-flow limit; exact at P = inf and "
                   "as lr -> 0, a few % off for P >> N, more near interpolation (models.sgd.multipass_loss_curve)")
        if multi else "deterministic equivalent: z-transform of the SGD Volterra equation, inverted by fixed Talbot "
        "(steps >= 10) and the trapezoid rule on a circle (steps < 10)",
        "convention": "one-pass SGD, fresh batch of B samples per step, step lr on (1/2B) sum (f-y)^2 from "
        "theta = 0; t = lr * steps; L = E[(f-y)^2] (no 1/2); None stands for inf",
    }
    if args.simulate:
        if not spec.finite or math.isinf(args.N):
            raise ParameterError("--simulate needs a finite spectrum (M < inf) and a finite --N")
        if args.N != int(args.N):
            raise ParameterError(f"--N must be an integer for --simulate; got {args.N:g}")
        if steps > _MAX_SIM_STEPS:
            raise ParameterError(f"--steps must be <= 1e6 with --simulate; got {steps:g}")
        if multi:
            if P != int(P):
                raise ParameterError(f"--P must be an integer for --simulate; got {P:g}")
            sim = simulate_multipass_sgd(spec, task, int(args.N), int(P), B, lr, grid, seeds=args.seeds, seed=args.seed)
        else:
            sim = simulate_sgd(spec, task, int(args.N), B, lr, grid, seeds=args.seeds, seed=args.seed)
        out["sim_loss_mean"] = [finite_or_none(x) for x in sim.loss_mean]
        out["sim_loss_stderr"] = [finite_or_none(x) for x in sim.loss_stderr]
        out["seeds"] = args.seeds
        out["seed"] = args.seed
    emit(out, args.json)
    return out


def _steps_arg(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of steps such as 1e4; got {text!r}") from None


def register(sub) -> None:
    p = sub.add_parser("sgd", help="one-pass SGD loss curve of the random-feature model (batch B, step lr)")
    p.add_argument("--spectrum", required=True, help='e.g. "powerlaw(alpha=0.5, M=1000)"')
    p.add_argument("--task", default="isotropic", help='e.g. "source(a=2)" (task power k^-a); default isotropic')
    p.add_argument("--N", type=size_arg, required=True, help="model size (inf allowed)")
    p.add_argument("--B", type=int, required=True, help="batch size")
    p.add_argument("--lr", type=float, required=True, help="step size on the batch loss (1/2B) sum (f-y)^2")
    p.add_argument("--steps", type=_steps_arg, required=True, help="last step, e.g. 1e4")
    p.add_argument("--P", type=size_arg, default=math.inf,
                   help="training samples for multi-pass SGD (data reuse; default inf: one-pass, fresh batches)")
    p.add_argument("--points", type=int, default=20, help="number of log-spaced steps (default 20)")
    p.add_argument("--simulate", action="store_true", help="add a seeded Monte Carlo of SGD")
    p.add_argument("--seeds", type=count_arg, default=16, help="Monte-Carlo runs (default 16)")
    p.add_argument("--seed", type=seed_arg, default=0, help="seed (default 0)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=_sgd)
