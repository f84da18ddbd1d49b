"""The models: each paper's observables as a thin layer on the core.

The static random-feature ridge model of Maloney-Roberts-Sully and Zhang (:mod:`.ridge`), gradient-flow
dynamics of Bordelon-Atanasov-Pehlevan (:mod:`.dynamics`), Bahri et al.'s teacher-student model
(:mod:`.bahri`), nonlinear random features with their Gaussian-equivalence coefficients
(:mod:`.nonlinear`, :mod:`.activations`) and kernels on the torus (:mod:`.kernels`). A model evaluates its
losses through the core's solvers; it never solves a fixed point of its own.

Imports: ``core`` (and the libraries). Never ``theory``, ``simulate``, ``data``, ``output`` or ``cli``.
"""

from .ridge import RandomFeatureRidge, RidgeSolution

__all__ = ["RandomFeatureRidge", "RidgeSolution"]
