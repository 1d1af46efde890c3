"""The analytic step Jacobian against autograd, and the S3 bound on many random cells."""

import math
from fractions import Fraction

import pytest
import torch
from torch.autograd.functional import jacobian

from rnnlab.core import TANH, Recurrent, sigmoid
from rnnlab.dynamics.jacobian import (
    BoundConfig,
    bound_curve,
    cell_bound,
    cell_log10_bound,
    check_bound,
    count_violations,
    gamma,
    log10_bound_curve,
    step_jacobian,
    step_jacobians,
)
from rnnlab.dynamics.probe import linear_readout, probe


@pytest.mark.parametrize("act", [sigmoid(), sigmoid(3.0), TANH], ids=["sigmoid", "sigmoid-gain3", "tanh"])
def test_step_jacobian_matches_autograd(act) -> None:
    torch.manual_seed(0)
    cell = Recurrent(3, 5, act).double()
    h_prev = torch.rand(1, 5, dtype=torch.float64)
    x_t = torch.randn(1, 3, dtype=torch.float64)
    ours = step_jacobian(cell, h_prev, x_t)[0]
    ref = jacobian(lambda h: cell.step(x_t, h.unsqueeze(0))[0], h_prev[0])  # autograd's (H, H)
    torch.testing.assert_close(ours, ref)


def test_delayed_jacobians_match_autograd() -> None:
    torch.manual_seed(1)
    k = 3
    cell = Recurrent(2, 4, sigmoid(), delays=[k], batch_first=True).double()
    history = [torch.rand(1, 4, dtype=torch.float64) for _ in range(5)]  # h_0..h_4, so t = 5
    x_t = torch.randn(1, 2, dtype=torch.float64)

    def h_t(h_last: torch.Tensor, h_lag: torch.Tensor) -> torch.Tensor:
        z = h_last @ cell.W.T + h_lag @ cell.M[0].T + x_t @ cell.U.T + cell.b
        return torch.sigmoid(z)[0]

    ref_W, ref_M = jacobian(h_t, (history[-1], history[5 - k]))
    ours = step_jacobians(cell, history, x_t)
    torch.testing.assert_close(ours[1][0], ref_W[:, 0])
    torch.testing.assert_close(ours[k][0], ref_M[:, 0])


def test_gamma_is_the_derivative_maximum() -> None:
    z = torch.linspace(-10, 10, 200_001, dtype=torch.float64)
    for act in (sigmoid(), sigmoid(2.0), TANH):
        z.requires_grad_(True)
        (d,) = torch.autograd.grad(act(z).sum(), z)
        assert float(d.max()) == pytest.approx(gamma(act), rel=1e-9)


def test_bound_curve_closed_form_without_skip() -> None:
    B = bound_curve(2.0, 6, 0.3)
    assert B.tolist() == pytest.approx([2.0 * 0.3 ** (6 - t) for t in range(1, 7)], rel=1e-12)


def _exact_log10(x: Fraction) -> float:
    """log10 of an exact positive rational of any size (math.log10 takes Python integers of any size)."""
    return math.log10(x.numerator) - math.log10(x.denominator)


@pytest.mark.parametrize("a, b", [(Fraction(50), []), (Fraction(1, 7), [(2, Fraction(3, 4))]),
                                  (Fraction(50), [(2, Fraction(30)), (5, Fraction(9, 2))])])
def test_log10_bound_matches_exact_rationals_beyond_float64(a: Fraction, b: list[tuple[int, Fraction]]) -> None:
    """The oracle runs the recurrence B_t = a B_{t+1} + sum_k b_k B_{t+k} in exact rationals (no overflow)."""
    T, g_T = 300, Fraction(3, 2)
    B = {T: g_T}
    for t in range(T - 1, 0, -1):
        B[t] = a * B[t + 1] + sum((bk * B.get(t + k, Fraction(0)) for k, bk in b), Fraction(0))
    ours = log10_bound_curve(math.log10(1.5), T, float(a), [(k, float(bk)) for k, bk in b])
    assert ours.tolist() == pytest.approx([_exact_log10(B[t]) for t in range(1, T + 1)], rel=1e-12, abs=1e-12)
    linear = bound_curve(1.5, T, float(a), [(k, float(bk)) for k, bk in b])
    for t in range(1, T + 1):  # the linear bound is inf exactly where it is beyond float64's range, never nan
        if B[t] > Fraction(1.7976931348623157e308):
            assert linear[t - 1] == math.inf
        else:
            assert float(linear[t - 1]) == pytest.approx(float(B[t]), rel=1e-11)


def test_bound_of_zero_rates_has_no_nan() -> None:
    assert bound_curve(2.0, 4, 0.0).tolist() == [0.0, 0.0, 0.0, 2.0]
    assert bound_curve(2.0, 4, 0.5, [(2, 0.0)]).tolist() == pytest.approx([0.25, 0.5, 1.0, 2.0])
    assert bound_curve(0.0, 3, 50.0).tolist() == [0.0, 0.0, 0.0]


