"""A precomputed representation of the spectral sums for fast vectorised loss surfaces.

:class:`InterpolatedSpectrum` wraps any :class:`~scalingsym.core.spectra.Spectrum` and replaces the two sums
every ridge / resolvent computation needs,

.. math:: d_1(\\rho) = \\sum_k \\frac{\\lambda_k}{\\lambda_k+\\rho}, \\qquad
          e_1(\\rho) = \\rho \\sum_k \\frac{\\lambda_k}{(\\lambda_k+\\rho)^2} = d_1 - d_2,

by piecewise Chebyshev interpolants of ``log d1`` and ``log e1`` in ``x = log rho``. The interpolants
are built from the exact :meth:`Spectrum.sums` (finite-``M`` exact sums or the exact ``M = inf``
evaluation) on a fixed lattice of panels ``[i h, (i + 1) h]``, only where they are needed, so the cost
per evaluated point is a fixed number of flops, independent of ``M``, and nothing of size
``points x M`` is ever formed.

Why this converges fast: for ``lambda_k > 0`` both ``d1`` and ``e1`` are analytic and zero-free for
``|Im x| < pi/2`` (each term of ``e1`` has argument in ``(-|Im x|, |Im x|)``), so on a panel of
half-width ``h/2 = 1/8`` the Chebyshev coefficients decay at least like ``(4 pi + sqrt(16 pi^2+1))^-k``,
about ``25^-k``; degree 10 reaches the float64 round-off of the exact sums. Every panel is checked against the exact
sums at points between its nodes, and the largest relative error seen is kept in
:attr:`InterpolatedSpectrum.error_bound` (a :class:`~scalingsym.core.errors.ConvergenceError` is raised if a
panel misses ``rtol``).

Everything else (other ``(p, q)``, non-isotropic tasks, ``rho = 0``, mpmath) is delegated to the wrapped
spectrum unchanged, so the resolvent solvers and :class:`~scalingsym.models.ridge.RandomFeatureRidge`
run on top of it without any change.

Batches: :meth:`InterpolatedSpectrum.solve_isotropic` solves the isotropic self-consistent equation for a whole
batch, with the compiled kernel of :mod:`scalingsym.core.fastkernel` when numba is installed (``pip install
"scalingsym[fast]"``) and with the numpy solver :func:`~scalingsym.core.resolvent.solve_rho` otherwise (same
equation, branch, brackets and Newton iteration; the two agree to round-off).

Disk cache: the verified panels are kept per spectrum in ``$SCALINGSYM_CACHE`` (default
``$XDG_CACHE_HOME/scalingsym`` or ``~/.cache/scalingsym``; ``SCALINGSYM_CACHE=off`` disables it) as ``.npz``
files, keyed by the spectrum (class, :meth:`~Spectrum.describe`, its parameters in full precision and its exact
sums at three fixed ``rho``), the panel width, degree, ``rtol``, the package version and the source of the
modules that build the panels and compute the sums. A file is used only
after checks (shapes, finiteness, the coefficient tails and a spot check of a few panels against the exact
sums); an unreadable, corrupt or unwritable cache is ignored and the panels are built as without it.

Examples
--------
>>> import numpy as np
>>> from scalingsym.core.spectra import PowerLaw
>>> exact = PowerLaw(alpha=1, M=10**5)
>>> fast = InterpolatedSpectrum(exact)
>>> rho = np.logspace(-6, 1, 5)
>>> bool(np.max(np.abs(fast.d1(rho) / exact.d1(rho) - 1)) < 1e-13)
True
>>> from scalingsym.models.ridge import RandomFeatureRidge, fast_ridge
>>> model = fast_ridge(RandomFeatureRidge(exact))
>>> loss = model.loss(N=[100.0, 200.0], T=1000.0, gamma=1e-3)
>>> bool(np.all(loss > 0))
True
"""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ConvergenceError, ParameterError
from .spectra import Spectrum
from .tasks import Task

__all__ = ["InterpolatedSpectrum", "cache_dir", "kernel_name"]

#: version of the layout of the cache files (part of their key)
_CACHE_FORMAT = 1
#: ``rho`` at which the exact sums enter the key of a cache file
_FINGERPRINT_RHO = np.array([1e-3, 1.0, 1e3])  # large enough that the exact sums are cheap
_OFF = ("", "0", "off", "no", "none", "false")


class _PackError(ConvergenceError):
    """The kernel's polynomials of ``d1``, ``e1`` miss ``rtol`` (:meth:`InterpolatedSpectrum._packed_coefficients`)."""


