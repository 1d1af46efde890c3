"""The dynamics benchmark cases at tiny sizes: they measure both sides and report a ratio (no timing asserted)."""

import math
from functools import partial

import pytest

from rnnlab.bench import Case, all_cases
from rnnlab.bench import dynamics_cases as dc

TINY = [
    Case("gradient_probe_overhead", partial(dc.gradient_probe_overhead, batch=2, steps=5, inputs=2, hidden=4,
                                            repeats=1), "tiny"),
    Case("skip_vs_plain_sigmoid", partial(dc.skip_vs_plain_sigmoid, batch=2, steps=5, inputs=2, hidden=4,
                                          repeats=1, other_hidden=(3,)), "tiny"),
]


def test_registered() -> None:
    names = [c.name for c in all_cases()]
    assert {"gradient_probe_overhead", "skip_vs_plain_sigmoid"} <= set(names)


@pytest.mark.parametrize("case", TINY, ids=lambda c: c.name)
def test_case_reports_value_baseline_ratio(case: Case) -> None:
    r = case.run()
    assert r.name == case.name and r.value > 0 and r.baseline is not None and r.baseline > 0
    assert r.ratio is not None and math.isclose(r.ratio, r.value / r.baseline)
    assert r.target.startswith("ratio <=") and r.detail and isinstance(r.met, bool)


def test_skip_case_shows_the_trend_at_other_sizes() -> None:
    r = dc.skip_vs_plain_sigmoid(batch=2, steps=5, inputs=2, hidden=4, repeats=1, other_hidden=(3, 5))
    assert "H=3: " in r.detail and "H=5: " in r.detail
