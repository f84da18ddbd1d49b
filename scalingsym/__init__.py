"""scalingsym: derive, evaluate and check solvable models of neural scaling laws.

The package is layered, lowest first; a layer imports only the layers below it:

* :mod:`scalingsym.core`: spectra and their sums, tasks, the one self-consistent equation and its solvers;
* :mod:`scalingsym.models`: the papers' observables on the core (ridge, dynamics, Bahri, kernels, features);
* :mod:`scalingsym.theory`: the derivation engine (exponents, regimes, optimal ridge), duality, limits, diagrams;
* :mod:`scalingsym.simulate`: seeded Monte Carlo of every model;
* :mod:`scalingsym.data`: bundled data sets and empirical spectra;
* :mod:`scalingsym.output`: figures, the report, derivation discovery, the theory-vs-simulation table;
* :mod:`scalingsym.cli`: the command line.

``import scalingsym`` loads the core and the ridge model; the simulation names below are loaded on first use.

Examples
--------
>>> import scalingsym as ss
>>> model = ss.RandomFeatureRidge(ss.PowerLaw(alpha=1, M=1000))
>>> float(model.loss(N=100, T=400, gamma=0.0)) > 0
True
"""

from __future__ import annotations

from typing import Any

from . import _compat
from ._version import __version__
from .core.errors import ConvergenceError, ParameterError, ScalingSymError, SpectrumParseError
from .core.expressions import parse_expression
from .core.parsing import parse_spectrum
from .core.resolvent import ridgeless_rho, ridgeless_rho_mp, self_consistent_equation, solve_rho, solve_rho_mp
from .core.spectra import ArraySpectrum, ExprSpectrum, PowerLaw, Spectrum
from .core.tasks import Task
from .models.ridge import RandomFeatureRidge, RidgeSolution, derive_ridgeless

_compat.install()

#: public names of higher layers, imported on first access (PEP 562) so that ``import scalingsym`` stays light
_LAZY = {
    "SimulationResult": "scalingsym.simulate.ridge",
    "simulate_ridge": "scalingsym.simulate.ridge",
    "OnlineSGD": "scalingsym.models.sgd",
    "schedule_loss_curve": "scalingsym.models.sgd",
    "plrf_frontier": "scalingsym.models.sgd",
    "static_ensemble": "scalingsym.models.ensemble",
    "dynamics_ensemble": "scalingsym.models.ensemble",
    "ensemble_loss": "scalingsym.models.ensemble",
    "parse_task": "scalingsym.core.parsing",
    "sweep": "scalingsym.output.sweep",
    "plot_sweep": "scalingsym.output.sweep_plot",
    "task_exponents": "scalingsym.theory.task_regimes",
    "task_regime_map": "scalingsym.theory.task_regimes",
    "dynamics_exponents": "scalingsym.theory.dynamics_exponents",
    "early_width_coefficients": "scalingsym.theory.dynamics_exponents",
    "width_coefficient_law": "scalingsym.theory.dynamics_exponents",
    "noise_stopping_exponents": "scalingsym.theory.dynamics_exponents",
    "moment_sum": "scalingsym.theory.task_sums",
    "static_compute_optimal": "scalingsym.theory.static_frontier",
    "weighted_sum_law": "scalingsym.theory.task_sums",
    "task_power_law": "scalingsym.theory.task_sums",
    "allocation_lines": "scalingsym.theory.frontier",
    "max_min_exponent": "scalingsym.theory.frontier",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'scalingsym' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "ArraySpectrum",
    "ConvergenceError",
    "ExprSpectrum",
    "OnlineSGD",
    "ParameterError",
    "PowerLaw",
    "RandomFeatureRidge",
    "RidgeSolution",
    "ScalingSymError",
    "SimulationResult",
    "Spectrum",
    "SpectrumParseError",
    "Task",
    "__version__",
    "derive_ridgeless",
    "dynamics_ensemble",
    "ensemble_loss",
    "parse_expression",
    "parse_spectrum",
    "parse_task",
    "plot_sweep",
    "plrf_frontier",
    "ridgeless_rho",
    "ridgeless_rho_mp",
    "schedule_loss_curve",
    "self_consistent_equation",
    "simulate_ridge",
    "static_ensemble",
    "sweep",
    "solve_rho",
    "solve_rho_mp",
]
