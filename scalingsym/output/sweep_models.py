"""The models a sweep evaluates: their dimensions, the seeds of their draws, their memory, one chunk of each.

Three models, each with its own dimensions (:data:`BASE_DIMS`) and optional extra ones (:data:`EXTRA_DIMS`):

* ``ridge`` -- the random-feature ridge model, ``(N, T, gamma)`` or ``(N, T, s)`` with the normalised
  regulariser ``s = gamma_bar/(N T)`` (``gamma_bar = gamma/u_var``), which is the finite form of the
  ``N = inf`` (kernel ridge) and ``T = inf`` (infinite data) limits; extras ``E`` (ensembles,
  :mod:`scalingsym.models.ensemble`), ``noise`` (label-noise variance) and a task parameter;
* ``dynamics`` -- gradient flow, ``(N, T, t)`` with ``T`` the number of training points ``P``; extras ``E``
  and a task parameter;
* ``sgd`` -- one-pass SGD, ``(N, B, lr, steps)`` (:mod:`scalingsym.models.sgd`); extra a task parameter.

The task parameters are ``nu`` (``power(nu=...)``, ``w2_k = k^-nu``) and ``a`` (``source(a=...)``, task power
``lambda_k w2_k ~ k^-a``).

Seeds. Draw ``k`` at a point is seeded with the first 63 bits of
``SeedSequence(seed, spawn_key=(N, T, k, tag_1, x_1, tag_2, x_2, ...))`` (:func:`spawn_key`): ``N`` and ``T`` as
integers (``inf``, and the ``T`` of one-pass SGD, as ``2**64``), then, sorted by name, one pair per coordinate of
:data:`SEEDED_DIMS` that the sweep has (``tag`` a 32-bit hash of the dimension's name, ``x`` the IEEE-754 bits of
its value). A sweep over ``N, T, gamma`` only therefore has the spawn key ``(N, T, k)``. The axes evaluated
along one draw share it (common random numbers): the ridges ``gamma`` / ``s``, the times ``t`` and ``steps``, and
the ensemble size ``E`` (the ``E``-member ensemble is the first ``E`` members of one draw, as in
:mod:`scalingsym.simulate.ensemble`); every other coordinate (``noise``, ``nu``, ``a``, ``B``, ``lr``) changes what
is drawn and has draws of its own.

Examples
--------
>>> spawn_key(0, 100, 200, 3)
(100, 200, 3)
>>> len(spawn_key(0, 100, 200, 3, {"noise": 0.1}))
5
>>> point_seed(0, 100, 200, 3) == point_seed(0, 100, 200, 3) != point_seed(0, 100, 200, 3, {"noise": 0.0})
True
"""

from __future__ import annotations

import hashlib
import math

import numpy as np

from ..core.tasks import Task
from ..simulate.draws import check_seed

MODELS = ("ridge", "dynamics", "sgd")
#: the dimensions of each model, in order (the ridge model's third is ``gamma`` or ``s``)
BASE_DIMS = {"ridge": ("N", "T", "gamma"), "dynamics": ("N", "T", "t"), "sgd": ("N", "B", "lr", "steps")}
#: the optional dimensions each model takes, in the order they follow its base dimensions
EXTRA_DIMS = {"ridge": ("E", "noise", "nu", "a"), "dynamics": ("E", "nu", "a"), "sgd": ("nu", "a")}
#: dimensions whose value changes the model (one model object per value)
VARIANT_DIMS = ("noise", "nu", "a")
TASK_DIMS = ("nu", "a")
#: coordinates that enter the spawn key of a draw (besides N, T and the draw index)
SEEDED_DIMS = ("B", "a", "lr", "noise", "nu")
#: dimensions computed in one call along their whole grid (never chunked)
CURVE_DIMS = ("t", "steps")
#: the spawn-key value of an infinite size
INF_KEY = 2**64

RIDGE_CONVENTION = (
    "L = 1/2 E[(z-y)^2] per output; objective 1/2 sum (z-y)^2 + gamma/2 |theta|^2; "
    "Var(w)=sigma_w^2/M, Var(u)=sigma_u^2/M with sigma^2=1 (1 for M=inf)"
)
DYNAMICS_CONVENTION = (
    "L = E_x (f - y)^2 = v^T Lambda v (no 1/2); gradient flow on (1/2P) sum (f - y)^2 from theta = 0; "
    "f = theta . A psi / sqrt(N), A_ik ~ N(0, 1), psi ~ N(0, Lambda), teacher w*_k = sqrt(w2_k); T = P"
)
SGD_CONVENTION = (
    "L = E_x (f - y)^2 = v^T Lambda v (no 1/2); one-pass SGD from theta = 0, a fresh batch of B samples per "
    "step and the step lr on (1/2B) sum_b (f_b - y_b)^2 (t = lr * steps); f = theta . A psi / sqrt(N), "
    "A_ik ~ N(0, 1), psi ~ N(0, Lambda), teacher w*_k = sqrt(w2_k)"
)
CONVENTIONS = {"ridge": RIDGE_CONVENTION, "dynamics": DYNAMICS_CONVENTION, "sgd": SGD_CONVENTION}
SEED_DERIVATION = (
    "draw k at (N, T): first 63 bits of numpy.random.SeedSequence(seed, spawn_key=(N, T, k[, tag, bits]...)) "
    "with inf (and the T of one-pass SGD) as 2**64 and, sorted by name, one (32-bit name hash, float64 bits) "
    f"pair per coordinate among {list(SEEDED_DIMS)}; gamma, s, t, steps and E share the draw"
)


