"""The gradient profile: one decay-rate definition, the skip cell's k and ||M||_2, T = 1, and a bound past 1e308."""

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from rnnlab.dynamics.profile import decay_per_step, format_rate, gradient_profile, plot_profile  # noqa: E402
from rnnlab.dynamics.training import make_rnn, seeded  # noqa: E402


def _lstsq_rate(norms_by_distance: list[float]) -> float:
    """Oracle: torch's least-squares solver on [distance, 1] against log10 norm (positive norms only)."""
    pts = [(float(i), math.log10(n)) for i, n in enumerate(norms_by_distance) if n > 0]
    A = torch.tensor([[d, 1.0] for d, _ in pts], dtype=torch.float64)
    y = torch.tensor([[v] for _, v in pts], dtype=torch.float64)
    return 10 ** float(torch.linalg.lstsq(A, y).solution[0, 0])


def test_decay_per_step_is_the_least_squares_slope() -> None:
    assert decay_per_step(torch.tensor([0.3**i for i in range(12)], dtype=torch.float64)) == pytest.approx(0.3)
    noisy = [1.0, 0.5, 0.3, 0.05, 0.04, 0.0, 0.001]  # a zero (underflow) is left out
    assert decay_per_step(torch.tensor(noisy, dtype=torch.float64)) == pytest.approx(_lstsq_rate(noisy), rel=1e-12)
    assert math.isnan(decay_per_step(torch.tensor([1.0])))
    assert math.isnan(decay_per_step(torch.tensor([1.0, 0.0, 0.0])))
    assert format_rate(math.nan) == "undefined" and format_rate(0.25) == "x0.25"


def test_profile_rate_uses_the_helper_by_distance() -> None:
    p = gradient_profile("sigmoid", T=15, hidden=4, seed=1)
    assert p.decay_per_step == pytest.approx(_lstsq_rate(p.norms.flip(0).tolist()), rel=1e-12)


def test_skip_profile_reports_k_and_M() -> None:
    p = gradient_profile("skip", T=10, hidden=5, delay=3, seed=2)
    with seeded(2):
        rnn = make_rnn("skip", 4, 5, 3).double()
    assert p.delay == 3 and p.m_norm == pytest.approx(float(torch.linalg.svdvals(rnn.M[0].detach())[0]), rel=1e-12)
    assert gradient_profile("tanh", T=5, hidden=3).delay is None
    fig, ax = plt.subplots()
    plot_profile(ax, p)
    legend = " ".join(t.get_text() for t in ax.get_legend().get_texts())
    assert "k = 3" in legend and f"||M||_2 = {p.m_norm:.3g}" in legend and "k = 3" in ax.get_title()
    plt.close(fig)


def test_T_1_has_no_nan_and_a_visible_point() -> None:
    p = gradient_profile("sigmoid", T=1, hidden=4)
    assert math.isnan(p.decay_per_step)
    fig, ax = plt.subplots()
    line = plot_profile(ax, p)[0]
    assert "nan" not in ax.get_title() and "no decay rate" in ax.get_title()
    assert len(line.get_xdata()) == 1 and line.get_marker() not in (None, "None", "")
    plt.close(fig)


def test_bound_past_float64_is_drawn_and_still_checked() -> None:
    """tanh, ||W||_2 = 50, T = 300: B_1 is about 50^299 > 1e308; the bound line must reach distance 299."""
    p = gradient_profile("tanh", T=300, hidden=8, w_norm=50)
    assert p.log10_bound is not None and p.bound is not None
    assert p.bound_overflows == int(torch.isinf(p.bound).sum()) > 0 and torch.isfinite(p.log10_bound).all()
    assert p.violations == 0 and bool((p.norms.log10() <= p.log10_bound + 1e-9).all())
    assert float(p.log10_bound[0]) == pytest.approx(math.log10(float(p.norms[-1])) + 299 * math.log10(50), rel=1e-9)
    fig, ax = plt.subplots()
    bound_line = plot_profile(ax, p)[1]
    assert max(bound_line.get_xdata()) == 299 and "float64" in bound_line.get_label()
    plt.close(fig)
