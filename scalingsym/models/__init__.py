"""Models built on the shared spectral core: the static random-feature ridge model (MRS, Zhang)."""

from .ridge import RandomFeatureRidge, RidgeSolution

__all__ = ["RandomFeatureRidge", "RidgeSolution"]
