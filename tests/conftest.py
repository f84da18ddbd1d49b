"""Shared fixtures: mpmath precision is restored after every test."""

import mpmath
import pytest


@pytest.fixture(autouse=True)
def _restore_mpmath_precision():
    dps = mpmath.mp.dps
    yield
    mpmath.mp.dps = dps
