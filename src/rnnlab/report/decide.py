"""Deciding a claim over seeds: a stated test, and "inconclusive" when the seeds cannot decide.

A claim "A beats B" holds when the one-sided test at level alpha says so; it does not hold when the opposite
direction is significant or when the whole confidence interval of the effect lies below a stated margin (an
equivalence-style bound: whatever the effect is, it is too small to claim); otherwise it is inconclusive.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats

from rnnlab.report.claims import FAILS, HOLDS, INCONCLUSIVE

ALPHA = 0.05


@dataclass(frozen=True)
class Decision:
    verdict: str
    statistic: str  # what was computed, in words
    p_value: float  # one-sided, for "A beats B"
    p_opposite: float  # one-sided, for "B beats A"
    effect: float  # A - B (a rate difference or a mean difference)
    ci_low: float  # confidence interval of the effect at 1 - 2 alpha (two one-sided tests at alpha)
    ci_high: float
    margin: float  # effects below this are too small to claim

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _verdict(p: float, p_opposite: float, ci_high: float, margin: float, alpha: float) -> str:
    if p < alpha:
        return HOLDS
    if p_opposite < alpha or ci_high < margin:
        return FAILS
    return INCONCLUSIVE


def wilson_interval(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson's score interval for a binomial rate k/n."""
    if n == 0:
        return 0.0, 1.0
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


def compare_rates(k_a: int, n_a: int, k_b: int, n_b: int, *, margin: float = 0.0,
                  alpha: float = ALPHA) -> Decision:
    """Does rate A = k_a/n_a exceed rate B = k_b/n_b? Fisher's exact test, one-sided each way; the interval of
    A - B is Newcombe's hybrid score interval (from two Wilson intervals)."""
    if not (0 <= k_a <= n_a and 0 <= k_b <= n_b and n_a > 0 and n_b > 0):
        raise ValueError(f"bad counts {k_a}/{n_a}, {k_b}/{n_b}")
    table = [[k_a, n_a - k_a], [k_b, n_b - k_b]]
    p = float(stats.fisher_exact(table, alternative="greater").pvalue)
    p_opp = float(stats.fisher_exact(table, alternative="less").pvalue)
    pa, pb = k_a / n_a, k_b / n_b
    la, ua = wilson_interval(k_a, n_a, 1 - 2 * alpha)
    lb, ub = wilson_interval(k_b, n_b, 1 - 2 * alpha)
    d = pa - pb
    low = d - math.sqrt((pa - la) ** 2 + (ub - pb) ** 2)
    high = d + math.sqrt((ua - pa) ** 2 + (pb - lb) ** 2)
    return Decision(_verdict(p, p_opp, high, margin, alpha), "Fisher's exact test, one-sided", p, p_opp, d, low,
                    high, margin)


def compare_means(a: Sequence[float], b: Sequence[float], *, margin: float = 0.0, alpha: float = ALPHA,
                  seed: int = 0) -> Decision:
    """Is the mean of A above the mean of B? A one-sided permutation test on the difference of means (exact
    for small samples), with a bootstrap percentile interval of the difference."""
    xa, xb = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(xa) < 2 or len(xb) < 2 or not (np.isfinite(xa).all() and np.isfinite(xb).all()):
        raise ValueError("compare_means needs at least two finite values per side")

    def diff(x: np.ndarray, y: np.ndarray, axis: int = -1) -> Any:
        return np.mean(x, axis=axis) - np.mean(y, axis=axis)

    rng = np.random.default_rng(seed)
    greater = stats.permutation_test((xa, xb), diff, alternative="greater", n_resamples=9999, random_state=rng)
    less = stats.permutation_test((xa, xb), diff, alternative="less", n_resamples=9999, random_state=rng)
    boot = stats.bootstrap((xa, xb), diff, confidence_level=1 - 2 * alpha, n_resamples=9999, random_state=rng,
                           method="percentile")
    d = float(diff(xa, xb))
    low, high = float(boot.confidence_interval.low), float(boot.confidence_interval.high)
    p, p_opp = float(greater.pvalue), float(less.pvalue)
    return Decision(_verdict(p, p_opp, high, margin, alpha), "permutation test on the difference of means, "
                    "one-sided; bootstrap percentile interval", p, p_opp, d, low, high, margin)


def rate_at_least(k: int, n: int, p0: float, *, alpha: float = ALPHA) -> Decision:
    """Is the true rate above p0? An exact one-sided binomial test each way."""
    p = float(stats.binomtest(k, n, p0, alternative="greater").pvalue)
    p_opp = float(stats.binomtest(k, n, p0, alternative="less").pvalue)
    low, high = wilson_interval(k, n, 1 - 2 * alpha)
    return Decision(_verdict(p, p_opp, math.inf, 0.0, alpha), "exact binomial test, one-sided", p, p_opp,
                    k / n - p0, low - p0, high - p0, 0.0)


def compare_paired(a: Sequence[float], b: Sequence[float], *, margin: float = 0.0,
                   alpha: float = ALPHA) -> Decision:
    """Is A above B when the values come in pairs (the same seed measured twice)? An exact sign-flip test on the
    per-pair differences (all 2^n sign patterns; with n pairs the smallest p is 2^-n, so n >= 5 is needed to
    reach 5%), with Student's t interval of the mean difference for the margin."""
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    n = len(d)
    if n < 2 or len(a) != len(b) or not np.isfinite(d).all():
        raise ValueError("compare_paired needs at least two finite pairs")
    if n > 20:
        raise ValueError(f"compare_paired enumerates 2^n sign patterns; {n} pairs are too many")
    signs = np.array(list(itertools.product((1.0, -1.0), repeat=n)))  # (2^n, n)
    means = (signs * np.abs(d)).mean(axis=1)
    observed = float(d.mean())
    tol = 1e-12 * max(1.0, float(np.abs(d).max()))
    p = float((means >= observed - tol).mean())
    p_opp = float((means <= observed + tol).mean())
    half = float(stats.t.ppf(1 - alpha, n - 1) * d.std(ddof=1) / math.sqrt(n))
    return Decision(_verdict(p, p_opp, observed + half, margin, alpha), "exact sign-flip test on paired "
                    "differences, one-sided; Student's t interval", p, p_opp, observed, observed - half,
                    observed + half, margin)
