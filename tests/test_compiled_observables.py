"""The ridge model's observables in one compiled pass (:mod:`scalingsym.models.compiled_observables`).

The compiled pass evaluates the engine's expressions as printed by lambdify, the text the numpy path evaluates:
its results must be the numpy path's bit for bit, and every point it does not take must go through the numpy path.
"""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest

from scalingsym.core import fastsums
from scalingsym.core.errors import ParameterError
from scalingsym.core.spectra import PowerLaw
from scalingsym.models import compiled_observables
from scalingsym.models.ridge import RandomFeatureRidge, fast_ridge

numba_only = pytest.mark.skipif(fastsums._kernel_module() is None, reason="numba is not installed")

FIELDS = ("rho", "d1", "d2", "loss", "bias", "variance", "noise")


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SCALINGSYM_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("SCALINGSYM_KERNEL", raising=False)


def _numpy_path(monkeypatch):
    monkeypatch.setattr(compiled_observables, "module", lambda: None)


def _grid(rng, k: int):
    N = 10 ** rng.uniform(1, 3.5, k)
    T = 10 ** rng.uniform(1, 3.5, k)
    g = 10 ** rng.uniform(-6, 1, k)
    T[:50] = N[:50]  # N = T at a ridge
    N[50:100] = np.inf  # with the normalised regulariser below
    return N, T, g


@numba_only
@pytest.mark.parametrize(("noise", "w_var", "u_var"), [(0.0, None, None), (0.3, 2.0, 0.5)])
def test_compiled_pass_is_the_numpy_path_bit_for_bit(noise, w_var, u_var, monkeypatch):
    model = fast_ridge(RandomFeatureRidge(PowerLaw(alpha=1.2, M=10**4), w_var=w_var, u_var=u_var, noise=noise))
    assert compiled_observables.module() is not None
    rng = np.random.default_rng(11)
    N, T, g = _grid(rng, 6000)
    N[50:100] = 300.0
    s = 10 ** rng.uniform(-10, -2, 6000)
    got = model.solve(N, T, g), model.solve_normalised(np.inf, T, s)
    # one compiled signature whatever the callers' arrays (broadcast views, read-only or not): no compile per call
    assert len(compiled_observables.module().observables.signatures) == 1
    _numpy_path(monkeypatch)
    want = model.solve(N, T, g), model.solve_normalised(np.inf, T, s)
    for a, b in zip(got, want):
        for f in FIELDS:
            assert np.asarray(getattr(a, f)).tobytes() == np.asarray(getattr(b, f)).tobytes(), f


@numba_only
def test_points_the_compiled_pass_does_not_take_go_through_numpy(monkeypatch):
    model = fast_ridge(RandomFeatureRidge(PowerLaw(alpha=1, M=2000), noise=0.1))
    rng = np.random.default_rng(3)
    N, T, g = _grid(rng, 5000)
    N[50:100] = 100.0
    cases = []
    g1 = g.copy()
    g1[7] = 1e25  # rho ~ 1e20: frozen, the loss is its gamma -> inf limit
    cases.append((N, T, g1))
    N2, T2 = N.copy(), T.copy()
    N2[9], T2[9] = 3000.0, 4000.0  # min(N, T) >= M with a ridge: rho > 0 still, an ordinary point
    cases.append((N2, T2, g))
    taken = []
    real = RandomFeatureRidge._observables_compiled

    def spy(self, *a):
        out = real(self, *a)
        taken.append(out is not None)
        return out

    monkeypatch.setattr(RandomFeatureRidge, "_observables_compiled", spy)
    for args in cases:
        got = model.solve(*args)
        with monkeypatch.context() as m:
            _numpy_path(m)
            want = model.solve(*args)
        for f in FIELDS:
            assert np.asarray(getattr(got, f)).tobytes() == np.asarray(getattr(want, f)).tobytes(), f
    # the frozen point sends its batch to numpy, the other batch is compiled (odd entries: the numpy-path runs)
    assert taken[::2] == [False, True]
    assert model.solve(*cases[0]).loss[7] == model.w_var / 2 * model.spectrum.trace()
    # the regulated peak at a vanishing ridge: refused with the same message either way
    N3, T3, g3 = N.copy(), T.copy(), g.copy()
    N3[0] = T3[0] = 500.0
    g3[0] = 1e-30
    with pytest.raises(ParameterError, match="float64 cannot resolve"):
        model.solve(N3, T3, g3)


def test_generated_text_is_the_engine_expression_the_numpy_path_evaluates():
    from scalingsym.models import ridge

    text = compiled_observables.source()
    for fn in (*ridge._compiled_b1b("numpy"), ridge._compiled("numpy")[2]):
        body = inspect.getsource(fn).split("\n", 1)[1].strip()
        assert body.startswith("return ") and body in text
    assert "def observables(" in text


@numba_only
def test_module_is_written_checked_and_optional(tmp_path, monkeypatch):
    mod = compiled_observables.module()
    assert mod is not None and callable(mod.observables)
    folder = tmp_path / "cache" / "compiled"
    files = list(folder.glob("ridge_observables_*.py"))
    assert len(files) == 1 and files[0].read_text() == compiled_observables.source()
    # a file whose text is not the generated text is rewritten before it is imported
    other = tmp_path / "other"
    monkeypatch.setenv("SCALINGSYM_CACHE", str(other))
    (other / "compiled").mkdir(parents=True)
    (other / "compiled" / files[0].name).write_text("raise SystemExit('not this')\n")
    assert compiled_observables.module() is not None
    assert (other / "compiled" / files[0].name).read_text() == compiled_observables.source()
    monkeypatch.setenv("SCALINGSYM_CACHE", "off")
    assert compiled_observables.module() is None
    monkeypatch.setenv("SCALINGSYM_CACHE", str(other))
    monkeypatch.setenv("SCALINGSYM_KERNEL", "numpy")
    assert compiled_observables.module() is None


def test_unwritable_cache_folder_means_the_numpy_path(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("SCALINGSYM_CACHE", str(blocker))  # a file where the folder should be
    assert compiled_observables.module() is None
    model = RandomFeatureRidge(PowerLaw(alpha=1, M=10**4))
    N = np.full(5000, 100.0)
    loss = model.loss(N, 300.0, np.logspace(-5, 0, 5000))
    assert np.all(np.isfinite(loss)) and math.isfinite(float(loss[0]))


@numba_only
def test_threads_get_one_finished_module(tmp_path, monkeypatch):
    import threading

    monkeypatch.setenv("SCALINGSYM_CACHE", str(tmp_path / "threads"))
    got, errors = [], []

    def load():
        try:
            got.append(compiled_observables.module())
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=load) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(got) == 4
    assert all(m is got[0] and m is not None and callable(m.observables) for m in got)
    assert not list((tmp_path / "threads" / "compiled").glob("*.tmp"))


@numba_only
def test_a_folder_others_may_write_is_not_used(tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    (shared / "compiled").mkdir(parents=True)
    (shared / "compiled").chmod(0o777)
    monkeypatch.setenv("SCALINGSYM_CACHE", str(shared))
    assert compiled_observables.module() is None
    (shared / "compiled").chmod(0o700)
    assert compiled_observables.module() is not None
