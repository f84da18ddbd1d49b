'''Discovery and running of the runnable derivation scripts in ``derivations/``.

A derivation is a file ``derivations/<name>.py`` whose module docstring's first line is its title and
which defines ``run(out_dir: pathlib.Path, quick: bool = True) -> dict`` returning

``{"title": str, "results": [Result, ...], "checks": [{"name", "expected", "got", "tol", "ok"}, ...],
"latex": str}``.

Every ``*.py`` file in the directory (except names starting with ``_``) is discovered automatically; a
file that is missing is simply not listed, and one that cannot be imported or run is reported as a
failed derivation rather than stopping the others.

The directory is, in order: the ``directory`` argument, the environment variable
``SCALINGSYM_DERIVATIONS``, ``./derivations`` in the working directory, ``derivations/`` next to
the package (the source checkout, also an editable install), and ``scalingsym/_derivations/`` inside the
installed package (the copy a wheel ships; the top-level ``derivations/`` stays the source of truth).

Examples
--------
>>> import pathlib, tempfile
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "toy.py").write_text('"""A toy derivation."""\\n'
...     'def run(out_dir, quick=True):\\n'
...     '    return {"title": "toy", "results": [], "latex": "x",\\n'
...     '            "checks": [{"name": "one", "expected": 1.0, "got": 1.0, "tol": 0.0, "ok": True}]}\\n')
>>> list_derivations(d)
{'toy': 'A toy derivation.'}
>>> out = run_derivation("toy", d / "out", directory=d)
>>> out.ok, out.checks[0]["name"], (d / "out" / "toy.tex").read_text()
(True, 'one', 'x')
'''

from __future__ import annotations

import ast
import contextlib
import importlib.util
import io
import math
import os
import pathlib
import sys
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

from ..core.errors import ParameterError

__all__ = ["DerivationOutcome", "derivations_dir", "find_derivations", "list_derivations", "run_derivation"]

ENV_VAR = "SCALINGSYM_DERIVATIONS"
#: the folder, inside the installed package, that a wheel's build copies ``derivations/*.py`` into
PACKAGED = "_derivations"


def derivations_dir(directory: str | os.PathLike | None = None) -> pathlib.Path:
    """The directory holding the derivation scripts (see the module docstring for the search order)."""
    if directory is not None:
        d = pathlib.Path(directory)
        if not d.is_dir():
            raise ParameterError(f"derivations directory {str(d)!r} does not exist")
        return d
    candidates = []
    if os.environ.get(ENV_VAR):
        candidates.append(pathlib.Path(os.environ[ENV_VAR]))
    candidates.append(pathlib.Path.cwd() / "derivations")
    package = pathlib.Path(__file__).resolve().parent.parent
    candidates.append(package.parent / "derivations")
    candidates.append(package / PACKAGED)
    for d in candidates:
        if d.is_dir() and any(d.glob("*.py")):
            return d
    raise ParameterError(
        "no derivations directory found: this installation ships none (reinstall the scalingsym wheel); "
        f"run from the source checkout or set {ENV_VAR} to the folder holding the derivations/*.py scripts"
    )


def _title(path: pathlib.Path) -> str:
    """First line of the module docstring, read without importing (a broken file still lists)."""
    try:
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    except (SyntaxError, UnicodeDecodeError, OSError):
        return "(unreadable)"
    return doc.strip().splitlines()[0].strip() if doc else path.stem


def find_derivations(directory: str | os.PathLike | None = None) -> dict[str, pathlib.Path]:
    """``{name: path}`` of every ``*.py`` derivation, sorted by name."""
    d = derivations_dir(directory)
    return {p.stem: p for p in sorted(d.glob("*.py")) if not p.stem.startswith("_")}


def list_derivations(directory: str | os.PathLike | None = None) -> dict[str, str]:
    """``{name: title}`` of every derivation, sorted by name."""
    return {name: _title(path) for name, path in find_derivations(directory).items()}