def cache_dir() -> Path | None:
    """The folder of the disk cache of the panels, or None when it is switched off.

    ``$SCALINGSYM_CACHE`` when set (``off``, ``0``, ``no``, ``none``, ``false`` or empty switch the cache off),
    else ``$XDG_CACHE_HOME/scalingsym``, else ``~/.cache/scalingsym``.

    Examples
    --------
    >>> import os
    >>> old = os.environ.get("SCALINGSYM_CACHE")
    >>> os.environ["SCALINGSYM_CACHE"] = "off"
    >>> cache_dir() is None
    True
    >>> os.environ["SCALINGSYM_CACHE"] = "/tmp/scalingsym-cache"
    >>> str(cache_dir())
    '/tmp/scalingsym-cache'
    >>> _ = os.environ.pop("SCALINGSYM_CACHE") if old is None else os.environ.update(SCALINGSYM_CACHE=old)
    """
    env = os.environ.get("SCALINGSYM_CACHE")
    if env is not None:
        return None if env.strip().lower() in _OFF else Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "scalingsym"


#: at most this many cache files are kept (the least recently written go first)
#: the largest cache file read back (a representation of a few hundred panels is tens of kB)
_MAX_CACHE_BYTES = 16 * 2**20
_MAX_FILES = 512


def _prune(folder: Path) -> None:
    """Delete the oldest cache files beyond :data:`_MAX_FILES` (errors ignored: another process may prune too)."""
    try:
        files = list(folder.glob("interp-*.npz"))
        if len(files) <= _MAX_FILES:
            return
        files.sort(key=lambda f: f.stat().st_mtime)
        for f in files[: len(files) - _MAX_FILES]:
            f.unlink(missing_ok=True)
    except OSError:
        pass


_SOURCE_HASHES: dict[str, str] = {}


def _source_hash(module: str) -> str:
    """SHA-256 of a module's source file (``"-"`` when it has none), once per process."""
    if module not in _SOURCE_HASHES:
        import sys

        path = getattr(sys.modules.get(module), "__file__", None)
        try:
            _SOURCE_HASHES[module] = hashlib.sha256(Path(path).read_bytes()).hexdigest() if path else "-"
        except OSError:
            _SOURCE_HASHES[module] = "-"
    return _SOURCE_HASHES[module]


def kernel_name() -> str:
    """``"numba"`` when the compiled kernel of :mod:`scalingsym.core.fastkernel` is used for batches, else ``"numpy"``.

    ``SCALINGSYM_KERNEL=numpy`` in the environment forces the numpy solver.

    Examples
    --------
    >>> kernel_name() in ("numba", "numpy")
    True
    """
    if os.environ.get("SCALINGSYM_KERNEL", "").strip().lower() == "numpy":
        return "numpy"
    return "numba" if _kernel_module() is not None else "numpy"


_KERNEL: list = []


def _kernel_module():
    """:mod:`scalingsym.core.fastkernel`, imported and compiled on first use; None without (a working) numba."""
    if not _KERNEL:
        try:
            from . import fastkernel

            if fastkernel.AVAILABLE:
                fastkernel.warm_up()  # compile (or load from numba's cache) now, where a failure can fall back
        except Exception:  # e.g. numba present but unable to compile here: the numpy solver instead
            fastkernel = None
        _KERNEL.append(fastkernel if fastkernel is not None and fastkernel.AVAILABLE else None)  # numba is optional
    return _KERNEL[0]


def _cheb_nodes(n: int) -> np.ndarray:
    """Chebyshev points of the first kind on ``[-1, 1]`` (descending)."""
    return np.cos(np.pi * (np.arange(n) + 0.5) / n)


def _cheb_matrix(n: int) -> np.ndarray:
    """Matrix taking values at :func:`_cheb_nodes` to Chebyshev coefficients."""
    j = np.arange(n) + 0.5
    k = np.arange(n)[:, None]
    A = (2.0 / n) * np.cos(np.pi * k * j / n)
    A[0] *= 0.5
    return A


