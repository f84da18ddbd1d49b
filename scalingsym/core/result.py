"""``Result``: what a derivation hands the user.

A result holds a sympy expression (``lhs = rhs``), the regime it holds in (sympy inequalities), where it
comes from, whether it is exact or leading order, and methods to evaluate it (numpy / mpmath), render
it (LaTeX) and compare it with a number.

Examples
--------
>>> from scalingsym.core import symbols as S
>>> r = Result("ridgeless MRS law", S.Delta / (1 - S.n / S.m), lhs=S.L,
...            regime=(S.n < S.m,), source="MRS (B2)")
>>> r.evaluate(Delta=1.0, n=1.0, m=2.0)
2.0
>>> print(r.to_latex(label="eq:mrs"))
% ridgeless MRS law. Source: MRS (B2). Regime: n < m. Exactness: leading order
\\begin{equation}
  \\label{eq:mrs}
  \\hat{\\mathcal{L}} = \\frac{\\Delta}{1 - \\frac{n}{m}}
\\end{equation}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import mpmath
import sympy as sp

from .latex import equation, to_latex


@dataclass
class Result:
    """A derived law with its regime, provenance and renderers.

    Parameters
    ----------
    name : str
        Short human-readable name.
    expr : sympy.Expr
        The right-hand side.
    lhs : sympy.Expr, optional
        The left-hand side (e.g. the loss symbol); ``None`` renders ``expr`` alone.
    regime : tuple of sympy relations
        Conditions (inequalities between ``N``, ``T``, ``gamma``, ``M``) under which it holds.
    source : str
        Paper / equation / derivation it comes from.
    exact : bool
        ``True`` for an exact identity, ``False`` for a leading-order (asymptotic) law.
    order : str, optional
        The first neglected term, for asymptotic laws.
    convention : str
        Normalisation conventions in force.
    data : dict
        Extra named numbers or expressions (exponents, prefactors, crossover scales).
    """

    name: str
    expr: sp.Expr
    lhs: sp.Expr | None = None
    regime: tuple = ()
    source: str = ""
    exact: bool = False
    order: str | None = None
    convention: str = "canonical (scalingsym.symbols)"
    data: dict = field(default_factory=dict)

    # ----- evaluation ---------------------------------------------------------------------------
    @property
    def free_symbols(self) -> list[sp.Symbol]:
        """Free symbols of ``expr`` sorted by name (the argument order of the compiled callables)."""
        return sorted(self.expr.free_symbols, key=lambda s: s.name)

    def numpy(self):
        """``expr`` compiled to a numpy callable of :attr:`free_symbols` (keyword arguments work)."""
        return sp.lambdify(self.free_symbols, self.expr, "numpy")

    def mpmath(self):
        """``expr`` compiled to an mpmath callable (evaluates at the caller's precision)."""
        return sp.lambdify(self.free_symbols, self.expr, "mpmath")

    def evaluate(self, **values: Any) -> float:
        """Evaluate in float64 with symbol names as keywords."""
        f = self.numpy()
        return float(f(**{s.name: values[s.name] for s in self.free_symbols}))

    def evaluate_mp(self, dps: int = 50, **values: Any):
        """Evaluate with mpmath at ``dps`` digits."""
        with mpmath.workdps(dps):
            f = self.mpmath()
            return f(**{s.name: mpmath.mpf(str(values[s.name])) for s in self.free_symbols})

    # ----- rendering ----------------------------------------------------------------------------
    def latex_body(self) -> str:
        """The equation without an environment."""
        body = to_latex(self.expr)
        return f"{to_latex(self.lhs)} = {body}" if self.lhs is not None else body

    def comment(self) -> str:
        """The LaTeX comment: name, source, regime, exactness, convention."""
        reg = ", ".join(str(r) for r in self.regime) or "all parameters"
        kind = "exact" if self.exact else "leading order" + (f" (next: {self.order})" if self.order else "")
        return f"{self.name}. Source: {self.source or 'scalingsym'}. Regime: {reg}. Exactness: {kind}"

    def to_latex(self, label: str | None = None, env: str = "equation") -> str:
        """An amsmath ``equation`` (or ``align``) with a label; regime and convention as a comment."""
        return equation(self.latex_body(), label=label, comment=self.comment(), env=env)

    def _repr_latex_(self) -> str:
        return f"$\\displaystyle {self.latex_body()}$"

    def __str__(self) -> str:
        lhs = f"{self.lhs} = " if self.lhs is not None else ""
        return f"{self.name}: {lhs}{self.expr}"