@dataclass
class DerivationOutcome:
    """What running one derivation produced.

    ``error`` holds the traceback when the script could not be imported or raised; ``ok`` is true only
    when it ran and every check passed. ``output`` is what it printed.
    """

    name: str
    title: str
    results: list = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    latex: str = ""
    tex_path: pathlib.Path | None = None
    output: str = ""
    error: str | None = None
    seconds: float = 0.0

    @property
    def failed_checks(self) -> list[dict[str, Any]]:
        """The checks with ``ok`` false."""
        return [c for c in self.checks if not c.get("ok", False)]

    @property
    def ok(self) -> bool:
        """True when the derivation ran and every check passed."""
        return self.error is None and not self.failed_checks

    def summary(self) -> dict[str, Any]:
        """A JSON-able summary (results as strings and LaTeX, checks with ``None`` for inf/NaN)."""
        return {
            "name": self.name,
            "title": self.title,
            "ok": self.ok,
            "seconds": round(self.seconds, 2),
            "tex": str(self.tex_path) if self.tex_path else None,
            "results": [{"name": getattr(r, "name", str(r)), "expr": str(getattr(r, "expr", r)),
                         "latex": r.latex_body() if hasattr(r, "latex_body") else str(r)} for r in self.results],
            "checks": [{k: _jsonable(v) for k, v in c.items()} for c in self.checks],
            "error": self.error,
        }


def _jsonable(v: Any) -> Any:
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    return x if math.isfinite(x) else None


def _load(name: str, path: pathlib.Path):
    spec = importlib.util.spec_from_file_location(f"scalingsym_derivation_{name}", path)
    if spec is None or spec.loader is None:  # pragma: no cover - a .py path always has a loader
        raise ImportError(f"cannot load {path}")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    try:
        spec.loader.exec_module(mod)
    except BaseException:
        sys.modules.pop(spec.name, None)
        raise
    return mod


def _validate(name: str, out: Any) -> None:
    if not isinstance(out, dict):
        raise TypeError(f"derivation {name!r}: run() must return a dict, got {type(out).__name__}")
    missing = [k for k in ("title", "results", "checks", "latex") if k not in out]
    if missing:
        raise TypeError(f"derivation {name!r}: run() result lacks {missing}")
    for c in out["checks"]:
        if not isinstance(c, dict) or "name" not in c or "ok" not in c:
            raise TypeError(f"derivation {name!r}: each check needs at least 'name' and 'ok'; got {c!r}")


def run_derivation(
    name: str,
    out_dir: str | os.PathLike,
    quick: bool = True,
    directory: str | os.PathLike | None = None,
    echo: bool = False,
) -> DerivationOutcome:
    """Import ``derivations/<name>.py`` and call its ``run(out_dir, quick)``.

    Parameters
    ----------
    name : str
        A name from :func:`list_derivations`.
    out_dir : path
        Where the derivation writes ``<name>.tex`` (and any files of its own); created if needed.
    quick : bool
        The fast variant (< 60 s on one core) used in CI and in the default report.
    directory : path, optional
        The derivations folder (default: see :func:`derivations_dir`).
    echo : bool
        Also let the derivation print to the terminal (its output is captured either way).

    Returns
    -------
    DerivationOutcome
        Never raises for a failing derivation: the traceback is in ``error``.
    """
    found = find_derivations(directory)
    if name not in found:
        raise ParameterError(f"unknown derivation {name!r}; available: {', '.join(found) or '(none)'}")
    path = found[name]
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    outcome = DerivationOutcome(name=name, title=_title(path))
    buf = io.StringIO()
    sink = _Tee(buf, sys.stdout) if echo else buf
    t0 = time.perf_counter()
    try:
        with contextlib.redirect_stdout(sink):
            mod = _load(name, path)
            out = mod.run(out_dir, quick=quick)
        _validate(name, out)
        outcome.title = str(out["title"])
        outcome.results = list(out["results"])
        outcome.checks = [dict(c) for c in out["checks"]]
        outcome.latex = str(out["latex"])
        tex = out_dir / f"{name}.tex"
        if not tex.exists() or tex.read_text(encoding="utf-8") != outcome.latex:
            tex.write_text(outcome.latex, encoding="utf-8")
        outcome.tex_path = tex
    except Exception:  # a broken derivation is reported, not fatal to the others
        outcome.error = traceback.format_exc()
    outcome.seconds = time.perf_counter() - t0
    outcome.output = buf.getvalue()
    return outcome


class _Tee(io.TextIOBase):
    def __init__(self, *streams):
        self.streams = streams

    def write(self, s: str) -> int:
        for st in self.streams:
            st.write(s)
        return len(s)

    def flush(self) -> None:
        for st in self.streams:
            st.flush()
