"""Figures of a sweep dataset: loss against ``N`` for several ``T``, or a heat map over ``(N/T, gamma)``.

Theory sweeps (variable ``loss``) are drawn as lines; simulation sweeps (``loss_mean``, ``loss_stderr``) as
points with error bars (one standard error).

Examples
--------
>>> from scalingsym.output.sweep import sweep
>>> ds = sweep("powerlaw(alpha=1, M=200)", N="10:100:4log", T="50,400", gamma="1e-4,1e-2", quiet=True)
>>> fig = plot_sweep(ds, kind="lines")
>>> len(fig.axes[0].lines)
2
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..core.errors import ParameterError

KINDS = ("lines", "heatmap")


def _values(ds) -> tuple[np.ndarray, np.ndarray | None, str]:
    if "loss" in ds.data_vars:
        return np.asarray(ds["loss"].values, dtype=np.float64), None, "theory"
    if "loss_mean" in ds.data_vars:
        return (np.asarray(ds["loss_mean"].values, dtype=np.float64),
                np.asarray(ds["loss_stderr"].values, dtype=np.float64), "simulation")
    raise ParameterError("the dataset has neither loss (theory) nor loss_mean (simulation): not a sweep")


def _pick(ds, dim: str, value: Any) -> int:
    coord = np.asarray(ds[dim].values, dtype=np.float64)
    if value is None:
        return 0
    i = int(np.argmin(np.abs(coord - float(value))))
    if not np.isclose(coord[i], float(value), rtol=1e-9, atol=0):
        raise ParameterError(f"{dim} = {value} is not on the grid; the grid holds {coord.tolist()}")
    return i


def plot_sweep(ds, kind: str = "lines", third: Any = None, T: Any = None) -> Figure:
    """The figure of a sweep dataset.

    Parameters
    ----------
    ds : xarray.Dataset
        A dataset of :func:`scalingsym.output.sweep.sweep`.
    kind : {"lines", "heatmap"}
        ``lines``: loss against ``N``, one curve per ``T``, at one value of the third dimension (``gamma`` or
        ``t``; default its first). ``heatmap``: ``log10`` loss over ``(N/T, gamma)`` at one ``T`` (default the
        first).
    third : float, optional
        The value of ``gamma`` (or ``t``) for ``lines``.
    T : float, optional
        The value of ``T`` for ``heatmap``.
    """
    if kind not in KINDS:
        raise ParameterError(f"kind must be one of {list(KINDS)}; got {kind!r}")
    vals, err, what = _values(ds)
    dims = tuple(ds["loss" if what == "theory" else "loss_mean"].dims)
    if dims[:2] != ("N", "T") or len(dims) != 3:
        raise ParameterError(f"expected a sweep over (N, T, gamma) or (N, T, t); got dimensions {dims}")
    third_dim = dims[2]
    N = np.asarray(ds["N"].values, dtype=np.float64)
    Ts = np.asarray(ds["T"].values, dtype=np.float64)
    fig = Figure(figsize=(6.0, 4.2))
    ax = fig.add_subplot()
    title = f"{ds.attrs.get('spectrum', '')} ({what})"
    if kind == "lines":
        k = _pick(ds, third_dim, third)
        order = np.argsort(N)
        for j, t in enumerate(Ts):
            y = vals[order, j, k]
            if err is None:
                ax.plot(N[order], y, label=f"T = {t:g}")
            else:
                ax.errorbar(N[order], y, yerr=err[order, j, k], fmt="o", ms=3, capsize=2, label=f"T = {t:g}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("N")
        ax.set_ylabel("test loss")
        ax.legend(fontsize=8)
        ax.set_title(f"{title}, {third_dim} = {float(ds[third_dim].values[k]):g}", fontsize=9)
        return fig
    if third_dim != "gamma":
        raise ParameterError("the heat map is over (N/T, gamma): it needs a sweep over gamma")
    j = _pick(ds, "T", T)
    g = np.asarray(ds["gamma"].values, dtype=np.float64)
    if np.any(g <= 0):
        raise ParameterError("the heat map uses a log gamma axis: drop gamma = 0 from the sweep or use kind='lines'")
    on, og = np.argsort(N), np.argsort(g)
    z = vals[on][:, j][:, og]
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.log10(np.where(z > 0, z, np.nan))
    mesh = ax.pcolormesh(N[on] / Ts[j], g[og], z.T, shading="nearest")
    fig.colorbar(mesh, ax=ax, label="log10 test loss")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("N / T")
    ax.set_ylabel("gamma")
    ax.set_title(f"{title}, T = {Ts[j]:g}", fontsize=9)
    return fig


__all__ = ["KINDS", "plot_sweep"]
