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
import math
import re
from typing import Any

import sympy as sp

from . import symbols as S
from .errors import ParameterError, SpectrumParseError

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
#: the deepest nesting of brackets / of the syntax tree accepted (checked before anything is built)
_MAX_DEPTH = 40
#: the most decimal digits an exact number produced while parsing may have (``10**10**10`` is refused)
_MAX_DIGITS = 4000


def parse_tree(text: Any, what: str = "expression") -> ast.expr:
    """``text`` parsed by :mod:`ast` after the length and nesting limits: the shared front of every parser.

    Nothing is evaluated. Refuses non-strings, empty text, more than 2000 characters and nesting deeper than 40
    (brackets, or operators in the syntax tree) with a :class:`SpectrumParseError`.
    """
    if not isinstance(text, str) or not text.strip():
        raise SpectrumParseError(f"{what} must be a non-empty string")
    if len(text) > _MAX_LEN:
        raise SpectrumParseError(f"{what} is longer than {_MAX_LEN} characters ({len(text)})")
    depth = deepest = 0
    for ch in text:
        if ch in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")]}":
            depth -= 1
    if deepest > _MAX_DEPTH:
        raise SpectrumParseError(f"{what} nests brackets {deepest} deep; at most {_MAX_DEPTH} are accepted")
    try:
        tree = ast.parse(text.strip().replace("^", "**"), mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
        raise SpectrumParseError(f"cannot parse {what} {text[:80]!r}: {getattr(exc, 'msg', exc)}") from None
    stack = [(tree.body, 1)]
    while stack:
        node, d = stack.pop()
        if d > 2 * _MAX_DEPTH:
            raise SpectrumParseError(f"{what} nests operators more than {2 * _MAX_DEPTH} deep")
        stack.extend((c, d + 1) for c in ast.iter_child_nodes(node))
    return tree.body


def _digits(x: sp.Expr) -> float:
    """Decimal digits of an exact rational (0 for anything else)."""
    if isinstance(x, sp.Rational):
        return max(int(x.p).bit_length(), int(x.q).bit_length()) * math.log10(2)
    return 0.0


def _power(base: sp.Expr, expo: sp.Expr) -> sp.Expr:
    """``base**expo`` unless both are numbers and the result would have more than ``_MAX_DIGITS`` digits."""
    if base.is_number and expo.is_number and expo.is_real and base not in (0, 1, -1):
        try:
            size = abs(float(expo)) * abs(float(sp.log(abs(base), 10))) if base.is_real else abs(float(expo))
        except (TypeError, ValueError, OverflowError):
            size = math.inf
        if not math.isfinite(size) or size > _MAX_DIGITS:
            raise SpectrumParseError(
                f"the power {base}**{expo} has about {size:.3g} digits; at most {_MAX_DIGITS} are evaluated"
            )
    return base**expo


def _call_checked(name: str, args: list) -> sp.Expr:
    if name in ("gamma", "zeta", "exp", "sinh", "cosh") and args and all(a.is_number for a in args):
        try:
            big = abs(float(args[0])) > 3000
        except (TypeError, ValueError, OverflowError):
            big = True
        if big:
            raise SpectrumParseError(f"{name}({args[0]}) of a number beyond 3000 in magnitude is not evaluated")
    try:
        return _FUNCS[name](*args)
    except (TypeError, ValueError) as exc:
        raise SpectrumParseError(f"{name} cannot take the arguments {args}: {exc}") from None


def parse_expression(text: str, variables: dict[str, sp.Symbol] | None = None) -> sp.Expr:
    """Parse ``text`` into a sympy expression in ``k`` (or the given ``variables``) without ``eval``.

    Parameters
    ----------
    text : str
        Python-style arithmetic, e.g. ``"k**-2*log(k+1)**2"``; ``^`` is read as a power.
    variables : dict, optional
        Allowed variable names (default ``{"k": k}``).
    """
    node = parse_tree(text, "expression")
    variables = {"k": S.k} if variables is None else variables
    try:
        out = _build(node, variables)
    except (ZeroDivisionError, OverflowError, RecursionError, MemoryError) as exc:
        raise SpectrumParseError(f"expression {text[:80]!r} cannot be built: {type(exc).__name__}") from None
    if out.has(sp.zoo, sp.nan):
        raise SpectrumParseError(f"expression {text[:80]!r} is undefined (division by zero or 0/0)")
    return out


def _build(node: ast.AST, variables: dict[str, sp.Symbol]) -> sp.Expr:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        if isinstance(node.value, float):
            if not math.isfinite(node.value):
                raise SpectrumParseError(f"number {node.value!r} is not finite")
            return sp.Rational(repr(node.value))  # the decimal as written (0.1 -> 1/10)
        return sp.Integer(node.value)
    if isinstance(node, ast.Name):
        if node.id in variables:
            return variables[node.id]
        if node.id in _CONSTS:
            return _CONSTS[node.id]
        raise SpectrumParseError(
            f"unknown name {node.id!r} in expression; allowed: {', '.join(sorted(variables) + sorted(_CONSTS))}"
        )
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        left, right = _build(node.left, variables), _build(node.right, variables)
        if isinstance(node.op, ast.Pow):
            return _power(left, right)
        out = _BINOPS[type(node.op)](left, right)
        if _digits(out) > _MAX_DIGITS:
            raise SpectrumParseError(f"an intermediate number has more than {_MAX_DIGITS} digits")
        return out
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
        return _call_checked(name, [_build(a, variables) for a in node.args])
    raise SpectrumParseError(f"unsupported syntax in expression: {ast.unparse(node)!r}")


_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,4})?$")
_RATIO = re.compile(r"^[+-]?\d{1,60}/\d{1,60}$")


