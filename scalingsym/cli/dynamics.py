"""``dynamics`` and ``compute-optimal``: the gradient-flow random-feature model of Bordelon et al."""

from __future__ import annotations

import argparse
import math

import sympy as sp

from ..core import symbols as S
from ..core.errors import ParameterError
from ..core.expressions import parse_exact_number
from ..core.parsing import parse_task
from ..models.dynamics import GradientFlowRF
from ..models.ensemble import check_ensemble, dynamics_ensemble
from ..simulate.dynamics import simulate_dynamics
from ..theory.bap_exponents import bottleneck_exponents, compute_optimal, to_plrf
from ..theory.dynamics_exponents import dynamics_exponents
from . import emit
from ._common import count_arg, finite_or_none, ridge_arg, seed_arg, size_arg


def _times(text: str) -> list[float]:
    try:
        vals = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ParameterError(f"--t must be a comma-separated list of times >= 0; got {text!r}") from None
    if not vals or any(not math.isfinite(v) or v < 0 for v in vals):
        raise ParameterError(f"--t must be a comma-separated list of finite times >= 0; got {text!r}")
    return vals


def _dynamics(args: argparse.Namespace) -> dict:
    t = _times(args.t)
    if not (math.isinf(args.M) or (args.M > 0 and args.M == int(args.M))):
        raise ParameterError(f"--M must be a positive integer or inf; got {args.M}")
    task_text = getattr(args, "task", None)
    if task_text is None and args.a is None:
        raise ParameterError("give --a (task power k^-a) or --task TASK")
    if task_text is None:
        model = GradientFlowRF.from_exponents(args.a, args.b, M=args.M)
    else:
        if args.a is not None:
            raise ParameterError("give either --a or --task, not both (--task fixes the task power)")
        spec = GradientFlowRF.power_spectrum(args.b, M=args.M)
        model = GradientFlowRF(spec, parse_task(task_text, spec))
    curve = model.loss_curve(t, N=args.N, P=args.P, nodes=args.nodes, noise=args.noise, test_noise=args.test_noise)
    out = {
        "t": t,
        "test_loss": [finite_or_none(x) for x in curve.test_loss],
        "train_loss": [finite_or_none(x) for x in curve.train_loss],
        "a": args.a,
        "b": args.b,
        "task": task_text or (f"source(a={args.a})"),
        "N": finite_or_none(args.N),
        "P": finite_or_none(args.P),
        "M": finite_or_none(args.M),
        "noise": args.noise,
        "test_noise": args.test_noise,
        "method": "deterministic equivalent; fixed-Talbot inverse Laplace ("
        + ("1-D, P = inf" if math.isinf(args.P) else "2-D two-point function")
        + ")",
        "convention": "lambda_k = k^-b, task power lambda_k w_k^2 = k^-a; gradient flow on (1/2P) sum (f-y)^2; "
        "L = E[(f-y)^2] (no 1/2); None stands for inf",
    }
    if args.simulate:
        if math.isinf(args.M):
            raise ParameterError("--simulate needs a finite --M (a finite spectrum)")
        for name in ("N", "P"):
            v = getattr(args, name)
            if not (math.isinf(v) or v == int(v)):
                raise ParameterError(f"--{name} must be an integer or inf for --simulate; got {v:g}")
        if args.ensemble != 1:
            raise ParameterError("--simulate covers a single model (--ensemble 1)")
        sim = simulate_dynamics(model.spectrum, model.task, args.N, args.P, t, seeds=args.seeds, seed=args.seed,
                                noise=args.noise, test_noise=args.test_noise)
        out.update(seeds=args.seeds, seed=args.seed,
                   sim_test_mean=[float(x) for x in sim.test_mean],
                   sim_test_stderr=[float(x) for x in sim.test_stderr],
                   sim_train_mean=[float(x) for x in sim.train_mean],
                   sim_train_stderr=[float(x) for x in sim.train_stderr])
    if args.ensemble != 1:
        if args.noise:
            raise ParameterError("--ensemble is available without --noise")
        check_ensemble(args.ensemble)
        ens = dynamics_ensemble(model, t, args.N, args.P, E=args.ensemble, data=args.ensemble_data)
        out.update(ensemble=args.ensemble, ensemble_data=args.ensemble_data, single_test_loss=out["test_loss"],
                   test_loss=[finite_or_none(x) for x in ens.loss[0]],
                   cross_term=[finite_or_none(x) for x in ens.cross])
    emit(out, args.json)
    return out


