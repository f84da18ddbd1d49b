"""Safe parsing of user expressions and spectrum strings (no ``eval`` of arbitrary code).

A user expression is parsed with :mod:`ast` and rebuilt node by node into sympy. Only numbers, the
variable ``k`` (and other whitelisted names), arithmetic operators and whitelisted functions are
accepted; anything else (attributes, subscripts, lambdas, dunder names, strings, calls to unknown
functions) is rejected with :class:`~scalingsym.errors.SpectrumParseError`.

Spectrum strings:

* ``powerlaw(alpha=1, M=1000, lambda_plus=1)`` (``M=inf`` allowed),
* ``custom(expr="k**-2*log(k+1)**2", M=inf)``,
* ``file(path)`` or ``file("path")``: a ``.npy`` or text list of eigenvalues.

Examples
--------
>>> parse_expression("k**-2*log(k+1)**2")
log(k + 1)**2/k**2
>>> parse_spectrum("powerlaw(alpha=1, M=1000)").describe()
'powerlaw(alpha=1, M=1000, lambda_plus=1)'
>>> parse_expression("__import__('os').system('x')")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
scalingsym.errors.SpectrumParseError: unsupported expression: calls are only allowed to the functions ...
"""

from __future__ import annotations

import ast
import math
from pathlib import Path

import numpy as np
import sympy as sp

from . import symbols as S
from .errors import SpectrumParseError

_FUNCS = {
    "exp": sp.exp,
    "log": sp.log,
    "sqrt": sp.sqrt,
    "sin": sp.sin,
    "cos": sp.cos,
    "tan": sp.tan,
    "sinh": sp.sinh,
    "cosh": sp.cosh,
    "tanh": sp.tanh,
    "asin": sp.asin,
    "acos": sp.acos,
    "atan": sp.atan,
    "abs": sp.Abs,
    "erf": sp.erf,
    "gamma": sp.gamma,
    "zeta": sp.zeta,
}
_CONSTS = {"pi": sp.pi, "E": sp.E, "e": sp.E, "oo": sp.oo, "inf": sp.oo}
_BINOPS = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}
_MAX_LEN = 2000


def parse_expression(text: str, variables: dict[str, sp.Symbol] | None = None) -> sp.Expr:
    """Parse ``text`` into a sympy expression in ``k`` (or the given ``variables``) without ``eval``.

    Parameters
    ----------
    text : str
        Python-style arithmetic, e.g. ``"k**-2*log(k+1)**2"``; ``^`` is read as a power.
    variables : dict, optional
        Allowed variable names (default ``{"k": k}``).
    """
    if not isinstance(text, str) or not text.strip():
        raise SpectrumParseError("expression must be a non-empty string")
    if len(text) > _MAX_LEN:
        raise SpectrumParseError(f"expression is longer than {_MAX_LEN} characters")
    variables = {"k": S.k} if variables is None else variables
    try:
        tree = ast.parse(text.replace("^", "**"), mode="eval")
    except SyntaxError as exc:
        raise SpectrumParseError(f"cannot parse expression {text!r}: {exc.msg}") from None
    return _build(tree.body, variables)


def _build(node: ast.AST, variables: dict[str, sp.Symbol]) -> sp.Expr:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return sp.nsimplify(node.value) if isinstance(node.value, float) else sp.Integer(node.value)
    if isinstance(node, ast.Name):
        if node.id in variables:
            return variables[node.id]
        if node.id in _CONSTS:
            return _CONSTS[node.id]
        raise SpectrumParseError(
            f"unknown name {node.id!r} in expression; allowed: {', '.join(sorted(variables) + sorted(_CONSTS))}"
        )
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        return _BINOPS[type(node.op)](_build(node.left, variables), _build(node.right, variables))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = _build(node.operand, variables)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
        if not isinstance(node.func, ast.Name) or name not in _FUNCS or node.keywords:
            raise SpectrumParseError(
                "unsupported expression: calls are only allowed to the functions "
                f"{', '.join(sorted(_FUNCS))}; got {name}"
            )
        return _FUNCS[name](*[_build(a, variables) for a in node.args])
    raise SpectrumParseError(f"unsupported syntax in expression: {ast.unparse(node)!r}")


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
    """Build a :class:`~scalingsym.spectra.Spectrum` from a spectrum string (see module docstring)."""
    from .spectra import ExprSpectrum, PowerLaw

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
    from .spectra import ArraySpectrum

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
