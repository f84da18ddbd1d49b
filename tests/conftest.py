"""Shared fixtures: mpmath precision is restored after every test; the representation cache of the fast path
lives in a temporary folder of the session (never in the user's ``~/.cache``)."""

import os
import tempfile

import mpmath
import pytest

if "SCALINGSYM_CACHE" not in os.environ:
    os.environ["SCALINGSYM_CACHE"] = tempfile.mkdtemp(prefix="scalingsym-test-cache-")


@pytest.fixture(autouse=True)
def _restore_mpmath_precision():
    dps = mpmath.mp.dps
    yield
    mpmath.mp.dps = dps
