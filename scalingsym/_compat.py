"""Old module paths of scalingsym 0.1, kept importable for one release.

Before the layered layout (``core``, ``models``, ``theory``, ``simulate``, ``data``, ``output``) the
package held its modules side by side: ``scalingsym.spectra``, ``scalingsym.resolvent``,
``scalingsym.asymptotics.regimes``, ... Importing one of those names still works: a meta-path finder
answers it with a module that forwards every attribute to the module(s) that now hold the code, and
emits a :class:`DeprecationWarning` naming the new path. The finder never imports anything until an old
path is asked for, so it costs nothing at ``import scalingsym``.

Examples
--------
>>> import sys, warnings
>>> _ = sys.modules.pop("scalingsym.spectra", None)
>>> with warnings.catch_warnings(record=True) as w:
...     warnings.simplefilter("always")
...     from scalingsym.spectra import PowerLaw
>>> from scalingsym.core.spectra import PowerLaw as P2
>>> PowerLaw is P2, "scalingsym.core.spectra" in str(w[0].message)
(True, True)
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
import warnings
from typing import Any

#: old path -> the module(s) that hold its names now (searched in order)
MOVED: dict[str, tuple[str, ...]] = {
    "scalingsym.symbols": ("scalingsym.core.symbols",),
    "scalingsym.errors": ("scalingsym.core.errors",),
    "scalingsym.parsing": ("scalingsym.core.parsing", "scalingsym.core.expressions"),
    "scalingsym.spectra": ("scalingsym.core.spectra",),
    "scalingsym.tasks": ("scalingsym.core.tasks",),
    "scalingsym.fastsums": ("scalingsym.core.fastsums", "scalingsym.models.ridge"),
    "scalingsym.resolvent": ("scalingsym.core.resolvent",),
    "scalingsym.laplace": ("scalingsym.core.laplace",),
    "scalingsym.conventions": ("scalingsym.core.conventions",),
    "scalingsym.result": ("scalingsym.core.result",),
    "scalingsym.latex": ("scalingsym.core.latex",),
    "scalingsym.activations": ("scalingsym.models.activations",),
    "scalingsym.kernels": ("scalingsym.models.kernels", "scalingsym.theory.kernels", "scalingsym.simulate.kernels"),
    "scalingsym.nonlinear": ("scalingsym.models.nonlinear", "scalingsym.simulate.nonlinear"),
    "scalingsym.asymptotics": ("scalingsym.theory.spectral", "scalingsym.theory.regimes", "scalingsym.theory.optimal"),
    "scalingsym.asymptotics.spectral": ("scalingsym.theory.spectral",),
    "scalingsym.asymptotics.regimes": ("scalingsym.theory.regimes",),
    "scalingsym.asymptotics.optimal": ("scalingsym.theory.optimal",),
    "scalingsym.duality": ("scalingsym.theory.duality", "scalingsym.simulate.duality"),
    "scalingsym.limits": ("scalingsym.theory.limits",),
    "scalingsym.diagrams": ("scalingsym.theory.diagrams",),
    "scalingsym.exponents_bap": ("scalingsym.theory.bap_exponents",),
    "scalingsym.simulate_dynamics": ("scalingsym.simulate.dynamics",),
    "scalingsym.datasets": ("scalingsym.data.datasets",),
    "scalingsym.empirical": ("scalingsym.data.empirical",),
    "scalingsym.plot": ("scalingsym.output.plot",),
    "scalingsym.report": ("scalingsym.output.report",),
    "scalingsym.derive": ("scalingsym.output.derive",),
    "scalingsym.check": ("scalingsym.output.check",),
}


class _Forward(types.ModuleType):
    """A module whose attributes are looked up in the new modules, in order."""

    def __init__(self, name: str, targets: tuple[str, ...]) -> None:
        super().__init__(name, f"Deprecated alias of {', '.join(targets)}.")
        self.__targets = [importlib.import_module(t) for t in targets]
        self.__path__: list[str] = []  # a package, so that old sub-module paths resolve through the finder

    def __getattr__(self, attr: str) -> Any:
        for mod in self.__targets:
            if hasattr(mod, attr):
                return getattr(mod, attr)
        raise AttributeError(f"module {self.__name__!r} has no attribute {attr!r}")

    def __dir__(self) -> list[str]:
        return sorted({n for m in self.__targets for n in dir(m)})


class _Loader(importlib.abc.Loader):
    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        targets = MOVED[spec.name]
        warnings.warn(
            f"{spec.name} is deprecated and will be removed in scalingsym 0.3; import from {' / '.join(targets)}",
            DeprecationWarning,
            stacklevel=2,
        )
        return _Forward(spec.name, targets)

    def exec_module(self, module: types.ModuleType) -> None:
        return None


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if fullname in MOVED:
            return importlib.machinery.ModuleSpec(fullname, _Loader(), is_package=True)
        return None


def install() -> None:
    """Put the finder first on :data:`sys.meta_path` (idempotent)."""
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())
