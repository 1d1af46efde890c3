"""The seeds benchmark at tiny sizes: both sides measured, the curve in the detail (no timing asserted)."""

import math

from rnnlab.bench import all_cases
from rnnlab.bench.seeds_cases import seeds


def test_registered() -> None:
    assert "seeds" in [c.name for c in all_cases()]


def test_seeds_case_reports_both_sides_and_the_curve() -> None:
    r = seeds(sizes=(1, 2), T=6, hidden=4, batch=2, steps=3, repeats=1, threads=(1,))
    assert r.name == "seeds" and r.value > 0 and r.baseline is not None and r.baseline > 0
    assert r.ratio is not None and math.isclose(r.ratio, r.baseline / r.value)
    assert "S=1:" in r.detail and "S=2:" in r.detail and r.met is None  # no target at these sizes
    assert r.detail.count("(bound ") == 2  # the bare recurrence's bound beside each point of the curve
