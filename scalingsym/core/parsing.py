"""Spectrum strings: ``powerlaw(...)``, ``custom(expr=...)`` and ``file(path)`` to a :class:`Spectrum`.

* ``powerlaw(alpha=1, M=1000, lambda_plus=1)`` (``M=inf`` allowed),
* ``custom(expr="k**-2*log(k+1)**2", M=inf)`` (the expression goes through the safe parser,
  :func:`scalingsym.core.expressions.parse_expression`),
* ``file(path)`` or ``file("path")``: a ``.npy`` or text list of eigenvalues.

Examples
--------
>>> parse_spectrum("powerlaw(alpha=1, M=1000)").describe()
'powerlaw(alpha=1, M=1000, lambda_plus=1)'
"""

from __future__ import annotations

import ast
import math
from pathlib import Path

import numpy as np

from .errors import SpectrumParseError
from .expressions import parse_expression
from .spectra import ArraySpectrum, ExprSpectrum, PowerLaw

__all__ = ["load_spectrum_file", "parse_expression", "parse_spectrum"]


def _literal(node: ast.AST, key: str):
    value = getattr(node, "value", None)
    if isinstance(node, ast.Constant) and isinstance(value, (int, float, str)) and not isinstance(value, bool):
        return value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
        v = node.operand.value
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return -v
    if isinstance(node, ast.Name) and node.id in ("inf", "oo", "infinity"):
        return math.inf
    if isinstance(node, ast.Name) and key == "path":
        return node.id
    raise SpectrumParseError(f"argument {key} must be a number or a quoted string; got {ast.unparse(node)!r}")


def _number(value, key: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise SpectrumParseError(f"argument {key} must be a number; got {value!r}") from None


def parse_spectrum(text: str):
    """Build a :class:`~scalingsym.core.spectra.Spectrum` from a spectrum string (see module docstring)."""
    if not isinstance(text, str) or not text.strip():
        raise SpectrumParseError("spectrum must be a non-empty string such as 'powerlaw(alpha=1, M=1000)'")
    stripped = text.strip()
    if stripped.startswith("file(") and stripped.endswith(")"):
        inner = stripped[5:-1].strip()
        if inner.startswith("path="):
            inner = inner[5:].strip()
        if len(inner) >= 2 and inner[0] == inner[-1] and inner[0] in "'\"":
            inner = inner[1:-1]
        return load_spectrum_file(inner)
    try:
        tree = ast.parse(stripped, mode="eval")
    except SyntaxError as exc:
        raise SpectrumParseError(f"cannot parse spectrum {text!r}: {exc.msg}") from None
    call = tree.body
    if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name):
        raise SpectrumParseError(
            f"spectrum must look like powerlaw(...), custom(expr=..., M=...) or file(path); got {text!r}"
        )
    kind = call.func.id
    kwargs = {kw.arg: _literal(kw.value, kw.arg or "?") for kw in call.keywords}
    if None in kwargs:
        raise SpectrumParseError("** arguments are not allowed in a spectrum string")
    if kind == "powerlaw":
        if call.args:
            raise SpectrumParseError("powerlaw takes keyword arguments: powerlaw(alpha=..., M=..., lambda_plus=...)")
        unknown = set(kwargs) - {"alpha", "M", "lambda_plus"}
        if unknown or "alpha" not in kwargs:
            raise SpectrumParseError(
                f"powerlaw needs alpha and accepts M and lambda_plus; got {sorted(kwargs)}"
            )
        return PowerLaw(
            alpha=_number(kwargs["alpha"], "alpha"),
            M=_number(kwargs.get("M", math.inf), "M"),
            lambda_plus=_number(kwargs.get("lambda_plus", 1.0), "lambda_plus"),
        )
    if kind == "custom":
        args = [_literal(a, "expr") for a in call.args]
        if args:
            kwargs.setdefault("expr", args[0])
        unknown = set(kwargs) - {"expr", "M"}
        if unknown or not isinstance(kwargs.get("expr"), str):
            raise SpectrumParseError('custom needs expr="..." (a quoted string) and accepts M')
        return ExprSpectrum(kwargs["expr"], M=_number(kwargs.get("M", math.inf), "M"))
    raise SpectrumParseError(f"unknown spectrum kind {kind!r}; use powerlaw, custom or file")


def load_spectrum_file(path: str):
    """Read eigenvalues from a ``.npy`` file or a whitespace/comma separated text file."""
    p = Path(path)
    if not p.is_file():
        raise SpectrumParseError(f"spectrum file not found: {path}")
    try:
        if p.suffix == ".npy":
            values = np.load(p, allow_pickle=False)
        else:
            values = np.array(p.read_text().replace(",", " ").split(), dtype=np.float64)
    except (ValueError, OSError) as exc:
        raise SpectrumParseError(f"cannot read eigenvalues from {path}: {exc}") from None
    return ArraySpectrum(values, name=f"file({path})")