def _size_key(v: float) -> int:
    v = float(v)
    return INF_KEY if math.isinf(v) else int(v)


def _dim_tag(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "little")


def _float_bits(v: float) -> int:
    return int(np.array([float(v) + 0.0], dtype=np.float64).view(np.uint64)[0])


def spawn_key(seed: int, N: float, T: float, index: int, extra: dict[str, float] | None = None) -> tuple[int, ...]:
    """The spawn key of draw ``index`` at ``(N, T)`` and the seeded coordinates ``extra`` (see the module docstring).

    ``seed`` is not part of the key (it is the entropy of the ``SeedSequence``); it is taken for symmetry with
    :func:`point_seed` and checked.
    """
    check_seed(seed)
    key: tuple[int, ...] = (_size_key(N), _size_key(T), int(index))
    for name in sorted(extra or {}):
        key += (_dim_tag(name), _float_bits(extra[name]))
    return key


def point_seed(seed: int, N: float, T: float, index: int, extra: dict[str, float] | None = None) -> int:
    """The seed of Monte-Carlo draw ``index`` at ``(N, T)`` (and ``extra``): 63 bits of its ``SeedSequence``.

    Examples
    --------
    >>> point_seed(0, 100, 200, 3) == point_seed(0, 100, 200, 3) != point_seed(0, 100, 200, 4)
    True
    """
    ss = np.random.SeedSequence(check_seed(seed), spawn_key=spawn_key(seed, N, T, index, extra))
    return int(ss.generate_state(1, np.uint64)[0] >> np.uint64(1))


# ------------------------------------------------------------------------------ memory ----------
def simulation_bytes(N: int, T: int, M: int, teachers: int) -> int:
    """Estimated peak memory of one ridge simulation draw: the ``M x max(N, T)`` draws, ``T x N`` features, the SVD.

    Counts ``u`` (``N x M``), ``X`` (``T x M``), the features and their copy in LAPACK (``2 T N``), the thin
    factors ``U``, ``V`` (``r (N + T)``, ``r = min(N, T)``), ``u^T V`` (``M r``) and the teacher arrays.

    Examples
    --------
    >>> simulation_bytes(100, 100, 1000, 8) > 8 * 2 * 100 * 1000
    True
    """
    N, T, M, k = (int(v) for v in (N, T, M, teachers))
    r = min(N, T)
    floats = N * M + T * M + 2 * T * N + r * (N + T) + M * r + 4 * M * k + 2 * T * k
    return 8 * floats


def dynamics_bytes(N: float, P: float, M: int, times: int) -> int:
    """Estimated peak memory of one gradient-flow draw: ``A`` (``N x M``), ``Psi`` (``P x M``), the SVD, the curves.

    ``N = inf`` drops ``A`` (the features are the latent modes), ``P = inf`` drops ``Psi``.

    Examples
    --------
    >>> dynamics_bytes(100, float("inf"), 1000, 10) >= 8 * 2 * 100 * 1000
    True
    """
    M, nt = int(M), int(times)
    n = M if math.isinf(float(N)) else int(N)
    p = 0 if math.isinf(float(P)) else int(P)
    r = min(n, p) if p else min(n, M)
    floats = 2 * n * M + p * M + 2 * p * n + r * (p + n + M) + 4 * M * nt + 2 * r * nt
    return 8 * floats


def sgd_bytes(N: int, B: int, M: int) -> int:
    """Estimated peak memory of one one-pass SGD draw (reduced sampler): ``A``, its scaled copy, the SVD, a batch.

    Examples
    --------
    >>> sgd_bytes(100, 8, 1000) >= 8 * 2 * 100 * 1000
    True
    """
    N, B, M = int(N), int(B), int(M)
    r = min(N, M)
    return 8 * (3 * N * M + M * r + 2 * B * r + 4 * r)


# ------------------------------------------------------------------------------ tasks ------------
def task_for(spec, base: Task | None, values: dict[str, float]) -> Task | None:
    """The teacher of a point: ``power(nu=...)`` or ``source(a=...)`` from its coordinates, else ``base``."""
    if "nu" in values:
        return Task.power(values["nu"])
    if "a" in values:
        from ..core.parsing import parse_task

        return parse_task(f"source(a={float(values['a'])!r})", spec)
    return base


__all__ = [
    "BASE_DIMS", "CONVENTIONS", "CURVE_DIMS", "EXTRA_DIMS", "INF_KEY", "MODELS", "SEEDED_DIMS", "SEED_DERIVATION",
    "TASK_DIMS", "VARIANT_DIMS", "dynamics_bytes", "point_seed", "sgd_bytes", "simulation_bytes", "spawn_key",
    "task_for",
]
