"""rnnlab.format: the one home of number formatting, checked against hand-worked values."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rnnlab import format as fmt


@pytest.mark.parametrize(("x", "text"), [
    (0.00123456, "0.00123"), (0.000123456, "1.23e-4"), (1.5e-9, "1.5e-9"), (1 / 3, "0.333"), (2.0, "2"),
    (0.5, "0.5"), (9.996, "10"), (999.96, "1000"), (123456.7, "123000"), (-0.0012345, "-0.00123"),
    (0.0, "0"), (1e6, "1e6"), (-2.5e12, "-2.5e12"), (0.9999999999999991, "1"),
    (math.nan, "NaN"), (math.inf, "∞"), (-math.inf, "-∞"),
])
def test_sig(x: float, text: str) -> None:
    assert fmt.sig(x) == text


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300).filter(lambda v: v != 0))
def test_sig_keeps_three_significant_digits(x: float) -> None:
    # The text reads back as x rounded to 3 significant digits (within the rounding of the decimal text).
    back = float(fmt.sig(x))
    assert back == pytest.approx(float(f"{x:.2e}"), rel=1e-12)


@pytest.mark.parametrize(("n", "text"), [
    (0, "0 B"), (512, "512 B"), (999, "999 B"), (1000, "1 KB"), (400_000, "400 KB"), (1_115_394, "1.12 MB"),
    (4e9, "4 GB"), (2.5e13, "25 TB"),
])
def test_nbytes(n: float, text: str) -> None:
    assert fmt.nbytes(n) == text


def test_rates_and_percent() -> None:
    assert fmt.rate(2, 3) == "2/3 (66.7%)"
    assert fmt.rate(10, 10) == "10/10 (100%)"
    assert fmt.rate(0, 0) == "0/0"
    assert fmt.percent(0.001) == "0.1%"
    assert fmt.percent(math.nan) == "NaN"


@pytest.mark.parametrize(("s", "text"), [
    (0, "0 s"), (7.2e-5, "72 µs"), (0.0123, "12.3 ms"), (3.4, "3.4 s"), (59.94, "59.9 s"), (60, "1 min"),
    (125, "2 min 5 s"), (3600, "1 h"), (4000, "1 h 7 min"), (-0.5, "-500 ms"), (math.inf, "∞"),
])
def test_duration(s: float, text: str) -> None:
    assert fmt.duration(s) == text


@pytest.mark.parametrize(("v", "key", "text"), [
    (None, None, "-"), (True, None, "yes"), (False, "proved", "no"), (1_115_394, None, "1,115,394"),
    (0.25, "success_rate", "25%"), (1.5, "divergence_rate", "1.5"),  # not a fraction: no percent sign
    (0.01, "learning_rate", "0.01"), (0.8, "decay_rate", "0.8"),  # rates that are not shares of trials
    (4000, "one_hot_bytes", "4 KB"), (0.5, "proof_s", "500 ms"), ({"k": 1, "n": 4}, None, "1/4 (25%)"),
    ([0.1, None, True], None, "0.1, -, yes"), ([1000, 1001], "dim", "1,000; 1,001"), ([128, 1000], "weight_shape",
    "128 × 1000"), ([1, 2], None, "1, 2"), ("text", None, "text"), (math.nan, "fired_fraction", "NaN"),
])
def test_value_reads_the_key(v: object, key: str | None, text: str) -> None:
    assert fmt.value(v, key) == text
