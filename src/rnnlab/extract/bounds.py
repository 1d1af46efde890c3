"""Sound interval rules for the cells, covering float32 rounding (SPEC S11's certification).

Rounding model (stated in the README, "Net files"): every float32 operation the net runs returns its exact
result times (1 + d) with |d| <= u = 2^-24, plus an absolute error of at most TINY = 2^-120 (underflow);
sigmoid and tanh return the exact function of their float input to within ACT_ULPS units of u, relatively.
A dot product of n terms (bias included) is then within gamma_n * sum |w_i x_i| of the exact sum, with
gamma_n = n u / (1 - n u) (Higham 2002, Sec. 3.1). Every bound below is widened by SAFETY times these
amounts, which also swallows the float64 rounding of the bound computations themselves (2^-53 relative,
29 binary orders smaller). An interval so computed holds the exact real-arithmetic value AND the value any
float32 (or float64) execution of the same formulas produces, in any order of summation.

Intervals are pairs (lo, hi) of float64 arrays, lo <= hi elementwise.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

U = 2.0**-24  # float32 unit roundoff
SAFETY = 4.0  # every error bound is multiplied by this
ACT_ULPS = 4.0  # sigmoid / tanh error, in units of u relative to the result
TINY = 2.0**-120  # absolute error floor (subnormal results)

Box = tuple[np.ndarray, np.ndarray]

__all__ = ["ACT_ULPS", "SAFETY", "TINY", "U", "act", "add", "gamma", "linear", "mul", "one_minus", "rounding_model"]


def rounding_model() -> dict[str, float]:
    """The model's constants, stored in every certificate."""
    return {"u": U, "safety": SAFETY, "act_ulps": ACT_ULPS, "tiny": TINY}


def gamma(n: int) -> float:
    return n * U / (1 - n * U)


def _widen(lo: np.ndarray, hi: np.ndarray, err: np.ndarray | float) -> Box:
    return lo - err, hi + err


def linear(W: np.ndarray, lo: np.ndarray, hi: np.ndarray, const: np.ndarray, const_mag: np.ndarray,
           const_terms: int) -> Box:
    """W s + const for s in [lo, hi]; const (a precomputed U x + b) has magnitude const_mag and const_terms
    float terms of its own, all counted in the dot product's length."""
    Wp, Wn = np.maximum(W, 0.0), np.minimum(W, 0.0)
    zlo = Wp @ lo + Wn @ hi + const
    zhi = Wp @ hi + Wn @ lo + const
    mag = np.abs(W) @ np.maximum(np.abs(lo), np.abs(hi)) + const_mag
    err = SAFETY * gamma(W.shape[1] + const_terms) * mag + TINY
    return _widen(zlo, zhi, err)


def act(kind: str, lo: np.ndarray, hi: np.ndarray, gain: float = 1.0, threshold: float = 0.0,
        strict: bool = True) -> Box:
    """f([lo, hi]) for a monotone activation, widened for its float error (the gain multiply included)."""
    if kind == "identity":
        return lo, hi
    if kind == "step":
        on_lo = lo > threshold if strict else lo >= threshold
        on_hi = hi > threshold if strict else hi >= threshold
        return on_lo.astype(np.float64), on_hi.astype(np.float64)
    if kind == "sigmoid":
        if gain != 1.0:
            lo, hi = lo * gain, hi * gain
            lo, hi = _widen(lo, hi, SAFETY * U * np.maximum(np.abs(lo), np.abs(hi)) + TINY)
        flo, fhi = expit(lo), expit(hi)  # no overflow for large |z|
    elif kind == "tanh":
        flo, fhi = np.tanh(lo), np.tanh(hi)
    else:
        raise ValueError(f"no interval rule for activation {kind!r}")
    err = SAFETY * ACT_ULPS * U * np.maximum(np.abs(flo), np.abs(fhi)) + TINY
    flo, fhi = _widen(flo, fhi, err)
    lim_lo = 0.0 if kind == "sigmoid" else -1.0
    return np.clip(flo, lim_lo, 1.0), np.clip(fhi, lim_lo, 1.0)


def mul(alo: np.ndarray, ahi: np.ndarray, blo: np.ndarray, bhi: np.ndarray) -> Box:
    """Elementwise product of two intervals, widened for one rounding."""
    p = np.stack([alo * blo, alo * bhi, ahi * blo, ahi * bhi])
    plo, phi = p.min(axis=0), p.max(axis=0)
    return _widen(plo, phi, SAFETY * U * np.maximum(np.abs(plo), np.abs(phi)) + TINY)


def add(alo: np.ndarray, ahi: np.ndarray, blo: np.ndarray, bhi: np.ndarray) -> Box:
    slo, shi = alo + blo, ahi + bhi
    return _widen(slo, shi, SAFETY * U * np.maximum(np.abs(slo), np.abs(shi)) + TINY)


def one_minus(lo: np.ndarray, hi: np.ndarray) -> Box:
    rlo, rhi = 1.0 - hi, 1.0 - lo
    return _widen(rlo, rhi, SAFETY * U * np.maximum(np.abs(rlo), np.abs(rhi)) + TINY)


def blend(zlo: np.ndarray, zhi: np.ndarray, nlo: np.ndarray, nhi: np.ndarray, hlo: np.ndarray, hhi: np.ndarray
          ) -> Box:
    """(1 - z) n + z h over the box: multilinear in (z, n, h), so its range is spanned by the 8 corners;
    widened for the four float operations of that formula."""
    corners = [(1 - z) * n + z * h for z in (zlo, zhi) for n in (nlo, nhi) for h in (hlo, hhi)]
    c = np.stack(corners)
    rlo, rhi = c.min(axis=0), c.max(axis=0)
    mag = (1 + np.maximum(np.abs(zlo), np.abs(zhi))) * np.maximum(np.abs(nlo), np.abs(nhi)) + \
        np.maximum(np.abs(zlo), np.abs(zhi)) * np.maximum(np.abs(hlo), np.abs(hhi))
    return _widen(rlo, rhi, SAFETY * 4 * U * (mag + 1) + TINY)