def _ex(x) -> dict:
    """``{"exact": str, "float": float}``; ``exact`` is None where the value carries a float (not exact)."""
    x = x if isinstance(x, sp.Basic) else sp.Rational(x) if isinstance(x, int) else sp.Float(x)
    exact = None if x.atoms(sp.Float) else str(x)
    return {"exact": exact, "float": float(x)}


def _compute_optimal(args: argparse.Namespace) -> dict:
    co = compute_optimal(args.a, args.b)  # validates a, b; the typed rule and the blog's formula
    av, bv = parse_exact_number(args.a, "a"), parse_exact_number(args.b, "b")
    ex = dynamics_exponents(S.k ** (-bv), S.k ** (bv - av))  # spectrum k^-b, teacher w2 = k^-(a-b): p_k = k^-a
    out = {key: _ex(ex[f"compute_optimal_{v}"].expr) for key, v in
           (("N_exponent", "N"), ("t_exponent", "t"), ("loss_exponent", "loss"))}
    bn = {"r_t": ex["r_t"].expr, "r_P": ex["r_P"].expr, "r_N": ex["r_N"].expr,
          "r_N_ensemble_bias": ex["r_N_ensemble"].expr,
          "r_N_blog": bottleneck_exponents(args.a, args.b)["r_N_blog"]}
    out.update(
        rule=co["rule"],
        balance=co["balance"],
        blog={key[5:]: _ex(co[key]) for key in ("blog_N_exponent", "blog_t_exponent", "blog_loss_exponent")},
        bottleneck={key: _ex(v) for key, v in bn.items()},
        plrf={key: _ex(v) for key, v in to_plrf(args.a, args.b).items()},
        note="C = N t at P = inf. For a-1 > b the cross term N^-1 t^-(1-1/b) sets the frontier "
        "(N* ~ C^((a-b)/a)); the blog's C^(1/(1+b)) holds only for a-1 <= b. Width exponent min(a-1, b) "
        "(single model), not the blog's min(a-1, 2b).",
    )
    emit(out, args.json)
    return out


def register(sub) -> None:
    p = sub.add_parser("dynamics", help="test and train loss curves of gradient flow (Bordelon et al.)")
    p.add_argument("--a", type=float, default=None, help="task power exponent (lambda_k w_k^2 = k^-a); or --task")
    p.add_argument("--b", type=float, required=True, help="spectrum exponent (lambda_k = k^-b)")
    p.add_argument("--task", default=None, help="teacher instead of --a: power(nu=...), source(a=...), "
                   'custom(expr="..."), file(path) (a custom or file task needs a finite --M)')
    p.add_argument("--N", type=size_arg, default=math.inf, help="model size (inf allowed; default inf)")
    p.add_argument("--P", type=size_arg, default=math.inf, help="training points (inf allowed; default inf)")
    p.add_argument("--M", type=size_arg, default=math.inf, help="number of modes (inf allowed; default inf)")
    p.add_argument("--t", required=True, help="comma-separated times, e.g. 1,10,100")
    p.add_argument("--nodes", type=int, default=None, help="Talbot nodes per half contour (default 24 / 16)")
    p.add_argument("--ensemble", type=size_arg, default=1.0, help="ensemble size E (integer or inf; default 1)")
    p.add_argument("--ensemble-data", choices=("same", "independent"), default="same",
                   help="the members share the training data (default) or draw their own")
    p.add_argument("--noise", type=ridge_arg, default=0.0, help="variance of the training-label noise (default 0)")
    p.add_argument("--test-noise", action="store_true",
                   help="measure the test loss against noisy labels (adds the noise variance)")
    p.add_argument("--simulate", action="store_true", help="add a seeded Monte Carlo of gradient flow (finite --M)")
    p.add_argument("--seeds", type=count_arg, default=16, help="Monte-Carlo draws with --simulate (default 16)")
    p.add_argument("--seed", type=seed_arg, default=0, help="seed of the Monte Carlo (default 0)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=_dynamics)

    p = sub.add_parser("compute-optimal", help="compute-optimal exponents of N, t and L for C = N t (Bordelon et al.)")
    p.add_argument("--a", type=str, required=True, help="task power exponent (exact decimals kept exact)")
    p.add_argument("--b", type=str, required=True, help="spectrum exponent")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=_compute_optimal)
