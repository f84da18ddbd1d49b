"""Sweeps: grids, values against direct model calls and simulation, determinism, resume, worker loss, memory guard."""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

import cloudpickle
import numpy as np
import pytest
import xarray as xr

from scalingsym.cli import main
from scalingsym.core.errors import ParameterError, ResourceError
from scalingsym.core.parsing import parse_spectrum
from scalingsym.models.dynamics import GradientFlowRF
from scalingsym.models.ridge import RandomFeatureRidge
from scalingsym.output import sweep_store
from scalingsym.output.grids import load_spec, parse_chunks, parse_grid
from scalingsym.output.sweep import local_cluster, point_seed, simulation_bytes, sweep

# hooks defined here run inside dask worker processes: ship this module's functions by value
cloudpickle.register_pickle_by_value(sys.modules[__name__])

SPEC = "powerlaw(alpha=1, M=400)"
THEORY = dict(N="10:1000:7log", T="20,200,2000", gamma="1e-6:1:4log")
SIM = dict(mode="simulate", N="20,40", T="60,240", gamma="0,1e-3,1e-1", seeds=6, seed=11, teachers=4)
SIM_SPEC = "powerlaw(alpha=1, M=120)"


def _bytes(ds: xr.Dataset) -> dict[str, bytes]:
    """Every variable's and coordinate's raw bytes (bit-identity, not closeness)."""
    return {name: np.ascontiguousarray(ds[name].values).tobytes() for name in [*ds.data_vars, *ds.coords]}


# ------------------------------------------------------------------------------ grids -----------
def test_grid_forms_against_closed_forms():
    v = parse_grid("N", "10:1e4:40log")
    assert v.size == 40 and v[0] == 10.0 and v[-1] == 1e4
    ratios = v[1:] / v[:-1]
    assert np.allclose(ratios, 1000 ** (1 / 39), rtol=1e-12)  # constant ratio of a log grid
    assert parse_grid("gamma", "0:2:5").tolist() == [0.0, 0.5, 1.0, 1.5, 2.0]
    assert parse_grid("T", "100,200,400").tolist() == [100.0, 200.0, 400.0]
    assert parse_grid("T", [3, 1, 2]).tolist() == [3.0, 1.0, 2.0]
    assert parse_grid("N", 5).tolist() == [5.0]
    assert parse_chunks("N=4,seeds=2") == {"N": 4, "seeds": 2}


@pytest.mark.parametrize(
    "text, fragment",
    [("10:1:0log", "number of points"), ("0:10:3log", "START > 0"), ("1,x", "expected a number"),
     ("1,1", "distinct"), ("1:2", "START:STOP:COUNT"), ("1:2:1e9", "at most"), ("", "empty"), ("nan", "finite")],
)
def test_grid_errors_name_the_grid(text, fragment):
    with pytest.raises(ParameterError, match=fragment) as info:
        parse_grid("N", text)
    assert "grid N" in str(info.value)


