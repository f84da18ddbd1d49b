"""The package as users install it: the wheel ships the derivations, the version is single-sourced, the CLI
refuses an ``--out`` that is a file.

The full install into a fresh virtual environment (with the dependencies from the index) runs in ``.ci/run``;
here the wheel is built (pip wheel) and imported from its unpacked contents, from an unrelated folder.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys
import tomllib
import zipfile

import pytest

import scalingsym
from scalingsym._version import __version__

ROOT = pathlib.Path(__file__).resolve().parents[1]
PAPERS = ("2210.16859", "2405.19398", "2402.01092", "2102.06701")


def test_version_is_read_from_version_module():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in meta["project"] and "version" in meta["project"]["dynamic"]
    assert meta["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "scalingsym._version.__version__"}
    assert scalingsym.__version__ == __version__


def test_project_files_exist():
    assert (ROOT / "scalingsym" / "py.typed").is_file()
    cff = (ROOT / "CITATION.cff").read_text()
    assert cff.startswith("cff-version: 1.2.0") and f"version: {__version__}" in cff
    assert all(f"arXiv:{p}" in cff for p in PAPERS)
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert "## [Unreleased]" in changelog and f"## [{__version__}]" in changelog


def test_report_out_naming_a_file_is_a_one_line_error(tmp_path):
    blocker = tmp_path / "taken"
    blocker.write_text("x")
    for out in (blocker, blocker / "sub"):
        run = subprocess.run([sys.executable, "-m", "scalingsym", "report", "--out", str(out), "--no-compile"],
                             capture_output=True, text=True, cwd=tmp_path)
        assert run.returncode == 2
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1 and "--out" in lines[0] and "Traceback" not in run.stderr


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> pathlib.Path:
    """A wheel built by pip from a copy of the source tree (the build leaves nothing in the checkout)."""
    src = tmp_path_factory.mktemp("src") / "scalingsym"
    keep = ["scalingsym", "derivations", "README.md", "pyproject.toml", "setup.py", "MANIFEST.in"]
    src.mkdir()
    for name in keep:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(path, src / name)
    dist = tmp_path_factory.mktemp("dist")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                            "-w", str(dist), str(src)], capture_output=True, text=True)
    if built.returncode != 0:
        pytest.skip(f"cannot build a wheel here: {built.stderr.strip()[-300:]}")
    (path,) = dist.glob("scalingsym-*.whl")
    return path


@pytest.mark.slow
def test_wheel_ships_every_derivation(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {pathlib.PurePosixPath(n).name for n in names if n.startswith("scalingsym/_derivations/")}
    assert shipped == {p.name for p in (ROOT / "derivations").glob("*.py")}
    assert "scalingsym/py.typed" in names
    assert not any(n.startswith(("tests/", "derivations/", "notebooks/")) for n in names)


@pytest.mark.slow
def test_installed_wheel_lists_derivations_from_anywhere(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "SCALINGSYM_DERIVATIONS"}
    env["PYTHONPATH"] = str(site)
    code = "import scalingsym, sys; print(scalingsym.__file__)"
    where = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=elsewhere, env=env)
    assert pathlib.Path(where.stdout.strip()).is_relative_to(site), where.stdout + where.stderr
    listed = subprocess.run([sys.executable, "-m", "scalingsym", "derive", "--list", "--json"], capture_output=True,
                            text=True, cwd=elsewhere, env=env)
    assert listed.returncode == 0, listed.stderr
    got = {d["name"] for d in json.loads(listed.stdout)["derivations"]}
    assert got == {p.stem for p in (ROOT / "derivations").glob("*.py")}
    one = subprocess.run([sys.executable, "-m", "scalingsym", "derive", "zhang_ridge_laws", "--out",
                          str(tmp_path / "out"), "--json"], capture_output=True, text=True, cwd=elsewhere, env=env)
    assert one.returncode == 0, one.stderr
    summary = json.loads(one.stdout)
    assert summary["ok"] and summary["checks"]
