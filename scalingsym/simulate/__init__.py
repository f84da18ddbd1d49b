"""Monte Carlo: seeded simulations that check the theory.

Ridge regression on random features (:mod:`.ridge`), gradient-flow dynamics (:mod:`.dynamics`), Bahri et
al.'s model (:mod:`.bahri`), kernel regression on the torus (:mod:`.kernels`), nonlinear features
(:mod:`.nonlinear`) and the ``N <-> T`` pairs (:mod:`.duality`). Every simulation is seeded through
:func:`scalingsym.simulate.draws.generator` (``numpy.random.default_rng`` on a ``SeedSequence``) and
reproducible to the byte.

Imports: ``core``, ``models`` and ``theory``. Never ``data``, ``output`` or ``cli``.
"""

from .ridge import NestedSimulationResult, SimulationResult, simulate_ridge, simulate_ridge_nested_N

__all__ = ["NestedSimulationResult", "SimulationResult", "simulate_ridge", "simulate_ridge_nested_N"]
