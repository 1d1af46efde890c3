"""The seed statistics against closed forms and scipy's own tests."""

import numpy as np
import pytest
from scipy import stats

from rnnlab.report.claims import FAILS, HOLDS, INCONCLUSIVE
from rnnlab.report.decide import compare_paired, compare_rates


def test_paired_sign_flip_p_values_are_exact() -> None:
    # Five positive differences: only the all-plus pattern reaches the observed mean, p = 1/32.
    d = compare_paired([1.0, 2.0, 3.0, 4.0, 5.0], [0.0] * 5)
    assert d.p_value == pytest.approx(1 / 32) and d.verdict == HOLDS
    assert compare_paired([0.0] * 5, [1.0, 2.0, 3.0, 4.0, 5.0]).p_opposite == pytest.approx(1 / 32)
    # Four pairs can never reach 5%: the smallest p is 1/16.
    assert compare_paired([1.0, 2.0, 3.0, 4.0], [0.0] * 4, margin=-10).verdict == INCONCLUSIVE


def test_paired_interval_is_students_t() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=7), rng.normal(size=7)
    d = compare_paired(a, b, alpha=0.05)
    lo, hi = stats.t.interval(0.90, 6, loc=np.mean(a - b), scale=stats.sem(a - b))
    assert (d.ci_low, d.ci_high) == pytest.approx((lo, hi))


def test_paired_margin_route_to_does_not_hold() -> None:
    # A clearly negative effect whose whole interval lies below the margin: does not hold, even without p < 5%.
    assert compare_paired([-0.010, -0.012, -0.011, -0.009], [0.0] * 4, margin=0.005).verdict == FAILS


def test_rates_fisher_matches_scipy() -> None:
    d = compare_rates(5, 5, 0, 5)
    assert d.p_value == pytest.approx(stats.fisher_exact([[5, 0], [0, 5]], alternative="greater").pvalue)
    assert d.verdict == HOLDS and compare_rates(0, 5, 5, 5).verdict == FAILS
