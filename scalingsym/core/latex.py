"""LaTeX output: one printer with the package's symbol names, and amsmath environments.

Examples
--------
>>> from scalingsym.core import symbols as S
>>> to_latex(S.gamma_bar / (S.N * S.T))
'\\\\frac{\\\\bar{\\\\gamma}}{N T}'
"""

from __future__ import annotations

import sympy as sp

from .symbols import LATEX_NAMES


def to_latex(expr: sp.Basic, **options) -> str:
    """``sympy.latex`` with the package's symbol names (``gammabar`` -> ``\\bar{\\gamma}``)."""
    names = dict(LATEX_NAMES)
    names.update(options.pop("symbol_names", {}))
    return sp.latex(expr, symbol_names=names, **options)


def equation(body: str, label: str | None = None, comment: str | None = None, env: str = "equation") -> str:
    """Wrap ``body`` in an amsmath environment with an optional label and a leading LaTeX comment."""
    lines = []
    if comment:
        lines += [f"% {line}" for line in comment.splitlines()]
    lines.append(f"\\begin{{{env}}}")
    if label:
        lines.append(f"  \\label{{{label}}}")
    lines.append(f"  {body}")
    lines.append(f"\\end{{{env}}}")
    return "\n".join(lines)