class InterpolatedSpectrum(Spectrum):
    """A spectrum whose ``d1`` and ``d1 - d2`` come from verified Chebyshev interpolants (float64).

    Parameters
    ----------
    spectrum : Spectrum
        The exact spectrum; every value of the interpolants comes from its :meth:`~Spectrum.sums`.
    panel : float
        Panel width ``h`` in ``log rho`` (default 0.25).
    degree : int
        Chebyshev degree per panel (default 10).
    rtol : float
        Relative error allowed on each interpolated sum, checked on every panel at build time.
    disk_cache : bool
        Keep the verified panels on disk (see :func:`cache_dir`) and start from them when they are there
        (default True; nothing is written when :func:`cache_dir` is None).
    continuation : bool
        In the compiled :meth:`solve_isotropic`, start each point's Newton iteration from the roots of the
        points before it at the same ``(N, T)`` (a surface swept in ``gamma``): about 2 times faster on such
        grids (one evaluation of the panels per point instead of 2.3), the same roots to round-off, but a point's
        last bits then depend on its neighbours in the batch.
        Default False: every point's result depends on that point alone (bit-identical in any chunking).

    Notes
    -----
    Only the isotropic sums ``(p, q) = (1, 1), (1, 2)`` at ``rho > 0`` are interpolated; they are what
    :func:`~scalingsym.core.resolvent.solve_rho` and the isotropic ridge loss use (``d2 = d1 - e1`` would lose
    digits at large ``rho``, so ``(2, 2)`` stays exact). Panels are built lazily for the ``rho``
    actually requested.

    Examples
    --------
    >>> import numpy as np
    >>> from scalingsym.core.spectra import PowerLaw
    >>> fast = InterpolatedSpectrum(PowerLaw(alpha=1), disk_cache=False)
    >>> rho, d1, e1 = fast.solve_isotropic(1e-6, 100.0, 400.0)
    >>> bool(abs(rho * (1 - d1 / 100) * (1 - d1 / 400) / 1e-6 - 1) < 1e-12)
    True
    """

    def __init__(
        self,
        spectrum: Spectrum,
        panel: float = 0.25,
        degree: int = 10,
        rtol: float = 1e-13,
        disk_cache: bool = True,
        continuation: bool = False,
    ) -> None:
        if not isinstance(spectrum, Spectrum):
            raise ParameterError(f"spectrum must be a Spectrum; got {type(spectrum).__name__}")
        if not (0.05 <= float(panel) <= 4.0):
            raise ParameterError(f"panel must be in [0.05, 4]; got {panel}")
        if int(degree) != degree or not (4 <= degree <= 128):
            raise ParameterError(f"degree must be an integer in [4, 128]; got {degree}")
        if not (1e-16 <= float(rtol) < 1e-3):
            raise ParameterError(f"rtol must be in [1e-16, 1e-3); got {rtol}")
        self.base = spectrum
        self.M = spectrum.M
        self.h = float(panel)
        self.n = int(degree) + 1
        self.rtol = float(rtol)
        self._A = _cheb_matrix(self.n)
        self._t = _cheb_nodes(self.n)
        self._i0 = 0  # index of the first built panel
        self._C1 = np.empty((self.n, 0))  # coefficients of log d1, shape (n, panels)
        self._C2 = np.empty((self.n, 0))  # coefficients of log e1
        #: largest relative error seen when checking the panels against the exact sums
        self.error_bound = 0.0
        #: largest relative deviation of the kernel's interpolants of ``d1``, ``e1`` from the panels (see
        #: :meth:`_packed_coefficients`)
        self.pack_error = 0.0
        self._eig: np.ndarray | None = None
        self._last: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        #: number of exact evaluations of each sum spent on the representation
        self.exact_evaluations = 0
        self.disk_cache = bool(disk_cache)
        self.continuation = bool(continuation)
        #: where the panels came from: None (nothing yet), ``"built"``, ``"disk"`` or ``"disk+built"``
        self.cache_state: str | None = None
        self._cache_tried = False
        self._cache_key: str | None = None
        self._saved_panels = 0
        self._packed: np.ndarray | None = None  # (panels, 5, n) coefficients for the kernel
        self._trace: float | None = None
        self._mp_count: float | None = None

    # ----- delegation -----------------------------------------------------------------------------
    def eigenvalues(self, count: int | None = None) -> np.ndarray:
        if count is None and self.finite:  # the solvers' bracket needs them on every call: keep them
            if self._eig is None:
                self._eig = self.base.eigenvalues()
                self._eig.setflags(write=False)
            return self._eig
        return self.base.eigenvalues(count)

    def eigenvalue_mp(self, k: int):
        return self.base.eigenvalue_mp(k)

    @property
    def lam_expr(self):
        return self.base.lam_expr

    def describe(self) -> str:
        return self.base.describe()

    def trace(self, task: Task | None = None) -> float:
        if task is not None and not task.is_isotropic:
            return self.base.trace(task)
        if self._trace is None:
            self._trace = float(self.base.trace())
        return self._trace

    def positive_count(self) -> float:
        if self._mp_count is None:
            self._mp_count = float(self.base.positive_count())
        return self._mp_count

    def _sums_mp(self, rho, p: int, q: int, task: Task):
        return self.base._sums_mp(rho, p, q, task)

    @property
    def _all(self) -> np.ndarray:  # type: ignore[override]
        return self.base._all

    # ----- the representation ---------------------------------------------------------------------
    @property
    def panels(self) -> tuple[int, int]:
        """Lattice indices ``(first, last + 1)`` of the built panels (panel ``i`` is ``[i h, (i+1) h]``)."""
        return self._i0, self._i0 + self._C1.shape[1]

    def _build(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Coefficients of the panels ``idx``, checked against the exact sums between the nodes."""
        h, n = self.h, self.n
        left = idx[:, None] * h
        x = left + 0.5 * h * (self._t[None, :] + 1.0)  # (panels, n)
        # check points: midpoints (in t) between consecutive nodes, a few per panel
        tm = 0.5 * (self._t[:-1] + self._t[1:])
        tm = tm[:: max(1, (n - 1) // 6)]
        xc = left + 0.5 * h * (tm[None, :] + 1.0)
        xs = np.concatenate([x.ravel(), xc.ravel()])
        r = np.exp(xs)
        d1 = np.asarray(self.base.sums(r, 1, 1), dtype=np.float64)
        e1 = r * np.asarray(self.base.sums(r, 1, 2), dtype=np.float64)
        self.exact_evaluations += xs.size
        if np.any(~(d1 > 0)) or np.any(~(e1 > 0)) or not np.all(np.isfinite(d1 + e1)):
            raise ParameterError("the spectral sums are not positive and finite here; cannot interpolate their logs")
        m = x.size
        C1 = self._A @ np.log(d1[:m]).reshape(x.shape).T
        C2 = self._A @ np.log(e1[:m]).reshape(x.shape).T
        err = 0.0
        for C, exact in ((C1, d1[m:]), (C2, e1[m:])):
            got = np.exp(self._eval(C, np.repeat(np.arange(idx.size), tm.size), np.tile(tm, idx.size)))
            err = max(err, float(np.max(np.abs(got / exact - 1.0))))
            # the coefficient tail bounds the error away from the check points
            err = max(err, float(np.max(np.abs(C[-2:]).sum(axis=0))))
        if err > self.rtol:
            raise ConvergenceError(
                f"Chebyshev representation misses rtol={self.rtol:g} (error {err:.2e}); use a smaller panel "
                "or a higher degree"
            )
        self.error_bound = max(self.error_bound, err)
        return C1, C2

    def _ensure(self, xmin: float, xmax: float) -> None:
        lo = math.floor(xmin / self.h)
        hi = math.floor(xmax / self.h) + 1
        b0, b1 = self.panels
        if b1 > b0 and lo >= b0 and hi <= b1:
            return
        if not self._cache_tried:
            self._cache_tried = True
            if b1 == b0 and self._load():
                self._ensure(xmin, xmax)
                return
        self._extend(lo, hi)
        self.cache_state = "built" if self.cache_state in (None, "built") else "disk+built"
        self._packed = None
        if self.panels[1] - self.panels[0] >= 1.25 * self._saved_panels:  # geometric: few writes
            self._save()

    def _extend(self, lo: int, hi: int) -> None:
        """Build the panels ``lo .. hi - 1`` and every panel between them and the built ones."""
        b0, b1 = self.panels
        if b1 == b0:
            new_lo, new_hi = lo, hi
        else:
            new_lo, new_hi = min(lo, b0), max(hi, b1)
        parts1, parts2 = [], []
        if b1 == b0:
            C1, C2 = self._build(np.arange(new_lo, new_hi))
            self._C1, self._C2, self._i0 = np.ascontiguousarray(C1), np.ascontiguousarray(C2), new_lo
            return
        if new_lo < b0:
            C1, C2 = self._build(np.arange(new_lo, b0))
            parts1.append(C1)
            parts2.append(C2)
        parts1.append(self._C1)
        parts2.append(self._C2)
        if new_hi > b1:
            C1, C2 = self._build(np.arange(b1, new_hi))
            parts1.append(C1)
            parts2.append(C2)
        self._C1 = np.ascontiguousarray(np.concatenate(parts1, axis=1))
        self._C2 = np.ascontiguousarray(np.concatenate(parts2, axis=1))
        self._i0 = new_lo

    # ----- the disk cache -------------------------------------------------------------------------
    def _cache_path(self) -> Path | None:
        """The cache file of this representation, or None (cache off, or a spectrum without a usable key)."""
        folder = cache_dir() if self.disk_cache else None
        if folder is None:
            return None
        if self._cache_key is None:
            self._cache_key = self._make_cache_key() or ""
        return folder / f"interp-{self._cache_key}.npz" if self._cache_key else None

    def _make_cache_key(self) -> str | None:
        """The key of this representation's cache file (computed once per instance), or None."""
        from .._version import __version__

        base = self.base
        try:
            parts = [f"format={_CACHE_FORMAT}", f"version={__version__}", type(self).__module__,
                     type(self).__qualname__, type(base).__module__, type(base).__qualname__, base.describe(),
                     f"M={float(base.M)!r}", f"panel={self.h!r}", f"degree={self.n - 1}", f"rtol={self.rtol!r}",
                     # the code that builds the panels and computes the sums: any change makes a new key
                     *(_source_hash(type(v).__module__) for v in (self, base)), _source_hash(__name__)]
            for name in ("alpha", "lambda_plus", "beta"):  # the parameters in full precision where there are some
                v = getattr(base, name, None)
                if isinstance(v, (int, float)):
                    parts.append(f"{name}={float(v).hex()}")
            values = getattr(base, "_values", None)
            if isinstance(values, np.ndarray):
                parts.append(hashlib.sha256(np.ascontiguousarray(values, dtype=np.float64).tobytes()).hexdigest())
            # the exact sums at fixed points: a spectrum that describes itself the same way but differs is told apart
            with np.errstate(all="ignore"):
                for p, q in ((1, 1), (1, 2)):
                    vals = np.asarray(base.sums(_FINGERPRINT_RHO, p, q), dtype=np.float64)
                    parts.append(",".join(float(v).hex() for v in vals))
        except Exception:  # a spectrum that cannot be keyed is simply not cached
            return None
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:40]

    def _load(self) -> bool:
        """Start from the cache file when there is a valid one; True when it was used."""
        path = self._cache_path()
        if path is None or not path.is_file():
            return False
        try:
            if path.stat().st_size > _MAX_CACHE_BYTES:  # size-checked before reading: a representation is small
                return False
            with np.load(path, allow_pickle=False) as f:
                i0 = int(f["i0"])
                C1 = np.array(f["C1"], dtype=np.float64)
                C2 = np.array(f["C2"], dtype=np.float64)
                err = float(f["error_bound"])
                if int(f["n"]) != self.n or float(f["h"]) != self.h:
                    return False
        except Exception:  # unreadable or corrupt: build instead
            return False
        if not self._valid(i0, C1, C2, err):
            return False
        self._C1, self._C2, self._i0 = np.ascontiguousarray(C1), np.ascontiguousarray(C2), i0
        self.error_bound = max(self.error_bound, err)
        self._saved_panels = C1.shape[1]
        self._packed = None
        self.cache_state = "disk"
        return True

    def _valid(self, i0: int, C1: np.ndarray, C2: np.ndarray, err: float) -> bool:
        """Checks of a loaded representation: shapes, finiteness, the coefficient tails and a spot check.

        The spot check evaluates the middle and the last panel (where the exact sums are cheapest) at two of
        the build's check points each and compares with the exact sums to ``rtol`` (the criterion every panel
        passed when it was built); a file of another spectrum is already told apart by its key.
        """
        P = C1.shape[1] if C1.ndim == 2 else 0
        if C1.shape != (self.n, P) or C2.shape != C1.shape or not 1 <= P <= 10**6 or abs(i0) > 10**7:
            return False
        if not (np.all(np.isfinite(C1)) and np.all(np.isfinite(C2)) and math.isfinite(err) and 0 <= err <= self.rtol):
            return False
        if max(float(np.max(np.abs(C[-2:]).sum(axis=0))) for C in (C1, C2)) > self.rtol:
            return False
        cols = np.unique(np.array([P // 2, P - 1]))
        tm = 0.5 * (self._t[:-1] + self._t[1:])
        tm = tm[[0, (self.n - 1) // 2]]
        col = np.repeat(cols, tm.size)
        t = np.tile(tm, cols.size)
        x = (i0 + col) * self.h + 0.5 * self.h * (t + 1.0)  # as in _build: the same points, bit for bit
        r = np.exp(x)
        try:
            with np.errstate(all="ignore"):
                d1 = np.asarray(self.base.sums(r, 1, 1), dtype=np.float64)
                e1 = r * np.asarray(self.base.sums(r, 1, 2), dtype=np.float64)
        except Exception:
            return False
        self.exact_evaluations += r.size
        with np.errstate(all="ignore"):
            bad = [np.abs(np.exp(self._eval(C, col, t)) / want - 1.0) for C, want in ((C1, d1), (C2, e1))]
        return bool(all(np.all(b <= self.rtol) for b in bad))

    def _save(self) -> None:
        """Write the panels to the cache file (atomically); any failure is ignored."""
        path = self._cache_path()
        b0, b1 = self.panels
        if path is None or b1 == b0:
            return
        tmp = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=path.stem + ".", suffix=".tmp", dir=path.parent)
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, i0=np.int64(self._i0), C1=self._C1, C2=self._C2, error_bound=np.float64(self.error_bound),
                         n=np.int64(self.n), h=np.float64(self.h))
            os.replace(tmp, path)
            tmp = None
            self._saved_panels = b1 - b0
            _prune(path.parent)
        except Exception:  # read-only or full disk: the cache is only an optimisation
            self._saved_panels = b1 - b0  # do not retry on every extension
        finally:
            if tmp is not None:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass

    @staticmethod
    def _eval(C: np.ndarray, col: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Clenshaw evaluation of the Chebyshev series ``C[:, col]`` at ``t`` in ``[-1, 1]``."""
        b1 = np.zeros_like(t)
        b2 = np.zeros_like(t)
        t2 = 2.0 * t
        for k in range(C.shape[0] - 1, 0, -1):
            b1, b2 = C[k].take(col) + t2 * b1 - b2, b1
        return C[0].take(col) + t * b1 - b2

    def log_sums(self, rho: Any) -> tuple[np.ndarray, np.ndarray]:
        """``(log d1, log e1)`` at ``rho > 0`` from the interpolants (float64, vectorised)."""
        r = np.asarray(rho, dtype=np.float64)
        if np.any(~np.isfinite(r)) or np.any(r <= 0):
            raise ParameterError("rho must be finite and > 0 for the interpolated sums")
        x = np.log(r)
        if x.size == 0:
            return x.copy(), x.copy()
        self._ensure(float(x.min()), float(x.max()))
        u = x / self.h
        cell = np.floor(u)
        col = (cell - self._i0).astype(np.int64)
        np.clip(col, 0, self._C1.shape[1] - 1, out=col)
        t = 2.0 * (u - cell) - 1.0
        return self._eval(self._C1, col, t), self._eval(self._C2, col, t)

    # ----- batches ------------------------------------------------------------------------------
    @property
    def kernel(self) -> str:
        """The solver of :meth:`solve_isotropic`: ``"numba"`` (compiled kernel) or ``"numpy"`` (:func:`kernel_name`)."""
        return kernel_name()

    def _packed_coefficients(self) -> np.ndarray:
        """The panels for the kernel: ``(panels, 5, n)``, the monomial coefficients in ``t`` of ``d1``, ``e1``
        and the first three derivatives of ``e1``.

        The kernel evaluates the sums themselves, not their logs, so that an evaluation needs no ``exp``: on each
        panel the verified series of ``log d1`` and ``log e1`` are evaluated at the ``n`` Chebyshev nodes,
        exponentiated and interpolated again at the same degree. Over a panel ``log d1`` and ``log e1`` move by at
        most ``h`` (their slopes in ``log rho`` lie in ``[-1, 1]``), so the new coefficients decay as fast as those
        of the logs. Each new interpolant is checked against ``exp`` of its log series midway between consecutive
        nodes, to the panels' own ``rtol`` (a :class:`~scalingsym.core.errors.ConvergenceError` otherwise, and
        :meth:`solve_isotropic` then runs the numpy solver unless the kernel was asked for by name); the deviation
        is ``~1e-14``, mostly the round-off of ``exp`` of a log, and its largest value is kept in :attr:`pack_error`
        (the kernel's sums are within ``error_bound + pack_error`` of the exact ones).

        The Chebyshev series ``sum_j c_j T_j(t)`` is then rewritten as ``sum_k a_k t^k`` once per panel; the
        ``a_k`` decay like the ``c_j`` (by ``~(2/25)^k`` here), so the power form loses nothing measurable (a few
        ulp) and its Horner scheme splits into independent chains. Rows 2-4 are the first three derivatives of
        the polynomial of ``e1`` in ``x = log rho`` (``(2 / h) k a_k``, and again), which the kernel's finish
        multiplies by steps ``<= 1e-4`` (:mod:`scalingsym.core.fastkernel`).
        """
        if self._packed is None or self._packed.shape[0] != self._C1.shape[1]:
            n = self.n
            B = np.zeros((n, n))
            for j in range(n):
                e = np.zeros(n)
                e[j] = 1.0
                c = np.polynomial.chebyshev.cheb2poly(e)
                B[: c.size, j] = c
            P = self._C1.shape[1]
            nodes = (np.repeat(np.arange(P), n), np.tile(self._t, P))
            tm = 0.5 * (self._t[:-1] + self._t[1:])  # check points: midway between consecutive nodes
            col = np.repeat(np.arange(P), tm.size)
            tc = np.tile(tm, P)
            direct = []
            err = 0.0
            for C in (self._C1, self._C2):
                # exp of the log series at the nodes, interpolated again; elementwise sums in a fixed order (not a
                # matrix product, whose rounding can depend on the number of panels), so that each panel's numbers
                # are the same however many panels there are
                V = np.exp(self._eval(C, *nodes)).reshape(P, n).T
                D = sum(self._A[:, j, None] * V[j] for j in range(n))
                with np.errstate(all="ignore"):
                    dev = np.abs(self._eval(D, col, tc) / np.exp(self._eval(C, col, tc)) - 1.0)
                err = max(err, float(np.max(dev)) if np.all(np.isfinite(dev)) else math.inf)
                direct.append(D)
            if not err <= self.rtol:
                raise _PackError(f"the kernel's interpolants of d1, e1 miss rtol={self.rtol:g} (error {err:.2e})")
            self.pack_error = max(self.pack_error, err)
            A1 = sum(B[:, j, None] * direct[0][j] for j in range(n))
            A2 = sum(B[:, j, None] * direct[1][j] for j in range(n))
            rows = [A1.T, A2.T]
            k = np.arange(1, n)
            for _ in range(3):  # e1', e1'', e1''' in x = log rho: d/dx = (2 / h) d/dt on the panel
                d = np.zeros_like(rows[-1])
                d[:, :-1] = rows[-1][:, 1:] * (k * (2.0 / self.h))
                rows.append(d)
            self._packed = np.ascontiguousarray(np.stack(rows, axis=1))
        return self._packed

    def solve_isotropic(self, s: Any, N: Any, T: Any, kernel: str | None = None) -> tuple[np.ndarray, ...]:
        """``rho``, ``d1(rho)`` and ``e1(rho) = d1 - d2`` on the physical branch of ``s = rho (1 - d1/N)(1 - d1/T)``.

        The batch form of :func:`~scalingsym.core.resolvent.solve_rho` on this spectrum followed by the two
        interpolated sums at the root: the same equation and branch, bracketed safeguarded Newton in ``log rho``,
        either compiled (:mod:`scalingsym.core.fastkernel`, one point at a time, no temporaries) or with the
        vectorised numpy solver (the path without numba; its numbers are those of ``solve_rho`` and
        :meth:`sums` bit for bit). The two agree to round-off (``~1e-14`` relative on ``rho``).

        Parameters
        ----------
        s : array_like
            Regulariser ``>= 0`` (finite).
        N, T : array_like
            Sizes ``> 0``; ``inf`` allowed. ``s``, ``N``, ``T`` broadcast.
        kernel : {None, "numba", "numpy"}
            None: :attr:`kernel`.

        Returns
        -------
        rho, d1, e1 : numpy.ndarray
            Float64 arrays of the broadcast shape; ``d1`` and ``e1`` are ``nan`` where ``rho = 0`` (``s = 0``
            and ``min(N, T)`` at least the number of positive modes, or ``s = 0`` and ``N = T = inf``).

        Raises
        ------
        ConvergenceError
            When a root solve does not converge (as :func:`~scalingsym.core.resolvent.solve_rho`).

        Examples
        --------
        >>> import numpy as np
        >>> from scalingsym.core.resolvent import solve_rho
        >>> from scalingsym.core.spectra import PowerLaw
        >>> fast = InterpolatedSpectrum(PowerLaw(alpha=1, M=1000), disk_cache=False)
        >>> s, N, T = np.array([1e-6, 1e-3, 0.0]), np.array([100.0, 50.0, 2000.0]), np.array([400.0, np.inf, 3000.0])
        >>> rho, d1, e1 = fast.solve_isotropic(s, N, T)
        >>> bool(np.allclose(rho, solve_rho(fast, s, N, T), rtol=1e-13, atol=0))
        True
        >>> float(rho[2]), bool(np.isnan(d1[2]))  # min(N, T) >= M at s = 0: rho = 0
        (0.0, True)
        """
        from .resolvent import check_regulariser

        s_a, N_a, T_a = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (s, N, T)))
        for name, v in (("N", N_a), ("T", T_a)):
            if np.any(np.isnan(v) | (v <= 0)):
                raise ParameterError(f"{name} must be a number > 0 (inf allowed)")
        check_regulariser(s_a)
        if kernel not in (None, "numba", "numpy"):
            raise ParameterError(f"kernel must be 'numba' or 'numpy'; got {kernel!r}")
        if kernel == "numba" and _kernel_module() is None:
            raise ParameterError("the numba kernel needs numba: pip install 'scalingsym[fast]'")
        return self._solve_isotropic_checked(s_a, N_a, T_a, kernel)

    def _solve_isotropic_checked(self, s: np.ndarray, N: np.ndarray, T: np.ndarray,
                                 kernel: str | None = None) -> tuple[np.ndarray, ...]:
        """:meth:`solve_isotropic` on float64 arrays of one shape that its caller has checked (``N, T > 0``, ``inf``
        allowed; ``s`` finite and ``>= 0``), with ``kernel`` None, ``"numba"`` (available) or ``"numpy"``."""
        shape = s.shape
        s_f, N_f, T_f = (np.ascontiguousarray(v.ravel()) for v in (s, N, T))
        chosen = kernel is None
        kernel = self.kernel if kernel is None else kernel
        if s_f.size == 0:
            rho, d1, e1 = s_f.copy(), s_f.copy(), s_f.copy()
        elif kernel == "numpy":
            rho, d1, e1 = self._solve_numpy(s_f, N_f, T_f)
        else:
            try:
                rho, d1, e1 = self._solve_kernel(s_f, N_f, T_f)
            except _PackError:
                if not chosen:
                    raise
                # the kernel's polynomials of the sums miss rtol (a tighter rtol than float64 exp of the log series
                # resolves): the numpy solver runs on the log series themselves
                rho, d1, e1 = self._solve_numpy(s_f, N_f, T_f)
        b0, b1 = self.panels
        if b1 - b0 > self._saved_panels:  # a batch keeps every panel it needed (scalar seeds save geometrically)
            self._save()
        return rho.reshape(shape), d1.reshape(shape), e1.reshape(shape)

    def _solve_numpy(self, s: np.ndarray, N: np.ndarray, T: np.ndarray) -> tuple[np.ndarray, ...]:
        from .resolvent import solve_rho

        rho = np.atleast_1d(np.asarray(solve_rho(self, s, N, T), dtype=np.float64))
        pos = rho > 0
        r = np.where(pos, rho, 1.0)
        d1 = np.where(pos, self.sums(r, 1, 1), np.nan)
        e1 = np.where(pos, r * self.sums(r, 1, 2), np.nan)
        return rho, d1, e1

    def _solve_kernel(self, s: np.ndarray, N: np.ndarray, T: np.ndarray) -> tuple[np.ndarray, ...]:
        fk = _kernel_module()
        m = s.size
        rho, d1, e1, xreq = (np.empty(m) for _ in range(4))
        status = np.empty(m, dtype=np.int8)
        tr, Mp = self.trace(), self.positive_count()
        if self.panels[1] == self.panels[0]:  # the disk cache, or a first panel where the first iterations go
            n = np.minimum(N, T)
            fin = np.isfinite(n)
            x0 = math.log(2.0 * tr / float(np.max(n[fin]))) if np.any(fin) else math.log(float(np.max(s)) or 1.0)
            self._ensure(x0, x0)
        state = fk.new_state()
        i = 0
        for _ in range(10**5):
            i = fk.solve_batch(s, N, T, self._packed_coefficients(), self._i0, self.h, tr, Mp, self.continuation, i,
                               state, rho, d1, e1, status, xreq)
            if i >= m:
                break
            self._ensure(float(xreq[i]), float(xreq[i]))  # the panel point i asked for; then on from point i
        else:  # pragma: no cover - every round builds at least one panel
            raise ConvergenceError("the panels needed by the batch could not be built")
        if np.any(status == fk.NO_BRACKET):
            n_bad = float(np.max(np.minimum(N, T)[status == fk.NO_BRACKET]))
            raise ConvergenceError(
                f"no bracket for d1(rho) = n below rho = 1e-300 for {self.describe()} (n = {n_bad:g})"
            )
        if np.any(status != fk.OK):
            raise ConvergenceError(
                f"root solve of the self-consistent equation did not converge for {int(np.sum(status != fk.OK))} "
                "point(s)"
            )
        return rho, d1, e1

    # ----- the interpolated sums ------------------------------------------------------------------
    def _sums_np(self, rho: np.ndarray, p: int, q: int, task: Task) -> np.ndarray:
        if not task.is_isotropic or (p, q) not in ((1, 1), (1, 2)) or rho.size == 0:
            return self.base._sums_np(rho, p, q, task)
        out = np.empty_like(rho)
        pos = rho > 0
        if not np.all(pos):
            out[~pos] = self.base._sums_np(rho[~pos], p, q, task)
        r = rho[pos]
        if r.size:
            # the solvers ask for (1, 1) and (1, 2) at the same rho in turn: keep the last pair
            last = self._last
            if last is not None and last[0].shape == r.shape and np.array_equal(last[0], r):
                l1, l2 = last[1], last[2]
            else:
                l1, l2 = self.log_sums(r)
                self._last = (r.copy(), l1, l2)
            out[pos] = np.exp(l1) if (p, q) == (1, 1) else np.exp(l2) / r
        return out
