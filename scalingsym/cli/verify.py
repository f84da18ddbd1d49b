"""``verify duality`` and ``verify ridgeless``: the N <-> T duality and the ridgeless limit, checked."""

from __future__ import annotations

import argparse

from ..core.errors import ParameterError
from ..core.parsing import parse_spectrum, parse_task
from ..core.tasks import Task
from ..models.ridge import RandomFeatureRidge
from ..theory.duality import NT_DUALITY, grid_check, verify
from ..theory.limits import check_limit, ridgeless
from . import emit
from ._common import finite_or_none, ridge_arg
from .static import TASK_HELP

#: relative tolerance below which a grid check counts as "holds" (float64 round-off of the solver)
_TOL = 1e-10


def _duality(args: argparse.Namespace) -> dict:
    spec = parse_spectrum(args.spectrum)
    nu = float(args.teacher_nu)
    task_text = getattr(args, "task", None)
    if task_text is not None and nu != 0.0:
        raise ParameterError("give the teacher once: --task or --teacher-nu, not both")
    task = parse_task(task_text, spec) if task_text is not None else Task.power(nu)
    noise = float(getattr(args, "noise", 0.0) or 0.0)
    model = RandomFeatureRidge(spec, task=task, noise=noise)
    grid = (args.sizes, args.sizes, args.gamma_bars)
    res = grid_check(model, "loss", grid)
    if noise == 0 and task.is_isotropic:
        sym = verify(NT_DUALITY, "loss")
        symbolic = {
            "verdict": "invariant" if sym.holds else "not invariant",
            "statement": "simplify(L(N,T) - L(T,N)) = 0 for (B1b); (B1a), rho, d1 invariant",
            "steps": sym.steps,
            "saddle": verify(NT_DUALITY, "saddle").holds,
            "rho": verify(NT_DUALITY, "rho").holds,
        }
        holds = bool(sym.holds and res["max_rel_diff"] < _TOL)
    else:
        why = (f"label noise of variance {noise:g} sits on the T training labels only" if noise > 0
               else f"teacher {task.describe()} is not isotropic")
        symbolic = {"verdict": "not a symmetry", "steps": [],
                    "statement": f"{why}: the loss is not a symmetric function of (N, T); counterexample at the worst "
                                 "grid point"}
        holds = bool(res["max_rel_diff"] < _TOL)
    train = grid_check(RandomFeatureRidge(spec), "train_loss", grid)
    out = {
        "holds": holds,
        "max_rel_diff": res["max_rel_diff"],
        "symbolic": symbolic,
        "grid": {"N": list(args.sizes), "T": list(args.sizes), "gamma_bar": list(args.gamma_bars),
                 "points": res["points"]},
        "worst": {k: finite_or_none(v) for k, v in res["worst"].items()},
        "teacher_nu": nu,
        "task": task.describe(),
        "noise": noise,
        "transformation": {"map": NT_DUALITY.name, "fixed": list(NT_DUALITY.fixed), "requires": NT_DUALITY.requires,
                           "matrices": NT_DUALITY.matrices},
        "train_loss_invariant": False,
        "train_loss_max_rel_diff": train["max_rel_diff"],
        "spectrum": spec.describe(),
    }
    emit(out, args.json)
    return out


def _ridgeless(args: argparse.Namespace) -> dict:
    spec = parse_spectrum(args.spectrum)
    sym = ridgeless()
    rows = check_limit("ridgeless", spec)
    smallest = [r for r in rows if r["rel_diff"] is not None and r["gamma_bar"] == min(x["gamma_bar"] for x in rows)]
    worst = max(r["rel_diff"] for r in smallest)
    matches = all(r.data["matches_closed_form"] for r in sym.values())
    out = {
        "holds": bool(matches and worst < 1e-6),
        "symbolic": {side: {"limit": str(r.expr), "closed_form": r.data["closed_form"],
                            "matches_closed_form": r.data["matches_closed_form"], "steps": r.data["steps"]}
                     for side, r in sym.items()},
        "max_rel_diff_at_smallest_ridge": worst,
        "numeric": [{k: finite_or_none(v) if isinstance(v, float) else v for k, v in r.items()} for r in rows],
        "spectrum": spec.describe(),
    }
    emit(out, args.json)
    return out


def _dispatch(args: argparse.Namespace) -> dict:
    if args.what == "duality":
        return _duality(args)
    if args.what == "ridgeless":
        return _ridgeless(args)
    raise ParameterError(f"unknown check {args.what!r}; use duality or ridgeless")  # pragma: no cover


def register(sub) -> None:
    p = sub.add_parser("verify", help="check the N <-> T duality or the ridgeless limit (symbolic + numeric)")
    p.add_argument("what", choices=["duality", "ridgeless"], help="which statement to check")
    p.add_argument("--spectrum", default="powerlaw(alpha=1, M=1000)", help='e.g. "powerlaw(alpha=1, M=1000)"')
    p.add_argument("--teacher-nu", type=float, default=0.0,
                   help="teacher weight variance w2_k = k^-nu (0 = isotropic; otherwise the duality breaks)")
    p.add_argument("--task", default=None, help=TASK_HELP + " (instead of --teacher-nu; a non-isotropic teacher "
                   "breaks the duality)")
    p.add_argument("--noise", type=ridge_arg, default=0.0,
                   help="variance of the training-label noise (default 0; noise breaks the duality)")
    p.add_argument("--sizes", type=float, nargs="+", default=[20.0, 50.0, 100.0, 300.0], help="grid of N and T")
    p.add_argument("--gamma-bars", type=float, nargs="+", default=[1e-3, 1e-1, 1.0, 10.0],
                   help="grid of gamma_bar = gamma/u_var")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=_dispatch)
