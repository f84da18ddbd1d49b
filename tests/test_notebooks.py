"""Every notebook in ``notebooks/`` is committed without outputs and runs top to bottom without an error."""

from __future__ import annotations

import pathlib

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK_DIR = pathlib.Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
KERNEL = "python3"
# small matrices: one BLAS thread per kernel avoids oversubscribing the cores (a large slowdown under load)
SINGLE_THREAD = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@pytest.fixture(scope="session")
def python3_kernel() -> str:
    """The ``python3`` kernel: found in a venv with ipykernel; installed for the user only if missing."""
    from jupyter_client.kernelspec import find_kernel_specs

    if KERNEL not in find_kernel_specs():
        from ipykernel.kernelspec import install

        install(user=True, kernel_name=KERNEL)
    return KERNEL


def test_notebooks_found():
    assert NOTEBOOKS, f"no notebooks in {NOTEBOOK_DIR}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_committed_without_outputs(path: pathlib.Path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    stale = [c.get("id", i) for i, c in enumerate(nb.cells)
             if c.cell_type == "code" and (c.outputs != [] or c.execution_count is not None)]
    assert not stale, f"{path.name}: code cells with outputs or execution counts: {stale} (clear them)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path: pathlib.Path, python3_kernel: str, monkeypatch: pytest.MonkeyPatch):
    for var in SINGLE_THREAD:
        monkeypatch.setenv(var, "1")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name=python3_kernel,
                                     resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    client.execute()  # raises CellExecutionError on the first failing cell
    errors = [(c.get("id"), o.get("ename"), o.get("evalue")) for c in nb.cells if c.cell_type == "code"
              for o in c.outputs if o.output_type == "error"]
    assert not errors, f"{path.name}: cells with error outputs: {errors}"
