"""Figures of a sweep: loss against one dimension, a curve per value of another, or a heat map over ``(N/T, gamma)``.

Theory sweeps (variable ``loss``) are drawn as lines; simulation sweeps (``loss_mean``, ``loss_stderr``) as
points with error bars (one standard error). ``lines`` puts ``x`` on the horizontal axis (default ``N``, or
``steps`` for SGD) and draws one curve per value of ``hue`` (default ``T``, or ``N``); every other dimension is
held at the value ``sel`` gives it (default its first). A point at ``x = inf`` (the ``N = inf`` or ``T = inf``
limit) is drawn as a dotted horizontal line in its curve's colour.

Examples
--------
>>> from scalingsym.output.sweep import sweep
>>> ds = sweep("powerlaw(alpha=1, M=200)", N="10:100:4log", T="50,400", gamma="1e-4,1e-2", quiet=True)
>>> fig = plot_sweep(ds, kind="lines")
>>> len(fig.axes[0].lines)
2
>>> fig = plot_sweep(ds, x="gamma", hue="N", sel={"T": 400})
>>> len(fig.axes[0].lines)
4
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..core.errors import ParameterError

KINDS = ("lines", "heatmap")


def _variable(ds) -> tuple[Any, Any, str]:
    if "loss" in ds.data_vars:
        return ds["loss"], None, "theory"
    if "loss_mean" in ds.data_vars:
        return ds["loss_mean"], ds["loss_stderr"], "simulation"
    raise ParameterError("the dataset has neither loss (theory) nor loss_mean (simulation): not a sweep")


def parse_sel(value: Any) -> dict[str, float]:
    """``{"E": 4.0, "nu": 0.5}`` from ``"E=4,nu=0.5"`` or a mapping (values are numbers; ``inf`` allowed).

    Examples
    --------
    >>> parse_sel("E=4, N=inf")
    {'E': 4.0, 'N': inf}
    """
    if value is None:
        return {}
    if isinstance(value, str):
        items: dict[str, Any] = {}
        for part in value.split(","):
            if not part.strip():
                continue
            key, sep, v = part.partition("=")
            if not sep or not key.strip():
                raise ParameterError(f"sel must be DIM=VALUE pairs such as E=4,nu=0.5; got {value!r}")
            items[key.strip()] = v.strip()
        value = items
    if not isinstance(value, Mapping):
        raise ParameterError(f"sel must be a mapping of dimension to value; got {value!r}")
    out = {}
    for key, v in value.items():
        try:
            x = float(v)
        except (TypeError, ValueError):
            raise ParameterError(f"sel: the value of {key} must be a number; got {v!r}") from None
        if math.isnan(x):
            raise ParameterError(f"sel: the value of {key} must be a number; got {v!r}")
        out[str(key)] = x
    return out


def _pick(ds, dim: str, value: Any) -> int:
    coord = np.asarray(ds[dim].values, dtype=np.float64)
    if value is None:
        return 0
    v = float(value)
    if math.isinf(v):
        hit = np.flatnonzero(coord == v)
        if hit.size:
            return int(hit[0])
    else:
        fin = np.where(np.isfinite(coord), coord, np.nan)
        if np.any(np.isfinite(fin)):
            i = int(np.nanargmin(np.abs(fin - v)))
            if np.isclose(coord[i], v, rtol=1e-9, atol=0):
                return i
    raise ParameterError(f"{dim} = {value} is not on the grid; the grid holds {coord.tolist()}")


def _fixed(ds, var, keep: tuple[str, ...], sel: dict[str, float]) -> tuple[dict[str, int], str]:
    """The index of every dimension of ``var`` outside ``keep`` and the text naming those values."""
    unknown = sorted(set(sel) - set(var.dims))
    if unknown:
        raise ParameterError(f"sel: {unknown} not among the dimensions {list(var.dims)}")
    idx, text = {}, []
    for d in var.dims:
        if d in keep:
            continue
        i = _pick(ds, d, sel.get(d))
        idx[d] = i
        text.append(f"{d} = {float(ds[d].values[i]):g}")
    return idx, ", ".join(text)


def _default_axes(dims: tuple[str, ...], x: str | None, hue: str | None) -> tuple[str, str | None]:
    if x is None:
        x = "steps" if "steps" in dims else ("N" if "N" in dims else dims[0])
    if hue is None:
        hue = next((d for d in ("T", "N", "E") if d in dims and d != x), None)
        if hue is None:
            hue = next((d for d in dims if d != x), None)
    for name, d in (("x", x), ("hue", hue)):
        if d is not None and d not in dims:
            raise ParameterError(f"{name} = {d!r} is not a dimension of the sweep; its dimensions are {list(dims)}")
    if hue == x:
        raise ParameterError(f"x and hue must be different dimensions; both are {x!r}")
    return x, hue


def _log_ok(v: np.ndarray) -> bool:
    fin = v[np.isfinite(v)]
    return bool(fin.size) and bool(np.all(fin > 0))


def _lines(ds, var, err, what, third, x, hue, sel) -> Figure:
    dims = tuple(var.dims)
    x, hue = _default_axes(dims, x, hue)
    sel = dict(sel)
    if third is not None and len(dims) > 2 and dims[2] not in (x, hue):
        sel.setdefault(dims[2], float(third))  # the gamma (or t, lr) of the legacy option
    idx, fixed_text = _fixed(ds, var, (x, hue), sel)
    keep = (x,) if hue is None else (x, hue)
    y = var.isel(idx).transpose(*keep).values
    e = None if err is None else err.isel(idx).transpose(*keep).values
    if hue is None:
        y, e = y[:, None], (None if e is None else e[:, None])
        hues = np.array([np.nan])
    else:
        hues = np.asarray(ds[hue].values, dtype=np.float64)
    X = np.asarray(ds[x].values, dtype=np.float64)
    fin = np.isfinite(X)
    order = np.argsort(np.where(fin, X, np.inf))
    order = order[fin[order]]
    fig = Figure(figsize=(6.0, 4.2))
    ax = fig.add_subplot()
    for j, h in enumerate(hues):
        label = "" if hue is None else f"{hue} = {h:g}"
        if e is None:
            (line,) = ax.plot(X[order], y[order, j], label=label or None)
        else:
            line = ax.errorbar(X[order], y[order, j], yerr=e[order, j], fmt="o", ms=3, capsize=2,
                               label=label or None).lines[0]
        for i in np.flatnonzero(~fin):  # the x = inf limit of this curve
            if np.isfinite(y[i, j]):
                ax.axhline(y[i, j], color=line.get_color(), linestyle=":", linewidth=1.0)
    if _log_ok(X[fin]):
        ax.set_xscale("log")
    if _log_ok(np.asarray(y, dtype=np.float64)):
        ax.set_yscale("log")
    ax.set_xlabel(x)
    ax.set_ylabel("test loss")
    if hue is not None:
        ax.legend(fontsize=8)
    title = f"{ds.attrs.get('spectrum', '')} ({what})"
    ax.set_title(f"{title}, {fixed_text}" if fixed_text else title, fontsize=9)
    return fig


def _heatmap(ds, var, what, T, sel) -> Figure:
    dims = tuple(var.dims)
    reg = "gamma" if "gamma" in dims else ("s" if "s" in dims else None)
    if reg is None or "N" not in dims or "T" not in dims:
        raise ParameterError("the heat map is over (N/T, gamma): it needs a sweep over N, T and gamma (or s)")
    sel = dict(sel)
    if T is not None:
        sel["T"] = float(T)
    idx, fixed_text = _fixed(ds, var, ("N", reg), sel)
    g = np.asarray(ds[reg].values, dtype=np.float64)
    if np.any(g <= 0):
        raise ParameterError(
            f"the heat map uses a log {reg} axis: drop {reg} = 0 from the sweep or use kind='lines'"
        )
    N = np.asarray(ds["N"].values, dtype=np.float64)
    Tj = float(ds["T"].values[idx["T"]])
    if not math.isfinite(Tj):
        raise ParameterError("the heat map is over N/T: pick a finite T (sel T=...)")
    z = var.isel(idx).transpose("N", reg).values
    keep = np.isfinite(N)
    on = np.argsort(N[keep])
    og = np.argsort(g)
    z = z[keep][on][:, og]
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.log10(np.where(z > 0, z, np.nan))
    fig = Figure(figsize=(6.0, 4.2))
    ax = fig.add_subplot()
    mesh = ax.pcolormesh(N[keep][on] / Tj, g[og], z.T, shading="nearest")
    fig.colorbar(mesh, ax=ax, label="log10 test loss")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("N / T")
    ax.set_ylabel(reg)
    ax.set_title(f"{ds.attrs.get('spectrum', '')} ({what}), {fixed_text}", fontsize=9)
    return fig


def plot_sweep(
    ds, kind: str = "lines", third: Any = None, T: Any = None, x: str | None = None, hue: str | None = None,
    sel: Any = None,
) -> Figure:
    """The figure of a sweep dataset.

    Parameters
    ----------
    ds : xarray.Dataset
        A dataset of :func:`scalingsym.output.sweep.sweep`.
    kind : {"lines", "heatmap"}
        ``lines``: loss against ``x``, one curve per value of ``hue``, every other dimension at one value.
        ``heatmap``: ``log10`` loss over ``(N/T, gamma)`` (or ``s``) at one ``T`` (default the first).
    third : float, optional
        For ``lines``, the value of the third dimension (``gamma``, ``s``, ``t`` or ``lr``) when it is neither
        ``x`` nor ``hue`` (the same as ``sel={dim: third}``).
    T : float, optional
        The value of ``T`` for ``heatmap``.
    x, hue : str, optional
        ``lines``: the dimension on the horizontal axis and the one with a curve per value.
    sel : mapping or str, optional
        The value of each other dimension (``{"E": 4}`` or ``"E=4,nu=0.5"``); default its first.
    """
    if kind not in KINDS:
        raise ParameterError(f"kind must be one of {list(KINDS)}; got {kind!r}")
    var, err, what = _variable(ds)
    sel_map = parse_sel(sel)
    if kind == "lines":
        return _lines(ds, var, err, what, third, x, hue, sel_map)
    return _heatmap(ds, var, what, T, sel_map)


__all__ = ["KINDS", "parse_sel", "plot_sweep"]
