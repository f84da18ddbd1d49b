"""The zarr store of a sweep: pre-created arrays written chunk by chunk, a done marker per chunk, resume.

A store is a zarr (format 3) group: one array per coordinate and per variable, with zarr chunks equal to the
sweep's chunks (so two tasks never write the same zarr chunk), and the array ``chunk_done`` (one boolean per
task, each in a zarr chunk of its own) that a task sets after its data are written. The group attribute
``sweep_signature`` is a hash of every argument that determines the result; opening an existing store with the
same signature resumes it (the tasks whose marker is set are skipped), another signature is refused.

Examples
--------
>>> import tempfile, os, numpy as np
>>> path = os.path.join(tempfile.mkdtemp(), "s.zarr")
>>> lay = Layout(("N",), {"N": np.array([1.0, 2.0, 3.0])}, {"N": 2}, {"loss": (("N",), "f8")})
>>> store = SweepStore.open(path, lay, "abc", {})
>>> store.todo()
[(0,), (1,)]
>>> write_block(path, "loss", (slice(0, 2),), np.array([0.5, 0.25]))
>>> mark_done(path, (0,))
>>> SweepStore.open(path, lay, "abc", {}).todo()
[(1,)]
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import zarr

from ..core.errors import ParameterError

DONE = "chunk_done"


@dataclass
class Layout:
    """The shape of a sweep: dimensions in order, their coordinates, chunk lengths and the variables.

    ``chunks`` gives the chunk length of each dimension; ``variables`` maps a name to ``(dims, dtype)``.
    ``task_dims`` are the dimensions the tasks are split over (default: all of ``dims``).
    """

    dims: tuple[str, ...]
    coords: dict[str, np.ndarray]
    chunks: dict[str, int]
    variables: dict[str, tuple[tuple[str, ...], str]]
    task_dims: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.task_dims is None:
            self.task_dims = self.dims

    def size(self, dim: str) -> int:
        return int(np.asarray(self.coords[dim]).size)

    def nblocks(self, dim: str) -> int:
        return math.ceil(self.size(dim) / self.chunks[dim])

    def block_shape(self) -> tuple[int, ...]:
        """Number of tasks along each of ``task_dims``."""
        return tuple(self.nblocks(d) for d in self.task_dims)

    def region(self, block: tuple[int, ...], dims: tuple[str, ...] | None = None) -> tuple[slice, ...]:
        """The slices of ``dims`` (default ``task_dims``) covered by task ``block``."""
        where = dict(zip(self.task_dims, block))
        out = []
        for d in dims or self.task_dims:
            if d in where:
                c = self.chunks[d]
                out.append(slice(where[d] * c, min((where[d] + 1) * c, self.size(d))))
            else:
                out.append(slice(0, self.size(d)))
        return tuple(out)

    def blocks(self) -> list[tuple[int, ...]]:
        """Every task, in C order."""
        return list(itertools.product(*(range(n) for n in self.block_shape())))


def _open_group(path: str | Path, mode: str) -> zarr.Group:
    return zarr.open_group(str(path), mode=mode, zarr_format=3)


class SweepStore:
    """A sweep's zarr store on disk (see the module docstring)."""

    def __init__(self, path: str | Path, layout: Layout) -> None:
        self.path = str(path)
        self.layout = layout

    @classmethod
    def open(cls, path: str | Path, layout: Layout, signature: str, attrs: dict[str, Any]) -> SweepStore:
        """Create the store, or reopen it for a resume when its signature matches; refuse another sweep's store."""
        p = Path(path)
        if p.exists():
            try:
                group = _open_group(p, "r")
                found = group.attrs.get("sweep_signature")
            except Exception:  # noqa: BLE001 - any unreadable directory is "not a sweep store"
                found = None
            if found is None:
                raise ParameterError(
                    f"{str(p)!r} exists and is not a sweep store; remove it or choose another output path"
                )
            if found != signature:
                raise ParameterError(
                    f"{str(p)!r} holds a different sweep (other arguments, grid or chunks); remove it or choose "
                    "another output path to start this one, or rerun the original arguments to resume it"
                )
            return cls(p, layout)
        group = _open_group(p, "w")
        lay = layout
        for d in lay.dims:
            arr = group.create_array(
                d, shape=(lay.size(d),), dtype="f8", chunks=(lay.size(d),), dimension_names=[d], fill_value=np.nan
            )
            arr[:] = np.asarray(lay.coords[d], dtype=np.float64)
        for name, (dims, dtype) in lay.variables.items():
            fill = np.nan if np.dtype(dtype).kind == "f" else 0
            group.create_array(
                name,
                shape=tuple(lay.size(d) for d in dims),
                dtype=dtype,
                chunks=tuple(lay.chunks[d] for d in dims),
                dimension_names=list(dims),
                fill_value=fill,
            )
        shape = lay.block_shape()
        group.create_array(
            DONE, shape=shape, dtype="bool", chunks=(1,) * len(shape), fill_value=False,
            dimension_names=[f"{d}_chunk" for d in lay.task_dims],
        )
        meta = {k: v for k, v in attrs.items()}
        meta["sweep_signature"] = signature
        meta["complete"] = 0
        group.attrs.update(meta)
        return cls(p, layout)

    def done_mask(self) -> np.ndarray:
        """The done marker of every task (shape :meth:`Layout.block_shape`)."""
        return np.asarray(zarr.open_array(self.path, path=DONE, mode="r", zarr_format=3)[...], dtype=bool)

    def todo(self) -> list[tuple[int, ...]]:
        """The tasks whose marker is not set, in C order."""
        mask = self.done_mask()
        return [b for b in self.layout.blocks() if not mask[b]]

    def read(self, name: str, region: tuple[slice, ...]) -> np.ndarray:
        return zarr.open_array(self.path, path=name, mode="r", zarr_format=3)[region]

    def set_attrs(self, **attrs: Any) -> None:
        _open_group(self.path, "r+").attrs.update(attrs)

    def attrs(self) -> dict[str, Any]:
        return dict(_open_group(self.path, "r").attrs)


def write_block(path: str | Path, name: str, region: tuple[slice, ...], block: np.ndarray) -> None:
    """Write ``block`` into the region of array ``name`` (the region must cover whole zarr chunks)."""
    zarr.open_array(str(path), path=name, mode="r+", zarr_format=3)[region] = block


def mark_done(path: str | Path, block: tuple[int, ...]) -> None:
    """Set the done marker of task ``block`` (after its data are written)."""
    zarr.open_array(str(path), path=DONE, mode="r+", zarr_format=3)[tuple(block)] = True


def signature(payload: dict[str, Any]) -> str:
    """The SHA-256 of a JSON-able description of a sweep (sorted keys): equal arguments, equal signature."""
    import hashlib

    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


__all__ = ["DONE", "Layout", "SweepStore", "mark_done", "signature", "write_block"]
