"""``spectrum``: measure a bundled data set's covariance spectrum and fit its power law."""

from __future__ import annotations

import argparse

from ..core.errors import ParameterError
from ..data.datasets import available_datasets, load_dataset
from ..data.empirical import empirical_spectrum
from . import emit


def _spectrum(args: argparse.Namespace) -> dict:
    if not 0 <= args.n_boot <= 100_000:
        raise ParameterError(f"--n-boot must be an integer in [0, 100000]; got {args.n_boot}")
    if not 0 < args.confidence < 1:
        raise ParameterError(f"--confidence must be in (0, 1); got {args.confidence}")
    fit_range = None
    if args.fit_range is not None:
        fit_range = tuple(args.fit_range)
    data = load_dataset(args.dataset)
    es = empirical_spectrum(
        data.X, fit_range=fit_range, n_boot=args.n_boot, confidence=args.confidence, seed=args.seed, name=data.name
    )
    out = es.as_dict()
    out["description"] = data.description
    out["seed"] = args.seed
    if args.eigenvalues:
        out["eigenvalues"] = [float(v) for v in es.eigenvalues]
    emit(out, args.json)
    return out


def register(sub) -> None:
    p = sub.add_parser(
        "spectrum",
        help="covariance spectrum of a bundled data set, its power-law exponent and the predicted loss exponent",
        description="Needs the optional packages scikit-learn and scikit-image (pip install scalingsym[data]).",
    )
    p.add_argument("--dataset", required=True, choices=available_datasets(), help="bundled data set")
    p.add_argument("--n-boot", type=int, default=200, help="bootstrap replicates for the interval (default 200)")
    p.add_argument("--confidence", type=float, default=0.95, help="interval coverage (default 0.95)")
    p.add_argument("--seed", type=int, default=0, help="seed of the bootstrap (numpy.random.default_rng)")
    p.add_argument("--fit-range", type=int, nargs=2, metavar=("K_LO", "K_HI"), default=None,
                   help="fixed fit range of ranks (default: chosen automatically)")
    p.add_argument("--eigenvalues", action="store_true", help="also print all eigenvalues")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=_spectrum)
