"""Timing of the symbolic asymptotics engine (fresh sympy cache per case).

Run: ``python benchmarks/bench_asymptotics.py``. Targets: power law (symbolic alpha) < 2 s, a new
regularly varying spectrum < 10 s, for the full regime map and exponents.
"""

from __future__ import annotations

import time

from sympy.core.cache import clear_cache

from scalingsym.theory.regimes import exponents
from scalingsym.theory.spectral import TailLaw, _cached_expr_law


def bench(label: str, make) -> float:
    clear_cache()
    _cached_expr_law.cache_clear()
    t0 = time.perf_counter()
    exponents(make())
    dt = time.perf_counter() - t0
    print(f"{label:45s} {dt:7.2f} s")
    return dt


if __name__ == "__main__":
    import sympy as sp

    from scalingsym.core import symbols as S

    bench("warm-up (imports)", lambda: TailLaw.power_law(1, 1))
    bench("power law, symbolic alpha and lambda_plus", TailLaw.power_law)
    bench("power law, alpha = 1", lambda: TailLaw.power_law(1))
    bench("k^-2 log(k+1)^2 (classification + laws)", lambda: S.k**-2 * sp.log(S.k + 1) ** 2)
    bench("exp(-k/10)", lambda: sp.exp(-S.k / 10))
    bench("broken power law (1, 2, k_break = 100)", lambda: TailLaw.broken_power_law(1, 2, 100))
