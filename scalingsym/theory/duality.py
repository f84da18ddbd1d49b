"""The ``N <-> T`` duality of the random-feature ridge model as a checkable object.

The transformation exchanges the number of features ``N`` and the number of samples ``T`` **at fixed**
``gamma_bar = gamma / u_var``, spectrum ``lambda_k`` and teacher variance ``w_var``. On the matrices it exchanges
the feature Wishart ``V = H^T H`` (``N`` degrees of freedom) with the whitened data Wishart ``W = G^T G``
(``T`` degrees of freedom), ``Lambda`` staying between them (see :mod:`scalingsym.theory.diagrams`). It is a symmetry
only when the teacher is isotropic (``E[w_k^2]`` constant, task power proportional to ``lambda_k``): then, for
every draw, the teacher-averaged test error ``w_var gamma_bar^2 tr[Lambda (WK+gamma_bar)^-1 (KW+gamma_bar)^-1]``
is unchanged by ``V <-> W`` (push-through identity ``Lambda^{1/2}(WK+g)^{-1} = (LV+g)^{-1}Lambda^{1/2}`` with
``L = Lambda^{1/2} W Lambda^{1/2}``), so the expected loss is symmetric **at every finite size**, not only in the
deterministic equivalent.

Invariant: the self-consistent equation (B1a), ``rho``, ``d1``, ``d2``, the test loss (B1b). Not invariant: the
training loss (:data:`TRAIN_LOSS`), and the test loss of a non-isotropic teacher.

Training loss (derived here). For fixed features ``u`` the labels are a linear function of the Gaussian
features plus an independent Gaussian residual, so the generalised-cross-validation identity of ridge
regression holds: mean squared training residual ``= (gamma/(T kappa))^2 x`` test error, with the inner
renormalised ridge ``kappa`` of ``static_rf_ridge.md`` B1 (step 1), ``gamma/(T kappa) = 1 - d1/T``. With the
objective's unnormalised sum over samples, ``L_train = 1/2 sum_alpha (z - y)^2 = (T - d1)^2 / T * L_test``
(leading order; any teacher). At ``gamma = 0``, ``N < T`` this is ``(T - N) w_var Delta_N / 2``, the exact
least-squares value.

Examples
--------
>>> v = verify(NT_DUALITY, "loss")
>>> v.holds, v.difference
(True, 0)
>>> verify(NT_DUALITY, "train_loss").holds
False
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from ..core import symbols as S
from ..core.errors import ParameterError
from ..core.expressions import to_sympy
from ..core.spectra import Spectrum
from ..core.tasks import Task
from ..models.ridge import LOSS_B1B, SADDLE, RandomFeatureRidge

__all__ = [
    "NT_DUALITY",
    "TRAIN_LOSS",
    "Duality",
    "Verdict",
    "grid_check",
    "train_loss",
    "verify",
]

#: Expected training loss ``1/2 sum_alpha (z - y)^2`` (leading order, any teacher): GCV identity.
TRAIN_LOSS = (S.T - S.d1) ** 2 / S.T * LOSS_B1B


@dataclass(frozen=True)
class Duality:
    """A substitution on the model's symbols plus what it fixes and what it requires.

    Parameters
    ----------
    name : str
    mapping : dict
        Simultaneous substitution (``{N: T, T: N}``).
    fixed : tuple of str
        What is held fixed.
    requires : str
        The condition under which it is a symmetry.
    matrices : str
        Its action on the random matrices.
    """

    name: str
    mapping: dict
    fixed: tuple[str, ...]
    requires: str
    matrices: str

    def apply(self, expr: sp.Expr) -> sp.Expr:
        """The transformed expression (simultaneous substitution)."""
        if isinstance(expr, sp.Eq):
            return sp.Eq(self.apply(expr.lhs), self.apply(expr.rhs))
        return to_sympy(expr, "expr").subs(self.mapping, simultaneous=True)

    def __call__(self, expr: sp.Expr) -> sp.Expr:
        return self.apply(expr)


NT_DUALITY = Duality(
    name="N <-> T",
    mapping={S.N: S.T, S.T: S.N},
    fixed=("gamma_bar = gamma/u_var", "lambda_k", "w_var"),
    requires="isotropic teacher (E[w_k^2] constant, task power proportional to lambda_k)",
    matrices="V = H^T H (N dof) <-> W = G^T G (T dof), Lambda fixed between them",
)


@dataclass
class Verdict:
    """Outcome of :func:`verify`: a proof (steps ending in 0) or a counterexample with numbers."""

    quantity: str
    holds: bool
    method: str
    steps: list[str] = field(default_factory=list)
    difference: Any = None
    counterexample: dict | None = None
    max_rel_diff: float | None = None

    def as_dict(self) -> dict:
        """JSON-friendly summary."""
        return {
            "quantity": self.quantity,
            "holds": bool(self.holds),
            "method": self.method,
            "steps": list(self.steps),
            "difference": str(self.difference),
            "counterexample": self.counterexample,
            "max_rel_diff": self.max_rel_diff,
        }

    def __str__(self) -> str:
        head = f"{self.quantity}: {'invariant' if self.holds else 'NOT invariant'} ({self.method})"
        return "\n".join([head, *("  " + s for s in self.steps)])


def _symbolic(duality: Duality, name: str, expr) -> Verdict:
    lhs = expr.lhs - expr.rhs if isinstance(expr, sp.Eq) else expr
    img = duality.apply(lhs)
    diff = sp.expand(sp.together(lhs - img))
    simp = sp.simplify(diff)
    steps = [
        f"Q = {sp.sstr(lhs)}",
        f"Q' = Q[{duality.name}] = {sp.sstr(img)}",
        f"Q - Q' = {sp.sstr(sp.together(lhs - img))}",
        f"expand numerator: {sp.sstr(sp.numer(sp.together(diff)))}",
        f"simplify(Q - Q') = {sp.sstr(simp)}",
    ]
    return Verdict(name, simp == 0, "symbolic", steps, simp)


def verify(duality: Duality, quantity: str | sp.Expr, spectrum: Spectrum | None = None, **kw) -> Verdict:
    """Check whether ``quantity`` is invariant under ``duality``.

    Parameters
    ----------
    duality : Duality
        Normally :data:`NT_DUALITY`.
    quantity : str or sympy expression
        ``"saddle"`` (B1a), ``"rho"``, ``"d1"``, ``"d2"``, ``"loss"`` (B1b), ``"train_loss"``
        (:data:`TRAIN_LOSS`), ``"loss_teacher"`` (test loss for ``Task.power(nu)``, needs ``spectrum`` and
        ``nu``), or any sympy expression in the model symbols.
    spectrum : Spectrum, optional
        Used for numbers (counterexamples; ``loss_teacher``).
    **kw
        ``nu`` (teacher power for ``loss_teacher``), ``grid`` (``(Ns, Ts, gammas)`` for numeric checks).

    Returns
    -------
    Verdict
        ``holds``; for a symbolic proof the steps end in ``0``; for a failure a counterexample with numbers.
    """
    if not isinstance(duality, Duality):
        raise ParameterError(f"duality must be a Duality; got {type(duality).__name__}")
    if isinstance(quantity, sp.Basic):
        return _symbolic(duality, str(quantity), quantity)
    q = str(quantity)
    if q == "saddle":
        return _symbolic(duality, q, SADDLE)
    if q == "loss":
        v = _symbolic(duality, q, LOSS_B1B)
        v.steps.append(
            "finite size: per draw, E_w error = w_var gbar^2 tr[Lambda (WK+gbar)^-1 (KW+gbar)^-1] is symmetric under "
            "V <-> W by push-through (finite_size_identity), so the expected loss is symmetric exactly"
        )
        return v
    if q in ("rho", "d1", "d2"):
        sad = _symbolic(duality, "saddle", SADDLE)
        steps = [
            *sad.steps,
            "the branch condition d1 < min(N, T) is symmetric",
            "rho is the unique root of (B1a) on that branch (left side monotone in rho), so rho(N,T) = rho(T,N)",
        ]
        if q != "rho":
            steps.append(f"{q} = sum_k ... at rho depends on (N, T) only through rho: invariant")
        return Verdict(q, sad.holds, "symbolic (uniqueness of the physical root)", steps, sad.difference)
    if q == "train_loss":
        v = _symbolic(duality, q, TRAIN_LOSS)
        ratio = sp.simplify(TRAIN_LOSS / duality.apply(TRAIN_LOSS))
        v.steps.append(f"ratio Q/Q' = {sp.sstr(ratio)} (using the invariance of rho, d1, d2 and the test loss)")
        spec = spectrum or _default_spectrum()
        model = RandomFeatureRidge(spec)
        N, T, g = 50.0, 200.0, model.u_var  # gamma_bar = 1
        a, b = train_loss(model, N, T, g), train_loss(model, T, N, g)
        v.counterexample = {
            "spectrum": spec.describe(), "N": N, "T": T, "gamma": g,
            "train(N,T)": float(a), "train(T,N)": float(b), "rel_diff": float(abs(a - b) / max(abs(a), abs(b))),
        }
        return v
    if q == "loss_teacher":
        nu = float(kw.get("nu", 1.0))
        spec = spectrum or _default_spectrum()
        model = RandomFeatureRidge(spec, task=Task.power(nu))
        res = grid_check(model, grid=kw.get("grid"))
        holds = res["max_rel_diff"] < 1e-10
        steps = [
            f"teacher w2_k = k^-{nu:g}: no closed form symmetric in (N, T); the two-point deterministic "
            "equivalent (dynamics sheet B4) is evaluated on a grid",
            f"max relative difference L(N,T) vs L(T,N) over the grid: {res['max_rel_diff']:.3e}",
        ]
        return Verdict(q, holds, "numeric", steps, None, None if holds else res["worst"], res["max_rel_diff"])
    raise ParameterError(
        f"unknown quantity {quantity!r}; use saddle, rho, d1, d2, loss, train_loss, loss_teacher or a sympy expression"
    )


def _default_spectrum() -> Spectrum:
    from ..core.spectra import PowerLaw

    return PowerLaw(alpha=1, M=1000)


def train_loss(model: RandomFeatureRidge, N: Any, T: Any, gamma: Any) -> Any:
    """Expected training loss ``1/2 sum_alpha (z - y)^2`` (leading order): ``(T - d1)^2/T * L_test``.

    ``0`` where the student interpolates (``gamma = 0`` and ``T <= N``).

    >>> from scalingsym.core.spectra import PowerLaw
    >>> m = RandomFeatureRidge(PowerLaw(alpha=1, M=1000))
    >>> sol = m.solve(50, 200, 0.0)
    >>> round(float(train_loss(m, 50, 200, 0.0) / (150 * m.w_var * 50 * sol.rho / 2)), 12)
    1.0
    """
    sol = model.solve(N, T, gamma)
    T_ = np.asarray(sol.T, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        out = (T_ - sol.d1) ** 2 / T_ * sol.loss
    interp = (np.asarray(sol.gamma_bar) == 0) & (T_ <= np.asarray(sol.N))
    out = np.where(interp, 0.0, out)
    return float(out) if np.ndim(out) == 0 else out


def _grid(grid):
    if grid is None:
        Ns = np.array([20.0, 50.0, 100.0, 300.0])
        return Ns, Ns.copy(), np.array([1e-3, 1e-1, 1.0, 10.0])
    Ns, Ts, gs = (np.asarray(v, dtype=np.float64) for v in grid)
    return Ns, Ts, gs


def grid_check(model: RandomFeatureRidge, quantity: str = "loss", grid=None) -> dict:
    """Max relative difference of ``quantity(N, T, gamma)`` and ``quantity(T, N, gamma)`` over a grid.

    ``grid = (Ns, Ts, gammas)`` (default ``N, T in {20, 50, 100, 300}``, ``gamma_bar in {1e-3, 0.1, 1, 10}``,
    i.e. ``gamma = gamma_bar * u_var``). ``quantity``: ``loss``, ``rho``, ``d1``, ``train_loss``.
    """
    Ns, Ts, gbs = _grid(grid)
    NN, TT, GG = np.meshgrid(Ns, Ts, gbs * model.u_var, indexing="ij")
    NN, TT, GG = NN.ravel(), TT.ravel(), GG.ravel()
    keep = NN != TT
    NN, TT, GG = NN[keep], TT[keep], GG[keep]
    if quantity == "train_loss":
        a, b = train_loss(model, NN, TT, GG), train_loss(model, TT, NN, GG)
    elif quantity in ("loss", "rho", "d1", "d2"):
        a = getattr(model.solve(NN, TT, GG), quantity)
        b = getattr(model.solve(TT, NN, GG), quantity)
    else:
        raise ParameterError(f"quantity must be loss, rho, d1, d2 or train_loss; got {quantity!r}")
    rel = np.abs(a - b) / np.maximum(np.abs(a), np.abs(b))
    i = int(np.argmax(rel))
    return {
        "max_rel_diff": float(rel[i]),
        "points": int(rel.size),
        "worst": {"N": float(NN[i]), "T": float(TT[i]), "gamma": float(GG[i]), "gamma_bar": float(GG[i] / model.u_var),
                  "value(N,T)": float(a[i]), "value(T,N)": float(b[i])},
    }




