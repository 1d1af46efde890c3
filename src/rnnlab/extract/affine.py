"""Sound affine arithmetic (zonotopes) for the gated cells' step, covering the rounding model of `bounds`.

An affine form is x = c + G e + t with e in [-1, 1]^k shared by every quantity of one step (the noise symbols
of the input box) and |t| <= d a per-coordinate error that is not shared (Stolfi & de Figueiredo 1997).
Linear maps are exact on the shared part, so the GRU blend h' = (1 - z) n + z h keeps the dependence of z, n
and h on the same h, which intervals lose. Nonlinear operations add to d:

  sigmoid / tanh on [l, u]: f(x) = lam x + mu + [-beta, beta] with lam = min(f'(l), f'(u)), for which
      f(x) - lam x is nondecreasing on [l, u] (f' falls with |x|), so its range is [g(l), g(u)]
      (the zonotope transformer of Singh et al. 2018, "Fast and effective robustness certification");
  x y: the product of the centres, the cross terms exactly, and rad(x) rad(y) in d.

Every operation also adds the float32 error bound of `bounds` (SAFETY times the rounding model's amount) and
a float64 allowance F64 times the magnitudes, for the float64 evaluation of these formulas. The bounding box
of a form therefore holds the exact result and every float32 execution's result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from rnnlab.extract import bounds as bd

F64 = 2.0**-44  # float64 evaluation allowance, relative to the magnitudes involved (2^9 times 2^-53)

__all__ = ["Form", "act", "add", "add_const", "box", "concat", "fold", "linear", "mul", "of_box", "one_minus", "rows"]


@dataclass(frozen=True)
class Form:
    c: np.ndarray  # (n,) centre
    G: np.ndarray  # (n, k) shared generators
    d: np.ndarray  # (n,) unshared error radius, >= 0

    def rad(self) -> np.ndarray:
        return np.abs(self.G).sum(axis=1) + self.d

    def mag(self) -> np.ndarray:
        """A bound on |x| over the form."""
        return np.abs(self.c) + self.rad()


def of_box(lo: np.ndarray, hi: np.ndarray) -> Form:
    c = 0.5 * (lo + hi)
    r = 0.5 * (hi - lo)
    # c +- r may miss lo or hi by a float64 rounding: cover it in d
    return Form(c, np.diag(r), F64 * (np.abs(lo) + np.abs(hi)) + bd.TINY)


def box(x: Form) -> bd.Box:
    r = x.rad() * (1 + F64) + bd.TINY
    return x.c - r, x.c + r


def linear(W: np.ndarray, x: Form, const: np.ndarray, const_mag: np.ndarray, const_terms: int) -> Form:
    """W x + const, as `bounds.linear` (const: precomputed, const_terms float terms of its own)."""
    absW = np.abs(W)
    mag = absW @ x.mag() + const_mag
    err = bd.SAFETY * bd.gamma(W.shape[1] + const_terms) * mag + F64 * mag + bd.TINY
    return Form(W @ x.c + const, W @ x.G, absW @ x.d + err)


def act(kind: str, x: Form) -> Form:
    """sigmoid or tanh of every coordinate (module docstring)."""
    f = expit if kind == "sigmoid" else np.tanh
    r = x.rad() * (1 + F64) + bd.TINY
    lo, hi = x.c - r, x.c + r
    flo, fhi = f(lo), f(hi)
    with np.errstate(over="ignore"):  # cosh overflows to inf for |x| > 710: slope 0, below the true one
        if kind == "sigmoid":  # both forms free of cancellation, accurate to a few float64 ulps
            dlo, dhi = flo * expit(-lo), fhi * expit(-hi)
        else:
            dlo, dhi = np.cosh(lo) ** -2.0, np.cosh(hi) ** -2.0
    lam = np.minimum(dlo, dhi) * (1 - 1e-6)  # under the true minimum slope: g stays nondecreasing
    glo, ghi = flo - lam * lo, fhi - lam * hi
    mu, beta = 0.5 * (glo + ghi), 0.5 * (ghi - glo)
    fmag = np.maximum(np.abs(flo), np.abs(fhi))
    err = (bd.SAFETY * bd.ACT_ULPS * bd.U * fmag + F64 * (lam * (np.abs(lo) + np.abs(hi)) + fmag + np.abs(mu))
           + bd.TINY)
    return Form(lam * x.c + mu, lam[:, None] * x.G, lam * x.d + np.maximum(beta, 0.0) + err)


def mul(x: Form, y: Form) -> Form:
    """Elementwise product, one float rounding."""
    mag = x.mag() * y.mag()
    d = np.abs(x.c) * y.d + np.abs(y.c) * x.d + x.rad() * y.rad()
    return Form(x.c * y.c, x.c[:, None] * y.G + y.c[:, None] * x.G,
                d + (bd.SAFETY * bd.U + F64) * mag + bd.TINY)


def add(x: Form, y: Form) -> Form:
    mag = x.mag() + y.mag()
    return Form(x.c + y.c, x.G + y.G, x.d + y.d + (bd.SAFETY * bd.U + F64) * mag + bd.TINY)


def add_const(k: np.ndarray, x: Form, k_err: np.ndarray) -> Form:
    """k + x, one float rounding; k_err bounds the error of k itself."""
    mag = np.abs(k) + x.mag()
    return Form(k + x.c, x.G, x.d + k_err + (bd.SAFETY * bd.U + F64) * mag + bd.TINY)


def one_minus(x: Form) -> Form:
    mag = 1 + x.mag()
    return Form(1 - x.c, -x.G, x.d + (bd.SAFETY * bd.U + F64) * mag + bd.TINY)


def rows(x: Form, sl: slice) -> Form:
    return Form(x.c[sl], x.G[sl], x.d[sl])


def concat(forms: list[Form]) -> Form:
    return Form(np.concatenate([f.c for f in forms]), np.concatenate([f.G for f in forms]),
                np.concatenate([f.d for f in forms]))


def fold(x: Form) -> Form:
    """The unshared errors made shared generators (fresh noise symbols), so that later steps carry them
    relationally; sound because each is a fixed (unknown) value within its radius."""
    keep = x.d > 0
    return Form(x.c, np.concatenate([x.G, np.diag(x.d)[:, keep]], axis=1), np.zeros_like(x.d))