def test_count_violations_counts_exactly_the_excesses() -> None:
    norms = torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 1e300], dtype=torch.float64)
    bound = torch.tensor([0.5, 2.0 * (1 + 1e-12), 2.9, 4.0, 6.0, math.inf], dtype=torch.float64)
    # above: t=1 (1 > 0.5) and t=3 (3 > 2.9); within the 1e-9 tolerance: t=2; equal: t=4; an inf bound holds
    assert count_violations(norms, bound) == 2
    assert count_violations(norms, bound, rtol=0.1) == 1  # 3 <= 2.9 * 1.1: only t=1 is left
    assert count_violations(norms, norms.clone()) == 0


def test_cell_bound_overflows_to_inf_without_false_violations() -> None:
    """tanh with ||W||_2 = 50 over 300 steps: the bound passes float64's range; log10 of it stays exact."""
    torch.manual_seed(6)
    cell = Recurrent(3, 5, TANH, batch_first=True).double()
    with torch.no_grad():
        cell.W.mul_(50 / torch.linalg.matrix_norm(cell.W, ord=2))
    norms = probe(cell, torch.randn(1, 300, 3, dtype=torch.float64), linear_readout(torch.ones(5).double())).norms[0]
    g_T = float(norms[-1])
    bound, log_bound = cell_bound(cell, g_T, 300), cell_log10_bound(cell, g_T, 300)
    assert torch.isinf(bound).sum() > 50 and torch.isfinite(log_bound).all()
    assert log_bound.tolist() == pytest.approx([math.log10(g_T) + (300 - t) * math.log10(50) for t in range(1, 301)],
                                               rel=1e-12)
    assert count_violations(norms, bound) == 0


def test_bound_check_needs_two_steps() -> None:
    with pytest.raises(ValueError, match="T must be >= 2"):
        check_bound(BoundConfig(trials=1, T=1))


@pytest.mark.parametrize("act", ["sigmoid", "tanh"])
def test_bound_holds_on_many_random_cells(act: str) -> None:
    report = check_bound(BoundConfig(trials=150, T=30, hidden=8, act=act, seed=3))
    assert report.violations == 0
    assert (report.w_norms > 4).sum() > 10  # the loose regime is exercised
    assert 0.99 < report.max_ratio <= 1 + 1e-9  # adversarial cells reach the bound, up to rounding
    assert report.ratio_by_distance[0] == pytest.approx(1.0)  # at t = T the bound is the actual norm
    n = 150 + report.config.adversarial
    assert report.w_norms.dtype == torch.float64 and report.checked == n * 29  # t < T only
    assert report.adversarial_max_ratio > 0.99  # cells built to sit at f' = gamma reach the bound


def test_bound_holds_with_the_skip_connection() -> None:
    torch.manual_seed(4)
    violations = 0
    for trial in range(30):
        cell = Recurrent(3, 6, sigmoid(), delays=[2], batch_first=True).double()
        with torch.no_grad():
            cell.W.mul_(1 + trial / 3)
            cell.M[0].mul_(1 + trial / 5)
        x = torch.randn(1, 25, 3, dtype=torch.float64)
        norms = probe(cell, x, linear_readout(torch.randn(6, dtype=torch.float64))).norms[0]
        bound = cell_bound(cell, float(norms[-1]), 25)
        violations += count_violations(norms, bound)
    assert violations == 0


def test_a_violation_is_detected() -> None:
    """The check can fail: claim gamma = 1/40 instead of 1/4 and the sigmoid cell breaks the 'bound'."""
    torch.manual_seed(5)
    cell = Recurrent(3, 6, sigmoid(), batch_first=True).double()
    norms = probe(cell, torch.randn(1, 10, 3, dtype=torch.float64), linear_readout(torch.ones(6).double())).norms[0]
    W_norm = float(torch.linalg.matrix_norm(cell.W.detach(), ord=2))
    wrong = bound_curve(float(norms[-1]), 10, W_norm / 40)
    expected = sum(float(n) > float(b) * (1 + 1e-9) for n, b in zip(norms, wrong, strict=True))
    assert expected > 0 and count_violations(norms, wrong) == expected


def test_rejects_bad_config() -> None:
    with pytest.raises(ValueError, match="trials"):
        check_bound(BoundConfig(trials=0))
    with pytest.raises(ValueError, match="unknown activation"):
        check_bound(BoundConfig(trials=1, act="relu"))


def test_tightness_plot_and_one_step_ratio(tmp_path) -> None:  # noqa: ANN001
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from rnnlab.dynamics.jacobian import plot_tightness

    reports = [check_bound(BoundConfig(trials=20, T=10, hidden=4, act=act)) for act in ("sigmoid", "tanh")]
    for r in reports:
        assert r.to_dict()["median_ratio_one_step"] == pytest.approx(float(r.ratio_by_distance[1]))
    fig, ax = plt.subplots()
    assert plot_tightness(ax, reports) and "never exceeds 1" in ax.get_title()
    fig.savefig(tmp_path / "t.png")
    plt.close(fig)


def test_gamma_20_percent_too_small_is_caught_by_the_adversarial_cells() -> None:
    """The mutation S3.bound must catch: with gamma 20% too small the 'bound' is violated."""
    config = BoundConfig(trials=10, T=20, hidden=6, adversarial=10)
    assert check_bound(config).violations == 0
    wrong = check_bound(config, gamma_factor=0.8)
    assert wrong.violations > 0 and wrong.adversarial_max_ratio > 1.25