def parse_exact_number(value: Any, name: str) -> sp.Rational:
    """A user number as an exact rational: ``"3.5"`` -> ``7/2``, ``"1e-3"``, ``"7/2"``, an int or a float.

    Only a decimal, a decimal in scientific notation or ``p/q`` is read (no expression is evaluated); at most
    60 characters and a decimal exponent within ``[-400, 400]``. A float is taken at its shortest repr
    (``0.1`` -> ``1/10``).

    >>> parse_exact_number("3.5", "a"), parse_exact_number("1e30", "a") - 1
    (7/2, 999999999999999999999999999999)
    >>> parse_exact_number("1/0", "a")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    scalingsym.core.errors.ParameterError: a must be a finite number...
    """
    if isinstance(value, bool):
        raise ParameterError(f"{name} must be a number; got {value!r}")
    if isinstance(value, sp.Rational):
        return value
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ParameterError(f"{name} must be a finite number; got {value!r}")
        text = repr(value)
    elif isinstance(value, str):
        text = value.strip()
    else:
        raise ParameterError(f"{name} must be a number; got {value!r}")
    if len(text) > 60 or not (_DECIMAL.match(text) or _RATIO.match(text)):
        raise ParameterError(
            f"{name} must be a finite number written as a decimal (1.5, 2e-3) or a ratio p/q of at most 60 "
            f"characters; got {value!r}"
        )
    if "/" in text:
        num, den = text.split("/")
        if int(den) == 0:
            raise ParameterError(f"{name} must be a finite number; got {value!r} (division by zero)")
        return sp.Rational(int(num), int(den))
    m = _DECIMAL.match(text)
    if m.group(3) and abs(int(m.group(3)[1:])) > 400:
        raise ParameterError(f"{name} must have a decimal exponent within [-400, 400]; got {value!r}")
    return sp.Rational(text)


def _shared_symbols() -> dict[str, sp.Symbol]:
    return {v.name: v for v in vars(S).values() if isinstance(v, sp.Symbol)} | {"k": S.k}


def to_sympy(value: Any, name: str) -> sp.Expr:
    """An argument of a public function as sympy, without ever evaluating user text.

    A sympy object is returned as it is; an int or a float becomes an exact rational (a float at its shortest
    repr); a string goes through :func:`parse_exact_number` or, if it is not a plain number, through the safe
    parser with the shared symbols of :mod:`scalingsym.core.symbols` as its only names. Anything else is a
    :class:`ParameterError` naming ``name``.

    >>> to_sympy(0.5, "alpha"), to_sympy("3/2", "alpha"), to_sympy("alpha + 1", "x")
    (1/2, 3/2, alpha + 1)
    >>> to_sympy("__import__('os')", "alpha")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    scalingsym.core.errors.SpectrumParseError: unsupported expression: ...
    """
    if isinstance(value, sp.Basic):
        return value
    if isinstance(value, bool):
        raise ParameterError(f"{name} must be a number or a sympy expression; got {value!r}")
    if isinstance(value, (int, float)) or (hasattr(value, "dtype") and getattr(value, "ndim", 1) == 0):
        try:
            v = float(value) if not isinstance(value, int) else value
        except (TypeError, ValueError):
            raise ParameterError(f"{name} must be a real number; got {value!r}") from None
        return parse_exact_number(v, name)
    if isinstance(value, str):
        try:
            return parse_exact_number(value, name)
        except ParameterError:
            return parse_expression(value, _shared_symbols())
    raise ParameterError(f"{name} must be a number, a string or a sympy expression; got {type(value).__name__}")
