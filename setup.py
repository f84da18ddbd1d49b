"""Build hook: ship the top-level ``derivations/*.py`` (the source of truth) inside the wheel.

The scripts are copied into ``scalingsym/_derivations/`` of the built package, where
:func:`scalingsym.output.derive.derivations_dir` finds them when no source checkout is around. Everything else
about the build is in ``pyproject.toml``.
"""

from __future__ import annotations

import pathlib
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = pathlib.Path(__file__).resolve().parent


class BuildPyWithDerivations(build_py):
    """``build_py`` that also copies ``derivations/*.py`` to ``scalingsym/_derivations/``."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads derivations/ of the checkout directly
        src = HERE / "derivations"
        scripts = sorted(src.glob("*.py"))
        if not scripts:
            raise RuntimeError(f"no derivation scripts in {src}; the wheel would not run the report")
        dst = pathlib.Path(self.build_lib) / "scalingsym" / "_derivations"
        dst.mkdir(parents=True, exist_ok=True)
        for path in scripts:
            shutil.copy2(path, dst / path.name)


setup(cmdclass={"build_py": BuildPyWithDerivations})
