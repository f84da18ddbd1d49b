"""Real data that ships inside optional packages (the ``data`` extra); nothing is downloaded.

* ``digits``: scikit-learn's bundled handwritten digits, 1797 samples x 64 pixels (8x8, values 0..16),
  with labels 0..9 (:func:`sklearn.datasets.load_digits` reads a file inside the scikit-learn wheel);
* ``image-patches``: non-overlapping 16x16 grey patches (256 dimensions, values in [0, 1]) cut from the
  natural images bundled in the scikit-image wheel: ``camera``, ``astronaut``, ``coffee``, ``chelsea``,
  ``hubble_deep_field``. The image files are read from the package's own ``data`` directory; if one is
  missing (a build that fetches it on demand) a clear error is raised instead of fetching it.

Install with ``pip install scalingsym[data]`` (``scikit-learn``, ``scikit-image``). Without them the
loaders raise :class:`MissingDependencyError`.

Examples
--------
>>> available_datasets()
('digits', 'image-patches')
>>> load_dataset("cifar")
Traceback (most recent call last):
...
scalingsym.core.errors.ParameterError: dataset must be one of 'digits', 'image-patches'; got 'cifar'
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass

import numpy as np

from ..core.errors import ParameterError, ScalingSymError

#: images of scikit-image used for the patches, with their bundled file names
PATCH_IMAGES: dict[str, str] = {
    "camera": "camera.png",
    "astronaut": "astronaut.png",
    "coffee": "coffee.png",
    "chelsea": "chelsea.png",
    "hubble_deep_field": "hubble_deep_field.jpg",
}


class MissingDependencyError(ScalingSymError, ImportError):
    """An optional package needed for a bundled data set is not installed."""


@dataclass
class Dataset:
    """A data matrix ``X`` (``n_samples x dim``, float64), optional integer labels, and a description."""

    name: str
    X: np.ndarray
    labels: np.ndarray | None
    description: str

    @property
    def dim(self) -> int:
        """Feature dimension."""
        return int(self.X.shape[1])

    def one_hot(self) -> np.ndarray:
        """Labels as a one-hot float64 matrix (``n_samples x classes``)."""
        if self.labels is None:
            raise ParameterError(f"dataset {self.name!r} has no labels")
        classes = np.unique(self.labels)
        return (self.labels[:, None] == classes[None, :]).astype(np.float64)


def _require(module: str, package: str):
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f"this data set needs the optional package {package!r}; install it with "
            f"`pip install {package}` or `pip install scalingsym[data]`"
        ) from exc


def available_datasets() -> tuple[str, ...]:
    """Names accepted by :func:`load_dataset`."""
    return ("digits", "image-patches")


def load_digits() -> Dataset:
    """scikit-learn's bundled 8x8 digits: ``X`` is 1797 x 64 (pixel values 0..16), labels 0..9."""
    skd = _require("sklearn.datasets", "scikit-learn")
    bunch = skd.load_digits()
    return Dataset(
        "digits",
        np.asarray(bunch.data, dtype=np.float64),
        np.asarray(bunch.target, dtype=np.int64),
        "scikit-learn digits (UCI optdigits test set), 1797 x 64, pixel values 0..16",
    )


def _image_path(filename: str) -> str:
    skdata = _require("skimage.data", "scikit-image")
    path = os.path.join(os.path.dirname(skdata.__file__), filename)
    if not os.path.isfile(path):
        raise MissingDependencyError(
            f"scikit-image image {filename!r} is not bundled in this installation ({path} missing); "
            "scalingsym never downloads data at run time"
        )
    return path


def load_image(name: str) -> np.ndarray:
    """One bundled scikit-image image as a grey float64 array in ``[0, 1]`` (read from the wheel)."""
    if name not in PATCH_IMAGES:
        raise ParameterError(f"image must be one of {', '.join(map(repr, PATCH_IMAGES))}; got {name!r}")
    io = _require("skimage.io", "scikit-image")
    color = _require("skimage.color", "scikit-image")
    im = io.imread(_image_path(PATCH_IMAGES[name]))
    if im.ndim == 3:
        return np.asarray(color.rgb2gray(im[..., :3]), dtype=np.float64)
    return np.asarray(im, dtype=np.float64) / 255.0


def image_patches(size: int = 16, images: tuple[str, ...] | None = None) -> Dataset:
    """Non-overlapping ``size x size`` grey patches from bundled natural images (``size**2`` dimensions).

    Each image is cropped to a multiple of ``size`` and tiled; patches are flattened row-major and
    stacked in the order of ``images`` (default: all of :data:`PATCH_IMAGES`).
    """
    if int(size) != size or not 2 <= size <= 64:
        raise ParameterError(f"size must be an integer in [2, 64]; got {size}")
    size = int(size)
    names = tuple(PATCH_IMAGES) if images is None else tuple(images)
    if not names:
        raise ParameterError("images must name at least one image")
    blocks = []
    for nm in names:
        im = load_image(nm)
        h, w = (im.shape[0] // size) * size, (im.shape[1] // size) * size
        p = im[:h, :w].reshape(h // size, size, w // size, size).transpose(0, 2, 1, 3).reshape(-1, size * size)
        blocks.append(p)
    X = np.vstack(blocks)
    return Dataset(
        "image-patches",
        X,
        None,
        f"{X.shape[0]} non-overlapping {size}x{size} grey patches from scikit-image's {', '.join(names)}",
    )


def load_dataset(name: str) -> Dataset:
    """Load a bundled data set by name (see :func:`available_datasets`)."""
    if name == "digits":
        return load_digits()
    if name == "image-patches":
        return image_patches()
    raise ParameterError(f"dataset must be one of {', '.join(map(repr, available_datasets()))}; got {name!r}")
