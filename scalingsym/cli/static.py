"""``loss`` and ``simulate``: the random-feature ridge model (MRS / Zhang)."""

from __future__ import annotations

import argparse
import math

import mpmath

from ..core.errors import ParameterError
from ..core.parsing import parse_spectrum, parse_task
from ..models.ensemble import check_ensemble, static_ensemble
from ..models.ridge import RandomFeatureRidge
from ..simulate.ridge import simulate_ridge
from . import emit
from ._common import check_precision, count_arg, finite_or_none, mp_str, ridge_arg, seed_arg, size_arg

TASK_HELP = 'teacher: isotropic (default), power(nu=...), source(a=...), custom(expr="..."), file(path)'


def _loss(args: argparse.Namespace) -> dict:
    spec = parse_spectrum(args.spectrum)
    task = parse_task(args.task, spec)
    model = RandomFeatureRidge(spec, task=task, noise=args.noise)
    check_precision(args.precision)
    if args.precision:
        sol, digits = model.solve_mp_verified(args.N, args.T, args.ridge, args.precision)
        out = {
            key: mp_str(getattr(sol, key), max(1, digits.get(key, args.precision)))
            for key in ("loss", "rho", "d1", "d2", "bias", "variance", "gamma_bar")
        }
        out["precision"] = args.precision
        # each value is printed with the digits that agree with a solve at more guard digits
        out["verified_digits"] = digits
    else:
        sol = model.solve(args.N, args.T, args.ridge)
        keys = ("loss", "rho", "d1", "d2", "bias", "variance", "gamma_bar")
        out = {key: finite_or_none(getattr(sol, key)) for key in keys}
    if args.ensemble != 1:
        check_ensemble(args.ensemble)
        if args.precision or args.noise:
            raise ParameterError("--ensemble is available on the float64 path without --noise")
        ens = static_ensemble(model, args.N, args.T, args.ridge, E=args.ensemble, data=args.ensemble_data)
        out.update(ensemble=args.ensemble, ensemble_data=args.ensemble_data, single_loss=out["loss"],
                   loss=finite_or_none(ens.loss[0]), ensemble_cross=finite_or_none(ens.cross))
        loss_inf = not math.isfinite(float(ens.loss[0]))  # E = inf stays finite at the ridgeless peak
    else:
        loss_inf = mpmath.isinf(sol.loss) if isinstance(sol.loss, mpmath.mpf) else sol.loss == float("inf")
    out.update(
        spectrum=spec.describe(),
        task=task.describe(),
        noise=args.noise,
        N=args.N,
        T=args.T,
        ridge=args.ridge,
        diverges=bool(loss_inf),
        convention="L = 1/2 E[(z-y)^2] per output; objective 1/2 sum (z-y)^2 + gamma/2 |theta|^2; "
        "Var(w)=sigma_w^2/M, Var(u)=sigma_u^2/M with sigma^2=1 (1 for M=inf)",
    )
    if loss_inf:
        out["loss"] = None
        out["note"] = "ridgeless interpolation peak N = T < M: the expected test loss diverges"
    emit(out, args.json)
    return out


def _simulate(args: argparse.Namespace) -> dict:
    spec = parse_spectrum(args.spectrum)
    for name in ("N", "T"):
        v = getattr(args, name)
        if not math.isfinite(v) or v != int(v) or v <= 0:
            raise ParameterError(f"{name} must be a positive integer (finite) for a simulation; got {v}")
    task = parse_task(args.task, spec)
    res = simulate_ridge(
        spec, int(args.N), int(args.T), args.ridge, seeds=args.seeds, seed=args.seed,
        teachers=args.teachers, quiet=args.quiet, task=task, noise=args.noise,
    )
    theory = RandomFeatureRidge(spec, task=task, noise=args.noise).solve(args.N, args.T, args.ridge)
    out = {
        "loss_mean": float(res.loss_mean[0]),
        "loss_stderr": float(res.loss_stderr[0]),
        "train_loss_mean": float(res.train_mean[0]),
        "theory_loss": finite_or_none(theory.loss),
        "seeds": args.seeds,
        "seed": args.seed,
        "teachers": args.teachers,
        "spectrum": spec.describe(),
        "task": task.describe(),
        "noise": args.noise,
        "N": args.N,
        "T": args.T,
        "ridge": args.ridge,
    }
    emit(out, args.json)
    return out


def register(sub) -> None:
    p = sub.add_parser("loss", help="expected test loss of the random-feature ridge model (B1)")
    p.add_argument("--spectrum", required=True, help='e.g. "powerlaw(alpha=1, M=1000)"')
    p.add_argument("--N", type=size_arg, required=True, help="number of features (inf allowed)")
    p.add_argument("--T", type=size_arg, required=True, help="number of training samples (inf allowed)")
    p.add_argument("--ridge", type=ridge_arg, default=0.0, help="ridge gamma >= 0 (default 0)")
    p.add_argument("--precision", type=int, default=None, help="significant digits (mpmath), 5..1000")
    p.add_argument("--task", default="isotropic", help=TASK_HELP)
    p.add_argument("--noise", type=ridge_arg, default=0.0, help="variance of the training-label noise (default 0)")
    p.add_argument("--ensemble", type=size_arg, default=1.0, help="ensemble size E (integer or inf; default 1)")
    p.add_argument("--ensemble-data", choices=("same", "independent"), default="same",
                   help="the members share the training data (default) or draw their own")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=_loss)

    p = sub.add_parser("simulate", help="Monte-Carlo test loss of the same model")
    p.add_argument("--spectrum", required=True)
    p.add_argument("--N", type=size_arg, required=True)
    p.add_argument("--T", type=size_arg, required=True)
    p.add_argument("--ridge", type=ridge_arg, default=0.0)
    p.add_argument("--seeds", type=count_arg, default=16, help="independent draws (default 16)")
    p.add_argument("--seed", type=seed_arg, default=0, help="seed of numpy.random.default_rng, in [0, 2**63)")
    p.add_argument("--teachers", type=count_arg, default=8, help="teacher vectors per draw (default 8)")
    p.add_argument("--task", default="isotropic", help=TASK_HELP)
    p.add_argument("--noise", type=ridge_arg, default=0.0, help="variance of the training-label noise (default 0)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_simulate)
