"""Planar (non-crossing) diagrams of the large-ridge expansion of the test loss, and their N <-> T duality.

Setting (canonical convention, :mod:`scalingsym.core.symbols`). Write the inputs as ``x = Lambda^{1/2} g`` and
the features as ``u = sqrt(u_var) h`` with standard Gaussian ``g`` (``T`` rows ``G``) and ``h`` (``N`` rows ``H``),
and let ``W = G^T G`` (Wishart, ``T`` degrees of freedom), ``V = H^T H`` (Wishart, ``N`` degrees of freedom),
``K = Lambda^{1/2} V Lambda^{1/2}``. For one draw, the teacher-averaged test error of the ridge student is
exactly

.. math:: E = w_{\\rm var}\\,\\bar\\gamma^2\\,
          {\\rm tr}\\big[\\Lambda (WK+\\bar\\gamma)^{-1}(KW+\\bar\\gamma)^{-1}\\big],

so the test loss ``L = E/2`` has the large-ridge expansion

.. math:: L = \\frac{w_{\\rm var}}{2}\\sum_{p\\ge0}(-\\bar\\gamma)^{-p} c_p,\\qquad
          c_p = \\sum_{a+b=p}\\mathbb E\\,{\\rm tr}\\big[\\Lambda (WK)^a (KW)^b\\big].

Each ``tr[Lambda (WK)^a (KW)^b]`` is a cyclic word of ``2p`` letters ``V``, ``W`` with powers of
``Lambda^{1/2}`` in the gaps. At leading order in ``N, T, M`` (planar order) its expectation is a sum over
**non-crossing partitions of the letters whose blocks are monochromatic** (a block of ``V`` letters is one
``N``-index loop, a block of ``W`` letters one ``T``-index loop); the ``M``-index loops are the blocks of the
**Kreweras complement** (the cycles of ``pi^{-1} gamma``), and a loop collecting gaps with total ``Lambda`` power
``j`` carries ``t_j = sum_k lambda_k^j``. The weight of a diagram is ``N^{#V blocks} T^{#W blocks} prod t_j``;
planarity is ``#blocks + #Kreweras blocks = 2p + 1``, so every weight is homogeneous of degree ``2p + 1``.

Duality at the level of diagrams: exchanging ``V <-> W`` turns the word ``(a, b)`` into the word ``(b, a)``
(up to a rotation/reflection of the cycle, found explicitly by :func:`dual_partner`); a diagram is mapped to the
diagram with the colours exchanged, its ``N``- and ``T``-loops swapped and its ``M``-loops (the Kreweras
complement, hence the ``t_j``) unchanged. For the pure moment words ``tr[(KW)^k]`` (the moments of the
feature-data matrix ``Phi^T Phi / u_var``) the ``T``-blocks of every diagram refine the Kreweras complement of
its ``N``-blocks, with equality on the diagrams with the most index loops; there the duality is ``pi -> K(pi)``
(checked by :func:`moment_kreweras_check`).

Two independent routes to the coefficients: :func:`planar_coefficients` (sum of diagrams) and
:func:`series_coefficients` (sympy series of the self-consistent solution, ``static_rf_ridge.md`` B1).

Examples
--------
>>> c = planar_coefficients(2)
>>> from scalingsym.theory.diagrams import t
>>> import sympy as sp
>>> sp.expand(c[1] - 2 * sp.Symbol("N", positive=True) * sp.Symbol("T", positive=True) * t(2))
0
>>> all(sp.expand(c[p] - s) == 0 for p, s in enumerate(series_coefficients(2)))
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
import sympy as sp

from ..core import symbols as S
from ..core.errors import ParameterError
from ..core.latex import to_latex

__all__ = [
    "Diagram",
    "Word",
    "dual_partner",
    "enumerate_diagrams",
    "loss_word",
    "moment_kreweras_check",
    "moment_word",
    "monte_carlo_coefficients",
    "planar_coefficients",
    "series_coefficients",
    "t",
]


@cache
def t(j: int) -> sp.Symbol:
    """The spectral moment symbol ``t_j = sum_k lambda_k^j``."""
    if int(j) != j or j < 0:
        raise ParameterError(f"spectral moment index j must be an integer >= 0; got {j}")
    return sp.Symbol(f"t_{int(j)}", positive=True)


def _check_order(order: int, name: str = "order") -> int:
    if isinstance(order, bool) or int(order) != order or order < 0 or order > 9:
        raise ParameterError(f"{name} must be an integer in 0..9; got {order}")
    return int(order)


# ------------------------------------------------------------------------------------------- words ----
@dataclass(frozen=True)
class Word:
    """A cyclic word of Wishart letters ``'V'`` / ``'W'`` with ``Lambda`` powers in the gaps.

    ``gaps[i]`` is twice the power of ``Lambda`` between letter ``i`` and letter ``i + 1`` (cyclically).
    """

    letters: tuple[str, ...]
    gaps: tuple[int, ...]
    label: str = ""

    def swapped(self) -> Word:
        """The word with ``V <-> W`` (the duality acting on the matrices)."""
        sw = {"V": "W", "W": "V"}
        return Word(tuple(sw[c] for c in self.letters), self.gaps, self.label + "*")

    def __len__(self) -> int:
        return len(self.letters)


def _word_from_tokens(tokens: list[tuple[str, int]], label: str) -> Word:
    """Tokens ``('V'|'W', 0)`` or ``('L', halves)``; consecutive Lambda powers merge, cyclically."""
    letters: list[str] = []
    gaps: list[int] = []
    lead = 0
    for kind, h in tokens:
        if kind == "L":
            if letters:
                gaps[-1] += h
            else:
                lead += h
        else:
            letters.append(kind)
            gaps.append(0)
    if letters:
        gaps[-1] += lead
    return Word(tuple(letters), tuple(gaps), label)


def loss_word(a: int, b: int) -> Word:
    """The word ``tr[Lambda (WK)^a (KW)^b]`` with ``K = Lambda^{1/2} V Lambda^{1/2}``.

    >>> loss_word(1, 0)
    Word(letters=('W', 'V'), gaps=(1, 3), label='(1,0)')
    """
    for name, v in (("a", a), ("b", b)):
        if int(v) != v or v < 0:
            raise ParameterError(f"{name} must be an integer >= 0; got {v}")
    tok: list[tuple[str, int]] = [("L", 2)]
    tok += [("W", 0), ("L", 1), ("V", 0), ("L", 1)] * int(a)
    tok += [("L", 1), ("V", 0), ("L", 1), ("W", 0)] * int(b)
    return _word_from_tokens(tok, f"({a},{b})")


def moment_word(k: int) -> Word:
    """The word ``tr[(KW)^k]``: the ``k``-th moment of ``Phi^T Phi / u_var`` (feature-data matrix)."""
    if int(k) != k or k < 1:
        raise ParameterError(f"moment order k must be an integer >= 1; got {k}")
    return _word_from_tokens([("L", 1), ("V", 0), ("L", 1), ("W", 0)] * int(k), f"m{k}")


# ------------------------------------------------------------------------------------ partitions ----
def _nc_mono(points: tuple[int, ...], colours: tuple[str, ...]):
    """All non-crossing partitions of ``points`` (a linear order) with monochromatic blocks."""
    if not points:
        yield ()
        return
    yield from _grow((points[0],), points[1:], colours)


def _grow(block: tuple[int, ...], rest: tuple[int, ...], colours):
    for tail in _nc_mono(rest, colours):
        yield (block,) + tail
    c = colours[block[0]]
    for i, q in enumerate(rest):
        if colours[q] != c:
            continue
        for inner in _nc_mono(rest[:i], colours):
            for outer in _grow(block + (q,), rest[i + 1 :], colours):
                yield inner + outer


def _perm_of(blocks, n: int) -> list[int]:
    """A partition as the permutation cycling each block in increasing order."""
    perm = list(range(n))
    for blk in blocks:
        for i, x in enumerate(blk):
            perm[x] = blk[(i + 1) % len(blk)]
    return perm


def kreweras(blocks, n: int) -> tuple[tuple[int, ...], ...]:
    """Kreweras complement as the cycles of ``pi^{-1} gamma`` (``gamma = (0 1 ... n-1)``) on the gaps.

    Element ``i`` of a complement block stands for the gap after letter ``i``.

    >>> kreweras(((0,), (1,)), 2)
    ((0, 1),)
    """
    perm = _perm_of(blocks, n)
    inv = [0] * n
    for i, j in enumerate(perm):
        inv[j] = i
    seen = [False] * n
    out = []
    for s in range(n):
        if seen[s]:
            continue
        cyc = []
        x = s
        while not seen[x]:
            seen[x] = True
            cyc.append(x)
            x = inv[(x + 1) % n]
        out.append(tuple(sorted(cyc)))
    return tuple(sorted(out))


@dataclass(frozen=True)
class Diagram:
    """One planar diagram: a word, its monochromatic non-crossing partition and its weight."""

    word: Word
    blocks: tuple[tuple[int, ...], ...]
    loops: tuple[tuple[int, ...], ...]  # Kreweras complement (M-index loops), as gap indices
    n_N: int
    n_T: int
    moments: tuple[int, ...]  # j of each M-loop

    @property
    def weight(self) -> sp.Expr:
        """``N^{#N loops} T^{#T loops} prod_loops t_j``."""
        w = S.N**self.n_N * S.T**self.n_T
        for j in self.moments:
            w *= t(j)
        return w

    def key(self) -> tuple:
        """A hashable identity (word label and blocks)."""
        return (self.word.letters, self.word.gaps, self.blocks)

    def describe(self) -> str:
        """Blocks written with their letters, e.g. ``{V1 V3}{W0}{W2}``."""
        return "".join("{" + " ".join(f"{self.word.letters[i]}{i}" for i in blk) + "}" for blk in self.blocks)


def _diagram(word: Word, blocks) -> Diagram:
    n = len(word)
    blocks = tuple(sorted(tuple(sorted(b)) for b in blocks))
    loops = kreweras(blocks, n)
    if len(blocks) + len(loops) != n + 1:  # pragma: no cover - non-crossing partitions are planar
        raise AssertionError("diagram is not planar")
    js = []
    for lp in loops:
        h = sum(word.gaps[i] for i in lp)
        if h % 2:  # pragma: no cover - structural: every loop collects an even number of half powers
            raise AssertionError("an M-loop with a half-integer power of Lambda")
        js.append(h // 2)
    n_N = sum(1 for b in blocks if word.letters[b[0]] == "V")
    return Diagram(word, blocks, loops, n_N, len(blocks) - n_N, tuple(sorted(js)))


@cache
def enumerate_diagrams(word: Word) -> tuple[Diagram, ...]:
    """All planar diagrams of a word (monochromatic non-crossing partitions of its letters)."""
    n = len(word)
    return tuple(_diagram(word, blocks) for blocks in _nc_mono(tuple(range(n)), word.letters))


def _dihedral_maps(n: int):
    for r in range(n):
        yield (lambda i, r=r: (i + r) % n), (lambda g, r=r: (g + r) % n)
        yield (lambda i, r=r: (r - i) % n), (lambda g, r=r: (r - g - 1) % n)


def dual_partner(diagram: Diagram, target: Word) -> Diagram:
    """The image of ``diagram`` under ``V <-> W``, as a diagram of ``target``.

    The colour-swapped word is identified with ``target`` by a rotation or reflection of the cycle (which
    preserves non-crossing partitions and their Kreweras complements); raises if there is none.
    """
    sw = diagram.word.swapped()
    n = len(sw)
    if len(target) != n:
        raise ParameterError("target word has a different length")
    for f_letter, f_gap in _dihedral_maps(n):
        if all(target.letters[f_letter(i)] == sw.letters[i] for i in range(n)) and all(
            target.gaps[f_gap(g)] == sw.gaps[g] for g in range(n)
        ):
            return _diagram(target, [tuple(f_letter(i) for i in blk) for blk in diagram.blocks])
    raise ParameterError(f"word {diagram.word.label} swapped is not equivalent to {target.label}")


# ---------------------------------------------------------------------------------- coefficients ----
def loss_diagrams(p: int) -> dict[tuple[int, int], tuple[Diagram, ...]]:
    """The diagrams of order ``p`` grouped by word ``(a, b)``, ``a + b = p``."""
    p = _check_order(p)
    return {(a, p - a): enumerate_diagrams(loss_word(a, p - a)) for a in range(p + 1)}


def planar_coefficients(order: int) -> list[sp.Expr]:
    """``c_0..c_order`` of ``L = w_var/2 sum_p (-gamma_bar)^-p c_p`` as sums of planar diagrams (route (b)).

    ``c_0 = t_1`` (the word ``tr Lambda`` has no letters).
    """
    order = _check_order(order)
    out = [t(1)]
    for p in range(1, order + 1):
        out.append(sp.expand(sp.Add(*[d.weight for ds in loss_diagrams(p).values() for d in ds])))
    return out


def series_coefficients(order: int) -> list[sp.Expr]:
    """The same ``c_p`` from the self-consistent solution (route (a); ``static_rf_ridge.md`` B1).

    With ``x = 1/rho`` and ``u = 1/gamma_bar``: ``d1 = sum_j (-1)^{j-1} t_j x^j``,
    ``d1 - d2 = sum_j (-1)^{j-1} j t_j x^j``; the saddle point (B1a) ``x = u (N - d1)(T - d1)`` is inverted
    order by order (exact truncated power series in ``u``), and (B1b) is expanded in ``u``. Returns
    ``c_p = (-1)^p [u^p] (2 L / w_var)``.
    """
    order = _check_order(order)
    K = order + 1
    u = sp.Symbol("u")
    ts = [t(j) for j in range(1, K + 2)]
    R, *gens = sp.ring([u, S.N, S.T, *ts], sp.QQ)
    U, Nr, Tr, tr = gens[0], gens[1], gens[2], gens[3:]

    def cut(poly):  # truncate at u^K (exact power-series arithmetic)
        return R({m: c for m, c in poly.terms() if m[0] <= K})

    def mul(p, q):
        return cut(p * q)

    def powers(xs):
        out = [R.one]
        for _ in range(K + 1):
            out.append(mul(out[-1], xs))
        return out

    # fixed-point iteration x = u (N - d1(x)) (T - d1(x)); x = O(u), so each pass fixes one more order
    xs = R.zero
    for _ in range(K + 1):
        xp = powers(xs)
        d1s = sum(((-1) ** (j - 1) * tr[j - 1] * xp[j] for j in range(1, K + 2)), R.zero)
        xs = cut(U * mul(Nr - d1s, Tr - d1s))
    xp = powers(xs)
    d1s = sum(((-1) ** (j - 1) * tr[j - 1] * xp[j] for j in range(1, K + 2)), R.zero)
    e1s = sum(((-1) ** (j - 1) * j * tr[j - 1] * xp[j] for j in range(1, K + 2)), R.zero)
    rho_e1 = sum(((-1) ** (j - 1) * j * tr[j - 1] * xp[j - 1] for j in range(1, K + 2)), R.zero)
    # 2L/(w_var N T) = rho e1 / D, D = (N - d1)(T - d1) + e1 (N + T - 2 d1) = x/u + e1 (N + T - 2 d1)
    # x/u is exact division of a polynomial with no u^0 term
    x_over_u = R({(m[0] - 1, *m[1:]): c for m, c in xs.terms()})
    den = x_over_u + mul(e1s, Nr + Tr - 2 * d1s)
    # den = N T (1 + delta): invert by a geometric series in delta (delta = O(u))
    den_expr = sp.expand(den.as_expr() / (S.N * S.T))
    delta = R(sp.expand(den_expr - 1))
    inv, power = R.one, R.one
    for _ in range(K):
        power = mul(-power, delta)
        inv = inv + power
    ser = mul(rho_e1, inv).as_expr()
    ser = sp.expand(ser)
    return [sp.expand((-1) ** p * ser.coeff(u, p)) for p in range(order + 1)]


def agreement_table(order: int) -> list[dict]:
    """Route (a) vs route (b), order by order: diagram counts, coefficient, and whether they agree exactly."""
    a = series_coefficients(order)
    b = planar_coefficients(order)
    rows = []
    for p in range(order + 1):
        nd = 1 if p == 0 else sum(len(ds) for ds in loss_diagrams(p).values())
        diff = sp.expand(a[p] - b[p])
        rows.append(
            {
                "order": p,
                "diagrams": nd,
                "terms": len(sp.Add.make_args(sp.expand(b[p]))),
                "series": a[p],
                "planar": b[p],
                "difference": diff,
                "agree": diff == 0,
            }
        )
    return rows


def duality_check(order: int) -> list[dict]:
    """For every diagram up to ``order``: its dual partner (word ``(b, a)``) and whether weights swap."""
    order = _check_order(order)
    rows = []
    for p in range(1, order + 1):
        for (a, b), ds in loss_diagrams(p).items():
            target = loss_word(b, a)
            targets = {d.key(): d for d in enumerate_diagrams(target)}
            for d in ds:
                partner = dual_partner(d, target)
                ok = partner.key() in targets and sp.expand(
                    partner.weight - d.weight.subs({S.N: S.T, S.T: S.N}, simultaneous=True)
                ) == 0 and partner.moments == d.moments
                rows.append({"order": p, "word": (a, b), "diagram": d, "partner": partner, "ok": bool(ok)})
    return rows


def moment_kreweras_check(k: int) -> dict:
    """Moments ``E tr[(KW)^k]``: T-blocks refine ``Kreweras(N-blocks)``; on maximal diagrams duality = Kreweras.

    Returns counts and whether every statement held.
    """
    w = moment_word(k)
    ds = enumerate_diagrams(w)
    vpos = [i for i, c in enumerate(w.letters) if c == "V"]
    wpos = [i for i, c in enumerate(w.letters) if c == "W"]
    refine_ok, maximal, maximal_ok = True, 0, True
    for d in ds:
        vb = tuple(tuple(vpos.index(i) for i in b) for b in d.blocks if w.letters[b[0]] == "V")
        wb = tuple(tuple(wpos.index(i) for i in b) for b in d.blocks if w.letters[b[0]] == "W")
        kv = kreweras(vb, k)  # gap after V letter i is the W letter i
        kv_sets = [set(b) for b in kv]
        if not all(any(set(b) <= kb for kb in kv_sets) for b in wb):
            refine_ok = False
        if d.n_N + d.n_T == k + 1:
            maximal += 1
            maximal_ok &= sorted(wb) == sorted(kv)
    total = sp.expand(sp.Add(*[d.weight for d in ds]))
    sym = sp.expand(total - total.subs({S.N: S.T, S.T: S.N}, simultaneous=True)) == 0
    return {
        "k": k,
        "diagrams": len(ds),
        "fuss_catalan": math.comb(3 * k, k) // (2 * k + 1),
        "t_blocks_refine_kreweras": refine_ok,
        "maximal": maximal,
        "narayana_total": math.comb(2 * k, k) // (k + 1),
        "maximal_is_kreweras": bool(maximal_ok),
        "moment": total,
        "symmetric": sym,
    }


# ---------------------------------------------------------------------------------- Monte Carlo ----
def monte_carlo_coefficients(
    lam, N: int, T: int, order: int = 3, *, seeds: int = 64, seed: int = 0, field: str = "complex"
) -> tuple[np.ndarray, np.ndarray]:
    """Monte-Carlo ``c_p = E sum_{a+b=p} tr[Lambda (WK)^a (KW)^b]`` for ``p = 0..order`` (mean, stderr).

    ``field="complex"`` draws complex Gaussian ``G, H`` (``E|g|^2 = 1``): non-planar corrections are then
    ``O(1/n^2)`` (genus expansion); ``"real"`` gives the real model, with ``O(1/n)`` corrections.
    """
    order = _check_order(order)
    lam = np.asarray(lam, dtype=np.float64)
    if lam.ndim != 1 or lam.size == 0 or np.any(~np.isfinite(lam)) or np.any(lam < 0):
        raise ParameterError("lam must be a non-empty 1-D array of finite eigenvalues >= 0")
    if field not in ("complex", "real"):
        raise ParameterError(f"field must be 'complex' or 'real'; got {field!r}")
    for name, v in (("N", N), ("T", T), ("seeds", seeds)):
        if int(v) != v or v < 1:
            raise ParameterError(f"{name} must be a positive integer; got {v}")
    M = lam.size
    rng = np.random.default_rng(seed)
    h = np.sqrt(lam)
    out = np.empty((int(seeds), order + 1))

    def gauss(rows):
        if field == "real":
            return rng.standard_normal((rows, M))
        return (rng.standard_normal((rows, M)) + 1j * rng.standard_normal((rows, M))) / math.sqrt(2)

    for s in range(int(seeds)):
        H, G = gauss(int(N)), gauss(int(T))
        V, W = H.conj().T @ H, G.conj().T @ G
        K = h[:, None] * V * h[None, :]
        WK, KW = W @ K, K @ W
        left = [np.diag(lam).astype(WK.dtype)]  # Lambda (WK)^a
        right = [np.eye(M, dtype=WK.dtype)]  # (KW)^b
        for _ in range(order):
            left.append(left[-1] @ WK)
            right.append(right[-1] @ KW)
        for p in range(order + 1):
            out[s, p] = sum(np.real(np.sum(left[a] * right[p - a].T)) for a in range(p + 1))
    mean = out.mean(axis=0)
    se = out.std(axis=0, ddof=1) / math.sqrt(seeds) if seeds > 1 else np.full(order + 1, np.inf)
    return mean, se


def evaluate_coefficients(coeffs: list[sp.Expr], lam, N: float, T: float) -> np.ndarray:
    """Evaluate symbolic ``c_p`` at a spectrum (``t_j = sum lam^j``) and sizes ``N, T``."""
    lam = np.asarray(lam, dtype=np.float64)
    vals = {S.N: N, S.T: T}
    out = []
    for c in coeffs:
        sub = dict(vals)
        for sym in c.free_symbols:
            if sym.name.startswith("t_"):
                sub[sym] = float(np.sum(lam ** int(sym.name[2:])))
        out.append(float(c.subs(sub)))
    return np.array(out)


# ------------------------------------------------------------------------------------------ latex ----
def diagrams_latex(order: int) -> str:
    """A LaTeX table of the diagrams of one order with weights and dual partners."""
    order = _check_order(order)
    lines = [
        f"% planar diagrams of order {order} of the large-ridge expansion; M-loops = Kreweras complement",
        r"\begin{tabular}{llll}",
        r"word $(a,b)$ & blocks & weight & dual partner (word $(b,a)$) \\ \hline",
    ]
    for row in duality_check(order):
        if row["order"] != order:
            continue
        d, q = row["diagram"], row["partner"]
        lines.append(
            f"$({row['word'][0]},{row['word'][1]})$ & \\texttt{{{d.describe()}}} & ${to_latex(d.weight)}$ & "
            f"\\texttt{{{q.describe()}}}, ${to_latex(q.weight)}$ \\\\"
        )
    lines.append(r"\end{tabular}")
    return "\n".join(lines)
