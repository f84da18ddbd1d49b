"""Reading arrays of numbers from user files: size-checked before reading, header checked against the file.

A ``.npy`` file's header is read first and its declared shape checked against the file's size and the
element budget before any data is read; the dtype must be real (floating or integer); pickles are refused.
A text file (numbers separated by white space or commas) is size-checked before it is read.

Examples
--------
>>> import numpy as np, tempfile, os
>>> d = tempfile.mkdtemp(); f = os.path.join(d, "ev.npy"); np.save(f, np.array([1.0, 0.5, 0.25]))
>>> read_values(f, "spectrum file").tolist()
[1.0, 0.5, 0.25]
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .errors import ParameterError

#: the largest file read (bytes) and the most values accepted
MAX_FILE_BYTES = 512 * 2**20
MAX_VALUES = 50_000_000


def _npy(p: Path, what: str, size: int) -> np.ndarray:
    with p.open("rb") as fh:
        try:
            version = np.lib.format.read_magic(fh)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
            elif version in ((2, 0), (3, 0)):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
            else:  # pragma: no cover - numpy refuses other versions in read_magic
                raise ValueError(f"unsupported .npy version {version}")
        except (ValueError, OSError, SyntaxError) as exc:
            raise ParameterError(f"{what} {p} is not a valid .npy file: {exc}") from None
        if dtype.hasobject or dtype.kind not in "fiu":
            raise ParameterError(f"{what} {p} must hold real numbers (float or integer dtype); got dtype {dtype}")
        count = math.prod(shape)
        if count > MAX_VALUES:
            raise ParameterError(f"{what} {p} declares {count} values; at most {MAX_VALUES} are accepted")
        expected = fh.tell() + count * dtype.itemsize
        if expected != size:
            raise ParameterError(
                f"{what} {p} declares shape {shape} ({expected} bytes with its header) but the file has {size} bytes"
            )
        data = np.fromfile(fh, dtype=dtype, count=count)
    return np.asarray(data, dtype=np.float64).ravel()


def read_values(path: str | Path, what: str = "file") -> np.ndarray:
    """The numbers in ``path`` (``.npy`` or text) as a flat float64 array, after the size and header checks."""
    if not isinstance(path, (str, Path)) or not str(path).strip():
        raise ParameterError(f"{what} must be a path to a .npy or text file; got {path!r}")
    p = Path(path)
    if not p.is_file():
        raise ParameterError(f"{what} not found: {path}")
    size = p.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ParameterError(f"{what} {path} has {size} bytes; at most {MAX_FILE_BYTES} are read")
    if p.suffix == ".npy":
        return _npy(p, what, size)
    try:
        text = p.read_text()
        values = np.array(text.replace(",", " ").split(), dtype=np.float64)
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise ParameterError(f"cannot read numbers from {what} {path}: {exc}") from None
    if values.size > MAX_VALUES:
        raise ParameterError(f"{what} {path} holds {values.size} values; at most {MAX_VALUES} are accepted")
    return values


__all__ = ["MAX_FILE_BYTES", "MAX_VALUES", "read_values"]
