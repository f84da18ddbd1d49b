"""The derivation engine: give it a spectrum, get the scaling law; duality, limits and diagrams.

* :mod:`.spectral`: small-``rho`` laws of the spectral sums (counting function + Mellin transform);
* :mod:`.regimes`: the regime map of the ridge test loss ``L(N, T, gamma)`` and its exponents;
* :mod:`.optimal`: optimal ridge and compute allocation;
* :mod:`.bap_exponents`: the gradient-flow bottleneck exponents and the compute-optimal rule;
* :mod:`.task_sums`, :mod:`.task_regimes`: teacher-weighted sums (Mellin vs head) and the regime laws for any
  spectrum, task and label noise; :mod:`.frontier`: optimal allocations by balancing terms;
  :mod:`.dynamics_exponents`: gradient-flow bottlenecks and the compute-optimal rule from the same sums;
  :mod:`.static_frontier`: the ridgeless allocation at ``C = N T`` for any spectrum and task;
* :mod:`.bahri`: Bahri et al.'s variance- and resolution-limited regimes;
* :mod:`.kernels`: the kernel exponent of a Matern kernel on the torus;
* :mod:`.duality`, :mod:`.limits`, :mod:`.diagrams`: the ``N <-> T`` duality, the ridgeless and other
  limits, the planar diagrams of the large-ridge series.

Imports: ``core`` and ``models``. Never ``simulate``, ``data``, ``output`` or ``cli``.
"""
