"""The three decays of Bengio et al. 2015 at exact values, and their bad inputs."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rnnlab.generation.schedules import STRATEGIES, Schedule, default_schedule, parse_strategy


def test_linear_exact_values() -> None:
    s = Schedule("linear", k=1.0, c=0.001, eps_min=0.1)
    assert s.eps(0) == 1.0
    assert s.eps(100) == 1.0 - 0.001 * 100
    assert s.eps(500) == 0.5
    assert s.eps(900) == pytest.approx(0.1, abs=1e-15)
    assert s.eps(1000) == 0.1  # the floor: max(0.1, 1 - 1)
    assert s.eps(10**9) == 0.1


def test_exponential_exact_values() -> None:
    s = Schedule("exponential", k=0.5)
    assert [s.eps(i) for i in range(5)] == [1.0, 0.5, 0.25, 0.125, 0.0625]
    assert Schedule("exponential", k=0.99).eps(100) == 0.99**100


def test_inverse_sigmoid_exact_values() -> None:
    assert Schedule("inverse-sigmoid", k=1.0).eps(0) == 0.5
    s = Schedule("inverse-sigmoid", k=100.0)
    for i in (0, 1, 250, 460, 1000):
        assert s.eps(i) == pytest.approx(100 / (100 + math.exp(i / 100)), rel=1e-14)
    assert Schedule("inverse-sigmoid", k=10.0).eps(100_000) == pytest.approx(0.0, abs=1e-300)  # no overflow


@given(st.sampled_from(["linear", "exponential", "inverse-sigmoid"]), st.integers(1, 5000), st.integers(0, 10_000))
def test_defaults_decay_within_0_1(decay: str, steps: int, i: int) -> None:
    s = default_schedule(decay, steps)
    assert 0.0 <= s.eps(i + 1) <= s.eps(i) <= 1.0


def test_default_schedules_span_the_run() -> None:
    assert default_schedule("linear", 400).eps(400) == 0.0
    assert default_schedule("exponential", 400).eps(400) == pytest.approx(0.01)
    assert default_schedule("inverse-sigmoid", 400).eps(200) == pytest.approx(0.5)


@pytest.mark.parametrize(("decay", "k", "match"), [
    ("cosine", 1.0, "unknown decay"),
    ("exponential", 1.0, "0 < k < 1"),
    ("exponential", 0.0, "0 < k < 1"),
    ("inverse-sigmoid", 0.5, "k >= 1"),
    ("linear", 1.5, "0 <= k <= 1"),
    ("linear", math.nan, "finite"),
])
def test_bad_k(decay: str, k: float, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        Schedule(decay, k=k)


def test_bad_linear_parameters() -> None:
    with pytest.raises(ValueError, match="eps_min"):
        Schedule("linear", k=1.0, c=0.1, eps_min=1.5)
    with pytest.raises(ValueError, match="c >= 0"):
        Schedule("linear", k=1.0, c=-0.1)
    with pytest.raises(ValueError, match=">= 0"):
        Schedule("linear", k=1.0).eps(-1)


def test_strategies() -> None:
    assert [parse_strategy(s, 100).eps(0) for s in STRATEGIES][:2] == [1.0, 0.0]
    sched = parse_strategy("scheduled:linear", 100, k=0.9, c=0.01, eps_min=0.2)
    assert sched.eps(10) == pytest.approx(0.8) and sched.eps(1000) == 0.2
    for bad in ("teacher-forcing", "scheduled", "scheduled:cosine", "sampled:linear"):
        with pytest.raises(ValueError, match="unknown"):
            parse_strategy(bad, 100)