def test_spec_file_and_bad_keys(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text('mode = "theory"\nspectrum = "powerlaw(alpha=1, M=50)"\nN = [10, 20]\nT = "30"\n[chunks]\nN = 1\n')
    spec = load_spec(p)
    assert spec["N"] == [10, 20] and spec["chunks"] == {"N": 1}
    p.write_text('spectrum = "powerlaw(alpha=1, M=50)"\nNN = 3\n')
    with pytest.raises(ParameterError, match="unknown key"):
        load_spec(p)
    p.write_text("N = [1,\n")
    with pytest.raises(ParameterError, match="not valid TOML"):
        load_spec(p)


# ------------------------------------------------------------------------------ values ----------
def test_theory_matches_direct_calls():
    ds = sweep(SPEC, quiet=True, **THEORY)
    assert ds["loss"].dims == ("N", "T", "gamma")
    assert all(ds[d].dtype == np.float64 for d in ("N", "T", "gamma"))
    for key in ("spectrum", "task", "convention", "scalingsym_version", "seed"):
        assert key in ds.attrs
    model = RandomFeatureRidge(parse_spectrum(SPEC))  # the second path: the model on its own spectrum object
    Ng, Tg, Gg = np.meshgrid(ds.N.values, ds.T.values, ds.gamma.values, indexing="ij")
    direct = model.loss(Ng, Tg, Gg)
    np.testing.assert_allclose(ds["loss"].values, direct, rtol=1e-12, atol=0)


def test_theory_fast_and_mpmath_paths():
    fast = sweep(SPEC, fast=True, quiet=True, **THEORY)
    model = RandomFeatureRidge(parse_spectrum(SPEC))
    Ng, Tg, Gg = np.meshgrid(fast.N.values, fast.T.values, fast.gamma.values, indexing="ij")
    np.testing.assert_allclose(fast["loss"].values, model.loss(Ng, Tg, Gg), rtol=1e-11)
    # the interpolated representation does not depend on the query history: a second sweep that first
    # touches other panels gives the same bits
    other = sweep(SPEC, fast=True, quiet=True, **{**THEORY, "N": "5000,10,1000", "gamma": "1e-3,1e-6,1,0.1"})
    for n in (10.0, 1000.0):
        for g in (1e-6, 1.0):
            assert other["loss"].sel(N=n, gamma=g).values.tobytes() == fast["loss"].sel(N=n, gamma=g).values.tobytes()
    mp = sweep(SPEC, N="30,300", T="100", gamma="1e-4,1e-2", precision=25, quiet=True)
    for (i, n), (k, g) in [((0, 30.0), (0, 1e-4)), ((1, 300.0), (1, 1e-2))]:
        ref = float(model.solve_mp(n, 100.0, g, dps=40).loss)  # 40 digits, independent call
        assert mp["loss"].values[i, 0, k] == pytest.approx(ref, rel=1e-15)
        assert mp["loss"].values[i, 0, k] == pytest.approx(float(model.loss(n, 100.0, g)), rel=1e-10)


def test_dynamics_theory_matches_loss_curve():
    spec = "powerlaw(alpha=0.5, M=300)"
    ds = sweep(spec, N="20,80", T="50,400", t="0:40:5", quiet=True)
    assert ds["loss"].dims == ("N", "T", "t")
    m = GradientFlowRF(parse_spectrum(spec))
    for i, n in enumerate((20.0, 80.0)):
        for j, p in enumerate((50.0, 400.0)):
            ref = m.loss_curve(np.linspace(0, 40, 5), n, p).test_loss
            np.testing.assert_allclose(ds["loss"].values[i, j], ref, rtol=1e-13)
    with pytest.raises(ParameterError, match="not chunked"):
        sweep(spec, N="20", T="50", t="1,2", chunks="t=1", quiet=True)


def test_simulation_agrees_with_theory():
    """|mean - theory| <= 3 stderr + 2/min(N, T) |theory| (the verdict of scalingsym.output.check)."""
    ds = sweep(SIM_SPEC, quiet=True, **{**SIM, "seeds": 12})
    assert set(ds.data_vars) >= {"loss_mean", "loss_stderr", "n_seeds"}
    assert int(ds["n_seeds"].min()) == 12
    theory = RandomFeatureRidge(parse_spectrum(SIM_SPEC))
    for n in ds.N.values:
        for p in ds.T.values:
            for g in ds.gamma.values:
                th = float(theory.loss(n, p, g))
                pt = dict(N=n, T=p, gamma=g)
                mean, se = float(ds["loss_mean"].sel(pt)), float(ds["loss_stderr"].sel(pt))
                assert abs(mean - th) <= 3 * se + 2.0 / min(n, p) * abs(th), (n, p, g, mean, se, th)
    # the standard error is the sample standard deviation of the stored draws over sqrt(seeds)
    per = ds["loss_per_seed"].values
    np.testing.assert_allclose(ds["loss_stderr"].values, per.std(axis=-1, ddof=1) / math.sqrt(12), rtol=1e-14)


def test_seeds_come_from_coordinates_not_grid_position():
    small = sweep(SIM_SPEC, quiet=True, **{**SIM, "N": "40", "T": "240"})
    big = sweep(SIM_SPEC, quiet=True, **SIM)
    a = small["loss_per_seed"].values[0, 0]
    b = big["loss_per_seed"].sel(N=40.0, T=240.0).values
    assert a.tobytes() == b.tobytes()
    assert point_seed(11, 40, 240, 0) == int(np.random.SeedSequence(11, spawn_key=(40, 240, 0)).generate_state(
        1, np.uint64)[0] >> np.uint64(1))


# ------------------------------------------------------------------------------ determinism -----
@pytest.fixture(scope="module")
def clients():
    from distributed import Client

    made = []
    out = {}
    for k in (1, 2):
        cluster = local_cluster(k)
        client = Client(cluster)
        made.append((client, cluster))
        out[k] = client
    yield out
    for client, cluster in made:
        client.close()
        cluster.close()


def test_bit_identical_in_process_one_and_two_workers_any_chunking(clients):
    for spec, kw, chunkings in (
        (SPEC, THEORY, ("N=2,T=1,gamma=3", "N=7,T=3,gamma=1")),
        (SPEC, {**THEORY, "fast": True}, ("N=1,T=2,gamma=4", "N=4,T=3,gamma=2")),
        (SIM_SPEC, SIM, ("N=1,T=1,gamma=3,seeds=6", "N=2,T=1,gamma=1,seeds=4")),
    ):
        ref = _bytes(sweep(spec, quiet=True, **kw))
        for chunks in chunkings:
            assert _bytes(sweep(spec, chunks=chunks, quiet=True, **kw)) == ref, chunks
        assert _bytes(sweep(spec, scheduler=clients[1], quiet=True, **kw)) == ref
        assert _bytes(sweep(spec, scheduler=clients[2], chunks=chunkings[0], quiet=True, **kw)) == ref


class _FailAfter:
    """Raise in the chunk after ``n`` chunks have started (a crash in the middle of a sweep)."""

    def __init__(self, n: int) -> None:
        self.n, self.calls = n, 0

    def __call__(self, block) -> None:
        self.calls += 1
        if self.calls > self.n:
            raise KeyboardInterrupt("simulated interruption")


class _Count:
    def __init__(self) -> None:
        self.blocks: list = []

    def __call__(self, block) -> None:
        self.blocks.append(block)


@pytest.mark.parametrize("suffix", [".zarr", ".nc"])
def test_interrupted_sweep_resumes_with_only_missing_chunks(tmp_path, suffix):
    kw = dict(SIM, chunks="N=1,T=1,gamma=3,seeds=2")  # 2 x 2 x 1 x 3 = 12 chunks
    full = sweep(SIM_SPEC, out=tmp_path / f"full{suffix}", quiet=True, **kw)
    out = tmp_path / f"resumed{suffix}"
    with pytest.raises(KeyboardInterrupt):
        sweep(SIM_SPEC, out=out, quiet=True, on_chunk=_FailAfter(5), **kw)
    store = Path(str(out) + (".partial.zarr" if suffix == ".nc" else ""))
    done_before = int(np.asarray(sweep_store.SweepStore(store, None).done_mask()).sum())
    assert 0 < done_before < 12
    count, stats = _Count(), {}
    resumed = sweep(SIM_SPEC, out=out, quiet=True, on_chunk=count, stats=stats, **kw)
    assert len(count.blocks) == 12 - done_before == stats["computed"]
    assert stats["skipped"] == done_before
    assert _bytes(resumed) == _bytes(full)
    assert resumed.attrs == full.attrs
    if suffix == ".zarr":  # a finished store: a rerun computes nothing
        again = _Count()
        sweep(SIM_SPEC, out=out, quiet=True, on_chunk=again, **kw)
        assert again.blocks == []
    else:
        assert not store.exists()
        on_disk = xr.open_dataset(out, engine="h5netcdf")
        assert _bytes(on_disk) == _bytes(full)
        on_disk.close()


def test_store_of_another_sweep_is_refused(tmp_path):
    out = tmp_path / "a.zarr"
    sweep(SPEC, N="10,20", T="30", out=out, quiet=True)
    with pytest.raises(ParameterError, match="different sweep"):
        sweep(SPEC, N="10,20,40", T="30", out=out, quiet=True)
    (tmp_path / "junk.zarr").mkdir()
    with pytest.raises(ParameterError, match="not a sweep store"):
        sweep(SPEC, N="10", T="30", out=tmp_path / "junk.zarr", quiet=True)
    with pytest.raises(ParameterError, match=r"\.nc"):
        sweep(SPEC, N="10", T="30", out=tmp_path / "a.csv", quiet=True)


class _KillOnce:
    """Kill the worker process computing the first chunk it sees, once (a marker file records it)."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __call__(self, block) -> None:
        try:
            fd = os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return
        os.close(fd)
        os._exit(1)


def test_worker_killed_mid_sweep_is_retried_and_result_identical(tmp_path):
    from distributed import Client

    ref = _bytes(sweep(SIM_SPEC, quiet=True, **SIM))
    marker = tmp_path / "killed"
    with local_cluster(2) as cluster:
        with Client(cluster) as client:
            ds = sweep(SIM_SPEC, scheduler=client, quiet=True, on_chunk=_KillOnce(str(marker)), **SIM)
    assert marker.exists()  # a worker did die
    assert _bytes(ds) == ref


# ------------------------------------------------------------------------------ memory guard ----
def test_memory_guard_refuses_up_front(monkeypatch):
    calls = _Count()
    with pytest.raises(ResourceError, match=r"N = 5000, T = 8000, M = 120000 needs about .* cluster") as info:
        sweep("powerlaw(alpha=1, M=120000)", mode="simulate", N="100,5000", T="8000", seeds=2,
              memory_budget="1G", on_chunk=calls, quiet=True)
    assert calls.blocks == []
    # the estimate counts at least the two draws u (N x M) and X (T x M) in float64
    assert simulation_bytes(5000, 8000, 120000, 8) >= 8 * (5000 + 8000) * 120000
    assert "GiB" in str(info.value)
    monkeypatch.setenv("SCALINGSYM_MEMORY_BUDGET", "1M")
    with pytest.raises(ResourceError, match="budget is 1 MiB"):
        sweep(SIM_SPEC, mode="simulate", N="100", T="400", seeds=2, quiet=True)


@pytest.mark.parametrize(
    "kw, fragment",
    [(dict(mode="fit"), "mode"), (dict(N=None), "grids N and T"), (dict(N="-1,2"), "N must be"),
     (dict(gamma="-1"), "gamma must be"), (dict(mode="simulate", seeds=1), "seeds must be >= 2"),
     (dict(t="1,2", gamma="0.1"), "not a dimension"), (dict(precision=3), "precision"),
     (dict(chunks="Q=2"), "unknown dimension"), (dict(workers=2, scheduler="tcp://x:1"), "not both"),
     (dict(seed=-1), "seed must be")],
)
def test_bad_arguments_give_clear_errors(kw, fragment):
    args = dict(N="10,20", T="30", quiet=True)
    args.update(kw)
    with pytest.raises(ParameterError, match=fragment):
        sweep(SIM_SPEC, **args)


# ------------------------------------------------------------------------------ CLI -------------
def test_cli_writes_netcdf_and_reads_spec(tmp_path, capsys):
    out = tmp_path / "s.nc"
    code = main(["sweep", "theory", "--spectrum", SPEC, "--N", "10:100:3log", "--T", "50", "--gamma", "1e-3",
                 "--out", str(out), "--quiet", "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["dims"] == {"N": 3, "T": 1, "gamma": 1} and summary["computed"] == summary["chunks"]
    ds = xr.open_dataset(out, engine="h5netcdf")
    direct = RandomFeatureRidge(parse_spectrum(SPEC)).loss(ds.N.values, 50.0, 1e-3)
    np.testing.assert_allclose(ds["loss"].values[:, 0, 0], direct, rtol=1e-12)
    ds.close()
    spec = tmp_path / "s.toml"
    spec.write_text(f'mode = "simulate"\nspectrum = "{SIM_SPEC}"\nN = "20"\nT = [60]\nseeds = 3\n')
    code = main(["sweep", "--spec", str(spec), "--seeds", "4", "--out", str(tmp_path / "m.zarr"), "--quiet",
                 "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["dims"]["seed_index"] == 4  # the flag wins over the file
    assert main(["sweep", "theory", "--spectrum", SPEC, "--N", "10:1:0log", "--T", "5"]) == 2
    assert "grid N" in capsys.readouterr().err
    assert main(["sweep", "--spectrum", SPEC, "--N", "10", "--T", "5"]) == 2
    assert "mode" in capsys.readouterr().err


def test_plot_draws_lines_error_bars_and_heat_map(tmp_path, capsys):
    from scalingsym.output.sweep_plot import plot_sweep

    th = sweep(SPEC, N="10:1000:5log", T="20,200,2000", gamma="1e-4,1e-2", quiet=True)
    fig = plot_sweep(th, kind="lines", third=1e-2)
    ax = fig.axes[0]
    assert len(ax.lines) == 3  # one curve per T
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), th["loss"].values[:, 1, 1])
    sim = sweep(SIM_SPEC, quiet=True, **SIM)
    fig = plot_sweep(sim, kind="lines")
    assert len(fig.axes[0].containers) == 2  # error bars, one set per T
    with pytest.raises(ParameterError, match="not on the grid"):
        plot_sweep(th, third=0.5)
    with pytest.raises(ParameterError, match="gamma = 0"):
        plot_sweep(sim, kind="heatmap")
    out = tmp_path / "th.nc"
    th.to_netcdf(out, engine="h5netcdf")
    assert main(["plot", str(out), "--kind", "heatmap", "--T", "200", "--json"]) == 0
    paths = json.loads(capsys.readouterr().out)
    assert Path(paths["png"]).stat().st_size > 0 and Path(paths["pdf"]).exists()


# ------------------------------------------------------------------------------ new dimensions --
EXTRA_SPEC = "powerlaw(alpha=1, M=100)"
FLOW_SPEC = "powerlaw(alpha=0.5, M=150)"


def test_grids_with_inf_and_spec_keys_of_the_new_dimensions(tmp_path):
    assert parse_grid("N", "100, inf", allow_inf=True).tolist() == [100.0, math.inf]
    assert parse_grid("E", [1, math.inf], allow_inf=True).tolist() == [1.0, math.inf]
    with pytest.raises(ParameterError, match="must be finite"):
        parse_grid("N", "100,inf")
    with pytest.raises(ParameterError, match="finite numbers or inf"):
        parse_grid("N", "-inf", allow_inf=True)
    p = tmp_path / "s.toml"
    p.write_text(
        'mode = "theory"\nmodel = "sgd"\nspectrum = "powerlaw(alpha=0.5, M=50)"\nN = [16, inf]\nB = "1,4"\n'
        'lr = 0.2\nsteps = [0, 10]\nnu = [0, 0.5]\n'
    )
    spec = load_spec(p)
    assert spec["N"] == [16, math.inf] and spec["model"] == "sgd" and spec["nu"] == [0, 0.5]
    p.write_text('E = [1, 2]\nnoise = 0.1\na = 2\ns = 1e-3\nt = "0,1"\nensemble_data = "same"\n')
    assert set(load_spec(p)) == {"E", "noise", "a", "s", "t", "ensemble_data"}


def test_ridge_theory_over_E_noise_and_task_matches_direct_calls():
    from scalingsym.core.tasks import Task
    from scalingsym.models.ensemble import static_ensemble

    spec = parse_spectrum(EXTRA_SPEC)  # lambda_k = k^-2: source(a) is power(nu = a - 2)
    ds = sweep(EXTRA_SPEC, N="20,40", T="60", gamma="0,1e-2", E="1,3,inf", ensemble_data="independent", quiet=True)
    assert ds["loss"].dims == ("N", "T", "gamma", "E") and ds.attrs["ensemble_data"] == "independent"
    assert ds["E"].values.tolist() == [1.0, 3.0, math.inf]
    for i, n in enumerate((20.0, 40.0)):
        for k, g in enumerate((0.0, 1e-2)):
            ref = static_ensemble(RandomFeatureRidge(spec), n, 60.0, g, E=[1, 3, math.inf], data="independent").loss
            np.testing.assert_allclose(ds["loss"].values[i, 0, k], ref, rtol=1e-12)
    # E = 1 is the single model, E = inf its cross term (L_E = C + (L_1 - C)/E exactly)
    L1, L3, Linf = (ds["loss"].values[..., e] for e in range(3))
    np.testing.assert_allclose(L3, Linf + (L1 - Linf) / 3, rtol=1e-12)
    ds = sweep(EXTRA_SPEC, N="20,40", T="60", gamma="1e-3", noise="0,0.2", nu="0,0.5", quiet=True)
    assert ds["loss"].dims == ("N", "T", "gamma", "noise", "nu")
    for b, eps in enumerate((0.0, 0.2)):
        for c, nu in enumerate((0.0, 0.5)):
            ref = RandomFeatureRidge(spec, Task.power(nu), noise=eps).loss(np.array([20.0, 40.0]), 60.0, 1e-3)
            np.testing.assert_allclose(ds["loss"].values[:, 0, 0, b, c], ref, rtol=1e-12)
    ds = sweep(EXTRA_SPEC, N="20", T="60", gamma="1e-3", a="2.5,3", quiet=True)
    assert ds.attrs["task"] == "source(a=<coordinate a>)"
    for c, a in enumerate((2.5, 3.0)):
        ref = float(RandomFeatureRidge(spec, Task.power(a - 2.0)).loss(20.0, 60.0, 1e-3))
        assert ds["loss"].values[0, 0, 0, c] == pytest.approx(ref, rel=1e-12)


def test_inf_coordinates_use_the_normalised_regulariser_and_survive_netcdf_and_zarr(tmp_path):
    spec = parse_spectrum(EXTRA_SPEC)
    lam = spec.eigenvalues()
    s = np.array([1e-4, 1e-2])
    ds = sweep(EXTRA_SPEC, N="30,inf", T="80,inf", s=s, out=tmp_path / "k.nc", quiet=True)
    assert ds["loss"].dims == ("N", "T", "s") and np.isinf(ds["N"].values[1]) and np.isinf(ds["T"].values[1])
    # N = T = inf: no random features, no finite data: rho = s and the loss is the ridge bias, in closed form
    ref = 0.5 / lam.size * np.array([np.sum(lam * (x / (lam + x)) ** 2) for x in s])
    np.testing.assert_allclose(ds["loss"].values[1, 1], ref, rtol=1e-12)
    with np.errstate(invalid="ignore"):  # the model's unused inf * 0 branch at N = inf
        direct = RandomFeatureRidge(spec).solve_normalised(
            np.array([[30.0], [math.inf]]), np.array([80.0, math.inf]), 1e-2
        )
    np.testing.assert_allclose(ds["loss"].values[:, :, 1], direct.loss, rtol=1e-12)
    for path in (tmp_path / "k.nc",):
        on_disk = xr.open_dataset(path, engine="h5netcdf")
        assert on_disk["N"].values.tolist() == [30.0, math.inf] and _bytes(on_disk) == _bytes(ds)
        on_disk.close()
    z = sweep(EXTRA_SPEC, N="30,inf", T="80,inf", s=s, out=tmp_path / "k.zarr", quiet=True)
    assert _bytes(z) == _bytes(ds)
    # gamma = 0 is the ridgeless limit and is accepted; gamma > 0 at N or T = inf is refused, naming s
    ridgeless = sweep(EXTRA_SPEC, N="inf", T="80", quiet=True)
    assert ridgeless["loss"].values[0, 0, 0] == pytest.approx(float(RandomFeatureRidge(spec).loss(math.inf, 80.0, 0.0)))
    with pytest.raises(ParameterError, match="normalised regulariser s"):
        sweep(EXTRA_SPEC, N="30,inf", T="80", gamma="1e-3", quiet=True)


def test_dynamics_and_sgd_through_the_sweep_agree_with_theory():
    """|mean - theory| <= 3 stderr + (2/N) |theory|: the standard error plus an O(1/N) finite-size allowance."""
    from scalingsym.models.sgd import OnlineSGD

    spec = parse_spectrum(FLOW_SPEC)
    times = np.array([0.0, 2.0, 20.0])
    flow = sweep(FLOW_SPEC, mode="simulate", N="32", T="64,inf", t=times, seeds=16, seed=3, quiet=True)
    assert flow["loss_mean"].dims == ("N", "T", "t") and flow.attrs["model"] == "dynamics"
    model = GradientFlowRF(spec)
    for j, p in enumerate((64.0, math.inf)):
        th = model.loss_curve(times, 32.0, p).test_loss
        mean, se = flow["loss_mean"].values[0, j], flow["loss_stderr"].values[0, j]
        assert np.all(np.abs(mean - th) <= 3 * se + 2.0 / 32 * th + 1e-12 * th), (p, mean, se, th)
    steps = np.array([0.0, 10.0, 50.0])
    sgd = sweep(FLOW_SPEC, mode="simulate", N="32", B="4", lr="0.4", steps=steps, seeds=16, seed=3, quiet=True)
    assert sgd["loss_mean"].dims == ("N", "B", "lr", "steps") and sgd.attrs["model"] == "sgd"
    th = OnlineSGD(spec).loss_curve(steps, 32, 4, 0.4).test_loss
    mean, se = sgd["loss_mean"].values[0, 0, 0], sgd["loss_stderr"].values[0, 0, 0]
    assert np.all(np.abs(mean - th) <= 3 * se + 2.0 / 32 * th + 1e-12 * th), (mean, se, th)
    theory = sweep(FLOW_SPEC, N="32,inf", B="4", lr="0.4", steps=steps, quiet=True)
    np.testing.assert_allclose(theory["loss"].values[0, 0, 0], th, rtol=1e-13)
    np.testing.assert_allclose(
        theory["loss"].values[1, 0, 0], OnlineSGD(spec).loss_curve(steps, math.inf, 4, 0.4).test_loss, rtol=1e-13
    )


def test_new_dimension_seeds_extend_the_spawn_key():
    import hashlib
    import struct

    def ref(seed, key):
        return int(np.random.SeedSequence(seed, spawn_key=key).generate_state(1, np.uint64)[0] >> np.uint64(1))

    def pair(name, v):
        tag = int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "little")
        return (tag, struct.unpack("<Q", struct.pack("<d", v))[0])

    assert point_seed(5, 40, 240, 2) == ref(5, (40, 240, 2))  # N, T, gamma sweeps: the key is unchanged
    key = (40, 240, 2, *pair("noise", 0.1), *pair("nu", 0.5))
    assert point_seed(5, 40, 240, 2, {"nu": 0.5, "noise": 0.1}) == ref(5, key)
    assert point_seed(5, 40, math.inf, 2, {"B": 4.0}) == ref(5, (40, 2**64, 2, *pair("B", 4.0)))
    # a point's draws depend on its coordinates only: the same point in a smaller grid has the same bits
    kw = dict(mode="simulate", T="60", gamma="1e-3", seeds=3, seed=7, quiet=True)
    big = sweep(EXTRA_SPEC, N="20,30", noise="0,0.1", **kw)
    small = sweep(EXTRA_SPEC, N="30", noise="0.1", **kw)
    assert small["loss_per_seed"].values.tobytes() == big["loss_per_seed"].sel(N=[30.0], noise=[0.1]).values.tobytes()
    # and the noise = 0 coordinate has draws of its own, not those of the sweep without a noise dimension
    plain = sweep(EXTRA_SPEC, N="30", **kw)
    assert plain["loss_per_seed"].values[0, 0, 0].tobytes() != big["loss_per_seed"].sel(N=30.0, noise=0.0).values[
        0].tobytes()


def test_new_dimensions_bit_identical_in_process_two_workers_any_chunking(clients):
    for spec, kw, chunks, chunks_2 in (
        (EXTRA_SPEC, dict(mode="simulate", N="20,30", T="60", gamma="0,1e-2", E="1,3", nu="0,0.5", seeds=3, seed=2),
         "N=1,E=1,nu=2,seeds=1", "N=2,gamma=1,E=2,nu=1,seeds=2"),
        (FLOW_SPEC, dict(mode="simulate", N="16", B="1,4", lr="0.2,0.4", steps="0,5,20", seeds=3, seed=2),
         "B=2,lr=1,seeds=1", "B=1,lr=2,seeds=3"),
        (EXTRA_SPEC, dict(N="20,inf", T="60,inf", t="0,1,5", E="1,inf", a="2.5,3"), "N=1,T=2,E=1,a=2", "N=2,a=1"),
    ):
        ref = _bytes(sweep(spec, quiet=True, **kw))
        assert _bytes(sweep(spec, chunks=chunks, quiet=True, **kw)) == ref, (kw, chunks)
        assert _bytes(sweep(spec, scheduler=clients[2], chunks=chunks_2, quiet=True, **kw)) == ref, kw


def test_new_dimension_sweep_resumes(tmp_path):
    kw = dict(mode="simulate", N="20,30", T="60", gamma="1e-3", noise="0,0.1", seeds=4, seed=1,
              chunks="N=1,noise=1,seeds=2")  # 8 chunks
    full = sweep(EXTRA_SPEC, quiet=True, **kw)
    out = tmp_path / "n.zarr"
    with pytest.raises(KeyboardInterrupt):
        sweep(EXTRA_SPEC, out=out, quiet=True, on_chunk=_FailAfter(3), **kw)
    stats = {}
    resumed = sweep(EXTRA_SPEC, out=out, quiet=True, stats=stats, **kw)
    assert 0 < stats["skipped"] < 8 and stats["computed"] == 8 - stats["skipped"]
    assert _bytes(resumed) == _bytes(full)


@pytest.mark.parametrize(
    "kw, fragment",
    [(dict(E="1,2", noise="0.1"), "without label noise"), (dict(nu="0.5", task="power(nu=1)"), "drop task"),
     (dict(nu="0.5", a="2"), "not both"), (dict(s="1e-3", gamma="1e-3"), "either gamma"),
     (dict(mode="simulate", E="1,inf"), "grid E"), (dict(E="0.5"), "E \\(ensemble size\\)"),
     (dict(t="0,1", noise="0.1"), "noise is not a dimension"), (dict(B="4", lr="0.1", steps="10"), "T is not a"),
     (dict(T=None, B="4", lr="50", steps="10"), "not stable"), (dict(T=None, B="4", lr="0.1", steps="0.5"), "steps"),
     (dict(T=None, B="4", lr="0.1", steps="0,10", chunks="steps=1"), "not chunked"),
     (dict(T=None, model="sgd", B="4", lr="0.1"), "needs the grids steps"), (dict(model="kernel"), "model must"),
     (dict(s="1e-3", precision=20), "precision applies to gamma"), (dict(mode="simulate", N="inf"), "finite")],
)
def test_new_dimension_arguments_give_clear_errors(kw, fragment):
    args = dict(N="10,20", T="30", quiet=True)
    args.update(kw)
    if args.get("T") is None:
        args.pop("T")
    with pytest.raises(ParameterError, match=fragment):
        sweep(FLOW_SPEC, **args)


def test_memory_guard_covers_dynamics_and_sgd():
    from scalingsym.output.sweep_models import dynamics_bytes, sgd_bytes

    calls = _Count()
    with pytest.raises(ResourceError, match=r"gradient-flow simulation point N = 5000, T = 8000.* cluster"):
        sweep("powerlaw(alpha=1, M=120000)", mode="simulate", N="5000", T="8000", t="1", seeds=2,
              memory_budget="1G", on_chunk=calls, quiet=True)
    with pytest.raises(ResourceError, match=r"SGD simulation point N = 5000, B = 8"):
        sweep("powerlaw(alpha=1, M=120000)", mode="simulate", N="5000", B="8", lr="0.1", steps="10", seeds=2,
              memory_budget="1G", on_chunk=calls, quiet=True)
    assert calls.blocks == []
    assert dynamics_bytes(5000, 8000, 120000, 1) >= 8 * (5000 + 8000) * 120000  # A and Psi in float64
    assert sgd_bytes(5000, 8, 120000) >= 8 * 2 * 5000 * 120000  # A and its scaled copy


def test_plot_picks_axes_for_new_dimensions(tmp_path, capsys):
    from scalingsym.output.sweep_plot import plot_sweep

    th = sweep(EXTRA_SPEC, N="10,20,40,inf", T="60,240", s="1e-3", quiet=True)
    fig = plot_sweep(th)
    ax = fig.axes[0]
    assert len(ax.lines) == 2 + 2  # one curve per T, and the N = inf limit of each as a horizontal line
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), th["loss"].values[:3, 0, 0])
    assert ax.lines[1].get_ydata()[0] == th["loss"].values[3, 0, 0]
    ens = sweep(EXTRA_SPEC, N="20,40", T="60", gamma="1e-4,1e-3,1e-2", E="1,2,4", quiet=True)
    fig = plot_sweep(ens, x="gamma", hue="E", sel="N=40")
    ax = fig.axes[0]
    assert len(ax.lines) == 3 and "N = 40" in ax.get_title()
    np.testing.assert_array_equal(ax.lines[2].get_ydata(), ens["loss"].values[1, 0, :, 2])
    with pytest.raises(ParameterError, match="not a dimension"):
        plot_sweep(ens, x="nu")
    with pytest.raises(ParameterError, match="not among the dimensions"):
        plot_sweep(ens, sel="nu=1")
    sgd = sweep(FLOW_SPEC, N="16,32", B="4", lr="0.2", steps="0,10,100", quiet=True)
    fig = plot_sweep(sgd)
    assert fig.axes[0].get_xlabel() == "steps" and len(fig.axes[0].lines) == 2
    out = tmp_path / "ens.nc"
    ens.to_netcdf(out, engine="h5netcdf")
    assert main(["plot", str(out), "--x", "E", "--hue", "gamma", "--sel", "N=20", "--json"]) == 0
    assert Path(json.loads(capsys.readouterr().out)["png"]).stat().st_size > 0
    assert main(["plot", str(out), "--kind", "heatmap", "--sel", "E=2", "--json"]) == 0
    capsys.readouterr()


def test_cli_new_dimension_flags(tmp_path, capsys):
    code = main(["sweep", "theory", "--spectrum", EXTRA_SPEC, "--N", "20,inf", "--T", "60", "--s", "1e-3",
                 "--nu", "0,0.5", "--quiet", "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["dims"] == {"N": 2, "T": 1, "s": 1, "nu": 2}
    code = main(["sweep", "simulate", "--spectrum", FLOW_SPEC, "--N", "16", "--T", "32", "--t", "0,1", "--E", "1,2",
                 "--ensemble-data", "independent", "--seeds", "2", "--quiet", "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["dims"] == {"N": 1, "T": 1, "t": 2, "E": 2, "seed_index": 2}
    assert summary["attrs"]["ensemble_data"] == "independent"
    assert main(["sweep", "theory", "--spectrum", EXTRA_SPEC, "--N", "20", "--B", "4", "--lr", "0.1",
                 "--steps", "10", "--T", "5"]) == 2
    assert "T is not a dimension" in capsys.readouterr().err
