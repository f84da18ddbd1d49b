"""Property tests (hypothesis) of the self-consistent solution over random inputs."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from scalingsym import PowerLaw, RandomFeatureRidge

MODEL = RandomFeatureRidge(PowerLaw(0.8, 400))
sizes = st.integers(min_value=2, max_value=2000)
ridges = st.one_of(st.just(0.0), st.floats(min_value=1e-9, max_value=1e4))


@settings(max_examples=40, deadline=None)
@given(N=sizes, T=sizes, g=ridges)
def test_exact_N_T_symmetry_and_branch(N, T, g):
    a = MODEL.solve(N, T, g)
    b = MODEL.solve(T, N, g)
    if np.isinf(a.loss):
        assert N == T and g == 0 and N < 400
        return
    assert np.isclose(a.loss, b.loss, rtol=1e-11, atol=0)
    assert a.loss >= 0 and a.bias >= 0 and a.variance >= -1e-12 * a.loss
    if a.rho > 0:
        assert a.d1 < min(N, T) or np.isclose(a.d1, min(N, T), rtol=1e-12)
        assert a.rho >= g / MODEL.u_var / (N * T) * (1 - 1e-12)


@settings(max_examples=25, deadline=None)
@given(N=st.integers(min_value=2, max_value=300), g=st.floats(min_value=1e-6, max_value=1e2))
def test_more_data_never_hurts_at_fixed_positive_ridge_far_from_peak(N, g):
    """With T >> N the loss decreases in T (the variance shrinks) -- holds for the deterministic equivalent."""
    L = MODEL.loss(N, np.array([4 * N, 8 * N, 16 * N]), g)
    assert np.all(np.diff(L) <= 1e-12 * L[0])
