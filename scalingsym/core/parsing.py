"""Spectrum and task strings, parsed without evaluating Python code.

Spectrum strings become a :class:`~scalingsym.core.spectra.Spectrum`:

* ``powerlaw(alpha=1, M=1000, lambda_plus=1)`` (``M=inf`` allowed),
* ``custom(expr="k**-2*log(k+1)**2", M=inf)`` (the expression goes through the safe parser,
  :func:`scalingsym.core.expressions.parse_expression`),
* ``file(path)`` or ``file("path")``: a ``.npy`` or text list of eigenvalues.

Task strings become a :class:`~scalingsym.core.tasks.Task` (teacher-weight variances ``w2_k``) for a given
spectrum (:func:`parse_task`):

* ``isotropic``: ``w2_k = 1`` (MRS, Zhang);
* ``power(nu=...)``: ``w2_k = k^-nu``;
* ``source(a=...)``: task power ``lambda_k w2_k = k^-a`` (the source-condition convention of Bordelon et al.);
* ``custom(expr="...")``: ``w2_k`` as an expression in ``k``;
* ``file(path)``: ``w2_k`` for ``k = 1..M`` from a ``.npy`` or text file.

Examples
--------
>>> parse_spectrum("powerlaw(alpha=1, M=1000)").describe()
'powerlaw(alpha=1, M=1000, lambda_plus=1)'
>>> parse_task("source(a=3)", parse_spectrum("powerlaw(alpha=1, M=inf)")).describe()  # w2_k = k^-(3-2)
'power(nu=1)'
"""

from __future__ import annotations

import ast
import math

import numpy as np
import sympy as sp

from . import symbols as S
from .errors import ParameterError, SpectrumParseError
from .expressions import parse_exact_number, parse_expression, parse_tree
from .files import read_values
from .spectra import ArraySpectrum, ExprSpectrum, PowerLaw, Spectrum
from .tasks import Task

__all__ = ["load_spectrum_file", "parse_expression", "parse_spectrum", "parse_task", "task_weight_expression"]


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
    if len(text) > 2000:
        raise SpectrumParseError(f"spectrum is longer than 2000 characters ({len(text)})")
    stripped = text.strip()
    if stripped.startswith("file(") and stripped.endswith(")"):
        inner = stripped[5:-1].strip()
        if inner.startswith("path="):
            inner = inner[5:].strip()
        if len(inner) >= 2 and inner[0] == inner[-1] and inner[0] in "'\"":
            inner = inner[1:-1]
        return load_spectrum_file(inner)
    call = parse_tree(stripped, "spectrum")
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
    """Read eigenvalues from a ``.npy`` file or a whitespace/comma separated text file (size-checked first)."""
    try:
        values = read_values(path, "spectrum file")
    except ParameterError as exc:
        raise SpectrumParseError(str(exc)) from None
    return ArraySpectrum(values, name=f"file({path})")


def _call(text: str, what: str) -> tuple[str, list, dict]:
    """``kind(args..., key=value...)`` parsed into ``(kind, positional literals, keyword literals)``."""
    node = parse_tree(text, what)
    if isinstance(node, ast.Name):
        return node.id, [], {}
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
        raise SpectrumParseError(f"{what} must look like name(key=value, ...); got {text!r}")
    kwargs = {kw.arg: _literal(kw.value, kw.arg or "?") for kw in node.keywords}
    if None in kwargs:
        raise SpectrumParseError(f"** arguments are not allowed in a {what}")
    return node.func.id, [_literal(a, "path") for a in node.args], kwargs


def _power_of_k(expr: sp.Expr) -> sp.Expr | None:
    """``e`` when ``expr`` is exactly ``k**e`` (unit prefactor), else None."""
    coeff, expo = sp.powsimp(sp.expand_power_base(expr, force=True), force=True).as_coeff_exponent(S.k)
    if coeff == 1 and not expo.free_symbols and expo.is_real:
        return expo
    return None


def _task_from_expr(w2: sp.Expr, spec: Spectrum | None, text: str) -> Task:
    expo = _power_of_k(w2)
    if expo is not None:
        return Task.power(float(-expo))
    if spec is None or not spec.finite:
        raise SpectrumParseError(
            f"task {text!r}: w2_k = {w2} is not a pure power k**(-nu); such a task needs a finite spectrum (M < inf)"
        )
    k = np.arange(1, int(spec.M) + 1, dtype=np.float64)
    values = np.asarray(sp.lambdify(S.k, w2, modules=["scipy", "numpy"])(k), dtype=np.float64) * np.ones_like(k)
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise SpectrumParseError(f"task {text!r}: w2_k must be finite and >= 0 for k = 1..{int(spec.M)}")
    return Task.array(values)


