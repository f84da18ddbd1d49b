"""scalingsym: derive, evaluate and check solvable models of neural scaling laws.

The core is one spectral layer (:mod:`scalingsym.spectra`) and one self-consistent equation
(:mod:`scalingsym.resolvent`); the papers' models are thin layers on top.

Examples
--------
>>> import scalingsym as ss
>>> model = ss.RandomFeatureRidge(ss.PowerLaw(alpha=1, M=1000))
>>> float(model.loss(N=100, T=400, gamma=0.0)) > 0
True
"""

from .errors import ConvergenceError, ParameterError, ScalingSymError, SpectrumParseError
from .models.ridge import RandomFeatureRidge, RidgeSolution, derive_ridgeless
from .parsing import parse_expression, parse_spectrum
from .resolvent import ridgeless_rho, ridgeless_rho_mp, self_consistent_equation, solve_rho, solve_rho_mp
from .simulate import SimulationResult, simulate_ridge
from .spectra import ArraySpectrum, ExprSpectrum, PowerLaw, Spectrum
from .tasks import Task

__version__ = "0.1.0"

__all__ = [
    "ArraySpectrum",
    "ConvergenceError",
    "ExprSpectrum",
    "ParameterError",
    "PowerLaw",
    "RandomFeatureRidge",
    "RidgeSolution",
    "ScalingSymError",
    "SimulationResult",
    "Spectrum",
    "SpectrumParseError",
    "Task",
    "derive_ridgeless",
    "parse_expression",
    "parse_spectrum",
    "ridgeless_rho",
    "ridgeless_rho_mp",
    "self_consistent_equation",
    "simulate_ridge",
    "solve_rho",
    "solve_rho_mp",
]
