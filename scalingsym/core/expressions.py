"""The safe expression parser: user text to sympy without ``eval``.

A user expression is parsed with :mod:`ast` and rebuilt node by node into sympy. Only numbers, the
variable ``k`` (and other whitelisted names), arithmetic operators and whitelisted functions are
accepted; anything else (attributes, subscripts, lambdas, dunder names, strings, calls to unknown
functions) is rejected with :class:`~scalingsym.core.errors.SpectrumParseError`. Every string a user
writes reaches sympy through :func:`parse_expression` and nowhere else.

Examples
--------
>>> parse_expression("k**-2*log(k+1)**2")
log(k + 1)**2/k**2
>>> parse_expression("__import__('os').system('x')")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
scalingsym.core.errors.SpectrumParseError: unsupported expression: calls are only allowed to the functions ...
"""

from __future__ import annotations

import ast

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