def parse_task(text: str, spectrum: Spectrum | None = None) -> Task:
    """Build a :class:`~scalingsym.core.tasks.Task` from a task string (see the module docstring).

    ``source(a=...)`` and expressions that are not a pure power of ``k`` need the spectrum: for a power-law
    spectrum ``lambda_k = lambda_+ k^-b`` the source task is ``power(nu=a-b)`` (the constant ``lambda_+`` is an
    overall scale of the task power); otherwise the spectrum must be finite and ``w2_k`` is tabulated exactly.
    """
    if isinstance(text, Task):
        return text
    if not isinstance(text, str) or not text.strip():
        raise SpectrumParseError("task must be a non-empty string such as 'isotropic' or 'power(nu=0.5)'")
    stripped = text.strip()
    if stripped.startswith("file(") and stripped.endswith(")"):
        inner = stripped[5:-1].strip().removeprefix("path=").strip()
        if len(inner) >= 2 and inner[0] == inner[-1] and inner[0] in "'\"":
            inner = inner[1:-1]
        try:
            values = read_values(inner, "task file")
        except ParameterError as exc:
            raise SpectrumParseError(str(exc)) from None
        if spectrum is not None and spectrum.finite and values.size != int(spectrum.M):
            raise SpectrumParseError(
                f"task file {inner} has {values.size} values; the spectrum has M = {int(spectrum.M)}"
            )
        return Task.array(values)
    kind, args, kwargs = _call(stripped, "task")
    if kind == "isotropic":
        if args or kwargs:
            raise SpectrumParseError("isotropic takes no arguments")
        return Task.isotropic()
    if kind == "power":
        if args or set(kwargs) != {"nu"}:
            raise SpectrumParseError(f"power takes one argument nu: power(nu=...); got {text!r}")
        return Task.power(_number(kwargs["nu"], "nu"))
    if kind == "source":
        if args or set(kwargs) != {"a"}:
            raise SpectrumParseError(f"source takes one argument a: source(a=...); got {text!r}")
        a = _number(kwargs["a"], "a")
        if not math.isfinite(a):
            raise SpectrumParseError(f"a must be a finite number; got {a}")
        if spectrum is None:
            raise SpectrumParseError("source(a=...) is relative to the spectrum: give the spectrum too")
        lam = spectrum.lam_expr
        if lam is None:
            if not spectrum.finite:
                raise SpectrumParseError("source(a=...) needs a spectrum given by an expression or a finite one")
            ev = spectrum.eigenvalues()
            k = np.arange(1, ev.size + 1, dtype=np.float64)
            return Task.array(k ** (-a) / ev)
        return _task_from_expr(sp.simplify(S.k ** (-parse_exact_number(a, 'a')) / lam) * _scale_of(lam), spectrum, text)
    if kind == "custom":
        if args:
            kwargs.setdefault("expr", args[0])
        if set(kwargs) != {"expr"} or not isinstance(kwargs["expr"], str):
            raise SpectrumParseError('custom takes expr="..." (a quoted expression in k)')
        return _task_from_expr(parse_expression(kwargs["expr"]), spectrum, text)
    raise SpectrumParseError(f"unknown task kind {kind!r}; use isotropic, power, source, custom or file")


def _scale_of(lam: sp.Expr) -> sp.Expr:
    """The constant prefactor of ``lam`` (so that ``source`` fixes the *shape* of the task power)."""
    coeff, _ = sp.powsimp(sp.expand_power_base(lam, force=True), force=True).as_coeff_exponent(S.k)
    return coeff if coeff.is_positive and not coeff.free_symbols else sp.Integer(1)


def task_weight_expression(task, lam: sp.Expr | None = None) -> sp.Expr:
    """The teacher-weight variance ``w2(k)`` of a task as an exact sympy expression in ``k``.

    ``task`` is a task string (as :func:`parse_task` reads it) or a :class:`~scalingsym.core.tasks.Task` with a
    power ``nu``; ``lam`` is the spectrum's ``lambda(k)``, needed by ``source(a=...)`` (``w2 = k^-a / lambda``,
    the spectrum's constant prefactor kept as the task power's scale, as in :func:`parse_task`). Tabulated tasks
    (``file(...)``, arrays) have no large-``k`` law and are refused.

    Examples
    --------
    >>> task_weight_expression("power(nu=0.5)")
    1/sqrt(k)
    >>> task_weight_expression("source(a=3)", S.k**-2)
    1/k
    """
    if isinstance(task, Task):
        if task.values is not None:
            raise SpectrumParseError("a tabulated task has no large-k law; give it as power(...), source(...) or "
                                     "custom(expr=...) for the asymptotics")
        return S.k ** (-parse_exact_number(task.nu, "nu")) if task.nu != 0.0 else sp.Integer(1)
    if not isinstance(task, str) or not task.strip():
        raise SpectrumParseError("task must be a non-empty string such as 'isotropic' or 'power(nu=0.5)'")
    stripped = task.strip()
    if stripped.startswith("file("):
        raise SpectrumParseError("a task read from a file has no large-k law; give it as power(...), source(...) "
                                 "or custom(expr=...) for the asymptotics")
    kind, args, kwargs = _call(stripped, "task")
    if kind == "isotropic" and not args and not kwargs:
        return sp.Integer(1)
    if kind == "power" and not args and set(kwargs) == {"nu"}:
        return S.k ** (-parse_exact_number(kwargs["nu"], "nu"))
    if kind == "source" and not args and set(kwargs) == {"a"}:
        if lam is None:
            raise SpectrumParseError("source(a=...) is relative to the spectrum: give the spectrum too")
        return sp.simplify(S.k ** (-parse_exact_number(kwargs["a"], "a")) / lam) * _scale_of(lam)
    if kind == "custom":
        if args:
            kwargs.setdefault("expr", args[0])
        if set(kwargs) != {"expr"} or not isinstance(kwargs["expr"], str):
            raise SpectrumParseError('custom takes expr="..." (a quoted expression in k)')
        w2 = parse_expression(kwargs["expr"])
        extra = w2.free_symbols - {S.k}
        if extra:
            raise SpectrumParseError(f"a task expression may only use k; found {sorted(map(str, extra))}")
        return w2
    parse_task(stripped)  # raises the numeric parser's message for a malformed task
    raise SpectrumParseError(f"cannot read the task {task!r}")
