"""The shared sympy symbols and the canonical convention, defined once.

Canonical convention (``../shared/reference/static_rf_ridge.md`` section A):

* latent data ``x ~ N(0, Lambda)`` with ``Lambda = diag(lambda_k)``, ``k = 1..M``;
* teacher ``y = w . x`` with ``Var(w_k) = w_var`` (``sigma_w^2 / M`` for finite ``M``);
* features ``phi = u x`` with ``Var(u_jk) = u_var`` (``sigma_u^2 / M`` for finite ``M``);
* training objective ``1/2 sum_alpha (z - y)^2 + gamma/2 |theta|^2`` (no ``1/T``);
* test loss ``1/2 E[(z - y)^2]`` per output.

Only ``gamma_bar = gamma / u_var`` and the overall factor ``w_var`` matter.

Examples
--------
>>> from scalingsym.core import symbols as S
>>> S.N.is_positive, S.gamma_bar.is_nonnegative
(True, True)
"""

from __future__ import annotations

import sympy as sp

#: model size (number of random features / parameters)
N = sp.Symbol("N", positive=True)
#: number of training samples (``P`` in Bordelon et al., ``D`` in Bahri et al.)
T = sp.Symbol("T", positive=True)
#: latent dimension
M = sp.Symbol("M", positive=True)
#: training-set size in the dynamics papers
P = sp.Symbol("P", positive=True)
#: dataset size in Bahri et al.
D = sp.Symbol("D", positive=True)
#: power-law exponent of the latent spectrum, ``lambda_k = lambda_plus k^-(1+alpha)``
alpha = sp.Symbol("alpha", positive=True)
#: largest eigenvalue of the power-law spectrum
lambda_plus = sp.Symbol("lambda_plus", positive=True)
#: teacher and feature weight variances
sigma_w2 = sp.Symbol("sigma_w2", positive=True)
sigma_u2 = sp.Symbol("sigma_u2", positive=True)
#: per-component variances ``Var(w_k)`` and ``Var(u_jk)``
w_var = sp.Symbol("w_var", positive=True)
u_var = sp.Symbol("u_var", positive=True)
#: ridge parameter and the convention-free ridge ``gamma / u_var``
gamma = sp.Symbol("gamma", nonnegative=True)
gamma_bar = sp.Symbol("gammabar", nonnegative=True)
#: renormalised ridge (resolution scale) and the spectral sums
rho = sp.Symbol("rho", positive=True)
d1 = sp.Symbol("d_1", positive=True)
d2 = sp.Symbol("d_2", positive=True)
#: ridgeless scale ``Delta = n rho_0``
Delta = sp.Symbol("Delta", positive=True)
#: ``n = min(N, T)``, ``m = max(N, T)``
n = sp.Symbol("n", positive=True)
m = sp.Symbol("m", positive=True)
#: mode index
k = sp.Symbol("k", positive=True, integer=True)
#: a small positive parameter used for one-sided limits
epsilon = sp.Symbol("epsilon", positive=True)
#: Laplace variable, time, data-level renormalised ridge
s = sp.Symbol("s", positive=True)
t = sp.Symbol("t", positive=True)
kappa = sp.Symbol("kappa", positive=True)
#: Bordelon et al. exponents: task power ``k^-a``, spectrum ``k^-b``
a = sp.Symbol("a", positive=True)
b = sp.Symbol("b", positive=True)
#: Bahri et al. kernel exponent
alpha_K = sp.Symbol("alpha_K", positive=True)

#: teacher-weighted spectral sums of a general task ``w2_k``: ``A_w = sum w2 lam/(lam+rho)``,
#: ``B_w = sum w2 lam^2/(lam+rho)^2``, ``C_w = sum w2 lam/(lam+rho)^2``; ``e_1 = d1 - d2``; and
#: ``sigma_N2 = rho_N A_w(rho_N)`` at the width-limited ridge ``d1(rho_N) = N``
A_w, B_w, C_w = sp.symbols("A_w B_w C_w", positive=True)
e1 = sp.Symbol("e_1", positive=True)
sigma_N2 = sp.Symbol("sigma_N2", positive=True)
#: variance of the training-label noise
sigma_eps2 = sp.Symbol("sigma_eps2", nonnegative=True)

#: the test loss (left-hand side of the derived loss laws)
L = sp.Symbol("L")

#: LaTeX names for symbols whose plain names are not LaTeX
LATEX_NAMES: dict[sp.Symbol, str] = {
    gamma_bar: r"\bar{\gamma}",
    lambda_plus: r"\lambda_{+}",
    sigma_w2: r"\sigma_w^{2}",
    sigma_u2: r"\sigma_u^{2}",
    w_var: r"\sigma_{w}^{2}/M",
    u_var: r"\sigma_{u}^{2}/M",
    alpha_K: r"\alpha_{K}",
    L: r"\hat{\mathcal{L}}",
}
